//! Timeliness: a non-authoritative engine's notion of an authoritative
//! engine's clock, and the time window.

use std::time::{Duration, Instant};

/// The largest snmpEngineBoots (2^31 - 1). An engine whose boots reach it is
/// "latched": no authenticated message to or from it is timely any more
/// until its keys are changed (RFC 3414 §2.2.3).
pub const MAX_ENGINE_BOOTS: u32 = 2_147_483_647;

/// The time window: a message is outside it if it is more than 150 seconds
/// older than the local notion of the sender's snmpEngineTime (RFC 3414
/// §2.2.3, §3.2 step 7b).
pub const TIME_WINDOW: Duration = Duration::from_secs(150);

/// The largest snmpEngineTime (2^31 - 1 seconds).
const MAX_ENGINE_TIME: u32 = 2_147_483_647;

/// A non-authoritative engine's notion of one authoritative engine's clock:
/// its snmpEngineBoots and snmpEngineTime, when they were learned, and the
/// latest engine time received ([RFC 3414 §2.3], [§3.2 step 7b]).
///
/// Learned at discovery ([`EngineTime::new`] with the boots and time of the
/// Report), kept up to date with every authentic message
/// ([`update`](EngineTime::update)), and used to fill in the boots and time
/// of outgoing messages ([`boots`](EngineTime::boots),
/// [`estimated_time`](EngineTime::estimated_time)) and to reject replayed
/// ones ([`is_in_window`](EngineTime::is_in_window)). Time is passed in as
/// an [`Instant`], so this is plain arithmetic, testable without waiting.
///
/// [RFC 3414 §2.3]: https://www.rfc-editor.org/rfc/rfc3414#section-2.3
/// [§3.2 step 7b]: https://www.rfc-editor.org/rfc/rfc3414#section-3.2
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use snmux_usm::EngineTime;
///
/// let t0 = Instant::now();
/// // Discovery: the agent has booted 5 times and is up for 1000 s.
/// let mut clock = EngineTime::new(5, 1000, t0);
/// let t1 = t0 + Duration::from_secs(30);
/// assert_eq!(clock.estimated_time(t1), 1030);
///
/// // An authentic response: step 7b, update then check.
/// clock.check(5, 1029, t1)?;
/// // A replay from 10 minutes ago is refused.
/// assert!(clock.check(5, 430, t1).is_err());
/// # Ok::<(), snmux_usm::NotInTimeWindow>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineTime {
    boots: u32,
    /// snmpEngineTime at `synced_at`.
    time: u32,
    synced_at: Instant,
    /// latestReceivedEngineTime.
    latest_received: u32,
}

impl EngineTime {
    /// Starts (or restarts) from an authoritative engine's boots and time,
    /// as learned at `now` from a discovery Report or any authentic
    /// message. Values above 2^31 - 1 (outside the MIB's range) are taken
    /// as 2^31 - 1.
    pub fn new(boots: u32, time: u32, now: Instant) -> Self {
        let time = time.min(MAX_ENGINE_TIME);
        EngineTime {
            boots: boots.min(MAX_ENGINE_BOOTS),
            time,
            synced_at: now,
            latest_received: time,
        }
    }

    /// The local notion of the engine's snmpEngineBoots.
    pub fn boots(&self) -> u32 {
        self.boots
    }

    /// The local notion of the engine's snmpEngineTime at `now`: the time
    /// last learned plus the whole seconds elapsed since, at most 2^31 - 1.
    /// An `now` earlier than the last update counts as no time elapsed.
    pub fn estimated_time(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.synced_at).as_secs();
        let time = u64::from(self.time).saturating_add(elapsed);
        time.min(u64::from(MAX_ENGINE_TIME)) as u32
    }

    /// The latest snmpEngineTime received from the engine
    /// (latestReceivedEngineTime).
    pub fn latest_received_time(&self) -> u32 {
        self.latest_received
    }

    /// Whether the engine's boots reached 2^31 - 1: nothing is timely.
    pub fn is_latched(&self) -> bool {
        self.boots == MAX_ENGINE_BOOTS
    }

    /// Whether [`update`](EngineTime::update) would take a message with
    /// these boots and time: boots greater, or equal and a time greater
    /// than the latest received, both inside the MIB's range (2^31 - 1).
    /// Callers that read the clock only for an update ask this first.
    pub fn is_newer(&self, msg_boots: u32, msg_time: u32) -> bool {
        msg_boots <= MAX_ENGINE_BOOTS
            && msg_time <= MAX_ENGINE_TIME
            && (msg_boots > self.boots
                || (msg_boots == self.boots && msg_time > self.latest_received))
    }

    /// RFC 3414 §3.2 step 7b, first half: takes the boots and time of an
    /// authentic message received at `now`, and updates the local notion
    /// if the message is newer: its boots are greater, or equal and its time
    /// is greater than the latest time received. Returns whether it did.
    ///
    /// Older messages (lower boots, as after a reboot that reset the
    /// counter) change nothing; they fail [`is_in_window`] and it is up to
    /// the caller to re-synchronise with [`EngineTime::new`] after a fresh
    /// discovery. Boots or time above 2^31 - 1 are outside the MIB's range
    /// and change nothing either.
    ///
    /// Call it only for messages whose MAC was verified.
    ///
    /// [`is_in_window`]: EngineTime::is_in_window
    pub fn update(&mut self, msg_boots: u32, msg_time: u32, now: Instant) -> bool {
        let newer = self.is_newer(msg_boots, msg_time);
        if newer {
            self.boots = msg_boots;
            self.time = msg_time;
            self.synced_at = now;
            self.latest_received = msg_time;
        }
        newer
    }

    /// RFC 3414 §3.2 step 7b, second half: whether a message with these
    /// boots and time, received at `now`, is inside the time window.
    ///
    /// # Errors
    ///
    /// [`NotInTimeWindow`] if the local notion of boots is latched
    /// (2^31 - 1), the message's boots are lower than the local notion, or
    /// they are equal and the message's time is more than 150 seconds
    /// ([`TIME_WINDOW`]) behind the local notion of the engine's time. A
    /// message ahead of the local notion is in the window (the
    /// non-authoritative side only guards against replays).
    pub fn is_in_window(
        &self,
        msg_boots: u32,
        msg_time: u32,
        now: Instant,
    ) -> Result<(), NotInTimeWindow> {
        let time = self.estimated_time(now);
        let too_old = msg_boots == self.boots
            && u64::from(msg_time) + TIME_WINDOW.as_secs() < u64::from(time);
        if self.is_latched() || msg_boots > MAX_ENGINE_BOOTS || msg_boots < self.boots || too_old {
            return Err(NotInTimeWindow {
                msg_boots,
                msg_time,
                boots: self.boots,
                time,
            });
        }
        Ok(())
    }

    /// RFC 3414 §3.2 step 7b whole, for an authentic message received at
    /// `now`: [`update`](EngineTime::update), then
    /// [`is_in_window`](EngineTime::is_in_window).
    ///
    /// # Errors
    ///
    /// [`NotInTimeWindow`] as for `is_in_window`.
    pub fn check(
        &mut self,
        msg_boots: u32,
        msg_time: u32,
        now: Instant,
    ) -> Result<(), NotInTimeWindow> {
        self.update(msg_boots, msg_time, now);
        self.is_in_window(msg_boots, msg_time, now)
    }
}

/// A message's boots and time are outside the time window (RFC 3414 §3.2
/// step 7b): a replay, a message from before the engine's reboot, or an
/// engine whose boots are latched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "not in time window: message has engine boots {msg_boots}, time {msg_time}; \
     local notion is boots {boots}, time {time}"
)]
pub struct NotInTimeWindow {
    /// msgAuthoritativeEngineBoots of the message.
    pub msg_boots: u32,
    /// msgAuthoritativeEngineTime of the message.
    pub msg_time: u32,
    /// The local notion of the engine's boots.
    pub boots: u32,
    /// The local notion of the engine's time when the message arrived.
    pub time: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn estimated_time_counts_whole_seconds_since_the_sync() {
        let t0 = Instant::now();
        let clock = EngineTime::new(3, 500, t0);
        assert_eq!(clock.estimated_time(t0), 500);
        assert_eq!(clock.estimated_time(t0 + Duration::from_millis(999)), 500);
        assert_eq!(clock.estimated_time(t0 + secs(1)), 501);
        assert_eq!(clock.estimated_time(t0 + secs(3600)), 4100);
        // A `now` before the sync does not go backwards or panic.
        let later = EngineTime::new(3, 500, t0 + secs(10));
        assert_eq!(later.estimated_time(t0), 500);
        // The engine time saturates at 2^31 - 1.
        let late = EngineTime::new(3, MAX_ENGINE_TIME - 5, t0);
        assert_eq!(late.estimated_time(t0 + secs(100)), MAX_ENGINE_TIME);
    }

    #[test]
    fn window_edges_at_150_seconds() {
        let t0 = Instant::now();
        let clock = EngineTime::new(7, 10_000, t0);
        let now = t0 + secs(100); // local notion: 10_100
        assert_eq!(clock.estimated_time(now), 10_100);
        // Exactly 150 s behind: still in the window.
        assert_eq!(clock.is_in_window(7, 9_950, now), Ok(()));
        // 151 s behind: out.
        assert_eq!(
            clock.is_in_window(7, 9_949, now),
            Err(NotInTimeWindow {
                msg_boots: 7,
                msg_time: 9_949,
                boots: 7,
                time: 10_100
            })
        );
        // Ahead of the local notion, even far: in (non-authoritative side).
        assert_eq!(clock.is_in_window(7, 10_250, now), Ok(()));
        assert_eq!(clock.is_in_window(7, 20_000, now), Ok(()));
        // The same message drops out of the window as time passes.
        assert_eq!(
            clock
                .is_in_window(7, 9_950, now + secs(1))
                .unwrap_err()
                .time,
            10_101
        );
        // Near time 0 nothing underflows.
        let fresh = EngineTime::new(0, 0, t0);
        assert_eq!(fresh.is_in_window(0, 0, t0 + secs(150)), Ok(()));
        assert!(fresh.is_in_window(0, 0, t0 + secs(151)).is_err());
    }

    #[test]
    fn update_follows_step_7b() {
        let t0 = Instant::now();
        let mut clock = EngineTime::new(7, 10_000, t0);
        let t1 = t0 + secs(20);
        // Same boots, time not beyond the latest received: no update.
        assert!(!clock.update(7, 10_000, t1));
        assert!(!clock.update(7, 9_000, t1));
        assert_eq!(clock.estimated_time(t1), 10_020);
        // Same boots, later time: update; the estimate restarts from it.
        assert!(clock.update(7, 10_010, t1));
        assert_eq!(clock.latest_received_time(), 10_010);
        assert_eq!(clock.estimated_time(t1), 10_010);
        assert_eq!(clock.estimated_time(t1 + secs(5)), 10_015);
        // Greater boots: update even with a smaller time (a reboot that
        // counted up).
        let t2 = t1 + secs(60);
        assert!(clock.update(8, 3, t2));
        assert_eq!((clock.boots(), clock.estimated_time(t2)), (8, 3));
        // A message from before that reboot is now a replay.
        assert!(clock.is_in_window(7, 10_070, t2).is_err());
        assert_eq!(clock.is_in_window(8, 3, t2), Ok(()));
    }

    #[test]
    fn boots_reset_to_zero_after_a_reboot_needs_a_resync() {
        // net-snmp#385: an agent that lost its boots counter.
        let t0 = Instant::now();
        let mut clock = EngineTime::new(42, 86_400, t0);
        let t1 = t0 + secs(10);
        assert!(!clock.update(0, 5, t1), "lower boots never update");
        let err = clock.check(0, 5, t1).unwrap_err();
        assert_eq!((err.msg_boots, err.boots), (0, 42));
        assert_eq!(clock.boots(), 42);
        // The caller re-discovers and starts over.
        clock = EngineTime::new(0, 5, t1);
        assert_eq!(clock.check(0, 6, t1 + secs(1)), Ok(()));
    }

    #[test]
    fn latched_boots_are_never_in_the_window() {
        let t0 = Instant::now();
        let mut clock = EngineTime::new(MAX_ENGINE_BOOTS, 100, t0);
        assert!(clock.is_latched());
        assert!(clock.is_in_window(MAX_ENGINE_BOOTS, 100, t0).is_err());
        assert!(clock.check(MAX_ENGINE_BOOTS, 101, t0).is_err());
        // Boots reaching the limit through an update latch too.
        let mut clock = EngineTime::new(1, 100, t0);
        assert!(clock.update(MAX_ENGINE_BOOTS, 0, t0));
        assert!(clock.is_latched());
        assert!(clock.is_in_window(MAX_ENGINE_BOOTS, 0, t0).is_err());
        // Values beyond the MIB's range are refused, not adopted.
        let mut clock = EngineTime::new(1, 100, t0);
        assert!(!clock.update(u32::MAX, 0, t0));
        assert!(!clock.update(1, u32::MAX, t0));
        assert!(clock.is_in_window(u32::MAX, 0, t0).is_err());
        assert_eq!(
            EngineTime::new(u32::MAX, u32::MAX, t0).boots(),
            MAX_ENGINE_BOOTS
        );
    }

    #[test]
    fn check_updates_then_checks() {
        let t0 = Instant::now();
        let mut clock = EngineTime::new(1, 1000, t0);
        let t1 = t0 + secs(500); // local notion 1500
        // A newer message is accepted and moves the clock.
        assert_eq!(clock.check(1, 1490, t1), Ok(()));
        assert_eq!(clock.estimated_time(t1), 1490);
        // 1340 is exactly 150 s behind 1490: accepted, no update.
        assert_eq!(clock.check(1, 1340, t1), Ok(()));
        assert_eq!(clock.latest_received_time(), 1490);
        assert!(clock.check(1, 1339, t1).is_err());
    }
}
