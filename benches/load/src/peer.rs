//! The workloads through async-snmp, the strongest Rust peer, the way its
//! documentation recommends for many requests in flight: one shared
//! `UdpTransport` (one socket, one receive loop), one `Client` per agent
//! built on it with `build_with`, cloned into every task. Its socket gets
//! the same buffers as snmux's (8 MiB receive, 4 MiB send), and strict
//! source checking, which snmux always does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_snmp::transport::{UdpHandle, UdpTransport};
use async_snmp::{Auth, AuthProtocol, Client, PrivProtocol, Retry};
use serde_json::json;

use crate::mib::{sys_descr, table_root};
use crate::responder::{V3_AUTH_PASSWORD, V3_PRIV_PASSWORD, V3_USER};
use crate::run::{Meter, OpError, Outcome, drive};
use crate::{GetArgs, PendingArgs, WalkArgs};

fn op_error(e: Box<async_snmp::Error>) -> OpError {
    match e.as_ref() {
        async_snmp::Error::Timeout { .. } => OpError::Timeout,
        other => OpError::Other(other.to_string()),
    }
}

fn oid(o: &snmux::Oid) -> async_snmp::Oid {
    async_snmp::Oid::from_slice(o.arcs())
}

async fn transport() -> Result<UdpTransport, String> {
    UdpTransport::builder()
        .bind("0.0.0.0:0")
        .recv_buffer_size(8 << 20)
        .send_buffer_size(4 << 20)
        .build()
        .await
        .map_err(|e| format!("bind: {e}"))
}

async fn client(
    transport: &UdpTransport,
    target: SocketAddr,
    auth: Auth,
    configure: impl FnOnce(async_snmp::TargetClientBuilder) -> async_snmp::TargetClientBuilder,
) -> Result<Client<UdpHandle>, String> {
    configure(Client::builder(target, auth).strict_source(true))
        .build_with(transport)
        .await
        .map_err(|e| format!("client for {target}: {e}"))
}

/// The transport's counters: responses correlated, and datagrams dropped.
fn stats_json(transport: &UdpTransport, correlated_before: u64, out: &mut Outcome) {
    let s = transport.stats();
    // Responses, not requests: the same as requests when none is lost.
    out.requests = s.correlated_datagrams - correlated_before;
    out.extra.insert(
        "dropped".into(),
        json!(s.discarded_datagrams + s.malformed_datagrams),
    );
}

pub(crate) async fn get(args: &GetArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let transport = transport().await?;
    let auth = if args.v3 {
        async_snmp::UsmConfig::new(V3_USER)
            .auth_priv(
                AuthProtocol::Sha256,
                V3_AUTH_PASSWORD,
                PrivProtocol::Aes128,
                V3_PRIV_PASSWORD,
            )
            .map_err(|e| e.to_string())?
            .into()
    } else {
        Auth::v2c(args.common.community.as_str())
    };
    let mut clients = Vec::with_capacity(usize::from(args.targets.max(1)));
    for i in 0..args.targets.max(1) {
        let mut target = args.target;
        target.set_port(args.target.port() + i);
        clients.push(client(&transport, target, auth.clone(), |b| b).await?);
    }
    let clients = Arc::new(clients);
    let oid = Arc::new(oid(&sys_descr()));
    if args.v3 {
        // Discovery before the window, as for snmux.
        for c in clients.iter() {
            c.get(&oid).await.map_err(|e| format!("v3 warm-up: {e}"))?;
        }
    }
    let before = transport.stats().correlated_datagrams;
    meter.start();
    let mut out = drive(args.concurrency, args.requests, move |i| {
        let client = clients[i % clients.len()].clone();
        let oid = oid.clone();
        async move {
            let response = client.get(&oid).await.map_err(op_error)?;
            Ok(response.varbinds.len() as u64)
        }
    })
    .await;
    meter.stop();
    stats_json(&transport, before, &mut out);
    Ok(out)
}

pub(crate) async fn walk(args: &WalkArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let transport = transport().await?;
    let client = client(
        &transport,
        args.target,
        Auth::v2c(args.common.community.as_str()),
        |b| b,
    )
    .await?;
    let root = oid(&table_root(args.rows));
    let rows = u64::from(args.rows);
    let max_repetitions = args.max_repetitions;
    let before = transport.stats().correlated_datagrams;
    meter.start();
    let mut out = drive(args.concurrency, args.walks, move |_| {
        let walk = client.bulk_walk(root.clone(), max_repetitions);
        async move {
            let mut walk = walk.map_err(op_error)?;
            let mut n = 0u64;
            while let Some(vb) = walk.next().await {
                vb.map_err(op_error)?;
                n += 1;
            }
            if n != rows {
                return Err(OpError::Other(format!("walk of {rows} rows gave {n}")));
            }
            Ok(n)
        }
    })
    .await;
    meter.stop();
    stats_json(&transport, before, &mut out);
    out.extra.insert(
        "varbind_bytes".into(),
        json!(std::mem::size_of::<async_snmp::VarBind>()),
    );
    Ok(out)
}

pub(crate) async fn pending(args: &PendingArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let transport = transport().await?;
    let timeout = Duration::from_millis(args.timeout_ms);
    let client = client(
        &transport,
        args.target,
        Auth::v2c(args.common.community.as_str()),
        |b| b.retry(Retry::none()).request_timeout(timeout),
    )
    .await?;
    let oid = Arc::new(oid(&sys_descr()));
    // What each pending request's task holds, besides the transport's entry.
    let future_bytes = std::mem::size_of_val(&client.get(&oid));
    let before = transport.stats().correlated_datagrams;
    meter.start();
    let start_rss = meter.start_rss_kib();
    let mut out = drive(args.count, args.count, move |_| {
        let client = client.clone();
        let oid = oid.clone();
        async move {
            let response = client.get(&oid).await.map_err(op_error)?;
            Ok(response.varbinds.len() as u64)
        }
    })
    .await;
    meter.stop();
    stats_json(&transport, before, &mut out);
    // Nothing answers: count the requests, not the responses.
    out.requests = out.ops as u64;
    crate::snmux_client::pending_extra(&mut out, args, meter, start_rss);
    out.extra.insert("future_bytes".into(), json!(future_bytes));
    Ok(out)
}
