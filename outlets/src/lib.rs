//! Power-outlet drivers on snmux: PDU outlets over SNMP (APC, Raritan,
//! ServerTech, Eaton, CyberPower, PoE switch ports, and profiles of your
//! own) and EnerGenie LAN power strips, behind one [`PowerOutlet`] trait.
//!
//! Most users reach this crate as `snmux::outlets`.
//!
//! - [`PowerOutlet`]: `on`, `off`, `cycle`, `state`, `measure` and a
//!   `read` stream, each with a typed [`Error`].
//! - [`switch_all`] and [`OutletGroup`]: many outlets at once, concurrently
//!   across devices and one at a time on each device, with a result per
//!   outlet.
//! - [`energenie`]: EG-PM2-LAN / EG-PMS2-LAN web interface and the TCP
//!   protocol on port 5000.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod config;
pub mod energenie;
mod error;
mod outlet;
pub mod snmp;

pub use error::{Error, ProtocolError};
pub use outlet::{
    Action, DEFAULT_CYCLE_WAIT, OutletGroup, OutletState, PowerOutlet, Reading, measure_all,
    state_all, switch_all,
};
