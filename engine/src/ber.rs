//! The subset of BER that SNMP uses (RFC 3417 §8, X.690 §8).
//!
//! The decoder reads borrowed bytes and is lenient where real agents are
//! sloppy but the meaning is clear: long-form and non-minimal lengths,
//! non-minimal INTEGERs, zero-length INTEGERs, unsigned application types
//! without their leading zero byte. Everything else is a [`DecodeError`]
//! with the offset of the offending byte. The encoder is canonical: minimal
//! lengths and signed-minimal INTEGERs.

use std::fmt;

use bytes::BufMut;
#[cfg(test)]
use bytes::BytesMut;

use crate::Oid;
use crate::oid::{INLINE_ARCS, MAX_OID_LEN};

pub(crate) const TAG_INTEGER: u8 = 0x02;
pub(crate) const TAG_OCTET_STRING: u8 = 0x04;
pub(crate) const TAG_NULL: u8 = 0x05;
pub(crate) const TAG_OID: u8 = 0x06;
pub(crate) const TAG_SEQUENCE: u8 = 0x30;
pub(crate) const TAG_IP_ADDRESS: u8 = 0x40;
pub(crate) const TAG_COUNTER32: u8 = 0x41;
pub(crate) const TAG_GAUGE32: u8 = 0x42;
pub(crate) const TAG_TIMETICKS: u8 = 0x43;
pub(crate) const TAG_OPAQUE: u8 = 0x44;
pub(crate) const TAG_COUNTER64: u8 = 0x46;
pub(crate) const TAG_NO_SUCH_OBJECT: u8 = 0x80;
pub(crate) const TAG_NO_SUCH_INSTANCE: u8 = 0x81;
pub(crate) const TAG_END_OF_MIB_VIEW: u8 = 0x82;

/// A message that could not be decoded: what was wrong, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at byte {offset}")]
pub struct DecodeError {
    /// What was wrong.
    pub kind: DecodeErrorKind,
    /// The offset in the message of the element that was wrong.
    pub offset: usize,
}

/// What was wrong with a message that could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The message ends inside an element.
    Truncated,
    /// An element has another tag than the syntax requires there.
    UnexpectedTag {
        /// The tag the syntax requires.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// A varbind value has a tag that is no SMI type.
    UnknownValueTag(u8),
    /// A PDU tag that RFC 3416 does not define.
    UnknownPduType(u8),
    /// The indefinite length form, which SNMP forbids (RFC 3417 §8).
    IndefiniteLength,
    /// A length that does not fit in four bytes.
    LengthOverflow,
    /// An integer too large for its type.
    IntegerOverflow,
    /// An OBJECT IDENTIFIER with a truncated or too large sub-identifier.
    InvalidOid,
    /// An OBJECT IDENTIFIER of more than 128 sub-identifiers.
    OidTooLong,
    /// An IpAddress that is not four bytes long.
    InvalidIpAddress,
    /// A NULL or exception with contents.
    InvalidNull,
    /// A version number this codec does not handle.
    UnknownVersion(i64),
    /// Bytes left over inside a constructed element.
    TrailingData,
    /// An SNMPv3 msgFlags that is not one byte long (RFC 3412 §6.4).
    InvalidFlags,
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("truncated element"),
            Self::UnexpectedTag { expected, found } => {
                write!(f, "expected tag {expected:#04x}, found {found:#04x}")
            }
            Self::UnknownValueTag(t) => write!(f, "unknown value tag {t:#04x}"),
            Self::UnknownPduType(t) => write!(f, "unknown PDU tag {t:#04x}"),
            Self::IndefiniteLength => f.write_str("indefinite length"),
            Self::LengthOverflow => f.write_str("length too large"),
            Self::IntegerOverflow => f.write_str("integer out of range"),
            Self::InvalidOid => f.write_str("invalid OBJECT IDENTIFIER"),
            Self::OidTooLong => f.write_str("OBJECT IDENTIFIER longer than 128 sub-identifiers"),
            Self::InvalidIpAddress => f.write_str("IpAddress not 4 bytes long"),
            Self::InvalidNull => f.write_str("NULL with contents"),
            Self::UnknownVersion(v) => write!(f, "unknown SNMP version {v}"),
            Self::TrailingData => f.write_str("trailing data"),
            Self::InvalidFlags => f.write_str("msgFlags not one byte long"),
        }
    }
}

/// One element: its tag, where it starts, and where its contents are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: u8,
    /// Offset of the tag byte in the whole message.
    pub(crate) offset: usize,
    /// Offset of the contents in the whole message.
    pub(crate) start: usize,
    pub(crate) content: &'a [u8],
}

impl<'a> Tlv<'a> {
    pub(crate) fn err(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            kind,
            offset: self.offset,
        }
    }

    pub(crate) fn expect(self, tag: u8) -> Result<Self, DecodeError> {
        if self.tag == tag {
            Ok(self)
        } else {
            Err(self.err(DecodeErrorKind::UnexpectedTag {
                expected: tag,
                found: self.tag,
            }))
        }
    }

    /// A reader over the contents of a constructed element.
    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader {
            buf: self.content,
            base: self.start,
            pos: 0,
        }
    }

    pub(crate) fn i64(&self) -> Result<i64, DecodeError> {
        decode_signed(self.content).ok_or_else(|| self.err(DecodeErrorKind::IntegerOverflow))
    }

    pub(crate) fn i32(&self) -> Result<i32, DecodeError> {
        if let Some(v) = short_signed(self.content) {
            return Ok(v);
        }
        i32::try_from(self.i64()?).map_err(|_| self.err(DecodeErrorKind::IntegerOverflow))
    }

    pub(crate) fn u32(&self) -> Result<u32, DecodeError> {
        if let Some(v) = short_unsigned(self.content) {
            return Ok(v);
        }
        decode_unsigned(self.content, 4)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| self.err(DecodeErrorKind::IntegerOverflow))
    }

    pub(crate) fn u64(&self) -> Result<u64, DecodeError> {
        decode_unsigned(self.content, 8).ok_or_else(|| self.err(DecodeErrorKind::IntegerOverflow))
    }

    pub(crate) fn oid(&self) -> Result<Oid, DecodeError> {
        decode_oid(self.content).map_err(|kind| self.err(kind))
    }

    /// [`Tlv::oid`] into `oid`, in place: no OID is built and then moved.
    /// On error `oid` is some valid OID.
    #[inline]
    pub(crate) fn oid_into(&self, oid: &mut Oid) -> Result<(), DecodeError> {
        decode_oid_into(self.content, oid).map_err(|kind| self.err(kind))
    }

    pub(crate) fn null(&self) -> Result<(), DecodeError> {
        if self.content.is_empty() {
            Ok(())
        } else {
            Err(self.err(DecodeErrorKind::InvalidNull))
        }
    }
}

/// A cursor over the contents of a constructed element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    /// Offset of `buf[0]` in the whole message, for error offsets.
    base: usize,
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            base: 0,
            pos: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Where what is left to read lies in the whole message.
    pub(crate) fn span(&self) -> std::ops::Range<usize> {
        self.base + self.pos.min(self.buf.len())..self.base + self.buf.len()
    }

    /// A reader of `span` of `message`, as [`Reader::span`] gave it for
    /// the same message; `None` if it is not within `message`.
    pub(crate) fn of_span(message: &'a [u8], span: std::ops::Range<usize>) -> Option<Self> {
        let base = span.start;
        Some(Self {
            buf: message.get(span)?,
            base,
            pos: 0,
        })
    }

    fn err(&self, kind: DecodeErrorKind, at: usize) -> DecodeError {
        DecodeError {
            kind,
            offset: self.base + at,
        }
    }

    /// Reads one element.
    #[inline]
    pub(crate) fn tlv(&mut self) -> Result<Tlv<'a>, DecodeError> {
        let offset = self.pos;
        let buf = self.buf;
        let Some(&tag) = buf.get(offset) else {
            return Err(self.err(DecodeErrorKind::Truncated, offset));
        };
        // Multi-byte tags (low bits 0x1f) are no SNMP type; they are
        // reported as unexpected by whoever reads the tag.
        let Some(&first) = buf.get(offset + 1) else {
            return Err(self.err(DecodeErrorKind::Truncated, offset));
        };
        let (len, header) = if first < 0x80 {
            (usize::from(first), 2)
        } else if first == 0x80 {
            return Err(self.err(DecodeErrorKind::IndefiniteLength, offset));
        } else {
            let n = usize::from(first & 0x7f);
            let Some(bytes) = buf.get(offset + 2..offset + 2 + n) else {
                return Err(self.err(DecodeErrorKind::Truncated, offset));
            };
            // Non-minimal long forms (leading zero bytes) are legal BER.
            let significant = bytes.iter().skip_while(|&&b| b == 0).count();
            if significant > 4 {
                return Err(self.err(DecodeErrorKind::LengthOverflow, offset));
            }
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, 2 + n)
        };
        let start = offset + header;
        let Some(content) = start.checked_add(len).and_then(|end| buf.get(start..end)) else {
            return Err(self.err(DecodeErrorKind::Truncated, offset));
        };
        self.pos = start + len;
        Ok(Tlv {
            tag,
            offset: self.base + offset,
            start: self.base + start,
            content,
        })
    }

    /// Reads a varbind (RFC 3416 §3: a SEQUENCE of an OID and a value)
    /// whose three lengths are all in the short form, as nearly every
    /// varbind's are, in one step: its OID and its value element. `None`,
    /// having read nothing, for any other bytes: [`Reader::expect`] and
    /// [`Reader::tlv`] read those, or say what is wrong with them.
    #[inline(always)]
    pub(crate) fn short_varbind(&mut self) -> Option<(Tlv<'a>, Tlv<'a>)> {
        let buf = self.buf;
        let at = self.pos;
        let &[TAG_SEQUENCE, len, TAG_OID, oid_len] = buf.get(at..at + 4)? else {
            return None;
        };
        if len >= 0x80 || oid_len >= 0x80 {
            return None;
        }
        let end = at + 2 + usize::from(len);
        let oid_start = at + 4;
        let value_at = oid_start + usize::from(oid_len);
        let &[tag, value_len] = buf.get(value_at..value_at + 2)? else {
            return None;
        };
        let value_start = value_at + 2;
        // The value ends where the SEQUENCE does: nothing is left over.
        if value_len >= 0x80 || value_start + usize::from(value_len) != end {
            return None;
        }
        let value = buf.get(value_start..end)?;
        let oid = buf.get(oid_start..value_at)?;
        self.pos = end;
        Some((
            Tlv {
                tag: TAG_OID,
                offset: self.base + at + 2,
                start: self.base + oid_start,
                content: oid,
            },
            Tlv {
                tag,
                offset: self.base + value_at,
                start: self.base + value_start,
                content: value,
            },
        ))
    }

    /// Reads one element that must have tag `tag`.
    #[inline]
    pub(crate) fn expect(&mut self, tag: u8) -> Result<Tlv<'a>, DecodeError> {
        self.tlv()?.expect(tag)
    }

    /// Fails if anything is left.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.err(DecodeErrorKind::TrailingData, self.pos))
        }
    }
}

/// A two's complement integer of one to four bytes, the length of nearly
/// every request-id, error-status and INTEGER value: always an `i32`, with
/// no redundant bytes to skip. `None` for other lengths, which
/// [`decode_signed`] reads.
#[inline]
pub(crate) fn short_signed(content: &[u8]) -> Option<i32> {
    let (&first, rest) = content.split_first()?;
    if rest.len() > 3 {
        return None;
    }
    // The first byte's sign extends through the value.
    Some(
        rest.iter()
            .fold(i32::from(first as i8), |acc, &b| (acc << 8) | i32::from(b)),
    )
}

/// [`short_signed`] for the unsigned types: one to four bytes, a first
/// byte with its high bit set read as unsigned (as [`decode_unsigned`]
/// reads it).
#[inline]
fn short_unsigned(content: &[u8]) -> Option<u32> {
    if content.is_empty() || content.len() > 4 {
        return None;
    }
    Some(
        content
            .iter()
            .fold(0u32, |acc, &b| (acc << 8) | u32::from(b)),
    )
}

/// A two's complement integer of any length whose value fits in an `i64`.
/// Redundant leading bytes (0x00 before a positive, 0xff before a negative
/// byte) are accepted; an empty integer is 0.
fn decode_signed(content: &[u8]) -> Option<i64> {
    let mut c = content;
    while c.len() > 1 && ((c[0] == 0 && c[1] & 0x80 == 0) || (c[0] == 0xff && c[1] & 0x80 != 0)) {
        c = &c[1..];
    }
    if c.len() > 8 {
        return None;
    }
    let init: i64 = if c.first().is_some_and(|b| b & 0x80 != 0) {
        -1
    } else {
        0
    };
    Some(c.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// An unsigned integer of at most `max` significant bytes. Leading zero
/// bytes are skipped; a first byte with the high bit set is read as
/// unsigned, as agents that forget the leading zero mean it.
fn decode_unsigned(content: &[u8], max: usize) -> Option<u64> {
    let start = content
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(content.len());
    let c = &content[start..];
    if c.len() > max {
        return None;
    }
    Some(c.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// The arcs of an OID whose contents take fewer bytes than this fit in
/// [`Oid`]'s inline storage (one byte gives two sub-identifiers).
const INLINE_CONTENT: usize = INLINE_ARCS;

/// Whether the sub-identifiers of `content` fit in [`Oid`]'s inline
/// storage. Every sub-identifier ends with a byte below 0x80, and the first
/// encoded one holds two, so a well-formed OID has one more than it has
/// such bytes; malformed contents fail the same way in either storage.
#[inline]
fn fits_inline(content: &[u8]) -> bool {
    content.len() < INLINE_CONTENT || content.iter().filter(|&&b| b < 0x80).count() < INLINE_ARCS
}

/// Decodes the contents of an OBJECT IDENTIFIER (X.690 §8.19).
///
/// Errors, checked in this order for each byte: a sub-identifier above
/// `u32::MAX` (the first encoded one may reach `u32::MAX + 80`, since it
/// holds the first two) is [`DecodeErrorKind::InvalidOid`]; a sub-identifier
/// past the 128th is [`DecodeErrorKind::OidTooLong`]; contents that end
/// inside a sub-identifier are [`DecodeErrorKind::InvalidOid`].
fn decode_oid(content: &[u8]) -> Result<Oid, DecodeErrorKind> {
    if fits_inline(content) {
        let mut arcs = [0; INLINE_ARCS];
        let n = decode_arcs(content, &mut arcs)?;
        Ok(Oid::from_decoded_inline(arcs, n))
    } else {
        let mut arcs = [0; MAX_OID_LEN];
        let n = decode_arcs(content, &mut arcs)?;
        Ok(Oid::from_decoded(&arcs[..n]))
    }
}

/// [`decode_oid`] into `oid`.
#[inline]
fn decode_oid_into(content: &[u8], oid: &mut Oid) -> Result<(), DecodeErrorKind> {
    if fits_inline(content) {
        oid.set_inline(|arcs| decode_arcs(content, arcs))
    } else {
        *oid = decode_oid(content)?;
        Ok(())
    }
}

/// [`decode_oid_into`] for an OID that follows `prev` in a varbind list,
/// `prev` decoded from `prev_content`. When the two contents differ only
/// in their last sub-identifier (and the one before it ends where it ends
/// in `prev_content`), as the rows of a table walk do, the others are
/// copied from `prev` and only the last one is decoded.
///
/// The result, and the error, are those of [`decode_oid_into`]: the bytes
/// copied decoded without error in `prev`.
#[inline]
pub(crate) fn decode_oid_after(
    content: &[u8],
    oid: &mut Oid,
    prev_content: &[u8],
    prev: &Oid,
) -> Result<(), DecodeErrorKind> {
    if let (Some(prev_arcs), Some(end)) = (prev.inline_storage(), last_arc_start(content)) {
        // `prev_content` ends in one sub-identifier after the same bytes.
        if prev_content.len() > end
            && prev_content[end..prev_content.len() - 1]
                .iter()
                .all(|&b| b >= 0x80)
            && content[..end] == prev_content[..end]
        {
            let shared = prev.len() - 1;
            debug_assert!(shared >= 2);
            return oid.set_inline(|arcs| {
                *arcs = *prev_arcs;
                decode_rest(content, &content[end..], arcs, shared)
            });
        }
    }
    decode_oid_into(content, oid)
}

/// Where the last sub-identifier of `content` starts, if one ends before
/// it.
#[inline(always)]
fn last_arc_start(content: &[u8]) -> Option<usize> {
    let (_, before) = content.split_last()?;
    // The last byte of each sub-identifier has its high bit clear.
    Some(before.iter().rposition(|&b| b < 0x80)? + 1)
}

/// A sub-identifier of more than one byte, `first` (its high bit set) and
/// what follows it in `bytes` up to a byte without the high bit, which
/// `bytes` is advanced past. Above `u32::MAX + 80` (the first encoded one
/// holds two), or cut short, it is [`DecodeErrorKind::InvalidOid`].
#[inline]
fn long_arc(first: u8, bytes: &mut &[u8]) -> Result<u64, DecodeErrorKind> {
    let mut acc = u64::from(first & 0x7f);
    loop {
        let Some((&b, rest)) = bytes.split_first() else {
            return Err(DecodeErrorKind::InvalidOid);
        };
        *bytes = rest;
        acc = (acc << 7) | u64::from(b & 0x7f);
        if acc > u64::from(u32::MAX) + 80 {
            return Err(DecodeErrorKind::InvalidOid);
        }
        if b < 0x80 {
            return Ok(acc);
        }
    }
}

/// The high bit of each byte of a word.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// The last `left` bytes of `content` (fewer than eight) as the low bytes
/// of a little-endian word, the bytes above them with their high bit set
/// (they stop a run of one-byte sub-identifiers).
///
/// One load of the last eight bytes when `content` has them (contents of
/// eight bytes or more: nearly every OID), else a copy byte by byte.
#[inline(always)]
fn tail_word(content: &[u8], left: usize) -> u64 {
    debug_assert!(left < 8 && left <= content.len());
    // `left` bytes kept; the 8 - left above them are ones of HIGH_BITS.
    let pad = HIGH_BITS << (8 * left);
    match content.last_chunk::<8>() {
        // The word's top `left` bytes are the tail: shifted down. `left`
        // is 0 only at the end of the contents; then all is padding.
        Some(last) if left > 0 => (u64::from_le_bytes(*last) >> (64 - 8 * left as u32)) | pad,
        Some(_) => pad,
        None => {
            let tail = &content[content.len() - left..];
            let mut word = [0x80; 8];
            // A loop, not copy_from_slice: seven bytes at most, cheaper
            // than a call to memcpy.
            for (w, &b) in word.iter_mut().zip(tail) {
                *w = b;
            }
            u64::from_le_bytes(word)
        }
    }
}

/// Decodes the sub-identifiers of `content` into `arcs`, whose length is
/// the most that are allowed; returns how many there are.
///
/// Sub-identifiers of one byte (below 128, most of every real OID) go
/// eight bytes at a time: the eight are widened into `arcs` together and
/// as many are kept as come before the first byte with its high bit set.
/// The ones written past those are overwritten by the next, or lie past
/// the length returned.
#[inline(always)]
fn decode_arcs(content: &[u8], arcs: &mut [u32]) -> Result<usize, DecodeErrorKind> {
    let (&first, mut bytes) = match content.split_first() {
        Some(split) => split,
        None => return Ok(0),
    };
    // The first encoded sub-identifier holds the first two (§8.19.4).
    let acc = if first < 0x80 {
        u64::from(first)
    } else {
        long_arc(first, &mut bytes)?
    };
    let (a, b) = match acc {
        0..40 => (0, acc),
        40..80 => (1, acc - 40),
        _ => (2, acc - 80),
    };
    let b = u32::try_from(b).map_err(|_| DecodeErrorKind::InvalidOid)?;
    match arcs {
        [x, y, ..] => {
            *x = a;
            *y = b;
        }
        _ => return Err(DecodeErrorKind::OidTooLong),
    }
    decode_rest(content, bytes, arcs, 2)
}

/// The sub-identifiers of `bytes`, the end of `content` that follows whole
/// sub-identifiers, into `arcs` from `arcs[n]` on (the `n` before it are
/// written); returns how many `arcs` holds then.
#[inline(always)]
fn decode_rest(
    content: &[u8],
    mut bytes: &[u8],
    arcs: &mut [u32],
    mut n: usize,
) -> Result<usize, DecodeErrorKind> {
    loop {
        if let Some(out) = arcs
            .get_mut(n..n + 8)
            .and_then(|out| <&mut [u32; 8]>::try_from(out).ok())
        {
            // Past the end, bytes with the high bit set stop the run.
            let word = match bytes.first_chunk::<8>() {
                Some(word) => u64::from_le_bytes(*word),
                // `bytes` is what is left of `content`: its end.
                None => tail_word(content, bytes.len()),
            };
            // Eight at once, into a slot of exactly eight: no bounds
            // checks.
            let widened = word.to_le_bytes();
            *out = std::array::from_fn(|i| u32::from(widened[i]));
            let run = ((word & HIGH_BITS).trailing_zeros() / 8) as usize;
            n += run;
            bytes = &bytes[run..];
            if run == 8 {
                continue;
            }
        }
        // One sub-identifier: of several bytes after a run, or of any
        // length where fewer than eight places are left.
        let Some((&b, rest)) = bytes.split_first() else {
            break;
        };
        bytes = rest;
        let arc = if b < 0x80 {
            u64::from(b)
        } else {
            long_arc(b, &mut bytes)?
        };
        let Some(slot) = arcs.get_mut(n) else {
            return Err(DecodeErrorKind::OidTooLong);
        };
        *slot = u32::try_from(arc).map_err(|_| DecodeErrorKind::InvalidOid)?;
        n += 1;
    }
    Ok(n)
}

// ---------------------------------------------------------------------
// Encoding: callers compute content lengths first, then write forward.

/// Bytes taken by a definite length in minimal form.
#[inline]
pub(crate) fn len_len(len: usize) -> usize {
    match len {
        0..0x80 => 1,
        0x80..0x100 => 2,
        0x100..0x1_0000 => 3,
        0x1_0000..0x100_0000 => 4,
        _ => 5,
    }
}

/// Bytes taken by an element whose contents take `content` bytes.
#[inline]
pub(crate) fn tlv_len(content: usize) -> usize {
    1 + len_len(content) + content
}

#[inline]
pub(crate) fn put_header<B: BufMut>(buf: &mut B, tag: u8, len: usize) {
    buf.put_u8(tag);
    match len_len(len) {
        1 => buf.put_u8(len as u8),
        n => {
            buf.put_u8(0x80 | (n - 1) as u8);
            for i in (0..n - 1).rev() {
                buf.put_u8((len >> (8 * i)) as u8);
            }
        }
    }
}

/// Content bytes of a signed-minimal INTEGER: its significant bits and a
/// sign bit, in whole bytes (1 to 8). `v ^ (v >> 63)` turns the leading
/// sign bits of a negative value into zeros.
#[inline]
pub(crate) fn int_len(v: i64) -> usize {
    let leading = (v ^ (v >> 63)).leading_zeros() as usize;
    (72 - leading) / 8
}

#[inline]
pub(crate) fn put_int<B: BufMut>(buf: &mut B, tag: u8, v: i64) {
    let n = int_len(v);
    buf.put_u8(tag);
    buf.put_u8(n as u8);
    for i in (0..n).rev() {
        buf.put_u8((v >> (8 * i)) as u8);
    }
}

/// Content bytes of an unsigned integer with a leading zero byte when its
/// high bit is set (so it reads as positive).
#[inline]
pub(crate) fn uint_len(v: u64) -> usize {
    let bits = 64 - v.leading_zeros() as usize;
    bits / 8 + 1
}

#[inline]
pub(crate) fn put_uint<B: BufMut>(buf: &mut B, tag: u8, v: u64) {
    let n = uint_len(v);
    buf.put_u8(tag);
    buf.put_u8(n as u8);
    for i in (0..n).rev() {
        buf.put_u8(if i >= 8 { 0 } else { (v >> (8 * i)) as u8 });
    }
}

#[inline]
fn arc_len(v: u64) -> usize {
    let bits = (64 - v.leading_zeros() as usize).max(1);
    bits.div_ceil(7)
}

/// Writes `v` base 128 at `out[*n..]` (X.690 §8.19.2), at most 5 bytes.
#[inline]
fn write_arc(out: &mut [u8; OID_CHUNK], n: &mut usize, v: u64) {
    if v < 0x80 {
        out[*n] = v as u8;
        *n += 1;
        return;
    }
    let len = arc_len(v);
    for i in (0..len).rev() {
        let b = ((v >> (7 * i)) & 0x7f) as u8;
        out[*n] = if i == 0 { b } else { b | 0x80 };
        *n += 1;
    }
}

/// The first encoded sub-identifier: `first * 40 + second`.
fn first_arc(oid: &Oid) -> Option<u64> {
    match oid.arcs() {
        [] => None,
        [a] => Some(u64::from(*a) * 40),
        [a, b, ..] => Some(u64::from(*a) * 40 + u64::from(*b)),
    }
}

/// Bytes of one sub-identifier after the first two: 1 below 2^7, … 5 from
/// 2^28.
#[inline]
fn arc32_len(a: u32) -> usize {
    1 + usize::from(a >= 1 << 7)
        + usize::from(a >= 1 << 14)
        + usize::from(a >= 1 << 21)
        + usize::from(a >= 1 << 28)
}

pub(crate) fn oid_len(oid: &Oid) -> usize {
    let Some(first) = first_arc(oid) else {
        return 0;
    };
    let rest = oid.arcs().get(2..).unwrap_or_default();
    arc_len(first) + rest.iter().map(|&a| arc32_len(a)).sum::<usize>()
}

pub(crate) fn put_oid<B: BufMut>(buf: &mut B, tag: u8, oid: &Oid) {
    put_oid_with_len(buf, tag, oid, oid_len(oid));
}

/// The stack buffer an OID's contents are written through: a 128-arc OID
/// of one-byte arcs in one copy.
const OID_CHUNK: usize = 128;

/// [`put_oid`] when the caller has computed [`oid_len`] already.
///
/// The contents go through a stack buffer, one `put_slice` per
/// [`OID_CHUNK`] bytes, instead of a `put_u8` (and its capacity check) per
/// byte.
pub(crate) fn put_oid_with_len<B: BufMut>(buf: &mut B, tag: u8, oid: &Oid, len: usize) {
    put_header(buf, tag, len);
    let Some(first) = first_arc(oid) else {
        return;
    };
    let mut chunk = [0u8; OID_CHUNK];
    let mut n = 0;
    write_arc(&mut chunk, &mut n, first);
    for &a in oid.arcs().get(2..).unwrap_or_default() {
        if n > OID_CHUNK - 5 {
            buf.put_slice(&chunk[..n]);
            n = 0;
        }
        write_arc(&mut chunk, &mut n, u64::from(a));
    }
    buf.put_slice(&chunk[..n]);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::oid;

    /// The decoder before the fast one: one checked push per sub-identifier.
    fn decode_oid_by_push(content: &[u8]) -> Result<Oid, DecodeErrorKind> {
        let mut oid = Oid::empty();
        let mut acc: u64 = 0;
        let mut in_arc = false;
        for &b in content {
            acc = (acc << 7) | u64::from(b & 0x7f);
            if acc > u64::from(u32::MAX) + 80 {
                return Err(DecodeErrorKind::InvalidOid);
            }
            in_arc = true;
            if b & 0x80 == 0 {
                if oid.is_empty() {
                    let (first, second) = match acc {
                        0..40 => (0, acc),
                        40..80 => (1, acc - 40),
                        _ => (2, acc - 80),
                    };
                    oid.push(first);
                    oid.push(u32::try_from(second).map_err(|_| DecodeErrorKind::InvalidOid)?);
                } else {
                    if oid.len() >= MAX_OID_LEN {
                        return Err(DecodeErrorKind::OidTooLong);
                    }
                    oid.push(u32::try_from(acc).map_err(|_| DecodeErrorKind::InvalidOid)?);
                }
                acc = 0;
                in_arc = false;
            }
        }
        if in_arc {
            return Err(DecodeErrorKind::InvalidOid);
        }
        Ok(oid)
    }

    /// Contents biased towards what breaks OID decoders: continuation
    /// bytes, 0x80 padding, 0xff runs, and lengths around the inline size
    /// and the 128 sub-identifier limit.
    fn oid_contents() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            4 => 0u8..0x80,
            2 => 0x80u8..=0xff,
            1 => Just(0x80u8),
            1 => Just(0xffu8),
            1 => Just(0x8fu8),
        ];
        prop_oneof![
            prop::collection::vec(byte.clone(), 0..40),
            prop::collection::vec(byte, 120..140),
            prop::collection::vec(0u8..0x80, 125..132),
        ]
    }

    proptest! {
        #[test]
        fn fast_oid_decoder_matches_the_checked_one(content in oid_contents()) {
            let want = decode_oid_by_push(&content);
            prop_assert_eq!(&decode_oid(&content), &want);
            // In place, over a short and a long OID decoded before.
            for before in [oid!(1, 3, 6, 1, 2, 1), Oid::from_slice(&[1; 40][..])] {
                let mut oid = before;
                let got = decode_oid_into(&content, &mut oid).map(|()| oid);
                prop_assert_eq!(&got, &want);
            }
        }

        #[test]
        fn oids_round_trip(
            first in 0u32..3,
            second in 0u32..40,
            // One-byte arcs mostly, as real OIDs; every length up to 5 bytes.
            rest in prop::collection::vec(prop_oneof![4 => 0u32..0x80, 1 => any::<u32>()], 0..127),
        ) {
            let mut arcs = vec![first, second];
            arcs.extend(rest);
            arcs.truncate(MAX_OID_LEN);
            let o = Oid::from_slice(&arcs);
            let mut b = BytesMut::new();
            put_oid(&mut b, TAG_OID, &o);
            prop_assert_eq!(b.len(), tlv_len(oid_len(&o)));
            let content = Reader::new(&b).tlv().unwrap().content;
            prop_assert_eq!(decode_oid(content), Ok(o));
        }
    }

    #[test]
    fn oid_limits() {
        // 128 sub-identifiers (the first byte holds two), then one more.
        let mut c = vec![0x2b; 127];
        assert_eq!(decode_oid(&c).unwrap().len(), 128);
        c.push(1);
        assert_eq!(decode_oid(&c), Err(DecodeErrorKind::OidTooLong));
        // A truncated arc past the limit is a truncated arc.
        c[127] = 0x81;
        assert_eq!(decode_oid(&c), Err(DecodeErrorKind::InvalidOid));
        // The first encoded sub-identifier may reach u32::MAX + 80.
        let mut b = BytesMut::new();
        put_oid(&mut b, TAG_OID, &Oid::from_slice(&[2, u32::MAX - 80]));
        assert_eq!(decode_oid(&b[2..]).unwrap().arcs(), &[2, u32::MAX - 80]);
        assert_eq!(
            decode_oid(&[0x90, 0x80, 0x80, 0x80, 0x4f]).unwrap().arcs(),
            &[2, u32::MAX]
        );
        assert_eq!(
            decode_oid(&[0x90, 0x80, 0x80, 0x80, 0x50]),
            Err(DecodeErrorKind::InvalidOid)
        );
        // Later sub-identifiers stop at u32::MAX.
        assert_eq!(
            decode_oid(&[0x2b, 0x8f, 0xff, 0xff, 0xff, 0x7f])
                .unwrap()
                .arcs(),
            &[1, 3, u32::MAX]
        );
        assert_eq!(
            decode_oid(&[0x2b, 0x90, 0x80, 0x80, 0x80, 0x00]),
            Err(DecodeErrorKind::InvalidOid)
        );
        for c in [&[0x80][..], &[0xff], &[0x2b, 0x80], &[0x2b, 1, 0xff, 0xff]] {
            assert_eq!(decode_oid(c), Err(DecodeErrorKind::InvalidOid), "{c:x?}");
        }
    }

    fn int(bytes: &[u8]) -> Option<i64> {
        decode_signed(bytes)
    }

    proptest! {
        /// The short paths read what the general ones do, for contents of
        /// every length around them.
        #[test]
        fn short_integers_read_as_the_general_decoders(
            content in prop::collection::vec(any::<u8>(), 0..7),
        ) {
            let tlv = Tlv { tag: TAG_INTEGER, offset: 0, start: 2, content: &content };
            let general = decode_signed(&content)
                .and_then(|v| i32::try_from(v).ok())
                .ok_or_else(|| tlv.err(DecodeErrorKind::IntegerOverflow));
            prop_assert_eq!(tlv.i32(), general);
            if let Some(v) = short_signed(&content) {
                prop_assert_eq!(Ok(v), general);
            }
            let general = decode_unsigned(&content, 4)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| tlv.err(DecodeErrorKind::IntegerOverflow));
            prop_assert_eq!(tlv.u32(), general);
            if let Some(v) = short_unsigned(&content) {
                prop_assert_eq!(Ok(v), general);
            }
        }
    }

    proptest! {
        /// Every i64 is written in the fewest bytes that read back as it
        /// (X.690 §8.3.2: the first nine bits are never all equal).
        #[test]
        fn integers_are_written_minimal(v in any::<i64>(), shift in 0u32..64) {
            for v in [v, v >> shift] {
                let mut b = BytesMut::new();
                put_int(&mut b, TAG_INTEGER, v);
                let content = &b[2..];
                prop_assert_eq!(int(content), Some(v));
                prop_assert_eq!(content.len(), int_len(v));
                if let [first, second, ..] = *content {
                    let redundant = (first == 0x00 && second < 0x80)
                        || (first == 0xff && second >= 0x80);
                    prop_assert!(!redundant, "{} as {:02x?}", v, content);
                }
            }
        }
    }

    #[test]
    fn signed_integers() {
        assert_eq!(int(&[]), Some(0));
        assert_eq!(int(&[0x7f]), Some(127));
        assert_eq!(int(&[0x80]), Some(-128));
        assert_eq!(int(&[0x00, 0x80]), Some(128));
        assert_eq!(
            int(&[0xff, 0xff, 0xff, 0xff, 0xfe]),
            Some(-2),
            "non-minimal"
        );
        assert_eq!(int(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), Some(1), "non-minimal");
        assert_eq!(int(&[1, 0, 0, 0, 0, 0, 0, 0, 0]), None);
        for v in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            -129,
            255,
            256,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ] {
            let mut b = BytesMut::new();
            put_int(&mut b, TAG_INTEGER, v);
            assert_eq!(usize::from(b[1]), b.len() - 2);
            assert_eq!(int(&b[2..]), Some(v), "{v}");
            assert_eq!(int_len(v), b.len() - 2);
        }
    }

    #[test]
    fn unsigned_integers() {
        assert_eq!(
            decode_unsigned(&[0xff, 0xff, 0xff, 0xff], 4),
            Some(u32::MAX as u64)
        );
        assert_eq!(
            decode_unsigned(&[0x00, 0xff, 0xff, 0xff, 0xff], 4),
            Some(u32::MAX as u64)
        );
        assert_eq!(decode_unsigned(&[0x01, 0, 0, 0, 0], 4), None);
        for v in [0u64, 1, 127, 128, 255, 256, u32::MAX as u64, u64::MAX] {
            let mut b = BytesMut::new();
            put_uint(&mut b, TAG_COUNTER64, v);
            assert_eq!(decode_unsigned(&b[2..], 8), Some(v));
            assert_eq!(b[2] & 0x80, 0, "positive in strict BER");
        }
    }

    #[test]
    fn lengths() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 1 << 24] {
            let mut b = BytesMut::new();
            put_header(&mut b, TAG_OCTET_STRING, len);
            b.resize(b.len() + len, 0);
            let tlv = Reader::new(&b).tlv().unwrap();
            assert_eq!(tlv.content.len(), len);
            assert_eq!(tlv_len(len), b.len());
        }
        // Non-minimal long form.
        let b = [0x04, 0x84, 0, 0, 0, 2, b'h', b'i'];
        assert_eq!(Reader::new(&b).tlv().unwrap().content, b"hi");
        let e = Reader::new(&[0x04, 0x80, 0, 0]).tlv().unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::IndefiniteLength);
        let e = Reader::new(&[0x04, 0x85, 1, 0, 0, 0, 0]).tlv().unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::LengthOverflow);
        let e = Reader::new(&[0x04, 0x84, 0xff, 0xff, 0xff, 0xff])
            .tlv()
            .unwrap_err();
        assert_eq!(e.kind, DecodeErrorKind::Truncated);
    }

    #[test]
    fn oids() {
        let o: Oid = "1.3.6.1.4.1.2680.1.2.7.3.2.0".parse().unwrap();
        let mut b = BytesMut::new();
        put_oid(&mut b, TAG_OID, &o);
        assert_eq!(
            &b[..],
            &[6, 13, 0x2b, 6, 1, 4, 1, 0x94, 0x78, 1, 2, 7, 3, 2, 0]
        );
        assert_eq!(decode_oid(&b[2..]).unwrap(), o);
        let o: Oid = "2.999.4294967295".parse().unwrap();
        let mut b = BytesMut::new();
        put_oid(&mut b, TAG_OID, &o);
        assert_eq!(decode_oid(&b[2..]).unwrap(), o);
        assert_eq!(decode_oid(&[0x2b, 0x86]), Err(DecodeErrorKind::InvalidOid));
        assert_eq!(
            decode_oid(&[0x2b, 0x90, 0x80, 0x80, 0x80, 0x80, 0]),
            Err(DecodeErrorKind::InvalidOid)
        );
        assert_eq!(decode_oid(&[]).unwrap(), Oid::empty());
    }
}
