use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The error of the poller: a request of a round that failed, or an
/// inventory file that does not load.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request of the job `job` failed; the job's varbinds received
    /// before it are in the record's values.
    #[error("{job}: {source}")]
    Request {
        /// The job: the name of a GET set, or the walk's root or column.
        job: Arc<str>,
        /// What the manager reported (boxed: it is large, and rare).
        source: Box<snmux_manager::Error>,
    },
    /// The job `job` was not sent: the target's circuit breaker is open
    /// after repeated timeouts (see [`BreakerConfig`](crate::pacing::BreakerConfig)).
    #[error("{job}: not sent, the circuit breaker is open after repeated timeouts")]
    CircuitOpen {
        /// The job.
        job: Arc<str>,
    },
    /// The inventory file is not valid TOML of the inventory's shape (a
    /// syntax error, an unknown field, a value of the wrong type); the
    /// message gives the line and column.
    #[error("{}: {source}", file.display())]
    Syntax {
        /// The inventory file.
        file: PathBuf,
        /// What the TOML parser reported.
        source: Box<toml::de::Error>,
    },
    /// A field of the inventory has a value that is not allowed.
    #[error("{0}")]
    Inventory(Box<InventoryError>),
    /// The inventory file could not be read.
    #[error("{}: {source}", file.display())]
    Io {
        /// The inventory file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The poller could not start its engine.
    #[error("cannot start the engine: {0}")]
    Engine(Box<snmux_manager::Error>),
}

impl Error {
    pub(crate) fn inventory(
        file: &std::path::Path,
        target: &str,
        field: &str,
        reason: InvalidField,
    ) -> Error {
        Error::Inventory(Box::new(InventoryError {
            file: file.to_owned(),
            target: target.to_owned(),
            field: field.to_owned(),
            reason,
        }))
    }

    /// Whether this is a request that timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Request { source, .. } if source.is_timeout())
    }

    /// Whether this is a job the circuit breaker did not send.
    pub fn is_circuit_open(&self) -> bool {
        matches!(self, Error::CircuitOpen { .. })
    }

    /// The job of a request error.
    pub fn job(&self) -> Option<&str> {
        match self {
            Error::Request { job, .. } | Error::CircuitOpen { job } => Some(job),
            _ => None,
        }
    }
}

/// A field of an inventory that is not valid: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {target}: {field}: {reason}", file.display())]
#[non_exhaustive]
pub struct InventoryError {
    /// The inventory file.
    pub file: PathBuf,
    /// Which table: `target[3] (name "rack-a")`, `defaults`, `sets.system`.
    pub target: String,
    /// The field, e.g. `hosts`, `auth_protocol`.
    pub field: String,
    /// What is wrong with it.
    pub reason: InvalidField,
}

/// What is wrong with a field of an inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidField {
    /// A required field is absent.
    Missing,
    /// Neither an IP address, a CIDR prefix, a `FIRST-LAST` range nor a
    /// host name that resolves.
    Host(String),
    /// A range whose last address is before its first, or whose ends are of
    /// different families.
    Range(String),
    /// A range or prefix of more addresses than the inventory takes.
    TooManyAddresses {
        /// The addresses it holds (saturated at `u64::MAX`).
        count: u64,
        /// The most allowed.
        max: u64,
    },
    /// A port of 0, or a port range whose end is before its start.
    Port(String),
    /// Not `1`, `2c` or `3`.
    Version(String),
    /// Not an OID in dotted numeric form.
    Oid(String),
    /// Not a duration such as `500ms`, `5s` or `1m 30s`.
    Duration(String),
    /// A number out of its range.
    OutOfRange {
        /// The value given.
        value: i64,
        /// The smallest allowed.
        min: i64,
        /// The largest allowed.
        max: i64,
    },
    /// Not one of the names allowed here (a security level, protocol or
    /// profile).
    Name {
        /// The value given.
        value: String,
        /// The names allowed.
        expected: &'static str,
    },
    /// A GET set that the inventory's `[sets]` does not define.
    UnknownSet(String),
    /// The field does not belong here: an option of another SNMP version
    /// or security level, a target's own field in `[defaults]`, or one of
    /// two fields that exclude each other. The text says which.
    NotHere(&'static str),
    /// The SNMPv3 user could not be made (a passphrase shorter than 8
    /// characters, RFC 3414 §11.2).
    Usm(String),
    /// The target collects nothing: give `get`, `walk` or `profile`.
    NothingToCollect,
}

impl fmt::Display for InvalidField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidField::Missing => f.write_str("missing"),
            InvalidField::Host(h) => write!(
                f,
                "{h:?} is not an IP address, CIDR prefix (10.0.0.0/24), range \
                 (10.0.0.1-10.0.0.9) or host name that resolves"
            ),
            InvalidField::Range(r) => write!(
                f,
                "{r:?} is not a range of addresses from low to high of one family"
            ),
            InvalidField::TooManyAddresses { count, max } => {
                write!(f, "{count} addresses; at most {max} per entry")
            }
            InvalidField::Port(p) => write!(
                f,
                "{p:?} is not a port (1-65535) or port range (20000-20999)"
            ),
            InvalidField::Version(v) => write!(f, "{v:?}: expected \"1\", \"2c\" or \"3\""),
            InvalidField::Oid(o) => write!(f, "{o:?} is not a numeric OID (1.3.6.1.2.1.1.5.0)"),
            InvalidField::Duration(d) => {
                write!(f, "{d:?} is not a duration (500ms, 5s, 1m 30s)")
            }
            InvalidField::OutOfRange { value, min, max } => {
                write!(f, "{value} is out of range ({min} to {max})")
            }
            InvalidField::Name { value, expected } => write!(f, "{value:?}: expected {expected}"),
            InvalidField::UnknownSet(s) => write!(f, "no set {s:?} in [sets]"),
            InvalidField::NotHere(hint) => f.write_str(hint),
            InvalidField::Usm(e) => f.write_str(e),
            InvalidField::NothingToCollect => {
                f.write_str("nothing to collect: give get, walk or profile")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_stay_cheap() {
        assert!(
            std::mem::size_of::<Error>() <= 64,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
