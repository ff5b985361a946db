//! The tokio shell: sockets, one task per socket, and the impairments that
//! act on the wire (loss, delay, duplicates, another source address).

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use snmux_engine::MessageHeader;
use snmux_transport::{Outgoing, RecvBatch, Transport, UdpConfig, UdpTransport};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::Error;
use crate::agent::{Agent, AgentStats, Counters};

/// Receive buffer of each socket when every agent has its own port.
const PER_PORT_RECV_BUFFER: usize = 256 * 1024;
/// Receive buffer of the one socket of a one-port simulator.
const SHARED_RECV_BUFFER: usize = 16 * 1024 * 1024;
/// The largest request a one-port simulator reads; longer ones are
/// truncated (and then do not decode, and are counted as malformed).
const MAX_REQUEST: usize = 65_535;
/// The largest request an agent on its own port reads (as a rule SNMP
/// requests are far smaller; a longer one is counted as malformed).
const PER_PORT_MAX_REQUEST: usize = 8192;
/// Datagrams read (and answered) in one batch by an agent on its own port.
const PER_PORT_BATCH: usize = 8;
/// Datagrams read (and answered) in one batch on a one-port simulator.
const SHARED_BATCH: usize = 32;

/// A running simulator: agents served over UDP (or over any
/// [`Transport`]) until it is dropped or [`Sim::shutdown`] is called.
///
/// # Examples
///
/// Eight APC rPDU outlets on a free loopback port, switched over SNMP:
///
/// ```
/// use snmux::sim::{Agent, OutletState, PduOptions, Profile, Sim};
/// use snmux::{Engine, Security, Value, VarBind, oid};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sim = Sim::builder()
///     .agent(Agent::pdu(Profile::ApcRpdu, PduOptions::new().outlets(8)).build())
///     .start()
///     .await?;
/// let pdu = &sim.agents()[0];
///
/// let engine = Engine::bind("127.0.0.1:0".parse()?)?;
/// let manager = engine.manager(pdu.addr(), Security::v2c("private")).build();
/// // rPDUOutletControlOutletCommand.3 = immediateOff(2)
/// let command = oid!(1, 3, 6, 1, 4, 1, 318, 1, 1, 12, 3, 3, 1, 1, 4, 3);
/// manager.set(&[VarBind::new(command, Value::Integer(2))]).await?;
/// assert_eq!(pdu.outlet_state(3), Some(OutletState::Off));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Sim {
    agents: Vec<SimAgent>,
    listeners: Vec<SocketAddr>,
    tasks: Vec<JoinHandle<()>>,
    /// Drops a one-port simulator cannot blame on an agent.
    unrouted: Arc<Counters>,
}

/// One agent as a [`Sim`] serves it: where, and under which communities.
/// Derefs to the [`Agent`], for its outlets and counters.
#[derive(Debug, Clone)]
pub struct SimAgent {
    agent: Arc<Agent>,
    addr: SocketAddr,
}

impl SimAgent {
    /// The address to send requests to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The read community, as text (lossy if not UTF-8).
    pub fn community(&self) -> String {
        String::from_utf8_lossy(self.agent.read_community()).into_owned()
    }

    /// The agent.
    pub fn agent(&self) -> &Arc<Agent> {
        &self.agent
    }
}

impl Deref for SimAgent {
    type Target = Agent;

    fn deref(&self) -> &Agent {
        &self.agent
    }
}

/// Where a [`Sim`] listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// Each agent on its own port of `ip`: `first`, `first + 1`, …; with
    /// `first` 0, ports the OS picks (free ones).
    Ports {
        /// The address to bind.
        ip: IpAddr,
        /// The first port, or 0.
        first: u16,
    },
    /// Every agent on one address, told apart by community (as snmpsim
    /// does): each agent's read and write communities must be unique.
    Shared(SocketAddr),
}

/// Settings of a [`Sim`]: its agents and where it listens.
///
/// A builder: every setter takes `self` and returns `Self`.
#[derive(Debug)]
#[must_use = "a SimBuilder does nothing until started"]
pub struct SimBuilder {
    agents: Vec<Agent>,
    listen: Listen,
}

impl Sim {
    /// A simulator with no agents, listening on free ports of 127.0.0.1.
    pub fn builder() -> SimBuilder {
        SimBuilder {
            agents: Vec::new(),
            listen: Listen::Ports {
                ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                first: 0,
            },
        }
    }

    /// The agents, in the order they were added.
    pub fn agents(&self) -> &[SimAgent] {
        &self.agents
    }

    /// The agent named `name`.
    pub fn agent(&self, name: &str) -> Option<&SimAgent> {
        self.agents.iter().find(|a| a.name() == name)
    }

    /// The addresses listened on: one per agent, or one in all.
    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.listeners
    }

    /// The counters of every agent summed, with the datagrams a one-port
    /// simulator could not route to one (malformed, unknown community).
    pub fn stats(&self) -> AgentStats {
        let mut total = self.unrouted.snapshot();
        for a in &self.agents {
            total += a.stats();
        }
        total
    }

    /// Stops serving: the sockets close. (Dropping the `Sim` does the
    /// same.)
    pub fn shutdown(self) {}
}

impl Drop for Sim {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl SimBuilder {
    /// Adds an agent.
    pub fn agent(mut self, agent: Agent) -> Self {
        self.agents.push(agent);
        self
    }

    /// Adds agents.
    pub fn agents(mut self, agents: impl IntoIterator<Item = Agent>) -> Self {
        self.agents.extend(agents);
        self
    }

    /// Serves each agent on its own port of `ip`, from `first` upwards (0:
    /// free ports the OS picks). The default, on 127.0.0.1 with free ports.
    pub fn ports(mut self, ip: IpAddr, first: u16) -> Self {
        self.listen = Listen::Ports { ip, first };
        self
    }

    /// Serves every agent on `addr`, by community.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = Listen::Shared(addr);
        self
    }

    /// Binds the UDP sockets and starts serving, on the current tokio
    /// runtime.
    ///
    /// # Errors
    ///
    /// [`Error::Bind`] if a socket cannot be bound (a port in use, too many
    /// open files), [`Error::DuplicateCommunity`] if a one-port simulator
    /// has two agents with one community, [`Error::PortRange`] if the ports
    /// would go past 65535.
    pub async fn start(self) -> Result<Sim, Error> {
        let bind = |addr: SocketAddr, buffer: usize| -> Result<Arc<dyn Transport>, Error> {
            let config = UdpConfig::new()
                .bind(addr)
                .recv_buffer_size(buffer)
                .send_buffer_size(buffer);
            UdpTransport::bind(config)
                .map(|t| Arc::new(t) as Arc<dyn Transport>)
                .map_err(|source| Error::Bind { addr, source })
        };
        let transports = match self.listen {
            Listen::Ports { ip, first } => {
                if first != 0 && usize::from(first) + self.agents.len() > 65_536 {
                    return Err(Error::PortRange {
                        first,
                        count: self.agents.len(),
                    });
                }
                (0..self.agents.len())
                    .map(|i| {
                        let port = if first == 0 { 0 } else { first + i as u16 };
                        bind(SocketAddr::new(ip, port), PER_PORT_RECV_BUFFER)
                    })
                    .collect::<Result<Vec<_>, _>>()?
            }
            Listen::Shared(addr) => vec![bind(addr, SHARED_RECV_BUFFER)?],
        };
        self.start_on(transports)
    }

    /// Starts serving on `transports` instead of UDP sockets bound here
    /// (for example [`TestNet`](snmux_transport::test::TestNet) sockets,
    /// under tokio's paused clock): one per agent for
    /// [`ports`](Self::ports), one for [`listen`](Self::listen). Answers
    /// sent [from another address](crate::Impairments::reply_from) need UDP
    /// and go out on the request's transport here.
    ///
    /// # Errors
    ///
    /// [`Error::TransportCount`] if the number of transports is wrong,
    /// [`Error::DuplicateCommunity`] as for [`start`](Self::start).
    pub fn start_on(self, transports: Vec<Arc<dyn Transport>>) -> Result<Sim, Error> {
        let shared = matches!(self.listen, Listen::Shared(_));
        let want = if shared { 1 } else { self.agents.len() };
        if transports.len() != want {
            return Err(Error::TransportCount {
                expected: want,
                got: transports.len(),
            });
        }
        let agents: Vec<Arc<Agent>> = self.agents.into_iter().map(Arc::new).collect();
        for (i, a) in agents.iter().enumerate() {
            a.salt_rng(i as u64);
        }
        let unrouted = Arc::new(Counters::default());
        let mut tasks = Vec::new();
        let mut listeners = Vec::new();
        let mut served = Vec::new();
        let local = |t: &Arc<dyn Transport>| {
            t.local_addr().map_err(|source| Error::Bind {
                addr: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
                source,
            })
        };
        if shared {
            let transport = transports
                .into_iter()
                .next()
                .expect("checked: one transport");
            let addr = local(&transport)?;
            let mut routes: HashMap<Bytes, Arc<Agent>> = HashMap::new();
            for a in &agents {
                for c in [a.read_community(), a.write_community()] {
                    let c = Bytes::copy_from_slice(c);
                    match routes.get(&c) {
                        Some(other) if !Arc::ptr_eq(other, a) => {
                            return Err(Error::DuplicateCommunity(
                                String::from_utf8_lossy(&c).into_owned(),
                            ));
                        }
                        _ => {
                            routes.insert(c, a.clone());
                        }
                    }
                }
                served.push(SimAgent {
                    agent: a.clone(),
                    addr,
                });
            }
            let alt = reply_socket(&agents, addr);
            tasks.push(tokio::spawn(serve(
                transport,
                Route::Shared(routes),
                alt,
                unrouted.clone(),
            )));
            listeners.push(addr);
        } else {
            for (a, transport) in agents.iter().zip(transports) {
                let addr = local(&transport)?;
                let alt = reply_socket(std::slice::from_ref(a), addr);
                tasks.push(tokio::spawn(serve(
                    transport,
                    Route::One(a.clone()),
                    alt,
                    unrouted.clone(),
                )));
                listeners.push(addr);
                served.push(SimAgent {
                    agent: a.clone(),
                    addr,
                });
            }
        }
        Ok(Sim {
            agents: served,
            listeners,
            tasks,
            unrouted,
        })
    }
}

/// The socket answers go out from when an agent
/// [replies from another address](crate::Impairments::reply_from): the
/// listener's port on that address if free, else any port.
fn reply_socket(agents: &[Arc<Agent>], listener: SocketAddr) -> Option<Arc<dyn Transport>> {
    let ip = agents.iter().find_map(|a| a.impairments.reply_from)?;
    let try_bind = |port| {
        UdpTransport::bind(UdpConfig::new().bind(SocketAddr::new(ip, port)))
            .map(|t| Arc::new(t) as Arc<dyn Transport>)
    };
    match try_bind(listener.port()).or_else(|_| try_bind(0)) {
        Ok(t) => Some(t),
        Err(e) => {
            tracing::warn!(%ip, error = %e, "cannot bind the reply-from address; answering from the listener");
            None
        }
    }
}

enum Route {
    One(Arc<Agent>),
    Shared(HashMap<Bytes, Arc<Agent>>),
}

async fn serve(
    transport: Arc<dyn Transport>,
    route: Route,
    alt: Option<Arc<dyn Transport>>,
    unrouted: Arc<Counters>,
) {
    let (slots, slot_size) = match route {
        Route::One(_) => (PER_PORT_BATCH, PER_PORT_MAX_REQUEST),
        Route::Shared(_) => (SHARED_BATCH, MAX_REQUEST),
    };
    let mut batch = RecvBatch::new(slots, slot_size);
    let mut out: Vec<Outgoing> = Vec::with_capacity(2 * slots);
    let sender = alt.unwrap_or_else(|| transport.clone());
    loop {
        batch.clear();
        if let Err(e) = std::future::poll_fn(|cx| transport.poll_recv_batch(cx, &mut batch)).await {
            // ICMP errors of earlier sends, and the like: keep serving.
            tracing::debug!(error = %e, "receive error");
            if !matches!(
                e.kind(),
                io::ErrorKind::ConnectionRefused
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::Interrupted
                    | io::ErrorKind::WouldBlock
            ) {
                // An error that repeats must not spin.
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            continue;
        }
        let now = Instant::now();
        for (datagram, from) in batch.iter() {
            let request = Bytes::copy_from_slice(datagram);
            let agent = match &route {
                Route::One(agent) => agent,
                Route::Shared(routes) => match MessageHeader::decode(&request) {
                    Ok(header) => match routes.get(header.community) {
                        Some(agent) => agent,
                        None => {
                            unrouted.wrong_community.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    },
                    Err(_) => {
                        unrouted.malformed.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                },
            };
            let plan = agent.plan();
            if plan.lost {
                agent.counters.lost.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let Some(response) = agent.answer(&request, now) else {
                continue;
            };
            let response = Bytes::from(response);
            if plan.copies > 1 {
                agent.counters.impaired.fetch_add(1, Ordering::Relaxed);
                agent
                    .counters
                    .responses
                    .fetch_add(u64::from(plan.copies - 1), Ordering::Relaxed);
            }
            if plan.delay.is_zero() {
                for _ in 0..plan.copies {
                    out.push(Outgoing {
                        bytes: response.clone(),
                        target: from,
                    });
                }
            } else {
                let sender = sender.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(plan.delay).await;
                    for _ in 0..plan.copies {
                        send_to(&*sender, &response, from).await;
                    }
                });
            }
        }
        send_all(&*sender, &mut out).await;
    }
}

/// Sends every datagram of `out` (in as few system calls as the transport
/// can) and empties it; one that fails is lost, as UDP may lose it.
async fn send_all(transport: &dyn Transport, out: &mut Vec<Outgoing>) {
    let mut sent = 0;
    while sent < out.len() {
        match std::future::poll_fn(|cx| transport.poll_send_batch(cx, &out[sent..])).await {
            Ok(n) => sent += n.max(1),
            Err(e) => {
                tracing::debug!(to = %out[sent].target, error = %e, "send failed");
                sent += 1;
            }
        }
    }
    out.clear();
}

/// Sends one datagram; a failure (full buffer, unreachable) loses it, as
/// UDP may.
async fn send_to(transport: &dyn Transport, buf: &[u8], to: SocketAddr) {
    let result = match transport.try_send_to(buf, to) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            std::future::poll_fn(|cx| transport.poll_send_to(cx, buf, to)).await
        }
        other => other,
    };
    if let Err(e) = result {
        tracing::debug!(%to, error = %e, "send failed");
    }
}
