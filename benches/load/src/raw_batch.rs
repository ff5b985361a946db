//! The raw-batch client: the floor of batched UDP I/O on this machine. As
//! the raw client (pre-encoded GETs whose request-id is patched, N requests
//! in flight, the slot of a response found by arithmetic on its
//! request-id), but through snmux's own UDP transport, with its batched
//! system calls: one `poll_recv_batch` (`recvmmsg`) reads the responses
//! waiting, and the next requests of the slots they complete go out
//! together through `poll_send_batch` (`sendmmsg`, and a run to one agent
//! as one UDP GSO send).
//!
//! Nothing per request but the request-id: each datagram is a buffer of a
//! pool (a copy of the template) that returns to the pool once sent, so a
//! run allocates no more buffers than it has slots; one timer for the whole
//! run, moved only when it fires, tells a stall; one clock read per batch
//! times its responses and the requests sent after them (their latency
//! includes the handling of the batch they were sent from).
//!
//! GETs only (`get`, `get-many-targets`), SNMPv2c: walks and pending are
//! the raw client's.

use std::future::{Future, poll_fn};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use serde_json::json;
use snmux::BytesMut;
use snmux::transport::{Outgoing, RecvBatch, Transport, UdpConfig, UdpTransport};
use tokio::time::Sleep;

use crate::GetArgs;
use crate::measure::Latencies;
use crate::raw::{GetTemplate, InFlight, STALL, target_of};
use crate::run::{Meter, Outcome};

/// Datagrams per receive: as many as one `recvmmsg` of the transport reads.
const RECV_SLOTS: usize = 64;
/// The room for each received datagram: the responses to the GET are ~100
/// bytes (a longer datagram would be truncated).
const RECV_SLOT_SIZE: usize = 2048;

pub(crate) async fn get(args: &GetArgs, meter: &mut Meter) -> Result<Outcome, String> {
    if args.v3 {
        return Err("the raw-batch client does not do SNMPv3".into());
    }
    // snmux's socket: `Engine::bind`'s defaults (8 MiB receive, 4 MiB send).
    let transport = UdpTransport::bind(UdpConfig::new()).map_err(|e| format!("bind: {e}"))?;
    let slots = args.concurrency.clamp(1, args.requests.max(1));
    let mut flight = InFlight::new(slots);
    let mut outbox = Outbox::new(GetTemplate::new(&args.common.community)?, slots);
    let mut batch = RecvBatch::new(RECV_SLOTS, RECV_SLOT_SIZE);
    let mut latencies = Latencies::with_capacity(args.requests);
    let mut out = Outcome::default();
    let stall = tokio::time::sleep(STALL);
    tokio::pin!(stall);

    meter.start();
    let mut now = Instant::now();
    let mut sent = 0;
    for slot in 0..slots {
        outbox.queue(flight.start(slot, now), target_of(args, sent));
        sent += 1;
    }
    outbox.flush(&transport, &mut out).await;
    let mut done = 0;
    // Receives that returned datagrams, and the datagrams they returned.
    let (mut receives, mut received) = (0u64, 0u64);
    while done < args.requests {
        batch.clear();
        let heard = now;
        let got =
            poll_fn(|cx| poll_recv_or_stall(cx, &transport, &mut batch, stall.as_mut(), heard))
                .await;
        match got {
            Some(Ok(n)) => {
                receives += 1;
                received += n as u64;
            }
            Some(Err(e)) => return Err(format!("recv: {e}")),
            None => break,
        }
        now = Instant::now();
        for (datagram, _from) in batch.iter() {
            let Some(slot) = flight.answer(datagram, now, &mut latencies) else {
                continue;
            };
            done += 1;
            out.varbinds += 1;
            if sent < args.requests {
                outbox.queue(flight.start(slot, now), target_of(args, sent));
                sent += 1;
            }
        }
        outbox.flush(&transport, &mut out).await;
    }
    meter.stop();
    out.ops = done;
    out.requests = sent as u64;
    out.timeouts = args.requests - done - out.errors;
    out.latencies = latencies;
    // Each `poll_*_batch` that returns datagrams is one system call of the
    // transport (recvmmsg; sendmmsg or a GSO sendmsg).
    let per_call = |n: u64, calls: u64| crate::run::round(n as f64 / calls.max(1) as f64, 1);
    out.extra.insert(
        "datagrams_per_recv_call".into(),
        json!(per_call(received, receives)),
    );
    out.extra.insert(
        "datagrams_per_send_call".into(),
        json!(per_call(outbox.sent, outbox.sends)),
    );
    Ok(out)
}

/// Receives a batch into `batch`, or `None` once `STALL` has passed since
/// `heard` (the last batch) without one.
///
/// `stall` is the run's one timer: when it fires early (it was set for an
/// earlier batch), it moves to `heard + STALL` instead of ending the run.
fn poll_recv_or_stall(
    cx: &mut Context<'_>,
    transport: &impl Transport,
    batch: &mut RecvBatch,
    mut stall: Pin<&mut Sleep>,
    heard: Instant,
) -> Poll<Option<io::Result<usize>>> {
    if let Poll::Ready(r) = transport.poll_recv_batch(cx, batch) {
        return Poll::Ready(Some(r));
    }
    // tokio's clock, which tests pause.
    let deadline = tokio::time::Instant::from_std(heard) + STALL;
    loop {
        ready!(stall.as_mut().poll(cx));
        if tokio::time::Instant::now() >= deadline {
            return Poll::Ready(None);
        }
        stall.as_mut().reset(deadline);
    }
}

/// The datagrams queued for the next send, and the buffers they are made
/// in: copies of the template, taken from `spare` and returned to it once
/// the datagram is sent.
#[derive(Debug)]
struct Outbox {
    template: GetTemplate,
    queued: Vec<Outgoing>,
    spare: Vec<BytesMut>,
    /// Sends that went out, and the datagrams they carried.
    sends: u64,
    sent: u64,
}

impl Outbox {
    fn new(template: GetTemplate, slots: usize) -> Outbox {
        Outbox {
            template,
            queued: Vec::with_capacity(slots),
            spare: Vec::with_capacity(slots),
            sends: 0,
            sent: 0,
        }
    }

    /// Queues the GET with request-id `id` to `target`.
    fn queue(&mut self, id: i32, target: SocketAddr) {
        let mut buf = self
            .spare
            .pop()
            .unwrap_or_else(|| BytesMut::from(self.template.bytes()));
        self.template.patch_copy(&mut buf, id);
        self.queued.push(Outgoing {
            bytes: buf.freeze(),
            target,
        });
    }

    /// Sends every queued datagram, in as few `poll_send_batch` calls as the
    /// transport takes. A datagram whose send fails is lost (its request
    /// never completes), and counted in `out.errors`.
    async fn flush(&mut self, transport: &impl Transport, out: &mut Outcome) {
        let mut rest = &self.queued[..];
        while !rest.is_empty() {
            match poll_fn(|cx| transport.poll_send_batch(cx, rest)).await {
                Ok(n) => {
                    let n = n.clamp(1, rest.len());
                    self.sends += 1;
                    self.sent += n as u64;
                    rest = &rest[n..];
                }
                Err(e) => {
                    out.errors += 1;
                    out.first_error
                        .get_or_insert_with(|| format!("send to {}: {e}", rest[0].target));
                    rest = &rest[1..];
                }
            }
        }
        // The kernel has copied them: each buffer is ours alone again.
        for d in self.queued.drain(..) {
            if let Ok(buf) = d.bytes.try_into_mut() {
                self.spare.push(buf);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::UdpSocket;
    use std::time::Duration;

    use snmux::{AnyPdu, Bytes, Message, MessageHeader};

    use super::*;
    use crate::raw::request_id;
    use crate::{ClientKind, Common};

    fn args(target: SocketAddr, concurrency: usize, requests: usize) -> GetArgs {
        GetArgs {
            common: Common {
                client: ClientKind::RawBatch,
                threads: 1,
                responder_pid: None,
                responder_busy: None,
                community: "public".into(),
            },
            target,
            targets: 1,
            concurrency,
            requests,
            v3: false,
            tag: None,
        }
    }

    /// Queued GETs go out as the template with their request-ids, to their
    /// targets, and their buffers come back for the next ones.
    #[tokio::test]
    async fn the_outbox_sends_patched_gets_and_reuses_their_buffers() {
        let transport =
            UdpTransport::bind(UdpConfig::new().bind("127.0.0.1:0".parse().unwrap())).unwrap();
        let agent = UdpSocket::bind("127.0.0.1:0").unwrap();
        agent
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut outbox = Outbox::new(GetTemplate::new("public").unwrap(), 8);
        let mut out = Outcome::default();
        let mut buffers = Vec::new();
        for round in 0..3 {
            for i in 0..8 {
                outbox.queue(request_id(i, round, 8), agent.local_addr().unwrap());
            }
            let mut these: Vec<_> = outbox.queued.iter().map(|d| d.bytes.as_ptr()).collect();
            these.sort();
            if round == 0 {
                buffers = these;
            } else {
                assert_eq!(these, buffers, "round {round} took new buffers");
            }
            outbox.flush(&transport, &mut out).await;
            assert!(outbox.queued.is_empty());
            assert_eq!(outbox.spare.len(), 8);
            for i in 0..8 {
                let mut buf = [0u8; 2048];
                let (len, from) = agent.recv_from(&mut buf).unwrap();
                assert_eq!(from, transport.local_addr().unwrap());
                let m = Message::decode(&Bytes::copy_from_slice(&buf[..len])).unwrap();
                let AnyPdu::Pdu(pdu) = m.pdu else { panic!() };
                assert_eq!(pdu.request_id, request_id(i, round, 8));
                assert_eq!(pdu.varbinds[0].oid, crate::mib::sys_descr());
            }
        }
        assert_eq!(out.errors, 0);
        assert_eq!(outbox.sent, 24);
        // sendmmsg, or one GSO send, takes each round's eight at once.
        #[cfg(target_os = "linux")]
        assert_eq!(outbox.sends, 3);
    }

    /// Against an agent that echoes each datagram (its request-id is all
    /// the client reads), every request completes, with no more than
    /// `concurrency` in flight.
    #[tokio::test]
    async fn every_get_completes_against_an_echo() {
        let agent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let target = agent.local_addr().unwrap();
        agent
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let echo = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut seen = std::collections::HashSet::new();
            // The echo answers each request-id once: a repeat would mean a
            // request sent twice.
            while let Ok((len, from)) = agent.recv_from(&mut buf) {
                let id = MessageHeader::decode(&buf[..len]).unwrap().request_id;
                assert!(seen.insert(id), "request-id {id} sent twice");
                agent.send_to(&buf[..len], from).unwrap();
                if seen.len() == 5000 {
                    break;
                }
            }
            seen.len()
        });
        let mut meter = Meter::default();
        let out = get(&args(target, 64, 5000), &mut meter).await.unwrap();
        assert_eq!(echo.join().unwrap(), 5000);
        assert_eq!((out.ops, out.requests, out.varbinds), (5000, 5000, 5000));
        assert_eq!((out.timeouts, out.errors), (0, 0));
        for key in ["datagrams_per_recv_call", "datagrams_per_send_call"] {
            let n = out.extra[key].as_f64().unwrap();
            assert!((1.0..=64.0).contains(&n), "{key} {n}");
        }
    }

    /// An agent that never answers: the run stops after `STALL` and counts
    /// every request as a timeout.
    #[tokio::test(start_paused = true)]
    async fn a_silent_agent_stalls_the_run() {
        let agent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut meter = Meter::default();
        let out = get(&args(agent.local_addr().unwrap(), 4, 10), &mut meter)
            .await
            .unwrap();
        assert_eq!((out.ops, out.requests, out.timeouts), (0, 4, 10));
    }
}
