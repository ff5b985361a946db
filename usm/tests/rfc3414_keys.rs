//! Known answers from RFC 3414 Appendix A.3: password-to-key and key
//! localization for "maplesyrup" and the engine ID 00…02.

use snmux_usm::{AuthKey, AuthProtocol, MasterKey, PrivKey, PrivProtocol};

const ENGINE_ID: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

#[test]
fn a_3_1_md5() {
    let master = MasterKey::from_password(AuthProtocol::Md5, "maplesyrup").unwrap();
    assert_eq!(
        master.as_bytes(),
        [
            0x9f, 0xaf, 0x32, 0x83, 0x88, 0x4e, 0x92, 0x83, 0x4e, 0xbc, 0x98, 0x47, 0xd8, 0xed,
            0xd9, 0x63
        ]
    );
    let kul = [
        0x52, 0x6f, 0x5e, 0xed, 0x9f, 0xcc, 0xe2, 0x6f, 0x89, 0x64, 0xc2, 0x93, 0x07, 0x87, 0xd8,
        0x2b,
    ];
    assert_eq!(master.localize_auth(&ENGINE_ID).unwrap().as_bytes(), kul);
    let auth = AuthKey::from_password(AuthProtocol::Md5, "maplesyrup", &ENGINE_ID).unwrap();
    assert_eq!(auth.as_bytes(), kul);
    // A privacy key that needs no extension is the same localized key.
    let des = PrivKey::from_password(
        AuthProtocol::Md5,
        PrivProtocol::Des,
        "maplesyrup",
        &ENGINE_ID,
    )
    .unwrap();
    assert_eq!(des.as_bytes(), kul);
}

#[test]
fn a_3_2_sha() {
    let master = MasterKey::from_password(AuthProtocol::Sha1, b"maplesyrup").unwrap();
    assert_eq!(
        master.as_bytes(),
        [
            0x9f, 0xb5, 0xcc, 0x03, 0x81, 0x49, 0x7b, 0x37, 0x93, 0x52, 0x89, 0x39, 0xff, 0x78,
            0x8d, 0x5d, 0x79, 0x14, 0x52, 0x11
        ]
    );
    let kul = [
        0x66, 0x95, 0xfe, 0xbc, 0x92, 0x88, 0xe3, 0x62, 0x82, 0x23, 0x5f, 0xc7, 0x15, 0x1f, 0x12,
        0x84, 0x97, 0xb3, 0x8f, 0x3f,
    ];
    assert_eq!(master.localize_auth(&ENGINE_ID).unwrap().as_bytes(), kul);
    let auth = AuthKey::from_password(AuthProtocol::Sha1, "maplesyrup", &ENGINE_ID).unwrap();
    assert_eq!(auth.as_bytes(), kul);
    let aes = PrivKey::from_password(
        AuthProtocol::Sha1,
        PrivProtocol::Aes128,
        "maplesyrup",
        &ENGINE_ID,
    )
    .unwrap();
    assert_eq!(aes.as_bytes(), &kul[..16]);
    // A master key given as bytes (net-snmp's `createUser -m`) localizes
    // the same way.
    let given = MasterKey::from_bytes(AuthProtocol::Sha1, master.as_bytes()).unwrap();
    assert_eq!(given.localize_auth(&ENGINE_ID).unwrap().as_bytes(), kul);
}
