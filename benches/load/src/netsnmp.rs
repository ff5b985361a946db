//! net-snmp's `snmpbulkwalk` as a peer of the walk workload: one process
//! per walk, its output counted line by line (one per varbind, `-Oqn`), its
//! CPU time from `getrusage(RUSAGE_CHILDREN)`, so that what this process
//! spends reading the pipe is not counted.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::json;

use crate::WalkArgs;
use crate::mib::table_root;
use crate::run::{Meter, Outcome};

pub(crate) fn walk(args: &WalkArgs, meter: &mut Meter) -> Result<Outcome, String> {
    if args.concurrency > 1 {
        return Err("the net-snmp client walks one table at a time".into());
    }
    let root = table_root(args.rows).to_string();
    let rows = u64::from(args.rows);
    let mut out = Outcome::default();
    crate::measure::count_children();
    meter.start();
    for _ in 0..args.walks {
        let start = Instant::now();
        let mut child = Command::new("snmpbulkwalk")
            .args([
                "-v2c",
                "-c",
                &args.common.community,
                "-Oqn",
                "-t",
                "5",
                "-r",
                "1",
            ])
            .arg(format!("-Cr{}", args.max_repetitions))
            .arg(args.target.to_string())
            .arg(&root)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("snmpbulkwalk: {e}"))?;
        let stdout = child.stdout.take().ok_or("snmpbulkwalk: no stdout")?;
        let n = BufReader::new(stdout).lines().map_while(Result::ok).count() as u64;
        let status = child.wait().map_err(|e| format!("snmpbulkwalk: {e}"))?;
        out.latencies.record(start.elapsed());
        out.ops += 1;
        out.varbinds += n;
        if !status.success() || n != rows {
            out.errors += 1;
            out.first_error
                .get_or_insert_with(|| format!("snmpbulkwalk: {status}, {n} of {rows} rows"));
        }
        // GETBULKs of a walk: the rows, then one that leaves the subtree.
        out.requests += rows / u64::from(args.max_repetitions) + 1;
    }
    meter.stop();
    out.extra.insert("process".into(), json!("snmpbulkwalk"));
    Ok(out)
}
