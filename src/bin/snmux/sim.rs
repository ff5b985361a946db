//! `snmux sim`: simulated agents (snmprec recordings and PDU profiles) on
//! loopback UDP until Ctrl-C, each on its own port or all on one port with
//! one community each.
//!
//! Like `poll`, it has no net-snmp `Common` options: `main` dispatches it
//! before reading those.

use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use snmux::sim::{Agent, BulkOverflow, Impairments, PduOptions, Profile, Recording, Sim, SimAgent};

/// Where `--help` lists the impairment options.
const IMPAIR_HEADING: &str = "Impairments (all agents, or a --impaired fraction)";

/// The default one-port address when neither --listen nor --ports is given.
const DEFAULT_LISTEN: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 1161);

/// `sim`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  snmux sim                                   the built-in set: one PDU of each profile and a UPS recording
  snmux sim --pdus 500 --profile apc-rpdu --ports 20000
  snmux sim --snmprec ./data --listen 127.0.0.1:1024
  snmux sim --pdus 100 --profile all --loss 0.2 --delay 300ms --impaired 0.1 --seed 7

Profiles: apc-masterswitch, apc-rpdu, apc-rpdu2, raritan-px2, sentry3, sentry4,
eaton-epdu, cyberpower, poe (or all).

With --listen (the default, 127.0.0.1:1161) every agent shares one port and
its community is its name: a recording's path under the data directory
without .snmprec (UPS/apc-7902b), or <profile>-<n> for a PDU. With --ports
each agent has its own port and the communities of --community (reads) and
--write-community (also writes).

Output on stdout: one line per agent, then a ready line (--json: one JSON
object per agent, then {\"ready\":true,...}). Runs until Ctrl-C.")]
pub(crate) struct SimArgs {
    /// PDU profiles to simulate (repeatable, or comma-separated; all for
    /// every profile).
    #[arg(long, value_name = "PROFILE", value_delimiter = ',')]
    pub(crate) profile: Vec<String>,

    /// How many PDUs, the profiles taken in turn. Default: one per profile.
    #[arg(long, value_name = "N")]
    pub(crate) pdus: Option<usize>,

    /// Outlets per PDU.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(crate) outlets: u32,

    /// Outlets per infeed/cord (Sentry3, Sentry4) or port group (PoE).
    /// Default: all in group 1.
    #[arg(long, value_name = "N")]
    pub(crate) outlets_per_group: Option<u32>,

    /// How long a cycle (reboot) keeps an outlet off.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub(crate) cycle_time: Duration,

    /// How long delayed commands (APC delayedOn, …) wait.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub(crate) command_delay: Duration,

    /// snmprec recordings: a data directory (every *.snmprec under it) or
    /// one file; repeatable.
    #[arg(long, value_name = "DIR|FILE")]
    pub(crate) snmprec: Vec<PathBuf>,

    /// Serve every agent on ADDR:PORT, one community per agent (the
    /// default, on 127.0.0.1:1161).
    #[arg(long, value_name = "ADDR:PORT", conflicts_with = "ports")]
    pub(crate) listen: Option<SocketAddr>,

    /// Give each agent its own port, from FIRST upwards (0: free ports the
    /// OS picks).
    #[arg(long, value_name = "FIRST")]
    pub(crate) ports: Option<u16>,

    /// The address the --ports sockets bind.
    #[arg(
        long,
        value_name = "IP",
        default_value = "127.0.0.1",
        requires = "ports"
    )]
    pub(crate) bind: IpAddr,

    /// The community that reads (with --ports).
    #[arg(long, value_name = "COMMUNITY", default_value = "public")]
    pub(crate) community: String,

    /// The community that also writes (with --ports).
    #[arg(long, value_name = "COMMUNITY", default_value = "private")]
    pub(crate) write_community: String,

    /// The largest response in bytes: bigger GET/GETNEXT/SET answers are
    /// tooBig, GETBULK answers are truncated to fit.
    #[arg(long, value_name = "BYTES")]
    pub(crate) max_message_size: Option<usize>,

    /// The most varbinds in a GETBULK answer (net-snmp's default 100).
    #[arg(long, value_name = "N")]
    pub(crate) max_bulk_varbinds: Option<usize>,

    /// Worker threads (1: everything on one core).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) threads: usize,

    /// JSON lines instead of text.
    #[arg(long)]
    pub(crate) json: bool,

    /// Log on stderr (RUST_LOG also enables logs).
    #[arg(short = 'd', long)]
    pub(crate) debug: bool,

    /// Answer this much later (e.g. 200ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = IMPAIR_HEADING)]
    pub(crate) delay: Option<Duration>,

    /// Add a random extra delay up to DURATION (reorders answers).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = IMPAIR_HEADING)]
    pub(crate) jitter: Option<Duration>,

    /// Ignore this fraction of requests (0..1).
    #[arg(long, value_name = "P", value_parser = parse_probability, help_heading = IMPAIR_HEADING)]
    pub(crate) loss: Option<f64>,

    /// Answer this fraction of requests twice (0..1).
    #[arg(long, value_name = "P", value_parser = parse_probability, help_heading = IMPAIR_HEADING)]
    pub(crate) duplicate: Option<f64>,

    /// Answer from this address (e.g. 127.0.0.2), not the one asked.
    #[arg(long, value_name = "IP", help_heading = IMPAIR_HEADING)]
    pub(crate) reply_from: Option<IpAddr>,

    /// Echo only the low 16 bits of request-ids.
    #[arg(long, help_heading = IMPAIR_HEADING)]
    pub(crate) truncate_request_id: bool,

    /// Append .0 to the OIDs of GET answers.
    #[arg(long, help_heading = IMPAIR_HEADING)]
    pub(crate) append_zero: bool,

    /// Past the N-th object, GETNEXT/GETBULK start again at the first
    /// (non-increasing OIDs: an endless walk).
    #[arg(long, value_name = "N", help_heading = IMPAIR_HEADING)]
    pub(crate) walk_loop_after: Option<usize>,

    /// GETBULK asking for more than N repetitions is capped, dropped or
    /// answered with garbage: N[:cap|drop|garbage] (default cap).
    #[arg(long, value_name = "N[:MODE]", value_parser = parse_bulk_limit, help_heading = IMPAIR_HEADING)]
    pub(crate) bulk_limit: Option<(u32, BulkOverflow)>,

    /// Encode INTEGER 0 with no content octets.
    #[arg(long, help_heading = IMPAIR_HEADING)]
    pub(crate) zero_length_integer: bool,

    /// Encode Counter32/Gauge32/TimeTicks >= 2^31 without the leading zero
    /// octet.
    #[arg(long, help_heading = IMPAIR_HEADING)]
    pub(crate) unsigned_without_leading_zero: bool,

    /// The fraction of agents (chosen with --seed) that get the
    /// impairments.
    #[arg(long, value_name = "FRACTION", default_value_t = 1.0, value_parser = parse_probability, help_heading = IMPAIR_HEADING)]
    pub(crate) impaired: f64,

    /// Seed of every random choice (readings, impairments, which agents are
    /// impaired).
    #[arg(long, value_name = "N", default_value_t = 0, help_heading = IMPAIR_HEADING)]
    pub(crate) seed: u64,
}

/// Runs `snmux sim`.
pub(crate) fn main(args: &SimArgs) -> ExitCode {
    crate::init_tracing(args.debug);
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(e) => return crate::report(&anyhow::Error::new(e).context("cannot start the runtime")),
    };
    match runtime.block_on(sim(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => crate::report(&e),
    }
}

async fn sim(args: &SimArgs) -> anyhow::Result<()> {
    let shared = args.ports.is_none();
    let agents = agents(args, shared)?;
    let count = agents.len();
    if !shared {
        // One socket per agent: thousands need more than the usual 1024
        // open files.
        snmux::sim::raise_open_files_limit(count as u64 + 64);
    }
    let builder = Sim::builder().agents(agents);
    let builder = match args.ports {
        Some(first) => builder.ports(args.bind, first),
        None => builder.listen(args.listen.unwrap_or(DEFAULT_LISTEN)),
    };
    let sim = builder
        .start()
        .await
        .context("cannot start the simulator")?;
    let mut out = io::stdout().lock();
    for agent in sim.agents() {
        writeln!(out, "{}", describe(agent, args.json))?;
    }
    let listen = sim.local_addrs();
    if args.json {
        let ready = serde_json::json!({
            "ready": true,
            "agents": count,
            "sockets": listen.len(),
            "listen": listen.iter().map(ToString::to_string).collect::<Vec<_>>(),
        });
        writeln!(out, "{ready}")?;
    } else if shared {
        writeln!(out, "ready: {count} agents on {}", listen[0])?;
    } else {
        writeln!(out, "ready: {count} agents on {} ports", listen.len())?;
    }
    out.flush()?;
    drop(out);
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    let s = sim.stats();
    eprintln!(
        "snmux sim: stopped after {} requests, {} responses ({} SETs, {} tooBig); dropped: {} malformed, \
         {} unknown community, {} unsupported, {} lost on purpose",
        s.requests,
        s.responses,
        s.sets,
        s.too_big,
        s.malformed,
        s.wrong_community,
        s.unsupported,
        s.lost
    );
    Ok(())
}

/// One line about an agent: text `key=value` pairs or a JSON object.
fn describe(agent: &SimAgent, json: bool) -> String {
    let community = agent.community();
    let write = String::from_utf8_lossy(agent.write_community()).into_owned();
    let profile = agent.profile().map(Profile::name);
    let impaired = agent.impairments() != &Impairments::none();
    if json {
        serde_json::json!({
            "agent": agent.name(),
            "addr": agent.addr().to_string(),
            "community": community,
            "write_community": write,
            "profile": profile,
            "outlets": agent.outlet_count(),
            "objects": agent.object_count(),
            "impaired": impaired,
        })
        .to_string()
    } else {
        format!(
            "agent {} addr={} community={community} write-community={write} profile={} outlets={} \
             objects={} impaired={}",
            agent.name(),
            agent.addr(),
            profile.unwrap_or("-"),
            agent.outlet_count(),
            agent.object_count(),
            if impaired { "yes" } else { "no" },
        )
    }
}

/// The agents the arguments ask for; with no data, the built-in set.
fn agents(args: &SimArgs, shared: bool) -> anyhow::Result<Vec<Agent>> {
    let mut recordings = Vec::new();
    for path in &args.snmprec {
        if path.is_dir() {
            recordings.extend(Recording::load_dir(path)?);
        } else {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            recordings.push(Recording::load(path, name)?);
        }
    }
    let mut profiles = Vec::new();
    for name in &args.profile {
        if name == "all" {
            profiles.extend(Profile::ALL);
        } else {
            profiles.push(Profile::from_str(name)?);
        }
    }
    let builtin = args.snmprec.is_empty() && profiles.is_empty() && args.pdus.is_none();
    if builtin {
        recordings = Recording::builtin();
    }
    if profiles.is_empty() && (builtin || args.pdus.is_some()) {
        profiles.extend(Profile::ALL);
    }
    let pdus = if profiles.is_empty() {
        0
    } else {
        args.pdus.unwrap_or(profiles.len())
    };
    let mut options = PduOptions::new()
        .outlets(args.outlets)
        .cycle_time(args.cycle_time)
        .command_delay(args.command_delay)
        .seed(args.seed);
    if let Some(n) = args.outlets_per_group {
        options = options.outlets_per_group(n);
    }
    let impairments = impairments(args);
    let mut builders = Vec::new();
    for rec in &recordings {
        builders.push(Agent::recording(rec));
    }
    let mut numbers = vec![0usize; Profile::ALL.len()];
    for i in 0..pdus {
        let profile = profiles[i % profiles.len()];
        let k = Profile::ALL.iter().position(|p| *p == profile).unwrap_or(0);
        numbers[k] += 1;
        let name = format!("{}-{}", profile.name(), numbers[k]);
        builders.push(Agent::pdu(profile, options.seed(args.seed ^ i as u64)).name(name));
    }
    Ok(builders
        .into_iter()
        .enumerate()
        .map(|(i, mut b)| {
            b = if shared {
                let name = b.agent_name().to_owned();
                b.community(name)
            } else {
                b.read_community(args.community.clone())
                    .write_community(args.write_community.clone())
            };
            if let Some(n) = args.max_message_size {
                b = b.max_message_size(n);
            }
            if let Some(n) = args.max_bulk_varbinds {
                b = b.max_bulk_varbinds(n);
            }
            if chosen(args.seed, i as u64, args.impaired) {
                b = b.impairments(impairments.clone());
            }
            b.build()
        })
        .collect())
}

fn impairments(args: &SimArgs) -> Impairments {
    let mut imp = Impairments::none()
        .seed(args.seed)
        .truncate_request_id(args.truncate_request_id)
        .append_zero(args.append_zero)
        .zero_length_integer(args.zero_length_integer)
        .unsigned_without_leading_zero(args.unsigned_without_leading_zero);
    if let Some(d) = args.delay {
        imp = imp.delay(d);
    }
    if let Some(d) = args.jitter {
        imp = imp.jitter(d);
    }
    if let Some(p) = args.loss {
        imp = imp.loss(p);
    }
    if let Some(p) = args.duplicate {
        imp = imp.duplicate(p);
    }
    if let Some(ip) = args.reply_from {
        imp = imp.reply_from(ip);
    }
    if let Some(n) = args.walk_loop_after {
        imp = imp.walk_loop_after(n);
    }
    if let Some((n, overflow)) = args.bulk_limit {
        imp = imp.bulk_limit(n, overflow);
    }
    imp
}

/// Whether agent `i` is among the `fraction` impaired ones (a choice drawn
/// from `seed`, the same on every run).
fn chosen(seed: u64, i: u64, fraction: f64) -> bool {
    if fraction >= 1.0 {
        return true;
    }
    let mut x = seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    ((x >> 11) as f64 / (1u64 << 53) as f64) < fraction
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 500ms, 30s, 1m 30s)"))
}

fn parse_probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{s:?} is not a number from 0 to 1")),
    }
}

fn parse_bulk_limit(s: &str) -> Result<(u32, BulkOverflow), String> {
    let (n, mode) = s.split_once(':').unwrap_or((s, "cap"));
    let n = n
        .parse::<u32>()
        .map_err(|_| format!("{n:?} is not a number of repetitions"))?;
    let mode = match mode {
        "cap" => BulkOverflow::Cap,
        "drop" => BulkOverflow::Drop,
        "garbage" => BulkOverflow::Garbage,
        other => return Err(format!("{other:?} is not cap, drop or garbage")),
    };
    Ok((n, mode))
}
