//! The poller's pacing and circuit breaker, on `TestNet` with tokio's
//! paused clock: at most K requests in flight per target and overall, the
//! least gap between request starts, a breaker that sends nothing while
//! open and one probe after its cooldown, and slow targets that hold back
//! only themselves. Every time here is virtual and exact.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use snmux::poll::pacing::{BreakerConfig, BreakerState};
use snmux::poll::{PollRecord, Poller, Target};
use snmux::transport::test::{Faults, TestNet};
use snmux::{AnyPdu, Bytes, Engine, Message, Oid, Pdu, PduType, Security, Value, VarBind, oid};
use tokio::time::Instant;

const MANAGER: &str = "10.0.0.100:40000";
const MS: Duration = Duration::from_millis(1);

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("literal address")
}

fn agent_addr(i: usize) -> SocketAddr {
    addr(&format!("10.1.{}.{}:161", i / 200, i % 200 + 1))
}

/// `1.3.6.1.4.1.99999.C.N` for column C in 1..=3 and N in 1..=n, each
/// value naming the agent, the column and the instance.
fn mib(agent: usize, n: u32) -> BTreeMap<Oid, Value> {
    let mut mib = BTreeMap::new();
    for c in 1..=3 {
        for i in 1..=n {
            mib.insert(
                oid!(1, 3, 6, 1, 4, 1, 99999, c, i),
                Value::from(format!("agent {agent} column {c} instance {i}")),
            );
        }
    }
    mib
}

/// A request as the agent saw it.
#[derive(Debug, Clone, Copy)]
struct Seen {
    request_id: i32,
    at: Instant,
}

/// Every request each agent received, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<HashMap<SocketAddr, Vec<Seen>>>>);

impl Log {
    fn of(&self, agent: SocketAddr) -> Vec<Seen> {
        self.0
            .lock()
            .unwrap()
            .get(&agent)
            .cloned()
            .unwrap_or_default()
    }

    /// First transmissions only (a retransmission repeats its request-id).
    fn requests(&self, agent: SocketAddr) -> Vec<Seen> {
        let mut seen = std::collections::HashSet::new();
        self.of(agent)
            .into_iter()
            .filter(|s| seen.insert(s.request_id))
            .collect()
    }

    fn all_requests(&self) -> Vec<Seen> {
        let agents: Vec<SocketAddr> = self.0.lock().unwrap().keys().copied().collect();
        agents.into_iter().flat_map(|a| self.requests(a)).collect()
    }
}

/// Serves `mib` at `at` (GET, GETNEXT, GETBULK on v2c), logging each
/// request; answers only while `alive(now)`.
fn serve(
    net: &TestNet,
    at: SocketAddr,
    mib: BTreeMap<Oid, Value>,
    log: &Log,
    alive: impl Fn(Instant) -> bool + Send + 'static,
) -> snmux::transport::test::ServeGuard {
    let log = log.clone();
    net.serve(at, move |request| {
        let msg = Message::decode(&Bytes::copy_from_slice(request)).ok()?;
        let AnyPdu::Pdu(pdu) = msg.pdu else {
            return None;
        };
        let now = Instant::now();
        log.0.lock().unwrap().entry(at).or_default().push(Seen {
            request_id: pdu.request_id,
            at: now,
        });
        if !alive(now) {
            return None;
        }
        let next = |oid: &Oid| {
            mib.range((Bound::Excluded(oid.clone()), Bound::Unbounded))
                .next()
                .map(|(o, v)| VarBind::new(o.clone(), v.clone()))
                .unwrap_or_else(|| VarBind::new(oid.clone(), Value::EndOfMibView))
        };
        let varbinds = match pdu.pdu_type {
            PduType::GetRequest => pdu
                .varbinds
                .iter()
                .map(|vb| match mib.get(&vb.oid) {
                    Some(v) => VarBind::new(vb.oid.clone(), v.clone()),
                    None => VarBind::new(vb.oid.clone(), Value::NoSuchObject),
                })
                .collect(),
            PduType::GetNextRequest => pdu.varbinds.iter().map(|vb| next(&vb.oid)).collect(),
            PduType::GetBulkRequest => {
                let mut out = Vec::new();
                let mut last = pdu.varbinds.first()?.oid.clone();
                for _ in 0..pdu.max_repetitions() {
                    let vb = next(&last);
                    last = vb.oid.clone();
                    let end = vb.value == Value::EndOfMibView;
                    out.push(vb);
                    if end {
                        break;
                    }
                }
                out
            }
            _ => return None,
        };
        let response = Pdu::new(PduType::Response, pdu.request_id, varbinds);
        Some(
            Message::new(msg.version, msg.community, response)
                .to_bytes()
                .to_vec(),
        )
    })
}

fn engine(net: &TestNet) -> Engine {
    Engine::builder()
        .transport(Arc::new(net.bind(addr(MANAGER))))
        .build()
        .expect("engine on a test transport")
}

/// A target that walks the three columns and GETs two instances.
fn target(i: usize) -> Target {
    Target::new(agent_addr(i), Security::v2c("public"))
        .named(format!("agent-{i}"))
        .get(
            "pair",
            vec![
                oid!(1, 3, 6, 1, 4, 1, 99999, 1, 1),
                oid!(1, 3, 6, 1, 4, 1, 99999, 2, 2),
            ],
        )
        .walk(oid!(1, 3, 6, 1, 4, 1, 99999, 1))
        .walk(oid!(1, 3, 6, 1, 4, 1, 99999, 2))
        .walk(oid!(1, 3, 6, 1, 4, 1, 99999, 3))
}

/// What a round of [`target`] collects from an agent with `n` instances.
fn expected(i: usize, n: u32) -> Vec<VarBind> {
    let mib = mib(i, n);
    let value = |c: u32, k: u32| {
        let o = oid!(1, 3, 6, 1, 4, 1, 99999, c, k);
        VarBind::new(o.clone(), mib[&o].clone())
    };
    let mut want = vec![value(1, 1), value(2, 2)];
    for c in 1..=3 {
        want.extend((1..=n).map(|k| value(c, k)));
    }
    want
}

async fn collect(poller: &Poller) -> Vec<PollRecord> {
    poller.run().collect().await
}

/// The most requests in flight at once, each from its arrival at the
/// agent to the arrival of its response `rtt` later (a response that
/// arrives as another request leaves does not overlap it).
fn max_overlap(requests: &[Seen], rtt: Duration) -> usize {
    let mut events: Vec<(Instant, i32)> = requests
        .iter()
        .flat_map(|s| [(s.at, 1), (s.at + rtt, -1)])
        .collect();
    events.sort();
    let (mut now, mut max) = (0i32, 0i32);
    for (_, delta) in events {
        now += delta;
        max = max.max(now);
    }
    max as usize
}

#[tokio::test(start_paused = true)]
async fn at_most_k_requests_in_flight_per_target_and_starts_a_gap_apart() {
    let net = TestNet::new(7);
    let log = Log::default();
    let rtt = 100 * MS;
    let guards: Vec<_> = (0..3)
        .map(|i| {
            net.set_link_faults(
                agent_addr(i),
                addr(MANAGER),
                Faults::none().fixed_delay(rtt),
            );
            serve(&net, agent_addr(i), mib(i, 25), &log, |_| true)
        })
        .collect();
    let gap = 30 * MS;
    let targets = (0..3).map(|i| {
        target(i)
            .max_in_flight(if i == 2 { 1 } else { 2 })
            .min_gap(gap)
            .max_repetitions(4)
    });
    let poller = Poller::builder()
        .engine(engine(&net))
        .targets(targets)
        .build()
        .unwrap();
    let records = collect(&poller).await;

    assert_eq!(records.len(), 3);
    for r in &records {
        assert!(r.is_ok(), "{:?}", r.errors);
        assert_eq!(r.values, expected(r.index, 25), "{}", r.name);
        let seen = log.requests(r.addr);
        assert_eq!(seen.len() as u32, r.requests);
        assert_eq!(r.retransmissions, 0);
        // Every answered request took the link's round trip.
        assert!(r.latencies.iter().all(|&l| l == rtt), "{:?}", r.latencies);
        let cap = if r.index == 2 { 1 } else { 2 };
        assert_eq!(max_overlap(&seen, rtt), cap, "{}", r.name);
        for pair in seen.windows(2) {
            assert!(pair[1].at - pair[0].at >= gap, "{}: {:?}", r.name, pair);
        }
    }
    drop(guards);
    assert_eq!(poller.engine().requests_in_table(), 0);
}

#[tokio::test(start_paused = true)]
async fn at_most_m_requests_in_flight_overall() {
    let net = TestNet::new(8);
    let log = Log::default();
    let rtt = 50 * MS;
    net.set_faults(Faults::none().fixed_delay(rtt / 2));
    let guards: Vec<_> = (0..40)
        .map(|i| serve(&net, agent_addr(i), mib(i, 10), &log, |_| true))
        .collect();
    let poller = Poller::builder()
        .engine(engine(&net))
        .targets((0..40).map(|i| target(i).min_gap(Duration::ZERO)))
        .max_in_flight(7)
        .build()
        .unwrap();
    let records = collect(&poller).await;
    assert!(records.iter().all(|r| r.is_ok()));
    for r in &records {
        assert_eq!(r.values, expected(r.index, 10));
    }
    // The agent sees a request half a round trip after it leaves; it is
    // in flight from then until its response arrives.
    let all = log.all_requests();
    assert_eq!(
        all.len() as u32,
        records.iter().map(|r| r.requests).sum::<u32>()
    );
    assert_eq!(max_overlap(&all, rtt), 7);
    drop(guards);
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_sends_nothing_until_its_cooldown_then_one_probe() {
    let net = TestNet::new(9);
    let log = Log::default();
    let t0 = Instant::now();
    let revive = t0 + Duration::from_secs(2);
    let agent = agent_addr(0);
    let _g = serve(&net, agent, mib(0, 3), &log, move |now| now >= revive);
    let cooldown = Duration::from_secs(1);
    let per_try = 100 * MS;
    let target = target(0)
        .get("more", vec![oid!(1, 3, 6, 1, 4, 1, 99999, 3, 3)])
        .retries(per_try, 1)
        .min_gap(Duration::ZERO)
        .breaker(BreakerConfig {
            failures: 3,
            cooldown,
        });
    let interval = 300 * MS;
    let poller = Poller::builder()
        .engine(engine(&net))
        .target(target)
        .interval(interval)
        .rounds(12)
        .build()
        .unwrap();
    let records = collect(&poller).await;
    let timeout = per_try * 2;

    // Round 0: two lanes, two timeouts each; the third opens the breaker
    // while the fourth is in flight, and the last job is not sent.
    let first = &records[0];
    assert_eq!((first.round, first.requests, first.timeouts), (0, 4, 4));
    assert_eq!(first.retransmissions, 4);
    assert_eq!(first.errors.len(), 5);
    assert!(
        first.errors[..4].iter().all(|e| e.is_timeout()),
        "{:?}",
        first.errors
    );
    assert!(first.errors[4].is_circuit_open());
    let seen = log.requests(agent);
    let opened = seen[3].at + timeout;

    // While open, rounds send nothing and fail at once.
    let probe_round = records
        .iter()
        .position(|r| r.requests > 0 && r.round > 0)
        .expect("a probe round");
    for r in &records[1..probe_round] {
        assert_eq!(r.requests, 0, "round {}", r.round);
        assert_eq!(r.elapsed, Duration::ZERO);
        assert!(r.errors.iter().all(|e| e.is_circuit_open()));
        assert_eq!(r.errors.len(), 5);
    }
    assert!(probe_round >= 3);
    // The first request after the cooldown is the only one of its round:
    // the probe, which times out (the agent is still down) and opens the
    // breaker for another cooldown.
    let probe = &records[probe_round];
    assert_eq!((probe.requests, probe.timeouts), (1, 1), "{probe:?}");
    assert!(
        seen[4].at >= opened + cooldown,
        "{:?} {:?}",
        seen[4].at - t0,
        opened - t0
    );
    assert!(seen[4].at < opened + cooldown + interval);
    assert_eq!(
        probe.errors.iter().filter(|e| e.is_circuit_open()).count(),
        4
    );

    // Then the agent is back: the next probe succeeds, and the round's
    // other jobs go after it.
    let back = records
        .iter()
        .position(|r| r.is_ok())
        .expect("a successful round");
    assert!(seen[5].at >= seen[4].at + timeout + cooldown);
    assert_eq!(records[back].values.len(), 2 + 9 + 1);
    for r in &records[probe_round + 1..back] {
        assert_eq!(r.requests, 0);
    }
    assert!(records[back..].iter().all(|r| r.is_ok()));
    assert_eq!(records.last().unwrap().round, 11);
    assert_eq!(poller.breaker_state(0), Some(BreakerState::Closed));
    // Nothing was sent but these requests.
    let total: u32 = records.iter().map(|r| r.requests).sum();
    assert_eq!(seen.len() as u32, total);
}

#[tokio::test(start_paused = true)]
async fn slow_and_lossy_targets_hold_back_only_themselves() {
    let net = TestNet::new(10);
    let log = Log::default();
    let mut guards = Vec::new();
    // 0..20 healthy, 20..25 lossy (30 % of their responses lost), 25..30
    // down.
    for i in 0..30 {
        let up = i < 25;
        if (20..25).contains(&i) {
            net.set_link_faults(agent_addr(i), addr(MANAGER), Faults::none().loss(0.3));
        }
        guards.push(serve(&net, agent_addr(i), mib(i, 10), &log, move |_| up));
    }
    let per_try = Duration::from_secs(1);
    let poller = Poller::builder()
        .engine(engine(&net))
        .targets((0..30).map(|i| target(i).retries(per_try, 9).max_repetitions(20)))
        .build()
        .unwrap();
    let t0 = Instant::now();
    let mut records = poller.run();
    let mut order = Vec::new();
    let mut by_index = HashMap::new();
    while let Some(r) = records.next().await {
        order.push((r.index, t0.elapsed()));
        by_index.insert(r.index, r);
    }
    assert_eq!(by_index.len(), 30);
    let timeout = per_try * 10;
    for i in 0..20 {
        let r = &by_index[&i];
        assert!(r.is_ok());
        assert_eq!(r.values, expected(i, 10));
        // The healthy finish in no time, far below any timeout.
        assert!(r.elapsed < per_try, "{:?}", r.elapsed);
        assert_eq!(r.retransmissions, 0);
    }
    for i in 20..25 {
        let r = &by_index[&i];
        assert!(r.is_ok(), "{:?}", r.errors);
        assert_eq!(r.values, expected(i, 10));
        // Every transmission reached the agent: the record's count is the
        // agent's.
        assert_eq!(log.of(r.addr).len() as u32, r.requests + r.retransmissions);
    }
    assert!((20..25).map(|i| by_index[&i].retransmissions).sum::<u32>() > 3);
    for i in 25..30 {
        let r = &by_index[&i];
        assert!(!r.is_ok());
        // Two lanes: two timeouts, two more, and the third opened the
        // breaker while the fourth was in flight.
        assert_eq!(r.timeouts, 4);
        // (The second lane starts a gap after the first.)
        assert!(r.elapsed >= timeout * 2 && r.elapsed < timeout * 2 + per_try);
        assert!(
            r.errors
                .iter()
                .all(|e| e.is_timeout() || e.is_circuit_open())
        );
    }
    // The stream yields the healthy ones first, at once.
    assert!(
        order[..20].iter().all(|&(i, at)| i < 20 && at < per_try),
        "{order:?}"
    );
    drop(guards);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_stream_cancels_every_request() {
    let net = TestNet::new(11);
    let log = Log::default();
    let guards: Vec<_> = (0..10)
        .map(|i| serve(&net, agent_addr(i), mib(i, 5), &log, |_| false))
        .collect();
    let poller = Poller::builder()
        .engine(engine(&net))
        .targets((0..10).map(target))
        .build()
        .unwrap();
    let mut records = poller.run();
    let early = tokio::time::timeout(Duration::from_millis(100), records.next()).await;
    assert!(early.is_err(), "no record yet: every target is silent");
    assert_eq!(poller.engine().requests_in_table(), 20);
    drop(records);
    // The rounds' tasks are dropped when the runtime next runs.
    tokio::task::yield_now().await;
    assert_eq!(poller.engine().requests_in_table(), 0);
    // The cancelled requests told the breakers nothing, and a new run
    // sends again at once.
    assert!((0..10).all(|i| poller.breaker_state(i) == Some(BreakerState::Closed)));
    let before = log.all_requests().len();
    let mut again = poller.run();
    let _ = tokio::time::timeout(Duration::from_millis(15), again.next()).await;
    assert_eq!(log.all_requests().len(), before + 20);
    drop(guards);
}

#[tokio::test(start_paused = true)]
async fn the_summary_adds_records_up() {
    use snmux::poll::Summary;

    let net = TestNet::new(12);
    let log = Log::default();
    let rtt = 40 * MS;
    net.set_faults(Faults::none().fixed_delay(rtt / 2));
    let guards: Vec<_> = (0..5)
        .map(|i| serve(&net, agent_addr(i), mib(i, 4), &log, move |_| i != 4))
        .collect();
    let poller = Poller::builder()
        .engine(engine(&net))
        .targets((0..5).map(|i| target(i).retries(Duration::from_secs(1), 0)))
        .build()
        .unwrap();
    let records = collect(&poller).await;
    let mut summary = Summary::new();
    for r in &records {
        summary.add(r);
    }
    assert_eq!((summary.ok, summary.failed), (4, 1));
    assert_eq!(summary.varbinds, 4 * expected(0, 4).len() as u64);
    assert_eq!(summary.requests, log.all_requests().len() as u64);
    // The silent target: two lanes, two timeouts, two more; the breaker
    // opened after the third.
    assert_eq!(summary.timeouts, 4);
    assert_eq!(summary.answered(), summary.requests - 4);
    // Every answered request took the round trip, to 3 digits.
    let p50 = summary.latency(0.5).unwrap();
    let p99 = summary.latency(0.99).unwrap();
    assert!(
        p50.abs_diff(rtt) < rtt / 100 && p99.abs_diff(rtt) < rtt / 100,
        "{p50:?} {p99:?}"
    );
    assert_eq!(Summary::new().latency(0.5), None);
    drop(guards);
}
