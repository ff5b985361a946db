//! SNMPv3 through managers against a real snmpd: discovery, keys, Reports.

mod support;

use futures::TryStreamExt;
use snmux::{
    AuthProtocol, Engine, Error, PrivProtocol, Security, SecurityLevel, UsmUser, VarBind, oid,
};

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
