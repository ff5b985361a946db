//! `snmux poll` against 1,000 simulated PDUs: one `snmux sim` process
//! serving every profile on loopback UDP, a tenth of the PDUs slow and
//! lossy. Every target's values are checked against what net-snmp's
//! snmpbulkwalk reads from a PDU of the same profile, and the slow ones
//! must not hold back the others.

mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use snmux::poll::PduProfile;

use support::{NetSnmpVarBind, SimProcess, net_snmp_walk};

const PDUS: usize = 1000;
/// The impaired PDUs' extra delay per response, and loss rate.
const DELAY: Duration = Duration::from_millis(200);
const LOSS: f64 = 0.2;
/// Each try waits 2 s, ten tries: a request times out after 20 s. (Long,
/// so that a loaded machine does not make the healthy PDUs look slow.)
const PER_TRY_SECONDS: &str = "2";
const RETRIES: &str = "9";
const TIMEOUT: Duration = Duration::from_secs(20);

/// One agent as `snmux sim --json` describes it.
#[derive(Debug, Clone)]
struct SimAgent {
    name: String,
    addr: String,
    profile: String,
    impaired: bool,
}

impl SimAgent {
    fn of(v: &serde_json::Value) -> SimAgent {
        SimAgent {
            name: v["agent"].as_str().expect("agent").to_owned(),
            addr: v["addr"].as_str().expect("addr").to_owned(),
            profile: v["profile"].as_str().unwrap_or_default().to_owned(),
            impaired: v["impaired"] == true,
        }
    }
}

/// What net-snmp reads from one PDU of each profile: the walk of every
/// column `snmux poll` walks for it.
fn reference(agents: &[SimAgent]) -> HashMap<String, Vec<Vec<NetSnmpVarBind>>> {
    let mut want = HashMap::new();
    for agent in agents.iter().filter(|a| !a.impaired) {
        if want.contains_key(&agent.profile) {
            continue;
        }
        let profile: PduProfile = agent.profile.parse().expect("a profile poll knows");
        let columns = profile
            .columns()
            .iter()
            .map(|c| {
                let mut vbs = net_snmp_walk(&["-v2c", "-c", "public", &agent.addr, c.oid]);
                // The end of the MIB view, which snmpbulkwalk prints.
                vbs.retain(|vb| !vb.is_exception());
                // poll's column OIDs are the sim's: every column has rows.
                assert!(
                    !vbs.is_empty(),
                    "{}: no {} ({})",
                    agent.profile,
                    c.name,
                    c.oid
                );
                vbs
            })
            .collect();
        want.insert(agent.profile.clone(), columns);
    }
    want
}

/// An inventory with one target per agent, named as the sim names it.
fn inventory(agents: &[SimAgent]) -> String {
    let mut text = String::from("[defaults]\ncommunity = \"public\"\n");
    for a in agents {
        let (host, port) = a.addr.rsplit_once(':').expect("host:port");
        let _ = write!(
            text,
            "\n[[target]]\nname = \"{}\"\nhost = \"{host}\"\nport = {port}\nprofile = \"{}\"\n",
            a.name, a.profile
        );
    }
    text
}

/// The vendor OIDs are written in three crates that do not depend on each
/// other (poll's walk columns, the outlet driver's profiles, the sim's
/// MIBs): outlet 1's state object, as the outlet driver reads it at the
/// index the sim serves it, lies under the first column poll walks.
#[test]
fn poll_walks_the_state_column_the_outlet_driver_reads() {
    for sim in snmux::sim::Profile::ALL {
        let poll: PduProfile = sim.name().parse().expect("a profile poll knows");
        let outlets = snmux::outlets::snmp::Profile::builtin(sim.name())
            .unwrap_or_else(|| panic!("no outlet profile {sim}"));
        let state = outlets.state.expect("a built-in profile reads the state");
        let oid = state
            .oid
            .expand(&sim.outlet_index(1, 8))
            .expect("the sim's index fits the template");
        let (name, root) = poll.roots().next().expect("a column");
        assert!(
            oid.starts_with(&root),
            "{sim}: {oid} is not under {name} {root}"
        );
    }
}

#[test]
fn a_thousand_pdus_some_slow_and_lossy() {
    let delay_ms = format!("{}ms", DELAY.as_millis());
    let loss = LOSS.to_string();
    let pdus = PDUS.to_string();
    let sim = SimProcess::start(&[
        "--pdus",
        &pdus,
        "--profile",
        "all",
        "--ports",
        "0",
        "--delay",
        &delay_ms,
        "--loss",
        &loss,
        "--impaired",
        "0.1",
        "--seed",
        "7",
    ]);
    let agents: Vec<SimAgent> = sim.agents.iter().map(SimAgent::of).collect();
    assert_eq!(agents.len(), PDUS);
    let impaired: Vec<&SimAgent> = agents.iter().filter(|a| a.impaired).collect();
    assert!(impaired.len() > PDUS / 20, "{} impaired", impaired.len());
    let want = reference(&agents);
    assert_eq!(want.len(), PduProfile::ALL.len());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pdus.toml");
    std::fs::write(&path, inventory(&agents)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_snmux"))
        .args([
            "poll",
            path.to_str().unwrap(),
            "--json",
            "-t",
            PER_TRY_SECONDS,
            "-r",
            RETRIES,
        ])
        .output()
        .expect("run snmux poll");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), PDUS + 1);
    let summary = &lines[PDUS]["summary"];
    assert_eq!(
        summary["targets_ok"].as_u64(),
        Some(PDUS as u64),
        "{summary}"
    );
    assert_eq!(summary["timeouts"], 0, "{summary}");

    let by_name: HashMap<&str, &SimAgent> = agents.iter().map(|a| (a.name.as_str(), a)).collect();
    let (mut healthy_max_elapsed, mut impaired_retransmissions) = (0.0f64, 0);
    let mut healthy_max_latency = 0.0f64;
    for record in &lines[..PDUS] {
        let name = record["target"].as_str().unwrap();
        let agent = by_name[name];
        assert_eq!(record["ok"], true, "{record}");
        // The values: every column's walk, in order, as net-snmp read it
        // from a PDU of the same profile; the outlet states equal (every
        // outlet is on), the readings (which vary) of the same type.
        let values = record["values"].as_array().unwrap();
        let columns = &want[&agent.profile];
        let expected: Vec<(usize, &NetSnmpVarBind)> = columns
            .iter()
            .enumerate()
            .flat_map(|(c, vbs)| vbs.iter().map(move |vb| (c, vb)))
            .collect();
        assert_eq!(values.len(), expected.len(), "{name}");
        for (got, (column, want)) in values.iter().zip(expected) {
            assert_eq!(got["oid"], want.oid.as_str(), "{name}");
            if column == 0 {
                assert_eq!(got["value"].to_string(), want.value, "{name} {}", want.oid);
            }
            assert_eq!(got["type"], want.type_name.as_str(), "{name} {}", want.oid);
        }
        let latencies: Vec<f64> = record["timings"]["latency_ms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_f64().unwrap())
            .collect();
        let elapsed = record["timings"]["elapsed_ms"].as_f64().unwrap();
        if agent.impaired {
            // Every answer came at least the delay late.
            assert!(
                latencies.iter().all(|&l| l >= DELAY.as_secs_f64() * 1e3),
                "{record}"
            );
            impaired_retransmissions += record["retransmissions"].as_u64().unwrap();
        } else {
            healthy_max_elapsed = healthy_max_elapsed.max(elapsed);
            healthy_max_latency = latencies
                .iter()
                .copied()
                .fold(healthy_max_latency, f64::max);
        }
    }
    eprintln!(
        "{} impaired of {PDUS}; healthy: slowest request {healthy_max_latency:.1} ms, \
         slowest round {healthy_max_elapsed:.1} ms; impaired: {impaired_retransmissions} \
         retransmissions; {summary}",
        impaired.len()
    );
    // The lost requests were sent again, and answered.
    assert!(impaired_retransmissions > 0);
    // The slow and lossy PDUs did not hold the others back: no healthy
    // request took half a request's timeout, and no healthy round took as
    // long as one timeout.
    let timeout_ms = TIMEOUT.as_secs_f64() * 1e3;
    assert!(
        healthy_max_latency < timeout_ms / 2.0,
        "{healthy_max_latency} ms"
    );
    assert!(healthy_max_elapsed < timeout_ms, "{healthy_max_elapsed} ms");
}
