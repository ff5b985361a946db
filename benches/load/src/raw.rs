//! The raw client: the ceiling of the machine. One tokio UDP socket,
//! pre-encoded datagrams whose request-id is patched in place, N requests
//! in flight kept by one task that sends the next request from the slot of
//! each response (found by request-id, an index, not a map). No per-request
//! allocation, task, timer or decode beyond the request-id.
//!
//! Walks read the response with a minimal BER scan (the last OID's bytes,
//! whether the walk left the subtree) and write the next GETBULK by hand.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::json;
use snmux::{Message, MessageHeader, Pdu, PduType, VarBind, Version};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;

use crate::measure::Latencies;
use crate::mib::{sys_descr, table_root};
use crate::run::{Meter, Outcome};
use crate::{GetArgs, PendingArgs, WalkArgs};

/// Request-ids are `ID_BASE + n`, n < 2^30: always four bytes of BER.
const ID_BASE: i32 = 0x4000_0000;
/// A run ends if no response arrives for this long (a lost datagram).
pub(crate) const STALL: Duration = Duration::from_secs(2);

fn socket() -> Result<UdpSocket, String> {
    let s = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| format!("socket: {e}"))?;
    // As snmux's defaults (the kernel caps them at rmem_max/wmem_max).
    let _ = s.set_recv_buffer_size(8 << 20);
    let _ = s.set_send_buffer_size(4 << 20);
    s.set_nonblocking(true).map_err(|e| e.to_string())?;
    s.bind(&SocketAddr::from(([0, 0, 0, 0], 0)).into())
        .map_err(|e| format!("bind: {e}"))?;
    UdpSocket::from_std(s.into()).map_err(|e| e.to_string())
}

/// The request-id of slot `slot` on its `generation`th use, of `slots`.
pub(crate) fn request_id(slot: usize, generation: u64, slots: usize) -> i32 {
    // Wrap at a multiple of `slots` below 2^30, so that `slot_of` holds.
    let slots = slots as u64;
    let wrap = (1u64 << 30) / slots * slots;
    let n = (generation % (wrap / slots)) * slots + slot as u64;
    ID_BASE + n as i32
}

/// The slot a request-id belongs to.
pub(crate) fn slot_of(id: i32, slots: usize) -> Option<usize> {
    let n = id.checked_sub(ID_BASE)?;
    Some(usize::try_from(n).ok()? % slots)
}

/// A GET of sysDescr.0, encoded once; `patch` writes a request-id.
#[derive(Debug)]
pub(crate) struct GetTemplate {
    bytes: Vec<u8>,
    id_at: usize,
}

impl GetTemplate {
    pub(crate) fn new(community: &str) -> Result<GetTemplate, String> {
        let pdu = Pdu::new(
            PduType::GetRequest,
            ID_BASE,
            vec![VarBind::null(sys_descr())],
        );
        let bytes = Message::new(Version::V2c, community.to_owned(), pdu)
            .to_bytes()
            .to_vec();
        let needle = [0x02, 0x04, 0x40, 0x00, 0x00, 0x00];
        let id_at = bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .ok_or("request-id not found in the template")?
            + 2;
        Ok(GetTemplate { bytes, id_at })
    }

    fn patch(&mut self, id: i32) -> &[u8] {
        Self::write_id(&mut self.bytes, self.id_at, id);
        &self.bytes
    }

    /// The encoded GET, with the request-id the template was made with.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Writes request-id `id` into `datagram`, a copy of
    /// [`GetTemplate::bytes`].
    pub(crate) fn patch_copy(&self, datagram: &mut [u8], id: i32) {
        Self::write_id(datagram, self.id_at, id);
    }

    fn write_id(datagram: &mut [u8], at: usize, id: i32) {
        datagram[at..at + 4].copy_from_slice(&id.to_be_bytes());
    }
}

/// The requests in flight: per slot, the request-id awaited (0 for none),
/// when it was sent, and how many requests the slot has sent before it.
#[derive(Debug)]
pub(crate) struct InFlight {
    ids: Vec<i32>,
    sent_at: Vec<Instant>,
    generation: Vec<u64>,
}

impl InFlight {
    pub(crate) fn new(slots: usize) -> InFlight {
        InFlight {
            ids: vec![0; slots],
            sent_at: vec![Instant::now(); slots],
            generation: vec![0; slots],
        }
    }

    /// Starts the next request of `slot`, sent at `now`; returns its
    /// request-id.
    pub(crate) fn start(&mut self, slot: usize, now: Instant) -> i32 {
        let id = request_id(slot, self.generation[slot], self.ids.len());
        self.generation[slot] += 1;
        self.ids[slot] = id;
        self.sent_at[slot] = now;
        id
    }

    /// The slot that a response with request-id `id`, received at `now`,
    /// completes, and the request's latency; `None` for an id no slot
    /// awaits (a duplicate, a late response, someone else's).
    pub(crate) fn complete(&mut self, id: i32, now: Instant) -> Option<(usize, Duration)> {
        let slot = slot_of(id, self.ids.len())?;
        if self.ids[slot] != id {
            return None;
        }
        self.ids[slot] = 0;
        Some((slot, now.saturating_duration_since(self.sent_at[slot])))
    }

    /// A GET's response `datagram`, received at `now`: the slot it
    /// completes, its latency recorded in `latencies`; `None` for anything
    /// else (not a message, or an id no slot awaits).
    pub(crate) fn answer(
        &mut self,
        datagram: &[u8],
        now: Instant,
        latencies: &mut Latencies,
    ) -> Option<usize> {
        let header = MessageHeader::decode(datagram).ok()?;
        let (slot, latency) = self.complete(header.request_id, now)?;
        latencies.record(latency);
        Some(slot)
    }
}

pub(crate) async fn get(args: &GetArgs, meter: &mut Meter) -> Result<Outcome, String> {
    if args.v3 {
        // SNMPv3 needs per-request cryptography: a client that does it is a
        // USM implementation, not the I/O ceiling this client measures.
        return Err("the raw client does not do SNMPv3".into());
    }
    let socket = socket()?;
    let mut template = GetTemplate::new(&args.common.community)?;
    let target = |seq: usize| target_of(args, seq);
    let slots = args.concurrency.clamp(1, args.requests.max(1));
    let mut flight = InFlight::new(slots);
    let mut latencies = Latencies::with_capacity(args.requests);
    let mut buf = vec![0u8; 65535];
    let mut out = Outcome::default();

    meter.start();
    let mut sent = 0;
    for slot in 0..slots {
        let id = flight.start(slot, Instant::now());
        send(&socket, template.patch(id), target(sent)).await?;
        sent += 1;
    }
    let mut done = 0;
    while done < args.requests {
        let len = match tokio::time::timeout(STALL, socket.recv_from(&mut buf)).await {
            Ok(Ok((len, _from))) => len,
            Ok(Err(e)) => return Err(format!("recv: {e}")),
            Err(_) => break,
        };
        let now = Instant::now();
        let Some(slot) = flight.answer(&buf[..len], now, &mut latencies) else {
            continue;
        };
        done += 1;
        out.varbinds += 1;
        if sent < args.requests {
            let id = flight.start(slot, now);
            send(&socket, template.patch(id), target(sent)).await?;
            sent += 1;
        }
    }
    meter.stop();
    out.ops = done;
    out.requests = sent as u64;
    out.timeouts = args.requests - done;
    out.latencies = latencies;
    Ok(out)
}

/// The agent of the `seq`th request: `--targets` ports from `--target`'s,
/// round-robin.
pub(crate) fn target_of(args: &GetArgs, seq: usize) -> SocketAddr {
    let targets = usize::from(args.targets.max(1));
    let mut t = args.target;
    t.set_port(args.target.port() + (seq % targets) as u16);
    t
}

async fn send(socket: &UdpSocket, datagram: &[u8], to: SocketAddr) -> Result<(), String> {
    match socket.send_to(datagram, to).await {
        Ok(_) => Ok(()),
        // A full buffer loses the datagram, as UDP may; the run counts it.
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
        Err(e) => Err(format!("send to {to}: {e}")),
    }
}

/// One walk in flight.
#[derive(Debug, Clone)]
struct WalkSlot {
    id: i32,
    generation: u64,
    /// The content octets of the last OID received (the next request's).
    last: Vec<u8>,
    rows: u64,
    started: Instant,
}

pub(crate) async fn walk(args: &WalkArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let socket = socket()?;
    let community = args.common.community.as_bytes();
    let root = oid_content(&table_root(args.rows))?;
    let slots = args.concurrency.clamp(1, args.walks.max(1));
    let mut walks = vec![
        WalkSlot {
            id: 0,
            generation: 0,
            last: root.clone(),
            rows: 0,
            started: Instant::now(),
        };
        slots
    ];
    let mut latencies = Latencies::with_capacity(args.walks);
    let mut buf = vec![0u8; 65535];
    let mut request = Vec::with_capacity(256);
    let mut out = Outcome::default();

    meter.start();
    let mut started = 0;
    for (slot, w) in walks.iter_mut().enumerate() {
        w.id = request_id(slot, 0, slots);
        w.started = Instant::now();
        encode_get_bulk(&mut request, community, w.id, args.max_repetitions, &w.last);
        send(&socket, &request, args.target).await?;
        out.requests += 1;
        started += 1;
    }
    let mut done = 0;
    while done < args.walks {
        let len = match tokio::time::timeout(STALL, socket.recv_from(&mut buf)).await {
            Ok(Ok((len, _from))) => len,
            Ok(Err(e)) => return Err(format!("recv: {e}")),
            Err(_) => break,
        };
        let Some(id) = response_id(&buf[..len]) else {
            continue;
        };
        let Some(slot) = slot_of(id, slots) else {
            continue;
        };
        let w = &mut walks[slot];
        if w.id != id {
            continue;
        }
        let Some((rows, finished)) = scan_walk_response(&buf[..len], &root, &mut w.last) else {
            out.errors += 1;
            out.first_error
                .get_or_insert_with(|| "malformed response".into());
            continue;
        };
        w.rows += rows;
        w.generation += 1;
        w.id = request_id(slot, w.generation, slots);
        if finished {
            latencies.record(w.started.elapsed());
            done += 1;
            out.varbinds += w.rows;
            if w.rows != u64::from(args.rows) {
                out.errors += 1;
                out.first_error
                    .get_or_insert_with(|| format!("walk of {} rows gave {}", args.rows, w.rows));
            }
            if started == args.walks {
                continue;
            }
            started += 1;
            w.rows = 0;
            w.last.clear();
            w.last.extend_from_slice(&root);
            w.started = Instant::now();
        }
        encode_get_bulk(&mut request, community, w.id, args.max_repetitions, &w.last);
        send(&socket, &request, args.target).await?;
        out.requests += 1;
    }
    meter.stop();
    out.ops = done;
    out.timeouts = args.walks - done;
    out.latencies = latencies;
    Ok(out)
}

pub(crate) async fn pending(args: &PendingArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let socket = socket()?;
    let mut template = GetTemplate::new(&args.common.community)?;
    let timeout = Duration::from_millis(args.timeout_ms);
    // The state of a pending request: its deadline.
    let mut deadlines: Vec<Instant> = Vec::new();
    let mut out = Outcome::default();
    meter.start();
    let start_rss = meter.start_rss_kib();
    deadlines.reserve_exact(args.count);
    for i in 0..args.count {
        let id = request_id(i, 0, args.count);
        deadlines.push(Instant::now() + timeout);
        send(&socket, template.patch(id), args.target).await?;
    }
    let issued = meter.so_far().as_secs_f64();
    if let Some(&last) = deadlines.last() {
        tokio::time::sleep_until(last.into()).await;
    }
    let mut latencies = Latencies::with_capacity(args.count);
    let now = Instant::now();
    for d in &deadlines {
        latencies.record(now.duration_since(*d) + timeout);
    }
    meter.stop();
    out.ops = args.count;
    out.requests = args.count as u64;
    out.timeouts = args.count;
    out.latencies = latencies;
    out.extra
        .insert("issue_s".into(), json!(crate::run::round(issued, 3)));
    crate::snmux_client::pending_extra(&mut out, args, meter, start_rss);
    Ok(out)
}

/// The content octets of `oid`'s BER encoding, as snmux encodes it.
fn oid_content(oid: &snmux::Oid) -> Result<Vec<u8>, String> {
    let pdu = Pdu::new(PduType::GetNextRequest, 1, vec![VarBind::null(oid.clone())]);
    let bytes = Message::new(Version::V2c, "x", pdu).to_bytes();
    let mut first = None;
    scan_varbinds(&bytes, |oid, _| {
        first.get_or_insert_with(|| oid.to_vec());
    })
    .ok_or("cannot read back an encoded OID")?;
    first.ok_or_else(|| "no varbind".to_string())
}

/// One TLV: tag, content, and what follows.
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The request-id of a message.
fn response_id(datagram: &[u8]) -> Option<i32> {
    MessageHeader::decode(datagram).ok().map(|h| h.request_id)
}

/// Calls `f(oid_content, value_tag)` for each varbind of a message;
/// returns the error-status, or `None` if the message is malformed.
fn scan_varbinds(datagram: &[u8], mut f: impl FnMut(&[u8], u8)) -> Option<u8> {
    let (_, message, _) = tlv(datagram)?;
    let (_, _version, r) = tlv(message)?;
    let (_, _community, r) = tlv(r)?;
    let (_, pdu, _) = tlv(r)?;
    let (_, _id, r) = tlv(pdu)?;
    let (_, status, r) = tlv(r)?;
    let (_, _index, r) = tlv(r)?;
    let (_, mut list, _) = tlv(r)?;
    while !list.is_empty() {
        let (_, varbind, rest) = tlv(list)?;
        let (_, oid, value) = tlv(varbind)?;
        let (tag, _, _) = tlv(value)?;
        f(oid, tag);
        list = rest;
    }
    status.last().copied()
}

/// Reads a walk's GETBULK response: the rows inside `root` (moving `last`
/// to the last of them), and whether the walk is over (an OID outside the
/// subtree, an exception, an error-status, or no varbinds).
fn scan_walk_response(datagram: &[u8], root: &[u8], last: &mut Vec<u8>) -> Option<(u64, bool)> {
    let mut rows = 0;
    let mut finished = false;
    let mut seen = false;
    let status = scan_varbinds(datagram, |oid, tag| {
        seen = true;
        if finished {
            return;
        }
        // An OID's content octets start with the root's exactly when its
        // arcs do: each arc's encoding ends its own run of bytes.
        if !oid.starts_with(root) || (0x80..=0x82).contains(&tag) {
            finished = true;
            return;
        }
        rows += 1;
        last.clear();
        last.extend_from_slice(oid);
    })?;
    Some((rows, finished || !seen || status != 0))
}

/// Writes a GetBulkRequest (non-repeaters 0) for the OID whose content
/// octets are `oid` into `out`.
fn encode_get_bulk(out: &mut Vec<u8>, community: &[u8], id: i32, max_repetitions: u32, oid: &[u8]) {
    fn header_len(len: usize) -> usize {
        match len {
            0..0x80 => 2,
            0x80..0x100 => 3,
            _ => 4,
        }
    }
    fn header(out: &mut Vec<u8>, tag: u8, len: usize) {
        out.push(tag);
        match len {
            0..0x80 => out.push(len as u8),
            0x80..0x100 => out.extend_from_slice(&[0x81, len as u8]),
            _ => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        }
    }
    fn int(value: i64) -> ([u8; 8], usize) {
        let bytes = value.to_be_bytes();
        // The shortest two's-complement form.
        let mut start = 0;
        while start < 7 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
                start += 1;
            } else {
                break;
            }
        }
        let mut out = [0; 8];
        out[..8 - start].copy_from_slice(&bytes[start..]);
        (out, 8 - start)
    }
    let ints = [int(i64::from(id)), int(0), int(i64::from(max_repetitions))];
    let varbind = header_len(oid.len()) + oid.len() + 2;
    let list = header_len(varbind) + varbind;
    let pdu = ints.iter().map(|(_, n)| 2 + n).sum::<usize>() + header_len(list) + list;
    let message = 3 + header_len(community.len()) + community.len() + header_len(pdu) + pdu;
    out.clear();
    header(out, 0x30, message);
    out.extend_from_slice(&[0x02, 0x01, 0x01]);
    header(out, 0x04, community.len());
    out.extend_from_slice(community);
    header(out, 0xa5, pdu);
    for (bytes, n) in &ints {
        header(out, 0x02, *n);
        out.extend_from_slice(&bytes[..*n]);
    }
    header(out, 0x30, list);
    header(out, 0x30, varbind);
    header(out, 0x06, oid.len());
    out.extend_from_slice(oid);
    out.extend_from_slice(&[0x05, 0x00]);
}

#[cfg(test)]
mod tests {
    use snmux::{AnyPdu, Bytes, Value, oid};

    use super::*;

    #[test]
    fn a_slot_completes_once_and_only_with_its_id() {
        let t0 = Instant::now();
        let mut flight = InFlight::new(16);
        let first = flight.start(3, t0);
        let other = flight.start(4, t0);
        let later = t0 + Duration::from_micros(250);
        assert_eq!(
            flight.complete(first, later),
            Some((3, Duration::from_micros(250)))
        );
        // A duplicate of the response.
        assert_eq!(flight.complete(first, later), None);
        // The slot's next request: the old id no longer matches it.
        let second = flight.start(3, later);
        assert_ne!(second, first);
        assert_eq!(flight.complete(first, later), None);
        assert_eq!(flight.complete(second, later), Some((3, Duration::ZERO)));
        // Ids of no slot: before the base, and 0.
        assert_eq!(flight.complete(0, later), None);
        assert_eq!(flight.complete(-5, later), None);
        assert_eq!(flight.complete(other, later).map(|(s, _)| s), Some(4));
    }

    #[test]
    fn hand_encoded_get_bulk_is_what_snmux_encodes() {
        let root = table_root(100_000);
        let content = oid_content(&root).unwrap();
        for (id, mr) in [(ID_BASE + 5, 10), (1, 50), (0x7fff_ffff, 200)] {
            let mut ours = Vec::new();
            encode_get_bulk(&mut ours, b"public", id, mr, &content);
            let pdu = Pdu::get_bulk(id, 0, mr as i32, vec![VarBind::null(root.clone())]);
            let theirs = Message::new(Version::V2c, "public", pdu).to_bytes();
            assert_eq!(ours, theirs.to_vec());
        }
    }

    #[test]
    fn template_patches_the_request_id() {
        let mut t = GetTemplate::new("public").unwrap();
        let bytes = Bytes::copy_from_slice(t.patch(ID_BASE + 0x0123_4567));
        let m = Message::decode(&bytes).unwrap();
        let AnyPdu::Pdu(pdu) = m.pdu else { panic!() };
        assert_eq!(pdu.request_id, ID_BASE + 0x0123_4567);
        assert_eq!(pdu.varbinds[0].oid, sys_descr());
    }

    #[test]
    fn slots_round_trip() {
        for slots in [1, 16, 1000, 100_000] {
            for slot in [0, slots / 2, slots - 1] {
                for generation in [0, 1, 7, 1 << 20] {
                    let id = request_id(slot, generation, slots);
                    assert!(id > 0);
                    assert_eq!(
                        slot_of(id, slots),
                        Some(slot),
                        "{slots} {slot} {generation}"
                    );
                }
            }
        }
    }

    #[test]
    fn walk_scan_stops_outside_the_subtree() {
        let root = oid!(1, 3, 6, 1, 4, 1, 99999, 2, 89);
        let vbs = vec![
            VarBind::new(root.join(&[1, 1, 88]), Value::Integer(1)),
            VarBind::new(root.join(&[1, 1, 89]), Value::Integer(2)),
            VarBind::new(oid!(1, 3, 6, 1, 4, 1, 99999, 3, 0), Value::Integer(3)),
        ];
        let bytes =
            Message::new(Version::V2c, "public", Pdu::new(PduType::Response, 9, vbs)).to_bytes();
        let mut last = Vec::new();
        let root_content = oid_content(&root).unwrap();
        assert_eq!(
            scan_walk_response(&bytes, &root_content, &mut last),
            Some((2, true))
        );
        assert_eq!(last, oid_content(&root.join(&[1, 1, 89])).unwrap());
        assert_eq!(response_id(&bytes), Some(9));
    }
}
