//! Privacy: encryption and decryption of the scopedPDU.

use std::sync::atomic::{AtomicU64, Ordering};

use aes::{Aes128Enc, Aes192Enc, Aes256Enc};
use cipher::block_padding::NoPadding;
use cipher::consts::U16;
use cipher::generic_array::GenericArray;
use cipher::{BlockCipher, BlockDecryptMut, BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use des::{Des, TdesEde3};
use zeroize::Zeroize;

use crate::{Error, PrivKey, PrivProtocol};

/// Length in bytes of msgPrivacyParameters for every privacy protocol: the
/// 8-byte salt.
pub const PRIV_PARAMS_LEN: usize = 8;

impl PrivKey {
    /// Encrypts a serialized scopedPDU; returns the ciphertext (the
    /// encryptedPDU OCTET STRING's contents) and msgPrivacyParameters.
    ///
    /// `boots` and `time` are the authoritative engine's snmpEngineBoots and
    /// snmpEngineTime as sent in the message; `salt` must differ for every
    /// message encrypted with this key (take it from a [`SaltCounter`]).
    ///
    /// - DES and 3DES (CBC, [RFC 3414 §8.1.1.1], draft-reeder-snmpv3-usm-3desede
    ///   §5.1.1.1): msgPrivacyParameters is `boots` (4 bytes, big-endian)
    ///   followed by the low 32 bits of `salt`; the IV is the pre-IV (last 8
    ///   bytes of the key) XOR msgPrivacyParameters; `time` is not used. The
    ///   plaintext is padded to a multiple of 8 bytes as net-snmp does: with
    ///   `n` bytes of value `n`, and not at all if it is already a multiple
    ///   of 8. The receiver finds the end from the scopedPDU's BER length.
    /// - AES (CFB-128, [RFC 3826 §3.1.2.1]): msgPrivacyParameters is `salt`
    ///   (8 bytes, big-endian); the IV is `boots || time || salt`; the
    ///   ciphertext is exactly as long as the plaintext.
    ///
    /// [RFC 3414 §8.1.1.1]: https://www.rfc-editor.org/rfc/rfc3414#section-8.1.1.1
    /// [RFC 3826 §3.1.2.1]: https://www.rfc-editor.org/rfc/rfc3826#section-3.1.2.1
    ///
    /// # Examples
    ///
    /// ```
    /// use snmux_usm::{AuthProtocol, PrivKey, PrivProtocol, SaltCounter};
    ///
    /// let key = PrivKey::from_password(AuthProtocol::Sha1, PrivProtocol::Des, "priv passphrase", b"\x80\0\0\0\x01")?;
    /// let salts = SaltCounter::starting_at(7);
    /// let (ciphertext, params) = key.encrypt(12, 3456, salts.next(), b"\x30\x03\x04\x01\x00");
    /// assert_eq!(params, [0, 0, 0, 12, 0, 0, 0, 7]);
    /// assert_eq!(ciphertext.len(), 8);
    /// # Ok::<(), snmux_usm::Error>(())
    /// ```
    #[must_use = "the ciphertext and msgPrivacyParameters go into the message"]
    pub fn encrypt(
        &self,
        boots: u32,
        time: u32,
        salt: u64,
        plaintext: &[u8],
    ) -> (Vec<u8>, [u8; PRIV_PARAMS_LEN]) {
        let mut buf = vec![0; self.proto.ciphertext_len(plaintext.len())];
        buf[..plaintext.len()].copy_from_slice(plaintext);
        let params = self
            .encrypt_in_place(boots, time, salt, &mut buf, plaintext.len())
            .expect("buffer sized by ciphertext_len");
        (buf, params)
    }

    /// Like [`encrypt`](PrivKey::encrypt), in place: `buf` holds the
    /// `plaintext_len`-byte scopedPDU followed by room for the padding, and
    /// is exactly
    /// [`ciphertext_len(plaintext_len)`](PrivProtocol::ciphertext_len)
    /// long; the padding is written here. Returns msgPrivacyParameters.
    /// What an encoder uses to encrypt the scopedPDU where it lies in the
    /// message, without copying it.
    ///
    /// # Errors
    ///
    /// [`Error::WrongBufferLength`] if `buf` has another length; `buf` is
    /// then left unchanged.
    pub fn encrypt_in_place(
        &self,
        boots: u32,
        time: u32,
        salt: u64,
        buf: &mut [u8],
        plaintext_len: usize,
    ) -> Result<[u8; PRIV_PARAMS_LEN], Error> {
        let expected = self.proto.ciphertext_len(plaintext_len);
        if buf.len() != expected {
            return Err(Error::WrongBufferLength {
                expected,
                actual: buf.len(),
            });
        }
        match self.proto {
            PrivProtocol::Des | PrivProtocol::TripleDes => {
                let mut params = [0; PRIV_PARAMS_LEN];
                params[..4].copy_from_slice(&boots.to_be_bytes());
                params[4..].copy_from_slice(&(salt as u32).to_be_bytes());
                // net-snmp's padding (`sc_encrypt` in snmplib/scapi.c): `n`
                // bytes of value `n`, none when already aligned.
                let pad = buf.len() - plaintext_len;
                buf[plaintext_len..].fill(pad as u8);
                let (cipher_key, pre_iv) = self.key.as_slice().split_at(self.proto.key_len());
                let mut iv = xor8(pre_iv, &params);
                if self.proto == PrivProtocol::Des {
                    cbc_encrypt::<Des>(cipher_key, &iv, buf);
                } else {
                    cbc_encrypt::<TdesEde3>(cipher_key, &iv, buf);
                }
                iv.zeroize();
                Ok(params)
            }
            _ => {
                let params = salt.to_be_bytes();
                self.aes_cfb(boots, time, &params, buf, Direction::Encrypt);
                Ok(params)
            }
        }
    }

    /// Decrypts an encryptedPDU, given the message's
    /// msgAuthoritativeEngineBoots, msgAuthoritativeEngineTime and
    /// msgPrivacyParameters (see [`encrypt`](PrivKey::encrypt) for how they
    /// make the IV).
    ///
    /// For DES and 3DES the result still carries the sender's padding,
    /// whatever it is: the scopedPDU's BER length says where it ends. A
    /// wrong key does not fail here (there is no integrity check in the
    /// cipher); it gives garbage that fails to decode.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPrivacyParameters`] unless `priv_params` is 8 bytes
    /// long; [`Error::DecryptionError`] for DES and 3DES if the ciphertext
    /// is not a multiple of 8 bytes.
    pub fn decrypt(
        &self,
        boots: u32,
        time: u32,
        priv_params: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let mut buf = ciphertext.to_vec();
        self.decrypt_in_place(boots, time, priv_params, &mut buf)?;
        Ok(buf)
    }

    /// Like [`decrypt`](PrivKey::decrypt), replacing the ciphertext in
    /// `buf` with the plaintext (of the same length).
    ///
    /// # Errors
    ///
    /// As [`decrypt`](PrivKey::decrypt); `buf` is then left unchanged.
    pub fn decrypt_in_place(
        &self,
        boots: u32,
        time: u32,
        priv_params: &[u8],
        buf: &mut [u8],
    ) -> Result<(), Error> {
        let params: &[u8; PRIV_PARAMS_LEN] =
            priv_params
                .try_into()
                .map_err(|_| Error::InvalidPrivacyParameters {
                    len: priv_params.len(),
                })?;
        match self.proto {
            PrivProtocol::Des | PrivProtocol::TripleDes => {
                let block = self.proto.block_len();
                if buf.len() % block != 0 {
                    return Err(Error::DecryptionError {
                        len: buf.len(),
                        block,
                    });
                }
                let (cipher_key, pre_iv) = self.key.as_slice().split_at(self.proto.key_len());
                let mut iv = xor8(pre_iv, params);
                if self.proto == PrivProtocol::Des {
                    cbc_decrypt::<Des>(cipher_key, &iv, buf);
                } else {
                    cbc_decrypt::<TdesEde3>(cipher_key, &iv, buf);
                }
                iv.zeroize();
            }
            _ => self.aes_cfb(boots, time, params, buf, Direction::Decrypt),
        }
        Ok(())
    }

    /// RFC 3826 §3.1.2.1 / §3.1.3.1: AES in CFB-128 mode with the IV
    /// `boots || time || salt`.
    fn aes_cfb(
        &self,
        boots: u32,
        time: u32,
        salt: &[u8; PRIV_PARAMS_LEN],
        buf: &mut [u8],
        direction: Direction,
    ) {
        let mut iv = [0; 16];
        iv[..4].copy_from_slice(&boots.to_be_bytes());
        iv[4..8].copy_from_slice(&time.to_be_bytes());
        iv[8..].copy_from_slice(salt);
        match &self.aes {
            Some(AesKey::Aes128(c)) => cfb(c, &iv, buf, direction),
            Some(AesKey::Aes192(c)) => cfb(c, &iv, buf, direction),
            Some(AesKey::Aes256(c)) => cfb(c, &iv, buf, direction),
            // Every AES key has its schedule (PrivKey::new).
            None => {}
        }
        iv.zeroize();
    }
}

/// A source of salts: a 64-bit counter that starts at a random value and
/// increments for every message (RFC 3826 §3.1.2.1; RFC 3414 §8.1.1.1 uses
/// its low 32 bits). Shared by reference between threads.
///
/// # Examples
///
/// ```
/// use snmux_usm::SaltCounter;
///
/// let salts = SaltCounter::new();
/// let a = salts.next();
/// assert_eq!(salts.next(), a.wrapping_add(1));
/// ```
#[derive(Debug)]
pub struct SaltCounter(AtomicU64);

impl SaltCounter {
    /// A counter starting at a random value (from the operating system's
    /// random source, through `rand`).
    pub fn new() -> Self {
        SaltCounter::starting_at(rand::random())
    }

    /// A counter whose first salt is `first` (for tests and reproducible
    /// output).
    pub fn starting_at(first: u64) -> Self {
        SaltCounter(AtomicU64::new(first))
    }

    /// The next salt; wraps around after 2^64 messages.
    pub fn next(&self) -> u64 {
        self.0.fetch_add(1, Ordering::Relaxed)
    }
}

impl Default for SaltCounter {
    fn default() -> Self {
        SaltCounter::new()
    }
}

#[derive(Clone, Copy)]
enum Direction {
    Encrypt,
    Decrypt,
}

fn xor8(pre_iv: &[u8], params: &[u8; PRIV_PARAMS_LEN]) -> [u8; 8] {
    let mut iv = [0; 8];
    for ((out, a), b) in iv.iter_mut().zip(pre_iv).zip(params) {
        *out = a ^ b;
    }
    iv
}

// The key and IV lengths below are fixed by `PrivProtocol` and checked
// when a `PrivKey` is made; the buffer lengths by the callers above.

fn cbc_encrypt<C>(key: &[u8], iv: &[u8; 8], buf: &mut [u8])
where
    C: BlockCipher + BlockEncryptMut + KeyInit,
{
    let len = buf.len();
    cbc::Encryptor::<C>::new_from_slices(key, iv)
        .expect("key and IV lengths fixed by the protocol")
        .encrypt_padded_mut::<NoPadding>(buf, len)
        .expect("buffer padded to whole blocks");
}

fn cbc_decrypt<C>(key: &[u8], iv: &[u8; 8], buf: &mut [u8])
where
    C: BlockCipher + BlockDecryptMut + KeyInit,
{
    cbc::Decryptor::<C>::new_from_slices(key, iv)
        .expect("key and IV lengths fixed by the protocol")
        .decrypt_padded_mut::<NoPadding>(buf)
        .expect("length checked to be whole blocks");
}

/// CFB-128 (NIST SP 800-38A §6.3) with the forward cipher, by reference:
/// the key schedule is not copied. Each keystream block is the encryption
/// of the ciphertext block before it (the IV for the first); a last partial
/// block uses a prefix of its keystream block. Decryption knows every
/// ciphertext block at once, so its keystream is computed in one call per
/// [`CFB_BATCH`] blocks (AES-NI pipelines them).
///
/// The keystream is not zeroized: it is the XOR of the ciphertext and the
/// plaintext, which the caller holds anyway.
fn cfb<C>(cipher: &C, iv: &[u8; 16], buf: &mut [u8], direction: Direction)
where
    C: BlockCipher + BlockEncrypt<BlockSize = U16>,
{
    match direction {
        Direction::Encrypt => {
            let mut feedback = GenericArray::clone_from_slice(iv);
            for chunk in buf.chunks_mut(16) {
                cipher.encrypt_block(&mut feedback);
                xor_block(chunk, &feedback);
                feedback[..chunk.len()].copy_from_slice(chunk);
            }
        }
        Direction::Decrypt => {
            let mut prev = *iv;
            for part in buf.chunks_mut(16 * CFB_BATCH) {
                let mut stream = [GenericArray::<u8, U16>::default(); CFB_BATCH];
                let blocks = part.len().div_ceil(16);
                stream[0].copy_from_slice(&prev);
                for (i, block) in part.chunks(16).take(blocks - 1).enumerate() {
                    stream[i + 1].copy_from_slice(block);
                }
                if part.len() % 16 == 0 {
                    prev.copy_from_slice(&part[part.len() - 16..]);
                }
                cipher.encrypt_blocks(&mut stream[..blocks]);
                for (chunk, k) in part.chunks_mut(16).zip(stream.iter()) {
                    xor_block(chunk, k);
                }
            }
        }
    }
}

/// `chunk ^= keystream` for a chunk of at most one block: a whole block
/// as one 128-bit word, the last partial one byte by byte.
fn xor_block(chunk: &mut [u8], keystream: &GenericArray<u8, U16>) {
    let keystream: &[u8; 16] = keystream.as_ref();
    match <&mut [u8; 16]>::try_from(&mut *chunk) {
        Ok(block) => {
            let x = u128::from_ne_bytes(*block) ^ u128::from_ne_bytes(*keystream);
            *block = x.to_ne_bytes();
        }
        Err(_) => {
            for (b, k) in chunk.iter_mut().zip(keystream) {
                *b ^= k;
            }
        }
    }
}

/// Blocks of keystream per call in CFB decryption: a 256-byte scoped PDU.
const CFB_BATCH: usize = 16;

/// The AES key schedule of a privacy key (encryption only: CFB decrypts
/// with the forward cipher too), computed once. The `aes` crate zeroizes
/// the round keys on drop (its `zeroize` feature).
#[derive(Clone)]
pub(crate) enum AesKey {
    Aes128(Aes128Enc),
    Aes192(Aes192Enc),
    Aes256(Aes256Enc),
}

impl AesKey {
    /// The schedule for `proto`'s cipher key at the start of `key`; `None`
    /// for DES and 3DES.
    pub(crate) fn new(proto: PrivProtocol, key: &[u8]) -> Option<AesKey> {
        let key = key.get(..proto.key_len())?;
        let schedule = match proto {
            PrivProtocol::Des | PrivProtocol::TripleDes => return None,
            PrivProtocol::Aes128 => AesKey::Aes128(Aes128Enc::new_from_slice(key).ok()?),
            PrivProtocol::Aes192 | PrivProtocol::Aes192Cisco => {
                AesKey::Aes192(Aes192Enc::new_from_slice(key).ok()?)
            }
            PrivProtocol::Aes256 | PrivProtocol::Aes256Cisco => {
                AesKey::Aes256(Aes256Enc::new_from_slice(key).ok()?)
            }
        };
        Some(schedule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn key(proto: PrivProtocol) -> PrivKey {
        let bytes: Vec<u8> = (0..proto.localized_key_len() as u8)
            .map(|b| b.wrapping_mul(37) ^ 0x5c)
            .collect();
        PrivKey::from_localized(proto, &bytes).unwrap()
    }

    #[test]
    fn des_and_3des_are_cbc_with_iv_pre_iv_xor_salt() {
        // Known answers from `openssl enc -des-cbc` / `-des-ede3-cbc -nopad`
        // with IV 0001020304050607: boots 0 and salt 0 leave the pre-IV as
        // the IV.
        let des =
            PrivKey::from_localized(PrivProtocol::Des, &hex("0123456789abcdef0001020304050607"))
                .unwrap();
        let (ct, params) = des.encrypt(0, 99, 0, &hex("0011223344556677"));
        assert_eq!(params, [0; 8]);
        assert_eq!(ct, hex("66674722c6b590b2"));

        let tdes = PrivKey::from_localized(
            PrivProtocol::TripleDes,
            &hex("0123456789abcdeffedcba987654321089abcdef012345670001020304050607"),
        )
        .unwrap();
        let (ct, _) = tdes.encrypt(0, 0, 0, &hex("00112233445566778899aabbccddeeff"));
        assert_eq!(ct, hex("48b3b0072ceb1e1119ea83b73cc80b4f"));

        // The same IV from another pre-IV and salt: pre-IV ^ (boots || salt).
        let des =
            PrivKey::from_localized(PrivProtocol::Des, &hex("0123456789abcdef0001020304050607"))
                .unwrap();
        let (ct, params) = des.encrypt(0x0001_0203, 0, 0x0405_0607, &hex("0011223344556677"));
        assert_eq!(params, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_ne!(ct, hex("66674722c6b590b2"));
        let des =
            PrivKey::from_localized(PrivProtocol::Des, &hex("0123456789abcdef0000000000000000"))
                .unwrap();
        let (ct, _) = des.encrypt(0x0001_0203, 0, 0x0405_0607, &hex("0011223344556677"));
        assert_eq!(ct, hex("66674722c6b590b2"));
    }

    #[test]
    fn aes_is_cfb128_with_iv_boots_time_salt() {
        // NIST SP 800-38A F.3.13, F.3.15, F.3.17 (CFB128-AES encrypt, IV
        // 000102…0f), extended to a partial second block with `openssl enc
        // -aes-NNN-cfb`.
        let plaintext = hex("6bc1bee22e409f96e93d7e117393172aae2d8a");
        let cases = [
            (
                PrivProtocol::Aes128,
                "2b7e151628aed2a6abf7158809cf4f3c",
                "3b3fd92eb72dad20333449f8e83cfb4ac8a645",
            ),
            (
                PrivProtocol::Aes192,
                "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
                "cdc80d6fddf18cab34c25909c99a417467ce7f",
            ),
            (
                PrivProtocol::Aes256Cisco,
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "dc7e84bfda79164b7ecd8486985d386039ffed",
            ),
        ];
        for (proto, key, want) in cases {
            let key = PrivKey::from_localized(proto, &hex(key)).unwrap();
            let (ct, params) =
                key.encrypt(0x0001_0203, 0x0405_0607, 0x0809_0a0b_0c0d_0e0f, &plaintext);
            assert_eq!(params, [8, 9, 10, 11, 12, 13, 14, 15], "{proto}");
            assert_eq!(ct, hex(want), "{proto}");
            assert_eq!(
                key.decrypt(0x0001_0203, 0x0405_0607, &params, &ct).unwrap(),
                plaintext
            );
        }
    }

    /// The hand-written CFB-128 against RustCrypto's `cfb-mode`, across
    /// partial blocks and the decryption's batches of [`CFB_BATCH`] blocks.
    #[test]
    fn cfb_matches_the_cfb_mode_crate() {
        use cipher::{AsyncStreamCipher, KeyIvInit};
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        let iv: [u8; 16] = std::array::from_fn(|i| i as u8 * 7);
        let cipher = Aes128Enc::new_from_slice(&key).unwrap();
        for len in (0..=40).chain([255, 256, 257, 512, 1_100]) {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut want = plain.clone();
            cfb_mode::Encryptor::<Aes128Enc>::new_from_slices(&key, &iv)
                .unwrap()
                .encrypt(&mut want);
            let mut got = plain.clone();
            cfb(&cipher, &iv, &mut got, Direction::Encrypt);
            assert_eq!(got, want, "encrypt {len}");
            cfb(&cipher, &iv, &mut got, Direction::Decrypt);
            assert_eq!(got, plain, "decrypt {len}");
        }
    }

    #[test]
    fn every_protocol_round_trips_every_length() {
        for proto in PrivProtocol::ALL {
            let key = key(proto);
            for len in 0..=70usize {
                let plaintext: Vec<u8> = (0..len as u8).collect();
                let (ct, params) = key.encrypt(5, 1234, 0xfeed_0000 + len as u64, &plaintext);
                let padded = match proto {
                    PrivProtocol::Des | PrivProtocol::TripleDes => len.div_ceil(8) * 8,
                    _ => len,
                };
                assert_eq!(ct.len(), padded, "{proto} {len}");
                if len >= 8 {
                    assert_ne!(&ct[..8], &plaintext[..8], "{proto} {len}");
                }
                let back = key.decrypt(5, 1234, &params, &ct).unwrap();
                assert_eq!(&back[..len], &plaintext[..], "{proto} {len}");
                // net-snmp's padding: n bytes of value n.
                let pad = padded - len;
                assert!(
                    back[len..].iter().all(|&b| usize::from(b) == pad),
                    "{proto} {len}"
                );
            }
        }
    }

    #[test]
    fn the_iv_depends_on_what_the_protocol_says() {
        let plaintext = [0x30, 0x0e, 4, 0, 4, 0, 0xa0, 8, 2, 1, 1, 2, 1, 0, 2, 1, 0];
        for proto in PrivProtocol::ALL {
            let key = key(proto);
            let (base, _) = key.encrypt(1, 100, 42, &plaintext);
            let (salt, _) = key.encrypt(1, 100, 43, &plaintext);
            let (boots, _) = key.encrypt(2, 100, 42, &plaintext);
            let (time, _) = key.encrypt(1, 101, 42, &plaintext);
            assert_ne!(base, salt, "{proto}");
            assert_ne!(base, boots, "{proto}");
            let is_cbc = matches!(proto, PrivProtocol::Des | PrivProtocol::TripleDes);
            // CBC salts are boots || salt; engineTime is not used.
            assert_eq!(base == time, is_cbc, "{proto}");
            // Decrypting with another boots or time garbles AES only when
            // they change the IV; for CBC the IV travels in the parameters.
            let (ct, params) = key.encrypt(1, 100, 42, &plaintext);
            let other = key.decrypt(9, 999, &params, &ct).unwrap();
            assert_eq!(other[..plaintext.len()] == plaintext, is_cbc, "{proto}");
        }
    }

    #[test]
    fn bad_parameters_and_lengths_are_errors() {
        for proto in PrivProtocol::ALL {
            let key = key(proto);
            for len in [0, 7, 9, 16] {
                assert_eq!(
                    key.decrypt(0, 0, &vec![0; len], &[0; 16]),
                    Err(Error::InvalidPrivacyParameters { len }),
                    "{proto}"
                );
            }
            let mut buf = vec![0xaa; 13];
            let res = key.decrypt_in_place(0, 0, &[0; 8], &mut buf);
            if matches!(proto, PrivProtocol::Des | PrivProtocol::TripleDes) {
                assert_eq!(res, Err(Error::DecryptionError { len: 13, block: 8 }));
                assert_eq!(buf, vec![0xaa; 13], "left unchanged");
            } else {
                assert_eq!(res, Ok(()), "CFB takes any length");
                assert_ne!(buf, vec![0xaa; 13]);
            }
            assert_eq!(key.decrypt(0, 0, &[0; 8], &[]), Ok(Vec::new()));
        }
    }

    #[test]
    fn encrypting_in_place_is_encrypting_and_checks_the_length() {
        for proto in PrivProtocol::ALL {
            let key = key(proto);
            for len in [0, 1, 7, 8, 9, 16, 33] {
                let plaintext: Vec<u8> = (0..len as u8).map(|b| b ^ 0x3c).collect();
                let (want, want_params) = key.encrypt(3, 77, 0x1234_5678_9abc, &plaintext);
                let mut buf = vec![0xee; proto.ciphertext_len(len)];
                buf[..len].copy_from_slice(&plaintext);
                let params = key
                    .encrypt_in_place(3, 77, 0x1234_5678_9abc, &mut buf, len)
                    .unwrap();
                assert_eq!((buf, params), (want, want_params), "{proto} {len}");
            }
            let mut short = vec![0xaa; 3];
            let want = proto.ciphertext_len(9);
            assert_eq!(
                key.encrypt_in_place(0, 0, 0, &mut short, 9),
                Err(Error::WrongBufferLength {
                    expected: want,
                    actual: 3
                })
            );
            assert_eq!(short, vec![0xaa; 3], "left unchanged");
        }
    }

    #[test]
    fn salt_counter_increments_and_wraps() {
        let salts = SaltCounter::starting_at(u64::MAX - 1);
        assert_eq!(salts.next(), u64::MAX - 1);
        assert_eq!(salts.next(), u64::MAX);
        assert_eq!(salts.next(), 0);
        // Two random counters almost surely start apart.
        assert_ne!(SaltCounter::new().next(), SaltCounter::new().next());
    }
}
