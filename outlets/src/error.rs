use std::io;
use std::time::Duration;

use snmux_engine::{ErrorStatus, Oid, Value};

use crate::OutletState;
use crate::config::ConfigError;

/// The error of an outlet operation: what failed, on which device.
///
/// `device` is the device as [`PowerOutlet::device`](crate::PowerOutlet::device)
/// names it (`udp:192.0.2.7:161`, `http://192.0.2.9`, `tcp:192.0.2.9:5000`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The device did not answer in time: an SNMP request timed out after
    /// its retransmissions, an HTTP request or a TCP exchange took longer
    /// than the driver's timeout.
    #[error("{device}: no answer within {after:?}")]
    Timeout {
        /// The device.
        device: String,
        /// How long the driver waited.
        after: Duration,
    },
    /// The SNMP agent answered with a non-zero error-status (RFC 3416 §3),
    /// e.g. `notWritable` for a read-only community or `wrongValue` for a
    /// command the PDU does not take.
    #[error("{device} returned {status}{}", .oid.as_ref().map(|o| format!(" for {o}")).unwrap_or_default())]
    ErrorStatus {
        /// The device.
        device: String,
        /// error-status.
        status: ErrorStatus,
        /// The OID of the varbind in error, when the agent named one.
        oid: Option<Oid>,
    },
    /// SNMPv3 authentication or privacy failed: unknown user name, wrong
    /// digest, unsupported security level, decryption error (RFC 3414 §3.2).
    #[error("{device}: authentication failed: {source}")]
    Authentication {
        /// The device.
        device: String,
        /// What the SNMP manager reported.
        source: Box<snmux_manager::Error>,
    },
    /// Another SNMP failure (malformed response, engine shut down, socket
    /// error), as the manager reported it.
    #[error("{device}: {source}")]
    Snmp {
        /// The device.
        device: String,
        /// What the SNMP manager reported.
        source: Box<snmux_manager::Error>,
    },
    /// The agent has no such object: a wrong profile, PDU number or outlet
    /// number (noSuchObject, noSuchInstance or endOfMibView in the
    /// response; noSuchName in SNMPv1).
    #[error("{device} has no object {oid} (check the profile and the outlet number)")]
    NoSuchObject {
        /// The device.
        device: String,
        /// The object asked for.
        oid: Oid,
    },
    /// The agent answered with a value of a type or range the profile does
    /// not expect.
    #[error("{device}: unexpected value {value:?} for {oid}")]
    UnexpectedValue {
        /// The device.
        device: String,
        /// The object.
        oid: Oid,
        /// The value it returned.
        value: Box<Value>,
    },
    /// The device accepted the command, but the outlet did not reach the
    /// state asked for within the confirmation time.
    #[error(
        "{device}: outlet {outlet} accepted the command but is {last}, not {wanted}, after {waited:?}"
    )]
    NotApplied {
        /// The device.
        device: String,
        /// The outlet, as the device numbers it.
        outlet: String,
        /// The state asked for.
        wanted: OutletState,
        /// The state last read back.
        last: OutletState,
        /// How long the driver read the state back for.
        waited: Duration,
    },
    /// The device accepted its own reboot command, and the outlet is on,
    /// but it was never seen cycling within the confirmation time: never
    /// off or pending, no command pending, its switching time unchanged. A
    /// PDU that ignores the command (or whose off phase is shorter than the
    /// poll interval and that has no object that would tell).
    #[error(
        "{device}: outlet {outlet} accepted the reboot command but was never seen off or pending \
         (and its switching time did not change) in {waited:?}"
    )]
    CycleNotObserved {
        /// The device.
        device: String,
        /// The outlet, as the device numbers it.
        outlet: String,
        /// How long the driver read the outlet back for.
        waited: Duration,
    },
    /// The device cannot do this (no measurements, no state object in a
    /// custom profile).
    #[error("{device}: {operation} is not supported by this device")]
    Unsupported {
        /// The device.
        device: String,
        /// The operation: `"read"`, `"state"`, `"cycle"`.
        operation: &'static str,
    },
    /// The device refused the connection (nothing listens on the port, or
    /// the service is disabled).
    #[error("{device}: connection refused")]
    ConnectionRefused {
        /// The device.
        device: String,
    },
    /// The web interface answered with an HTTP status other than 200.
    #[error("{device}: HTTP status {status} for {path}")]
    HttpStatus {
        /// The device.
        device: String,
        /// The request path.
        path: &'static str,
        /// The HTTP status code.
        status: u16,
    },
    /// The password was wrong: the web interface showed its login page
    /// again.
    #[error("{device}: wrong password")]
    WrongPassword {
        /// The device.
        device: String,
    },
    /// The TCP protocol got no status after the challenge response within
    /// the driver's timeout: the strip stays silent on a bad key, so this
    /// is most likely a wrong password (or a strip slower than the
    /// timeout, [`EnergenieTcpBuilder::timeout`](crate::energenie::EnergenieTcpBuilder::timeout)).
    #[error(
        "{device}: no answer in {waited:?} after the challenge response: most likely a wrong \
         password (the strip stays silent on a bad key)"
    )]
    SilentAfterLogin {
        /// The device.
        device: String,
        /// How long the driver waited.
        waited: Duration,
    },
    /// Another client holds the device's only session: the device answers
    /// "Impossible to login - there is an active session with this device
    /// at this moment" until that client logs out.
    #[error("{device}: another client has a session open on the device")]
    SessionHeld {
        /// The device.
        device: String,
    },
    /// An HTTP exchange failed below the status line (connection reset,
    /// closed mid-response, malformed response).
    #[error("{device}: HTTP: {source}")]
    Http {
        /// The device.
        device: String,
        /// What the HTTP client reported.
        source: reqwest::Error,
    },
    /// A TCP exchange failed (connection reset, closed early).
    #[error("{device}: {source}")]
    Io {
        /// The device.
        device: String,
        /// The socket error.
        source: io::Error,
    },
    /// The device said something the protocol does not allow.
    #[error("{device}: {reason}")]
    Protocol {
        /// The device.
        device: String,
        /// What was wrong.
        reason: ProtocolError,
    },
    /// An outlet number or index this device does not have (EnerGenie
    /// sockets are 1-4; an SNMP profile fixes the number of index parts).
    #[error("{device}: invalid outlet {outlet}: {reason}")]
    InvalidOutlet {
        /// The device.
        device: String,
        /// The outlet as given.
        outlet: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// The web interface session could not be closed: the device stays
    /// locked to this host until it is (or until the device forgets it).
    /// `operation` is the error of the operation itself, if that failed too.
    #[error(
        "{device}: logout failed: {logout}{}; the device stays locked to this host",
        .operation.as_ref().map(|e| format!(" (after: {e})")).unwrap_or_default()
    )]
    LogoutFailed {
        /// The device.
        device: String,
        /// Why the logout failed.
        logout: Box<Error>,
        /// The error of the operation, when it failed before the logout.
        operation: Option<Box<Error>>,
    },
    /// The configuration is invalid.
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
}

/// What was wrong with what a device said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The web interface's page is neither the status page (`var sockstates
    /// = [..]`), nor the login page, nor the "Impossible to login" page.
    #[error("unrecognised page from the web interface ({0})")]
    UnrecognisedPage(&'static str),
    /// A socket state byte that is neither on nor off for the model.
    #[error("socket {socket} state byte {byte:#04x} is neither on nor off for {model}")]
    StateByte {
        /// The socket, 1-4.
        socket: u8,
        /// The decrypted byte.
        byte: u8,
        /// The protocol (`pms20`, `pms21`, `pmswlan`).
        model: &'static str,
    },
    /// The device did not answer the Start byte (0x11) with a challenge,
    /// even after retries.
    #[error("no challenge after {0} start attempts")]
    NoChallenge(u32),
    /// The connection closed before the device sent all it had to.
    #[error("connection closed after {got} of {expected} bytes")]
    Closed {
        /// Bytes expected.
        expected: usize,
        /// Bytes received.
        got: usize,
    },
}

impl Error {
    /// Whether the device did not answer in time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// Whether the password was wrong, or most likely was
    /// ([`Error::WrongPassword`], [`Error::SilentAfterLogin`]).
    pub fn is_wrong_password(&self) -> bool {
        matches!(
            self,
            Error::WrongPassword { .. } | Error::SilentAfterLogin { .. }
        )
    }

    /// The device the error is about, if it is about one.
    pub fn device(&self) -> Option<&str> {
        match self {
            Error::Timeout { device, .. }
            | Error::ErrorStatus { device, .. }
            | Error::Authentication { device, .. }
            | Error::Snmp { device, .. }
            | Error::NoSuchObject { device, .. }
            | Error::UnexpectedValue { device, .. }
            | Error::NotApplied { device, .. }
            | Error::CycleNotObserved { device, .. }
            | Error::Unsupported { device, .. }
            | Error::ConnectionRefused { device }
            | Error::HttpStatus { device, .. }
            | Error::WrongPassword { device }
            | Error::SilentAfterLogin { device, .. }
            | Error::SessionHeld { device }
            | Error::Http { device, .. }
            | Error::Io { device, .. }
            | Error::Protocol { device, .. }
            | Error::InvalidOutlet { device, .. }
            | Error::LogoutFailed { device, .. } => Some(device),
            Error::Config(_) => None,
        }
    }

    /// The error of an SNMP manager operation on `device`, in this crate's
    /// terms.
    /// `timeout` is the manager's request timeout.
    pub(crate) fn from_snmp(device: &str, e: snmux_manager::Error, timeout: Duration) -> Error {
        use snmux_manager::Error as E;
        let device = device.to_owned();
        match e {
            E::Timeout { .. } => Error::Timeout {
                device,
                after: timeout,
            },
            E::ErrorStatus {
                status: ErrorStatus::NoSuchName,
                oid: Some(oid),
                ..
            } => Error::NoSuchObject { device, oid },
            E::ErrorStatus { status, oid, .. } => Error::ErrorStatus {
                device,
                status,
                oid,
            },
            e @ (E::UnknownUserName { .. }
            | E::WrongDigest { .. }
            | E::UnsupportedSecLevel { .. }
            | E::DecryptionError { .. }
            | E::UnknownEngineId { .. }
            | E::NotInTimeWindow { .. }
            | E::Usm(_)) => Error::Authentication {
                device,
                source: Box::new(e),
            },
            e => Error::Snmp {
                device,
                source: Box::new(e),
            },
        }
    }

    /// The error of an HTTP exchange with `device`.
    pub(crate) fn from_http(device: &str, e: reqwest::Error, timeout: Duration) -> Error {
        let device = device.to_owned();
        if e.is_timeout() {
            return Error::Timeout {
                device,
                after: timeout,
            };
        }
        if e.is_connect() && source_is(&e, io::ErrorKind::ConnectionRefused) {
            return Error::ConnectionRefused { device };
        }
        Error::Http { device, source: e }
    }

    /// The error of a TCP exchange with `device`.
    pub(crate) fn from_io(device: &str, e: io::Error) -> Error {
        let device = device.to_owned();
        match e.kind() {
            io::ErrorKind::ConnectionRefused => Error::ConnectionRefused { device },
            _ => Error::Io { device, source: e },
        }
    }
}

/// Whether an I/O error of `kind` is somewhere in the source chain of `e`.
fn source_is(e: &(dyn std::error::Error + 'static), kind: io::ErrorKind) -> bool {
    let mut next = e.source();
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return io.kind() == kind;
        }
        next = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        // Every operation's result carries this type: keep it cheap to move.
        assert!(
            std::mem::size_of::<Error>() <= 128,
            "{}",
            std::mem::size_of::<Error>()
        );
    }

    #[test]
    fn messages_say_what_and_where() {
        let e = Error::NotApplied {
            device: "udp:127.0.0.1:161".into(),
            outlet: "1.3".into(),
            wanted: OutletState::On,
            last: OutletState::Off,
            waited: Duration::from_secs(5),
        };
        assert_eq!(
            e.to_string(),
            "udp:127.0.0.1:161: outlet 1.3 accepted the command but is off, not on, after 5s"
        );
        assert_eq!(e.device(), Some("udp:127.0.0.1:161"));
        let e = Error::CycleNotObserved {
            device: "udp:127.0.0.1:161".into(),
            outlet: "1.3".into(),
            waited: Duration::from_secs(10),
        };
        assert_eq!(
            e.to_string(),
            "udp:127.0.0.1:161: outlet 1.3 accepted the reboot command but was never seen off or \
             pending (and its switching time did not change) in 10s"
        );
        let e = Error::SilentAfterLogin {
            device: "tcp:192.0.2.9:5000".into(),
            waited: Duration::from_secs(4),
        };
        assert!(e.is_wrong_password());
        assert_eq!(e.device(), Some("tcp:192.0.2.9:5000"));
        let e = Error::ErrorStatus {
            device: "udp:127.0.0.1:161".into(),
            status: ErrorStatus::NotWritable,
            oid: Some("1.3.6.1.4.1.318.1.1.4.4.2.1.3.1".parse().unwrap()),
        };
        assert_eq!(
            e.to_string(),
            "udp:127.0.0.1:161 returned notWritable for 1.3.6.1.4.1.318.1.1.4.4.2.1.3.1"
        );
    }

    #[test]
    fn snmp_errors_map_to_their_kind() {
        let target = "127.0.0.1:161".parse().unwrap();
        let e = Error::from_snmp(
            "udp:127.0.0.1:161",
            snmux_manager::Error::WrongDigest {
                target,
                user: "ops".into(),
            },
            Duration::from_secs(5),
        );
        assert!(matches!(e, Error::Authentication { .. }), "{e}");
        let e = Error::from_snmp(
            "udp:127.0.0.1:161",
            snmux_manager::Error::ErrorStatus {
                target,
                status: ErrorStatus::NoSuchName,
                index: 1,
                oid: Some("1.3.6.1.4.1.1".parse().unwrap()),
            },
            Duration::from_secs(5),
        );
        assert!(matches!(e, Error::NoSuchObject { .. }), "{e}");
    }
}
