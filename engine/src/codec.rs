//! Encoding and decoding of community-based messages (RFC 1157 §4,
//! RFC 1901 §3, RFC 3416 §3).

use std::net::Ipv4Addr;

use bytes::{BufMut, Bytes};

use crate::ber::*;
use crate::{
    AnyPdu, DecodeError, DecodeErrorKind, Message, Oid, Pdu, PduType, RequestPdu, RequestVarBinds,
    TrapV1Pdu, Value, VarBind, Version,
};

impl Message {
    /// A message with a PDU other than SNMPv1's Trap.
    pub fn new(version: Version, community: impl Into<Bytes>, pdu: Pdu) -> Self {
        Self {
            version,
            community: community.into(),
            pdu: AnyPdu::Pdu(pdu),
        }
    }

    /// The number of bytes [`Message::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        tlv_len(self.content_len(pdu_content_len(&self.pdu)))
    }

    fn content_len(&self, lens: PduLens) -> usize {
        tlv_len(int_len(self.version.wire().into()))
            + tlv_len(self.community.len())
            + tlv_len(lens.pdu)
    }

    /// Appends the BER encoding of the message to `buf` (a `BytesMut`, a
    /// `Vec<u8>`, …).
    ///
    /// The encoding is canonical: minimal lengths, signed-minimal integers.
    pub fn encode<B: BufMut>(&self, buf: &mut B) {
        self.write(buf, pdu_content_len(&self.pdu));
    }

    /// The encoded message in a `Vec` of exactly its size.
    pub fn to_vec(&self) -> Vec<u8> {
        // Every length is computed once: here, and for each varbind while
        // it is written.
        let lens = pdu_content_len(&self.pdu);
        let mut buf = Vec::with_capacity(tlv_len(self.content_len(lens)));
        self.write(&mut buf, lens);
        buf
    }

    /// The encoded message as `Bytes`.
    pub fn to_bytes(&self) -> Bytes {
        Bytes::from(self.to_vec())
    }

    fn write<B: BufMut>(&self, buf: &mut B, lens: PduLens) {
        put_header(buf, TAG_SEQUENCE, self.content_len(lens));
        put_int(buf, TAG_INTEGER, self.version.wire().into());
        put_header(buf, TAG_OCTET_STRING, self.community.len());
        buf.put_slice(&self.community);
        encode_pdu(buf, &self.pdu, lens);
    }

    /// Decodes an SNMPv1 or SNMPv2c message.
    ///
    /// OctetString and Opaque values share the memory of `bytes`.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] if the message is not well-formed BER of RFC 3416's
    /// syntax, or its version is not 0 or 1.
    pub fn decode(bytes: &Bytes) -> Result<Message, DecodeError> {
        let header = MessageHeader::decode(bytes)?;
        let pdu = match header.trap {
            None => AnyPdu::Pdu(Pdu {
                pdu_type: header.pdu_type,
                request_id: header.request_id,
                error_status: header.error_status,
                error_index: header.error_index,
                varbinds: header.varbinds(bytes)?,
            }),
            Some(reader) => AnyPdu::TrapV1(decode_trap_v1(reader, bytes)?),
        };
        Ok(Message {
            version: header.version,
            community: bytes.slice_ref(header.community),
            pdu,
        })
    }
}

/// The outer fields of a community-based message, read without allocating:
/// what the dispatcher needs to find and check the request a response
/// answers. The varbinds are decoded on demand.
#[derive(Debug, Clone, Copy)]
pub struct MessageHeader<'a> {
    /// The message version ([`Version::V1`] or [`Version::V2c`]).
    pub version: Version,
    /// The community, as sent.
    pub community: &'a [u8],
    /// The PDU type.
    pub pdu_type: PduType,
    /// request-id (0 for an SNMPv1 Trap).
    pub request_id: i32,
    /// error-status (non-repeaters for GetBulkRequest).
    pub error_status: i32,
    /// error-index (max-repetitions for GetBulkRequest).
    pub error_index: i32,
    varbinds: Reader<'a>,
    trap: Option<Reader<'a>>,
}

// Bytes after the varbind list inside the PDU, and after the PDU inside the
// message, are ignored, as net-snmp and snmp-parser do; inside a varbind
// they are an error.

impl<'a> MessageHeader<'a> {
    /// Reads the outer fields of an SNMPv1 or SNMPv2c message.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] if the outer fields are malformed, the version is not
    /// 0 or 1 (SNMPv3 messages are [`DecodeErrorKind::UnknownVersion`]
    /// here), or the PDU tag is unknown.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        match Self::decode_common(bytes) {
            Some(header) => Ok(header),
            None => Self::decode_general(bytes),
        }
    }

    /// [`MessageHeader::decode`] of any message, element by element.
    fn decode_general(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        // Bytes after the message are ignored, as net-snmp does.
        let mut outer = Reader::new(bytes);
        let msg = outer.expect(TAG_SEQUENCE)?;
        let mut r = msg.reader();
        let version_tlv = r.expect(TAG_INTEGER)?;
        let version_num = version_tlv.i64()?;
        let version = match Version::from_wire(version_num) {
            Some(v @ (Version::V1 | Version::V2c)) => v,
            _ => return Err(version_tlv.err(DecodeErrorKind::UnknownVersion(version_num))),
        };
        let community = r.expect(TAG_OCTET_STRING)?.content;
        let pdu = r.tlv()?;
        let pdu_type = PduType::from_tag(pdu.tag)
            .ok_or_else(|| pdu.err(DecodeErrorKind::UnknownPduType(pdu.tag)))?;
        let mut p = pdu.reader();
        if pdu_type == PduType::TrapV1 {
            return Ok(Self {
                version,
                community,
                pdu_type,
                request_id: 0,
                error_status: 0,
                error_index: 0,
                varbinds: Reader::new(&[]),
                trap: Some(p),
            });
        }
        let request_id = p.expect(TAG_INTEGER)?.i32()?;
        let error_status = p.expect(TAG_INTEGER)?.i32()?;
        let error_index = p.expect(TAG_INTEGER)?.i32()?;
        let varbinds = p.expect(TAG_SEQUENCE)?.reader();
        Ok(Self {
            version,
            community,
            pdu_type,
            request_id,
            error_status,
            error_index,
            varbinds,
            trap: None,
        })
    }

    /// [`MessageHeader::decode`] of a message of the usual shape, in one
    /// pass with no error to build: lengths of at most two bytes, version 0
    /// or 1 in one byte, request-id, error-status and error-index of one to
    /// four bytes, not a Trap-v1. `None` for anything else, which the
    /// general path then decodes (or rejects with its error); what this
    /// accepts, the general path accepts with the same fields.
    #[inline]
    fn decode_common(bytes: &'a [u8]) -> Option<Self> {
        let mut s = Scan { bytes, at: 0 };
        let message = s.enter(TAG_SEQUENCE, bytes.len())?;
        let version = match s.element(TAG_INTEGER, message)? {
            [0] => Version::V1,
            [1] => Version::V2c,
            _ => return None,
        };
        let community = s.element(TAG_OCTET_STRING, message)?;
        let tag = *bytes.get(s.at)?;
        let pdu_type = PduType::from_tag(tag).filter(|t| *t != PduType::TrapV1)?;
        let pdu = s.enter(tag, message)?;
        let request_id = short_signed(s.element(TAG_INTEGER, pdu)?)?;
        let error_status = short_signed(s.element(TAG_INTEGER, pdu)?)?;
        let error_index = short_signed(s.element(TAG_INTEGER, pdu)?)?;
        let list = s.enter(TAG_SEQUENCE, pdu)?;
        Some(Self {
            version,
            community,
            pdu_type,
            request_id,
            error_status,
            error_index,
            varbinds: Reader::of_span(bytes, s.at..list)?,
            trap: None,
        })
    }

    /// Decodes the variable-bindings (none for a Trap-v1: use
    /// [`Message::decode`]). `bytes` must be the buffer the header was
    /// decoded from; OctetString and Opaque values share its memory.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] if a varbind is malformed, or `bytes` is shorter than
    /// the buffer the header was decoded from.
    pub fn varbinds(&self, bytes: &Bytes) -> Result<Vec<VarBind>, DecodeError> {
        decode_varbinds(self.varbinds, bytes)
    }

    /// Where the varbinds lie in the message, for [`varbinds_at`] to
    /// decode later.
    pub(crate) fn varbinds_span(&self) -> std::ops::Range<usize> {
        self.varbinds.span()
    }
}

/// A cursor for the one-pass header paths ([`MessageHeader::decode_common`],
/// [`HeaderV3::decode`](crate::v3::HeaderV3::decode)): elements of a tag
/// and a length of at most two bytes, each inside its parent, or `None`.
pub(crate) struct Scan<'a> {
    pub(crate) bytes: &'a [u8],
    /// The offset of the next element.
    pub(crate) at: usize,
}

impl<'a> Scan<'a> {
    /// The element at the cursor, if it has `tag`, a length of at most two
    /// bytes, and contents that end by `limit`: where its contents start
    /// and end.
    #[inline(always)]
    fn header(&self, tag: u8, limit: usize) -> Option<(usize, usize)> {
        let b = self.bytes;
        let i = self.at;
        if *b.get(i)? != tag {
            return None;
        }
        let (len, start) = match *b.get(i + 1)? {
            short @ 0..=0x7f => (usize::from(short), i + 2),
            0x81 => (usize::from(*b.get(i + 2)?), i + 3),
            0x82 => (
                usize::from(*b.get(i + 2)?) << 8 | usize::from(*b.get(i + 3)?),
                i + 4,
            ),
            _ => return None,
        };
        let end = start + len;
        (end <= limit).then_some((start, end))
    }

    /// Moves into a constructed element; the end of its contents.
    #[inline]
    pub(crate) fn enter(&mut self, tag: u8, limit: usize) -> Option<usize> {
        let (start, end) = self.header(tag, limit)?;
        self.at = start;
        Some(end)
    }

    /// Moves past a primitive element; its contents.
    #[inline(always)]
    pub(crate) fn element(&mut self, tag: u8, limit: usize) -> Option<&'a [u8]> {
        let (start, end) = self.header(tag, limit)?;
        self.at = end;
        self.bytes.get(start..end)
    }

    /// Moves past an element; the element, as [`Reader::tlv`] reads it
    /// from the start of the message.
    #[inline]
    pub(crate) fn tlv(&mut self, tag: u8, limit: usize) -> Option<Tlv<'a>> {
        let offset = self.at;
        let (start, end) = self.header(tag, limit)?;
        self.at = end;
        Some(Tlv {
            tag,
            offset,
            start,
            content: self.bytes.get(start..end)?,
        })
    }
}

/// The varbinds at `span` of `bytes`, a message whose
/// [`MessageHeader::varbinds_span`] it is: as [`MessageHeader::varbinds`]
/// decodes them, with the same errors and offsets.
pub(crate) fn varbinds_at(
    bytes: &Bytes,
    span: std::ops::Range<usize>,
) -> Result<Vec<VarBind>, DecodeError> {
    let offset = span.start;
    let r = Reader::of_span(bytes, span).ok_or(DecodeError {
        kind: DecodeErrorKind::Truncated,
        offset,
    })?;
    decode_varbinds(r, bytes)
}

pub(crate) fn decode_varbinds(
    mut r: Reader<'_>,
    bytes: &Bytes,
) -> Result<Vec<VarBind>, DecodeError> {
    // Counted first (headers only), so that the Vec is allocated once, at
    // its size: a GET of one varbind takes one VarBind, not Vec's four.
    // Only what could be a varbind counts (a SEQUENCE of at least an OID
    // and a NULL), and at most 1,024: garbage does not get to reserve more
    // than it could fill.
    let mut count = r;
    let mut n = 0;
    while n < 1024 {
        match count.tlv() {
            Ok(t) if t.tag == TAG_SEQUENCE && t.content.len() >= 5 => n += 1,
            _ => break,
        }
    }
    // Filled with placeholders first (constants, written straight to the
    // heap), then each varbind is decoded in its place: no VarBind is built
    // and then moved, which costs more than decoding one.
    let mut out = Vec::with_capacity(n);
    out.resize_with(n, || VarBind::null(Oid::placeholder()));
    let mut decoded = 0;
    // The contents of the OID decoded last: an OID that differs from it in
    // its last sub-identifier only copies the others.
    let mut prev: &[u8] = &[];
    while !r.is_empty() {
        if decoded == out.len() {
            // More than were counted (short or past the first 1,024).
            out.push(VarBind::null(Oid::placeholder()));
        }
        let (done, rest) = out.split_at_mut(decoded);
        let slot = &mut rest[0];
        if let Some((oid_tlv, value_tlv)) = r.short_varbind() {
            match done.last() {
                Some(before) if !prev.is_empty() => {
                    decode_oid_after(oid_tlv.content, &mut slot.oid, prev, &before.oid)
                        .map_err(|kind| oid_tlv.err(kind))?;
                }
                _ => oid_tlv.oid_into(&mut slot.oid)?,
            }
            prev = oid_tlv.content;
            decode_value_into(value_tlv, bytes, &mut slot.value)?;
        } else {
            // Long-form lengths, or something wrong: element by element.
            let mut vb = r.expect(TAG_SEQUENCE)?.reader();
            let oid_tlv = vb.expect(TAG_OID)?;
            oid_tlv.oid_into(&mut slot.oid)?;
            prev = oid_tlv.content;
            decode_value_into(vb.tlv()?, bytes, &mut slot.value)?;
            vb.finish()?;
        }
        decoded += 1;
    }
    out.truncate(decoded);
    Ok(out)
}

fn slice(bytes: &Bytes, tlv: &Tlv<'_>) -> Result<Bytes, DecodeError> {
    let end = tlv.start + tlv.content.len();
    if end > bytes.len() {
        // Only when a caller passes another buffer than it decoded.
        return Err(tlv.err(DecodeErrorKind::Truncated));
    }
    Ok(bytes.slice(tlv.start..end))
}

/// Decodes a varbind's value into `value`, which is some valid value on
/// error.
#[inline]
fn decode_value_into(tlv: Tlv<'_>, bytes: &Bytes, value: &mut Value) -> Result<(), DecodeError> {
    // Each arm writes its variant to `value` directly, not through a
    // temporary Value.
    match tlv.tag {
        TAG_INTEGER => *value = Value::Integer(tlv.i32()?),
        TAG_OCTET_STRING => *value = Value::OctetString(slice(bytes, &tlv)?),
        TAG_NULL => {
            tlv.null()?;
            *value = Value::Null;
        }
        TAG_OID => {
            if let Value::ObjectIdentifier(oid) = value {
                tlv.oid_into(oid)?;
            } else {
                *value = Value::ObjectIdentifier(tlv.oid()?);
            }
        }
        TAG_IP_ADDRESS => *value = Value::IpAddress(ipv4(&tlv)?),
        TAG_COUNTER32 => *value = Value::Counter32(tlv.u32()?),
        TAG_GAUGE32 => *value = Value::Gauge32(tlv.u32()?),
        TAG_TIMETICKS => *value = Value::TimeTicks(tlv.u32()?),
        TAG_OPAQUE => *value = Value::Opaque(slice(bytes, &tlv)?),
        TAG_COUNTER64 => *value = Value::Counter64(tlv.u64()?),
        TAG_NO_SUCH_OBJECT => {
            tlv.null()?;
            *value = Value::NoSuchObject;
        }
        TAG_NO_SUCH_INSTANCE => {
            tlv.null()?;
            *value = Value::NoSuchInstance;
        }
        TAG_END_OF_MIB_VIEW => {
            tlv.null()?;
            *value = Value::EndOfMibView;
        }
        other => return Err(tlv.err(DecodeErrorKind::UnknownValueTag(other))),
    }
    Ok(())
}

fn ipv4(tlv: &Tlv<'_>) -> Result<Ipv4Addr, DecodeError> {
    <[u8; 4]>::try_from(tlv.content)
        .map(Ipv4Addr::from)
        .map_err(|_| tlv.err(DecodeErrorKind::InvalidIpAddress))
}

fn decode_trap_v1(mut r: Reader<'_>, bytes: &Bytes) -> Result<TrapV1Pdu, DecodeError> {
    let enterprise = r.expect(TAG_OID)?.oid()?;
    let agent_addr = ipv4(&r.expect(TAG_IP_ADDRESS)?)?;
    let generic_trap = r.expect(TAG_INTEGER)?.i32()?;
    let specific_trap = r.expect(TAG_INTEGER)?.i32()?;
    let time_stamp = r.expect(TAG_TIMETICKS)?.u32()?;
    let varbinds = decode_varbinds(r.expect(TAG_SEQUENCE)?.reader(), bytes)?;
    Ok(TrapV1Pdu {
        enterprise,
        agent_addr,
        generic_trap,
        specific_trap,
        time_stamp,
        varbinds,
    })
}

// ---------------------------------------------------------------------
// Encoding

fn value_content_len(v: &Value) -> usize {
    match v {
        Value::Integer(i) => int_len((*i).into()),
        Value::OctetString(b) | Value::Opaque(b) => b.len(),
        Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => 0,
        Value::ObjectIdentifier(o) => oid_len(o),
        Value::IpAddress(_) => 4,
        Value::Counter32(u) | Value::Gauge32(u) | Value::TimeTicks(u) => uint_len((*u).into()),
        Value::Counter64(u) => uint_len(*u),
    }
}

fn varbind_content_len(vb: &VarBind) -> usize {
    tlv_len(oid_len(&vb.oid)) + tlv_len(value_content_len(&vb.value))
}

fn varbinds_content_len(vbs: &[VarBind]) -> usize {
    vbs.iter().map(|vb| tlv_len(varbind_content_len(vb))).sum()
}

pub(crate) fn pdu_content_len_of(p: &Pdu) -> usize {
    pdu_fields_len(p) + tlv_len(varbinds_content_len(&p.varbinds))
}

fn pdu_fields_len(p: &Pdu) -> usize {
    tlv_len(int_len(p.request_id.into()))
        + tlv_len(int_len(p.error_status.into()))
        + tlv_len(int_len(p.error_index.into()))
}

/// The contents of a PDU and of its varbind list, in bytes.
#[derive(Clone, Copy)]
struct PduLens {
    pdu: usize,
    varbinds: usize,
}

fn pdu_content_len(pdu: &AnyPdu) -> PduLens {
    match pdu {
        AnyPdu::Pdu(p) => {
            let varbinds = varbinds_content_len(&p.varbinds);
            PduLens {
                pdu: pdu_fields_len(p) + tlv_len(varbinds),
                varbinds,
            }
        }
        AnyPdu::TrapV1(t) => {
            let varbinds = varbinds_content_len(&t.varbinds);
            let pdu = tlv_len(oid_len(&t.enterprise))
                + tlv_len(4)
                + tlv_len(int_len(t.generic_trap.into()))
                + tlv_len(int_len(t.specific_trap.into()))
                + tlv_len(uint_len(t.time_stamp.into()))
                + tlv_len(varbinds);
            PduLens { pdu, varbinds }
        }
    }
}

/// Writes `pdu`, whose lengths are `lens`.
fn encode_pdu<B: BufMut>(buf: &mut B, pdu: &AnyPdu, lens: PduLens) {
    match pdu {
        AnyPdu::Pdu(p) => {
            put_header(buf, p.pdu_type.tag(), lens.pdu);
            put_int(buf, TAG_INTEGER, p.request_id.into());
            put_int(buf, TAG_INTEGER, p.error_status.into());
            put_int(buf, TAG_INTEGER, p.error_index.into());
            write_varbinds(buf, &p.varbinds, lens.varbinds);
        }
        AnyPdu::TrapV1(t) => {
            put_header(buf, PduType::TrapV1.tag(), lens.pdu);
            put_oid(buf, TAG_OID, &t.enterprise);
            put_header(buf, TAG_IP_ADDRESS, 4);
            buf.put_slice(&t.agent_addr.octets());
            put_int(buf, TAG_INTEGER, t.generic_trap.into());
            put_int(buf, TAG_INTEGER, t.specific_trap.into());
            put_uint(buf, TAG_TIMETICKS, t.time_stamp.into());
            write_varbinds(buf, &t.varbinds, lens.varbinds);
        }
    }
}

pub(crate) fn encode_varbinds<B: BufMut>(buf: &mut B, vbs: &[VarBind]) {
    write_varbinds(buf, vbs, varbinds_content_len(vbs));
}

/// Writes the varbind list, whose contents take `len` bytes.
fn write_varbinds<B: BufMut>(buf: &mut B, vbs: &[VarBind], len: usize) {
    put_header(buf, TAG_SEQUENCE, len);
    for vb in vbs {
        let oid_len = oid_len(&vb.oid);
        put_header(
            buf,
            TAG_SEQUENCE,
            tlv_len(oid_len) + tlv_len(value_content_len(&vb.value)),
        );
        put_oid_with_len(buf, TAG_OID, &vb.oid, oid_len);
        encode_value(buf, &vb.value);
    }
}

fn encode_value<B: BufMut>(buf: &mut B, v: &Value) {
    match v {
        Value::Integer(i) => put_int(buf, TAG_INTEGER, (*i).into()),
        Value::OctetString(b) => {
            put_header(buf, TAG_OCTET_STRING, b.len());
            buf.put_slice(b);
        }
        Value::Null => put_header(buf, TAG_NULL, 0),
        Value::ObjectIdentifier(o) => put_oid(buf, TAG_OID, o),
        Value::IpAddress(ip) => {
            put_header(buf, TAG_IP_ADDRESS, 4);
            buf.put_slice(&ip.octets());
        }
        Value::Counter32(u) => put_uint(buf, TAG_COUNTER32, (*u).into()),
        Value::Gauge32(u) => put_uint(buf, TAG_GAUGE32, (*u).into()),
        Value::TimeTicks(u) => put_uint(buf, TAG_TIMETICKS, (*u).into()),
        Value::Opaque(b) => {
            put_header(buf, TAG_OPAQUE, b.len());
            buf.put_slice(b);
        }
        Value::Counter64(u) => put_uint(buf, TAG_COUNTER64, *u),
        Value::NoSuchObject => put_header(buf, TAG_NO_SUCH_OBJECT, 0),
        Value::NoSuchInstance => put_header(buf, TAG_NO_SUCH_INSTANCE, 0),
        Value::EndOfMibView => put_header(buf, TAG_END_OF_MIB_VIEW, 0),
    }
}

// Requests that borrow their varbinds (RequestPdu).

impl RequestVarBinds<'_> {
    /// The contents of the varbind list, in bytes.
    fn content_len(&self) -> usize {
        match self {
            // Each: SEQUENCE { OID, NULL }.
            RequestVarBinds::Null(oids) => {
                oids.iter().map(|o| tlv_len(tlv_len(oid_len(o)) + 2)).sum()
            }
            RequestVarBinds::Values(vbs) => varbinds_content_len(vbs),
        }
    }

    fn write<B: BufMut>(&self, buf: &mut B, len: usize) {
        match self {
            RequestVarBinds::Null(oids) => {
                put_header(buf, TAG_SEQUENCE, len);
                for oid in oids.iter() {
                    let oid_len = oid_len(oid);
                    put_header(buf, TAG_SEQUENCE, tlv_len(oid_len) + 2);
                    put_oid_with_len(buf, TAG_OID, oid, oid_len);
                    buf.put_slice(&[TAG_NULL, 0]);
                }
            }
            RequestVarBinds::Values(vbs) => write_varbinds(buf, vbs, len),
        }
    }
}

/// The contents of a request PDU and of its varbind list, in bytes.
pub(crate) fn request_lens(pdu: &RequestPdu<'_>, request_id: i32) -> (usize, usize) {
    let varbinds = pdu.varbinds.content_len();
    let fields = tlv_len(int_len(request_id.into()))
        + tlv_len(int_len(pdu.error_status.into()))
        + tlv_len(int_len(pdu.error_index.into()));
    (fields + tlv_len(varbinds), varbinds)
}

/// Writes a request PDU whose lengths [`request_lens`] gave.
pub(crate) fn write_request<B: BufMut>(
    buf: &mut B,
    pdu: &RequestPdu<'_>,
    request_id: i32,
    (pdu_len, varbinds_len): (usize, usize),
) {
    put_header(buf, pdu.pdu_type.tag(), pdu_len);
    put_int(buf, TAG_INTEGER, request_id.into());
    put_int(buf, TAG_INTEGER, pdu.error_status.into());
    put_int(buf, TAG_INTEGER, pdu.error_index.into());
    pdu.varbinds.write(buf, varbinds_len);
}

impl RequestPdu<'_> {
    /// The community-based message (SNMPv1 or SNMPv2c) of this PDU with
    /// `request_id`, in a `Vec` of exactly its size: the same bytes as
    /// [`Message::to_vec`] of [`RequestPdu::to_pdu`], without building
    /// either.
    pub fn encode_message(&self, version: Version, community: &[u8], request_id: i32) -> Vec<u8> {
        let lens = request_lens(self, request_id);
        let content =
            tlv_len(int_len(version.wire().into())) + tlv_len(community.len()) + tlv_len(lens.0);
        let mut buf = Vec::with_capacity(tlv_len(content));
        put_header(&mut buf, TAG_SEQUENCE, content);
        put_int(&mut buf, TAG_INTEGER, version.wire().into());
        put_header(&mut buf, TAG_OCTET_STRING, community.len());
        buf.put_slice(community);
        write_request(&mut buf, self, request_id, lens);
        buf
    }

    /// [`RequestPdu::encode_message`] into `buf`, replacing what it held:
    /// a buffer used again for every message costs no allocation. The
    /// same bytes; `buf` may keep more capacity than they need.
    ///
    /// A request of NULL varbinds (GET, GETNEXT, GETBULK) is written from
    /// its end towards its start, so that each length is known when its
    /// header is written: every OID is encoded once, and no length is
    /// computed ahead.
    pub fn encode_message_into(
        &self,
        version: Version,
        community: &[u8],
        request_id: i32,
        buf: &mut Vec<u8>,
    ) {
        let RequestVarBinds::Null(oids) = self.varbinds else {
            *buf = self.encode_message(version, community, request_id);
            return;
        };
        let bound = 6 + 6 + 6 + community.len() + null_request_bound(oids);
        buf.clear();
        buf.resize(bound, 0);
        let mut w = Backward {
            buf: &mut buf[..],
            at: bound,
        };
        let end = w.at;
        w.null_request(self, oids, request_id);
        w.slice(community);
        w.header(TAG_OCTET_STRING, community.len());
        w.int(TAG_INTEGER, version.wire().into());
        w.header(TAG_SEQUENCE, end - w.at);
        let start = w.at;
        buf.copy_within(start.., 0);
        buf.truncate(bound - start);
    }
}

/// The most bytes [`Backward::null_request`] writes for `oids`: headers of
/// at most 6 bytes (lengths below 2^32), INTEGERs of at most 6 (i32s),
/// sub-identifiers of at most 5.
pub(crate) fn null_request_bound(oids: &[Oid]) -> usize {
    6 + 3 * 6 + 6 + oids.iter().map(|o| 14 + 5 * o.len()).sum::<usize>()
}

/// Writes BER backwards, from the end of `buf` to its start: `at` is where
/// the bytes written so far begin.
pub(crate) struct Backward<'a> {
    pub(crate) buf: &'a mut [u8],
    pub(crate) at: usize,
}

impl Backward<'_> {
    #[inline]
    fn u8(&mut self, b: u8) {
        self.at -= 1;
        self.buf[self.at] = b;
    }

    /// A request PDU of `pdu`'s type and error fields, `request_id` and a
    /// NULL varbind for each of `oids` (which are `pdu`'s).
    #[inline]
    pub(crate) fn null_request(&mut self, pdu: &RequestPdu<'_>, oids: &[Oid], request_id: i32) {
        let end = self.at;
        for oid in oids.iter().rev() {
            let varbind_end = self.at;
            self.slice(&[TAG_NULL, 0]);
            let oid_end = self.at;
            self.oid_content(oid);
            self.header(TAG_OID, oid_end - self.at);
            self.header(TAG_SEQUENCE, varbind_end - self.at);
        }
        self.header(TAG_SEQUENCE, end - self.at);
        self.int(TAG_INTEGER, pdu.error_index.into());
        self.int(TAG_INTEGER, pdu.error_status.into());
        self.int(TAG_INTEGER, request_id.into());
        self.header(pdu.pdu_type.tag(), end - self.at);
    }

    #[inline]
    pub(crate) fn slice(&mut self, s: &[u8]) {
        let start = self.at - s.len();
        self.buf[start..self.at].copy_from_slice(s);
        self.at = start;
    }

    /// A tag and the length of the contents written after it (X.690
    /// §8.1.3: short form below 128, else the fewest bytes).
    #[inline]
    pub(crate) fn header(&mut self, tag: u8, len: usize) {
        if len < 0x80 {
            self.u8(len as u8);
        } else {
            let mut rest = len;
            let mut n = 0u8;
            while rest > 0 {
                self.u8(rest as u8);
                rest >>= 8;
                n += 1;
            }
            self.u8(0x80 | n);
        }
        self.u8(tag);
    }

    /// A signed-minimal INTEGER (X.690 §8.3).
    #[inline]
    pub(crate) fn int(&mut self, tag: u8, v: i64) {
        let n = int_len(v);
        for i in 0..n {
            self.u8((v >> (8 * i)) as u8);
        }
        self.u8(n as u8);
        self.u8(tag);
    }

    /// One sub-identifier, base 128 (X.690 §8.19.2): the last 7 bits
    /// first.
    #[inline]
    fn arc(&mut self, mut v: u64) {
        self.u8((v & 0x7f) as u8);
        v >>= 7;
        while v > 0 {
            self.u8(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
    }

    /// The contents of an OID (X.690 §8.19): the first two arcs as one.
    fn oid_content(&mut self, oid: &Oid) {
        let arcs = oid.arcs();
        match arcs {
            [] => {}
            [a] => self.arc(u64::from(*a) * 40),
            [a, b, rest @ ..] => {
                for &r in rest.iter().rev() {
                    self.arc(u64::from(r));
                }
                self.arc(u64::from(*a) * 40 + u64::from(*b));
            }
        }
    }
}

/// The encoded size of one varbind, for callers that budget message sizes.
pub fn varbind_encoded_len(vb: &VarBind) -> usize {
    tlv_len(varbind_content_len(vb))
}

#[cfg(test)]
pub(crate) mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::oid;

    /// The varbind loop without [`Reader::short_varbind`]: element by
    /// element, as the general path reads them.
    fn decode_varbinds_by_element(bytes: &Bytes) -> Result<Vec<VarBind>, DecodeError> {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        while !r.is_empty() {
            let mut vb = r.expect(TAG_SEQUENCE)?.reader();
            let mut oid = Oid::placeholder();
            vb.expect(TAG_OID)?.oid_into(&mut oid)?;
            let mut value = Value::Null;
            decode_value_into(vb.tlv()?, bytes, &mut value)?;
            vb.finish()?;
            out.push(VarBind::new(oid, value));
        }
        Ok(out)
    }

    /// Checks `agrees` (whether a one-pass decoder took the bytes it is
    /// given; an error if the general path disagrees) on `message` followed
    /// by a few bytes, cut at every length, and with each of its bytes set
    /// to every value. How many of the changed messages it took.
    pub(crate) fn count_single_byte_changes(
        message: &[u8],
        agrees: impl Fn(&[u8]) -> Result<bool, String>,
    ) -> usize {
        let mut message = message.to_vec();
        message.extend_from_slice(&[0x30, 0x05, 0x00]);
        for cut in 0..message.len() {
            agrees(&message[..cut]).expect("the paths agree");
        }
        let mut taken = 0;
        for at in 0..message.len() {
            for byte in 0..=u8::MAX {
                let mut bytes = message.clone();
                bytes[at] = byte;
                if agrees(&bytes).expect("the paths agree") {
                    taken += 1;
                }
            }
        }
        taken
    }

    /// Whether the one-pass header path took `bytes`; an error if it took
    /// them and the general path rejects them or reads other fields.
    fn one_pass_agrees(bytes: &[u8]) -> Result<bool, String> {
        let Some(fast) = MessageHeader::decode_common(bytes) else {
            return Ok(false);
        };
        let general =
            MessageHeader::decode_general(bytes).map_err(|e| format!("{bytes:02x?}: {e}"))?;
        let same = fast.version == general.version
            && fast.community == general.community
            && fast.pdu_type == general.pdu_type
            && fast.request_id == general.request_id
            && fast.error_status == general.error_status
            && fast.error_index == general.error_index
            && fast.varbinds_span() == general.varbinds_span()
            && general.trap.is_none();
        same.then_some(true)
            .ok_or_else(|| format!("{bytes:02x?}: other fields"))
    }

    /// Every byte of a message (with bytes after it) set to every value, and
    /// every length cut: whatever the one-pass path takes, the general path
    /// takes alike. Each element's length checked against its parent, not
    /// only the buffer, is what this finds wrong first.
    #[test]
    fn the_one_pass_header_agrees_under_every_single_byte_change() {
        let varbinds = vec![
            VarBind::new(oid!(1, 3, 6, 1, 2, 1, 1, 3, 0), Value::TimeTicks(1234)),
            VarBind::new(
                oid!(1, 3, 6, 1, 2, 1, 1, 5, 0),
                Value::OctetString(Bytes::from_static(b"pdu")),
            ),
        ];
        let communities = [&b"public"[..], &[b'c'; 140][..]];
        let mut taken = 0;
        for community in communities {
            let pdu = Pdu::new(PduType::Response, 0x1234_5678, varbinds.clone());
            let message =
                Message::new(Version::V2c, Bytes::copy_from_slice(community), pdu).to_vec();
            taken += count_single_byte_changes(&message, one_pass_agrees);
        }
        assert!(taken > 1000, "the one-pass path took {taken} messages");
    }

    proptest::proptest! {
        /// What the one-pass header path accepts, the general path accepts
        /// with the same fields: messages with short and long-form lengths
        /// and integers of every size, and bytes after them, then one byte
        /// overwritten anywhere or the message cut short.
        #[test]
        fn the_one_pass_header_is_the_general_one(
            community in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            id in proptest::num::i32::ANY,
            status in proptest::prop_oneof![0i32..6, proptest::num::i32::ANY],
            n in 0u32..12,
            v1 in proptest::bool::ANY,
            pdu_tag in 0u8..9,
            damage in proptest::option::of((proptest::num::usize::ANY, proptest::num::u8::ANY)),
            cut in proptest::option::of(proptest::num::usize::ANY),
            trailing in proptest::collection::vec(proptest::num::u8::ANY, 0..4),
        ) {
            let varbinds = (0..n)
                .map(|i| VarBind::new(oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2).child(i), Value::Integer(i as i32)))
                .collect();
            let pdu_type = PduType::from_tag(0xa0 + pdu_tag).expect("a PDU tag");
            let mut pdu = Pdu::new(pdu_type, id, varbinds);
            pdu.error_status = status;
            pdu.error_index = status.wrapping_mul(7);
            let version = if v1 { Version::V1 } else { Version::V2c };
            let mut bytes = match pdu_type {
                // A Trap-v1 is not a Pdu: any bytes under its tag will do.
                PduType::TrapV1 => vec![0x30, 0x08, 0x02, 0x01, 0x00, 0x04, 0x00, 0xa4, 0x01, 0x00],
                _ => Message::new(version, Bytes::from(community.clone()), pdu).to_vec(),
            };
            // Ignored after the message, as net-snmp ignores it.
            bytes.extend_from_slice(&trailing);
            if let Some((at, byte)) = damage {
                if !bytes.is_empty() {
                    let at = at % bytes.len();
                    bytes[at] = byte;
                }
            }
            if let Some(cut) = cut {
                bytes.truncate(cut % (bytes.len() + 1));
            }
            let agreed = one_pass_agrees(&bytes);
            proptest::prop_assert!(agreed.is_ok(), "{:?}", agreed);
            if agreed == Ok(false) && damage.is_none() && cut.is_none() && pdu_type != PduType::TrapV1 {
                // Every undamaged message these make has the usual shape
                // (a community below 300 bytes: lengths of two bytes).
                proptest::prop_assert!(false, "declined an undamaged message");
            }
        }

        /// The backward encoding of a request of NULL varbinds gives the
        /// bytes of the message built and encoded forwards: OIDs of any
        /// arcs and length, long-form lengths, any ids and fields.
        #[test]
        fn a_request_encoded_backwards_is_the_message(
            oids in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::prop_oneof![0u32..3, 0u32..200, proptest::num::u32::ANY],
                    0..=crate::MAX_OID_LEN,
                ),
                0..8,
            ),
            community in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            id in proptest::num::i32::ANY,
            fields in (proptest::num::i32::ANY, proptest::num::i32::ANY),
            kind in 0u8..3,
            v1 in proptest::bool::ANY,
        ) {
            // The first two arcs made valid (X.690 §8.19.4).
            let oids: Vec<Oid> = oids
                .into_iter()
                .map(|mut a| {
                    if let Some(first) = a.first_mut() {
                        *first %= 3;
                    }
                    if a.len() >= 2 && a[0] < 2 {
                        a[1] %= 40;
                    }
                    Oid::from_slice(&a)
                })
                .collect();
            let version = if v1 { Version::V1 } else { Version::V2c };
            let mut pdu = match kind {
                0 => RequestPdu::null(PduType::GetRequest, &oids),
                1 => RequestPdu::null(PduType::GetNextRequest, &oids),
                _ => RequestPdu::get_bulk(0, 0, &oids),
            };
            (pdu.error_status, pdu.error_index) = fields;
            let want = Message::new(version, Bytes::from(community.clone()), pdu.to_pdu(id)).to_vec();
            let mut got = vec![1, 2, 3];
            pdu.encode_message_into(version, &community, id, &mut got);
            proptest::prop_assert_eq!(got, want);
        }

        /// The one-step read of short-form varbinds decodes what the
        /// element-by-element one does, and fails where and as it fails:
        /// varbinds with short and long-form headers, then one byte
        /// overwritten anywhere.
        #[test]
        fn short_varbinds_decode_as_element_by_element(
            varbinds in proptest::collection::vec(
                (
                    proptest::collection::vec(0u32..300, 0..20),
                    0u8..5,
                    proptest::collection::vec(proptest::num::u8::ANY, 0..140),
                    proptest::bool::ANY,
                ),
                0..6,
            ),
            damage in proptest::option::of((proptest::num::usize::ANY, proptest::num::u8::ANY)),
        ) {
            let mut list = BytesMut::new();
            for (arcs, kind, data, long) in &varbinds {
                let mut oid = oid!(1, 3);
                for &a in arcs {
                    oid = oid.child(a);
                }
                let value = match kind {
                    0 => Value::Integer(i32::from_le_bytes([data.len() as u8, 0, 0, 1])),
                    1 => Value::OctetString(Bytes::copy_from_slice(data)),
                    2 => Value::Counter32(data.len() as u32 * 1_000_003),
                    3 => Value::ObjectIdentifier(oid.clone()),
                    _ => Value::Null,
                };
                let mut contents = BytesMut::new();
                put_oid(&mut contents, TAG_OID, &oid);
                encode_value(&mut contents, &value);
                list.put_u8(TAG_SEQUENCE);
                if *long || contents.len() >= 0x80 {
                    // The long form, also where the short one would do.
                    list.put_u8(0x82);
                    list.put_u16(contents.len() as u16);
                } else {
                    list.put_u8(contents.len() as u8);
                }
                list.put_slice(&contents);
            }
            if let Some((at, byte)) = damage {
                if !list.is_empty() {
                    let at = at % list.len();
                    list[at] = byte;
                }
            }
            let bytes = list.freeze();
            let want = decode_varbinds_by_element(&bytes);
            proptest::prop_assert_eq!(decode_varbinds(Reader::new(&bytes), &bytes), want);
        }
    }

    proptest::proptest! {
        /// OIDs that share leading sub-identifiers with the one before
        /// them, as a walk's rows do, decode as when each is decoded alone
        /// (the reference decodes every OID in full), with one byte
        /// overwritten anywhere too.
        #[test]
        fn oids_after_others_decode_as_alone(
            base in proptest::collection::vec(
                proptest::prop_oneof![4 => 0u32..128, 1 => 128u32..20_000, 1 => proptest::num::u32::ANY],
                0..18,
            ),
            rows in proptest::collection::vec(
                (0usize..20, proptest::collection::vec(
                    proptest::prop_oneof![4 => 0u32..128, 1 => 128u32..100_000],
                    0..4,
                )),
                1..8,
            ),
            first in 0u32..3,
            damage in proptest::option::of((proptest::num::usize::ANY, proptest::num::u8::ANY)),
        ) {
            let mut list = BytesMut::new();
            for (keep, tail) in &rows {
                let mut arcs = vec![first, 1];
                arcs.extend(&base[..(*keep).min(base.len())]);
                arcs.extend(tail);
                let oid = Oid::from_slice(&arcs);
                let mut contents = BytesMut::new();
                put_oid(&mut contents, TAG_OID, &oid);
                encode_value(&mut contents, &Value::Integer(arcs.len() as i32));
                list.put_u8(TAG_SEQUENCE);
                list.put_u8(contents.len() as u8);
                list.put_slice(&contents);
            }
            if let Some((at, byte)) = damage {
                let at = at % list.len();
                list[at] = byte;
            }
            let bytes = list.freeze();
            let want = decode_varbinds_by_element(&bytes);
            proptest::prop_assert_eq!(decode_varbinds(Reader::new(&bytes), &bytes), want);
        }
    }

    /// `snmpget -v2c -c public localhost sysDescr.0` as net-snmp 5.9 sends it.
    const NET_SNMP_GET: &[u8] = &[
        0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0, 0x1c,
        0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30,
        0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
    ];

    #[test]
    fn encodes_a_get_like_net_snmp() {
        let msg = Message::new(
            Version::V2c,
            "public",
            Pdu::new(
                PduType::GetRequest,
                0x12345678,
                vec![VarBind::null(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0))],
            ),
        );
        assert_eq!(&msg.to_bytes()[..], NET_SNMP_GET);
        assert_eq!(msg.encoded_len(), NET_SNMP_GET.len());
        assert_eq!(
            Message::decode(&Bytes::from_static(NET_SNMP_GET)).unwrap(),
            msg
        );
    }

    #[test]
    fn a_borrowed_request_encodes_as_the_message_would() {
        let oids = [
            oid!(1, 3, 6, 1, 2, 1, 1, 1, 0),
            oid!(1, 3, 6, 1, 4, 1, 99999, 2, 300, 1, 1, 1, 128, 4_000_000_000),
            oid!(2, 999, 3),
            Oid::from_slice(&(0..40).collect::<Vec<u32>>()),
        ];
        let values = [
            VarBind::new(oids[0].clone(), Value::Integer(-5)),
            VarBind::new(oids[1].clone(), Value::from("x".repeat(200))),
        ];
        for version in [Version::V1, Version::V2c] {
            for id in [1, 127, 128, 0x7fff_ffff, -1] {
                for n in 0..=oids.len() {
                    for pdu in [
                        RequestPdu::null(PduType::GetRequest, &oids[..n]),
                        RequestPdu::null(PduType::GetNextRequest, &oids[..n]),
                        RequestPdu::get_bulk(1, 50, &oids[..n]),
                        RequestPdu {
                            pdu_type: PduType::SetRequest,
                            error_status: 0,
                            error_index: 0,
                            varbinds: RequestVarBinds::Values(&values[..n.min(2)]),
                        },
                    ] {
                        let want = Message::new(version, "public", pdu.to_pdu(id)).to_vec();
                        let got = pdu.encode_message(version, b"public", id);
                        assert_eq!(got, want, "{version:?} {id} {pdu:?}");
                        assert_eq!(got.capacity(), got.len());
                        let mut into = vec![0xee; 3];
                        pdu.encode_message_into(version, b"public", id, &mut into);
                        assert_eq!(into, want, "into: {version:?} {id} {pdu:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn header_without_allocating() {
        let h = MessageHeader::decode(NET_SNMP_GET).unwrap();
        assert_eq!(h.version, Version::V2c);
        assert_eq!(h.community, b"public");
        assert_eq!(h.pdu_type, PduType::GetRequest);
        assert_eq!(h.request_id, 0x12345678);
    }

    #[test]
    fn quirks_are_accepted() {
        // Response with: long-form lengths, a non-minimal request-id, a
        // zero-length INTEGER, a Counter32 without its leading zero, and a
        // community that is not UTF-8.
        let bytes: &[u8] = &[
            0x30, 0x82, 0x00, 0x36, // non-minimal long form
            0x02, 0x01, 0x01, //
            0x04, 0x02, 0xff, 0xfe, // non-UTF-8 community
            0xa2, 0x81, 0x2c, //
            0x02, 0x05, 0x00, 0x00, 0x00, 0x00, 0x07, // request-id 7, non-minimal
            0x02, 0x01, 0x00, 0x02, 0x01, 0x00, //
            0x30, 0x1d, //
            0x30, 0x0b, 0x06, 0x07, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x01, 0x01, 0x02,
            0x00, // empty INTEGER
            0x30, 0x0e, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x02, 0x01, 0x0a, 0x41, 0x02,
            0xff, 0xfe,
        ];
        let msg = Message::decode(&Bytes::copy_from_slice(bytes)).unwrap();
        assert_eq!(&msg.community[..], &[0xff, 0xfe]);
        let AnyPdu::Pdu(pdu) = msg.pdu else { panic!() };
        assert_eq!(pdu.request_id, 7);
        assert_eq!(pdu.varbinds[0].value, Value::Integer(0));
        assert_eq!(pdu.varbinds[1].value, Value::Counter32(0xfffe));
    }

    #[test]
    fn truncations_are_errors_not_panics() {
        let msg = Message::new(
            Version::V1,
            "public",
            Pdu::new(
                PduType::Response,
                1,
                vec![VarBind::new(oid!(1, 3, 6, 1), "x")],
            ),
        )
        .to_bytes();
        for n in 0..msg.len() {
            let err = Message::decode(&msg.slice(..n)).unwrap_err();
            assert!(err.offset <= n, "{err:?}");
        }
    }

    #[test]
    fn varbinds_past_the_counted_ones_decode() {
        // A varbind of an empty OID is too short to be counted, and only
        // the first 1,024 are: the others are decoded all the same.
        for varbinds in [
            vec![
                VarBind::null(Oid::empty()),
                VarBind::new(
                    oid!(1, 3, 6, 1),
                    Value::ObjectIdentifier(oid!(1, 3, 6, 1, 9)),
                ),
            ],
            (0..1100u32)
                .map(|i| VarBind::new(oid!(1, 3, 6, 1).child(i), Value::Counter32(i)))
                .collect(),
        ] {
            let msg = Message::new(
                Version::V2c,
                "public",
                Pdu::new(PduType::Response, 1, varbinds),
            );
            assert_eq!(Message::decode(&msg.to_bytes()).unwrap(), msg);
        }
    }

    #[test]
    fn trap_v1_round_trip() {
        let msg = Message {
            version: Version::V1,
            community: Bytes::from_static(b"public"),
            pdu: AnyPdu::TrapV1(TrapV1Pdu {
                enterprise: oid!(1, 3, 6, 1, 4, 1, 318),
                agent_addr: Ipv4Addr::new(10, 0, 0, 1),
                generic_trap: 6,
                specific_trap: 42,
                time_stamp: 0xdead_beef,
                varbinds: vec![VarBind::new(oid!(1, 3, 6, 1, 4, 1, 318, 1), 5)],
            }),
        };
        assert_eq!(Message::decode(&msg.to_bytes()).unwrap(), msg);
    }

    #[test]
    fn v3_is_not_a_community_message() {
        let bytes = [0x30, 0x03, 0x02, 0x01, 0x03];
        let err = MessageHeader::decode(&bytes).unwrap_err();
        assert_eq!(err.kind, DecodeErrorKind::UnknownVersion(3));
        assert_eq!(err.offset, 2);
    }
}
