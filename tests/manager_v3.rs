//! SNMPv3 through managers against a real snmpd: discovery, keys, Reports;
//! every authentication and privacy protocol snmpd knows, compared with
//! net-snmp's own tools for the same user; wrong credentials; reboots and
//! engine ID changes.

mod support;

use std::fs;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use futures::future::join_all;
use snmux::{
    AuthProtocol, Engine, Error, ErrorStatus, Manager, Oid, Pdu, PduType, PrivProtocol, ScopedPdu,
    Security, SecurityLevel, UsmUser, Value, VarBind, oid,
};
use support::{NetSnmpVarBind, Snmpd, net_snmp, net_snmp_command, parse_net_snmp_output};

/// The system group, walked for every user.
const SYSTEM: &str = "1.3.6.1.2.1.1";
/// sysUpTime.0: the only object of the system group whose value moves.
const SYS_UP_TIME: &str = "1.3.6.1.2.1.1.3.0";
/// snmpEngineID.0 and snmpEngineBoots.0 (RFC 3411 SNMP-FRAMEWORK-MIB).
const SNMP_ENGINE_ID: &str = "1.3.6.1.6.3.10.2.1.1.0";
const SNMP_ENGINE_BOOTS: &str = "1.3.6.1.6.3.10.2.1.2.0";
/// usmStatsNotInTimeWindows.0 and usmStatsUnknownEngineIDs.0 (RFC 3414 §5).
const USM_STATS_NOT_IN_TIME_WINDOWS: &str = "1.3.6.1.6.3.15.1.1.2.0";
const USM_STATS_UNKNOWN_ENGINE_IDS: &str = "1.3.6.1.6.3.15.1.1.4.0";

fn snmpd() -> support::Snmpd {
    support::Snmpd::builder()
        .extra_config("rouser v3sha256aes priv\nrouser v3md5 auth\n")
        .extra_persist(
            "createUser v3sha256aes SHA-256 auth-passphrase-256 AES priv-passphrase-aes\n\
             createUser v3md5 MD5 auth-passphrase-md5\n",
        )
        .start()
}

fn auth_priv() -> SecurityLevel {
    SecurityLevel::AuthPriv {
        auth: AuthProtocol::Sha256,
        auth_password: "auth-passphrase-256".into(),
        privacy: PrivProtocol::Aes128,
        privacy_password: "priv-passphrase-aes".into(),
    }
}

#[tokio::test]
async fn auth_priv_get_and_walk_with_automatic_discovery() {
    let snmpd = snmpd();
    let engine = Engine::bind("0.0.0.0:0".parse().unwrap()).unwrap();
    let user = UsmUser::new("v3sha256aes", auth_priv()).unwrap();
    let m = engine.manager(snmpd.addr(), Security::v3(user)).build();
    let vbs = m.get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]).await.unwrap();
    let expected = snmpd.net_snmp_get(&["1.3.6.1.2.1.1.5.0"]);
    assert_eq!(
        vbs[0].value.as_bytes().unwrap(),
        &expected[0].octets().unwrap()[..]
    );
    let system: Vec<VarBind> = m
        .walk(oid!(1, 3, 6, 1, 2, 1, 1))
        .try_collect()
        .await
        .unwrap();
    let net_snmp = snmpd.net_snmp_walk("1.3.6.1.2.1.1");
    assert_eq!(system.len(), net_snmp.len());
    // One discovery, then requests.
    assert_eq!(engine.stats().completed, engine.stats().sent);
}

#[tokio::test]
async fn reports_become_errors() {
    let snmpd = snmpd();
    let engine = Engine::bind("0.0.0.0:0".parse().unwrap()).unwrap();
    let wrong = UsmUser::new(
        "v3md5",
        SecurityLevel::AuthNoPriv {
            auth: AuthProtocol::Md5,
            auth_password: "wrong-passphrase".into(),
        },
    )
    .unwrap();
    let err = engine
        .manager(snmpd.addr(), Security::v3(wrong))
        .build()
        .get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)])
        .await;
    assert!(matches!(err, Err(Error::WrongDigest { .. })), "{err:?}");
    let unknown = UsmUser::new("nobody", SecurityLevel::NoAuthNoPriv).unwrap();
    let err = engine
        .manager(snmpd.addr(), Security::v3(unknown))
        .build()
        .get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)])
        .await;
    assert!(matches!(err, Err(Error::UnknownUserName { .. })), "{err:?}");
    // authPriv for a user configured for authNoPriv only.
    let too_much = UsmUser::new(
        "v3md5",
        SecurityLevel::AuthPriv {
            auth: AuthProtocol::Md5,
            auth_password: "auth-passphrase-md5".into(),
            privacy: PrivProtocol::Des,
            privacy_password: "some-privacy-passphrase".into(),
        },
    )
    .unwrap();
    let err = engine
        .manager(snmpd.addr(), Security::v3(too_much))
        .build()
        .get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)])
        .await;
    assert!(
        matches!(err, Err(Error::UnsupportedSecLevel { .. })),
        "{err:?}"
    );
    assert!(matches!(
        UsmUser::new(
            "x",
            SecurityLevel::AuthNoPriv {
                auth: AuthProtocol::Sha1,
                auth_password: "short".into()
            }
        ),
        Err(Error::Usm(_))
    ));
}

// ---------------------------------------------------------------------------
// Every algorithm and security level snmpd knows, compared with net-snmp's
// own tools for the same user.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn no_auth_and_every_authentication_protocol_match_net_snmp() {
    let snmpd = matrix_snmpd();
    let engine = engine();
    let users: Vec<&User> = USERS.iter().filter(|u| u.privacy.is_none()).collect();
    assert_eq!(users.len(), 7);
    for user in users {
        matches_net_snmp(&snmpd, &engine, user).await;
    }
    nothing_dropped(&engine);
}

#[tokio::test]
async fn des_and_aes128_match_net_snmp() {
    let snmpd = matrix_snmpd();
    let engine = engine();
    for name in ["md5des", "sha512des", "shaaes", "sha384aes"] {
        matches_net_snmp(&snmpd, &engine, User::named(name)).await;
    }
    nothing_dropped(&engine);
}

/// AES-192 with both key extensions; they differ with MD5 and SHA-1 (what
/// one encrypts, the other decrypts into garbage, which the agent drops)
/// and coincide with SHA-256.
#[tokio::test]
async fn aes192_with_both_key_extensions_matches_net_snmp() {
    let snmpd = matrix_snmpd();
    let engine = engine();
    for name in [
        "md5aes192",
        "md5aes192c",
        "shaaes192",
        "shaaes192c",
        "sha256aes192",
    ] {
        matches_net_snmp(&snmpd, &engine, User::named(name)).await;
    }
    other_key_extension(
        &snmpd,
        &engine,
        &[
            ("md5aes192", PrivProtocol::Aes192Cisco, false),
            ("md5aes192c", PrivProtocol::Aes192, false),
            ("shaaes192", PrivProtocol::Aes192Cisco, false),
            ("shaaes192c", PrivProtocol::Aes192, false),
            ("sha256aes192", PrivProtocol::Aes192Cisco, true),
        ],
    )
    .await;
    nothing_dropped(&engine);
}

/// AES-256 with both key extensions; they differ with MD5, SHA-1 and
/// SHA-224 and coincide with SHA-256 and SHA-512.
#[tokio::test]
async fn aes256_with_both_key_extensions_matches_net_snmp() {
    let snmpd = matrix_snmpd();
    let engine = engine();
    for name in [
        "md5aes256",
        "md5aes256c",
        "shaaes256",
        "shaaes256c",
        "sha224aes256",
        "sha224aes256c",
        "sha256aes256",
        "sha512aes256c",
    ] {
        matches_net_snmp(&snmpd, &engine, User::named(name)).await;
    }
    other_key_extension(
        &snmpd,
        &engine,
        &[
            ("md5aes256", PrivProtocol::Aes256Cisco, false),
            ("md5aes256c", PrivProtocol::Aes256, false),
            ("shaaes256", PrivProtocol::Aes256Cisco, false),
            ("shaaes256c", PrivProtocol::Aes256, false),
            ("sha224aes256", PrivProtocol::Aes256Cisco, false),
            ("sha224aes256c", PrivProtocol::Aes256, false),
            ("sha256aes256", PrivProtocol::Aes256Cisco, true),
            ("sha512aes256c", PrivProtocol::Aes256, true),
        ],
    )
    .await;
    nothing_dropped(&engine);
}

// ---------------------------------------------------------------------------
// Failures: each its own error, Reports at once, silence as a timeout.
// ---------------------------------------------------------------------------

/// What snmpd does with each kind of wrong credentials, and the error a
/// manager makes of it. The Reports (RFC 3414 §3.2: usmStats…) come at
/// once; what the agent cannot decrypt it drops without a word, so that is
/// a timeout. net-snmp's snmpget, with the same credentials, fails the same
/// way.
#[tokio::test]
async fn every_failure_is_its_own_error() {
    let snmpd = matrix_snmpd();
    let engine = engine();
    // Long enough that a Report always comes first; no retransmission.
    let report_timeout = Duration::from_secs(3);
    // Short, where the agent does not answer.
    let silence_timeout = Duration::from_millis(500);

    let ask = async |name: &str, level: SecurityLevel, timeout: Duration| {
        let usm = UsmUser::new(name.to_owned(), level).unwrap();
        let m = engine
            .manager(snmpd.addr(), Security::v3(usm))
            .timeout(timeout)
            .refresh(timeout)
            .build();
        let started = Instant::now();
        let r = m.get(&[oid_of(support::SYS_NAME)]).await;
        (r, started.elapsed())
    };
    let net_snmp_says = |options: &[&str]| {
        let options: Vec<String> = options.iter().map(|&s| s.to_owned()).collect();
        net_snmp_failure("snmpget", &options, &snmpd, &[support::SYS_NAME])
    };

    // A first request discovers the engine, so that every case below is
    // one exchange.
    let md5 = User::named("md5");
    engine
        .manager(snmpd.addr(), Security::v3(md5.usm()))
        .build()
        .get(&[oid_of(support::SYS_NAME)])
        .await
        .unwrap();

    // Wrong authentication passphrase: usmStatsWrongDigests.
    for name in ["md5", "sha512", "sha256aes256"] {
        let user = User::named(name);
        let wrong = SecurityLevel::AuthNoPriv {
            auth: user.auth.unwrap().0,
            auth_password: "not-the-passphrase".into(),
        };
        let (r, took) = ask(name, wrong, report_timeout).await;
        assert!(matches!(r, Err(Error::WrongDigest { .. })), "{name}: {r:?}");
        assert!(took < report_timeout, "{name}: {took:?}");
    }
    // A wrong authentication protocol is a wrong digest too.
    let (r, took) = ask(
        "md5",
        SecurityLevel::AuthNoPriv {
            auth: AuthProtocol::Sha1,
            auth_password: md5.auth_password(),
        },
        report_timeout,
    )
    .await;
    assert!(matches!(r, Err(Error::WrongDigest { .. })), "{r:?}");
    assert!(took < report_timeout, "{took:?}");
    let said = net_snmp_says(&[
        "-v3",
        "-l",
        "authNoPriv",
        "-u",
        "md5",
        "-a",
        "MD5",
        "-A",
        "not-the-passphrase",
    ]);
    assert!(said.contains("Authentication failure"), "{said}");

    // Unknown user: usmStatsUnknownUserNames, at every level.
    for level in [
        SecurityLevel::NoAuthNoPriv,
        User::named("sha224aes256c").level(),
    ] {
        let (r, took) = ask("nobody", level, report_timeout).await;
        assert!(
            matches!(&r, Err(Error::UnknownUserName { user, .. }) if user == "nobody"),
            "{r:?}"
        );
        assert!(took < report_timeout, "{took:?}");
    }
    let said = net_snmp_says(&["-v3", "-l", "noAuthNoPriv", "-u", "nobody"]);
    assert!(said.contains("Unknown user name"), "{said}");

    // authPriv for a user without a privacy key: usmStatsUnsupportedSecLevels.
    let sha256 = User::named("sha256");
    let (r, took) = ask(
        "sha256",
        SecurityLevel::AuthPriv {
            auth: AuthProtocol::Sha256,
            auth_password: sha256.auth_password(),
            privacy: PrivProtocol::Aes128,
            privacy_password: "some-privacy-passphrase".into(),
        },
        report_timeout,
    )
    .await;
    assert!(
        matches!(&r, Err(Error::UnsupportedSecLevel { user, .. }) if user == "sha256"),
        "{r:?}"
    );
    assert!(took < report_timeout, "{took:?}");
    let auth_password = sha256.auth_password();
    let said = net_snmp_says(&[
        "-v3",
        "-l",
        "authPriv",
        "-u",
        "sha256",
        "-a",
        "SHA-256",
        "-A",
        &auth_password,
        "-x",
        "AES",
        "-X",
        "some-privacy-passphrase",
    ]);
    assert!(said.contains("Unsupported security level"), "{said}");

    // noAuthNoPriv for a user whose access needs authentication: the USM
    // accepts the message, the access control refuses it (RFC 3415 §3.2:
    // authorizationError, an error-status, not a Report).
    let (r, took) = ask("md5", SecurityLevel::NoAuthNoPriv, report_timeout).await;
    assert!(
        matches!(
            r,
            Err(Error::ErrorStatus {
                status: ErrorStatus::AuthorizationError,
                ..
            })
        ),
        "{r:?}"
    );
    assert!(took < report_timeout, "{took:?}");

    // Wrong privacy passphrase: the decryption itself succeeds (CBC and CFB
    // turn any ciphertext into some plaintext), into garbage; snmpd then
    // fails to parse the scopedPDU, logs "error parsing ScopedPDU" and drops
    // the message without a Report (a usmStatsDecryptionErrors Report,
    // RFC 3414 §3.2 step 8, is only for a decryption that fails). So the
    // manager can only time out.
    //
    // DES for an AES user is the same: AES-CFB "decrypts" anything, into
    // garbage. The four run at once.
    let parse_errors = || snmpd.log().matches("error parsing ScopedPDU").count();
    let before = parse_errors();
    let wrong_passphrase = |name: &str| {
        let user = User::named(name);
        SecurityLevel::AuthPriv {
            auth: user.auth.unwrap().0,
            auth_password: user.auth_password(),
            privacy: user.privacy.unwrap().0,
            privacy_password: "not-the-privacy-passphrase".into(),
        }
    };
    let shaaes = User::named("shaaes");
    let silent = [
        ("shaaes", wrong_passphrase("shaaes")),
        ("md5des", wrong_passphrase("md5des")),
        ("sha512aes256c", wrong_passphrase("sha512aes256c")),
        ("shaaes", shaaes.level_with(Some(PrivProtocol::Des))),
    ];
    let asks = silent
        .iter()
        .map(|(name, level)| ask(name, level.clone(), silence_timeout));
    for ((name, level), (r, took)) in silent.iter().zip(join_all(asks).await) {
        assert!(
            matches!(
                r,
                Err(Error::Timeout {
                    retransmissions: 0,
                    ..
                })
            ),
            "{name} {level:?}: {r:?}"
        );
        assert!(took >= silence_timeout, "{name} {level:?}: {took:?}");
    }
    // The agent received all four and could not parse them.
    assert_eq!(parse_errors() - before, 4, "{}", snmpd.log());
    let mut options = shaaes.net_snmp_options();
    *options.last_mut().unwrap() = "not-the-privacy-passphrase".into();
    let said = net_snmp_failure("snmpget", &options, &snmpd, &[support::SYS_NAME]);
    assert!(said.contains("Timeout"), "{said}");

    // AES for a DES user: DES-CBC needs a multiple of 8 bytes, AES-CFB's
    // ciphertext is as long as the plaintext. When it is not a multiple of
    // 8, snmpd's decryption itself fails, and for that it does send a
    // usmStatsDecryptionErrors Report.
    let engine_id = snmpd.net_snmp_get(&[SNMP_ENGINE_ID])[0]
        .octets()
        .expect("snmpEngineID is an octet string");
    for request_id in [1, 0x80, 0x8000, 0x80_0000] {
        // Our scopedPDU, for each length of request-id.
        let len = ScopedPdu {
            context_engine_id: engine_id.clone().into(),
            context_name: Default::default(),
            pdu: Pdu::new(
                PduType::GetRequest,
                request_id,
                vec![VarBind::null(oid_of(support::SYS_NAME))],
            ),
        }
        .encoded_len();
        assert_ne!(len % 8, 0, "premise: a {len}-byte scopedPDU");
    }
    let md5des = User::named("md5des");
    let (r, took) = ask(
        "md5des",
        md5des.level_with(Some(PrivProtocol::Aes128)),
        report_timeout,
    )
    .await;
    assert!(
        matches!(&r, Err(Error::DecryptionError { user, .. }) if user == "md5des"),
        "{r:?}"
    );
    assert!(took < report_timeout, "{took:?}");
    let mut options = md5des.net_snmp_options();
    let x = options.iter().position(|o| o == "-x").unwrap();
    options[x + 1] = "AES".into();
    let said = net_snmp_failure("snmpget", &options, &snmpd, &[support::SYS_NAME]);
    assert!(said.contains("Decryption error"), "{said}");
    nothing_dropped(&engine);
}

// ---------------------------------------------------------------------------
// Discovery, reboots and engine ID changes.
// ---------------------------------------------------------------------------

/// 1,000 first GETs at once, from 100 managers of one engine (10 each),
/// wait for one discovery: the engine sends 1,001 requests, and the agent
/// counts one usmStatsUnknownEngineIDs Report.
#[tokio::test]
async fn a_thousand_first_requests_share_one_discovery() {
    let snmpd = matrix_snmpd();
    let engine = engine();
    let user = User::named("sha256aes256");
    // The passphrases are hashed once (UsmUser::new); managers share them.
    let usm = user.usm();
    // Generous: a retransmission would be a request more than asked.
    let managers: Vec<Manager> = (0..100)
        .map(|_| {
            engine
                .manager(snmpd.addr(), Security::v3(usm.clone()))
                .timeout(Duration::from_secs(30))
                .refresh(Duration::from_secs(15))
                .build()
        })
        .collect();
    let unknown_engine_ids = || usm_stat(&snmpd, USM_STATS_UNKNOWN_ENGINE_IDS);
    assert_eq!(unknown_engine_ids(), 0);

    // join_all polls each request once before the task yields to the
    // receive task: the 1,000 find the engine unknown and wait for the
    // discovery (all 1,000 did: measured once, with a temporary counter in
    // RemoteEngine::discover).
    let sys_name = [oid_of(support::SYS_NAME)];
    let requests = (0..1000).map(|i| managers[i % managers.len()].get(&sys_name));
    let results = join_all(requests).await;
    // Read before net-snmp's snmpget below, which discovers for itself.
    assert_eq!(unknown_engine_ids(), 1);

    let want = user.net_snmp(&snmpd, "snmpget", &[support::SYS_NAME])[0]
        .octets()
        .unwrap();
    for (i, r) in results.into_iter().enumerate() {
        let vbs = r.unwrap_or_else(|e| panic!("request {i}: {e}"));
        assert_eq!(vbs[0].value.as_bytes(), Some(&want[..]), "request {i}");
    }
    let stats = engine.stats();
    assert_eq!(stats.retransmitted, 0, "{stats:?}");
    assert_eq!(stats.sent, 1000 + 1, "{stats:?}");
    assert_eq!(stats.completed, 1000 + 1, "{stats:?}");
    assert_eq!(stats.received, 1000 + 1, "{stats:?}");
}

/// An agent that reboots (same engine ID, engineBoots + 1, engineTime from
/// 0) answers our next request with an authenticated notInTimeWindow
/// Report; the manager takes the new clock and sends again: one extra
/// request, no error. The clock is the agent's, not the manager's: another
/// manager of the engine then needs no extra request.
#[tokio::test]
async fn a_rebooted_agent_is_polled_again_without_user_action() {
    let mut snmpd = matrix_snmpd();
    let engine = engine();
    let first = User::named("sha384aes");
    let second = User::named("md5");
    let m1 = engine
        .manager(snmpd.addr(), Security::v3(first.usm()))
        .build();
    let m2 = engine
        .manager(snmpd.addr(), Security::v3(second.usm()))
        .build();
    let sys_name = [oid_of(support::SYS_NAME)];
    m1.get(&sys_name).await.unwrap();
    m2.get(&sys_name).await.unwrap();
    let (engine_id, boots) = engine_id_and_boots(&snmpd);

    snmpd.restart();
    // The premise: a reboot, not a new engine.
    assert_eq!(engine_id_and_boots(&snmpd), (engine_id, boots + 1));

    let sent = engine.stats().sent;
    let vbs = m1.get(&sys_name).await.expect("poll after the reboot");
    assert_eq!(
        vbs[0].value.as_bytes(),
        first.net_snmp(&snmpd, "snmpget", &[support::SYS_NAME])[0]
            .octets()
            .as_deref()
    );
    assert_eq!(
        engine.stats().sent - sent,
        2,
        "the request, a Report, the retry"
    );
    // snmpd's counters start at 0 on every boot.
    assert_eq!(usm_stat(&snmpd, USM_STATS_NOT_IN_TIME_WINDOWS), 1);

    m2.get(&sys_name).await.expect("the other manager");
    assert_eq!(engine.stats().sent - sent, 3);
    assert_eq!(usm_stat(&snmpd, USM_STATS_NOT_IN_TIME_WINDOWS), 1);
    assert_eq!(engine.stats().timed_out, 0);
    nothing_dropped(&engine);
}

/// An agent whose engineBoots went back (same engine ID; some devices
/// reset it, net-snmp#385): its authenticated notInTimeWindow Report states
/// the lower boots, and the manager takes them (RFC 3414 §2.3: the clock
/// is re-synchronised, not only moved forward).
#[tokio::test]
async fn an_agent_whose_boots_went_back_is_polled_again() {
    let mut snmpd = matrix_snmpd();
    let engine = engine();
    let user = User::named("sha224aes256c");
    let m = engine
        .manager(snmpd.addr(), Security::v3(user.usm()))
        .build();
    let sys_name = [oid_of(support::SYS_NAME)];
    // Three boots: 1, 2, 3.
    snmpd.restart();
    snmpd.restart();
    m.get(&sys_name).await.unwrap();
    let (engine_id, boots) = engine_id_and_boots(&snmpd);
    assert_eq!(boots, 3);

    // snmpd starts with the saved engineBoots + 1: save 0.
    snmpd.stop();
    let persist = snmpd.persist_dir().join("snmpd.conf");
    let saved = fs::read_to_string(&persist).unwrap();
    let rewritten: Vec<&str> = saved
        .lines()
        .map(|l| {
            if l.starts_with("engineBoots ") {
                "engineBoots 0"
            } else {
                l
            }
        })
        .collect();
    assert_ne!(rewritten.join("\n"), saved.trim_end(), "{saved}");
    fs::write(&persist, rewritten.join("\n") + "\n").unwrap();
    snmpd.restart();
    assert_eq!(engine_id_and_boots(&snmpd), (engine_id, 1), "premise");

    let sent = engine.stats().sent;
    m.get(&sys_name).await.expect("poll after boots went back");
    assert_eq!(
        engine.stats().sent - sent,
        2,
        "the request, a Report, the retry"
    );
    assert_eq!(usm_stat(&snmpd, USM_STATS_NOT_IN_TIME_WINDOWS), 1);
    m.get(&sys_name).await.unwrap();
    assert_eq!(engine.stats().sent - sent, 3);
    nothing_dropped(&engine);
}

/// An agent with a new engine ID (its saved engine state lost, users
/// recreated) answers a request for the old one with an unauthenticated
/// unknownEngineID Report naming the new one (a Report signed with a key
/// localized to the new engine would fail our check and be dropped); the
/// manager takes it, localizes the keys to it and sends again.
#[tokio::test]
async fn a_new_engine_id_is_rediscovered_without_user_action() {
    let mut snmpd = matrix_snmpd();
    let engine = engine();
    let user = User::named("shaaes256c");
    let m = engine
        .manager(snmpd.addr(), Security::v3(user.usm()))
        .build();
    let sys_name = [oid_of(support::SYS_NAME)];
    m.get(&sys_name).await.unwrap();
    let (old_id, _) = engine_id_and_boots(&snmpd);

    // snmpd keeps oldEngineID, engineBoots and the users, localized to the
    // engine ID (usmUser lines), in persist/snmpd.conf. Without the file,
    // it makes a new engine ID; the createUser lines make the users again,
    // with keys localized to the new one.
    snmpd.stop();
    let persist = snmpd.persist_dir().join("snmpd.conf");
    let saved = fs::read_to_string(&persist).unwrap();
    assert!(saved.contains("oldEngineID"), "{saved}");
    let create: Vec<String> = USERS.iter().map(User::create_user).collect();
    fs::write(&persist, create.join("\n") + "\n").unwrap();
    snmpd.restart();
    let (new_id, boots) = engine_id_and_boots(&snmpd);
    assert_ne!(new_id, old_id, "premise: a new engine ID");
    assert_eq!(boots, 1);

    let sent = engine.stats().sent;
    let vbs = m
        .get(&sys_name)
        .await
        .expect("poll after the engine ID change");
    assert_eq!(
        engine.stats().sent - sent,
        2,
        "the request, a Report, the retry"
    );
    // Read before net-snmp's snmpget below, which discovers for itself.
    assert_eq!(usm_stat(&snmpd, USM_STATS_UNKNOWN_ENGINE_IDS), 1);
    assert_eq!(
        vbs[0].value.as_bytes(),
        user.net_snmp(&snmpd, "snmpget", &[support::SYS_NAME])[0]
            .octets()
            .as_deref()
    );
    // And the manager stays with the new engine.
    m.get(&sys_name).await.unwrap();
    assert_eq!(engine.stats().sent - sent, 3);
    nothing_dropped(&engine);
}

/// An agent that does not answer: the first requests that wait for the
/// one discovery share its failure. Each fails within its own timeout, and
/// the agent sees one probe, not one per waiting request.
#[tokio::test]
async fn concurrent_first_requests_to_a_silent_agent_share_the_failed_discovery() {
    // A socket that never answers (and, bound, draws no ICMP errors).
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let agent = silent.local_addr().unwrap();
    let engine = engine();
    let timeout = Duration::from_millis(300);
    let usm = User::named("sha256aes256").usm();
    let m = engine
        .manager(agent, Security::v3(usm))
        .timeout(timeout)
        .refresh(timeout)
        .build();
    let sys_name = [oid_of(support::SYS_NAME)];
    let started = Instant::now();
    let results = join_all((0..20).map(|_| m.get(&sys_name))).await;
    let took = started.elapsed();
    for r in &results {
        assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
    }
    // One after another, they took 20 timeouts.
    assert!(
        took < timeout * 4,
        "20 requests with a {timeout:?} timeout took {took:?}"
    );
    let stats = engine.stats();
    assert_eq!((stats.sent, stats.retransmitted), (1, 0), "{stats:?}");

    // A later request tries again.
    let r = m.get(&sys_name).await;
    assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
    assert_eq!(engine.stats().sent, 2);
    silent.set_nonblocking(true).unwrap();
    let mut probes = 0;
    while silent.recv_from(&mut [0; 1500]).is_ok() {
        probes += 1;
    }
    assert_eq!(probes, 2);
}

// ---------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------

/// One USM user of the matrix: its name says its protocols. The
/// passphrases follow from the name ([`User::auth_password`]).
#[derive(Debug, Clone, Copy)]
struct User {
    name: &'static str,
    /// The authentication protocol and its net-snmp name (`createUser`, `-a`).
    auth: Option<(AuthProtocol, &'static str)>,
    /// The privacy protocol and its net-snmp name (`createUser`, `-x`).
    privacy: Option<(PrivProtocol, &'static str)>,
    /// `rwuser` (SET allowed) rather than `rouser` (SET is noAccess).
    rw: bool,
}

const MD5: Option<(AuthProtocol, &str)> = Some((AuthProtocol::Md5, "MD5"));
const SHA: Option<(AuthProtocol, &str)> = Some((AuthProtocol::Sha1, "SHA"));
const SHA224: Option<(AuthProtocol, &str)> = Some((AuthProtocol::Sha224, "SHA-224"));
const SHA256: Option<(AuthProtocol, &str)> = Some((AuthProtocol::Sha256, "SHA-256"));
const SHA384: Option<(AuthProtocol, &str)> = Some((AuthProtocol::Sha384, "SHA-384"));
const SHA512: Option<(AuthProtocol, &str)> = Some((AuthProtocol::Sha512, "SHA-512"));
const DES: Option<(PrivProtocol, &str)> = Some((PrivProtocol::Des, "DES"));
const AES: Option<(PrivProtocol, &str)> = Some((PrivProtocol::Aes128, "AES"));
const AES192: Option<(PrivProtocol, &str)> = Some((PrivProtocol::Aes192, "AES-192"));
const AES192C: Option<(PrivProtocol, &str)> = Some((PrivProtocol::Aes192Cisco, "AES-192-C"));
const AES256: Option<(PrivProtocol, &str)> = Some((PrivProtocol::Aes256, "AES-256"));
const AES256C: Option<(PrivProtocol, &str)> = Some((PrivProtocol::Aes256Cisco, "AES-256-C"));

const fn user(
    name: &'static str,
    auth: Option<(AuthProtocol, &'static str)>,
    privacy: Option<(PrivProtocol, &'static str)>,
    rw: bool,
) -> User {
    User {
        name,
        auth,
        privacy,
        rw,
    }
}

/// Every authentication protocol at authNoPriv, every privacy protocol at
/// authPriv, and noAuthNoPriv. The two AES-192/256 key extensions
/// (Blumenthal, Reeder/"-C") give different keys only when the
/// authentication hash is shorter than the privacy key: MD5 and SHA-1 with
/// AES-192 and AES-256, SHA-224 with AES-256; those pairs are all here,
/// and so are pairs where the extensions coincide (SHA-256 with AES-192,
/// SHA-256 and SHA-512 with AES-256).
const USERS: &[User] = &[
    user("noauth", None, None, true),
    user("md5", MD5, None, true),
    user("sha", SHA, None, false),
    user("sha224", SHA224, None, true),
    user("sha256", SHA256, None, false),
    user("sha384", SHA384, None, true),
    user("sha512", SHA512, None, false),
    user("md5des", MD5, DES, true),
    user("sha512des", SHA512, DES, false),
    user("shaaes", SHA, AES, false),
    user("sha384aes", SHA384, AES, true),
    user("md5aes192", MD5, AES192, true),
    user("md5aes192c", MD5, AES192C, false),
    user("shaaes192", SHA, AES192, false),
    user("shaaes192c", SHA, AES192C, true),
    user("sha256aes192", SHA256, AES192, true),
    user("md5aes256", MD5, AES256, false),
    user("md5aes256c", MD5, AES256C, true),
    user("shaaes256", SHA, AES256, true),
    user("shaaes256c", SHA, AES256C, false),
    user("sha224aes256", SHA224, AES256, true),
    user("sha224aes256c", SHA224, AES256C, false),
    user("sha256aes256", SHA256, AES256, false),
    user("sha512aes256c", SHA512, AES256C, true),
];

impl User {
    fn named(name: &str) -> &'static User {
        USERS
            .iter()
            .find(|u| u.name == name)
            .unwrap_or_else(|| panic!("no user {name} in USERS"))
    }

    fn auth_password(&self) -> String {
        format!("{}-auth-passphrase", self.name)
    }

    fn privacy_password(&self) -> String {
        format!("{}-priv-passphrase", self.name)
    }

    /// Its `createUser` line (persist/snmpd.conf).
    fn create_user(&self) -> String {
        let mut line = format!("createUser {}", self.name);
        if let Some((_, a)) = self.auth {
            line += &format!(" {a} {}", self.auth_password());
        }
        if let Some((_, x)) = self.privacy {
            line += &format!(" {x} {}", self.privacy_password());
        }
        line
    }

    /// Its `rouser`/`rwuser` line (snmpd.conf), requiring its own level.
    fn access(&self) -> String {
        let min_level = match (self.auth, self.privacy) {
            (None, _) => "noauth",
            (Some(_), None) => "auth",
            (Some(_), Some(_)) => "priv",
        };
        let directive = if self.rw { "rwuser" } else { "rouser" };
        format!("{directive} {} {min_level}", self.name)
    }

    fn level(&self) -> SecurityLevel {
        self.level_with(self.privacy.map(|(p, _)| p))
    }

    /// Its level with another privacy protocol (same passphrases).
    fn level_with(&self, privacy: Option<PrivProtocol>) -> SecurityLevel {
        match (self.auth, privacy) {
            (None, _) => SecurityLevel::NoAuthNoPriv,
            (Some((auth, _)), None) => SecurityLevel::AuthNoPriv {
                auth,
                auth_password: self.auth_password(),
            },
            (Some((auth, _)), Some(privacy)) => SecurityLevel::AuthPriv {
                auth,
                auth_password: self.auth_password(),
                privacy,
                privacy_password: self.privacy_password(),
            },
        }
    }

    fn usm(&self) -> UsmUser {
        UsmUser::new(self.name, self.level()).unwrap()
    }

    /// net-snmp's options for this user: `-v3 -l … -u … [-a -A] [-x -X]`.
    fn net_snmp_options(&self) -> Vec<String> {
        let level = match (self.auth, self.privacy) {
            (None, _) => "noAuthNoPriv",
            (Some(_), None) => "authNoPriv",
            (Some(_), Some(_)) => "authPriv",
        };
        let mut args: Vec<String> = ["-v3", "-l", level, "-u", self.name]
            .map(String::from)
            .into();
        if let Some((_, a)) = self.auth {
            args.extend(["-a".into(), a.into(), "-A".into(), self.auth_password()]);
        }
        if let Some((_, x)) = self.privacy {
            args.extend(["-x".into(), x.into(), "-X".into(), self.privacy_password()]);
        }
        args
    }

    /// `cmd` (snmpget, snmpset, snmpbulkwalk) as this user, `-On`, parsed.
    fn net_snmp(&self, snmpd: &Snmpd, cmd: &str, args: &[&str]) -> Vec<NetSnmpVarBind> {
        let options = self.net_snmp_options();
        let agent = snmpd.net_snmp_addr();
        let mut all: Vec<&str> = options.iter().map(String::as_str).collect();
        all.extend(["-On", "-Oe", &agent]);
        all.extend_from_slice(args);
        parse_net_snmp_output(&net_snmp(cmd, &all))
    }
}

/// An snmpd with every user of [`USERS`].
fn matrix_snmpd() -> Snmpd {
    let access: Vec<String> = USERS.iter().map(User::access).collect();
    let create: Vec<String> = USERS.iter().map(User::create_user).collect();
    Snmpd::builder()
        .extra_config(&access.join("\n"))
        .extra_persist(&create.join("\n"))
        .start()
}

fn engine() -> Engine {
    Engine::bind("0.0.0.0:0".parse().unwrap()).unwrap()
}

fn oid_of(s: &str) -> Oid {
    s.parse().expect("literal OID")
}

/// GET, walk and SET as `user`, each compared with net-snmp's tools for
/// the same user.
async fn matches_net_snmp(snmpd: &Snmpd, engine: &Engine, user: &User) {
    let who = user.name;
    let m = engine
        .manager(snmpd.addr(), Security::v3(user.usm()))
        .build();

    // GET sysDescr.0 and sysName.0.
    let oids = [support::SYS_DESCR, support::SYS_NAME];
    let ours = m
        .get(&oids.map(oid_of))
        .await
        .unwrap_or_else(|e| panic!("{who}: get: {e}"));
    let theirs = user.net_snmp(snmpd, "snmpget", &oids);
    assert_same(&format!("{who}: get"), &ours, &theirs, None);

    // Walk the system group; sysUpTime moves between the two walks.
    let ours: Vec<VarBind> = m
        .walk(oid_of(SYSTEM))
        .try_collect()
        .await
        .unwrap_or_else(|e| panic!("{who}: walk: {e}"));
    let theirs = user.net_snmp(snmpd, "snmpbulkwalk", &[SYSTEM]);
    assert!(theirs.len() >= 10, "{who}: net-snmp walked {theirs:?}");
    assert_same(&format!("{who}: walk"), &ours, &theirs, Some(SYS_UP_TIME));
    let location_before = theirs
        .iter()
        .find(|vb| vb.oid == support::SYS_LOCATION)
        .and_then(NetSnmpVarBind::octets)
        .unwrap_or_else(|| panic!("{who}: no sysLocation in {theirs:?}"));

    // SET sysLocation.0, read back by net-snmp as the same user.
    let location = format!("set by snmux as {who}");
    let set = m
        .set(&[VarBind::new(
            oid_of(support::SYS_LOCATION),
            location.as_str(),
        )])
        .await;
    let read_back = user.net_snmp(snmpd, "snmpget", &[support::SYS_LOCATION]);
    let read_back = read_back[0].octets();
    if user.rw {
        let set = set.unwrap_or_else(|e| panic!("{who}: set: {e}"));
        assert_eq!(
            set,
            [VarBind::new(
                oid_of(support::SYS_LOCATION),
                location.as_str()
            )],
            "{who}: set"
        );
        assert_eq!(
            read_back.as_deref(),
            Some(location.as_bytes()),
            "{who}: sysLocation after the set"
        );
    } else {
        // rouser: the VACM refuses the write (RFC 3416 §4.2.5: noAccess),
        // and it does so for net-snmp's snmpset too.
        assert!(
            matches!(
                &set,
                Err(Error::ErrorStatus {
                    status: ErrorStatus::NoAccess,
                    index: 1,
                    oid: Some(o),
                    ..
                }) if o.to_string() == support::SYS_LOCATION
            ),
            "{who}: set: {set:?}"
        );
        let reason = net_snmp_failure(
            "snmpset",
            &user.net_snmp_options(),
            snmpd,
            &[support::SYS_LOCATION, "s", &location],
        );
        assert!(reason.contains("Reason: noAccess"), "{who}: {reason}");
        assert_eq!(
            read_back.as_deref(),
            Some(&location_before[..]),
            "{who}: sysLocation changed by a refused set"
        );
    }
}

/// Asks as each `(user, privacy)`: the user with the other AES key
/// extension. Where the extensions give the same key (`same`), it works;
/// where they do not, the agent cannot decrypt the request and does not
/// answer (see [`every_failure_is_its_own_error`]): a timeout.
async fn other_key_extension(snmpd: &Snmpd, engine: &Engine, cases: &[(&str, PrivProtocol, bool)]) {
    let timeout = Duration::from_millis(600);
    let asks = cases.iter().map(|&(name, privacy, same)| {
        let user = User::named(name);
        let usm = UsmUser::new(user.name, user.level_with(Some(privacy))).unwrap();
        let m = engine
            .manager(snmpd.addr(), Security::v3(usm))
            .timeout(timeout)
            .refresh(timeout)
            .build();
        async move {
            let r = m.get(&[oid_of(support::SYS_NAME)]).await;
            (name, privacy, same, r)
        }
    });
    for (name, privacy, same, r) in join_all(asks).await {
        if same {
            let vbs = r.unwrap_or_else(|e| panic!("{name} with {privacy}: {e}"));
            assert_eq!(vbs.len(), 1, "{name} with {privacy}");
        } else {
            assert!(
                matches!(
                    r,
                    Err(Error::Timeout {
                        retransmissions: 0,
                        ..
                    })
                ),
                "{name} with {privacy}: {r:?}"
            );
        }
    }
}

/// Compares our varbinds with net-snmp's: same OIDs in the same order, same
/// types, same values, except `by_type` (compared by type only).
fn assert_same(what: &str, ours: &[VarBind], theirs: &[NetSnmpVarBind], by_type: Option<&str>) {
    let mut differences = Vec::new();
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        let oid = o.oid.to_string();
        let same = oid == t.oid
            && if by_type == Some(oid.as_str()) {
                o.value.type_name() == t.type_name
            } else {
                same_value(&o.value, t)
            };
        if !same {
            differences.push(format!("#{i}: ours {o:?}\n    net-snmp {t:?}"));
        }
    }
    assert!(
        differences.is_empty() && ours.len() == theirs.len(),
        "{what}: {} varbinds, net-snmp {}; differences:\n{}",
        ours.len(),
        theirs.len(),
        differences.join("\n")
    );
}

/// Whether net-snmp printed `ours` (type and value).
fn same_value(ours: &Value, theirs: &NetSnmpVarBind) -> bool {
    let number = || theirs.value.parse::<i128>().ok();
    match ours {
        // net-snmp prints strings that are not printable in hex.
        Value::OctetString(b) => theirs.octets().as_deref() == Some(&b[..]),
        Value::Integer(v) => theirs.type_name == "INTEGER" && number() == Some((*v).into()),
        Value::Counter32(v) | Value::Gauge32(v) => {
            theirs.type_name == ours.type_name() && number() == Some((*v).into())
        }
        Value::Counter64(v) => theirs.type_name == "Counter64" && number() == Some((*v).into()),
        Value::TimeTicks(v) => theirs.type_name == "Timeticks" && ticks(theirs) == Some(*v),
        Value::ObjectIdentifier(o) => theirs.type_name == "OID" && theirs.value == o.to_string(),
        Value::IpAddress(ip) => theirs.type_name == "IpAddress" && theirs.value == ip.to_string(),
        other => theirs.type_name == other.type_name(),
    }
}

/// The ticks of a net-snmp `Timeticks: (123) 0:00:01.23`.
fn ticks(vb: &NetSnmpVarBind) -> Option<u32> {
    vb.value.strip_prefix('(')?.split(')').next()?.parse().ok()
}

/// Runs a net-snmp tool that must fail (error status, Report, timeout)
/// and returns its stderr.
fn net_snmp_failure(cmd: &str, options: &[String], snmpd: &Snmpd, args: &[&str]) -> String {
    let output = net_snmp_command(cmd)
        .args(options)
        .args(["-On", "-t", "0.5", "-r", "0", &snmpd.net_snmp_addr()])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{cmd} {options:?} succeeded");
    stderr
}

/// No message from snmpd was dropped: every Report and Response that
/// claimed authentication verified with the request's key, and every one
/// matched a request.
fn nothing_dropped(engine: &Engine) {
    let stats = engine.stats();
    let dropped = (
        stats.dropped_auth_failure,
        stats.dropped_mismatch,
        stats.dropped_decode_error,
        stats.dropped_unknown_id,
        stats.dropped_duplicate,
        stats.dropped_wrong_source,
    );
    assert_eq!(dropped, (0, 0, 0, 0, 0, 0), "{stats:?}");
    assert_eq!(stats.received, stats.completed, "{stats:?}");
}

/// snmpEngineID and snmpEngineBoots, read with SNMPv2c.
fn engine_id_and_boots(snmpd: &Snmpd) -> (Vec<u8>, u32) {
    let vbs = snmpd.net_snmp_get(&[SNMP_ENGINE_ID, SNMP_ENGINE_BOOTS]);
    let id = vbs[0].octets().expect("snmpEngineID");
    let boots = vbs[1].value.parse().expect("snmpEngineBoots");
    (id, boots)
}

/// A usmStats counter, read with SNMPv2c.
fn usm_stat(snmpd: &Snmpd, oid: &str) -> u32 {
    let vb = &snmpd.net_snmp_get(&[oid])[0];
    assert_eq!(vb.type_name, "Counter32", "{vb:?}");
    vb.value.parse().expect("Counter32")
}

/// A preset authoritative engine ID (net-snmp's `-e`) skips discovery: the
/// first authenticated request learns the agent's clock from its
/// notInTimeWindow Report and is sent again, two datagrams in all.
#[tokio::test]
async fn a_preset_engine_id_skips_discovery() {
    let snmpd = support::Snmpd::builder()
        .extra_config("rouser presetuser priv\n")
        .extra_persist(
            "createUser presetuser SHA-256 auth-passphrase-256 AES priv-passphrase-aes\n",
        )
        .start();
    let engine_id = support::net_snmp(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            "-Ox",
            &snmpd.net_snmp_addr(),
            "1.3.6.1.6.3.10.2.1.1.0",
        ],
    );
    let hex: String = engine_id
        .split_once("Hex-STRING:")
        .expect("snmpEngineID in hex")
        .1
        .split_whitespace()
        .collect();
    let engine_id: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let user = UsmUser::new(
        "presetuser",
        SecurityLevel::AuthPriv {
            auth: AuthProtocol::Sha256,
            auth_password: "auth-passphrase-256".into(),
            privacy: PrivProtocol::Aes128,
            privacy_password: "priv-passphrase-aes".into(),
        },
    )
    .unwrap()
    .authoritative_engine_id(engine_id);
    let engine = Engine::bind("0.0.0.0:0".parse().unwrap()).unwrap();
    let m = engine.manager(snmpd.addr(), Security::v3(user)).build();
    let vbs = m.get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]).await.unwrap();
    assert!(vbs[0].value.as_bytes().is_some());
    assert_eq!(engine.stats().sent, 2, "{:?}", engine.stats());
    // The clock is known now: one datagram.
    m.get(&[oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)]).await.unwrap();
    assert_eq!(engine.stats().sent, 3);
}
