//! PDUs and community-based messages (RFC 1157 §4, RFC 3416 §3, RFC 1901).

use std::fmt;
use std::net::Ipv4Addr;

use bytes::Bytes;

use crate::{Oid, VarBind};

/// The SNMP version of a message (`msgVersion`: 0 for SNMPv1, 1 for
/// SNMPv2c, 3 for SNMPv3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// SNMPv1 (RFC 1157), `version = 0`.
    V1,
    /// Community-based SNMPv2 (RFC 1901), `version = 1`.
    V2c,
    /// SNMPv3 (RFC 3412), `msgVersion = 3`.
    V3,
}

impl Version {
    /// The value of the version field on the wire.
    pub fn wire(self) -> i32 {
        match self {
            Version::V1 => 0,
            Version::V2c => 1,
            Version::V3 => 3,
        }
    }

    /// The version for a value of the version field.
    pub fn from_wire(v: i64) -> Option<Version> {
        match v {
            0 => Some(Version::V1),
            1 => Some(Version::V2c),
            3 => Some(Version::V3),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V1 => "1",
            Version::V2c => "2c",
            Version::V3 => "3",
        })
    }
}

/// The type of a PDU, in the order of RFC 3416 §3 (context tags 0-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PduType {
    /// GetRequest-PDU, tag 0xA0.
    GetRequest,
    /// GetNextRequest-PDU, tag 0xA1.
    GetNextRequest,
    /// Response-PDU (GetResponse in SNMPv1), tag 0xA2.
    Response,
    /// SetRequest-PDU, tag 0xA3.
    SetRequest,
    /// Trap-PDU of SNMPv1 (RFC 1157 §4.1.6), tag 0xA4.
    TrapV1,
    /// GetBulkRequest-PDU, tag 0xA5.
    GetBulkRequest,
    /// InformRequest-PDU, tag 0xA6.
    InformRequest,
    /// SNMPv2-Trap-PDU, tag 0xA7.
    SnmpV2Trap,
    /// Report-PDU, tag 0xA8.
    Report,
}

impl PduType {
    /// The BER tag of the PDU.
    pub fn tag(self) -> u8 {
        0xA0 | self as u8
    }

    /// The PDU type of a BER tag.
    pub fn from_tag(tag: u8) -> Option<PduType> {
        Some(match tag {
            0xA0 => PduType::GetRequest,
            0xA1 => PduType::GetNextRequest,
            0xA2 => PduType::Response,
            0xA3 => PduType::SetRequest,
            0xA4 => PduType::TrapV1,
            0xA5 => PduType::GetBulkRequest,
            0xA6 => PduType::InformRequest,
            0xA7 => PduType::SnmpV2Trap,
            0xA8 => PduType::Report,
            _ => return None,
        })
    }
}

/// The error-status of a Response-PDU (RFC 3416 §3; values 0-5 are
/// SNMPv1's, RFC 1157 §4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorStatus {
    /// noError(0).
    NoError,
    /// tooBig(1): the response would exceed the message size limit.
    TooBig,
    /// noSuchName(2): SNMPv1's "no such object or instance", also its end
    /// of MIB view for GETNEXT.
    NoSuchName,
    /// badValue(3).
    BadValue,
    /// readOnly(4).
    ReadOnly,
    /// genErr(5).
    GenErr,
    /// noAccess(6).
    NoAccess,
    /// wrongType(7).
    WrongType,
    /// wrongLength(8).
    WrongLength,
    /// wrongEncoding(9).
    WrongEncoding,
    /// wrongValue(10).
    WrongValue,
    /// noCreation(11).
    NoCreation,
    /// inconsistentValue(12).
    InconsistentValue,
    /// resourceUnavailable(13).
    ResourceUnavailable,
    /// commitFailed(14).
    CommitFailed,
    /// undoFailed(15).
    UndoFailed,
    /// authorizationError(16).
    AuthorizationError,
    /// notWritable(17).
    NotWritable,
    /// inconsistentName(18).
    InconsistentName,
    /// A value outside RFC 3416's list, as the agent sent it.
    Other(i32),
}

/// The error-status values of RFC 3416 §3 in wire order, with their names.
const ERROR_STATUSES: [(ErrorStatus, &str); 19] = {
    use ErrorStatus::*;
    [
        (NoError, "noError"),
        (TooBig, "tooBig"),
        (NoSuchName, "noSuchName"),
        (BadValue, "badValue"),
        (ReadOnly, "readOnly"),
        (GenErr, "genErr"),
        (NoAccess, "noAccess"),
        (WrongType, "wrongType"),
        (WrongLength, "wrongLength"),
        (WrongEncoding, "wrongEncoding"),
        (WrongValue, "wrongValue"),
        (NoCreation, "noCreation"),
        (InconsistentValue, "inconsistentValue"),
        (ResourceUnavailable, "resourceUnavailable"),
        (CommitFailed, "commitFailed"),
        (UndoFailed, "undoFailed"),
        (AuthorizationError, "authorizationError"),
        (NotWritable, "notWritable"),
        (InconsistentName, "inconsistentName"),
    ]
};

impl ErrorStatus {
    /// The error-status for its value on the wire.
    pub fn from_wire(v: i32) -> ErrorStatus {
        usize::try_from(v)
            .ok()
            .and_then(|i| ERROR_STATUSES.get(i))
            .map_or(ErrorStatus::Other(v), |&(status, _)| status)
    }

    /// The value on the wire.
    pub fn wire(self) -> i32 {
        match self {
            ErrorStatus::Other(v) => v,
            known => ERROR_STATUSES
                .iter()
                .position(|&(s, _)| s == known)
                .map_or(-1, |i| i as i32),
        }
    }
}

impl fmt::Display for ErrorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorStatus::Other(v) => write!(f, "error-status {v}"),
            known => {
                let name = ERROR_STATUSES
                    .iter()
                    .find(|&&(s, _)| s == *known)
                    .map_or("?", |&(_, name)| name);
                f.write_str(name)
            }
        }
    }
}

/// A PDU of every type but SNMPv1's Trap (RFC 3416 §3, `PDU` and
/// `BulkPDU`).
///
/// For GetBulkRequest the two integer fields are non-repeaters and
/// max-repetitions; use [`Pdu::get_bulk`], [`Pdu::non_repeaters`] and
/// [`Pdu::max_repetitions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdu {
    /// The PDU type; never [`PduType::TrapV1`] (that is [`TrapV1Pdu`]).
    pub pdu_type: PduType,
    /// request-id: matches a response to its request.
    pub request_id: i32,
    /// error-status (non-repeaters in a GetBulkRequest).
    pub error_status: i32,
    /// error-index, 1-based (max-repetitions in a GetBulkRequest).
    pub error_index: i32,
    /// variable-bindings.
    pub varbinds: Vec<VarBind>,
}

impl Pdu {
    /// A request PDU of type `pdu_type` with error-status and error-index 0.
    pub fn new(pdu_type: PduType, request_id: i32, varbinds: Vec<VarBind>) -> Self {
        Self {
            pdu_type,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds,
        }
    }

    /// A GetBulkRequest-PDU (RFC 3416 §4.2.3).
    pub fn get_bulk(
        request_id: i32,
        non_repeaters: i32,
        max_repetitions: i32,
        varbinds: Vec<VarBind>,
    ) -> Self {
        Self {
            pdu_type: PduType::GetBulkRequest,
            request_id,
            error_status: non_repeaters,
            error_index: max_repetitions,
            varbinds,
        }
    }

    /// The error-status as an enum.
    pub fn status(&self) -> ErrorStatus {
        ErrorStatus::from_wire(self.error_status)
    }

    /// non-repeaters of a GetBulkRequest.
    pub fn non_repeaters(&self) -> i32 {
        self.error_status
    }

    /// max-repetitions of a GetBulkRequest.
    pub fn max_repetitions(&self) -> i32 {
        self.error_index
    }
}

/// A request PDU that borrows its variable-bindings: what the dispatcher
/// encodes for a request without a [`Pdu`] of its own (GET, GETNEXT and
/// GETBULK ask for OIDs: [`RequestVarBinds::Null`] writes each with a NULL
/// value, RFC 3416 §4.2.1, without building a `Vec<VarBind>`). The
/// request-id is the dispatcher's to choose.
///
/// # Examples
///
/// ```
/// use snmux::{oid, Pdu, PduType, RequestPdu};
///
/// let oids = [oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)];
/// let get = RequestPdu::null(PduType::GetRequest, &oids);
/// let bulk = RequestPdu::get_bulk(0, 10, &oids);
/// assert_eq!(bulk.error_index, 10);
/// // A Pdu lends itself as one.
/// let pdu = Pdu::new(PduType::GetRequest, 0, Vec::new());
/// assert_eq!(RequestPdu::from(&pdu).pdu_type, PduType::GetRequest);
/// # let _ = get;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestPdu<'a> {
    /// The PDU type; never [`PduType::TrapV1`].
    pub pdu_type: PduType,
    /// error-status (non-repeaters in a GetBulkRequest).
    pub error_status: i32,
    /// error-index (max-repetitions in a GetBulkRequest).
    pub error_index: i32,
    /// variable-bindings.
    pub varbinds: RequestVarBinds<'a>,
}

/// The variable-bindings of a [`RequestPdu`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestVarBinds<'a> {
    /// One varbind per OID, each with a NULL value.
    Null(&'a [Oid]),
    /// These varbinds (a SET's values).
    Values(&'a [VarBind]),
}

impl<'a> RequestPdu<'a> {
    /// A request of `pdu_type` for `oids`, NULL values.
    pub fn null(pdu_type: PduType, oids: &'a [Oid]) -> Self {
        RequestPdu {
            pdu_type,
            error_status: 0,
            error_index: 0,
            varbinds: RequestVarBinds::Null(oids),
        }
    }

    /// A GetBulkRequest-PDU (RFC 3416 §4.2.3) for `oids`.
    pub fn get_bulk(non_repeaters: i32, max_repetitions: i32, oids: &'a [Oid]) -> Self {
        RequestPdu {
            pdu_type: PduType::GetBulkRequest,
            error_status: non_repeaters,
            error_index: max_repetitions,
            varbinds: RequestVarBinds::Null(oids),
        }
    }

    /// The number of variable-bindings.
    pub fn len(&self) -> usize {
        match self.varbinds {
            RequestVarBinds::Null(oids) => oids.len(),
            RequestVarBinds::Values(vbs) => vbs.len(),
        }
    }

    /// Whether there are no variable-bindings.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The PDU with `request_id`, owning its varbinds.
    pub fn to_pdu(&self, request_id: i32) -> Pdu {
        let varbinds = match self.varbinds {
            RequestVarBinds::Null(oids) => oids.iter().map(|o| VarBind::null(o.clone())).collect(),
            RequestVarBinds::Values(vbs) => vbs.to_vec(),
        };
        Pdu {
            pdu_type: self.pdu_type,
            request_id,
            error_status: self.error_status,
            error_index: self.error_index,
            varbinds,
        }
    }
}

impl<'a> From<&'a Pdu> for RequestPdu<'a> {
    fn from(pdu: &'a Pdu) -> Self {
        RequestPdu {
            pdu_type: pdu.pdu_type,
            error_status: pdu.error_status,
            error_index: pdu.error_index,
            varbinds: RequestVarBinds::Values(&pdu.varbinds),
        }
    }
}

/// SNMPv1's Trap-PDU (RFC 1157 §4.1.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrapV1Pdu {
    /// enterprise: the sysObjectID of the sender.
    pub enterprise: Oid,
    /// agent-addr.
    pub agent_addr: Ipv4Addr,
    /// generic-trap (0 coldStart … 6 enterpriseSpecific).
    pub generic_trap: i32,
    /// specific-trap.
    pub specific_trap: i32,
    /// time-stamp, in hundredths of a second (TimeTicks).
    pub time_stamp: u32,
    /// variable-bindings.
    pub varbinds: Vec<VarBind>,
}

/// The PDU inside a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyPdu {
    /// Every PDU type but SNMPv1's Trap.
    Pdu(Pdu),
    /// SNMPv1's Trap-PDU.
    TrapV1(TrapV1Pdu),
}

/// A community-based message: SNMPv1 (RFC 1157 §4) or SNMPv2c (RFC 1901 §3).
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// [`Version::V1`] or [`Version::V2c`].
    pub version: Version,
    /// The community string: arbitrary bytes, not necessarily UTF-8.
    pub community: Bytes,
    /// The PDU.
    pub pdu: AnyPdu,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("version", &self.version)
            .field("community", &"[redacted]")
            .field("pdu", &self.pdu)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_status_round_trip() {
        for v in -2..25 {
            assert_eq!(ErrorStatus::from_wire(v).wire(), v);
        }
        assert_eq!(ErrorStatus::from_wire(17), ErrorStatus::NotWritable);
        assert_eq!(ErrorStatus::NotWritable.to_string(), "notWritable");
        assert_eq!(ErrorStatus::from_wire(99).to_string(), "error-status 99");
    }
}
