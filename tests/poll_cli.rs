//! `snmux poll` against a real net-snmp `snmpd`: the table, JSON lines and
//! CSV, compared with what snmpget and snmpbulkwalk print; inventory files
//! with SNMPv1, v2c and v3 targets; several rounds; a target that does not
//! answer; exit statuses and usage errors.

mod support;

use std::net::UdpSocket;
use std::process::{Command, Output};

use support::{COMMUNITY_RO, NetSnmpVarBind, SYS_DESCR, SYS_NAME, Snmpd, parse_net_snmp_output};

/// sysORTable's descriptions: stable while snmpd runs.
const SYS_OR_DESCR: &str = "1.3.6.1.2.1.1.9.1.3";
/// sysORTable's IDs.
const SYS_OR_ID: &str = "1.3.6.1.2.1.1.9.1.2";

fn snmux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_snmux"))
        .args(args)
        .output()
        .expect("run snmux")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A loopback agent address where nothing answers (bound, so that no ICMP
/// error comes back either), kept while the socket lives.
fn silent_agent() -> (UdpSocket, String) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap().to_string();
    (socket, addr)
}

/// What snmpbulkwalk prints for `root`, and snmpget for the scalars.
fn net_snmp(snmpd: &Snmpd, scalars: &[&str], roots: &[&str]) -> Vec<NetSnmpVarBind> {
    let mut want = snmpd.net_snmp_get(scalars);
    for root in roots {
        want.extend(snmpd.net_snmp_walk(root));
    }
    want
}

#[test]
fn the_table_shows_what_net_snmp_shows() {
    let snmpd = Snmpd::start();
    let agent = snmpd.addr().to_string();
    let out = snmux(&[
        "poll",
        "-v2c",
        "-c",
        COMMUNITY_RO,
        &agent,
        "--get",
        SYS_DESCR,
        "--get",
        SYS_NAME,
        "--walk",
        SYS_OR_ID,
        "--walk",
        SYS_OR_DESCR,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("TARGET") && header.ends_with("VALUE"),
        "{header}"
    );
    // Each row is TARGET OID VALUE: as net-snmp's `OID = VALUE`, it parses
    // and compares with net-snmp's output.
    let as_net_snmp: String = lines
        .map(|line| {
            let rest = line
                .strip_prefix(agent.as_str())
                .expect("target column")
                .trim_start();
            let (oid, value) = rest.split_once(' ').expect("oid column");
            format!("{oid} = {}\n", value.trim_start())
        })
        .collect();
    let ours = parse_net_snmp_output(&as_net_snmp);
    let theirs = net_snmp(&snmpd, &[SYS_DESCR, SYS_NAME], &[SYS_OR_ID, SYS_OR_DESCR]);
    assert_eq!(ours, theirs);
    assert!(ours.len() > 10);
    // The summary, on stderr.
    let summary = stderr(&out);
    assert!(summary.contains("targets    1 ok, 0 failed"), "{summary}");
    assert!(
        summary.contains(&format!("varbinds   {}", theirs.len())),
        "{summary}"
    );
    assert!(summary.contains("p50 "), "{summary}");
}

#[test]
fn json_lines_give_values_timings_errors_and_a_summary() {
    let snmpd = Snmpd::start();
    let (_silent, dead) = silent_agent();
    let agent = snmpd.addr().to_string();
    let out = snmux(&[
        "poll",
        "--json",
        "-t",
        "0.2",
        "-r",
        "1",
        "-c",
        COMMUNITY_RO,
        &agent,
        &dead,
        "--get",
        SYS_NAME,
        "--walk",
        SYS_OR_DESCR,
    ]);
    // A target failed: exit status 1.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    let record = |target: &str| {
        lines
            .iter()
            .find(|l| l["target"] == target)
            .unwrap_or_else(|| panic!("no record of {target}"))
    };

    let ok = record(&agent);
    assert_eq!(ok["address"], agent.as_str());
    assert_eq!(
        (ok["ok"].as_bool(), ok["round"].as_u64()),
        (Some(true), Some(0))
    );
    let want = net_snmp(&snmpd, &[SYS_NAME], &[SYS_OR_DESCR]);
    let values = ok["values"].as_array().unwrap();
    assert_eq!(values.len(), want.len());
    for (got, want) in values.iter().zip(&want) {
        assert_eq!(got["oid"], want.oid.as_str());
        assert_eq!(got["type"], "STRING");
        assert_eq!(
            got["value"].as_str().map(str::as_bytes),
            want.octets().as_deref()
        );
    }
    assert_eq!(ok["errors"], serde_json::json!([]));
    let requests = ok["requests"].as_u64().unwrap();
    assert!(requests >= 2, "{ok}");
    let latencies = ok["timings"]["latency_ms"].as_array().unwrap();
    assert_eq!(latencies.len() as u64, requests);
    assert!(ok["timings"]["elapsed_ms"].as_f64().unwrap() > 0.0);

    let failed = record(&dead);
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["values"], serde_json::json!([]));
    let errors = failed["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{failed}");
    assert_eq!(errors[0]["job"], "get");
    assert_eq!(errors[0]["kind"], "timeout");
    assert!(errors[0]["error"].as_str().unwrap().contains("timeout"));
    assert_eq!(errors[1]["job"], format!("walk {SYS_OR_DESCR}").as_str());
    assert_eq!(
        (
            failed["timeouts"].as_u64(),
            failed["retransmissions"].as_u64()
        ),
        (Some(2), Some(2))
    );

    let summary = &lines[2]["summary"];
    assert_eq!(summary["targets_ok"], 1);
    assert_eq!(summary["targets_failed"], 1);
    assert_eq!(summary["varbinds"].as_u64(), Some(want.len() as u64));
    assert_eq!(summary["requests"].as_u64(), Some(requests + 2));
    assert_eq!(summary["timeouts"], 2);
    assert!(summary["latency_p50_ms"].as_f64().unwrap() > 0.0);
    assert!(summary["latency_p99_ms"].as_f64() >= summary["latency_p50_ms"].as_f64());
    assert!(summary["wall_ms"].as_f64().unwrap() >= 400.0);
    // With --json the summary is on stdout, not stderr.
    assert_eq!(stderr(&out), "");
}

#[test]
fn csv_has_a_row_per_value_and_per_error() {
    let snmpd = Snmpd::start();
    let (_silent, dead) = silent_agent();
    let agent = snmpd.addr().to_string();
    let out = snmux(&[
        "poll",
        "--csv",
        "-t",
        "0.2",
        "-r",
        "0",
        &agent,
        &dead,
        "--walk",
        SYS_OR_DESCR,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "target", "address", "round", "oid", "type", "value", "error"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let want = snmpd.net_snmp_walk(SYS_OR_DESCR);
    let values: Vec<_> = rows.iter().filter(|r| &r[0] == agent.as_str()).collect();
    assert_eq!(values.len(), want.len());
    for (row, want) in values.iter().zip(&want) {
        assert_eq!(
            (&row[1], &row[2], &row[3], &row[4]),
            (agent.as_str(), "0", want.oid.as_str(), "STRING")
        );
        assert_eq!(Some(row[5].as_bytes()), want.octets().as_deref());
        assert_eq!(&row[6], "");
    }
    let errors: Vec<_> = rows.iter().filter(|r| &r[0] == dead.as_str()).collect();
    assert_eq!(errors.len(), 1);
    assert!(errors[0][6].contains("timeout"), "{:?}", errors[0]);
    assert!(
        stderr(&out).contains("targets    1 ok, 1 failed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_inventory_with_every_version_polled_for_two_rounds() {
    let snmpd = Snmpd::builder()
        .extra_config("rouser pollsha priv\n")
        .extra_persist("createUser pollsha SHA-256 auth-passphrase-256 AES priv-passphrase-aes\n")
        .start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    let port = snmpd.port();
    std::fs::write(
        &path,
        format!(
            r#"
[defaults]
port = {port}
get = ["system"]

[sets]
system = ["{SYS_NAME}", "{SYS_DESCR}"]

[[target]]
name = "v1"
host = "127.0.0.1"
version = "1"
walk = ["{SYS_OR_ID}"]

[[target]]
name = "v2c"
host = "127.0.0.1"

[[target]]
name = "v3"
host = "127.0.0.1"
user = "pollsha"
level = "authPriv"
auth_protocol = "SHA-256"
auth_passphrase = "auth-passphrase-256"
privacy_protocol = "AES"
privacy_passphrase = "priv-passphrase-aes"
walk = ["{SYS_OR_DESCR}"]
max_repetitions = 3
"#
        ),
    )
    .unwrap();
    let out = snmux(&[
        "poll",
        path.to_str().unwrap(),
        "--interval",
        "200ms",
        "--rounds",
        "2",
        "--json",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7, "{lines:?}");
    let scalars = snmpd.net_snmp_get(&[SYS_NAME, SYS_DESCR]);
    for name in ["v1", "v2c", "v3"] {
        let records: Vec<_> = lines.iter().filter(|l| l["target"] == name).collect();
        let rounds: Vec<_> = records
            .iter()
            .map(|r| r["round"].as_u64().unwrap())
            .collect();
        assert_eq!(rounds, [0, 1], "{name}");
        let mut want = scalars.clone();
        match name {
            "v1" => want.extend(snmpd.net_snmp_walk(SYS_OR_ID)),
            "v3" => want.extend(snmpd.net_snmp_walk(SYS_OR_DESCR)),
            _ => {}
        }
        for r in records {
            assert_eq!(r["ok"], true, "{r}");
            let oids: Vec<&str> = r["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["oid"].as_str().unwrap())
                .collect();
            let want: Vec<&str> = want.iter().map(|w| w.oid.as_str()).collect();
            assert_eq!(oids, want, "{name}");
            // Round 1 starts an interval after round 0.
            if r["round"] == 1 {
                assert!(r["timings"]["start_ms"].as_f64().unwrap() >= 200.0, "{r}");
            }
        }
    }
    // sysORTable's walk of the v3 target with max-repetitions 3 takes
    // several requests.
    let v3 = lines.iter().find(|l| l["target"] == "v3").unwrap();
    assert!(v3["requests"].as_u64().unwrap() >= 4, "{v3}");
    assert_eq!(lines[6]["summary"]["targets_ok"], 6);
}

#[test]
fn bad_inventories_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("racks.toml");
    std::fs::write(
        &path,
        "[[target]]\nname = \"pdu-a\"\nhost = \"10.0.0.1\"\nprofile = \"apc\"\n",
    )
    .unwrap();
    let out = snmux(&["poll", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let message = stderr(&out);
    assert!(
        message.starts_with(&format!(
            "snmux: {}: target[0] (name \"pdu-a\"): profile: \"apc\"",
            path.display()
        )),
        "{message}"
    );

    for args in [
        // An inventory takes no target options.
        &["poll", path.to_str().unwrap(), "-c", "public"][..],
        // Nothing to collect.
        &["poll", "127.0.0.1"],
        &["poll", "127.0.0.1", "--profile", "apc"],
        &["poll", "127.0.0.1", "--get", "sysName.0"],
        &["poll", "127.0.0.1", "--get", "1.3.6", "--interval", "often"],
        &["poll", "127.0.0.1", "--get", "1.3.6", "--json", "--csv"],
        &["poll", "127.0.0.1", "--get", "1.3.6", "-v2c", "-u", "bob"],
        &["poll", "127.0.0.1", "--get", "1.3.6", "-v3"],
        &["poll", "not a host", "--get", "1.3.6"],
        &["poll"],
    ] {
        let out = snmux(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = snmux(&["poll", "/nonexistent/inventory.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("/nonexistent/inventory.toml"),
        "{}",
        stderr(&out)
    );
}
