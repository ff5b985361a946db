//! `snmux outlet` against simulated PDUs (snmux-sim, real UDP) and the
//! EnerGenie web simulator of tests/energenie: a lab file with outlets and
//! groups, flags for one PDU, per-outlet result lines, the exit status,
//! and `read` in Jumpstarter's format.

mod energenie;
mod support;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use snmux::sim::{self, Agent, PduOptions, Sim};

use energenie::WebStrip;
use support::Snmpd;

async fn snmux(args: &[&str]) -> Output {
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_snmux"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output();
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("snmux outlet finishes")
        .expect("run snmux")
}

fn stdout(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

async fn pdus() -> Sim {
    Sim::builder()
        .agents(
            [
                sim::Profile::ApcRpdu2,
                sim::Profile::Sentry3,
                sim::Profile::EatonEpdu,
            ]
            .map(|p| {
                Agent::pdu(p, PduOptions::new().outlets(4).outlets_per_group(2))
                    .name(p.name())
                    .build()
            }),
        )
        .start()
        .await
        .unwrap()
}

fn lab(sim: &Sim, strip: &WebStrip) -> String {
    let port = |name: &str| sim.agent(name).unwrap().addr().port();
    format!(
        r#"
pdus:
  apc: {{ driver: snmp, host: 127.0.0.1, port: {apc}, profile: apc-rpdu2, community: private }}
  sentry: {{ driver: snmp, host: 127.0.0.1, port: {sentry}, profile: sentry3 }}
  eaton: {{ driver: snmp, host: 127.0.0.1, port: {eaton}, profile: eaton-epdu }}
  strip: {{ driver: energenie-web, host: "{strip}", password: secret }}
  gone: {{ driver: snmp, host: 127.0.0.1, port: 9, profile: apc-rpdu, timeout: 0.5 }}
outlets:
  dut1: {{ pdu: apc, outlet: 2 }}
  dut2: {{ pdu: sentry, outlet: "1.2.1" }}
  dut3: {{ pdu: eaton, outlet: 4 }}
  hub: {{ pdu: strip, outlet: 3 }}
  lost: {{ pdu: gone, outlet: 1 }}
groups:
  bench: [dut1, dut2, dut3, hub]
  broken: [dut1, lost]
"#,
        apc = port("apc-rpdu2"),
        sentry = port("sentry3"),
        eaton = port("eaton-epdu"),
        strip = strip.host(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lab_file_group_off_status_on() {
    let sim = pdus().await;
    let strip = WebStrip::start("secret").await;
    strip.set_sockets([true; 4]);
    let dir = tempfile::tempdir().unwrap();
    let lab = write(dir.path(), "lab.yaml", &lab(&sim, &strip));

    let out = snmux(&["outlet", "off", "-f", &lab, "bench"]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        stdout(&out),
        ["dut1: off", "dut2: off", "dut3: off", "hub: off"]
    );
    assert_eq!(
        sim.agent("apc-rpdu2").unwrap().outlet_state(2),
        Some(sim::OutletState::Off)
    );
    // Sentry outlet 1.2.1 is outlet 3 (infeed 2 of groups of 2).
    assert_eq!(
        sim.agent("sentry3").unwrap().outlet_state(3),
        Some(sim::OutletState::Off)
    );
    assert_eq!(
        sim.agent("sentry3").unwrap().outlet_state(1),
        Some(sim::OutletState::On)
    );
    assert_eq!(
        sim.agent("eaton-epdu").unwrap().outlet_state(4),
        Some(sim::OutletState::Off)
    );
    assert_eq!(strip.sockets(), [true, true, false, true]);
    assert_eq!(strip.session(), None);

    let out = snmux(&["outlet", "status", "-f", &lab, "dut1", "hub", "apc:1"]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), ["dut1: off", "hub: off", "apc:1: on"]);

    let out = snmux(&["outlet", "on", "-f", &lab, "bench"]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        stdout(&out),
        ["dut1: on", "dut2: on", "dut3: on", "hub: on"]
    );
    assert_eq!(strip.sockets(), [true; 4]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_outlet_has_its_line_and_the_exit_status() {
    let sim = pdus().await;
    let strip = WebStrip::start("secret").await;
    let dir = tempfile::tempdir().unwrap();
    let lab = write(dir.path(), "lab.yaml", &lab(&sim, &strip));
    let out = snmux(&["outlet", "off", "-f", &lab, "broken"]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let lines = stdout(&out);
    assert_eq!(lines[0], "dut1: off");
    assert!(
        lines[1].starts_with("lost: error: udp:127.0.0.1:9: no answer"),
        "{lines:?}"
    );
    assert_eq!(
        sim.agent("apc-rpdu2").unwrap().outlet_state(2),
        Some(sim::OutletState::Off)
    );

    // A name the lab does not have: one line on stderr, status 1.
    let out = snmux(&["outlet", "on", "-f", &lab, "nope"]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no outlet or group \"nope\""),
        "{out:?}"
    );
    // No file and no PDU flags: a usage problem, said so.
    let out = snmux(&["outlet", "on", "dut1"]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("-f FILE"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flags_for_one_pdu_and_toml_files() {
    let sim = Sim::builder()
        .agent(
            Agent::pdu(
                sim::Profile::RaritanPx2,
                PduOptions::new()
                    .outlets(4)
                    .cycle_time(Duration::from_millis(200)),
            )
            .build(),
        )
        .start()
        .await
        .unwrap();
    let agent = &sim.agents()[0];
    let pdu = agent.addr().to_string();
    let out = snmux(&["outlet", "off", "--snmp", &pdu, "-c", "private", "1", "4"]).await;
    assert!(out.status.success(), "{out:?}");
    // Raritan (the default profile) outlet 4 is pduId 1, outlet 4.
    assert_eq!(stdout(&out), ["1: off", "4: off"]);
    assert_eq!(agent.outlet_state(1), Some(sim::OutletState::Off));
    assert_eq!(agent.outlet_state(2), Some(sim::OutletState::On));
    assert_eq!(agent.outlet_state(4), Some(sim::OutletState::Off));

    // The PDU's own cycle command: off for 200 ms, then on, confirmed.
    let out = snmux(&["outlet", "cycle", "--snmp", &pdu, "1"]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), ["1: cycle"]);
    assert_eq!(agent.outlet_state(1), Some(sim::OutletState::On));

    let dir = tempfile::tempdir().unwrap();
    let lab = write(
        dir.path(),
        "lab.toml",
        &format!(
            "[pdus.px2]\ndriver = \"snmp\"\nhost = \"127.0.0.1\"\nport = {}\n\n\
             [outlets.dut]\npdu = \"px2\"\noutlet = \"1.4\"\n",
            agent.addr().port()
        ),
    );
    let out = snmux(&["outlet", "on", "-f", &lab, "dut"]).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(agent.outlet_state(4), Some(sim::OutletState::On));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_prints_jumpstarter_lines() {
    let sim = Sim::builder()
        .agent(Agent::pdu(sim::Profile::RaritanPx2, PduOptions::new().outlets(2)).build())
        .start()
        .await
        .unwrap();
    let pdu = sim.agents()[0].addr().to_string();
    let out = snmux(&[
        "outlet", "read", "-n", "3", "-i", "0.05", "--snmp", &pdu, "2",
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    let lines = stdout(&out);
    assert_eq!(lines.len(), 3, "{lines:?}");
    for line in &lines {
        let fields: Vec<&str> = line.split("  ").collect();
        assert_eq!(fields.len(), 4, "{line}");
        for (field, (name, unit)) in fields.iter().zip([
            ("voltage", "V"),
            ("current", "A"),
            ("apparent_power", "VA"),
            ("power", "W"),
        ]) {
            let value = field
                .strip_prefix(&format!("{name}="))
                .and_then(|v| v.strip_suffix(&format!(" {unit}")))
                .unwrap_or_else(|| panic!("{line}"));
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
            assert!(value > 0.0, "{line}");
        }
    }
    // Two outlets: each line says whose it is.
    let out = snmux(&["outlet", "read", "--snmp", &pdu, "1", "2"]).await;
    let lines = stdout(&out);
    assert!(lines[0].starts_with("1: voltage="), "{lines:?}");
    assert!(lines[1].starts_with("2: voltage="), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn energenie_by_flags_and_wrong_password() {
    let strip = WebStrip::start("secret").await;
    let url = strip.url();
    let out = snmux(&[
        "outlet",
        "on",
        "--energenie",
        &url,
        "--password",
        "secret",
        "2",
        "4",
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), ["2: on", "4: on"]);
    assert_eq!(strip.sockets(), [false, true, false, true]);
    let out = snmux(&[
        "outlet",
        "status",
        "--energenie",
        &url,
        "--password",
        "wrong",
        "2",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), [format!("2: error: {url}: wrong password")]);
    let out = snmux(&[
        "outlet",
        "read",
        "--energenie",
        &url,
        "--password",
        "secret",
        "2",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        [format!(
            "error: {url}: read is not supported by this device"
        )]
    );
    assert_eq!(strip.session(), None);
}

/// APC MasterSwitch `sPDUOutletCtl.1` (on 1, off 2, read back from the same
/// object) as a writable integer of snmpd, for an SNMPv3 user.
fn masterswitch_snmpd() -> Snmpd {
    Snmpd::builder()
        .extra_config(
            "override -rw 1.3.6.1.4.1.318.1.1.4.4.2.1.3.1 integer 2\nrwuser v3sha256aes priv\n",
        )
        .extra_persist(
            "createUser v3sha256aes SHA-256 auth-passphrase-256 AES priv-passphrase-aes\n",
        )
        .start()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snmpv3_flags_take_l_as_the_other_commands() {
    let snmpd = masterswitch_snmpd();
    let pdu = snmpd.addr().to_string();
    let v3: Vec<&str> =
        "-u v3sha256aes -a SHA-256 -A auth-passphrase-256 -x AES -X priv-passphrase-aes"
            .split(' ')
            .collect();
    let mut args = vec![
        "outlet",
        "on",
        "--snmp",
        &pdu,
        "--profile",
        "apc-masterswitch",
    ];
    args.extend(["-l", "authPriv"]);
    args.extend(&v3);
    args.push("1");
    let out = snmux(&args).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), ["1: on"]);
    let value = snmpd.net_snmp_get(&["1.3.6.1.4.1.318.1.1.4.4.2.1.3.1"]);
    assert_eq!(value[0].value, "1");

    // The same usage errors, word for word, as `snmux get`, exit status 2.
    let usage = |out: &Output| -> String {
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        stderr.lines().next().unwrap_or_default().to_owned()
    };
    for flags in [
        &v3[..], // -a without -l
        &[
            "-u",
            "v3sha256aes",
            "-l",
            "priv",
            "-A",
            "auth-passphrase-256",
        ], // no -X
        &["-v2c", "-l", "auth"], // -l without SNMPv3
        &["-u", "v3sha256aes", "-l", "none"], // not a level
    ] {
        let mut outlet = vec!["outlet", "on", "--snmp", &pdu];
        outlet.extend(flags);
        outlet.push("1");
        let mut get = vec!["get"];
        get.extend(flags);
        get.extend([pdu.as_str(), "1.3.6.1.2.1.1.5.0"]);
        let (outlet, get) = (usage(&snmux(&outlet).await), usage(&snmux(&get).await));
        assert!(outlet.starts_with("error: "), "{outlet}");
        assert_eq!(outlet, get, "{flags:?}");
    }
    // A lab file names its PDUs' users itself.
    let dir = tempfile::tempdir().unwrap();
    let lab = write(dir.path(), "lab.yaml", "pdus: {}\n");
    let out = snmux(&["outlet", "on", "-f", &lab, "-u", "ops", "x"]).await;
    assert!(
        usage(&out).contains("-u is for the PDU of --snmp"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_one_per_outlet() {
    let sim = pdus().await;
    let strip = WebStrip::start("secret").await;
    let dir = tempfile::tempdir().unwrap();
    let lab = write(dir.path(), "lab.yaml", &lab(&sim, &strip));
    let json = |out: &Output| -> Vec<serde_json::Value> {
        stdout(out)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
            .collect()
    };
    let apc = format!("udp:{}", sim.agent("apc-rpdu2").unwrap().addr());

    let out = snmux(&["outlet", "off", "--json", "-f", &lab, "broken"]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let lines = json(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0],
        serde_json::json!({
            "name": "dut1", "device": apc, "outlet": "2", "action": "off",
            "result": "ok", "state": "off",
        })
    );
    assert_eq!(lines[1]["name"], "lost");
    assert_eq!(lines[1]["device"], "udp:127.0.0.1:9");
    assert!(lines[1].get("result").is_none(), "{lines:?}");
    assert!(
        lines[1]["error"].as_str().unwrap().contains("no answer"),
        "{lines:?}"
    );

    let out = snmux(&["outlet", "status", "--json", "-f", &lab, "dut1", "hub"]).await;
    assert!(out.status.success(), "{out:?}");
    let lines = json(&out);
    assert_eq!(lines[0]["state"], "off");
    assert_eq!(lines[0]["action"], "status");
    assert_eq!(lines[1]["device"], strip.url());
    assert_eq!(lines[1]["outlet"], "3");

    let out = snmux(&[
        "outlet", "read", "--json", "-n", "2", "-i", "0.05", "-f", &lab, "dut3",
    ])
    .await;
    assert!(out.status.success(), "{out:?}");
    let lines = json(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    for line in &lines {
        assert_eq!(line["name"], "dut3");
        assert_eq!(line["action"], "read");
        assert_eq!(line["result"], "ok");
        let r = &line["readings"];
        for field in ["voltage", "current", "apparent_power", "power"] {
            assert!(
                r[field].as_f64().is_some_and(|v| v > 0.0),
                "{field}: {line}"
            );
        }
    }
    // A device without meter: the error, in its line.
    let out = snmux(&["outlet", "read", "--json", "-f", &lab, "hub"]).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let lines = json(&out);
    assert!(
        lines[0]["error"]
            .as_str()
            .unwrap()
            .contains("read is not supported")
    );
    assert!(lines[0].get("readings").is_none());
}
