//! snmux: an asynchronous SNMP manager engine for tokio.
//!
//! One [`Engine`] owns one UDP socket and one receive task; any number of
//! cheap [`Manager`] handles, one per agent, send requests through it. Each
//! request is a future: the receive task routes its response to it by
//! request-id, wakes it at its own retransmission and timeout times (one
//! timer in the task for all of them), and dropping the future cancels it.
//!
//! # Examples
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use snmux::{Engine, Security, Value, VarBind, oid};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), snmux::Error> {
//!     let engine = Engine::bind("0.0.0.0:0".parse().unwrap())?;
//!     let agent = engine
//!         .manager("127.0.0.1:161".parse().unwrap(), Security::v2c("public"))
//!         .build();
//!
//!     // GET sysName.0
//!     let vbs = agent.get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]).await?;
//!     println!("{}", vbs[0].value.as_str().unwrap_or("?"));
//!
//!     // Walk the system group.
//!     let system: Vec<VarBind> = agent.walk(oid!(1, 3, 6, 1, 2, 1, 1)).try_collect().await?;
//!     println!("{} objects", system.len());
//!
//!     // SET sysContact.0 (with a read-write community).
//!     let rw = engine
//!         .manager("127.0.0.1:161".parse().unwrap(), Security::v2c("private"))
//!         .build();
//!     rw.set(&[VarBind::new(oid!(1, 3, 6, 1, 2, 1, 1, 4, 0), Value::from("ops@example.net"))])
//!         .await?;
//!     Ok(())
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

/// Octet strings are `Bytes`: cheap to clone, sharing the received datagram.
pub use bytes::{Bytes, BytesMut};
pub use snmux_engine::{
    AnyPdu, DecodeError, DecodeErrorKind, ErrorStatus, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE,
    HeaderV3, MAX_OID_LEN, Message, MessageHeader, MessageV3, MsgData, Oid, ParseOidError, Pdu,
    PduType, RequestPdu, RequestVarBinds, SECURITY_MODEL_USM, ScopedPdu, Stats, TrapV1Pdu,
    UsmSecurityParameters, Value, ValueTypeError, VarBind, Version, oid, peek_version,
};
pub use snmux_manager::{
    AuthProtocol, Engine, EngineBuilder, Error, ImproperResponse, Manager, ManagerBuilder,
    PrivProtocol, Security, SecurityLevel, UsmUser, Walk, WalkEnd, WalkRequest, WalkState,
};

/// Power-outlet drivers: SNMP PDUs of every major vendor, EnerGenie LAN
/// power strips, one [`PowerOutlet`](outlets::PowerOutlet) trait.
pub mod outlets {
    pub use snmux_outlets::*;
}

/// The poller: many agents through one engine, paced, as a stream of
/// records (`snmux poll` in the library).
pub mod poll {
    pub use snmux_poll::*;
}

/// The layers below the managers, for tests and advanced uses.
pub mod transport {
    pub use snmux_transport::*;
}

/// The User-based Security Model's keys and algorithms (RFC 3414, RFC 3826,
/// RFC 7860), for SNMPv3.
pub mod usm {
    pub use snmux_usm::*;
}

/// Simulated agents: snmprec recordings and vendor PDU profiles served
/// over UDP, for tests, demos and benchmarks.
pub mod sim {
    pub use snmux_sim::*;
}

/// The dispatcher below the managers: requests by request-id or msgID.
pub mod dispatcher {
    pub use snmux_engine::dispatcher::*;
}

/// The examples of README.md, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
