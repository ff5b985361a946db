//! The SNMP command generator of snmux (RFC 3413 §3.1): an [`Engine`] that
//! owns one socket, and cheap [`Manager`] handles that send GET, GETNEXT,
//! GETBULK and SET requests and walk subtrees through it.
//!
//! Most users reach these types through the `snmux` facade.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod engine;
mod error;
mod manager;
mod v3;
mod walk;

pub use engine::{Engine, EngineBuilder};
pub use error::{Error, ImproperResponse};
pub use manager::{Manager, ManagerBuilder, Security};
pub use snmux_usm::{AuthProtocol, PrivProtocol};
pub use v3::{SecurityLevel, UsmUser};
pub use walk::{Walk, WalkEnd, WalkRequest, WalkState};
