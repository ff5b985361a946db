//! `snmux sim` (the real binary) serving an snmprec recording, read and
//! written with net-snmp's snmpbulkwalk, snmpwalk -v1, snmpget and snmpset:
//! every recorded OID and value comes back as recorded.

mod support;

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::time::Duration;

use snmux::sim::Recording;
use snmux::{Oid, Value};

use support::{NetSnmpVarBind, SimProcess, net_snmp, net_snmp_error, parse_net_snmp_output};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/data")
}

const UPS: &str = "UPS/apc-smart-ups";

/// `snmux sim` serving the recordings of `sim/data` on one loopback port.
fn recording_sim() -> SimProcess {
    SimProcess::start(&[
        "--snmprec",
        data_dir().to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ])
}

fn recorded() -> Vec<(Oid, Value)> {
    Recording::load(data_dir().join("UPS/apc-smart-ups.snmprec"), UPS)
        .expect("the fixture loads")
        .objects()
        .map(|(o, v)| (o.clone(), v.clone()))
        .collect()
}

/// Whether net-snmp printed `value` (with `-Ox -Ot -Oe -On`).
fn same(printed: &NetSnmpVarBind, value: &Value) -> bool {
    let hex = |s: &str| -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).expect("hex"))
            .collect()
    };
    let (t, v) = (printed.type_name.as_str(), printed.value.as_str());
    match value {
        Value::Integer(i) => t == "INTEGER" && v == i.to_string(),
        Value::OctetString(b) => printed.octets().as_deref() == Some(&b[..]),
        Value::Null => t == "NULL",
        Value::ObjectIdentifier(o) => t == "OID" && v == o.to_string(),
        Value::IpAddress(ip) => t == "IpAddress" && v == ip.to_string(),
        Value::Counter32(n) => t == "Counter32" && v == n.to_string(),
        Value::Gauge32(n) => t == "Gauge32" && v == n.to_string(),
        // -Ot: the raw number, no type.
        Value::TimeTicks(n) => t.is_empty() && v == n.to_string(),
        Value::Opaque(b) => t == "OPAQUE" && hex(v) == b[..],
        Value::Counter64(n) => t == "Counter64" && v == n.to_string(),
        _ => false,
    }
}

fn compare(printed: &[NetSnmpVarBind], want: &[(Oid, Value)]) {
    let printed: Vec<&NetSnmpVarBind> = printed.iter().filter(|vb| !vb.is_exception()).collect();
    let got: Vec<&str> = printed.iter().map(|vb| vb.oid.as_str()).collect();
    let want_oids: Vec<String> = want.iter().map(|(o, _)| o.to_string()).collect();
    assert_eq!(got, want_oids, "the OIDs, in order");
    for (p, (oid, v)) in printed.iter().zip(want) {
        assert!(same(p, v), "{oid}: recorded {v:?}, net-snmp printed {p:?}");
    }
}

fn tool(cmd: &str, args: &[&str]) -> Vec<NetSnmpVarBind> {
    let mut all = vec!["-On", "-Oe", "-Ox", "-Ot", "-t", "5", "-r", "2"];
    all.extend_from_slice(args);
    // snmpwalk's closing line is not a varbind.
    let out = net_snmp(cmd, &all).replace("\nEnd of MIB\n", "\n");
    parse_net_snmp_output(&out)
}

#[test]
fn snmpbulkwalk_and_snmpwalk_v1_return_every_recorded_object() {
    let sim = recording_sim();
    let (addr, community) = sim.agent(UPS);
    assert_eq!(community, UPS, "named as snmpsim names it");
    let want = recorded();
    assert_eq!(want.len(), 88);
    assert!(want.iter().any(|(_, v)| matches!(v, Value::Counter64(_))));

    for reps in ["-Cr10", "-Cr50", "-Cr1000"] {
        let walk = tool(
            "snmpbulkwalk",
            &["-v2c", "-c", &community, reps, &addr, "1.3"],
        );
        compare(&walk, &want);
    }
    // A subtree.
    let walk = tool(
        "snmpbulkwalk",
        &["-v2c", "-c", &community, &addr, "1.3.6.1.2.1.2.2"],
    );
    let ifs: Vec<_> = want
        .iter()
        .filter(|(o, _)| o.starts_with(&"1.3.6.1.2.1.2.2".parse().unwrap()))
        .cloned()
        .collect();
    compare(&walk, &ifs);
    // SNMPv1 has no Counter64: a v1 walk skips them (RFC 3584 §4.2.2.1).
    let v1 = tool("snmpwalk", &["-v1", "-c", &community, &addr, "1.3"]);
    let no_c64: Vec<_> = want
        .iter()
        .filter(|(_, v)| !matches!(v, Value::Counter64(_)))
        .cloned()
        .collect();
    compare(&v1, &no_c64);
    // GETNEXT one at a time (snmpwalk -v2c).
    let walk = tool("snmpwalk", &["-v2c", "-c", &community, &addr, "1.3"]);
    compare(&walk, &want);
}

#[test]
fn snmpget_returns_every_recorded_value() {
    let sim = recording_sim();
    let (addr, community) = sim.agent(UPS);
    let want = recorded();
    for chunk in want.chunks(20) {
        let oids: Vec<String> = chunk.iter().map(|(o, _)| o.to_string()).collect();
        let mut args = vec!["-v2c", "-c", &community, &addr];
        args.extend(oids.iter().map(String::as_str));
        compare(&tool("snmpget", &args), chunk);
    }
    // Missing objects and instances, as snmpd tells them apart.
    let got = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            &community,
            &addr,
            "1.3.6.1.2.1.1.1",
            "1.3.6.1.2.1.2.2.1.2.3",
            "1.3.6.1.2.1.99.0",
        ],
    );
    let kinds: Vec<&str> = got.iter().map(|vb| vb.type_name.as_str()).collect();
    assert_eq!(kinds, ["noSuchInstance", "noSuchInstance", "noSuchObject"]);
    // v1: noSuchName, naming the second varbind.
    let (reason, failed) = net_snmp_error(
        "snmpget",
        &[
            "-v1",
            "-c",
            &community,
            "-On",
            &addr,
            "1.3.6.1.2.1.1.1.0",
            "1.3.6.1.2.1.99.0",
        ],
    );
    assert_eq!(
        (reason.as_str(), failed.as_deref()),
        ("noSuchName", Some("1.3.6.1.2.1.99.0"))
    );
    let (reason, failed) = net_snmp_error(
        "snmpget",
        &[
            "-v1",
            "-c",
            &community,
            "-On",
            &addr,
            "1.3.6.1.2.1.31.1.1.1.6.2",
        ],
    );
    assert_eq!(
        (reason.as_str(), failed.as_deref()),
        ("noSuchName", Some("1.3.6.1.2.1.31.1.1.1.6.2")),
        "no Counter64 on v1"
    );
}

#[test]
fn snmpset_writable_not_writable_wrong_type() {
    let sim = recording_sim();
    let (addr, community) = sim.agent(UPS);
    let contact = "1.3.6.1.2.1.1.4.0";
    let set = tool(
        "snmpset",
        &[
            "-v2c",
            "-c",
            &community,
            &addr,
            contact,
            "s",
            "noc@example.org",
        ],
    );
    assert_eq!(set[0].octets().as_deref(), Some(&b"noc@example.org"[..]));
    let got = tool("snmpget", &["-v2c", "-c", &community, &addr, contact]);
    assert_eq!(
        got[0].octets().as_deref(),
        Some(&b"noc@example.org"[..]),
        "the SET stays"
    );

    // A refused SET: net-snmp's reason, and the OID it names.
    let refused = |version: &str, oid: &str, ty: &str, value: &str| {
        net_snmp_error(
            "snmpset",
            &[version, "-c", &community, "-On", &addr, oid, ty, value],
        )
    };
    assert_eq!(
        refused("-v2c", "1.3.6.1.2.1.1.1.0", "s", "x"),
        (
            "notWritable".to_owned(),
            Some("1.3.6.1.2.1.1.1.0".to_owned())
        )
    );
    assert_eq!(refused("-v2c", contact, "i", "5").0, "wrongType");
    assert_eq!(
        refused("-v2c", "1.3.6.1.2.1.99.0", "i", "5").0,
        "notWritable"
    );
    // SNMPv1's names for them (RFC 3584 §4.3).
    assert_eq!(refused("-v1", contact, "i", "5").0, "badValue");
    assert_eq!(
        refused("-v1", "1.3.6.1.2.1.1.1.0", "s", "x").0,
        "noSuchName"
    );
}

#[test]
fn the_built_in_set_and_one_port_per_agent() {
    // No data: the built-in recording and one PDU of each profile.
    let sim = SimProcess::start(&["--listen", "127.0.0.1:0"]);
    assert_eq!(sim.agents.len(), 10);
    let (addr, community) = sim.agent("apc-rpdu-1");
    assert_eq!(community, "apc-rpdu-1");
    let state = "1.3.6.1.4.1.318.1.1.12.3.5.1.1.4.3";
    tool(
        "snmpset",
        &[
            "-v2c",
            "-c",
            &community,
            &addr,
            "1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.3",
            "i",
            "2",
        ],
    );
    assert_eq!(
        tool("snmpget", &["-v2c", "-c", &community, &addr, state])[0].value,
        "2"
    );
    let (addr, community) = sim.agent(UPS);
    let walk = tool(
        "snmpbulkwalk",
        &["-v2c", "-c", &community, &addr, "1.3.6.1.2.1.1"],
    );
    assert_eq!(walk.len(), 7);
    drop(sim);

    // --ports: own ports, public and private.
    let sim = SimProcess::start(&[
        "--ports",
        "0",
        "--pdus",
        "3",
        "--profile",
        "sentry3",
        "--outlets",
        "4",
    ]);
    assert_eq!(sim.agents.len(), 3);
    let addrs: Vec<&str> = sim
        .agents
        .iter()
        .map(|a| a["addr"].as_str().unwrap())
        .collect();
    assert!(addrs[0] != addrs[1] && addrs[1] != addrs[2], "{addrs:?}");
    let (addr, community) = sim.agent("sentry3-2");
    assert_eq!(community, "public");
    let control = "1.3.6.1.4.1.1718.3.2.3.1.11.1.1.4";
    let (reason, _) = net_snmp_error(
        "snmpset",
        &["-v2c", "-c", "public", "-On", &addr, control, "i", "2"],
    );
    assert_eq!(reason, "noAccess");
    tool(
        "snmpset",
        &["-v2c", "-c", "private", &addr, control, "i", "2"],
    );
    assert_eq!(
        tool(
            "snmpget",
            &[
                "-v2c",
                "-c",
                "public",
                &addr,
                "1.3.6.1.4.1.1718.3.2.3.1.5.1.1.4"
            ]
        )[0]
        .value,
        "0"
    );
    let (other, _) = sim.agent("sentry3-1");
    assert_eq!(
        tool(
            "snmpget",
            &[
                "-v2c",
                "-c",
                "public",
                &other,
                "1.3.6.1.4.1.1718.3.2.3.1.5.1.1.4"
            ]
        )[0]
        .value,
        "1"
    );
}

#[test]
fn garbage_and_wrong_communities_get_no_answer_and_do_not_stop_it() {
    let sim = recording_sim();
    let (addr, community) = sim.agent(UPS);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for i in 0..2000 {
        let len = (i % 97) + 1;
        let datagram: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        socket.send_to(&datagram, &addr).unwrap();
    }
    // A v2c GET with an unknown community: no answer.
    let get = snmux::Message::new(
        snmux::Version::V2c,
        "no-such-agent",
        snmux::Pdu::new(
            snmux::PduType::GetRequest,
            1,
            vec![snmux::VarBind::null("1.3.6.1.2.1.1.1.0".parse().unwrap())],
        ),
    )
    .to_vec();
    socket.send_to(&get, &addr).unwrap();
    let mut buf = [0u8; 2048];
    assert!(
        socket.recv_from(&mut buf).is_err(),
        "no answer to garbage or a wrong community"
    );
    // Still serving.
    let got = tool(
        "snmpget",
        &["-v2c", "-c", &community, &addr, "1.3.6.1.2.1.1.5.0"],
    );
    assert_eq!(got[0].octets().as_deref(), Some(&b"ups-rack12"[..]));
}
