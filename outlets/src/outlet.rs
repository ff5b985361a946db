use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{BoxFuture, join_all};
use futures::stream::{self, BoxStream, StreamExt};

use crate::Error;

/// The wait between off and on of a [`PowerOutlet::cycle`] without the
/// device's own reboot command: 2 s, as Jumpstarter's power client.
pub const DEFAULT_CYCLE_WAIT: Duration = Duration::from_secs(2);

/// One switchable power outlet: a PDU outlet over SNMP, a socket of an
/// EnerGenie strip, a PoE switch port.
///
/// The methods return boxed futures so that outlets of different drivers
/// can sit side by side as `Arc<dyn PowerOutlet>` (see [`switch_all`]).
///
/// # Errors
///
/// Every method returns an [`Error`] that says what failed: a timeout, an
/// SNMP error-status with the OID, authentication, a wrong password or a
/// session held by another client, [`Error::NotApplied`] when the device
/// accepted the command but the outlet did not change, or
/// [`Error::Unsupported`] for what the device cannot do.
///
/// # Cancel safety
///
/// Dropping a future cancels the operation; a command may still have
/// reached the device. The EnerGenie web driver logs out even then.
pub trait PowerOutlet: Send + Sync + fmt::Debug {
    /// The device the outlet is on (`udp:192.0.2.7:161`,
    /// `http://192.0.2.9`, `tcp:192.0.2.9:5000`). Operations on many
    /// outlets run one at a time per device.
    fn device(&self) -> &str;

    /// The outlet on its device, as the device numbers it (`3`, `1.3`,
    /// `1.2.8`).
    fn outlet(&self) -> &str;

    /// Switches the outlet on and confirms it is on.
    fn on(&self) -> BoxFuture<'_, Result<(), Error>>;

    /// Switches the outlet off and confirms it is off.
    fn off(&self) -> BoxFuture<'_, Result<(), Error>>;

    /// Power-cycles the outlet. `None`: the device's own reboot command when
    /// it has one, otherwise off, [`DEFAULT_CYCLE_WAIT`], on. `Some(wait)`:
    /// off, `wait`, on, whatever the device has. Ends when the outlet is
    /// confirmed on.
    fn cycle(&self, wait: Option<Duration>) -> BoxFuture<'_, Result<(), Error>>;

    /// The outlet's state as the device reports it now.
    fn state(&self) -> BoxFuture<'_, Result<OutletState, Error>>;

    /// One measurement of the outlet (or, where the device measures only
    /// there, of its inlet or phase).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] if the device has no measurements.
    fn measure(&self) -> BoxFuture<'_, Result<Reading, Error>>;

    /// Measurements as a stream: the first at once, then one every
    /// `interval` (tokio's `MissedTickBehavior::Delay`). The stream never
    /// ends by itself; an error is an item, and the stream goes on after it
    /// (take what you need, e.g. with `take`).
    fn read(&self, interval: Duration) -> BoxStream<'_, Result<Reading, Error>> {
        let mut ticks = tokio::time::interval(interval.max(Duration::from_millis(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        stream::unfold(ticks, move |mut ticks| async move {
            ticks.tick().await;
            Some((self.measure().await, ticks))
        })
        .boxed()
    }

    /// Carries out `action`: [`on`](Self::on), [`off`](Self::off) or
    /// [`cycle`](Self::cycle).
    fn switch(&self, action: Action) -> BoxFuture<'_, Result<(), Error>> {
        match action {
            Action::On => self.on(),
            Action::Off => self.off(),
            Action::Cycle(wait) => self.cycle(wait),
        }
    }
}

/// The state of an outlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutletState {
    /// Powered.
    On,
    /// Not powered.
    Off,
    /// A command is pending: the outlet is about to change (a delayed or
    /// sequenced command, a reboot in progress).
    Pending,
    /// The device reports a state that is none of these (an error state,
    /// "unavailable", a value the profile does not map).
    Unknown,
}

impl fmt::Display for OutletState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutletState::On => "on",
            OutletState::Off => "off",
            OutletState::Pending => "pending",
            OutletState::Unknown => "unknown",
        })
    }
}

/// What to do with an outlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Switch on.
    On,
    /// Switch off.
    Off,
    /// Power-cycle; see [`PowerOutlet::cycle`].
    Cycle(Option<Duration>),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::On => f.write_str("on"),
            Action::Off => f.write_str("off"),
            Action::Cycle(None) => f.write_str("cycle"),
            Action::Cycle(Some(wait)) => write!(f, "cycle ({wait:?})"),
        }
    }
}

/// One measurement, in SI units. A field is `None` where the device does not
/// measure it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Reading {
    /// RMS voltage, V.
    pub voltage: Option<f64>,
    /// RMS current, A.
    pub current: Option<f64>,
    /// Active power, W.
    pub active_power: Option<f64>,
}

impl Reading {
    /// Apparent power, VA: voltage × current, when both are known (as
    /// Jumpstarter's `PowerReading.apparent_power`).
    pub fn apparent_power(&self) -> Option<f64> {
        Some(self.voltage? * self.current?)
    }
}

impl fmt::Display for Reading {
    /// Jumpstarter's `read` line, `voltage=230.0 V  current=0.5 A
    /// apparent_power=115.0 VA`, with `power=… W` after it where the device
    /// measures active power; unknown fields are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = [
            ("voltage", self.voltage, "V"),
            ("current", self.current, "A"),
            ("apparent_power", self.apparent_power(), "VA"),
            ("power", self.active_power, "W"),
        ];
        let mut first = true;
        for (name, value, unit) in fields {
            let Some(value) = value else { continue };
            if !first {
                f.write_str("  ")?;
            }
            first = false;
            // `{:?}` keeps a decimal point on whole numbers (230.0), as
            // Python prints floats.
            write!(f, "{name}={value:?} {unit}")?;
        }
        if first {
            f.write_str("no measurements")?;
        }
        Ok(())
    }
}

/// Carries out `action` on every outlet of `outlets`, concurrently across
/// devices and one outlet at a time on each device (so that a PDU sees one
/// request at a time, and an EnerGenie strip one session at a time).
/// Returns one result per outlet, in the order of `outlets`.
///
/// Across calls (two `switch_all` at once, or a `switch_all` and a
/// `state`), the drivers keep the turns themselves: outlets of one
/// [`SnmpPdu`](crate::snmp::SnmpPdu) (of one PDU of a lab file) and sockets
/// of one EnerGenie strip handle run one operation at a time, first come
/// first served.
///
/// # Examples
///
/// ```no_run
/// use std::sync::Arc;
/// use snmux::outlets::{Action, PowerOutlet, switch_all};
///
/// # async fn f(outlets: Vec<Arc<dyn PowerOutlet>>) {
/// for (outlet, result) in outlets.iter().zip(switch_all(&outlets, Action::Off).await) {
///     match result {
///         Ok(()) => println!("{} {}: off", outlet.device(), outlet.outlet()),
///         Err(e) => println!("{} {}: {e}", outlet.device(), outlet.outlet()),
///     }
/// }
/// # }
/// ```
pub async fn switch_all(
    outlets: &[Arc<dyn PowerOutlet>],
    action: Action,
) -> Vec<Result<(), Error>> {
    for_each_paced(outlets, |outlet| outlet.switch(action)).await
}

/// The state of every outlet of `outlets`, paced as [`switch_all`].
pub async fn state_all(outlets: &[Arc<dyn PowerOutlet>]) -> Vec<Result<OutletState, Error>> {
    for_each_paced(outlets, |outlet| outlet.state()).await
}

/// One measurement of every outlet of `outlets`, paced as [`switch_all`].
pub async fn measure_all(outlets: &[Arc<dyn PowerOutlet>]) -> Vec<Result<Reading, Error>> {
    for_each_paced(outlets, |outlet| outlet.measure()).await
}

/// Runs `op` on every outlet: devices concurrently, the outlets of one
/// device one after another, in their order in `outlets`.
async fn for_each_paced<'a, T, F>(
    outlets: &'a [Arc<dyn PowerOutlet>],
    op: F,
) -> Vec<Result<T, Error>>
where
    F: Fn(&'a dyn PowerOutlet) -> BoxFuture<'a, Result<T, Error>>,
{
    let mut by_device: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut devices: Vec<&str> = Vec::new();
    for (i, outlet) in outlets.iter().enumerate() {
        let device = outlet.device();
        by_device
            .entry(device)
            .or_insert_with(|| {
                devices.push(device);
                Vec::new()
            })
            .push(i);
    }
    let op = &op;
    let per_device = devices.iter().map(|device| {
        let indexes = &by_device[device];
        async move {
            let mut results = Vec::with_capacity(indexes.len());
            for &i in indexes {
                results.push((i, op(&*outlets[i]).await));
            }
            results
        }
    });
    let mut slots: Vec<Option<Result<T, Error>>> = outlets.iter().map(|_| None).collect();
    for (i, result) in join_all(per_device).await.into_iter().flatten() {
        slots[i] = Some(result);
    }
    slots
        .into_iter()
        .map(|slot| slot.expect("every outlet belongs to exactly one device"))
        .collect()
}

/// Named outlets switched together (a rack, a test bed): [`switch_all`]
/// with names.
#[derive(Debug, Clone, Default)]
pub struct OutletGroup {
    names: Vec<String>,
    outlets: Vec<Arc<dyn PowerOutlet>>,
}

impl OutletGroup {
    /// An empty group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `outlet` as `name`.
    pub fn push(&mut self, name: impl Into<String>, outlet: Arc<dyn PowerOutlet>) {
        self.names.push(name.into());
        self.outlets.push(outlet);
    }

    /// The names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The outlets, in order.
    pub fn outlets(&self) -> &[Arc<dyn PowerOutlet>] {
        &self.outlets
    }

    /// The number of outlets.
    pub fn len(&self) -> usize {
        self.outlets.len()
    }

    /// Whether the group has no outlets.
    pub fn is_empty(&self) -> bool {
        self.outlets.is_empty()
    }

    /// The same outlets, with names mapped by `f`.
    #[must_use]
    pub fn renamed(mut self, f: impl Fn(&str) -> String) -> Self {
        for name in &mut self.names {
            *name = f(name);
        }
        self
    }

    /// [`switch_all`] on the group: one `(name, result)` per outlet.
    pub async fn switch(&self, action: Action) -> Vec<(&str, Result<(), Error>)> {
        self.named(switch_all(&self.outlets, action).await)
    }

    /// [`state_all`] on the group.
    pub async fn states(&self) -> Vec<(&str, Result<OutletState, Error>)> {
        self.named(state_all(&self.outlets).await)
    }

    /// [`measure_all`] on the group.
    pub async fn measure(&self) -> Vec<(&str, Result<Reading, Error>)> {
        self.named(measure_all(&self.outlets).await)
    }

    fn named<T>(&self, results: Vec<T>) -> Vec<(&str, T)> {
        self.names.iter().map(String::as_str).zip(results).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// An outlet that records how many operations run on its device at once.
    #[derive(Debug)]
    struct Probe {
        device: String,
        outlet: String,
        busy: Arc<AtomicUsize>,
        max_busy: Arc<AtomicUsize>,
        log: Arc<Mutex<Vec<String>>>,
        fail: bool,
    }

    impl PowerOutlet for Probe {
        fn device(&self) -> &str {
            &self.device
        }
        fn outlet(&self) -> &str {
            &self.outlet
        }
        fn on(&self) -> BoxFuture<'_, Result<(), Error>> {
            Box::pin(async move {
                let now = self.busy.fetch_add(1, Ordering::SeqCst) + 1;
                self.max_busy.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(10)).await;
                self.log
                    .lock()
                    .unwrap()
                    .push(format!("{} {}", self.device, self.outlet));
                self.busy.fetch_sub(1, Ordering::SeqCst);
                if self.fail {
                    return Err(Error::Unsupported {
                        device: self.device.clone(),
                        operation: "on",
                    });
                }
                Ok(())
            })
        }
        fn off(&self) -> BoxFuture<'_, Result<(), Error>> {
            self.on()
        }
        fn cycle(&self, _: Option<Duration>) -> BoxFuture<'_, Result<(), Error>> {
            self.on()
        }
        fn state(&self) -> BoxFuture<'_, Result<OutletState, Error>> {
            Box::pin(async { Ok(OutletState::On) })
        }
        fn measure(&self) -> BoxFuture<'_, Result<Reading, Error>> {
            Box::pin(async {
                Ok(Reading {
                    voltage: Some(5.0),
                    current: Some(2.0),
                    active_power: None,
                })
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_at_a_time_per_device_concurrently_across_devices() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut outlets: Vec<Arc<dyn PowerOutlet>> = Vec::new();
        let mut per_device = Vec::new();
        for d in 0..3 {
            let busy = Arc::new(AtomicUsize::new(0));
            let max_busy = Arc::new(AtomicUsize::new(0));
            per_device.push(max_busy.clone());
            for o in 0..4 {
                outlets.push(Arc::new(Probe {
                    device: format!("d{d}"),
                    outlet: o.to_string(),
                    busy: busy.clone(),
                    max_busy: max_busy.clone(),
                    log: log.clone(),
                    fail: d == 1 && o == 2,
                }));
            }
        }
        let start = tokio::time::Instant::now();
        let results = switch_all(&outlets, Action::On).await;
        // 4 outlets per device, 10 ms each, devices in parallel.
        assert_eq!(start.elapsed(), Duration::from_millis(40));
        for max in per_device {
            assert_eq!(max.load(Ordering::SeqCst), 1);
        }
        assert_eq!(results.len(), 12);
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_err(), i == 6, "{i}: {r:?}");
        }
        // Within a device, in the given order.
        let log = log.lock().unwrap();
        let d0: Vec<&String> = log.iter().filter(|l| l.starts_with("d0")).collect();
        assert_eq!(d0, ["d0 0", "d0 1", "d0 2", "d0 3"]);
    }

    #[tokio::test(start_paused = true)]
    async fn read_streams_at_the_interval() {
        let outlet = Probe {
            device: "d".into(),
            outlet: "1".into(),
            busy: Arc::default(),
            max_busy: Arc::default(),
            log: Arc::default(),
            fail: false,
        };
        let start = tokio::time::Instant::now();
        let readings: Vec<_> = outlet.read(Duration::from_secs(1)).take(3).collect().await;
        assert_eq!(readings.len(), 3);
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert_eq!(readings[0].as_ref().unwrap().apparent_power(), Some(10.0));
    }

    #[test]
    fn readings_print_as_jumpstarter() {
        let r = Reading {
            voltage: Some(5.0),
            current: Some(2.0),
            active_power: None,
        };
        assert_eq!(
            r.to_string(),
            "voltage=5.0 V  current=2.0 A  apparent_power=10.0 VA"
        );
        let r = Reading {
            voltage: Some(230.5),
            current: Some(0.25),
            active_power: Some(50.0),
        };
        assert_eq!(
            r.to_string(),
            "voltage=230.5 V  current=0.25 A  apparent_power=57.625 VA  power=50.0 W"
        );
        let r = Reading {
            current: Some(1.5),
            ..Reading::default()
        };
        assert_eq!(r.to_string(), "current=1.5 A");
        assert_eq!(Reading::default().to_string(), "no measurements");
    }
}
