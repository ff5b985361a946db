use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use snmux_engine::Oid;
use snmux_manager::Security;

use crate::pacing::BreakerConfig;
use crate::profile::PduProfile;

/// One agent to poll: its address, credentials, what to collect, and how
/// to pace requests to it.
///
/// # Examples
///
/// ```
/// use snmux::poll::{PduProfile, Target};
/// use snmux::{Security, oid};
///
/// let pdu = Target::new("192.0.2.10:161".parse().unwrap(), Security::v2c("public"))
///     .named("rack-a-pdu-1")
///     .get("system", vec![oid!(1, 3, 6, 1, 2, 1, 1, 5, 0), oid!(1, 3, 6, 1, 2, 1, 1, 3, 0)])
///     .profile(PduProfile::ApcRpdu)
///     .max_repetitions(25);
/// assert_eq!(pdu.jobs().len(), 3); // the GET set and two outlet columns
/// ```
#[derive(Clone)]
#[must_use = "a target does nothing until given to a PollerBuilder"]
pub struct Target {
    pub(crate) name: Arc<str>,
    pub(crate) addr: SocketAddr,
    pub(crate) security: Security,
    pub(crate) jobs: Vec<Job>,
    pub(crate) options: TargetOptions,
}

/// One thing to collect from a target in each round.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Job {
    /// GET of a named set of OIDs, in one request (split by the manager if
    /// the agent answers tooBig).
    Get {
        /// The set's name.
        name: Arc<str>,
        /// The OIDs.
        oids: Vec<Oid>,
    },
    /// A walk of the subtree under `root`: GETBULK with the target's
    /// max-repetitions on SNMPv2c and v3, GETNEXT on SNMPv1; it ends as
    /// [`Manager::walk`](snmux_manager::Manager::walk) ends.
    Walk {
        /// What errors and records call it: `walk 1.3.6.1.2.1.2` or a
        /// profile column's name.
        name: Arc<str>,
        /// The root of the subtree.
        root: Oid,
    },
}

impl Job {
    /// The job's name.
    pub fn name(&self) -> &Arc<str> {
        match self {
            Job::Get { name, .. } | Job::Walk { name, .. } => name,
        }
    }
}

/// How requests to one target are sent and paced. Defaults as documented
/// on each [`Target`] setter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetOptions {
    /// Total time for one request, including retransmissions. Default 5 s.
    pub timeout: Duration,
    /// Time between retransmissions of a request. Default 1 s.
    pub refresh: Duration,
    /// max-repetitions of the GETBULK requests of walks. Default 10.
    pub max_repetitions: u32,
    /// Most requests in flight to the target at once. Default 2.
    pub max_in_flight: usize,
    /// Least time between the starts of two requests to the target. Default
    /// 10 ms.
    pub min_gap: Duration,
    /// The circuit breaker. Default: 3 consecutive timeouts open it for
    /// 30 s.
    pub breaker: BreakerConfig,
}

impl Default for TargetOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            refresh: Duration::from_secs(1),
            max_repetitions: 10,
            max_in_flight: 2,
            min_gap: Duration::from_millis(10),
            breaker: BreakerConfig::default(),
        }
    }
}

impl TargetOptions {
    /// net-snmp's `-t SECONDS -r RETRIES`: wait `per_try` for each of
    /// `retries + 1` transmissions.
    pub fn retries(&mut self, per_try: Duration, retries: u32) {
        self.refresh = per_try;
        self.timeout = per_try.saturating_mul(retries.saturating_add(1));
    }
}

impl Target {
    /// A target at `addr` with `security`, named after its address, that
    /// collects nothing yet, with the default [`TargetOptions`].
    pub fn new(addr: SocketAddr, security: Security) -> Self {
        Self {
            name: addr.to_string().into(),
            addr,
            security,
            jobs: Vec::new(),
            options: TargetOptions::default(),
        }
    }

    /// The name in records. Default: the address (`192.0.2.10:161`).
    pub fn named(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = name.into();
        self
    }

    /// Also GET the set `name` of `oids` in each round.
    pub fn get(mut self, name: impl Into<Arc<str>>, oids: Vec<Oid>) -> Self {
        self.jobs.push(Job::Get {
            name: name.into(),
            oids,
        });
        self
    }

    /// Also walk the subtree under `root` in each round.
    pub fn walk(mut self, root: Oid) -> Self {
        self.jobs.push(Job::Walk {
            name: format!("walk {root}").into(),
            root,
        });
        self
    }

    /// Also walk the outlet-table columns of `profile` in each round, one
    /// job per column, named after the column.
    pub fn profile(mut self, profile: PduProfile) -> Self {
        for (name, root) in profile.roots() {
            self.jobs.push(Job::Walk {
                name: name.into(),
                root,
            });
        }
        self
    }

    /// Also run `job` in each round.
    pub fn job(mut self, job: Job) -> Self {
        self.jobs.push(job);
        self
    }

    /// Every option at once.
    pub fn with_options(mut self, options: TargetOptions) -> Self {
        self.options = options;
        self
    }

    /// Total time for one request, including retransmissions. Default 5 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// net-snmp's `-t SECONDS -r RETRIES`: wait `per_try` for each of
    /// `retries + 1` transmissions. Default 1 s and 4 retries (5 s).
    pub fn retries(mut self, per_try: Duration, retries: u32) -> Self {
        self.options.retries(per_try, retries);
        self
    }

    /// max-repetitions of walks' GETBULK requests (RFC 3416 §4.2.3).
    /// Default 10, as net-snmp's; 0 counts as 1.
    pub fn max_repetitions(mut self, n: u32) -> Self {
        self.options.max_repetitions = n.max(1);
        self
    }

    /// Most requests in flight to this target at once. Default 2; 0
    /// counts as 1.
    pub fn max_in_flight(mut self, n: usize) -> Self {
        self.options.max_in_flight = n.max(1);
        self
    }

    /// Least time between the starts of two requests to this target.
    /// Default 10 ms. (Retransmissions follow the refresh period, not the
    /// gap.)
    pub fn min_gap(mut self, gap: Duration) -> Self {
        self.options.min_gap = gap;
        self
    }

    /// The circuit breaker. Default: 3 consecutive timeouts open it for
    /// 30 s, then one probe request.
    pub fn breaker(mut self, config: BreakerConfig) -> Self {
        self.options.breaker = config;
        self
    }

    /// The agent's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The name in records.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// The credentials.
    pub fn security(&self) -> &Security {
        &self.security
    }

    /// What each round collects, in order.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// The request and pacing options.
    pub fn options(&self) -> &TargetOptions {
        &self.options
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("name", &self.name)
            .field("addr", &self.addr)
            .field("security", &self.security)
            .field("jobs", &self.jobs)
            .field("options", &self.options)
            .finish()
    }
}
