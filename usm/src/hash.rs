//! The hash functions and HMACs behind [`AuthProtocol`], and a zeroizing
//! buffer for key material.

use std::fmt;

use digest::generic_array::GenericArray;
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

/// The full (untruncated) `HMAC(key, parts[0] || parts[1] || …)`, with
/// the hmac crate (what [`HmacKey`] is checked against).
#[cfg(test)]
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

/// An HMAC key schedule (RFC 2104 §4): the hash function's chaining
/// state after the block `K XOR ipad`, and after `K XOR opad`. Computed
/// once per localized key, it saves two compressions per MAC. The states
/// are as secret as the key (they let anyone forge MACs), and are zeroized
/// on drop.
///
/// For SHA-1 and SHA-2 the states are our own arrays over the hash crates'
/// raw compression functions, so that they can be zeroized (the digest
/// crates' own core states cannot be). MD5's crate has no public
/// compression function: an MD5 key keeps only its bytes, and each MAC
/// computes the pads again.
#[derive(Clone)]
pub(crate) enum HmacKey {
    Md5(Secret),
    Sha1 {
        inner: [u32; 5],
        outer: [u32; 5],
    },
    Sha256 {
        inner: [u32; 8],
        outer: [u32; 8],
        len: usize,
    },
    Sha512 {
        inner: [u64; 8],
        outer: [u64; 8],
        len: usize,
    },
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        match self {
            HmacKey::Md5(_) => {}
            HmacKey::Sha1 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            HmacKey::Sha256 { inner, outer, .. } => {
                inner.zeroize();
                outer.zeroize();
            }
            HmacKey::Sha512 { inner, outer, .. } => {
                inner.zeroize();
                outer.zeroize();
            }
        }
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];
const SHA224_IV: [u32; 8] = [
    0xc105_9ed8,
    0x367c_d507,
    0x3070_dd17,
    0xf70e_5939,
    0xffc0_0b31,
    0x6858_1511,
    0x64f9_8fa7,
    0xbefa_4fa4,
];
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];
const SHA384_IV: [u64; 8] = [
    0xcbbb_9d5d_c105_9ed8,
    0x629a_292a_367c_d507,
    0x9159_015a_3070_dd17,
    0x152f_ecd8_f70e_5939,
    0x6733_2667_ffc0_0b31,
    0x8eb4_4a87_6858_1511,
    0xdb0c_2e0d_64f9_8fa7,
    0x47b5_481d_befa_4fa4,
];
const SHA512_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// Writes the words of a chaining state big-endian into `out`, as far as
/// it reaches: whole words in copies of a fixed size (a copy of a length
/// known only at run time is a call to memcpy, eight of them per digest),
/// then what `out` leaves of the next one.
macro_rules! output_words {
    ($state:expr, $out:expr) => {{
        let state = $state;
        let out: &mut [u8] = $out;
        let size = std::mem::size_of_val(&state[0]);
        let mut chunks = out.chunks_exact_mut(size);
        let mut words = state.iter();
        for (chunk, w) in (&mut chunks).zip(&mut words) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        let rest = chunks.into_remainder();
        if let Some(w) = words.next() {
            rest.copy_from_slice(&w.to_be_bytes()[..rest.len()]);
        }
    }};
}

/// A Merkle–Damgård chaining state: one of the hash functions above,
/// without the byte buffering (see [`Stream`]).
trait Chain: Copy + Zeroize {
    /// Bytes per block: 64, or 128 for SHA-384/512.
    const BLOCK: usize;
    fn compress(&mut self, block: &[u8]);
    /// Writes the state's words big-endian, as far as `out` reaches.
    fn output(&self, out: &mut [u8]);
}

impl Chain for [u32; 5] {
    const BLOCK: usize = 64;
    fn compress(&mut self, block: &[u8]) {
        sha1::compress(self, std::slice::from_ref(GenericArray::from_slice(block)));
    }
    fn output(&self, out: &mut [u8]) {
        output_words!(self, out);
    }
}

impl Chain for [u32; 8] {
    const BLOCK: usize = 64;
    fn compress(&mut self, block: &[u8]) {
        sha2::compress256(self, std::slice::from_ref(GenericArray::from_slice(block)));
    }
    fn output(&self, out: &mut [u8]) {
        output_words!(self, out);
    }
}

impl Chain for [u64; 8] {
    const BLOCK: usize = 128;
    fn compress(&mut self, block: &[u8]) {
        sha2::compress512(self, std::slice::from_ref(GenericArray::from_slice(block)));
    }
    fn output(&self, out: &mut [u8]) {
        output_words!(self, out);
    }
}

/// The longest block (SHA-384/512).
const MAX_BLOCK: usize = 128;

/// A hash in progress from a chaining state: buffers partial blocks and
/// pads at the end (FIPS 180-4 §5.1: 0x80, zeros, the length in bits in
/// the last 8 bytes of the block, or 16 for SHA-384/512). The state is
/// zeroized on drop, and so is the buffer when it held something secret
/// (the outer hash's input is the inner digest; the inner hash's is the
/// message, which travels in the clear).
struct Stream<C: Chain> {
    state: C,
    buf: [u8; MAX_BLOCK],
    buf_len: usize,
    /// How much of `buf` input has been copied into: what the drop
    /// zeroizes when the input is secret (past it lie only padding and
    /// the length).
    buf_used: usize,
    /// Bytes hashed so far, the first block included.
    total: u64,
    secret_input: bool,
}

impl<C: Chain> Stream<C> {
    /// Resumes after one block (the HMAC pad) that made `state`.
    fn after_one_block(state: C, secret_input: bool) -> Self {
        Stream {
            state,
            buf: [0; MAX_BLOCK],
            buf_len: 0,
            buf_used: 0,
            total: C::BLOCK as u64,
            secret_input,
        }
    }

    /// Takes the digest of `inner` (`len` bytes) as its input, written
    /// straight into this stream's buffer: the one copy of it there is,
    /// zeroized with the buffer. `inner` is spent (see [`Stream::finish`]).
    fn update_with_digest_of(&mut self, inner: &mut Stream<C>, len: usize) {
        debug_assert!(self.buf_len == 0 && len <= C::BLOCK);
        inner.finish(&mut self.buf[..len]);
        self.buf_len = len;
        self.buf_used = self.buf_used.max(len);
        self.total += len as u64;
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        if self.buf_len > 0 {
            let take = (C::BLOCK - self.buf_len).min(data.len());
            self.buf[self.buf_len..self.buf_len + take].copy_from_slice(&data[..take]);
            self.buf_len += take;
            self.buf_used = self.buf_used.max(self.buf_len);
            data = &data[take..];
            if self.buf_len < C::BLOCK {
                return;
            }
            self.state.compress(&self.buf[..C::BLOCK]);
            self.buf_len = 0;
        }
        let mut blocks = data.chunks_exact(C::BLOCK);
        for block in &mut blocks {
            self.state.compress(block);
        }
        let rest = blocks.remainder();
        self.buf[..rest.len()].copy_from_slice(rest);
        self.buf_len = rest.len();
        self.buf_used = self.buf_used.max(self.buf_len);
    }

    /// Pads, and writes the digest (truncated to `out.len()`). The stream
    /// is spent: only its drop may follow. By reference, not by value: a
    /// stream is about 180 bytes, and a move of it is a `memcpy`.
    fn finish(&mut self, out: &mut [u8]) {
        let len_field = C::BLOCK / 8;
        let bits = self.total.wrapping_mul(8);
        let mut n = self.buf_len;
        self.buf[n] = 0x80;
        n += 1;
        if n > C::BLOCK - len_field {
            self.buf[n..C::BLOCK].fill(0);
            self.state.compress(&self.buf[..C::BLOCK]);
            n = 0;
        }
        self.buf[n..C::BLOCK - 8].fill(0);
        self.buf[C::BLOCK - 8..C::BLOCK].copy_from_slice(&bits.to_be_bytes());
        self.state.compress(&self.buf[..C::BLOCK]);
        self.state.output(out);
    }
}

impl<C: Chain> Drop for Stream<C> {
    fn drop(&mut self) {
        self.state.zeroize();
        if self.secret_input {
            self.buf[..self.buf_used].zeroize();
        }
    }
}

/// The chaining states after `key XOR ipad` and `key XOR opad` (RFC 2104
/// §2; keys longer than a block are first hashed, but localized keys
/// never are: each is one digest long).
fn pads<C: Chain>(iv: C, key: &[u8]) -> (C, C) {
    let mut block = [0u8; MAX_BLOCK];
    block[..key.len()].copy_from_slice(key);
    let (mut inner, mut outer) = (iv, iv);
    let mut pad = block;
    for b in &mut pad[..C::BLOCK] {
        *b ^= 0x36;
    }
    inner.compress(&pad[..C::BLOCK]);
    pad = block;
    for b in &mut pad[..C::BLOCK] {
        *b ^= 0x5c;
    }
    outer.compress(&pad[..C::BLOCK]);
    pad.zeroize();
    block.zeroize();
    (inner, outer)
}

/// HMAC from precomputed pad states: `H(outer || H(inner || parts))`.
fn hmac_from<C: Chain>(inner: C, outer: C, len: usize, parts: &[&[u8]]) -> MacOut {
    let mut inner = Stream::after_one_block(inner, false);
    for part in parts {
        inner.update(part);
    }
    let mut stream = Stream::after_one_block(outer, true);
    stream.update_with_digest_of(&mut inner, len);
    let mut out = MacOut {
        buf: [0; SECRET_CAP],
        len,
    };
    stream.finish(&mut out.buf[..len]);
    out
}

/// An HMAC's output: public (it travels in the message), so not zeroized.
pub(crate) struct MacOut {
    buf: [u8; SECRET_CAP],
    len: usize,
}

impl MacOut {
    pub(crate) fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl HmacKey {
    /// The key schedule of `key` (a localized key: at most a block long).
    pub(crate) fn new(proto: AuthProtocol, key: &[u8]) -> Self {
        if key.len() > 64 {
            // Never for localized keys (checked lengths); hash it first as
            // RFC 2104 says, through the generic path.
            return HmacKey::new(proto, hash(proto, &[key]).as_slice());
        }
        match proto {
            AuthProtocol::Md5 => HmacKey::Md5(Secret::from_slice(key)),
            AuthProtocol::Sha1 => {
                let (inner, outer) = pads(SHA1_IV, key);
                HmacKey::Sha1 { inner, outer }
            }
            AuthProtocol::Sha224 | AuthProtocol::Sha256 => {
                let iv = if proto == AuthProtocol::Sha224 {
                    SHA224_IV
                } else {
                    SHA256_IV
                };
                let (inner, outer) = pads(iv, key);
                HmacKey::Sha256 {
                    inner,
                    outer,
                    len: proto.digest_len(),
                }
            }
            AuthProtocol::Sha384 | AuthProtocol::Sha512 => {
                let iv = if proto == AuthProtocol::Sha384 {
                    SHA384_IV
                } else {
                    SHA512_IV
                };
                let (inner, outer) = pads(iv, key);
                HmacKey::Sha512 {
                    inner,
                    outer,
                    len: proto.digest_len(),
                }
            }
        }
    }

    /// The full (untruncated) `HMAC(key, parts[0] || parts[1] || …)`.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> MacOut {
        match self {
            HmacKey::Md5(key) => {
                let mac = hmac_with::<Hmac<Md5>>(key.as_slice(), parts);
                let mut out = MacOut {
                    buf: [0; SECRET_CAP],
                    len: mac.len(),
                };
                out.buf[..mac.len()].copy_from_slice(mac.as_slice());
                out
            }
            HmacKey::Sha1 { inner, outer } => hmac_from(*inner, *outer, 20, parts),
            HmacKey::Sha256 { inner, outer, len } => hmac_from(*inner, *outer, *len, parts),
            HmacKey::Sha512 { inner, outer, len } => hmac_from(*inner, *outer, *len, parts),
        }
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
            let cached = HmacKey::new(proto, b"Jefe").mac(&[&data[..3], &data[3..]]);
            assert_eq!(cached.as_slice(), got.as_slice(), "{proto} key schedule");
        }
    }

    #[test]
    fn the_key_schedule_matches_the_hmac_crate_at_every_length() {
        // Every message length across one and two block boundaries (the
        // padding's edge cases: 55/56 and 111/112 bytes), split into
        // parts at odd places, and keys of every localized length.
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for proto in AuthProtocol::ALL {
            let key: Vec<u8> = (0..proto.digest_len() as u8).map(|b| b ^ 0xa5).collect();
            let schedule = HmacKey::new(proto, &key);
            for len in 0..=data.len() {
                let msg = &data[..len];
                let want = hmac(proto, &key, &[msg]);
                let cut = len / 3;
                let got = schedule.mac(&[&msg[..cut], &[], &msg[cut..]]);
                assert_eq!(got.as_slice(), want.as_slice(), "{proto} {len}");
            }
        }
        assert_eq!(
            format!("{:?}", HmacKey::new(AuthProtocol::Sha1, b"k")),
            "[redacted]"
        );
    }
}
