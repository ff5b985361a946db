//! The load benchmark of snmux: a fast SNMP responder, and client runs that
//! put the same workloads through snmux, through the async-snmp crate, and
//! through a raw UDP client (the ceiling of the machine), each reporting
//! requests per second, client CPU time per request, peak RSS and latency.
//!
//! Each client run is its own process, so that `getrusage(RUSAGE_SELF)`
//! counts that client alone, and prints one JSON line; `report` turns the
//! lines of a whole run into one table. `benches/run.sh` runs the set.
//!
//! ```text
//! cargo run --release -p snmux-bench -- responder --base-port 20000 --count 16
//! cargo run --release -p snmux-bench -- get --target 127.0.0.1:20000 --concurrency 256 --client snmux
//! ```
//!
//! # Workloads
//!
//! - `get`: GET of sysDescr.0, `--concurrency` spawned tasks each sending
//!   its next request when its last is answered.
//! - `get-many-targets`: the same over 10,000 agents, one responder port
//!   each (distinct ports rather than communities: every response then
//!   comes from its own address, as in a real poller, and goes through the
//!   source check). The responder needs one socket per port: mind
//!   `ulimit -n`.
//! - `walk`: bulk walks of the responder's table of `--rows` rows
//!   (`1.3.6.1.4.1.99999.2.R.1.1.1..=R`, one column, a scalar after it so
//!   that walks end by leaving the subtree); each walk is checked to
//!   return exactly R rows.
//! - `pending`: `--count` GETs in flight at once to a port that never
//!   answers, one transmission each, `--timeout-ms` 2 s. Memory per pending
//!   request is (peak RSS − RSS at the start) / count; `drain_s` is the
//!   wall time less the timeout (issuing them all, and firing every
//!   timeout).
//!
//! # The clients
//!
//! - snmux as a user would use it: `Engine::bind("0.0.0.0:0")` with its
//!   defaults, one `Manager` per agent, `get`, `walk` with
//!   `max_repetitions(M)`, and `retries(timeout, 0)` for `pending`.
//! - async-snmp 0.18 the way its documentation recommends for many
//!   requests in flight (its `shared_transport` example): one
//!   `UdpTransport`, one `Client` per agent made with `build_with` and
//!   cloned into every task, `get`, `bulk_walk(root, M)`, and
//!   `Retry::none()` with `request_timeout` for `pending`. Its socket gets
//!   snmux's default buffers (8 MiB receive, 4 MiB send) and
//!   `strict_source(true)`, since snmux always checks the source address.
//! - raw: the ceiling (see `raw.rs`).
//! - raw-batch (`get` and `get-many-targets`): raw's requests through
//!   snmux's UDP transport and its batched system calls, `recvmmsg` in,
//!   `sendmmsg` and UDP GSO out: the floor of batched I/O (see
//!   `raw_batch.rs`).
//! - harness (`pending` only): the harness alone, each task awaiting a
//!   timer of the timeout instead of a request; its `bytes_per_pending` is
//!   the harness's share of every client's (see `harness.rs`).
//!
//! # What is measured
//!
//! The window runs from just before the first request to just after the
//! last one completes: binding, building managers and clients, and
//! printing are outside it. CPU is `getrusage(RUSAGE_SELF)` user + system
//! over the window; `peak_rss_mib` is the process's `ru_maxrss`;
//! latencies are per operation (a GET, a whole walk, a pending request),
//! in µs. With `--responder-pid` the responder's CPU over the window comes
//! from `/proc/PID/stat`; `other_cpu_pct` is the rest of the machine's busy
//! time (`/proc/stat`) less the client's and the responder's: the noise.
//! With `--responder-busy ADDR`, `responder_cpu_pct` is instead the share
//! of the window the responder at ADDR spent answering, which it reports
//! over SNMP (a GET before and after the window): for a responder that
//! spins (`responder --spin`), whose CPU is always a whole core.
//! The runtime is tokio's current-thread one unless `--threads N` > 1.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, unreachable_pub)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod harness;
mod measure;
mod mib;
mod netsnmp;
mod peer;
mod poll;
mod raw;
mod raw_batch;
mod report;
mod responder;
mod run;
mod snmux_client;

#[derive(Debug, Parser)]
#[command(name = "snmux-bench", about = "Load benchmark of snmux")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// An SNMPv2c responder on many UDP ports (GET, GETNEXT, GETBULK over
    /// a synthetic MIB), one thread.
    Responder(ResponderArgs),
    /// Binds UDP ports and never answers (for `pending`).
    Silent(SilentArgs),
    /// GET of one varbind, `--concurrency` requests in flight.
    Get(GetArgs),
    /// GET of one varbind across many targets (one responder port each).
    GetManyTargets(GetManyArgs),
    /// Bulk walks of one of the responder's tables.
    Walk(WalkArgs),
    /// `--count` requests in flight at once to an agent that never answers.
    Pending(PendingArgs),
    /// Prints the table of a run from the JSON lines of its client runs.
    Report(ReportArgs),
    /// One round of an inventory's targets (as `snmux poll` reads it)
    /// through a peer of `snmux poll`: for `benches/poll.sh`.
    Poll(poll::PollArgs),
}

/// The ports a responder serves.
#[derive(Debug, Args)]
struct Ports {
    /// The first port.
    #[arg(long, alias = "port", default_value_t = 20000)]
    base_port: u16,
    /// How many consecutive ports.
    #[arg(long, default_value_t = 1)]
    count: u16,
    /// The ports as `FIRST..LAST` (inclusive), instead of the two above.
    #[arg(long)]
    ports: Option<String>,
}

impl Ports {
    fn range(&self) -> Result<(u16, u16), String> {
        match &self.ports {
            Some(spec) => {
                let (a, b) = spec
                    .split_once("..")
                    .ok_or_else(|| format!("--ports {spec:?}: expected FIRST..LAST"))?;
                let a: u16 = a.parse().map_err(|e| format!("--ports {spec:?}: {e}"))?;
                let b: u16 = b
                    .trim_start_matches('=')
                    .parse()
                    .map_err(|e| format!("--ports {spec:?}: {e}"))?;
                if b < a {
                    return Err(format!("--ports {spec:?}: LAST < FIRST"));
                }
                Ok((a, b - a + 1))
            }
            None => Ok((self.base_port, self.count.max(1))),
        }
    }
}

#[derive(Debug, Args)]
struct ResponderArgs {
    #[command(flatten)]
    ports: Ports,
    /// The address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
    /// Tables to serve, by row count: table R is 1.3.6.1.4.1.99999.2.R,
    /// one column of R rows (what `walk --rows R` walks).
    #[arg(long, value_delimiter = ',', default_value = "100000,89")]
    tables: Vec<u32>,
    /// The community answered; requests with another are dropped.
    #[arg(long, default_value = "public")]
    community: String,
    /// Receive buffer of each socket, in bytes (the kernel may cap it).
    #[arg(long, default_value_t = 4 << 20)]
    recv_buffer: usize,
    /// Do not answer SNMPv3 (by default the responder answers user
    /// `bench`, authPriv HMAC-SHA-256 + AES-128, or authNoPriv).
    #[arg(long)]
    no_v3: bool,
    /// Answers at most this many requests per second, waiting (spinning)
    /// after a batch that got ahead: an agent whose rate is the same
    /// whatever it is asked, to compare clients, or SNMPv3 with v2c, at
    /// one rate. A client's CPU per request depends on the agent's rate
    /// (the slower it answers, the fewer datagrams each system call
    /// carries).
    #[arg(long)]
    max_rate: Option<u32>,
    /// Polls its sockets without sleeping between requests, as an agent
    /// on another machine costs its clients nothing to wake: on one
    /// machine a sleeping responder is woken in the softirq of each
    /// client's send, which charges the client for it (dearly in a
    /// virtual machine, where waking an idle core is an inter-processor
    /// interrupt that exits to the hypervisor). GET of
    /// 1.3.6.1.4.1.99999.4.0 (Counter64) reads the µs it spent answering
    /// rather than spinning.
    #[arg(long)]
    spin: bool,
}

#[derive(Debug, Args)]
struct SilentArgs {
    #[command(flatten)]
    ports: Ports,
    /// The address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: std::net::IpAddr,
}

/// The client under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClientKind {
    /// snmux, used as a user would: `Engine::bind`, managers, `get`/`walk`.
    Snmux,
    /// The async-snmp crate: one shared `UdpTransport`, cloned `Client`s.
    AsyncSnmp,
    /// Pre-encoded datagrams on one tokio UDP socket: the ceiling.
    Raw,
    /// As raw, through snmux's UDP transport with batched system calls
    /// (`recvmmsg`, `sendmmsg` and UDP GSO): the floor of batched I/O
    /// (GETs only).
    RawBatch,
    /// net-snmp's `snmpbulkwalk`, a process per walk (walks only).
    NetSnmp,
    /// No client: the harness's tasks each await a timer (pending only),
    /// the baseline of every client's memory per pending request.
    Harness,
}

impl ClientKind {
    fn name(self) -> &'static str {
        match self {
            ClientKind::Snmux => "snmux",
            ClientKind::AsyncSnmp => "async-snmp",
            ClientKind::Raw => "raw",
            ClientKind::RawBatch => "raw-batch",
            ClientKind::NetSnmp => "net-snmp",
            ClientKind::Harness => "harness",
        }
    }
}

/// Options every client run takes.
#[derive(Debug, Args, Clone)]
struct Common {
    /// The client under test.
    #[arg(long, value_enum)]
    client: ClientKind,
    /// tokio worker threads: 1 runs a current-thread runtime, more a
    /// multi-thread one.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// The responder's process id, to report its CPU use during the run.
    #[arg(long)]
    responder_pid: Option<u32>,
    /// A responder's address, to report the share of the run it was busy
    /// answering (GET of its busy time, before and after): for a
    /// responder that spins (`responder --spin`), whose CPU use is always
    /// a whole core.
    #[arg(long)]
    responder_busy: Option<SocketAddr>,
    /// The community.
    #[arg(long, default_value = "public")]
    community: String,
}

#[derive(Debug, Args, Clone)]
struct GetArgs {
    #[command(flatten)]
    common: Common,
    /// The agent.
    #[arg(long, default_value = "127.0.0.1:20000")]
    target: SocketAddr,
    /// Consecutive ports from `--target`'s, one agent each; requests go
    /// round-robin.
    #[arg(long, default_value_t = 1)]
    targets: u16,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Requests in all.
    #[arg(long, default_value_t = 100_000)]
    requests: usize,
    /// SNMPv3 authPriv (user `bench`, HMAC-SHA-256, AES-128) instead of
    /// the community; discovery and key localization happen before the
    /// measured window.
    #[arg(long)]
    v3: bool,
    /// Appended to the workload's name in the table: what is particular
    /// about the agent (for example `@100k/s`, a rate-capped responder).
    #[arg(long)]
    tag: Option<String>,
}

#[derive(Debug, Args, Clone)]
struct GetManyArgs {
    #[command(flatten)]
    common: Common,
    /// The first agent's port on 127.0.0.1.
    #[arg(long, default_value_t = 20000)]
    base_port: u16,
    /// How many agents (consecutive ports).
    #[arg(long, default_value_t = 10_000)]
    targets: u16,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1_000)]
    concurrency: usize,
    /// Requests in all.
    #[arg(long, default_value_t = 100_000)]
    requests: usize,
}

#[derive(Debug, Args, Clone)]
struct WalkArgs {
    #[command(flatten)]
    common: Common,
    /// The agent.
    #[arg(long, default_value = "127.0.0.1:20000")]
    target: SocketAddr,
    /// The table to walk, by its row count (the responder's `--tables`).
    #[arg(long, default_value_t = 100_000)]
    rows: u32,
    /// max-repetitions of each GETBULK.
    #[arg(long, default_value_t = 10)]
    max_repetitions: u32,
    /// Walks in flight at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Walks in all.
    #[arg(long, default_value_t = 1)]
    walks: usize,
}

#[derive(Debug, Args, Clone)]
struct PendingArgs {
    #[command(flatten)]
    common: Common,
    /// The silent agent.
    #[arg(long, default_value = "127.0.0.1:19999")]
    target: SocketAddr,
    /// Requests in flight at once (all of them).
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Timeout of each request, one transmission, in milliseconds.
    #[arg(long, default_value_t = 2_000)]
    timeout_ms: u64,
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// The JSON lines of the client runs.
    file: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Responder(args) => responder::serve(&args),
        Command::Silent(args) => responder::silent(&args),
        Command::Report(args) => report::print(&args.file),
        Command::Poll(args) => poll::run(&args),
        Command::Get(args) => run::client(&args.common.clone(), run::Workload::Get(args)),
        Command::GetManyTargets(args) => {
            let get = GetArgs {
                common: args.common.clone(),
                target: SocketAddr::from(([127, 0, 0, 1], args.base_port)),
                targets: args.targets,
                concurrency: args.concurrency,
                requests: args.requests,
                v3: false,
                tag: None,
            };
            run::client(&args.common, run::Workload::Get(get))
        }
        Command::Walk(args) => run::client(&args.common.clone(), run::Workload::Walk(args)),
        Command::Pending(args) => run::client(&args.common.clone(), run::Workload::Pending(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("snmux-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
