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
use tokio::sync::Mutex;
use tokio::time::Instant;

pub use profile::{Command, Control, Measurement, PendingMap, Profile, Readings, StateMap};
pub use template::{OidTemplate, TemplateError};

use crate::{DEFAULT_CYCLE_WAIT, Error, OutletState, PowerOutlet, Reading};

/// How long a switch is read back for until the outlet is in the state
/// asked for: 10 s.
pub const DEFAULT_CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// The pause between two reads of the state while confirming: 200 ms.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(200);

/// One PDU on a [`Manager`], read and switched as its [`Profile`] says:
/// what the outlets of one PDU share.
///
/// Outlets built from one `SnmpPdu` (or from clones of it, or from
/// [`SnmpOutlet::pdu`]) take turns: each operation on one of them
/// ([`on`](PowerOutlet::on), [`off`](PowerOutlet::off),
/// [`cycle`](PowerOutlet::cycle) with its wait and confirmation,
/// [`state`](PowerOutlet::state), [`measure`](PowerOutlet::measure)) waits
/// until the operation before it on the same PDU has ended, first come
/// first served. So the PDU sees one command at a time even from
/// concurrent [`switch_all`](crate::switch_all) calls.
///
/// Cheap to clone.
///
/// # Examples
///
/// ```no_run
/// use std::sync::Arc;
/// use snmux::outlets::PowerOutlet;
/// use snmux::outlets::snmp::{Profile, SnmpPdu};
/// use snmux::{Engine, Security};
///
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let engine = Engine::bind("0.0.0.0:0".parse()?)?;
/// let manager = engine.manager("192.0.2.7:161".parse()?, Security::v2c("private")).build();
/// let pdu = SnmpPdu::new(manager, Arc::new(Profile::builtin("apc-rpdu2").unwrap()));
/// let (a, b) = (pdu.outlet("5").build()?, pdu.outlet("6").build()?);
/// // One after the other on the PDU, though started together.
/// let (ra, rb) = tokio::join!(a.off(), b.off());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SnmpPdu {
    inner: Arc<PduInner>,
}

#[derive(Debug)]
struct PduInner {
    manager: Manager,
    profile: Arc<Profile>,
    device: String,
    /// Held for the whole of each operation on one of its outlets.
    turn: Mutex<()>,
}

impl SnmpPdu {
    /// The PDU `manager` talks to, with `profile`.
    pub fn new(manager: Manager, profile: Arc<Profile>) -> SnmpPdu {
        SnmpPdu {
            inner: Arc::new(PduInner {
                device: format!("udp:{}", manager.target()),
                manager,
                profile,
                turn: Mutex::new(()),
            }),
        }
    }

    /// Outlet `outlet` of this PDU: its index in dotted form (`5`; `1.5`
    /// for pdu.outlet; `1.2.5` for tower.infeed.outlet), or the last parts
    /// of it (Raritan `5` is `1.5`).
    pub fn outlet(&self, outlet: &str) -> SnmpOutletBuilder {
        SnmpOutletBuilder {
            pdu: self.clone(),
            outlet: outlet.to_owned(),
            confirm_timeout: DEFAULT_CONFIRM_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
        }
    }

    /// The device, `udp:192.0.2.7:161`.
    pub fn device(&self) -> &str {
        &self.inner.device
    }

    /// The manager.
    pub fn manager(&self) -> &Manager {
        &self.inner.manager
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }
}

/// One PDU outlet, switched and read over SNMP as its [`Profile`] says.
///
/// After a switch the outlet's state is read back until it is the state
/// asked for, at most [`SnmpOutletBuilder::confirm_timeout`] (default
/// 10 s), every [`SnmpOutletBuilder::poll_interval`] (default 200 ms);
/// [`Error::NotApplied`] if it never is. After the PDU's own reboot
/// command the outlet must also be seen cycling before it is on again
/// (see [`PowerOutlet::cycle`] below); [`Error::CycleNotObserved`] if it
/// never is. A profile without a state object switches without
/// confirming.
///
/// Cheap to clone. Each operation is a few SNMP requests on the manager's
/// engine; any number of outlets share one engine. Outlets of one
/// [`SnmpPdu`] take turns on it.
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
    pdu: SnmpPdu,
    index: Vec<u32>,
    outlet: String,
    confirm_timeout: Duration,
    poll_interval: Duration,
}

/// Settings of an [`SnmpOutlet`].
#[derive(Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct SnmpOutletBuilder {
    pdu: SnmpPdu,
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
        let invalid = |reason| Error::InvalidOutlet {
            device: self.pdu.device().to_owned(),
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
        let profile = self.pdu.profile();
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
                pdu: self.pdu,
                index,
                outlet,
                confirm_timeout: self.confirm_timeout,
                poll_interval: self.poll_interval,
            }),
        })
    }
}

impl SnmpOutlet {
    /// Outlet `outlet` of the PDU `manager` talks to, as
    /// [`SnmpPdu::outlet`] of a PDU of its own: build the outlets of one
    /// PDU from one [`SnmpPdu`] instead for them to take turns.
    pub fn builder(manager: Manager, profile: Arc<Profile>, outlet: &str) -> SnmpOutletBuilder {
        SnmpPdu::new(manager, profile).outlet(outlet)
    }

    /// The PDU, for more outlets that take turns with this one.
    pub fn pdu(&self) -> &SnmpPdu {
        &self.inner.pdu
    }

    /// The outlet's full index.
    pub fn index(&self) -> &[u32] {
        &self.inner.index
    }

    /// The profile.
    pub fn profile(&self) -> &Profile {
        self.inner.pdu.profile()
    }

    /// The manager.
    pub fn manager(&self) -> &Manager {
        self.inner.pdu.manager()
    }

    /// Writes `command`, then confirms that the outlet is `wanted`.
    async fn command(&self, command: &Command, wanted: OutletState) -> Result<(), Error> {
        self.write(command).await?;
        self.confirm(Goal::State(wanted)).await
    }

    /// Writes the PDU's reboot `command`, then confirms that the outlet
    /// went through a cycle and is on again.
    async fn reboot(&self, command: &Command) -> Result<(), Error> {
        let before = if self.confirms() {
            self.cycle_status().await?.switched_at
        } else {
            None
        };
        self.write(command).await?;
        self.confirm(Goal::Cycle { before }).await
    }

    async fn write(&self, command: &Command) -> Result<(), Error> {
        let control = &self.profile().control;
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
        tracing::debug!(device = %self.inner.pdu.device(), outlet = %self.inner.outlet, %oid, value, "set");
        self.manager()
            .set(&[VarBind::new(oid, Value::Integer(value))])
            .await
            .map_err(|e| self.snmp(e))?;
        Ok(())
    }

    /// Whether switches are read back: the profile has a state object and
    /// the confirmation time is not zero.
    fn confirms(&self) -> bool {
        self.profile().state.is_some() && !self.inner.confirm_timeout.is_zero()
    }

    /// Reads the outlet back until `goal` is reached, within the
    /// confirmation time.
    async fn confirm(&self, goal: Goal) -> Result<(), Error> {
        if !self.confirms() {
            return Ok(());
        }
        let start = Instant::now();
        let mut cycled = false;
        loop {
            let (done, last) = match &goal {
                Goal::State(wanted) => {
                    let state = self.read_state().await?;
                    (state == *wanted, state)
                }
                Goal::Cycle { before } => {
                    let now = self.cycle_status().await?;
                    cycled |= now.cycling()
                        || (before.is_some()
                            && now.switched_at.is_some()
                            && now.switched_at != *before);
                    (cycled && now.shown() == OutletState::On, now.shown())
                }
            };
            if done {
                return Ok(());
            }
            let waited = start.elapsed();
            if waited >= self.inner.confirm_timeout {
                let device = self.inner.pdu.device().to_owned();
                let outlet = self.inner.outlet.clone();
                return Err(match goal {
                    Goal::Cycle { .. } if last == OutletState::On => Error::CycleNotObserved {
                        device,
                        outlet,
                        waited,
                    },
                    Goal::State(wanted) => Error::NotApplied {
                        device,
                        outlet,
                        wanted,
                        last,
                        waited,
                    },
                    Goal::Cycle { .. } => Error::NotApplied {
                        device,
                        outlet,
                        wanted: OutletState::On,
                        last,
                        waited,
                    },
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

    /// The state, with the profile's command-pending and switching-time
    /// objects, in one GET. Those two read as not pending and unknown when
    /// the agent does not have them.
    async fn cycle_status(&self) -> Result<CycleStatus, Error> {
        let profile = self.profile();
        let Some(map) = &profile.state else {
            return Err(self.unsupported("state"));
        };
        let mut oids = vec![self.expand(&map.oid)?];
        if let Some(pending) = &profile.command_pending {
            oids.push(self.expand(&pending.oid)?);
        }
        if let Some(switched_at) = &profile.switched_at {
            oids.push(self.expand(switched_at)?);
        }
        let vbs = self.manager().get(&oids).await.map_err(|e| self.snmp(e))?;
        let mut rest = vbs.get(1..).unwrap_or_default().iter();
        let state = map.state(self.integer(&vbs[0])?);
        let pending = match &profile.command_pending {
            Some(p) => rest
                .next()
                .and_then(|vb| vb.value.as_i64())
                .is_some_and(|v| p.pending.contains(&v)),
            None => false,
        };
        let switched_at = match &profile.switched_at {
            Some(_) => rest
                .next()
                .filter(|vb| !vb.value.is_exception())
                .map(|vb| vb.value.clone()),
            None => None,
        };
        Ok(CycleStatus {
            state,
            pending,
            switched_at,
        })
    }

    async fn read_state(&self) -> Result<OutletState, Error> {
        let Some(map) = &self.profile().state else {
            return Err(self.unsupported("state"));
        };
        let oid = self.expand(&map.oid)?;
        let vbs = self
            .manager()
            .get(std::slice::from_ref(&oid))
            .await
            .map_err(|e| self.snmp(e))?;
        let value = self.integer(&vbs[0])?;
        Ok(map.state(value))
    }

    async fn read_measurements(&self) -> Result<Reading, Error> {
        let readings = &self.profile().readings;
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
        let vbs = self.manager().get(&oids).await.map_err(|e| self.snmp(e))?;
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
                device: self.inner.pdu.device().to_owned(),
                outlet: self.inner.outlet.clone(),
                reason,
            })
    }

    /// An INTEGER-like value; an exception is a missing object.
    fn integer(&self, vb: &VarBind) -> Result<i64, Error> {
        if vb.value.is_exception() {
            return Err(Error::NoSuchObject {
                device: self.inner.pdu.device().to_owned(),
                oid: vb.oid.clone(),
            });
        }
        vb.value.as_i64().ok_or_else(|| self.unexpected(vb))
    }

    fn unexpected(&self, vb: &VarBind) -> Error {
        Error::UnexpectedValue {
            device: self.inner.pdu.device().to_owned(),
            oid: vb.oid.clone(),
            value: Box::new(vb.value.clone()),
        }
    }

    fn snmp(&self, e: snmux_manager::Error) -> Error {
        Error::from_snmp(self.inner.pdu.device(), e, self.manager().timeout())
    }

    fn unsupported(&self, operation: &'static str) -> Error {
        Error::Unsupported {
            device: self.inner.pdu.device().to_owned(),
            operation,
        }
    }
}

impl PowerOutlet for SnmpOutlet {
    fn device(&self) -> &str {
        self.inner.pdu.device()
    }

    fn outlet(&self) -> &str {
        &self.inner.outlet
    }

    fn on(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.in_turn(self.command(&self.profile().control.on, OutletState::On)))
    }

    fn off(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.in_turn(self.command(&self.profile().control.off, OutletState::Off)))
    }

    /// `None` and a profile with a reboot command: that command, then the
    /// outlet is read back until it has been seen cycling and is on again:
    /// seen off or pending by the state, or pending by
    /// [`Profile::command_pending`], or with a [`Profile::switched_at`]
    /// that changed since before the command; and then on, with no command
    /// pending. That takes the PDU's own off time: set
    /// [`SnmpOutletBuilder::confirm_timeout`] above it.
    /// [`Error::CycleNotObserved`] if the outlet stayed on throughout (a
    /// PDU that accepted the command and ignored it, or an off phase
    /// shorter than [`SnmpOutletBuilder::poll_interval`] on a PDU without
    /// either object), [`Error::NotApplied`] if it is not on again in time.
    ///
    /// Otherwise off, confirmed; the wait (default 2 s); on, confirmed.
    fn cycle(&self, wait: Option<Duration>) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.in_turn(async move {
            let control = &self.profile().control;
            if let (None, Some(reboot)) = (wait, &control.cycle) {
                return self.reboot(reboot).await;
            }
            self.command(&control.off, OutletState::Off).await?;
            tokio::time::sleep(wait.unwrap_or(DEFAULT_CYCLE_WAIT)).await;
            self.command(&control.on, OutletState::On).await
        }))
    }

    fn state(&self) -> BoxFuture<'_, Result<OutletState, Error>> {
        Box::pin(self.in_turn(self.read_state()))
    }

    fn measure(&self) -> BoxFuture<'_, Result<Reading, Error>> {
        Box::pin(self.in_turn(self.read_measurements()))
    }
}

impl SnmpOutlet {
    /// Runs `op` in this PDU's turn: after every operation on its outlets
    /// that started before.
    async fn in_turn<T>(&self, op: impl Future<Output = T>) -> T {
        let _turn = self.inner.pdu.inner.turn.lock().await;
        op.await
    }
}

/// What a confirmation waits for.
enum Goal {
    /// The outlet in this state.
    State(OutletState),
    /// A reboot seen, and the outlet on again; `before` is the switching
    /// time read before the command.
    Cycle { before: Option<Value> },
}

/// What [`SnmpOutlet::cycle_status`] reads.
struct CycleStatus {
    state: OutletState,
    pending: bool,
    switched_at: Option<Value>,
}

impl CycleStatus {
    /// Whether this read shows a cycle under way.
    fn cycling(&self) -> bool {
        self.pending || matches!(self.state, OutletState::Off | OutletState::Pending)
    }

    /// The state, pending while a command is.
    fn shown(&self) -> OutletState {
        if self.pending {
            OutletState::Pending
        } else {
            self.state
        }
    }
}
