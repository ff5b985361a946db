//! Datagram transports for snmux.
//!
//! The engine talks to the network through the [`Transport`] trait: one
//! object, shared by the send path (which runs in each request's future) and
//! the receive task. [`UdpTransport`] is the real thing (RFC 3417 §2, SNMP
//! over UDP, IPv4 or IPv6); [`test::TestNet`] is an in-memory network for
//! tests that loses, duplicates, reorders, delays and forges datagrams under
//! tokio's paused clock.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

use std::fmt::Debug;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::ReadBuf;

pub mod test;
mod udp;

pub use udp::{UdpConfig, UdpTransport};

/// A datagram socket the engine can send on and receive from.
///
/// Implementations are shared between many tasks through an `Arc`; both
/// methods take `&self`. They follow the contract of tokio's
/// [`UdpSocket::poll_send_to`](tokio::net::UdpSocket::poll_send_to) and
/// [`UdpSocket::poll_recv_from`](tokio::net::UdpSocket::poll_recv_from):
/// `Pending` registers the waker of `cx`.
pub trait Transport: Debug + Send + Sync + 'static {
    /// Sends one datagram to `target`. Returns the number of bytes sent.
    ///
    /// # Errors
    ///
    /// The OS error of the send (for UDP, e.g. `ENETUNREACH`, or
    /// `ECONNREFUSED` reported from an earlier ICMP message).
    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>>;

    /// Sends one datagram to `target` if that can be done at once, without
    /// registering for a wakeup: `WouldBlock` if the transport is not
    /// writable now. Returns the number of bytes sent.
    ///
    /// This is the fast path of every request. It exists because
    /// [`Transport::poll_send_to`] keeps, as tokio's `UdpSocket` does, only
    /// the waker of its most recent `Pending` caller: callers that may wait
    /// must take turns, and those that need not wait should not touch the
    /// waker at all.
    ///
    /// The default always answers `WouldBlock`, which is correct for any
    /// transport and sends every datagram through `poll_send_to`.
    ///
    /// # Errors
    ///
    /// `WouldBlock`, or the errors of [`Transport::poll_send_to`].
    fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let _ = (buf, target);
        Err(io::ErrorKind::WouldBlock.into())
    }

    /// Receives one datagram into `buf` and returns its source address.
    ///
    /// A datagram longer than the space left in `buf` is truncated.
    ///
    /// # Errors
    ///
    /// The OS error of the receive. Errors that concern one peer (ICMP
    /// port unreachable surfacing as `ConnectionRefused` or
    /// `ConnectionReset`) are transient: the caller keeps receiving.
    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>>;

    /// Receives one or more datagrams into the spare slots of `batch`,
    /// appending them, and returns how many. `Pending` (registering the
    /// waker of `cx`) when none is ready; `Ready(Ok(0))` only when `batch`
    /// has no spare slot. A datagram longer than a slot is truncated.
    ///
    /// The receive task of the engine calls this, not
    /// [`Transport::poll_recv_from`]: a transport that can read several
    /// datagrams in one system call ([`UdpTransport`] on Linux, with
    /// `recvmmsg`) does so here. The default receives one datagram with
    /// `poll_recv_from`.
    ///
    /// # Errors
    ///
    /// As [`Transport::poll_recv_from`]; no datagram was added then.
    fn poll_recv_batch(
        &self,
        cx: &mut Context<'_>,
        batch: &mut RecvBatch,
    ) -> Poll<io::Result<usize>> {
        let Some(slot) = batch.spare_slots_mut().next() else {
            return Poll::Ready(Ok(0));
        };
        let mut read = ReadBuf::new(slot);
        let from = ready!(self.poll_recv_from(cx, &mut read))?;
        let len = read.filled().len();
        batch.push(len, from);
        Poll::Ready(Ok(1))
    }

    /// Sends a prefix of `datagrams`, each to its target, and returns how
    /// many were sent: at least one unless `datagrams` is empty. `Pending`
    /// (registering the waker of `cx`) when the transport cannot send the
    /// first one now.
    ///
    /// The receive task of the engine sends the datagrams that requests
    /// queued with this, in one system call where the transport can
    /// ([`UdpTransport`] on Linux, with `sendmmsg` and UDP GSO). The default sends them
    /// one at a time with [`Transport::poll_send_to`], up to the first that
    /// would wait or fail.
    ///
    /// # Errors
    ///
    /// The error of `datagrams[0]`, which was not sent (the caller decides
    /// whether to drop it and go on with the rest); as
    /// [`Transport::poll_send_to`].
    fn poll_send_batch(
        &self,
        cx: &mut Context<'_>,
        datagrams: &[Outgoing],
    ) -> Poll<io::Result<usize>> {
        let mut sent = 0;
        for d in datagrams {
            match self.poll_send_to(cx, &d.bytes, d.target) {
                Poll::Ready(Ok(_)) => sent += 1,
                Poll::Ready(Err(e)) if sent == 0 => return Poll::Ready(Err(e)),
                Poll::Pending if sent == 0 => return Poll::Pending,
                Poll::Ready(Err(_)) | Poll::Pending => break,
            }
        }
        Poll::Ready(Ok(sent))
    }

    /// The local address the transport is bound to.
    ///
    /// # Errors
    ///
    /// The OS error of `getsockname`.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// A datagram to send, and where to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The payload.
    pub bytes: Bytes,
    /// The destination.
    pub target: SocketAddr,
}

/// Space for a batch of received datagrams: a fixed number of slots of a
/// fixed size, in one buffer, reused from batch to batch.
///
/// The receiver calls [`Transport::poll_recv_batch`], reads the datagrams
/// with [`RecvBatch::iter`], and [`clear`](RecvBatch::clear)s it for the
/// next batch. A transport fills the [spare
/// slots](RecvBatch::spare_slots_mut) in order and records each datagram
/// with [`RecvBatch::push`].
///
/// # Examples
///
/// ```
/// use snmux_transport::RecvBatch;
///
/// let mut batch = RecvBatch::new(4, 1500);
/// let slot = batch.spare_slots_mut().next().expect("a spare slot");
/// slot[..4].copy_from_slice(b"ping");
/// batch.push(4, "192.0.2.1:161".parse().expect("literal address"));
/// let (bytes, from) = batch.iter().next().expect("one datagram");
/// assert_eq!((bytes, from.port()), (&b"ping"[..], 161));
/// ```
pub struct RecvBatch {
    /// `slots` slots of `slot_size` bytes, back to back.
    buf: Vec<u8>,
    slot_size: usize,
    /// Length and source of each filled slot, in order.
    filled: Vec<(usize, SocketAddr)>,
}

impl RecvBatch {
    /// A batch of `slots` slots (at least 1) of `slot_size` bytes (at least
    /// 1). The buffer is allocated zeroed, so that the OS maps its pages
    /// only as datagrams touch them.
    pub fn new(slots: usize, slot_size: usize) -> Self {
        let slots = slots.max(1);
        let slot_size = slot_size.max(1);
        Self {
            buf: vec![0; slots * slot_size],
            slot_size,
            filled: Vec::with_capacity(slots),
        }
    }

    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.buf.len() / self.slot_size
    }

    /// The size of each slot, in bytes.
    pub fn slot_size(&self) -> usize {
        self.slot_size
    }

    /// The number of datagrams in the batch.
    pub fn len(&self) -> usize {
        self.filled.len()
    }

    /// Whether the batch holds no datagram.
    pub fn is_empty(&self) -> bool {
        self.filled.is_empty()
    }

    /// Empties the batch; the slots are reused.
    pub fn clear(&mut self) {
        self.filled.clear();
    }

    /// The datagrams of the batch and their sources, in the order received.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&[u8], SocketAddr)> + '_ {
        self.filled.iter().enumerate().map(|(i, &(len, from))| {
            let start = i * self.slot_size;
            (&self.buf[start..start + len], from)
        })
    }

    /// The spare slots, in the order [`RecvBatch::push`] fills them.
    pub fn spare_slots_mut(&mut self) -> std::slice::ChunksExactMut<'_, u8> {
        let start = self.filled.len() * self.slot_size;
        self.buf[start..].chunks_exact_mut(self.slot_size)
    }

    /// Records that the first spare slot now holds a datagram of `len`
    /// bytes (at most the slot size) from `from`. Returns `false`, and
    /// records nothing, when no slot is spare.
    pub fn push(&mut self, len: usize, from: SocketAddr) -> bool {
        if self.filled.len() == self.capacity() {
            return false;
        }
        self.filled.push((len.min(self.slot_size), from));
        true
    }
}

impl Debug for RecvBatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecvBatch")
            .field("capacity", &self.capacity())
            .field("slot_size", &self.slot_size)
            .field("len", &self.len())
            .finish()
    }
}

/// [`Transport::poll_send_to`] as a future, for the inherent `send_to`
/// methods of the transports in this crate.
pub(crate) async fn send_to<T: Transport + ?Sized>(
    transport: &T,
    buf: &[u8],
    target: SocketAddr,
) -> io::Result<usize> {
    std::future::poll_fn(|cx| transport.poll_send_to(cx, buf, target)).await
}

/// [`Transport::poll_recv_from`] as a future over a plain slice: returns the
/// number of bytes received (at most `buf.len()`) and the source.
pub(crate) async fn recv_from<T: Transport + ?Sized>(
    transport: &T,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr)> {
    std::future::poll_fn(|cx| {
        let mut read = ReadBuf::new(&mut *buf);
        let source = std::task::ready!(transport.poll_recv_from(cx, &mut read))?;
        Poll::Ready(Ok((read.filled().len(), source)))
    })
    .await
}
