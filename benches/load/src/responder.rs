//! The responder: an SNMPv1/v2c command responder on many UDP ports, built
//! on snmux's codec, that answers GET, GETNEXT and GETBULK from the
//! synthetic [`Mib`] as fast as one thread can.
//!
//! Design: one thread, non-blocking sockets (one per port) registered with
//! one level-triggered epoll. A ready socket is read with `recvmmsg` up to
//! [`MMSG`] datagrams at a time and their responses go out with one
//! `sendmmsg`, or, for a run of responses of one length to one client (the
//! usual batch), one `sendmsg` with UDP GSO (`UDP_SEGMENT`) that carries
//! them through the network stack once: on loopback most of a datagram's
//! cost is the kernel's, and at 256 requests in flight the responder's
//! core is the bottleneck of the fastest clients. The client receives the
//! same datagrams either way (the kernel cuts them apart before they reach
//! its socket, in the softirq of the responder's send). A request is
//! decoded with `MessageHeader`
//! and its varbinds; the response is encoded into a reused `Vec` (the
//! encoders write a byte at a time, which a `Vec` takes inline), with a
//! reused varbind `Vec`.

use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::socket::{
    ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, sendmmsg,
};
use snmux::usm::{AuthKey, AuthProtocol, PRIV_PARAMS_LEN, PrivKey, PrivProtocol, SaltCounter};
use snmux::{
    AnyPdu, Bytes, BytesMut, FLAG_AUTH, FLAG_PRIV, HeaderV3, Message, MessageHeader, MessageV3,
    MsgData, Pdu, PduType, SECURITY_MODEL_USM, ScopedPdu, UsmSecurityParameters, Value, VarBind,
    Version, oid, peek_version,
};
use socket2::{Domain, Protocol, Socket, Type};

use crate::mib::Mib;
use crate::{ResponderArgs, SilentArgs};

/// Datagrams read (and answered) by one `recvmmsg` (and `sendmmsg`).
const MMSG: usize = 32;
/// Batches read from one socket before the others get a turn.
const ROUNDS: usize = 4;
/// The largest request read; longer ones are truncated, and dropped.
const MAX_REQUEST: usize = 4096;
/// The most repetitions a GETBULK gets, whatever it asks.
const MAX_REPETITIONS: usize = 1000;

/// Serves until killed.
pub(crate) fn serve(args: &ResponderArgs) -> Result<(), String> {
    let (first, count) = args.ports.range()?;
    let mib = Mib::new(&args.tables);
    let sockets = (0..count)
        .map(|i| {
            bind(
                SocketAddr::new(args.bind, first + i),
                Some(args.recv_buffer),
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).map_err(|e| format!("epoll: {e}"))?;
    for (i, s) in sockets.iter().enumerate() {
        epoll
            .add(s, EpollEvent::new(EpollFlags::EPOLLIN, i as u64))
            .map_err(|e| format!("epoll_ctl: {e}"))?;
    }
    eprintln!(
        "responder: ready on {}:{}..={} ({} ports), {} objects",
        args.bind,
        first,
        first + (count - 1),
        count,
        mib.len()
    );
    let mut agent = Agent::new(mib, &args.community, !args.no_v3)?;
    let mut batch = Batch::new();
    let mut pace = args.max_rate.map(Pace::new);
    let mut events = vec![EpollEvent::empty(); 256];
    // Spinning, a poll returns at once; otherwise it sleeps until a
    // request arrives.
    let timeout = if args.spin {
        EpollTimeout::ZERO
    } else {
        EpollTimeout::NONE
    };
    loop {
        let n = match epoll.wait(&mut events, timeout) {
            Ok(0) => continue,
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(format!("epoll_wait: {e}")),
        };
        for event in &events[..n] {
            let socket = &sockets[event.data() as usize];
            for _ in 0..ROUNDS {
                let busy_since = Instant::now();
                let n = batch.serve(socket, &mut agent);
                // The pace's waits are not counted.
                agent.pdus.busy += busy_since.elapsed();
                if let Some(pace) = &mut pace {
                    pace.answered(n);
                }
                if n < MMSG {
                    break;
                }
            }
        }
    }
}

/// A cap on the answer rate (`--max-rate`): after each batch, waits until
/// the batch's answers are due at that rate. Credit for time spent idle is
/// kept for at most [`Pace::SLACK`], so that a burst after a pause is not
/// answered faster than the rate.
struct Pace {
    /// Time per answer.
    interval: Duration,
    /// When the next answer is due.
    next: Instant,
}

impl Pace {
    const SLACK: Duration = Duration::from_millis(1);

    fn new(per_second: u32) -> Pace {
        Pace {
            interval: Duration::from_secs(1) / per_second.max(1),
            next: Instant::now(),
        }
    }

    /// `n` requests were just answered: waits until the next is due.
    fn answered(&mut self, n: usize) {
        if n == 0 {
            return;
        }
        let now = Instant::now();
        self.next = self.next.max(now.checked_sub(Self::SLACK).unwrap_or(now));
        self.next += self.interval * u32::try_from(n).unwrap_or(u32::MAX);
        // A spin, not a sleep: the wait is microseconds, and a sleep's
        // wake-up would set the pace instead.
        while Instant::now() < self.next {
            std::hint::spin_loop();
        }
    }
}

/// The buffers of one `recvmmsg` and one `sendmmsg`, reused.
struct Batch {
    rx_headers: MultiHeaders<SockaddrStorage>,
    tx_headers: MultiHeaders<SockaddrStorage>,
    requests: Vec<Vec<u8>>,
    received: Vec<(usize, Option<SockaddrStorage>)>,
    responses: Vec<Vec<u8>>,
    to: Vec<Option<SockaddrStorage>>,
    /// Whether runs of responses go out with UDP GSO; cleared if the
    /// kernel refuses it.
    gso: bool,
}

/// The most bytes one GSO send carries (a UDP datagram's limit, less room
/// for headers).
const GSO_MAX_BYTES: usize = 60_000;

/// How many responses from `from` on go to the same address with the same
/// length, at most [`GSO_MAX_BYTES`] in all: one GSO send's worth.
fn gso_run(responses: &[Vec<u8>], to: &[Option<SockaddrStorage>], from: usize) -> usize {
    let len = responses[from].len();
    let max = (GSO_MAX_BYTES / len.max(1)).max(1);
    (from..responses.len().min(to.len()))
        .take(max)
        .take_while(|&i| to[i] == to[from] && responses[i].len() == len)
        .count()
}

impl Batch {
    fn new() -> Batch {
        Batch {
            rx_headers: MultiHeaders::preallocate(MMSG, None),
            tx_headers: MultiHeaders::preallocate(MMSG, None),
            requests: vec![vec![0; MAX_REQUEST]; MMSG],
            received: Vec::with_capacity(MMSG),
            responses: (0..MMSG).map(|_| Vec::with_capacity(4096)).collect(),
            to: Vec::with_capacity(MMSG),
            gso: true,
        }
    }

    /// Reads up to [`MMSG`] requests from `socket` and sends their
    /// responses; returns how many were read.
    fn serve(&mut self, socket: &UdpSocket, agent: &mut Agent) -> usize {
        let fd = socket.as_raw_fd();
        self.received.clear();
        {
            let mut slices: Vec<[IoSliceMut<'_>; 1]> = self
                .requests
                .iter_mut()
                .map(|b| [IoSliceMut::new(b)])
                .collect();
            match recvmmsg(
                fd,
                &mut self.rx_headers,
                slices.iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            ) {
                Ok(results) => self.received.extend(results.map(|r| (r.bytes, r.address))),
                // EAGAIN, EINTR, or an ICMP error of an earlier send: the
                // next readiness event tries again.
                Err(_) => return 0,
            }
        }
        self.to.clear();
        let mut n = 0;
        for (i, &(len, from)) in self.received.iter().enumerate() {
            let out = &mut self.responses[n];
            out.clear();
            if agent.answer(&self.requests[i][..len.min(MAX_REQUEST)], out) {
                self.to.push(from);
                n += 1;
            }
        }
        let mut sent = 0;
        while sent < n {
            // The responses of a batch mostly go to one client, alike in
            // length: one GSO send carries them through the network stack
            // once, and the kernel cuts them into the same datagrams.
            let run = if self.gso {
                gso_run(&self.responses[..n], &self.to, sent)
            } else {
                0
            };
            // A run of two or more is at most GSO_MAX_BYTES: its length fits.
            if let (2.., Ok(segment)) = (run, u16::try_from(self.responses[sent].len())) {
                let slices: Vec<IoSlice<'_>> = self.responses[sent..sent + run]
                    .iter()
                    .map(|b| IoSlice::new(b))
                    .collect();
                match nix::sys::socket::sendmsg(
                    fd,
                    &slices,
                    &[ControlMessage::UdpGsoSegments(&segment)],
                    MsgFlags::MSG_DONTWAIT,
                    self.to[sent].as_ref(),
                ) {
                    Ok(_) => sent += run,
                    Err(Errno::EINTR) => {}
                    Err(Errno::EIO | Errno::EINVAL | Errno::ENOPROTOOPT | Errno::EOPNOTSUPP) => {
                        self.gso = false;
                    }
                    // A full send buffer drops the rest, as UDP may.
                    Err(_) => break,
                }
                continue;
            }
            // Up to where the next run begins, which the next turn sends.
            let end = (sent + 1..n)
                .find(|&i| self.gso && gso_run(&self.responses[..n], &self.to, i) >= 2)
                .unwrap_or(n);
            let slices: Vec<[IoSlice<'_>; 1]> = self.responses[sent..end]
                .iter()
                .map(|b| [IoSlice::new(b)])
                .collect();
            let no_cmsgs: [ControlMessage<'_>; 0] = [];
            match sendmmsg(
                fd,
                &mut self.tx_headers,
                slices.iter(),
                &self.to[sent..end],
                no_cmsgs,
                MsgFlags::MSG_DONTWAIT,
            ) {
                Ok(results) => match results.count() {
                    0 => break,
                    k => sent += k,
                },
                Err(Errno::EINTR) => {}
                // A full send buffer drops the rest, as UDP may.
                Err(_) => break,
            }
        }
        self.received.len()
    }
}

/// Binds the ports and never reads them: an agent that never answers.
pub(crate) fn silent(args: &SilentArgs) -> Result<(), String> {
    let (first, count) = args.ports.range()?;
    let _sockets = (0..count)
        .map(|i| bind(SocketAddr::new(args.bind, first + i), None))
        .collect::<Result<Vec<_>, _>>()?;
    eprintln!(
        "silent: ready on {}:{}..={}",
        args.bind,
        first,
        first + (count - 1)
    );
    loop {
        std::thread::park();
    }
}

fn bind(addr: SocketAddr, recv_buffer: Option<usize>) -> Result<UdpSocket, String> {
    let domain = match addr.ip() {
        IpAddr::V4(_) => Domain::IPV4,
        IpAddr::V6(_) => Domain::IPV6,
    };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| format!("socket: {e}"))?;
    if let Some(bytes) = recv_buffer {
        // Capped by net.core.rmem_max: a hint, not a requirement.
        let _ = socket.set_recv_buffer_size(bytes);
        let _ = socket.set_send_buffer_size(bytes);
    }
    socket
        .set_nonblocking(true)
        .map_err(|e| format!("{addr}: {e}"))?;
    socket
        .bind(&addr.into())
        .map_err(|e| format!("bind {addr}: {e}"))?;
    Ok(socket.into())
}

/// The command responder proper: bytes in, bytes out.
pub(crate) struct Agent {
    pdus: PduAgent,
    community: Vec<u8>,
    /// SNMPv3 (USM) user, when the responder answers SNMPv3.
    v3: Option<V3Agent>,
}

/// The SNMPv3 user and engine the responder answers as: one user, authPriv
/// or authNoPriv, keys localized once, engineBoots 1 and engineTime the
/// seconds since start (plus 1000). What the clients' USM needs, and no more:
/// discovery Reports, verify and decrypt, encrypt and sign.
struct V3Agent {
    engine_id: Bytes,
    user: Bytes,
    auth: AuthKey,
    privacy: PrivKey,
    salts: SaltCounter,
    start: Instant,
    unknown_engine_ids: u32,
    /// The decrypted scopedPDU of a request, reused.
    plain: BytesMut,
}

/// The SNMPv3 credentials of the bench: user `bench`, HMAC-SHA-256,
/// AES-128, and these passphrases (the clients use the same).
pub(crate) const V3_USER: &str = "bench";
pub(crate) const V3_AUTH_PASSWORD: &str = "bench-auth-pass";
pub(crate) const V3_PRIV_PASSWORD: &str = "bench-priv-pass";
/// The responder's snmpEngineID (enterprise 8072 net-snmp, text format).
const V3_ENGINE_ID: &[u8] = b"\x80\x00\x1f\x88\x04snmux-bench";

impl Agent {
    pub(crate) fn new(mib: Mib, community: &str, v3: bool) -> Result<Agent, String> {
        let v3 = if v3 {
            let engine_id = Bytes::from_static(V3_ENGINE_ID);
            let auth = AuthKey::from_password(AuthProtocol::Sha256, V3_AUTH_PASSWORD, &engine_id)
                .map_err(|e| e.to_string())?;
            let privacy = PrivKey::from_password(
                AuthProtocol::Sha256,
                PrivProtocol::Aes128,
                V3_PRIV_PASSWORD,
                &engine_id,
            )
            .map_err(|e| e.to_string())?;
            Some(V3Agent {
                engine_id,
                user: Bytes::from_static(V3_USER.as_bytes()),
                auth,
                privacy,
                salts: SaltCounter::new(),
                start: Instant::now(),
                unknown_engine_ids: 0,
                plain: BytesMut::new(),
            })
        } else {
            None
        };
        Ok(Agent {
            pdus: PduAgent {
                mib,
                varbinds: Vec::new(),
                cursors: Vec::new(),
                busy: Duration::ZERO,
            },
            community: community.as_bytes().to_vec(),
            v3,
        })
    }

    /// Writes the response to `request` into `out`; `false` to drop it
    /// (malformed, another community or user, not a request).
    fn answer(&mut self, request: &[u8], out: &mut Vec<u8>) -> bool {
        let bytes = Bytes::copy_from_slice(request);
        if matches!(peek_version(&bytes), Ok(Version::V3)) {
            return match &mut self.v3 {
                Some(v3) => v3.answer(&mut self.pdus, &bytes, out).is_some(),
                None => false,
            };
        }
        let Ok(header) = MessageHeader::decode(&bytes) else {
            return false;
        };
        if header.community != self.community.as_slice() {
            return false;
        }
        let Ok(asked) = header.varbinds(&bytes) else {
            return false;
        };
        let Some(varbinds) = self.pdus.respond(
            header.pdu_type,
            header.error_status,
            header.error_index,
            &asked,
        ) else {
            return false;
        };
        let message = Message {
            version: header.version,
            community: bytes.slice_ref(header.community),
            pdu: AnyPdu::Pdu(Pdu::new(PduType::Response, header.request_id, varbinds)),
        };
        message.encode(out);
        if let AnyPdu::Pdu(pdu) = message.pdu {
            self.pdus.varbinds = pdu.varbinds;
        }
        true
    }
}

impl V3Agent {
    /// An SNMPv3 request (RFC 3412 §7.2, RFC 3414 §3.2 on the agent's side,
    /// without the time window: the clients are ours).
    fn answer(&mut self, pdus: &mut PduAgent, bytes: &Bytes, out: &mut Vec<u8>) -> Option<()> {
        let h = HeaderV3::decode(bytes).ok()?;
        if h.security_model != SECURITY_MODEL_USM {
            return None;
        }
        let boots = 1;
        let time = 1000 + u32::try_from(self.start.elapsed().as_secs()).unwrap_or(u32::MAX);
        if h.flags & FLAG_AUTH == 0 {
            // Discovery (RFC 3414 §4): a Report of usmStatsUnknownEngineIDs
            // that tells the engine, its boots and time.
            let scoped = h.scoped_pdu(bytes).ok()?;
            self.unknown_engine_ids = self.unknown_engine_ids.wrapping_add(1);
            let report = ScopedPdu {
                context_engine_id: self.engine_id.clone(),
                context_name: Bytes::new(),
                pdu: Pdu::new(
                    PduType::Report,
                    scoped.pdu.request_id,
                    vec![VarBind::new(
                        oid!(1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0),
                        Value::Counter32(self.unknown_engine_ids),
                    )],
                ),
            };
            let message = MessageV3 {
                msg_id: h.msg_id,
                max_size: 65507,
                flags: 0,
                security_model: SECURITY_MODEL_USM,
                usm: UsmSecurityParameters {
                    engine_id: self.engine_id.clone(),
                    engine_boots: boots,
                    engine_time: time,
                    user_name: bytes.slice_ref(h.user_name),
                    auth_params: Bytes::new(),
                    priv_params: Bytes::new(),
                },
                data: MsgData::Plaintext(report),
            };
            message.encode(out);
            return Some(());
        }
        if h.user_name != self.user.as_ref() || h.engine_id != self.engine_id.as_ref() {
            return None;
        }
        self.auth.check(bytes, h.auth_params_offset).ok()?;
        let private = h.flags & FLAG_PRIV != 0;
        let scoped = if private {
            // Decrypted in a reused buffer, then read from one `Bytes` of it.
            let mut plain = std::mem::take(&mut self.plain);
            plain.clear();
            plain.extend_from_slice(h.encrypted()?);
            self.privacy
                .decrypt_in_place(h.engine_boots, h.engine_time, h.priv_params, &mut plain)
                .ok()?;
            let plain = plain.freeze();
            let scoped = ScopedPdu::decode(&plain);
            self.plain = reclaim(plain);
            scoped.ok()?
        } else {
            h.scoped_pdu(bytes).ok()?
        };
        let pdu = &scoped.pdu;
        let varbinds = pdus.respond(
            pdu.pdu_type,
            pdu.error_status,
            pdu.error_index,
            &pdu.varbinds,
        )?;
        let response = ScopedPdu {
            context_engine_id: scoped.context_engine_id.clone(),
            context_name: scoped.context_name.clone(),
            pdu: Pdu::new(PduType::Response, pdu.request_id, varbinds),
        };
        let mac_len = AuthProtocol::Sha256.mac_len();
        let scoped_len = response.encoded_len();
        let cipher_len = PrivProtocol::Aes128.ciphertext_len(scoped_len);
        // With privacy the message is written with zeros where the
        // encryptedPDU goes, the scopedPDU is written over them and
        // encrypted where it lies, and the whole message is signed in place:
        // no buffer but `out`.
        let zeros = |n: usize| Bytes::from_static(&ZEROS[..n]);
        if private && cipher_len > ZEROS.len() {
            return None;
        }
        let (data, to_encrypt) = if private {
            (MsgData::Encrypted(zeros(cipher_len)), Some(response))
        } else {
            (MsgData::Plaintext(response), None)
        };
        let message = MessageV3 {
            msg_id: h.msg_id,
            max_size: 65507,
            flags: FLAG_AUTH | if private { FLAG_PRIV } else { 0 },
            security_model: SECURITY_MODEL_USM,
            usm: UsmSecurityParameters {
                engine_id: self.engine_id.clone(),
                engine_boots: boots,
                engine_time: time,
                user_name: self.user.clone(),
                auth_params: zeros(mac_len),
                priv_params: zeros(if private { PRIV_PARAMS_LEN } else { 0 }),
            },
            data,
        };
        let start = out.len();
        let auth_offset = message.encode(out);
        if let MsgData::Plaintext(response) = message.data {
            pdus.varbinds = response.pdu.varbinds;
        } else if let Some(response) = to_encrypt {
            let end = out.len();
            out.truncate(end - cipher_len);
            let data = out.len();
            response.encode(out);
            out.resize(end, 0);
            let params = self
                .privacy
                .encrypt_in_place(boots, time, self.salts.next(), &mut out[data..], scoped_len)
                .ok()?;
            // msgPrivacyParameters follows msgAuthenticationParameters,
            // after its tag and one-byte length.
            let at = start + auth_offset + mac_len + 2;
            out[at..at + PRIV_PARAMS_LEN].copy_from_slice(&params);
            pdus.varbinds = response.pdu.varbinds;
        }
        self.auth.sign(&mut out[start..], auth_offset).ok()?;
        Some(())
    }
}

/// Zeros to encode placeholders from: msgAuthenticationParameters,
/// msgPrivacyParameters, and an encryptedPDU (up to one request's size).
static ZEROS: [u8; MAX_REQUEST] = [0; MAX_REQUEST];

/// `bytes`' buffer back, for reuse, when nothing else refers to it.
fn reclaim(bytes: Bytes) -> BytesMut {
    bytes.try_into_mut().unwrap_or_default()
}

/// GET, GETNEXT and GETBULK over the MIB, with reused buffers.
struct PduAgent {
    mib: Mib,
    /// The response's varbinds, reused.
    varbinds: Vec<VarBind>,
    /// GETBULK: the next object index of each repeater, reused.
    cursors: Vec<usize>,
    /// The time spent answering so far: what GET of [`BUSY_ARCS`] reads.
    busy: Duration,
}

/// The responder's busy time, in µs (Counter64), outside the walked MIB:
/// the time it spent answering, as opposed to waiting or spinning
/// (`--spin`), which its CPU time does not tell apart.
pub(crate) const BUSY_ARCS: &[u32] = &[1, 3, 6, 1, 4, 1, 99999, 4, 0];

impl PduAgent {
    /// The response's varbinds to a request PDU (`None` for another PDU
    /// type). Give the Vec back in `self.varbinds` to reuse it.
    fn respond(
        &mut self,
        pdu_type: PduType,
        error_status: i32,
        error_index: i32,
        asked: &[VarBind],
    ) -> Option<Vec<VarBind>> {
        let mut varbinds = std::mem::take(&mut self.varbinds);
        varbinds.clear();
        match pdu_type {
            PduType::GetRequest => {
                varbinds.extend(asked.iter().map(|vb| {
                    if vb.oid.arcs() == BUSY_ARCS {
                        let us = u64::try_from(self.busy.as_micros()).unwrap_or(u64::MAX);
                        VarBind::new(vb.oid.clone(), Value::Counter64(us))
                    } else {
                        self.mib.get(&vb.oid)
                    }
                }));
            }
            PduType::GetNextRequest => {
                varbinds.extend(
                    asked
                        .iter()
                        .map(|vb| self.mib.at(self.mib.next_index(&vb.oid), &vb.oid)),
                );
            }
            PduType::GetBulkRequest => {
                // RFC 3416 §4.2.3: GETNEXT once for each non-repeater, then
                // max-repetitions rounds over the repeaters, interleaved.
                let non_repeaters = usize::try_from(error_status).unwrap_or(0).min(asked.len());
                let repetitions = usize::try_from(error_index)
                    .unwrap_or(0)
                    .min(MAX_REPETITIONS);
                let (singles, repeaters) = asked.split_at(non_repeaters);
                varbinds.extend(
                    singles
                        .iter()
                        .map(|vb| self.mib.at(self.mib.next_index(&vb.oid), &vb.oid)),
                );
                self.cursors.clear();
                self.cursors
                    .extend(repeaters.iter().map(|vb| self.mib.next_index(&vb.oid)));
                for round in 0..repetitions {
                    for (cursor, vb) in self.cursors.iter_mut().zip(repeaters) {
                        // Each round asks for what follows the previous
                        // round's names, so past the end endOfMibView is
                        // named after the last object, not the request's.
                        varbinds.push(if round == 0 {
                            self.mib.at(*cursor, &vb.oid)
                        } else {
                            self.mib.at(*cursor, self.mib.last_name())
                        });
                        *cursor += 1;
                    }
                    // One round of endOfMibView ends the response.
                    if self.cursors.iter().all(|&i| i > self.mib.len()) {
                        break;
                    }
                }
            }
            _ => {
                self.varbinds = varbinds;
                return None;
            }
        }
        Some(varbinds)
    }
}

#[cfg(test)]
mod tests {
    use snmux::Oid;

    use super::*;
    use crate::mib::{sys_descr, table_root};

    fn agent() -> Agent {
        Agent::new(Mib::new(&[89]), "public", true).expect("valid credentials")
    }

    fn ask(agent: &mut Agent, pdu: Pdu) -> Pdu {
        let request = Message::new(Version::V2c, "public", pdu).to_bytes();
        let mut out = Vec::new();
        assert!(agent.answer(&request, &mut out), "an answer");
        let message = Message::decode(&Bytes::from(out)).expect("decodes");
        match message.pdu {
            AnyPdu::Pdu(pdu) => pdu,
            AnyPdu::TrapV1(_) => panic!("a trap"),
        }
    }

    /// Requests from two clients, of two lengths, interleaved, read from a
    /// socket in batches: every one is answered once, to its client, with
    /// the bytes `answer` makes; runs of responses go out with GSO.
    #[test]
    fn a_batch_answers_each_request_to_its_client() {
        let socket = bind("127.0.0.1:0".parse().expect("literal"), None).expect("bind");
        socket.set_nonblocking(true).expect("non-blocking");
        let to = socket.local_addr().expect("addr");
        let clients = [
            UdpSocket::bind("127.0.0.1:0").expect("bind"),
            UdpSocket::bind("127.0.0.1:0").expect("bind"),
        ];
        let mut expected: Vec<Vec<Vec<u8>>> = vec![Vec::new(), Vec::new()];
        let mut reference = agent();
        for id in 1_000..1_100 {
            // Every fifth request from the second client, every seventh
            // a GETNEXT (another length).
            let c = usize::from(id % 5 == 0);
            let pdu_type = match id % 7 {
                0 => PduType::GetNextRequest,
                _ => PduType::GetRequest,
            };
            let request = Message::new(
                Version::V2c,
                "public",
                Pdu::new(pdu_type, id, vec![VarBind::null(sys_descr())]),
            )
            .to_bytes();
            clients[c].send_to(&request, to).expect("send");
            let mut out = Vec::new();
            assert!(reference.answer(&request, &mut out));
            expected[c].push(out);
        }
        let mut agent = agent();
        let mut batch = Batch::new();
        let mut answered = 0;
        while answered < 100 {
            let n = batch.serve(&socket, &mut agent);
            assert!(n > 0, "requests wait: {answered} answered");
            answered += n;
        }
        assert!(batch.gso, "loopback takes GSO");
        for (client, expected) in clients.iter().zip(&expected) {
            client
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            let mut got = Vec::new();
            for _ in 0..expected.len() {
                let mut buf = [0u8; 4096];
                let (len, from) = client.recv_from(&mut buf).expect("a response");
                assert_eq!(from, to);
                got.push(buf[..len].to_vec());
            }
            let mut want = expected.clone();
            want.sort();
            got.sort();
            assert_eq!(got, want);
        }
    }

    /// The busy time a responder counts is what a client reads over SNMP.
    #[test]
    fn a_client_reads_the_busy_time() {
        let socket = bind("127.0.0.1:0".parse().expect("literal"), None).expect("bind");
        socket.set_nonblocking(true).expect("non-blocking");
        let addr = socket.local_addr().expect("addr");
        let server = std::thread::spawn(move || {
            let mut agent = agent();
            agent.pdus.busy = Duration::from_micros(1_234_567);
            let mut batch = Batch::new();
            while batch.serve(&socket, &mut agent) == 0 {
                std::thread::yield_now();
            }
        });
        let busy = crate::measure::responder_busy(addr, "public");
        server.join().expect("the server");
        assert_eq!(busy, Some(Duration::from_micros(1_234_567)));
        // A responder that does not answer: no figure, after the wait.
        let socket = bind("127.0.0.1:0".parse().expect("literal"), None).expect("bind");
        let addr = socket.local_addr().expect("addr");
        assert_eq!(crate::measure::responder_busy(addr, "public"), None);
    }

    #[test]
    fn get_next_and_bulk() {
        let mut agent = agent();
        let get = ask(
            &mut agent,
            Pdu::new(PduType::GetRequest, 7, vec![VarBind::null(sys_descr())]),
        );
        assert_eq!(get.request_id, 7);
        assert_eq!(get.pdu_type, PduType::Response);
        assert!(get.varbinds[0].value.as_str().is_some());

        let root = table_root(89);
        let next = ask(
            &mut agent,
            Pdu::new(
                PduType::GetNextRequest,
                8,
                vec![VarBind::null(root.clone())],
            ),
        );
        assert_eq!(next.varbinds[0].oid, root.join(&[1, 1, 1]));

        let last: Oid = root.join(&[1, 1, 80]);
        let bulk = ask(
            &mut agent,
            Pdu::get_bulk(9, 0, 25, vec![VarBind::null(last)]),
        );
        // Rows 81..=89, the scalar after the tables, then one endOfMibView.
        assert_eq!(bulk.varbinds.len(), 11);
        assert_eq!(bulk.varbinds[0].oid, root.join(&[1, 1, 81]));
        assert!(!bulk.varbinds[9].oid.starts_with(&root));
        assert_eq!(bulk.varbinds[10].value, Value::EndOfMibView);
        assert_eq!(bulk.varbinds[10].oid, bulk.varbinds[9].oid);
    }

    #[test]
    fn another_community_is_dropped() {
        let mut agent = agent();
        let request = Message::new(
            Version::V2c,
            "private",
            Pdu::new(PduType::GetRequest, 1, vec![VarBind::null(sys_descr())]),
        )
        .to_bytes();
        assert!(!agent.answer(&request, &mut Vec::new()));
    }

    /// SNMPv3 discovery (RFC 3414 §4): a Report of usmStatsUnknownEngineIDs
    /// with the responder's engine; an authenticated request with a wrong
    /// key is dropped.
    #[test]
    fn v3_discovery_report_and_a_wrong_key_dropped() {
        let mut agent = agent();
        let probe = |flags: u8, engine_id: Bytes, auth_params: Bytes| {
            let message = MessageV3 {
                msg_id: 77,
                max_size: 65507,
                flags,
                security_model: SECURITY_MODEL_USM,
                usm: UsmSecurityParameters {
                    engine_id,
                    engine_boots: 0,
                    engine_time: 0,
                    user_name: Bytes::from_static(V3_USER.as_bytes()),
                    auth_params,
                    priv_params: Bytes::new(),
                },
                data: MsgData::Plaintext(ScopedPdu {
                    context_engine_id: Bytes::new(),
                    context_name: Bytes::new(),
                    pdu: Pdu::new(PduType::GetRequest, 5, Vec::new()),
                }),
            };
            let mut buf = BytesMut::new();
            message.encode(&mut buf);
            buf
        };
        let mut out = Vec::new();
        assert!(agent.answer(
            &probe(snmux::FLAG_REPORTABLE, Bytes::new(), Bytes::new()),
            &mut out
        ));
        let (report, _) = MessageV3::decode(&Bytes::from(out)).expect("decodes");
        assert_eq!(report.msg_id, 77);
        assert_eq!(report.usm.engine_id.as_ref(), V3_ENGINE_ID);
        let MsgData::Plaintext(scoped) = report.data else {
            panic!("a plaintext Report");
        };
        assert_eq!(scoped.pdu.pdu_type, PduType::Report);
        assert_eq!(
            scoped.pdu.varbinds[0].oid,
            oid!(1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0)
        );

        // Signed with zeros instead of the key: dropped.
        let forged = probe(
            FLAG_AUTH,
            Bytes::from_static(V3_ENGINE_ID),
            Bytes::from(vec![0; 24]),
        );
        assert!(!agent.answer(&forged, &mut Vec::new()));
    }

    /// An authenticated GET, with and without privacy, is answered with a
    /// response that the same keys verify (and decrypt), to the same msgID
    /// and request-id.
    #[test]
    fn v3_get_answered_signed_and_encrypted() {
        let mut agent = agent();
        let engine_id = Bytes::from_static(V3_ENGINE_ID);
        let auth = AuthKey::from_password(AuthProtocol::Sha256, V3_AUTH_PASSWORD, &engine_id)
            .expect("key");
        let privacy = PrivKey::from_password(
            AuthProtocol::Sha256,
            PrivProtocol::Aes128,
            V3_PRIV_PASSWORD,
            &engine_id,
        )
        .expect("key");
        for private in [true, false] {
            let scoped = ScopedPdu {
                context_engine_id: engine_id.clone(),
                context_name: Bytes::new(),
                pdu: Pdu::new(PduType::GetRequest, 4242, vec![VarBind::null(sys_descr())]),
            };
            let (data, priv_params) = if private {
                let mut plain = Vec::new();
                scoped.encode(&mut plain);
                let (encrypted, params) = privacy.encrypt(1, 1000, 99, &plain);
                (
                    MsgData::Encrypted(Bytes::from(encrypted)),
                    Bytes::copy_from_slice(&params),
                )
            } else {
                (MsgData::Plaintext(scoped), Bytes::new())
            };
            let message = MessageV3 {
                msg_id: 31337,
                max_size: 65507,
                flags: snmux::FLAG_REPORTABLE | FLAG_AUTH | if private { FLAG_PRIV } else { 0 },
                security_model: SECURITY_MODEL_USM,
                usm: UsmSecurityParameters {
                    engine_id: engine_id.clone(),
                    engine_boots: 1,
                    engine_time: 1000,
                    user_name: Bytes::from_static(V3_USER.as_bytes()),
                    auth_params: Bytes::from(vec![0; 24]),
                    priv_params,
                },
                data,
            };
            let mut request = Vec::new();
            let offset = message.encode(&mut request);
            auth.sign(&mut request, offset).expect("signed");

            let mut out = vec![1, 2, 3];
            out.clear();
            assert!(
                agent.answer(&request, &mut out),
                "answered, private: {private}"
            );
            let bytes = Bytes::from(out);
            let h = HeaderV3::decode(&bytes).expect("decodes");
            assert_eq!(h.msg_id, 31337);
            assert_eq!(h.flags & FLAG_PRIV != 0, private);
            auth.check(&bytes, h.auth_params_offset)
                .expect("signed with the key");
            let scoped = if private {
                let plain = privacy
                    .decrypt(
                        h.engine_boots,
                        h.engine_time,
                        h.priv_params,
                        h.encrypted().unwrap(),
                    )
                    .expect("decrypts");
                ScopedPdu::decode(&Bytes::from(plain)).expect("decodes")
            } else {
                h.scoped_pdu(&bytes).expect("decodes")
            };
            assert_eq!(scoped.pdu.pdu_type, PduType::Response);
            assert_eq!(scoped.pdu.request_id, 4242);
            assert_eq!(scoped.context_engine_id, engine_id);
            assert_eq!(scoped.pdu.varbinds.len(), 1);
            assert_eq!(scoped.pdu.varbinds[0].oid, sys_descr());
            assert!(matches!(
                scoped.pdu.varbinds[0].value,
                Value::OctetString(_)
            ));
        }
    }

    /// The cap holds: answers are not let out faster than the rate, apart
    /// from the slack (a lower bound on the time waited: the spin may take
    /// longer on a busy machine, never shorter).
    #[test]
    fn the_pace_waits_for_the_rate() {
        let mut pace = Pace::new(1_000);
        let start = Instant::now();
        for _ in 0..4 {
            pace.answered(5);
        }
        pace.answered(0);
        assert!(start.elapsed() >= Duration::from_millis(20) - Pace::SLACK);
    }
}
