//! Synthetic PDU profiles: one data description per vendor MIB (which
//! columns exist, how an outlet number becomes a table index, which values
//! mean on, off and cycle, how readings are scaled), and one model of
//! outlets that every description drives.
//!
//! The OIDs and encodings are those of the vendors' MIBs: APC PowerNet-MIB,
//! Raritan PDU2-MIB, ServerTech Sentry3-MIB and Sentry4-MIB, EATON-EPDU-MIB,
//! CyberPower CPS-MIB, and RFC 3621 POWER-ETHERNET-MIB.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use snmux_engine::{Oid, Value};
use tokio::time::Instant;

/// A PDU model the simulator can behave like.
///
/// Each profile serves the outlet table(s) of its vendor MIB, with
/// `N` outlets ([`PduOptions::outlets`]), plus the system group. Outlet `n`
/// (1-based) has the table index [`Profile::outlet_index`] gives.
///
/// | profile | control (write) | values on / off / cycle | state (read) |
/// |---|---|---|---|
/// | `apc-masterswitch` | `sPDUOutletCtl` `318.1.1.4.4.2.1.3.N` | 1 / 2 / 3 (5, 6, 7 delayed) | same OID: 1 on, 2 off |
/// | `apc-rpdu` | `rPDUOutletControlOutletCommand` `318.1.1.12.3.3.1.1.4.N` | 1 / 2 / 3 (4, 5, 6 delayed, 7 cancel) | `…12.3.5.1.1.4.N`: 1 on, 2 off |
/// | `apc-rpdu2` | `rPDU2OutletSwitchedControlCommand` `318.1.1.26.9.2.4.1.5.N` | 1 / 2 / 3 (5, 6, 7 delayed, 8 cancel) | `…26.9.2.3.1.5.N`: **1 off, 2 on** |
/// | `raritan-px2` | `switchingOperation` `13742.6.4.1.2.1.2.1.N` | 1 / 0 / 2 | `….3.1.N`: 7 on, 8 off |
/// | `sentry3` | `outletControlAction` `1718.3.2.3.1.11.1.I.N` | 1 / 2 / 3 | `….10` (5 on, 4 off, 8 reboot), `….5` (1 on, 0 off) |
/// | `sentry4` | `st4OutletControlAction` `1718.4.1.8.5.1.2.1.C.N` | 1 / 2 / 3 (4, 5, 6 queued) | `1718.4.1.8.3.1.1.1.C.N`: 1 on, 2 off |
/// | `eaton-epdu` | on `534.6.6.7.6.6.1.4.0.N`, off `.3`, reboot `.5` | write the delay in s (0 now, −1 cancels) | `….6.6.1.2.0.N`: 0 off, 1 on, 2 pendingOff, 3 pendingOn |
/// | `cyberpower` | `ePDUOutletControlOutletCommand` `3808.1.1.3.3.3.1.1.4.N` | 1 / 2 / 3 (4, 5, 6 delayed, 7 cancel, 8 identify) | `…3.3.5.1.1.4.N`: 1 on, 2 off |
/// | `poe` | `pethPsePortAdminEnable` `1.3.6.1.2.1.105.1.1.1.3.G.P` | 1 / 2 / – | same OID; `….6.G.P` 3 delivering, 1 disabled |
///
/// (Vendor OIDs are under `1.3.6.1.4.1.`.) Readings: APC rPDU load in
/// tenths of A; rPDU2 current in tenths of A and power in W; Raritan
/// `measurementsOutletSensorValue` `13742.6.5.4.3.1.4.1.N.S` for sensor types
/// 1 (rmsCurrent), 4 (rmsVoltage), 5 (activePower), 6 (apparentPower) and 7
/// (powerFactor), scaled by `outletSensorDecimalDigits`
/// `13742.6.3.5.4.1.7.1.N.S` (3, 0, 0, 0, 2); Sentry3 `.7` hundredths of A,
/// `.13` tenths of V, `.14` W; Sentry4 `1718.4.1.8.3.1.3` hundredths of A,
/// `.6` tenths of V, `.7` W, `.9` VA; Eaton voltage in mV, current in mA,
/// VA and W; CyberPower load in tenths of A, active power in W and
/// `ePDUStatusInputVoltage.0` in tenths of V.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// APC MasterSwitch (PowerNet-MIB `sPDUOutletCtl`), `apc-masterswitch`.
    ApcMasterSwitch,
    /// APC Switched Rack PDU (PowerNet-MIB `rPDU`), `apc-rpdu`.
    ApcRpdu,
    /// APC Switched Rack PDU 2 (PowerNet-MIB `rPDU2`), `apc-rpdu2`.
    ApcRpdu2,
    /// Raritan PX2/PX3 (PDU2-MIB), `raritan-px2`.
    RaritanPx2,
    /// ServerTech Sentry3 (Sentry3-MIB), `sentry3`.
    Sentry3,
    /// ServerTech Sentry4 PRO1/PRO2 (Sentry4-MIB), `sentry4`.
    Sentry4,
    /// Eaton ePDU (EATON-EPDU-MIB), `eaton-epdu`.
    EatonEpdu,
    /// CyberPower switched PDU (CPS-MIB `ePDU`), `cyberpower`.
    CyberPower,
    /// A PoE switch whose ports are outlets (RFC 3621
    /// `pethPsePortAdminEnable`), `poe`.
    Poe,
}

impl Profile {
    /// Every profile, in the order of the table above.
    pub const ALL: [Profile; 9] = [
        Profile::ApcMasterSwitch,
        Profile::ApcRpdu,
        Profile::ApcRpdu2,
        Profile::RaritanPx2,
        Profile::Sentry3,
        Profile::Sentry4,
        Profile::EatonEpdu,
        Profile::CyberPower,
        Profile::Poe,
    ];

    /// The profile's name: `apc-rpdu`, `raritan-px2`, … (what
    /// [`FromStr`] parses and `snmux sim --profile` takes).
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// sysObjectID.0 of the simulated device.
    pub fn sys_object_id(self) -> Oid {
        Oid::from_slice(self.spec().sys_object_id)
    }

    /// The table index of outlet `n` (1-based): `[n]` for APC and
    /// CyberPower, `[1, n]` (pduId.outletId) for Raritan, `[0, n]`
    /// (strapping.outlet) for Eaton, `[1, g, k]` (tower/unit.infeed/cord.outlet)
    /// for Sentry3 and Sentry4 and `[g, k]` (group.port) for PoE, where
    /// outlet `n` is outlet `k` of group `g` in groups of
    /// `outlets_per_group` (all in group 1 by default).
    pub fn outlet_index(self, n: u32, outlets_per_group: u32) -> Vec<u32> {
        self.spec().index.of(n, outlets_per_group.max(1))
    }

    /// Whether the profile has a cycle (reboot) command; PoE ports do not.
    pub fn can_cycle(self) -> bool {
        self.spec().can_cycle
    }

    pub(crate) fn spec(self) -> &'static Spec {
        match self {
            Profile::ApcMasterSwitch => &APC_MASTERSWITCH,
            Profile::ApcRpdu => &APC_RPDU,
            Profile::ApcRpdu2 => &APC_RPDU2,
            Profile::RaritanPx2 => &RARITAN_PX2,
            Profile::Sentry3 => &SENTRY3,
            Profile::Sentry4 => &SENTRY4,
            Profile::EatonEpdu => &EATON_EPDU,
            Profile::CyberPower => &CYBERPOWER,
            Profile::Poe => &POE,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Profile {
    type Err = UnknownProfile;

    /// Parses a profile name ([`Profile::name`]); `raritan-px3` and
    /// `raritan` are aliases of `raritan-px2`, `eaton` of `eaton-epdu`
    /// (the names `snmux poll --profile` takes).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "raritan-px3" | "raritan" => return Ok(Profile::RaritanPx2),
            "eaton" => return Ok(Profile::EatonEpdu),
            _ => {}
        }
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

/// The error of parsing a [`Profile`] name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown PDU profile {0:?} (known: apc-masterswitch, apc-rpdu, apc-rpdu2, raritan-px2, \
     sentry3, sentry4, eaton-epdu, cyberpower, poe)"
)]
pub struct UnknownProfile(pub String);

/// The settings of a simulated PDU.
///
/// A builder: every setter takes `self` and returns `Self`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[must_use = "PduOptions do nothing until passed to Agent::pdu"]
pub struct PduOptions {
    pub(crate) outlets: u32,
    pub(crate) outlets_per_group: u32,
    pub(crate) cycle_time: Duration,
    pub(crate) command_delay: Duration,
    pub(crate) initial: OutletState,
    pub(crate) seed: u64,
}

impl PduOptions {
    /// Default settings: 8 outlets, all on, in one group, a 5 s cycle, 5 s
    /// for delayed commands, seed 0.
    pub const fn new() -> Self {
        Self {
            outlets: 8,
            outlets_per_group: u32::MAX,
            cycle_time: Duration::from_secs(5),
            command_delay: Duration::from_secs(5),
            initial: OutletState::On,
            seed: 0,
        }
    }

    /// The number of outlets, at least 1 (a smaller value means 1). Default 8.
    pub const fn outlets(mut self, n: u32) -> Self {
        self.outlets = if n == 0 { 1 } else { n };
        self
    }

    /// Outlets per infeed/cord (Sentry3, Sentry4) or port group (PoE);
    /// other profiles have no groups. Default: all outlets in group 1.
    pub const fn outlets_per_group(mut self, n: u32) -> Self {
        self.outlets_per_group = if n == 0 { 1 } else { n };
        self
    }

    /// How long a cycle (reboot) keeps the outlet off before it turns on
    /// again. Default 5 s. Measured on tokio's clock, so tests can use
    /// `tokio::time::pause` and `advance`.
    pub const fn cycle_time(mut self, t: Duration) -> Self {
        self.cycle_time = t;
        self
    }

    /// How long the delayed commands (APC `delayedOn` …, Sentry4
    /// `queueOn` …) wait before they act. Default 5 s. Eaton's commands
    /// carry their own delay.
    pub const fn command_delay(mut self, t: Duration) -> Self {
        self.command_delay = t;
        self
    }

    /// The state of every outlet at start. Default on.
    pub const fn initial_state(mut self, state: OutletState) -> Self {
        self.initial = state;
        self
    }

    /// The seed of the readings (each outlet's load). Default 0.
    pub const fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The number of outlets.
    pub const fn outlet_count(&self) -> u32 {
        self.outlets
    }
}

impl Default for PduOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether an outlet delivers power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutletState {
    /// Powered.
    On,
    /// Not powered.
    Off,
}

/// The electrical readings of one outlet at one moment, before the
/// vendor's scaling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    /// RMS current, in A (0 when off).
    pub current: f64,
    /// RMS voltage, in V.
    pub voltage: f64,
    /// Active power, in W.
    pub active_power: f64,
    /// Apparent power, in VA.
    pub apparent_power: f64,
    /// Power factor, 0..=1.
    pub power_factor: f64,
}

// ---------------------------------------------------------------------
// The outlet model: what every profile's columns read and write.

/// A scheduled change of one outlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    /// Turns on at the instant.
    On(Instant),
    /// Turns off at the instant.
    Off(Instant),
    /// Turns off at the instant, then on a cycle time later.
    Reboot(Instant),
    /// Off during a reboot: turns on at the instant.
    Rebooting(Instant),
}

/// What a write to a control object asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Accepted, does nothing (Sentry `none(0)`, CyberPower `outletIdentify`).
    Nothing,
    On,
    Off,
    Reboot,
    DelayedOn,
    DelayedOff,
    DelayedReboot,
    /// Cancels any pending command.
    Cancel,
}

/// One outlet's state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Outlet {
    pub(crate) on: bool,
    pub(crate) pending: Option<Pending>,
    /// When it last switched (Raritan `outletSwitchingTimeStamp`).
    pub(crate) switched: Instant,
}

impl Outlet {
    pub(crate) fn new(on: bool, now: Instant) -> Self {
        Self {
            on,
            pending: None,
            switched: now,
        }
    }

    /// Applies every scheduled change due at `now`.
    pub(crate) fn settle(&mut self, now: Instant, cycle: Duration) {
        while let Some(p) = self.pending {
            match p {
                Pending::On(t) if t <= now => {
                    self.switch(true, t);
                    self.pending = None;
                }
                Pending::Off(t) if t <= now => {
                    self.switch(false, t);
                    self.pending = None;
                }
                Pending::Reboot(t) if t <= now => {
                    self.switch(false, t);
                    self.pending = Some(Pending::Rebooting(t + cycle));
                }
                Pending::Rebooting(t) if t <= now => {
                    self.switch(true, t);
                    self.pending = None;
                }
                _ => break,
            }
        }
    }

    fn switch(&mut self, on: bool, at: Instant) {
        if self.on != on {
            self.on = on;
            self.switched = at;
        }
    }

    /// Carries out `action` at `now` (after [`Outlet::settle`]).
    pub(crate) fn act(&mut self, action: Action, now: Instant, options: &PduOptions) {
        match action {
            Action::Nothing => {}
            Action::On => {
                self.switch(true, now);
                self.pending = None;
            }
            Action::Off => {
                self.switch(false, now);
                self.pending = None;
            }
            Action::Reboot => {
                self.switch(false, now);
                self.pending = Some(Pending::Rebooting(now + options.cycle_time));
            }
            Action::DelayedOn => self.pending = Some(Pending::On(now + options.command_delay)),
            Action::DelayedOff => self.pending = Some(Pending::Off(now + options.command_delay)),
            Action::DelayedReboot => {
                self.pending = Some(Pending::Reboot(now + options.command_delay));
            }
            Action::Cancel => self.pending = None,
        }
    }

    /// Eaton: a command of `kind` written with `value` (seconds of delay,
    /// 0 now, −1 cancels a pending command of that kind). `false` if the
    /// value is out of range (-1..=99999).
    pub(crate) fn act_delayed(
        &mut self,
        kind: DelayKind,
        value: i32,
        now: Instant,
        options: &PduOptions,
    ) -> bool {
        match value {
            -1 => {
                if self.pending.is_some_and(|p| kind.matches(p)) {
                    self.pending = None;
                }
            }
            0 => self.act(kind.immediate(), now, options),
            1..=99_999 => {
                let at = now + Duration::from_secs(value as u64);
                self.pending = Some(match kind {
                    DelayKind::On => Pending::On(at),
                    DelayKind::Off => Pending::Off(at),
                    DelayKind::Reboot => Pending::Reboot(at),
                });
            }
            _ => return false,
        }
        true
    }

    /// Eaton: −1, or the whole seconds left until the pending command of
    /// `kind` acts.
    fn countdown(&self, kind: DelayKind, now: Instant) -> i32 {
        match self.pending {
            Some(p) if kind.matches(p) => {
                let at = match p {
                    Pending::On(t)
                    | Pending::Off(t)
                    | Pending::Reboot(t)
                    | Pending::Rebooting(t) => t,
                };
                let left = at.saturating_duration_since(now);
                // Rounded up: a command 0.5 s away has not happened yet.
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                i32::try_from(secs).unwrap_or(i32::MAX)
            }
            _ => -1,
        }
    }

    fn is_rebooting(&self) -> bool {
        matches!(self.pending, Some(Pending::Rebooting(_)))
    }

    /// Whether it is on now or will be once the pending command acts.
    fn turning_on(&self) -> bool {
        matches!(self.pending, Some(Pending::On(_) | Pending::Rebooting(_)))
    }

    fn turning_off(&self) -> bool {
        matches!(self.pending, Some(Pending::Off(_) | Pending::Reboot(_)))
    }
}

/// The three Eaton command objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DelayKind {
    On,
    Off,
    Reboot,
}

impl DelayKind {
    fn matches(self, p: Pending) -> bool {
        matches!(
            (self, p),
            (DelayKind::On, Pending::On(_))
                | (DelayKind::Off, Pending::Off(_))
                | (
                    DelayKind::Reboot,
                    Pending::Reboot(_) | Pending::Rebooting(_)
                )
        )
    }

    fn immediate(self) -> Action {
        match self {
            DelayKind::On => Action::On,
            DelayKind::Off => Action::Off,
            DelayKind::Reboot => Action::Reboot,
        }
    }
}

/// The readings of outlet `n` at `elapsed` since the agent started: a load
/// per outlet drawn from `seed`, varying by ±10 % over a minute; 0 A when
/// off.
pub(crate) fn reading(
    seed: u64,
    n: u32,
    on: bool,
    elapsed: Duration,
    nominal_voltage: f64,
) -> Reading {
    let h = splitmix(seed ^ (u64::from(n) << 32));
    let unit = |bits: u64| (bits >> 11) as f64 / (1u64 << 53) as f64;
    let base = 0.2 + 1.8 * unit(h);
    let phase = std::f64::consts::TAU * unit(splitmix(h));
    let power_factor = 0.90 + 0.08 * unit(splitmix(h ^ 0x5bd1_e995));
    let t = elapsed.as_secs_f64();
    let wave = (std::f64::consts::TAU * t / 60.0 + phase).sin();
    let voltage = nominal_voltage * (1.0 + 0.01 * (std::f64::consts::TAU * t / 90.0).sin());
    let current = if on { base * (1.0 + 0.1 * wave) } else { 0.0 };
    Reading {
        current,
        voltage,
        active_power: voltage * current * power_factor,
        apparent_power: voltage * current,
        power_factor,
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

// ---------------------------------------------------------------------
// The vendor descriptions.

/// One vendor MIB's outlet objects.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) name: &'static str,
    pub(crate) sys_descr: &'static str,
    pub(crate) sys_object_id: &'static [u32],
    pub(crate) index: Index,
    pub(crate) columns: &'static [Column],
    pub(crate) scalars: &'static [Scalar],
    pub(crate) can_cycle: bool,
    /// Nominal outlet voltage, in V.
    pub(crate) voltage: f64,
}

/// How outlet `n` becomes a table index.
#[derive(Debug)]
pub(crate) enum Index {
    /// `prefix ++ [n]`.
    Flat(&'static [u32]),
    /// `prefix ++ [group, outlet within the group]`.
    Grouped(&'static [u32]),
}

impl Index {
    fn of(&self, n: u32, per_group: u32) -> Vec<u32> {
        match self {
            Index::Flat(prefix) => prefix.iter().copied().chain([n]).collect(),
            Index::Grouped(prefix) => {
                let (g, k) = ((n - 1) / per_group + 1, (n - 1) % per_group + 1);
                prefix.iter().copied().chain([g, k]).collect()
            }
        }
    }
}

/// A column of an outlet table: instance `oid ++ index(n) ++ suffix`.
#[derive(Debug)]
pub(crate) struct Column {
    pub(crate) oid: &'static [u32],
    pub(crate) suffix: &'static [u32],
    pub(crate) read: Read,
    pub(crate) write: Write,
}

impl Column {
    /// A column that SET answers notWritable for, instance `oid ++ index(n)`.
    const fn read_only(oid: &'static [u32], read: Read) -> Self {
        Self::writable(oid, read, Write::ReadOnly)
    }

    /// A column that SET acts on as `write` says, instance `oid ++ index(n)`.
    const fn writable(oid: &'static [u32], read: Read, write: Write) -> Self {
        Self {
            oid,
            suffix: &[],
            read,
            write,
        }
    }

    /// The same column with instance `oid ++ index(n) ++ suffix`.
    const fn with_suffix(self, suffix: &'static [u32]) -> Self {
        Self { suffix, ..self }
    }
}

/// What reading a column returns.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Read {
    /// INTEGER n.
    Number,
    /// OCTET STRING "Outlet n".
    Name,
    /// An INTEGER per state.
    State(StateMap),
    /// INTEGER `yes` while a command is pending, else `no`.
    Pending { yes: i32, no: i32 },
    /// A fixed INTEGER.
    Integer(i32),
    /// A fixed Gauge32 (Raritan decimal digits).
    Gauge(u32),
    /// A reading times `scale`, rounded, as INTEGER or Gauge32.
    Measure {
        quantity: Quantity,
        scale: f64,
        gauge: bool,
    },
    /// Eaton: −1 or the seconds until the pending command of this kind.
    Countdown(DelayKind),
    /// Eaton `outletControlRebootOffTime`: the cycle time in s.
    CycleSeconds,
    /// Raritan `outletSwitchingTimeStamp`: seconds since the agent started
    /// when the outlet last switched (Unsigned32).
    SwitchedAt,
}

/// The INTEGER an outlet's state reads as.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StateMap {
    pub(crate) on: i32,
    pub(crate) off: i32,
    /// While a command that turns it off is pending (Eaton pendingOff).
    pub(crate) pending_off: Option<i32>,
    /// While a command that turns it on is pending (Eaton pendingOn).
    pub(crate) pending_on: Option<i32>,
    /// During the off phase of a cycle (Sentry3 reboot(8)).
    pub(crate) rebooting: Option<i32>,
}

impl StateMap {
    const fn on_off(on: i32, off: i32) -> Self {
        Self {
            on,
            off,
            pending_off: None,
            pending_on: None,
            rebooting: None,
        }
    }
}

/// The electrical quantity a column reads.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Quantity {
    Current,
    Voltage,
    ActivePower,
    ApparentPower,
    PowerFactor,
}

/// What writing a column does.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Write {
    /// notWritable.
    ReadOnly,
    /// An INTEGER from the list; any other is wrongValue.
    Command(&'static [(i32, Action)]),
    /// Eaton: an INTEGER delay in seconds (-1..=99999).
    Delay(DelayKind),
}

/// A scalar of a profile (`oid` is the instance, with its `.0` or index).
#[derive(Debug)]
pub(crate) struct Scalar {
    pub(crate) oid: &'static [u32],
    pub(crate) read: ScalarRead,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum ScalarRead {
    /// The input voltage times `scale`, as INTEGER or Gauge32.
    Voltage { scale: f64, gauge: bool },
    /// The sum of the outlets' currents times `scale`.
    Current { scale: f64, gauge: bool },
}

impl Read {
    /// A reading times `scale`, rounded, as Gauge32.
    const fn measured_gauge(quantity: Quantity, scale: f64) -> Self {
        Read::Measure {
            quantity,
            scale,
            gauge: true,
        }
    }

    /// A reading times `scale`, rounded, as INTEGER.
    const fn measured_integer(quantity: Quantity, scale: f64) -> Self {
        Read::Measure {
            quantity,
            scale,
            gauge: false,
        }
    }

    /// The value of this column for outlet `n` (settled at `now`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn value(
        &self,
        n: u32,
        outlet: &Outlet,
        now: Instant,
        started: Instant,
        options: &PduOptions,
        spec: &Spec,
    ) -> Value {
        match *self {
            Read::Number => Value::Integer(n as i32),
            Read::Name => Value::from(format!("Outlet {n}")),
            Read::State(map) => Value::Integer(if outlet.is_rebooting() {
                map.rebooting.or(map.pending_on).unwrap_or(map.off)
            } else if outlet.on {
                if outlet.turning_off() {
                    map.pending_off.unwrap_or(map.on)
                } else {
                    map.on
                }
            } else if outlet.turning_on() {
                map.pending_on.unwrap_or(map.off)
            } else {
                map.off
            }),
            Read::Pending { yes, no } => {
                Value::Integer(if outlet.pending.is_some() { yes } else { no })
            }
            Read::Integer(v) => Value::Integer(v),
            Read::Gauge(v) => Value::Gauge32(v),
            Read::Measure {
                quantity,
                scale,
                gauge,
            } => {
                let r = reading(
                    options.seed,
                    n,
                    outlet.on,
                    now.saturating_duration_since(started),
                    spec.voltage,
                );
                let q = match quantity {
                    Quantity::Current => r.current,
                    Quantity::Voltage => r.voltage,
                    Quantity::ActivePower => r.active_power,
                    Quantity::ApparentPower => r.apparent_power,
                    Quantity::PowerFactor => r.power_factor,
                };
                scaled(q * scale, gauge)
            }
            Read::Countdown(kind) => Value::Integer(outlet.countdown(kind, now)),
            Read::CycleSeconds => {
                Value::Integer(i32::try_from(options.cycle_time.as_secs()).unwrap_or(i32::MAX))
            }
            Read::SwitchedAt => Value::Gauge32(
                u32::try_from(outlet.switched.saturating_duration_since(started).as_secs())
                    .unwrap_or(u32::MAX),
            ),
        }
    }
}

pub(crate) fn scaled(x: f64, gauge: bool) -> Value {
    let x = x.round();
    if gauge {
        Value::Gauge32(x.clamp(0.0, f64::from(u32::MAX)) as u32)
    } else {
        Value::Integer(x.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32)
    }
}

const APC_MASTERSWITCH: Spec = Spec {
    name: "apc-masterswitch",
    sys_descr: "APC MasterSwitch AP9211 (simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 1],
    index: Index::Flat(&[]),
    columns: &[
        // sPDUOutletControlIndex, sPDUOutletPending, sPDUOutletCtl,
        // sPDUOutletCtlName.
        Column::read_only(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 1], Read::Number),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 2],
            Read::Pending { yes: 1, no: 2 },
        ),
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 3],
            Read::State(StateMap::on_off(1, 2)),
            Write::Command(&[
                (1, Action::On),
                (2, Action::Off),
                (3, Action::Reboot),
                (5, Action::DelayedOn),
                (6, Action::DelayedOff),
                (7, Action::DelayedReboot),
            ]),
        ),
        Column::read_only(&[1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 4], Read::Name),
    ],
    scalars: &[],
    can_cycle: true,
    voltage: 230.0,
};

const APC_RPDU: Spec = Spec {
    name: "apc-rpdu",
    sys_descr: "APC Switched Rack PDU AP7900 (simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 5],
    index: Index::Flat(&[]),
    columns: &[
        // rPDUOutletControlIndex, …OutletName, …OutletCommand.
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 3, 1, 1, 1],
            Read::Number,
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 3, 1, 1, 2],
            Read::Name,
        ),
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 3, 1, 1, 4],
            Read::State(StateMap::on_off(1, 2)),
            Write::Command(&[
                (1, Action::On),
                (2, Action::Off),
                (3, Action::Reboot),
                (4, Action::DelayedOn),
                (5, Action::DelayedOff),
                (6, Action::DelayedReboot),
                (7, Action::Cancel),
            ]),
        ),
        // rPDUOutletStatusIndex, …OutletName, …OutletState,
        // …CommandPending, …Load (tenths of A).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5, 1, 1, 1],
            Read::Number,
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5, 1, 1, 2],
            Read::Name,
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5, 1, 1, 4],
            Read::State(StateMap::on_off(1, 2)),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5, 1, 1, 5],
            Read::Pending { yes: 1, no: 2 },
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 5, 1, 1, 7],
            Read::measured_gauge(Quantity::Current, 10.0),
        ),
    ],
    scalars: &[],
    can_cycle: true,
    voltage: 230.0,
};

const APC_RPDU2: Spec = Spec {
    name: "apc-rpdu2",
    sys_descr: "APC Switched Rack PDU AP8941 (rPDU2, simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 318, 1, 3, 4, 6],
    index: Index::Flat(&[]),
    columns: &[
        // rPDU2OutletSwitchedStatusIndex, …Name, …State (off(1), on(2)).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 3, 1, 1],
            Read::Number,
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 3, 1, 3],
            Read::Name,
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 3, 1, 5],
            Read::State(StateMap::on_off(2, 1)),
        ),
        // rPDU2OutletSwitchedControlIndex, …Command.
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 4, 1, 1],
            Read::Number,
        ),
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 4, 1, 5],
            Read::State(StateMap::on_off(1, 2)),
            Write::Command(&[
                (1, Action::On),
                (2, Action::Off),
                (3, Action::Reboot),
                (5, Action::DelayedOn),
                (6, Action::DelayedOff),
                (7, Action::DelayedReboot),
                (8, Action::Cancel),
            ]),
        ),
        // rPDU2OutletMeteredStatusCurrent (tenths of A), …Power (W).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 4, 3, 1, 6],
            Read::measured_gauge(Quantity::Current, 10.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 4, 3, 1, 7],
            Read::measured_gauge(Quantity::ActivePower, 1.0),
        ),
    ],
    scalars: &[
        // rPDU2PhaseStatusCurrent.1 (tenths of A), rPDU2PhaseStatusVoltage.1 (V).
        Scalar {
            oid: &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 6, 3, 1, 5, 1],
            read: ScalarRead::Current {
                scale: 10.0,
                gauge: true,
            },
        },
        Scalar {
            oid: &[1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 6, 3, 1, 6, 1],
            read: ScalarRead::Voltage {
                scale: 1.0,
                gauge: false,
            },
        },
    ],
    can_cycle: true,
    voltage: 230.0,
};

const RARITAN_MEASUREMENT: &[u32] = &[1, 3, 6, 1, 4, 1, 13742, 6, 5, 4, 3, 1, 4];
const RARITAN_DIGITS: &[u32] = &[1, 3, 6, 1, 4, 1, 13742, 6, 3, 5, 4, 1, 7];

const RARITAN_PX2: Spec = Spec {
    name: "raritan-px2",
    sys_descr: "Raritan PX2 PDU (PDU2-MIB, simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 13742, 6],
    index: Index::Flat(&[1]),
    columns: &[
        // switchingOperation: off(0), on(1), cycle(2); reads 1 on, 0 off.
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 2],
            Read::State(StateMap::on_off(1, 0)),
            Write::Command(&[(0, Action::Off), (1, Action::On), (2, Action::Reboot)]),
        ),
        // outletSwitchingState: on(7), off(8).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 3],
            Read::State(StateMap::on_off(7, 8)),
        ),
        // outletSwitchingTimeStamp.
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 13742, 6, 4, 1, 2, 1, 4],
            Read::SwitchedAt,
        ),
        // measurementsOutletSensorValue.1.N.{1,4,5,6,7} and
        // outletSensorDecimalDigits.1.N.{1,4,5,6,7}.
        Column::read_only(
            RARITAN_MEASUREMENT,
            Read::measured_gauge(Quantity::Current, 1000.0),
        )
        .with_suffix(&[1]),
        Column::read_only(
            RARITAN_MEASUREMENT,
            Read::measured_gauge(Quantity::Voltage, 1.0),
        )
        .with_suffix(&[4]),
        Column::read_only(
            RARITAN_MEASUREMENT,
            Read::measured_gauge(Quantity::ActivePower, 1.0),
        )
        .with_suffix(&[5]),
        Column::read_only(
            RARITAN_MEASUREMENT,
            Read::measured_gauge(Quantity::ApparentPower, 1.0),
        )
        .with_suffix(&[6]),
        Column::read_only(
            RARITAN_MEASUREMENT,
            Read::measured_gauge(Quantity::PowerFactor, 100.0),
        )
        .with_suffix(&[7]),
        Column::read_only(RARITAN_DIGITS, Read::Gauge(3)).with_suffix(&[1]),
        Column::read_only(RARITAN_DIGITS, Read::Gauge(0)).with_suffix(&[4]),
        Column::read_only(RARITAN_DIGITS, Read::Gauge(0)).with_suffix(&[5]),
        Column::read_only(RARITAN_DIGITS, Read::Gauge(0)).with_suffix(&[6]),
        Column::read_only(RARITAN_DIGITS, Read::Gauge(2)).with_suffix(&[7]),
    ],
    scalars: &[],
    can_cycle: true,
    voltage: 230.0,
};

const SENTRY3: Spec = Spec {
    name: "sentry3",
    sys_descr: "Sentry Switched CDU (Sentry3-MIB, simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 1718, 3],
    index: Index::Grouped(&[1]),
    columns: &[
        // outletStatus: off(0), on(1).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 5],
            Read::State(StateMap::on_off(1, 0)),
        ),
        // outletLoadValue: hundredths of A.
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 7],
            Read::measured_integer(Quantity::Current, 100.0),
        ),
        // outletControlState: off(4), on(5), reboot(8).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 10],
            Read::State(StateMap {
                on: 5,
                off: 4,
                pending_off: None,
                pending_on: None,
                rebooting: Some(8),
            }),
        ),
        // outletControlAction: none(0), on(1), off(2), reboot(3); reads none.
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 11],
            Read::Integer(0),
            Write::Command(&[
                (0, Action::Nothing),
                (1, Action::On),
                (2, Action::Off),
                (3, Action::Reboot),
            ]),
        ),
        // outletVoltage: tenths of V; outletPower: W.
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 13],
            Read::measured_integer(Quantity::Voltage, 10.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 3, 2, 3, 1, 14],
            Read::measured_integer(Quantity::ActivePower, 1.0),
        ),
    ],
    scalars: &[],
    can_cycle: true,
    voltage: 230.0,
};

const SENTRY4: Spec = Spec {
    name: "sentry4",
    sys_descr: "Sentry4 PRO2 Switched PDU (Sentry4-MIB, simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 1718, 4],
    index: Index::Grouped(&[1]),
    columns: &[
        // st4OutletState: unknown(0), on(1), off(2).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 3, 1, 1],
            Read::State(StateMap::on_off(1, 2)),
        ),
        // st4OutletCurrent (hundredths of A), …Voltage (tenths of V),
        // …ActivePower (W), …ApparentPower (VA).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 3, 1, 3],
            Read::measured_integer(Quantity::Current, 100.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 3, 1, 6],
            Read::measured_integer(Quantity::Voltage, 10.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 3, 1, 7],
            Read::measured_integer(Quantity::ActivePower, 1.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 3, 1, 9],
            Read::measured_integer(Quantity::ApparentPower, 1.0),
        ),
        // st4OutletControlState: off(10), on(11).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 5, 1, 1],
            Read::State(StateMap::on_off(11, 10)),
        ),
        // st4OutletControlAction: none(0), on(1), off(2), reboot(3),
        // queueOn(4), queueOff(5), queueReboot(6); reads none.
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 1718, 4, 1, 8, 5, 1, 2],
            Read::Integer(0),
            Write::Command(&[
                (0, Action::Nothing),
                (1, Action::On),
                (2, Action::Off),
                (3, Action::Reboot),
                (4, Action::DelayedOn),
                (5, Action::DelayedOff),
                (6, Action::DelayedReboot),
            ]),
        ),
    ],
    scalars: &[],
    can_cycle: true,
    voltage: 230.0,
};

const EATON_EPDU: Spec = Spec {
    name: "eaton-epdu",
    sys_descr: "Eaton ePDU G3 Managed (EATON-EPDU-MIB, simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7],
    index: Index::Flat(&[0]),
    columns: &[
        // outletVoltage (mV), outletCurrent (mA), outletVA, outletWatts.
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 3, 1, 2],
            Read::measured_integer(Quantity::Voltage, 1000.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 4, 1, 3],
            Read::measured_integer(Quantity::Current, 1000.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 5, 1, 2],
            Read::measured_integer(Quantity::ApparentPower, 1.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 5, 1, 3],
            Read::measured_integer(Quantity::ActivePower, 1.0),
        ),
        // outletControlStatus: off(0), on(1), pendingOff(2), pendingOn(3).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 2],
            Read::State(StateMap {
                on: 1,
                off: 0,
                pending_off: Some(2),
                pending_on: Some(3),
                rebooting: None,
            }),
        ),
        // outletControlOffCmd, …OnCmd, …RebootCmd: a delay in s.
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 3],
            Read::Countdown(DelayKind::Off),
            Write::Delay(DelayKind::Off),
        ),
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 4],
            Read::Countdown(DelayKind::On),
            Write::Delay(DelayKind::On),
        ),
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 5],
            Read::Countdown(DelayKind::Reboot),
            Write::Delay(DelayKind::Reboot),
        ),
        // outletControlRebootOffTime (s), outletControlSwitchable:
        // switchable(1).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 8],
            Read::CycleSeconds,
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, 9],
            Read::Integer(1),
        ),
    ],
    scalars: &[],
    can_cycle: true,
    voltage: 230.0,
};

const CYBERPOWER: Spec = Spec {
    name: "cyberpower",
    sys_descr: "CyberPower PDU81001 Switched ePDU (CPS-MIB, simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3],
    index: Index::Flat(&[]),
    columns: &[
        // ePDUOutletControlIndex, …OutletName, …OutletCommand.
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 3, 1, 1, 1],
            Read::Number,
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 3, 1, 1, 2],
            Read::Name,
        ),
        Column::writable(
            &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 3, 1, 1, 4],
            Read::State(StateMap::on_off(1, 2)),
            Write::Command(&[
                (1, Action::On),
                (2, Action::Off),
                (3, Action::Reboot),
                (4, Action::DelayedOn),
                (5, Action::DelayedOff),
                (6, Action::DelayedReboot),
                (7, Action::Cancel),
                (8, Action::Nothing),
            ]),
        ),
        // ePDUOutletStatusOutletState, …Load (tenths of A), …ActivePower (W).
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 5, 1, 1, 4],
            Read::State(StateMap::on_off(1, 2)),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 5, 1, 1, 7],
            Read::measured_gauge(Quantity::Current, 10.0),
        ),
        Column::read_only(
            &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 3, 5, 1, 1, 8],
            Read::measured_gauge(Quantity::ActivePower, 1.0),
        ),
    ],
    scalars: &[
        // ePDUStatusInputVoltage.0: tenths of V.
        Scalar {
            oid: &[1, 3, 6, 1, 4, 1, 3808, 1, 1, 3, 5, 7, 0],
            read: ScalarRead::Voltage {
                scale: 10.0,
                gauge: false,
            },
        },
    ],
    can_cycle: true,
    voltage: 120.0,
};

const POE: Spec = Spec {
    name: "poe",
    sys_descr: "PoE switch (POWER-ETHERNET-MIB, RFC 3621, simulated by snmux)",
    sys_object_id: &[1, 3, 6, 1, 4, 1, 8072, 3, 2, 10],
    index: Index::Grouped(&[]),
    columns: &[
        // pethPsePortAdminEnable: true(1), false(2).
        Column::writable(
            &[1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 3],
            Read::State(StateMap::on_off(1, 2)),
            Write::Command(&[(1, Action::On), (2, Action::Off)]),
        ),
        // pethPsePortDetectionStatus: disabled(1), deliveringPower(3).
        Column::read_only(
            &[1, 3, 6, 1, 2, 1, 105, 1, 1, 1, 6],
            Read::State(StateMap::on_off(3, 1)),
        ),
    ],
    scalars: &[],
    can_cycle: false,
    voltage: 54.0,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(p.name().parse::<Profile>(), Ok(p));
        }
        assert_eq!("raritan-px3".parse::<Profile>(), Ok(Profile::RaritanPx2));
        assert!("apc".parse::<Profile>().is_err());
    }

    #[test]
    fn indexes() {
        assert_eq!(Profile::ApcRpdu.outlet_index(3, u32::MAX), vec![3]);
        assert_eq!(Profile::RaritanPx2.outlet_index(3, u32::MAX), vec![1, 3]);
        assert_eq!(Profile::EatonEpdu.outlet_index(3, u32::MAX), vec![0, 3]);
        assert_eq!(Profile::Sentry3.outlet_index(3, u32::MAX), vec![1, 1, 3]);
        assert_eq!(Profile::Sentry4.outlet_index(9, 8), vec![1, 2, 1]);
        assert_eq!(Profile::Poe.outlet_index(8, 8), vec![1, 8]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reboot_turns_off_then_on_after_the_cycle_time() {
        let options = PduOptions::new().cycle_time(Duration::from_secs(3));
        let t0 = Instant::now();
        let mut o = Outlet::new(true, t0);
        o.act(Action::Reboot, t0, &options);
        assert!(!o.on);
        o.settle(t0 + Duration::from_millis(2999), options.cycle_time);
        assert!(!o.on);
        o.settle(t0 + Duration::from_secs(3), options.cycle_time);
        assert!(o.on && o.pending.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_delayed_reboot_settles_through_both_steps_at_once() {
        let options = PduOptions::new();
        let t0 = Instant::now();
        let mut o = Outlet::new(true, t0);
        o.act(Action::DelayedReboot, t0, &options);
        o.settle(t0 + Duration::from_secs(7), options.cycle_time);
        assert!(!o.on, "off from 5 s to 10 s");
        o.settle(t0 + Duration::from_secs(60), options.cycle_time);
        assert!(o.on && o.pending.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn eaton_delays_count_down_and_cancel() {
        let options = PduOptions::new();
        let t0 = Instant::now();
        let mut o = Outlet::new(true, t0);
        assert!(o.act_delayed(DelayKind::Off, 10, t0, &options));
        assert_eq!(
            o.countdown(DelayKind::Off, t0 + Duration::from_millis(500)),
            10
        );
        assert_eq!(o.countdown(DelayKind::On, t0), -1);
        assert!(
            o.act_delayed(DelayKind::On, -1, t0, &options),
            "cancels nothing"
        );
        assert!(o.pending.is_some());
        assert!(o.act_delayed(DelayKind::Off, -1, t0, &options));
        assert!(o.pending.is_none() && o.on);
        assert!(!o.act_delayed(DelayKind::Off, -2, t0, &options));
        assert!(!o.act_delayed(DelayKind::Off, 100_000, t0, &options));
    }

    #[test]
    fn readings_vary_and_are_zero_when_off() {
        let a = reading(1, 1, true, Duration::ZERO, 230.0);
        let b = reading(1, 1, true, Duration::from_secs(15), 230.0);
        assert!(a.current > 0.1 && a.current < 2.5);
        assert_ne!(a.current, b.current);
        assert_eq!(reading(1, 1, false, Duration::ZERO, 230.0).current, 0.0);
        assert_ne!(
            a.current,
            reading(1, 2, true, Duration::ZERO, 230.0).current
        );
        assert!((a.active_power - a.voltage * a.current * a.power_factor).abs() < 1e-9);
    }
}
