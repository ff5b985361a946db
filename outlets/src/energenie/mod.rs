//! EnerGenie LAN power strips (EG-PMS-LAN, EG-PM2-LAN, EG-PMS2-LAN,
//! EG-PMS-WLAN): four sockets, switched through the web interface
//! ([`EnergenieWeb`]) or the native TCP protocol on port 5000
//! ([`EnergenieTcp`]).
//!
//! The strips have no meter: [`PowerOutlet::measure`] is
//! [`Error::Unsupported`]. They have no reboot command: a cycle is off, a
//! wait, on.

pub mod pms;
mod tcp;
mod web;

use std::time::Duration;

use futures::future::BoxFuture;

pub use pms::Model;
pub use tcp::{
    DEFAULT_PORT as TCP_PORT, DEFAULT_TIMEOUT as TCP_TIMEOUT, EnergenieTcp, EnergenieTcpBuilder,
};
pub use web::{
    DEFAULT_PASSWORD as WEB_PASSWORD, DEFAULT_TIMEOUT as WEB_TIMEOUT, EnergenieWeb,
    EnergenieWebBuilder,
};

use crate::{DEFAULT_CYCLE_WAIT, Error, OutletState, PowerOutlet, Reading};

/// One socket (1-4) of an EnerGenie strip, from
/// [`EnergenieWeb::socket`] or [`EnergenieTcp::socket`].
///
/// `on` and `off` confirm the switch by the states the device answers
/// with ([`Error::NotApplied`] if the socket did not change).
#[derive(Debug, Clone)]
pub struct EnergenieSocket {
    strip: Strip,
    socket: u8,
    outlet: String,
}

#[derive(Debug, Clone)]
pub(crate) enum Strip {
    Web(EnergenieWeb),
    Tcp(EnergenieTcp),
}

impl EnergenieSocket {
    /// Socket `socket` of `strip`; [`Error::InvalidOutlet`] if it is not 1-4.
    pub(crate) fn new(strip: Strip, socket: u8) -> Result<Self, Error> {
        let device = match &strip {
            Strip::Web(strip) => strip.device(),
            Strip::Tcp(strip) => strip.device(),
        };
        check_socket(device, socket)?;
        Ok(Self {
            strip,
            socket,
            outlet: socket.to_string(),
        })
    }

    /// The socket number, 1-4.
    pub fn socket(&self) -> u8 {
        self.socket
    }

    async fn switch_to(&self, on: bool) -> Result<(), Error> {
        match &self.strip {
            Strip::Web(strip) => strip.switch(self.socket, on).await,
            Strip::Tcp(strip) => strip.switch(self.socket, on).await,
        }
    }
}

impl PowerOutlet for EnergenieSocket {
    fn device(&self) -> &str {
        match &self.strip {
            Strip::Web(strip) => strip.device(),
            Strip::Tcp(strip) => strip.device(),
        }
    }

    fn outlet(&self) -> &str {
        &self.outlet
    }

    fn on(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.switch_to(true))
    }

    fn off(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.switch_to(false))
    }

    /// Off, `wait` (default 2 s), on: each switch is its own session, so
    /// that the strip is not held during the wait.
    fn cycle(&self, wait: Option<Duration>) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            self.switch_to(false).await?;
            tokio::time::sleep(wait.unwrap_or(DEFAULT_CYCLE_WAIT)).await;
            self.switch_to(true).await
        })
    }

    fn state(&self) -> BoxFuture<'_, Result<OutletState, Error>> {
        Box::pin(async move {
            let states = match &self.strip {
                Strip::Web(strip) => strip.states().await?,
                Strip::Tcp(strip) => strip.states().await?,
            };
            Ok(states[usize::from(self.socket - 1)])
        })
    }

    fn measure(&self) -> BoxFuture<'_, Result<Reading, Error>> {
        Box::pin(async move {
            Err(Error::Unsupported {
                device: self.device().to_owned(),
                operation: "read",
            })
        })
    }
}

/// The state `on` means.
pub(crate) fn on_off(on: bool) -> OutletState {
    if on {
        OutletState::On
    } else {
        OutletState::Off
    }
}

/// [`Error::NotApplied`] unless socket `n` (1-4) of `states`, the states
/// the strip answered a switch with, is `on`.
pub(crate) fn check_applied(device: &str, n: u8, on: bool, states: [bool; 4]) -> Result<(), Error> {
    let now = states[usize::from(n - 1)];
    if now == on {
        return Ok(());
    }
    Err(Error::NotApplied {
        device: device.to_owned(),
        outlet: n.to_string(),
        wanted: on_off(on),
        last: on_off(now),
        waited: Duration::ZERO,
    })
}

/// Sockets are 1-4.
pub(crate) fn check_socket(device: &str, n: u8) -> Result<(), Error> {
    if (1..=4).contains(&n) {
        Ok(())
    } else {
        Err(Error::InvalidOutlet {
            device: device.to_owned(),
            outlet: n.to_string(),
            reason: "EnerGenie sockets are 1-4",
        })
    }
}
