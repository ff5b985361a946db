//! The `snmux` command line against net-snmp: for the same agent and OIDs,
//! `snmux get|getnext|bulkget|walk|set` prints exactly what `snmpget -On`,
//! `snmpgetnext -On`, `snmpbulkget -On`, `snmpbulkwalk -On` (`snmpwalk -On`
//! on SNMPv1) and `snmpset -On` print, with SNMPv1, v2c and v3 (USM users
//! at each security level, net-snmp's options). The agents are a private
//! net-snmp `snmpd` per test (`tests/support`) and, for the value types
//! snmpd does not serve and for misbehaving agents, a scripted agent on a
//! UDP socket.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use snmux::{AnyPdu, Message, Oid, Pdu, PduType, Value, VarBind};

use support::{
    COMMUNITY_RO, COMMUNITY_RW, SYS_CONTACT, SYS_DESCR, SYS_LOCATION, SYS_NAME, Snmpd,
    WRITABLE_GAUGE, WRITABLE_INTEGER, WRITABLE_OID, WRITABLE_STRING, net_snmp,
    parse_net_snmp_output,
};

const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";
/// sysORTable: stable for the life of an snmpd.
const SYS_OR_TABLE: &str = "1.3.6.1.2.1.1.9";
/// Not in the agent: noSuchObject.
const MISSING_OBJECT: &str = "1.3.6.1.2.1.1.99.0";
/// sysDescr.1: noSuchInstance.
const MISSING_INSTANCE: &str = "1.3.6.1.2.1.1.1.1";
/// After everything snmpd has: endOfMibView.
const PAST_THE_END: &str = "1.3.6.1.9999";

/// Non-volatile objects of every type snmpd's base config serves.
const STABLE_OIDS: [&str; 9] = [
    SYS_DESCR,
    SYS_OBJECT_ID,
    SYS_CONTACT,
    SYS_NAME,
    SYS_LOCATION,
    WRITABLE_INTEGER,
    WRITABLE_STRING,
    WRITABLE_GAUGE,
    WRITABLE_OID,
];

/// Runs snmux with `args`, a clean environment for logs, and no stdin.
fn snmux(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_snmux"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("run snmux")
}

/// Runs snmux, expects success and an empty stderr, returns stdout.
fn snmux_ok(args: &[&str]) -> String {
    let out = snmux(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "snmux {} failed ({}):\n{stderr}",
        args.join(" "),
        out.status
    );
    String::from_utf8(out.stdout).expect("snmux prints UTF-8")
}

/// Runs snmux, expects exit status 1, nothing on stdout and one
/// `snmux: ` line on stderr; returns that line.
fn snmux_err(args: &[&str]) -> String {
    let out = snmux(args);
    let (stdout, stderr) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "snmux {}: {stderr}",
        args.join(" ")
    );
    assert_eq!(stdout, "", "snmux {}", args.join(" "));
    one_error_line(&stderr)
}

fn texts(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn one_error_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "not one line: {stderr:?}");
    assert!(lines[0].starts_with("snmux: "), "{stderr:?}");
    assert!(stderr.ends_with('\n'), "{stderr:?}");
    lines[0].to_owned()
}

/// `args` with `-On` first, for the net-snmp tools.
fn numeric<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut all = vec!["-On"];
    all.extend_from_slice(args);
    all
}

/// Asserts that `snmux <op> args` prints what `<tool> -On args` prints.
#[track_caller]
fn assert_same(op: &str, tool: &str, args: &[&str]) -> String {
    let mut ours = vec![op];
    ours.extend_from_slice(args);
    let got = snmux_ok(&ours);
    let want = net_snmp(tool, &numeric(args));
    assert_eq!(
        got,
        want,
        "snmux {op} and {tool} differ for {}",
        args.join(" ")
    );
    got
}

#[test]
fn get_prints_what_snmpget_prints() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();
    for version in ["-v2c", "-v1"] {
        let mut args = vec![version, "-c", COMMUNITY_RO, &agent];
        args.extend(STABLE_OIDS);
        let out = assert_same("get", "snmpget", &args);
        assert_eq!(out.lines().count(), STABLE_OIDS.len(), "{out}");
    }
    // v2c exceptions in place of values.
    let out = assert_same(
        "get",
        "snmpget",
        &[
            "-v2c",
            "-c",
            COMMUNITY_RO,
            &agent,
            SYS_NAME,
            MISSING_OBJECT,
            MISSING_INSTANCE,
        ],
    );
    assert!(out.contains("= No Such Object available on this agent at this OID\n"));
    assert!(out.contains("= No Such Instance currently exists at this OID\n"));

    // The same over IPv6, and the agent forms snmux accepts.
    if snmpd.has_ipv6() {
        let v6 = snmpd.net_snmp_addr_v6();
        let mut args = vec!["-v2c", "-c", COMMUNITY_RO, &v6];
        args.extend(STABLE_OIDS);
        let want = assert_same("get", "snmpget", &args);
        let bracketed = snmpd.addr_v6().to_string();
        args[3] = &bracketed;
        assert_eq!(snmux_ok(&[&["get"][..], &args[..]].concat()), want);
    }
    let prefixed = format!("udp:{agent}");
    let by_name = format!("localhost:{}", snmpd.port());
    for form in [&prefixed, &by_name] {
        let got = snmux_ok(&["get", "-c", COMMUNITY_RO, form, SYS_NAME]);
        assert_eq!(
            got,
            net_snmp(
                "snmpget",
                &numeric(&["-v2c", "-c", COMMUNITY_RO, &agent, SYS_NAME])
            )
        );
    }
}

#[test]
fn getnext_and_bulkget_print_what_net_snmp_prints() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();
    // The objects before the stable ones, so that GETNEXT lands on them.
    let before = [
        "1.3.6.1.2.1.1.1",
        "1.3.6.1.2.1.1.4",
        "1.3.6.1.2.1.1.5",
        "1.3.6.1.2.1.1.9.1.2",
        "1.3.6.1.2.1.1.9.1.3.4",
        "1.3.6.1.4.1.8072.9999.1",
        "1.3.6.1.4.1.8072.9999.3",
    ];
    for version in ["-v2c", "-v1"] {
        let mut args = vec![version, "-c", COMMUNITY_RO, &agent];
        args.extend(before);
        assert_same("getnext", "snmpgetnext", &args);
    }
    let out = assert_same(
        "getnext",
        "snmpgetnext",
        &["-v2c", "-c", COMMUNITY_RO, &agent, PAST_THE_END],
    );
    assert!(
        out.contains("No more variables left in this MIB View"),
        "{out}"
    );

    // Columns of sysORTable: sysORUpTime is the same for every row.
    let columns = [
        "1.3.6.1.2.1.1.9.1.2",
        "1.3.6.1.2.1.1.9.1.3",
        "1.3.6.1.2.1.1.9.1.4",
    ];
    for app_options in [&["-Cn1", "-Cr3"][..], &["-Cn2r4"], &["-Cr1"], &[]] {
        let mut args = app_options.to_vec();
        args.extend(["-v2c", "-c", COMMUNITY_RO, &agent]);
        if app_options.is_empty() || app_options == ["-Cr1"] {
            // sysDescr would repeat into sysUpTime, which changes.
            args.extend(columns);
        } else {
            args.extend([SYS_DESCR, SYS_NAME, columns[0], columns[1]]);
        }
        assert_same("bulkget", "snmpbulkget", &args);
    }
    // Past the end, every repetition is endOfMibView.
    assert_same(
        "bulkget",
        "snmpbulkget",
        &["-Cr3", "-v2c", "-c", COMMUNITY_RO, &agent, PAST_THE_END],
    );
}

#[test]
fn walk_prints_what_snmpbulkwalk_and_snmpwalk_print() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();
    let roots = [
        SYS_OR_TABLE,
        // A scalar: the walk finds nothing under it and GETs it.
        SYS_DESCR,
        // Nothing there: the GET prints noSuchObject (v2c) or nothing (v1).
        "1.3.6.1.2.1.1.99",
        MISSING_INSTANCE,
        // Past the end: endOfMibView inside the subtree (v2c) or End of MIB (v1).
        PAST_THE_END,
        // The last subtree of the agent's view: the walk ends at the end of the MIB.
        "1.3.6.1.6.3.16.1.5",
        "1.3.6.1.4.1.8072.9999",
    ];
    for root in roots {
        let out = assert_same(
            "walk",
            "snmpbulkwalk",
            &["-v2c", "-c", COMMUNITY_RO, &agent, root],
        );
        assert!(!out.is_empty(), "walk {root} printed nothing");
        assert_same(
            "walk",
            "snmpwalk",
            &["-v1", "-c", COMMUNITY_RO, &agent, root],
        );
    }
    let out = assert_same(
        "walk",
        "snmpbulkwalk",
        &["-v2c", "-c", COMMUNITY_RO, &agent, SYS_OR_TABLE],
    );
    assert!(out.lines().count() >= 10, "{out}");

    // Small max-repetitions (several requests), -Ci, -Cp, and bulkwalk.
    for options in [
        &["-Cr1"][..],
        &["-Cr3", "-Cp"],
        &["-Cip"],
        &["-Ci", "-Cr2p"],
    ] {
        let mut args = options.to_vec();
        args.extend(["-v2c", "-c", COMMUNITY_RO, &agent, "1.3.6.1.2.1.1.9.1.2"]);
        assert_same("walk", "snmpbulkwalk", &args);
        assert_same("bulkwalk", "snmpbulkwalk", &args);
    }
    // -CI: no GET when the subtree is empty.
    let out = snmux_ok(&["walk", "-CI", "-c", COMMUNITY_RO, &agent, SYS_DESCR]);
    assert_eq!(out, "");

    if snmpd.has_ipv6() {
        let v6 = snmpd.net_snmp_addr_v6();
        let want = assert_same(
            "walk",
            "snmpbulkwalk",
            &["-v2c", "-c", COMMUNITY_RO, &v6, SYS_OR_TABLE],
        );
        let bracketed = snmpd.addr_v6().to_string();
        let got = snmux_ok(&["walk", "-c", COMMUNITY_RO, &bracketed, SYS_OR_TABLE]);
        assert_eq!(got, want);
    }
}

#[test]
fn set_prints_what_snmpset_prints() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();

    let out = snmux_ok(&[
        "set",
        "-c",
        COMMUNITY_RW,
        &agent,
        SYS_CONTACT,
        "s",
        "ops@example.net",
    ]);
    assert_eq!(out, ".1.3.6.1.2.1.1.4.0 = STRING: \"ops@example.net\"\n");
    let back = snmpd.net_snmp_get(&[SYS_CONTACT]);
    assert_eq!(back[0].octets().as_deref(), Some(&b"ops@example.net"[..]));
    assert_eq!(
        snmux_ok(&["get", "-c", COMMUNITY_RO, &agent, SYS_CONTACT]),
        ".1.3.6.1.2.1.1.4.0 = STRING: \"ops@example.net\"\n"
    );

    // Several types in one request; snmpset sends the same values again,
    // so both print the same response.
    let bindings = [
        (WRITABLE_INTEGER, "i", "-7"),
        (WRITABLE_GAUGE, "u", "4294967295"),
        (WRITABLE_OID, "o", ".1.3.6.1.4.1.8072.3"),
        (WRITABLE_STRING, "x", "0A 1b ff"),
        (SYS_LOCATION, "s", "rack \"7\"\nrow 2"),
    ];
    let mut args = vec!["-v2c", "-c", COMMUNITY_RW, &agent];
    for (oid, type_letter, value) in bindings {
        args.extend([oid, type_letter, value]);
    }
    let out = assert_same("set", "snmpset", &args);
    assert!(
        out.contains(".1.3.6.1.4.1.8072.9999.2.0 = Hex-STRING: 0A 1B FF \n"),
        "{out}"
    );
    // Read back with both tools.
    let mut args = vec!["-v1", "-c", COMMUNITY_RO, &agent];
    args.extend([
        WRITABLE_INTEGER,
        WRITABLE_GAUGE,
        WRITABLE_OID,
        WRITABLE_STRING,
        SYS_LOCATION,
    ]);
    assert_same("get", "snmpget", &args);

    // Strings: decimal and hex that happen to be text.
    let out = snmux_ok(&[
        "set",
        "-c",
        COMMUNITY_RW,
        &agent,
        WRITABLE_STRING,
        "d",
        "104.105",
    ]);
    assert_eq!(out, ".1.3.6.1.4.1.8072.9999.2.0 = STRING: \"hi\"\n");
    let out = snmux_ok(&[
        "set",
        "-v1",
        "-c",
        COMMUNITY_RW,
        &agent,
        WRITABLE_STRING,
        "x",
        "",
    ]);
    assert_eq!(out, ".1.3.6.1.4.1.8072.9999.2.0 = \"\"\n");
}

#[test]
fn set_errors_are_one_line() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();
    let target = snmpd.addr();

    let line = snmux_err(&["set", "-c", COMMUNITY_RW, &agent, SYS_CONTACT, "i", "5"]);
    assert_eq!(
        line,
        format!("snmux: {target} returned wrongType at varbind 1 (1.3.6.1.2.1.1.4.0)")
    );
    let line = snmux_err(&[
        "set",
        "-c",
        COMMUNITY_RW,
        &agent,
        SYS_NAME,
        "s",
        "x",
        SYS_DESCR,
        "s",
        "x",
    ]);
    assert_eq!(
        line,
        format!("snmux: {target} returned notWritable at varbind 2 (1.3.6.1.2.1.1.1.0)")
    );
    let line = snmux_err(&[
        "set",
        "-v1",
        "-c",
        COMMUNITY_RO,
        &agent,
        SYS_CONTACT,
        "s",
        "x",
    ]);
    assert!(line.contains(" returned "), "{line}");
    let line = snmux_err(&["set", "-c", COMMUNITY_RO, &agent, SYS_CONTACT, "s", "x"]);
    assert!(
        line.ends_with("returned noAccess at varbind 1 (1.3.6.1.2.1.1.4.0)"),
        "{line}"
    );
    // Nothing was written.
    assert_ne!(snmpd.net_snmp_get(&[SYS_NAME])[0].value, "\"x\"");

    // SNMPv1 errors that v2c reports as exceptions.
    let line = snmux_err(&[
        "get",
        "-v1",
        "-c",
        COMMUNITY_RO,
        &agent,
        SYS_NAME,
        MISSING_OBJECT,
    ]);
    assert_eq!(
        line,
        format!("snmux: {target} returned noSuchName at varbind 2 (1.3.6.1.2.1.1.99.0)")
    );
    let line = snmux_err(&["bulkget", "-v1", "-c", COMMUNITY_RO, &agent, SYS_NAME]);
    assert_eq!(line, "snmux: GETBULK is not available in SNMPv1");
}

#[test]
fn no_answer_is_a_timeout_line() {
    // A socket that receives and never answers (no ICMP error either).
    let silent = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let addr = silent.local_addr().expect("address").to_string();
    let start = Instant::now();
    let line = snmux_err(&["get", "-t", "0.2", "-r", "1", &addr, SYS_DESCR]);
    let elapsed = start.elapsed();
    assert_eq!(
        line,
        format!(
            "snmux: timeout: no response from {addr} after 1 retransmissions \
             (check the address, port and credentials)"
        )
    );
    // 2 × 0.2 s, plus process start-up.
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");

    // The datagrams did arrive: one request and one retransmission.
    silent.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0u8; 1500];
    let mut received = 0;
    while silent.recv_from(&mut buf).is_ok() {
        received += 1;
    }
    assert_eq!(received, 2);
}

#[test]
fn wrong_community_times_out() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();
    for version in ["-v1", "-v2c"] {
        let line = snmux_err(&[
            "walk",
            version,
            "-c",
            "not-the-community",
            "-t",
            "0.2",
            "-r",
            "0",
            &agent,
        ]);
        assert!(
            line.starts_with("snmux: timeout: no response from "),
            "{line}"
        );
    }
}

#[test]
fn json_lines_hold_the_same_values() {
    let snmpd = Snmpd::start();
    let agent = snmpd.net_snmp_addr();
    let mut args = vec!["get", "--json", "-c", COMMUNITY_RO, &agent];
    args.extend(STABLE_OIDS);
    args.push(MISSING_OBJECT);
    let out = snmux_ok(&args);
    let want = snmpd.net_snmp_get(&[&STABLE_OIDS[..], &[MISSING_OBJECT][..]].concat());
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert_eq!(lines.len(), want.len());
    for (got, want) in lines.iter().zip(&want) {
        assert_eq!(got["oid"], want.oid.as_str(), "{got}");
        let value = &got["value"];
        match want.type_name.as_str() {
            "STRING" => {
                assert_eq!(got["type"], "STRING");
                let text = String::from_utf8(want.octets().expect("octets")).expect("UTF-8");
                assert_eq!(value.as_str(), Some(text.as_str()), "{got}");
            }
            "INTEGER" | "Gauge32" => {
                assert_eq!(got["type"], want.type_name.as_str());
                assert_eq!(value.to_string(), want.value, "{got}");
            }
            "OID" => {
                assert_eq!(got["type"], "OID");
                assert_eq!(value.as_str(), Some(want.value.as_str()), "{got}");
            }
            "noSuchObject" => {
                assert_eq!(got["type"], "noSuchObject");
                assert!(value.is_null(), "{got}");
            }
            other => panic!("unexpected type {other} in {want:?}"),
        }
    }

    // A walk in JSON: only varbinds, no `End of MIB` or counts.
    let out = snmux_ok(&[
        "walk",
        "--json",
        "-v1",
        "-Cp",
        "-c",
        COMMUNITY_RO,
        &agent,
        PAST_THE_END,
    ]);
    assert_eq!(out, "");
    let out = snmux_ok(&["walk", "--json", "-c", COMMUNITY_RO, &agent, SYS_OR_TABLE]);
    let walked = snmpd.net_snmp_walk(SYS_OR_TABLE);
    assert_eq!(out.lines().count(), walked.len());
}

#[test]
fn usage_errors_exit_with_2() {
    for args in [
        &["get"][..],
        &["get", "127.0.0.1"],
        &["get", "127.0.0.1", "sysDescr.0"],
        &["get", "-v3", "127.0.0.1", SYS_DESCR],
        &["get", "-t", "0", "127.0.0.1", SYS_DESCR],
        &["get", "tcp:127.0.0.1", SYS_DESCR],
        &["get", "[::1", SYS_DESCR],
        &["bulkget", "-Cz", "127.0.0.1", SYS_DESCR],
        &["set", "127.0.0.1", SYS_CONTACT, "s"],
        &["set", "127.0.0.1", SYS_CONTACT, "i", "x"],
        &["set", "127.0.0.1", SYS_CONTACT, "F", "1.5"],
        &["frobnicate"],
    ] {
        let out = snmux(args);
        let (stdout, stderr) = texts(&out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "snmux {}: {stderr}",
            args.join(" ")
        );
        assert_eq!(stdout, "");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
    assert!(snmux_ok(&["--help"]).contains("Usage: snmux <COMMAND>"));
    assert!(snmux_ok(&["set", "--help"]).contains("<OID> <TYPE> <VALUE>..."));
}

/// SNMPv3 users of [`v3_snmpd`], as the options that authenticate as them
/// (each with its own passphrases, so that a mix-up shows). authNoPriv:
/// SHA-1.
const V3_AUTH_SHA: &str = "-v3 -l authNoPriv -u v3sha -a SHA -A auth-pass-sha1";
/// authPriv: SHA-256 and AES-128.
const V3_SHA256_AES: &str =
    "-v3 -l authPriv -u v3sha256aes -a SHA-256 -A auth-pass-sha256 -x AES -X priv-pass-aes128";
/// authPriv: MD5 and AES-256 with Cisco's (Reeder's) key extension, which
/// MD5's 16-byte key needs.
const V3_MD5_AES256C: &str = "-v3 -l authPriv -u v3md5aes256c -a MD5 -A auth-pass-md5 \
                              -x AES-256-C -X priv-pass-aes256c";
/// noAuthNoPriv.
const V3_NOAUTH: &str = "-v3 -l noAuthNoPriv -u v3none";
/// authPriv and read-write: SHA-224 and AES-256 with the Blumenthal key
/// extension, which SHA-224's 28-byte key needs.
const V3_RW: &str =
    "-v3 -l authPriv -u v3rw -a SHA-224 -A auth-pass-sha224 -x AES-256 -X priv-pass-aes256";

/// An snmpd with the users of `V3_*`: read-only at their level, `v3rw`
/// read-write.
fn v3_snmpd() -> Snmpd {
    Snmpd::builder()
        .extra_config(
            "rouser v3sha auth\n\
             rouser v3sha256aes priv\n\
             rouser v3md5aes256c priv\n\
             rouser v3none noauth\n\
             rwuser v3rw priv\n",
        )
        .extra_persist(
            "createUser v3sha SHA auth-pass-sha1\n\
             createUser v3sha256aes SHA-256 auth-pass-sha256 AES priv-pass-aes128\n\
             createUser v3md5aes256c MD5 auth-pass-md5 AES-256-C priv-pass-aes256c\n\
             createUser v3none\n\
             createUser v3rw SHA-224 auth-pass-sha224 AES-256 priv-pass-aes256\n",
        )
        .start()
}

/// The words of `options`.
fn words(options: &'static str) -> Vec<&'static str> {
    options.split_whitespace().collect()
}

/// The words of `options` with the value of `flag` replaced by `value`.
fn replaced<'a>(options: &'static str, flag: &str, value: &'a str) -> Vec<&'a str> {
    let mut words = words(options);
    let at = words.iter().position(|w| *w == flag).expect(flag) + 1;
    words[at] = value;
    words
}

/// `options`, then `rest`.
fn with<'a>(options: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    [options, rest].concat()
}

/// The agent's snmpEngineID in hex, as snmpget prints it over v2c.
fn engine_id_hex(snmpd: &Snmpd) -> String {
    let id = snmpd.net_snmp_get(&["1.3.6.1.6.3.10.2.1.1.0"]);
    let octets = id[0].octets().expect("snmpEngineID is an OCTET STRING");
    octets.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn v3_get_prints_what_snmpget_prints() {
    let snmpd = v3_snmpd();
    let agent = snmpd.net_snmp_addr();
    for user in [V3_AUTH_SHA, V3_SHA256_AES, V3_MD5_AES256C, V3_NOAUTH, V3_RW] {
        let user = &words(user);
        let mut args = with(user, &[&agent]);
        args.extend(STABLE_OIDS);
        let out = assert_same("get", "snmpget", &args);
        assert_eq!(out.lines().count(), STABLE_OIDS.len(), "{out}");
        // Exceptions in place of values, as in v2c.
        let out = assert_same(
            "get",
            "snmpget",
            &with(user, &[&agent, SYS_NAME, MISSING_OBJECT, MISSING_INSTANCE]),
        );
        assert!(out.contains("= No Such Object available on this agent at this OID\n"));
    }
    // net-snmp's other spellings: `-v 3`, attached values, short level
    // names, any case, the AES-128 alias.
    for options in [
        "-v 3 -l priv -u v3sha256aes -a sha-256 -A auth-pass-sha256 -x aes-128 -X priv-pass-aes128",
        "-v3 -lAUTHPRIV -uv3md5aes256c -amd5 -Aauth-pass-md5 -xaes-256-c -Xpriv-pass-aes256c",
        "-v3 -l auth -u v3sha -a sha -A auth-pass-sha1",
    ] {
        assert_same(
            "get",
            "snmpget",
            &with(&words(options), &[&agent, SYS_DESCR, SYS_NAME]),
        );
    }
    // -u without -v is SNMPv3 (net-snmp's default version is 3).
    assert_eq!(
        snmux_ok(&["get", "-u", "v3none", &agent, SYS_NAME]),
        snmux_ok(&with(
            &["get"],
            &with(&words(V3_NOAUTH), &[&agent, SYS_NAME])
        ))
    );
    // getnext and bulkget.
    assert_same(
        "getnext",
        "snmpgetnext",
        &with(
            &words(V3_SHA256_AES),
            &[&agent, "1.3.6.1.2.1.1.4", "1.3.6.1.2.1.1.9.1.2"],
        ),
    );
    assert_same(
        "bulkget",
        "snmpbulkget",
        &with(
            &["-Cn1", "-Cr3"],
            &with(
                &words(V3_MD5_AES256C),
                &[&agent, SYS_DESCR, "1.3.6.1.2.1.1.9.1.3"],
            ),
        ),
    );
    // Over IPv6.
    if snmpd.has_ipv6() {
        let v6 = snmpd.net_snmp_addr_v6();
        assert_same(
            "get",
            "snmpget",
            &with(&words(V3_SHA256_AES), &[&v6, SYS_DESCR, SYS_NAME]),
        );
    }
}

#[test]
fn v3_walk_prints_what_snmpbulkwalk_prints() {
    let snmpd = v3_snmpd();
    let agent = snmpd.net_snmp_addr();
    for user in [V3_AUTH_SHA, V3_SHA256_AES, V3_MD5_AES256C, V3_NOAUTH] {
        let user = &words(user);
        let out = assert_same("walk", "snmpbulkwalk", &with(user, &[&agent, SYS_OR_TABLE]));
        assert!(out.lines().count() >= 10, "{out}");
        // Several requests, and the root itself.
        assert_same(
            "walk",
            "snmpbulkwalk",
            &with(&["-Cr3", "-Cip"], &with(user, &[&agent, SYS_OR_TABLE])),
        );
        // A scalar, and past the end.
        assert_same("walk", "snmpbulkwalk", &with(user, &[&agent, SYS_DESCR]));
        assert_same(
            "bulkwalk",
            "snmpbulkwalk",
            &with(user, &[&agent, PAST_THE_END]),
        );
    }
}

#[test]
fn v3_set_prints_what_snmpset_prints() {
    let snmpd = v3_snmpd();
    let agent = snmpd.net_snmp_addr();
    let out = snmux_ok(&with(
        &["set"],
        &with(&words(V3_RW), &[&agent, SYS_CONTACT, "s", "v3@example.net"]),
    ));
    assert_eq!(out, ".1.3.6.1.2.1.1.4.0 = STRING: \"v3@example.net\"\n");
    let back = snmpd.net_snmp_get(&[SYS_CONTACT]);
    assert_eq!(back[0].octets().as_deref(), Some(&b"v3@example.net"[..]));

    let bindings = [
        (WRITABLE_INTEGER, "i", "42"),
        (WRITABLE_GAUGE, "u", "7"),
        (WRITABLE_OID, "o", ".1.3.6.1.4.1.8072.3"),
        (WRITABLE_STRING, "x", "0A 1b ff"),
        (SYS_LOCATION, "s", "rack \"3\""),
    ];
    let mut args = with(&words(V3_RW), &[&agent]);
    for (oid, type_letter, value) in bindings {
        args.extend([oid, type_letter, value]);
    }
    assert_same("set", "snmpset", &args);
    let mut args = with(&words(V3_SHA256_AES), &[&agent]);
    args.extend([
        WRITABLE_INTEGER,
        WRITABLE_GAUGE,
        WRITABLE_OID,
        WRITABLE_STRING,
        SYS_LOCATION,
    ]);
    let out = assert_same("get", "snmpget", &args);
    assert!(
        out.contains(".1.3.6.1.4.1.8072.9999.1.0 = INTEGER: 42\n"),
        "{out}"
    );

    // A read-only user: noAccess, as for a read-only community.
    let line = snmux_err(&with(
        &["set"],
        &with(&words(V3_SHA256_AES), &[&agent, SYS_CONTACT, "s", "x"]),
    ));
    assert_eq!(
        line,
        format!(
            "snmux: {} returned noAccess at varbind 1 (1.3.6.1.2.1.1.4.0)",
            snmpd.addr()
        )
    );
}

#[test]
fn v3_context_and_engine_ids() {
    let snmpd = v3_snmpd();
    let agent = snmpd.net_snmp_addr();
    let engine_id = engine_id_hex(&snmpd);
    let prefixed = format!("0x{engine_id}");
    for extra in [
        &["-n", ""][..],
        &["-E", &engine_id],
        &["-E", &prefixed],
        // Checked but not used: the engine ID is discovered either way.
        &["-e", &prefixed],
        &["-e", &engine_id, "-E", &engine_id, "-n", ""],
    ] {
        assert_same(
            "get",
            "snmpget",
            &with(
                &words(V3_SHA256_AES),
                &with(extra, &[&agent, SYS_DESCR, SYS_NAME]),
            ),
        );
    }
}

#[test]
fn v3_errors_are_one_line() {
    let snmpd = v3_snmpd();
    let agent = snmpd.net_snmp_addr();
    let target = snmpd.addr();
    let get = |options: &[&str]| {
        let mut args = vec!["get", "-t", "0.3", "-r", "0"];
        args.extend_from_slice(options);
        args.extend([agent.as_str(), SYS_NAME]);
        snmux_err(&args)
    };
    let wrong_digest = format!(
        "snmux: {target}: authentication failure for user \"v3sha\" \
         (check the authentication protocol and passphrase, -a/-A)"
    );
    // Wrong passphrase, wrong protocol: usmStatsWrongDigests.
    assert_eq!(
        get(&replaced(V3_AUTH_SHA, "-A", "not-the-passphrase")),
        wrong_digest
    );
    assert_eq!(get(&replaced(V3_AUTH_SHA, "-a", "MD5")), wrong_digest);
    // usmStatsUnknownUserNames.
    assert_eq!(
        get(&["-v3", "-u", "bob"]),
        format!("snmux: {target}: unknown user name \"bob\" (check the user name, -u)")
    );
    // authPriv for an authNoPriv user: usmStatsUnsupportedSecLevels.
    let too_much = replaced(V3_AUTH_SHA, "-l", "authPriv");
    assert_eq!(
        get(&with(&too_much, &["-x", "AES", "-X", "priv-passphrase"])),
        format!(
            "snmux: {target}: unsupported security level for user \"v3sha\" \
             (check -l and the agent's configuration)"
        )
    );
    // noAuthNoPriv for an authNoPriv user: the agent's access control.
    assert_eq!(
        get(&["-v3", "-u", "v3sha"]),
        format!("snmux: {target} returned authorizationError")
    );
    // Wrong privacy passphrase or protocol: snmpd cannot parse what it
    // decrypts and drops the request.
    let timeout = format!(
        "snmux: timeout: no response from {target} after 0 retransmissions \
         (check the address and port, and the privacy protocol and passphrase, -x/-X)"
    );
    assert_eq!(
        get(&replaced(V3_SHA256_AES, "-X", "not-the-passphrase")),
        timeout
    );
    assert_eq!(get(&replaced(V3_SHA256_AES, "-x", "AES-256")), timeout);
    // A passphrase shorter than 8 characters (RFC 3414 §11.2), before
    // anything is sent.
    assert_eq!(
        get(&replaced(V3_SHA256_AES, "-X", "short")),
        "snmux: privacy passphrase (-X): USM: passphrase is 5 bytes long; \
         USM needs at least 8 (RFC 3414 §11.2)"
    );
    assert_eq!(
        get(&replaced(V3_AUTH_SHA, "-A", "")),
        "snmux: authentication passphrase (-A): USM: passphrase is 0 bytes long; \
         USM needs at least 8 (RFC 3414 §11.2)"
    );
}

#[test]
fn v3_usage_errors_exit_with_2() {
    let agent = "127.0.0.1:161";
    for (options, message) in [
        (words("-v3"), "SNMPv3 needs a user name: -u USER"),
        (
            replaced("-v 3 -u bob", "-u", ""),
            "SNMPv3 needs a user name: -u USER",
        ),
        (
            words("-v3 -u bob -l authNoPriv"),
            "-l authNoPriv needs an authentication passphrase: -A PASSPHRASE",
        ),
        (
            words("-v3 -u bob -l auth -x AES -X priv-passphrase"),
            "-l authNoPriv needs an authentication passphrase: -A PASSPHRASE",
        ),
        (
            words("-v3 -u bob -l authPriv -A auth-passphrase"),
            "-l authPriv needs a privacy passphrase (-X)",
        ),
        (
            words("-v3 -u bob -l priv -X priv-passphrase"),
            "-l authPriv needs an authentication passphrase (-A)",
        ),
        (
            words("-v3 -u bob -l authPriv"),
            "-l authPriv needs an authentication passphrase (-A) and a privacy passphrase (-X)",
        ),
        (
            words("-v3 -u bob -a SHA -A auth-passphrase"),
            "-a needs a security level: add -l authNoPriv or -l authPriv",
        ),
        (
            words("-u bob -X priv-passphrase"),
            "-X needs a security level: add -l authNoPriv or -l authPriv",
        ),
        (
            words("-v2c -u bob"),
            "-u is an SNMPv3 option; use -v3 (not -v2c) with it",
        ),
        (
            words("-v1 -n ctx"),
            "-n is an SNMPv3 option; use -v3 (not -v1) with it",
        ),
        (
            words("-v3 -u bob -l secret"),
            "invalid value 'secret' for '-l <LEVEL>'",
        ),
        (
            words("-v3 -u bob -a SHA3"),
            "invalid value 'SHA3' for '-a <PROTOCOL>'",
        ),
        (
            words("-v3 -u bob -x AES-512"),
            "invalid value 'AES-512' for '-x <PROTOCOL>'",
        ),
        (
            words("-v3 -u bob -e 0x8000"),
            "an engine ID is 5 to 32 octets; this is 2",
        ),
        (
            words("-v3 -u bob -E xyz"),
            "expected an even number of hex digits",
        ),
        (words("-v 4"), "expected 1, 2c or 3"),
    ] {
        for op in ["get", "walk"] {
            let mut args = vec![op];
            args.extend_from_slice(&options);
            args.extend([agent, SYS_DESCR]);
            let out = snmux(&args);
            let (stdout, stderr) = texts(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "snmux {}: {stderr}",
                args.join(" ")
            );
            assert_eq!(stdout, "");
            let first = stderr.lines().next().unwrap_or_default();
            assert!(
                first.starts_with("error: ") && first.contains(message),
                "snmux {}: {stderr}",
                args.join(" ")
            );
        }
    }
    let help = snmux_ok(&["get", "--help"]);
    for option in [
        "-u <USER>",
        "-l <LEVEL>",
        "-x <PROTOCOL>",
        "-X <PASSPHRASE>",
        "-E <ENGINE-ID>",
    ] {
        assert!(help.contains(option), "{option} not in:\n{help}");
    }
}

#[test]
fn every_value_type_prints_as_in_snmpget() {
    let agent = ScriptedAgent::start(Script::Table(all_types()));
    let addr = agent.addr.to_string();
    let oids: Vec<String> = all_types().iter().map(|vb| vb.oid.to_string()).collect();
    let mut args = vec!["-v2c", "-c", "public", &addr];
    args.extend(oids.iter().map(String::as_str));
    let out = assert_same("get", "snmpget", &args);
    for expected in [
        " = INTEGER: -2147483648\n",
        " = \"\"\n",
        " = STRING: \"say \\\"hi\\\" \\\\o/\"\n",
        " = STRING: \"line 1\nline 2\tend\"\n",
        " = Hex-STRING: 41 42 00 \n",
        " = NULL\n",
        " = IpAddress: 192.0.2.1\n",
        " = Timeticks: (8640000) 1 day, 0:00:00.00\n",
        " = Timeticks: (4294967295) 497 days, 2:27:52.95\n",
        " = Opaque: Float: 1.500000\n",
        " = Counter64: 18446744073709551615\n",
    ] {
        assert!(out.contains(expected), "{expected:?} not in:\n{out}");
    }
    assert_eq!(parse_net_snmp_output(&out).len(), oids.len());
    // Walks over the table; at its end the agent pads GETBULK responses
    // with endOfMibView, which net-snmp prints every time.
    let first = Oid::from_slice(&[1, 3, 6, 1, 4, 1, 99999]).to_string();
    assert_same(
        "walk",
        "snmpbulkwalk",
        &["-v2c", "-c", "public", &addr, &first],
    );
    assert_same(
        "walk",
        "snmpbulkwalk",
        &["-Cr3", "-v2c", "-c", "public", &addr, &first],
    );

    // JSON of the same: one valid object per varbind.
    let mut json_args = vec!["get", "--json"];
    json_args.extend(&args);
    let out = snmux_ok(&json_args);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")))
        .collect();
    assert_eq!(lines.len(), oids.len());
    let by_type = |t: &str| lines.iter().find(|l| l["type"] == t).expect(t).clone();
    assert_eq!(by_type("Counter64")["value"].as_u64(), Some(u64::MAX));
    assert_eq!(by_type("Opaque")["hex"], "9f78043fc00000");
    assert_eq!(by_type("Opaque")["value"].as_f64(), Some(1.5));
    assert_eq!(by_type("IpAddress")["value"], "192.0.2.1");
    let not_utf8 = lines
        .iter()
        .find(|l| l["hex"] == "c328")
        .expect("non-UTF-8 string");
    assert!(not_utf8["value"].is_null());
}

#[test]
fn walk_stops_at_a_non_increasing_oid() {
    let agent = ScriptedAgent::start(Script::Loop);
    let addr = agent.addr.to_string();
    for version in ["-v1", "-v2c"] {
        let out = snmux(&[
            "walk",
            version,
            "-t",
            "0.5",
            "-r",
            "0",
            &addr,
            "1.3.6.1.4.1.99999",
        ]);
        let (stdout, stderr) = texts(&out);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        // net-snmp also prints the offending varbind before the error.
        assert_eq!(
            stdout,
            ".1.3.6.1.4.1.99999.1 = INTEGER: 1\n.1.3.6.1.4.1.99999.1 = INTEGER: 1\n"
        );
        let line = one_error_line(&stderr);
        assert_eq!(
            line,
            format!(
                "snmux: {addr} returned OID 1.3.6.1.4.1.99999.1 after 1.3.6.1.4.1.99999.1 \
                 in a walk (not increasing)"
            )
        );
    }
}

#[test]
fn walk_that_fails_midway_prints_what_it_got() {
    let agent = ScriptedAgent::start(Script::Mute {
        table: all_types(),
        after: 1,
    });
    let addr = agent.addr.to_string();
    let out = snmux(&[
        "walk",
        "-Cr2",
        "-t",
        "0.2",
        "-r",
        "0",
        &addr,
        "1.3.6.1.4.1.99999",
    ]);
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stdout,
        ".1.3.6.1.4.1.99999.1.1 = INTEGER: -2147483648\n.1.3.6.1.4.1.99999.1.2 = \"\"\n"
    );
    assert!(
        one_error_line(&stderr).starts_with("snmux: timeout: "),
        "{stderr}"
    );
}

/// One object of every type, and strings that exercise net-snmp's rules,
/// under 1.3.6.1.4.1.99999.1, in order.
fn all_types() -> Vec<VarBind> {
    let hex_33: Vec<u8> = (0..33).collect();
    let mut double = vec![0x9f, 0x79, 8];
    double.extend_from_slice(&(-2.25f64).to_be_bytes());
    let values = vec![
        Value::Integer(i32::MIN),
        Value::from(""),
        Value::from("say \"hi\" \\o/"),
        Value::from("line 1\nline 2\tend"),
        Value::from(&b"AB\0"[..]),
        Value::from(&hex_33[..]),
        Value::from(&hex_33[..16]),
        Value::from(&[0xc3, 0x28][..]),
        Value::from("été"),
        Value::from(&[0x7f, 0xff][..]),
        Value::Null,
        Value::ObjectIdentifier(Oid::from_slice(&[1, 3, 6, 1, 4, 1, 8072, 3, 2, 10])),
        Value::IpAddress([192, 0, 2, 1].into()),
        Value::Counter32(u32::MAX),
        Value::Gauge32(0),
        Value::TimeTicks(0),
        Value::TimeTicks(8_640_000),
        Value::TimeTicks(17_280_001),
        Value::TimeTicks(u32::MAX),
        Value::Opaque(vec![0x9f, 0x78, 4, 0x3f, 0xc0, 0, 0].into()),
        Value::Opaque(double.into()),
        Value::Opaque(vec![0x9f, 0x76, 2, 0x01, 0x00].into()),
        Value::Opaque(vec![0x9f, 0x7a, 1, 0xff].into()),
        Value::Opaque(vec![0x9f, 0x7b, 3, 0x01, 0x00, 0x00].into()),
        Value::Opaque(vec![0x01, 0x02, 0x03].into()),
        Value::Counter64(u64::MAX),
        Value::Counter64(0),
    ];
    values
        .into_iter()
        .zip(1..)
        .map(|(value, i)| VarBind::new(Oid::from_slice(&[1, 3, 6, 1, 4, 1, 99999, 1, i]), value))
        .collect()
}

/// How a [`ScriptedAgent`] answers.
enum Script {
    /// GET, GETNEXT and GETBULK over a sorted table; the community is not
    /// checked.
    Table(Vec<VarBind>),
    /// Like `Table`, then no answer after `after` requests.
    Mute { table: Vec<VarBind>, after: usize },
    /// Every GETNEXT and GETBULK returns `1.3.6.1.4.1.99999.1 = 1`.
    Loop,
}

/// An SNMPv1/v2c agent on 127.0.0.1 that answers from a [`Script`], for
/// values and misbehaviour snmpd does not provide. Stops when dropped.
struct ScriptedAgent {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedAgent {
    fn start(script: Script) -> ScriptedAgent {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the scripted agent");
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("read timeout");
        let addr = socket.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let answered = AtomicUsize::new(0);
        let thread = thread::spawn({
            let stop = stop.clone();
            move || {
                let mut buf = vec![0u8; 65536];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((n, from)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    let Ok(request) = Message::decode(&buf[..n].to_vec().into()) else {
                        continue;
                    };
                    let AnyPdu::Pdu(pdu) = &request.pdu else {
                        continue;
                    };
                    if let Script::Mute { after, .. } = &script {
                        if answered.fetch_add(1, Ordering::Relaxed) >= *after {
                            continue;
                        }
                    }
                    let varbinds = answer(&script, pdu);
                    let response = Message::new(
                        request.version,
                        request.community.clone(),
                        Pdu::new(PduType::Response, pdu.request_id, varbinds),
                    );
                    let _ = socket.send_to(&response.to_bytes(), from);
                }
            }
        });
        ScriptedAgent {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for ScriptedAgent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer(script: &Script, pdu: &Pdu) -> Vec<VarBind> {
    let table = match script {
        Script::Table(table) | Script::Mute { table, .. } => table,
        Script::Loop => {
            let vb = VarBind::new(Oid::from_slice(&[1, 3, 6, 1, 4, 1, 99999, 1]), 1);
            return match pdu.pdu_type {
                PduType::GetBulkRequest => vec![vb; 3],
                _ => vec![vb],
            };
        }
    };
    let get = |oid: &Oid| {
        let value = table
            .iter()
            .find(|vb| &vb.oid == oid)
            .map_or(Value::NoSuchObject, |vb| vb.value.clone());
        VarBind::new(oid.clone(), value)
    };
    let next = |oid: &Oid| {
        table
            .iter()
            .find(|vb| &vb.oid > oid)
            .cloned()
            .unwrap_or_else(|| VarBind::new(oid.clone(), Value::EndOfMibView))
    };
    match pdu.pdu_type {
        PduType::GetRequest => pdu.varbinds.iter().map(|vb| get(&vb.oid)).collect(),
        PduType::GetNextRequest => pdu.varbinds.iter().map(|vb| next(&vb.oid)).collect(),
        PduType::GetBulkRequest => {
            let non_repeaters = usize::try_from(pdu.non_repeaters()).unwrap_or(0);
            let repetitions = usize::try_from(pdu.max_repetitions()).unwrap_or(0).min(50);
            let (first, rest) = pdu.varbinds.split_at(non_repeaters.min(pdu.varbinds.len()));
            let mut out: Vec<VarBind> = first.iter().map(|vb| next(&vb.oid)).collect();
            let mut cursors: Vec<Oid> = rest.iter().map(|vb| vb.oid.clone()).collect();
            for _ in 0..repetitions {
                for cursor in &mut cursors {
                    let vb = next(cursor);
                    *cursor = vb.oid.clone();
                    out.push(vb);
                }
            }
            out
        }
        _ => Vec::new(),
    }
}
