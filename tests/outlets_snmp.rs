//! SNMP outlets against a real net-snmp snmpd: writable INTEGER objects
//! (`override -rw`) stand in for outlets, switched over SNMPv3 with
//! authentication and privacy, SNMPv2c and SNMPv1; Jumpstarter `SNMPServer`
//! configurations; confirmation, error statuses, missing objects,
//! timeouts, readings.

mod support;

use std::sync::Arc;
use std::time::Duration;

use snmux::outlets::config::{LabConfig, SnmpServerConfig};
use snmux::outlets::snmp::{Profile, SnmpOutlet};
use snmux::outlets::{Action, Error, OutletState, PowerOutlet};
use snmux::{Engine, ErrorStatus, Manager, Security};
use support::Snmpd;

/// `1.3.6.1.4.1.8072.9999.10.N`, N = 1..=4: the outlets, initially off.
const OUTLETS: &str = "1.3.6.1.4.1.8072.9999.10";
/// `…9999.11.N`: a state object that never changes (for NotApplied).
const STUCK: &str = "1.3.6.1.4.1.8072.9999.11";
/// `…9999.16.N`: a state object that always reads on (a PDU that ignores
/// its reboot command).
const ALWAYS_ON: &str = "1.3.6.1.4.1.8072.9999.16";

fn snmpd() -> Snmpd {
    let mut config = String::new();
    for n in 1..=4 {
        config.push_str(&format!("override -rw {OUTLETS}.{n} integer 0\n"));
        config.push_str(&format!("override {STUCK}.{n} integer 0\n"));
        config.push_str(&format!("override {ALWAYS_ON}.{n} integer 1\n"));
    }
    // Readings: 2305 tenths of V, 5 tenths of A... and an unmeasured -1.
    config.push_str("override 1.3.6.1.4.1.8072.9999.12.1 integer 2305\n");
    config.push_str("override 1.3.6.1.4.1.8072.9999.13.1 integer 5\n");
    config.push_str("override 1.3.6.1.4.1.8072.9999.14.1 integer -1\n");
    config.push_str("override -rw 1.3.6.1.4.1.8072.9999.15.1 integer 5\n");
    config.push_str("rwuser v3sha256aes priv\nrwuser v3md5 auth\n");
    Snmpd::builder()
        .extra_config(&config)
        .extra_persist(
            "createUser v3sha256aes SHA-256 auth-passphrase-256 AES priv-passphrase-aes\n\
             createUser v3md5 MD5 auth-passphrase-md5\n",
        )
        .start()
}

/// The outlet object's value, as net-snmp reads it.
fn value(snmpd: &Snmpd, n: u32) -> String {
    snmpd.net_snmp_get(&[&format!("{OUTLETS}.{n}")])[0]
        .value
        .clone()
}

/// An engine on a free loopback port.
fn engine() -> Engine {
    Engine::bind("127.0.0.1:0".parse().unwrap()).unwrap()
}

/// A manager of `snmpd` with an SNMPv2c `community`.
fn v2c(engine: &Engine, snmpd: &Snmpd, community: &'static str) -> Manager {
    engine
        .manager(snmpd.addr(), Security::v2c(community))
        .build()
}

/// Outlet 1 of `profile`, read back for 600 ms after a switch.
fn impatient(pdu: Manager, profile: Arc<Profile>) -> SnmpOutlet {
    SnmpOutlet::builder(pdu, profile, "1")
        .confirm_timeout(Duration::from_millis(600))
        .poll_interval(Duration::from_millis(100))
        .build()
        .unwrap()
}

fn jumpstarter(snmpd: &Snmpd, yaml: &str) -> SnmpServerConfig {
    let yaml = format!(
        "host: 127.0.0.1\nport: {}\noid: {OUTLETS}\n{yaml}",
        snmpd.port()
    );
    serde_yaml::from_str(&yaml).unwrap()
}

#[tokio::test]
async fn jumpstarter_config_auth_priv_switches_and_reads_state() {
    let snmpd = snmpd();
    let engine = engine();
    let config = jumpstarter(
        &snmpd,
        "user: v3sha256aes\nplug: 2\nauth_protocol: SHA-256\nauth_key: auth-passphrase-256\n\
         priv_protocol: AES\npriv_key: priv-passphrase-aes\n",
    );
    let outlet = config.outlet(&engine, "power").await.unwrap();
    assert_eq!(outlet.state().await.unwrap(), OutletState::Off);
    outlet.on().await.unwrap();
    assert_eq!(value(&snmpd, 2), "1");
    assert_eq!(outlet.state().await.unwrap(), OutletState::On);
    outlet.off().await.unwrap();
    assert_eq!(value(&snmpd, 2), "0");
    // No reboot command in a single-object profile: off, wait, on.
    outlet.cycle(Some(Duration::from_millis(10))).await.unwrap();
    assert_eq!(value(&snmpd, 2), "1");
    assert_eq!(value(&snmpd, 1), "0");
}

#[tokio::test]
async fn jumpstarter_config_auth_no_priv() {
    let snmpd = snmpd();
    let engine = engine();
    let config = jumpstarter(
        &snmpd,
        "user: v3md5\nplug: 3\nauth_protocol: MD5\nauth_key: auth-passphrase-md5\n",
    );
    let outlet = config.outlet(&engine, "power").await.unwrap();
    outlet.on().await.unwrap();
    assert_eq!(value(&snmpd, 3), "1");
}

#[tokio::test]
async fn wrong_passphrase_is_an_authentication_error() {
    let snmpd = snmpd();
    let engine = engine();
    let config = jumpstarter(
        &snmpd,
        "user: v3md5\nplug: 3\nauth_protocol: MD5\nauth_key: not-the-passphrase\n",
    );
    let e = config
        .outlet(&engine, "power")
        .await
        .unwrap()
        .on()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Authentication { .. }), "{e}");
    let config = jumpstarter(&snmpd, "user: nobody\nplug: 3\n");
    let e = config
        .outlet(&engine, "power")
        .await
        .unwrap()
        .on()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Authentication { .. }), "{e}");
    assert_eq!(value(&snmpd, 3), "0");
}

#[tokio::test]
async fn lab_file_v2c_group_switches_every_outlet() {
    let snmpd = snmpd();
    let yaml = format!(
        r#"
profiles:
  relay:
    control: {{ oid: "{OUTLETS}.*", on: 1, off: 0 }}
    state: {{ oid: "{OUTLETS}.*", on: [1], off: [0] }}
pdus:
  rack: {{ driver: snmp, host: 127.0.0.1, port: {port}, profile: relay, community: private }}
  rack-v1: {{ driver: snmp, host: 127.0.0.1, port: {port}, profile: relay, version: "1" }}
outlets:
  a: {{ pdu: rack, outlet: 1 }}
  b: {{ pdu: rack, outlet: 2 }}
  c: {{ pdu: rack-v1, outlet: 3 }}
groups:
  all: [a, b, c, "rack:4"]
"#,
        port = snmpd.port()
    );
    let engine = engine();
    let lab = LabConfig::from_yaml(&yaml)
        .unwrap()
        .build(&engine)
        .await
        .unwrap();
    let group = lab.select(&["all"]).unwrap();
    for (name, result) in group.switch(Action::On).await {
        result.unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for n in 1..=4 {
        assert_eq!(value(&snmpd, n), "1", "outlet {n}");
    }
    for (name, state) in group.states().await {
        assert_eq!(state.unwrap(), OutletState::On, "{name}");
    }
}

fn relay(state: &str) -> Arc<Profile> {
    Arc::new(
        serde_yaml::from_str(&format!(
            r#"
control: {{ oid: "{OUTLETS}.*", on: 1, off: 0 }}
state: {{ oid: "{state}.*", on: [1], off: [0], pending: [3] }}
readings:
  voltage: {{ oid: "1.3.6.1.4.1.8072.9999.12.1", scale: 0.1 }}
  current: {{ oid: "1.3.6.1.4.1.8072.9999.13.*", scale: 0.1 }}
  active_power: {{ oid: "1.3.6.1.4.1.8072.9999.14.*" }}
"#
        ))
        .unwrap(),
    )
}

#[tokio::test]
async fn accepted_but_not_changed_is_not_applied() {
    let snmpd = snmpd();
    let engine = engine();
    let pdu = v2c(&engine, &snmpd, "private");
    let outlet = impatient(pdu, relay(STUCK));
    let e = outlet.on().await.unwrap_err();
    match e {
        Error::NotApplied {
            wanted,
            last,
            waited,
            outlet,
            ..
        } => {
            assert_eq!((wanted, last), (OutletState::On, OutletState::Off));
            assert!(waited >= Duration::from_millis(600), "{waited:?}");
            assert_eq!(outlet, "1");
        }
        other => panic!("{other}"),
    }
    // The SET itself went through.
    assert_eq!(value(&snmpd, 1), "1");
}

#[tokio::test]
async fn a_reboot_the_pdu_ignores_is_not_observed() {
    let snmpd = snmpd();
    let engine = engine();
    let pdu = v2c(&engine, &snmpd, "private");
    // The PDU takes the reboot command (2) and its outlet stays on.
    let profile: Profile = serde_yaml::from_str(&format!(
        r#"
control: {{ oid: "{OUTLETS}.*", on: 1, off: 0, cycle: 2 }}
state: {{ oid: "{ALWAYS_ON}.*", on: [1], off: [0] }}
"#
    ))
    .unwrap();
    let outlet = impatient(pdu, Arc::new(profile));
    match outlet.cycle(None).await.unwrap_err() {
        Error::CycleNotObserved { outlet, waited, .. } => {
            assert_eq!(outlet, "1");
            assert!(waited >= Duration::from_millis(600), "{waited:?}");
        }
        other => panic!("{other}"),
    }
    // The SET went through.
    assert_eq!(value(&snmpd, 1), "2");
}

#[tokio::test]
async fn read_only_community_is_an_error_status_with_the_oid() {
    let snmpd = snmpd();
    let engine = engine();
    let pdu = v2c(&engine, &snmpd, "public");
    let outlet = SnmpOutlet::builder(pdu, relay(OUTLETS), "2")
        .build()
        .unwrap();
    let e = outlet.on().await.unwrap_err();
    match &e {
        Error::ErrorStatus { status, oid, .. } => {
            assert_eq!(*status, ErrorStatus::NoAccess, "{e}");
            assert_eq!(oid.as_ref().unwrap().to_string(), format!("{OUTLETS}.2"));
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains(&format!("{OUTLETS}.2")), "{e}");
}

#[tokio::test]
async fn missing_outlet_and_unknown_values() {
    let snmpd = snmpd();
    let engine = engine();
    let pdu = v2c(&engine, &snmpd, "private");
    let outlet = SnmpOutlet::builder(pdu.clone(), relay(OUTLETS), "9")
        .build()
        .unwrap();
    let e = outlet.state().await.unwrap_err();
    assert!(matches!(e, Error::NoSuchObject { .. }), "{e}");
    // SNMPv1 says noSuchName: the same error.
    let v1 = engine
        .manager(snmpd.addr(), Security::v1("private"))
        .build();
    let e = SnmpOutlet::builder(v1, relay(OUTLETS), "9")
        .build()
        .unwrap()
        .state()
        .await
        .unwrap_err();
    assert!(matches!(e, Error::NoSuchObject { .. }), "{e}");
    // A state value the profile does not map.
    let odd = SnmpOutlet::builder(pdu, relay("1.3.6.1.4.1.8072.9999.15"), "1")
        .build()
        .unwrap();
    assert_eq!(odd.state().await.unwrap(), OutletState::Unknown);
}

#[tokio::test]
async fn readings_are_scaled_and_unmeasured_is_none() {
    let snmpd = snmpd();
    let engine = engine();
    let pdu = v2c(&engine, &snmpd, "public");
    let outlet = SnmpOutlet::builder(pdu, relay(OUTLETS), "1")
        .build()
        .unwrap();
    let r = outlet.measure().await.unwrap();
    assert_eq!(r.voltage, Some(230.5));
    assert_eq!(r.current, Some(0.5));
    assert_eq!(r.active_power, None);
    assert_eq!(r.apparent_power(), Some(115.25));
    assert_eq!(
        r.to_string(),
        "voltage=230.5 V  current=0.5 A  apparent_power=115.25 VA"
    );
    use futures::StreamExt;
    let readings: Vec<_> = outlet
        .read(Duration::from_millis(10))
        .take(3)
        .collect()
        .await;
    assert!(
        readings
            .iter()
            .all(|r| r.as_ref().unwrap().voltage == Some(230.5))
    );
}

#[tokio::test]
async fn no_agent_is_a_timeout() {
    // Bound, and never read, for the whole test: were it let go, another
    // test's agent could take the port (one did, and answered).
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let engine = engine();
    let pdu = engine
        .manager(([127, 0, 0, 1], port).into(), Security::v2c("private"))
        .timeout(Duration::from_millis(500))
        .refresh(Duration::from_millis(200))
        .build();
    let outlet = SnmpOutlet::builder(pdu, relay(OUTLETS), "1")
        .build()
        .unwrap();
    let e = outlet.on().await.unwrap_err();
    match e {
        Error::Timeout { after, .. } => assert_eq!(after, Duration::from_millis(500)),
        other => panic!("{other}"),
    }
    drop(silent);
}

#[tokio::test]
async fn priv_without_auth_is_a_config_error() {
    let engine = engine();
    let config: SnmpServerConfig = serde_yaml::from_str(
        "host: 127.0.0.1\nuser: u\nplug: 1\npriv_protocol: DES\npriv_key: priv-passphrase",
    )
    .unwrap();
    let e = config.outlet(&engine, "power").await.unwrap_err();
    assert!(matches!(e, Error::Config(_)), "{e}");
}

// --- every profile against the simulated PDU of its vendor (snmux-sim) -----

mod pdus {
    use std::sync::Arc;
    use std::time::Duration;

    use snmux::outlets::snmp::{Profile, SnmpOutlet};
    use snmux::outlets::{Action, Error, OutletState, PowerOutlet, switch_all};
    use snmux::sim::{self, Agent, PduOptions, Sim, SimAgent};
    use snmux::{Engine, Security};

    /// 8 outlets in groups of 4 (Sentry infeeds, PoE port groups), a short
    /// reboot.
    fn options() -> PduOptions {
        PduOptions::new()
            .outlets(8)
            .outlets_per_group(4)
            .cycle_time(Duration::from_millis(300))
            .seed(7)
    }

    fn outlet(engine: &Engine, agent: &SimAgent, outlet: &str) -> SnmpOutlet {
        let name = agent.profile().unwrap().name();
        let profile = Profile::builtin(name).unwrap_or_else(|| panic!("no profile {name}"));
        let community = agent.write_community().to_vec();
        let manager = engine
            .manager(agent.addr(), Security::v2c(community))
            .build();
        SnmpOutlet::builder(manager, Arc::new(profile), outlet)
            .confirm_timeout(Duration::from_secs(10))
            .poll_interval(Duration::from_millis(50))
            .build()
            .unwrap()
    }

    fn dotted(index: &[u32]) -> String {
        index
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".")
    }

    fn state(s: sim::OutletState) -> OutletState {
        match s {
            sim::OutletState::On => OutletState::On,
            sim::OutletState::Off => OutletState::Off,
        }
    }

    /// Within 10 % (the simulated load varies by ±10 % over a minute) or
    /// the scale's resolution.
    fn close(got: f64, want: f64, resolution: f64) -> bool {
        (got - want).abs() <= want.abs() * 0.1 + resolution
    }

    #[tokio::test]
    async fn every_profile_switches_cycles_reads_and_indexes() {
        let sim = Sim::builder()
            .agents(sim::Profile::ALL.map(|p| Agent::pdu(p, options()).build()))
            .start()
            .await
            .unwrap();
        let engine = super::engine();
        for agent in sim.agents() {
            let profile = agent.profile().unwrap();
            // Outlet 6 is the second of group 2 where there are groups: a
            // multi-part index (1.2.2 for Sentry, 2.2 for PoE).
            for n in [1, 6] {
                let index = agent.outlet_index(n).unwrap();
                let outlet = outlet(&engine, agent, &dotted(&index));
                let what = format!("{} outlet {n} ({})", profile.name(), outlet.outlet());
                assert_eq!(outlet.index(), index.as_slice(), "{what}");
                assert_eq!(outlet.state().await.unwrap(), OutletState::On, "{what}");

                outlet.off().await.unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(
                    state(agent.outlet_state(n).unwrap()),
                    OutletState::Off,
                    "{what}"
                );
                assert_eq!(outlet.state().await.unwrap(), OutletState::Off, "{what}");
                // The other outlets did not move.
                for other in (1..=8).filter(|&o| o != n) {
                    assert_eq!(
                        agent.outlet_state(other),
                        Some(sim::OutletState::On),
                        "{what}: {other}"
                    );
                }

                outlet.on().await.unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(
                    state(agent.outlet_state(n).unwrap()),
                    OutletState::On,
                    "{what}"
                );

                // The PDU's own reboot where it has one; off, wait, on else.
                let wait = (!profile.can_cycle()).then_some(Duration::from_millis(50));
                outlet
                    .cycle(wait)
                    .await
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_eq!(
                    state(agent.outlet_state(n).unwrap()),
                    OutletState::On,
                    "{what}"
                );
                assert_eq!(agent.outlet_pending(n), Some(false), "{what}");

                let readings = &outlet.profile().readings;
                if readings.is_empty() {
                    let e = outlet.measure().await.unwrap_err();
                    assert!(matches!(e, Error::Unsupported { .. }), "{what}: {e}");
                    continue;
                }
                let got = outlet
                    .measure()
                    .await
                    .unwrap_or_else(|e| panic!("{what}: {e}"));
                let want = agent.outlet_reading(n).unwrap();
                for (field, got, want, resolution, defined) in [
                    (
                        "voltage",
                        got.voltage,
                        want.voltage,
                        1.0,
                        readings.voltage.is_some(),
                    ),
                    (
                        "current",
                        got.current,
                        want.current,
                        0.1,
                        readings.current.is_some(),
                    ),
                    (
                        "power",
                        got.active_power,
                        want.active_power,
                        1.0,
                        readings.active_power.is_some(),
                    ),
                ] {
                    match (defined, got) {
                        (false, None) => {}
                        (true, Some(got)) => {
                            assert!(
                                close(got, want, resolution),
                                "{what}: {field} {got} vs {want}"
                            )
                        }
                        other => panic!("{what}: {field}: {other:?}"),
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn short_indexes_take_the_profile_prefix() {
        let sim = Sim::builder()
            .agents(
                [
                    sim::Profile::RaritanPx2,
                    sim::Profile::EatonEpdu,
                    sim::Profile::Sentry4,
                ]
                .map(|p| Agent::pdu(p, PduOptions::new().outlets(4)).build()),
            )
            .start()
            .await
            .unwrap();
        let engine = super::engine();
        for agent in sim.agents() {
            // Raritan 3 is 1.3, Eaton 3 is 0.3, Sentry4 3 is 1.1.3.
            let outlet = outlet(&engine, agent, "3");
            assert_eq!(outlet.index(), agent.outlet_index(3).unwrap().as_slice());
            outlet.off().await.unwrap();
            assert_eq!(agent.outlet_state(3), Some(sim::OutletState::Off));
        }
    }

    #[tokio::test]
    async fn rpdu2_state_reads_inverted() {
        let sim = Sim::builder()
            .agent(Agent::pdu(sim::Profile::ApcRpdu2, PduOptions::new().outlets(2)).build())
            .start()
            .await
            .unwrap();
        let agent = &sim.agents()[0];
        agent.set_outlet_state(2, sim::OutletState::Off);
        let engine = super::engine();
        assert_eq!(
            outlet(&engine, agent, "1").state().await.unwrap(),
            OutletState::On
        );
        assert_eq!(
            outlet(&engine, agent, "2").state().await.unwrap(),
            OutletState::Off
        );
    }

    #[tokio::test]
    async fn outlets_of_fifty_pdus_switched_at_once() {
        let agents = (0..50).map(|i| {
            let profile = sim::Profile::ALL[i % sim::Profile::ALL.len()];
            Agent::pdu(profile, PduOptions::new().outlets(8).outlets_per_group(4))
                .name(format!("pdu{i}"))
                .build()
        });
        let sim = Sim::builder().agents(agents).start().await.unwrap();
        let engine = super::engine();
        let mut outlets: Vec<Arc<dyn PowerOutlet>> = Vec::new();
        for agent in sim.agents() {
            for n in 1..=8 {
                outlets.push(Arc::new(outlet(
                    &engine,
                    agent,
                    &dotted(&agent.outlet_index(n).unwrap()),
                )));
            }
        }
        assert_eq!(outlets.len(), 400);
        for (action, want) in [
            (Action::Off, sim::OutletState::Off),
            (Action::On, sim::OutletState::On),
        ] {
            let results = switch_all(&outlets, action).await;
            for (outlet, result) in outlets.iter().zip(&results) {
                assert!(
                    result.is_ok(),
                    "{} {}: {result:?}",
                    outlet.device(),
                    outlet.outlet()
                );
            }
            for agent in sim.agents() {
                for n in 1..=8 {
                    assert_eq!(
                        agent.outlet_state(n),
                        Some(want),
                        "{} outlet {n}",
                        agent.name()
                    );
                }
            }
        }
    }

    // --- on TestNet, under tokio's paused clock ------------------------------

    use std::net::SocketAddr;
    use std::sync::Mutex;

    use snmux::Bytes;
    use snmux::outlets::config::LabConfig;
    use snmux::transport::test::{Faults, TestNet};

    /// A simulated PDU on `net` at `at`, and a manager for it that waits
    /// long enough for `net`'s delays without retransmitting.
    fn on_testnet(net: &TestNet, at: SocketAddr, agent: Agent) -> (Sim, Engine) {
        let sim = Sim::builder()
            .agent(agent)
            .start_on(vec![Arc::new(net.bind(at))])
            .unwrap();
        let engine = Engine::builder()
            .transport(Arc::new(net.bind("10.0.0.100:50000".parse().unwrap())))
            .build()
            .unwrap();
        (sim, engine)
    }

    fn reboot_outlet(engine: &Engine, at: SocketAddr, profile: Profile) -> SnmpOutlet {
        let manager = engine
            .manager(at, Security::v2c("private"))
            .timeout(Duration::from_secs(60))
            .refresh(Duration::from_secs(30))
            .build();
        SnmpOutlet::builder(manager, Arc::new(profile), "1")
            .confirm_timeout(Duration::from_secs(10))
            .poll_interval(Duration::from_secs(2))
            .build()
            .unwrap()
    }

    /// Raritan: the off phase (0.5 s) falls between two reads of the state
    /// (1 s each way on the wire); outletSwitchingTimeStamp still shows
    /// the reboot. Without it, nothing does.
    #[tokio::test(start_paused = true)]
    async fn a_reboot_between_two_reads_is_seen_by_the_switching_time() {
        let net = TestNet::new(1);
        net.set_faults(Faults::none().fixed_delay(Duration::from_secs(1)));
        let at: SocketAddr = "10.0.0.1:161".parse().unwrap();
        let options = PduOptions::new()
            .outlets(2)
            .cycle_time(Duration::from_millis(500));
        let (sim, engine) = on_testnet(
            &net,
            at,
            Agent::pdu(sim::Profile::RaritanPx2, options).build(),
        );
        let raritan = Profile::builtin("raritan-px2").unwrap();
        assert!(raritan.switched_at.is_some());
        let blind = Profile {
            switched_at: None,
            ..raritan.clone()
        };
        seen_only_with(&engine, at, &sim, raritan, blind).await;
    }

    /// APC rPDU with delayedReboot (6): the outlet is still on at the first
    /// read, with rPDUOutletStatusCommandPending set; the off phase falls
    /// between two reads. Pending is not done: the cycle is confirmed when
    /// the command is no longer pending.
    #[tokio::test(start_paused = true)]
    async fn a_pending_reboot_is_waited_for_and_seen() {
        let net = TestNet::new(2);
        let at: SocketAddr = "10.0.0.2:161".parse().unwrap();
        let options = PduOptions::new()
            .outlets(2)
            .command_delay(Duration::from_secs(1))
            .cycle_time(Duration::from_millis(100));
        let (sim, engine) =
            on_testnet(&net, at, Agent::pdu(sim::Profile::ApcRpdu, options).build());
        let mut delayed = Profile::builtin("apc-rpdu").unwrap();
        delayed.control.cycle = Some(snmux::outlets::snmp::Command::Value(6));
        assert!(delayed.command_pending.is_some());

        let blind = Profile {
            command_pending: None,
            ..delayed.clone()
        };
        let took = seen_only_with(&engine, at, &sim, delayed, blind).await;
        // Not at the first read (pending, on), but at the next one.
        assert!(took >= Duration::from_secs(2), "{took:?}");
        assert_eq!(sim.agents()[0].outlet_pending(1), Some(false));
    }

    /// Reboots outlet 1 with `profile`: confirmed, and on (the time it
    /// took); then with `blind`, the same profile without what saw the
    /// cycle: [`Error::CycleNotObserved`].
    async fn seen_only_with(
        engine: &Engine,
        at: SocketAddr,
        sim: &Sim,
        profile: Profile,
        blind: Profile,
    ) -> Duration {
        let start = tokio::time::Instant::now();
        reboot_outlet(engine, at, profile)
            .cycle(None)
            .await
            .unwrap();
        let took = start.elapsed();
        assert_eq!(sim.agents()[0].outlet_state(1), Some(sim::OutletState::On));
        let e = reboot_outlet(engine, at, blind)
            .cycle(None)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::CycleNotObserved { .. }), "{e}");
        took
    }

    /// Two `switch_all` calls at once on outlets of one PDU: the PDU never
    /// gets a second SET before the first switch was read back.
    #[tokio::test(start_paused = true)]
    async fn concurrent_calls_take_turns_on_one_pdu() {
        let net = TestNet::new(3);
        let at: SocketAddr = "10.0.0.3:161".parse().unwrap();
        let agent =
            Arc::new(Agent::pdu(sim::Profile::RaritanPx2, PduOptions::new().outlets(4)).build());
        // What the PDU receives, in order: S a successful SET, G the rest.
        let log = Arc::new(Mutex::new(String::new()));
        let _pdu = net.serve(at, {
            let (agent, log) = (agent.clone(), log.clone());
            move |request| {
                let sets = agent.stats().sets;
                let answer = agent.answer(
                    &Bytes::copy_from_slice(request),
                    tokio::time::Instant::now(),
                );
                log.lock()
                    .unwrap()
                    .push(if agent.stats().sets > sets { 'S' } else { 'G' });
                answer
            }
        });
        let engine = Engine::builder()
            .transport(Arc::new(net.bind("10.0.0.100:50000".parse().unwrap())))
            .build()
            .unwrap();
        let lab = LabConfig::from_yaml(
            "pdus:\n  rack: { driver: snmp, host: 10.0.0.3, profile: raritan-px2 }\n",
        )
        .unwrap()
        .build(&engine)
        .await
        .unwrap();
        let first = lab.select(&["rack:1", "rack:2"]).unwrap();
        let second = lab.select(&["rack:3", "rack:4"]).unwrap();
        let (a, b) = tokio::join!(first.switch(Action::Off), second.switch(Action::Off));
        for (name, result) in a.into_iter().chain(b) {
            result.unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        for n in 1..=4 {
            assert_eq!(agent.outlet_state(n), Some(sim::OutletState::Off), "{n}");
        }
        let seen = log.lock().unwrap().clone();
        assert_eq!(seen.matches('S').count(), 4, "{seen}");
        assert!(!seen.contains("SS"), "two SETs in a row: {seen}");

        // Outlets built from one SnmpPdu, switched directly.
        let manager = engine.manager(at, Security::v2c("private")).build();
        let pdu = snmux::outlets::snmp::SnmpPdu::new(
            manager,
            Arc::new(Profile::builtin("raritan-px2").unwrap()),
        );
        let (one, two) = (
            pdu.outlet("1").build().unwrap(),
            pdu.outlet("2").build().unwrap(),
        );
        log.lock().unwrap().clear();
        let (r1, r2) = tokio::join!(one.on(), two.on());
        r1.unwrap();
        r2.unwrap();
        assert_eq!(*log.lock().unwrap(), "SGSG");
    }
}
