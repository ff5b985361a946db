use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::{BoxFuture, join_all};
use futures::stream::{FusedStream, Stream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use snmux_engine::{VarBind, Version};
use snmux_manager::{Engine, Manager, WalkState};

use crate::Error;
use crate::pacing::{Breaker, BreakerState, Outcome, Pace, Pacer};
use crate::target::{Job, Target};

/// Polls a set of [`Target`]s through one [`Engine`] and yields one
/// [`PollRecord`] per target per round, as a [`Stream`].
///
/// Every target runs concurrently. Requests to one target are paced (its
/// [`TargetOptions`](crate::TargetOptions): requests in flight, least gap
/// between starts, circuit breaker); requests to all targets together are
/// capped by [`PollerBuilder::max_in_flight`]. A slow or dead target holds
/// back only its own record: the others' records are yielded as soon as
/// they are complete.
///
/// A round of a target runs its jobs (GET sets and walks), at most
/// `max_in_flight` of them at once, each one request after the other. A job
/// whose request fails ends with the error in the record; the other jobs go
/// on. When the breaker is open, the remaining jobs fail at once with
/// [`Error::CircuitOpen`] and nothing is sent.
///
/// `Poller` is a cheap handle (clone it freely); the pacing and breaker
/// state of each target is shared by every [`Poller::run`].
///
/// # Examples
///
/// ```no_run
/// use futures::StreamExt;
/// use snmux::poll::{PduProfile, Poller, Target};
/// use snmux::Security;
///
/// # async fn demo() -> Result<(), snmux::poll::Error> {
/// let targets = (1..=3).map(|i| {
///     let addr = format!("192.0.2.{i}:161").parse().unwrap();
///     Target::new(addr, Security::v2c("public")).profile(PduProfile::ApcRpdu)
/// });
/// let poller = Poller::builder().targets(targets).build()?;
/// let mut records = poller.run();
/// while let Some(record) = records.next().await {
///     println!("{}: {} values, {} errors", record.name, record.values.len(), record.errors.len());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Poller {
    shared: Arc<Shared>,
}

/// Settings of a [`Poller`]. Every setter takes and returns the builder.
#[must_use = "a builder does nothing until build() is called"]
pub struct PollerBuilder {
    targets: Vec<Target>,
    interval: Option<Duration>,
    rounds: Option<u64>,
    max_in_flight: usize,
    engine: Option<Engine>,
}

/// What one round of one target collected.
#[derive(Debug)]
#[non_exhaustive]
pub struct PollRecord {
    /// The target's position in the poller's targets (0-based).
    pub index: usize,
    /// The target's name.
    pub name: Arc<str>,
    /// The target's address.
    pub addr: SocketAddr,
    /// The round: 0 for the first, then one per interval (a round that
    /// overruns its interval skips the rounds it overlapped).
    pub round: u64,
    /// The varbinds collected, job after job in the target's order: each
    /// GET set's varbinds (exceptions such as noSuchObject included), then
    /// each walk's (up to its end, or its error).
    pub values: Vec<VarBind>,
    /// The jobs that failed, in the target's order. Empty if the round
    /// succeeded.
    pub errors: Vec<Error>,
    /// When the round started, since [`Poller::run`].
    pub started: Duration,
    /// How long the round took.
    pub elapsed: Duration,
    /// The time each answered request took, from its first transmission to
    /// its response, in the order they were sent.
    pub latencies: Vec<Duration>,
    /// Requests sent (first transmissions; a GET that the manager splits
    /// after tooBig, or an SNMPv3 discovery, counts as one).
    pub requests: u32,
    /// Retransmissions: for a timed-out request, the count the engine
    /// reports; for an answered one, ⌊latency / refresh⌋ (the engine sends
    /// again every refresh period until the response).
    pub retransmissions: u32,
    /// Requests that timed out.
    pub timeouts: u32,
}

impl PollRecord {
    /// Whether every job of the round succeeded.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The stream of [`PollRecord`]s of [`Poller::run`]: one per target per
/// round, in the order they complete. It ends after the last round (one
/// round without an interval); with an interval and no round limit it
/// never ends.
///
/// Each round of each target runs in a tokio task of its own (a task per
/// target at a time, never per request), so that the targets spread over
/// the runtime's worker threads and each round has tokio's cooperative
/// budget to itself.
///
/// # Cancel safety
///
/// Dropping the stream aborts the rounds: their requests are cancelled
/// (and removed from the engine's table) when the runtime next runs them.
#[must_use = "streams do nothing unless polled"]
pub struct Records {
    shared: Arc<Shared>,
    t0: Instant,
    running: JoinSet<PollRecord>,
}

struct Shared {
    engine: Engine,
    targets: Vec<TargetState>,
    interval: Option<Duration>,
    rounds: Option<u64>,
    max_in_flight: usize,
    global: Arc<Semaphore>,
}

/// A target, its manager, and its pacing and breaker, shared by its rounds.
struct TargetState {
    target: Target,
    manager: Manager,
    pace: Mutex<PaceState>,
    /// Notified when a request of the target ends.
    ended: Notify,
}

struct PaceState {
    pacer: Pacer,
    breaker: Breaker,
}

impl Default for PollerBuilder {
    fn default() -> Self {
        Self {
            targets: Vec::new(),
            interval: None,
            rounds: None,
            max_in_flight: 1024,
            engine: None,
        }
    }
}

impl PollerBuilder {
    /// Adds a target.
    pub fn target(mut self, target: Target) -> Self {
        self.targets.push(target);
        self
    }

    /// Adds targets.
    pub fn targets(mut self, targets: impl IntoIterator<Item = Target>) -> Self {
        self.targets.extend(targets);
        self
    }

    /// Poll continuously: a round of every target every `interval`, the
    /// first at once. A target whose round takes longer than the interval
    /// starts its next round at the next interval after it ends. Default:
    /// one round (one-shot).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = Some(interval.max(Duration::from_millis(1)));
        self
    }

    /// The number of rounds of each target. Default: 1 without an
    /// interval, unlimited with one. 0 counts as 1.
    pub fn rounds(mut self, rounds: u64) -> Self {
        self.rounds = Some(rounds.max(1));
        self
    }

    /// Most requests in flight to all targets together; a request beyond
    /// waits (in order) for one to end. Default 1024; 0 counts as 1.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n.max(1);
        self
    }

    /// Poll through `engine` (for example one on a test transport, or one a
    /// service already has). Default: an engine with default settings bound
    /// to `0.0.0.0:0`, or `[::]:0` if a target is IPv6.
    pub fn engine(mut self, engine: Engine) -> Self {
        self.engine = Some(engine);
        self
    }

    /// The poller.
    ///
    /// # Errors
    ///
    /// [`Error::Engine`] if the default engine's socket cannot be bound.
    ///
    /// # Panics
    ///
    /// Without an engine given, panics if called outside a tokio runtime.
    pub fn build(self) -> Result<Poller, Error> {
        let engine = match self.engine {
            Some(engine) => engine,
            None => {
                let v6 = self.targets.iter().any(|t| t.addr.is_ipv6());
                let local = if v6 {
                    SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
                } else {
                    SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
                };
                Engine::bind(local).map_err(|e| Error::Engine(Box::new(e)))?
            }
        };
        let targets = self
            .targets
            .into_iter()
            .map(|target| {
                let o = target.options;
                let manager = engine
                    .manager(target.addr, target.security.clone())
                    .timeout(o.timeout)
                    .refresh(o.refresh)
                    .max_repetitions(o.max_repetitions)
                    .build();
                TargetState {
                    pace: Mutex::new(PaceState {
                        pacer: Pacer::new(o.max_in_flight, o.min_gap),
                        breaker: Breaker::new(o.breaker),
                    }),
                    ended: Notify::new(),
                    manager,
                    target,
                }
            })
            .collect();
        Ok(Poller {
            shared: Arc::new(Shared {
                engine,
                targets,
                interval: self.interval,
                rounds: self.rounds,
                max_in_flight: self.max_in_flight,
                global: Arc::new(Semaphore::new(self.max_in_flight)),
            }),
        })
    }
}

impl Poller {
    /// A builder: no targets, one round, 1024 requests in flight overall.
    pub fn builder() -> PollerBuilder {
        PollerBuilder::default()
    }

    /// Starts polling: the first round of every target starts at once.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub fn run(&self) -> Records {
        let t0 = Instant::now();
        let mut running = JoinSet::new();
        for index in 0..self.shared.targets.len() {
            running.spawn(round(Arc::clone(&self.shared), index, 0, t0, t0));
        }
        Records {
            shared: Arc::clone(&self.shared),
            t0,
            running,
        }
    }

    /// The targets, in order.
    pub fn targets(&self) -> impl ExactSizeIterator<Item = &Target> {
        self.shared.targets.iter().map(|t| &t.target)
    }

    /// The engine the requests go through (for its
    /// [`stats`](Engine::stats)).
    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    /// The state of the circuit breaker of the target at `index`, if there
    /// is one.
    pub fn breaker_state(&self, index: usize) -> Option<BreakerState> {
        let t = self.shared.targets.get(index)?;
        Some(lock(&t.pace).breaker.state())
    }
}

impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("targets", &self.shared.targets.len())
            .field("interval", &self.shared.interval)
            .field("rounds", &self.shared.rounds)
            .field("max_in_flight", &self.shared.max_in_flight)
            .finish()
    }
}

impl fmt::Debug for PollerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PollerBuilder")
            .field("targets", &self.targets.len())
            .field("interval", &self.interval)
            .field("rounds", &self.rounds)
            .field("max_in_flight", &self.max_in_flight)
            .finish()
    }
}

impl fmt::Debug for Records {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Records")
            .field("running", &self.running.len())
            .finish()
    }
}

impl Stream for Records {
    type Item = PollRecord;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<PollRecord>> {
        let this = &mut *self;
        let record = loop {
            match this.running.poll_join_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Ok(record))) => break record,
                Poll::Ready(Some(Err(e))) if e.is_panic() => {
                    std::panic::resume_unwind(e.into_panic())
                }
                // Aborted: only by a runtime shutting down.
                Poll::Ready(Some(Err(_))) => {}
            }
        };
        let shared = &this.shared;
        let last = shared.rounds.unwrap_or(if shared.interval.is_some() {
            u64::MAX
        } else {
            1
        });
        let next = match shared.interval {
            // The first interval that starts after the round ended.
            Some(interval) => {
                let ended = this.t0.elapsed();
                let tick = ended.as_nanos().div_ceil(interval.as_nanos().max(1));
                u64::try_from(tick)
                    .unwrap_or(u64::MAX)
                    .max(record.round + 1)
            }
            None => record.round + 1,
        };
        if next < last {
            let start = this.t0
                + shared
                    .interval
                    .unwrap_or(Duration::ZERO)
                    .saturating_mul(u32::try_from(next).unwrap_or(u32::MAX));
            this.running.spawn(round(
                Arc::clone(shared),
                record.index,
                next,
                this.t0,
                start,
            ));
        }
        Poll::Ready(Some(record))
    }
}

impl FusedStream for Records {
    fn is_terminated(&self) -> bool {
        self.running.is_empty()
    }
}

/// What a round counts as its requests go.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    requests: u32,
    retransmissions: u32,
    timeouts: u32,
}

/// Round `number` of the target at `index`, starting at `start`.
fn round(
    shared: Arc<Shared>,
    index: usize,
    number: u64,
    t0: Instant,
    start: Instant,
) -> BoxFuture<'static, PollRecord> {
    Box::pin(async move {
        tokio::time::sleep_until(start).await;
        let t = &shared.targets[index];
        let started = Instant::now();
        let jobs = &t.target.jobs;
        let next_job = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<JobResult>>> =
            Mutex::new((0..jobs.len()).map(|_| None).collect());
        let tally = Mutex::new(Tally::default());
        let lanes = t.target.options.max_in_flight.clamp(1, jobs.len().max(1));
        let lane = || async {
            loop {
                let i = next_job.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let result = run_job(&shared, t, job, &tally).await;
                lock(&results)[i] = Some(result);
            }
        };
        join_all((0..lanes).map(|_| lane())).await;

        let mut values = Vec::new();
        let mut errors = Vec::new();
        for (vbs, error) in lock(&results).drain(..).flatten() {
            values.extend(vbs);
            errors.extend(error);
        }
        let tally = std::mem::take(&mut *lock(&tally));
        PollRecord {
            index,
            name: Arc::clone(&t.target.name),
            addr: t.target.addr,
            round: number,
            values,
            errors,
            started: started.saturating_duration_since(t0),
            elapsed: started.elapsed(),
            latencies: tally.latencies,
            requests: tally.requests,
            retransmissions: tally.retransmissions,
            timeouts: tally.timeouts,
        }
    })
}

/// A job's varbinds, and its error if a request failed.
type JobResult = (Vec<VarBind>, Option<Error>);

/// Runs one job.
async fn run_job(shared: &Shared, t: &TargetState, job: &Job, tally: &Mutex<Tally>) -> JobResult {
    let fail = |e: Option<Box<snmux_manager::Error>>| match e {
        Some(source) => Error::Request {
            job: Arc::clone(job.name()),
            source,
        },
        None => Error::CircuitOpen {
            job: Arc::clone(job.name()),
        },
    };
    match job {
        Job::Get { oids, .. } => match request(shared, t, tally, t.manager.get(oids)).await {
            Ok(vbs) => (vbs, None),
            Err(e) => (Vec::new(), Some(fail(e.map(Box::new)))),
        },
        Job::Walk { root, .. } => {
            let addr = t.target.addr;
            let mut walk = if t.manager.version() == Version::V1 {
                WalkState::get_next(addr, root.clone())
            } else {
                WalkState::get_bulk(addr, root.clone(), t.target.options.max_repetitions)
            };
            let mut out = Vec::new();
            loop {
                let sent = walk.next_request().send(&t.manager);
                let response = match request(shared, t, tally, sent).await {
                    Ok(vbs) => Ok(vbs),
                    Err(Some(e)) => Err(e),
                    Err(None) => return (out, Some(fail(None))),
                };
                match walk.read(response, &mut out) {
                    Ok(ControlFlow::Continue(())) => {}
                    Ok(ControlFlow::Break(_)) => return (out, None),
                    Err(e) => return (out, Some(fail(Some(Box::new(e))))),
                }
            }
        }
    }
}

/// Sends one request when pacing and the breaker let it go, and counts it.
/// `Err(None)`: the breaker is open and nothing was sent.
async fn request<F>(
    shared: &Shared,
    t: &TargetState,
    tally: &Mutex<Tally>,
    request: F,
) -> Result<Vec<VarBind>, Option<snmux_manager::Error>>
where
    F: Future<Output = Result<Vec<VarBind>, snmux_manager::Error>>,
{
    let mut ticket = admit(shared, t).await.ok_or(None)?;
    let sent = Instant::now();
    let result = request.await;
    let latency = sent.elapsed();
    let options = &t.target.options;
    let outcome = {
        let mut tally = lock(tally);
        tally.requests += 1;
        match &result {
            Err(snmux_manager::Error::Timeout {
                retransmissions, ..
            }) => {
                tally.timeouts += 1;
                tally.retransmissions += retransmissions;
                Outcome::Timeout
            }
            Err(e) if !answered(e) => Outcome::Abandoned,
            _ => {
                let refresh = options.refresh.max(Duration::from_millis(1));
                let most = options.timeout.as_nanos() / refresh.as_nanos();
                let sent_again = (latency.as_nanos() / refresh.as_nanos()).min(most);
                tally.retransmissions += u32::try_from(sent_again).unwrap_or(u32::MAX);
                tally.latencies.push(latency);
                Outcome::Answered
            }
        }
    };
    ticket.end(outcome);
    result.map_err(Some)
}

/// Whether an error says that the agent answered.
fn answered(e: &snmux_manager::Error) -> bool {
    use snmux_manager::Error as E;
    !matches!(
        e,
        E::Timeout { .. } | E::Busy { .. } | E::EngineClosed | E::MessageTooLarge { .. } | E::Io(_)
    )
}

/// A request let go by pacing, the breaker and the overall cap. Ends the
/// request (as abandoned, if [`Ticket::end`] was not called) when dropped.
struct Ticket<'a> {
    t: &'a TargetState,
    _permit: OwnedSemaphorePermit,
    outcome: Option<Outcome>,
}

impl Ticket<'_> {
    fn end(&mut self, outcome: Outcome) {
        self.outcome = Some(outcome);
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        {
            let mut pace = lock(&self.t.pace);
            pace.pacer.finish();
            let outcome = self.outcome.unwrap_or(Outcome::Abandoned);
            pace.breaker.record(outcome, Instant::now());
        }
        self.t.ended.notify_waiters();
    }
}

/// Waits until a request to `t` may go; `None` if its breaker is open.
///
/// The target's pacing and breaker are asked first, without a permit of
/// the overall cap (so that a request waiting for its gap or for a probe
/// does not hold one back from another target), then again with the
/// permit, when they decide.
async fn admit<'a>(shared: &Shared, t: &'a TargetState) -> Option<Ticket<'a>> {
    enum Wait {
        Until(Instant),
        Ended,
    }
    /// What the target's state says at `now`: go, or wait.
    fn check(pace: &PaceState, now: Instant) -> Option<Result<(), Wait>> {
        Some(match pace.breaker.state() {
            BreakerState::Open { until } if now < until => return None,
            BreakerState::HalfOpen => Err(Wait::Ended),
            _ => match pace.pacer.check(now) {
                Pace::Until(at) => Err(Wait::Until(at)),
                Pace::Full => Err(Wait::Ended),
                Pace::Go => Ok(()),
            },
        })
    }
    loop {
        let ended = t.ended.notified();
        tokio::pin!(ended);
        ended.as_mut().enable();
        let wait = check(&lock(&t.pace), Instant::now())?;
        let permit = match wait {
            Err(Wait::Until(at)) => {
                tokio::time::sleep_until(at).await;
                continue;
            }
            Err(Wait::Ended) => {
                ended.await;
                continue;
            }
            Ok(()) => Arc::clone(&shared.global).acquire_owned().await.ok()?,
        };
        // The state may have changed while the permit was awaited.
        let mut pace = lock(&t.pace);
        let now = Instant::now();
        if check(&pace, now)?.is_ok() {
            pace.breaker.admit(now);
            pace.pacer.start(now);
            return Some(Ticket {
                t,
                _permit: permit,
                outcome: None,
            });
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
