//! The authentication and privacy protocols, their names and sizes.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A USM authentication protocol: HMAC with one hash function, truncated.
///
/// Parses (case-insensitively) and prints with net-snmp's names: `MD5`,
/// `SHA` (also `SHA1`, `SHA-1`), `SHA-224`, `SHA-256`, `SHA-384`, `SHA-512`
/// (also without the dash: `SHA256`).
///
/// - `Md5`: HMAC-MD5-96, [RFC 3414 §6](https://www.rfc-editor.org/rfc/rfc3414#section-6)
/// - `Sha1`: HMAC-SHA-96, [RFC 3414 §7](https://www.rfc-editor.org/rfc/rfc3414#section-7)
/// - `Sha224` … `Sha512`: HMAC-SHA-224-128, HMAC-SHA-256-192,
///   HMAC-SHA-384-256, HMAC-SHA-512-384, [RFC 7860](https://www.rfc-editor.org/rfc/rfc7860)
///
/// # Examples
///
/// ```
/// use snmux_usm::AuthProtocol;
///
/// let proto: AuthProtocol = "sha-256".parse()?;
/// assert_eq!(proto, AuthProtocol::Sha256);
/// assert_eq!(proto.to_string(), "SHA-256");
/// assert_eq!(proto.mac_len(), 24);
/// # Ok::<(), snmux_usm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthProtocol {
    /// HMAC-MD5-96 (RFC 3414): 16-byte keys, 12-byte MAC.
    Md5,
    /// HMAC-SHA-96 (RFC 3414): 20-byte keys, 12-byte MAC.
    Sha1,
    /// HMAC-SHA-224-128 (RFC 7860): 28-byte keys, 16-byte MAC.
    Sha224,
    /// HMAC-SHA-256-192 (RFC 7860): 32-byte keys, 24-byte MAC.
    Sha256,
    /// HMAC-SHA-384-256 (RFC 7860): 48-byte keys, 32-byte MAC.
    Sha384,
    /// HMAC-SHA-512-384 (RFC 7860): 64-byte keys, 48-byte MAC.
    Sha512,
}

impl AuthProtocol {
    /// Every authentication protocol, in RFC order.
    pub const ALL: [AuthProtocol; 6] = [
        AuthProtocol::Md5,
        AuthProtocol::Sha1,
        AuthProtocol::Sha224,
        AuthProtocol::Sha256,
        AuthProtocol::Sha384,
        AuthProtocol::Sha512,
    ];

    /// Length in bytes of msgAuthenticationParameters: the truncated MAC
    /// (12, 12, 16, 24, 32, 48).
    pub const fn mac_len(self) -> usize {
        match self {
            AuthProtocol::Md5 | AuthProtocol::Sha1 => 12,
            AuthProtocol::Sha224 => 16,
            AuthProtocol::Sha256 => 24,
            AuthProtocol::Sha384 => 32,
            AuthProtocol::Sha512 => 48,
        }
    }

    /// Length in bytes of the hash output, which is also the length of the
    /// master and localized keys (16, 20, 28, 32, 48, 64).
    pub const fn digest_len(self) -> usize {
        match self {
            AuthProtocol::Md5 => 16,
            AuthProtocol::Sha1 => 20,
            AuthProtocol::Sha224 => 28,
            AuthProtocol::Sha256 => 32,
            AuthProtocol::Sha384 => 48,
            AuthProtocol::Sha512 => 64,
        }
    }

    /// net-snmp's name: `MD5`, `SHA`, `SHA-224`, `SHA-256`, `SHA-384`,
    /// `SHA-512`.
    pub const fn name(self) -> &'static str {
        match self {
            AuthProtocol::Md5 => "MD5",
            AuthProtocol::Sha1 => "SHA",
            AuthProtocol::Sha224 => "SHA-224",
            AuthProtocol::Sha256 => "SHA-256",
            AuthProtocol::Sha384 => "SHA-384",
            AuthProtocol::Sha512 => "SHA-512",
        }
    }

    /// The protocol's object identifier in SNMP-USER-BASED-SM-MIB
    /// (`usmHMACMD5AuthProtocol` 1.3.6.1.6.3.10.1.1.2, …) and
    /// SNMP-USM-HMAC-SHA2-MIB (`usmHMAC128SHA224AuthProtocol`
    /// 1.3.6.1.6.3.10.1.1.4, …), as arcs.
    pub const fn oid(self) -> &'static [u32] {
        match self {
            AuthProtocol::Md5 => &[1, 3, 6, 1, 6, 3, 10, 1, 1, 2],
            AuthProtocol::Sha1 => &[1, 3, 6, 1, 6, 3, 10, 1, 1, 3],
            AuthProtocol::Sha224 => &[1, 3, 6, 1, 6, 3, 10, 1, 1, 4],
            AuthProtocol::Sha256 => &[1, 3, 6, 1, 6, 3, 10, 1, 1, 5],
            AuthProtocol::Sha384 => &[1, 3, 6, 1, 6, 3, 10, 1, 1, 6],
            AuthProtocol::Sha512 => &[1, 3, 6, 1, 6, 3, 10, 1, 1, 7],
        }
    }
}

impl fmt::Display for AuthProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AuthProtocol {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        const NAMES: &[(&str, AuthProtocol)] = &[
            ("MD5", AuthProtocol::Md5),
            ("SHA", AuthProtocol::Sha1),
            ("SHA1", AuthProtocol::Sha1),
            ("SHA-1", AuthProtocol::Sha1),
            ("SHA-224", AuthProtocol::Sha224),
            ("SHA224", AuthProtocol::Sha224),
            ("SHA-256", AuthProtocol::Sha256),
            ("SHA256", AuthProtocol::Sha256),
            ("SHA-384", AuthProtocol::Sha384),
            ("SHA384", AuthProtocol::Sha384),
            ("SHA-512", AuthProtocol::Sha512),
            ("SHA512", AuthProtocol::Sha512),
        ];
        lookup(NAMES, s)
    }
}

/// A USM privacy protocol: a cipher, its mode, and how its key is derived.
///
/// Parses (case-insensitively) and prints with net-snmp's names: `DES`,
/// `3DES`, `AES` (also `AES-128`, `AES128`), `AES-192`, `AES-256`,
/// `AES-192-C`, `AES-256-C` (also `3DES-EDE`, and the AES names without
/// dashes: `AES256`, `AES256C`).
///
/// - `Des`: CBC-DES, [RFC 3414 §8](https://www.rfc-editor.org/rfc/rfc3414#section-8)
/// - `TripleDes`: CBC-3DES-EDE, draft-reeder-snmpv3-usm-3desede-00
/// - `Aes128`: CFB128-AES-128, [RFC 3826](https://www.rfc-editor.org/rfc/rfc3826)
/// - `Aes192`, `Aes256`: CFB128-AES-192/256 with the Blumenthal key
///   extension, draft-blumenthal-aes-usm-04 (net-snmp `AES-192`, `AES-256`;
///   pysnmp `usmAesBlumenthalCfb192Protocol`, …)
/// - `Aes192Cisco`, `Aes256Cisco`: CFB128-AES-192/256 with the
///   Reeder key extension that Cisco devices use (net-snmp `AES-192-C`,
///   `AES-256-C`; pysnmp `usmAesCfb192Protocol`, …)
///
/// # Examples
///
/// ```
/// use snmux_usm::{KeyExtension, PrivProtocol};
///
/// let proto: PrivProtocol = "aes-256-c".parse()?;
/// assert_eq!(proto, PrivProtocol::Aes256Cisco);
/// assert_eq!(proto.key_len(), 32);
/// assert_eq!(proto.key_extension(), KeyExtension::Reeder);
/// # Ok::<(), snmux_usm::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PrivProtocol {
    /// CBC-DES (RFC 3414 §8).
    Des,
    /// CBC-3DES-EDE (draft-reeder-snmpv3-usm-3desede-00).
    TripleDes,
    /// CFB128-AES-128 (RFC 3826).
    Aes128,
    /// CFB128-AES-192, Blumenthal key extension (draft-blumenthal-aes-usm-04).
    Aes192,
    /// CFB128-AES-256, Blumenthal key extension (draft-blumenthal-aes-usm-04).
    Aes256,
    /// CFB128-AES-192, Reeder key extension (Cisco).
    Aes192Cisco,
    /// CFB128-AES-256, Reeder key extension (Cisco).
    Aes256Cisco,
}

/// How a privacy key is lengthened when the authentication protocol's hash
/// gives fewer bytes than the privacy protocol needs
/// ([`PrivProtocol::localized_key_len`]).
///
/// The two give the same key whenever no extension is needed, that is
/// whenever the hash is at least as long as the key: they differ for
/// AES-192 with MD5 or SHA-1, AES-256 with MD5, SHA-1 or SHA-224, and 3DES
/// with MD5, SHA-1 or SHA-224.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyExtension {
    /// draft-blumenthal-aes-usm-04 §3.1.2.1: append the hash of all the key
    /// material so far, `Kul || H(Kul) || H(Kul || H(Kul)) || …`, and
    /// truncate.
    Blumenthal,
    /// draft-reeder-snmpv3-usm-3desede-00 §2.1: append a key localized from
    /// a master key computed with the key material so far as the
    /// passphrase, `Kul || localize(password_to_key(Kul)) || …`, and
    /// truncate.
    Reeder,
}

impl PrivProtocol {
    /// Every privacy protocol.
    pub const ALL: [PrivProtocol; 7] = [
        PrivProtocol::Des,
        PrivProtocol::TripleDes,
        PrivProtocol::Aes128,
        PrivProtocol::Aes192,
        PrivProtocol::Aes256,
        PrivProtocol::Aes192Cisco,
        PrivProtocol::Aes256Cisco,
    ];

    /// Length in bytes of the cipher key: 8 for DES, 24 for 3DES, 16, 24
    /// or 32 for AES.
    pub const fn key_len(self) -> usize {
        match self {
            PrivProtocol::Des => 8,
            PrivProtocol::TripleDes => 24,
            PrivProtocol::Aes128 => 16,
            PrivProtocol::Aes192 | PrivProtocol::Aes192Cisco => 24,
            PrivProtocol::Aes256 | PrivProtocol::Aes256Cisco => 32,
        }
    }

    /// Length in bytes of the localized privacy key: the cipher key, plus
    /// for DES and 3DES the 8-byte pre-IV that follows it (16, 32, 16, 24,
    /// 32, 24, 32).
    pub const fn localized_key_len(self) -> usize {
        match self {
            PrivProtocol::Des => 16,
            PrivProtocol::TripleDes => 32,
            _ => self.key_len(),
        }
    }

    /// The cipher's block length in bytes: 8 for DES and 3DES, 16 for AES.
    ///
    /// CBC ciphertexts (DES, 3DES) are a multiple of it; CFB ciphertexts
    /// (AES) are exactly as long as the plaintext.
    pub const fn block_len(self) -> usize {
        match self {
            PrivProtocol::Des | PrivProtocol::TripleDes => 8,
            _ => 16,
        }
    }

    /// Length in bytes of the ciphertext of a `plaintext`-byte scopedPDU:
    /// for DES and 3DES rounded up to a whole block (net-snmp's padding),
    /// for AES (CFB) the same.
    pub const fn ciphertext_len(self, plaintext: usize) -> usize {
        match self {
            PrivProtocol::Des | PrivProtocol::TripleDes => plaintext.div_ceil(8) * 8,
            _ => plaintext,
        }
    }

    /// How a localized key shorter than [`localized_key_len`] is extended.
    ///
    /// [`localized_key_len`]: PrivProtocol::localized_key_len
    pub const fn key_extension(self) -> KeyExtension {
        match self {
            PrivProtocol::Aes192 | PrivProtocol::Aes256 => KeyExtension::Blumenthal,
            // DES and AES-128 never need an extension (every hash is at
            // least 16 bytes long); 3DES uses Reeder's.
            _ => KeyExtension::Reeder,
        }
    }

    /// net-snmp's name: `DES`, `3DES`, `AES`, `AES-192`, `AES-256`,
    /// `AES-192-C`, `AES-256-C`.
    pub const fn name(self) -> &'static str {
        match self {
            PrivProtocol::Des => "DES",
            PrivProtocol::TripleDes => "3DES",
            PrivProtocol::Aes128 => "AES",
            PrivProtocol::Aes192 => "AES-192",
            PrivProtocol::Aes256 => "AES-256",
            PrivProtocol::Aes192Cisco => "AES-192-C",
            PrivProtocol::Aes256Cisco => "AES-256-C",
        }
    }

    /// The protocol's object identifier, as arcs: `usmDESPrivProtocol`
    /// 1.3.6.1.6.3.10.1.2.2, `usm3DESEDEPrivProtocol` 1.3.6.1.6.3.10.1.2.3,
    /// `usmAesCfb128Protocol` 1.3.6.1.6.3.10.1.2.4, Blumenthal's
    /// 1.3.6.1.4.1.14832.1.3 and .4, Cisco's 1.3.6.1.4.1.9.12.6.1.1 and .2
    /// (the OIDs net-snmp writes in its `usmUser` lines).
    pub const fn oid(self) -> &'static [u32] {
        match self {
            PrivProtocol::Des => &[1, 3, 6, 1, 6, 3, 10, 1, 2, 2],
            PrivProtocol::TripleDes => &[1, 3, 6, 1, 6, 3, 10, 1, 2, 3],
            PrivProtocol::Aes128 => &[1, 3, 6, 1, 6, 3, 10, 1, 2, 4],
            PrivProtocol::Aes192 => &[1, 3, 6, 1, 4, 1, 14832, 1, 3],
            PrivProtocol::Aes256 => &[1, 3, 6, 1, 4, 1, 14832, 1, 4],
            PrivProtocol::Aes192Cisco => &[1, 3, 6, 1, 4, 1, 9, 12, 6, 1, 1],
            PrivProtocol::Aes256Cisco => &[1, 3, 6, 1, 4, 1, 9, 12, 6, 1, 2],
        }
    }
}

impl fmt::Display for PrivProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PrivProtocol {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        const NAMES: &[(&str, PrivProtocol)] = &[
            ("DES", PrivProtocol::Des),
            ("3DES", PrivProtocol::TripleDes),
            ("3DES-EDE", PrivProtocol::TripleDes),
            ("AES", PrivProtocol::Aes128),
            ("AES-128", PrivProtocol::Aes128),
            ("AES128", PrivProtocol::Aes128),
            ("AES-192", PrivProtocol::Aes192),
            ("AES192", PrivProtocol::Aes192),
            ("AES-256", PrivProtocol::Aes256),
            ("AES256", PrivProtocol::Aes256),
            ("AES-192-C", PrivProtocol::Aes192Cisco),
            ("AES192-C", PrivProtocol::Aes192Cisco),
            ("AES192C", PrivProtocol::Aes192Cisco),
            ("AES-256-C", PrivProtocol::Aes256Cisco),
            ("AES256-C", PrivProtocol::Aes256Cisco),
            ("AES256C", PrivProtocol::Aes256Cisco),
        ];
        lookup(NAMES, s)
    }
}

/// The protocol whose name (ASCII case-insensitively) is `s`.
fn lookup<P: Copy>(names: &[(&str, P)], s: &str) -> Result<P, Error> {
    names
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(s))
        .map(|&(_, proto)| proto)
        .ok_or_else(|| Error::UnknownProtocol(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_names_round_trip_and_accept_net_snmp_spellings() {
        for proto in AuthProtocol::ALL {
            assert_eq!(proto.to_string().parse::<AuthProtocol>().unwrap(), proto);
            assert_eq!(
                proto
                    .to_string()
                    .to_lowercase()
                    .parse::<AuthProtocol>()
                    .unwrap(),
                proto
            );
        }
        for (name, proto) in [
            ("MD5", AuthProtocol::Md5),
            ("md5", AuthProtocol::Md5),
            ("SHA", AuthProtocol::Sha1),
            ("SHA1", AuthProtocol::Sha1),
            ("SHA-1", AuthProtocol::Sha1),
            ("sha-224", AuthProtocol::Sha224),
            ("SHA256", AuthProtocol::Sha256),
            ("Sha-384", AuthProtocol::Sha384),
            ("SHA-512", AuthProtocol::Sha512),
        ] {
            assert_eq!(name.parse::<AuthProtocol>().unwrap(), proto, "{name}");
        }
        for bad in [
            "", "SHA-2", "SHA3-256", "HMAC", "MD4", "SHA-", "S-HA", "MD-5", "des",
        ] {
            assert!(
                matches!(bad.parse::<AuthProtocol>(), Err(Error::UnknownProtocol(s)) if s == bad),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn priv_names_round_trip_and_accept_net_snmp_spellings() {
        for proto in PrivProtocol::ALL {
            assert_eq!(proto.to_string().parse::<PrivProtocol>().unwrap(), proto);
            assert_eq!(
                proto
                    .to_string()
                    .to_lowercase()
                    .parse::<PrivProtocol>()
                    .unwrap(),
                proto
            );
        }
        for (name, proto) in [
            ("DES", PrivProtocol::Des),
            ("3DES", PrivProtocol::TripleDes),
            ("3des-ede", PrivProtocol::TripleDes),
            ("AES", PrivProtocol::Aes128),
            ("AES-128", PrivProtocol::Aes128),
            ("aes128", PrivProtocol::Aes128),
            ("AES-192", PrivProtocol::Aes192),
            ("AES256", PrivProtocol::Aes256),
            ("AES-192-C", PrivProtocol::Aes192Cisco),
            ("aes-256-c", PrivProtocol::Aes256Cisco),
        ] {
            assert_eq!(name.parse::<PrivProtocol>().unwrap(), proto, "{name}");
        }
        for bad in [
            "",
            "AES-512",
            "DES3",
            "AES-C",
            "RC4",
            "SHA",
            "AES-",
            "A-E-S",
            "AES-256C-",
        ] {
            assert!(bad.parse::<PrivProtocol>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sizes_follow_the_rfcs() {
        let mac: Vec<usize> = AuthProtocol::ALL.iter().map(|p| p.mac_len()).collect();
        assert_eq!(mac, [12, 12, 16, 24, 32, 48]);
        let digest: Vec<usize> = AuthProtocol::ALL.iter().map(|p| p.digest_len()).collect();
        assert_eq!(digest, [16, 20, 28, 32, 48, 64]);
        let key: Vec<usize> = PrivProtocol::ALL.iter().map(|p| p.key_len()).collect();
        assert_eq!(key, [8, 24, 16, 24, 32, 24, 32]);
        let localized: Vec<usize> = PrivProtocol::ALL
            .iter()
            .map(|p| p.localized_key_len())
            .collect();
        assert_eq!(localized, [16, 32, 16, 24, 32, 24, 32]);
        let block: Vec<usize> = PrivProtocol::ALL.iter().map(|p| p.block_len()).collect();
        assert_eq!(block, [8, 8, 16, 16, 16, 16, 16]);
    }
}
