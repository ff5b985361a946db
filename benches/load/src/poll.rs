//! Peers of `snmux poll` in `benches/poll.sh`: one round of an inventory's
//! targets (the same file `snmux poll` reads), each target's jobs (its GET
//! sets and walks) through one of three clients, with the poller's pacing
//! as far as each client allows, counting the varbinds collected.
//!
//! - `async-snmp`: one shared `UdpTransport`, one `Client` per target
//!   (`build_with`), `get_many` for a GET set and `bulk_walk(root, M)` for
//!   a walk.
//! - `snmux`: snmux's library without the Poller: one `Engine::bind`, one
//!   `Manager` per target, `get` and `Manager::walk`.
//! - `snmux-poller`: the Poller itself (`snmux::poll::Poller`), its
//!   records counted and dropped: `snmux poll` less its output.
//!
//! The pacing of the first two: a tokio task per target, at most the
//! target's `max_in_flight` jobs at once, job *i* starting no earlier than
//! `i × min_gap` after the target's start, and at most `--max-in-flight`
//! jobs in flight over all targets. The Poller paces each request; these
//! two pace each job (a walk's later requests follow at once), which is
//! the same for walks of one request, most of this workload. Timeouts and
//! retries are the target's (1 s per try, 4 retries by default).
//!
//! Prints one JSON line: client, targets, targets_failed, jobs, requests,
//! varbinds, wall_ms (from the first request to the last response).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use snmux::poll::{Inventory, Job, Poller, Target};
use snmux::{Engine, Security};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Which client polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PollClient {
    /// async-snmp: shared transport, a `Client` per target.
    AsyncSnmp,
    /// snmux's library without the Poller: `Manager::get`, `Manager::walk`.
    Snmux,
    /// snmux's Poller, records counted and dropped.
    SnmuxPoller,
    /// Polls nothing: prints the net-snmp command lines of the jobs of
    /// every `--every`-th target, `JOB TARGET COMMAND...` (JOB: the job's
    /// position in its target), for `benches/poll.sh`.
    NetsnmpJobs,
}

#[derive(Debug, Args)]
pub(crate) struct PollArgs {
    /// The inventory (TOML, as `snmux poll` reads it).
    inventory: PathBuf,
    /// The client.
    #[arg(long, value_enum)]
    client: PollClient,
    /// Jobs in flight over all targets (the Poller: requests). Default:
    /// the inventory's `max_in_flight`, else 1024 as `snmux poll`.
    #[arg(long)]
    max_in_flight: Option<usize>,
    /// With `netsnmp-jobs`: every how many targets, from the first.
    #[arg(long, default_value_t = 1)]
    every: usize,
}

/// What a client collected.
#[derive(Debug, Default)]
struct Tally {
    failed: u64,
    jobs: u64,
    requests: u64,
    varbinds: u64,
    first_error: Option<String>,
}

pub(crate) fn run(args: &PollArgs) -> Result<(), String> {
    let inventory = Inventory::load(&args.inventory).map_err(|e| e.to_string())?;
    let cap = args
        .max_in_flight
        .or(inventory.max_in_flight)
        .unwrap_or(1024)
        .max(1);
    let targets = inventory.targets;
    let n = targets.len();
    if args.client == PollClient::NetsnmpJobs {
        return netsnmp_jobs(&targets, args.every.max(1));
    }
    // A current-thread runtime, as `snmux poll`'s.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let (tally, wall) = runtime.block_on(async {
        match args.client {
            PollClient::AsyncSnmp => async_snmp(targets, cap).await,
            PollClient::Snmux => snmux_manager(targets, cap).await,
            PollClient::SnmuxPoller => snmux_poller(targets, cap).await,
            PollClient::NetsnmpJobs => unreachable!("handled above"),
        }
    })?;
    let name = match args.client {
        PollClient::AsyncSnmp => "async-snmp",
        PollClient::Snmux => "snmux Manager",
        PollClient::SnmuxPoller => "snmux Poller",
        PollClient::NetsnmpJobs => "net-snmp",
    };
    println!(
        "{}",
        json!({
            "client": name,
            "targets": n,
            "targets_failed": tally.failed,
            "jobs": tally.jobs,
            "requests": tally.requests,
            "varbinds": tally.varbinds,
            "wall_ms": crate::run::round(wall.as_secs_f64() * 1000.0, 1),
            "first_error": tally.first_error,
        })
    );
    Ok(())
}

/// The net-snmp tools' command lines of the targets' jobs, with the
/// targets' timeout, retries and max-repetitions: `snmpget` of a GET set,
/// `snmpbulkwalk -Cr<M>` of a walk, `-Oqn` (a line per varbind).
fn netsnmp_jobs(targets: &[Target], every: usize) -> Result<(), String> {
    use std::fmt::Write as _;
    let mut out = String::new();
    for t in targets.iter().step_by(every) {
        let o = t.options();
        let community = community(t.security())?;
        let per_try = o.refresh.as_secs_f64();
        let tries = (o.timeout.as_nanos() / o.refresh.as_nanos().max(1)).max(1);
        let common = format!(
            "-v2c -c {community} -Oqn -t {per_try} -r {} {}",
            tries - 1,
            t.addr()
        );
        for (i, job) in t.jobs().iter().enumerate() {
            let _ = match job {
                Job::Get { oids, .. } => {
                    let oids: Vec<String> = oids.iter().map(ToString::to_string).collect();
                    writeln!(out, "{i} {} snmpget {common} {}", t.name(), oids.join(" "))
                }
                Job::Walk { root, .. } => writeln!(
                    out,
                    "{i} {} snmpbulkwalk -Cr{} {common} {root}",
                    t.name(),
                    o.max_repetitions
                ),
                _ => return Err("unknown job".into()),
            };
        }
    }
    print!("{out}");
    Ok(())
}

/// Per-target result of a round: varbinds, or the first error.
type Round = (u64, u64, Option<String>);

/// Runs `job` for each of a target's jobs, paced as the module says.
async fn paced<F, Fut>(target: &Target, global: Arc<Semaphore>, job: F) -> Round
where
    F: Fn(Job) -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    let options = *target.options();
    let start = tokio::time::Instant::now();
    let jobs = target.jobs().to_vec();
    let count = jobs.len() as u64;
    let results: Vec<Result<u64, String>> = futures::stream::iter(jobs.into_iter().enumerate())
        .map(|(i, j)| {
            let global = global.clone();
            let run = job(j);
            async move {
                tokio::time::sleep_until(start + options.min_gap * i as u32).await;
                let _permit = global.acquire_owned().await.map_err(|e| e.to_string())?;
                run.await
            }
        })
        .buffer_unordered(options.max_in_flight.max(1))
        .collect()
        .await;
    let mut varbinds = 0;
    let mut error = None;
    for r in results {
        match r {
            Ok(v) => varbinds += v,
            Err(e) => {
                error.get_or_insert(e);
            }
        }
    }
    (count, varbinds, error)
}

async fn gather(mut rounds: JoinSet<Round>, tally: &mut Tally) -> Result<(), String> {
    while let Some(r) = rounds.join_next().await {
        let (jobs, varbinds, error) = r.map_err(|e| format!("task: {e}"))?;
        tally.jobs += jobs;
        tally.varbinds += varbinds;
        if let Some(e) = error {
            tally.failed += 1;
            tally.first_error.get_or_insert(e);
        }
    }
    Ok(())
}

fn community(security: &Security) -> Result<String, String> {
    match security {
        Security::V2c { community } => Ok(String::from_utf8_lossy(community).into_owned()),
        _ => Err("the poll peers take SNMPv2c targets only".into()),
    }
}

async fn async_snmp(targets: Vec<Target>, cap: usize) -> Result<(Tally, Duration), String> {
    use async_snmp::transport::UdpTransport;
    use async_snmp::{Auth, Client, Retry};

    let transport = UdpTransport::builder()
        .bind("0.0.0.0:0")
        .recv_buffer_size(8 << 20)
        .send_buffer_size(4 << 20)
        .build()
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let mut clients = Vec::with_capacity(targets.len());
    for t in &targets {
        let o = t.options();
        let tries = (o.timeout.as_nanos() / o.refresh.as_nanos().max(1)).max(1) as u32;
        let retry = Retry::fixed(tries - 1, Duration::ZERO).map_err(|e| e.to_string())?;
        let client = Client::builder(t.addr(), Auth::v2c(community(t.security())?))
            .strict_source(true)
            .request_timeout(o.refresh)
            .retry(retry)
            .build_with(&transport)
            .await
            .map_err(|e| format!("client for {}: {e}", t.addr()))?;
        clients.push(client);
    }
    let global = Arc::new(Semaphore::new(cap));
    let before = transport.stats().correlated_datagrams;
    let start = Instant::now();
    let mut rounds = JoinSet::new();
    for (t, client) in targets.into_iter().zip(clients) {
        let global = global.clone();
        rounds.spawn(async move {
            let max_repetitions = t.options().max_repetitions;
            paced(&t, global, |job| {
                let client = client.clone();
                async move {
                    let e = |e: Box<async_snmp::Error>| e.to_string();
                    match job {
                        Job::Get { oids, .. } => {
                            let oids: Vec<_> = oids
                                .iter()
                                .map(|o| async_snmp::Oid::from_slice(o.arcs()))
                                .collect();
                            let r = client.get_many(&oids).await.map_err(e)?;
                            Ok(r.varbinds.len() as u64)
                        }
                        Job::Walk { root, .. } => {
                            let root = async_snmp::Oid::from_slice(root.arcs());
                            let mut walk = client.bulk_walk(root, max_repetitions).map_err(e)?;
                            let mut n = 0;
                            while let Some(vb) = walk.next().await {
                                vb.map_err(e)?;
                                n += 1;
                            }
                            Ok(n)
                        }
                        _ => Err("unknown job".into()),
                    }
                }
            })
            .await
        });
    }
    let mut tally = Tally::default();
    gather(rounds, &mut tally).await?;
    let wall = start.elapsed();
    tally.requests = transport.stats().correlated_datagrams - before;
    Ok((tally, wall))
}

async fn snmux_manager(targets: Vec<Target>, cap: usize) -> Result<(Tally, Duration), String> {
    let engine = Engine::bind(std::net::SocketAddr::from(([0, 0, 0, 0], 0)))
        .map_err(|e| format!("bind: {e}"))?;
    let global = Arc::new(Semaphore::new(cap));
    let sent_before = engine.stats().sent;
    let start = Instant::now();
    let mut rounds = JoinSet::new();
    for t in targets {
        let o = *t.options();
        let manager = engine
            .manager(t.addr(), t.security().clone())
            .timeout(o.timeout)
            .refresh(o.refresh)
            .max_repetitions(o.max_repetitions)
            .build();
        let global = global.clone();
        rounds.spawn(async move {
            paced(&t, global, |job| {
                let manager = manager.clone();
                async move {
                    match job {
                        Job::Get { oids, .. } => {
                            let r = manager.get(&oids[..]).await.map_err(|e| e.to_string())?;
                            Ok(r.len() as u64)
                        }
                        Job::Walk { root, .. } => {
                            let mut walk = manager.walk(root);
                            let mut n = 0;
                            while walk.try_next().await.map_err(|e| e.to_string())?.is_some() {
                                n += 1;
                            }
                            Ok(n)
                        }
                        _ => Err("unknown job".into()),
                    }
                }
            })
            .await
        });
    }
    let mut tally = Tally::default();
    gather(rounds, &mut tally).await?;
    let wall = start.elapsed();
    tally.requests = engine.stats().sent - sent_before;
    Ok((tally, wall))
}

async fn snmux_poller(targets: Vec<Target>, cap: usize) -> Result<(Tally, Duration), String> {
    let jobs: u64 = targets.iter().map(|t| t.jobs().len() as u64).sum();
    let poller = Poller::builder()
        .targets(targets)
        .max_in_flight(cap)
        .build()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut records = poller.run();
    let mut tally = Tally {
        jobs,
        ..Tally::default()
    };
    while let Some(record) = records.next().await {
        tally.varbinds += record.values.len() as u64;
        tally.requests += u64::from(record.requests);
        if let Some(e) = record.errors.first() {
            tally.failed += 1;
            tally.first_error.get_or_insert_with(|| e.to_string());
        }
    }
    Ok((tally, start.elapsed()))
}
