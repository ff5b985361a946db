//! Simulated SNMP agents for tests, demos and benchmarks: a command
//! responder (SNMPv1 and SNMPv2c: GET, GETNEXT, GETBULK, SET) built on the
//! engine's codec, serving either snmprec recordings (the format of the
//! snmpsim project) or synthetic PDUs whose outlets switch when written.
//!
//! - An [`Agent`] is one simulated device: [`Agent::recording`] serves a
//!   [`Recording`] (see [`snmprec`] for the format), [`Agent::pdu`] behaves
//!   like a PDU of a [`Profile`] (APC, Raritan, ServerTech, Eaton,
//!   CyberPower, PoE) with N outlets, per-outlet readings that vary over
//!   time, and control objects that switch and cycle outlets on tokio's
//!   clock. [`Agent::outlet_state`] reads an outlet directly.
//! - A [`Sim`] serves agents over UDP: each on its own port (free ports on
//!   127.0.0.1 by default), or all on one port, one community each, as
//!   snmpsim does. [`SimBuilder::start_on`] serves on any
//!   [`Transport`](snmux_transport::Transport) instead, for tests under
//!   tokio's paused clock.
//! - [`Impairments`] make an agent slow, lossy or quirky in the ways real
//!   devices are (duplicates, another source address, 16-bit request-ids,
//!   non-increasing walks, broken GETBULK, odd encodings), with seeded
//!   randomness.
//!
//! The responder follows RFC 3416 §4.2 and, for SNMPv1, RFC 1157 and RFC
//! 3584 §4; where they leave a choice it does what net-snmp's snmpd does:
//! noSuchObject vs noSuchInstance, noSuchName with its error-index on v1,
//! v1 GETNEXT skipping Counter64 objects, GETBULK truncated (not tooBig)
//! to fit the maximum message size and capped at 100 varbinds, SET errors
//! (notWritable, wrongType, wrongValue, noAccess). Requests with an unknown
//! community get no answer. Malformed datagrams are dropped and counted
//! ([`AgentStats`]); nothing a peer sends can make it panic.
//!
//! # Examples
//!
//! Two PDUs on free loopback ports; cycle outlet 2 of the Raritan over
//! SNMP and watch it come back on, on tokio's paused clock:
//!
//! ```
//! use std::time::Duration;
//!
//! use snmux::sim::{Agent, OutletState, PduOptions, Profile, Sim};
//! use snmux::{Engine, Security, Value, VarBind, oid};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let options = PduOptions::new().outlets(4).cycle_time(Duration::from_secs(10));
//! let sim = Sim::builder()
//!     .agent(Agent::pdu(Profile::RaritanPx2, options).build())
//!     .agent(Agent::pdu(Profile::EatonEpdu, options).name("eaton-1").build())
//!     .start()
//!     .await?;
//! let raritan = &sim.agents()[0];
//! println!("{} on {} (community {})", raritan.name(), raritan.addr(), raritan.community());
//!
//! let engine = Engine::bind("127.0.0.1:0".parse()?)?;
//! let manager = engine.manager(raritan.addr(), Security::v2c("private")).build();
//! // switchingOperation.<pduId 1>.<outlet 2> = cycle(2)
//! let op = oid!(1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2, 1, 2);
//! manager.set(&[VarBind::new(op, Value::Integer(2))]).await?;
//! assert_eq!(raritan.outlet_state(2), Some(OutletState::Off));
//!
//! tokio::time::pause();
//! tokio::time::advance(Duration::from_secs(10)).await;
//! assert_eq!(raritan.outlet_state(2), Some(OutletState::On));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod agent;
mod impair;
mod mib;
mod profile;
mod quirky;
mod server;
pub mod snmprec;

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

pub use agent::{
    Agent, AgentBuilder, AgentStats, DEFAULT_MAX_BULK_VARBINDS, DEFAULT_MAX_MESSAGE_SIZE,
};
pub use impair::{BulkOverflow, Impairments};
pub use profile::{OutletState, PduOptions, Profile, Reading, UnknownProfile};
pub use server::{Listen, Sim, SimAgent, SimBuilder};
pub use snmprec::{Recording, SnmprecErrorKind};

/// Raises the soft limit of open files (`RLIMIT_NOFILE`) to at least
/// `wanted`, or to the hard limit if that is lower, for a simulator with
/// one socket per agent. Returns the soft limit in force afterwards (`None`
/// where it cannot be read, or off Linux).
pub fn raise_open_files_limit(wanted: u64) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::resource::{Resource, getrlimit, setrlimit};
        let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).ok()?;
        if soft < wanted {
            let target = wanted.min(hard);
            if setrlimit(Resource::RLIMIT_NOFILE, target, hard).is_ok() {
                return Some(target);
            }
        }
        Some(soft)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = wanted;
        None
    }
}

/// The errors of loading recordings and starting a simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A line of a recording is bad.
    #[error("{}:{line}: {kind}", file.display())]
    Snmprec {
        /// The file (or the name given to [`Recording::parse`]).
        file: PathBuf,
        /// The line number, 1-based.
        line: usize,
        /// What is wrong.
        kind: SnmprecErrorKind,
    },
    /// A recording or directory cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// A data directory holds no `*.snmprec` file.
    #[error("{}: no *.snmprec recordings", .0.display())]
    NoRecordings(PathBuf),
    /// A socket cannot be bound.
    #[error("cannot bind {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// Two agents of a one-port simulator share a community.
    #[error("two agents share the community {0:?}; one port needs one community per agent")]
    DuplicateCommunity(String),
    /// The agents' ports would go past 65535.
    #[error("{count} agents from port {first} go past port 65535")]
    PortRange {
        /// The first port.
        first: u16,
        /// The number of agents.
        count: usize,
    },
    /// [`SimBuilder::start_on`] got the wrong number of transports.
    #[error("expected {expected} transports, got {got}")]
    TransportCount {
        /// One per agent, or one.
        expected: usize,
        /// As given.
        got: usize,
    },
}
