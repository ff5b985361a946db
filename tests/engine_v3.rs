//! SNMPv3 through the dispatcher (RFC 3412 §7, RFC 3414 §3-4): discovery,
//! authenticated and encrypted requests against a real snmpd, compared with
//! net-snmp's own snmpget; Reports; tampered responses dropped.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use snmux::dispatcher::{Dispatcher, RequestOptions, ResponseV3, UsmRequest};
use snmux::transport::test::{Faults, Reply, TestNet};
use snmux::transport::{UdpConfig, UdpTransport};
use snmux::usm::{AuthKey, AuthProtocol, PrivKey, PrivProtocol};
use snmux::{
    Bytes, BytesMut, MessageV3, MsgData, Oid, Pdu, PduType, ScopedPdu, Value, VarBind, oid,
};

const SYS_DESCR: [u32; 9] = [1, 3, 6, 1, 2, 1, 1, 1, 0];
const USM_STATS: [u32; 9] = [1, 3, 6, 1, 6, 3, 15, 1, 1];

/// One user per security level; passphrases as `snmpget -A/-X` take them.
fn snmpd() -> support::Snmpd {
    support::Snmpd::builder()
        .extra_config("rouser v3noauth noauth\nrouser v3md5 auth\nrouser v3sha256aes priv\nrouser v3sha512aes256c priv\n")
        .extra_persist(
            "createUser v3noauth\n\
             createUser v3md5 MD5 auth-passphrase-md5\n\
             createUser v3sha256aes SHA-256 auth-passphrase-256 AES priv-passphrase-aes\n\
             createUser v3sha512aes256c SHA-512 auth-passphrase-512 AES-256-C priv-passphrase-256c\n",
        )
        .start()
}

fn dispatcher() -> Dispatcher {
    let transport = UdpTransport::bind(UdpConfig::new()).expect("bind");
    Dispatcher::start(Arc::new(transport), 1024, 65507)
}

fn options() -> RequestOptions {
    RequestOptions {
        timeout: Duration::from_millis(1500),
        refresh: Duration::from_millis(500),
        ..RequestOptions::default()
    }
}

fn get(oids: &[Oid]) -> Pdu {
    Pdu::new(
        PduType::GetRequest,
        0,
        oids.iter().cloned().map(VarBind::null).collect(),
    )
}

/// Discovery (RFC 3414 §4): an empty noAuthNoPriv request with no engine ID
/// and no user; the agent answers with a Report carrying its engine.
async fn discover(d: &Dispatcher, agent: SocketAddr) -> ResponseV3 {
    let report = d
        .request_v3(agent, &UsmRequest::default(), get(&[]), &options())
        .await
        .unwrap();
    assert_eq!(report.pdu.pdu_type, PduType::Report);
    assert_eq!(
        report.pdu.varbinds[0].oid,
        Oid::from_slice(&USM_STATS).child(4).child(0),
        "usmStatsUnknownEngineIDs"
    );
    assert!(!report.engine_id.is_empty());
    assert!(!report.authenticated);
    report
}

fn user(
    name: &str,
    engine: &ResponseV3,
    auth: Option<(AuthProtocol, &str)>,
    privacy: Option<(PrivProtocol, &str)>,
) -> UsmRequest {
    let auth_key =
        auth.map(|(p, pass)| Arc::new(AuthKey::from_password(p, pass, &engine.engine_id).unwrap()));
    let priv_key = privacy.map(|(p, pass)| {
        let (a, _) = auth.expect("privacy needs authentication");
        Arc::new(PrivKey::from_password(a, p, pass, &engine.engine_id).unwrap())
    });
    UsmRequest {
        user_name: Bytes::copy_from_slice(name.as_bytes()),
        engine_id: engine.engine_id.clone(),
        engine_boots: engine.engine_boots,
        engine_time: engine.engine_time,
        auth: auth_key,
        privacy: priv_key,
        context_engine_id: engine.engine_id.clone(),
        context_name: Bytes::new(),
    }
}

fn net_snmp_sys_descr(snmpd: &support::Snmpd, args: &[&str]) -> Vec<u8> {
    let addr = snmpd.net_snmp_addr();
    let mut all = vec!["-v3", "-On"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[addr.as_str(), "1.3.6.1.2.1.1.1.0"]);
    let out = support::parse_net_snmp_output(&support::net_snmp("snmpget", &all));
    out[0].octets().expect("sysDescr is a string")
}

#[tokio::test]
async fn every_security_level_reads_what_net_snmp_reads() {
    let snmpd = snmpd();
    let d = dispatcher();
    let engine = discover(&d, snmpd.addr()).await;
    let cases = [
        (
            user("v3noauth", &engine, None, None),
            vec!["-l", "noAuthNoPriv", "-u", "v3noauth"],
        ),
        (
            user(
                "v3md5",
                &engine,
                Some((AuthProtocol::Md5, "auth-passphrase-md5")),
                None,
            ),
            vec![
                "-l",
                "authNoPriv",
                "-u",
                "v3md5",
                "-a",
                "MD5",
                "-A",
                "auth-passphrase-md5",
            ],
        ),
        (
            user(
                "v3sha256aes",
                &engine,
                Some((AuthProtocol::Sha256, "auth-passphrase-256")),
                Some((PrivProtocol::Aes128, "priv-passphrase-aes")),
            ),
            vec![
                "-l",
                "authPriv",
                "-u",
                "v3sha256aes",
                "-a",
                "SHA-256",
                "-A",
                "auth-passphrase-256",
                "-x",
                "AES",
                "-X",
                "priv-passphrase-aes",
            ],
        ),
        (
            user(
                "v3sha512aes256c",
                &engine,
                Some((AuthProtocol::Sha512, "auth-passphrase-512")),
                Some((PrivProtocol::Aes256Cisco, "priv-passphrase-256c")),
            ),
            vec![
                "-l",
                "authPriv",
                "-u",
                "v3sha512aes256c",
                "-a",
                "SHA-512",
                "-A",
                "auth-passphrase-512",
                "-x",
                "AES-256-C",
                "-X",
                "priv-passphrase-256c",
            ],
        ),
    ];
    for (usm, args) in cases {
        let r = d
            .request_v3(
                snmpd.addr(),
                &usm,
                get(&[Oid::from_slice(&SYS_DESCR)]),
                &options(),
            )
            .await
            .unwrap();
        assert_eq!(r.pdu.pdu_type, PduType::Response, "{args:?}");
        assert_eq!(r.authenticated, usm.auth.is_some());
        assert_eq!(r.engine_id, engine.engine_id);
        let ours = r.pdu.varbinds[0]
            .value
            .as_bytes()
            .expect("a string")
            .to_vec();
        assert_eq!(ours, net_snmp_sys_descr(&snmpd, &args), "{args:?}");
    }
    let stats = d.stats();
    assert_eq!(stats.dropped_auth_failure, 0);
    assert_eq!(d.table_len(), 0);
}

#[tokio::test]
async fn a_wrong_passphrase_gets_a_report_and_a_wrong_privacy_key_no_answer() {
    let snmpd = snmpd();
    let d = dispatcher();
    let engine = discover(&d, snmpd.addr()).await;
    // Wrong auth passphrase: snmpd answers usmStatsWrongDigests (RFC 3414
    // §3.2 step 6), unauthenticated.
    let wrong = user(
        "v3md5",
        &engine,
        Some((AuthProtocol::Md5, "not-the-passphrase")),
        None,
    );
    let r = d
        .request_v3(
            snmpd.addr(),
            &wrong,
            get(&[Oid::from_slice(&SYS_DESCR)]),
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(r.pdu.pdu_type, PduType::Report);
    assert_eq!(
        r.pdu.varbinds[0].oid,
        Oid::from_slice(&USM_STATS).child(5).child(0),
        "usmStatsWrongDigests"
    );
    // Unknown user: usmStatsUnknownUserNames.
    let unknown = user("nobody-here", &engine, None, None);
    let r = d
        .request_v3(
            snmpd.addr(),
            &unknown,
            get(&[Oid::from_slice(&SYS_DESCR)]),
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(
        r.pdu.varbinds[0].oid,
        Oid::from_slice(&USM_STATS).child(3).child(0),
        "usmStatsUnknownUserNames"
    );
    // Wrong privacy passphrase: snmpd cannot decrypt and stays silent.
    let wrong_priv = user(
        "v3sha256aes",
        &engine,
        Some((AuthProtocol::Sha256, "auth-passphrase-256")),
        Some((PrivProtocol::Aes128, "not-the-passphrase")),
    );
    let err = d
        .request_v3(
            snmpd.addr(),
            &wrong_priv,
            get(&[Oid::from_slice(&SYS_DESCR)]),
            &options(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, snmux::dispatcher::Error::Timeout { .. }),
        "{err}"
    );
}

/// An agent on `TestNet` that answers every request with an authenticated
/// response, and a tampered copy first.
#[tokio::test(start_paused = true)]
async fn tampered_responses_are_dropped_and_counted() {
    let engine_id = Bytes::from_static(b"\x80\x00\x1f\x88\x04tamper");
    let auth = AuthKey::from_password(AuthProtocol::Sha256, "auth-passphrase", &engine_id).unwrap();
    let privacy = PrivKey::from_password(
        AuthProtocol::Sha256,
        PrivProtocol::Aes128,
        "priv-passphrase",
        &engine_id,
    )
    .unwrap();
    let net = TestNet::new(3);
    let agent: SocketAddr = "10.0.3.1:161".parse().unwrap();
    let (agent_auth, agent_priv, agent_engine) = (auth.clone(), privacy.clone(), engine_id.clone());
    let _agent = net.serve_with(agent, move |request, _from| {
        let (msg, _) = MessageV3::decode(&Bytes::copy_from_slice(request)).unwrap();
        assert!(
            agent_auth.check(request, locate_auth(request)).is_ok(),
            "the request is signed"
        );
        let MsgData::Encrypted(encrypted) = &msg.data else {
            panic!("the request is encrypted")
        };
        let plain = agent_priv
            .decrypt(
                msg.usm.engine_boots,
                msg.usm.engine_time,
                &msg.usm.priv_params,
                encrypted,
            )
            .unwrap();
        let scoped = ScopedPdu::decode(&Bytes::from(plain)).unwrap();
        let mut pdu = scoped.pdu.clone();
        pdu.pdu_type = PduType::Response;
        pdu.varbinds[0].value = Value::from("tamper-proof");
        let response = ScopedPdu { pdu, ..scoped };
        let mut plain = BytesMut::new();
        response.encode(&mut plain);
        let (encrypted, params) = agent_priv.encrypt(5, 1000, 77, &plain);
        let mut reply = msg.clone();
        reply.flags &= !snmux::FLAG_REPORTABLE;
        reply.usm.engine_id = agent_engine.clone();
        reply.usm.engine_boots = 5;
        reply.usm.engine_time = 1000;
        reply.usm.auth_params = Bytes::from(vec![0; 24]);
        reply.usm.priv_params = Bytes::copy_from_slice(&params);
        reply.data = MsgData::Encrypted(Bytes::from(encrypted));
        let mut buf = BytesMut::new();
        let offset = reply.encode(&mut buf);
        agent_auth.sign(&mut buf, offset).unwrap();
        let good = buf.to_vec();
        let mut bad_mac = good.clone();
        bad_mac[offset] ^= 1;
        let mut bad_pdu = good.clone();
        let last = bad_pdu.len() - 1;
        bad_pdu[last] ^= 0x80;
        let mut bad_time = good.clone();
        // msgAuthoritativeEngineTime is the INTEGER 1000: 02 02 03 e8.
        let time_at = good
            .windows(4)
            .position(|w| w == [0x02, 0x02, 0x03, 0xe8])
            .unwrap()
            + 3;
        bad_time[time_at] ^= 1;
        vec![
            Reply::new(bad_mac),
            Reply::new(bad_pdu),
            Reply::new(bad_time),
            Reply::new(good),
        ]
    });
    let transport = net.bind("10.0.3.100:40000".parse().unwrap());
    let d = Dispatcher::start(Arc::new(transport), 16, 65507);
    let usm = UsmRequest {
        user_name: Bytes::from_static(b"someone"),
        engine_id: engine_id.clone(),
        engine_boots: 5,
        engine_time: 990,
        auth: Some(Arc::new(auth)),
        privacy: Some(Arc::new(privacy)),
        context_engine_id: engine_id.clone(),
        context_name: Bytes::new(),
    };
    let r = d
        .request_v3(
            agent,
            &usm,
            get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]),
            &options(),
        )
        .await
        .unwrap();
    assert!(r.authenticated);
    assert_eq!(r.pdu.varbinds[0].value, Value::from("tamper-proof"));
    assert_eq!(d.stats().dropped_auth_failure, 3);
    assert_eq!(d.stats().completed, 1);
}

/// The varbinds of an SNMPv3 response are decoded by the request that
/// takes it, after the message was checked: malformed ones in an
/// authenticated, decrypted response are the request's error (as a wrong
/// privacy key's garbage is); in an unauthenticated Report to a request
/// with a key, which nothing vouches for, they get the message dropped.
#[tokio::test(start_paused = true)]
async fn malformed_v3_varbinds_fail_an_authenticated_response_and_drop_an_unauthenticated_report() {
    let engine_id = Bytes::from_static(b"\x80\x00\x1f\x88\x04malformed");
    let auth = AuthKey::from_password(AuthProtocol::Sha256, "auth-passphrase", &engine_id).unwrap();
    let privacy = PrivKey::from_password(
        AuthProtocol::Sha256,
        PrivProtocol::Aes128,
        "priv-passphrase",
        &engine_id,
    )
    .unwrap();
    let net = TestNet::new(5);
    let agent: SocketAddr = "10.0.5.1:161".parse().unwrap();
    let (agent_auth, agent_priv, agent_engine) = (auth.clone(), privacy.clone(), engine_id.clone());
    // The value of sysName.0 in the response: its tag (0x04) is made
    // 0x5f, which no SMI type has, when the request asks for sysName.0.
    let bad_value = Bytes::from_static(b"malformed");
    let _agent = net.serve_with(agent, move |request, _from| {
        let (msg, _) = MessageV3::decode(&Bytes::copy_from_slice(request)).unwrap();
        let MsgData::Encrypted(encrypted) = &msg.data else {
            panic!("the request is encrypted")
        };
        let plain = agent_priv
            .decrypt(
                msg.usm.engine_boots,
                msg.usm.engine_time,
                &msg.usm.priv_params,
                encrypted,
            )
            .unwrap();
        let scoped = ScopedPdu::decode(&Bytes::from(plain)).unwrap();
        let malformed = scoped.pdu.varbinds[0].oid == oid!(1, 3, 6, 1, 2, 1, 1, 5, 0);
        let mut pdu = scoped.pdu.clone();
        pdu.pdu_type = PduType::Response;
        pdu.varbinds[0].value = Value::OctetString(bad_value.clone());
        let break_tag = |plain: &mut BytesMut| {
            let at = plain.len() - bad_value.len() - 2;
            assert_eq!(plain[at], 0x04);
            plain[at] = 0x5f;
        };
        let response = ScopedPdu {
            pdu: pdu.clone(),
            ..scoped.clone()
        };
        let mut plain = BytesMut::new();
        response.encode(&mut plain);
        if malformed {
            break_tag(&mut plain);
        }
        let (encrypted, params) = agent_priv.encrypt(5, 1000, 77, &plain);
        let mut reply = msg.clone();
        reply.flags &= !snmux::FLAG_REPORTABLE;
        reply.usm.engine_id = agent_engine.clone();
        reply.usm.engine_boots = 5;
        reply.usm.engine_time = 1000;
        reply.usm.auth_params = Bytes::from(vec![0; 24]);
        reply.usm.priv_params = Bytes::copy_from_slice(&params);
        reply.data = MsgData::Encrypted(Bytes::from(encrypted));
        let mut buf = BytesMut::new();
        let offset = reply.encode(&mut buf);
        agent_auth.sign(&mut buf, offset).unwrap();
        // First, an unauthenticated Report of the same msgID whose
        // varbind does not decode.
        let mut report = msg.clone();
        report.flags = 0;
        report.usm.engine_id = agent_engine.clone();
        report.usm.auth_params = Bytes::new();
        report.usm.priv_params = Bytes::new();
        let mut report_pdu = pdu;
        report_pdu.pdu_type = PduType::Report;
        report.data = MsgData::Plaintext(ScopedPdu {
            pdu: report_pdu,
            ..scoped
        });
        let mut report_buf = BytesMut::new();
        report.encode(&mut report_buf);
        break_tag(&mut report_buf);
        vec![Reply::new(report_buf.to_vec()), Reply::new(buf.to_vec())]
    });
    let transport = net.bind("10.0.5.100:40000".parse().unwrap());
    let d = Dispatcher::start(Arc::new(transport), 16, 65507);
    let usm = UsmRequest {
        user_name: Bytes::from_static(b"someone"),
        engine_id: engine_id.clone(),
        engine_boots: 5,
        engine_time: 990,
        auth: Some(Arc::new(auth)),
        privacy: Some(Arc::new(privacy)),
        context_engine_id: engine_id.clone(),
        context_name: Bytes::new(),
    };
    let good = d
        .request_v3(
            agent,
            &usm,
            get(&[oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)]),
            &options(),
        )
        .await
        .unwrap();
    assert!(good.authenticated);
    assert_eq!(good.pdu.pdu_type, PduType::Response);
    assert_eq!(good.pdu.varbinds[0].value, Value::from("malformed"));
    assert_eq!(d.stats().dropped_decode_error, 1, "the Report was dropped");
    let err = d
        .request_v3(
            agent,
            &usm,
            get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]),
            &options(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, snmux::dispatcher::Error::Decryption), "{err}");
    assert_eq!(d.stats().dropped_decode_error, 2);
    assert_eq!(d.stats().completed, 2);
}

/// The offset of msgAuthenticationParameters' contents in a request.
fn locate_auth(msg: &[u8]) -> usize {
    let (_, offset) = MessageV3::decode(&Bytes::copy_from_slice(msg)).unwrap();
    offset
}

/// Retransmissions are new messages (RFC 3412 §7.1): each has its own
/// msgID and HMAC; a reply to an earlier one still completes the request.
#[tokio::test(start_paused = true)]
async fn retransmissions_get_fresh_msg_ids_and_late_replies_count() {
    let engine_id = Bytes::from_static(b"\x80\x00\x1f\x88\x04retry");
    let auth = AuthKey::from_password(AuthProtocol::Sha1, "auth-passphrase", &engine_id).unwrap();
    let net = TestNet::new(4);
    let agent: SocketAddr = "10.0.4.1:161".parse().unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (agent_auth, log) = (auth.clone(), seen.clone());
    // Silent until the third transmission, then answers the first.
    let _agent = net.serve_with(agent, move |request, _from| {
        let (msg, offset) = MessageV3::decode(&Bytes::copy_from_slice(request)).unwrap();
        assert!(
            agent_auth.check(request, offset).is_ok(),
            "each transmission is signed"
        );
        let mut log = log.lock().unwrap();
        log.push(msg.clone());
        if log.len() < 3 {
            return vec![];
        }
        let first = &log[0];
        let (boots, time) = (first.usm.engine_boots, first.usm.engine_time);
        vec![signed_response(first, &agent_auth, boots, time, "late")]
    });
    let d = Dispatcher::start(
        Arc::new(net.bind("10.0.4.100:40000".parse().unwrap())),
        16,
        65507,
    );
    let usm = auth_only(&engine_id, auth, 1, 10);
    let r = d
        .request_v3(
            agent,
            &usm,
            get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]),
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(r.pdu.varbinds[0].value, Value::from("late"));
    let seen = seen.lock().unwrap();
    let ids: Vec<i32> = seen.iter().map(|m| m.msg_id).collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
        "{ids:?}"
    );
    for m in seen.iter() {
        let MsgData::Plaintext(s) = &m.data else {
            panic!()
        };
        assert_eq!(s.pdu.request_id, m.msg_id);
    }
    assert_eq!(d.stats().retransmitted, 2);
    assert_eq!(d.table_len(), 0, "aliases are removed with the request");
}

/// Authenticated responses older than the agent's clock as the request
/// stated it are dropped (RFC 3414 §3.2 step 7b): lower boots, or a time
/// more than 150 s behind.
#[tokio::test(start_paused = true)]
async fn responses_outside_the_time_window_are_dropped() {
    let engine_id = Bytes::from_static(b"\x80\x00\x1f\x88\x04window");
    let auth = AuthKey::from_password(AuthProtocol::Sha256, "auth-passphrase", &engine_id).unwrap();
    let net = TestNet::new(5);
    let agent: SocketAddr = "10.0.5.1:161".parse().unwrap();
    let agent_auth = auth.clone();
    let _agent = net.serve_with(agent, move |request, _from| {
        let (msg, _) = MessageV3::decode(&Bytes::copy_from_slice(request)).unwrap();
        [
            (4, 1000, "old boots"),
            (5, 700, "old time"),
            (5, 900, "in time"),
        ]
        .into_iter()
        .map(|(boots, time, text)| signed_response(&msg, &agent_auth, boots, time, text))
        .collect()
    });
    let d = Dispatcher::start(
        Arc::new(net.bind("10.0.5.100:40000".parse().unwrap())),
        16,
        65507,
    );
    let usm = auth_only(&engine_id, auth, 5, 1000);
    let r = d
        .request_v3(
            agent,
            &usm,
            get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]),
            &options(),
        )
        .await
        .unwrap();
    assert_eq!(r.pdu.varbinds[0].value, Value::from("in time"));
    assert_eq!(d.stats().dropped_not_in_time_window, 2);
}

/// The window moves with the time a request waits: a response that comes
/// 200 s after the request must state a time at most 150 s behind the
/// request's time plus those 200 s (RFC 3414 §3.2 step 7b).
#[tokio::test(start_paused = true)]
async fn the_time_window_counts_the_time_a_request_waited() {
    let engine_id = Bytes::from_static(b"\x80\x00\x1f\x88\x04waited");
    let auth = AuthKey::from_password(AuthProtocol::Sha256, "auth-passphrase", &engine_id).unwrap();
    let net = TestNet::new(6);
    let agent: SocketAddr = "10.0.6.1:161".parse().unwrap();
    let manager: SocketAddr = "10.0.6.100:40000".parse().unwrap();
    net.set_link_faults(
        agent,
        manager,
        Faults::none().fixed_delay(Duration::from_secs(200)),
    );
    let agent_auth = auth.clone();
    let _agent = net.serve_with(agent, move |request, _from| {
        let (msg, _) = MessageV3::decode(&Bytes::copy_from_slice(request)).unwrap();
        // The request states time 1000; 200 s later the agent's clock should
        // read about 1200: 1049 is 151 s behind that, 1051 is 149 s behind.
        [(5, 1049, "too old"), (5, 1051, "in time")]
            .into_iter()
            .map(|(boots, time, text)| signed_response(&msg, &agent_auth, boots, time, text))
            .collect()
    });
    let d = Dispatcher::start(Arc::new(net.bind(manager)), 16, 65507);
    let usm = auth_only(&engine_id, auth, 5, 1000);
    let patient = RequestOptions {
        timeout: Duration::from_secs(300),
        refresh: Duration::from_secs(300),
        ..RequestOptions::default()
    };
    let r = d
        .request_v3(
            agent,
            &usm,
            get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]),
            &patient,
        )
        .await
        .unwrap();
    assert_eq!(r.pdu.varbinds[0].value, Value::from("in time"));
    assert_eq!(d.stats().dropped_not_in_time_window, 1);
    assert_eq!(d.stats().retransmitted, 0);
}

/// The authNoPriv response to `request` an agent signs with `key`: every
/// varbind's value is `text`, the agent's clock `boots` and `time`.
fn signed_response(request: &MessageV3, key: &AuthKey, boots: u32, time: u32, text: &str) -> Reply {
    let MsgData::Plaintext(scoped) = &request.data else {
        panic!("authNoPriv")
    };
    let mut pdu = scoped.pdu.clone();
    pdu.pdu_type = PduType::Response;
    for vb in &mut pdu.varbinds {
        vb.value = Value::from(text);
    }
    let mut reply = request.clone();
    reply.flags &= !snmux::FLAG_REPORTABLE;
    reply.usm.engine_boots = boots;
    reply.usm.engine_time = time;
    reply.data = MsgData::Plaintext(ScopedPdu {
        pdu,
        ..scoped.clone()
    });
    let mut buf = BytesMut::new();
    let offset = reply.encode(&mut buf);
    key.sign(&mut buf, offset).unwrap();
    Reply::new(buf.freeze())
}

/// An authNoPriv request to `engine_id`, whose clock the request states as
/// `boots` and `time`.
fn auth_only(engine_id: &Bytes, auth: AuthKey, boots: u32, time: u32) -> UsmRequest {
    UsmRequest {
        user_name: Bytes::from_static(b"someone"),
        engine_id: engine_id.clone(),
        engine_boots: boots,
        engine_time: time,
        auth: Some(Arc::new(auth)),
        privacy: None,
        context_engine_id: engine_id.clone(),
        context_name: Bytes::new(),
    }
}
