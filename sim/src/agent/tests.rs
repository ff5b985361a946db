use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use snmux_engine::{AnyPdu, ErrorStatus, Message, Oid, Pdu, PduType, Value, VarBind, Version, oid};
use tokio::time::Instant;

use super::*;
use crate::{Impairments, OutletState, PduOptions, Profile, Recording};

const REC: &str = "\
1.3.6.1.2.1.1.1.0|4|Simulated UPS
1.3.6.1.2.1.1.3.0|67|4242
1.3.6.1.2.1.1.4.0|4:writecache|value=ops@example.net
1.3.6.1.2.1.2.2.1.10.1|65|100
1.3.6.1.2.1.31.1.1.1.6.1|70|99999999999
1.3.6.1.2.1.31.1.1.1.6.2|70|5
1.3.6.1.2.1.31.1.1.1.18.1|4|uplink
";

fn recording() -> Agent {
    Agent::recording(&Recording::parse("rec", REC).unwrap())
        .community("public")
        .build()
}

fn ask(agent: &Agent, version: Version, community: &str, pdu: Pdu) -> Option<Pdu> {
    let request = Message::new(version, community.to_owned(), pdu).to_bytes();
    let out = agent.answer(&request, Instant::now())?;
    match Message::decode(&Bytes::from(out))
        .expect("the response decodes")
        .pdu
    {
        AnyPdu::Pdu(p) => Some(p),
        AnyPdu::TrapV1(_) => panic!("a trap"),
    }
}

fn v2(agent: &Agent, pdu: Pdu) -> Pdu {
    ask(agent, Version::V2c, "public", pdu).expect("an answer")
}

fn v1(agent: &Agent, pdu: Pdu) -> Pdu {
    ask(agent, Version::V1, "public", pdu).expect("an answer")
}

fn get(oids: &[Oid]) -> Pdu {
    Pdu::new(
        PduType::GetRequest,
        1,
        oids.iter().cloned().map(VarBind::null).collect(),
    )
}

fn next(oids: &[Oid]) -> Pdu {
    Pdu::new(
        PduType::GetNextRequest,
        2,
        oids.iter().cloned().map(VarBind::null).collect(),
    )
}

fn set(vbs: Vec<VarBind>) -> Pdu {
    Pdu::new(PduType::SetRequest, 3, vbs)
}

fn sys(i: u32) -> Oid {
    oid!(1, 3, 6, 1, 2, 1, 1, i, 0)
}

#[test]
fn get_with_exceptions() {
    let a = recording();
    let r = v2(
        &a,
        get(&[
            sys(1),
            sys(9),
            oid!(1, 3, 6, 1, 2, 1, 1, 1, 1),
            oid!(1, 3, 6, 1, 9),
        ]),
    );
    assert_eq!(r.pdu_type, PduType::Response);
    assert_eq!(r.request_id, 1);
    assert_eq!(r.varbinds[0].value.as_str(), Some("Simulated UPS"));
    // 1.3.6.1.2.1.1.9 is no object of the recording.
    assert_eq!(r.varbinds[1].value, Value::NoSuchObject);
    assert_eq!(r.varbinds[2].value, Value::NoSuchInstance);
    assert_eq!(r.varbinds[3].value, Value::NoSuchObject);
}

#[test]
fn v1_get_errors_name_the_varbind() {
    let a = recording();
    let r = v1(&a, get(&[sys(1), oid!(1, 3, 6, 1, 9, 0)]));
    assert_eq!(r.status(), ErrorStatus::NoSuchName);
    assert_eq!(r.error_index, 2);
    assert_eq!(r.varbinds.len(), 2);
    assert_eq!(r.varbinds[0].value, Value::Null, "the request's varbinds");
    // SNMPv1 has no Counter64 (RFC 3584 §4.2.2.1).
    let r = v1(&a, get(&[oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)]));
    assert_eq!((r.status(), r.error_index), (ErrorStatus::NoSuchName, 1));
}

#[test]
fn get_next_and_end_of_mib() {
    let a = recording();
    let r = v2(
        &a,
        next(&[
            oid!(1, 3),
            sys(4),
            oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, 1),
        ]),
    );
    assert_eq!(r.varbinds[0].oid, sys(1));
    assert_eq!(r.varbinds[1].oid, oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1));
    assert_eq!(r.varbinds[2].value, Value::EndOfMibView);
    assert_eq!(
        r.varbinds[2].oid,
        oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, 1)
    );
    // v1: the Counter64 objects are skipped; past the end is noSuchName.
    let r = v1(&a, next(&[oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1)]));
    assert_eq!(
        r.varbinds[0].oid,
        oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, 1)
    );
    let r = v1(&a, next(&[oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, 1)]));
    assert_eq!((r.status(), r.error_index), (ErrorStatus::NoSuchName, 1));
}

#[test]
fn get_bulk_interleaves_and_ends() {
    let a = recording();
    let r = v2(
        &a,
        Pdu::get_bulk(
            4,
            1,
            10,
            vec![
                VarBind::null(oid!(1, 3)),
                VarBind::null(sys(3)),
                VarBind::null(oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)),
            ],
        ),
    );
    let names: Vec<String> = r
        .varbinds
        .iter()
        .map(|vb| format!("{}={:?}", vb.oid, vb.value))
        .collect();
    // non-repeater, then rounds of two until both repeaters ended.
    assert_eq!(r.varbinds[0].oid, sys(1));
    assert_eq!(r.varbinds[1].oid, sys(4));
    assert_eq!(r.varbinds[2].oid, oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1));
    let last = r.varbinds.last().unwrap();
    assert_eq!(last.value, Value::EndOfMibView, "{names:?}");
    // The first repeater has 5 objects left, the second 3; a sixth round
    // of two endOfMibView ends the response.
    assert_eq!(r.varbinds.len(), 1 + 2 * 6, "{names:?}");
    // An ended repeater repeats its last name.
    assert_eq!(
        r.varbinds[8].oid,
        oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, 1)
    );
    assert_eq!(r.varbinds[8].value, Value::EndOfMibView);
}

#[test]
fn get_bulk_is_capped_at_net_snmps_100_varbinds_and_truncated_to_fit() {
    let mut text = String::new();
    for i in 1..=500 {
        text.push_str(&format!("1.3.6.1.4.1.99.1.{i}|4|{}\n", "x".repeat(40)));
    }
    let rec = Recording::parse("big", &text).unwrap();
    let a = Agent::recording(&rec).community("public").build();
    let r = v2(
        &a,
        Pdu::get_bulk(1, 0, 1000, vec![VarBind::null(oid!(1, 3))]),
    );
    assert_eq!(r.varbinds.len(), 100);
    let small = Agent::recording(&rec)
        .community("public")
        .max_message_size(1472)
        .build();
    let request = Message::new(
        Version::V2c,
        "public",
        Pdu::get_bulk(1, 0, 1000, vec![VarBind::null(oid!(1, 3))]),
    )
    .to_bytes();
    let out = small.answer(&request, Instant::now()).unwrap();
    assert!(out.len() <= 1472, "{} bytes", out.len());
    let AnyPdu::Pdu(p) = Message::decode(&Bytes::from(out)).unwrap().pdu else {
        panic!()
    };
    assert_eq!(p.status(), ErrorStatus::NoError);
    assert!(
        p.varbinds.len() > 20 && p.varbinds.len() < 100,
        "{}",
        p.varbinds.len()
    );
}

#[test]
fn too_big_gets() {
    let mut text = String::new();
    for i in 1..=40 {
        text.push_str(&format!("1.3.6.1.4.1.99.1.{i}|4|{}\n", "y".repeat(60)));
    }
    let rec = Recording::parse("big", &text).unwrap();
    let a = Agent::recording(&rec)
        .community("public")
        .max_message_size(484)
        .build();
    let oids: Vec<Oid> = (1..=40).map(|i| oid!(1, 3, 6, 1, 4, 1, 99, 1, i)).collect();
    let r = v2(&a, get(&oids));
    assert_eq!((r.status(), r.error_index), (ErrorStatus::TooBig, 0));
    assert!(r.varbinds.is_empty());
    let r = v1(&a, get(&oids[..5]));
    assert_eq!(r.status(), ErrorStatus::NoError);
    assert_eq!(a.stats().too_big, 1);
}

#[test]
fn set_errors_as_snmpd_gives_them() {
    let a = Agent::recording(&Recording::parse("rec", REC).unwrap()).build();
    let rw = |version, vbs| ask(&a, version, "private", set(vbs)).unwrap();
    let r = rw(Version::V2c, vec![VarBind::new(sys(4), "noc@example.net")]);
    assert_eq!(r.status(), ErrorStatus::NoError);
    assert_eq!(r.varbinds[0].value.as_str(), Some("noc@example.net"));
    let r = ask(&a, Version::V2c, "public", get(&[sys(4)])).unwrap();
    assert_eq!(r.varbinds[0].value.as_str(), Some("noc@example.net"));

    let r = rw(Version::V2c, vec![VarBind::new(sys(4), Value::Integer(1))]);
    assert_eq!((r.status(), r.error_index), (ErrorStatus::WrongType, 1));
    let r = rw(
        Version::V2c,
        vec![VarBind::new(sys(4), "a"), VarBind::new(sys(1), "b")],
    );
    assert_eq!((r.status(), r.error_index), (ErrorStatus::NotWritable, 2));
    let r = ask(&a, Version::V2c, "public", get(&[sys(4)])).unwrap();
    assert_eq!(
        r.varbinds[0].value.as_str(),
        Some("noc@example.net"),
        "all or nothing"
    );
    let r = rw(
        Version::V2c,
        vec![VarBind::new(oid!(1, 3, 6, 1, 9, 0), Value::Integer(1))],
    );
    assert_eq!(r.status(), ErrorStatus::NotWritable);
    let r = ask(
        &a,
        Version::V2c,
        "public",
        set(vec![VarBind::new(sys(4), "x")]),
    )
    .unwrap();
    assert_eq!(r.status(), ErrorStatus::NoAccess);
    // v1: RFC 3584 §4.3.
    let r = rw(Version::V1, vec![VarBind::new(sys(4), Value::Integer(1))]);
    assert_eq!(r.status(), ErrorStatus::BadValue);
    let r = rw(Version::V1, vec![VarBind::new(sys(1), "x")]);
    assert_eq!(r.status(), ErrorStatus::NoSuchName);
    let r = ask(
        &a,
        Version::V1,
        "public",
        set(vec![VarBind::new(sys(4), "x")]),
    )
    .unwrap();
    assert_eq!(r.status(), ErrorStatus::NoSuchName);
}

#[test]
fn wrong_community_and_unsupported_pdus_get_no_answer() {
    let a = recording();
    assert!(ask(&a, Version::V2c, "private", get(&[sys(1)])).is_none());
    assert!(
        ask(
            &a,
            Version::V1,
            "public",
            Pdu::get_bulk(1, 0, 5, vec![VarBind::null(sys(1))])
        )
        .is_none()
    );
    assert!(
        ask(
            &a,
            Version::V2c,
            "public",
            Pdu::new(PduType::Response, 1, vec![])
        )
        .is_none()
    );
    let s = a.stats();
    assert_eq!((s.wrong_community, s.unsupported, s.requests), (1, 2, 0));
}

#[test]
fn garbage_never_panics_and_is_counted() {
    let a = recording();
    let valid = Message::new(Version::V2c, "public", get(&[sys(1), sys(3)])).to_vec();
    let mut rng = SmallRng::seed_from_u64(7);
    let mut answered = 0;
    let n = 20_000;
    for i in 0..n {
        let datagram: Vec<u8> = if i % 2 == 0 {
            let len = rng.random_range(0..80);
            (0..len).map(|_| rng.random()).collect()
        } else {
            // The valid request with a few bytes changed or cut.
            let mut d = valid.clone();
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..d.len());
                d[at] = rng.random();
            }
            d.truncate(rng.random_range(1..=d.len()));
            d
        };
        if a.answer(&Bytes::from(datagram), Instant::now()).is_some() {
            answered += 1;
        }
    }
    let s = a.stats();
    assert_eq!(
        s.requests + s.malformed + s.wrong_community + s.unsupported,
        n
    );
    assert_eq!(s.responses, answered);
    assert!(s.malformed > n / 2, "{s:?}");
}

#[test]
fn quirks_in_responses() {
    let rec = Recording::parse("rec", REC).unwrap();
    let a = Agent::recording(&rec)
        .community("public")
        .impairments(
            Impairments::none()
                .truncate_request_id(true)
                .append_zero(true),
        )
        .build();
    let mut p = get(&[sys(1)]);
    p.request_id = 0x12_3456;
    let r = v2(&a, p);
    assert_eq!(r.request_id, 0x3456);
    assert_eq!(r.varbinds[0].oid, sys(1).child(0));

    let looping = Agent::recording(&rec)
        .community("public")
        .impairments(Impairments::none().walk_loop_after(3))
        .build();
    let third = looping.mib.entry(2).unwrap().0.clone();
    let r = v2(&looping, next(std::slice::from_ref(&third)));
    assert!(r.varbinds[0].oid < third, "non-increasing");

    let capped = Agent::recording(&rec)
        .community("public")
        .impairments(Impairments::none().bulk_limit(2, crate::BulkOverflow::Cap))
        .build();
    let r = v2(
        &capped,
        Pdu::get_bulk(1, 0, 5, vec![VarBind::null(oid!(1, 3))]),
    );
    assert_eq!(r.varbinds.len(), 2);
    let dropping = Agent::recording(&rec)
        .community("public")
        .impairments(Impairments::none().bulk_limit(2, crate::BulkOverflow::Drop))
        .build();
    assert!(
        ask(
            &dropping,
            Version::V2c,
            "public",
            Pdu::get_bulk(1, 0, 5, vec![VarBind::null(oid!(1, 3))])
        )
        .is_none()
    );
    assert!(
        ask(
            &dropping,
            Version::V2c,
            "public",
            Pdu::get_bulk(1, 0, 2, vec![VarBind::null(oid!(1, 3))])
        )
        .is_some()
    );
    let garbage = Agent::recording(&rec)
        .community("public")
        .impairments(Impairments::none().bulk_limit(2, crate::BulkOverflow::Garbage))
        .build();
    let request = Message::new(
        Version::V2c,
        "public",
        Pdu::get_bulk(1, 0, 5, vec![VarBind::null(oid!(1, 3))]),
    )
    .to_bytes();
    let out = garbage.answer(&request, Instant::now()).unwrap();
    assert!(Message::decode(&Bytes::from(out)).is_err());
}

// ---------------------------------------------------------------------
// PDU profiles, by the logic alone (the SNMP tests are in tests/).

fn pdu(profile: Profile) -> Agent {
    Agent::pdu(
        profile,
        PduOptions::new()
            .outlets(4)
            .cycle_time(Duration::from_secs(3)),
    )
    .build()
}

fn write(a: &Agent, oid: Oid, v: i32) -> Pdu {
    ask(
        a,
        Version::V2c,
        "private",
        set(vec![VarBind::new(oid, Value::Integer(v))]),
    )
    .unwrap()
}

#[tokio::test(start_paused = true)]
async fn apc_rpdu2_reads_inverted_and_cycles() {
    let a = pdu(Profile::ApcRpdu2);
    let state = oid!(1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 3, 1, 5, 2);
    let command = oid!(1, 3, 6, 1, 4, 1, 318, 1, 1, 26, 9, 2, 4, 1, 5, 2);
    let read = |oid: &Oid| {
        v2(&a, get(std::slice::from_ref(oid))).varbinds[0]
            .value
            .clone()
    };
    assert_eq!(read(&state), Value::Integer(2), "on(2)");
    assert_eq!(write(&a, command.clone(), 2).status(), ErrorStatus::NoError);
    assert_eq!(read(&state), Value::Integer(1), "off(1)");
    assert_eq!(read(&command), Value::Integer(2), "immediateOff");
    write(&a, command.clone(), 3);
    assert_eq!(a.outlet_state(2), Some(OutletState::Off));
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!(a.outlet_state(2), Some(OutletState::On));
    assert_eq!(read(&state), Value::Integer(2));
    assert_eq!(
        write(&a, command.clone(), 4).status(),
        ErrorStatus::WrongValue,
        "outletUnknown is not a command"
    );
    assert_eq!(
        write(&a, command.clone(), 9).status(),
        ErrorStatus::WrongValue
    );
    let r = ask(
        &a,
        Version::V2c,
        "private",
        set(vec![VarBind::new(command, "on")]),
    )
    .unwrap();
    assert_eq!(r.status(), ErrorStatus::WrongType);
    assert_eq!(write(&a, state, 1).status(), ErrorStatus::NotWritable);
}

#[tokio::test(start_paused = true)]
async fn eaton_delays() {
    let a = pdu(Profile::EatonEpdu);
    let col = |c: u32| oid!(1, 3, 6, 1, 4, 1, 534, 6, 6, 7, 6, 6, 1, c, 0, 1);
    let read = |oid: Oid| v2(&a, get(&[oid])).varbinds[0].value.clone();
    assert_eq!(write(&a, col(3), 10).status(), ErrorStatus::NoError);
    assert_eq!(read(col(2)), Value::Integer(2), "pendingOff");
    assert_eq!(read(col(3)), Value::Integer(10));
    assert_eq!(read(col(4)), Value::Integer(-1));
    tokio::time::advance(Duration::from_secs(4)).await;
    assert_eq!(read(col(3)), Value::Integer(6));
    tokio::time::advance(Duration::from_secs(6)).await;
    assert_eq!(read(col(2)), Value::Integer(0), "off");
    assert_eq!(write(&a, col(4), 0).status(), ErrorStatus::NoError);
    assert_eq!(a.outlet_state(1), Some(OutletState::On));
    assert_eq!(write(&a, col(3), 5).status(), ErrorStatus::NoError);
    assert_eq!(write(&a, col(3), -1).status(), ErrorStatus::NoError);
    tokio::time::advance(Duration::from_secs(60)).await;
    assert_eq!(a.outlet_state(1), Some(OutletState::On), "cancelled");
    assert_eq!(write(&a, col(3), -2).status(), ErrorStatus::WrongValue);
    assert_eq!(write(&a, col(5), 0).status(), ErrorStatus::NoError);
    assert_eq!(
        read(col(2)),
        Value::Integer(3),
        "pendingOn during the reboot"
    );
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!(read(col(2)), Value::Integer(1));
}

#[tokio::test(start_paused = true)]
async fn readings_follow_the_outlet() {
    let a = pdu(Profile::RaritanPx2);
    let value = |sensor: u32| oid!(1, 3, 6, 1, 4, 1, 13742, 6, 5, 4, 3, 1, 4, 1, 3, sensor);
    let digits = |sensor: u32| oid!(1, 3, 6, 1, 4, 1, 13742, 6, 3, 5, 4, 1, 7, 1, 3, sensor);
    let r = v2(&a, get(&[value(1), digits(1), value(4), digits(4)]));
    let amps = r.varbinds[0].value.as_u64().unwrap() as f64
        / 10f64.powi(r.varbinds[1].value.as_u64().unwrap() as i32);
    let expected = a.outlet_reading(3).unwrap();
    assert!(
        (amps - expected.current).abs() < 0.001,
        "{amps} vs {expected:?}"
    );
    assert!((r.varbinds[2].value.as_u64().unwrap() as f64 - expected.voltage).abs() <= 1.0);
    a.set_outlet_state(3, OutletState::Off);
    assert_eq!(
        v2(&a, get(&[value(1)])).varbinds[0].value,
        Value::Gauge32(0)
    );
    let t0 = v2(&a, get(&[value(4)])).varbinds[0].value.clone();
    tokio::time::advance(Duration::from_secs(20)).await;
    assert_ne!(
        v2(&a, get(&[value(4)])).varbinds[0].value,
        t0,
        "voltage varies"
    );
    assert_eq!(a.outlet_state(5), None);
}

#[test]
fn every_profile_walks_in_order_with_every_outlet() {
    for profile in Profile::ALL {
        let a = Agent::pdu(profile, PduOptions::new().outlets(3))
            .community("public")
            .build();
        let mut oid = oid!(1, 3);
        let mut seen = Vec::new();
        loop {
            let r = v2(&a, next(std::slice::from_ref(&oid)));
            let vb = &r.varbinds[0];
            if vb.value == Value::EndOfMibView {
                break;
            }
            assert!(vb.oid > oid, "{profile}: increasing");
            oid = vb.oid.clone();
            seen.push(oid.clone());
        }
        assert_eq!(seen.len(), a.object_count(), "{profile}");
        assert_eq!(
            v2(&a, get(&[sys(5)])).varbinds[0].value.as_str(),
            Some(profile.name())
        );
        let index = a.outlet_index(3).unwrap();
        for column in profile.spec().columns {
            let mut arcs = column.oid.to_vec();
            arcs.extend(&index);
            arcs.extend(column.suffix);
            assert!(
                seen.contains(&Oid::from_slice(&arcs)),
                "{profile}: outlet 3 of {:?}",
                column.oid
            );
        }
    }
}
