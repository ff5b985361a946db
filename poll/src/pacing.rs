//! Pacing and the circuit breaker of one target, as plain code: state
//! machines that take an [`Instant`] and return decisions, with no timer,
//! task or socket. The poller's tokio shell asks them before each request
//! and tells them how it ended.

use std::time::Duration;

use tokio::time::Instant;

/// The pacing of one target: at most `max_in_flight` requests at once,
/// and request starts at least `min_gap` apart.
///
/// Ask [`Pacer::start`] before sending a request; if it says
/// [`Pace::Go`], the request counts as in flight until
/// [`Pacer::finish`].
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use snmux::poll::pacing::{Pace, Pacer};
/// use tokio::time::Instant;
///
/// let mut pacer = Pacer::new(2, Duration::from_millis(10));
/// let t0 = Instant::now();
/// assert_eq!(pacer.start(t0), Pace::Go);
/// // A second request must wait for the gap.
/// assert_eq!(pacer.start(t0), Pace::Until(t0 + Duration::from_millis(10)));
/// assert_eq!(pacer.start(t0 + Duration::from_millis(10)), Pace::Go);
/// // Two in flight: a third waits for one to finish.
/// assert_eq!(pacer.start(t0 + Duration::from_millis(20)), Pace::Full);
/// pacer.finish();
/// assert_eq!(pacer.start(t0 + Duration::from_millis(20)), Pace::Go);
/// ```
#[derive(Debug, Clone)]
pub struct Pacer {
    max_in_flight: usize,
    min_gap: Duration,
    in_flight: usize,
    last_start: Option<Instant>,
}

/// What [`Pacer::start`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// Send now; the request is counted in flight.
    Go,
    /// The gap since the last start is too short: ask again at this instant.
    Until(Instant),
    /// As many requests as allowed are in flight: ask again after
    /// [`Pacer::finish`].
    Full,
}

impl Pacer {
    /// A pacer allowing `max_in_flight` requests at once (0 counts as 1)
    /// and starts `min_gap` apart.
    pub fn new(max_in_flight: usize, min_gap: Duration) -> Self {
        Self {
            max_in_flight: max_in_flight.max(1),
            min_gap,
            in_flight: 0,
            last_start: None,
        }
    }

    /// Whether a request may start at `now`; if so ([`Pace::Go`]) it is
    /// counted in flight and `now` is the last start.
    pub fn start(&mut self, now: Instant) -> Pace {
        let pace = self.check(now);
        if pace == Pace::Go {
            self.in_flight += 1;
            self.last_start = Some(now);
        }
        pace
    }

    /// What [`start`](Self::start) would decide at `now`, without starting.
    pub fn check(&self, now: Instant) -> Pace {
        if self.in_flight >= self.max_in_flight {
            return Pace::Full;
        }
        match self.last_start {
            Some(last) if now < last + self.min_gap => Pace::Until(last + self.min_gap),
            _ => Pace::Go,
        }
    }

    /// A request that [`start`](Self::start) let go has ended (answered,
    /// timed out, or cancelled).
    pub fn finish(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }
}

/// Settings of a [`Breaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive timed-out requests that open the breaker. Default 3; 0
    /// disables the breaker (it never opens).
    pub failures: u32,
    /// How long the breaker stays open before it lets one probe request
    /// through. Default 30 s.
    pub cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failures: 3,
            cooldown: Duration::from_secs(30),
        }
    }
}

/// The circuit breaker of one target: it stops requests to a target that
/// does not answer, and tries again later.
///
/// - **Closed** (the start): requests go. `failures` consecutive timeouts
///   open it; any answer (a response, even with an error-status) resets
///   the count.
/// - **Open** until `cooldown` after the timeout that opened it: nothing
///   goes ([`Admit::Open`]); the poller fails those requests at once.
/// - **Half-open** after the cooldown: exactly one request, the probe,
///   goes ([`Admit::Probe`]); others wait for it ([`Admit::AwaitProbe`]).
///   An answer closes the breaker; a timeout opens it again for another
///   cooldown.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// use snmux::poll::pacing::{Admit, Breaker, BreakerConfig, Outcome};
/// use tokio::time::Instant;
///
/// let cooldown = Duration::from_secs(30);
/// let mut breaker = Breaker::new(BreakerConfig { failures: 2, cooldown });
/// let t0 = Instant::now();
/// breaker.record(Outcome::Timeout, t0);
/// assert_eq!(breaker.admit(t0), Admit::Go);
/// breaker.record(Outcome::Timeout, t0);
/// assert_eq!(breaker.admit(t0), Admit::Open { until: t0 + cooldown });
/// assert_eq!(breaker.admit(t0 + cooldown), Admit::Probe);
/// assert_eq!(breaker.admit(t0 + cooldown), Admit::AwaitProbe);
/// breaker.record(Outcome::Answered, t0 + cooldown);
/// assert_eq!(breaker.admit(t0 + cooldown), Admit::Go);
/// ```
#[derive(Debug, Clone)]
pub struct Breaker {
    config: BreakerConfig,
    state: BreakerState,
    /// Consecutive timeouts while closed.
    failures: u32,
}

/// The state of a [`Breaker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Requests go.
    Closed,
    /// Nothing goes until `until`.
    Open {
        /// The end of the cooldown.
        until: Instant,
    },
    /// One probe request is in flight; nothing else goes.
    HalfOpen,
}

/// What [`Breaker::admit`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// The breaker is closed: send.
    Go,
    /// Send this request as the probe; its outcome decides for the others.
    Probe,
    /// A probe is in flight: ask again when it ends.
    AwaitProbe,
    /// Open: send nothing before `until`.
    Open {
        /// The end of the cooldown.
        until: Instant,
    },
}

/// How a request ended, for the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The agent answered (any response, an error-status included).
    Answered,
    /// No answer within the request's timeout.
    Timeout,
    /// The request ended without telling anything about the agent (it was
    /// cancelled, or failed before it was sent).
    Abandoned,
}

impl Breaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self {
            config,
            state: BreakerState::Closed,
            failures: 0,
        }
    }

    /// The state.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether a request may go at `now`. [`Admit::Probe`] moves the
    /// breaker to half-open: report the probe's outcome with
    /// [`record`](Self::record).
    pub fn admit(&mut self, now: Instant) -> Admit {
        match self.state {
            BreakerState::Closed => Admit::Go,
            BreakerState::Open { until } if now < until => Admit::Open { until },
            BreakerState::Open { .. } => {
                self.state = BreakerState::HalfOpen;
                Admit::Probe
            }
            BreakerState::HalfOpen => Admit::AwaitProbe,
        }
    }

    /// A request that [`admit`](Self::admit) let go ended at `now` with
    /// `outcome`.
    pub fn record(&mut self, outcome: Outcome, now: Instant) {
        match (outcome, self.state) {
            (Outcome::Answered, _) => {
                self.state = BreakerState::Closed;
                self.failures = 0;
            }
            (Outcome::Timeout, BreakerState::HalfOpen) => self.open(now),
            (Outcome::Timeout, BreakerState::Closed) => {
                self.failures = self.failures.saturating_add(1);
                if self.config.failures > 0 && self.failures >= self.config.failures {
                    self.open(now);
                }
            }
            // A request that went before the breaker opened: already open.
            (Outcome::Timeout, BreakerState::Open { .. }) => {}
            // A probe that was cancelled: let the next request probe.
            (Outcome::Abandoned, BreakerState::HalfOpen) => {
                self.state = BreakerState::Open { until: now };
            }
            (Outcome::Abandoned, _) => {}
        }
    }

    fn open(&mut self, now: Instant) {
        self.state = BreakerState::Open {
            until: now + self.config.cooldown,
        };
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn pacer_caps_requests_in_flight() {
        let mut pacer = Pacer::new(2, Duration::ZERO);
        let t = Instant::now();
        assert_eq!(pacer.start(t), Pace::Go);
        assert_eq!(pacer.start(t), Pace::Go);
        assert_eq!(pacer.start(t), Pace::Full);
        assert_eq!(pacer.in_flight(), 2);
        pacer.finish();
        assert_eq!(pacer.start(t), Pace::Go);
        assert_eq!(pacer.start(t), Pace::Full);
        // finish never goes below zero.
        for _ in 0..5 {
            pacer.finish();
        }
        assert_eq!(pacer.in_flight(), 0);
        assert_eq!(Pacer::new(0, Duration::ZERO).max_in_flight, 1);
    }

    #[test]
    fn pacer_keeps_the_gap_from_the_last_start() {
        let mut pacer = Pacer::new(10, 5 * MS);
        let t = Instant::now();
        assert_eq!(pacer.start(t), Pace::Go);
        assert_eq!(pacer.start(t + MS), Pace::Until(t + 5 * MS));
        assert_eq!(pacer.start(t + 5 * MS), Pace::Go);
        // The gap counts from the second start, also after a finish.
        pacer.finish();
        assert_eq!(pacer.start(t + 7 * MS), Pace::Until(t + 10 * MS));
        assert_eq!(pacer.start(t + 30 * MS), Pace::Go);
        assert_eq!(pacer.in_flight(), 2);
    }

    #[test]
    fn breaker_opens_after_consecutive_timeouts_only() {
        let config = BreakerConfig {
            failures: 3,
            cooldown: 100 * MS,
        };
        let mut b = Breaker::new(config);
        let t = Instant::now();
        b.record(Outcome::Timeout, t);
        b.record(Outcome::Timeout, t);
        // An answer in between resets the count.
        b.record(Outcome::Answered, t);
        b.record(Outcome::Timeout, t);
        b.record(Outcome::Timeout, t);
        b.record(Outcome::Abandoned, t);
        assert_eq!(b.admit(t), Admit::Go);
        b.record(Outcome::Timeout, t + MS);
        assert_eq!(
            b.state(),
            BreakerState::Open {
                until: t + 101 * MS
            }
        );
        assert_eq!(
            b.admit(t + 100 * MS),
            Admit::Open {
                until: t + 101 * MS
            }
        );
        // A late timeout of a request sent before does not extend it.
        b.record(Outcome::Timeout, t + 50 * MS);
        assert_eq!(b.admit(t + 101 * MS), Admit::Probe);
    }

    #[test]
    fn half_open_lets_one_probe_through() {
        let config = BreakerConfig {
            failures: 1,
            cooldown: 10 * MS,
        };
        let mut b = Breaker::new(config);
        let t = Instant::now();
        b.record(Outcome::Timeout, t);
        assert_eq!(b.admit(t + 10 * MS), Admit::Probe);
        assert_eq!(b.admit(t + 10 * MS), Admit::AwaitProbe);
        assert_eq!(b.admit(t + 1000 * MS), Admit::AwaitProbe);
        // The probe times out: open for another cooldown from then.
        b.record(Outcome::Timeout, t + 20 * MS);
        assert_eq!(b.admit(t + 25 * MS), Admit::Open { until: t + 30 * MS });
        assert_eq!(b.admit(t + 30 * MS), Admit::Probe);
        // A cancelled probe hands the probe to the next request.
        b.record(Outcome::Abandoned, t + 31 * MS);
        assert_eq!(b.admit(t + 31 * MS), Admit::Probe);
        b.record(Outcome::Answered, t + 32 * MS);
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.admit(t + 32 * MS), Admit::Go);
        assert_eq!(b.admit(t + 32 * MS), Admit::Go);
    }

    #[test]
    fn zero_failures_disables_the_breaker() {
        let mut b = Breaker::new(BreakerConfig {
            failures: 0,
            cooldown: MS,
        });
        let t = Instant::now();
        for _ in 0..100 {
            b.record(Outcome::Timeout, t);
        }
        assert_eq!(b.admit(t), Admit::Go);
    }
}
