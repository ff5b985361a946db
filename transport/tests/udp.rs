//! `UdpTransport` over the loopback interfaces.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use snmux_transport::{Outgoing, RecvBatch, Transport, UdpConfig, UdpTransport};

/// `EAFNOSUPPORT` on Linux: the host has no IPv6 at all.
const EAFNOSUPPORT: i32 = 97;

/// Longest a loopback datagram may take before the test fails.
const LOOPBACK_TIMEOUT: Duration = Duration::from_secs(5);

fn addr(s: &str) -> SocketAddr {
    s.parse().expect("literal address")
}

fn bind(local: &str) -> io::Result<UdpTransport> {
    UdpTransport::bind(UdpConfig::new().bind(addr(local)))
}

/// Receives one datagram or fails the test after `LOOPBACK_TIMEOUT`.
async fn recv(transport: &UdpTransport) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0; 2048];
    let (len, from) = tokio::time::timeout(LOOPBACK_TIMEOUT, transport.recv_from(&mut buf))
        .await
        .expect("datagram within the timeout")
        .expect("recv_from");
    (buf[..len].to_vec(), from)
}

/// Binds `local`, or returns `None` (and says so) when the host has no such
/// address, e.g. no IPv6 loopback in a container.
fn bind_or_skip(local: &str) -> Option<UdpTransport> {
    match bind(local) {
        Ok(transport) => Some(transport),
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::AddrNotAvailable | io::ErrorKind::Unsupported
            ) || error.raw_os_error() == Some(EAFNOSUPPORT) =>
        {
            eprintln!("skipped: cannot bind {local}: {error}");
            None
        }
        Err(error) => panic!("bind {local}: {error}"),
    }
}

#[tokio::test]
async fn ipv4_loopback_round_trip() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let b = bind("127.0.0.1:0").expect("bind b");
    let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));

    assert_eq!(a.send_to(b"request", b_addr).await.expect("send"), 7);
    assert_eq!(recv(&b).await, (b"request".to_vec(), a_addr));

    b.send_to(b"response", a_addr).await.expect("send back");
    assert_eq!(recv(&a).await, (b"response".to_vec(), b_addr));
}

#[tokio::test]
async fn ipv6_loopback_round_trip() {
    let (Some(a), Some(b)) = (bind_or_skip("[::1]:0"), bind_or_skip("[::1]:0")) else {
        return;
    };
    let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
    assert!(a_addr.is_ipv6() && b_addr.is_ipv6());

    a.send_to(b"request", b_addr).await.expect("send");
    assert_eq!(recv(&b).await, (b"request".to_vec(), a_addr));

    b.send_to(b"response", a_addr).await.expect("send back");
    assert_eq!(recv(&a).await, (b"response".to_vec(), b_addr));
}

#[tokio::test]
async fn dual_stack_socket_talks_to_ipv4_with_ipv4_addresses() {
    let Some(dual) = bind_or_skip("[::]:0") else {
        return;
    };
    let v4 = bind("127.0.0.1:0").expect("bind v4");
    let v4_addr = v4.local_addr().expect("v4 addr");
    let dual_port = dual.local_addr().expect("dual addr").port();

    // An IPv4 target on the IPv6 socket goes out as ::ffff:127.0.0.1.
    dual.send_to(b"request", v4_addr)
        .await
        .expect("send to IPv4");
    let (payload, from) = recv(&v4).await;
    assert_eq!(payload, b"request");
    assert_eq!(from, SocketAddr::from(([127, 0, 0, 1], dual_port)));

    // The response's source is reported as V4, equal to the target used.
    v4.send_to(b"response", from).await.expect("send back");
    let (payload, from) = recv(&dual).await;
    assert_eq!(payload, b"response");
    assert!(from.is_ipv4(), "v4-mapped source not unmapped: {from}");
    assert_eq!(from, v4_addr);
}

#[tokio::test]
async fn ipv4_socket_refuses_ipv6_targets_but_accepts_v4_mapped() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let b = bind("127.0.0.1:0").expect("bind b");
    let b_port = b.local_addr().expect("b").port();

    let error = a
        .send_to(b"x", addr(&format!("[::1]:{b_port}")))
        .await
        .expect_err("IPv6 target from an IPv4 socket");
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);

    a.send_to(b"mapped", addr(&format!("[::ffff:127.0.0.1]:{b_port}")))
        .await
        .expect("v4-mapped target");
    assert_eq!(recv(&b).await.0, b"mapped");
}

#[tokio::test]
async fn truncates_long_datagrams() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let b = bind("127.0.0.1:0").expect("bind b");
    a.send_to(b"0123456789", b.local_addr().expect("b"))
        .await
        .expect("send");
    let mut buf = [0; 4];
    let (len, _) = tokio::time::timeout(LOOPBACK_TIMEOUT, b.recv_from(&mut buf))
        .await
        .expect("datagram within the timeout")
        .expect("recv_from");
    assert_eq!(&buf[..len], b"0123");
}

#[tokio::test]
async fn buffer_sizes_are_reported() {
    let transport = UdpTransport::bind(UdpConfig::default()).expect("bind");
    let (recv, send) = (transport.recv_buffer_size(), transport.send_buffer_size());
    eprintln!(
        "asked for {} B receive / {} B send buffer, kernel reports {recv} B / {send} B",
        UdpConfig::DEFAULT_RECV_BUFFER_SIZE,
        UdpConfig::DEFAULT_SEND_BUFFER_SIZE,
    );
    assert!(recv > 0, "receive buffer size");
    assert!(send > 0, "send buffer size");

    // Asking for more never yields less than the OS default.
    let small = UdpTransport::bind(UdpConfig::new().recv_buffer_size(0).send_buffer_size(0))
        .expect("bind with OS defaults");
    assert!(recv >= small.recv_buffer_size(), "{recv} < OS default");
    assert!(send >= small.send_buffer_size(), "{send} < OS default");
}

#[tokio::test]
async fn reports_bind_errors() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let taken = a.local_addr().expect("a");
    let error = UdpTransport::bind(UdpConfig::new().bind(taken)).expect_err("port in use");
    assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
}

/// Receives batches into `batch` until `n` datagrams came, or fails the
/// test after `LOOPBACK_TIMEOUT`; returns them in order, and the number of
/// batches they took.
async fn recv_batches(
    transport: &UdpTransport,
    batch: &mut RecvBatch,
    n: usize,
) -> (Vec<(Vec<u8>, SocketAddr)>, usize) {
    let mut got = Vec::new();
    let mut batches = 0;
    while got.len() < n {
        batch.clear();
        let k = tokio::time::timeout(
            LOOPBACK_TIMEOUT,
            std::future::poll_fn(|cx| transport.poll_recv_batch(cx, batch)),
        )
        .await
        .expect("datagrams within the timeout")
        .expect("poll_recv_batch");
        assert_eq!(k, batch.len());
        assert!(k >= 1 && k <= batch.capacity());
        got.extend(batch.iter().map(|(b, from)| (b.to_vec(), from)));
        batches += 1;
    }
    (got, batches)
}

/// Ten waiting datagrams of different sizes come out of `recvmmsg` whole,
/// in order, with their source, at most a batch's capacity at a time.
#[tokio::test]
async fn a_batch_receives_the_waiting_datagrams_in_order() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let b = bind("127.0.0.1:0").expect("bind b");
    let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
    let sent: Vec<Vec<u8>> = (0..10u8)
        .map(|i| vec![i; 1 + 150 * usize::from(i)])
        .collect();
    for d in &sent {
        a.send_to(d, b_addr).await.expect("send");
    }
    let mut batch = RecvBatch::new(4, 2048);
    let (got, batches) = recv_batches(&b, &mut batch, 10).await;
    let expected: Vec<_> = sent.into_iter().map(|d| (d, a_addr)).collect();
    assert_eq!(got, expected);
    assert!(batches >= 3, "4 slots: at least 3 batches, got {batches}");
}

/// A batch that drains the socket clears its readiness (no `recvmmsg`
/// that only says EAGAIN); datagrams that come afterwards still wake the
/// next call, on a current-thread runtime (the I/O driver runs only when
/// the task waits) as on a multi-thread one.
#[tokio::test]
async fn a_drained_socket_still_wakes_for_the_next_datagram() {
    drained_then_woken().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_socket_still_wakes_for_the_next_datagram_multi_thread() {
    drained_then_woken().await;
}

async fn drained_then_woken() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let b = bind("127.0.0.1:0").expect("bind b");
    let (a_addr, b_addr) = (a.local_addr().expect("a"), b.local_addr().expect("b"));
    let mut batch = RecvBatch::new(8, 64);
    for round in 0..50u8 {
        // One, then several: fewer than the slots each time, so each call
        // drains the socket.
        let k = 1 + usize::from(round % 5);
        for i in 0..k {
            a.send_to(&[round, i as u8], b_addr).await.expect("send");
        }
        let (got, _) = recv_batches(&b, &mut batch, k).await;
        let want: Vec<_> = (0..k).map(|i| (vec![round, i as u8], a_addr)).collect();
        assert_eq!(got, want, "round {round}");
    }
    // A datagram sent while the receiver waits (readiness cleared) wakes it.
    let receiver = async { recv_batches(&b, &mut batch, 1).await.0 };
    let sender = async {
        tokio::task::yield_now().await;
        a.send_to(b"late", b_addr).await.expect("send");
    };
    let (got, ()) = tokio::join!(receiver, sender);
    assert_eq!(got, vec![(b"late".to_vec(), a_addr)]);
}

/// A datagram longer than a slot is truncated to it, as `recv_from`
/// truncates to its buffer.
#[tokio::test]
async fn a_batch_truncates_to_the_slot_size() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let b = bind("127.0.0.1:0").expect("bind b");
    a.send_to(&[7; 300], b.local_addr().expect("b"))
        .await
        .expect("send");
    let mut batch = RecvBatch::new(2, 100);
    let (got, _) = recv_batches(&b, &mut batch, 1).await;
    assert_eq!(got[0].0, vec![7; 100]);
}

/// `sendmmsg` sends a prefix: up to a target the socket cannot reach,
/// whose error comes alone on the next call.
#[tokio::test]
async fn a_send_batch_stops_at_the_first_unreachable_target() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let b = bind("127.0.0.1:0").expect("bind b");
    let b_addr = b.local_addr().expect("b");
    let to = |bytes: &'static [u8], target| Outgoing {
        bytes: Bytes::from_static(bytes),
        target,
    };
    let datagrams = [
        to(b"one", b_addr),
        to(b"two", b_addr),
        // An IPv6 target from an IPv4 socket.
        to(b"lost", addr("[2001:db8::1]:161")),
        to(b"three", b_addr),
    ];
    let send = |from: usize| {
        let datagrams = &datagrams[from..];
        let a = &a;
        async move { std::future::poll_fn(|cx| a.poll_send_batch(cx, datagrams)).await }
    };
    assert_eq!(send(0).await.expect("two sent"), 2);
    let error = send(2).await.expect_err("an IPv6 target");
    assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(send(3).await.expect("one sent"), 1);
    let mut batch = RecvBatch::new(8, 2048);
    let (got, _) = recv_batches(&b, &mut batch, 3).await;
    let payloads: Vec<_> = got.into_iter().map(|(d, _)| d).collect();
    assert_eq!(payloads, [&b"one"[..], b"two", b"three"]);
}

/// More datagrams than one `sendmmsg` takes (64) go out over several
/// calls, none lost or reordered.
#[tokio::test]
async fn a_long_send_batch_goes_out_in_order() {
    let a = bind("127.0.0.1:0").expect("bind a");
    let b = bind("127.0.0.1:0").expect("bind b");
    let b_addr = b.local_addr().expect("b");
    let datagrams: Vec<Outgoing> = (0..200u32)
        .map(|i| Outgoing {
            bytes: Bytes::copy_from_slice(&i.to_be_bytes()),
            target: b_addr,
        })
        .collect();
    let mut done = 0;
    while done < datagrams.len() {
        let n = std::future::poll_fn(|cx| a.poll_send_batch(cx, &datagrams[done..]))
            .await
            .expect("sent");
        assert!(n >= 1);
        done += n;
    }
    let mut batch = RecvBatch::new(32, 64);
    let (got, _) = recv_batches(&b, &mut batch, 200).await;
    for (i, (d, _)) in got.iter().enumerate() {
        assert_eq!(d[..], (i as u32).to_be_bytes());
    }
}
