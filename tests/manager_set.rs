//! SET against a real net-snmp `snmpd` over loopback UDP: values written
//! through the read-write community read back by our GET and by `snmpget`,
//! and the agent's refusals reported with the error-status, error-index and
//! OID that `snmpset` reports.

mod support;

use std::net::{Ipv4Addr, SocketAddr};

use snmux::{Bytes, Engine, ErrorStatus, Manager, Oid, Security, Value, VarBind};

use support::{
    COMMUNITY_RO, COMMUNITY_RW, READ_ONLY_INTEGER, SYS_CONTACT, SYS_DESCR, SYS_LOCATION, SYS_NAME,
    Snmpd, WRITABLE_GAUGE, WRITABLE_INTEGER, WRITABLE_OID, WRITABLE_STRING, assert_error_status,
    net_snmp_error,
};

/// sysContact, sysName and sysLocation, one SET each, in SNMPv1 and
/// SNMPv2c: the response echoes the varbind, and both our GET (through the
/// read-only community) and snmpget see the new value.
#[tokio::test]
async fn set_system_strings_and_read_them_back() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let reader = engine
        .manager(snmpd.addr(), Security::v2c(COMMUNITY_RO))
        .build();
    for (security, version) in [
        (Security::v1(COMMUNITY_RW), "v1"),
        (Security::v2c(COMMUNITY_RW), "v2c"),
    ] {
        let writer = engine.manager(snmpd.addr(), security).build();
        for (name, oid) in [
            ("contact", SYS_CONTACT),
            ("name", SYS_NAME),
            ("location", SYS_LOCATION),
        ] {
            let value = format!("snmux {version} {name}: \"quoted\" \\ and ünïcode");
            let vb = VarBind::new(self::oid(oid), value.as_str());
            let response = writer
                .set(std::slice::from_ref(&vb))
                .await
                .unwrap_or_else(|e| {
                    panic!("{version} set {oid}: {e}");
                });
            assert_eq!(response, vec![vb.clone()]);

            assert_eq!(reader.get(&[self::oid(oid)]).await.unwrap(), vec![vb]);
            let theirs = snmpd.net_snmp_get(&[oid]);
            assert_eq!(
                theirs[0].octets().as_deref(),
                Some(value.as_bytes()),
                "{theirs:?}"
            );
        }
    }
}

/// One SET of seven varbinds of four types; all written, as one GET and
/// snmpget show.
#[tokio::test]
async fn set_several_varbinds_in_one_request() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let writer = v2c(&engine, snmpd.addr(), COMMUNITY_RW);
    let varbinds = vec![
        VarBind::new(oid(SYS_CONTACT), "noc@example.net"),
        VarBind::new(oid(SYS_NAME), "snmux-test"),
        VarBind::new(oid(SYS_LOCATION), "rack 7"),
        VarBind::new(oid(WRITABLE_INTEGER), -7),
        VarBind::new(oid(WRITABLE_STRING), "seven"),
        VarBind::new(oid(WRITABLE_GAUGE), Value::Gauge32(7)),
        VarBind::new(oid(WRITABLE_OID), oid("1.3.6.1.4.1.8072.7")),
    ];
    let response = writer.set(&varbinds).await.expect("set of seven varbinds");
    assert_eq!(response, varbinds);

    let oids: Vec<Oid> = varbinds.iter().map(|vb| vb.oid.clone()).collect();
    assert_eq!(writer.get(&oids).await.unwrap(), varbinds);

    let theirs = snmpd.net_snmp_get(&[
        SYS_CONTACT,
        SYS_NAME,
        SYS_LOCATION,
        WRITABLE_INTEGER,
        WRITABLE_STRING,
        WRITABLE_GAUGE,
        WRITABLE_OID,
    ]);
    let printed: Vec<(&str, &str)> = theirs
        .iter()
        .map(|vb| (vb.type_name.as_str(), vb.value.as_str()))
        .collect();
    assert_eq!(
        printed,
        [
            ("STRING", "\"noc@example.net\""),
            ("STRING", "\"snmux-test\""),
            ("STRING", "\"rack 7\""),
            ("INTEGER", "-7"),
            ("STRING", "\"seven\""),
            ("Gauge32", "7"),
            ("OID", "1.3.6.1.4.1.8072.7"),
        ]
    );
}

/// The harness's writable scalars of each type, with the extreme values of
/// the type: what we write, snmpget reads, and so do we.
#[tokio::test]
async fn set_writable_scalars_of_each_type() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let writer = v2c(&engine, snmpd.addr(), COMMUNITY_RW);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            WRITABLE_INTEGER,
            Value::Integer(i32::MIN),
            "INTEGER",
            "-2147483648",
        ),
        (
            WRITABLE_INTEGER,
            Value::Integer(i32::MAX),
            "INTEGER",
            "2147483647",
        ),
        (
            WRITABLE_GAUGE,
            Value::Gauge32(u32::MAX),
            "Gauge32",
            "4294967295",
        ),
        (WRITABLE_GAUGE, Value::Gauge32(0), "Gauge32", "0"),
        // Bytes that are not text: net-snmp prints them in hex.
        (
            WRITABLE_STRING,
            Value::OctetString(Bytes::from_static(b"\x00\xff\n\"")),
            "Hex-STRING",
            "00 FF 0A 22",
        ),
        (WRITABLE_STRING, Value::from(""), "STRING", "\"\""),
        (
            WRITABLE_OID,
            Value::ObjectIdentifier(oid("1.3.6.1.4.1.99999.1.4294967295")),
            "OID",
            "1.3.6.1.4.1.99999.1.4294967295",
        ),
        (
            WRITABLE_OID,
            Value::ObjectIdentifier(oid("0.0")),
            "OID",
            "0.0",
        ),
    ];
    for (target, value, type_name, printed) in cases {
        let vb = VarBind::new(oid(target), value);
        let response = writer
            .set(std::slice::from_ref(&vb))
            .await
            .unwrap_or_else(|e| panic!("set {vb:?}: {e}"));
        assert_eq!(response, vec![vb.clone()]);
        assert_eq!(writer.get(&[oid(target)]).await.unwrap(), vec![vb.clone()]);
        let theirs = snmpd.net_snmp_get(&[target]);
        assert_eq!(
            (theirs[0].type_name.as_str(), theirs[0].value.as_str()),
            (type_name, printed),
            "after {vb:?}"
        );
    }
}

/// The agent's refusals, each with the error-status, error-index and OID
/// that snmpset reports for the same request. SNMPv1 has fewer statuses:
/// net-snmp maps noAccess and notWritable to noSuchName, and wrongType,
/// wrongLength and wrongValue to badValue (RFC 2576 §4.3).
#[tokio::test]
async fn set_errors_equal_snmpset() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let address = snmpd.net_snmp_addr();
    let too_long = "x".repeat(300);
    let reader = v2c(&engine, snmpd.addr(), COMMUNITY_RO);
    let targets = [
        oid(SYS_CONTACT),
        oid(SYS_LOCATION),
        oid(WRITABLE_INTEGER),
        oid(WRITABLE_GAUGE),
        oid(WRITABLE_STRING),
    ];
    let before = reader.get(&targets).await.unwrap();
    let cases = [
        // The read-only community.
        Case {
            community: COMMUNITY_RO,
            bindings: &[(SYS_CONTACT, "s", "x")],
            v2c: ErrorStatus::NoAccess,
            v1: ErrorStatus::NoSuchName,
            index: 1,
        },
        // A read-only object.
        Case {
            community: COMMUNITY_RW,
            bindings: &[(SYS_DESCR, "s", "x")],
            v2c: ErrorStatus::NotWritable,
            v1: ErrorStatus::NoSuchName,
            index: 1,
        },
        Case {
            community: COMMUNITY_RW,
            bindings: &[(READ_ONLY_INTEGER, "i", "6")],
            v2c: ErrorStatus::NotWritable,
            v1: ErrorStatus::NoSuchName,
            index: 1,
        },
        // The wrong type.
        Case {
            community: COMMUNITY_RW,
            bindings: &[(SYS_CONTACT, "i", "5")],
            v2c: ErrorStatus::WrongType,
            v1: ErrorStatus::BadValue,
            index: 1,
        },
        Case {
            community: COMMUNITY_RW,
            bindings: &[(WRITABLE_GAUGE, "i", "5")],
            v2c: ErrorStatus::WrongType,
            v1: ErrorStatus::BadValue,
            index: 1,
        },
        // DisplayString is at most 255 printable characters.
        Case {
            community: COMMUNITY_RW,
            bindings: &[(SYS_CONTACT, "s", &too_long)],
            v2c: ErrorStatus::WrongLength,
            v1: ErrorStatus::BadValue,
            index: 1,
        },
        // Not a DisplayString.
        Case {
            community: COMMUNITY_RW,
            bindings: &[(SYS_CONTACT, "x", "00FF")],
            v2c: ErrorStatus::WrongValue,
            v1: ErrorStatus::BadValue,
            index: 1,
        },
        // The error is at the second and at the third varbind.
        Case {
            community: COMMUNITY_RW,
            bindings: &[(SYS_LOCATION, "s", "not applied"), (SYS_DESCR, "s", "x")],
            v2c: ErrorStatus::NotWritable,
            v1: ErrorStatus::NoSuchName,
            index: 2,
        },
        Case {
            community: COMMUNITY_RW,
            bindings: &[
                (SYS_LOCATION, "s", "not applied"),
                (WRITABLE_INTEGER, "i", "1"),
                (WRITABLE_STRING, "i", "1"),
            ],
            v2c: ErrorStatus::WrongType,
            v1: ErrorStatus::BadValue,
            index: 3,
        },
    ];
    for Case {
        community,
        bindings,
        v2c: v2c_status,
        v1: v1_status,
        index,
    } in cases
    {
        let failed = bindings[index as usize - 1].0;
        let varbinds: Vec<VarBind> = bindings.iter().map(|&b| varbind(b)).collect();
        for (security, flag, want) in [
            (Security::v2c(community.to_owned()), "-v2c", v2c_status),
            (Security::v1(community.to_owned()), "-v1", v1_status),
        ] {
            let mut args = vec!["-On", flag, "-c", community, &address];
            for (oid, t, v) in bindings {
                args.extend([*oid, *t, *v]);
            }
            let (reason, failed_object) = net_snmp_error("snmpset", &args);
            let what = format!("{flag} -c {community} {bindings:?}");
            assert_eq!(reason, want.to_string(), "snmpset {what}");
            assert_eq!(failed_object.as_deref(), Some(failed), "snmpset {what}");

            let agent = engine.manager(snmpd.addr(), security).build();
            let err = agent.set(&varbinds).await.expect_err(&what);
            assert_error_status(&err, snmpd.addr(), want, index, failed);
        }
    }
    // SET is atomic (RFC 3416 §4.2.5): the varbinds before the failing one
    // were not written either.
    assert_eq!(reader.get(&targets).await.unwrap(), before);
}

/// A SET that the agent refuses.
struct Case<'a> {
    community: &'a str,
    /// `(oid, type letter, value)` as snmpset takes them.
    bindings: &'a [(&'a str, &'a str, &'a str)],
    /// The error-status in SNMPv2c.
    v2c: ErrorStatus,
    /// The error-status in SNMPv1.
    v1: ErrorStatus,
    /// The error-index.
    index: u32,
}

/// A varbind from snmpset's `(oid, type letter, value)`.
fn varbind((o, type_letter, value): (&str, &str, &str)) -> VarBind {
    let value = match type_letter {
        "s" => Value::from(value),
        "i" => Value::Integer(value.parse().expect("integer literal")),
        "x" => Value::from(
            &(0..value.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&value[i..i + 2], 16).expect("hex literal"))
                .collect::<Vec<u8>>()[..],
        ),
        other => panic!("type letter {other}"),
    };
    VarBind::new(oid(o), value)
}

fn v2c(engine: &Engine, target: SocketAddr, community: &str) -> Manager {
    engine
        .manager(target, Security::v2c(community.to_owned()))
        .build()
}

fn engine() -> Engine {
    Engine::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))).expect("bind 0.0.0.0:0")
}

fn oid(s: &str) -> Oid {
    s.parse().expect("literal OID")
}
