//! SNMP over UDP (RFC 3417 §2), IPv4 and IPv6.

use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::task::{Context, Poll, ready};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::ReadBuf;
use tokio::net::UdpSocket;

use crate::{Outgoing, RecvBatch, Transport};

/// Settings for a [`UdpTransport`].
///
/// A builder: every setter takes `self` and returns `Self`; pass the result
/// to [`UdpTransport::bind`].
///
/// # Examples
///
/// ```no_run
/// use snmux_transport::{UdpConfig, UdpTransport};
///
/// # async fn example() -> std::io::Result<()> {
/// let config = UdpConfig::new()
///     .bind("[::]:0".parse().expect("literal address"))
///     .recv_buffer_size(16 * 1024 * 1024);
/// let transport = UdpTransport::bind(config)?;
/// println!("receive buffer: {} bytes", transport.recv_buffer_size());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a UdpConfig does nothing until it is passed to UdpTransport::bind"]
pub struct UdpConfig {
    bind: SocketAddr,
    recv_buffer_size: usize,
    send_buffer_size: usize,
}

impl UdpConfig {
    /// Default local address: `0.0.0.0:0` (every IPv4 interface, a port the
    /// OS picks).
    pub const DEFAULT_BIND: SocketAddr =
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));

    /// Default socket receive buffer (`SO_RCVBUF`): 8 MiB.
    pub const DEFAULT_RECV_BUFFER_SIZE: usize = 8 * 1024 * 1024;

    /// Default socket send buffer (`SO_SNDBUF`): 4 MiB.
    pub const DEFAULT_SEND_BUFFER_SIZE: usize = 4 * 1024 * 1024;

    /// Settings with every default: bind `0.0.0.0:0`, 8 MiB receive buffer,
    /// 4 MiB send buffer.
    pub const fn new() -> Self {
        Self {
            bind: Self::DEFAULT_BIND,
            recv_buffer_size: Self::DEFAULT_RECV_BUFFER_SIZE,
            send_buffer_size: Self::DEFAULT_SEND_BUFFER_SIZE,
        }
    }

    /// Local address to bind. Default `0.0.0.0:0`.
    ///
    /// Port 0 lets the OS pick a free port. The unspecified IPv6 address
    /// (`[::]`) makes a dual-stack socket that also reaches IPv4 targets;
    /// any other IPv6 address keeps the OS default for `IPV6_V6ONLY`.
    pub const fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Socket receive buffer (`SO_RCVBUF`) to ask for, in bytes. Default
    /// 8 MiB; 0 leaves the OS default.
    ///
    /// A large buffer absorbs bursts of responses while the receive task is
    /// busy. The kernel caps the request (on Linux at `net.core.rmem_max`,
    /// and then reports twice the value it keeps for bookkeeping); a request
    /// the kernel refuses does not fail [`UdpTransport::bind`]. Read the size
    /// in force with [`UdpTransport::recv_buffer_size`].
    pub const fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.recv_buffer_size = bytes;
        self
    }

    /// Socket send buffer (`SO_SNDBUF`) to ask for, in bytes. Default 4 MiB;
    /// 0 leaves the OS default.
    ///
    /// The kernel caps the request (on Linux at `net.core.wmem_max`); a
    /// request the kernel refuses does not fail [`UdpTransport::bind`]. Read
    /// the size in force with [`UdpTransport::send_buffer_size`].
    pub const fn send_buffer_size(mut self, bytes: usize) -> Self {
        self.send_buffer_size = bytes;
        self
    }
}

impl Default for UdpConfig {
    fn default() -> Self {
        Self::new()
    }
}

/// A [`Transport`] over one UDP socket, IPv4 or IPv6.
///
/// On an IPv6 socket, IPv4 targets are sent to their IPv4-mapped address
/// (`::ffff:a.b.c.d`), and IPv4-mapped source addresses of received
/// datagrams are reported as [`SocketAddr::V4`], so a response from an IPv4
/// agent carries the same address the request was sent to. (IPv4 targets
/// are only reachable from a dual-stack socket, i.e. one bound to `[::]`;
/// elsewhere the OS refuses the send.) An IPv4 socket refuses IPv6 targets
/// with `InvalidInput`, except IPv4-mapped ones, which it unmaps.
///
/// Receive errors are returned as the OS reports them: on Linux an ICMP port
/// unreachable for an earlier send surfaces as `ConnectionRefused` on a later
/// receive, which the caller treats as transient.
#[derive(Debug)]
pub struct UdpTransport {
    socket: UdpSocket,
    is_v6: bool,
    recv_buffer_size: usize,
    send_buffer_size: usize,
    /// Whether batches go out with UDP generic segmentation offload
    /// (Linux `UDP_SEGMENT`): probed at bind, cleared if a send says the
    /// path cannot do it.
    gso: AtomicBool,
    /// How many slots the next `recvmmsg` offers (Linux).
    #[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
    recv_offer: AtomicUsize,
}

impl UdpTransport {
    /// Opens a UDP socket with the settings of `config`.
    ///
    /// The socket is non-blocking and registered with the tokio runtime of
    /// the caller. Buffer sizes are best effort: a size the kernel refuses is
    /// logged at debug level and the socket keeps the size it has.
    ///
    /// # Errors
    ///
    /// The OS error of creating or binding the socket (for example
    /// `AddrInUse`, or `AddrNotAvailable` for an address of no interface).
    ///
    /// # Panics
    ///
    /// When called outside a tokio runtime (tokio's
    /// [`UdpSocket::from_std`] panics there).
    pub fn bind(config: UdpConfig) -> io::Result<Self> {
        let addr = config.bind;
        let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
        socket.set_nonblocking(true)?;
        if let SocketAddr::V6(v6) = addr {
            if v6.ip().is_unspecified() {
                if let Err(error) = socket.set_only_v6(false) {
                    tracing::debug!(%addr, %error, "cannot make the socket dual-stack");
                }
            }
        }
        // The *FORCE options pass net.core.rmem_max/wmem_max for a process
        // with CAP_NET_ADMIN; the plain ones are capped there.
        set_buffer_size("SO_RCVBUF", config.recv_buffer_size, |size| {
            force_buffer_size(&socket, size, Buffer::Recv)
                .or_else(|_| socket.set_recv_buffer_size(size))
        });
        set_buffer_size("SO_SNDBUF", config.send_buffer_size, |size| {
            force_buffer_size(&socket, size, Buffer::Send)
                .or_else(|_| socket.set_send_buffer_size(size))
        });
        socket.bind(&addr.into())?;
        let recv_buffer_size = read_buffer_size("SO_RCVBUF", socket.recv_buffer_size());
        let send_buffer_size = read_buffer_size("SO_SNDBUF", socket.send_buffer_size());
        let socket = UdpSocket::from_std(socket.into())?;
        let gso = gso_supported(&socket);
        tracing::debug!(
            local_addr = ?socket.local_addr().ok(),
            recv_buffer_size,
            send_buffer_size,
            gso,
            "UDP transport bound"
        );
        Ok(Self {
            socket,
            is_v6: addr.is_ipv6(),
            recv_buffer_size,
            send_buffer_size,
            gso: AtomicBool::new(gso),
            // Clamped to what a call can take.
            recv_offer: AtomicUsize::new(usize::MAX),
        })
    }

    /// Receive buffer in force, in bytes, as the kernel reported it after
    /// binding (Linux reports twice the size it accounts for payload); 0 if
    /// the kernel would not say.
    pub fn recv_buffer_size(&self) -> usize {
        self.recv_buffer_size
    }

    /// Send buffer in force, in bytes, as the kernel reported it after
    /// binding (Linux reports twice the size it accounts for payload); 0 if
    /// the kernel would not say.
    pub fn send_buffer_size(&self) -> usize {
        self.send_buffer_size
    }

    /// Sends one datagram to `target`: [`Transport::poll_send_to`] as a
    /// future.
    ///
    /// # Errors
    ///
    /// As [`Transport::poll_send_to`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a datagram is either sent whole or not at all.
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

    /// The address to hand the OS for `target`, in this socket's family.
    fn os_target(&self, target: SocketAddr) -> io::Result<SocketAddr> {
        match (self.is_v6, target) {
            (true, SocketAddr::V4(v4)) => Ok(SocketAddr::V6(SocketAddrV6::new(
                v4.ip().to_ipv6_mapped(),
                v4.port(),
                0,
                0,
            ))),
            (false, SocketAddr::V6(v6)) => match v6.ip().to_ipv4_mapped() {
                Some(ip) => Ok(SocketAddr::V4(SocketAddrV4::new(ip, v6.port()))),
                None => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("cannot send to IPv6 address {target} from an IPv4 socket"),
                )),
            },
            _ => Ok(target),
        }
    }
}

impl Transport for UdpTransport {
    fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        let target = self.os_target(target)?;
        self.socket.poll_send_to(cx, buf, target)
    }

    fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        let target = self.os_target(target)?;
        self.socket.try_send_to(buf, target)
    }

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let source = ready!(self.socket.poll_recv_from(cx, buf))?;
        Poll::Ready(Ok(unmap_v4(source)))
    }

    /// On Linux, `recvmmsg`: every datagram waiting, up to the spare slots,
    /// in one system call. A call offers room for four times the batch the
    /// call before it took (at least 16 slots, every one after a call that
    /// filled all it offered): setting up a slot no datagram fills costs
    /// more than a steady queue should pay.
    ///
    /// A call that fills fewer slots than it had emptied the socket's queue:
    /// the readiness is cleared then, so that the next call waits for the
    /// next datagram instead of making a `recvmmsg` that would only say
    /// `EAGAIN` (one system call fewer per wake-up, the one that matters
    /// with one request in flight). No wake-up is lost: a datagram that
    /// arrives later raises a new (edge-triggered) event, and tokio clears
    /// only the readiness of the event this call saw.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn poll_recv_batch(
        &self,
        cx: &mut Context<'_>,
        batch: &mut RecvBatch,
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.socket.poll_recv_ready(cx))?;
            match self.socket.try_io(tokio::io::Interest::READABLE, || {
                mmsg::recv(&self.socket, self.is_v6, &self.recv_offer, batch)
            }) {
                // `try_io` cleared the readiness: poll it again.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Ok((n, drained)) => {
                    if drained {
                        let _ = self.socket.try_io(tokio::io::Interest::READABLE, || {
                            Err::<(), _>(io::ErrorKind::WouldBlock.into())
                        });
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// On Linux, `sendmmsg`: up to 64 datagrams in one system call; and a
    /// run of at least four datagrams of the same length to the same target
    /// (requests to one agent) as one `sendmsg` with UDP generic
    /// segmentation offload (`UDP_SEGMENT`, Linux 4.18): the kernel's
    /// network stack handles the run once and cuts it into the same
    /// datagrams at the end (the device, or the receiving host's stack on
    /// loopback). If the kernel refuses it (a device without checksum
    /// offload, a segment above the path MTU), the socket goes on with
    /// `sendmmsg` alone.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn poll_send_batch(
        &self,
        cx: &mut Context<'_>,
        datagrams: &[Outgoing],
    ) -> Poll<io::Result<usize>> {
        if datagrams.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            ready!(self.socket.poll_send_ready(cx))?;
            match self.socket.try_io(tokio::io::Interest::WRITABLE, || {
                mmsg::send(&self.socket, datagrams, &self.gso, |t| self.os_target(t))
            }) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

/// `recvmmsg` and `sendmmsg` through nix's safe wrappers.
#[cfg(any(target_os = "linux", target_os = "android"))]
mod mmsg {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::net::SocketAddr;
    use std::os::fd::AsRawFd;

    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use nix::errno::Errno;
    use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, sockopt};
    use tokio::net::UdpSocket;

    use super::unmap_v4;
    use crate::{Outgoing, RecvBatch};

    /// Datagrams per system call.
    pub(super) const MAX: usize = 64;

    /// The fewest slots a call offers.
    const MIN_OFFER: usize = 16;

    /// How many slots the call after one that filled `n` of `offered`
    /// offers: room for four times that batch, so that a steady queue does
    /// not pay to set up slots it never fills, and one that grows seldom
    /// takes a call more (which costs as much as some fifty idle slots);
    /// all of them after a call that filled every slot it offered.
    pub(super) fn next_offer(n: usize, offered: usize) -> usize {
        if n >= offered {
            MAX
        } else {
            (4 * n).clamp(MIN_OFFER, MAX)
        }
    }

    thread_local! {
        /// The message headers of `recvmmsg`, made once per thread (and
        /// address family): they point at their own address storage, which
        /// each call fills. Per family because the kernel sets each
        /// header's address length to what it wrote, which the next call
        /// takes as the room there is: the same for every datagram of a
        /// socket of one family (an IPv6 socket reports IPv4 peers as
        /// v4-mapped IPv6 addresses).
        static HEADERS: std::cell::RefCell<[Option<MultiHeaders<SockaddrStorage>>; 2]> =
            const { std::cell::RefCell::new([None, None]) };
    }

    /// Receives into the spare slots of `batch`, up to `offer` of them
    /// (the hint, updated here, of how many the last call suggests);
    /// returns how many datagrams it kept, and whether the socket's queue
    /// was drained (the kernel filled fewer slots than offered).
    pub(super) fn recv(
        socket: &UdpSocket,
        is_v6: bool,
        offer: &AtomicUsize,
        batch: &mut RecvBatch,
    ) -> io::Result<(usize, bool)> {
        let mut received = [(0usize, None::<SocketAddr>); MAX];
        let wanted = offer.load(Ordering::Relaxed).min(MAX);
        let (n, offered) = HEADERS.with(|headers| {
            let mut headers = headers.borrow_mut();
            let headers = headers[usize::from(is_v6)]
                .get_or_insert_with(|| MultiHeaders::preallocate(MAX, None));
            let mut slots = batch.spare_slots_mut().take(wanted);
            let mut slices: [[IoSliceMut<'_>; 1]; MAX] =
                std::array::from_fn(|_| [IoSliceMut::new(slots.next().unwrap_or_default())]);
            let spare = slices.iter().take_while(|s| !s[0].is_empty()).count();
            if spare == 0 {
                return Ok((0, 0));
            }
            let results = nix::sys::socket::recvmmsg(
                socket.as_raw_fd(),
                headers,
                slices[..spare].iter_mut(),
                MsgFlags::MSG_DONTWAIT,
                None,
            )?;
            let mut n = 0;
            for (r, out) in results.zip(received.iter_mut()) {
                *out = (r.bytes, r.address.as_ref().and_then(socket_addr));
                n += 1;
            }
            Ok::<_, Errno>((n, spare))
        })?;
        if offered == 0 {
            return Ok((0, false));
        }
        offer.store(next_offer(n, offered), Ordering::Relaxed);
        let mut pushed = 0;
        for &(len, from) in &received[..n] {
            // A datagram without an IP source cannot be answered, nor
            // matched: leave it out.
            if let Some(from) = from {
                batch.push(len, unmap_v4(from));
                pushed += 1;
            }
        }
        if pushed == 0 && n > 0 {
            // Nothing usable, but the socket was readable: not WouldBlock.
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "datagrams without an IP source address",
            ));
        }
        Ok((pushed, n < offered))
    }

    /// Sends a prefix of `datagrams`: a run that GSO can carry (see
    /// [`gso_run`]) in one `sendmsg` while `gso` holds, or with
    /// `sendmmsg` up to [`MAX`], up to where such a run begins, and up to
    /// the first whose target `os_target` refuses (its error if it is the
    /// first).
    pub(super) fn send(
        socket: &UdpSocket,
        datagrams: &[Outgoing],
        gso: &AtomicBool,
        os_target: impl Fn(SocketAddr) -> io::Result<SocketAddr>,
    ) -> io::Result<usize> {
        let mut datagrams = &datagrams[..datagrams.len().min(MAX)];
        if gso.load(Ordering::Relaxed) {
            let run = gso_run(datagrams);
            if run >= GSO_MIN_RUN {
                match send_gso(socket, &datagrams[..run], &os_target) {
                    Ok(()) => return Ok(run),
                    Err(e) if gso_refused(&e) => {
                        tracing::debug!(error = %e, "UDP GSO refused; sending without it");
                        gso.store(false, Ordering::Relaxed);
                    }
                    Err(e) => return Err(e),
                }
            } else if let Some(next) =
                (1..datagrams.len()).find(|&i| gso_run(&datagrams[i..]) >= GSO_MIN_RUN)
            {
                // The next call sends that run with GSO.
                datagrams = &datagrams[..next];
            }
        }
        let mut addrs: [Option<SockaddrStorage>; MAX] = [None; MAX];
        let mut n = 0;
        for (d, addr) in datagrams.iter().zip(addrs.iter_mut()) {
            match os_target(d.target) {
                Ok(t) => *addr = Some(SockaddrStorage::from(t)),
                Err(e) if n == 0 => return Err(e),
                Err(_) => break,
            }
            n += 1;
        }
        let slices: [[IoSlice<'_>; 1]; MAX] = std::array::from_fn(|i| {
            [IoSlice::new(
                datagrams.get(i).map_or(&[][..], |d| &d.bytes[..]),
            )]
        });
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(n, None);
        let no_cmsgs: [ControlMessage<'_>; 0] = [];
        let results = nix::sys::socket::sendmmsg(
            socket.as_raw_fd(),
            &mut headers,
            slices[..n].iter(),
            &addrs[..n],
            no_cmsgs,
            MsgFlags::MSG_DONTWAIT,
        )
        .map_err(io::Error::from)?;
        Ok(results.count())
    }

    /// The shortest run worth one GSO send instead of `sendmmsg` slots.
    const GSO_MIN_RUN: usize = 4;
    /// Segments per GSO send (Linux's `UDP_MAX_SEGMENTS` before 6.9).
    const GSO_MAX_SEGMENTS: usize = 64;
    /// The largest datagram sent with GSO: a segment must fit the path MTU
    /// unfragmented (1,280 bytes is IPv6's minimum MTU, less the headers).
    const GSO_MAX_SEGMENT: usize = 1_232;
    /// The largest GSO send: its payload is one UDP datagram to the kernel.
    const GSO_MAX_PAYLOAD: usize = 65_000;

    /// How many datagrams at the start of `datagrams` one GSO send can
    /// carry: the same target and the same length (at most
    /// [`GSO_MAX_SEGMENT`]), at most [`GSO_MAX_SEGMENTS`] and
    /// [`GSO_MAX_PAYLOAD`] bytes in all.
    pub(super) fn gso_run(datagrams: &[Outgoing]) -> usize {
        let Some(first) = datagrams.first() else {
            return 0;
        };
        let len = first.bytes.len();
        if len == 0 || len > GSO_MAX_SEGMENT {
            return 1;
        }
        datagrams
            .iter()
            .take(GSO_MAX_SEGMENTS.min(GSO_MAX_PAYLOAD / len))
            .take_while(|d| d.target == first.target && d.bytes.len() == len)
            .count()
    }

    /// One `sendmsg` of `run` (from [`gso_run`]) with `UDP_SEGMENT` set to
    /// its datagrams' length: the kernel sends each as its own datagram.
    fn send_gso(
        socket: &UdpSocket,
        run: &[Outgoing],
        os_target: &impl Fn(SocketAddr) -> io::Result<SocketAddr>,
    ) -> io::Result<()> {
        let addr = SockaddrStorage::from(os_target(run[0].target)?);
        let segment = u16::try_from(run[0].bytes.len()).map_err(io::Error::other)?;
        let slices: [IoSlice<'_>; GSO_MAX_SEGMENTS] =
            std::array::from_fn(|i| IoSlice::new(run.get(i).map_or(&[][..], |d| &d.bytes[..])));
        nix::sys::socket::sendmsg(
            socket.as_raw_fd(),
            &slices[..run.len()],
            &[ControlMessage::UdpGsoSegments(&segment)],
            MsgFlags::MSG_DONTWAIT,
            Some(&addr),
        )
        .map_err(io::Error::from)?;
        Ok(())
    }

    /// Whether a GSO send failed because the socket's path cannot segment
    /// (no checksum offload: `EIO`; a segment above the path MTU:
    /// `EINVAL`; `UDP_SEGMENT` unknown: `ENOPROTOOPT`, `EOPNOTSUPP`).
    fn gso_refused(e: &io::Error) -> bool {
        matches!(
            e.raw_os_error().map(Errno::from_raw),
            Some(Errno::EIO | Errno::EINVAL | Errno::ENOPROTOOPT | Errno::EOPNOTSUPP)
        )
    }

    /// Whether the kernel knows `UDP_SEGMENT` (Linux 4.18): it answers the
    /// option's `getsockopt`.
    pub(super) fn gso_supported(socket: &UdpSocket) -> bool {
        nix::sys::socket::getsockopt(socket, sockopt::UdpGsoSegment).is_ok()
    }

    fn socket_addr(addr: &SockaddrStorage) -> Option<SocketAddr> {
        if let Some(v4) = addr.as_sockaddr_in() {
            return Some(SocketAddr::V4((*v4).into()));
        }
        addr.as_sockaddr_in6()
            .map(|v6| SocketAddr::V6((*v6).into()))
    }
}

/// `::ffff:a.b.c.d:port` as `a.b.c.d:port`; any other address unchanged.
fn unmap_v4(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(ip) => SocketAddr::V4(SocketAddrV4::new(ip, v6.port())),
            None => addr,
        },
        SocketAddr::V4(_) => addr,
    }
}

/// Asks for a buffer size; logs instead of failing. 0 asks for nothing.
///
/// socket2 0.5 has no safe `SO_RCVBUFFORCE`/`SO_SNDBUFFORCE`, so the kernel
/// cap (`net.core.rmem_max`/`wmem_max` on Linux) applies.
fn set_buffer_size(option: &str, bytes: usize, set: impl FnOnce(usize) -> io::Result<()>) {
    if bytes == 0 {
        return;
    }
    if let Err(error) = set(bytes) {
        tracing::debug!(option, requested = bytes, %error, "cannot set socket buffer size");
    }
}

/// The size the kernel reports, or 0 (logged) if it will not say.
fn read_buffer_size(option: &str, size: io::Result<usize>) -> usize {
    size.unwrap_or_else(|error| {
        tracing::debug!(option, %error, "cannot read socket buffer size");
        0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmap_v4_converts_only_mapped_addresses() {
        let mapped: SocketAddr = "[::ffff:192.0.2.7]:161".parse().expect("literal");
        assert_eq!(unmap_v4(mapped), "192.0.2.7:161".parse().expect("literal"));
        let v6: SocketAddr = "[2001:db8::7]:161".parse().expect("literal");
        assert_eq!(unmap_v4(v6), v6);
        let v4: SocketAddr = "192.0.2.7:161".parse().expect("literal");
        assert_eq!(unmap_v4(v4), v4);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn gso_runs_are_same_target_and_length() {
        let a: SocketAddr = "127.0.0.1:1".parse().expect("literal");
        let b: SocketAddr = "127.0.0.1:2".parse().expect("literal");
        let d = |len: usize, target| Outgoing {
            bytes: bytes::Bytes::from(vec![7; len]),
            target,
        };
        assert_eq!(mmsg::gso_run(&[]), 0);
        assert_eq!(mmsg::gso_run(&[d(40, a), d(40, a), d(41, a), d(40, a)]), 2);
        assert_eq!(mmsg::gso_run(&[d(40, a), d(40, a), d(40, b)]), 2);
        assert_eq!(mmsg::gso_run(&vec![d(40, a); 100]), 64);
        assert_eq!(mmsg::gso_run(&vec![d(1_200, a); 100]), 54);
        assert_eq!(mmsg::gso_run(&vec![d(1_300, a); 10]), 1);
    }

    /// Runs that go out with GSO arrive as the datagrams they were, in
    /// order, between datagrams that do not; a run to one target never
    /// reaches another.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn batches_arrive_as_sent_datagrams() {
        let transport =
            UdpTransport::bind(UdpConfig::new().bind("127.0.0.1:0".parse().expect("literal")))
                .expect("bind");
        let a = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let b = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let (to_a, to_b) = (a.local_addr().expect("addr"), b.local_addr().expect("addr"));
        // (target, length) of each datagram; each carries its index.
        let plan: Vec<(SocketAddr, usize)> = [
            (to_a, 40, 10),
            (to_a, 50, 3),
            (to_b, 40, 5),
            (to_a, 2_000, 1),
            (to_a, 40, 70),
            (to_b, 1_232, 6),
        ]
        .into_iter()
        .flat_map(|(t, len, n)| std::iter::repeat_n((t, len), n))
        .collect();
        let datagrams: Vec<Outgoing> = plan
            .iter()
            .enumerate()
            .map(|(i, &(target, len))| {
                let mut bytes = vec![0u8; len];
                bytes[..2].copy_from_slice(&(i as u16).to_be_bytes());
                bytes[len - 1] = i as u8;
                Outgoing {
                    bytes: bytes.into(),
                    target,
                }
            })
            .collect();
        let mut rest = &datagrams[..];
        while !rest.is_empty() {
            let n = std::future::poll_fn(|cx| transport.poll_send_batch(cx, rest))
                .await
                .expect("send");
            assert!(n > 0);
            rest = &rest[n..];
        }
        for (socket, to) in [(&a, to_a), (&b, to_b)] {
            socket
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .expect("timeout");
            for (i, d) in datagrams.iter().enumerate().filter(|(_, d)| d.target == to) {
                let mut buf = [0u8; 4096];
                let (len, from) = socket.recv_from(&mut buf).expect("datagram");
                assert_eq!(from, transport.local_addr().expect("addr"));
                assert_eq!(&buf[..len], &d.bytes[..], "datagram {i}");
            }
        }
        // Loopback segments in software: nothing here made GSO fall back.
        assert!(transport.gso.load(std::sync::atomic::Ordering::Relaxed));
    }

    /// Bursts that grow and shrink, to an IPv4 and an IPv6 socket in turn
    /// on one thread: every datagram is received, whole, in order, with
    /// its source, whatever the number of slots the last call offered.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn bursts_of_any_size_are_received_whole_on_both_families() {
        let v4 = UdpTransport::bind(UdpConfig::new().bind("127.0.0.1:0".parse().expect("literal")))
            .expect("bind");
        let Ok(v6) = UdpTransport::bind(UdpConfig::new().bind("[::1]:0".parse().expect("literal")))
        else {
            return; // No IPv6 loopback here.
        };
        let from4 = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let from6 = std::net::UdpSocket::bind("[::1]:0").expect("bind");
        let mut batch = RecvBatch::new(64, 2048);
        let mut seq = 0u32;
        for burst in [1usize, 3, 40, 200, 5, 130, 2, 64, 65, 9] {
            for (transport, peer) in [(&v4, &from4), (&v6, &from6)] {
                let to = transport.local_addr().expect("addr");
                let first = seq;
                for _ in 0..burst {
                    let mut bytes = seq.to_be_bytes().to_vec();
                    bytes.resize(4 + (seq as usize % 300), seq as u8);
                    peer.send_to(&bytes, to).expect("send");
                    seq += 1;
                }
                let mut next = first;
                while next < seq {
                    batch.clear();
                    let n = std::future::poll_fn(|cx| transport.poll_recv_batch(cx, &mut batch))
                        .await
                        .expect("receive");
                    assert!(n > 0 && n <= 64);
                    for (bytes, from) in batch.iter() {
                        assert_eq!(from, peer.local_addr().expect("addr"));
                        assert_eq!(bytes.len(), 4 + (next as usize % 300));
                        assert_eq!(bytes[..4], next.to_be_bytes(), "datagram {next}");
                        next += 1;
                    }
                }
                assert_eq!(next, seq);
            }
        }
    }

    #[test]
    fn recvmmsg_offers_room_for_four_times_the_last_batch() {
        assert_eq!(mmsg::next_offer(64, 64), 64);
        assert_eq!(
            mmsg::next_offer(16, 16),
            64,
            "a full call offers every slot"
        );
        assert_eq!(mmsg::next_offer(12, 64), 48);
        assert_eq!(mmsg::next_offer(1, 64), 16);
        assert_eq!(mmsg::next_offer(20, 64), 64);
    }

    #[test]
    fn config_defaults() {
        let config = UdpConfig::default();
        assert_eq!(config, UdpConfig::new());
        assert_eq!(config.bind, "0.0.0.0:0".parse().expect("literal"));
        assert_eq!(config.recv_buffer_size, 8 * 1024 * 1024);
        assert_eq!(config.send_buffer_size, 4 * 1024 * 1024);
    }
}

#[derive(Clone, Copy)]
enum Buffer {
    Recv,
    Send,
}

/// `SO_RCVBUFFORCE` / `SO_SNDBUFFORCE` (Linux, privileged).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn force_buffer_size(socket: &Socket, size: usize, which: Buffer) -> io::Result<()> {
    use nix::sys::socket::{setsockopt, sockopt};

    match which {
        Buffer::Recv => setsockopt(socket, sockopt::RcvBufForce, &size),
        Buffer::Send => setsockopt(socket, sockopt::SndBufForce, &size),
    }
    .map_err(io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn force_buffer_size(_socket: &Socket, _size: usize, _which: Buffer) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
use mmsg::gso_supported;

/// Without `UDP_SEGMENT`, batches go out with one datagram per message.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn gso_supported(_socket: &UdpSocket) -> bool {
    false
}
