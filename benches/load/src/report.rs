//! The table of a run: the median of each figure over the repeats of each
//! (workload, client), and snmux's figures as ratios to async-snmp's and to
//! the raw and raw-batch clients'.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

/// The columns: JSON key, heading, decimals.
const COLUMNS: &[(&str, &str, usize)] = &[
    ("ops_per_s", "ops/s", 0),
    ("req_per_s", "req/s", 0),
    ("cpu_us_per_req", "CPU µs/req", 2),
    ("cpu_us_per_op", "CPU µs/op", 2),
    ("system_pct", "sys %", 0),
    ("peak_rss_mib", "RSS MiB", 1),
    ("p50_us", "p50 µs", 0),
    ("p99_us", "p99 µs", 0),
    ("responder_cpu_pct", "resp CPU%", 0),
    ("other_cpu_pct", "other CPU%", 0),
];

/// Figures shown after the columns, when a run has them.
const NOTES: &[(&str, &str, usize)] = &[
    ("bytes_per_pending", "B/pending", 0),
    ("future_bytes", "B/future", 0),
    ("varbind_bytes", "B/varbind", 0),
    ("drain_s", "drain s", 3),
    ("issue_s", "issue s", 3),
    ("timeouts", "timeouts", 0),
    ("errors", "errors", 0),
    ("retransmitted", "retx", 0),
    ("dropped", "dropped", 0),
    ("datagrams_per_recv_call", "dg/recv", 1),
    ("datagrams_per_send_call", "dg/send", 1),
];

const CLIENTS: [&str; 6] = [
    "snmux",
    "async-snmp",
    "raw",
    "raw-batch",
    "net-snmp",
    "harness",
];

pub(crate) fn print(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut order: Vec<String> = Vec::new();
    // (workload, client) -> the runs' lines.
    let mut runs: BTreeMap<(String, String), Vec<serde_json::Map<String, Value>>> = BTreeMap::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with('{')) {
        let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let workload = obj.get("workload").and_then(Value::as_str).unwrap_or("?");
        let client = obj.get("client").and_then(Value::as_str).unwrap_or("?");
        if !order.iter().any(|w| w == workload) {
            order.push(workload.to_owned());
        }
        runs.entry((workload.to_owned(), client.to_owned()))
            .or_default()
            .push(obj);
    }
    print!("{}", table(&order, &runs));
    Ok(())
}

type Runs = BTreeMap<(String, String), Vec<serde_json::Map<String, Value>>>;

fn table(order: &[String], runs: &Runs) -> String {
    let mut out = String::new();
    let _ = write!(out, "{:<28} {:<18} {:>3}", "workload", "client", "n");
    for (_, heading, _) in COLUMNS {
        let _ = write!(out, " {heading:>11}");
    }
    let _ = writeln!(out, "  notes (medians)");
    for workload in order {
        let median_of = |client: &str, key: &str| -> Option<f64> {
            let lines = runs.get(&(workload.clone(), client.to_owned()))?;
            median(lines.iter().filter_map(|l| l.get(key)?.as_f64()).collect())
        };
        let mut first = true;
        for client in CLIENTS {
            let Some(lines) = runs.get(&(workload.clone(), client.to_owned())) else {
                continue;
            };
            let name = if first { workload.as_str() } else { "" };
            first = false;
            let _ = write!(out, "{name:<28} {client:<18} {:>3}", lines.len());
            for (key, _, decimals) in COLUMNS {
                match median_of(client, key) {
                    Some(v) => {
                        let _ = write!(out, " {v:>11.decimals$}");
                    }
                    None => {
                        let _ = write!(out, " {:>11}", "-");
                    }
                }
            }
            let mut notes = Vec::new();
            for (key, label, decimals) in NOTES {
                if let Some(v) = median_of(client, key).filter(|v| *v != 0.0) {
                    notes.push(format!("{label} {v:.decimals$}"));
                }
            }
            if let Some(e) = lines
                .iter()
                .find_map(|l| l.get("first_error").and_then(Value::as_str))
            {
                // Expected in the pending workload; news elsewhere.
                if !e.contains("timeout") {
                    notes.push(format!("first error: {e}"));
                }
            }
            let _ = writeln!(out, "  {}", notes.join(", "));
        }
        // SNMPv3 over the same workload in v2c, for each client.
        if let Some(c) = workload.strip_prefix("get v3 authPriv c=") {
            let v2c = format!("get c={c}");
            for client in ["snmux", "async-snmp"] {
                let med = |w: &str, key: &str| -> Option<f64> {
                    let lines = runs.get(&(w.to_owned(), client.to_owned()))?;
                    median(lines.iter().filter_map(|l| l.get(key)?.as_f64()).collect())
                };
                let (Some(a), Some(b)) =
                    (med(workload, "cpu_us_per_req"), med(&v2c, "cpu_us_per_req"))
                else {
                    continue;
                };
                if b != 0.0 {
                    let pairs = paired(
                        runs.get(&(workload.clone(), client.to_owned())),
                        runs.get(&(v2c.clone(), client.to_owned())),
                        "cpu_us_per_req",
                    );
                    let _ = writeln!(
                        out,
                        "{:<28} {:<18}     CPU µs/req {:.2}x of its {v2c}{}",
                        "",
                        format!("{client} v3/v2c"),
                        a / b,
                        pairs.map(|p| format!("; {p}")).unwrap_or_default()
                    );
                }
            }
        }
        for peer in ["async-snmp", "raw", "raw-batch", "net-snmp"] {
            if !runs.contains_key(&(workload.clone(), peer.to_owned()))
                || !runs.contains_key(&(workload.clone(), "snmux".to_owned()))
            {
                continue;
            }
            let _ = write!(out, "{:<28} {:<18} {:>3}", "", format!("snmux/{peer}"), "");
            for (key, _, _) in COLUMNS {
                match (median_of("snmux", key), median_of(peer, key)) {
                    (Some(a), Some(b)) if b != 0.0 && !key.ends_with("_pct") => {
                        let _ = write!(out, " {:>11}", format!("{:.2}x", a / b));
                    }
                    _ => {
                        let _ = write!(out, " {:>11}", "");
                    }
                }
            }
            let mut notes = Vec::new();
            if let Some(p) = paired(
                runs.get(&(workload.clone(), "snmux".to_owned())),
                runs.get(&(workload.clone(), peer.to_owned())),
                "cpu_us_per_op",
            ) {
                notes.push(format!("CPU µs/op {p}"));
            }
            for key in ["bytes_per_pending", "drain_s"] {
                if let (Some(a), Some(b)) = (median_of("snmux", key), median_of(peer, key))
                    && b != 0.0
                {
                    notes.push(format!("{key} {:.2}x", a / b));
                }
            }
            let _ = writeln!(out, "  {}", notes.join(", "));
        }
        // Memory per pending request less the harness's own share (its
        // tasks and timers, the same for every client).
        if let Some(base) = median_of("harness", "bytes_per_pending") {
            for client in CLIENTS.iter().filter(|c| **c != "harness") {
                if let Some(b) = median_of(client, "bytes_per_pending") {
                    let _ = writeln!(
                        out,
                        "{:<28} {:<18}     B/pending {:.0} less the harness's {base:.0}",
                        "",
                        format!("{client} own"),
                        b - base
                    );
                }
            }
        }
    }
    out
}

/// The ratios of `a`'s runs to `b`'s, run by run (the k-th of each: the
/// same repeat, minutes apart at most), as "paired: median (min–max) of
/// n": a machine that changes speed between repeats moves both figures of
/// a pair. `None` unless both have the same number of runs, at least two.
fn paired(
    a: Option<&Vec<serde_json::Map<String, Value>>>,
    b: Option<&Vec<serde_json::Map<String, Value>>>,
    key: &str,
) -> Option<String> {
    let (a, b) = (a?, b?);
    if a.len() != b.len() || a.len() < 2 {
        return None;
    }
    let ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .filter_map(|(x, y)| {
            let (x, y) = (x.get(key)?.as_f64()?, y.get(key)?.as_f64()?);
            (y != 0.0).then(|| x / y)
        })
        .collect();
    if ratios.len() != a.len() {
        return None;
    }
    let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let n = ratios.len();
    let m = median(ratios)?;
    Some(format!("paired {m:.2}x ({lo:.2}–{hi:.2}) of {n}"))
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        let mut runs = Runs::new();
        for (client, cpu) in [
            ("snmux", 10.0),
            ("snmux", 12.0),
            ("snmux", 11.0),
            ("raw", 4.0),
            ("raw-batch", 5.5),
        ] {
            let line = serde_json::json!({
                "workload": "get c=1", "client": client, "cpu_us_per_req": cpu,
            });
            let Value::Object(obj) = line else { panic!() };
            runs.entry(("get c=1".into(), client.into()))
                .or_default()
                .push(obj);
        }
        let t = table(&["get c=1".into()], &runs);
        assert!(t.contains("11.00"), "{t}");
        assert!(t.contains("2.75x"), "{t}");
        let batch = t
            .lines()
            .find(|l| l.contains("snmux/raw-batch"))
            .unwrap_or_else(|| panic!("no snmux/raw-batch row: {t}"));
        assert!(batch.contains("2.00x"), "{t}");
        for (client, bytes) in [("snmux", 900.0), ("harness", 400.0)] {
            let line = serde_json::json!({
                "workload": "pending 10", "client": client, "bytes_per_pending": bytes,
            });
            let Value::Object(obj) = line else { panic!() };
            runs.entry(("pending 10".into(), client.into()))
                .or_default()
                .push(obj);
        }
        let t = table(&["pending 10".into()], &runs);
        assert!(t.contains("B/pending 500 less the harness's 400"), "{t}");

        // Paired ratios: run by run, where the medians of each side mix
        // runs from a fast and a slow state of the machine.
        for (workload, client, cpus) in [
            ("get c=256", "snmux", [2.0, 4.0, 2.2]),
            ("get v3 authPriv c=256", "snmux", [3.0, 5.2, 3.1]),
            ("get c=256", "async-snmp", [4.0, 8.0, 4.4]),
        ] {
            for cpu in cpus {
                let line = serde_json::json!({
                    "workload": workload, "client": client,
                    "cpu_us_per_req": cpu, "cpu_us_per_op": cpu,
                });
                let Value::Object(obj) = line else { panic!() };
                runs.entry((workload.into(), client.into()))
                    .or_default()
                    .push(obj);
            }
        }
        let t = table(&["get c=256".into(), "get v3 authPriv c=256".into()], &runs);
        // Medians 3.10 / 2.20; run by run 1.50, 1.30, 1.41.
        let v3 = t.lines().find(|l| l.contains("snmux v3/v2c")).unwrap();
        assert!(v3.contains("1.41x of its get c=256"), "{t}");
        assert!(v3.contains("paired 1.41x (1.30–1.50) of 3"), "{t}");
        let peer = t.lines().find(|l| l.contains("snmux/async-snmp")).unwrap();
        assert!(
            peer.contains("CPU µs/op paired 0.50x (0.50–0.50) of 3"),
            "{t}"
        );

        // A tagged pair (a rate-capped responder) pairs with its own v2c
        // workload, not the untagged one.
        for (workload, cpus) in [
            ("get c=256 @120k/s", [4.0, 4.0, 4.0]),
            ("get v3 authPriv c=256 @120k/s", [5.0, 5.0, 5.0]),
        ] {
            for cpu in cpus {
                let line = serde_json::json!({
                    "workload": workload, "client": "snmux", "cpu_us_per_req": cpu,
                });
                let Value::Object(obj) = line else { panic!() };
                runs.entry((workload.into(), "snmux".into()))
                    .or_default()
                    .push(obj);
            }
        }
        let t = table(&["get v3 authPriv c=256 @120k/s".into()], &runs);
        let v3 = t.lines().find(|l| l.contains("snmux v3/v2c")).unwrap();
        assert!(v3.contains("1.25x of its get c=256 @120k/s"), "{t}");
    }
}
