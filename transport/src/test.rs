//! An in-memory datagram network for tests, with fault injection.
//!
//! For tests only: nothing here touches the OS. A [`TestNet`] routes
//! datagrams between [`TestSocket`]s bound to arbitrary addresses
//! (`10.0.0.1:161`, `[2001:db8::1]:161`, …) and applies a [`Faults`] model
//! to each one: loss, duplication, corruption and a random delay per copy
//! (so that copies with different delays arrive out of order). Delays run on
//! tokio timers, so tests use the paused clock
//! (`#[tokio::test(start_paused = true)]`) and take no wall-clock time.
//!
//! Every random choice comes from one RNG seeded in [`TestNet::new`]: the
//! same test with the same seed makes the same choices, as long as its
//! datagrams are sent in the same order (true on tokio's current-thread
//! runtime, the default of `#[tokio::test]`).
//!
//! # Examples
//!
//! An agent at `10.0.0.1:161` that echoes each request, over a link that
//! loses nothing but delays every datagram by 10 to 50 ms:
//!
//! ```
//! use std::time::Duration;
//!
//! use snmux_transport::test::{Faults, TestNet};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> std::io::Result<()> {
//! let net = TestNet::new(42);
//! net.set_faults(Faults::none().delay(Duration::from_millis(10)..=Duration::from_millis(50)));
//! let agent = "10.0.0.1:161".parse().expect("literal address");
//! let _agent = net.serve(agent, |request| Some(request.to_vec()));
//!
//! let manager = net.bind("10.0.0.100:0".parse().expect("literal address"));
//! manager.send_to(b"ping", agent).await?;
//! let mut buf = [0; 1500];
//! let (len, from) = manager.recv_from(&mut buf).await?;
//! assert_eq!((&buf[..len], from), (&b"ping"[..], agent));
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::ReadBuf;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::task::JoinHandle;

use crate::{RecvBatch, Transport};

/// Default capacity of a socket's inbox: 4096 datagrams.
pub const DEFAULT_INBOX_CAPACITY: usize = 4096;

/// Largest datagram a [`TestSocket`] sends: 65 507 bytes, the largest UDP
/// payload over IPv4.
pub const MAX_DATAGRAM_SIZE: usize = 65_507;

/// First port handed out for a bind to port 0 (the IANA dynamic range,
/// 49152–65535).
const FIRST_EPHEMERAL_PORT: u16 = 49_152;

/// An in-memory datagram network with fault injection, for tests.
///
/// A cheap handle: clones share one network. See the [module
/// documentation](self) for an example.
#[derive(Clone)]
pub struct TestNet {
    shared: Arc<Mutex<State>>,
}

/// What can go wrong with each datagram on a link.
///
/// A builder: the setters take `self` and return `Self`; the fields are
/// public too. Each datagram sent is first lost with probability `loss`;
/// a datagram not lost is duplicated with probability `duplicate` (one extra
/// copy); each copy is then corrupted with probability `corrupt` and delayed
/// by a duration drawn uniformly from `delay`.
///
/// Probabilities outside 0..=1 act as the nearest bound (NaN as 0).
#[derive(Clone, Debug, PartialEq)]
#[must_use = "Faults do nothing until passed to TestNet::set_faults or set_link_faults"]
pub struct Faults {
    /// Probability (0..=1) that a datagram is lost. Default 0.
    pub loss: f64,
    /// Probability (0..=1) that a datagram arrives twice. Default 0.
    pub duplicate: f64,
    /// Probability (0..=1) that a copy has one byte flipped (XOR with a
    /// random non-zero value at a random offset; empty datagrams stay
    /// intact). Default 0.
    pub corrupt: f64,
    /// Range of the delay of each copy, drawn uniformly. Default zero: the
    /// copy is in the target's inbox when `poll_send_to` returns. A range
    /// whose end is not above its start means a fixed delay of its start.
    pub delay: RangeInclusive<Duration>,
}

/// Counters of a [`TestNet`], since it was created.
///
/// Every copy that leaves the fault model (`sent - lost + duplicated`) and
/// every injected datagram ends up counted once as `delivered`,
/// `unroutable` or `overflowed`, unless it is still delayed in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Datagrams sent through a [`TestSocket`] or by a [`TestNet::serve`]
    /// agent.
    pub sent: u64,
    /// Datagrams (copies included) placed in an inbox.
    pub delivered: u64,
    /// Datagrams the fault model lost.
    pub lost: u64,
    /// Datagrams the fault model duplicated (each made one extra copy).
    pub duplicated: u64,
    /// Copies the fault model corrupted.
    pub corrupted: u64,
    /// Copies for an address no socket was bound to when they arrived.
    pub unroutable: u64,
    /// Copies dropped because the target's inbox was full.
    pub overflowed: u64,
    /// Datagrams forged with [`TestNet::inject`].
    pub injected: u64,
}

/// One datagram a [`TestNet::serve_with`] handler sends back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The payload.
    pub bytes: Bytes,
    /// Source address of the reply; `None` (the default) for the agent's own
    /// address. Any address works, bound or not: this is how a test forges
    /// a response from the wrong source.
    pub from: Option<SocketAddr>,
}

/// A socket bound on a [`TestNet`]; implements [`Transport`].
///
/// Received datagrams wait in a bounded inbox (capacity set with
/// [`TestNet::set_inbox_capacity`], default 4096 datagrams). Sending never
/// blocks: the datagram is handed to the fault model at once. Dropping the
/// socket unbinds its address.
///
/// One task receives at a time: a second task polling `poll_recv_from`
/// concurrently replaces the first one's waker.
pub struct TestSocket {
    shared: Arc<Mutex<State>>,
    addr: SocketAddr,
    id: u64,
    inbox: Mutex<mpsc::Receiver<Datagram>>,
}

/// Keeps an agent started by [`TestNet::serve`] running; dropping it stops
/// the agent and unbinds its address at once.
#[must_use = "the agent stops when the guard is dropped"]
pub struct ServeGuard {
    task: JoinHandle<()>,
    shared: Arc<Mutex<State>>,
    addr: SocketAddr,
    id: u64,
}

impl TestNet {
    /// A network with no sockets, no faults and every random choice drawn
    /// from an RNG seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            shared: Arc::new(Mutex::new(State {
                rng: StdRng::seed_from_u64(seed),
                faults: Faults::none(),
                links: HashMap::new(),
                sockets: HashMap::new(),
                inbox_capacity: DEFAULT_INBOX_CAPACITY,
                next_id: 0,
                next_port: FIRST_EPHEMERAL_PORT,
                stats: NetStats::default(),
            })),
        }
    }

    /// Sets the faults of every link that has no faults of its own (see
    /// [`set_link_faults`](Self::set_link_faults)). Default
    /// [`Faults::none`]. Applies to datagrams sent from now on.
    pub fn set_faults(&self, faults: Faults) {
        lock(&self.shared).faults = faults;
    }

    /// Sets the faults of the one direction `from` → `to`, overriding
    /// [`set_faults`](Self::set_faults). Applies to datagrams sent from now
    /// on.
    pub fn set_link_faults(&self, from: SocketAddr, to: SocketAddr, faults: Faults) {
        lock(&self.shared).links.insert((from, to), faults);
    }

    /// Removes the faults of the direction `from` → `to`; it follows
    /// [`set_faults`](Self::set_faults) again.
    pub fn clear_link_faults(&self, from: SocketAddr, to: SocketAddr) {
        lock(&self.shared).links.remove(&(from, to));
    }

    /// Sets the inbox capacity, in datagrams, of sockets bound from now on.
    /// Default 4096; 0 counts as 1.
    pub fn set_inbox_capacity(&self, datagrams: usize) {
        lock(&self.shared).inbox_capacity = datagrams.max(1);
    }

    /// Binds a socket to `addr`. Port 0 picks a free port from 49152 up.
    ///
    /// The address is used as it is, as the source of what the socket sends
    /// and the only address it receives on: a socket bound to `0.0.0.0:161`
    /// does not receive datagrams sent to `10.0.0.1:161`.
    ///
    /// # Panics
    ///
    /// When `addr` is already bound on this network, or port 0 finds no
    /// free port; [`try_bind`](Self::try_bind) returns an error instead.
    pub fn bind(&self, addr: SocketAddr) -> TestSocket {
        match self.try_bind(addr) {
            Ok(socket) => socket,
            Err(error) => panic!("TestNet::bind({addr}): {error}"),
        }
    }

    /// Binds a socket to `addr`, as [`bind`](Self::bind).
    ///
    /// # Errors
    ///
    /// `AddrInUse` when `addr` is already bound on this network, or port 0
    /// finds no free port.
    pub fn try_bind(&self, addr: SocketAddr) -> io::Result<TestSocket> {
        let (addr, id, inbox) = lock(&self.shared).bind(addr)?;
        Ok(TestSocket {
            shared: Arc::clone(&self.shared),
            addr,
            id,
            inbox: Mutex::new(inbox),
        })
    }

    /// Whether a socket is bound to `addr`.
    pub fn is_bound(&self, addr: SocketAddr) -> bool {
        lock(&self.shared).sockets.contains_key(&addr)
    }

    /// Places a forged datagram in the inbox of `to`, with source `from`,
    /// at once and without faults. Returns whether it was queued (`false`
    /// when nothing is bound to `to` or its inbox is full; counted in
    /// [`NetStats`] either way).
    ///
    /// For garbage, truncated messages, or a response from the wrong source.
    pub fn inject(&self, from: SocketAddr, to: SocketAddr, datagram: impl Into<Bytes>) -> bool {
        let mut state = lock(&self.shared);
        state.stats.injected += 1;
        state.deliver(from, to, datagram.into())
    }

    /// The counters so far.
    pub fn stats(&self) -> NetStats {
        lock(&self.shared).stats
    }

    /// Runs an agent at `addr`: each datagram received is passed to
    /// `handler`, and the datagram it returns, if any, goes back to the
    /// sender through the fault model.
    ///
    /// The address is bound before this returns. The agent runs in a tokio
    /// task until the returned guard is dropped.
    ///
    /// # Panics
    ///
    /// As [`bind`](Self::bind), and outside a tokio runtime.
    pub fn serve<F>(&self, addr: SocketAddr, mut handler: F) -> ServeGuard
    where
        F: FnMut(&[u8]) -> Option<Vec<u8>> + Send + 'static,
    {
        self.serve_with(addr, move |request, _| {
            handler(request).map(Reply::new).into_iter().collect()
        })
    }

    /// Runs an agent at `addr`, as [`serve`](Self::serve), whose `handler`
    /// also gets the sender's address and returns any number of replies,
    /// each from the agent's address or a forged one (see [`Reply`]).
    /// Replies go to the sender, through the fault model, in order.
    ///
    /// # Panics
    ///
    /// As [`bind`](Self::bind), and outside a tokio runtime.
    pub fn serve_with<F>(&self, addr: SocketAddr, mut handler: F) -> ServeGuard
    where
        F: FnMut(&[u8], SocketAddr) -> Vec<Reply> + Send + 'static,
    {
        let socket = self.bind(addr);
        let (addr, id) = (socket.addr, socket.id);
        let shared = Arc::clone(&self.shared);
        let task = tokio::spawn(async move {
            let mut buf = vec![0; MAX_DATAGRAM_SIZE];
            // Ends when the guard unbinds the socket (its inbox closes).
            while let Ok((len, peer)) = socket.recv_from(&mut buf).await {
                for reply in handler(&buf[..len], peer) {
                    let from = reply.from.unwrap_or(addr);
                    if let Err(error) = transmit(&shared, from, peer, &reply.bytes) {
                        tracing::debug!(%from, %peer, %error, "test agent reply not sent");
                    }
                }
            }
        });
        ServeGuard {
            task,
            shared: Arc::clone(&self.shared),
            addr,
            id,
        }
    }
}

impl fmt::Debug for TestNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared);
        f.debug_struct("TestNet")
            .field("bound", &state.sockets.len())
            .field("faults", &state.faults)
            .field("stats", &state.stats)
            .finish_non_exhaustive()
    }
}

impl Faults {
    /// No faults: every datagram arrives once, intact, at once.
    pub const fn none() -> Self {
        Self {
            loss: 0.0,
            duplicate: 0.0,
            corrupt: 0.0,
            delay: Duration::ZERO..=Duration::ZERO,
        }
    }

    /// Probability (0..=1) that a datagram is lost. Default 0.
    pub const fn loss(mut self, probability: f64) -> Self {
        self.loss = probability;
        self
    }

    /// Probability (0..=1) that a datagram arrives twice. Default 0.
    pub const fn duplicate(mut self, probability: f64) -> Self {
        self.duplicate = probability;
        self
    }

    /// Probability (0..=1) that a copy has one byte flipped. Default 0.
    pub const fn corrupt(mut self, probability: f64) -> Self {
        self.corrupt = probability;
        self
    }

    /// Range of the delay of each copy, drawn uniformly. Default zero.
    pub fn delay(mut self, range: RangeInclusive<Duration>) -> Self {
        self.delay = range;
        self
    }

    /// The same delay for every copy. Default zero.
    pub fn fixed_delay(self, delay: Duration) -> Self {
        self.delay(delay..=delay)
    }
}

impl Default for Faults {
    fn default() -> Self {
        Self::none()
    }
}

impl Reply {
    /// A reply with payload `bytes` from the agent's own address.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        Self {
            bytes: bytes.into(),
            from: None,
        }
    }

    /// Sends the reply with source address `addr` instead of the agent's.
    pub fn sent_from(mut self, addr: SocketAddr) -> Self {
        self.from = Some(addr);
        self
    }
}

impl TestSocket {
    /// Sends one datagram to `target`: [`Transport::poll_send_to`] as a
    /// future.
    ///
    /// # Errors
    ///
    /// As [`Transport::poll_send_to`].
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        crate::send_to(self, buf, target).await
    }

    /// Receives one datagram into `buf` and returns its length and source:
    /// [`Transport::poll_recv_from`] as a future. A longer datagram is
    /// truncated to `buf.len()`.
    ///
    /// # Errors
    ///
    /// As [`Transport::poll_recv_from`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: no datagram is consumed unless the future completes.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        crate::recv_from(self, buf).await
    }
}

impl Transport for TestSocket {
    /// Hands the datagram to the fault model; never `Pending`.
    ///
    /// Sending to an address nothing is bound to succeeds (the datagram is
    /// counted as unroutable), as with UDP.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a datagram over [`MAX_DATAGRAM_SIZE`]; `Other` if
    /// the faults call for a delay outside a tokio runtime.
    fn poll_send_to(
        &self,
        _cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(transmit(&self.shared, self.addr, target, buf).map(|()| buf.len()))
    }

    fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        transmit(&self.shared, self.addr, target, buf).map(|()| buf.len())
    }

    /// Takes the next datagram from the inbox.
    ///
    /// # Errors
    ///
    /// `NotConnected` once the address was unbound from under the socket
    /// (only a [`ServeGuard`] does that).
    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let mut inbox = self.inbox.lock().unwrap_or_else(PoisonError::into_inner);
        match inbox.poll_recv(cx) {
            Poll::Ready(Some(datagram)) => {
                let len = datagram.bytes.len().min(buf.remaining());
                buf.put_slice(&datagram.bytes[..len]);
                Poll::Ready(Ok(datagram.from))
            }
            Poll::Ready(None) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                format!("test socket {} was unbound", self.addr),
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Takes the datagrams waiting in the inbox, up to the spare slots of
    /// `batch`; a longer datagram is truncated to the slot size.
    ///
    /// # Errors
    ///
    /// As [`TestSocket::poll_recv_from`](Transport::poll_recv_from), when
    /// no datagram was taken.
    fn poll_recv_batch(
        &self,
        cx: &mut Context<'_>,
        batch: &mut RecvBatch,
    ) -> Poll<io::Result<usize>> {
        let mut inbox = self.inbox.lock().unwrap_or_else(PoisonError::into_inner);
        let mut taken = 0;
        loop {
            let Some(slot) = batch.spare_slots_mut().next() else {
                return Poll::Ready(Ok(taken));
            };
            let datagram = if taken == 0 {
                match inbox.poll_recv(cx) {
                    Poll::Ready(Some(d)) => d,
                    Poll::Ready(None) => {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::NotConnected,
                            format!("test socket {} was unbound", self.addr),
                        )));
                    }
                    Poll::Pending => return Poll::Pending,
                }
            } else {
                match inbox.try_recv() {
                    Ok(d) => d,
                    Err(_) => return Poll::Ready(Ok(taken)),
                }
            };
            let len = datagram.bytes.len().min(slot.len());
            slot[..len].copy_from_slice(&datagram.bytes[..len]);
            batch.push(len, datagram.from);
            taken += 1;
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

impl fmt::Debug for TestSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestSocket")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for TestSocket {
    fn drop(&mut self) {
        lock(&self.shared).unbind(self.addr, self.id);
    }
}

impl ServeGuard {
    /// The address the agent is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl fmt::Debug for ServeGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeGuard")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for ServeGuard {
    fn drop(&mut self) {
        self.task.abort();
        // The task may only drop its socket later; free the address now.
        lock(&self.shared).unbind(self.addr, self.id);
    }
}

/// The network behind the handles.
struct State {
    rng: StdRng,
    faults: Faults,
    links: HashMap<(SocketAddr, SocketAddr), Faults>,
    sockets: HashMap<SocketAddr, Binding>,
    inbox_capacity: usize,
    /// Tells apart successive bindings of one address.
    next_id: u64,
    next_port: u16,
    stats: NetStats,
}

struct Binding {
    id: u64,
    inbox: mpsc::Sender<Datagram>,
}

struct Datagram {
    from: SocketAddr,
    bytes: Bytes,
}

impl State {
    fn bind(
        &mut self,
        mut addr: SocketAddr,
    ) -> io::Result<(SocketAddr, u64, mpsc::Receiver<Datagram>)> {
        if addr.port() == 0 {
            addr.set_port(self.free_port(addr)?);
        } else if self.sockets.contains_key(&addr) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("{addr} is already bound"),
            ));
        }
        let (tx, rx) = mpsc::channel(self.inbox_capacity);
        let id = self.next_id;
        self.next_id += 1;
        self.sockets.insert(addr, Binding { id, inbox: tx });
        Ok((addr, id, rx))
    }

    /// A port from the dynamic range not bound at `addr`'s IP.
    fn free_port(&mut self, mut addr: SocketAddr) -> io::Result<u16> {
        let range = u16::MAX - FIRST_EPHEMERAL_PORT + 1;
        for _ in 0..range {
            let port = self.next_port;
            self.next_port = port.checked_add(1).unwrap_or(FIRST_EPHEMERAL_PORT);
            addr.set_port(port);
            if !self.sockets.contains_key(&addr) {
                return Ok(port);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!("no free port at {}", addr.ip()),
        ))
    }

    /// Removes the binding `id` of `addr`, not a later one.
    fn unbind(&mut self, addr: SocketAddr, id: u64) {
        if self
            .sockets
            .get(&addr)
            .is_some_and(|binding| binding.id == id)
        {
            self.sockets.remove(&addr);
        }
    }

    /// Places one copy in the inbox of `to`, counting the outcome.
    fn deliver(&mut self, from: SocketAddr, to: SocketAddr, bytes: Bytes) -> bool {
        let Some(binding) = self.sockets.get(&to) else {
            self.stats.unroutable += 1;
            return false;
        };
        match binding.inbox.try_send(Datagram { from, bytes }) {
            Ok(()) => {
                self.stats.delivered += 1;
                true
            }
            Err(TrySendError::Full(_)) => {
                self.stats.overflowed += 1;
                false
            }
            Err(TrySendError::Closed(_)) => {
                self.stats.unroutable += 1;
                false
            }
        }
    }

    /// Draws `true` with probability `p` (clamped to 0..=1, NaN as 0).
    fn chance(&mut self, p: f64) -> bool {
        // `random::<f64>()` is in [0, 1): p <= 0 and NaN never pass, p >= 1
        // always does.
        self.rng.random::<f64>() < p
    }

    fn draw_delay(&mut self, range: &RangeInclusive<Duration>) -> Duration {
        let (start, end) = (*range.start(), *range.end());
        if end <= start {
            start
        } else {
            self.rng.random_range(start..=end)
        }
    }
}

/// Sends one datagram from `from` to `to` through the fault model.
fn transmit(
    shared: &Arc<Mutex<State>>,
    from: SocketAddr,
    to: SocketAddr,
    payload: &[u8],
) -> io::Result<()> {
    if payload.len() > MAX_DATAGRAM_SIZE {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "datagram of {} bytes is over the maximum of {MAX_DATAGRAM_SIZE}",
                payload.len()
            ),
        ));
    }
    let mut state = lock(shared);
    let faults = match state.links.get(&(from, to)) {
        Some(faults) => faults.clone(),
        None => state.faults.clone(),
    };
    let runtime = if *faults.delay.start() > Duration::ZERO || *faults.delay.end() > Duration::ZERO
    {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => Some(runtime),
            Err(error) => {
                return Err(io::Error::other(format!(
                    "TestNet needs a tokio runtime to delay datagrams: {error}"
                )));
            }
        }
    } else {
        None
    };

    state.stats.sent += 1;
    if state.chance(faults.loss) {
        state.stats.lost += 1;
        return Ok(());
    }
    let copies = if state.chance(faults.duplicate) {
        state.stats.duplicated += 1;
        2
    } else {
        1
    };
    for _ in 0..copies {
        let bytes = if !payload.is_empty() && state.chance(faults.corrupt) {
            state.stats.corrupted += 1;
            let mut bytes = payload.to_vec();
            let offset = state.rng.random_range(0..bytes.len());
            let flip = state.rng.random_range(1..=u8::MAX);
            if let Some(byte) = bytes.get_mut(offset) {
                *byte ^= flip;
            }
            Bytes::from(bytes)
        } else {
            Bytes::copy_from_slice(payload)
        };
        let delay = state.draw_delay(&faults.delay);
        match &runtime {
            Some(runtime) if !delay.is_zero() => {
                let shared = Arc::downgrade(shared);
                runtime.spawn(deliver_later(shared, delay, from, to, bytes));
            }
            _ => {
                state.deliver(from, to, bytes);
            }
        }
    }
    Ok(())
}

async fn deliver_later(
    shared: Weak<Mutex<State>>,
    delay: Duration,
    from: SocketAddr,
    to: SocketAddr,
    bytes: Bytes,
) {
    tokio::time::sleep(delay).await;
    // Nobody can receive once every handle is gone.
    if let Some(shared) = shared.upgrade() {
        lock(&shared).deliver(from, to, bytes);
    }
}

/// Locks the network state. Every change to it is complete before anything
/// that can panic, so a poisoned lock still holds a consistent state.
fn lock(shared: &Mutex<State>) -> MutexGuard<'_, State> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}
