//! Interop with net-snmp 5.9.3: localized keys and real authenticated,
//! encrypted messages.
//!
//! # Where the vectors come from
//!
//! `usm/tests/netsnmp-vectors.sh` (run once, by hand; the output was pasted
//! below) starts a private snmpd on 127.0.0.1 with
//!
//! ```text
//! # $DIR/snmpd.conf
//! exactEngineID 0x80001f8804736e6d75782d75736d
//! rouser USER priv                                  (one per user)
//! # $DIR/persist/snmpd.conf, for every AUTH in MD5 SHA SHA-224 SHA-256
//! # SHA-384 SHA-512 and PRIV in DES AES AES-192 AES-256 AES-192-C AES-256-C
//! createUser USER AUTH auth-USER PRIV priv-USER     (USER like sha224-aes256c)
//!
//! SNMPCONFPATH=$DIR:$DIR/persist SNMP_PERSISTENT_DIR=$DIR/persist \
//!     snmpd -f -I -smux -Lf $DIR/snmpd.log -p $DIR/snmpd.pid udp:127.0.0.1:16199
//! ```
//!
//! then, for every user,
//!
//! ```text
//! snmpget -v3 -l authPriv -u USER -a AUTH -A auth-USER -x PRIV -X priv-USER \
//!     -e 0x80001f8804736e6d75782d75736d -On -r 0 -t 2 -d 127.0.0.1:16199 1.3.6.1.2.1.1.1.0
//! ```
//!
//! (`-d` dumps every datagram in hex; all 36 GETs succeeded), stops snmpd
//! with SIGTERM and prints the `usmUser` lines it saved in
//! `persist/snmpd.conf`, which hold the LOCALIZED auth and priv keys. The
//! engine ID is fixed by `exactEngineID`, so the keys come out the same on
//! every run; the packets differ (salts, msgID, engineTime) but any run's
//! must pass the same checks.
//!
//! The packets are parsed by a tiny BER walk below (the engine's v3 codec is
//! not a dependency of this crate).

use snmux_usm::{AuthKey, AuthProtocol, Error, PrivKey, PrivProtocol};

/// 80001f88 (enterprise 8072, net-snmp) 04 (text) "snmux-usm".
const ENGINE_ID: &str = "80001f8804736e6d75782d75736d";

/// sysDescr.0 (1.3.6.1.2.1.1.1.0) as BER OID contents.
const SYS_DESCR_0: &[u8] = &[0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00];

struct NetSnmpUser {
    name: &'static str,
    auth: AuthProtocol,
    auth_oid: &'static str,
    auth_key: &'static str,
    privacy: PrivProtocol,
    priv_oid: &'static str,
    priv_key: &'static str,
}

#[test]
fn password_to_key_matches_net_snmp_for_every_protocol_pair() {
    let engine_id = hex(ENGINE_ID);
    assert_eq!(USM_USERS.len(), 36);
    for user in USM_USERS {
        let auth =
            AuthKey::from_password(user.auth, format!("auth-{}", user.name), &engine_id).unwrap();
        assert_eq!(
            to_hex(auth.as_bytes()),
            user.auth_key,
            "{} auth key",
            user.name
        );
        let privacy = PrivKey::from_password(
            user.auth,
            user.privacy,
            format!("priv-{}", user.name),
            &engine_id,
        )
        .unwrap();
        assert_eq!(
            to_hex(privacy.as_bytes()),
            user.priv_key,
            "{} priv key",
            user.name
        );
        // net-snmp names the protocols by these OIDs, which also tells which
        // AES-192/256 variant is which: 14832 is Blumenthal's, 9.12.6 Cisco's.
        assert_eq!(dotted(user.auth.oid()), user.auth_oid, "{}", user.name);
        assert_eq!(dotted(user.privacy.oid()), user.priv_oid, "{}", user.name);
    }
}

#[test]
fn the_two_aes_extensions_match_net_snmp_names_and_differ_only_for_short_hashes() {
    // Same passphrase, both variants, through our derivation; net-snmp's
    // keys for AES-192/AES-256 and AES-192-C/AES-256-C are checked above.
    let engine_id = hex(ENGINE_ID);
    for auth in AuthProtocol::ALL {
        for (blumenthal, reeder) in [
            (PrivProtocol::Aes192, PrivProtocol::Aes192Cisco),
            (PrivProtocol::Aes256, PrivProtocol::Aes256Cisco),
        ] {
            let b =
                PrivKey::from_password(auth, blumenthal, "same passphrase", &engine_id).unwrap();
            let r = PrivKey::from_password(auth, reeder, "same passphrase", &engine_id).unwrap();
            let extended = auth.digest_len() < blumenthal.key_len();
            assert_eq!(
                b.as_bytes() != r.as_bytes(),
                extended,
                "{auth} {blumenthal}"
            );
            // The first digest_len bytes are the plain localized key.
            let common = auth.digest_len().min(blumenthal.key_len());
            assert_eq!(b.as_bytes()[..common], r.as_bytes()[..common]);
        }
    }
}

#[test]
fn net_snmp_messages_verify_decrypt_and_re_encrypt_byte_for_byte() {
    let engine_id = hex(ENGINE_ID);
    assert_eq!(PACKETS.len(), 12);
    let mut auths_seen = Vec::new();
    let mut privs_seen = Vec::new();
    for &(name, request, response) in PACKETS {
        let user = USM_USERS.iter().find(|u| u.name == name).unwrap();
        // net-snmp's own keys, so that this test does not depend on ours.
        let auth = AuthKey::from_localized(user.auth, &hex(user.auth_key)).unwrap();
        let privacy = PrivKey::from_localized(user.privacy, &hex(user.priv_key)).unwrap();
        auths_seen.push(user.auth);
        privs_seen.push(user.privacy);

        for (packet, pdu_tag) in [(hex(request), 0xa0), (hex(response), 0xa2)] {
            let msg = V3Message::parse(&packet);
            assert_eq!(msg.flags & 0x03, 0x03, "{name}: authPriv");
            assert_eq!(msg.engine_id, engine_id);
            assert_eq!(msg.user_name, name.as_bytes());

            // Authentication: our HMAC accepts net-snmp's MAC…
            let mac = msg.auth_params.clone();
            assert_eq!(mac.len(), user.auth.mac_len(), "{name}");
            assert!(auth.verify(&packet, mac.start), "{name}: MAC");
            // …and re-signing gives the same bytes.
            let mut resigned = packet.clone();
            resigned[mac.clone()].fill(0xee);
            auth.sign(&mut resigned, mac.start).unwrap();
            assert_eq!(resigned, packet, "{name}: re-signed");

            // Privacy: decrypt the scopedPDU.
            let params = &packet[msg.priv_params.clone()];
            let ciphertext = &packet[msg.encrypted_pdu.clone()];
            let plaintext = privacy
                .decrypt(msg.boots, msg.time, params, ciphertext)
                .unwrap();
            assert_eq!(plaintext.len(), ciphertext.len());
            // A BER SEQUENCE (the ScopedPDU) that holds the PDU and sysDescr.0.
            let (tag, body) = tlv(&plaintext, 0);
            assert_eq!(tag, 0x30, "{name}: plaintext {}", to_hex(&plaintext));
            let end = body.end;
            assert!(contains(&plaintext[..end], SYS_DESCR_0), "{name}");
            let (_, context_engine_id) = tlv(&plaintext, body.start);
            assert_eq!(plaintext[context_engine_id], engine_id[..]);
            assert!(contains(&plaintext[..end], &[pdu_tag]), "{name}");
            if pdu_tag == 0xa2 {
                assert!(
                    contains(&plaintext[..end], b"Linux"),
                    "{name}: sysDescr value"
                );
            }
            // The padding: none for AES (CFB); for DES, net-snmp pads with
            // n bytes of value n, and not at all when already aligned.
            let pad = plaintext.len() - end;
            if user.privacy == PrivProtocol::Des {
                assert!(pad < 8, "{name}");
                assert!(
                    plaintext[end..].iter().all(|&b| usize::from(b) == pad),
                    "{name}"
                );
            } else {
                assert_eq!(pad, 0, "{name}");
            }

            // Re-encrypting with the same salt gives net-snmp's ciphertext.
            let (boots_or_salt_high, salt_low) = params.split_at(4);
            let (ours, our_params) = if user.privacy == PrivProtocol::Des {
                // DES: msgPrivacyParameters = boots (net-snmp puts its own
                // local snmpEngineBoots here) || 32-bit counter.
                let boots = u32::from_be_bytes(boots_or_salt_high.try_into().unwrap());
                let counter = u32::from_be_bytes(salt_low.try_into().unwrap());
                privacy.encrypt(boots, 0, u64::from(counter), &plaintext[..end])
            } else {
                let salt = u64::from_be_bytes(params.try_into().unwrap());
                privacy.encrypt(msg.boots, msg.time, salt, &plaintext[..end])
            };
            assert_eq!(our_params, params, "{name}");
            assert_eq!(ours, ciphertext, "{name}: re-encrypted");
        }
    }
    for proto in AuthProtocol::ALL {
        assert!(auths_seen.contains(&proto), "no packet for {proto}");
    }
    for proto in PrivProtocol::ALL {
        if proto != PrivProtocol::TripleDes {
            assert!(privs_seen.contains(&proto), "no packet for {proto}");
        }
    }
}

#[test]
fn tampered_net_snmp_messages_fail_verification() {
    for &(name, request, response) in PACKETS {
        let user = USM_USERS.iter().find(|u| u.name == name).unwrap();
        let auth = AuthKey::from_localized(user.auth, &hex(user.auth_key)).unwrap();
        for packet in [hex(request), hex(response)] {
            let msg = V3Message::parse(&packet);
            let mac = msg.auth_params.start;
            assert_eq!(auth.check(&packet, mac), Ok(()));
            // One bit flipped: in the MAC, the ciphertext, the salt, the
            // boots, the first and the last byte.
            for i in [
                mac,
                mac + user.auth.mac_len() - 1,
                msg.encrypted_pdu.start + 3,
                msg.priv_params.start,
                msg.boots_offset,
                0,
                packet.len() - 1,
            ] {
                let mut bad = packet.clone();
                bad[i] ^= 0x10;
                assert_eq!(
                    auth.check(&bad, mac),
                    Err(Error::WrongDigest),
                    "{name} byte {i}"
                );
            }
            // The right MAC at the wrong offset, or a truncated message.
            assert!(!auth.verify(&packet, mac + 1));
            assert!(!auth.verify(&packet[..packet.len() - 1], mac));
            // Another user's key.
            let other = USM_USERS
                .iter()
                .find(|u| u.auth == user.auth && u.name != name)
                .unwrap();
            let other = AuthKey::from_localized(other.auth, &hex(other.auth_key)).unwrap();
            assert!(!other.verify(&packet, mac), "{name}");
        }
    }
}

#[test]
fn a_wrong_priv_key_gives_no_scoped_pdu() {
    // No integrity in the cipher: decryption "works", the BER does not.
    let (name, request, _) = PACKETS[1];
    let user = USM_USERS.iter().find(|u| u.name == name).unwrap();
    let packet = hex(request);
    let msg = V3Message::parse(&packet);
    let mut key = hex(user.priv_key);
    key[0] ^= 1;
    let wrong = PrivKey::from_localized(user.privacy, &key).unwrap();
    let plaintext = wrong
        .decrypt(
            msg.boots,
            msg.time,
            &packet[msg.priv_params.clone()],
            &packet[msg.encrypted_pdu.clone()],
        )
        .unwrap();
    assert!(!contains(&plaintext, SYS_DESCR_0));
}

/// The offsets that matter in an SNMPv3 message (RFC 3412 §6, RFC 3414
/// §2.4).
struct V3Message {
    flags: u8,
    engine_id: Vec<u8>,
    boots: u32,
    boots_offset: usize,
    time: u32,
    user_name: Vec<u8>,
    auth_params: std::ops::Range<usize>,
    priv_params: std::ops::Range<usize>,
    encrypted_pdu: std::ops::Range<usize>,
}

impl V3Message {
    fn parse(msg: &[u8]) -> V3Message {
        // SNMPv3Message ::= SEQUENCE { msgVersion, msgGlobalData,
        //     msgSecurityParameters OCTET STRING, msgData }
        let (tag, whole) = tlv(msg, 0);
        assert_eq!((tag, whole.end), (0x30, msg.len()));
        let (tag, version) = tlv(msg, whole.start);
        assert_eq!((tag, &msg[version.clone()]), (0x02, &[3u8][..]));
        // HeaderData ::= SEQUENCE { msgID, msgMaxSize, msgFlags, msgSecurityModel }
        let (tag, global) = tlv(msg, version.end);
        assert_eq!(tag, 0x30);
        let (_, msg_id) = tlv(msg, global.start);
        let (_, max_size) = tlv(msg, msg_id.end);
        let (tag, flags) = tlv(msg, max_size.end);
        assert_eq!((tag, flags.len()), (0x04, 1));
        let (tag, model) = tlv(msg, flags.end);
        assert_eq!((tag, &msg[model]), (0x02, &[3u8][..]), "USM");
        // UsmSecurityParameters ::= SEQUENCE { engineID, boots, time,
        //     userName, authenticationParameters, privacyParameters }
        let (tag, sec) = tlv(msg, global.end);
        assert_eq!(tag, 0x04);
        let (tag, usm) = tlv(msg, sec.start);
        assert_eq!((tag, usm.end), (0x30, sec.end));
        let (_, engine_id) = tlv(msg, usm.start);
        let (tag, boots) = tlv(msg, engine_id.end);
        assert_eq!(tag, 0x02);
        let (tag, time) = tlv(msg, boots.end);
        assert_eq!(tag, 0x02);
        let (_, user_name) = tlv(msg, time.end);
        let (tag, auth_params) = tlv(msg, user_name.end);
        assert_eq!(tag, 0x04);
        let (tag, priv_params) = tlv(msg, auth_params.end);
        assert_eq!((tag, priv_params.end), (0x04, usm.end));
        // msgData: encryptedPDU OCTET STRING.
        let (tag, encrypted_pdu) = tlv(msg, sec.end);
        assert_eq!((tag, encrypted_pdu.end), (0x04, msg.len()));
        V3Message {
            flags: msg[flags.start],
            engine_id: msg[engine_id].to_vec(),
            boots: uint(&msg[boots.clone()]),
            boots_offset: boots.start,
            time: uint(&msg[time]),
            user_name: msg[user_name].to_vec(),
            auth_params,
            priv_params,
            encrypted_pdu,
        }
    }
}

/// The tag and content range of the BER TLV at `pos` (definite lengths,
/// short or long form; enough for these messages).
fn tlv(buf: &[u8], pos: usize) -> (u8, std::ops::Range<usize>) {
    let tag = buf[pos];
    let first = buf[pos + 1];
    let (len, start) = if first < 0x80 {
        (usize::from(first), pos + 2)
    } else {
        let n = usize::from(first & 0x7f);
        let len = buf[pos + 2..pos + 2 + n]
            .iter()
            .fold(0, |acc, &b| acc << 8 | usize::from(b));
        (len, pos + 2 + n)
    };
    assert!(start + len <= buf.len(), "TLV at {pos} overruns");
    (tag, start..start + len)
}

fn uint(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0, |acc, &b| acc << 8 | u32::from(b))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn dotted(arcs: &[u32]) -> String {
    arcs.iter().map(|a| format!(".{a}")).collect()
}

fn hex(s: &str) -> Vec<u8> {
    assert_eq!(s.len() % 2, 0);
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The 36 `usmUser` lines snmpd wrote: (user, auth protocol OID, localized
/// auth key, priv protocol OID, localized priv key). Passphrases are
/// `auth-USER` and `priv-USER`.
#[rustfmt::skip]
const USM_USERS: &[NetSnmpUser] = &[
    NetSnmpUser {
        name: "md5-des",
        auth: AuthProtocol::Md5,
        auth_oid: ".1.3.6.1.6.3.10.1.1.2",
        auth_key: "0bee83cad9dfd0e9ee57751bda71a528",
        privacy: PrivProtocol::Des,
        priv_oid: ".1.3.6.1.6.3.10.1.2.2",
        priv_key: "25b4731fa7096b4f81ed8ac1b8032863",
    },
    NetSnmpUser {
        name: "md5-aes",
        auth: AuthProtocol::Md5,
        auth_oid: ".1.3.6.1.6.3.10.1.1.2",
        auth_key: "c5d77f86edd9129fe7efff8fb19ba892",
        privacy: PrivProtocol::Aes128,
        priv_oid: ".1.3.6.1.6.3.10.1.2.4",
        priv_key: "31deb512efc15e29d0ec1a7f316d749b",
    },
    NetSnmpUser {
        name: "md5-aes192",
        auth: AuthProtocol::Md5,
        auth_oid: ".1.3.6.1.6.3.10.1.1.2",
        auth_key: "60c12814afeea14e40e4ce2442b962b2",
        privacy: PrivProtocol::Aes192,
        priv_oid: ".1.3.6.1.4.1.14832.1.3",
        priv_key: "d544efd37bc7cc64f62a2d84e9d590ad1c003df2a0ec53b2",
    },
    NetSnmpUser {
        name: "md5-aes256",
        auth: AuthProtocol::Md5,
        auth_oid: ".1.3.6.1.6.3.10.1.1.2",
        auth_key: "d078dce5c43e86ba3816b198e480c85e",
        privacy: PrivProtocol::Aes256,
        priv_oid: ".1.3.6.1.4.1.14832.1.4",
        priv_key: "d453e2c60246b052ec90f043fbb485117593f2491f4da040db99a43907a1444f",
    },
    NetSnmpUser {
        name: "md5-aes192c",
        auth: AuthProtocol::Md5,
        auth_oid: ".1.3.6.1.6.3.10.1.1.2",
        auth_key: "3435dca229a3f3f1832d4daa225b9e91",
        privacy: PrivProtocol::Aes192Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.1",
        priv_key: "174638848d6e3cbe2630cf44db9e7e8c54b14e895dd42373",
    },
    NetSnmpUser {
        name: "md5-aes256c",
        auth: AuthProtocol::Md5,
        auth_oid: ".1.3.6.1.6.3.10.1.1.2",
        auth_key: "d92ff66096810774600eb69c4ba8c6dd",
        privacy: PrivProtocol::Aes256Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.2",
        priv_key: "ce897d2bd0ce9436d2061100f15f3721f7d4968ce8664e66120c79225ba5a91f",
    },
    NetSnmpUser {
        name: "sha-des",
        auth: AuthProtocol::Sha1,
        auth_oid: ".1.3.6.1.6.3.10.1.1.3",
        auth_key: "2e834906648f81226533782d6c44528901979696",
        privacy: PrivProtocol::Des,
        priv_oid: ".1.3.6.1.6.3.10.1.2.2",
        priv_key: "e597559278cc8fba0ff3e9c7d609df96",
    },
    NetSnmpUser {
        name: "sha-aes",
        auth: AuthProtocol::Sha1,
        auth_oid: ".1.3.6.1.6.3.10.1.1.3",
        auth_key: "0796362e3480a11bdafb3ca874aeefb8e82272fc",
        privacy: PrivProtocol::Aes128,
        priv_oid: ".1.3.6.1.6.3.10.1.2.4",
        priv_key: "24d4c69cdd642e7f9fd25c28510a7c13",
    },
    NetSnmpUser {
        name: "sha-aes192",
        auth: AuthProtocol::Sha1,
        auth_oid: ".1.3.6.1.6.3.10.1.1.3",
        auth_key: "c9a419667128f198213b290adb394112ba9d7b53",
        privacy: PrivProtocol::Aes192,
        priv_oid: ".1.3.6.1.4.1.14832.1.3",
        priv_key: "d4c32a65ed5b9a7a257dcbff3bd434710d2f4219e905657a",
    },
    NetSnmpUser {
        name: "sha-aes256",
        auth: AuthProtocol::Sha1,
        auth_oid: ".1.3.6.1.6.3.10.1.1.3",
        auth_key: "44c97409c7f355f860740af7e462e1ff948f640b",
        privacy: PrivProtocol::Aes256,
        priv_oid: ".1.3.6.1.4.1.14832.1.4",
        priv_key: "f89e99e5f572f2813840b2e0df52918482a58ac7dc830a37efa38d88cb2b16a8",
    },
    NetSnmpUser {
        name: "sha-aes192c",
        auth: AuthProtocol::Sha1,
        auth_oid: ".1.3.6.1.6.3.10.1.1.3",
        auth_key: "3afe60ea571393702d98cab4b8cc2856655a0654",
        privacy: PrivProtocol::Aes192Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.1",
        priv_key: "05285f215420c2c59e4e97200966b3e44b2f38af5803334d",
    },
    NetSnmpUser {
        name: "sha-aes256c",
        auth: AuthProtocol::Sha1,
        auth_oid: ".1.3.6.1.6.3.10.1.1.3",
        auth_key: "ab3271c987ef800c4e3b7845b835278c559fc88c",
        privacy: PrivProtocol::Aes256Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.2",
        priv_key: "922ce87a898ebc9a5e9d063e6ff99b7484cf922b65ae9f6d8ca6a374d669f335",
    },
    NetSnmpUser {
        name: "sha224-des",
        auth: AuthProtocol::Sha224,
        auth_oid: ".1.3.6.1.6.3.10.1.1.4",
        auth_key: "a9df17998a564187b14e05ccbd5ae9ab92b8a6c792f8e92daabda395",
        privacy: PrivProtocol::Des,
        priv_oid: ".1.3.6.1.6.3.10.1.2.2",
        priv_key: "d7fafc132f6eae34b2d0a7fba0b71d5d",
    },
    NetSnmpUser {
        name: "sha224-aes",
        auth: AuthProtocol::Sha224,
        auth_oid: ".1.3.6.1.6.3.10.1.1.4",
        auth_key: "22e83dcbe0e9ed11d5ca409a6a5c267242d1867cb59918a8104eed3a",
        privacy: PrivProtocol::Aes128,
        priv_oid: ".1.3.6.1.6.3.10.1.2.4",
        priv_key: "67c1553114c928a0b4abd1ed5e82ed1e",
    },
    NetSnmpUser {
        name: "sha224-aes192",
        auth: AuthProtocol::Sha224,
        auth_oid: ".1.3.6.1.6.3.10.1.1.4",
        auth_key: "1f8ac935ec961a8e5d8054ccc37dabf49b66ce7b1937184ad3c3df86",
        privacy: PrivProtocol::Aes192,
        priv_oid: ".1.3.6.1.4.1.14832.1.3",
        priv_key: "75fef2c39d5b78fbd0fd3bd7e6372326daec479dfd0c364e",
    },
    NetSnmpUser {
        name: "sha224-aes256",
        auth: AuthProtocol::Sha224,
        auth_oid: ".1.3.6.1.6.3.10.1.1.4",
        auth_key: "452355a717817cfadeceb86ea78a6e34bbf1ef37314cb6fc587c83d5",
        privacy: PrivProtocol::Aes256,
        priv_oid: ".1.3.6.1.4.1.14832.1.4",
        priv_key: "e35dfca9c678e4f0e9ac5a17df664fb18e93ae75636343f5eb3522e9bf103013",
    },
    NetSnmpUser {
        name: "sha224-aes192c",
        auth: AuthProtocol::Sha224,
        auth_oid: ".1.3.6.1.6.3.10.1.1.4",
        auth_key: "d677b9fcf46eb31860f305bb07ade46d83701ac8e7fc3933cde37062",
        privacy: PrivProtocol::Aes192Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.1",
        priv_key: "c8d9073a4c3daf1f88932f50abfca961c01172a8fc3ca305",
    },
    NetSnmpUser {
        name: "sha224-aes256c",
        auth: AuthProtocol::Sha224,
        auth_oid: ".1.3.6.1.6.3.10.1.1.4",
        auth_key: "2a79c2cdd164266c561ed164c906ea0a9c56d2730cdac54b06cb5644",
        privacy: PrivProtocol::Aes256Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.2",
        priv_key: "1929f1fced27c7b710f09e18baa04b53ad15262f299fc5d6f534a070d6314388",
    },
    NetSnmpUser {
        name: "sha256-des",
        auth: AuthProtocol::Sha256,
        auth_oid: ".1.3.6.1.6.3.10.1.1.5",
        auth_key: "d12884a107020c75016ca3110edb0c6090f98dbe6a53fcef51997b4f8915d804",
        privacy: PrivProtocol::Des,
        priv_oid: ".1.3.6.1.6.3.10.1.2.2",
        priv_key: "706a8a5be219181112fa1a38a9b55a26",
    },
    NetSnmpUser {
        name: "sha256-aes",
        auth: AuthProtocol::Sha256,
        auth_oid: ".1.3.6.1.6.3.10.1.1.5",
        auth_key: "5c52716bf6abb969a8cc46a1608658fbb3920568698c454176f4a4e9d6544522",
        privacy: PrivProtocol::Aes128,
        priv_oid: ".1.3.6.1.6.3.10.1.2.4",
        priv_key: "e9cd7c1388e1d685a1bec216c4b7f77a",
    },
    NetSnmpUser {
        name: "sha256-aes192",
        auth: AuthProtocol::Sha256,
        auth_oid: ".1.3.6.1.6.3.10.1.1.5",
        auth_key: "63d38bed3d88e95b4e6a295282c31507d71a7c287543714766d3fc7d70c2d3a8",
        privacy: PrivProtocol::Aes192,
        priv_oid: ".1.3.6.1.4.1.14832.1.3",
        priv_key: "e5629a1e478b60b20feee602059e62390f70968431ae2189",
    },
    NetSnmpUser {
        name: "sha256-aes256",
        auth: AuthProtocol::Sha256,
        auth_oid: ".1.3.6.1.6.3.10.1.1.5",
        auth_key: "5b084b0aec91bade0aa20d0b7bf0934e4e9ea53102b8cc77335dc25e7b08bd1e",
        privacy: PrivProtocol::Aes256,
        priv_oid: ".1.3.6.1.4.1.14832.1.4",
        priv_key: "e5a3d0be0cc2661b931db2ff390450ff33b65203b3e2978ea222c46bc8ab58f6",
    },
    NetSnmpUser {
        name: "sha256-aes192c",
        auth: AuthProtocol::Sha256,
        auth_oid: ".1.3.6.1.6.3.10.1.1.5",
        auth_key: "2b79033e40e995d701c5c619f570bdc4b054cd18f62222ac8939ab98299b1e79",
        privacy: PrivProtocol::Aes192Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.1",
        priv_key: "5cd9fcf73f8fd899bf7942e8180fd1a2f0326455195c7651",
    },
    NetSnmpUser {
        name: "sha256-aes256c",
        auth: AuthProtocol::Sha256,
        auth_oid: ".1.3.6.1.6.3.10.1.1.5",
        auth_key: "0ec59d0cf444608d864383e885869c386ee3f77035a3aaec766ce4bd39f95953",
        privacy: PrivProtocol::Aes256Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.2",
        priv_key: "4386552878ce17cb9b3fcf9fc9dd399bd9dc6402dbf9c06f02ab0c054262d0f2",
    },
    NetSnmpUser {
        name: "sha384-des",
        auth: AuthProtocol::Sha384,
        auth_oid: ".1.3.6.1.6.3.10.1.1.6",
        auth_key: "9576273f631fc70831bf26e6fbbdd0226ec27dd0e0d715a96b39f8f8c7803168209b07529ed96c509761afe241826954",
        privacy: PrivProtocol::Des,
        priv_oid: ".1.3.6.1.6.3.10.1.2.2",
        priv_key: "c2b45aa56c4ae4262bbed2200eb192c9",
    },
    NetSnmpUser {
        name: "sha384-aes",
        auth: AuthProtocol::Sha384,
        auth_oid: ".1.3.6.1.6.3.10.1.1.6",
        auth_key: "4031c0f0b0014bd5b9564c8b2b24e0d7ff2dec2d88f0edbee5004b47b347a98c407aebb877e8d64027ad373c6ee4803d",
        privacy: PrivProtocol::Aes128,
        priv_oid: ".1.3.6.1.6.3.10.1.2.4",
        priv_key: "ae3793f857181d50501f79d5f05905ba",
    },
    NetSnmpUser {
        name: "sha384-aes192",
        auth: AuthProtocol::Sha384,
        auth_oid: ".1.3.6.1.6.3.10.1.1.6",
        auth_key: "9bd80281dd7df2f215e1409118b03d3b620aa2c2683d21c836d94a6169b24824e55af1e2c14f9152b6bffe863b057090",
        privacy: PrivProtocol::Aes192,
        priv_oid: ".1.3.6.1.4.1.14832.1.3",
        priv_key: "45a46112e38b8162bec0aea18be29aab12813ab1e9b1672b",
    },
    NetSnmpUser {
        name: "sha384-aes256",
        auth: AuthProtocol::Sha384,
        auth_oid: ".1.3.6.1.6.3.10.1.1.6",
        auth_key: "6d9f69ffcd76432ea17264ea9214a3b847b7fc01fa373aae956c431f11b47732b79865ac38df4d8384706097c981107c",
        privacy: PrivProtocol::Aes256,
        priv_oid: ".1.3.6.1.4.1.14832.1.4",
        priv_key: "a4b891ce6bd9ce3ea159c1ce1ed3684f083e57b34b9f11cb3c3919eb217523d8",
    },
    NetSnmpUser {
        name: "sha384-aes192c",
        auth: AuthProtocol::Sha384,
        auth_oid: ".1.3.6.1.6.3.10.1.1.6",
        auth_key: "8536e23cc7d708ce9e4d90777b86cfb8206546e7b9c981906a4c3d1534ad59a1ca77ecf146d47d7b176732019c2dee1d",
        privacy: PrivProtocol::Aes192Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.1",
        priv_key: "9043a866d2480a2eb80fb377b5a3dc5c3a771ee0152f1df1",
    },
    NetSnmpUser {
        name: "sha384-aes256c",
        auth: AuthProtocol::Sha384,
        auth_oid: ".1.3.6.1.6.3.10.1.1.6",
        auth_key: "7ef97ed3fa99a9a9c340fb0481f1d385165d36f534b4353117256bc06948e87ae6dbfcbd70f83b6324672ecc2ca0141d",
        privacy: PrivProtocol::Aes256Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.2",
        priv_key: "6a815f45da4e153fa4e267602b3dd568b13f81d30954451cee7263d10a7941c4",
    },
    NetSnmpUser {
        name: "sha512-des",
        auth: AuthProtocol::Sha512,
        auth_oid: ".1.3.6.1.6.3.10.1.1.7",
        auth_key: "e953ca22f3331961e29b6fa60274157f15839038702335633c5fcb1fb930b93596f1ca1b7921924869df28286e321f76dc194ebf686add099eaaa9e3aa79a5ab",
        privacy: PrivProtocol::Des,
        priv_oid: ".1.3.6.1.6.3.10.1.2.2",
        priv_key: "b6d9a12e3e11d80730d6cd7090d58061",
    },
    NetSnmpUser {
        name: "sha512-aes",
        auth: AuthProtocol::Sha512,
        auth_oid: ".1.3.6.1.6.3.10.1.1.7",
        auth_key: "7b675c9489add9ae96a398fe44a1e7c3bf7c5fb6b403e74fafb8800e6148cfe6d45863cadb7880244c926371d43e1a24289a2281b790939d8784396a5a449830",
        privacy: PrivProtocol::Aes128,
        priv_oid: ".1.3.6.1.6.3.10.1.2.4",
        priv_key: "94bdc34c7b0bca7ada47e655de96f32f",
    },
    NetSnmpUser {
        name: "sha512-aes192",
        auth: AuthProtocol::Sha512,
        auth_oid: ".1.3.6.1.6.3.10.1.1.7",
        auth_key: "ff5a9c8d289de772ae0eabbcf4cad8e278fd00fa331b8fa730f631a1bfbafa64953a7ee55efbb64744a22950659643e62081678054dc5743f0694d72df43b993",
        privacy: PrivProtocol::Aes192,
        priv_oid: ".1.3.6.1.4.1.14832.1.3",
        priv_key: "75dc4270dbef3f3062566238cb99c2ecdb8127f623a3e375",
    },
    NetSnmpUser {
        name: "sha512-aes256",
        auth: AuthProtocol::Sha512,
        auth_oid: ".1.3.6.1.6.3.10.1.1.7",
        auth_key: "e28fe3a3ea542025a88e89922c0b36b565df2e419d34935eed8c8035672c2f87602feb9a022b284cb3897d06c43ef308e10d0d247fb338732e555dd5e58718b7",
        privacy: PrivProtocol::Aes256,
        priv_oid: ".1.3.6.1.4.1.14832.1.4",
        priv_key: "017a8fcacc7a486b8385694757dd0c0eb1b2f2fab40d5fed9f356d6063530925",
    },
    NetSnmpUser {
        name: "sha512-aes192c",
        auth: AuthProtocol::Sha512,
        auth_oid: ".1.3.6.1.6.3.10.1.1.7",
        auth_key: "b7f44d7edb17ab8563567b4421f5e082691314b007ff401e0f42d070e72ec14ca6f47dd9073399fd2e06e16887ab1d6d0b6f8ffe6ff276e3313f2dac664eb247",
        privacy: PrivProtocol::Aes192Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.1",
        priv_key: "b597a6c32930fb53868ab42efcbfe204e4c306754f0a32e7",
    },
    NetSnmpUser {
        name: "sha512-aes256c",
        auth: AuthProtocol::Sha512,
        auth_oid: ".1.3.6.1.6.3.10.1.1.7",
        auth_key: "cda04789085b5ed5846faae322b3b66f22bd1e5d4786e57fe040292f8447797c6b063ceeb9474fb250d6a9fcf85d7459556ad43937bdd8a12d3abde1f6b00d68",
        privacy: PrivProtocol::Aes256Cisco,
        priv_oid: ".1.3.6.1.4.1.9.12.6.1.2",
        priv_key: "4812773ee3e4098c824fb0c471d3a305296bcbf3eff9faff1aa85284ce7f426d",
    },
];

/// Authenticated and encrypted GETs of sysDescr.0 (`snmpget -d`) and snmpd's
/// responses, for a dozen of the users above (every auth and every priv
/// protocol, and the key extensions where they matter): (user, request,
/// response).
#[rustfmt::skip]
const PACKETS: &[(&str, &str, &str)] = &[
    (
        "md5-des",
        "30818b020103301102040269c16b020300ffe304010702010304393037040e80\
         001f8804736e6d75782d75736d02010102010104076d64352d646573040c7782\
         2d5fd17deed0e1c04f8c0408000000011cce08b7043804e87580da0880ab2dd2\
         0ec566ae812c26a58ad5c0f4417aa2549ca93adeff3287a6d861dd70d2099183\
         073ea655c65fcb1522340396ef60",
        "3081c3020103301102040269c16b020300ffe304010302010304393037040e80\
         001f8804736e6d75782d75736d02010102010104076d64352d646573040cb85d\
         e76bc4bc08bdc7b0b73a040800000001136d9a8a0470a65b647bb2db39d61558\
         d740de3d36dd9a702312519a2168fac4ff749aa56448e8731517e826a8a63ba2\
         05f922f7a6a84fd249b028566d42cfaf529f1951369109d3b9babe11500df739\
         4390883864f2817a52f6a5d8b84d493fad78d88301f99fb8b9238a4978a8ac85\
         e039091c780e",
    ),
    (
        "sha-aes",
        "3081850201033011020474a4896b020300ffe304010702010304393037040e80\
         001f8804736e6d75782d75736d02010102010104077368612d616573040cf051\
         7941356c1a6bce9eac4f0408504959c1f0365ba60432363b8f10a838107eb51b\
         33a02cf219a21eb3dea0562898db30c94394ba2c3ecfd0639924ca00697b1e6e\
         4f33fad4fa3cb404",
        "3081be0201033011020474a4896b020300ffe304010302010304393037040e80\
         001f8804736e6d75782d75736d02010102010104077368612d616573040c66ef\
         24fc19c657bc5172eb2b0408d7f6f4cbb92d9527046bb999d79eeb9b0f0e8cc7\
         ad618abd9e481bc4d973236bac088ab296cb0cdb5d0c6e750d064519e66df541\
         d5410716b6ac7eee937d5710ceadf262af962777a04c144f1fa0f3b54a704d22\
         c067c853ab57bf206c342d9c10e588f217ccedded3d8e1f20d48fabd05c18cb4\
         d4",
    ),
    (
        "md5-aes192",
        "308188020103301102040dc63bec020300ffe3040107020103043c303a040e80\
         001f8804736e6d75782d75736d020101020101040a6d64352d61657331393204\
         0c5b92855ed103031df9026cb304087df4aa364fcb4b18043274f29f974c88e8\
         650dd1935342b1909dc54b6b088b2c22ada9aac8a45f40fdeafcf441b84a5f31\
         db24c7b0c8cb47efa18d9b",
        "3081c1020103301102040dc63bec020300ffe3040103020103043c303a040e80\
         001f8804736e6d75782d75736d020101020101040a6d64352d61657331393204\
         0cbb9c84e4d2617aa6e87cde840408d7f6f4cbb92d9523046b780e7f009c0988\
         a64a333820adaf9c4343c2ad47f58f7d4c8475bea7ab3f49bbedb54ffd16b31f\
         74ac762e90a87fc4c4838a39c8bb0250756d93a659dee105f30a23c3af45f0b2\
         c9e47585c70e831f1fcb83003d708b4c28dd6c53d2b87d41b0186313a58efc75\
         39aaaba4",
    ),
    (
        "md5-aes256",
        "3081880201033011020409d46397020300ffe3040107020103043c303a040e80\
         001f8804736e6d75782d75736d020101020101040a6d64352d61657332353604\
         0cd7197a23d37d3873d7e3fdce04081267ccefde2139da0432f190de540eb681\
         ac6839f5d7dc0e806b6395983a7dc215e5169fa69e9f81607dc642ff2c034ea3\
         86aca82a94e7d12a1e61fa",
        "3081c10201033011020409d46397020300ffe3040103020103043c303a040e80\
         001f8804736e6d75782d75736d020101020101040a6d64352d61657332353604\
         0cf5bb06a70c914fd20991e7400408d7f6f4cbb92d9524046b44f3a6da7d0e1d\
         2c205e1ef113d3e327db6ec90ef0b7c5c6223f6dcf0b7fa19ceb91674748b13a\
         160d0409b1107c787d3b077e9ec72e9738d65b03020608a1a2985123bb40d820\
         7df2ebb589578711a3778a8295b9e2efc7311fb0a82e42dd1c3a3452e16f06d6\
         ad6f7362",
    ),
    (
        "md5-aes192c",
        "30818902010330110204048dae69020300ffe3040107020103043d303b040e80\
         001f8804736e6d75782d75736d020101020101040b6d64352d61657331393263\
         040c2d309d6e868efd01a3d3b67b040832f4a680f97877550432605dc7bcbf65\
         0d01c9370b6d7d71843008cec1c857fb90f0713905661d0d2db2d6bd3d92d15e\
         ce9be8b39333a8b8f111a3eb",
        "3081c202010330110204048dae69020300ffe3040103020103043d303b040e80\
         001f8804736e6d75782d75736d020101020101040b6d64352d61657331393263\
         040c0bdce65d5239a8d20b5c681f0408d7f6f4cbb92d9525046b8c434976904d\
         69d5933f41c8e824f8cb299865a12c414c4363385177ebef88a4b14faaa2ff09\
         f827a3c24dbd6fad02373b9095a51fc2a2ec9f261b1a8f26ed6fc13f3d97cee0\
         1ca261fa1650922edd4dbb7cf27363924bfdb0f049110132f88dbd92b3a2fc42\
         97b1497e87",
    ),
    (
        "md5-aes256c",
        "308189020103301102047893620e020300ffe3040107020103043d303b040e80\
         001f8804736e6d75782d75736d020101020101040b6d64352d61657332353663\
         040c028dd3ae3e5fa2d6a260b29104081581db560f74afa10432d4e6d6340233\
         eed3e3dea891529cf61f331038d11f93d5dae63968409a445b937a2628204ef4\
         ef639e6ee7dfe930a9969799",
        "3081c2020103301102047893620e020300ffe3040103020103043d303b040e80\
         001f8804736e6d75782d75736d020101020101040b6d64352d61657332353663\
         040cce1b83ff7a888eba6b2fbf710408d7f6f4cbb92d9526046b22b8b1ed1ff5\
         316885f91e471b21bd19b0c43ae6d9267bba9693edc9063b4e21b5d20eff8eb4\
         782ee575c93446918a6d0da0fa80c862c3711f90bc4bdba2f191e86a83ef1890\
         a232d981917cb8739f89b4cd965143971c2756b947ac1b604ea155142e447b1c\
         0eebe5ae54",
    ),
    (
        "sha-aes256",
        "30818802010330110204247ca29d020300ffe3040107020103043c303a040e80\
         001f8804736e6d75782d75736d020101020101040a7368612d61657332353604\
         0c8e1258855ede79767fd4536e0408e0ea3672414f49bd04328ad0f53f958a51\
         23e8e5f16386c560e945356cb19c783eb66fc5135656a56a744dcfc00ae691f4\
         0e44640a521388d5fdb443",
        "3081c102010330110204247ca29d020300ffe3040103020103043c303a040e80\
         001f8804736e6d75782d75736d020101020101040a7368612d61657332353604\
         0c7d25b16bcab393933afbae050408d7f6f4cbb92d9529046b72a8391432043a\
         939283370f82a5a027d06cb39093280af23c056b6c8d3cc057762fef239a8af5\
         afcf489681bc6755bc7299ef1396b0d2b1947169643c96e4110c9861ee3859f2\
         2284c497e873948f05b3d1e6b5ee1bfb7a42ecd0b4d8cc25f9901ee219003695\
         0f51d3e1",
    ),
    (
        "sha-aes256c",
        "308189020103301102043dab7cb2020300ffe3040107020103043d303b040e80\
         001f8804736e6d75782d75736d020101020101040b7368612d61657332353663\
         040cb71bf78cd43485a400be735f04086ab6510f58c22b63043276d420b2ceb7\
         806f98048db4cdc452e2b80ce9c61f4eefb45ab6a4587d78e1a81fc3fe12c377\
         31f2d9b90d71b1e340862ca8",
        "3081c2020103301102043dab7cb2020300ffe3040103020103043d303b040e80\
         001f8804736e6d75782d75736d020101020101040b7368612d61657332353663\
         040c0a3994d1d82ab14aa2d2e74f0408d7f6f4cbb92d952b046b11df91de606d\
         10f7f1ee0c81c98aa3adb9da885b83867318bceac47eaaea2f822aacc0721f83\
         9718d8b7bd315ab699b7f59eee8f6ac16934f25fd3d6c7930923305aa42e4f4b\
         f8e14d561f18d63d6bf4d50b8538a439d6e32a3ef278b3c92db63e000c64e05c\
         1ba763fb5b",
    ),
    (
        "sha224-aes256c",
        "3081900201033011020425de7958020300ffe304010702010304443042040e80\
         001f8804736e6d75782d75736d020101020102040e7368613232342d61657332\
         35366304105b320e5d59b4ca3bf8da0ddda576736204089e160a87e9300d3e04\
         32666677d51688af2d9d0bcb16527bed1cd239895a6994027eb4e2d4ddbb8d68\
         9616845bff712f88bc86c3e8954a784d38adc7",
        "3081c90201033011020425de7958020300ffe304010302010304443042040e80\
         001f8804736e6d75782d75736d020101020102040e7368613232342d61657332\
         35366304108f56cb64de3fad4d94815ef00a251acf0408d7f6f4cbb92d953004\
         6b0fc7af82a95dace404e97d819b842ec17eb9e8e4e5d1079531f8299a88736c\
         55c76c91850d3bbc3f1f4d40a401f510b19501da32551afed2e54686e5d03ff1\
         bf043547309238e9d104fb8b63bdfb295850e0e3e399664450c43820789a5277\
         8287620311e7957f1bd538ce",
    ),
    (
        "sha256-des",
        "30819a020103301102047db8e4ad020300ffe304010702010304483046040e80\
         001f8804736e6d75782d75736d020101020102040a7368613235362d64657304\
         1827b8a24c3be5b65881b9f70bcc97f7d3fd1a689b1995718304080000000119\
         eeb40e0438cf8848b6621e41959888f6156c3cbce541e038fbc1ead765e3233c\
         b1f5f0d4a062d3dce34466348d85661d0031c9954a79f85206c76a8e49",
        "3081d2020103301102047db8e4ad020300ffe304010302010304483046040e80\
         001f8804736e6d75782d75736d020101020102040a7368613235362d64657304\
         184c5da9cf49ba088714254408f8986e008c99c4faa78d4eff04080000000113\
         6d9a8d04705df42ba4befcde91be25a2661017951022bf20128b295a253d3b1e\
         70846177a191c80581532c43f1f9900559bb07c3e2d42f62e4aeb12e80e21747\
         4e74ec09500ea0b0214e12968de2f4107f9306a71f2837f42325447d9b84e969\
         69132628e2b1e567f3f364bc34d2cbfec8895edf4c",
    ),
    (
        "sha384-aes192",
        "30819f0201033011020411e26347020300ffe304010702010304533051040e80\
         001f8804736e6d75782d75736d020101020102040d7368613338342d61657331\
         39320420d157511646c21a9abc4c23104a442797f0caa29fd5cead3bb04e5c65\
         d0a7a05e040874a79ca18af2855a04327477dabf59b5877d6de7048aa6502518\
         c9e97be755d3f425307d3aa25a494f9ac3afb28217da6dcd90d52670acb166ea\
         e3eb",
        "3081d80201033011020411e26347020300ffe304010302010304533051040e80\
         001f8804736e6d75782d75736d020101020102040d7368613338342d61657331\
         393204201b10b62c99af36dd73626011249df6050fae2fc33478d5ae0edb2413\
         0a87fde00408d7f6f4cbb92d9537046b3dd60c555892a5898d7d4349f7623241\
         b9fc2b6909227cb08b080c593070140bc2b0547405cc0da4bbd12eb250a51f33\
         25acaeace7c3c09a7680021499302ce392b34602e3075e5e91755c1e13d220e9\
         b1b4335976b00b7494191e062eeaa427bd3398aa6876ddfcd3760e",
    ),
    (
        "sha512-aes",
        "3081ac0201033011020469598632020300ffe30401070201030460305e040e80\
         001f8804736e6d75782d75736d020101020102040a7368613531322d61657304\
         30790d00d621826483a282b683105d0e8721adc8fef4ce495e2ee785d4de7a07\
         f56d1a16a98f74edcac5ce15f52520fff00408eee3c5f0f7a7748e043225a983\
         f0a6ae769831a3a28a33edd3f32427603fe15875f00cfdead12b6f4dd0566c4c\
         ce72ae85ab33941f597b73067ba84e",
        "3081e50201033011020469598632020300ffe30401030201030460305e040e80\
         001f8804736e6d75782d75736d020101020102040a7368613531322d61657304\
         303f04eb11632cef2729ae117b6fe005f1eb5d1d5e118c5ad11e4001f09285d1\
         9d297c773079b607005d960a618a3c6ef90408d7f6f4cbb92d953b046bce9c6f\
         079b1eec64ffd9d5545493bdc6e5a7ed98ca66a6d286c7533a5e1fe4674bd381\
         c03ef7e12092a34f2f503084663bbec70852eef14d7fa1cf3612a21b78f7701a\
         7c1eff8a8bd5fa0960ff1a95e45a3134e4446d627b8df320b37cc662a0523514\
         8eddb8cd289895c9",
    ),
];
