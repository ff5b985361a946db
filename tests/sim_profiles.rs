//! The simulated PDUs of every profile, through snmux's Manager: on, off
//! and cycle by SET, the state read back over SNMP and directly, readings
//! scaled as the vendor MIBs say. Over real UDP on loopback, and over
//! TestNet under tokio's paused clock for the cycle timing.
//!
//! The OIDs and values here are written from the vendors' MIBs
//! (`shared/reference/outlets.md` §5), not taken from the simulator's code.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use snmux::sim::{Agent, OutletState, PduOptions, Profile, Sim, SimAgent};
use snmux::transport::test::TestNet;
use snmux::{Engine, ErrorStatus, Manager, Oid, Security, Value, VarBind};

/// How a vendor's outlet `n` is switched and read.
struct Case {
    profile: Profile,
    /// (OID, INTEGER) to write for on, off and cycle.
    on: fn(u32) -> (Oid, i32),
    off: fn(u32) -> (Oid, i32),
    cycle: Option<fn(u32) -> (Oid, i32)>,
    /// The state object, and what it reads when on and off.
    state: fn(u32) -> Oid,
    state_on: i32,
    state_off: i32,
    /// What the state object reads while a cycle keeps the outlet off.
    state_cycling: i32,
    /// Readings: OID, quantity, and the factor from the SI unit (A, V, W,
    /// VA) to the encoded number.
    readings: fn(u32) -> Vec<(Oid, Quantity, f64)>,
}

#[derive(Debug, Clone, Copy)]
enum Quantity {
    Current,
    Voltage,
    ActivePower,
    ApparentPower,
}

fn o(s: &str) -> Oid {
    s.parse().expect("a literal OID")
}

fn ent(s: &str, index: &[u32]) -> Oid {
    o(&format!("1.3.6.1.4.1.{s}")).join(index)
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            profile: Profile::ApcMasterSwitch,
            on: |n| (ent("318.1.1.4.4.2.1.3", &[n]), 1),
            off: |n| (ent("318.1.1.4.4.2.1.3", &[n]), 2),
            cycle: Some(|n| (ent("318.1.1.4.4.2.1.3", &[n]), 3)),
            state: |n| ent("318.1.1.4.4.2.1.3", &[n]),
            state_on: 1,
            state_off: 2,
            state_cycling: 2,
            readings: |_| vec![],
        },
        Case {
            profile: Profile::ApcRpdu,
            on: |n| (ent("318.1.1.12.3.3.1.1.4", &[n]), 1),
            off: |n| (ent("318.1.1.12.3.3.1.1.4", &[n]), 2),
            cycle: Some(|n| (ent("318.1.1.12.3.3.1.1.4", &[n]), 3)),
            state: |n| ent("318.1.1.12.3.5.1.1.4", &[n]),
            state_on: 1,
            state_off: 2,
            state_cycling: 2,
            readings: |n| vec![(ent("318.1.1.12.3.5.1.1.7", &[n]), Quantity::Current, 10.0)],
        },
        Case {
            profile: Profile::ApcRpdu2,
            on: |n| (ent("318.1.1.26.9.2.4.1.5", &[n]), 1),
            off: |n| (ent("318.1.1.26.9.2.4.1.5", &[n]), 2),
            cycle: Some(|n| (ent("318.1.1.26.9.2.4.1.5", &[n]), 3)),
            state: |n| ent("318.1.1.26.9.2.3.1.5", &[n]),
            // Inverted: off(1), on(2).
            state_on: 2,
            state_off: 1,
            state_cycling: 1,
            readings: |n| {
                vec![
                    (ent("318.1.1.26.9.4.3.1.6", &[n]), Quantity::Current, 10.0),
                    (
                        ent("318.1.1.26.9.4.3.1.7", &[n]),
                        Quantity::ActivePower,
                        1.0,
                    ),
                ]
            },
        },
        Case {
            profile: Profile::RaritanPx2,
            on: |n| (ent("13742.6.4.1.2.1.2", &[1, n]), 1),
            off: |n| (ent("13742.6.4.1.2.1.2", &[1, n]), 0),
            cycle: Some(|n| (ent("13742.6.4.1.2.1.2", &[1, n]), 2)),
            state: |n| ent("13742.6.4.1.2.1.3", &[1, n]),
            state_on: 7,
            state_off: 8,
            state_cycling: 8,
            // Scaled by outletSensorDecimalDigits, checked separately.
            readings: |n| {
                vec![
                    (
                        ent("13742.6.5.4.3.1.4", &[1, n, 1]),
                        Quantity::Current,
                        1000.0,
                    ),
                    (ent("13742.6.5.4.3.1.4", &[1, n, 4]), Quantity::Voltage, 1.0),
                    (
                        ent("13742.6.5.4.3.1.4", &[1, n, 5]),
                        Quantity::ActivePower,
                        1.0,
                    ),
                    (
                        ent("13742.6.5.4.3.1.4", &[1, n, 6]),
                        Quantity::ApparentPower,
                        1.0,
                    ),
                ]
            },
        },
        Case {
            profile: Profile::Sentry3,
            on: |n| (ent("1718.3.2.3.1.11", &[1, 1, n]), 1),
            off: |n| (ent("1718.3.2.3.1.11", &[1, 1, n]), 2),
            cycle: Some(|n| (ent("1718.3.2.3.1.11", &[1, 1, n]), 3)),
            state: |n| ent("1718.3.2.3.1.10", &[1, 1, n]),
            state_on: 5,
            state_off: 4,
            // reboot(8).
            state_cycling: 8,
            readings: |n| {
                vec![
                    (ent("1718.3.2.3.1.7", &[1, 1, n]), Quantity::Current, 100.0),
                    (ent("1718.3.2.3.1.13", &[1, 1, n]), Quantity::Voltage, 10.0),
                    (
                        ent("1718.3.2.3.1.14", &[1, 1, n]),
                        Quantity::ActivePower,
                        1.0,
                    ),
                ]
            },
        },
        Case {
            profile: Profile::Sentry4,
            on: |n| (ent("1718.4.1.8.5.1.2", &[1, 1, n]), 1),
            off: |n| (ent("1718.4.1.8.5.1.2", &[1, 1, n]), 2),
            cycle: Some(|n| (ent("1718.4.1.8.5.1.2", &[1, 1, n]), 3)),
            state: |n| ent("1718.4.1.8.3.1.1", &[1, 1, n]),
            state_on: 1,
            state_off: 2,
            state_cycling: 2,
            readings: |n| {
                vec![
                    (
                        ent("1718.4.1.8.3.1.3", &[1, 1, n]),
                        Quantity::Current,
                        100.0,
                    ),
                    (ent("1718.4.1.8.3.1.6", &[1, 1, n]), Quantity::Voltage, 10.0),
                    (
                        ent("1718.4.1.8.3.1.7", &[1, 1, n]),
                        Quantity::ActivePower,
                        1.0,
                    ),
                    (
                        ent("1718.4.1.8.3.1.9", &[1, 1, n]),
                        Quantity::ApparentPower,
                        1.0,
                    ),
                ]
            },
        },
        Case {
            profile: Profile::EatonEpdu,
            // The written value is a delay in seconds: 0 is now.
            on: |n| (ent("534.6.6.7.6.6.1.4", &[0, n]), 0),
            off: |n| (ent("534.6.6.7.6.6.1.3", &[0, n]), 0),
            cycle: Some(|n| (ent("534.6.6.7.6.6.1.5", &[0, n]), 0)),
            state: |n| ent("534.6.6.7.6.6.1.2", &[0, n]),
            state_on: 1,
            state_off: 0,
            // pendingOn(3).
            state_cycling: 3,
            readings: |n| {
                vec![
                    (ent("534.6.6.7.6.3.1.2", &[0, n]), Quantity::Voltage, 1000.0),
                    (ent("534.6.6.7.6.4.1.3", &[0, n]), Quantity::Current, 1000.0),
                    (
                        ent("534.6.6.7.6.5.1.2", &[0, n]),
                        Quantity::ApparentPower,
                        1.0,
                    ),
                    (
                        ent("534.6.6.7.6.5.1.3", &[0, n]),
                        Quantity::ActivePower,
                        1.0,
                    ),
                ]
            },
        },
        Case {
            profile: Profile::CyberPower,
            on: |n| (ent("3808.1.1.3.3.3.1.1.4", &[n]), 1),
            off: |n| (ent("3808.1.1.3.3.3.1.1.4", &[n]), 2),
            cycle: Some(|n| (ent("3808.1.1.3.3.3.1.1.4", &[n]), 3)),
            state: |n| ent("3808.1.1.3.3.5.1.1.4", &[n]),
            state_on: 1,
            state_off: 2,
            state_cycling: 2,
            readings: |n| {
                vec![
                    (ent("3808.1.1.3.3.5.1.1.7", &[n]), Quantity::Current, 10.0),
                    (
                        ent("3808.1.1.3.3.5.1.1.8", &[n]),
                        Quantity::ActivePower,
                        1.0,
                    ),
                ]
            },
        },
        Case {
            profile: Profile::Poe,
            on: |n| (o("1.3.6.1.2.1.105.1.1.1.3.1").child(n), 1),
            off: |n| (o("1.3.6.1.2.1.105.1.1.1.3.1").child(n), 2),
            cycle: None,
            state: |n| o("1.3.6.1.2.1.105.1.1.1.3.1").child(n),
            state_on: 1,
            state_off: 2,
            state_cycling: 2,
            readings: |_| vec![],
        },
    ]
}

const CYCLE: Duration = Duration::from_secs(4);

fn options() -> PduOptions {
    PduOptions::new().outlets(6).cycle_time(CYCLE).seed(11)
}

async fn write(m: &Manager, (oid, v): (Oid, i32)) -> Result<(), snmux::Error> {
    m.set(&[VarBind::new(oid, Value::Integer(v))])
        .await
        .map(|_| ())
}

async fn read(m: &Manager, oid: Oid) -> Value {
    m.get(&[oid]).await.expect("GET").remove(0).value
}

/// On, off and cycle by SET on real UDP; state read back both ways.
#[tokio::test]
async fn every_profile_switches_over_udp() {
    let sim = Sim::builder()
        .agents(
            cases()
                .iter()
                .map(|c| Agent::pdu(c.profile, options()).build()),
        )
        .start()
        .await
        .expect("sim");
    let engine = Engine::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    for (case, agent) in cases().iter().zip(sim.agents()) {
        let name = case.profile.name();
        let m = engine
            .manager(agent.addr(), Security::v2c("private"))
            .timeout(Duration::from_secs(10))
            .build();
        let n = 5;
        assert_eq!(
            read(&m, (case.state)(n)).await,
            Value::Integer(case.state_on),
            "{name}: starts on"
        );
        write(&m, (case.off)(n)).await.expect("off");
        assert_eq!(
            read(&m, (case.state)(n)).await,
            Value::Integer(case.state_off),
            "{name}: off"
        );
        assert_eq!(agent.outlet_state(n), Some(OutletState::Off), "{name}");
        assert_eq!(
            agent.outlet_state(n - 1),
            Some(OutletState::On),
            "{name}: only outlet {n}"
        );
        write(&m, (case.on)(n)).await.expect("on");
        assert_eq!(
            read(&m, (case.state)(n)).await,
            Value::Integer(case.state_on),
            "{name}: on"
        );
        assert_eq!(agent.outlet_state(n), Some(OutletState::On), "{name}");
        if let Some(cycle) = case.cycle {
            write(&m, cycle(n)).await.expect("cycle");
            // Off at once, on again after CYCLE (timed in the paused-clock
            // test below).
            assert_eq!(
                agent.outlet_state(n),
                Some(OutletState::Off),
                "{name}: cycling"
            );
            assert_eq!(agent.outlet_pending(n), Some(true), "{name}");
        }
        // No such outlet: sysName is not the only thing that answers.
        let (missing, v) = (case.on)(7);
        let err = write(&m, (missing, v)).await.expect_err("outlet 7 of 6");
        assert!(
            matches!(
                err,
                snmux::Error::ErrorStatus {
                    status: ErrorStatus::NotWritable,
                    ..
                }
            ),
            "{name}: {err}"
        );
        // A read-only community cannot switch.
        let ro = engine
            .manager(agent.addr(), Security::v2c("public"))
            .timeout(Duration::from_secs(10))
            .build();
        let err = write(&ro, (case.off)(1))
            .await
            .expect_err("read-only community");
        assert!(
            matches!(
                err,
                snmux::Error::ErrorStatus {
                    status: ErrorStatus::NoAccess,
                    ..
                }
            ),
            "{name}: {err}"
        );
        assert_eq!(agent.outlet_state(1), Some(OutletState::On));
        assert_eq!(
            read(&ro, o("1.3.6.1.2.1.1.5.0")).await.as_str(),
            Some(name),
            "sysName"
        );
        assert_eq!(
            read(&ro, o("1.3.6.1.2.1.1.2.0")).await,
            Value::ObjectIdentifier(case.profile.sys_object_id())
        );
    }
}

/// SETs of the wrong type, out of range, and on a read-only object.
#[tokio::test]
async fn wrong_values_and_types() {
    let sim = Sim::builder()
        .agent(Agent::pdu(Profile::ApcRpdu, options()).build())
        .agent(Agent::pdu(Profile::EatonEpdu, options()).build())
        .start()
        .await
        .unwrap();
    let engine = Engine::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let status = |r: Result<Vec<VarBind>, snmux::Error>| match r {
        Err(snmux::Error::ErrorStatus { status, index, .. }) => (status, index),
        other => panic!("expected an error status, got {other:?}"),
    };
    let apc = engine
        .manager(sim.agents()[0].addr(), Security::v2c("private"))
        .build();
    let command = ent("318.1.1.12.3.3.1.1.4", &[1]);
    let r = apc
        .set(&[VarBind::new(command.clone(), Value::from("on"))])
        .await;
    assert_eq!(status(r), (ErrorStatus::WrongType, 1));
    let r = apc
        .set(&[VarBind::new(command.clone(), Value::Integer(8))])
        .await;
    assert_eq!(status(r), (ErrorStatus::WrongValue, 1));
    let r = apc
        .set(&[
            VarBind::new(command.clone(), Value::Integer(2)),
            VarBind::new(ent("318.1.1.12.3.5.1.1.4", &[1]), Value::Integer(2)),
        ])
        .await;
    assert_eq!(status(r), (ErrorStatus::NotWritable, 2));
    assert_eq!(
        sim.agents()[0].outlet_state(1),
        Some(OutletState::On),
        "nothing applied"
    );
    let eaton = engine
        .manager(sim.agents()[1].addr(), Security::v2c("private"))
        .build();
    let r = eaton
        .set(&[VarBind::new(
            ent("534.6.6.7.6.6.1.3", &[0, 1]),
            Value::Integer(100_000),
        )])
        .await;
    assert_eq!(status(r), (ErrorStatus::WrongValue, 1));
    let r = eaton
        .set(&[VarBind::new(
            ent("534.6.6.7.6.6.1.3", &[0, 1]),
            Value::Gauge32(0),
        )])
        .await;
    assert_eq!(status(r), (ErrorStatus::WrongType, 1));
    // The v1 names for the same errors (RFC 3584 §4.3).
    let v1 = engine
        .manager(sim.agents()[0].addr(), Security::v1("private"))
        .build();
    let r = v1
        .set(&[VarBind::new(command.clone(), Value::Integer(8))])
        .await;
    assert_eq!(status(r), (ErrorStatus::BadValue, 1));
    let r = v1
        .set(&[VarBind::new(
            ent("318.1.1.12.3.5.1.1.4", &[1]),
            Value::Integer(2),
        )])
        .await;
    assert_eq!(status(r), (ErrorStatus::NoSuchName, 1));
}

fn testnet_sim(net: &TestNet, case: &Case, at: SocketAddr) -> (Sim, Manager) {
    let sim = Sim::builder()
        .agent(Agent::pdu(case.profile, options()).build())
        .start_on(vec![Arc::new(net.bind(at))])
        .expect("sim on TestNet");
    let engine = Engine::builder()
        .transport(Arc::new(net.bind("10.0.0.1:50000".parse().unwrap())))
        .build()
        .unwrap();
    let m = engine.manager(at, Security::v2c("private")).build();
    (sim, m)
}

/// A cycle keeps the outlet off for exactly the cycle time, on tokio's
/// clock; readings are what the MIB's scaling says.
#[tokio::test(start_paused = true)]
async fn cycles_take_the_cycle_time_and_readings_are_scaled() {
    for (i, case) in cases().iter().enumerate() {
        let name = case.profile.name();
        let net = TestNet::new(i as u64);
        let at: SocketAddr = format!("10.0.1.{}:161", i + 1).parse().unwrap();
        let (sim, m) = testnet_sim(&net, case, at);
        let agent: &SimAgent = &sim.agents()[0];
        let n = 2;
        for (oid, quantity, factor) in (case.readings)(n) {
            let got = read(&m, oid.clone()).await.as_i64().expect("a number") as f64;
            let r = agent.outlet_reading(n).unwrap();
            let want = match quantity {
                Quantity::Current => r.current,
                Quantity::Voltage => r.voltage,
                Quantity::ActivePower => r.active_power,
                Quantity::ApparentPower => r.apparent_power,
            } * factor;
            assert!((got - want).abs() <= 1.0, "{name} {oid}: {got} vs {want}");
            assert!(got > 0.0, "{name} {oid}: on, so not 0");
        }
        let Some(cycle) = case.cycle else { continue };
        write(&m, cycle(n)).await.unwrap();
        let t0 = tokio::time::Instant::now();
        assert_eq!(
            read(&m, (case.state)(n)).await,
            Value::Integer(case.state_cycling),
            "{name}"
        );
        if let Some((current, _, _)) = (case.readings)(n)
            .into_iter()
            .find(|r| matches!(r.1, Quantity::Current))
        {
            assert_eq!(
                read(&m, current).await.as_i64(),
                Some(0),
                "{name}: no current when off"
            );
        }
        tokio::time::sleep_until(t0 + CYCLE - Duration::from_millis(1)).await;
        assert_eq!(
            agent.outlet_state(n),
            Some(OutletState::Off),
            "{name}: still off"
        );
        tokio::time::sleep_until(t0 + CYCLE).await;
        assert_eq!(
            agent.outlet_state(n),
            Some(OutletState::On),
            "{name}: on after the cycle"
        );
        assert_eq!(
            read(&m, (case.state)(n)).await,
            Value::Integer(case.state_on),
            "{name}"
        );
    }
}

/// Raritan's readings are scaled by outletSensorDecimalDigits.
#[tokio::test(start_paused = true)]
async fn raritan_decimal_digits() {
    let net = TestNet::new(1);
    let cases = cases();
    let case = cases
        .iter()
        .find(|c| c.profile == Profile::RaritanPx2)
        .unwrap();
    let (sim, m) = testnet_sim(&net, case, "10.0.2.1:161".parse().unwrap());
    let vbs = m
        .get(&[
            ent("13742.6.5.4.3.1.4", &[1, 3, 1]),
            ent("13742.6.3.5.4.1.7", &[1, 3, 1]),
        ])
        .await
        .unwrap();
    let digits = vbs[1].value.as_u64().unwrap();
    assert_eq!(digits, 3);
    let amps = vbs[0].value.as_u64().unwrap() as f64 / 10f64.powi(digits as i32);
    let want = sim.agents()[0].outlet_reading(3).unwrap().current;
    assert!((amps - want).abs() < 0.002, "{amps} A vs {want} A");
}

/// Sentry4 and PoE outlets in groups: outlet 9 of 8 per cord is cord 2,
/// outlet 1.
#[tokio::test]
async fn grouped_indexes() {
    let sim = Sim::builder()
        .agent(
            Agent::pdu(
                Profile::Sentry4,
                PduOptions::new().outlets(16).outlets_per_group(8),
            )
            .build(),
        )
        .start()
        .await
        .unwrap();
    let agent = &sim.agents()[0];
    assert_eq!(agent.outlet_index(9), Some(vec![1, 2, 1]));
    let engine = Engine::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let m = engine
        .manager(agent.addr(), Security::v2c("private"))
        .build();
    write(&m, (ent("1718.4.1.8.5.1.2", &[1, 2, 1]), 2))
        .await
        .unwrap();
    assert_eq!(agent.outlet_state(9), Some(OutletState::Off));
    assert_eq!(agent.outlet_state(1), Some(OutletState::On));
}
