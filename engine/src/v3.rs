//! SNMPv3 messages (RFC 3412 §6) with the User-based Security Model's
//! security parameters (RFC 3414 §2.4) and scoped PDUs.
//!
//! Encoding writes msgAuthenticationParameters as zeros and returns their
//! offset, so that the caller signs the message in place; decoding returns
//! the same offset, so that the caller verifies it in place.

use std::ops::Range;

use bytes::{BufMut, Bytes};

use crate::ber::*;
use crate::codec::{
    Backward, Scan, encode_varbinds, null_request_bound, pdu_content_len_of, request_lens,
    varbinds_at, write_request,
};
use crate::{DecodeError, DecodeErrorKind, Pdu, PduType, RequestPdu, RequestVarBinds, Version};

/// msgFlags authFlag (RFC 3412 §6.4).
pub const FLAG_AUTH: u8 = 0x01;
/// msgFlags privFlag.
pub const FLAG_PRIV: u8 = 0x02;
/// msgFlags reportableFlag.
pub const FLAG_REPORTABLE: u8 = 0x04;
/// msgSecurityModel of the User-based Security Model (RFC 3411 §5).
pub const SECURITY_MODEL_USM: i32 = 3;

/// UsmSecurityParameters (RFC 3414 §2.4), carried in msgSecurityParameters.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct UsmSecurityParameters {
    /// msgAuthoritativeEngineID: the agent's snmpEngineID.
    pub engine_id: Bytes,
    /// msgAuthoritativeEngineBoots.
    pub engine_boots: u32,
    /// msgAuthoritativeEngineTime, in seconds.
    pub engine_time: u32,
    /// msgUserName.
    pub user_name: Bytes,
    /// msgAuthenticationParameters: the truncated HMAC, or empty.
    pub auth_params: Bytes,
    /// msgPrivacyParameters: the salt, or empty.
    pub priv_params: Bytes,
}

impl std::fmt::Debug for UsmSecurityParameters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsmSecurityParameters")
            .field("engine_id", &HexBytes(&self.engine_id))
            .field("engine_boots", &self.engine_boots)
            .field("engine_time", &self.engine_time)
            .field("user_name", &String::from_utf8_lossy(&self.user_name))
            .field("auth_params", &HexBytes(&self.auth_params))
            .field("priv_params", &HexBytes(&self.priv_params))
            .finish()
    }
}

struct HexBytes<'a>(&'a [u8]);

impl std::fmt::Debug for HexBytes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// A ScopedPDU (RFC 3412 §6.8): the PDU and the context it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopedPdu {
    /// contextEngineID: the engine of the context (the agent's engineID).
    pub context_engine_id: Bytes,
    /// contextName; empty for the default context.
    pub context_name: Bytes,
    /// The PDU (never a Trap-v1).
    pub pdu: Pdu,
}

/// msgData: a plaintext ScopedPDU, or an encrypted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsgData {
    /// Without privacy.
    Plaintext(ScopedPdu),
    /// encryptedPDU: the encrypted BER of a ScopedPDU.
    Encrypted(Bytes),
}

/// An SNMPv3 message (RFC 3412 §6) with USM security parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageV3 {
    /// msgID: matches a response to its request (1..=2^31-1).
    pub msg_id: i32,
    /// msgMaxSize: the largest message the sender can receive
    /// (484..=2^31-1).
    pub max_size: i32,
    /// msgFlags: [`FLAG_AUTH`], [`FLAG_PRIV`], [`FLAG_REPORTABLE`].
    pub flags: u8,
    /// msgSecurityModel; 3 for USM.
    pub security_model: i32,
    /// msgSecurityParameters.
    pub usm: UsmSecurityParameters,
    /// msgData.
    pub data: MsgData,
}

impl ScopedPdu {
    fn content_len(&self) -> usize {
        tlv_len(self.context_engine_id.len())
            + tlv_len(self.context_name.len())
            + tlv_len(pdu_content_len_of(&self.pdu))
    }

    /// The number of bytes [`ScopedPdu::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        tlv_len(self.content_len())
    }

    /// Appends the BER encoding of the ScopedPDU to `buf` (what privacy
    /// encrypts): a `Vec<u8>`, a `BytesMut`, …
    ///
    /// The encoder writes a byte at a time: a `Vec<u8>` with room for
    /// [`encoded_len`](ScopedPdu::encoded_len) bytes is the fastest buffer
    /// (a `BytesMut` takes a call per byte).
    pub fn encode<B: BufMut>(&self, buf: &mut B) {
        put_header(buf, TAG_SEQUENCE, self.content_len());
        put_octets(buf, &self.context_engine_id);
        put_octets(buf, &self.context_name);
        let p = &self.pdu;
        put_header(buf, p.pdu_type.tag(), pdu_content_len_of(p));
        put_int(buf, TAG_INTEGER, p.request_id.into());
        put_int(buf, TAG_INTEGER, p.error_status.into());
        put_int(buf, TAG_INTEGER, p.error_index.into());
        encode_varbinds(buf, &p.varbinds);
    }

    /// Decodes a ScopedPDU; `bytes` is a decrypted encryptedPDU (which may
    /// carry padding after the ScopedPDU) or the plaintext msgData.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] if it is not well-formed, or holds a Trap-v1 PDU.
    pub fn decode(bytes: &Bytes) -> Result<ScopedPdu, DecodeError> {
        // Bytes after the ScopedPDU are the cipher's padding.
        let mut outer = Reader::new(bytes);
        decode_scoped(outer.expect(TAG_SEQUENCE)?, bytes)
    }

    /// As [`ScopedPdu::decode`], the PDU's fields before its
    /// variable-bindings, and where those lie in `bytes`: contextEngineID
    /// and contextName are checked, not kept, for a response whose context
    /// no one reads; the varbinds are decoded later, by the request that
    /// takes the response.
    pub(crate) fn decode_head(bytes: &[u8]) -> Result<PduHead, DecodeError> {
        let mut outer = Reader::new(bytes);
        decode_scoped_head(outer.expect(TAG_SEQUENCE)?)
    }
}

/// A PDU read up to its variable-bindings: the fields before them, and
/// where they lie in the message (for [`varbinds_at`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PduHead {
    pub(crate) pdu_type: PduType,
    pub(crate) request_id: i32,
    pub(crate) error_status: i32,
    pub(crate) error_index: i32,
    pub(crate) varbinds: Range<usize>,
}

/// The tag and length octets of an element whose contents take `content`
/// bytes.
fn header_len(content: usize) -> usize {
    tlv_len(content) - content
}

fn put_octets<B: BufMut>(buf: &mut B, b: &[u8]) {
    put_header(buf, TAG_OCTET_STRING, b.len());
    buf.put_slice(b);
}

fn decode_scoped(tlv: Tlv<'_>, bytes: &Bytes) -> Result<ScopedPdu, DecodeError> {
    let mut r = tlv.reader();
    let context_engine_id = octets(r.expect(TAG_OCTET_STRING)?, bytes);
    let context_name = octets(r.expect(TAG_OCTET_STRING)?, bytes);
    Ok(ScopedPdu {
        context_engine_id,
        context_name,
        pdu: scoped_pdu_after_context(&mut r, bytes)?,
    })
}

/// [`decode_scoped`] up to the PDU's variable-bindings, without keeping the
/// context.
fn decode_scoped_head(tlv: Tlv<'_>) -> Result<PduHead, DecodeError> {
    let mut r = tlv.reader();
    r.expect(TAG_OCTET_STRING)?;
    r.expect(TAG_OCTET_STRING)?;
    pdu_head(&mut r)
}

/// The PDU of a ScopedPDU, `r` past its contextEngineID and contextName.
fn scoped_pdu_after_context(r: &mut Reader<'_>, bytes: &Bytes) -> Result<Pdu, DecodeError> {
    let head = pdu_head(r)?;
    Ok(Pdu {
        pdu_type: head.pdu_type,
        request_id: head.request_id,
        error_status: head.error_status,
        error_index: head.error_index,
        varbinds: varbinds_at(bytes, head.varbinds)?,
    })
}

/// The PDU at `r` up to its variable-bindings.
fn pdu_head(r: &mut Reader<'_>) -> Result<PduHead, DecodeError> {
    let pdu_tlv = r.tlv()?;
    let pdu_type = match PduType::from_tag(pdu_tlv.tag) {
        Some(PduType::TrapV1) | None => {
            return Err(pdu_tlv.err(DecodeErrorKind::UnknownPduType(pdu_tlv.tag)));
        }
        Some(t) => t,
    };
    let mut p = pdu_tlv.reader();
    let request_id = p.expect(TAG_INTEGER)?.i32()?;
    let error_status = p.expect(TAG_INTEGER)?.i32()?;
    let error_index = p.expect(TAG_INTEGER)?.i32()?;
    let varbinds = p.expect(TAG_SEQUENCE)?.reader().span();
    Ok(PduHead {
        pdu_type,
        request_id,
        error_status,
        error_index,
        varbinds,
    })
}

fn octets(tlv: Tlv<'_>, bytes: &Bytes) -> Bytes {
    // `tlv` was read from `bytes`: its range is inside.
    bytes.slice(tlv.start..tlv.start + tlv.content.len())
}

impl UsmSecurityParameters {
    fn content_len(&self) -> usize {
        tlv_len(self.engine_id.len())
            + tlv_len(int_len(self.engine_boots.into()))
            + tlv_len(int_len(self.engine_time.into()))
            + tlv_len(self.user_name.len())
            + tlv_len(self.auth_params.len())
            + tlv_len(self.priv_params.len())
    }
}

impl MessageV3 {
    fn data_len(&self) -> usize {
        match &self.data {
            MsgData::Plaintext(s) => s.encoded_len(),
            MsgData::Encrypted(e) => tlv_len(e.len()),
        }
    }

    fn content_len(&self) -> usize {
        let global = tlv_len(int_len(self.msg_id.into()))
            + tlv_len(int_len(self.max_size.into()))
            + tlv_len(1)
            + tlv_len(int_len(self.security_model.into()));
        tlv_len(1) + tlv_len(global) + tlv_len(tlv_len(self.usm.content_len())) + self.data_len()
    }

    /// The number of bytes [`MessageV3::encode`] writes.
    pub fn encoded_len(&self) -> usize {
        tlv_len(self.content_len())
    }

    /// Appends the BER encoding of the message to `buf` (a `Vec<u8>`, a
    /// `BytesMut`, …; see [`ScopedPdu::encode`] on which is fastest) and
    /// returns the offset, from the start of the message, of the contents
    /// of msgAuthenticationParameters (sign there, RFC 3414 §6.3.1).
    pub fn encode<B: BufMut>(&self, buf: &mut B) -> usize {
        let content = self.content_len();
        put_header(buf, TAG_SEQUENCE, content);
        put_int(buf, TAG_INTEGER, Version::V3.wire().into());
        let global = tlv_len(int_len(self.msg_id.into()))
            + tlv_len(int_len(self.max_size.into()))
            + tlv_len(1)
            + tlv_len(int_len(self.security_model.into()));
        put_header(buf, TAG_SEQUENCE, global);
        put_int(buf, TAG_INTEGER, self.msg_id.into());
        put_int(buf, TAG_INTEGER, self.max_size.into());
        put_octets(buf, &[self.flags]);
        put_int(buf, TAG_INTEGER, self.security_model.into());
        let usm = &self.usm;
        let usm_content = usm.content_len();
        put_header(buf, TAG_OCTET_STRING, tlv_len(usm_content));
        put_header(buf, TAG_SEQUENCE, usm_content);
        put_octets(buf, &usm.engine_id);
        put_int(buf, TAG_INTEGER, usm.engine_boots.into());
        put_int(buf, TAG_INTEGER, usm.engine_time.into());
        put_octets(buf, &usm.user_name);
        put_header(buf, TAG_OCTET_STRING, usm.auth_params.len());
        // What was written so far, counted from the lengths (a `BufMut`
        // does not tell its length).
        let auth_offset = header_len(content)
            + tlv_len(int_len(Version::V3.wire().into()))
            + tlv_len(global)
            + header_len(tlv_len(usm_content))
            + header_len(usm_content)
            + tlv_len(usm.engine_id.len())
            + tlv_len(int_len(usm.engine_boots.into()))
            + tlv_len(int_len(usm.engine_time.into()))
            + tlv_len(usm.user_name.len())
            + header_len(usm.auth_params.len());
        buf.put_slice(&usm.auth_params);
        put_octets(buf, &usm.priv_params);
        match &self.data {
            MsgData::Plaintext(s) => s.encode(buf),
            MsgData::Encrypted(e) => put_octets(buf, e),
        }
        auth_offset
    }

    /// Decodes an SNMPv3 message with USM security parameters.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] if it is not well-formed, its version is not 3, or
    /// msgFlags is not one byte.
    pub fn decode(bytes: &Bytes) -> Result<(MessageV3, usize), DecodeError> {
        let h = HeaderV3::decode(bytes)?;
        let usm = UsmSecurityParameters {
            engine_id: Bytes::copy_from_slice(h.engine_id),
            engine_boots: h.engine_boots,
            engine_time: h.engine_time,
            user_name: Bytes::copy_from_slice(h.user_name),
            auth_params: Bytes::copy_from_slice(h.auth_params),
            priv_params: Bytes::copy_from_slice(h.priv_params),
        };
        let data = match h.data {
            Data::Plaintext(tlv) => MsgData::Plaintext(decode_scoped(tlv, bytes)?),
            Data::Encrypted(tlv) => MsgData::Encrypted(octets(tlv, bytes)),
        };
        Ok((
            MessageV3 {
                msg_id: h.msg_id,
                max_size: h.max_size,
                flags: h.flags,
                security_model: h.security_model,
                usm,
                data,
            },
            h.auth_params_offset,
        ))
    }
}

/// An SNMPv3 request as the dispatcher writes it: in one pass, into one
/// buffer of exactly its size, its scopedPDU where it lies in the message,
/// so that it is encrypted and then signed in place (RFC 3414 §3.1.1).
pub(crate) struct RequestV3<'a> {
    /// msgID, and the request-id of the PDU.
    pub(crate) msg_id: i32,
    /// msgMaxSize.
    pub(crate) max_size: i32,
    /// msgFlags.
    pub(crate) flags: u8,
    pub(crate) engine_id: &'a [u8],
    pub(crate) engine_boots: u32,
    pub(crate) engine_time: u32,
    pub(crate) user_name: &'a [u8],
    /// The length of msgAuthenticationParameters (written as zeros): the
    /// MAC's, or 0.
    pub(crate) auth_len: usize,
    /// With privacy, the protocol: msgPrivacyParameters takes 8 bytes
    /// (written as zeros) and msgData is an encryptedPDU of
    /// `ciphertext_len` bytes, the plaintext scopedPDU followed by room for
    /// the padding.
    pub(crate) privacy: Option<snmux_usm::PrivProtocol>,
    pub(crate) context_engine_id: &'a [u8],
    pub(crate) context_name: &'a [u8],
    pub(crate) pdu: RequestPdu<'a>,
}

/// Where [`RequestV3::write`] put what the caller fills in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestLayout {
    /// Offset of msgAuthenticationParameters' contents.
    pub(crate) auth_offset: usize,
    /// Offset of msgPrivacyParameters' contents.
    pub(crate) priv_offset: usize,
    /// Offset of the scopedPDU (of the encryptedPDU's contents with
    /// privacy: they run to the end of the message).
    pub(crate) scoped_offset: usize,
    /// Length of the plaintext scopedPDU.
    pub(crate) scoped_len: usize,
}

impl RequestV3<'_> {
    /// Writes the message into `buf`, replacing what it held; `buf` may
    /// keep more capacity than the message needs.
    ///
    /// A request of NULL varbinds (GET, GETNEXT, GETBULK) is written from
    /// its end towards its start, as [`RequestPdu::encode_message_into`]
    /// writes SNMPv2c's: each length is known when its header is written.
    pub(crate) fn write(&self, buf: &mut Vec<u8>) -> RequestLayout {
        let RequestVarBinds::Null(oids) = self.pdu.varbinds else {
            return self.write_forward(buf);
        };
        // Room for the cipher's padding after the scopedPDU: less than a
        // block (8 bytes, DES's).
        let pad_room = if self.privacy.is_some() { 8 } else { 0 };
        let priv_len = if self.privacy.is_some() { PRIV_LEN } else { 0 };
        // Headers of at most 6 bytes, INTEGERs of at most 6.
        let bound = 6
            + 3
            + 6
            + 3 * 6
            + 3
            + 2 * 6
            + 6
            + self.engine_id.len()
            + 2 * 6
            + 6
            + self.user_name.len()
            + 6
            + self.auth_len
            + 6
            + priv_len
            + 6
            + 6
            + 6
            + self.context_engine_id.len()
            + 6
            + self.context_name.len()
            + null_request_bound(oids)
            + pad_room;
        buf.clear();
        buf.resize(bound, 0);
        let mut w = Backward {
            buf: &mut buf[..],
            at: bound - pad_room,
        };
        let scoped_end = w.at;
        w.null_request(&self.pdu, oids, self.msg_id);
        w.slice(self.context_name);
        w.header(TAG_OCTET_STRING, self.context_name.len());
        w.slice(self.context_engine_id);
        w.header(TAG_OCTET_STRING, self.context_engine_id.len());
        w.header(TAG_SEQUENCE, scoped_end - w.at);
        let scoped_at = w.at;
        let scoped_len = scoped_end - scoped_at;
        // The padding, zeros, ends the message.
        let end = match self.privacy {
            Some(p) => {
                let ciphertext_len = p.ciphertext_len(scoped_len);
                debug_assert!(ciphertext_len - scoped_len <= pad_room);
                w.header(TAG_OCTET_STRING, ciphertext_len);
                scoped_at + ciphertext_len
            }
            None => scoped_end,
        };
        // msgPrivacyParameters and msgAuthenticationParameters: zeros, for
        // the caller to fill in.
        w.at -= priv_len;
        let priv_at = w.at;
        w.header(TAG_OCTET_STRING, priv_len);
        w.at -= self.auth_len;
        let auth_at = w.at;
        w.header(TAG_OCTET_STRING, self.auth_len);
        w.slice(self.user_name);
        w.header(TAG_OCTET_STRING, self.user_name.len());
        w.int(TAG_INTEGER, self.engine_time.into());
        w.int(TAG_INTEGER, self.engine_boots.into());
        w.slice(self.engine_id);
        w.header(TAG_OCTET_STRING, self.engine_id.len());
        let usm_end = priv_at + priv_len;
        w.header(TAG_SEQUENCE, usm_end - w.at);
        w.header(TAG_OCTET_STRING, usm_end - w.at);
        let global_end = w.at;
        w.int(TAG_INTEGER, SECURITY_MODEL_USM.into());
        w.slice(&[self.flags]);
        w.header(TAG_OCTET_STRING, 1);
        w.int(TAG_INTEGER, self.max_size.into());
        w.int(TAG_INTEGER, self.msg_id.into());
        w.header(TAG_SEQUENCE, global_end - w.at);
        w.int(TAG_INTEGER, Version::V3.wire().into());
        w.header(TAG_SEQUENCE, end - w.at);
        let start = w.at;
        buf.copy_within(start..end, 0);
        buf.truncate(end - start);
        RequestLayout {
            auth_offset: auth_at - start,
            priv_offset: priv_at - start,
            scoped_offset: scoped_at - start,
            scoped_len,
        }
    }

    /// [`RequestV3::write`] from the start: the lengths computed first.
    fn write_forward(&self, buf: &mut Vec<u8>) -> RequestLayout {
        let pdu_lens = request_lens(&self.pdu, self.msg_id);
        let scoped_content = tlv_len(self.context_engine_id.len())
            + tlv_len(self.context_name.len())
            + tlv_len(pdu_lens.0);
        let scoped_len = tlv_len(scoped_content);
        let priv_len = if self.privacy.is_some() { PRIV_LEN } else { 0 };
        let data_len = match self.privacy {
            Some(p) => tlv_len(p.ciphertext_len(scoped_len)),
            None => scoped_len,
        };
        let usm_content = tlv_len(self.engine_id.len())
            + tlv_len(int_len(self.engine_boots.into()))
            + tlv_len(int_len(self.engine_time.into()))
            + tlv_len(self.user_name.len())
            + tlv_len(self.auth_len)
            + tlv_len(priv_len);
        let global = tlv_len(int_len(self.msg_id.into()))
            + tlv_len(int_len(self.max_size.into()))
            + tlv_len(1)
            + tlv_len(int_len(SECURITY_MODEL_USM.into()));
        let content = tlv_len(1) + tlv_len(global) + tlv_len(tlv_len(usm_content)) + data_len;
        let total = tlv_len(content);
        buf.clear();
        buf.reserve_exact(total);
        put_header(buf, TAG_SEQUENCE, content);
        put_int(buf, TAG_INTEGER, Version::V3.wire().into());
        put_header(buf, TAG_SEQUENCE, global);
        put_int(buf, TAG_INTEGER, self.msg_id.into());
        put_int(buf, TAG_INTEGER, self.max_size.into());
        put_octets(buf, &[self.flags]);
        put_int(buf, TAG_INTEGER, SECURITY_MODEL_USM.into());
        put_header(buf, TAG_OCTET_STRING, tlv_len(usm_content));
        put_header(buf, TAG_SEQUENCE, usm_content);
        put_octets(buf, self.engine_id);
        put_int(buf, TAG_INTEGER, self.engine_boots.into());
        put_int(buf, TAG_INTEGER, self.engine_time.into());
        put_octets(buf, self.user_name);
        put_header(buf, TAG_OCTET_STRING, self.auth_len);
        let auth_offset = buf.len();
        buf.resize(auth_offset + self.auth_len, 0);
        put_header(buf, TAG_OCTET_STRING, priv_len);
        let priv_offset = buf.len();
        buf.resize(priv_offset + priv_len, 0);
        if let Some(p) = self.privacy {
            put_header(buf, TAG_OCTET_STRING, p.ciphertext_len(scoped_len));
        }
        let scoped_offset = buf.len();
        put_header(buf, TAG_SEQUENCE, scoped_content);
        put_octets(buf, self.context_engine_id);
        put_octets(buf, self.context_name);
        write_request(buf, &self.pdu, self.msg_id, pdu_lens);
        // Room for the cipher's padding.
        buf.resize(total, 0);
        RequestLayout {
            auth_offset,
            priv_offset,
            scoped_offset,
            scoped_len,
        }
    }
}

/// The length of msgPrivacyParameters with privacy.
const PRIV_LEN: usize = snmux_usm::PRIV_PARAMS_LEN;

/// The header of an SNMPv3 message, read without allocating: what the
/// dispatcher needs to find the request (msgID) and to authenticate and
/// decrypt the rest.
#[derive(Debug, Clone, Copy)]
pub struct HeaderV3<'a> {
    /// msgID.
    pub msg_id: i32,
    /// msgMaxSize.
    pub max_size: i32,
    /// msgFlags.
    pub flags: u8,
    /// msgSecurityModel.
    pub security_model: i32,
    /// msgAuthoritativeEngineID.
    pub engine_id: &'a [u8],
    /// msgAuthoritativeEngineBoots.
    pub engine_boots: u32,
    /// msgAuthoritativeEngineTime.
    pub engine_time: u32,
    /// msgUserName.
    pub user_name: &'a [u8],
    /// msgAuthenticationParameters.
    pub auth_params: &'a [u8],
    /// Offset of msgAuthenticationParameters' contents in the message.
    pub auth_params_offset: usize,
    /// msgPrivacyParameters.
    pub priv_params: &'a [u8],
    data: Data<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Data<'a> {
    Plaintext(Tlv<'a>),
    Encrypted(Tlv<'a>),
}

impl<'a> HeaderV3<'a> {
    /// Reads the header and USM security parameters of an SNMPv3 message.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] if they are malformed or the version is not 3.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        match Self::decode_common(bytes) {
            Some(header) => Ok(header),
            None => Self::decode_general(bytes),
        }
    }

    /// [`HeaderV3::decode`] of a message of the usual shape, in one pass
    /// with no error to build: lengths of at most two bytes, integers of
    /// one to four bytes, engineBoots and engineTime not negative. `None`
    /// for anything else, which the general path then decodes (or rejects
    /// with its error); what this accepts, the general path accepts with
    /// the same fields.
    #[inline]
    fn decode_common(bytes: &'a [u8]) -> Option<Self> {
        let mut s = Scan { bytes, at: 0 };
        let message = s.enter(TAG_SEQUENCE, bytes.len())?;
        if s.element(TAG_INTEGER, message)? != [3] {
            return None;
        }
        // Elements after those of msgGlobalData and of the USM parameters
        // are skipped, as the general path skips them.
        let global = s.enter(TAG_SEQUENCE, message)?;
        let msg_id = short_signed(s.element(TAG_INTEGER, global)?)?;
        let max_size = short_signed(s.element(TAG_INTEGER, global)?)?;
        let &[flags] = s.element(TAG_OCTET_STRING, global)? else {
            return None;
        };
        let security_model = short_signed(s.element(TAG_INTEGER, global)?)?;
        s.at = global;
        let params = s.enter(TAG_OCTET_STRING, message)?;
        let usm = s.enter(TAG_SEQUENCE, params)?;
        let engine_id = s.element(TAG_OCTET_STRING, usm)?;
        let engine_boots = u32::try_from(short_signed(s.element(TAG_INTEGER, usm)?)?).ok()?;
        let engine_time = u32::try_from(short_signed(s.element(TAG_INTEGER, usm)?)?).ok()?;
        let user_name = s.element(TAG_OCTET_STRING, usm)?;
        let auth = s.tlv(TAG_OCTET_STRING, usm)?;
        let priv_params = s.element(TAG_OCTET_STRING, usm)?;
        s.at = params;
        let data = match *bytes.get(s.at)? {
            TAG_SEQUENCE => Data::Plaintext(s.tlv(TAG_SEQUENCE, message)?),
            TAG_OCTET_STRING => Data::Encrypted(s.tlv(TAG_OCTET_STRING, message)?),
            _ => return None,
        };
        Some(Self {
            msg_id,
            max_size,
            flags,
            security_model,
            engine_id,
            engine_boots,
            engine_time,
            user_name,
            auth_params: auth.content,
            auth_params_offset: auth.start,
            priv_params,
            data,
        })
    }

    /// [`HeaderV3::decode`] of any message, element by element.
    fn decode_general(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut outer = Reader::new(bytes);
        let mut r = outer.expect(TAG_SEQUENCE)?.reader();
        let version_tlv = r.expect(TAG_INTEGER)?;
        let version = version_tlv.i64()?;
        if version != 3 {
            return Err(version_tlv.err(DecodeErrorKind::UnknownVersion(version)));
        }
        let mut g = r.expect(TAG_SEQUENCE)?.reader();
        let msg_id = g.expect(TAG_INTEGER)?.i32()?;
        let max_size = g.expect(TAG_INTEGER)?.i32()?;
        let flags_tlv = g.expect(TAG_OCTET_STRING)?;
        let &[flags] = flags_tlv.content else {
            return Err(flags_tlv.err(DecodeErrorKind::InvalidFlags));
        };
        let security_model = g.expect(TAG_INTEGER)?.i32()?;
        let mut sp = r.expect(TAG_OCTET_STRING)?.reader();
        let mut u = sp.expect(TAG_SEQUENCE)?.reader();
        let engine_id = u.expect(TAG_OCTET_STRING)?.content;
        let engine_boots = non_negative(u.expect(TAG_INTEGER)?)?;
        let engine_time = non_negative(u.expect(TAG_INTEGER)?)?;
        let user_name = u.expect(TAG_OCTET_STRING)?.content;
        let auth = u.expect(TAG_OCTET_STRING)?;
        let priv_params = u.expect(TAG_OCTET_STRING)?.content;
        let data_tlv = r.tlv()?;
        let data = match data_tlv.tag {
            TAG_SEQUENCE => Data::Plaintext(data_tlv),
            TAG_OCTET_STRING => Data::Encrypted(data_tlv),
            found => {
                return Err(data_tlv.err(DecodeErrorKind::UnexpectedTag {
                    expected: TAG_SEQUENCE,
                    found,
                }));
            }
        };
        Ok(Self {
            msg_id,
            max_size,
            flags,
            security_model,
            engine_id,
            engine_boots,
            engine_time,
            user_name,
            auth_params: auth.content,
            auth_params_offset: auth.start,
            priv_params,
            data,
        })
    }

    /// The encryptedPDU, if msgData is encrypted.
    pub fn encrypted(&self) -> Option<&'a [u8]> {
        match self.data {
            Data::Encrypted(tlv) => Some(tlv.content),
            Data::Plaintext(_) => None,
        }
    }

    /// Decodes the plaintext ScopedPDU; `bytes` is the buffer the header was
    /// decoded from.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] if msgData is encrypted ([`DecodeErrorKind::UnexpectedTag`])
    /// or malformed.
    pub fn scoped_pdu(&self, bytes: &Bytes) -> Result<ScopedPdu, DecodeError> {
        self.plaintext(bytes)
            .and_then(|tlv| decode_scoped(tlv, bytes))
    }

    /// As [`HeaderV3::scoped_pdu`], the PDU up to its variable-bindings
    /// (see [`ScopedPdu::decode_head`]).
    pub(crate) fn scoped_pdu_head(&self, bytes: &Bytes) -> Result<PduHead, DecodeError> {
        self.plaintext(bytes).and_then(decode_scoped_head)
    }

    /// The plaintext ScopedPDU's element, inside `bytes`.
    fn plaintext(&self, bytes: &Bytes) -> Result<Tlv<'a>, DecodeError> {
        match self.data {
            Data::Plaintext(tlv) if tlv.start + tlv.content.len() <= bytes.len() => Ok(tlv),
            Data::Plaintext(tlv) => Err(tlv.err(DecodeErrorKind::Truncated)),
            Data::Encrypted(tlv) => Err(tlv.err(DecodeErrorKind::UnexpectedTag {
                expected: TAG_SEQUENCE,
                found: TAG_OCTET_STRING,
            })),
        }
    }
}

/// engineBoots and engineTime are INTEGER (0..2147483647).
fn non_negative(tlv: Tlv<'_>) -> Result<u32, DecodeError> {
    let v = tlv.i32()?;
    u32::try_from(v).map_err(|_| tlv.err(DecodeErrorKind::IntegerOverflow))
}

/// The version of a message, read from its first fields: to tell a
/// community-based message from an SNMPv3 one.
///
/// # Errors
///
/// [`DecodeError`] if the message does not start with a SEQUENCE and an
/// INTEGER, or the version is unknown.
pub fn peek_version(bytes: &[u8]) -> Result<Version, DecodeError> {
    let mut outer = Reader::new(bytes);
    let mut r = outer.expect(TAG_SEQUENCE)?.reader();
    let tlv = r.expect(TAG_INTEGER)?;
    let v = tlv.i64()?;
    Version::from_wire(v).ok_or_else(|| tlv.err(DecodeErrorKind::UnknownVersion(v)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{VarBind, oid};
    use bytes::BytesMut;

    fn get(request_id: i32) -> ScopedPdu {
        ScopedPdu {
            context_engine_id: Bytes::from_static(b"\x80\x00\x1f\x88\x04snmux"),
            context_name: Bytes::new(),
            pdu: Pdu::new(
                PduType::GetRequest,
                request_id,
                vec![VarBind::null(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0))],
            ),
        }
    }

    #[test]
    fn a_request_is_written_as_the_message_would_be() {
        // Twelve make the lengths of the PDU and all around it long-form.
        let oids: Vec<_> = (0..12).map(|i| oid!(1, 3, 6, 1, 2, 1, 1, i, 0)).collect();
        let protocols = [
            None,
            Some(snmux_usm::PrivProtocol::Des),
            Some(snmux_usm::PrivProtocol::Aes128),
        ];
        for (auth_len, privacy) in [
            (0, None),
            (12, None),
            (24, None),
            (24, protocols[1]),
            (48, protocols[2]),
        ] {
            for n in [0, 1, 2, 12] {
                for msg_id in [1, 300, 0x7fff_ffff] {
                    let pdu = RequestPdu::null(PduType::GetRequest, &oids[..n]);
                    let request = RequestV3 {
                        msg_id,
                        max_size: 65507,
                        flags: FLAG_REPORTABLE | FLAG_AUTH,
                        engine_id: b"\x80\x00\x1f\x88\x04snmux",
                        engine_boots: 7,
                        engine_time: 123_456,
                        user_name: b"admin",
                        auth_len,
                        privacy,
                        context_engine_id: b"ctx",
                        context_name: b"",
                        pdu,
                    };
                    let mut buf = vec![9; 3];
                    let layout = request.write(&mut buf);
                    let scoped = ScopedPdu {
                        context_engine_id: Bytes::from_static(b"ctx"),
                        context_name: Bytes::new(),
                        pdu: pdu.to_pdu(msg_id),
                    };
                    let mut plain = BytesMut::new();
                    scoped.encode(&mut plain);
                    let (data, priv_params) = match privacy {
                        None => (MsgData::Plaintext(scoped), Bytes::new()),
                        Some(p) => {
                            let mut padded = plain.to_vec();
                            padded.resize(p.ciphertext_len(plain.len()), 0);
                            (
                                MsgData::Encrypted(Bytes::from(padded)),
                                Bytes::from(vec![0; 8]),
                            )
                        }
                    };
                    let mut message = message(data, auth_len);
                    message.msg_id = msg_id;
                    message.usm.priv_params = priv_params;
                    let mut want = BytesMut::new();
                    let auth_offset = message.encode(&mut want);
                    assert_eq!(buf, want.to_vec(), "{auth_len} {privacy:?} {n} {msg_id}");
                    // The two writers agree.
                    let mut forward = vec![9; 3];
                    assert_eq!(request.write_forward(&mut forward), layout);
                    assert_eq!(forward, buf);
                    assert_eq!(forward.capacity(), forward.len());
                    assert_eq!(layout.auth_offset, auth_offset);
                    assert_eq!(layout.scoped_len, plain.len());
                    assert_eq!(
                        &buf[layout.scoped_offset..layout.scoped_offset + plain.len()],
                        &plain[..]
                    );
                    if privacy.is_some() {
                        let h = HeaderV3::decode(&buf).unwrap();
                        assert_eq!(h.priv_params.len(), 8);
                        assert_eq!(
                            &buf[layout.priv_offset..layout.priv_offset + 8],
                            h.priv_params
                        );
                    }
                }
            }
        }
    }

    fn message(data: MsgData, auth_len: usize) -> MessageV3 {
        MessageV3 {
            msg_id: 0x1234,
            max_size: 65507,
            flags: FLAG_AUTH | FLAG_REPORTABLE,
            security_model: SECURITY_MODEL_USM,
            usm: UsmSecurityParameters {
                engine_id: Bytes::from_static(b"\x80\x00\x1f\x88\x04snmux"),
                engine_boots: 7,
                engine_time: 123_456,
                user_name: Bytes::from_static(b"admin"),
                auth_params: Bytes::from(vec![0; auth_len]),
                priv_params: Bytes::new(),
            },
            data,
        }
    }

    #[test]
    fn round_trip_plaintext_and_encrypted() {
        for msg in [
            message(MsgData::Plaintext(get(42)), 12),
            message(
                MsgData::Encrypted(Bytes::from_static(&[1, 2, 3, 4, 5, 6, 7, 8])),
                48,
            ),
            message(MsgData::Plaintext(get(1)), 0),
        ] {
            let mut buf = BytesMut::new();
            let offset = msg.encode(&mut buf);
            assert_eq!(buf.len(), msg.encoded_len());
            // Any `BufMut`, and after what it holds already: the same
            // bytes, the same offset.
            let mut vec = vec![7; 5];
            assert_eq!(msg.encode(&mut vec), offset);
            assert_eq!(vec[5..], buf[..]);
            let bytes = buf.freeze();
            let (decoded, decoded_offset) = MessageV3::decode(&bytes).unwrap();
            assert_eq!(decoded, msg);
            assert_eq!(offset, decoded_offset);
            assert_eq!(
                &bytes[offset..offset + msg.usm.auth_params.len()],
                &msg.usm.auth_params[..]
            );
            assert_eq!(peek_version(&bytes).unwrap(), Version::V3);
        }
    }

    #[test]
    fn scoped_pdu_ignores_cipher_padding() {
        let scoped = get(9);
        let mut buf = BytesMut::new();
        scoped.encode(&mut buf);
        buf.put_slice(&[3, 3, 3]);
        assert_eq!(ScopedPdu::decode(&buf.freeze()).unwrap(), scoped);
    }

    #[test]
    fn malformed_headers_are_errors() {
        let mut buf = BytesMut::new();
        message(MsgData::Plaintext(get(1)), 12).encode(&mut buf);
        let bytes = buf.freeze();
        for n in 0..bytes.len() {
            assert!(MessageV3::decode(&bytes.slice(..n)).is_err());
        }
        // Two-byte msgFlags.
        let mut v = bytes.to_vec();
        let i = v
            .windows(3)
            .position(|w| w == [0x04, 0x01, FLAG_AUTH | FLAG_REPORTABLE])
            .unwrap();
        v[i + 1] = 0x02;
        assert!(HeaderV3::decode(&v).is_err());
        assert_eq!(
            peek_version(&[0x30, 0x03, 0x02, 0x01, 0x02])
                .unwrap_err()
                .kind,
            DecodeErrorKind::UnknownVersion(2)
        );
    }

    /// Whether the one-pass header path took `bytes`; an error if it took
    /// them and the general path rejects them or reads other fields.
    fn one_pass_agrees(bytes: &[u8]) -> Result<bool, String> {
        let Some(fast) = HeaderV3::decode_common(bytes) else {
            return Ok(false);
        };
        let general = HeaderV3::decode_general(bytes).map_err(|e| format!("{bytes:02x?}: {e}"))?;
        fn data<'a>(h: &HeaderV3<'a>) -> (bool, u8, usize, usize, &'a [u8]) {
            match h.data {
                Data::Plaintext(t) => (false, t.tag, t.offset, t.start, t.content),
                Data::Encrypted(t) => (true, t.tag, t.offset, t.start, t.content),
            }
        }
        let same = fast.msg_id == general.msg_id
            && fast.max_size == general.max_size
            && fast.flags == general.flags
            && fast.security_model == general.security_model
            && fast.engine_id == general.engine_id
            && fast.engine_boots == general.engine_boots
            && fast.engine_time == general.engine_time
            && fast.user_name == general.user_name
            && fast.auth_params == general.auth_params
            && fast.auth_params_offset == general.auth_params_offset
            && fast.priv_params == general.priv_params
            && data(&fast) == data(&general);
        same.then_some(true)
            .ok_or_else(|| format!("{bytes:02x?}: other fields"))
    }

    /// Every byte of SNMPv3 messages (plaintext and encrypted, with bytes
    /// after them) set to every value, and every length cut: whatever the
    /// one-pass path takes, the general path takes alike.
    #[test]
    fn the_one_pass_header_agrees_under_every_single_byte_change() {
        let mut long = message(MsgData::Plaintext(get(0x7fff_0000)), 24);
        long.usm.user_name = Bytes::from(vec![b'u'; 130]);
        let messages = [
            message(MsgData::Plaintext(get(42)), 12),
            message(
                MsgData::Encrypted(Bytes::from_static(&[1, 2, 3, 4, 5, 6, 7, 8])),
                48,
            ),
            message(MsgData::Plaintext(get(1)), 0),
            long,
        ];
        let mut taken = 0;
        for msg in messages {
            let mut buf = BytesMut::new();
            msg.encode(&mut buf);
            assert!(
                one_pass_agrees(&buf).expect("the paths agree"),
                "an undamaged message"
            );
            taken += crate::codec::tests::count_single_byte_changes(&buf, one_pass_agrees);
        }
        assert!(taken > 1000, "the one-pass path took {taken} messages");
    }

    /// A discovery request as net-snmp 5.9 sends it (`snmpget -v3 -d`):
    /// noAuthNoPriv, empty engine ID and user, an empty GET.
    #[test]
    fn decodes_a_net_snmp_discovery_probe() {
        let probe: &[u8] = &[
            0x30, 0x3e, 0x02, 0x01, 0x03, 0x30, 0x11, 0x02, 0x04, 0x4a, 0x7b, 0x2c, 0x1d, 0x02,
            0x03, 0x00, 0xff, 0xe3, 0x04, 0x01, 0x04, 0x02, 0x01, 0x03, 0x04, 0x10, 0x30, 0x0e,
            0x04, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00, 0x04, 0x00,
            0x30, 0x14, 0x04, 0x00, 0x04, 0x00, 0xa0, 0x0e, 0x02, 0x04, 0x1d, 0x2c, 0x3b, 0x4a,
            0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x00,
        ];
        let (msg, _) = MessageV3::decode(&Bytes::from_static(probe)).unwrap();
        assert_eq!(msg.flags, FLAG_REPORTABLE);
        assert_eq!(msg.max_size, 65507);
        assert!(msg.usm.engine_id.is_empty() && msg.usm.user_name.is_empty());
        let MsgData::Plaintext(s) = &msg.data else {
            panic!()
        };
        assert_eq!(s.pdu.pdu_type, PduType::GetRequest);
        assert!(s.pdu.varbinds.is_empty());
        let mut buf = BytesMut::new();
        msg.encode(&mut buf);
        assert_eq!(&buf[..], probe);
    }
}
