//! Tests of the test harness itself (`tests/support`): the private snmpd and
//! the net-snmp output parser.

mod support;

use support::{
    NetSnmpVarBind, READ_ONLY_INTEGER, SYS_CONTACT, SYS_DESCR, Snmpd, WRITABLE_GAUGE,
    WRITABLE_INTEGER, WRITABLE_OID, WRITABLE_STRING, net_snmp, net_snmp_command, net_snmp_walk,
    parse_net_snmp_output,
};

const SNMP_ENGINE_BOOTS: &str = "1.3.6.1.6.3.10.2.1.2.0";

#[test]
fn walk_system_group() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();
    let vbs = net_snmp_walk(&["-v2c", "-c", "public", &agent, "1.3.6.1.2.1.1"]);
    assert!(vbs.len() >= 7, "{vbs:#?}");
    assert!(
        vbs.iter().all(|vb| vb.oid.starts_with("1.3.6.1.2.1.1.")),
        "{vbs:#?}"
    );

    let descr = vbs
        .iter()
        .find(|vb| vb.oid == SYS_DESCR)
        .expect("sysDescr.0");
    assert_eq!(descr.type_name, "STRING");
    assert!(descr.octets().is_some_and(|s| !s.is_empty()), "{descr:?}");

    // The raw output that the parser reads.
    let raw = net_snmp(
        "snmpget",
        &["-v2c", "-c", "public", "-On", &agent, SYS_DESCR],
    );
    assert!(raw.starts_with(".1.3.6.1.2.1.1.1.0 = STRING: \""), "{raw}");

    let object_id = &snmpd.net_snmp_get(&["1.3.6.1.2.1.1.2.0"])[0];
    assert_eq!(object_id.type_name, "OID");
    assert!(
        object_id.value.starts_with("1.3.6.1.4.1.8072."),
        "{object_id:?}"
    );
}

#[test]
fn walk_over_ipv6() {
    let snmpd = Snmpd::start();
    if !snmpd.has_ipv6() {
        eprintln!("no IPv6 loopback on this machine; skipped");
        return;
    }
    let agent = snmpd.net_snmp_addr_v6();
    let vbs = net_snmp_walk(&["-v2c", "-c", "public", &agent, "1.3.6.1.2.1.1"]);
    assert!(vbs.iter().any(|vb| vb.oid == SYS_DESCR), "{vbs:#?}");
}

#[test]
fn set_and_read_back() {
    let snmpd = Snmpd::start();
    let contact = "ops \"noc\"\nline 2";
    let response =
        snmpd.net_snmp_set(&[(SYS_CONTACT, "s", contact), (WRITABLE_INTEGER, "i", "42")]);
    assert_eq!(response.len(), 2, "{response:#?}");

    let got = snmpd.net_snmp_get(&[SYS_CONTACT, WRITABLE_INTEGER]);
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(got[0].oid, SYS_CONTACT);
    assert_eq!(got[0].type_name, "STRING");
    assert_eq!(got[0].octets().as_deref(), Some(contact.as_bytes()));
    assert_eq!(
        (got[1].type_name.as_str(), got[1].value.as_str()),
        ("INTEGER", "42")
    );
}

#[test]
fn read_only_objects_refuse_set() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();
    for (community, oid, type_letter, value, status) in [
        ("public", WRITABLE_INTEGER, "i", "1", "noAccess"),
        ("private", READ_ONLY_INTEGER, "i", "1", "notWritable"),
        ("private", SYS_DESCR, "s", "x", "notWritable"),
        ("private", WRITABLE_INTEGER, "s", "x", "wrongType"),
    ] {
        let out = net_snmp_command("snmpset")
            .args([
                "-v2c",
                "-c",
                community,
                "-On",
                &agent,
                oid,
                type_letter,
                value,
            ])
            .output()
            .expect("run snmpset");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{community} {oid}: accepted");
        assert!(stderr.contains(status), "{community} {oid}: {stderr}");
    }
}

#[test]
fn two_instances_side_by_side() {
    let a = Snmpd::start();
    let b = Snmpd::start();
    assert_ne!(a.port(), b.port());
    a.net_snmp_set(&[(WRITABLE_STRING, "s", "from a")]);
    b.net_snmp_set(&[(WRITABLE_STRING, "s", "from b")]);
    for (snmpd, want) in [(&a, "from a"), (&b, "from b")] {
        let got = snmpd.net_snmp_walk(WRITABLE_STRING);
        assert_eq!(got.len(), 1, "{got:#?}");
        assert_eq!(got[0].octets().as_deref(), Some(want.as_bytes()));
    }
}

#[test]
fn restart_keeps_port_and_persistent_state() {
    let mut snmpd = Snmpd::start();
    let (port, pid) = (snmpd.port(), snmpd.pid());
    snmpd.net_snmp_set(&[(SYS_CONTACT, "s", "kept")]);
    let boots = |snmpd: &Snmpd| {
        let vbs = snmpd.net_snmp_get(&[SNMP_ENGINE_BOOTS]);
        assert_eq!(vbs[0].type_name, "INTEGER", "{vbs:?}");
        vbs[0].value.parse::<u32>().expect("snmpEngineBoots")
    };
    let before = boots(&snmpd);

    snmpd.restart();

    assert_eq!(snmpd.port(), port);
    assert_ne!(snmpd.pid(), pid);
    assert_eq!(boots(&snmpd), before + 1);
    assert_eq!(snmpd.net_snmp_get(&[SYS_CONTACT])[0].value, "\"kept\"");
}

#[test]
fn stopped_agent_does_not_answer() {
    let mut snmpd = Snmpd::start();
    assert!(snmpd.is_running());
    snmpd.stop();
    assert!(!snmpd.is_running());
    let out = net_snmp_command("snmpget")
        .args(["-v2c", "-c", "public", "-On", "-t", "0.2", "-r", "0"])
        .arg(snmpd.net_snmp_addr())
        .arg(SYS_DESCR)
        .output()
        .expect("run snmpget");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Timeout"));
}

#[test]
fn extra_config_and_persist() {
    let snmpd = Snmpd::builder()
        .extra_config("override 1.3.6.1.4.1.8072.9999.10.0 octet_str \"extra\"")
        .extra_config("rouser harness noauth")
        .extra_persist("createUser harness")
        .start();
    let agent = snmpd.net_snmp_addr();
    let v3 = ["-v3", "-u", "harness", "-l", "noAuthNoPriv"];
    let got = net_snmp_walk(&[&v3[..], &[&agent, "1.3.6.1.4.1.8072.9999.10"]].concat());
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].octets().as_deref(), Some(&b"extra"[..]));
}

#[test]
fn parse_multi_line_and_special_values() {
    let text = concat!(
        ".1.3.6.1.2.1.1.1.0 = STRING: \"two\n",
        "lines\"\n",
        ".1.3.6.1.2.1.1.4.0 = STRING: \"x\n",
        ".1.3.6.1.2 = STRING: \\\"not a varbind\\\" \\\\\"\n",
        ".1.3.6.1.2.1.1.5.0 = \"\"\n",
        ".1.3.6.1.2.1.1.6.0 = Hex-STRING: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \n",
        "10 11 \n",
        ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.8072.3.2.10\n",
        ".1.3.6.1.2.1.1.3.0 = Timeticks: (100) 0:00:01.00\n",
        ".1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID\n",
        ".1.3.6.1.2.1.1.1.99 = No Such Instance currently exists at this OID\n",
        ".1.3.6.1.9 = No more variables left in this MIB View (It is past the end of the MIB tree)\n",
        ".1.3.6.1.2.1.31.1.1.1.6.1 = Counter64: 10659\n",
    );
    let vbs = parse_net_snmp_output(text);
    let vb = |oid: &str, type_name: &str, value: &str| NetSnmpVarBind {
        oid: oid.into(),
        type_name: type_name.into(),
        value: value.into(),
    };
    let evil = "\"x\n.1.3.6.1.2 = STRING: \\\"not a varbind\\\" \\\\\"";
    let hex = "00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F \n10 11";
    let no_object = "No Such Object available on this agent at this OID";
    let no_instance = "No Such Instance currently exists at this OID";
    let end = "No more variables left in this MIB View (It is past the end of the MIB tree)";
    assert_eq!(
        vbs,
        [
            vb("1.3.6.1.2.1.1.1.0", "STRING", "\"two\nlines\""),
            vb("1.3.6.1.2.1.1.4.0", "STRING", evil),
            vb("1.3.6.1.2.1.1.5.0", "STRING", "\"\""),
            vb("1.3.6.1.2.1.1.6.0", "Hex-STRING", hex),
            vb("1.3.6.1.2.1.1.2.0", "OID", "1.3.6.1.4.1.8072.3.2.10"),
            vb("1.3.6.1.2.1.1.3.0", "Timeticks", "(100) 0:00:01.00"),
            vb("1.3.6.1.2.1.1.99.0", "noSuchObject", no_object),
            vb("1.3.6.1.2.1.1.1.99", "noSuchInstance", no_instance),
            vb("1.3.6.1.9", "endOfMibView", end),
            vb("1.3.6.1.2.1.31.1.1.1.6.1", "Counter64", "10659"),
        ]
    );
    let evil_bytes = b"x\n.1.3.6.1.2 = STRING: \"not a varbind\" \\";
    assert_eq!(vbs[1].octets().as_deref(), Some(&evil_bytes[..]));
    assert_eq!(vbs[2].octets().as_deref(), Some(&b""[..]));
    assert_eq!(vbs[3].octets(), Some((0..=0x11).collect::<Vec<u8>>()));
    assert_eq!(vbs[4].octets(), None);
    assert!(vbs[6..9].iter().all(NetSnmpVarBind::is_exception));
    assert!(!vbs[0].is_exception());
}

#[test]
fn parse_real_multi_line_string() {
    // The shapes above, printed by net-snmp itself.
    let snmpd = Snmpd::start();
    let tricky = "x\n.1.3.6.1.2 = STRING: \"evil\" \\\n\nend ";
    snmpd.net_snmp_set(&[(WRITABLE_STRING, "s", tricky)]);
    let vbs = snmpd.net_snmp_walk("1.3.6.1.4.1.8072.9999");
    let oids: Vec<&str> = vbs.iter().map(|vb| vb.oid.as_str()).collect();
    let want = [
        WRITABLE_INTEGER,
        WRITABLE_STRING,
        WRITABLE_GAUGE,
        WRITABLE_OID,
        READ_ONLY_INTEGER,
    ];
    assert_eq!(oids, want);
    assert_eq!(vbs[1].octets().as_deref(), Some(tricky.as_bytes()));
    assert_eq!(vbs[2].type_name, "Gauge32");
    assert_eq!(vbs[3].value, "1.3.6.1.4.1.8072");

    // Bytes that are not printable come back as Hex-STRING.
    snmpd.net_snmp_set(&[(WRITABLE_STRING, "x", "00ff10")]);
    let vbs = snmpd.net_snmp_get(&[WRITABLE_STRING]);
    assert_eq!(vbs[0].type_name, "Hex-STRING");
    assert_eq!(vbs[0].octets(), Some(vec![0x00, 0xff, 0x10]));
}
