//! The dispatcher: one transport, one receive task, a table of requests in
//! flight keyed by request-id (RFC 3412 §4.1 calls this the dispatcher's
//! job: send PDUs, and route each response to the request it answers).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex as StdMutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::FutureExt;
use futures::task::AtomicWaker;
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};
use tracing::{debug, trace};

use snmux_transport::{Outgoing, RecvBatch, Transport};
use snmux_usm::{AuthKey, PrivKey, SaltCounter};

use crate::v3::RequestV3;

mod slots;
mod timers;

use crate::{
    DecodeError, DecodeErrorKind, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, HeaderV3, MessageHeader,
    Pdu, PduType, RequestPdu, SECURITY_MODEL_USM, ScopedPdu, Version,
};
use slots::Slots;
use timers::Timers;

/// The largest datagram the receive task reads (the UDP maximum).
const RECV_BUFFER: usize = 65535;

/// How many datagrams the receive task reads at once (one `recvmmsg`).
/// The slots take `RECV_BATCH × RECV_BUFFER` bytes of address space; only
/// the pages datagrams touch become resident.
const RECV_BATCH: usize = 32;

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
#[non_exhaustive]
pub enum Routed {
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
    /// The task of the request's future, to wake with its reply or at
    /// `wake_at`.
    waker: Option<Waker>,
    /// When the request's future is to be woken if no reply has come: its
    /// next retransmission or its deadline. `None`: never (a request of a
    /// bare [`RequestTable`]).
    wake_at: Option<Instant>,
    target: SocketAddr,
    expect: Expect,
    any_source: bool,
}

impl Entry {
    /// What an SNMPv3 response from `from` must be to answer this request,
    /// or the verdict when it cannot.
    fn usm_expect(&self, from: SocketAddr) -> Result<UsmExpect, Routed> {
        if !self.any_source && self.target != from {
            return Err(Routed::WrongSource);
        }
        match &self.expect {
            Expect::Usm(u) => Ok(u.clone()),
            Expect::Community { .. } => Err(Routed::Mismatch),
        }
    }
}

/// What the receive path hands a request: a response checked by its
/// header, whose varbinds are decoded by the request that takes it, on its
/// own task, where the caller frees them (allocated and freed by one
/// thread, one after the other, they stay in the allocator's per-thread
/// cache). If they are malformed, that is the request's error, not a
/// reason to wait for the timeout.
enum Reply {
    /// A community response.
    Community(Undecoded),
    /// An SNMPv3 response, authenticated and decrypted.
    V3(UndecodedV3),
}

/// A Response-PDU (or Report-PDU) whose varbinds are still bytes.
struct Undecoded {
    /// The bytes the PDU was read from: the datagram, or an SNMPv3
    /// message's decrypted ScopedPDU.
    bytes: Bytes,
    pdu_type: PduType,
    request_id: i32,
    error_status: i32,
    error_index: i32,
    /// Where the varbinds lie in `bytes`.
    varbinds: std::ops::Range<usize>,
}

impl Undecoded {
    fn decode(self) -> Result<Pdu, DecodeError> {
        Ok(Pdu {
            pdu_type: self.pdu_type,
            request_id: self.request_id,
            error_status: self.error_status,
            error_index: self.error_index,
            varbinds: crate::codec::varbinds_at(&self.bytes, self.varbinds)?,
        })
    }
}

/// A [`ResponseV3`] whose varbinds are still bytes.
struct UndecodedV3 {
    scoped: Undecoded,
    engine_id: Bytes,
    engine_boots: u32,
    engine_time: u32,
    authenticated: bool,
    /// Whether the ScopedPDU was decrypted: varbinds that do not decode are
    /// then [`Error::Decryption`], as the rest of it would be.
    encrypted: bool,
}

impl UndecodedV3 {
    fn decode(self) -> Result<ResponseV3, Error> {
        let encrypted = self.encrypted;
        let pdu = self.scoped.decode().map_err(|e| {
            if encrypted {
                Error::Decryption
            } else {
                Error::Decode(e)
            }
        })?;
        Ok(ResponseV3 {
            pdu,
            engine_id: self.engine_id,
            engine_boots: self.engine_boots,
            engine_time: self.engine_time,
            authenticated: self.authenticated,
        })
    }
}

impl Reply {
    /// The reply's PDU, its varbinds decoded.
    fn into_pdu(self) -> Result<Pdu, Error> {
        match self {
            Reply::Community(u) => u.decode().map_err(Error::Decode),
            Reply::V3(r) => r.decode().map(|r| r.pdu),
        }
    }

    /// The reply as a [`ResponseV3`], its varbinds decoded: a community
    /// response without engine fields.
    fn into_v3(self) -> Result<ResponseV3, Error> {
        match self {
            Reply::V3(r) => r.decode(),
            Reply::Community(u) => Ok(ResponseV3 {
                pdu: u.decode().map_err(Error::Decode)?,
                engine_id: Bytes::new(),
                engine_boots: 0,
                engine_time: 0,
                authenticated: false,
            }),
        }
    }
}

/// A cell of the request table: a request, waiting or completed, or
/// another id of one (an SNMPv3 retransmission's msgID, RFC 3412 §7.1
/// step 9). This is the request's oneshot channel too: the receive path
/// puts the reply where the request's future takes it from, and wakes it.
/// Only the request removes its cells (when it takes its reply, ends or is
/// dropped): an id is never reused while its request still holds it.
enum Slot {
    /// Waiting for its reply.
    Request(Entry),
    /// Completed: the reply, until the request takes it.
    Done(Result<Reply, Error>),
    Alias(i32),
}

/// What a response must be to answer a request.
enum Expect {
    /// SNMPv1/v2c: keyed by request-id; same version and community.
    Community { version: Version, community: Bytes },
    /// SNMPv3: keyed by msgID; authenticated and decrypted with these keys.
    Usm(UsmExpect),
}

/// The request-id of the scoped PDU is the msgID, the entry's key.
#[derive(Clone)]
struct UsmExpect {
    /// The agent's engineBoots and engineTime as the request stated them,
    /// and when: the manager's notion of the agent's clock (RFC 3414 §2.3).
    engine_boots: u32,
    engine_time: u32,
    /// `None` until the request is sent (in the table, always set).
    sent: Option<Instant>,
    auth: Option<Arc<AuthKey>>,
    privacy: Option<Arc<PrivKey>>,
}

impl UsmExpect {
    /// RFC 3414 §3.2 step 7b, on the manager's side: a message is outside
    /// the window if the agent's boots are latched at 2^31-1, lower than
    /// ours, or equal with a time more than 150 s before ours. Newer is
    /// fine (the agent's clock ran on). `now`: when the message came.
    fn in_time_window(&self, h: &HeaderV3<'_>, now: Instant) -> bool {
        let elapsed = self
            .sent
            .map_or(Duration::ZERO, |sent| now.saturating_duration_since(sent));
        let elapsed = u32::try_from(elapsed.as_secs()).unwrap_or(u32::MAX);
        let ours = self.engine_time.saturating_add(elapsed);
        h.engine_boots != snmux_usm::MAX_ENGINE_BOOTS
            && (h.engine_boots > self.engine_boots
                || (h.engine_boots == self.engine_boots
                    && h.engine_time.saturating_add(150) >= ours))
    }
}

/// When a batch of datagrams came: the clock is read once, by the first
/// SNMPv3 response of the batch whose time window is checked. The last
/// datagrams of a batch are read microseconds later; the window counts
/// whole seconds.
#[derive(Default)]
struct ReceivedAt(Option<Instant>);

impl ReceivedAt {
    fn now(&mut self) -> Instant {
        *self.0.get_or_insert_with(Instant::now)
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

impl UsmRequest {
    /// The privacy key the request encrypts with: `privacy`, if `auth` is
    /// set too (authPriv; RFC 3414 §3.1.1 has no privacy without
    /// authentication).
    fn private_key(&self) -> Option<&Arc<PrivKey>> {
        self.privacy.as_ref().filter(|_| self.auth.is_some())
    }
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

/// The request table and the receive path of a dispatcher, as plain code:
/// no socket, no runtime, no timers (the [`Dispatcher`] is the tokio shell
/// around it).
///
/// Insert a request with [`RequestTable::insert`] and hand every datagram
/// that arrives to a [`Router`] of the table: it finds the request the
/// datagram answers by request-id, checks it (source, version, community,
/// PDU type) and completes the request, or counts it and drops it. This is
/// what the receive task does with each datagram; tests and benchmarks call
/// it directly. The varbinds of a community response are decoded by the
/// request that takes it ([`PendingRequest::try_reply`], or the request's
/// future on its own task): a response is routed by its header alone.
///
/// A cheap handle: clones share one table.
///
/// # Examples
///
/// ```
/// use snmux::dispatcher::{RequestTable, Routed};
/// use snmux::{Message, Pdu, PduType, Version};
///
/// let table = RequestTable::new(16);
/// let agent = "192.0.2.1:161".parse().expect("literal address");
/// let mut request = table
///     .insert(agent, Version::V2c, "public".into(), false)
///     .expect("room in the table");
/// let response = Message::new(
///     Version::V2c,
///     "public",
///     Pdu::new(PduType::Response, request.request_id(), Vec::new()),
/// )
/// .to_bytes();
/// let mut router = table.router();
/// assert_eq!(router.route(agent, &response), Routed::Completed(request.request_id()));
/// assert!(request.try_reply().expect("completed").is_ok());
/// ```
#[derive(Clone)]
pub struct RequestTable {
    table: Arc<Table>,
}

impl fmt::Debug for RequestTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestTable")
            .field("len", &self.table.len())
            .finish_non_exhaustive()
    }
}

impl RequestTable {
    /// An empty table that holds at most `max_in_flight` requests
    /// ([`Error::Busy`] beyond).
    pub fn new(max_in_flight: usize) -> Self {
        Self {
            table: Arc::new(Table::new(max_in_flight)),
        }
    }

    /// Inserts a community-based request to `target` under a fresh
    /// request-id, and returns the handle that receives its reply. Dropping
    /// the handle removes the request.
    ///
    /// # Errors
    ///
    /// [`Error::Busy`] when the table is full.
    pub fn insert(
        &self,
        target: SocketAddr,
        version: Version,
        community: Bytes,
        dangerous_accept_any_source: bool,
    ) -> Result<PendingRequest, Error> {
        let guard = Table::insert(
            self.table.clone(),
            Entry {
                waker: None,
                wake_at: None,
                target,
                expect: Expect::Community { version, community },
                any_source: dangerous_accept_any_source,
            },
        )?;
        Ok(PendingRequest { guard })
    }

    /// A router for the datagrams that answer the requests of this table.
    /// Use one: it remembers the request-ids it completed, to count
    /// duplicates apart.
    pub fn router(&self) -> Router {
        Router {
            table: self.table.clone(),
            recent: RecentIds::new(RECENT_IDS),
            arena: Arena::new(),
        }
    }

    /// The counters (`sent` and `retransmitted` stay 0: the table sends
    /// nothing).
    pub fn stats(&self) -> Stats {
        self.table.stats()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }
}

/// A request in a [`RequestTable`]: its request-id, and its reply once a
/// [`Router`] completed it. Dropping it removes the request.
#[must_use = "dropping a PendingRequest removes its request from the table"]
pub struct PendingRequest {
    guard: Guard<Arc<Table>>,
}

impl fmt::Debug for PendingRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingRequest")
            .field("request_id", &self.guard.id)
            .finish_non_exhaustive()
    }
}

impl PendingRequest {
    /// The request-id the request's message must carry.
    pub fn request_id(&self) -> i32 {
        self.guard.id
    }

    /// The reply, once the request was completed: the Response-PDU, or the
    /// request's error ([`Error::Decode`] for malformed varbinds). `None`
    /// while it waits (and after the reply was taken).
    pub fn try_reply(&mut self) -> Option<Result<Pdu, Error>> {
        if self.guard.taken {
            return None;
        }
        let reply = self.guard.table.take_reply(self.guard.id, None)?;
        self.guard.taken = true;
        Some(reply.and_then(Reply::into_pdu))
    }
}

/// The receive path of a [`RequestTable`]: decides about one datagram at a
/// time. See [`RequestTable`].
pub struct Router {
    table: Arc<Table>,
    recent: RecentIds,
    /// Where decrypted scoped PDUs go.
    arena: Arena,
}

impl fmt::Debug for Router {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Router").finish_non_exhaustive()
    }
}

impl Router {
    /// Routes one datagram from `from`: completes the request it answers,
    /// or counts it and drops it. Never panics, whatever the bytes.
    /// OctetString and Opaque values of the reply share `datagram`'s memory.
    pub fn route(&mut self, from: SocketAddr, datagram: &Bytes) -> Routed {
        inc(&self.table.counters.received);
        let mut received = ReceivedAt::default();
        self.table.route(
            from,
            datagram,
            &mut self.recent,
            &mut self.arena,
            &mut received,
        )
    }
}

/// The table under its lock: the requests, and when each wants waking.
struct Requests {
    cells: Slots<Slot>,
    timers: Timers,
}

/// The plain part of a dispatcher: the table of requests and what the
/// receive path does with it.
struct Table {
    /// Taken for a few dozen instructions at a time, never across an
    /// await: by a request to insert itself and to take its reply, and by
    /// the receive path to check a response and complete its request.
    slots: StdMutex<Requests>,
    /// The receive task, which wakes requests when their time comes: to
    /// wake when a request wants waking before all others.
    timer_waker: AtomicWaker,
    /// Requests in the table (aliases aside). Changed under the lock of
    /// `slots` only; read without it.
    in_flight: AtomicUsize,
    max_in_flight: usize,
    counters: Counters,
    closed: AtomicBool,
}

struct Shared {
    transport: Arc<dyn Transport>,
    table: Arc<Table>,
    max_message_size: usize,
    shutdown: Notify,
    /// Salts of SNMPv3 privacy (RFC 3414 §8.1.1.1, RFC 3826 §3.1.2.1).
    salt: SaltCounter,
    /// Datagrams requests handed to the receive task to send, in batches.
    outbox: StdMutex<Outbox>,
    /// The receive task, to wake when the outbox fills.
    outbox_waker: AtomicWaker,
    /// A hint: the receive task just completed several requests and will
    /// send what their successors queue in one batch. While it is set,
    /// requests queue their datagrams instead of sending them themselves.
    batching: AtomicBool,
    /// The receive task could not send everything queued (the socket is not
    /// writable): requests queue, and retransmissions wait.
    stalled: AtomicBool,
}

/// Datagrams to send, and what each belongs to.
#[derive(Default)]
struct Outbox {
    datagrams: Vec<Outgoing>,
    meta: Vec<Queued>,
    /// The queued datagrams' bytes: copied into shared chunks, not each in
    /// its own allocation (a batch's worth of those, freed together after
    /// the batch is sent, overflows the allocator's per-thread caches).
    arena: Arena,
}

#[derive(Clone, Copy)]
struct Queued {
    id: i32,
    /// The first transmission of its request: a failure fails the request.
    first: bool,
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
            .field(
                "in_flight",
                &self.shared.table.in_flight.load(Ordering::Relaxed),
            )
            .field("closed", &self.shared.table.closed.load(Ordering::Relaxed))
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
            table: Arc::new(Table::new(max_in_flight)),
            max_message_size,
            shutdown: Notify::new(),
            salt: SaltCounter::new(),
            outbox: StdMutex::new(Outbox::default()),
            outbox_waker: AtomicWaker::new(),
            batching: AtomicBool::new(false),
            stalled: AtomicBool::new(false),
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
        self.shared.table.closed.load(Ordering::SeqCst)
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.shared.table.stats()
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
        self.request_pdu(target, version, &community, RequestPdu::from(&pdu), options)
            .await
    }

    /// [`Dispatcher::request`] with a PDU that borrows its varbinds: a GET
    /// of `&[Oid]` is encoded straight from the OIDs.
    ///
    /// # Errors
    ///
    /// As [`Dispatcher::request`].
    ///
    /// # Cancel safety
    ///
    /// As [`Dispatcher::request`].
    pub fn request_pdu<'a>(
        &'a self,
        target: SocketAddr,
        version: Version,
        community: &'a Bytes,
        pdu: RequestPdu<'a>,
        options: &'a RequestOptions,
    ) -> impl Future<Output = Result<Pdu, Error>> + Send + 'a {
        let expect = Expect::Community {
            version,
            community: community.clone(),
        };
        // Retransmissions have the same id: the same bytes.
        let encode = move |id, buf: &mut Vec<u8>| {
            pdu.encode_message_into(version, community, id, buf);
            Ok(())
        };
        self.exchange(target, expect, options, encode)
            .map(|reply| reply.and_then(Reply::into_pdu))
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
        self.request_v3_pdu(target, usm, RequestPdu::from(&pdu), options)
            .await
    }

    /// [`Dispatcher::request_v3`] with a PDU that borrows its varbinds, and
    /// the security parameters by reference (`&UsmRequest`) or shared
    /// (`Arc<UsmRequest>`): a future that owns what it needs can be kept
    /// next to the parameters it was made from.
    ///
    /// # Errors
    ///
    /// As [`Dispatcher::request_v3`].
    ///
    /// # Cancel safety
    ///
    /// As [`Dispatcher::request`].
    pub fn request_v3_pdu<'a, U>(
        &'a self,
        target: SocketAddr,
        usm: U,
        pdu: RequestPdu<'a>,
        options: &'a RequestOptions,
    ) -> ExchangeV3<'a, U>
    where
        U: Deref<Target = UsmRequest>,
    {
        let expect = Expect::Usm(UsmExpect {
            engine_boots: usm.engine_boots,
            engine_time: usm.engine_time,
            // Set when the request is first sent (first poll).
            sent: None,
            auth: usm.auth.clone(),
            privacy: usm.private_key().cloned(),
        });
        let encode = V3Encode {
            usm,
            salt: &self.shared.salt,
            pdu,
        };
        ExchangeV3 {
            exchange: self.exchange(target, expect, options, encode),
        }
    }

    /// One exchange: a table entry with a fresh id, the message `encode`
    /// writes for that id, sent and sent again every refresh period until a
    /// reply, the timeout, or cancellation. Nothing happens until the
    /// first poll.
    fn exchange<'a, E>(
        &'a self,
        target: SocketAddr,
        expect: Expect,
        options: &'a RequestOptions,
        encode: E,
    ) -> Exchange<'a, E>
    where
        E: Encode,
    {
        Exchange {
            shared: &self.shared,
            options,
            target,
            encode,
            state: ExchangeState::Start(expect),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Dispatcher::exchange`], written out by hand: every
    /// request in flight holds one, and an `async fn` kept copies of its
    /// arguments and of the state of both `select!` branches.
    struct Exchange<'a, E> {
        shared: &'a Shared,
        options: &'a RequestOptions,
        target: SocketAddr,
        encode: E,
        state: ExchangeState<'a>,
    }
}

/// How an exchange writes its message for an id (a request-id, or an
/// SNMPv3 msgID): a closure, or [`V3Encode`].
trait Encode {
    fn encode(&mut self, id: i32, buf: &mut Vec<u8>) -> Result<(), Error>;
}

impl<F> Encode for F
where
    F: FnMut(i32, &mut Vec<u8>) -> Result<(), Error>,
{
    fn encode(&mut self, id: i32, buf: &mut Vec<u8>) -> Result<(), Error> {
        self(id, buf)
    }
}

/// The messages of an SNMPv3 request: each one with a fresh salt when it
/// is encrypted. A named type, so that [`ExchangeV3`] can tell what it
/// sends.
struct V3Encode<'a, U> {
    usm: U,
    salt: &'a SaltCounter,
    pdu: RequestPdu<'a>,
}

impl<U> Encode for V3Encode<'_, U>
where
    U: Deref<Target = UsmRequest>,
{
    fn encode(&mut self, id: i32, buf: &mut Vec<u8>) -> Result<(), Error> {
        let usm = &*self.usm;
        let privacy = usm.private_key().map(|key| &**key);
        let salt = privacy.map(|_| self.salt.next());
        encode_v3(usm, privacy, salt, id, &self.pdu, buf)
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Dispatcher::request_v3_pdu`]: one SNMPv3 request
    /// until its response or Report, its timeout, or its drop. It tells
    /// the security parameters and the PDU it sends, for a caller that
    /// acts on a Report by sending the request again.
    ///
    /// # Cancel safety
    ///
    /// As [`Dispatcher::request`].
    pub struct ExchangeV3<'a, U> {
        #[pin]
        exchange: Exchange<'a, V3Encode<'a, U>>,
    }
}

impl<'a, U> ExchangeV3<'a, U>
where
    U: Deref<Target = UsmRequest>,
{
    /// The security parameters the request states: its user, the agent's
    /// engine as it states it (boots and time), and its keys.
    pub fn usm(&self) -> &UsmRequest {
        &self.exchange.encode.usm
    }

    /// The PDU the request sends (its request-id aside: every message has
    /// a fresh one).
    pub fn pdu(&self) -> RequestPdu<'a> {
        self.exchange.encode.pdu
    }
}

impl<U> Future for ExchangeV3<'_, U>
where
    U: Deref<Target = UsmRequest>,
{
    type Output = Result<ResponseV3, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project()
            .exchange
            .poll(cx)
            .map(|reply| reply.and_then(Reply::into_v3))
    }
}

impl<U> fmt::Debug for ExchangeV3<'_, U>
where
    U: Deref<Target = UsmRequest>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExchangeV3")
            .field("target", &self.exchange.target)
            .field("usm", self.usm())
            .finish_non_exhaustive()
    }
}

enum ExchangeState<'a> {
    /// Not polled yet: what the request's entry will expect.
    Start(Expect),
    /// Sent: waiting for the reply, the next retransmission or the deadline.
    Waiting(Waiting<'a>),
    /// The output was returned.
    Done,
}

struct Waiting<'a> {
    /// Removes the entry (and its aliases) when the exchange ends.
    guard: Guard<&'a Table>,
    deadline: Instant,
    next_send: Instant,
    /// The earlier of the two: when the receive task wakes the request
    /// (its entry's `wake_at`).
    wake_at: Instant,
    retransmissions: u32,
    /// SNMPv3 retransmissions are new messages (RFC 3412 §7.1 step 9): a
    /// fresh msgID, a fresh HMAC. Community ones repeat the bytes.
    fresh_ids: bool,
}

impl<'a, E> Exchange<'a, E>
where
    E: Encode,
{
    /// The first poll: the entry, the first transmission, and the time of
    /// the first wake-up.
    fn start(
        shared: &'a Shared,
        target: SocketAddr,
        mut expect: Expect,
        options: &RequestOptions,
        encode: &mut E,
        waker: &Waker,
    ) -> Result<Waiting<'a>, Error> {
        let fresh_ids = matches!(expect, Expect::Usm(_));
        // One clock read: the request's start, and the time an SNMPv3
        // request states the agent's clock at.
        let start = Instant::now();
        if let Expect::Usm(u) = &mut expect {
            u.sent = Some(start);
        }
        let deadline = start + options.timeout;
        let next_send = start + refresh(options);
        let wake_at = next_send.min(deadline);
        let guard = Table::insert(
            &*shared.table,
            Entry {
                waker: Some(waker.clone()),
                wake_at: Some(wake_at),
                target,
                expect,
                any_source: options.dangerous_accept_any_source,
            },
        )?;
        // The datagram goes to the socket or the outbox, not kept: a
        // retransmission encodes it again (a pending request holds no
        // copy).
        with_scratch(|buf| {
            encode.encode(guard.id, buf)?;
            if buf.len() > shared.max_message_size {
                return Err(Error::MessageTooLarge {
                    size: buf.len(),
                    max: shared.max_message_size,
                });
            }
            trace!(%target, id = guard.id, "send");
            shared.send(guard.id, buf, target, true)?;
            Ok(())
        })?;
        Ok(Waiting {
            guard,
            deadline,
            next_send,
            wake_at,
            retransmissions: 0,
            fresh_ids,
        })
    }
}

/// Decrements a counter changed only under a lock: a plain load and
/// store, not a read-modify-write.
fn decrement_locked(counter: &AtomicUsize) {
    counter.store(counter.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
}

/// Runs `f` with this thread's buffer for encoding messages, emptied: a
/// request's datagram is written, sent or queued (copied), and forgotten,
/// so the buffer's memory serves every request the thread sends.
fn with_scratch<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    thread_local! {
        static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    // Taken out while in use: a nested use (not reached) or one while the
    // thread ends gets a buffer of its own.
    let mut buf = SCRATCH.try_with(std::cell::Cell::take).unwrap_or_default();
    buf.clear();
    let out = f(&mut buf);
    // A rare large message does not keep its memory.
    if buf.capacity() <= 64 * 1024 {
        let _ = SCRATCH.try_with(|scratch| scratch.set(buf));
    }
    out
}

/// The refresh period, at least 1 ms.
fn refresh(options: &RequestOptions) -> Duration {
    options.refresh.max(Duration::from_millis(1))
}

impl<E> Future for Exchange<'_, E>
where
    E: Encode,
{
    type Output = Result<Reply, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let shared = *this.shared;
        let target = *this.target;
        // Done unless it stays pending: an error or the output ends it, and
        // dropping the state's guard removes the entry.
        let mut w = match std::mem::replace(this.state, ExchangeState::Done) {
            ExchangeState::Start(expect) => {
                // The entry holds this waker, and its time: the receive
                // task wakes the request with its reply or at that time.
                let w = Self::start(
                    shared,
                    target,
                    expect,
                    this.options,
                    this.encode,
                    cx.waker(),
                )?;
                *this.state = ExchangeState::Waiting(w);
                return Poll::Pending;
            }
            ExchangeState::Waiting(w) => w,
            ExchangeState::Done => panic!("`Exchange` polled after completion"),
        };
        if let Some(reply) = shared.table.take_reply(w.guard.id, Some(cx.waker())) {
            w.guard.taken = true;
            return Poll::Ready(reply);
        }
        let wake_at = w.wake_at;
        let output = loop {
            let now = Instant::now();
            if now < w.wake_at {
                if w.wake_at != wake_at {
                    shared.table.set_timer(w.guard.id, w.wake_at);
                }
                *this.state = ExchangeState::Waiting(w);
                return Poll::Pending;
            }
            if now >= w.deadline {
                inc(&shared.table.counters.timed_out);
                let retransmissions = w.retransmissions;
                debug!(%target, id = w.guard.id, retransmissions, "timeout");
                break Err(Error::Timeout {
                    target,
                    retransmissions,
                });
            }
            // While the socket is not writable, what is queued waits;
            // another copy would only queue behind it.
            if now >= w.next_send && !shared.stalled.load(Ordering::Relaxed) {
                let id = if w.fresh_ids {
                    // `None` only with 2^29 entries in the table.
                    let alias = shared.table.alias(w.guard.id);
                    w.guard.aliases.extend(alias);
                    alias
                } else {
                    Some(w.guard.id)
                };
                // The same bytes for a community request (same request-id),
                // a new message for SNMPv3.
                let encoded = with_scratch(|buf| {
                    let Some(id) = id else {
                        debug!(%target, id = w.guard.id, "no id for a retransmission");
                        return Ok(());
                    };
                    this.encode.encode(id, buf)?;
                    // A failed retransmission is not fatal: the next one,
                    // or the timeout, decides.
                    if let Err(e) = shared.send(id, buf, target, false) {
                        debug!(%target, id = w.guard.id, error = %e, "retransmission failed");
                    }
                    Ok(())
                });
                if let Err(e) = encoded {
                    break Err(e);
                }
                w.retransmissions += 1;
                inc(&shared.table.counters.retransmitted);
            }
            if now >= w.next_send {
                w.next_send += refresh(this.options);
            }
            w.wake_at = w.next_send.min(w.deadline);
        };
        Poll::Ready(output)
    }
}

impl Shared {
    /// Sends `datagram` (request `id`; `first`: its first transmission),
    /// or queues a copy of it for the receive task to send in a batch.
    ///
    /// Sent at once, by the caller, unless the receive task is about to
    /// send a batch or the socket is not writable. A queued datagram that
    /// fails to send fails its request if it is a first transmission.
    ///
    /// # Errors
    ///
    /// The error of a send made here (not `WouldBlock`: that queues).
    fn send(&self, id: i32, datagram: &[u8], target: SocketAddr, first: bool) -> io::Result<()> {
        if !self.batching.load(Ordering::Relaxed) && !self.stalled.load(Ordering::Relaxed) {
            // The fast path: sent at once, no waker, no lock.
            match self.transport.try_send_to(datagram, target) {
                Ok(_) => {
                    if first {
                        inc(&self.table.counters.sent);
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        {
            let mut outbox = self.outbox.lock().unwrap_or_else(PoisonError::into_inner);
            // Checked under the lock the receive task takes to empty the
            // outbox after closing: a request that raced with the close
            // queues nothing that no one would send or free (it fails with
            // `Closed`).
            if self.table.closed.load(Ordering::SeqCst) {
                return Ok(());
            }
            let bytes = outbox.arena.copy(datagram);
            outbox.datagrams.push(Outgoing { bytes, target });
            outbox.meta.push(Queued { id, first });
        }
        self.outbox_waker.wake();
        Ok(())
    }
}

impl Table {
    fn new(max_in_flight: usize) -> Self {
        Self {
            slots: StdMutex::new(Requests {
                cells: Slots::new(rand::random::<u32>()),
                timers: Timers::default(),
            }),
            timer_waker: AtomicWaker::new(),
            in_flight: AtomicUsize::new(0),
            max_in_flight,
            counters: Counters::default(),
            closed: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Requests> {
        // Nothing panics while holding it; a poisoned table is still whole.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Entries: requests, and the aliases of SNMPv3 retransmissions.
    fn len(&self) -> usize {
        self.lock().cells.len()
    }

    fn stats(&self) -> Stats {
        let c = &self.counters;
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
            in_flight: self.in_flight.load(Ordering::Relaxed) as u64,
        }
    }

    /// Inserts `entry` under a fresh id: request-ids in 1..=2^31-1, one
    /// after another from a random start (RFC 3416 allows negative ids, but
    /// agents mishandle them). Returns the guard that removes it, which
    /// holds `table` (borrowed by an exchange, shared by a
    /// [`PendingRequest`]).
    fn insert<T: Deref<Target = Self>>(table: T, entry: Entry) -> Result<Guard<T>, Error> {
        let this = &*table;
        let busy = Error::Busy {
            max: this.max_in_flight,
        };
        let wake_at = entry.wake_at;
        let (id, first) = {
            let mut slots = this.lock();
            // Checked under the lock `close` takes after setting the flag:
            // either `close` fails this entry, or this sees the flag.
            if this.closed.load(Ordering::SeqCst) {
                return Err(Error::Closed);
            }
            let in_flight = this.in_flight.load(Ordering::Relaxed);
            if in_flight >= this.max_in_flight {
                return Err(busy);
            }
            let id = slots.cells.insert(Slot::Request(entry)).ok_or(busy)?;
            this.in_flight.store(in_flight + 1, Ordering::Relaxed);
            let first = wake_at.is_some_and(|at| slots.timers.push(at, id));
            (id, first)
        };
        if first {
            this.timer_waker.wake();
        }
        Ok(Guard {
            table,
            id,
            aliases: Vec::new(),
            taken: false,
        })
    }

    /// A fresh id that routes to the request `primary`; `None` if the table
    /// cannot grow.
    fn alias(&self, primary: i32) -> Option<i32> {
        self.lock().cells.insert(Slot::Alias(primary))
    }

    /// Request `id` wants waking at `at` (if no reply comes first).
    fn set_timer(&self, id: i32, at: Instant) {
        let first = {
            let mut slots = self.lock();
            let Requests { cells, timers } = &mut *slots;
            match cells.get_mut(id) {
                Some(Slot::Request(entry)) => {
                    entry.wake_at = Some(at);
                    timers.push(at, id)
                }
                _ => false,
            }
        };
        if first {
            self.timer_waker.wake();
        }
    }

    /// The receive task's part of the timers: wakes the requests whose
    /// time has come, and arms `sleep` for the next one. `wakers` is room
    /// to wake them in once the lock is released.
    fn poll_timers(
        &self,
        cx: &mut Context<'_>,
        mut sleep: Pin<&mut Sleep>,
        wakers: &mut Vec<Waker>,
    ) {
        self.timer_waker.register(cx.waker());
        loop {
            let Some(next) = self.lock().timers.next() else {
                return;
            };
            if sleep.deadline() != next {
                sleep.as_mut().reset(next);
            }
            if sleep.as_mut().poll(cx).is_pending() {
                return;
            }
            let now = Instant::now();
            let mut due = 0;
            {
                let mut slots = self.lock();
                let Requests { cells, timers } = &mut *slots;
                while let Some((at, id)) = timers.pop_due(now) {
                    due += 1;
                    // Skipped: a request that ended, moved its time, or
                    // has its reply.
                    if let Some(Slot::Request(entry)) = cells.get_mut(id) {
                        if entry.wake_at == Some(at) {
                            wakers.extend(entry.waker.clone());
                        }
                    }
                }
            }
            wakers.drain(..).for_each(Waker::wake);
            if due == 0 {
                // The timer fired before the time it was set for: look
                // again in a millisecond rather than spin.
                sleep.as_mut().reset(now + Duration::from_millis(1));
                let _ = sleep.as_mut().poll(cx);
                return;
            }
        }
    }

    /// The reply of request `id` if it has come: then its entry is removed.
    /// Otherwise `waker` (if any) is the one its reply wakes.
    fn take_reply(&self, id: i32, waker: Option<&Waker>) -> Option<Result<Reply, Error>> {
        let mut slots = self.lock();
        match slots.cells.get_mut(id) {
            Some(Slot::Request(entry)) => {
                if let Some(waker) = waker {
                    match &mut entry.waker {
                        Some(w) if w.will_wake(waker) => {}
                        w => *w = Some(waker.clone()),
                    }
                }
                None
            }
            Some(Slot::Done(_)) => match slots.cells.remove(id) {
                Some(Slot::Done(reply)) => {
                    decrement_locked(&self.in_flight);
                    Some(reply)
                }
                _ => unreachable!("the entry was just found"),
            },
            // Only the request removes its entry: not reached.
            Some(Slot::Alias(_)) | None => Some(Err(Error::Closed)),
        }
    }

    /// The SNMPv3 request a msgID routes to (itself, or the request it is
    /// an alias of) and what its response must be, or the verdict when no
    /// request from `from` waits for it. One lookup for a first
    /// transmission's msgID, two for an alias.
    fn usm_request(
        &self,
        id: i32,
        from: SocketAddr,
        recent: &RecentIds,
    ) -> Result<(i32, UsmExpect), Routed> {
        let slots = self.lock();
        let primary = match slots.cells.get(id) {
            Some(Slot::Request(e)) => return e.usm_expect(from).map(|u| (id, u)),
            Some(Slot::Done(_)) => return Err(Routed::Duplicate),
            Some(Slot::Alias(primary)) => *primary,
            None if recent.contains(id) => return Err(Routed::Duplicate),
            None => return Err(Routed::UnknownId),
        };
        match slots.cells.get(primary) {
            Some(Slot::Request(e)) => e.usm_expect(from).map(|u| (primary, u)),
            _ => Err(Routed::Duplicate),
        }
    }

    /// Routes `datagram`; `arena` takes the plaintext of an encrypted
    /// SNMPv3 message.
    fn route(
        &self,
        from: SocketAddr,
        datagram: &Bytes,
        recent: &mut RecentIds,
        arena: &mut Arena,
        received: &mut ReceivedAt,
    ) -> Routed {
        let header = match MessageHeader::decode(datagram) {
            Ok(h) => h,
            Err(e) if e.kind == DecodeErrorKind::UnknownVersion(3) => {
                return self.route_v3(from, datagram, recent, arena, received);
            }
            Err(e) => return self.drop_datagram(from, None, Routed::DecodeError, &e),
        };
        let id = header.request_id;
        // Everything a community response is checked against is in its
        // header: the entry is checked and completed in one lookup.
        let mut slots = self.lock();
        let verdict = match slots.cells.get(id) {
            None if recent.contains(id) => Routed::Duplicate,
            None => Routed::UnknownId,
            Some(Slot::Done(_)) => Routed::Duplicate,
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
            drop(slots);
            return self.drop_datagram(from, Some(id), verdict, &"no request waits for it");
        }
        // The agent's answer; its varbinds are decoded when the request
        // takes it.
        let reply = Reply::Community(Undecoded {
            bytes: datagram.clone(),
            pdu_type: header.pdu_type,
            request_id: id,
            error_status: header.error_status,
            error_index: header.error_index,
            varbinds: header.varbinds_span(),
        });
        let entry = slots
            .cells
            .get_mut(id)
            .map(|s| std::mem::replace(s, Slot::Done(Ok(reply))));
        drop(slots);
        match entry {
            Some(Slot::Request(entry)) => self.finish(from, id, entry, recent),
            _ => unreachable!("the entry was just checked"),
        }
    }

    /// An SNMPv3 message (RFC 3412 §7.2, RFC 3414 §3.2): found by msgID,
    /// authenticated, decrypted, and checked against its request.
    fn route_v3(
        &self,
        from: SocketAddr,
        datagram: &Bytes,
        recent: &mut RecentIds,
        arena: &mut Arena,
        received: &mut ReceivedAt,
    ) -> Routed {
        let h = match HeaderV3::decode(datagram) {
            Ok(h) if h.security_model == SECURITY_MODEL_USM => h,
            Ok(_) => return self.drop_datagram(from, None, Routed::Mismatch, &"not USM"),
            Err(e) => return self.drop_datagram(from, None, Routed::DecodeError, &e),
        };
        let id = h.msg_id;
        // A reply to any transmission of the request: its msgID may be an
        // alias of the request's first one. The entry stays until the
        // message is authenticated: a forgery must not take it.
        let (primary, expect) = match self.usm_request(id, from, recent) {
            Ok(found) => found,
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
        let encrypted = h.flags & FLAG_PRIV != 0;
        let scoped = if encrypted {
            match (&expect.privacy, h.encrypted()) {
                // Decrypted in a copy in the arena: the scoped PDU's values
                // share the arena's memory, as a community reply's share the
                // datagram's.
                (Some(key), Some(encrypted)) if authenticated => arena
                    .copy_with(encrypted, |plain| {
                        key.decrypt_in_place(h.engine_boots, h.engine_time, h.priv_params, plain)
                    })
                    .map_err(|_| Error::Decryption)
                    .and_then(|plain| match ScopedPdu::decode_head(&plain) {
                        Ok(head) => Ok((plain, head)),
                        Err(_) => Err(Error::Decryption),
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
            h.scoped_pdu_head(datagram)
                .map(|head| (datagram.clone(), head))
                .map_err(Error::Decode)
        };
        // Only what the request's key vouches for may fail the request; an
        // unauthenticated message that does not decode is dropped: for it
        // (a Report, to a request with a key), the varbinds are decoded
        // here once to check them, and again by the request.
        let vouched = authenticated || expect.auth.is_none();
        let (bytes, head) = match scoped {
            Ok((bytes, head))
                if !vouched
                    && crate::codec::varbinds_at(&bytes, head.varbinds.clone()).is_err() =>
            {
                return self.drop_datagram(
                    from,
                    Some(id),
                    Routed::DecodeError,
                    &"malformed varbinds",
                );
            }
            Ok(s) => s,
            Err(e) if vouched => {
                return self.complete(from, primary, Err(e), recent);
            }
            Err(e) => return self.drop_datagram(from, Some(id), Routed::DecodeError, &e),
        };
        let acceptable = match head.pdu_type {
            // Reports correlate by msgID alone: agents put 0, 2^31-1 or a
            // random request-id in them.
            PduType::Report => true,
            PduType::Response => head.request_id == id && vouched,
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
        if authenticated
            && head.pdu_type == PduType::Response
            && !expect.in_time_window(&h, received.now())
        {
            return self.drop_datagram(
                from,
                Some(id),
                Routed::NotInTimeWindow,
                &"outside the time window",
            );
        }
        let reply = UndecodedV3 {
            scoped: Undecoded {
                bytes,
                pdu_type: head.pdu_type,
                request_id: head.request_id,
                error_status: head.error_status,
                error_index: head.error_index,
                varbinds: head.varbinds,
            },
            // `h` was read from `datagram`: a slice of it, no copy.
            engine_id: datagram.slice_ref(h.engine_id),
            engine_boots: h.engine_boots,
            engine_time: h.engine_time,
            authenticated,
            encrypted,
        };
        self.complete(from, primary, Ok(Reply::V3(reply)), recent)
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

    /// Completes request `id` with `result` if it still waits.
    fn complete(
        &self,
        from: SocketAddr,
        id: i32,
        result: Result<Reply, Error>,
        recent: &mut RecentIds,
    ) -> Routed {
        let mut slots = self.lock();
        match slots.cells.get_mut(id) {
            Some(slot @ Slot::Request(_)) => {
                let Slot::Request(entry) = std::mem::replace(slot, Slot::Done(result)) else {
                    unreachable!("matched as a request");
                };
                drop(slots);
                self.finish(from, id, entry, recent)
            }
            // Completed by a reply to another of its messages meanwhile.
            Some(_) => {
                drop(slots);
                inc(&self.counters.dropped_duplicate);
                Routed::Duplicate
            }
            // Cancelled between the check and now.
            None => {
                drop(slots);
                inc(&self.counters.dropped_unknown_id);
                Routed::UnknownId
            }
        }
    }

    /// Counts request `id` completed, its reply stored in the table, and
    /// wakes it. `entry` is what it waited with.
    fn finish(&self, from: SocketAddr, id: i32, entry: Entry, recent: &mut RecentIds) -> Routed {
        recent.insert(id);
        inc(&self.counters.completed);
        trace!(%from, id, "response");
        if let Some(waker) = entry.waker {
            waker.wake();
        }
        Routed::Completed(id)
    }

    /// Fails the request `id` with `error` (a queued first transmission
    /// that could not be sent).
    fn fail(&self, id: i32, error: Error) {
        let mut slots = self.lock();
        if let Some(slot @ Slot::Request(_)) = slots.cells.get_mut(id) {
            debug!(id, %error, "send failed");
            let Slot::Request(entry) = std::mem::replace(slot, Slot::Done(Err(error))) else {
                unreachable!("matched as a request");
            };
            drop(slots);
            if let Some(waker) = entry.waker {
                waker.wake();
            }
        }
    }

    /// Marks the dispatcher closed and fails every request in flight.
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let mut wakers = Vec::new();
        {
            let mut slots = self.lock();
            for slot in slots.cells.values_mut() {
                if let Slot::Request(entry) = slot {
                    wakers.extend(entry.waker.take());
                    *slot = Slot::Done(Err(Error::Closed));
                }
            }
        }
        wakers.into_iter().for_each(Waker::wake);
    }
}

/// Writes an SNMPv3 request (RFC 3414 §3.1.1): msgID and request-id `id`,
/// reportable, encrypted with `privacy` and signed with `usm.auth` when set.
/// One buffer of exactly the message's size: the scopedPDU is encrypted
/// where it lies, then the whole message signed in place.
fn encode_v3(
    usm: &UsmRequest,
    privacy: Option<&PrivKey>,
    salt: Option<u64>,
    id: i32,
    pdu: &RequestPdu<'_>,
    buf: &mut Vec<u8>,
) -> Result<(), Error> {
    let privacy = privacy.zip(salt);
    let mut flags = FLAG_REPORTABLE;
    if usm.auth.is_some() {
        flags |= FLAG_AUTH;
    }
    if privacy.is_some() {
        flags |= FLAG_PRIV;
    }
    let request = RequestV3 {
        msg_id: id,
        max_size: 65507,
        flags,
        engine_id: &usm.engine_id,
        engine_boots: usm.engine_boots,
        engine_time: usm.engine_time,
        user_name: &usm.user_name,
        auth_len: usm.auth.as_ref().map_or(0, |k| k.protocol().mac_len()),
        privacy: privacy.map(|(key, _)| key.protocol()),
        context_engine_id: &usm.context_engine_id,
        context_name: &usm.context_name,
        pdu: *pdu,
    };
    let layout = request.write(buf);
    let usm_error = |e: snmux_usm::Error| Error::Io(io::Error::other(e));
    if let Some((key, salt)) = privacy {
        let params = key
            .encrypt_in_place(
                usm.engine_boots,
                usm.engine_time,
                salt,
                &mut buf[layout.scoped_offset..],
                layout.scoped_len,
            )
            .map_err(usm_error)?;
        buf[layout.priv_offset..layout.priv_offset + params.len()].copy_from_slice(&params);
    }
    if let Some(key) = &usm.auth {
        key.sign(buf, layout.auth_offset).map_err(usm_error)?;
    }
    Ok(())
}

/// Removes a request's entry and aliases when its future completes or is
/// dropped; `T` is how it holds the table (`&Table` in an exchange: no
/// reference count to change).
struct Guard<T: Deref<Target = Table>> {
    table: T,
    id: i32,
    /// Further ids of the request (SNMPv3 retransmissions).
    aliases: Vec<i32>,
    /// Whether the entry of `id` is gone already: the request took its
    /// reply.
    taken: bool,
}

impl<T: Deref<Target = Table>> Drop for Guard<T> {
    fn drop(&mut self) {
        if !self.taken || !self.aliases.is_empty() {
            let mut slots = self.table.lock();
            if !self.taken && slots.cells.remove(self.id).is_some() {
                decrement_locked(&self.table.in_flight);
            }
            for alias in &self.aliases {
                slots.cells.remove(*alias);
            }
        }
    }
}

/// Request-ids completed recently, to count duplicates apart: a
/// direct-mapped ring, one slot per id modulo its size.
///
/// The table hands out ids one after another (aliases too), so the ids of
/// the last `cap` requests fall in distinct slots: a completed id is
/// remembered until one handed out at least `cap` ids later completes.
/// The slots start at 0, an id never handed out.
struct RecentIds {
    slots: Box<[i32]>,
    mask: usize,
}

impl RecentIds {
    /// `cap` is rounded up to a power of two.
    fn new(cap: usize) -> Self {
        let cap = cap.max(1).next_power_of_two();
        Self {
            slots: vec![0; cap].into_boxed_slice(),
            mask: cap - 1,
        }
    }

    fn slot(&self, id: i32) -> usize {
        id as u32 as usize & self.mask
    }

    fn contains(&self, id: i32) -> bool {
        id != 0 && self.slots[self.slot(id)] == id
    }

    fn insert(&mut self, id: i32) {
        let slot = self.slot(id);
        self.slots[slot] = id;
    }
}

/// Copies datagrams into shared chunks, so that a datagram costs no
/// allocation of its own: a `Bytes` of the chunk's memory, which values of
/// a reply slice further (the receive task's arena) or which waits in the
/// outbox until its batch is sent (the outbox's). A chunk is freed when the last value that
/// refers to it is; a reply kept for long keeps its chunk (at most
/// [`CHUNK`] bytes). Datagrams larger than a quarter chunk get their own.
///
/// The [`SPENT`] chunks filled before the current one are kept, and one is
/// used again once every datagram in it has been dropped (most are, by the
/// time the next chunk fills: a reply once its caller has read it, a
/// queued datagram once its batch is sent): receiving and queueing
/// allocate nothing in the steady state, even when one batch fills more
/// than a chunk.
#[derive(Default)]
struct Arena {
    chunk: BytesMut,
    /// Filled chunks, oldest first.
    spent: VecDeque<BytesMut>,
}

/// The size of an arena chunk.
const CHUNK: usize = 16 * 1024;
/// Filled chunks an arena keeps for reuse: with the current one, 64 KiB,
/// the room of 256 SNMPv3 requests of 250 bytes (a batch, at most).
const SPENT: usize = 3;

impl Arena {
    fn new() -> Self {
        Self::default()
    }

    fn copy(&mut self, datagram: &[u8]) -> Bytes {
        match self.copy_with(datagram, |_| Ok::<(), Infallible>(())) {
            Ok(bytes) => bytes,
            Err(never) => match never {},
        }
    }

    /// A copy of `data`, changed in place by `change` (a decryption); its
    /// error if it fails, the copy's room then taken back.
    fn copy_with<E>(
        &mut self,
        data: &[u8],
        change: impl FnOnce(&mut [u8]) -> Result<(), E>,
    ) -> Result<Bytes, E> {
        if data.len() > CHUNK / 4 {
            let mut own = BytesMut::from(data);
            change(&mut own)?;
            return Ok(own.freeze());
        }
        if self.chunk.capacity() - self.chunk.len() < data.len() {
            // `try_reclaim` succeeds only if no `Bytes` of it is left.
            let next = match self.spent.iter_mut().position(|c| c.try_reclaim(CHUNK)) {
                Some(i) => self.spent.remove(i).unwrap_or_default(),
                None => BytesMut::with_capacity(CHUNK),
            };
            let full = std::mem::replace(&mut self.chunk, next);
            if self.spent.len() == SPENT {
                // Freed when the last datagram in it is.
                self.spent.pop_front();
            }
            self.spent.push_back(full);
        }
        // The chunk is empty here: every copy is split off.
        self.chunk.extend_from_slice(data);
        if let Err(e) = change(&mut self.chunk) {
            self.chunk.clear();
            return Err(e);
        }
        Ok(self.chunk.split().freeze())
    }
}

/// The receive task's side of the outbox: what it took from it and has not
/// sent yet.
#[derive(Default)]
struct Flusher {
    taken: Outbox,
    /// How many of `taken` were sent (or failed).
    done: usize,
}

impl Flusher {
    /// Sends what requests queued, in batches, until the outbox is empty or
    /// the transport is not writable (then the transport wakes the task).
    fn poll_flush(&mut self, cx: &mut Context<'_>, shared: &Shared) {
        shared.outbox_waker.register(cx.waker());
        let mut sent_any = false;
        loop {
            if self.done == self.taken.datagrams.len() {
                self.taken.datagrams.clear();
                self.taken.meta.clear();
                self.done = 0;
                let mut outbox = shared.outbox.lock().unwrap_or_else(PoisonError::into_inner);
                if outbox.datagrams.is_empty() {
                    drop(outbox);
                    shared.stalled.store(false, Ordering::Relaxed);
                    if sent_any {
                        // The batch's successors are out: requests send
                        // for themselves again until the next batch.
                        shared.batching.store(false, Ordering::Relaxed);
                    }
                    return;
                }
                std::mem::swap(&mut *outbox, &mut self.taken);
            }
            let rest = &self.taken.datagrams[self.done..];
            match shared.transport.poll_send_batch(cx, rest) {
                Poll::Ready(Ok(n)) => {
                    let n = n.clamp(1, rest.len());
                    let first = self.taken.meta[self.done..self.done + n]
                        .iter()
                        .filter(|q| q.first)
                        .count();
                    shared
                        .table
                        .counters
                        .sent
                        .fetch_add(first as u64, Ordering::Relaxed);
                    self.done += n;
                    sent_any = true;
                }
                Poll::Ready(Err(e)) => {
                    let q = self.taken.meta[self.done];
                    if q.first {
                        shared.table.fail(q.id, Error::Io(e));
                    } else {
                        debug!(id = q.id, error = %e, "retransmission failed");
                    }
                    self.done += 1;
                }
                Poll::Pending => {
                    shared.stalled.store(true, Ordering::Relaxed);
                    return;
                }
            }
        }
    }
}

async fn receive_task(shared: Arc<Shared>) {
    let mut batch = RecvBatch::new(RECV_BATCH, RECV_BUFFER);
    let mut recent = RecentIds::new(RECENT_IDS);
    let mut arena = Arena::new();
    let mut flusher = Flusher::default();
    // Every request's retransmissions and deadline: one timer, at the
    // first of their times.
    let timer = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(timer);
    let mut wakers = Vec::new();
    let shutdown = shared.shutdown.notified();
    tokio::pin!(shutdown);
    loop {
        let received = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = poll_fn(|cx| {
                flusher.poll_flush(cx, &shared);
                shared.table.poll_timers(cx, timer.as_mut(), &mut wakers);
                batch.clear();
                shared.transport.poll_recv_batch(cx, &mut batch)
            }) => r,
        };
        match received {
            Ok(n) => {
                shared
                    .table
                    .counters
                    .received
                    .fetch_add(n as u64, Ordering::Relaxed);
                if n >= 2 {
                    // The requests these complete will mostly send again
                    // at once: let them queue, and send them in one batch.
                    shared.batching.store(true, Ordering::Relaxed);
                }
                let mut received = ReceivedAt::default();
                for (bytes, from) in batch.iter() {
                    let datagram = arena.copy(bytes);
                    shared
                        .table
                        .route(from, &datagram, &mut recent, &mut arena, &mut received);
                }
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
    shared.table.close();
    // What is still queued belongs to requests that now fail.
    let mut outbox = shared.outbox.lock().unwrap_or_else(PoisonError::into_inner);
    outbox.datagrams.clear();
    outbox.meta.clear();
}

#[cfg(test)]
mod tests {
    use std::task::Waker;

    use tokio::io::ReadBuf;

    use super::*;

    #[test]
    fn recent_ids_are_remembered_until_one_a_ring_later_completes() {
        let mut recent = RecentIds::new(4000);
        assert_eq!(recent.slots.len(), 4096);
        assert!(!recent.contains(0), "0 is never an id");
        let first = 0x7ffe_e000_i32;
        for id in first..first + 4096 {
            assert!(!recent.contains(id));
            recent.insert(id);
        }
        assert!((first..first + 4096).all(|id| recent.contains(id)));
        // Not completed: not remembered, whatever shares its slot.
        assert!(!recent.contains(first + 4096));
        assert!(!recent.contains(first - 4096));
        recent.insert(first + 4096);
        assert!(recent.contains(first + 4096));
        assert!(!recent.contains(first), "its slot was taken");
        assert!(recent.contains(first + 1));
    }

    /// A change that fails leaves nothing behind: the next copy takes its
    /// room, and what was copied before is intact.
    #[test]
    fn a_failed_arena_change_takes_its_room_back() {
        let mut arena = Arena::new();
        let before = arena.copy(b"before");
        let failed = arena.copy_with(b"secret", |buf| {
            buf[0] = b'S';
            Err("no")
        });
        assert_eq!(failed, Err("no"));
        let after = arena.copy_with(b"abc", |buf| {
            buf.reverse();
            Ok::<(), ()>(())
        });
        assert_eq!(after.as_deref(), Ok(&b"cba"[..]));
        assert_eq!(&before[..], b"before");
        // Right after `before`, where the failed copy was.
        assert_eq!(after.unwrap().as_ptr(), before.as_ptr().wrapping_add(6));
    }

    /// A chunk is used again only when nothing refers to it: a datagram
    /// kept while the next chunk fills keeps its chunk and its bytes; once
    /// every datagram of a spent chunk is dropped, its memory comes back.
    #[test]
    fn the_arena_reuses_only_chunks_nothing_refers_to() {
        const PER_CHUNK: usize = CHUNK / 1_000;
        let datagram = |i: usize| vec![i as u8; 1_000];
        for keep_one in [false, true] {
            let mut arena = Arena::new();
            // Chunk A, full; then chunk B's first datagram.
            let a: Vec<Bytes> = (0..PER_CHUNK).map(|i| arena.copy(&datagram(i))).collect();
            let a_start = a[0].as_ptr();
            let mut b = vec![arena.copy(&datagram(100))];
            let kept = if keep_one { Some(a[3].clone()) } else { None };
            drop(a);
            // Chunk B fills; the next datagram takes A back if it can.
            b.extend((1..PER_CHUNK).map(|i| arena.copy(&datagram(100 + i))));
            let next = arena.copy(&datagram(200));
            assert_eq!(next.as_ptr() == a_start, !keep_one, "keep_one {keep_one}");
            assert_eq!(&next[..], &datagram(200)[..]);
            if let Some(kept) = kept {
                assert_eq!(&kept[..], &datagram(3)[..]);
            }
            for (i, d) in b.iter().enumerate() {
                assert_eq!(&d[..], &datagram(100 + i)[..]);
            }
        }
    }

    /// A batch that fills several chunks before any of them is free again
    /// (a round of queued requests) gets them all back once it is dropped:
    /// the next chunks are the same memory, not new allocations.
    #[test]
    fn the_arena_reuses_every_chunk_of_a_batch_that_filled_several() {
        const PER_CHUNK: usize = CHUNK / 1_000;
        let datagram = |i: usize| vec![i as u8; 1_000];
        let mut arena = Arena::new();
        // Three chunks, full, all held at once; then a fourth's first.
        let batch: Vec<Bytes> = (0..3 * PER_CHUNK)
            .map(|i| arena.copy(&datagram(i)))
            .collect();
        let starts: Vec<*const u8> = batch
            .iter()
            .step_by(PER_CHUNK)
            .map(|d| d.as_ptr())
            .collect();
        let fourth = arena.copy(&datagram(7));
        assert!(
            !starts.contains(&fourth.as_ptr()),
            "a new chunk while all are held"
        );
        drop(batch);
        // The fourth chunk fills; the next chunks are the first three.
        let more: Vec<Bytes> = (1..4 * PER_CHUNK)
            .map(|i| arena.copy(&datagram(i)))
            .collect();
        let reused: Vec<*const u8> = more[PER_CHUNK - 1..]
            .iter()
            .step_by(PER_CHUNK)
            .map(|d| d.as_ptr())
            .collect();
        assert_eq!(reused.len(), 3);
        for start in &reused {
            assert!(starts.contains(start), "a chunk of the dropped batch");
        }
        for (i, d) in more.iter().enumerate() {
            assert_eq!(&d[..], &datagram(i + 1)[..]);
        }
        assert_eq!(&fourth[..], &datagram(7)[..]);
    }
    use crate::{AnyPdu, Message};

    /// A transport that is not writable until told, and that, like tokio's
    /// `UdpSocket`, remembers only the waker of the last `Pending` send.
    #[derive(Debug, Default)]
    struct NotYetWritable {
        writable: AtomicBool,
        /// Once writable, refuse every datagram (ECONNREFUSED).
        refuse: AtomicBool,
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
                if self.refuse.load(Ordering::SeqCst) {
                    return Poll::Ready(Err(io::ErrorKind::ConnectionRefused.into()));
                }
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
        let requests = spawn_gets(&dispatcher, 10);
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
        let r = get(&dispatcher, &options).await;
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

    /// A GET without varbinds to 127.0.0.1:161, community public.
    async fn get(dispatcher: &Dispatcher, options: &RequestOptions) -> Result<Pdu, Error> {
        let pdu = Pdu::new(PduType::GetRequest, 0, Vec::new());
        let target = SocketAddr::from(([127, 0, 0, 1], 161));
        dispatcher
            .request(
                target,
                Version::V2c,
                Bytes::from_static(b"public"),
                pdu,
                options,
            )
            .await
    }

    /// `n` tasks, each sending [`get`] with the default options.
    fn spawn_gets(
        dispatcher: &Dispatcher,
        n: usize,
    ) -> Vec<tokio::task::JoinHandle<Result<Pdu, Error>>> {
        (0..n)
            .map(|_| {
                let d = dispatcher.clone();
                tokio::spawn(async move { get(&d, &RequestOptions::default()).await })
            })
            .collect()
    }

    async fn until(mut done: impl FnMut() -> bool) {
        let wait = async {
            while !done() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        };
        tokio::time::timeout(Duration::from_millis(500), wait)
            .await
            .expect("the condition within 500 ms");
    }

    /// Datagrams queued while the socket is not writable are not sent after
    /// a shutdown, and their requests fail with `Closed`.
    #[tokio::test(start_paused = true)]
    async fn queued_requests_fail_on_shutdown_and_are_not_sent() {
        let transport = Arc::new(NotYetWritable::default());
        let dispatcher = Dispatcher::start(transport.clone(), 100, 65507);
        let requests = spawn_gets(&dispatcher, 10);
        until(|| dispatcher.table_len() == 10).await;
        dispatcher.shutdown();
        for r in requests {
            let r = r.await.expect("not cancelled");
            assert!(matches!(r, Err(Error::Closed)), "{r:?}");
        }
        transport.make_writable();
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(transport.sent.load(Ordering::SeqCst), 0);
        assert_eq!(dispatcher.table_len(), 0);
        assert_eq!(dispatcher.stats().in_flight, 0);
    }

    /// Cancelling requests whose datagrams wait in the queue removes their
    /// entries at once; the others are sent when the socket is writable.
    /// (The cancelled ones' datagrams may still go out, as they would had
    /// they been sent just before; a response to them matches nothing.)
    #[tokio::test(start_paused = true)]
    async fn cancelled_queued_requests_leave_no_entry() {
        let transport = Arc::new(NotYetWritable::default());
        let dispatcher = Dispatcher::start(transport.clone(), 100, 65507);
        let mut requests = spawn_gets(&dispatcher, 10);
        until(|| dispatcher.table_len() == 10).await;
        for r in requests.drain(..4) {
            r.abort();
            assert!(r.await.expect_err("aborted").is_cancelled());
        }
        assert_eq!(dispatcher.table_len(), 6);
        assert_eq!(dispatcher.stats().in_flight, 6);
        transport.make_writable();
        until(|| dispatcher.stats().sent == 10).await;
        assert_eq!(dispatcher.table_len(), 6);
        for r in requests {
            r.abort();
        }
        until(|| dispatcher.table_len() == 0).await;
        assert_eq!(dispatcher.stats().in_flight, 0);
    }

    /// A queued first transmission that the transport refuses fails its
    /// request with that error, at once, as a direct send would.
    #[tokio::test(start_paused = true)]
    async fn a_refused_queued_send_is_the_requests_error() {
        let transport = Arc::new(NotYetWritable::default());
        transport.refuse.store(true, Ordering::SeqCst);
        let dispatcher = Dispatcher::start(transport.clone(), 100, 65507);
        let requests = spawn_gets(&dispatcher, 3);
        until(|| dispatcher.table_len() == 3).await;
        let started = Instant::now();
        transport.make_writable();
        for r in requests {
            let r = r.await.expect("not cancelled");
            assert!(
                matches!(&r, Err(Error::Io(e)) if e.kind() == io::ErrorKind::ConnectionRefused),
                "{r:?}"
            );
        }
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(dispatcher.table_len(), 0);
        assert_eq!(dispatcher.stats().sent, 0);
    }

    /// An agent on a TestNet that answers every GET: many requests in
    /// flight make the receive task read batches, and their successors
    /// queue and go out in batches. Every request gets its own answer.
    #[tokio::test(start_paused = true)]
    async fn batched_receives_and_sends_answer_every_request() {
        use snmux_transport::test::{Faults, TestNet};

        let net = TestNet::new(7);
        net.set_faults(Faults::none().delay(Duration::from_millis(1)..=Duration::from_millis(3)));
        let agent = SocketAddr::from(([10, 0, 0, 1], 161));
        let _agent = net.serve(agent, |request| {
            let Ok(Message {
                version,
                community,
                pdu: AnyPdu::Pdu(pdu),
            }) = Message::decode(&Bytes::copy_from_slice(request))
            else {
                return None;
            };
            // The answer names the request-id, so a mix-up shows.
            let value = crate::Value::Integer(pdu.request_id);
            let varbinds = vec![crate::VarBind::new(
                crate::Oid::from_slice(&[1, 3, 6]),
                value,
            )];
            let response = Message::new(
                version,
                community,
                Pdu::new(PduType::Response, pdu.request_id, varbinds),
            );
            Some(response.to_vec())
        });
        let socket = net.bind(SocketAddr::from(([10, 0, 0, 100], 0)));
        let dispatcher = Dispatcher::start(Arc::new(socket), 1000, 65507);
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let d = dispatcher.clone();
                tokio::spawn(async move {
                    for _ in 0..20 {
                        let pdu = Pdu::new(PduType::GetRequest, 0, Vec::new());
                        let reply = d
                            .request(
                                agent,
                                Version::V2c,
                                Bytes::from_static(b"public"),
                                pdu,
                                &RequestOptions::default(),
                            )
                            .await
                            .expect("an answer");
                        assert_eq!(
                            reply.varbinds[0].value,
                            crate::Value::Integer(reply.request_id),
                            "the answer to this request"
                        );
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.expect("no panic");
        }
        let stats = dispatcher.stats();
        assert_eq!(
            (stats.sent, stats.completed, stats.retransmitted),
            (1280, 1280, 0)
        );
        assert_eq!(stats.received, 1280);
        assert_eq!(dispatcher.table_len(), 0);
    }
}
