//! `snmux poll`: many agents at once through one engine, from an inventory
//! file or the command line, one-shot or every interval; a table, JSON
//! lines or CSV on stdout, a summary at the end.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::time::Instant;

use snmux::poll::{Inventory, PduProfile, PollRecord, Poller, Summary, Target};
use snmux::{Oid, Security};

use crate::agent::AgentSpec;
use crate::cli::SnmpVersion;
use crate::format;
use crate::v3::V3Args;

/// Where `--help` lists the options of targets given on the command line.
const TARGET_HEADING: &str = "Targets on the command line";
/// Where `--help` lists pacing options.
const PACING_HEADING: &str = "Requests and pacing (override the inventory)";

/// `poll`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  snmux poll inventory.toml
  snmux poll inventory.toml --interval 30s --json
  snmux poll -v2c -c public 127.0.0.1:16161 --get 1.3.6.1.2.1.1.5.0 --walk 1.3.6.1.2.1.2
  snmux poll -c public 10.0.0.5 10.0.0.6 --profile apc-rpdu --csv

The inventory format is described in the README (section \"snmux poll\").
Output: a table on stdout (--json: one JSON object per target per round,
then a {\"summary\":...} line; --csv: one row per value or error); the
summary goes to stderr, and a progress bar too when stderr is a terminal.

Exit status: 0 if every target answered every request of every round,
1 if any target failed (a timeout, an error status, a circuit breaker that
was open) or the poll could not start, 2 for usage errors.")]
pub(crate) struct PollArgs {
    /// An inventory file (TOML), or agents: HOST[:PORT] (default port 161),
    /// [IPV6]:PORT, as for get.
    #[arg(value_name = "INVENTORY|AGENT", required = true)]
    pub(crate) inputs: Vec<String>,

    /// SNMP version: 1, 2c or 3. Default: 2c, or 3 when -u is given.
    #[arg(short = 'v', value_name = "1|2c|3", help_heading = TARGET_HEADING, value_parser = crate::cli::parse_version)]
    pub(crate) version: Option<SnmpVersion>,

    /// The community string (SNMPv1 and v2c). Default: public.
    #[arg(short = 'c', value_name = "COMMUNITY", help_heading = TARGET_HEADING)]
    pub(crate) community: Option<String>,

    /// GET these OIDs (in one request per agent per round); repeatable.
    #[arg(long, value_name = "OID", help_heading = TARGET_HEADING, value_parser = crate::cli::parse_oid)]
    pub(crate) get: Vec<Oid>,

    /// Walk the subtree under OID; repeatable.
    #[arg(long, value_name = "OID", help_heading = TARGET_HEADING, value_parser = crate::cli::parse_oid)]
    pub(crate) walk: Vec<Oid>,

    /// Walk the outlet table of a PDU profile: apc-rpdu, apc-rpdu2,
    /// apc-masterswitch, raritan, sentry3, sentry4, eaton, cyberpower, poe.
    #[arg(long, value_name = "PROFILE", help_heading = TARGET_HEADING, value_parser = parse_profile)]
    pub(crate) profile: Option<PduProfile>,

    #[command(flatten)]
    pub(crate) v3: V3Args,

    /// Seconds to wait for a response before sending the request again
    /// (default 1).
    #[arg(short = 't', value_name = "SECONDS", help_heading = PACING_HEADING, value_parser = crate::cli::parse_timeout)]
    pub(crate) timeout: Option<Duration>,

    /// How many times to send a request again before giving up (default
    /// 4).
    #[arg(short = 'r', value_name = "RETRIES", help_heading = PACING_HEADING)]
    pub(crate) retries: Option<u32>,

    /// max-repetitions of each GETBULK of a walk (default 10).
    #[arg(long, value_name = "N", help_heading = PACING_HEADING)]
    pub(crate) max_repetitions: Option<u32>,

    /// Most requests in flight to one agent (default 2).
    #[arg(long, value_name = "N", help_heading = PACING_HEADING)]
    pub(crate) max_in_flight: Option<usize>,

    /// Least time between two requests to one agent, e.g. 10ms (default).
    #[arg(long, value_name = "DURATION", help_heading = PACING_HEADING, value_parser = parse_duration)]
    pub(crate) min_gap: Option<Duration>,

    /// Most requests in flight to all agents together (default 1024).
    #[arg(long, value_name = "N", help_heading = PACING_HEADING)]
    pub(crate) max_in_flight_total: Option<usize>,

    /// Poll continuously, a round every DURATION (e.g. 30s, 1m); stop
    /// with Ctrl-C. Default: one round.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) interval: Option<Duration>,

    /// Stop after N rounds (with --interval).
    #[arg(long, value_name = "N")]
    pub(crate) rounds: Option<u64>,

    /// JSON lines: one object per target per round, then the summary.
    #[arg(long, conflicts_with = "csv")]
    pub(crate) json: bool,

    /// CSV: target,address,round,oid,type,value,error.
    #[arg(long)]
    pub(crate) csv: bool,

    /// No progress bar, even on a terminal.
    #[arg(long)]
    pub(crate) no_progress: bool,

    /// Log requests and responses on stderr (RUST_LOG also enables logs).
    #[arg(short = 'd', long)]
    pub(crate) debug: bool,
}

/// Runs `snmux poll`.
pub(crate) fn main(args: &PollArgs) -> ExitCode {
    crate::init_tracing(args.debug);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return crate::report(&anyhow::Error::new(e).context("cannot start the runtime")),
    };
    match runtime.block_on(poll(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => crate::report(&e),
    }
}

/// What was given on the command line: an inventory, or agents.
enum Input {
    Inventory(Inventory),
    Agents(Vec<Target>),
}

/// Polls; `Ok(true)` if every record succeeded.
async fn poll(args: &PollArgs) -> anyhow::Result<bool> {
    let input = input(args).await?;
    let (mut targets, interval, total) = match input {
        Input::Inventory(inv) => (inv.targets, inv.interval, inv.max_in_flight),
        Input::Agents(targets) => (targets, None, None),
    };
    for target in &mut targets {
        let mut options = *target.options();
        if let Some(per_try) = args.timeout.or(args.retries.map(|_| options.refresh)) {
            let retries = args.retries.unwrap_or_else(|| {
                let tries = options.timeout.as_nanos() / options.refresh.as_nanos().max(1);
                u32::try_from(tries.saturating_sub(1)).unwrap_or(u32::MAX)
            });
            options.retries(per_try, retries);
        }
        if let Some(n) = args.max_repetitions {
            options.max_repetitions = n.max(1);
        }
        if let Some(n) = args.max_in_flight {
            options.max_in_flight = n.max(1);
        }
        if let Some(gap) = args.min_gap {
            options.min_gap = gap;
        }
        *target = target.clone().with_options(options);
    }
    let interval = args.interval.or(interval);
    let mut builder = Poller::builder().targets(targets);
    if let Some(interval) = interval {
        builder = builder.interval(interval);
    }
    if let Some(rounds) = args.rounds {
        builder = builder.rounds(rounds);
    }
    if let Some(n) = args.max_in_flight_total.or(total) {
        builder = builder.max_in_flight(n);
    }
    let poller = builder.build()?;
    let n_targets = poller.targets().len() as u64;
    let width = poller
        .targets()
        .map(|t| t.name().len())
        .max()
        .unwrap_or(6)
        .max(6);

    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Table {
            width,
            rounds: interval.is_some(),
        }
    };
    let stdout = io::stdout();
    let mut out = Out {
        w: io::BufWriter::new(stdout.lock()),
        format,
        header: false,
    };
    let progress = if !args.no_progress && io::stderr().is_terminal() {
        let length = match (interval, args.rounds) {
            (Some(_), None) => n_targets,
            (Some(_), Some(rounds)) => n_targets.saturating_mul(rounds),
            (None, _) => n_targets,
        };
        let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} targets, {msg} [{elapsed_precise}]")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };

    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let started = Instant::now();
    let mut summary = Summary::new();
    let mut records = poller.run();
    let stdout_is_terminal = io::stdout().is_terminal();
    loop {
        let record = tokio::select! {
            record = records.next() => record,
            _ = &mut ctrl_c => break,
        };
        let Some(record) = record else { break };
        summary.add(&record);
        let write = |out: &mut Out<_>| out.record(&record);
        match &progress {
            Some(bar) if stdout_is_terminal => bar.suspend(|| write(&mut out))?,
            _ => write(&mut out)?,
        }
        if let Some(bar) = &progress {
            if interval.is_some() && args.rounds.is_none() && bar.position() >= n_targets {
                bar.set_position(0);
            }
            bar.inc(1);
            let rate = summary.requests as f64 / started.elapsed().as_secs_f64().max(1e-9);
            bar.set_message(format!("{} failed, {rate:.0} requests/s", summary.failed));
        }
    }
    drop(records);
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let wall = started.elapsed();
    out.summary(&summary, wall)?;
    out.w.flush()?;
    Ok(summary.failed == 0)
}

async fn input(args: &PollArgs) -> anyhow::Result<Input> {
    let target_flags = [
        ("-v", args.version.is_some()),
        ("-c", args.community.is_some()),
        ("--get", !args.get.is_empty()),
        ("--walk", !args.walk.is_empty()),
        ("--profile", args.profile.is_some()),
    ];
    let first_target_flag = target_flags
        .iter()
        .find_map(|(flag, given)| given.then_some(*flag))
        .or(args.v3.first_given());
    if let [single] = &args.inputs[..] {
        let path = Path::new(single);
        if path.is_file() || single.ends_with(".toml") {
            if let Some(flag) = first_target_flag {
                crate::usage_error(
                    "poll",
                    format!("{flag} is for agents on the command line, not with an inventory file"),
                );
            }
            return Ok(Input::Inventory(Inventory::load(path)?));
        }
    }
    let security = match args.version_or_default() {
        version @ (SnmpVersion::V1 | SnmpVersion::V2c) => {
            if let Some(flag) = args.v3.first_given() {
                let v = if version == SnmpVersion::V1 {
                    "1"
                } else {
                    "2c"
                };
                crate::usage_error(
                    "poll",
                    format!("{flag} is an SNMPv3 option; use -v3 (not -v{v}) with it"),
                );
            }
            let community = args
                .community
                .clone()
                .unwrap_or_else(|| "public".to_owned());
            if version == SnmpVersion::V1 {
                Security::v1(community.into_bytes())
            } else {
                Security::v2c(community.into_bytes())
            }
        }
        SnmpVersion::V3 => {
            if args.community.is_some() {
                crate::usage_error(
                    "poll",
                    "-c is for SNMPv1 and v2c; SNMPv3 takes -u and -l".into(),
                );
            }
            let user = match args.v3.user() {
                Ok(user) => user,
                Err(message) => crate::usage_error("poll", message),
            };
            Security::v3(user.build()?)
        }
    };
    if args.get.is_empty() && args.walk.is_empty() && args.profile.is_none() {
        crate::usage_error(
            "poll",
            "nothing to collect: give --get, --walk or --profile (or an inventory file)".into(),
        );
    }
    let mut targets = Vec::new();
    for input in &args.inputs {
        let spec: AgentSpec = match input.parse() {
            Ok(spec) => spec,
            Err(message) => crate::usage_error(
                "poll",
                format!("{input:?}: {message} (nor an inventory file that exists)"),
            ),
        };
        let addr = spec.resolve().await?;
        let mut target = Target::new(addr, security.clone()).named(spec.to_string());
        if !args.get.is_empty() {
            target = target.get("get", args.get.clone());
        }
        for root in &args.walk {
            target = target.walk(root.clone());
        }
        if let Some(profile) = args.profile {
            target = target.profile(profile);
        }
        targets.push(target);
    }
    Ok(Input::Agents(targets))
}

impl PollArgs {
    fn version_or_default(&self) -> SnmpVersion {
        SnmpVersion::given_or_default(self.version, &self.v3.security)
    }
}

fn parse_profile(s: &str) -> Result<PduProfile, String> {
    s.parse()
        .map_err(|e: snmux::poll::UnknownProfile| e.to_string())
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (e.g. 500ms, 30s, 1m 30s)"))
}

/// The output format.
enum Format {
    /// One line per value: target, OID, value; errors on their own line.
    Table {
        width: usize,
        rounds: bool,
    },
    Json,
    Csv,
}

struct Out<W: Write> {
    w: W,
    format: Format,
    header: bool,
}

impl<W: Write> Out<W> {
    fn record(&mut self, r: &PollRecord) -> anyhow::Result<()> {
        match self.format {
            Format::Table { width, rounds } => {
                if !self.header {
                    self.header = true;
                    let round = if rounds { "ROUND  " } else { "" };
                    writeln!(self.w, "{:width$}  {round}{:36}  VALUE", "TARGET", "OID")?;
                }
                let round = if rounds {
                    format!("{:<5}  ", r.round)
                } else {
                    String::new()
                };
                for vb in &r.values {
                    let text = format::text(vb).replace('\n', "\\n");
                    let (oid, value) = text.split_once(" = ").unwrap_or((&text, ""));
                    writeln!(self.w, "{:width$}  {round}{oid:36}  {value}", r.name)?;
                }
                for e in &r.errors {
                    writeln!(self.w, "{:width$}  {round}error: {e}", r.name)?;
                }
            }
            Format::Json => writeln!(self.w, "{}", json_record(r))?,
            Format::Csv => {
                let mut csv = csv::Writer::from_writer(&mut self.w);
                if !self.header {
                    self.header = true;
                    csv.write_record([
                        "target", "address", "round", "oid", "type", "value", "error",
                    ])?;
                }
                let (addr, round) = (r.addr.to_string(), r.round.to_string());
                for vb in &r.values {
                    let (kind, value) = type_and_value(vb);
                    let oid = vb.oid.to_string();
                    csv.write_record([&*r.name, &addr, &round, &oid, &kind, &value, ""])?;
                }
                for e in &r.errors {
                    csv.write_record([&*r.name, &addr, &round, "", "", "", &e.to_string()])?;
                }
                csv.flush()?;
            }
        }
        Ok(())
    }

    fn summary(&mut self, s: &Summary, wall: Duration) -> anyhow::Result<()> {
        let ms = |d: Option<Duration>| d.map(ms);
        let rate = s.requests as f64 / wall.as_secs_f64().max(1e-9);
        if let Format::Json = self.format {
            let summary = serde_json::json!({
                "summary": {
                    "targets_ok": s.ok,
                    "targets_failed": s.failed,
                    "varbinds": s.varbinds,
                    "requests": s.requests,
                    "retransmissions": s.retransmissions,
                    "timeouts": s.timeouts,
                    "latency_p50_ms": ms(s.latency(0.5)),
                    "latency_p99_ms": ms(s.latency(0.99)),
                    "wall_ms": ms(Some(wall)),
                    "requests_per_second": rate.round(),
                }
            });
            writeln!(self.w, "{summary}")?;
            return Ok(());
        }
        let latency = |q| match s.latency(q) {
            Some(d) => format!("{:.2} ms", d.as_secs_f64() * 1e3),
            None => "-".to_owned(),
        };
        self.w.flush()?;
        let mut err = io::stderr().lock();
        writeln!(err, "targets    {} ok, {} failed", s.ok, s.failed)?;
        writeln!(err, "varbinds   {}", s.varbinds)?;
        writeln!(
            err,
            "requests   {} ({} retransmissions, {} timeouts)",
            s.requests, s.retransmissions, s.timeouts
        )?;
        writeln!(
            err,
            "latency    p50 {}, p99 {}",
            latency(0.5),
            latency(0.99)
        )?;
        writeln!(
            err,
            "wall time  {:.3} s ({rate:.0} requests/s)",
            wall.as_secs_f64()
        )?;
        Ok(())
    }
}

/// Milliseconds, to the microsecond.
fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// One record as a JSON object on one line.
fn json_record(r: &PollRecord) -> String {
    use std::fmt::Write as _;

    let mut line = String::with_capacity(128 + 64 * r.values.len());
    let head = serde_json::json!({
        "target": &*r.name,
        "address": r.addr.to_string(),
        "round": r.round,
        "ok": r.is_ok(),
    })
    .to_string();
    // The head without its closing brace, then the values as the other
    // commands print them.
    line.push_str(&head[..head.len() - 1]);
    line.push_str(",\"values\":[");
    for (i, vb) in r.values.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        line.push_str(&format::json(vb));
    }
    let errors: Vec<serde_json::Value> = r
        .errors
        .iter()
        .map(|e| {
            let message = match e {
                snmux::poll::Error::Request { source, .. } => source.to_string(),
                other => other.to_string(),
            };
            serde_json::json!({
                "job": e.job(),
                "kind": error_kind(e),
                "error": message,
            })
        })
        .collect();
    let latencies: Vec<f64> = r.latencies.iter().map(|&d| ms(d)).collect();
    let tail = serde_json::json!({
        "errors": errors,
        "timings": {
            "start_ms": ms(r.started),
            "elapsed_ms": ms(r.elapsed),
            "latency_ms": latencies,
        },
        "requests": r.requests,
        "retransmissions": r.retransmissions,
        "timeouts": r.timeouts,
    })
    .to_string();
    let _ = write!(line, "],{}", &tail[1..]);
    line
}

/// A short name for the kind of error, for JSON consumers.
fn error_kind(e: &snmux::poll::Error) -> &'static str {
    use snmux::poll::Error as E;
    match e {
        E::CircuitOpen { .. } => "circuit_open",
        E::Request { source, .. } => match **source {
            snmux::Error::Timeout { .. } => "timeout",
            snmux::Error::ErrorStatus { .. } => "error_status",
            snmux::Error::ImproperResponse { .. } | snmux::Error::NonIncreasingOid { .. } => {
                "improper_response"
            }
            _ => "error",
        },
        _ => "error",
    }
}

/// A varbind's type and value as text, from its JSON form: strings as
/// they are, numbers in decimal, bytes that are not text in hex.
fn type_and_value(vb: &snmux::VarBind) -> (String, String) {
    let json: serde_json::Value = serde_json::from_str(&format::json(vb)).unwrap_or_default();
    let kind = json["type"].as_str().unwrap_or_default().to_owned();
    let value = match (&json["value"], &json["hex"]) {
        (serde_json::Value::String(s), _) => s.clone(),
        (serde_json::Value::Null, serde_json::Value::String(hex)) => hex.clone(),
        (serde_json::Value::Null, _) => String::new(),
        (other, _) => other.to_string(),
    };
    (kind, value)
}
