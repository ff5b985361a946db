//! The harness alone, for the pending workload: the same spawned tasks and
//! request loop as every client's ([`drive`]), each operation awaiting a
//! timer of the timeout and holding nothing of a client. Its
//! `bytes_per_pending` is the share of every client's figure that is the
//! harness's own (a task, its loop state and `Outcome`, a timer); a
//! client's cost per pending request is its figure less this one.

use std::time::Duration;

use serde_json::json;

use crate::PendingArgs;
use crate::run::{Meter, OpError, Outcome, drive};

pub(crate) async fn pending(args: &PendingArgs, meter: &mut Meter) -> Result<Outcome, String> {
    let timeout = Duration::from_millis(args.timeout_ms);
    let op = move || async move {
        tokio::time::sleep(timeout).await;
        Err::<u64, _>(OpError::Timeout)
    };
    let future_bytes = std::mem::size_of_val(&op());
    meter.start();
    let start_rss = meter.start_rss_kib();
    let mut out = drive(args.count, args.count, move |_| op()).await;
    meter.stop();
    crate::snmux_client::pending_extra(&mut out, args, meter, start_rss);
    out.extra.insert("future_bytes".into(), json!(future_bytes));
    Ok(out)
}
