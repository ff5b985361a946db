use std::io;
use std::net::SocketAddr;

use snmux_engine::{DecodeError, ErrorStatus, Oid, VarBind, Version, dispatcher};

/// The error of a manager operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No response within the timeout (RFC 3417 §2: the manager retries;
    /// the agent may be down, unreachable, or not accept the community).
    #[error(
        "timeout: no response from {target} after {retransmissions} retransmissions (check the address, port and credentials)"
    )]
    Timeout {
        /// The agent.
        target: SocketAddr,
        /// How many times the request was sent again.
        retransmissions: u32,
    },
    /// The agent answered with a non-zero error-status (RFC 3416 §3).
    #[error("{target} returned {status}{}", fmt_index(*.index, .oid.as_ref()))]
    ErrorStatus {
        /// The agent.
        target: SocketAddr,
        /// error-status.
        status: ErrorStatus,
        /// error-index: the 1-based position of the varbind in error, 0 if none.
        index: u32,
        /// The OID of the varbind in error, when `index` names one.
        oid: Option<Oid>,
    },
    /// The response does not answer the request: wrong number of varbinds,
    /// or a shape the protocol does not allow.
    #[error("improper response from {target}: {reason}")]
    ImproperResponse {
        /// The agent.
        target: SocketAddr,
        /// What was wrong.
        reason: ImproperResponse,
    },
    /// A walk received an OID that does not follow the one before: the agent
    /// would make the walk loop forever.
    #[error("{target} returned OID {} after {previous} in a walk (not increasing)", next.oid)]
    NonIncreasingOid {
        /// The agent.
        target: SocketAddr,
        /// The OID asked for.
        previous: Box<Oid>,
        /// The varbind the agent returned.
        next: Box<VarBind>,
    },
    /// The response matched the request but did not decode.
    #[error("malformed response: {0}")]
    Decode(DecodeError),
    /// The engine has as many requests in flight as it allows
    /// ([`EngineBuilder::max_in_flight`](crate::EngineBuilder::max_in_flight)).
    #[error("busy: {max} requests in flight")]
    Busy {
        /// The maximum.
        max: usize,
    },
    /// The engine was shut down, or its last handle dropped.
    #[error("the engine is shut down")]
    EngineClosed,
    /// The request does not fit in one message.
    #[error("request of {size} bytes exceeds the maximum message size {max}")]
    MessageTooLarge {
        /// The encoded size.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// The operation does not exist in this SNMP version (GETBULK in SNMPv1).
    #[error("{operation} is not available in SNMPv{version}")]
    NotInVersion {
        /// The operation.
        operation: &'static str,
        /// The version of the manager.
        version: Version,
    },
    /// SNMPv3: the agent does not know the engineID we sent, even after
    /// discovery (RFC 3414 §3.2 step 3, usmStatsUnknownEngineIDs).
    #[error("{target}: unknown engine ID (check the engine ID, -e)")]
    UnknownEngineId {
        /// The agent.
        target: SocketAddr,
    },
    /// SNMPv3: the agent's clock and ours disagree even after
    /// re-synchronisation (RFC 3414 §3.2 step 7, usmStatsNotInTimeWindows).
    #[error("{target}: not in time window (the agent's engine time keeps moving)")]
    NotInTimeWindow {
        /// The agent.
        target: SocketAddr,
    },
    /// SNMPv3: the agent has no such user (usmStatsUnknownUserNames).
    #[error("{target}: unknown user name {user:?} (check the user name, -u)")]
    UnknownUserName {
        /// The agent.
        target: SocketAddr,
        /// The user.
        user: String,
    },
    /// SNMPv3: the user may not use this security level
    /// (usmStatsUnsupportedSecLevels).
    #[error(
        "{target}: unsupported security level for user {user:?} (check -l and the agent's configuration)"
    )]
    UnsupportedSecLevel {
        /// The agent.
        target: SocketAddr,
        /// The user.
        user: String,
    },
    /// SNMPv3: the agent's HMAC check failed (usmStatsWrongDigests).
    #[error(
        "{target}: authentication failure for user {user:?} (check the authentication protocol and passphrase, -a/-A)"
    )]
    WrongDigest {
        /// The agent.
        target: SocketAddr,
        /// The user.
        user: String,
    },
    /// SNMPv3: a message could not be decrypted, by the agent
    /// (usmStatsDecryptionErrors) or by us.
    #[error(
        "{target}: decryption error for user {user:?} (check the privacy protocol and passphrase, -x/-X)"
    )]
    DecryptionError {
        /// The agent.
        target: SocketAddr,
        /// The user.
        user: String,
    },
    /// SNMPv3: a Report this manager cannot act on.
    #[error("{target}: report {}", .oid.as_ref().map_or_else(|| "without varbinds".to_owned(), |o| o.to_string()))]
    Report {
        /// The agent.
        target: SocketAddr,
        /// The OID of the Report's first varbind.
        oid: Option<Oid>,
    },
    /// SNMPv3: a key could not be made (a passphrase shorter than 8
    /// characters, RFC 3414 §11.2).
    #[error("USM: {0}")]
    Usm(snmux_usm::Error),
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(io::Error),
}

// The variants that wrap another error say it in their message, so they do
// not also return it as `source()`: a report of the chain would print it
// twice.
impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<snmux_usm::Error> for Error {
    fn from(e: snmux_usm::Error) -> Self {
        Error::Usm(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

fn fmt_index(index: u32, oid: Option<&Oid>) -> String {
    match (index, oid) {
        (0, _) => String::new(),
        (i, Some(oid)) => format!(" at varbind {i} ({oid})"),
        (i, None) => format!(" at varbind {i}"),
    }
}

/// What was wrong with an improper response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImproperResponse {
    /// A GET, GETNEXT or SET response must have one varbind per requested one.
    #[error("{got} varbinds for {expected} requested")]
    VarBindCount {
        /// Varbinds requested.
        expected: usize,
        /// Varbinds returned.
        got: usize,
    },
}

impl Error {
    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// The error-status, if the agent returned one.
    pub fn error_status(&self) -> Option<ErrorStatus> {
        match self {
            Error::ErrorStatus { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A copy of the error of a failed SNMPv3 discovery, for each request
    /// that waited for it. The variants a discovery can fail with are
    /// copied as they are; others keep their message.
    pub(crate) fn for_waiter(&self) -> Self {
        match self {
            Error::Timeout {
                target,
                retransmissions,
            } => Error::Timeout {
                target: *target,
                retransmissions: *retransmissions,
            },
            Error::UnknownEngineId { target } => Error::UnknownEngineId { target: *target },
            Error::Busy { max } => Error::Busy { max: *max },
            Error::EngineClosed => Error::EngineClosed,
            Error::MessageTooLarge { size, max } => Error::MessageTooLarge {
                size: *size,
                max: *max,
            },
            Error::Decode(e) => Error::Decode(*e),
            Error::Io(e) => Error::Io(io::Error::new(e.kind(), e.to_string())),
            other => Error::Io(io::Error::other(other.to_string())),
        }
    }

    pub(crate) fn from_dispatch(e: dispatcher::Error) -> Self {
        match e {
            dispatcher::Error::Timeout {
                target,
                retransmissions,
            } => Error::Timeout {
                target,
                retransmissions,
            },
            dispatcher::Error::Busy { max } => Error::Busy { max },
            dispatcher::Error::Closed => Error::EngineClosed,
            dispatcher::Error::MessageTooLarge { size, max } => {
                Error::MessageTooLarge { size, max }
            }
            dispatcher::Error::Decode(e) => Error::Decode(e),
            dispatcher::Error::Io(e) => Error::Io(e),
            // The dispatcher's error is non-exhaustive; a new variant is a
            // compile-time reminder in this crate's tests, not a panic.
            other => Error::Io(io::Error::other(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        // Results of every operation carry this type: keep it cheap to move.
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn messages_name_the_varbind() {
        let e = Error::ErrorStatus {
            target: "127.0.0.1:161".parse().unwrap(),
            status: ErrorStatus::NotWritable,
            index: 1,
            oid: Some(snmux_engine::oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)),
        };
        assert_eq!(
            e.to_string(),
            "127.0.0.1:161 returned notWritable at varbind 1 (1.3.6.1.2.1.1.1.0)"
        );
        assert_eq!(e.error_status(), Some(ErrorStatus::NotWritable));
        assert!(!e.is_timeout());
    }
}
