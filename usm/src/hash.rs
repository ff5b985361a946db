//! The hash functions and HMACs behind [`AuthProtocol`], and a zeroizing
//! buffer for key material.

use std::fmt;

use digest::{Digest, KeyInit, Mac};
use hmac::Hmac;
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use zeroize::Zeroize;

use crate::AuthProtocol;

/// Capacity of a [`Secret`]: the longest digest (SHA-512).
const SECRET_CAP: usize = 64;

/// Up to 64 bytes of key material, zeroized on drop, never printed.
#[derive(Clone)]
pub(crate) struct Secret {
    buf: [u8; SECRET_CAP],
    len: usize,
}

impl Secret {
    pub(crate) const fn empty() -> Self {
        Secret {
            buf: [0; SECRET_CAP],
            len: 0,
        }
    }

    /// Copies `bytes`; callers pass at most 64 (checked by their length
    /// validation), anything beyond is dropped.
    pub(crate) fn from_slice(bytes: &[u8]) -> Self {
        let mut secret = Secret::empty();
        secret.extend_from_slice(bytes);
        secret
    }

    /// Appends as much of `bytes` as fits.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(SECRET_CAP - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len {
            self.buf[len..self.len].zeroize();
            self.len = len;
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `H(parts[0] || parts[1] || …)` with the protocol's hash function.
pub(crate) fn hash(proto: AuthProtocol, parts: &[&[u8]]) -> Secret {
    match proto {
        AuthProtocol::Md5 => hash_with::<Md5>(parts),
        AuthProtocol::Sha1 => hash_with::<Sha1>(parts),
        AuthProtocol::Sha224 => hash_with::<Sha224>(parts),
        AuthProtocol::Sha256 => hash_with::<Sha256>(parts),
        AuthProtocol::Sha384 => hash_with::<Sha384>(parts),
        AuthProtocol::Sha512 => hash_with::<Sha512>(parts),
    }
}

/// The full (untruncated) `HMAC(key, parts[0] || parts[1] || …)`.
pub(crate) fn hmac(proto: AuthProtocol, key: &[u8], parts: &[&[u8]]) -> Secret {
    match proto {
        AuthProtocol::Md5 => hmac_with::<Hmac<Md5>>(key, parts),
        AuthProtocol::Sha1 => hmac_with::<Hmac<Sha1>>(key, parts),
        AuthProtocol::Sha224 => hmac_with::<Hmac<Sha224>>(key, parts),
        AuthProtocol::Sha256 => hmac_with::<Hmac<Sha256>>(key, parts),
        AuthProtocol::Sha384 => hmac_with::<Hmac<Sha384>>(key, parts),
        AuthProtocol::Sha512 => hmac_with::<Hmac<Sha512>>(key, parts),
    }
}

/// RFC 3414 A.2's password-to-key: the hash of the first 1,048,576 bytes
/// of the endlessly repeated password (RFC 7860 §4 applies it unchanged to
/// SHA-2). `password` must not be empty.
pub(crate) fn password_to_key(proto: AuthProtocol, password: &[u8]) -> Secret {
    match proto {
        AuthProtocol::Md5 => password_to_key_with::<Md5>(password),
        AuthProtocol::Sha1 => password_to_key_with::<Sha1>(password),
        AuthProtocol::Sha224 => password_to_key_with::<Sha224>(password),
        AuthProtocol::Sha256 => password_to_key_with::<Sha256>(password),
        AuthProtocol::Sha384 => password_to_key_with::<Sha384>(password),
        AuthProtocol::Sha512 => password_to_key_with::<Sha512>(password),
    }
}

fn hash_with<D: Digest>(parts: &[&[u8]]) -> Secret {
    let mut hasher = D::new();
    for part in parts {
        hasher.update(part);
    }
    let mut out = hasher.finalize();
    let secret = Secret::from_slice(&out);
    out.as_mut_slice().zeroize();
    secret
}

fn hmac_with<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Secret {
    let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    let mut out = mac.finalize().into_bytes();
    let secret = Secret::from_slice(&out);
    out.as_mut_slice().zeroize();
    secret
}

fn password_to_key_with<D: Digest>(password: &[u8]) -> Secret {
    /// RFC 3414 A.2.1: hash 1 megabyte of repeated password…
    const TOTAL: usize = 1_048_576;
    /// … 64 bytes at a time.
    const CHUNK: usize = 64;

    if password.is_empty() {
        return Secret::empty();
    }
    // The password repeated to at least len + 64 bytes, so that every
    // 64-byte window starting inside the first copy is contiguous.
    let mut ring: Vec<u8> = password
        .iter()
        .copied()
        .cycle()
        .take(password.len() + CHUNK)
        .collect();
    let mut hasher = D::new();
    let mut start = 0;
    for _ in 0..TOTAL / CHUNK {
        hasher.update(&ring[start..start + CHUNK]);
        start = (start + CHUNK) % password.len();
    }
    ring.zeroize();
    let mut out = hasher.finalize();
    let secret = Secret::from_slice(&out);
    out.as_mut_slice().zeroize();
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(
            format!("{:?}", Secret::from_slice(b"hunter22")),
            "[redacted]"
        );
    }

    #[test]
    fn secret_extend_and_truncate() {
        let mut s = Secret::from_slice(&[1, 2, 3]);
        s.extend_from_slice(&[4, 5]);
        assert_eq!(s.as_slice(), [1, 2, 3, 4, 5]);
        s.truncate(2);
        assert_eq!(s.as_slice(), [1, 2]);
        s.extend_from_slice(&[9; 100]);
        assert_eq!(s.len(), SECRET_CAP);
    }

    #[test]
    fn password_to_key_hashes_a_megabyte_of_the_repeated_password() {
        // Straight from the definition, with a password whose length does
        // not divide 64 (so every chunk starts at another offset).
        let password = b"abcdefghijk";
        let mega: Vec<u8> = password.iter().copied().cycle().take(1_048_576).collect();
        for proto in AuthProtocol::ALL {
            assert_eq!(
                password_to_key(proto, password).as_slice(),
                hash(proto, &[&mega]).as_slice(),
                "{proto}"
            );
        }
    }

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        // RFC 4231 §4.3 (key "Jefe") for the SHA-2 family; RFC 2202 for
        // MD5 and SHA-1.
        let data: &[u8] = b"what do ya want for nothing?";
        let cases = [
            (AuthProtocol::Md5, "750c783e6ab0b503eaa86e310a5db738"),
            (
                AuthProtocol::Sha1,
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                AuthProtocol::Sha224,
                "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
            ),
            (
                AuthProtocol::Sha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                AuthProtocol::Sha384,
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                 8e2240ca5e69e2c78b3239ecfab21649",
            ),
            (
                AuthProtocol::Sha512,
                "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                 9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            ),
        ];
        for (proto, want) in cases {
            let got = hmac(proto, b"Jefe", &[&data[..10], &data[10..]]);
            let hex: String = got.as_slice().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, want, "{proto}");
        }
    }
}
