//! One client run: the runtime, the measured window, the request loop the
//! library clients share, and the JSON line it prints.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::measure::{self, Latencies, Usage};
use crate::{
    ClientKind, Common, GetArgs, PendingArgs, WalkArgs, harness, netsnmp, peer, raw, raw_batch,
    snmux_client,
};

/// What a client run does.
#[derive(Debug)]
pub(crate) enum Workload {
    Get(GetArgs),
    Walk(WalkArgs),
    Pending(PendingArgs),
}

impl Workload {
    /// The workload's name in the table.
    fn label(&self) -> String {
        match self {
            Workload::Get(a) if a.targets > 1 => {
                format!("get {} targets c={}", a.targets, a.concurrency)
            }
            Workload::Get(a) => {
                let tag = a.tag.as_ref().map(|t| format!(" {t}")).unwrap_or_default();
                if a.v3 {
                    format!("get v3 authPriv c={}{tag}", a.concurrency)
                } else {
                    format!("get c={}{tag}", a.concurrency)
                }
            }
            Workload::Walk(a) => format!(
                "walk {} rows mr={} c={}",
                a.rows, a.max_repetitions, a.concurrency
            ),
            Workload::Pending(a) => format!("pending {}", a.count),
        }
    }
}

/// Runs one client and prints its JSON line.
pub(crate) fn client(common: &Common, workload: Workload) -> Result<(), String> {
    let runtime = if common.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(common.threads)
            .enable_all()
            .build()
    }
    .map_err(|e| format!("runtime: {e}"))?;
    let mut meter = Meter::new(common);
    let outcome = runtime.block_on(async {
        match (common.client, &workload) {
            (ClientKind::Snmux, Workload::Get(a)) => snmux_client::get(a, &mut meter).await,
            (ClientKind::Snmux, Workload::Walk(a)) => snmux_client::walk(a, &mut meter).await,
            (ClientKind::Snmux, Workload::Pending(a)) => snmux_client::pending(a, &mut meter).await,
            (ClientKind::AsyncSnmp, Workload::Get(a)) => peer::get(a, &mut meter).await,
            (ClientKind::AsyncSnmp, Workload::Walk(a)) => peer::walk(a, &mut meter).await,
            (ClientKind::AsyncSnmp, Workload::Pending(a)) => peer::pending(a, &mut meter).await,
            (ClientKind::Raw, Workload::Get(a)) => raw::get(a, &mut meter).await,
            (ClientKind::Raw, Workload::Walk(a)) => raw::walk(a, &mut meter).await,
            (ClientKind::Raw, Workload::Pending(a)) => raw::pending(a, &mut meter).await,
            (ClientKind::RawBatch, Workload::Get(a)) => raw_batch::get(a, &mut meter).await,
            (ClientKind::RawBatch, _) => {
                Err("the raw-batch client only runs get and get-many-targets".into())
            }
            (ClientKind::NetSnmp, Workload::Walk(a)) => netsnmp::walk(a, &mut meter),
            (ClientKind::NetSnmp, _) => Err("the net-snmp client only walks".into()),
            (ClientKind::Harness, Workload::Pending(a)) => harness::pending(a, &mut meter).await,
            (ClientKind::Harness, _) => Err("the harness client only runs pending".into()),
        }
    })?;
    drop(runtime);
    let line = meter.json(common, &workload, outcome)?;
    println!("{line}");
    Ok(())
}

/// What a client reports of its run.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// Operations: GETs, walks, or pending requests.
    pub(crate) ops: usize,
    /// Requests sent (PDUs; a walk sends several), first transmissions.
    pub(crate) requests: u64,
    /// Varbinds received.
    pub(crate) varbinds: u64,
    /// Operations that failed with a timeout.
    pub(crate) timeouts: usize,
    /// Operations that failed otherwise.
    pub(crate) errors: usize,
    pub(crate) first_error: Option<String>,
    /// One per operation.
    pub(crate) latencies: Latencies,
    /// Client-specific figures.
    pub(crate) extra: Map<String, Value>,
}

/// The failure of one operation.
#[derive(Debug)]
pub(crate) enum OpError {
    Timeout,
    Other(String),
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpError::Timeout => f.write_str("timeout"),
            OpError::Other(e) => f.write_str(e),
        }
    }
}

/// Runs `ops` operations, `concurrency` at a time: `concurrency` spawned
/// tasks, each taking the next operation number when its last one is done
/// (how a user keeps N requests in flight). `op` returns the varbinds
/// received.
pub(crate) async fn drive<F, Fut>(concurrency: usize, ops: usize, op: F) -> Outcome
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<u64, OpError>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let workers = concurrency.clamp(1, ops.max(1));
    let per_worker = ops.div_ceil(workers);
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let op = op.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut out = Outcome {
                    latencies: Latencies::with_capacity(per_worker + per_worker / 4),
                    ..Outcome::default()
                };
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= ops {
                        break out;
                    }
                    let start = Instant::now();
                    let result = op(i).await;
                    out.latencies.record(start.elapsed());
                    out.ops += 1;
                    match result {
                        Ok(n) => out.varbinds += n,
                        Err(OpError::Timeout) => out.timeouts += 1,
                        Err(e) => {
                            out.errors += 1;
                            out.first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
            })
        })
        .collect();
    let mut all = Outcome {
        latencies: Latencies::with_capacity(ops),
        ..Outcome::default()
    };
    for task in tasks {
        match task.await {
            Ok(out) => {
                all.ops += out.ops;
                all.varbinds += out.varbinds;
                all.timeouts += out.timeouts;
                all.errors += out.errors;
                if all.first_error.is_none() {
                    all.first_error = out.first_error;
                }
                all.latencies.extend(out.latencies);
            }
            Err(e) => {
                all.errors += 1;
                all.first_error.get_or_insert_with(|| format!("task: {e}"));
            }
        }
    }
    all
}

#[derive(Debug, Clone, Copy)]
struct Snapshot {
    at: Instant,
    usage: Usage,
    rss_kib: u64,
    responder_cpu: Option<Duration>,
    /// The responder's time spent answering (`--responder-busy`).
    responder_busy: Option<Duration>,
    machine_busy: Option<Duration>,
}

impl Snapshot {
    fn take(responder: Option<u32>) -> Snapshot {
        Snapshot {
            responder_busy: None,
            machine_busy: measure::machine_busy(),
            responder_cpu: responder.and_then(measure::process_cpu),
            rss_kib: measure::rss_kib(),
            usage: measure::usage(),
            at: Instant::now(),
        }
    }
}

/// The measured window of a run: from just before the first request to
/// just after the last completes (setup and teardown left out).
/// `Meter::default()` watches no responder.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    responder: Option<u32>,
    /// The responder to ask for its busy time, and the community.
    busy: Option<(SocketAddr, String)>,
    start: Option<Snapshot>,
    stop: Option<Snapshot>,
}

impl Meter {
    pub(crate) fn new(common: &Common) -> Meter {
        Meter {
            responder: common.responder_pid,
            busy: common
                .responder_busy
                .map(|addr| (addr, common.community.clone())),
            start: None,
            stop: None,
        }
    }

    fn responder_busy(&self) -> Option<Duration> {
        let (addr, community) = self.busy.as_ref()?;
        measure::responder_busy(*addr, community)
    }

    /// Starts the window; the responder's busy time is asked for first,
    /// outside it.
    pub(crate) fn start(&mut self) {
        let busy = self.responder_busy();
        self.start = Some(Snapshot {
            responder_busy: busy,
            ..Snapshot::take(self.responder)
        });
    }

    /// Ends the window; the responder's busy time is asked for after it.
    pub(crate) fn stop(&mut self) {
        let mut stop = Snapshot::take(self.responder);
        stop.responder_busy = self.responder_busy();
        self.stop = Some(stop);
    }

    /// The time since the start.
    pub(crate) fn so_far(&self) -> Duration {
        self.start.map(|s| s.at.elapsed()).unwrap_or_default()
    }

    /// The measured window, once stopped.
    pub(crate) fn window(&self) -> Duration {
        match (self.start, self.stop) {
            (Some(a), Some(b)) => b.at.duration_since(a.at),
            _ => Duration::ZERO,
        }
    }

    /// The start's resident set, in KiB.
    pub(crate) fn start_rss_kib(&self) -> u64 {
        self.start.map(|s| s.rss_kib).unwrap_or(0)
    }

    fn json(
        &self,
        common: &Common,
        workload: &Workload,
        mut outcome: Outcome,
    ) -> Result<String, String> {
        let (Some(start), Some(stop)) = (self.start, self.stop) else {
            return Err("the client never started or stopped its meter".into());
        };
        let seconds = stop.at.duration_since(start.at).as_secs_f64();
        let cpu = stop.usage.cpu.saturating_sub(start.usage.cpu).as_secs_f64();
        let system = stop
            .usage
            .system
            .saturating_sub(start.usage.system)
            .as_secs_f64();
        let per = |n: f64| if n > 0.0 { cpu * 1e6 / n } else { 0.0 };
        let rate = |n: f64| if seconds > 0.0 { n / seconds } else { 0.0 };
        // A spinning responder's CPU is a whole core: its busy time says
        // how much of it answering took.
        let responder_use = match (start.responder_busy, stop.responder_busy) {
            (Some(a), Some(b)) => Some((a, b)),
            _ => start.responder_cpu.zip(stop.responder_cpu),
        };
        let responder_pct = match responder_use {
            Some((a, b)) if seconds > 0.0 => {
                json!(round(
                    b.saturating_sub(a).as_secs_f64() * 100.0 / seconds,
                    1
                ))
            }
            _ => Value::Null,
        };
        // What else ran on the machine meanwhile (other work, compilers):
        // its busy time less this client's and the responder's.
        let other_pct = match (start.machine_busy, stop.machine_busy) {
            (Some(a), Some(b)) if seconds > 0.0 => {
                let responder = match (start.responder_cpu, stop.responder_cpu) {
                    (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64(),
                    _ => 0.0,
                };
                let other = b.saturating_sub(a).as_secs_f64() - cpu - responder;
                json!(round((other * 100.0 / seconds).max(0.0), 0))
            }
            _ => Value::Null,
        };
        let ops = outcome.ops as f64;
        let requests = outcome.requests as f64;
        let quantile = |l: &mut Latencies, q: f64| match l.quantile(q) {
            // Fewer samples than this say nothing about a p99.
            Some(v) if l.len() >= 20 => json!(v),
            _ => Value::Null,
        };
        let mut line = Map::new();
        line.insert("workload".into(), json!(workload.label()));
        line.insert("client".into(), json!(common.client.name()));
        line.insert("threads".into(), json!(common.threads));
        line.insert("ops".into(), json!(outcome.ops));
        line.insert("requests".into(), json!(outcome.requests));
        line.insert("varbinds".into(), json!(outcome.varbinds));
        line.insert("timeouts".into(), json!(outcome.timeouts));
        line.insert("errors".into(), json!(outcome.errors));
        line.insert("first_error".into(), json!(outcome.first_error));
        line.insert("seconds".into(), json!(round(seconds, 4)));
        // The pending workload's wall time is mostly its timeout: no rate.
        let pending = matches!(workload, Workload::Pending(_));
        let rate_json = |n: f64| {
            if pending {
                Value::Null
            } else {
                json!(round(rate(n), 1))
            }
        };
        line.insert("ops_per_s".into(), rate_json(ops));
        line.insert("req_per_s".into(), rate_json(requests));
        line.insert("cpu_s".into(), json!(round(cpu, 4)));
        line.insert("cpu_us_per_op".into(), json!(round(per(ops), 3)));
        line.insert("cpu_us_per_req".into(), json!(round(per(requests), 3)));
        // The kernel's share (system time over user + system).
        line.insert(
            "system_pct".into(),
            json!(round(if cpu > 0.0 { system * 100.0 / cpu } else { 0.0 }, 0)),
        );
        line.insert(
            "peak_rss_mib".into(),
            json!(round(stop.usage.max_rss_kib as f64 / 1024.0, 1)),
        );
        line.insert("p50_us".into(), quantile(&mut outcome.latencies, 0.50));
        line.insert("p99_us".into(), quantile(&mut outcome.latencies, 0.99));
        line.insert("responder_cpu_pct".into(), responder_pct);
        line.insert("other_cpu_pct".into(), other_pct);
        line.extend(outcome.extra);
        serde_json::to_string(&Value::Object(line)).map_err(|e| e.to_string())
    }
}

pub(crate) fn round(x: f64, digits: i32) -> f64 {
    let k = 10f64.powi(digits);
    (x * k).round() / k
}
