use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use dashmap::DashMap;
use snmux_engine::{Dispatcher, Stats};
use snmux_transport::{Transport, UdpConfig, UdpTransport};

use crate::v3::RemoteEngine;
use crate::{Error, ManagerBuilder, Security};

/// An SNMP engine: one socket, one receive task, and the table of requests
/// in flight, shared by every [`Manager`](crate::Manager) made from it.
///
/// `Engine` is a cheap handle: clone it freely, you do not need to wrap it
/// in an `Arc`. The receive task stops when the last handle (including the
/// ones inside managers) is dropped, or on [`Engine::shutdown`]; requests
/// still waiting then fail with [`Error::EngineClosed`].
///
/// # Examples
///
/// ```no_run
/// use snmux::{Engine, Security, oid};
///
/// # async fn demo() -> Result<(), snmux::Error> {
/// let engine = Engine::bind("0.0.0.0:0".parse().unwrap())?;
/// let agent = engine
///     .manager("192.0.2.10:161".parse().unwrap(), Security::v2c("public"))
///     .build();
/// for vb in agent.get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]).await? {
///     println!("{vb:?}");
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    dispatcher: Dispatcher,
    /// SNMPv3: what is known of each agent's engine (RFC 3414 §2.3).
    remote_engines: DashMap<SocketAddr, Arc<RemoteEngine>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.dispatcher.shutdown();
    }
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("dispatcher", &self.inner.dispatcher)
            .finish()
    }
}

impl Engine {
    /// An engine with a UDP socket bound to `addr` and default settings.
    /// `0.0.0.0:0` for IPv4, `[::]:0` for IPv4 and IPv6.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the socket cannot be bound.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub fn bind(addr: SocketAddr) -> Result<Engine, Error> {
        Engine::builder().bind(addr).build()
    }

    /// A builder for an engine with non-default settings.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// A builder for a [`Manager`](crate::Manager) of the agent at `target`.
    pub fn manager(&self, target: SocketAddr, security: Security) -> ManagerBuilder {
        ManagerBuilder::new(self.clone(), target, security)
    }

    /// The engine's counters: requests sent, retransmitted, timed out,
    /// datagrams received and dropped by reason.
    pub fn stats(&self) -> Stats {
        self.inner.dispatcher.stats()
    }

    /// The local address of the socket.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] from the socket.
    pub fn local_addr(&self) -> Result<SocketAddr, Error> {
        Ok(self.inner.dispatcher.local_addr()?)
    }

    /// Stops the receive task: requests in flight and later ones fail with
    /// [`Error::EngineClosed`].
    pub fn shutdown(&self) {
        self.inner.dispatcher.shutdown();
    }

    /// The number of entries in the request table (for tests and
    /// diagnostics: it is 0 when no request is in flight).
    pub fn requests_in_table(&self) -> usize {
        self.inner.dispatcher.table_len()
    }

    pub(crate) fn dispatcher(&self) -> &Dispatcher {
        &self.inner.dispatcher
    }

    /// The engine of the agent at `target`, shared by every manager.
    pub(crate) fn remote_engine(&self, target: SocketAddr) -> Arc<RemoteEngine> {
        self.inner.remote_engines.entry(target).or_default().clone()
    }
}

/// Settings of an [`Engine`]. Every setter takes and returns the builder.
#[derive(Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct EngineBuilder {
    udp: UdpConfig,
    transport: Option<Arc<dyn Transport>>,
    max_in_flight: usize,
    max_message_size: usize,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        Self {
            udp: UdpConfig::new(),
            transport: None,
            max_in_flight: 1 << 20,
            max_message_size: 65507,
        }
    }
}

impl EngineBuilder {
    /// The local address of the UDP socket. Default `0.0.0.0:0`; use
    /// `[::]:0` to reach IPv6 agents (it reaches IPv4 agents too).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.udp = self.udp.bind(addr);
        self
    }

    /// The socket's receive buffer, in bytes. Default 8 MiB (the kernel may
    /// cap it at `net.core.rmem_max`). Large buffers keep replies from being
    /// lost when thousands of requests are in flight.
    pub fn recv_buffer_size(mut self, bytes: usize) -> Self {
        self.udp = self.udp.recv_buffer_size(bytes);
        self
    }

    /// The socket's send buffer, in bytes. Default 4 MiB (capped by
    /// `net.core.wmem_max`).
    pub fn send_buffer_size(mut self, bytes: usize) -> Self {
        self.udp = self.udp.send_buffer_size(bytes);
        self
    }

    /// The most requests in flight at once; one more fails at once with
    /// [`Error::Busy`]. Default 1,048,576.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.max_in_flight = n;
        self
    }

    /// The largest request message, in bytes. Default 65,507 (the largest
    /// UDP payload over IPv4).
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// Use `transport` instead of a UDP socket (for tests: see
    /// [`snmux_transport::test::TestNet`]). The bind and buffer settings
    /// are then ignored.
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// Binds the socket and starts the receive task.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the socket cannot be bound.
    ///
    /// # Panics
    ///
    /// Panics if called outside a tokio runtime.
    pub fn build(self) -> Result<Engine, Error> {
        let transport = match self.transport {
            Some(t) => t,
            None => Arc::new(UdpTransport::bind(self.udp)?),
        };
        let dispatcher =
            Dispatcher::start(transport, self.max_in_flight.max(1), self.max_message_size);
        Ok(Engine {
            inner: Arc::new(Inner {
                dispatcher,
                remote_engines: DashMap::new(),
            }),
        })
    }
}
