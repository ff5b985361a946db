//! The dispatcher: one transport, one receive task, a table of requests in
//! flight keyed by request-id (RFC 3412 §4.1 calls this the dispatcher's
//! job: send PDUs, and route each response to the request it answers).

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::task::Poll;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dashmap::DashMap;
use tokio::io::ReadBuf;
use tokio::sync::{Mutex, Notify, oneshot};
use tokio::time::Instant;
use tracing::{debug, trace};

use snmux_transport::Transport;
use snmux_usm::{AuthKey, PrivKey, SaltCounter};

use crate::{
    AnyPdu, DecodeError, DecodeErrorKind, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, HeaderV3, Message,
    MessageHeader, MessageV3, MsgData, Pdu, PduType, SECURITY_MODEL_USM, ScopedPdu,
    UsmSecurityParameters, Version,
};

/// The largest datagram the receive task reads (the UDP maximum).
const RECV_BUFFER: usize = 65535;

/// How many completed request-ids the receive task remembers to tell a
/// duplicate response from one that matches nothing.
const RECENT_IDS: usize = 4096;

/// Options of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestOptions {
    /// Total time for the request, including retransmissions. Default 5 s.
    pub timeout: Duration,
    /// Time between retransmissions of the request (the refresh period);
    /// the request is sent again each time it passes without a response,
    /// while the timeout allows. Default 1 s.
    pub refresh: Duration,
    /// Accept a response from any address, not only the one the request was
    /// sent to. Insecure: anyone who can guess a request-id can answer.
    /// For agents that answer from another address (multi-homed, VRRP).
    /// Default `false`.
    pub dangerous_accept_any_source: bool,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            refresh: Duration::from_secs(1),
            dangerous_accept_any_source: false,
        }
    }
}

/// The error of a request at the dispatcher.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No response arrived within the timeout.
    #[error("timeout: no response from {target} after {retransmissions} retransmissions")]
    Timeout {
        /// The agent.
        target: SocketAddr,
        /// How many times the request was sent again.
        retransmissions: u32,
    },
    /// The engine has as many requests in flight as it allows.
    #[error("busy: {max} requests in flight")]
    Busy {
        /// The maximum number of requests in flight.
        max: usize,
    },
    /// The engine was shut down, or its last handle dropped.
    #[error("the engine is shut down")]
    Closed,
    /// The request does not fit in a datagram.
    #[error("request of {size} bytes exceeds the maximum message size {max}")]
    MessageTooLarge {
        /// The encoded size.
        size: usize,
        /// The maximum.
        max: usize,
    },
    /// The response from the agent matched the request but its
    /// variable-bindings did not decode.
    #[error("malformed response: {0}")]
    Decode(DecodeError),
    /// The response to an SNMPv3 request was authenticated but could not be
    /// decrypted (RFC 3414 §3.2 step 8: a wrong privacy key or protocol).
    #[error("the response could not be decrypted (check the privacy protocol and passphrase)")]
    Decryption,
    /// The transport failed to send.
    #[error("send failed: {0}")]
    Io(#[from] io::Error),
}

/// Counters an operator can read. All are totals since the engine started,
/// except `in_flight`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Requests sent (first transmissions).
    pub sent: u64,
    /// Retransmissions sent.
    pub retransmitted: u64,
    /// Datagrams received.
    pub received: u64,
    /// Requests completed with a response.
    pub completed: u64,
    /// Requests that timed out.
    pub timed_out: u64,
    /// Received datagrams dropped because their request-id matched no
    /// request in flight (including late replies to timed-out requests).
    pub dropped_unknown_id: u64,
    /// Dropped because they came from another address than the request went to.
    pub dropped_wrong_source: u64,
    /// Dropped because their message header did not decode.
    pub dropped_decode_error: u64,
    /// Dropped because the request they answer was already completed.
    pub dropped_duplicate: u64,
    /// Dropped because version, community or PDU type did not match the request.
    pub dropped_mismatch: u64,
    /// SNMPv3 responses dropped because their HMAC did not verify.
    pub dropped_auth_failure: u64,
    /// Authenticated SNMPv3 responses dropped as outside the time window.
    pub dropped_not_in_time_window: u64,
    /// Requests in flight now.
    pub in_flight: u64,
}

#[derive(Debug, Default)]
struct Counters {
    sent: AtomicU64,
    retransmitted: AtomicU64,
    received: AtomicU64,
    completed: AtomicU64,
    timed_out: AtomicU64,
    dropped_unknown_id: AtomicU64,
    dropped_wrong_source: AtomicU64,
    dropped_decode_error: AtomicU64,
    dropped_duplicate: AtomicU64,
    dropped_mismatch: AtomicU64,
    dropped_auth_failure: AtomicU64,
    dropped_not_in_time_window: AtomicU64,
}

fn inc(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// What the receive task decided about one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Routed {
    /// It completed the request with this request-id.
    Completed(i32),
    /// It matched no request in flight.
    UnknownId,
    /// It answers a request that was already completed.
    Duplicate,
    /// It came from another address than the request went to.
    WrongSource,
    /// Version, community or PDU type did not match the request.
    Mismatch,
    /// It did not decode.
    DecodeError,
    /// An SNMPv3 response whose HMAC did not verify.
    AuthFailure,
    /// An authenticated SNMPv3 response older than the agent's clock as
    /// this side knows it (RFC 3414 §3.2 step 7b).
    NotInTimeWindow,
}

struct Entry {
    /// A community response comes as a [`ResponseV3`] without engine
    /// fields: one reply type for both kinds of request.
    tx: oneshot::Sender<Result<ResponseV3, Error>>,
    target: SocketAddr,
    expect: Expect,
    any_source: bool,
}

/// A slot of the request table: a request, or another id of one (an SNMPv3
/// retransmission's msgID, RFC 3412 §7.1 step 9).
enum Slot {
    Request(Entry),
    Alias(i32),
}

/// What a response must be to answer a request.
enum Expect {
    /// SNMPv1/v2c: keyed by request-id; same version and community.
    Community { version: Version, community: Bytes },
    /// SNMPv3: keyed by msgID; authenticated and decrypted with these keys.
    Usm(Arc<UsmExpect>),
}

/// The request-id of the scoped PDU is the msgID, the entry's key.
struct UsmExpect {
    /// The agent's engineBoots and engineTime as the request stated them,
    /// and when: the manager's notion of the agent's clock (RFC 3414 §2.3).
    engine_boots: u32,
    engine_time: u32,
    sent: Instant,
    auth: Option<Arc<AuthKey>>,
    privacy: Option<Arc<PrivKey>>,
}

impl UsmExpect {
    /// RFC 3414 §3.2 step 7b, on the manager's side: a message is outside
    /// the window if the agent's boots are latched at 2^31-1, lower than
    /// ours, or equal with a time more than 150 s before ours. Newer is
    /// fine (the agent's clock ran on).
    fn in_time_window(&self, h: &HeaderV3<'_>) -> bool {
        let elapsed = u32::try_from(self.sent.elapsed().as_secs()).unwrap_or(u32::MAX);
        let ours = self.engine_time.saturating_add(elapsed);
        h.engine_boots != snmux_usm::MAX_ENGINE_BOOTS
            && (h.engine_boots > self.engine_boots
                || (h.engine_boots == self.engine_boots
                    && h.engine_time.saturating_add(150) >= ours))
    }
}

/// The security of one SNMPv3 request with the User-based Security Model
/// (RFC 3414 §3.1.1): the user, the agent's engine, and the keys localized
/// to it. The security level follows from the keys: none (noAuthNoPriv),
/// `auth` (authNoPriv), or both (authPriv).
#[derive(Clone, Default)]
pub struct UsmRequest {
    /// msgUserName.
    pub user_name: Bytes,
    /// msgAuthoritativeEngineID: the agent's snmpEngineID (empty for
    /// discovery).
    pub engine_id: Bytes,
    /// msgAuthoritativeEngineBoots, as this side estimates it.
    pub engine_boots: u32,
    /// msgAuthoritativeEngineTime, as this side estimates it, in seconds.
    pub engine_time: u32,
    /// The authentication key localized to `engine_id`.
    pub auth: Option<Arc<AuthKey>>,
    /// The privacy key localized to `engine_id`; ignored without `auth`.
    pub privacy: Option<Arc<PrivKey>>,
    /// contextEngineID of the scoped PDU (normally `engine_id`).
    pub context_engine_id: Bytes,
    /// contextName of the scoped PDU (empty for the default context).
    pub context_name: Bytes,
}

impl fmt::Debug for UsmRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsmRequest")
            .field("user_name", &String::from_utf8_lossy(&self.user_name))
            .field("engine_id", &self.engine_id)
            .field("engine_boots", &self.engine_boots)
            .field("engine_time", &self.engine_time)
            .field("auth", &self.auth.as_ref().map(|k| k.protocol()))
            .field("privacy", &self.privacy.as_ref().map(|k| k.protocol()))
            .finish_non_exhaustive()
    }
}

/// The response to an SNMPv3 request: a Response-PDU, or a Report-PDU
/// (RFC 3412 §7.1, RFC 3414 §3.2), with the agent's engine as its message
/// states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseV3 {
    /// The PDU: [`PduType::Response`] or [`PduType::Report`].
    pub pdu: Pdu,
    /// msgAuthoritativeEngineID.
    pub engine_id: Bytes,
    /// msgAuthoritativeEngineBoots.
    pub engine_boots: u32,
    /// msgAuthoritativeEngineTime.
    pub engine_time: u32,
    /// Whether the message was authenticated with the request's key.
    pub authenticated: bool,
}

struct Shared {
    transport: Arc<dyn Transport>,
    table: DashMap<i32, Slot>,
    next_id: AtomicU32,
    in_flight: AtomicUsize,
    max_in_flight: usize,
    max_message_size: usize,
    counters: Counters,
    closed: AtomicBool,
    shutdown: Notify,
    /// Held while a request sends: see [`Shared::send`].
    send_lock: Mutex<()>,
    /// Salts of SNMPv3 privacy (RFC 3414 §8.1.1.1, RFC 3826 §3.1.2.1).
    salt: SaltCounter,
}

/// The dispatcher of one engine: a cheap handle to the shared request table
/// and transport. The receive task runs until [`Dispatcher::shutdown`].
#[derive(Clone)]
pub struct Dispatcher {
    shared: Arc<Shared>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher")
            .field("transport", &self.shared.transport)
            .field("in_flight", &self.shared.in_flight.load(Ordering::Relaxed))
            .field("closed", &self.shared.closed.load(Ordering::Relaxed))
            .finish()
    }
}

impl Dispatcher {
    /// Starts a dispatcher on `transport` and spawns its receive task.
    ///
    /// `max_in_flight` bounds the requests in flight ([`Error::Busy`]
    /// beyond it); `max_message_size` bounds the size of a request.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub fn start(
        transport: Arc<dyn Transport>,
        max_in_flight: usize,
        max_message_size: usize,
    ) -> Self {
        let shared = Arc::new(Shared {
            transport,
            table: DashMap::new(),
            next_id: AtomicU32::new(rand::random::<u32>()),
            in_flight: AtomicUsize::new(0),
            max_in_flight,
            max_message_size,
            counters: Counters::default(),
            closed: AtomicBool::new(false),
            shutdown: Notify::new(),
            send_lock: Mutex::new(()),
            salt: SaltCounter::new(),
        });
        tokio::spawn(receive_task(shared.clone()));
        Self { shared }
    }

    /// Stops the receive task. Requests in flight fail with
    /// [`Error::Closed`], and so do requests made afterwards.
    pub fn shutdown(&self) {
        self.shared.shutdown.notify_one();
    }

    /// Whether the receive task has stopped.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::SeqCst)
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Stats {
            sent: l(&c.sent),
            retransmitted: l(&c.retransmitted),
            received: l(&c.received),
            completed: l(&c.completed),
            timed_out: l(&c.timed_out),
            dropped_unknown_id: l(&c.dropped_unknown_id),
            dropped_wrong_source: l(&c.dropped_wrong_source),
            dropped_decode_error: l(&c.dropped_decode_error),
            dropped_duplicate: l(&c.dropped_duplicate),
            dropped_mismatch: l(&c.dropped_mismatch),
            dropped_auth_failure: l(&c.dropped_auth_failure),
            dropped_not_in_time_window: l(&c.dropped_not_in_time_window),
            in_flight: self.shared.in_flight.load(Ordering::Relaxed) as u64,
        }
    }

    /// The number of entries in the request table.
    pub fn table_len(&self) -> usize {
        self.shared.table.len()
    }

    /// The local address of the transport.
    ///
    /// # Errors
    ///
    /// The transport's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.shared.transport.local_addr()
    }

    /// Sends a community-based request and waits for its response.
    ///
    /// The request-id of `pdu` is replaced by a fresh one that no request in
    /// flight uses. The request is sent again every `options.refresh` with
    /// the same request-id, so a response to any transmission completes it.
    /// The response must come from `target` (unless
    /// `dangerous_accept_any_source`), with the same version and community,
    /// and be a Response-PDU.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::Busy`], [`Error::Closed`],
    /// [`Error::MessageTooLarge`], [`Error::Decode`] if the response's
    /// varbinds are malformed, or [`Error::Io`] if the first send fails.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future removes the request from the table; a response
    /// that arrives later is counted and dropped.
    pub async fn request(
        &self,
        target: SocketAddr,
        version: Version,
        community: Bytes,
        pdu: Pdu,
        options: &RequestOptions,
    ) -> Result<Pdu, Error> {
        let expect = Expect::Community {
            version,
            community: community.clone(),
        };
        let mut pdu = Some(pdu);
        let reply = self
            .exchange(target, expect, options, |id, buf| {
                // Called once: community retransmissions repeat these bytes.
                let Some(mut pdu) = pdu.take() else {
                    return Err(Error::Closed);
                };
                pdu.request_id = id;
                let message = Message {
                    version,
                    community: community.clone(),
                    pdu: AnyPdu::Pdu(pdu),
                };
                *buf = message.to_vec();
                Ok(())
            })
            .await?;
        Ok(reply.pdu)
    }

    /// Sends an SNMPv3 request (RFC 3412 §7.1, RFC 3414 §3.1) and waits for
    /// its response or Report.
    ///
    /// msgID and request-id are fresh ids that no request in flight uses;
    /// the response is found by msgID. The request is authenticated when
    /// `usm.auth` is set and encrypted when `usm.privacy` is set too. A
    /// response that claims authentication must verify with the request's
    /// key (else it is dropped and counted); a Response-PDU to an
    /// authenticated request must be authenticated; a Report may come
    /// unauthenticated (discovery, RFC 3414 §4; errors such as
    /// unknownUserName) and is returned for the caller to act on. The time
    /// window (RFC 3414 §3.2 step 7) is the caller's to check, with the
    /// boots and time of the [`ResponseV3`].
    ///
    /// # Errors
    ///
    /// As [`Dispatcher::request`], and [`Error::Decryption`].
    ///
    /// # Cancel safety
    ///
    /// As [`Dispatcher::request`].
    pub async fn request_v3(
        &self,
        target: SocketAddr,
        usm: &UsmRequest,
        pdu: Pdu,
        options: &RequestOptions,
    ) -> Result<ResponseV3, Error> {
        let privacy = usm.privacy.clone().filter(|_| usm.auth.is_some());
        let expect = Expect::Usm(Arc::new(UsmExpect {
            engine_boots: usm.engine_boots,
            engine_time: usm.engine_time,
            sent: Instant::now(),
            auth: usm.auth.clone(),
            privacy: privacy.clone(),
        }));
        self.exchange(target, expect, options, |id, buf| {
            let salt = privacy.as_ref().map(|_| self.shared.salt.next());
            encode_v3(usm, privacy.as_deref(), salt, id, pdu.clone(), buf)
        })
        .await
    }

    /// One exchange: a table entry with a fresh id, the message `encode`
    /// writes for that id, sent and sent again every refresh period until a
    /// reply, the timeout, or cancellation.
    async fn exchange(
        &self,
        target: SocketAddr,
        expect: Expect,
        options: &RequestOptions,
        mut encode: impl FnMut(i32, &mut Vec<u8>) -> Result<(), Error>,
    ) -> Result<ResponseV3, Error> {
        let shared = &self.shared;
        // SNMPv3 retransmissions are new messages (RFC 3412 §7.1 step 9):
        // a fresh msgID, a fresh HMAC. Community ones repeat the bytes.
        let fresh_ids = matches!(expect, Expect::Usm(_));
        let (tx, mut rx) = oneshot::channel();
        let mut guard = shared.insert(Entry {
            tx,
            target,
            expect,
            any_source: options.dangerous_accept_any_source,
        })?;
        let mut buf = Vec::new();
        encode(guard.id, &mut buf)?;
        if buf.len() > shared.max_message_size {
            return Err(Error::MessageTooLarge {
                size: buf.len(),
                max: shared.max_message_size,
            });
        }
        let mut datagram = Bytes::from(buf);
        trace!(%target, id = guard.id, "send");
        let start = Instant::now();
        let deadline = start + options.timeout;
        match shared.send(&datagram, target, deadline).await {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                inc(&shared.counters.timed_out);
                return Err(Error::Timeout {
                    target,
                    retransmissions: 0,
                });
            }
            Err(e) => return Err(e.into()),
        }
        inc(&shared.counters.sent);

        let refresh = options.refresh.max(Duration::from_millis(1));
        let mut next_send = Instant::now() + refresh;
        let mut retransmissions = 0;
        let sleep = tokio::time::sleep_until(next_send.min(deadline));
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                biased;
                reply = &mut rx => {
                    return reply.unwrap_or(Err(Error::Closed));
                }
                () = &mut sleep => {
                    let now = Instant::now();
                    if now >= deadline {
                        inc(&shared.counters.timed_out);
                        debug!(%target, id = guard.id, retransmissions, "timeout");
                        return Err(Error::Timeout { target, retransmissions });
                    }
                    if now >= next_send {
                        if fresh_ids {
                            let id = shared.alias(guard.id);
                            guard.aliases.push(id);
                            let mut buf = Vec::with_capacity(datagram.len());
                            encode(id, &mut buf)?;
                            datagram = Bytes::from(buf);
                        }
                        // A failed retransmission is not fatal: the next one,
                        // or the timeout, decides.
                        if let Err(e) = shared.send(&datagram, target, deadline).await {
                            debug!(%target, id = guard.id, error = %e, "retransmission failed");
                        }
                        retransmissions += 1;
                        inc(&shared.counters.retransmitted);
                        next_send += refresh;
                    }
                    sleep.as_mut().reset(next_send.min(deadline));
                }
            }
        }
    }
}

impl Shared {
    fn insert(self: &Arc<Self>, entry: Entry) -> Result<Guard, Error> {
        if self.in_flight.fetch_add(1, Ordering::AcqRel) >= self.max_in_flight {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::Busy {
                max: self.max_in_flight,
            });
        }
        let id = loop {
            // request-ids in 1..=2^31-1: positive, never 0 (RFC 3416 allows
            // negative ids, but agents mishandle them).
            let id = (self.next_id.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff) as i32;
            if id == 0 {
                continue;
            }
            match self.table.entry(id) {
                dashmap::Entry::Vacant(v) => {
                    v.insert(Slot::Request(entry));
                    break id;
                }
                // A live id after a wrap-around: take the next one.
                dashmap::Entry::Occupied(_) => {}
            }
        };
        let guard = Guard {
            shared: self.clone(),
            id,
            aliases: Vec::new(),
        };
        // Checked after the insert: either the receive task's drain sees the
        // entry, or this load sees the flag.
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::Closed);
        }
        Ok(guard)
    }

    /// A fresh id that routes to the request `primary`.
    fn alias(&self, primary: i32) -> i32 {
        loop {
            let id = (self.next_id.fetch_add(1, Ordering::Relaxed) & 0x7fff_ffff) as i32;
            if id == 0 {
                continue;
            }
            if let dashmap::Entry::Vacant(v) = self.table.entry(id) {
                v.insert(Slot::Alias(primary));
                return id;
            }
        }
    }

    /// The request an id routes to, or the verdict when none does.
    fn resolve(&self, id: i32, recent: &RecentIds) -> Result<i32, Routed> {
        let primary = match self.table.get(&id).as_deref() {
            Some(Slot::Request(_)) => return Ok(id),
            Some(Slot::Alias(primary)) => *primary,
            None if recent.contains(id) => return Err(Routed::Duplicate),
            None => return Err(Routed::UnknownId),
        };
        match self.table.get(&primary).as_deref() {
            Some(Slot::Request(_)) => Ok(primary),
            _ => Err(Routed::Duplicate),
        }
    }

    /// Sends `datagram`; waits for the socket no later than `deadline`
    /// (then `TimedOut`).
    async fn send(&self, datagram: &[u8], target: SocketAddr, deadline: Instant) -> io::Result<()> {
        // The fast path: sent at once, no waker, no lock.
        match self.transport.try_send_to(datagram, target) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        // `poll_send_to` keeps only the waker of its last `Pending` caller,
        // as tokio's `UdpSocket` does: of requests that find the socket not
        // writable at the same time (a full send buffer, or a socket whose
        // first readiness event the runtime has not seen yet), all but one
        // would never be woken. One request at a time waits for the socket;
        // the others wait here, in a queue that wakes each of them.
        let wait = async {
            let _one_sender = self.send_lock.lock().await;
            poll_fn(|cx| self.transport.poll_send_to(cx, datagram, target)).await
        };
        match tokio::time::timeout_at(deadline, wait).await {
            Ok(sent) => sent.map(drop),
            Err(_) => Err(io::ErrorKind::TimedOut.into()),
        }
    }

    fn route(&self, from: SocketAddr, datagram: &Bytes, recent: &mut RecentIds) -> Routed {
        let header = match MessageHeader::decode(datagram) {
            Ok(h) => h,
            Err(e) if e.kind == DecodeErrorKind::UnknownVersion(3) => {
                return self.route_v3(from, datagram, recent);
            }
            Err(e) => return self.drop_datagram(from, None, Routed::DecodeError, &e),
        };
        let id = header.request_id;
        let verdict = match self.table.get(&id).as_deref() {
            None if recent.contains(id) => Routed::Duplicate,
            None => Routed::UnknownId,
            // Community requests are retransmitted with the same id.
            Some(Slot::Alias(_)) => Routed::Mismatch,
            Some(Slot::Request(e)) if !e.any_source && e.target != from => Routed::WrongSource,
            Some(Slot::Request(e)) => match &e.expect {
                Expect::Community { version, community }
                    if *version == header.version
                        && community.as_ref() == header.community
                        && header.pdu_type == PduType::Response =>
                {
                    Routed::Completed(id)
                }
                _ => Routed::Mismatch,
            },
        };
        if verdict != Routed::Completed(id) {
            return self.drop_datagram(from, Some(id), verdict, &"no request waits for it");
        }
        // The agent's answer: if its varbinds are malformed, that is the
        // request's error, not a reason to wait for the timeout.
        let result = header
            .varbinds(datagram)
            .map(|varbinds| ResponseV3 {
                pdu: Pdu {
                    pdu_type: header.pdu_type,
                    request_id: id,
                    error_status: header.error_status,
                    error_index: header.error_index,
                    varbinds,
                },
                engine_id: Bytes::new(),
                engine_boots: 0,
                engine_time: 0,
                authenticated: false,
            })
            .map_err(Error::Decode);
        self.complete(from, id, result, recent)
    }

    /// An SNMPv3 message (RFC 3412 §7.2, RFC 3414 §3.2): found by msgID,
    /// authenticated, decrypted, and checked against its request.
    fn route_v3(&self, from: SocketAddr, datagram: &Bytes, recent: &mut RecentIds) -> Routed {
        let h = match HeaderV3::decode(datagram) {
            Ok(h) if h.security_model == SECURITY_MODEL_USM => h,
            Ok(_) => return self.drop_datagram(from, None, Routed::Mismatch, &"not USM"),
            Err(e) => return self.drop_datagram(from, None, Routed::DecodeError, &e),
        };
        let id = h.msg_id;
        // A reply to any transmission of the request: its msgID may be an
        // alias of the request's first one.
        let primary = match self.resolve(id, recent) {
            Ok(primary) => primary,
            Err(verdict) => {
                return self.drop_datagram(from, Some(id), verdict, &"no request waits for it");
            }
        };
        let expect = match self.table.get(&primary).as_deref() {
            Some(Slot::Request(e)) if !e.any_source && e.target != from => Err(Routed::WrongSource),
            Some(Slot::Request(e)) => match &e.expect {
                Expect::Usm(u) => Ok(u.clone()),
                Expect::Community { .. } => Err(Routed::Mismatch),
            },
            _ => Err(Routed::UnknownId),
        };
        let expect = match expect {
            Ok(u) => u,
            Err(verdict) => {
                return self.drop_datagram(from, Some(id), verdict, &"no request waits for it");
            }
        };
        let authenticated = h.flags & FLAG_AUTH != 0;
        if authenticated {
            let verified = expect
                .auth
                .as_ref()
                .is_some_and(|key| key.check(datagram, h.auth_params_offset).is_ok());
            if !verified {
                return self.drop_datagram(
                    from,
                    Some(id),
                    Routed::AuthFailure,
                    &"HMAC does not verify",
                );
            }
        }
        let scoped = if h.flags & FLAG_PRIV != 0 {
            match (&expect.privacy, h.encrypted()) {
                (Some(key), Some(encrypted)) if authenticated => key
                    .decrypt(h.engine_boots, h.engine_time, h.priv_params, encrypted)
                    .map_err(|_| Error::Decryption)
                    .and_then(|plain| {
                        ScopedPdu::decode(&Bytes::from(plain)).map_err(|_| Error::Decryption)
                    }),
                _ => {
                    return self.drop_datagram(
                        from,
                        Some(id),
                        Routed::Mismatch,
                        &"unexpected privacy",
                    );
                }
            }
        } else {
            h.scoped_pdu(datagram).map_err(Error::Decode)
        };
        // Only what the request's key vouches for may fail the request; an
        // unauthenticated message that does not decode is dropped.
        let scoped = match scoped {
            Ok(s) => s,
            Err(e) if authenticated || expect.auth.is_none() => {
                return self.complete(from, primary, Err(e), recent);
            }
            Err(e) => return self.drop_datagram(from, Some(id), Routed::DecodeError, &e),
        };
        let acceptable = match scoped.pdu.pdu_type {
            // Reports correlate by msgID alone: agents put 0, 2^31-1 or a
            // random request-id in them.
            PduType::Report => true,
            PduType::Response => {
                scoped.pdu.request_id == id && (authenticated || expect.auth.is_none())
            }
            _ => false,
        };
        if !acceptable {
            return self.drop_datagram(
                from,
                Some(id),
                Routed::Mismatch,
                &"not a response to this request",
            );
        }
        if authenticated && scoped.pdu.pdu_type == PduType::Response && !expect.in_time_window(&h) {
            return self.drop_datagram(
                from,
                Some(id),
                Routed::NotInTimeWindow,
                &"outside the time window",
            );
        }
        let reply = ResponseV3 {
            pdu: scoped.pdu,
            engine_id: Bytes::copy_from_slice(h.engine_id),
            engine_boots: h.engine_boots,
            engine_time: h.engine_time,
            authenticated,
        };
        self.complete(from, primary, Ok(reply), recent)
    }

    fn drop_datagram(
        &self,
        from: SocketAddr,
        id: Option<i32>,
        verdict: Routed,
        why: &dyn fmt::Display,
    ) -> Routed {
        let c = &self.counters;
        let counter = match verdict {
            Routed::Completed(_) => return verdict,
            Routed::UnknownId => &c.dropped_unknown_id,
            Routed::Duplicate => &c.dropped_duplicate,
            Routed::WrongSource => &c.dropped_wrong_source,
            Routed::Mismatch => &c.dropped_mismatch,
            Routed::DecodeError => &c.dropped_decode_error,
            Routed::AuthFailure => &c.dropped_auth_failure,
            Routed::NotInTimeWindow => &c.dropped_not_in_time_window,
        };
        inc(counter);
        debug!(%from, id, reason = ?verdict, %why, "dropped");
        verdict
    }

    fn complete(
        &self,
        from: SocketAddr,
        id: i32,
        result: Result<ResponseV3, Error>,
        recent: &mut RecentIds,
    ) -> Routed {
        let entry = match self.table.remove(&id) {
            Some((_, Slot::Request(entry))) => entry,
            Some((id, alias @ Slot::Alias(_))) => {
                // Not a request: put it back.
                self.table.insert(id, alias);
                inc(&self.counters.dropped_unknown_id);
                return Routed::UnknownId;
            }
            None => {
                // Cancelled between the check and now.
                inc(&self.counters.dropped_unknown_id);
                return Routed::UnknownId;
            }
        };
        recent.insert(id);
        inc(&self.counters.completed);
        match &result {
            Ok(_) => trace!(%from, id, "response"),
            Err(e) => debug!(%from, id, error = %e, "response is the request's error"),
        }
        // The receiver may have been dropped this instant; nothing to do then.
        let _ = entry.tx.send(result);
        Routed::Completed(id)
    }

    /// Marks the dispatcher closed and fails every request in flight.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        // Dropping the senders wakes every waiting request with `Closed`.
        self.table.clear();
    }
}

/// Writes an SNMPv3 request (RFC 3414 §3.1.1): msgID and request-id `id`,
/// reportable, encrypted with `privacy` and signed with `usm.auth` when set.
fn encode_v3(
    usm: &UsmRequest,
    privacy: Option<&PrivKey>,
    salt: Option<u64>,
    id: i32,
    mut pdu: Pdu,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    pdu.request_id = id;
    let scoped = ScopedPdu {
        context_engine_id: usm.context_engine_id.clone(),
        context_name: usm.context_name.clone(),
        pdu,
    };
    let mut flags = FLAG_REPORTABLE;
    let mut priv_params = Bytes::new();
    let data = match (privacy, salt) {
        (Some(key), Some(salt)) => {
            flags |= FLAG_PRIV;
            let mut plain = BytesMut::with_capacity(scoped.encoded_len());
            scoped.encode(&mut plain);
            let (encrypted, params) = key.encrypt(usm.engine_boots, usm.engine_time, salt, &plain);
            priv_params = Bytes::copy_from_slice(&params);
            MsgData::Encrypted(Bytes::from(encrypted))
        }
        _ => MsgData::Plaintext(scoped),
    };
    let auth_params = match &usm.auth {
        Some(key) => {
            flags |= FLAG_AUTH;
            Bytes::from(vec![0; key.protocol().mac_len()])
        }
        None => Bytes::new(),
    };
    let message = MessageV3 {
        msg_id: id,
        max_size: 65507,
        flags,
        security_model: SECURITY_MODEL_USM,
        usm: UsmSecurityParameters {
            engine_id: usm.engine_id.clone(),
            engine_boots: usm.engine_boots,
            engine_time: usm.engine_time,
            user_name: usm.user_name.clone(),
            auth_params,
            priv_params,
        },
        data,
    };
    let mut encoded = BytesMut::with_capacity(message.encoded_len());
    let offset = message.encode(&mut encoded);
    if let Some(key) = &usm.auth {
        key.sign(&mut encoded, offset)
            .map_err(|e| Error::Io(io::Error::other(e)))?;
    }
    buf.extend_from_slice(&encoded);
    Ok(())
}

/// Removes a request's entry when its future completes or is dropped.
struct Guard {
    shared: Arc<Shared>,
    id: i32,
    /// Further ids of the request (SNMPv3 retransmissions).
    aliases: Vec<i32>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.shared.table.remove(&self.id);
        for alias in &self.aliases {
            self.shared.table.remove(alias);
        }
        self.shared.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Request-ids completed recently, to count duplicates apart.
struct RecentIds {
    set: HashSet<i32>,
    order: VecDeque<i32>,
    cap: usize,
}

impl RecentIds {
    fn new(cap: usize) -> Self {
        Self {
            set: HashSet::with_capacity(cap),
            order: VecDeque::with_capacity(cap),
            cap,
        }
    }

    fn contains(&self, id: i32) -> bool {
        self.set.contains(&id)
    }

    fn insert(&mut self, id: i32) {
        if self.order.len() == self.cap {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        if self.set.insert(id) {
            self.order.push_back(id);
        }
    }
}

async fn receive_task(shared: Arc<Shared>) {
    let mut scratch = vec![0u8; RECV_BUFFER];
    let mut recent = RecentIds::new(RECENT_IDS);
    let shutdown = shared.shutdown.notified();
    tokio::pin!(shutdown);
    loop {
        let received = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = poll_fn(|cx| {
                let mut rb = ReadBuf::new(&mut scratch);
                match shared.transport.poll_recv_from(cx, &mut rb) {
                    Poll::Ready(Ok(from)) => Poll::Ready(Ok((from, rb.filled().len()))),
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            }) => r,
        };
        match received {
            Ok((from, len)) => {
                inc(&shared.counters.received);
                // One exact-size copy per datagram: values slice it, and it
                // is freed when the last value referring to it is.
                let datagram = Bytes::copy_from_slice(&scratch[..len]);
                shared.route(from, &datagram, &mut recent);
            }
            Err(e) => {
                // ICMP errors (port unreachable) surface here on some
                // systems; they concern one peer, not the socket.
                debug!(error = %e, "receive error");
                tokio::task::yield_now().await;
            }
        }
    }
    debug!("receive task stopped");
    shared.close();
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;
    use std::task::{Context, Waker};

    use super::*;

    /// A transport that is not writable until told, and that, like tokio's
    /// `UdpSocket`, remembers only the waker of the last `Pending` send.
    #[derive(Debug, Default)]
    struct NotYetWritable {
        writable: AtomicBool,
        waker: StdMutex<Option<Waker>>,
        sent: AtomicUsize,
    }

    impl NotYetWritable {
        fn make_writable(&self) {
            self.writable.store(true, Ordering::SeqCst);
            if let Some(waker) = self.waker.lock().unwrap().take() {
                waker.wake();
            }
        }
    }

    impl Transport for NotYetWritable {
        fn poll_send_to(
            &self,
            cx: &mut Context<'_>,
            buf: &[u8],
            _target: SocketAddr,
        ) -> Poll<io::Result<usize>> {
            if self.writable.load(Ordering::SeqCst) {
                self.sent.fetch_add(1, Ordering::SeqCst);
                return Poll::Ready(Ok(buf.len()));
            }
            *self.waker.lock().unwrap() = Some(cx.waker().clone());
            Poll::Pending
        }

        fn poll_recv_from(
            &self,
            _cx: &mut Context<'_>,
            _buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<SocketAddr>> {
            Poll::Pending
        }

        fn local_addr(&self) -> io::Result<SocketAddr> {
            Ok(SocketAddr::from(([127, 0, 0, 1], 40000)))
        }
    }

    /// Requests that find the socket not writable all send once it is,
    /// although the transport wakes only one of them.
    #[tokio::test(start_paused = true)]
    async fn requests_waiting_for_a_writable_socket_all_send() {
        let transport = Arc::new(NotYetWritable::default());
        let dispatcher = Dispatcher::start(transport.clone(), 100, 65507);
        let target = SocketAddr::from(([127, 0, 0, 1], 161));
        let requests: Vec<_> = (0..10)
            .map(|_| {
                let d = dispatcher.clone();
                tokio::spawn(async move {
                    let pdu = Pdu::new(PduType::GetRequest, 0, Vec::new());
                    let options = RequestOptions::default();
                    d.request(
                        target,
                        Version::V2c,
                        Bytes::from_static(b"public"),
                        pdu,
                        &options,
                    )
                    .await
                })
            })
            .collect();
        // Every request has tried to send.
        while dispatcher.table_len() < 10 {
            tokio::task::yield_now().await;
        }
        tokio::task::yield_now().await;
        assert_eq!(transport.sent.load(Ordering::SeqCst), 0);

        transport.make_writable();
        let all_sent = async {
            while transport.sent.load(Ordering::SeqCst) < 10 {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        let sent = tokio::time::timeout(Duration::from_secs(1), all_sent).await;
        assert!(
            sent.is_ok(),
            "{} of 10 requests sent",
            transport.sent.load(Ordering::SeqCst)
        );
        assert_eq!(dispatcher.stats().sent, 10);
        for r in requests {
            r.abort();
        }
    }

    /// A socket that never becomes writable: the request times out at its
    /// deadline instead of waiting for the socket forever.
    #[tokio::test(start_paused = true)]
    async fn the_first_send_is_bounded_by_the_timeout() {
        let transport = Arc::new(NotYetWritable::default());
        let dispatcher = Dispatcher::start(transport, 100, 65507);
        let options = RequestOptions {
            timeout: Duration::from_secs(2),
            ..RequestOptions::default()
        };
        let started = Instant::now();
        let pdu = Pdu::new(PduType::GetRequest, 0, Vec::new());
        let target = SocketAddr::from(([127, 0, 0, 1], 161));
        let r = dispatcher
            .request(
                target,
                Version::V2c,
                Bytes::from_static(b"public"),
                pdu,
                &options,
            )
            .await;
        assert!(
            matches!(
                r,
                Err(Error::Timeout {
                    retransmissions: 0,
                    ..
                })
            ),
            "{r:?}"
        );
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert_eq!(dispatcher.table_len(), 0);
        assert_eq!(dispatcher.stats().timed_out, 1);
    }
}
