//! Many requests in flight at once through one engine, against real
//! net-snmp `snmpd`s over loopback UDP: every request gets its own answer,
//! and the engine's counters and request table add up afterwards.

mod support;

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use snmux::{Engine, Manager, Oid, Security, Stats, Value, VarBind};
use tokio::sync::Barrier;

use support::{COMMUNITY_RO, Snmpd};

/// Objects per agent, under [`OBJECTS`]: object `i` of agent `a` is the
/// string `"agent a object i"`.
const OBJECTS_PER_AGENT: u32 = 1000;
/// netSnmpExperimental.9999.100.
const OBJECTS: [u32; 9] = [1, 3, 6, 1, 4, 1, 8072, 9999, 100];

/// 1,000 GETs from 50 managers (two SNMP versions, three agents) through
/// one engine, none sent before all exist; each asks for an object no
/// other request asks for, and gets its own value.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_concurrent_gets_from_fifty_managers() {
    const AGENTS: usize = 3;
    const MANAGERS: usize = 50;
    const PER_MANAGER: u32 = 20;
    let snmpds: Vec<Snmpd> = (0..AGENTS).map(agent_with_objects).collect();
    let engine = engine();
    let managers: Vec<(usize, Manager)> = (0..MANAGERS)
        .map(|m| {
            let a = m % AGENTS;
            let security = if m % 2 == 0 {
                Security::v2c(COMMUNITY_RO)
            } else {
                Security::v1(COMMUNITY_RO)
            };
            (a, engine.manager(snmpds[a].addr(), security).build())
        })
        .collect();

    let total = MANAGERS * PER_MANAGER as usize;
    // Every request waits here after it was created and before it is
    // polled: none is sent before all are spawned.
    let start = Arc::new(Barrier::new(total));
    let started = Instant::now();
    let tasks: Vec<_> = managers
        .iter()
        .enumerate()
        .flat_map(|(m, (a, manager))| {
            (0..PER_MANAGER).map({
                let start = start.clone();
                move |k| {
                    // Managers of the same agent ask for different objects.
                    let i = (m / AGENTS) as u32 * PER_MANAGER + k;
                    let (a, manager, start) = (*a, manager.clone(), start.clone());
                    tokio::spawn(async move {
                        start.wait().await;
                        let result = manager.get(&[object(i)]).await;
                        (a, i, result)
                    })
                }
            })
        })
        .collect();
    assert_eq!(tasks.len(), total);

    for task in tasks {
        let (a, i, result) = task.await.expect("request task");
        let vbs = result.unwrap_or_else(|e| panic!("agent {a} object {i}: {e}"));
        assert_eq!(vbs, vec![VarBind::new(object(i), object_value(a, i))]);
    }
    let elapsed = started.elapsed();

    let stats = engine.stats();
    report("1,000 GETs, 50 managers, 3 agents", &stats, elapsed);
    assert_eq!(stats.sent, total as u64, "{stats:?}");
    assert_eq!(stats.completed, total as u64, "{stats:?}");
    assert_eq!(stats.timed_out, 0, "{stats:?}");
    accounted(&stats);
    assert_eq!(stats.in_flight, 0, "{stats:?}");
    assert_eq!(engine.requests_in_table(), 0);
}

/// 256 requests in flight at all times, 4,096 in all, against one agent,
/// with the engine's default socket buffers and snmpd's serverRecvBuf: all
/// complete with their own values. Datagrams lost in the socket buffers
/// show up as retransmissions, which are reported, not asserted: the
/// kernel's net.core.rmem_max may cap both buffers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sustained_256_in_flight_all_complete() {
    const IN_FLIGHT: usize = 256;
    const REQUESTS: u32 = 4096;
    let snmpd = agent_with_objects(0);
    let engine = engine();
    let agent = engine
        .manager(snmpd.addr(), Security::v2c(COMMUNITY_RO))
        .build();

    let started = Instant::now();
    let mut results = futures::stream::iter(0..REQUESTS)
        .map(|n| {
            let agent = agent.clone();
            // Consecutive requests, the ones in flight together, ask for
            // different objects.
            let i = n % OBJECTS_PER_AGENT;
            async move { (i, agent.get(&[object(i)]).await) }
        })
        .buffer_unordered(IN_FLIGHT);
    let mut done = 0;
    let mut peak = 0;
    while let Some((i, result)) = results.next().await {
        peak = peak.max(engine.stats().in_flight);
        let vbs = result.unwrap_or_else(|e| panic!("object {i}: {e}"));
        assert_eq!(vbs, vec![VarBind::new(object(i), object_value(0, i))]);
        done += 1;
    }
    let elapsed = started.elapsed();

    assert_eq!(done, REQUESTS);
    let stats = engine.stats();
    report("4,096 GETs, 256 in flight", &stats, elapsed);
    eprintln!(
        "  (net.core.rmem_max {} bytes caps the engine's and snmpd's receive buffers)",
        std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .map_or_else(|_| "unknown".to_owned(), |s| s.trim().to_owned())
    );
    // Sampled as results come out of the buffer: a freed slot is refilled
    // only on the next poll, so the sample misses a few.
    assert!(peak >= IN_FLIGHT as u64 / 2, "peak in flight {peak}");
    assert_eq!(stats.sent, u64::from(REQUESTS), "{stats:?}");
    assert_eq!(stats.completed, u64::from(REQUESTS), "{stats:?}");
    assert_eq!(stats.timed_out, 0, "{stats:?}");
    accounted(&stats);
    assert_eq!(engine.requests_in_table(), 0);
}

/// An snmpd whose objects under [`OBJECTS`] name the agent and the object.
fn agent_with_objects(agent: usize) -> Snmpd {
    let mut config = String::new();
    for i in 0..OBJECTS_PER_AGENT {
        let _ = writeln!(
            config,
            "override {} octet_str \"{}\"",
            object(i),
            object_text(agent, i)
        );
    }
    Snmpd::builder().extra_config(&config).start()
}

fn object(i: u32) -> Oid {
    Oid::from_slice(&OBJECTS).join(&[i])
}

fn object_value(agent: usize, i: u32) -> Value {
    Value::from(object_text(agent, i))
}

fn object_text(agent: usize, i: u32) -> String {
    format!("agent {agent} object {i}")
}

/// Every datagram received either completed a request or was counted as
/// dropped, for a known reason: late answers to retransmitted requests are
/// duplicates.
fn accounted(stats: &Stats) {
    assert_eq!(stats.dropped_wrong_source, 0, "{stats:?}");
    assert_eq!(stats.dropped_decode_error, 0, "{stats:?}");
    assert_eq!(stats.dropped_mismatch, 0, "{stats:?}");
    if stats.retransmitted == 0 {
        assert_eq!(stats.received, stats.completed, "{stats:?}");
        assert_eq!(
            stats.dropped_duplicate + stats.dropped_unknown_id,
            0,
            "{stats:?}"
        );
    } else {
        // A late answer may be arriving while the counters are read, one
        // after the other: allow one datagram either way.
        let classified = stats.completed + stats.dropped_duplicate + stats.dropped_unknown_id;
        assert!(stats.received.abs_diff(classified) <= 1, "{stats:?}");
        // Only retransmissions make extra answers.
        assert!(
            stats.received - stats.completed <= stats.retransmitted,
            "{stats:?}"
        );
    }
}

fn report(what: &str, stats: &Stats, elapsed: std::time::Duration) {
    eprintln!(
        "{what}: {:?}, sent {}, retransmitted {}, received {}, completed {}, duplicates {}, unknown ids {}, timed out {}",
        elapsed,
        stats.sent,
        stats.retransmitted,
        stats.received,
        stats.completed,
        stats.dropped_duplicate,
        stats.dropped_unknown_id,
        stats.timed_out
    );
}

fn engine() -> Engine {
    Engine::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))).expect("bind 0.0.0.0:0")
}
