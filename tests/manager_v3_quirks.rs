//! SNMPv3 quirks of real devices (shared/reference/device-quirks.md), on a
//! scripted agent over `TestNet` with tokio's paused clock.

use std::net::SocketAddr;
use std::sync::Arc;

use snmux::transport::test::TestNet;
use snmux::usm::{AuthKey, AuthProtocol};
use snmux::{
    Bytes, BytesMut, Engine, Error, MessageV3, MsgData, Oid, Pdu, PduType, ScopedPdu, Security,
    SecurityLevel, UsmUser, Value, VarBind, oid,
};

const ENGINE_ID: &[u8] = b"\x80\x00\x1f\x88\x04quirky";
const PASSPHRASE: &str = "auth-passphrase";

/// How the scripted agent misbehaves.
#[derive(Clone, Copy, Default)]
struct Quirks {
    /// Answer discovery with usmStatsUnknownUserNames (Dell switches).
    discovery_unknown_user: bool,
    /// Put this request-id in Reports (Cisco ASA: 0; others: 2^31-1).
    report_request_id: Option<i32>,
    /// Put the user name `initial` in Reports (Eaton PDUs).
    report_user_initial: bool,
    /// Discovery states boots 0, time 0; authenticated requests with the
    /// wrong clock get an *unauthenticated* notInTimeWindow (UniFi).
    unauthenticated_time: bool,
}

const BOOTS: u32 = 7;
const TIME: u32 = 5000;

fn usm_stat(n: u32) -> Oid {
    oid!(1, 3, 6, 1, 6, 3, 15, 1, 1).child(n).child(0)
}

fn agent(net: &TestNet, at: SocketAddr, quirks: Quirks) -> snmux::transport::test::ServeGuard {
    let key = AuthKey::from_password(AuthProtocol::Sha1, PASSPHRASE, ENGINE_ID).unwrap();
    net.serve(at, move |request| {
        let (msg, offset) = MessageV3::decode(&Bytes::copy_from_slice(request)).ok()?;
        let MsgData::Plaintext(scoped) = &msg.data else {
            return None;
        };
        let report = |stat: u32, boots: u32, time: u32| {
            let pdu = Pdu::new(
                PduType::Report,
                quirks.report_request_id.unwrap_or(scoped.pdu.request_id),
                vec![VarBind::new(usm_stat(stat), Value::Counter32(1))],
            );
            let mut reply = msg.clone();
            reply.flags = 0;
            reply.usm.engine_id = Bytes::from_static(ENGINE_ID);
            reply.usm.engine_boots = boots;
            reply.usm.engine_time = time;
            reply.usm.auth_params = Bytes::new();
            if quirks.report_user_initial {
                reply.usm.user_name = Bytes::from_static(b"initial");
            }
            reply.data = MsgData::Plaintext(ScopedPdu {
                context_engine_id: Bytes::from_static(ENGINE_ID),
                context_name: Bytes::new(),
                pdu,
            });
            let mut buf = BytesMut::new();
            reply.encode(&mut buf);
            Some(buf.to_vec())
        };
        if msg.usm.engine_id.is_empty() {
            // Discovery.
            let stat = if quirks.discovery_unknown_user { 3 } else { 4 };
            return if quirks.unauthenticated_time {
                report(stat, 0, 0)
            } else {
                report(stat, BOOTS, TIME)
            };
        }
        if key.check(request, offset).is_err() {
            return report(5, BOOTS, TIME);
        }
        if msg.usm.engine_boots != BOOTS {
            // Unauthenticated notInTimeWindow (UniFi); a compliant agent
            // would sign it.
            return report(2, BOOTS, TIME);
        }
        let mut pdu = scoped.pdu.clone();
        pdu.pdu_type = PduType::Response;
        for vb in &mut pdu.varbinds {
            vb.value = Value::from("ok");
        }
        let mut reply = msg.clone();
        reply.flags &= !snmux::FLAG_REPORTABLE;
        reply.usm.engine_boots = BOOTS;
        reply.usm.engine_time = TIME;
        reply.data = MsgData::Plaintext(ScopedPdu {
            pdu,
            ..scoped.clone()
        });
        let mut buf = BytesMut::new();
        let offset = reply.encode(&mut buf);
        key.sign(&mut buf, offset).unwrap();
        Some(buf.to_vec())
    })
}

fn user() -> UsmUser {
    UsmUser::new(
        "operator",
        SecurityLevel::AuthNoPriv {
            auth: AuthProtocol::Sha1,
            auth_password: PASSPHRASE.into(),
        },
    )
    .unwrap()
}

async fn poll(quirks: Quirks, dangerous_time: bool) -> Result<Vec<VarBind>, Error> {
    let net = TestNet::new(1);
    let at: SocketAddr = "10.1.0.1:161".parse().unwrap();
    let _agent = agent(&net, at, quirks);
    let engine = Engine::builder()
        .transport(Arc::new(net.bind("10.1.0.100:40000".parse().unwrap())))
        .build()
        .unwrap();
    let m = engine
        .manager(at, Security::v3(user()))
        .dangerous_accept_unauthenticated_time_reports(dangerous_time)
        .build();
    m.get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]).await
}

#[tokio::test(start_paused = true)]
async fn a_compliant_agent() {
    let vbs = poll(Quirks::default(), false).await.unwrap();
    assert_eq!(vbs[0].value, Value::from("ok"));
}

#[tokio::test(start_paused = true)]
async fn discovery_answered_with_unknown_user_names_dell() {
    let quirks = Quirks {
        discovery_unknown_user: true,
        ..Quirks::default()
    };
    assert_eq!(
        poll(quirks, false).await.unwrap()[0].value,
        Value::from("ok")
    );
}

#[tokio::test(start_paused = true)]
async fn reports_with_request_id_0_or_max_and_user_initial() {
    for id in [0, i32::MAX] {
        let quirks = Quirks {
            report_request_id: Some(id),
            report_user_initial: true,
            ..Quirks::default()
        };
        assert_eq!(
            poll(quirks, false).await.unwrap()[0].value,
            Value::from("ok"),
            "request-id {id}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn unauthenticated_time_reports_only_with_the_dangerous_option_unifi() {
    let quirks = Quirks {
        unauthenticated_time: true,
        ..Quirks::default()
    };
    let err = poll(quirks, false).await.unwrap_err();
    assert!(matches!(err, Error::NotInTimeWindow { .. }), "{err}");
    assert_eq!(
        poll(quirks, true).await.unwrap()[0].value,
        Value::from("ok")
    );
}
