//! PDU outlets over SNMP: a [`Profile`] per vendor MIB, and
//! [`SnmpOutlet`], one outlet on a [`Manager`] (SNMPv1/v2c communities or
//! SNMPv3 users).

mod profile;
mod template;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use snmux_engine::{Oid, Value, VarBind};
use snmux_manager::Manager;
use tokio::time::Instant;

pub use profile::{Command, Control, Measurement, Profile, Readings, StateMap};
pub use template::{OidTemplate, TemplateError};

use crate::{DEFAULT_CYCLE_WAIT, Error, OutletState, PowerOutlet, Reading};

/// How long a switch is read back for until the outlet is in the state
/// asked for: 10 s.
pub const DEFAULT_CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// The pause between two reads of the state while confirming: 200 ms.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// One PDU outlet, switched and read over SNMP as its [`Profile`] says.
///
/// After a switch the outlet's state is read back until it is the state
/// asked for, at most [`SnmpOutletBuilder::confirm_timeout`] (default
/// 10 s), every [`SnmpOutletBuilder::poll_interval`] (default 200 ms);
/// [`Error::NotApplied`] if it never is. A profile without a state object
/// switches without confirming.
///
/// Cheap to clone. Each operation is a few SNMP requests on the manager's
/// engine; any number of outlets share one engine.
///
/// # Examples
///
/// ```no_run
/// use std::sync::Arc;
/// use snmux::outlets::PowerOutlet;
/// use snmux::outlets::snmp::{Profile, SnmpOutlet};
/// use snmux::{Engine, Security};
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let engine = Engine::bind("0.0.0.0:0".parse()?)?;
/// let pdu = engine.manager("192.0.2.7:161".parse()?, Security::v2c("private")).build();
/// let profile = Arc::new(Profile::builtin("apc-rpdu2").unwrap());
/// let outlet = SnmpOutlet::builder(pdu, profile, "5").build()?;
/// outlet.off().await?;
/// println!("{}", outlet.measure().await?);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SnmpOutlet {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    manager: Manager,
    profile: Arc<Profile>,
    index: Vec<u32>,
    device: String,
    outlet: String,
    confirm_timeout: Duration,
    poll_interval: Duration,
}

/// Settings of an [`SnmpOutlet`].
#[derive(Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct SnmpOutletBuilder {
    manager: Manager,
    profile: Arc<Profile>,
    outlet: String,
    confirm_timeout: Duration,
    poll_interval: Duration,
}

impl SnmpOutletBuilder {
    /// How long a switch is read back for. Default 10 s. For the PDU's own
    /// reboot command, make it longer than the PDU's off time. Zero: do not
    /// read back.
    pub fn confirm_timeout(mut self, timeout: Duration) -> Self {
        self.confirm_timeout = timeout;
        self
    }

    /// The pause between reads of the state while confirming. Default
    /// 200 ms.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The outlet.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOutlet`] if the outlet is not dotted decimal, or has
    /// more index parts than the profile (fewer are prefixed with
    /// [`Profile::index_prefix`]; too few even then is an error too).
    pub fn build(self) -> Result<SnmpOutlet, Error> {
        let device = format!("udp:{}", self.manager.target());
        let invalid = |reason| Error::InvalidOutlet {
            device: device.clone(),
            outlet: self.outlet.clone(),
            reason,
        };
        let given: Vec<u32> = self
            .outlet
            .trim()
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| invalid("an outlet is dotted decimal: 5, 1.5, 1.2.5"))?;
        let profile = &self.profile;
        if given.len() > profile.index_parts {
            return Err(invalid("more index parts than the profile has"));
        }
        let missing = profile.index_parts - given.len();
        if missing > profile.index_prefix.len() {
            return Err(invalid("fewer index parts than the profile needs"));
        }
        let mut index = profile.index_prefix[profile.index_prefix.len() - missing..].to_vec();
        index.extend_from_slice(&given);
        let outlet = index
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".");
        Ok(SnmpOutlet {
            inner: Arc::new(Inner {
                manager: self.manager,
                profile: self.profile,
                index,
                device,
                outlet,
                confirm_timeout: self.confirm_timeout,
                poll_interval: self.poll_interval,
            }),
        })
    }
}

impl SnmpOutlet {
    /// Outlet `outlet` of the PDU `manager` talks to: its index in dotted
    /// form (`5`; `1.5` for pdu.outlet; `1.2.5` for tower.infeed.outlet),
    /// or the last parts of it (Raritan `5` is `1.5`).
    pub fn builder(manager: Manager, profile: Arc<Profile>, outlet: &str) -> SnmpOutletBuilder {
        SnmpOutletBuilder {
            manager,
            profile,
            outlet: outlet.to_owned(),
            confirm_timeout: DEFAULT_CONFIRM_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The outlet's full index.
    pub fn index(&self) -> &[u32] {
        &self.inner.index
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// The manager.
    pub fn manager(&self) -> &Manager {
        &self.inner.manager
    }

    async fn command(&self, command: &Command, wanted: OutletState) -> Result<(), Error> {
        let control = &self.inner.profile.control;
        let (oid, value) = match command {
            Command::Value(value) => {
                let Some(template) = &control.oid else {
                    // Profile::validate rejects this; a profile built in code
                    // may still have it.
                    return Err(self.unsupported("control without an OID"));
                };
                (self.expand(template)?, *value)
            }
            Command::Object { oid, value } => (self.expand(oid)?, *value),
        };
        tracing::debug!(device = %self.inner.device, outlet = %self.inner.outlet, %oid, value, "set");
        self.inner
            .manager
            .set(&[VarBind::new(oid, Value::Integer(value))])
            .await
            .map_err(|e| self.snmp(e))?;
        self.confirm(wanted).await
    }

    /// Reads the state until it is `wanted`, within the confirmation time.
    async fn confirm(&self, wanted: OutletState) -> Result<(), Error> {
        if self.inner.profile.state.is_none() || self.inner.confirm_timeout.is_zero() {
            return Ok(());
        }
        let start = Instant::now();
        loop {
            let last = self.read_state().await?;
            if last == wanted {
                return Ok(());
            }
            let waited = start.elapsed();
            if waited >= self.inner.confirm_timeout {
                return Err(Error::NotApplied {
                    device: self.inner.device.clone(),
                    outlet: self.inner.outlet.clone(),
                    wanted,
                    last,
                    waited,
                });
            }
            tokio::time::sleep(
                self.inner
                    .poll_interval
                    .min(self.inner.confirm_timeout - waited),
            )
            .await;
        }
    }

    async fn read_state(&self) -> Result<OutletState, Error> {
        let Some(map) = &self.inner.profile.state else {
            return Err(self.unsupported("state"));
        };
        let oid = self.expand(&map.oid)?;
        let vbs = self
            .inner
            .manager
            .get(std::slice::from_ref(&oid))
            .await
            .map_err(|e| self.snmp(e))?;
        let value = self.integer(&vbs[0])?;
        Ok(map.state(value))
    }

    async fn read_measurements(&self) -> Result<Reading, Error> {
        let readings = &self.inner.profile.readings;
        if readings.is_empty() {
            return Err(self.unsupported("read"));
        }
        // One GET for every object: values, then decimal digits.
        let measurements = [&readings.voltage, &readings.current, &readings.active_power];
        let mut oids = Vec::new();
        let mut slots = [None; 3];
        for (slot, m) in slots.iter_mut().zip(measurements) {
            let Some(m) = m else { continue };
            let value = oids.len();
            oids.push(self.expand(&m.oid)?);
            let digits = match &m.decimal_digits {
                Some(template) => {
                    oids.push(self.expand(template)?);
                    Some(value + 1)
                }
                None => None,
            };
            *slot = Some((value, digits, m.scale));
        }
        let vbs = self
            .inner
            .manager
            .get(&oids)
            .await
            .map_err(|e| self.snmp(e))?;
        let value_of = |slot: Option<(usize, Option<usize>, f64)>| -> Result<Option<f64>, Error> {
            let Some((value, digits, scale)) = slot else {
                return Ok(None);
            };
            let vb = &vbs[value];
            // An outlet without a meter: the object is not there.
            if vb.value.is_exception() {
                return Ok(None);
            }
            let raw = self.integer(vb)?;
            if raw < 0 {
                return Ok(None);
            }
            let mut v = raw as f64 * scale;
            if let Some(d) = digits {
                let vb = &vbs[d];
                if !vb.value.is_exception() {
                    let digits = self.integer(vb)?;
                    if !(0..=9).contains(&digits) {
                        return Err(self.unexpected(vb));
                    }
                    v /= 10f64.powi(digits as i32);
                }
            }
            Ok(Some(v))
        };
        Ok(Reading {
            voltage: value_of(slots[0])?,
            current: value_of(slots[1])?,
            active_power: value_of(slots[2])?,
        })
    }

    fn expand(&self, template: &OidTemplate) -> Result<Oid, Error> {
        template
            .expand(&self.inner.index)
            .map_err(|reason| Error::InvalidOutlet {
                device: self.inner.device.clone(),
                outlet: self.inner.outlet.clone(),
                reason,
            })
    }

    /// An INTEGER-like value; an exception is a missing object.
    fn integer(&self, vb: &VarBind) -> Result<i64, Error> {
        if vb.value.is_exception() {
            return Err(Error::NoSuchObject {
                device: self.inner.device.clone(),
                oid: vb.oid.clone(),
            });
        }
        vb.value.as_i64().ok_or_else(|| self.unexpected(vb))
    }

    fn unexpected(&self, vb: &VarBind) -> Error {
        Error::UnexpectedValue {
            device: self.inner.device.clone(),
            oid: vb.oid.clone(),
            value: Box::new(vb.value.clone()),
        }
    }

    fn snmp(&self, e: snmux_manager::Error) -> Error {
        Error::from_snmp(&self.inner.device, e, self.inner.manager.timeout())
    }

    fn unsupported(&self, operation: &'static str) -> Error {
        Error::Unsupported {
            device: self.inner.device.clone(),
            operation,
        }
    }
}

impl PowerOutlet for SnmpOutlet {
    fn device(&self) -> &str {
        &self.inner.device
    }

    fn outlet(&self) -> &str {
        &self.inner.outlet
    }

    fn on(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.command(&self.inner.profile.control.on, OutletState::On))
    }

    fn off(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.command(&self.inner.profile.control.off, OutletState::Off))
    }

    /// `None` and a profile with a reboot command: that command, then the
    /// outlet is read back until it is on again (which takes the PDU's own
    /// off time: set [`SnmpOutletBuilder::confirm_timeout`] above it).
    /// Otherwise off, confirmed; the wait (default 2 s); on, confirmed.
    fn cycle(&self, wait: Option<Duration>) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let control = &self.inner.profile.control;
            if let (None, Some(reboot)) = (wait, &control.cycle) {
                return self.command(reboot, OutletState::On).await;
            }
            self.command(&control.off, OutletState::Off).await?;
            tokio::time::sleep(wait.unwrap_or(DEFAULT_CYCLE_WAIT)).await;
            self.command(&control.on, OutletState::On).await
        })
    }

    fn state(&self) -> BoxFuture<'_, Result<OutletState, Error>> {
        Box::pin(self.read_state())
    }

    fn measure(&self) -> BoxFuture<'_, Result<Reading, Error>> {
        Box::pin(self.read_measurements())
    }
}
