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
use std::task::{Context, Poll};

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

    /// The local address the transport is bound to.
    ///
    /// # Errors
    ///
    /// The OS error of `getsockname`.
    fn local_addr(&self) -> io::Result<SocketAddr>;
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
