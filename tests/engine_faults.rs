//! The engine under faults: loss, duplication, reordering, late replies,
//! replies from a wrong source, garbage, cancellation, shutdown. Runs on
//! `TestNet` with tokio's paused clock: no sockets, no real sleeps.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Bound;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::stream::FusedStream;
use futures::{StreamExt, TryStreamExt};
use snmux::transport::test::{Faults, Reply, TestNet};
use snmux::{
    AnyPdu, Bytes, Engine, Error, ErrorStatus, Manager, Message, Oid, Pdu, PduType, Security,
    Value, VarBind, Version, WalkEnd, oid,
};

const MANAGER: &str = "10.0.0.100:40000";

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("literal address")
}

/// A small command responder over a MIB, enough for the engine's tests.
#[derive(Clone)]
struct Agent {
    mib: Arc<Mutex<BTreeMap<Oid, Value>>>,
    community: &'static [u8],
    /// Most varbinds in a response; more is tooBig.
    max_varbinds: usize,
}

impl Agent {
    fn new(mib: BTreeMap<Oid, Value>) -> Self {
        Self {
            mib: Arc::new(Mutex::new(mib)),
            community: b"public",
            max_varbinds: usize::MAX,
        }
    }

    /// The response to `request`, or `None` for what an agent ignores.
    fn respond(&self, request: &[u8]) -> Option<Message> {
        let msg = Message::decode(&Bytes::copy_from_slice(request)).ok()?;
        if msg.community != self.community {
            return None;
        }
        let AnyPdu::Pdu(pdu) = msg.pdu else {
            return None;
        };
        let v1 = msg.version == Version::V1;
        let mut mib = self.mib.lock().unwrap();
        let next = |mib: &BTreeMap<Oid, Value>, oid: &Oid| {
            mib.range((Bound::Excluded(oid.clone()), Bound::Unbounded))
                .next()
                .map(|(o, v)| VarBind::new(o.clone(), v.clone()))
        };
        let mut out = Vec::new();
        let mut error = None;
        match pdu.pdu_type {
            PduType::GetRequest | PduType::GetNextRequest => {
                for (i, vb) in pdu.varbinds.iter().enumerate() {
                    let found = if pdu.pdu_type == PduType::GetRequest {
                        mib.get(&vb.oid)
                            .map(|v| VarBind::new(vb.oid.clone(), v.clone()))
                    } else {
                        next(&mib, &vb.oid)
                    };
                    match found {
                        Some(vb) => out.push(vb),
                        None if v1 => {
                            error = Some((ErrorStatus::NoSuchName, i + 1));
                            break;
                        }
                        None if pdu.pdu_type == PduType::GetRequest => {
                            out.push(VarBind::new(vb.oid.clone(), Value::NoSuchObject))
                        }
                        None => out.push(VarBind::new(vb.oid.clone(), Value::EndOfMibView)),
                    }
                }
            }
            PduType::GetBulkRequest => {
                let mut last = pdu.varbinds.first()?.oid.clone();
                for _ in 0..pdu.max_repetitions() {
                    match next(&mib, &last) {
                        Some(vb) => {
                            last = vb.oid.clone();
                            out.push(vb);
                        }
                        None => {
                            out.push(VarBind::new(last.clone(), Value::EndOfMibView));
                            break;
                        }
                    }
                }
            }
            PduType::SetRequest => {
                for vb in &pdu.varbinds {
                    mib.insert(vb.oid.clone(), vb.value.clone());
                }
                out = pdu.varbinds.clone();
            }
            _ => return None,
        }
        if out.len() > self.max_varbinds {
            error = Some((ErrorStatus::TooBig, 0));
        }
        let mut response = Pdu::new(PduType::Response, pdu.request_id, out);
        if let Some((status, index)) = error {
            response.error_status = status.wire();
            response.error_index = index as i32;
            response.varbinds = pdu.varbinds;
        }
        Some(Message::new(msg.version, msg.community, response))
    }
}

/// A MIB where each instance's value names it: `1.3.6.1.4.1.99999.1.N` = "value N".
fn numbered_mib(n: u32) -> BTreeMap<Oid, Value> {
    (1..=n)
        .map(|i| {
            (
                oid!(1, 3, 6, 1, 4, 1, 99999, 1, i),
                Value::from(format!("value {i}")),
            )
        })
        .collect()
}

fn instance(i: u32) -> Oid {
    oid!(1, 3, 6, 1, 4, 1, 99999, 1, i)
}

fn engine(net: &TestNet) -> Engine {
    Engine::builder()
        .transport(Arc::new(net.bind(addr(MANAGER))))
        .build()
        .expect("engine on a test transport")
}

fn manager(engine: &Engine, agent: SocketAddr) -> Manager {
    engine.manager(agent, Security::v2c("public")).build()
}

/// Serves `agent` at `at`; each response is sent `copies` times.
fn serve(net: &TestNet, at: SocketAddr, agent: Agent) -> snmux::transport::test::ServeGuard {
    net.serve(at, move |req| {
        agent.respond(req).map(|m| m.to_bytes().to_vec())
    })
}

#[tokio::test(start_paused = true)]
async fn thirty_percent_loss_each_request_gets_its_own_answer_or_timeout() {
    let net = TestNet::new(1);
    net.set_faults(
        Faults::none()
            .loss(0.3)
            .delay(Duration::from_millis(1)..=Duration::from_millis(20)),
    );
    let agents: Vec<SocketAddr> = (1..=5).map(|i| addr(&format!("10.0.1.{i}:161"))).collect();
    let _guards: Vec<_> = agents
        .iter()
        .map(|&a| serve(&net, a, Agent::new(numbered_mib(200))))
        .collect();
    let engine = engine(&net);
    let managers: Vec<Manager> = (0..50)
        .map(|i| manager(&engine, agents[i % agents.len()]))
        .collect();

    let tasks: Vec<_> = (0..1000u32)
        .map(|i| {
            let m = managers[i as usize % managers.len()].clone();
            tokio::spawn(async move {
                let n = i % 200 + 1;
                (n, m.get(&[instance(n)]).await)
            })
        })
        .collect();
    let (mut ok, mut timeouts) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            (n, Ok(vbs)) => {
                assert_eq!(vbs, vec![VarBind::new(instance(n), format!("value {n}"))]);
                ok += 1;
            }
            (_, Err(e)) if e.is_timeout() => timeouts += 1,
            (_, Err(e)) => panic!("unexpected error {e}"),
        }
    }
    // Each try succeeds with p = 0.7 × 0.7; five tries fail with p ≈ 3.5 %.
    assert_eq!(ok + timeouts, 1000);
    assert!(ok > 900, "ok {ok}, timeouts {timeouts}");
    let stats = engine.stats();
    assert!(stats.retransmitted > 300, "{stats:?}");
    assert_eq!(stats.completed, ok);
    assert_eq!(stats.timed_out, timeouts);
    assert_eq!(engine.requests_in_table(), 0);
    assert_eq!(stats.in_flight, 0);
}

#[tokio::test(start_paused = true)]
async fn duplicates_reordering_and_late_replies_complete_each_request_once() {
    let net = TestNet::new(2);
    // Every datagram duplicated and delayed up to 2.5 s: replies to earlier
    // transmissions arrive after later ones, and copies after completion.
    net.set_faults(
        Faults::none()
            .duplicate(1.0)
            .delay(Duration::from_millis(0)..=Duration::from_millis(2500)),
    );
    let agent = addr("10.0.2.1:161");
    let _g = serve(&net, agent, Agent::new(numbered_mib(100)));
    let engine = engine(&net);
    let m = manager(&engine, agent);
    let results = futures::future::join_all((1..=100).map(|n| {
        let m = m.clone();
        async move { (n, m.get(&[instance(n)]).await) }
    }))
    .await;
    for (n, r) in results {
        match r {
            Ok(vbs) => assert_eq!(vbs[0].value, Value::from(format!("value {n}"))),
            Err(e) => assert!(e.is_timeout(), "{e}"),
        }
    }
    // Let every delayed copy arrive.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let stats = engine.stats();
    assert!(stats.completed >= 95, "{stats:?}");
    assert!(stats.dropped_duplicate > 50, "{stats:?}");
    assert!(stats.retransmitted > 0, "{stats:?}");
    assert_eq!(engine.requests_in_table(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_reply_after_the_timeout_is_dropped() {
    let net = TestNet::new(3);
    let agent = addr("10.0.3.1:161");
    net.set_link_faults(
        agent,
        addr(MANAGER),
        Faults::none().fixed_delay(Duration::from_secs(8)),
    );
    let _g = serve(&net, agent, Agent::new(numbered_mib(1)));
    let engine = engine(&net);
    let m = manager(&engine, agent);
    let started = tokio::time::Instant::now();
    let err = m.get(&[instance(1)]).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Timeout {
                retransmissions: 4,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    tokio::time::sleep(Duration::from_secs(10)).await;
    let stats = engine.stats();
    assert_eq!(stats.timed_out, 1);
    assert_eq!(stats.received, 5, "one reply per transmission, all late");
    assert_eq!(stats.dropped_unknown_id, 5);
    assert_eq!(stats.completed, 0);
    assert_eq!(engine.requests_in_table(), 0);
}

#[tokio::test(start_paused = true)]
async fn replies_from_a_wrong_source_are_dropped_unless_allowed() {
    let net = TestNet::new(4);
    let agent = addr("10.0.4.1:161");
    let other = addr("10.0.4.2:161");
    let responder = Agent::new(numbered_mib(1));
    let _g = net.serve_with(agent, move |req, _from| {
        responder
            .respond(req)
            .map(|m| vec![Reply::new(m.to_bytes()).sent_from(other)])
            .unwrap_or_default()
    });
    let engine = engine(&net);
    let strict = manager(&engine, agent);
    assert!(strict.get(&[instance(1)]).await.unwrap_err().is_timeout());
    assert_eq!(engine.stats().dropped_wrong_source, 5);

    let lenient = engine
        .manager(agent, Security::v2c("public"))
        .dangerous_accept_any_source(true)
        .build();
    let vbs = lenient.get(&[instance(1)]).await.unwrap();
    assert_eq!(vbs[0].value, Value::from("value 1"));
}

#[tokio::test(start_paused = true)]
async fn garbage_and_mismatched_replies_never_complete_a_request() {
    let net = TestNet::new(5);
    let agent = addr("10.0.5.1:161");
    let responder = Agent::new(numbered_mib(1));
    // The agent answers each request four ways that must all be dropped,
    // then correctly.
    let _g = net.serve_with(agent, move |req, _from| {
        let Some(good) = responder.respond(req) else {
            return vec![];
        };
        let mut wrong_community = good.clone();
        wrong_community.community = Bytes::from_static(b"private");
        let mut wrong_version = good.clone();
        wrong_version.version = Version::V1;
        let mut wrong_type = good.clone();
        if let AnyPdu::Pdu(p) = &mut wrong_type.pdu {
            p.pdu_type = PduType::Report;
        }
        vec![
            Reply::new(Bytes::from_static(b"\x30\x03\x02\x01")),
            Reply::new(Bytes::from_static(&[0xff; 40])),
            Reply::new(wrong_community.to_bytes()),
            Reply::new(wrong_version.to_bytes()),
            Reply::new(wrong_type.to_bytes()),
            Reply::new(good.to_bytes()),
        ]
    });
    let engine = engine(&net);
    let m = manager(&engine, agent);
    for _ in 0..10 {
        assert_eq!(
            m.get(&[instance(1)]).await.unwrap()[0].value,
            Value::from("value 1")
        );
    }
    // Garbage injected from anywhere, at any time.
    for i in 0..100u8 {
        net.inject(
            addr("10.9.9.9:9"),
            addr(MANAGER),
            vec![0x30, i, 0x02, 0x01, i],
        );
    }
    tokio::time::sleep(Duration::from_millis(1)).await;
    let stats = engine.stats();
    assert_eq!(stats.completed, 10);
    assert_eq!(stats.dropped_decode_error, 20 + 100);
    assert_eq!(stats.dropped_mismatch, 30);
    assert_eq!(engine.requests_in_table(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_malformed_answer_is_the_requests_error() {
    let net = TestNet::new(6);
    let agent = addr("10.0.6.1:161");
    let responder = Agent::new(numbered_mib(1));
    let _g = net.serve(agent, move |req| {
        let mut bytes = responder.respond(req)?.to_bytes().to_vec();
        // Make the value's tag an unknown one: header fine, varbind not.
        let last = bytes.len() - "value 1".len() - 2;
        bytes[last] = 0x5f;
        Some(bytes)
    });
    let engine = engine(&net);
    let err = manager(&engine, agent)
        .get(&[instance(1)])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode(_)), "{err}");
}

/// The engine keeps every request's times (its retransmissions and its
/// deadline) for it. Requests with other options than those before them,
/// and requests that end or are dropped before their time, leave each
/// other's times alone: each one retransmits and times out on its own
/// schedule, to the millisecond.
#[tokio::test(start_paused = true)]
async fn each_request_keeps_its_own_times_whatever_the_others_do() {
    let net = TestNet::new(17);
    // No agent: nothing answers.
    let silent = addr("10.0.17.1:161");
    let engine = engine(&net);
    let slow = engine
        .manager(silent, Security::v2c("public"))
        .timeout(Duration::from_secs(5))
        .refresh(Duration::from_secs(1))
        .build();
    let fast = engine
        .manager(silent, Security::v2c("public"))
        .timeout(Duration::from_millis(350))
        .refresh(Duration::from_millis(100))
        .build();
    let started = tokio::time::Instant::now();
    let timed = |m: Manager, after: Duration| async move {
        tokio::time::sleep(after).await;
        let begun = tokio::time::Instant::now();
        let err = m.get(&[instance(1)]).await.unwrap_err();
        let Error::Timeout {
            retransmissions, ..
        } = err
        else {
            panic!("{err}");
        };
        (begun - started, begun.elapsed(), retransmissions)
    };
    // Dropped before any of their times: their entries must not wake or
    // hold up anyone.
    for _ in 0..3 {
        let r = tokio::time::timeout(Duration::from_millis(50), slow.get(&[instance(1)])).await;
        assert!(r.is_err());
    }
    let results = futures::future::join_all([
        Box::pin(timed(slow.clone(), Duration::ZERO))
            as std::pin::Pin<Box<dyn std::future::Future<Output = _>>>,
        // Earlier times than the slow request's, asked for later.
        Box::pin(timed(fast.clone(), Duration::from_millis(10))),
        Box::pin(timed(slow.clone(), Duration::from_millis(20))),
        Box::pin(timed(fast.clone(), Duration::from_millis(2_500))),
    ])
    .await;
    let ms = Duration::from_millis;
    assert_eq!(
        results,
        [
            (ms(150), ms(5_000), 4),
            (ms(160), ms(350), 3),
            (ms(170), ms(5_000), 4),
            (ms(2_650), ms(350), 3),
        ]
    );
    let stats = engine.stats();
    assert_eq!(stats.timed_out, 4);
    assert_eq!(stats.retransmitted, 14);
    assert_eq!(engine.requests_in_table(), 0);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_request_removes_its_entry() {
    let net = TestNet::new(7);
    let agent = addr("10.0.7.1:161");
    net.set_link_faults(
        agent,
        addr(MANAGER),
        Faults::none().fixed_delay(Duration::from_secs(3)),
    );
    let _g = serve(&net, agent, Agent::new(numbered_mib(1)));
    let engine = engine(&net);
    let m = manager(&engine, agent);
    let r = tokio::time::timeout(Duration::from_millis(500), m.get(&[instance(1)])).await;
    assert!(r.is_err(), "cancelled by the outer timeout");
    assert_eq!(engine.requests_in_table(), 0);
    assert_eq!(engine.stats().in_flight, 0);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(engine.stats().dropped_unknown_id, 1);
    assert_eq!(engine.stats().completed, 0);
}

#[tokio::test(start_paused = true)]
async fn busy_instead_of_an_unbounded_queue() {
    let net = TestNet::new(8);
    let engine = Engine::builder()
        .transport(Arc::new(net.bind(addr(MANAGER))))
        .max_in_flight(2)
        .build()
        .unwrap();
    let m = manager(&engine, addr("10.0.8.1:161"));
    let a = tokio::spawn({
        let m = m.clone();
        async move { m.get(&[instance(1)]).await }
    });
    let b = tokio::spawn({
        let m = m.clone();
        async move { m.get(&[instance(1)]).await }
    });
    tokio::task::yield_now().await;
    let err = m.get(&[instance(1)]).await.unwrap_err();
    assert!(matches!(err, Error::Busy { max: 2 }), "{err}");
    assert!(a.await.unwrap().unwrap_err().is_timeout());
    assert!(b.await.unwrap().unwrap_err().is_timeout());
    // Room again.
    assert!(m.get(&[instance(1)]).await.unwrap_err().is_timeout());
}

#[tokio::test(start_paused = true)]
async fn shutdown_fails_waiting_requests_instead_of_hanging() {
    let net = TestNet::new(9);
    let engine = engine(&net);
    let m = manager(&engine, addr("10.0.9.1:161"));
    let waiting: Vec<_> = (0..10)
        .map(|_| {
            let m = m.clone();
            tokio::spawn(async move { m.get(&[instance(1)]).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    engine.shutdown();
    for w in waiting {
        assert!(matches!(w.await.unwrap(), Err(Error::EngineClosed)));
    }
    assert!(matches!(
        m.get(&[instance(1)]).await,
        Err(Error::EngineClosed)
    ));
    assert_eq!(engine.requests_in_table(), 0);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_last_handle_stops_the_receive_task_and_frees_the_socket() {
    let net = TestNet::new(10);
    let agent = addr("10.0.10.1:161");
    let _g = serve(&net, agent, Agent::new(numbered_mib(1)));
    let engine = engine(&net);
    let m = manager(&engine, agent);
    drop(engine);
    // A manager holds the engine: it still works.
    assert!(m.get(&[instance(1)]).await.is_ok());
    assert!(net.is_bound(addr(MANAGER)));
    drop(m);
    tokio::time::sleep(Duration::from_millis(1)).await;
    // The receive task ended and dropped the transport.
    assert!(!net.is_bound(addr(MANAGER)));
}

#[tokio::test(start_paused = true)]
async fn too_big_splits_a_get_and_halves_a_walk() {
    let net = TestNet::new(11);
    let agent_addr = addr("10.0.11.1:161");
    let mut agent = Agent::new(numbered_mib(100));
    agent.max_varbinds = 3;
    let _g = serve(&net, agent_addr, agent);
    let engine = engine(&net);
    let m = engine
        .manager(agent_addr, Security::v2c("public"))
        .max_repetitions(16)
        .build();
    let oids: Vec<Oid> = (1..=10).map(instance).collect();
    let vbs = m.get(&oids).await.unwrap();
    assert_eq!(
        vbs.iter().map(|vb| vb.oid.clone()).collect::<Vec<_>>(),
        oids
    );

    let walked: Vec<VarBind> = m
        .walk(oid!(1, 3, 6, 1, 4, 1, 99999))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(walked.len(), 100);
    assert!(walked.windows(2).all(|w| w[0].oid < w[1].oid));
}

#[tokio::test(start_paused = true)]
async fn walks_end_at_the_subtree_end_of_mib_view_and_v1_no_such_name() {
    let net = TestNet::new(12);
    let agent_addr = addr("10.0.12.1:161");
    let mut mib = numbered_mib(25);
    mib.insert(oid!(1, 3, 6, 1, 4, 1, 99999, 2, 1), Value::Integer(7));
    let _g = serve(&net, agent_addr, Agent::new(mib));
    let engine = engine(&net);
    for security in [Security::v1("public"), Security::v2c("public")] {
        let m = engine.manager(agent_addr, security).build();
        // Leaves the subtree (…99999.1 is followed by …99999.2.1).
        let sub: Vec<_> = m
            .walk(oid!(1, 3, 6, 1, 4, 1, 99999, 1))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(sub.len(), 25);
        // Runs into the end of the MIB (v2c endOfMibView, v1 noSuchName).
        let all: Vec<_> = m
            .walk(oid!(1, 3, 6, 1, 4, 1, 99999))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all.len(), 26);
        // An empty subtree.
        let none: Vec<_> = m
            .walk(oid!(1, 3, 6, 1, 4, 1, 99998))
            .try_collect()
            .await
            .unwrap();
        assert!(none.is_empty());
    }
    // GETBULK does not exist in SNMPv1.
    let v1 = engine.manager(agent_addr, Security::v1("public")).build();
    assert!(matches!(
        v1.get_bulk(0, 5, &[instance(1)]).await,
        Err(Error::NotInVersion { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn a_walk_stops_on_a_non_increasing_oid() {
    let net = TestNet::new(13);
    let agent_addr = addr("10.0.13.1:161");
    // An agent whose GETNEXT/GETBULK always answers with the same OID.
    let _g = net.serve(agent_addr, |req| {
        let msg = Message::decode(&Bytes::copy_from_slice(req)).ok()?;
        let AnyPdu::Pdu(pdu) = msg.pdu else {
            return None;
        };
        let vbs = vec![VarBind::new(instance(5), 1)];
        Some(
            Message::new(
                msg.version,
                msg.community,
                Pdu::new(PduType::Response, pdu.request_id, vbs),
            )
            .to_bytes()
            .to_vec(),
        )
    });
    let engine = engine(&net);
    for security in [Security::v1("public"), Security::v2c("public")] {
        let m = engine.manager(agent_addr, security).build();
        let mut walk = m.walk(oid!(1, 3, 6, 1, 4, 1, 99999));
        assert_eq!(walk.next().await.unwrap().unwrap().oid, instance(5));
        let err = walk.next().await.unwrap().unwrap_err();
        assert!(matches!(err, Error::NonIncreasingOid { .. }), "{err}");
        assert!(walk.next().await.is_none());
    }
}

#[tokio::test(start_paused = true)]
async fn v1_errors_name_the_oid() {
    let net = TestNet::new(14);
    let agent_addr = addr("10.0.14.1:161");
    let _g = serve(&net, agent_addr, Agent::new(numbered_mib(3)));
    let engine = engine(&net);
    let m = engine.manager(agent_addr, Security::v1("public")).build();
    let err = m.get(&[instance(1), instance(9)]).await.unwrap_err();
    match err {
        Error::ErrorStatus {
            status, index, oid, ..
        } => {
            assert_eq!(status, ErrorStatus::NoSuchName);
            assert_eq!(index, 2);
            assert_eq!(oid, Some(instance(9)));
        }
        other => panic!("{other}"),
    }
    // SET goes through and reads back.
    let v2 = manager(&engine, agent_addr);
    v2.set(&[VarBind::new(instance(2), Value::Integer(-5))])
        .await
        .unwrap();
    assert_eq!(
        v2.get(&[instance(2)]).await.unwrap()[0].value,
        Value::Integer(-5)
    );
}

/// Serves at `at` an agent that answers every GETNEXT and GETBULK with the
/// varbinds `answer` gives for the request's first OID.
fn serve_scripted(
    net: &TestNet,
    at: SocketAddr,
    answer: impl Fn(&Oid) -> Vec<VarBind> + Send + Sync + 'static,
) -> snmux::transport::test::ServeGuard {
    net.serve(at, move |req| {
        let msg = Message::decode(&Bytes::copy_from_slice(req)).ok()?;
        let AnyPdu::Pdu(pdu) = msg.pdu else {
            return None;
        };
        let vbs = answer(&pdu.varbinds.first()?.oid);
        let response = Pdu::new(PduType::Response, pdu.request_id, vbs);
        Some(
            Message::new(msg.version, msg.community, response)
                .to_bytes()
                .to_vec(),
        )
    })
}

#[tokio::test(start_paused = true)]
async fn a_walk_that_leaves_its_subtree_ends_with_left_subtree() {
    let net = TestNet::new(20);
    let agent_addr = addr("10.0.20.1:161");
    let mut mib = numbered_mib(25);
    mib.insert(oid!(1, 3, 6, 1, 4, 1, 99999, 2, 1), Value::Integer(7));
    let _g = serve(&net, agent_addr, Agent::new(mib));
    let engine = engine(&net);
    for security in [Security::v1("public"), Security::v2c("public")] {
        let m = engine
            .manager(agent_addr, security)
            .max_repetitions(7)
            .build();
        for mut walk in [
            m.walk(oid!(1, 3, 6, 1, 4, 1, 99999, 1)),
            m.walk_get_next(oid!(1, 3, 6, 1, 4, 1, 99999, 1)),
        ] {
            assert_eq!(walk.end(), None, "not started");
            let mut n = 0;
            while let Some(vb) = walk.next().await {
                n += 1;
                assert_eq!(vb.unwrap().oid, instance(n));
                assert_eq!(walk.end(), None, "still running");
            }
            assert_eq!(n, 25);
            assert_eq!(walk.end(), Some(&WalkEnd::LeftSubtree));
            assert!(walk.next().await.is_none());
            assert_eq!(walk.end(), Some(&WalkEnd::LeftSubtree));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_v2c_walk_of_the_last_subtree_ends_with_the_end_of_mib_view_varbind() {
    let net = TestNet::new(21);
    let agent_addr = addr("10.0.21.1:161");
    let mut mib = numbered_mib(3);
    let last = oid!(1, 3, 6, 1, 4, 1, 99999, 2, 1);
    mib.insert(last.clone(), Value::Integer(7));
    let _g = serve(&net, agent_addr, Agent::new(mib));
    let engine = engine(&net);
    let m = manager(&engine, agent_addr);
    let end_of_mib = WalkEnd::Exception(vec![VarBind::new(last.clone(), Value::EndOfMibView)]);
    // GETBULK: one response, [last = 7, last = endOfMibView]; GETNEXT: two.
    for mut walk in [
        m.walk(oid!(1, 3, 6, 1, 4, 1, 99999, 2)),
        m.walk_get_next(oid!(1, 3, 6, 1, 4, 1, 99999, 2)),
    ] {
        let walked: Vec<VarBind> = walk.by_ref().try_collect().await.unwrap();
        assert_eq!(walked, vec![VarBind::new(last.clone(), Value::Integer(7))]);
        assert_eq!(walk.end(), Some(&end_of_mib));
    }
    // The whole MIB: the exception is not yielded.
    let mut walk = m.walk(oid!(1, 3, 6, 1, 4, 1, 99999));
    let walked: Vec<VarBind> = walk.by_ref().try_collect().await.unwrap();
    assert_eq!(walked.len(), 4);
    assert!(walked.iter().all(|vb| !vb.value.is_exception()));
    assert_eq!(walk.end(), Some(&end_of_mib));
}

#[tokio::test(start_paused = true)]
async fn the_exception_end_holds_every_varbind_net_snmp_prints() {
    let net = TestNet::new(22);
    let agent_addr = addr("10.0.22.1:161");
    // A GETBULK response padded with endOfMibView, one of them outside the
    // subtree.
    let _g = serve_scripted(&net, agent_addr, |_| {
        vec![
            VarBind::new(instance(1), 1),
            VarBind::new(instance(1), Value::EndOfMibView),
            VarBind::new(oid!(1, 3, 6, 1, 4, 1, 99999, 2), 2),
            VarBind::new(oid!(1, 3, 6, 1, 4, 1, 99998), Value::EndOfMibView),
            VarBind::new(instance(1), Value::EndOfMibView),
        ]
    });
    let engine = engine(&net);
    let m = manager(&engine, agent_addr);
    let mut walk = m.walk(oid!(1, 3, 6, 1, 4, 1, 99999, 1));
    let walked: Vec<VarBind> = walk.by_ref().try_collect().await.unwrap();
    assert_eq!(walked, vec![VarBind::new(instance(1), 1)]);
    assert_eq!(
        walk.end(),
        Some(&WalkEnd::Exception(vec![
            VarBind::new(instance(1), Value::EndOfMibView),
            VarBind::new(instance(1), Value::EndOfMibView),
        ]))
    );
    // noSuchObject / noSuchInstance end a walk too.
    let _g2 = serve_scripted(&net, addr("10.0.22.2:161"), |oid| {
        vec![VarBind::new(oid.clone(), Value::NoSuchInstance)]
    });
    let m = manager(&engine, addr("10.0.22.2:161"));
    let mut walk = m.walk_get_next(instance(4));
    assert!(walk.next().await.is_none());
    assert_eq!(
        walk.end(),
        Some(&WalkEnd::Exception(vec![VarBind::new(
            instance(4),
            Value::NoSuchInstance
        )]))
    );
}

#[tokio::test(start_paused = true)]
async fn a_v1_walk_at_the_end_of_the_mib_ends_with_no_such_name() {
    let net = TestNet::new(23);
    let agent_addr = addr("10.0.23.1:161");
    let _g = serve(&net, agent_addr, Agent::new(numbered_mib(5)));
    let engine = engine(&net);
    let m = engine.manager(agent_addr, Security::v1("public")).build();
    let mut walk = m.walk(oid!(1, 3, 6, 1, 4, 1, 99999));
    let walked: Vec<VarBind> = walk.by_ref().try_collect().await.unwrap();
    assert_eq!(walked.len(), 5);
    assert_eq!(walk.end(), Some(&WalkEnd::NoSuchName));
    // Past the last instance: nothing, then noSuchName.
    let mut walk = m.walk(instance(5));
    assert!(walk.next().await.is_none());
    assert_eq!(walk.end(), Some(&WalkEnd::NoSuchName));
}

#[tokio::test(start_paused = true)]
async fn an_empty_response_ends_a_walk() {
    let net = TestNet::new(24);
    let agent_addr = addr("10.0.24.1:161");
    let _g = serve_scripted(&net, agent_addr, |_| Vec::new());
    let engine = engine(&net);
    let mut walk = manager(&engine, agent_addr).walk(oid!(1, 3, 6, 1, 4, 1, 99999));
    assert!(walk.next().await.is_none());
    assert_eq!(walk.end(), Some(&WalkEnd::EmptyResponse));
}

#[tokio::test(start_paused = true)]
async fn a_walk_that_fails_has_no_end() {
    let net = TestNet::new(25);
    // Valid varbinds, then one that does not increase, in one response.
    let looping = addr("10.0.25.1:161");
    let _g = serve_scripted(&net, looping, |_| {
        vec![
            VarBind::new(instance(1), 1),
            VarBind::new(instance(2), 2),
            VarBind::new(instance(2), 3),
            VarBind::new(instance(3), Value::EndOfMibView),
        ]
    });
    let engine = engine(&net);
    let mut walk = manager(&engine, looping).walk(oid!(1, 3, 6, 1, 4, 1, 99999));
    // What came before the error is yielded first.
    assert_eq!(walk.next().await.unwrap().unwrap().oid, instance(1));
    assert_eq!(walk.next().await.unwrap().unwrap().oid, instance(2));
    let err = walk.next().await.unwrap().unwrap_err();
    match &err {
        Error::NonIncreasingOid { previous, next, .. } => {
            assert_eq!(**previous, instance(2));
            assert_eq!(**next, VarBind::new(instance(2), 3));
        }
        other => panic!("{other}"),
    }
    assert_eq!(walk.end(), None);
    assert!(walk.next().await.is_none());
    assert!(walk.is_terminated());
    assert_eq!(walk.end(), None);

    // A timeout: an agent that does not answer.
    let m = manager(&engine, addr("10.0.25.2:161"));
    let mut walk = m.walk(oid!(1, 3, 6, 1, 4, 1, 99999));
    assert!(walk.next().await.unwrap().unwrap_err().is_timeout());
    assert!(walk.next().await.is_none());
    assert_eq!(walk.end(), None);
}

#[tokio::test(start_paused = true)]
async fn dropping_a_walk_cancels_its_request() {
    let net = TestNet::new(26);
    let agent = addr("10.0.26.1:161");
    net.set_link_faults(
        agent,
        addr(MANAGER),
        Faults::none().fixed_delay(Duration::from_secs(3)),
    );
    let _g = serve(&net, agent, Agent::new(numbered_mib(1)));
    let engine = engine(&net);
    let mut walk = manager(&engine, agent).walk(oid!(1, 3, 6, 1, 4, 1, 99999));
    let r = tokio::time::timeout(Duration::from_millis(500), walk.next()).await;
    assert!(r.is_err(), "the answer is 3 s away");
    assert_eq!(engine.requests_in_table(), 1);
    drop(walk);
    assert_eq!(engine.requests_in_table(), 0);
}

/// A request in flight costs its future, a table entry and a timer: keep
/// the future small (it was 1.9 KB before the SNMPv3 branch was boxed).
#[tokio::test(start_paused = true)]
async fn a_get_future_stays_small() {
    let net = TestNet::new(40);
    let engine = engine(&net);
    let m = manager(&engine, addr("10.0.40.1:161"));
    let oids = [instance(1)];
    let future = m.get(&oids);
    let size = std::mem::size_of_val(&future);
    eprintln!("get future: {size} bytes");
    assert!(size <= 1500, "get future: {size} bytes");
}
