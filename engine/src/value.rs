//! SMI values (RFC 2578 §7.1, RFC 3416 §3) and variable bindings.

use std::fmt;
use std::net::Ipv4Addr;

use bytes::Bytes;

use crate::Oid;

/// The value of a variable binding: one of the SMIv2 base types, or one of
/// the three exceptions a v2c/v3 agent puts in place of a value (RFC 3416
/// §4.2.1).
///
/// Convert with the `as_*` helpers or `TryFrom` instead of matching:
///
/// ```
/// use snmux::Value;
///
/// let v = Value::Counter32(42);
/// assert_eq!(v.as_u64(), Some(42));
/// assert_eq!(u32::try_from(&v), Ok(42));
/// assert_eq!(Value::from("abc").as_str(), Some("abc"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Value {
    /// `INTEGER` / Integer32 (tag 0x02). A zero-length INTEGER, which some
    /// devices send (HPE PDUs), decodes as 0.
    Integer(i32),
    /// `OCTET STRING` (tag 0x04): arbitrary bytes, not necessarily UTF-8.
    OctetString(Bytes),
    /// `NULL` (tag 0x05): the value of every varbind in a request.
    Null,
    /// `OBJECT IDENTIFIER` (tag 0x06).
    ObjectIdentifier(Oid),
    /// IpAddress (application 0, tag 0x40): an IPv4 address.
    IpAddress(Ipv4Addr),
    /// Counter32 (application 1, tag 0x41).
    Counter32(u32),
    /// Gauge32, identical to Unsigned32 (application 2, tag 0x42).
    Gauge32(u32),
    /// TimeTicks (application 3, tag 0x43): hundredths of a second.
    TimeTicks(u32),
    /// Opaque (application 4, tag 0x44): BER bytes wrapped in an OCTET STRING.
    Opaque(Bytes),
    /// Counter64 (application 6, tag 0x46); SNMPv2c and v3 only.
    Counter64(u64),
    /// noSuchObject (context 0, tag 0x80): the agent has no such object.
    NoSuchObject,
    /// noSuchInstance (context 1, tag 0x81): the object has no such instance.
    NoSuchInstance,
    /// endOfMibView (context 2, tag 0x82): nothing follows in the agent's view.
    EndOfMibView,
}

impl Value {
    /// Whether the value is one of the exceptions noSuchObject,
    /// noSuchInstance or endOfMibView.
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView
        )
    }

    /// The value as a signed integer: Integer, Counter32, Gauge32, TimeTicks
    /// and Counter64 (if it fits).
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Integer(v) => Some(v.into()),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => Some(v.into()),
            Value::Counter64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as an unsigned integer: Counter32, Gauge32, TimeTicks,
    /// Counter64 and non-negative Integer.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Integer(v) => u64::try_from(v).ok(),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => Some(v.into()),
            Value::Counter64(v) => Some(v),
            _ => None,
        }
    }

    /// The bytes of an OctetString or Opaque.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::OctetString(b) | Value::Opaque(b) => Some(b),
            _ => None,
        }
    }

    /// An OctetString as text, if it is valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::OctetString(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    /// The OID of an ObjectIdentifier value.
    pub fn as_oid(&self) -> Option<&Oid> {
        match self {
            Value::ObjectIdentifier(oid) => Some(oid),
            _ => None,
        }
    }

    /// The address of an IpAddress value.
    pub fn as_ip(&self) -> Option<Ipv4Addr> {
        match *self {
            Value::IpAddress(ip) => Some(ip),
            _ => None,
        }
    }

    /// The name of the type as net-snmp prints it (`INTEGER`, `STRING`,
    /// `Counter32`, `Gauge32`, `Timeticks`, …); exceptions give their RFC
    /// names.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Integer(_) => "INTEGER",
            Value::OctetString(_) => "STRING",
            Value::Null => "NULL",
            Value::ObjectIdentifier(_) => "OID",
            Value::IpAddress(_) => "IpAddress",
            Value::Counter32(_) => "Counter32",
            Value::Gauge32(_) => "Gauge32",
            Value::TimeTicks(_) => "Timeticks",
            Value::Opaque(_) => "Opaque",
            Value::Counter64(_) => "Counter64",
            Value::NoSuchObject => "noSuchObject",
            Value::NoSuchInstance => "noSuchInstance",
            Value::EndOfMibView => "endOfMibView",
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Integer(v) => write!(f, "Integer({v})"),
            Value::OctetString(b) => match std::str::from_utf8(b) {
                Ok(s) => write!(f, "OctetString({s:?})"),
                Err(_) => write!(f, "OctetString({b:?})"),
            },
            Value::Null => f.write_str("Null"),
            Value::ObjectIdentifier(o) => write!(f, "ObjectIdentifier({o})"),
            Value::IpAddress(ip) => write!(f, "IpAddress({ip})"),
            Value::Counter32(v) => write!(f, "Counter32({v})"),
            Value::Gauge32(v) => write!(f, "Gauge32({v})"),
            Value::TimeTicks(v) => write!(f, "TimeTicks({v})"),
            Value::Opaque(b) => write!(f, "Opaque({b:?})"),
            Value::Counter64(v) => write!(f, "Counter64({v})"),
            Value::NoSuchObject => f.write_str("NoSuchObject"),
            Value::NoSuchInstance => f.write_str("NoSuchInstance"),
            Value::EndOfMibView => f.write_str("EndOfMibView"),
        }
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::OctetString(Bytes::copy_from_slice(v.as_bytes()))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::OctetString(Bytes::from(v))
    }
}

impl From<&[u8]> for Value {
    fn from(v: &[u8]) -> Self {
        Value::OctetString(Bytes::copy_from_slice(v))
    }
}

impl From<Bytes> for Value {
    fn from(v: Bytes) -> Self {
        Value::OctetString(v)
    }
}

impl From<Oid> for Value {
    fn from(v: Oid) -> Self {
        Value::ObjectIdentifier(v)
    }
}

impl From<Ipv4Addr> for Value {
    fn from(v: Ipv4Addr) -> Self {
        Value::IpAddress(v)
    }
}

/// The error of converting a [`Value`] to a Rust type it does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, found {found}")]
pub struct ValueTypeError {
    /// The type asked for.
    pub expected: &'static str,
    /// The type the value has ([`Value::type_name`]).
    pub found: &'static str,
}

macro_rules! try_from_value {
    ($t:ty, $name:literal, $conv:expr) => {
        impl TryFrom<&Value> for $t {
            type Error = ValueTypeError;

            fn try_from(v: &Value) -> Result<Self, Self::Error> {
                let conv: fn(&Value) -> Option<$t> = $conv;
                conv(v).ok_or(ValueTypeError {
                    expected: $name,
                    found: v.type_name(),
                })
            }
        }
    };
}

try_from_value!(i32, "a 32-bit signed integer", |v| v
    .as_i64()
    .and_then(|x| i32::try_from(x).ok()));
try_from_value!(i64, "an integer", Value::as_i64);
try_from_value!(u32, "a 32-bit unsigned integer", |v| v
    .as_u64()
    .and_then(|x| u32::try_from(x).ok()));
try_from_value!(u64, "an unsigned integer", Value::as_u64);
try_from_value!(String, "a UTF-8 octet string", |v| v
    .as_str()
    .map(str::to_owned));
try_from_value!(Oid, "an object identifier", |v| v.as_oid().cloned());
try_from_value!(Ipv4Addr, "an IpAddress", Value::as_ip);

/// A variable binding: an OID and its value (RFC 3416 §3, `VarBind`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct VarBind {
    /// The object instance.
    pub oid: Oid,
    /// Its value; [`Value::Null`] in requests other than SET.
    pub value: Value,
}

impl VarBind {
    /// A varbind with a value.
    pub fn new(oid: Oid, value: impl Into<Value>) -> Self {
        Self {
            oid,
            value: value.into(),
        }
    }

    /// A varbind with a NULL value, as GET, GETNEXT and GETBULK send.
    pub fn null(oid: Oid) -> Self {
        Self {
            oid,
            value: Value::Null,
        }
    }
}

impl fmt::Debug for VarBind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {:?}", self.oid, self.value)
    }
}
