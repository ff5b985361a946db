//! The SNMPv3 receive path, with fixed keys: the header and USM security
//! parameters decoded (`HeaderV3::decode`), the HMAC checked at the decoded
//! offset with every authentication protocol (`AuthKey::check`), msgData
//! decrypted with every privacy protocol (`PrivKey::decrypt`) and the
//! result decoded as a ScopedPDU (`ScopedPdu::decode`). The HMAC is checked
//! and the decryption tried whether or not the other steps succeed, so that
//! every step sees every input. None may panic; the invariants below must
//! hold.
#![no_main]

use std::sync::LazyLock;

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use snmux_engine::{HeaderV3, MessageV3, MsgData, ScopedPdu};
use snmux_usm::{AuthKey, AuthProtocol, PrivKey, PrivProtocol};

/// One fixed localized key per protocol (the bytes do not matter: inputs
/// are not signed or encrypted with them, except by chance or by the
/// fuzzer's seeds).
struct Keys {
    auth: Vec<AuthKey>,
    privacy: Vec<PrivKey>,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| Keys {
    auth: AuthProtocol::ALL
        .iter()
        .map(|&p| AuthKey::from_localized(p, &vec![0x5a; p.digest_len()]).unwrap())
        .collect(),
    privacy: PrivProtocol::ALL
        .iter()
        .map(|&p| PrivKey::from_localized(p, &vec![0xa5; p.localized_key_len()]).unwrap())
        .collect(),
});

fuzz_target!(|data: &[u8]| {
    let bytes = Bytes::copy_from_slice(data);
    let message = MessageV3::decode(&bytes);
    let h = match HeaderV3::decode(data) {
        Ok(h) => h,
        Err(e) => {
            assert!(e.offset <= data.len(), "error offset past the input: {e:?}");
            assert!(message.is_err(), "MessageV3 decoded what HeaderV3 rejected");
            return;
        }
    };

    // The fields are slices of the input; msgAuthenticationParameters is
    // where the offset says (the HMAC is checked there).
    let offset_of = |field: &[u8]| field.as_ptr() as usize - data.as_ptr() as usize;
    assert_eq!(offset_of(h.auth_params), h.auth_params_offset);
    assert!(h.auth_params_offset + h.auth_params.len() <= data.len());

    // The full decoder agrees with the header decoder.
    let plaintext = h.scoped_pdu(&bytes);
    match &message {
        Ok((m, offset)) => {
            assert_eq!(*offset, h.auth_params_offset);
            assert_eq!(m.msg_id, h.msg_id);
            assert_eq!(m.max_size, h.max_size);
            assert_eq!(m.flags, h.flags);
            assert_eq!(m.security_model, h.security_model);
            assert_eq!(&m.usm.engine_id[..], h.engine_id);
            assert_eq!(m.usm.engine_boots, h.engine_boots);
            assert_eq!(m.usm.engine_time, h.engine_time);
            assert_eq!(&m.usm.user_name[..], h.user_name);
            assert_eq!(&m.usm.auth_params[..], h.auth_params);
            assert_eq!(&m.usm.priv_params[..], h.priv_params);
            match &m.data {
                MsgData::Plaintext(s) => assert_eq!(plaintext.as_ref().ok(), Some(s)),
                MsgData::Encrypted(e) => assert_eq!(Some(&e[..]), h.encrypted()),
            }
        }
        Err(_) => {
            // Only a malformed plaintext ScopedPDU fails the full decoder.
            assert!(h.encrypted().is_none() && plaintext.is_err());
        }
    }
    if let Ok(scoped) = &plaintext {
        round_trip(scoped);
    }

    // Authentication: checking never panics, and signing a copy makes a
    // message that checks.
    for key in &KEYS.auth {
        let checked = key.check(data, h.auth_params_offset);
        let mut signed = data.to_vec();
        match key.sign(&mut signed, h.auth_params_offset) {
            Ok(()) => {
                assert!(key.check(&signed, h.auth_params_offset).is_ok());
                if checked.is_ok() {
                    assert_eq!(signed, data, "a message that checks is already signed");
                }
            }
            Err(_) => assert!(checked.is_err()),
        }
    }

    // Privacy: whatever msgData holds is decrypted with every key, and the
    // plaintext decoded. AES-CFB keeps the length; DES-CBC too, or fails.
    if let Some(encrypted) = h.encrypted() {
        for key in &KEYS.privacy {
            let decrypted = key.decrypt(h.engine_boots, h.engine_time, h.priv_params, encrypted);
            let mut in_place = encrypted.to_vec();
            let in_place_result =
                key.decrypt_in_place(h.engine_boots, h.engine_time, h.priv_params, &mut in_place);
            match decrypted {
                Ok(plain) => {
                    assert!(in_place_result.is_ok());
                    assert_eq!(plain.len(), encrypted.len());
                    assert_eq!(plain, in_place);
                    if let Ok(scoped) = ScopedPdu::decode(&Bytes::from(plain)) {
                        round_trip(&scoped);
                    }
                }
                Err(_) => {
                    assert!(in_place_result.is_err());
                    assert_eq!(
                        in_place, encrypted,
                        "a failed decryption changed the buffer"
                    );
                }
            }
        }
        // As if a key had turned the encryptedPDU into these bytes: lets the
        // fuzzer reach the ScopedPDU decoder through the ciphertext too.
        if let Ok(scoped) = ScopedPdu::decode(&Bytes::copy_from_slice(encrypted)) {
            round_trip(&scoped);
        }
    }
});

/// A decoded ScopedPDU encodes to what decodes to it again.
fn round_trip(scoped: &ScopedPdu) {
    let mut buf = BytesMut::new();
    scoped.encode(&mut buf);
    assert_eq!(buf.len(), scoped.encoded_len());
    let again = ScopedPdu::decode(&buf.freeze())
        .expect("the re-encoding of a decoded ScopedPDU does not decode");
    assert_eq!(
        &again, scoped,
        "the re-encoding decodes to another ScopedPDU"
    );
}
