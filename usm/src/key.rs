//! Keys: password-to-key, localization, privacy key extension.

use std::fmt;

use crate::hash::{self, HmacKey, Secret};
use crate::privacy::AesKey;
use crate::{AuthProtocol, Error, KeyExtension, PrivProtocol};

/// The shortest passphrase USM accepts, in bytes (RFC 3414 §11.2; net-snmp
/// refuses shorter ones too).
pub const MIN_PASSWORD_LEN: usize = 8;

/// A user's master key `Ku`: the hash of a megabyte of the repeated
/// passphrase ([RFC 3414 A.2](https://www.rfc-editor.org/rfc/rfc3414#appendix-A.2),
/// RFC 7860 §4), not yet bound to an engine.
///
/// Computing it is the expensive step (a megabyte of hashing); localizing it
/// to an engine ID is cheap. A manager that talks to many engines with the
/// same credentials computes the master key once and localizes it per engine.
///
/// The key bytes are zeroized on drop; `Debug` prints `[redacted]`.
///
/// # Examples
///
/// ```
/// use snmux_usm::{AuthProtocol, MasterKey, PrivProtocol};
///
/// let master = MasterKey::from_password(AuthProtocol::Sha1, "maplesyrup")?;
/// let auth = master.localize_auth(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2])?;
/// assert_eq!(auth.as_bytes()[..4], [0x66, 0x95, 0xfe, 0xbc]);
/// // The same passphrase as a privacy key for another engine.
/// let privacy = master.localize_priv(PrivProtocol::Aes128, &[0x80, 0, 0x1f, 0x88, 4, 1, 2, 3])?;
/// assert_eq!(privacy.as_bytes().len(), 16);
/// # Ok::<(), snmux_usm::Error>(())
/// ```
#[derive(Clone)]
pub struct MasterKey {
    proto: AuthProtocol,
    ku: Secret,
}

impl MasterKey {
    /// Computes the master key of `password` with `proto`'s hash function.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooShort`] if `password` has fewer than
    /// [`MIN_PASSWORD_LEN`] (8) bytes.
    pub fn from_password(proto: AuthProtocol, password: impl AsRef<[u8]>) -> Result<Self, Error> {
        let password = password.as_ref();
        if password.len() < MIN_PASSWORD_LEN {
            return Err(Error::PasswordTooShort {
                len: password.len(),
            });
        }
        Ok(MasterKey {
            proto,
            ku: hash::password_to_key(proto, password),
        })
    }

    /// Takes an already computed master key (net-snmp's `createUser -m`).
    ///
    /// # Errors
    ///
    /// [`Error::WrongKeyLength`] unless `ku` is exactly
    /// [`proto.digest_len()`](AuthProtocol::digest_len) bytes long.
    pub fn from_bytes(proto: AuthProtocol, ku: &[u8]) -> Result<Self, Error> {
        check_len(proto.digest_len(), ku.len())?;
        Ok(MasterKey {
            proto,
            ku: Secret::from_slice(ku),
        })
    }

    /// The authentication protocol whose hash made this key.
    pub fn protocol(&self) -> AuthProtocol {
        self.proto
    }

    /// The key bytes. Handle with care: this is the user's secret.
    pub fn as_bytes(&self) -> &[u8] {
        self.ku.as_slice()
    }

    /// Localizes this master key to an authoritative engine as an
    /// authentication key: `Kul = H(Ku || engineID || Ku)` (RFC 3414 §2.6).
    ///
    /// # Errors
    ///
    /// [`Error::EmptyEngineId`] if `engine_id` is empty.
    pub fn localize_auth(&self, engine_id: &[u8]) -> Result<AuthKey, Error> {
        Ok(AuthKey::new(self.proto, self.localize(engine_id)?))
    }

    /// Localizes this master key to an authoritative engine as a privacy
    /// key for `privacy`: `Kul` as for authentication, extended as `privacy`
    /// requires ([`PrivProtocol::key_extension`]) and cut to
    /// [`privacy.localized_key_len()`](PrivProtocol::localized_key_len).
    ///
    /// The Reeder extension (3DES, AES-192-C, AES-256-C with a hash shorter
    /// than the key) computes another master key, so it costs a megabyte of
    /// hashing per engine.
    ///
    /// # Errors
    ///
    /// [`Error::EmptyEngineId`] if `engine_id` is empty.
    pub fn localize_priv(&self, privacy: PrivProtocol, engine_id: &[u8]) -> Result<PrivKey, Error> {
        let needed = privacy.localized_key_len();
        let mut key = self.localize(engine_id)?;
        while key.len() < needed {
            let more = match privacy.key_extension() {
                // draft-blumenthal-aes-usm-04 §3.1.2.1.
                KeyExtension::Blumenthal => hash::hash(self.proto, &[key.as_slice()]),
                // draft-reeder-snmpv3-usm-3desede-00 §2.1. With the hashes
                // and ciphers here one round always suffices (the shortest
                // hash is 16 bytes, the longest key 32), so whether later
                // rounds would start from the whole key or the last block
                // never matters; this follows pysnmp (the whole key).
                KeyExtension::Reeder => {
                    let ku = hash::password_to_key(self.proto, key.as_slice());
                    localize(self.proto, &ku, engine_id)
                }
            };
            let take = more.len().min(needed - key.len());
            key.extend_from_slice(&more.as_slice()[..take]);
        }
        key.truncate(needed);
        Ok(PrivKey::new(privacy, key))
    }

    fn localize(&self, engine_id: &[u8]) -> Result<Secret, Error> {
        if engine_id.is_empty() {
            return Err(Error::EmptyEngineId);
        }
        Ok(localize(self.proto, &self.ku, engine_id))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("protocol", &self.proto)
            .field("key", &self.ku)
            .finish()
    }
}

/// An authentication key localized to one authoritative engine, with its
/// protocol: what signs and verifies messages (see [`AuthKey::sign`] and
/// [`AuthKey::verify`]).
///
/// It holds the HMAC key schedule too (RFC 2104 §4: the hash states after
/// the key's inner and outer pad blocks), computed once, so that each MAC
/// costs two compressions fewer (MD5 excepted: see the crate docs).
///
/// The key bytes and the schedule are zeroized on drop; `Debug` prints
/// `[redacted]`.
///
/// # Examples
///
/// ```
/// use snmux_usm::{AuthKey, AuthProtocol};
///
/// // RFC 3414 A.3.1.
/// let engine_id = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
/// let key = AuthKey::from_password(AuthProtocol::Md5, "maplesyrup", &engine_id)?;
/// assert_eq!(key.as_bytes()[..4], [0x52, 0x6f, 0x5e, 0xed]);
/// // The same key, configured as localized bytes.
/// let same = AuthKey::from_localized(AuthProtocol::Md5, key.as_bytes())?;
/// # Ok::<(), snmux_usm::Error>(())
/// ```
#[derive(Clone)]
pub struct AuthKey {
    pub(crate) proto: AuthProtocol,
    pub(crate) key: Secret,
    pub(crate) hmac: HmacKey,
}

impl AuthKey {
    fn new(proto: AuthProtocol, key: Secret) -> Self {
        AuthKey {
            proto,
            hmac: HmacKey::new(proto, key.as_slice()),
            key,
        }
    }

    /// Derives the key of `password` for `proto`, localized to `engine_id`
    /// (RFC 3414 A.2, RFC 7860 §4). Costs a megabyte of hashing: compute it
    /// once per (user, engine ID), or once per user with [`MasterKey`].
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooShort`] if `password` has fewer than
    /// [`MIN_PASSWORD_LEN`] (8) bytes, [`Error::EmptyEngineId`] if
    /// `engine_id` is empty.
    pub fn from_password(
        proto: AuthProtocol,
        password: impl AsRef<[u8]>,
        engine_id: &[u8],
    ) -> Result<Self, Error> {
        MasterKey::from_password(proto, password)?.localize_auth(engine_id)
    }

    /// Takes an already localized key (`usmUserAuthKeyChange`, net-snmp's
    /// `createUser -l`, a device's configuration).
    ///
    /// # Errors
    ///
    /// [`Error::WrongKeyLength`] unless `key` is exactly
    /// [`proto.digest_len()`](AuthProtocol::digest_len) bytes long.
    pub fn from_localized(proto: AuthProtocol, key: &[u8]) -> Result<Self, Error> {
        check_len(proto.digest_len(), key.len())?;
        Ok(AuthKey::new(proto, Secret::from_slice(key)))
    }

    /// The authentication protocol.
    pub fn protocol(&self) -> AuthProtocol {
        self.proto
    }

    /// The localized key bytes. Handle with care: this is a secret.
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_slice()
    }
}

impl fmt::Debug for AuthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthKey")
            .field("protocol", &self.proto)
            .field("key", &self.key)
            .finish()
    }
}

/// A privacy key localized to one authoritative engine, with its protocol:
/// what encrypts and decrypts scopedPDUs (see [`PrivKey::encrypt`] and
/// [`PrivKey::decrypt`]).
///
/// Holds [`PrivProtocol::localized_key_len`] bytes: for DES and 3DES the
/// cipher key followed by the 8-byte pre-IV, for AES the cipher key, and
/// for AES the cipher's key schedule too, computed once. Zeroized on drop
/// (the schedule through the `aes` crate's `zeroize` feature); `Debug`
/// prints `[redacted]`.
///
/// # Examples
///
/// ```
/// use snmux_usm::{AuthProtocol, PrivKey, PrivProtocol};
///
/// let engine_id = [0x80, 0x00, 0x1f, 0x88, 0x04, b'd', b'e', b'm', b'o'];
/// // Privacy keys are derived with the authentication protocol's hash.
/// let key = PrivKey::from_password(
///     AuthProtocol::Sha1,
///     PrivProtocol::Aes256Cisco,
///     "priv passphrase",
///     &engine_id,
/// )?;
/// assert_eq!(key.as_bytes().len(), 32);
/// # Ok::<(), snmux_usm::Error>(())
/// ```
#[derive(Clone)]
pub struct PrivKey {
    pub(crate) proto: PrivProtocol,
    pub(crate) key: Secret,
    /// The AES key schedule, computed once (`None` for DES and 3DES).
    pub(crate) aes: Option<AesKey>,
}

impl PrivKey {
    fn new(proto: PrivProtocol, key: Secret) -> Self {
        PrivKey {
            proto,
            aes: AesKey::new(proto, key.as_slice()),
            key,
        }
    }

    /// Derives the privacy key of `password` for `privacy`, with the hash
    /// of the user's authentication protocol `auth`, localized to
    /// `engine_id` and extended as `privacy` requires
    /// ([`MasterKey::localize_priv`]).
    ///
    /// # Errors
    ///
    /// [`Error::PasswordTooShort`] if `password` has fewer than
    /// [`MIN_PASSWORD_LEN`] (8) bytes, [`Error::EmptyEngineId`] if
    /// `engine_id` is empty.
    pub fn from_password(
        auth: AuthProtocol,
        privacy: PrivProtocol,
        password: impl AsRef<[u8]>,
        engine_id: &[u8],
    ) -> Result<Self, Error> {
        MasterKey::from_password(auth, password)?.localize_priv(privacy, engine_id)
    }

    /// Takes an already localized (and, where needed, extended) key, as
    /// net-snmp stores it in its `usmUser` lines. Only the first
    /// [`privacy.localized_key_len()`](PrivProtocol::localized_key_len)
    /// bytes are used, so a full-length localized hash (20 bytes for SHA-1)
    /// is accepted for DES or AES-128.
    ///
    /// # Errors
    ///
    /// [`Error::WrongKeyLength`] if `key` is shorter than
    /// `privacy.localized_key_len()`, or longer than the longest digest (64
    /// bytes).
    pub fn from_localized(privacy: PrivProtocol, key: &[u8]) -> Result<Self, Error> {
        let needed = privacy.localized_key_len();
        if key.len() < needed || key.len() > AuthProtocol::Sha512.digest_len() {
            return Err(Error::WrongKeyLength {
                expected: needed,
                actual: key.len(),
            });
        }
        Ok(PrivKey::new(privacy, Secret::from_slice(&key[..needed])))
    }

    /// The privacy protocol.
    pub fn protocol(&self) -> PrivProtocol {
        self.proto
    }

    /// The localized key bytes (cipher key, then pre-IV for DES and 3DES).
    /// Handle with care: this is a secret.
    pub fn as_bytes(&self) -> &[u8] {
        self.key.as_slice()
    }
}

impl fmt::Debug for PrivKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivKey")
            .field("protocol", &self.proto)
            .field("key", &self.key)
            .finish()
    }
}

/// RFC 3414 §2.6 / A.2.2: `Kul = H(Ku || engineID || Ku)`.
fn localize(proto: AuthProtocol, ku: &Secret, engine_id: &[u8]) -> Secret {
    hash::hash(proto, &[ku.as_slice(), engine_id, ku.as_slice()])
}

fn check_len(expected: usize, actual: usize) -> Result<(), Error> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::WrongKeyLength { expected, actual })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_passwords_are_refused() {
        for password in ["", "a", "1234567"] {
            assert_eq!(
                MasterKey::from_password(AuthProtocol::Sha1, password).unwrap_err(),
                Error::PasswordTooShort {
                    len: password.len()
                }
            );
        }
        // Eight bytes is enough.
        assert!(MasterKey::from_password(AuthProtocol::Md5, "12345678").is_ok());
    }

    #[test]
    fn empty_engine_id_is_refused() {
        let master = MasterKey::from_bytes(AuthProtocol::Md5, &[7; 16]).unwrap();
        assert_eq!(master.localize_auth(&[]).unwrap_err(), Error::EmptyEngineId);
        assert_eq!(
            master.localize_priv(PrivProtocol::Des, &[]).unwrap_err(),
            Error::EmptyEngineId
        );
    }

    #[test]
    fn localized_key_lengths_are_checked() {
        assert_eq!(
            AuthKey::from_localized(AuthProtocol::Sha1, &[0; 16]).unwrap_err(),
            Error::WrongKeyLength {
                expected: 20,
                actual: 16
            }
        );
        assert_eq!(
            MasterKey::from_bytes(AuthProtocol::Sha256, &[0; 33]).unwrap_err(),
            Error::WrongKeyLength {
                expected: 32,
                actual: 33
            }
        );
        assert_eq!(
            PrivKey::from_localized(PrivProtocol::Aes256, &[0; 20]).unwrap_err(),
            Error::WrongKeyLength {
                expected: 32,
                actual: 20
            }
        );
        assert!(PrivKey::from_localized(PrivProtocol::Des, &[0; 65]).is_err());
        // A whole SHA-1 Kul is fine for DES: the first 16 bytes are used.
        let key: Vec<u8> = (0..20).collect();
        let des = PrivKey::from_localized(PrivProtocol::Des, &key).unwrap();
        assert_eq!(des.as_bytes(), &key[..16]);
    }

    #[test]
    fn debug_never_prints_key_bytes() {
        let master = MasterKey::from_bytes(AuthProtocol::Md5, &[0xab; 16]).unwrap();
        let auth = master.localize_auth(b"engine").unwrap();
        let privacy = master
            .localize_priv(PrivProtocol::Aes128, b"engine")
            .unwrap();
        let printed = format!("{master:?} {auth:?} {privacy:?} {master:#?}");
        assert_eq!(printed.matches("[redacted]").count(), 4, "{printed}");
        for key in [master.as_bytes(), auth.as_bytes(), privacy.as_bytes()] {
            assert!(!printed.contains(&format!("{}", key[0])), "{printed}");
        }
        assert_eq!(
            format!("{auth:?}"),
            "AuthKey { protocol: Md5, key: [redacted] }"
        );
    }

    #[test]
    fn blumenthal_appends_the_hash_of_the_key_so_far() {
        // With MD5 (16 bytes), AES-256 needs 16 more: H(Kul).
        let master = MasterKey::from_bytes(AuthProtocol::Md5, &[0x11; 16]).unwrap();
        let eid = b"\x80\x00\x1f\x88\x04blumenthal";
        let kul = master.localize_auth(eid).unwrap();
        let k256 = master.localize_priv(PrivProtocol::Aes256, eid).unwrap();
        let h = hash::hash(AuthProtocol::Md5, &[kul.as_bytes()]);
        assert_eq!(&k256.as_bytes()[..16], kul.as_bytes());
        assert_eq!(&k256.as_bytes()[16..], h.as_slice());
        // AES-192 is a prefix of AES-256.
        let k192 = master.localize_priv(PrivProtocol::Aes192, eid).unwrap();
        assert_eq!(k192.as_bytes(), &k256.as_bytes()[..24]);
    }

    #[test]
    fn reeder_appends_a_key_localized_from_the_key_so_far() {
        let master = MasterKey::from_bytes(AuthProtocol::Sha1, &[0x22; 20]).unwrap();
        let eid = b"\x80\x00\x00\x09\x03reeder";
        let kul = master.localize_auth(eid).unwrap();
        let k2 = MasterKey::from_password(AuthProtocol::Sha1, kul.as_bytes())
            .unwrap()
            .localize_auth(eid)
            .unwrap();
        let k256 = master
            .localize_priv(PrivProtocol::Aes256Cisco, eid)
            .unwrap();
        assert_eq!(&k256.as_bytes()[..20], kul.as_bytes());
        assert_eq!(&k256.as_bytes()[20..], &k2.as_bytes()[..12]);
        let k3des = master.localize_priv(PrivProtocol::TripleDes, eid).unwrap();
        assert_eq!(k3des.as_bytes(), k256.as_bytes());
    }

    #[test]
    fn no_extension_when_the_hash_is_long_enough() {
        let master = MasterKey::from_bytes(AuthProtocol::Sha256, &[0x33; 32]).unwrap();
        let eid = b"\x80\x00\x1f\x88\x04long";
        let kul = master.localize_auth(eid).unwrap();
        for privacy in PrivProtocol::ALL {
            let key = master.localize_priv(privacy, eid).unwrap();
            assert_eq!(
                key.as_bytes(),
                &kul.as_bytes()[..privacy.localized_key_len()],
                "{privacy}"
            );
        }
    }
}
