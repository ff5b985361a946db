//! Walks against a real net-snmp `snmpd` over loopback UDP, compared varbind
//! by varbind with what `snmpbulkwalk` and `snmpwalk` print for the same
//! agent: OIDs, types, and every value that does not change on its own.

mod support;

use std::net::{Ipv4Addr, SocketAddr};

use futures::TryStreamExt;
use snmux::{Engine, Manager, Oid, Security, Value, VarBind};

use support::{
    COMMUNITY_RO, NetSnmpVarBind, Snmpd, net_snmp, net_snmp_walk, parse_net_snmp_output,
};

/// mib-2.
const MIB_2: &str = "1.3.6.1.2.1";

// What changes by itself was found by walking one snmpd with snmpbulkwalk
// a dozen times, 5 to 7 s apart, while these tests ran beside it, diffing
// the walks, and diffing snmpbulkwalk's walk with ours. snmpd caches most
// tables for a few seconds, so two walks in a row usually agree; but a
// cache may expire between net-snmp's walk and ours at any time.

/// Subtrees left out of the comparison entirely: their *rows* (not only
/// their values) change between two walks.
const UNSTABLE_SUBTREES: &[(&str, &str)] = &[
    // The kernel's neighbour cache: entries change state (seen:
    // ipNetToPhysicalState went from reachable to stale) and expire.
    ("1.3.6.1.2.1.4.22", "ipNetToMediaTable (ARP cache)"),
    ("1.3.6.1.2.1.4.35", "ipNetToPhysicalTable (neighbour cache)"),
    // The machine's sockets: each walker's own socket (snmpbulkwalk's, our
    // engine's) and the snmpds of the other tests come and go (seen:
    // udpTable rows; the others follow the same sockets, cached longer).
    ("1.3.6.1.2.1.6.13", "tcpConnTable (sockets)"),
    ("1.3.6.1.2.1.6.19", "tcpConnectionTable (sockets)"),
    ("1.3.6.1.2.1.6.20", "tcpListenerTable (sockets)"),
    ("1.3.6.1.2.1.7.5", "udpTable (sockets)"),
    ("1.3.6.1.2.1.7.7", "udpEndpointTable (sockets)"),
    // One row per process; the walkers and the other tests' snmpds are
    // processes (seen: rows appear and disappear).
    ("1.3.6.1.2.1.25.4", "hrSWRunTable (processes)"),
    ("1.3.6.1.2.1.25.5", "hrSWRunPerfTable (processes)"),
];

/// Objects whose instances and types are stable but whose values change on
/// their own: compared by OID and type. (Every Counter32, Counter64 and
/// TimeTicks value is compared by type only as well.)
const VOLATILE_VALUES: &[(&str, &str)] = &[
    // Gauge32: TCP connections of whatever else runs on the machine.
    ("1.3.6.1.2.1.6.9", "tcpCurrEstab"),
    // Seen: the clock, to the second.
    ("1.3.6.1.2.1.25.1.2", "hrSystemDate"),
    // Gauge32: logins.
    ("1.3.6.1.2.1.25.1.5", "hrSystemNumUsers"),
    // Seen: processes come and go.
    ("1.3.6.1.2.1.25.1.6", "hrSystemProcesses"),
    // Seen: the size of the page cache and of tmpfs file systems, and
    // what is used of every storage.
    ("1.3.6.1.2.1.25.2.3.1.5", "hrStorageSize"),
    ("1.3.6.1.2.1.25.2.3.1.6", "hrStorageUsed"),
    // Seen: the load of each processor over the last minute.
    ("1.3.6.1.2.1.25.3.3.1.2", "hrProcessorLoad"),
];

/// A v2c walk of mib-2 (GETBULK, max-repetitions 10) equals snmpbulkwalk's,
/// OID by OID, type by type and value by value.
#[tokio::test]
async fn v2c_walk_of_mib_2_equals_snmpbulkwalk() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let agent = engine
        .manager(snmpd.addr(), Security::v2c(COMMUNITY_RO))
        .build();
    assert_eq!(agent.max_repetitions(), 10);

    let theirs = snmpd.net_snmp_walk(MIB_2);
    let ours = walk(&agent, MIB_2).await;
    let c = compare_walk("v2c walk, max-repetitions 10", &ours, &theirs, || {
        snmpd.net_snmp_walk(MIB_2)
    });
    // This agent has thousands of stable objects (hrSWInstalledTable alone
    // has one row per installed package).
    assert!(c.by_value >= 1000, "{c:?}");
    assert!(c.by_type_only >= 100, "{c:?}");
}

/// The same with max-repetitions 50: fewer, fuller responses.
#[tokio::test]
async fn v2c_walk_with_max_repetitions_50_equals_snmpbulkwalk() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let agent = engine
        .manager(snmpd.addr(), Security::v2c(COMMUNITY_RO))
        .max_repetitions(50)
        .build();

    let net_snmp = || {
        net_snmp_walk(&[
            "-v2c",
            "-c",
            COMMUNITY_RO,
            "-Cr50",
            &snmpd.net_snmp_addr(),
            MIB_2,
        ])
    };
    let theirs = net_snmp();
    let ours = walk(&agent, MIB_2).await;
    let c = compare_walk("v2c walk, max-repetitions 50", &ours, &theirs, net_snmp);
    assert!(c.by_value >= 1000, "{c:?}");
}

/// max-repetitions 1: one varbind per GETBULK, the walk still ends where
/// the subtree does.
#[tokio::test]
async fn v2c_walk_with_max_repetitions_1_equals_snmpbulkwalk() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let agent = engine
        .manager(snmpd.addr(), Security::v2c(COMMUNITY_RO))
        .max_repetitions(1)
        .build();

    let theirs = snmpd.net_snmp_walk(MIB_2);
    let before = engine.stats().sent;
    let ours = walk(&agent, MIB_2).await;
    let requests = engine.stats().sent - before;
    let c = compare_walk("v2c walk, max-repetitions 1", &ours, &theirs, || {
        snmpd.net_snmp_walk(MIB_2)
    });
    assert!(c.by_value >= 1000, "{c:?}");
    // One request per varbind, plus the one that leaves the subtree.
    assert_eq!(requests, ours.len() as u64 + 1);
}

/// An SNMPv1 walk (GETNEXT) equals snmpwalk -v1: the agent leaves out the
/// Counter64 objects, which SNMPv1 cannot carry.
#[tokio::test]
async fn v1_walk_of_mib_2_equals_snmpwalk() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let agent = engine
        .manager(snmpd.addr(), Security::v1(COMMUNITY_RO))
        .build();

    let net_snmp_v1 = || {
        parse_net_snmp_output(&net_snmp(
            "snmpwalk",
            &[
                "-On",
                "-Oe",
                "-v1",
                "-c",
                COMMUNITY_RO,
                &snmpd.net_snmp_addr(),
                MIB_2,
            ],
        ))
    };
    let theirs = net_snmp_v1();
    let ours = walk(&agent, MIB_2).await;
    let c = compare_walk("v1 walk", &ours, &theirs, net_snmp_v1);
    assert!(c.by_value >= 1000, "{c:?}");
    assert!(
        !ours
            .iter()
            .any(|vb| matches!(vb.value, Value::Counter64(_))),
        "Counter64 in an SNMPv1 walk"
    );
}

/// walk_get_next on SNMPv2c gives the same as the GETBULK walk (and as
/// snmpbulkwalk).
#[tokio::test]
async fn v2c_walk_get_next_equals_the_bulk_walk() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let agent = engine
        .manager(snmpd.addr(), Security::v2c(COMMUNITY_RO))
        .build();

    let theirs = snmpd.net_snmp_walk(MIB_2);
    let bulk = walk(&agent, MIB_2).await;
    let before = engine.stats().sent;
    let get_next: Vec<VarBind> = agent
        .walk_get_next(oid(MIB_2))
        .try_collect()
        .await
        .expect("walk_get_next of mib-2");
    let requests = engine.stats().sent - before;

    let again = || snmpd.net_snmp_walk(MIB_2);
    let c = compare_walk("v2c walk_get_next", &get_next, &theirs, again);
    assert!(c.by_value >= 1000, "{c:?}");
    compare_walk("v2c bulk walk", &bulk, &theirs, again);
    // Counter64 objects are there: it really was SNMPv2c.
    assert!(
        get_next
            .iter()
            .any(|vb| matches!(vb.value, Value::Counter64(_)))
    );
    // One GETNEXT per varbind plus the last one.
    assert_eq!(requests, get_next.len() as u64 + 1);
}

/// A walk of a subtree that ends before the end of the MIB (the system
/// group), of a scalar object, of one instance and of an empty subtree.
#[tokio::test]
async fn walks_of_small_and_empty_subtrees() {
    let snmpd = Snmpd::start();
    let engine = engine();
    for security in [Security::v1(COMMUNITY_RO), Security::v2c(COMMUNITY_RO)] {
        let version = security.version();
        let agent = engine.manager(snmpd.addr(), security).build();

        // The system group: ends at sysORTable, followed by the interfaces.
        let theirs = snmpd.net_snmp_walk("1.3.6.1.2.1.1");
        let ours = walk(&agent, "1.3.6.1.2.1.1").await;
        let c = compare(&format!("v{version} walk of system"), &ours, &theirs);
        assert!(c.by_value >= 10, "{c:?}");
        assert_eq!(ours.len(), theirs.len());

        // A scalar object: its one instance.
        let ours = walk(&agent, "1.3.6.1.2.1.1.1").await;
        let theirs = snmpd.net_snmp_walk("1.3.6.1.2.1.1.1");
        assert_eq!(ours.len(), 1, "{ours:?}");
        compare(&format!("v{version} walk of sysDescr"), &ours, &theirs);

        // An instance: nothing lies under it, so the walk is empty. (Without
        // -CI, snmpwalk then prints a GET of the root instead.)
        let ours = walk(&agent, "1.3.6.1.2.1.1.1.0").await;
        assert!(ours.is_empty(), "{ours:?}");
        let theirs = parse_net_snmp_output(&net_snmp(
            "snmpwalk",
            &[
                "-On",
                "-CI",
                "-v2c",
                "-c",
                COMMUNITY_RO,
                &snmpd.net_snmp_addr(),
                "1.3.6.1.2.1.1.1.0",
            ],
        ));
        assert!(theirs.is_empty(), "{theirs:?}");

        // Subtrees the agent does not implement, between two it does and
        // after the last experimental object.
        for empty in ["1.3.6.1.2.1.9999", "1.3.6.1.4.1.8072.9999.6"] {
            let ours = walk(&agent, empty).await;
            assert!(ours.is_empty(), "v{version} walk of {empty}: {ours:?}");
        }
    }
}

/// A walk that runs into the end of the agent's MIB view (the VACM tables
/// come last in this snmpd): SNMPv2c ends at endOfMibView, SNMPv1 at
/// noSuchName, and the walk yields the same varbinds as snmpbulkwalk,
/// which prints the endOfMibView varbind after them.
#[tokio::test]
async fn walk_to_the_end_of_the_mib_view() {
    const VACM_MIB: &str = "1.3.6.1.6.3.16";
    let snmpd = Snmpd::start();
    let engine = engine();
    let mut theirs = snmpd.net_snmp_walk(VACM_MIB);
    let last = theirs.pop().expect("snmpbulkwalk of vacmMIB");
    assert_eq!(last.type_name, "endOfMibView", "{last:?}");
    assert!(!theirs.iter().any(NetSnmpVarBind::is_exception));

    for security in [Security::v1(COMMUNITY_RO), Security::v2c(COMMUNITY_RO)] {
        let version = security.version();
        let agent = engine.manager(snmpd.addr(), security).build();
        let ours = walk(&agent, VACM_MIB).await;
        let c = compare(&format!("v{version} walk of vacmMIB"), &ours, &theirs);
        assert!(c.by_value >= 50, "{c:?}");
        let ours: Vec<VarBind> = agent
            .walk_get_next(oid(VACM_MIB))
            .try_collect()
            .await
            .expect("walk_get_next of vacmMIB");
        compare(
            &format!("v{version} walk_get_next of vacmMIB"),
            &ours,
            &theirs,
        );
    }
}

/// The writable scalars of the harness, walked: the walk yields exactly the
/// five objects of the subtree, in order, with their configured values.
#[tokio::test]
async fn walk_of_the_harness_scalars() {
    let snmpd = Snmpd::start();
    let engine = engine();
    let agent = engine
        .manager(snmpd.addr(), Security::v2c(COMMUNITY_RO))
        .build();
    let ours = walk(&agent, "1.3.6.1.4.1.8072.9999").await;
    let want = vec![
        VarBind::new(oid(support::WRITABLE_INTEGER), 0),
        VarBind::new(oid(support::WRITABLE_STRING), "snmux"),
        VarBind::new(oid(support::WRITABLE_GAUGE), Value::Gauge32(0)),
        VarBind::new(oid(support::WRITABLE_OID), oid("1.3.6.1.4.1.8072")),
        VarBind::new(oid(support::READ_ONLY_INTEGER), 5),
    ];
    assert_eq!(ours, want);
    compare(
        "walk of 8072.9999",
        &ours,
        &snmpd.net_snmp_walk("1.3.6.1.4.1.8072.9999"),
    );
}

/// What a comparison did, for the assertions and the test output.
#[derive(Debug, Default)]
struct Comparison {
    /// Varbinds in our walk.
    total: usize,
    /// OID, type and value equal.
    by_value: usize,
    /// OID and type equal; the value changes by itself (counters, time,
    /// [`VOLATILE_VALUES`]).
    by_type_only: usize,
    /// In [`UNSTABLE_SUBTREES`]: ours.
    excluded_ours: usize,
    /// In [`UNSTABLE_SUBTREES`]: net-snmp's.
    excluded_theirs: usize,
}

/// Compares our walk of mib-2 with net-snmp's as [`compare`] does; if they
/// differ, walks again with net-snmp (`again`) up to twice. snmpd refreshes
/// its cached tables every few seconds, at any moment: a refresh between
/// net-snmp's walk and ours changes a value in one of them (seen once,
/// under heavy load). A difference that is ours stays whatever net-snmp
/// returns, so it still fails.
fn compare_walk(
    what: &str,
    ours: &[VarBind],
    theirs: &[NetSnmpVarBind],
    again: impl Fn() -> Vec<NetSnmpVarBind>,
) -> Comparison {
    let mut result = try_compare(what, ours, theirs);
    for attempt in 2..=3 {
        let Err(differences) = &result else { break };
        eprintln!(
            "{what}: attempt {} differed, walking again with net-snmp:\n{differences}",
            attempt - 1
        );
        result = try_compare(what, ours, &again());
    }
    result.unwrap_or_else(|differences| panic!("{differences}"))
}

/// Compares our varbinds with net-snmp's, in order, leaving out
/// [`UNSTABLE_SUBTREES`]; panics with every difference.
fn compare(what: &str, ours: &[VarBind], theirs: &[NetSnmpVarBind]) -> Comparison {
    try_compare(what, ours, theirs).unwrap_or_else(|differences| panic!("{differences}"))
}

fn try_compare(
    what: &str,
    ours: &[VarBind],
    theirs: &[NetSnmpVarBind],
) -> Result<Comparison, String> {
    let mut c = Comparison {
        total: ours.len(),
        ..Comparison::default()
    };
    let ours: Vec<&VarBind> = ours
        .iter()
        .filter(|vb| unstable(&vb.oid.to_string()).is_none())
        .collect();
    let theirs_total = theirs.len();
    let theirs: Vec<&NetSnmpVarBind> = theirs
        .iter()
        .filter(|vb| unstable(&vb.oid).is_none())
        .collect();
    c.excluded_ours = c.total - ours.len();
    c.excluded_theirs = theirs_total - theirs.len();

    let mut differences = Vec::new();
    for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
        match compare_one(o, t) {
            Ok(true) => c.by_value += 1,
            Ok(false) => c.by_type_only += 1,
            Err(why) => {
                differences.push(format!("#{i}: {why}\n  ours:    {o:?}\n  net-snmp: {t:?}"))
            }
        }
    }
    if ours.len() != theirs.len() {
        let n = ours.len().min(theirs.len());
        differences.push(format!(
            "{} varbinds compared, net-snmp {}; first extra: ours {:?}, net-snmp {:?}",
            ours.len(),
            theirs.len(),
            ours.get(n),
            theirs.get(n)
        ));
    }
    eprintln!(
        "{what}: {} varbinds, {} compared by value, {} by OID and type only, {} excluded (unstable subtrees; net-snmp had {})",
        c.total, c.by_value, c.by_type_only, c.excluded_ours, c.excluded_theirs
    );
    if differences.is_empty() {
        return Ok(c);
    }
    Err(format!(
        "{what}: {} differences from net-snmp:\n{}",
        differences.len(),
        differences
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    ))
}

/// Compares one varbind: `Ok(true)` if equal by value, `Ok(false)` if equal
/// by OID and type and the value is volatile.
fn compare_one(ours: &VarBind, theirs: &NetSnmpVarBind) -> Result<bool, String> {
    let oid = ours.oid.to_string();
    if oid != theirs.oid {
        return Err("different OIDs".to_owned());
    }
    let same_type = match &ours.value {
        // net-snmp prints octet strings with bytes that are neither
        // printable nor white space in hex.
        Value::OctetString(_) => matches!(theirs.type_name.as_str(), "STRING" | "Hex-STRING"),
        v => v.type_name() == theirs.type_name,
    };
    if !same_type {
        return Err("different types".to_owned());
    }
    let volatile = VOLATILE_VALUES
        .iter()
        .any(|(prefix, _)| under(&oid, prefix));
    let equal = match &ours.value {
        Value::Counter32(_) | Value::Counter64(_) | Value::TimeTicks(_) => return Ok(false),
        _ if volatile => return Ok(false),
        Value::Integer(v) => theirs.value.parse::<i32>().ok() == Some(*v),
        Value::Gauge32(v) => theirs.value.parse::<u32>().ok() == Some(*v),
        Value::OctetString(b) => theirs.octets().as_deref() == Some(&b[..]),
        Value::ObjectIdentifier(o) => theirs.value == o.to_string(),
        Value::IpAddress(ip) => theirs.value.parse::<Ipv4Addr>().ok() == Some(*ip),
        Value::Null => theirs.value.is_empty(),
        // Opaque: net-snmp decodes the wrapped value; the exceptions carry
        // none.
        Value::Opaque(_) | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {
            return Ok(false);
        }
    };
    if equal {
        Ok(true)
    } else {
        Err("different values".to_owned())
    }
}

/// The unstable subtree `oid` is in, if any.
fn unstable(oid: &str) -> Option<&'static str> {
    UNSTABLE_SUBTREES
        .iter()
        .find(|(prefix, _)| under(oid, prefix))
        .map(|(_, name)| *name)
}

/// Whether dotted `oid` is `prefix` or under it.
fn under(oid: &str, prefix: &str) -> bool {
    oid.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

async fn walk(agent: &Manager, root: &str) -> Vec<VarBind> {
    agent
        .walk(oid(root))
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("walk of {root}: {e}"))
}

fn engine() -> Engine {
    Engine::bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))).expect("bind 0.0.0.0:0")
}

fn oid(s: &str) -> Oid {
    s.parse().expect("literal OID")
}
