//! GET, GETNEXT and GETBULK against a real net-snmp `snmpd` over loopback
//! UDP (IPv4 and IPv6), compared with what `snmpget`, `snmpgetnext` and
//! `snmpbulkget` print for the same agent; and the failures: missing
//! objects, a community the agent does not know, a port nobody listens on,
//! an error status.

mod support;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use snmux::{Engine, Error, ErrorStatus, Manager, Oid, Security, Value, VarBind};

use support::{
    COMMUNITY_RO, COMMUNITY_RW, NetSnmpVarBind, SYS_DESCR, SYS_NAME, Snmpd, assert_error_status,
    net_snmp, net_snmp_error, parse_net_snmp_output,
};

const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";
const SYS_UP_TIME: &str = "1.3.6.1.2.1.1.3.0";
/// snmpInBadCommunityNames.0: messages with a community the agent does not
/// know.
const SNMP_IN_BAD_COMMUNITY_NAMES: &str = "1.3.6.1.2.1.11.4.0";
/// snmpSetSerialNo.0 (RFC 3418): an advisory lock, TestAndIncr.
const SNMP_SET_SERIAL_NO: &str = "1.3.6.1.6.3.1.1.6.1.0";

/// The four system scalars, one GET each, in SNMPv1 and SNMPv2c, equal
/// `snmpget -On` (sysUpTime by type, and not earlier than snmpget's).
#[tokio::test]
async fn system_scalars_equal_snmpget() {
    let snmpd = Snmpd::start();
    let engine = engine_v4();
    for (security, flag) in [
        (Security::v1(COMMUNITY_RO), "-v1"),
        (Security::v2c(COMMUNITY_RO), "-v2c"),
    ] {
        let agent = engine.manager(snmpd.addr(), security).build();
        for oid in [SYS_DESCR, SYS_OBJECT_ID, SYS_UP_TIME, SYS_NAME] {
            let theirs = snmpget(&snmpd.net_snmp_addr(), flag, &[oid]);
            let ours = agent
                .get(&[self::oid(oid)])
                .await
                .unwrap_or_else(|e| panic!("{flag} get {oid}: {e}"));
            assert_eq!(ours.len(), 1, "{ours:?}");
            assert_same(&ours[0], &theirs[0]);
            if oid == SYS_UP_TIME {
                let Value::TimeTicks(ours) = ours[0].value else {
                    panic!("sysUpTime is {:?}", ours[0].value);
                };
                assert!(ours >= ticks(&theirs[0]), "{ours} before {theirs:?}");
            }
        }
        // The values themselves, not only their agreement.
        let vbs = agent.get(&[self::oid(SYS_OBJECT_ID)]).await.unwrap();
        assert_eq!(
            vbs[0].value.as_oid(),
            Some(&self::oid("1.3.6.1.4.1.8072.3.2.10"))
        );
    }
}

/// Several OIDs in one GET: the response has them in the order asked,
/// repeats included.
#[tokio::test]
async fn get_of_several_oids_keeps_their_order() {
    let snmpd = Snmpd::start();
    let engine = engine_v4();
    let oids = [
        SYS_NAME,
        SYS_DESCR,
        support::WRITABLE_STRING,
        SYS_OBJECT_ID,
        SYS_DESCR,
    ];
    let theirs = snmpd.net_snmp_get(&oids);
    for security in [Security::v1(COMMUNITY_RO), Security::v2c(COMMUNITY_RO)] {
        let agent = engine.manager(snmpd.addr(), security).build();
        let ours = agent.get(&oids.map(oid)).await.expect("get of five OIDs");
        assert_eq!(ours.len(), oids.len());
        for (o, t) in ours.iter().zip(&theirs) {
            assert_same(o, t);
        }
        assert_eq!(ours[2].value, Value::from("snmux"));
        assert_eq!(ours[1], ours[4]);
    }
}

/// SNMPv2c: a missing object is a varbind with noSuchObject, a missing
/// instance of an existing object one with noSuchInstance, as snmpget says;
/// the other varbinds keep their values.
#[tokio::test]
async fn v2c_missing_objects_are_exception_varbinds() {
    let snmpd = Snmpd::start();
    let engine = engine_v4();
    let agent = v2c(&engine, snmpd.addr(), COMMUNITY_RO);
    let oids = [
        SYS_DESCR,
        // An object the system group does not have.
        "1.3.6.1.2.1.1.99.0",
        // sysDescr has only the instance 0.
        "1.3.6.1.2.1.1.1.1",
        // A MIB module the agent does not implement.
        "1.3.6.1.2.1.9999.1.0",
        SYS_NAME,
    ];
    let theirs = snmpd.net_snmp_get(&oids);
    let ours = agent.get(&oids.map(oid)).await.expect("v2c get");
    let types: Vec<&str> = theirs.iter().map(|vb| vb.type_name.as_str()).collect();
    assert_eq!(
        types,
        [
            "STRING",
            "noSuchObject",
            "noSuchInstance",
            "noSuchObject",
            "STRING"
        ]
    );
    for (o, t) in ours.iter().zip(&theirs) {
        assert_same(o, t);
    }
    assert_eq!(ours[1], VarBind::new(oid(oids[1]), Value::NoSuchObject));
    assert_eq!(ours[2], VarBind::new(oid(oids[2]), Value::NoSuchInstance));
    assert_eq!(ours[3], VarBind::new(oid(oids[3]), Value::NoSuchObject));
}

/// SNMPv1: a missing object fails the whole GET with noSuchName, with the
/// index and OID of the first missing varbind, as snmpget reports it.
#[tokio::test]
async fn v1_missing_object_is_no_such_name_at_its_index() {
    let snmpd = Snmpd::start();
    let engine = engine_v4();
    let agent = engine
        .manager(snmpd.addr(), Security::v1(COMMUNITY_RO))
        .build();
    let cases: [(&[&str], u32); 3] = [
        (&["1.3.6.1.2.1.1.99.0"], 1),
        (&[SYS_DESCR, "1.3.6.1.2.1.1.99.0", SYS_NAME], 2),
        (&[SYS_DESCR, SYS_NAME, "1.3.6.1.2.1.1.1.1"], 3),
    ];
    for (oids, index) in cases {
        let missing = oids[index as usize - 1];
        let theirs = net_snmp_error(
            "snmpget",
            &[
                &["-On", "-v1", "-c", COMMUNITY_RO, &snmpd.net_snmp_addr()],
                oids,
            ]
            .concat(),
        );
        assert_eq!(theirs, ("noSuchName".to_owned(), Some(missing.to_owned())));

        let oids: Vec<Oid> = oids.iter().copied().map(oid).collect();
        let err = agent
            .get(&oids)
            .await
            .expect_err("v1 get of a missing object");
        assert_error_status(&err, snmpd.addr(), ErrorStatus::NoSuchName, index, missing);
    }
}

/// GETNEXT of several OIDs (an instance, an object, a table column, a
/// group) equals `snmpgetnext -On`, in SNMPv1 and SNMPv2c.
#[tokio::test]
async fn get_next_equals_snmpgetnext() {
    let snmpd = Snmpd::start();
    let engine = engine_v4();
    let oids = [
        SYS_DESCR,
        "1.3.6.1.2.1.1.9",
        "1.3.6.1.2.1.2.2.1.2",
        "1.3.6.1.2.1.1",
        // The last harness scalar: the next object lies outside 8072.9999.
        support::READ_ONLY_INTEGER,
    ];
    for (security, flag) in [
        (Security::v1(COMMUNITY_RO), "-v1"),
        (Security::v2c(COMMUNITY_RO), "-v2c"),
    ] {
        let agent = engine.manager(snmpd.addr(), security).build();
        let theirs = parse_net_snmp_output(&net_snmp(
            "snmpgetnext",
            &[
                &["-On", flag, "-c", COMMUNITY_RO, &snmpd.net_snmp_addr()],
                &oids[..],
            ]
            .concat(),
        ));
        let ours = agent.get_next(&oids.map(oid)).await.expect("get_next");
        assert_eq!(ours.len(), oids.len());
        assert_eq!(theirs.len(), oids.len());
        for (o, t) in ours.iter().zip(&theirs) {
            assert_same(o, t);
        }
        assert_eq!(ours[0].oid, oid(SYS_OBJECT_ID));
        assert_eq!(ours[3].oid, oid(SYS_DESCR));
    }
}

/// GETBULK with non-repeaters 1 and max-repetitions 5 over three OIDs
/// equals `snmpbulkget -Cn1 -Cr5`: 1 + 5 × 2 varbinds, repetitions
/// interleaved.
#[tokio::test]
async fn get_bulk_equals_snmpbulkget() {
    let snmpd = Snmpd::start();
    let engine = engine_v4();
    let agent = v2c(&engine, snmpd.addr(), COMMUNITY_RO);
    let oids = [SYS_DESCR, "1.3.6.1.2.1.1", "1.3.6.1.2.1.2.2.1.2"];
    let theirs = parse_net_snmp_output(&net_snmp(
        "snmpbulkget",
        &[
            &[
                "-On",
                "-Cn1",
                "-Cr5",
                "-v2c",
                "-c",
                COMMUNITY_RO,
                &snmpd.net_snmp_addr(),
            ],
            &oids[..],
        ]
        .concat(),
    ));
    let ours = agent
        .get_bulk(1, 5, &oids.map(oid))
        .await
        .expect("get_bulk");
    assert_eq!(ours.len(), 11, "{ours:?}");
    assert_eq!(theirs.len(), 11, "{theirs:?}");
    for (o, t) in ours.iter().zip(&theirs) {
        assert_same(o, t);
    }
    // The non-repeater, then (system, ifDescr) pairs.
    assert_eq!(ours[0].oid, oid(SYS_OBJECT_ID));
    assert_eq!(ours[1].oid, oid(SYS_DESCR));
    assert_eq!(ours[2].oid, oid("1.3.6.1.2.1.2.2.1.2.1"));
    assert_eq!(ours[3].oid, oid(SYS_OBJECT_ID));

    // GETBULK does not exist in SNMPv1: refused without sending anything.
    let v1 = engine
        .manager(snmpd.addr(), Security::v1(COMMUNITY_RO))
        .build();
    let sent = engine.stats().sent;
    let err = v1.get_bulk(1, 5, &oids.map(oid)).await.unwrap_err();
    assert!(matches!(err, Error::NotInVersion { .. }), "{err}");
    assert_eq!(engine.stats().sent, sent);
}

/// Over IPv6 to `[::1]`, from an engine bound to `[::]:0`, which reaches
/// the IPv4 address as well.
#[tokio::test]
async fn get_over_ipv6() {
    let snmpd = Snmpd::start();
    if !snmpd.has_ipv6() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let engine = Engine::bind(SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))).expect("bind [::]:0");
    let theirs = parse_net_snmp_output(&net_snmp(
        "snmpget",
        &[
            "-On",
            "-v2c",
            "-c",
            COMMUNITY_RO,
            &snmpd.net_snmp_addr_v6(),
            SYS_DESCR,
            SYS_OBJECT_ID,
        ],
    ));
    for target in [snmpd.addr_v6(), snmpd.addr()] {
        for security in [Security::v1(COMMUNITY_RO), Security::v2c(COMMUNITY_RO)] {
            let agent = engine.manager(target, security).build();
            let ours = agent
                .get(&[oid(SYS_DESCR), oid(SYS_OBJECT_ID)])
                .await
                .unwrap_or_else(|e| panic!("get from {target}: {e}"));
            assert_same(&ours[0], &theirs[0]);
            assert_same(&ours[1], &theirs[1]);
        }
    }
    let stats = engine.stats();
    assert_eq!((stats.sent, stats.completed), (4, 4), "{stats:?}");
    assert_eq!(stats.dropped_wrong_source, 0, "{stats:?}");
}

/// A community the agent does not know: snmpd does not answer, so the
/// request times out after the configured timeout, having been sent once
/// per refresh period; snmpd counted each transmission as a bad community.
#[tokio::test]
async fn wrong_community_times_out() {
    let snmpd = Snmpd::start();
    let engine = engine_v4();
    let public = v2c(&engine, snmpd.addr(), COMMUNITY_RO);
    let bad_before = counter(&public, SNMP_IN_BAD_COMMUNITY_NAMES).await;

    for security in [Security::v1("wrong"), Security::v2c("wrong")] {
        let agent = engine
            .manager(snmpd.addr(), security)
            .timeout(Duration::from_millis(300))
            .refresh(Duration::from_millis(100))
            .build();
        let started = Instant::now();
        let err = agent.get(&[oid(SYS_DESCR)]).await.unwrap_err();
        let elapsed = started.elapsed();
        assert!(err.is_timeout(), "{err}");
        let Error::Timeout {
            target,
            retransmissions,
        } = err
        else {
            unreachable!()
        };
        assert_eq!(target, snmpd.addr());
        // Sent at 0, 100 and 200 ms; a late timer may skip one.
        assert!(retransmissions <= 2, "{retransmissions}");
        assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    }

    let stats = engine.stats();
    assert_eq!(stats.timed_out, 2, "{stats:?}");
    let transmissions = 2 + stats.retransmitted;
    // The two GETs of the counter above and below are the others.
    assert_eq!(stats.sent, 3, "{stats:?}");
    let bad_after = counter(&public, SNMP_IN_BAD_COMMUNITY_NAMES).await;
    eprintln!(
        "wrong community: {transmissions} transmissions, snmpInBadCommunityNames +{}",
        bad_after - bad_before
    );
    assert_eq!(bad_after - bad_before, transmissions, "{stats:?}");
    assert_eq!(engine.requests_in_table(), 0);
}

/// A port nobody listens on: a timeout (or an I/O error if the OS reports
/// the ICMP port unreachable) within the configured time, not a hang.
#[tokio::test]
async fn unused_port_fails_quickly() {
    let engine = engine_v4();
    // A port that was free a moment ago and is not snmpd's.
    let port = {
        let s = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        s.local_addr().expect("local address").port()
    };
    let target = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let agent = engine
        .manager(target, Security::v2c(COMMUNITY_RO))
        .timeout(Duration::from_millis(300))
        .refresh(Duration::from_millis(100))
        .build();
    let started = Instant::now();
    let err = agent.get(&[oid(SYS_DESCR)]).await.unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("unused port: {err} after {elapsed:?}");
    assert!(matches!(err, Error::Timeout { .. } | Error::Io(_)), "{err}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert_eq!(engine.requests_in_table(), 0);

    // The engine still works afterwards (an ICMP error must not have
    // stopped its receive task).
    let snmpd = Snmpd::start();
    let ok = v2c(&engine, snmpd.addr(), COMMUNITY_RO)
        .get(&[oid(SYS_DESCR)])
        .await
        .expect("get after the failure");
    assert_eq!(ok.len(), 1);
}

/// A reproducible error status: SET of snmpSetSerialNo to its current
/// value. net-snmp 5.9.3 answers wrongLength in SNMPv2c (badValue in
/// SNMPv1), with error-index 1; we report what snmpset reports.
#[tokio::test]
async fn set_serial_no_returns_the_agents_error_status() {
    let snmpd = Snmpd::start();
    let engine = engine_v4();
    for (security, flag) in [
        (Security::v2c(COMMUNITY_RW), "-v2c"),
        (Security::v1(COMMUNITY_RW), "-v1"),
    ] {
        let agent = engine.manager(snmpd.addr(), security).build();
        let current = agent.get(&[oid(SNMP_SET_SERIAL_NO)]).await.unwrap();
        let Value::Integer(serial) = current[0].value else {
            panic!("snmpSetSerialNo is {:?}", current[0].value);
        };

        let (reason, failed) = net_snmp_error(
            "snmpset",
            &[
                "-On",
                flag,
                "-c",
                COMMUNITY_RW,
                &snmpd.net_snmp_addr(),
                SNMP_SET_SERIAL_NO,
                "i",
                &serial.to_string(),
            ],
        );
        assert_eq!(failed.as_deref(), Some(SNMP_SET_SERIAL_NO));

        let err = agent
            .set(&[VarBind::new(oid(SNMP_SET_SERIAL_NO), serial)])
            .await
            .unwrap_err();
        let status = err.error_status().expect("an error status");
        assert_eq!(status.to_string(), reason, "{flag}: {err}");
        let want = if flag == "-v1" {
            ErrorStatus::BadValue
        } else {
            ErrorStatus::WrongLength
        };
        assert_error_status(&err, snmpd.addr(), want, 1, SNMP_SET_SERIAL_NO);
    }
}

/// Asserts that our varbind equals net-snmp's: OID, type, and the value,
/// except for TimeTicks and counters, which change between two requests.
fn assert_same(ours: &VarBind, theirs: &NetSnmpVarBind) {
    assert_eq!(ours.oid.to_string(), theirs.oid, "{ours:?} vs {theirs:?}");
    let equal = match &ours.value {
        Value::OctetString(b) => theirs.octets().as_deref() == Some(&b[..]),
        Value::Integer(v) => theirs.type_name == "INTEGER" && theirs.value == v.to_string(),
        Value::Gauge32(v) => theirs.type_name == "Gauge32" && theirs.value == v.to_string(),
        Value::ObjectIdentifier(o) => theirs.type_name == "OID" && theirs.value == o.to_string(),
        Value::IpAddress(ip) => theirs.type_name == "IpAddress" && theirs.value == ip.to_string(),
        // TimeTicks and counters by type; the exceptions have no value.
        v => v.type_name() == theirs.type_name,
    };
    assert!(equal, "ours {ours:?}, net-snmp {theirs:?}");
}

/// `snmpget -On VERSION -c public`, parsed.
fn snmpget(agent: &str, version: &str, oids: &[&str]) -> Vec<NetSnmpVarBind> {
    let args = [&["-On", version, "-c", COMMUNITY_RO, agent], oids].concat();
    parse_net_snmp_output(&net_snmp("snmpget", &args))
}

/// The ticks of a net-snmp `Timeticks: (123) 0:00:01.23`.
fn ticks(vb: &NetSnmpVarBind) -> u32 {
    assert_eq!(vb.type_name, "Timeticks", "{vb:?}");
    vb.value
        .strip_prefix('(')
        .and_then(|v| v.split(')').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("Timeticks {vb:?}"))
}

async fn counter(agent: &Manager, oid: &str) -> u64 {
    let vbs = agent.get(&[self::oid(oid)]).await.expect("get a counter");
    match vbs[0].value {
        Value::Counter32(v) => v.into(),
        ref v => panic!("{oid} is {v:?}"),
    }
}

fn v2c(engine: &Engine, target: SocketAddr, community: &str) -> Manager {
    engine
        .manager(target, Security::v2c(community.to_owned()))
        .build()
}

fn engine_v4() -> Engine {
    Engine::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))).expect("bind 0.0.0.0:0")
}

fn oid(s: &str) -> Oid {
    s.parse().expect("literal OID")
}
