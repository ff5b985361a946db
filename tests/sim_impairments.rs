//! The simulator's impairments, observed from outside: loss, delay,
//! duplicates and jitter over TestNet under tokio's paused clock (seeded,
//! so each run sees the same faults), answers from another source address
//! over real UDP, and the snmux Manager getting through a lossy, slow agent.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use snmux::sim::{Agent, Impairments, PduOptions, Profile, Sim};
use snmux::transport::test::{TestNet, TestSocket};
use snmux::{AnyPdu, Bytes, Engine, Message, Pdu, PduType, Security, VarBind, Version, oid};
use tokio::time::{Instant, timeout};

const AGENT: &str = "10.0.0.2:161";
const CLIENT: &str = "10.0.0.1:40000";

fn sim_on(net: &TestNet, impairments: Impairments) -> Sim {
    Sim::builder()
        .agent(
            Agent::pdu(Profile::ApcRpdu, PduOptions::new())
                .impairments(impairments)
                .build(),
        )
        .start_on(vec![Arc::new(net.bind(AGENT.parse().unwrap()))])
        .expect("sim on TestNet")
}

fn get(request_id: i32) -> Vec<u8> {
    let sys_name = VarBind::null(oid!(1, 3, 6, 1, 2, 1, 1, 5, 0));
    Message::new(
        Version::V2c,
        "public",
        Pdu::new(PduType::GetRequest, request_id, vec![sys_name]),
    )
    .to_vec()
}

/// Sends `n` GETs (request-ids 1..=n) and returns the request-ids of the
/// answers received within `wait`, in arrival order, with their arrival
/// times.
async fn exchange(client: &TestSocket, n: i32, wait: Duration) -> Vec<(i32, Instant)> {
    let agent: SocketAddr = AGENT.parse().unwrap();
    for id in 1..=n {
        client.send_to(&get(id), agent).await.unwrap();
    }
    let mut got = Vec::new();
    let mut buf = vec![0u8; 2048];
    let deadline = Instant::now() + wait;
    while let Ok(Ok((len, _))) = timeout(
        deadline.saturating_duration_since(Instant::now()),
        client.recv_from(&mut buf),
    )
    .await
    {
        let m = Message::decode(&Bytes::copy_from_slice(&buf[..len])).expect("a response");
        let AnyPdu::Pdu(p) = m.pdu else {
            panic!("a PDU")
        };
        got.push((p.request_id, Instant::now()));
    }
    got
}

#[tokio::test(start_paused = true)]
async fn loss_is_seeded_and_counted() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let net = TestNet::new(1);
        let sim = sim_on(&net, Impairments::none().loss(0.3).seed(42));
        let client = net.bind(CLIENT.parse().unwrap());
        let got = exchange(&client, 400, Duration::from_secs(1)).await;
        let answered: BTreeSet<i32> = got.iter().map(|(id, _)| *id).collect();
        assert!(
            (220..=340).contains(&answered.len()),
            "{} of 400 answered",
            answered.len()
        );
        let s = sim.stats();
        assert_eq!(s.lost as usize, 400 - answered.len());
        assert_eq!(s.responses as usize, answered.len());
        runs.push(answered);
    }
    assert_eq!(runs[0], runs[1], "the same seed loses the same requests");
    // Another seed, other losses.
    let net = TestNet::new(1);
    let _sim = sim_on(&net, Impairments::none().loss(0.3).seed(43));
    let client = net.bind(CLIENT.parse().unwrap());
    let other: BTreeSet<i32> = exchange(&client, 400, Duration::from_secs(1))
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_ne!(other, runs[0]);
}

#[tokio::test(start_paused = true)]
async fn delay_duplicates_and_jitter() {
    let net = TestNet::new(1);
    let _sim = sim_on(
        &net,
        Impairments::none()
            .delay(Duration::from_millis(1500))
            .duplicate(1.0),
    );
    let client = net.bind(CLIENT.parse().unwrap());
    let t0 = Instant::now();
    let got = exchange(&client, 3, Duration::from_secs(5)).await;
    let ids: Vec<i32> = got.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, [1, 1, 2, 2, 3, 3], "every answer twice");
    for (_, at) in &got {
        let late = *at - t0;
        assert!(
            late >= Duration::from_millis(1500) && late < Duration::from_millis(1510),
            "{late:?}"
        );
    }

    let net = TestNet::new(1);
    let _sim = sim_on(
        &net,
        Impairments::none().jitter(Duration::from_secs(1)).seed(3),
    );
    let client = net.bind(CLIENT.parse().unwrap());
    let got = exchange(&client, 50, Duration::from_secs(5)).await;
    let ids: Vec<i32> = got.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids.len(), 50);
    assert!(
        ids.windows(2).any(|w| w[0] > w[1]),
        "jitter reorders: {ids:?}"
    );
}

/// The Manager's retries get every answer from an agent that loses half
/// the requests and answers late.
#[tokio::test(start_paused = true)]
async fn a_manager_gets_through_loss_and_delay() {
    let net = TestNet::new(1);
    let sim = sim_on(
        &net,
        Impairments::none()
            .loss(0.5)
            .delay(Duration::from_millis(300))
            .seed(9),
    );
    let engine = Engine::builder()
        .transport(Arc::new(net.bind(CLIENT.parse().unwrap())))
        .build()
        .unwrap();
    let m = engine
        .manager(AGENT.parse().unwrap(), Security::v2c("public"))
        .retries(Duration::from_secs(1), 10)
        .build();
    for _ in 0..20 {
        let vbs = m
            .get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)])
            .await
            .expect("through retries");
        assert_eq!(vbs[0].value.as_str(), Some("apc-rpdu"));
    }
    assert!(sim.stats().lost > 0);
}

/// Real UDP: answers from 127.0.0.2 to requests sent to 127.0.0.1.
#[tokio::test]
async fn replies_from_another_address() {
    let sim = Sim::builder()
        .agent(
            Agent::pdu(Profile::ApcRpdu, PduOptions::new())
                .impairments(Impairments::none().reply_from("127.0.0.2".parse().unwrap()))
                .build(),
        )
        .start()
        .await
        .unwrap();
    let agent = sim.agents()[0].addr();
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.send_to(&get(7), agent).await.unwrap();
    let mut buf = [0u8; 2048];
    let (len, from) = timeout(Duration::from_secs(10), socket.recv_from(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    assert_eq!(from.ip().to_string(), "127.0.0.2");
    assert_eq!(from.port(), agent.port(), "the same port, another address");
    assert!(Message::decode(&Bytes::copy_from_slice(&buf[..len])).is_ok());
    // snmux drops it (the source is checked) and times out.
    let engine = Engine::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let m = engine
        .manager(agent, Security::v2c("public"))
        .retries(Duration::from_millis(200), 1)
        .build();
    let err = m
        .get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)])
        .await
        .expect_err("another source");
    assert!(err.is_timeout(), "{err}");
}

/// GETs, walks and SETs of every profile, one port per community, over
/// one UDP socket (as snmpsim serves).
#[tokio::test]
async fn one_port_many_communities() {
    let sim = Sim::builder()
        .agents(Profile::ALL.iter().enumerate().map(|(i, p)| {
            let name = format!("{p}-{i}");
            Agent::pdu(*p, PduOptions::new().outlets(2))
                .name(name.clone())
                .community(name)
                .build()
        }))
        .listen("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    assert_eq!(sim.local_addrs().len(), 1);
    let engine = Engine::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    for agent in sim.agents() {
        let m = engine
            .manager(agent.addr(), Security::v2c(agent.community()))
            .build();
        let vbs = m.get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]).await.unwrap();
        assert_eq!(vbs[0].value.as_str(), Some(agent.name()));
    }
    let m = engine
        .manager(sim.local_addrs()[0], Security::v2c("nobody"))
        .retries(Duration::from_millis(100), 0)
        .build();
    assert!(
        m.get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)])
            .await
            .unwrap_err()
            .is_timeout()
    );
    assert_eq!(sim.stats().wrong_community, 1);
    // Duplicate communities cannot share a port.
    let err = Sim::builder()
        .agent(
            Agent::pdu(Profile::Poe, PduOptions::new())
                .community("x")
                .build(),
        )
        .agent(
            Agent::pdu(Profile::Poe, PduOptions::new())
                .community("x")
                .build(),
        )
        .listen("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap_err();
    assert!(
        matches!(err, snmux::sim::Error::DuplicateCommunity(_)),
        "{err}"
    );
}
