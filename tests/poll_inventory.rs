//! Inventory files: hosts, prefixes and ranges, ports, credentials,
//! defaults, what to collect; and errors that name the file, the target and
//! the field.

use std::net::SocketAddr;
use std::time::Duration;

use snmux::poll::{Error, InvalidField, Inventory, Job, PduProfile};
use snmux::{Security, Version, oid};

fn parse(text: &str) -> Result<Inventory, Error> {
    Inventory::parse(text, "racks.toml")
}

fn addrs(inv: &Inventory) -> Vec<String> {
    inv.targets.iter().map(|t| t.addr().to_string()).collect()
}

/// The error's table, field and reason; panics on another kind of error.
fn field_error(text: &str) -> (String, String, InvalidField) {
    match parse(text) {
        Err(Error::Inventory(e)) => {
            assert_eq!(e.file.to_str(), Some("racks.toml"));
            let message = Error::Inventory(e.clone()).to_string();
            assert!(
                message.starts_with(&format!("racks.toml: {}: {}: ", e.target, e.field)),
                "{message}"
            );
            (e.target, e.field, e.reason)
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}

#[test]
fn hosts_prefixes_ranges_and_ports() {
    let inv = parse(
        r#"
        [[target]]
        hosts = ["10.0.0.0/30", "10.0.0.250-10.0.1.1", "192.0.2.7", "[2001:db8::1]", "2001:db8::10/127", "localhost"]
        walk = ["1.3.6.1.2.1.1"]

        [[target]]
        host = "127.0.0.1"
        port = "20000-20002"
        get = ["1.3.6.1.2.1.1.5.0"]

        [[target]]
        hosts = ["10.9.0.4/31", "10.9.0.9/32"]
        port = 1161
        get = ["1.3.6.1.2.1.1.5.0"]
        "#,
    )
    .unwrap();
    let localhost: SocketAddr = ("localhost", 161)
        .to_socket_addrs_first()
        .expect("localhost resolves");
    assert_eq!(
        addrs(&inv),
        [
            // A /30 without its network and broadcast addresses.
            "10.0.0.1:161",
            "10.0.0.2:161",
            // A range across an octet boundary, both ends included.
            "10.0.0.250:161",
            "10.0.0.251:161",
            "10.0.0.252:161",
            "10.0.0.253:161",
            "10.0.0.254:161",
            "10.0.0.255:161",
            "10.0.1.0:161",
            "10.0.1.1:161",
            "192.0.2.7:161",
            "[2001:db8::1]:161",
            "[2001:db8::10]:161",
            "[2001:db8::11]:161",
            &localhost.to_string(),
            "127.0.0.1:20000",
            "127.0.0.1:20001",
            "127.0.0.1:20002",
            // /31 and /32 keep every address.
            "10.9.0.4:1161",
            "10.9.0.5:1161",
            "10.9.0.9:1161",
        ]
    );
    // Named after their address, SNMPv2c "public" by default.
    assert_eq!(&**inv.targets[0].name(), "10.0.0.1:161");
    assert!(matches!(
        inv.targets[0].security(),
        Security::V2c { community } if &community[..] == b"public"
    ));
    assert_eq!(inv.interval, None);
}

trait FirstAddr {
    fn to_socket_addrs_first(&self) -> Option<SocketAddr>;
}

impl FirstAddr for (&str, u16) {
    fn to_socket_addrs_first(&self) -> Option<SocketAddr> {
        std::net::ToSocketAddrs::to_socket_addrs(self).ok()?.next()
    }
}

#[test]
fn defaults_sets_profiles_and_overrides() {
    let inv = parse(
        r#"
        [poller]
        interval = "30s"
        max_in_flight = 256

        [defaults]
        version = "1"
        community = "ops"
        timeout = "500ms"
        retries = 2
        get = ["system"]

        [sets]
        system = ["1.3.6.1.2.1.1.5.0", ".1.3.6.1.2.1.1.3.0"]

        [[target]]
        name = "pdu-a"
        host = "10.0.0.1"
        profile = "apc-rpdu"
        max_repetitions = 25
        max_in_flight = 1
        min_gap = "50ms"
        breaker_failures = 5
        breaker_cooldown = "2m"

        [[target]]
        name = "row"
        hosts = ["10.0.0.2-10.0.0.3"]
        version = "2c"
        get = ["system", "1.3.6.1.2.1.1.1.0"]
        walk = ["1.3.6.1.2.1.2.2.1.2"]
        "#,
    )
    .unwrap();
    assert_eq!(inv.interval, Some(Duration::from_secs(30)));
    assert_eq!(inv.max_in_flight, Some(256));
    let [a, b, c] = &inv.targets[..] else {
        panic!("{:?}", inv.targets);
    };
    assert_eq!(&**a.name(), "pdu-a");
    assert_eq!(a.security().version(), Version::V1);
    let o = a.options();
    assert_eq!(
        (o.timeout, o.refresh),
        (Duration::from_millis(1500), Duration::from_millis(500))
    );
    assert_eq!((o.max_repetitions, o.max_in_flight), (25, 1));
    assert_eq!(o.min_gap, Duration::from_millis(50));
    assert_eq!(
        (o.breaker.failures, o.breaker.cooldown),
        (5, Duration::from_secs(120))
    );
    // The defaults' GET set, then the profile's columns.
    let names: Vec<&str> = a.jobs().iter().map(|j| &**j.name()).collect();
    assert_eq!(
        names,
        [
            "system",
            "rPDUOutletStatusOutletState",
            "rPDUOutletStatusLoad"
        ]
    );
    assert_eq!(
        a.jobs()[0],
        Job::Get {
            name: "system".into(),
            oids: vec![
                oid!(1, 3, 6, 1, 2, 1, 1, 5, 0),
                oid!(1, 3, 6, 1, 2, 1, 1, 3, 0)
            ],
        }
    );
    assert_eq!(a.jobs().len(), 1 + PduProfile::ApcRpdu.columns().len());

    // A table of several targets names them name/address.
    assert_eq!(&**b.name(), "row/10.0.0.2:161");
    assert_eq!(&**c.name(), "row/10.0.0.3:161");
    assert!(matches!(b.security(), Security::V2c { community } if &community[..] == b"ops"));
    let names: Vec<&str> = b.jobs().iter().map(|j| &**j.name()).collect();
    assert_eq!(
        names,
        ["system", "1.3.6.1.2.1.1.1.0", "walk 1.3.6.1.2.1.2.2.1.2"]
    );
    // Defaults: 1 s per try, 4 retries.
    assert_eq!(b.options().max_in_flight, 2);
    assert_eq!(b.options().timeout, Duration::from_millis(1500));
}

#[test]
fn communities_on_one_port_and_snmpv3() {
    let inv = parse(
        r#"
        [[target]]
        host = "127.0.0.1"
        port = 1161
        communities = ["UPS/apc-7902b", "pdu-0001"]
        walk = ["1.3.6.1.2.1.1"]

        [[target]]
        host = "127.0.0.1"
        user = "ops"
        level = "priv"
        auth_protocol = "sha-256"
        auth_passphrase = "auth passphrase"
        privacy_protocol = "AES"
        privacy_passphrase = "privacy passphrase"
        context = "bridge1"
        walk = ["1.3.6.1.2.1.1"]

        [[target]]
        host = "127.0.0.1"
        version = 3
        user = "monitor"
        level = "authNoPriv"
        auth_passphrase = "auth passphrase"
        walk = ["1.3.6.1.2.1.1"]
        "#,
    )
    .unwrap();
    let names: Vec<&str> = inv.targets.iter().map(|t| &**t.name()).collect();
    assert_eq!(
        names,
        [
            "UPS/apc-7902b",
            "pdu-0001",
            "127.0.0.1:161",
            "127.0.0.1:161"
        ]
    );
    assert!(matches!(
        inv.targets[0].security(),
        Security::V2c { community } if &community[..] == b"UPS/apc-7902b"
    ));
    for t in &inv.targets[2..] {
        assert_eq!(t.security().version(), Version::V3);
        let Security::V3(user) = t.security() else {
            panic!()
        };
        assert!(format!("{user:?}").contains("auth"));
        // Passphrases are never printed.
        assert!(!format!("{t:?}").contains("passphrase"), "{t:?}");
    }
}

#[test]
fn errors_name_the_file_the_target_and_the_field() {
    let base = "\n[[target]]\nname = \"pdu-a\"\nhost = \"10.0.0.1\"\nwalk = [\"1.3.6.1.2.1.1\"]\n";
    let with = |extra: &str| format!("{base}{extra}\n");

    let (target, field, reason) = field_error(&with("port = 0"));
    assert_eq!(
        (target.as_str(), field.as_str()),
        ("target[0] (name \"pdu-a\")", "port")
    );
    assert_eq!(reason, InvalidField::Port("0".into()));

    let (_, field, reason) = field_error(&with("version = \"2\""));
    assert_eq!(
        (field.as_str(), reason),
        ("version", InvalidField::Version("2".into()))
    );

    let (_, field, reason) = field_error(&with("timeout = \"soon\""));
    assert_eq!(
        (field.as_str(), reason),
        ("timeout", InvalidField::Duration("soon".into()))
    );

    let (_, field, reason) = field_error(&with("max_in_flight = 0"));
    assert_eq!(field, "max_in_flight");
    assert!(matches!(reason, InvalidField::OutOfRange { value: 0, .. }));

    let (_, field, reason) = field_error(&with("profile = \"apc\""));
    assert_eq!(field, "profile");
    assert!(matches!(reason, InvalidField::Name { ref value, .. } if value == "apc"));

    let (_, field, reason) = field_error(&with("get = [\"sytem\"]"));
    assert_eq!(
        (field.as_str(), reason),
        ("get", InvalidField::UnknownSet("sytem".into()))
    );

    let (_, field, reason) = field_error(&with("user = \"ops\"\nversion = \"2c\""));
    assert_eq!(field, "user");
    assert!(matches!(reason, InvalidField::NotHere(_)));

    let (_, field, reason) = field_error(&with("user = \"ops\"\nlevel = \"auth\""));
    assert_eq!(
        (field.as_str(), reason),
        ("auth_passphrase", InvalidField::Missing)
    );

    let (_, field, reason) = field_error(&with(
        "user = \"ops\"\nlevel = \"auth\"\nauth_passphrase = \"short\"",
    ));
    assert_eq!(field, "auth_passphrase");
    assert!(matches!(reason, InvalidField::Usm(_)));

    let (_, field, reason) = field_error(&with(
        "user = \"ops\"\nauth_protocol = \"SHA\"\nauth_passphrase = \"long enough\"",
    ));
    assert_eq!(field, "auth_protocol");
    assert!(matches!(reason, InvalidField::NotHere(_)));

    let (_, field, reason) = field_error(&with(
        "user = \"ops\"\nlevel = \"auth\"\nauth_protocol = \"SHA3\"",
    ));
    assert_eq!(field, "auth_protocol");
    assert!(matches!(reason, InvalidField::Name { .. }));

    // Hosts, prefixes and ranges.
    for (hosts, want) in [
        (
            "10.0.0.0/8",
            InvalidField::TooManyAddresses {
                count: 16_777_214,
                max: 65_536,
            },
        ),
        (
            "10.0.0.9-10.0.0.1",
            InvalidField::Range("10.0.0.9-10.0.0.1".into()),
        ),
        (
            "10.0.0.1-2001:db8::1",
            InvalidField::Range("10.0.0.1-2001:db8::1".into()),
        ),
        ("10.0.0.0/33", InvalidField::Host("10.0.0.0/33".into())),
        (
            "no-such-host.invalid",
            InvalidField::Host("no-such-host.invalid".into()),
        ),
    ] {
        let text = format!("[[target]]\nhosts = [\"{hosts}\"]\nwalk = [\"1.3.6\"]\n");
        let (target, field, reason) = field_error(&text);
        assert_eq!(field, "hosts", "{hosts}");
        assert!(target.starts_with("target[0]"), "{target}");
        assert_eq!(reason, want, "{hosts}");
    }

    let (target, field, reason) = field_error("[[target]]\nhost = \"10.0.0.1\"\n");
    assert_eq!(
        (target.as_str(), field.as_str()),
        ("target[0] (host \"10.0.0.1\")", "get")
    );
    assert_eq!(reason, InvalidField::NothingToCollect);

    let (target, field, reason) = field_error("[[target]]\nwalk = [\"1.3.6\"]\n");
    assert_eq!(
        (target.as_str(), field.as_str(), reason),
        ("target[0]", "hosts", InvalidField::Missing)
    );

    let (target, field, _) = field_error("[defaults]\nhosts = [\"10.0.0.1\"]\n");
    assert_eq!((target.as_str(), field.as_str()), ("defaults", "hosts"));

    let (target, field, reason) = field_error("[sets]\nsystem = [\"1.3.x\"]\n");
    assert_eq!((target.as_str(), field.as_str()), ("sets.system", "oids"));
    assert_eq!(reason, InvalidField::Oid("1.3.x".into()));

    let (target, field, _) = field_error("[poller]\ninterval = \"often\"\n");
    assert_eq!((target.as_str(), field.as_str()), ("poller", "interval"));
}

#[test]
fn syntax_errors_and_unknown_fields_give_the_line() {
    let err = parse("[[target]]\nhost = \"10.0.0.1\"\ncomunity = \"x\"\n").unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Syntax { .. }));
    assert!(message.starts_with("racks.toml: "), "{message}");
    assert!(message.contains("line 3"), "{message}");
    assert!(message.contains("comunity"), "{message}");

    let err = parse("[[target]\n").unwrap_err();
    assert!(matches!(err, Error::Syntax { .. }), "{err}");

    let err = parse("[[target]]\nhost = \"10.0.0.1\"\nretries = \"many\"\n").unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");

    let err = Inventory::load("/nonexistent/racks.toml").unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    assert!(
        err.to_string().starts_with("/nonexistent/racks.toml: "),
        "{err}"
    );
}

#[test]
fn an_inventory_file_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.toml");
    std::fs::write(
        &path,
        "[[target]]\nhost = \"127.0.0.1\"\nport = 16161\nprofile = \"sentry4\"\n",
    )
    .unwrap();
    let inv = Inventory::load(&path).unwrap();
    assert_eq!(addrs(&inv), ["127.0.0.1:16161"]);
    assert_eq!(
        inv.targets[0].jobs().len(),
        PduProfile::Sentry4.columns().len()
    );
}
