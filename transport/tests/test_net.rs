//! The in-memory `TestNet`, under tokio's paused clock.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::time::Instant;

use snmux_transport::test::{Faults, NetStats, Reply, TestNet, TestSocket};
use snmux_transport::{RecvBatch, Transport};

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("literal address")
}

/// The next datagram, or `None` if nothing arrives within 10 s of virtual
/// time (no wall-clock time passes under the paused clock).
async fn recv(socket: &TestSocket) -> Option<(Vec<u8>, SocketAddr)> {
    let mut buf = vec![0; 65_535];
    let (len, from) = tokio::time::timeout(Duration::from_secs(10), socket.recv_from(&mut buf))
        .await
        .ok()?
        .expect("recv_from");
    buf.truncate(len);
    Some((buf, from))
}

/// Everything that arrives until 10 s of virtual time pass in silence.
async fn recv_all(socket: &TestSocket) -> Vec<(Vec<u8>, SocketAddr)> {
    let mut all = Vec::new();
    while let Some(datagram) = recv(socket).await {
        all.push(datagram);
    }
    all
}

#[tokio::test(start_paused = true)]
async fn delivers_with_source_address() {
    let net = TestNet::new(1);
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));
    assert_eq!(a.local_addr().expect("a"), addr("10.0.0.100:50000"));

    assert_eq!(
        a.send_to(b"hello", addr("10.0.0.1:161"))
            .await
            .expect("send"),
        5
    );
    assert_eq!(
        recv(&b).await,
        Some((b"hello".to_vec(), addr("10.0.0.100:50000")))
    );
    assert_eq!(
        net.stats(),
        NetStats {
            sent: 1,
            delivered: 1,
            ..NetStats::default()
        }
    );
}

#[tokio::test(start_paused = true)]
async fn loss_rate_follows_the_configured_probability() {
    let net = TestNet::new(7);
    net.set_faults(Faults::none().loss(0.3));
    net.set_inbox_capacity(10_000);
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));

    for i in 0..10_000_u32 {
        a.send_to(&i.to_be_bytes(), b.local_addr().expect("b"))
            .await
            .expect("send");
    }
    let stats = net.stats();
    eprintln!("lost {} of 10000", stats.lost);
    assert!((2_500..=3_500).contains(&stats.lost), "{stats:?}");
    assert_eq!(stats.lost + stats.delivered, 10_000);
    assert_eq!(recv_all(&b).await.len() as u64, stats.delivered);
}

#[tokio::test(start_paused = true)]
async fn same_seed_same_losses() {
    async fn survivors(seed: u64) -> Vec<Vec<u8>> {
        let net = TestNet::new(seed);
        net.set_faults(
            Faults::none()
                .loss(0.5)
                .delay(Duration::ZERO..=Duration::from_millis(20)),
        );
        let a = net.bind(addr("10.0.0.100:50000"));
        let b = net.bind(addr("10.0.0.1:161"));
        for i in 0..100_u8 {
            a.send_to(&[i], addr("10.0.0.1:161")).await.expect("send");
        }
        recv_all(&b)
            .await
            .into_iter()
            .map(|(bytes, _)| bytes)
            .collect()
    }
    let first = survivors(3).await;
    assert_eq!(first, survivors(3).await);
    assert_ne!(first, survivors(4).await);
}

#[tokio::test(start_paused = true)]
async fn duplicates() {
    let net = TestNet::new(1);
    net.set_faults(Faults::none().duplicate(1.0));
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));

    for i in 0..10_u8 {
        a.send_to(&[i], addr("10.0.0.1:161")).await.expect("send");
    }
    let got: Vec<u8> = recv_all(&b)
        .await
        .into_iter()
        .map(|(bytes, _)| bytes[0])
        .collect();
    let expected: Vec<u8> = (0..10).flat_map(|i| [i, i]).collect();
    assert_eq!(got, expected);
    let stats = net.stats();
    assert_eq!(
        (stats.sent, stats.duplicated, stats.delivered),
        (10, 10, 20)
    );
}

#[tokio::test(start_paused = true)]
async fn delay_advances_virtual_time() {
    let net = TestNet::new(1);
    net.set_faults(Faults::none().fixed_delay(Duration::from_millis(250)));
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));

    let start = Instant::now();
    a.send_to(b"late", addr("10.0.0.1:161"))
        .await
        .expect("send");
    assert_eq!(net.stats().delivered, 0, "delivered before the delay");
    assert_eq!(
        recv(&b).await.map(|(bytes, _)| bytes),
        Some(b"late".to_vec())
    );
    let elapsed = start.elapsed();
    assert!(
        (Duration::from_millis(250)..=Duration::from_millis(251)).contains(&elapsed),
        "{elapsed:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn random_delays_reorder() {
    let net = TestNet::new(9);
    net.set_faults(Faults::none().delay(Duration::from_millis(1)..=Duration::from_millis(100)));
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));

    for i in 0..100_u8 {
        a.send_to(&[i], addr("10.0.0.1:161")).await.expect("send");
    }
    let got: Vec<u8> = recv_all(&b)
        .await
        .into_iter()
        .map(|(bytes, _)| bytes[0])
        .collect();
    let sent: Vec<u8> = (0..100).collect();
    assert_ne!(got, sent, "no reordering");
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, sent, "every datagram exactly once");
}

#[tokio::test(start_paused = true)]
async fn corrupts_one_byte() {
    let net = TestNet::new(5);
    net.set_faults(Faults::none().corrupt(1.0));
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));

    let original = b"0123456789abcdef";
    a.send_to(original, addr("10.0.0.1:161"))
        .await
        .expect("send");
    let (got, _) = recv(&b).await.expect("a datagram");
    assert_eq!(got.len(), original.len());
    let differing = got.iter().zip(original).filter(|(x, y)| x != y).count();
    assert_eq!(differing, 1);
    assert_eq!(net.stats().corrupted, 1);
}

#[tokio::test(start_paused = true)]
async fn link_faults_apply_to_one_direction() {
    let net = TestNet::new(1);
    let (a_addr, b_addr) = (addr("10.0.0.100:50000"), addr("10.0.0.1:161"));
    let a = net.bind(a_addr);
    let b = net.bind(b_addr);
    net.set_link_faults(a_addr, b_addr, Faults::none().loss(1.0));

    a.send_to(b"lost", b_addr).await.expect("send");
    b.send_to(b"kept", a_addr).await.expect("send");
    assert_eq!(recv(&b).await, None);
    assert_eq!(recv(&a).await, Some((b"kept".to_vec(), b_addr)));

    net.clear_link_faults(a_addr, b_addr);
    a.send_to(b"kept", b_addr).await.expect("send");
    assert_eq!(recv(&b).await, Some((b"kept".to_vec(), a_addr)));
    assert_eq!(net.stats().lost, 1);
}

#[tokio::test(start_paused = true)]
async fn inject_forges_datagrams_past_the_faults() {
    let net = TestNet::new(1);
    net.set_faults(Faults::none().loss(1.0));
    let b = net.bind(addr("10.0.0.100:50000"));

    assert!(net.inject(
        addr("10.0.0.66:161"),
        addr("10.0.0.100:50000"),
        &b"\x30\x00"[..]
    ));
    assert_eq!(
        recv(&b).await,
        Some((b"\x30\x00".to_vec(), addr("10.0.0.66:161")))
    );
    assert!(!net.inject(addr("10.0.0.66:161"), addr("10.0.0.7:1"), vec![1, 2, 3]));
    let stats = net.stats();
    assert_eq!(
        (
            stats.injected,
            stats.delivered,
            stats.unroutable,
            stats.lost
        ),
        (2, 1, 1, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn unroutable_and_unbind_on_drop() {
    let net = TestNet::new(1);
    let a = net.bind(addr("10.0.0.100:50000"));
    a.send_to(b"nobody", addr("10.0.0.1:161"))
        .await
        .expect("send succeeds");
    assert_eq!(net.stats().unroutable, 1);

    let b = net.bind(addr("10.0.0.1:161"));
    assert!(net.try_bind(addr("10.0.0.1:161")).is_err(), "bound twice");
    drop(b);
    assert!(!net.is_bound(addr("10.0.0.1:161")));
    a.send_to(b"gone", addr("10.0.0.1:161"))
        .await
        .expect("send");
    assert_eq!(net.stats().unroutable, 2);

    let b = net.bind(addr("10.0.0.1:161"));
    a.send_to(b"back", addr("10.0.0.1:161"))
        .await
        .expect("send");
    assert_eq!(
        recv(&b).await.map(|(bytes, _)| bytes),
        Some(b"back".to_vec())
    );
}

#[tokio::test(start_paused = true)]
async fn delayed_datagram_to_a_dropped_socket_is_unroutable() {
    let net = TestNet::new(1);
    net.set_faults(Faults::none().fixed_delay(Duration::from_millis(10)));
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));
    a.send_to(b"late", addr("10.0.0.1:161"))
        .await
        .expect("send");
    drop(b);
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(net.stats().unroutable, 1);
}

#[tokio::test(start_paused = true)]
async fn full_inbox_overflows() {
    let net = TestNet::new(1);
    net.set_inbox_capacity(4);
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));

    for i in 0..10_u8 {
        a.send_to(&[i], addr("10.0.0.1:161")).await.expect("send");
    }
    let stats = net.stats();
    assert_eq!((stats.delivered, stats.overflowed), (4, 6));
    let got: Vec<u8> = recv_all(&b)
        .await
        .into_iter()
        .map(|(bytes, _)| bytes[0])
        .collect();
    assert_eq!(got, [0, 1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn truncates_and_limits_size() {
    let net = TestNet::new(1);
    let a = net.bind(addr("10.0.0.100:50000"));
    let b = net.bind(addr("10.0.0.1:161"));

    a.send_to(b"0123456789", addr("10.0.0.1:161"))
        .await
        .expect("send");
    let mut buf = [0; 4];
    let (len, _) = b.recv_from(&mut buf).await.expect("recv");
    assert_eq!(&buf[..len], b"0123");

    let huge = vec![0; 70_000];
    let error = a
        .send_to(&huge, addr("10.0.0.1:161"))
        .await
        .expect_err("too big");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test(start_paused = true)]
async fn port_zero_picks_free_ports() {
    let net = TestNet::new(1);
    let a = net.bind(addr("10.0.0.100:0"));
    let b = net.bind(addr("10.0.0.100:0"));
    let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
    assert_ne!(a_addr.port(), 0);
    assert_ne!(a_addr, b_addr);
    assert_eq!(a_addr.ip(), b_addr.ip());
}

#[tokio::test(start_paused = true)]
async fn serve_answers_the_sender() {
    let net = TestNet::new(1);
    let agent = addr("10.0.0.1:161");
    let guard = net.serve(agent, |request| {
        (request != b"ignore").then(|| request.to_ascii_uppercase())
    });
    assert_eq!(guard.addr(), agent);
    let manager = net.bind(addr("10.0.0.100:50000"));

    manager.send_to(b"ignore", agent).await.expect("send");
    manager.send_to(b"get", agent).await.expect("send");
    assert_eq!(recv(&manager).await, Some((b"GET".to_vec(), agent)));
    assert_eq!(recv(&manager).await, None);

    drop(guard);
    assert!(!net.is_bound(agent));
    manager.send_to(b"get", agent).await.expect("send");
    assert_eq!(recv(&manager).await, None);
    assert_eq!(net.stats().unroutable, 1);
}

#[tokio::test(start_paused = true)]
async fn serve_with_replies_twice_and_from_a_forged_source() {
    let net = TestNet::new(1);
    let agent = addr("10.0.0.1:161");
    let impostor = addr("10.0.0.2:161");
    let _guard = net.serve_with(agent, move |request, _from| {
        vec![
            Reply::new(request.to_vec()),
            Reply::new(request.to_vec()),
            Reply::new(&b"forged"[..]).sent_from(impostor),
        ]
    });
    let manager = net.bind(addr("10.0.0.100:50000"));

    manager.send_to(b"get", agent).await.expect("send");
    let got = recv_all(&manager).await;
    assert_eq!(
        got,
        [
            (b"get".to_vec(), agent),
            (b"get".to_vec(), agent),
            (b"forged".to_vec(), impostor),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn serve_replies_go_through_the_faults() {
    let net = TestNet::new(11);
    let agent = addr("10.0.0.1:161");
    let manager_addr = addr("10.0.0.100:50000");
    net.set_link_faults(
        agent,
        manager_addr,
        Faults::none().delay(Duration::from_millis(5)..=Duration::from_millis(50)),
    );
    let _guard = net.serve(agent, |request| Some(request.to_vec()));
    let manager = net.bind(manager_addr);

    let start = Instant::now();
    for i in 0..20_u8 {
        manager.send_to(&[i], agent).await.expect("send");
    }
    let got: HashSet<u8> = recv_all(&manager)
        .await
        .into_iter()
        .map(|(bytes, _)| bytes[0])
        .collect();
    assert_eq!(got, (0..20).collect());
    assert!(net.stats().sent == 40);
    // recv_all waits 10 s of silence after the last reply.
    assert!(start.elapsed() >= Duration::from_millis(5) + Duration::from_secs(10));
}

#[test]
fn delays_need_a_runtime_but_immediate_delivery_does_not() {
    let net = TestNet::new(1);
    let a = net.bind(addr("10.0.0.100:50000"));
    let _b = net.bind(addr("10.0.0.1:161"));
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);

    let sent = a.poll_send_to(&mut cx, b"now", addr("10.0.0.1:161"));
    assert!(matches!(sent, std::task::Poll::Ready(Ok(3))));

    net.set_faults(Faults::none().fixed_delay(Duration::from_millis(1)));
    let sent = a.poll_send_to(&mut cx, b"later", addr("10.0.0.1:161"));
    assert!(matches!(sent, std::task::Poll::Ready(Err(_))));
}

#[test]
fn handles_are_debug_send_sync() {
    fn assert_traits<T: std::fmt::Debug + Send + Sync>() {}
    assert_traits::<TestNet>();
    assert_traits::<TestSocket>();
    let net = TestNet::new(1);
    let socket = net.bind(addr("10.0.0.1:161"));
    assert!(format!("{socket:?}").contains("10.0.0.1:161"));
    assert!(format!("{net:?}").contains("TestNet"));
}

/// A batch takes every datagram waiting, copies included, up to its
/// slots, and the rest on the next call; the faults apply as to single
/// receives.
#[tokio::test(start_paused = true)]
async fn a_batch_takes_the_waiting_datagrams_with_their_faults() {
    let net = TestNet::new(3);
    net.set_faults(Faults::none().duplicate(1.0));
    let a = net.bind(addr("10.0.0.1:1000"));
    let b = net.bind(addr("10.0.0.2:2000"));
    for i in 0..5u8 {
        a.send_to(&[i; 3], b.local_addr().expect("bound"))
            .await
            .expect("send");
    }
    let mut batch = RecvBatch::new(4, 2);
    let mut got = Vec::new();
    while got.len() < 10 {
        batch.clear();
        let n = std::future::poll_fn(|cx| b.poll_recv_batch(cx, &mut batch))
            .await
            .expect("receive");
        assert!((1..=4).contains(&n), "{n}");
        got.extend(batch.iter().map(|(d, from)| (d.to_vec(), from)));
    }
    // Each datagram twice, truncated to the 2-byte slots, from `a`.
    let mut expected: Vec<_> = (0..5u8)
        .flat_map(|i| std::iter::repeat_n((vec![i; 2], a.local_addr().expect("bound")), 2))
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    assert_eq!(net.stats().duplicated, 5);
}
