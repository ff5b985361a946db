//! The SNMP engine of snmux: SMI types, the BER codec, message processing,
//! and the dispatcher that multiplexes every request over one transport.
//!
//! Most users want the `snmux` facade and its `Manager`; this crate is the
//! layer below it.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod ber;
mod codec;
pub mod dispatcher;
mod oid;
mod pdu;
mod v3;
mod value;

pub use ber::{DecodeError, DecodeErrorKind};
pub use codec::{MessageHeader, varbind_encoded_len};
pub use dispatcher::{Dispatcher, RequestOptions, Stats};
pub use oid::{MAX_OID_LEN, Oid, ParseOidError};
pub use pdu::{
    AnyPdu, ErrorStatus, Message, Pdu, PduType, RequestPdu, RequestVarBinds, TrapV1Pdu, Version,
};
pub use v3::{
    FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, HeaderV3, MessageV3, MsgData, SECURITY_MODEL_USM,
    ScopedPdu, UsmSecurityParameters, peek_version,
};
pub use value::{Value, ValueTypeError, VarBind};
