//! The workloads through snmux, used as a user would: one `Engine::bind`,
//! one `Manager` per agent, `get` and `walk`, and spawned tasks to keep N
//! requests in flight.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use serde_json::json;
use snmux::{
    AuthProtocol, Engine, Error, Manager, PrivProtocol, Security, SecurityLevel, UsmUser, WalkEnd,
};

use crate::mib::{sys_descr, table_root};
use crate::responder::{V3_AUTH_PASSWORD, V3_PRIV_PASSWORD, V3_USER};
use crate::run::{Meter, OpError, Outcome, drive};
use crate::{GetArgs, PendingArgs, WalkArgs};

fn op_error(e: Error) -> OpError {
    if e.is_timeout() {
        OpError::Timeout
    } else {
        OpError::Other(e.to_string())
    }
}

fn engine() -> Result<Engine, String> {
    Engine::bind(SocketAddr::from(([0, 0, 0, 0], 0))).map_err(|e| format!("bind: {e}"))
}

/// The engine's counters that say whether the run was clean.
fn stats_json(engine: &Engine, sent_before: u64, out: &mut Outcome) {
    let s = engine.stats();
    out.requests = s.sent - sent_before;
    out.extra
        .insert("retransmitted".into(), json!(s.retransmitted));
    let dropped = s.dropped_unknown_id
        + s.dropped_wrong_source
        + s.dropped_decode_error
        + s.dropped_duplicate
        + s.dropped_mismatch;
    out.extra.insert("dropped".into(), json!(dropped));
}

pub(crate) async fn get(args: &GetArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let engine = engine()?;
    let security = if args.v3 {
        let level = SecurityLevel::AuthPriv {
            auth: AuthProtocol::Sha256,
            auth_password: V3_AUTH_PASSWORD.into(),
            privacy: PrivProtocol::Aes128,
            privacy_password: V3_PRIV_PASSWORD.into(),
        };
        Security::v3(UsmUser::new(V3_USER, level).map_err(|e| e.to_string())?)
    } else {
        Security::v2c(args.common.community.clone())
    };
    let managers: Arc<Vec<Manager>> = Arc::new(
        (0..args.targets.max(1))
            .map(|i| {
                let mut target = args.target;
                target.set_port(args.target.port() + i);
                engine.manager(target, security.clone()).build()
            })
            .collect(),
    );
    let oids = Arc::new([sys_descr()]);
    if args.v3 {
        // Discovery and localized keys before the window: what is measured
        // is the steady state, keys cached.
        for m in managers.iter() {
            m.get(&oids[..])
                .await
                .map_err(|e| format!("v3 warm-up: {e}"))?;
        }
    }
    let sent_before = engine.stats().sent;
    meter.start();
    let mut out = drive(args.concurrency, args.requests, move |i| {
        let manager = managers[i % managers.len()].clone();
        let oids = oids.clone();
        async move {
            let varbinds = manager.get(&oids[..]).await.map_err(op_error)?;
            Ok(varbinds.len() as u64)
        }
    })
    .await;
    meter.stop();
    stats_json(&engine, sent_before, &mut out);
    Ok(out)
}

pub(crate) async fn walk(args: &WalkArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let engine = engine()?;
    let manager = engine
        .manager(args.target, Security::v2c(args.common.community.clone()))
        .max_repetitions(args.max_repetitions)
        .build();
    let root = table_root(args.rows);
    let rows = u64::from(args.rows);
    let sent_before = engine.stats().sent;
    meter.start();
    let mut out = drive(args.concurrency, args.walks, move |_| {
        let mut walk = manager.walk(root.clone());
        async move {
            let mut n = 0u64;
            while walk.try_next().await.map_err(op_error)?.is_some() {
                n += 1;
            }
            if n != rows || walk.end() != Some(&WalkEnd::LeftSubtree) {
                return Err(OpError::Other(format!(
                    "walk of {rows} rows gave {n}, ended {:?}",
                    walk.end()
                )));
            }
            Ok(n)
        }
    })
    .await;
    meter.stop();
    stats_json(&engine, sent_before, &mut out);
    // Each varbind is moved several times between the decoder and the
    // caller: its size is part of the cost.
    out.extra.insert(
        "varbind_bytes".into(),
        json!(std::mem::size_of::<snmux::VarBind>()),
    );
    Ok(out)
}

pub(crate) async fn pending(args: &PendingArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let engine = engine()?;
    let timeout = Duration::from_millis(args.timeout_ms);
    let manager = engine
        .manager(args.target, Security::v2c(args.common.community.clone()))
        .retries(timeout, 0)
        .build();
    let oids = Arc::new([sys_descr()]);
    // What each pending request's task holds, besides the engine's entry.
    let future_bytes = std::mem::size_of_val(&manager.get(&oids[..]));
    let sent_before = engine.stats().sent;
    meter.start();
    let start_rss = meter.start_rss_kib();
    let mut out = drive(args.count, args.count, move |_| {
        let manager = manager.clone();
        let oids = oids.clone();
        async move {
            let varbinds = manager.get(&oids[..]).await.map_err(op_error)?;
            Ok(varbinds.len() as u64)
        }
    })
    .await;
    meter.stop();
    stats_json(&engine, sent_before, &mut out);
    pending_extra(&mut out, args, meter, start_rss);
    out.extra.insert("future_bytes".into(), json!(future_bytes));
    Ok(out)
}

/// The pending workload's figures: memory per pending request, and how
/// long after the timeout the last request was done.
pub(crate) fn pending_extra(out: &mut Outcome, args: &PendingArgs, meter: &Meter, start_rss: u64) {
    let peak = crate::measure::usage().max_rss_kib;
    let per = peak.saturating_sub(start_rss) as f64 * 1024.0 / args.count.max(1) as f64;
    out.extra
        .insert("bytes_per_pending".into(), json!(crate::run::round(per, 0)));
    let drain = meter.window().as_secs_f64() - args.timeout_ms as f64 / 1000.0;
    out.extra.insert(
        "drain_s".into(),
        json!(crate::run::round(drain.max(0.0), 3)),
    );
}
