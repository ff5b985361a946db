//! The poller of snmux: many SNMP agents polled through one engine, with
//! the pacing a real network needs, as a [`futures::Stream`] of records.
//!
//! - [`Target`]: an agent, its credentials, what to collect (GET sets,
//!   walks, the outlet table of a [`PduProfile`]) and how to pace it.
//! - [`Poller`]: polls every target concurrently through one
//!   [`Engine`](snmux_manager::Engine), one-shot or every interval, and
//!   yields a [`PollRecord`] per target per round.
//! - [`pacing`]: the per-target pacer and circuit breaker, as plain code.
//! - [`Inventory`]: targets from a TOML file.
//! - [`Summary`]: totals and latency percentiles over records.
//!
//! Most users reach these types through the `snmux::poll` facade module.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod error;
mod inventory;
pub mod pacing;
mod poller;
mod profile;
mod summary;
mod target;

pub use error::{Error, InvalidField, InventoryError};
pub use inventory::{Inventory, MAX_ADDRESSES, MAX_TARGETS_PER_TABLE};
pub use poller::{PollRecord, Poller, PollerBuilder, Records};
pub use profile::{Column, PduProfile, UnknownProfile};
pub use summary::Summary;
pub use target::{Job, Target, TargetOptions};
