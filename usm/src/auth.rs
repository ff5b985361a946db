//! Message authentication: HMAC over the whole message, truncated, written
//! into and checked against msgAuthenticationParameters.

use std::ops::Range;

use subtle::{Choice, ConstantTimeEq};

use crate::{AuthKey, Error};

/// Zeros standing in for msgAuthenticationParameters while verifying: the
/// longest MAC (HMAC-SHA-512-384) is 48 bytes.
const ZEROS: [u8; 48] = [0; 48];

impl AuthKey {
    /// Signs a whole encoded message in place: zeroes the
    /// msgAuthenticationParameters field (the
    /// [`mac_len()`](crate::AuthProtocol::mac_len) bytes at `params_offset`),
    /// computes the HMAC of the message and writes its first `mac_len()`
    /// bytes into the field (RFC 3414 §6.3.1 and §7.3.1, RFC 7860 §4.2.1).
    ///
    /// `msg` is the complete wholeMsg, already encrypted if the message is
    /// private, with an OCTET STRING of `mac_len()` bytes reserved for the
    /// MAC.
    ///
    /// # Errors
    ///
    /// [`Error::AuthenticationParametersOutOfRange`] if the field does not
    /// lie inside `msg`; `msg` is then left unchanged.
    pub fn sign(&self, msg: &mut [u8], params_offset: usize) -> Result<(), Error> {
        let field = self.params_range(msg.len(), params_offset)?;
        msg[field.clone()].fill(0);
        let mac = self.hmac.mac(&[msg]);
        msg[field].copy_from_slice(&mac.as_slice()[..self.proto.mac_len()]);
        Ok(())
    }

    /// Checks a received message's MAC, without copying the message: the
    /// HMAC is computed over the bytes before msgAuthenticationParameters,
    /// [`mac_len()`](crate::AuthProtocol::mac_len) zeros, and the bytes
    /// after it, and compared with the field in constant time (RFC 3414
    /// §6.3.2 and §7.3.2, RFC 7860 §4.2.2).
    ///
    /// Returns `false` if the MAC does not match or the field does not lie
    /// inside `msg`; [`check`](AuthKey::check) tells the two apart.
    #[must_use = "a message that fails verification must be dropped"]
    pub fn verify(&self, msg: &[u8], params_offset: usize) -> bool {
        self.check(msg, params_offset).is_ok()
    }

    /// Like [`verify`](AuthKey::verify), with the reason for a failure.
    ///
    /// # Errors
    ///
    /// [`Error::AuthenticationParametersOutOfRange`] if the field does not
    /// lie inside `msg`, [`Error::WrongDigest`] if the MAC does not match.
    pub fn check(&self, msg: &[u8], params_offset: usize) -> Result<(), Error> {
        let field = self.params_range(msg.len(), params_offset)?;
        let mac_len = self.proto.mac_len();
        let mac = self
            .hmac
            .mac(&[&msg[..field.start], &ZEROS[..mac_len], &msg[field.end..]]);
        if bool::from(ct_eq(&mac.as_slice()[..mac_len], &msg[field])) {
            Ok(())
        } else {
            Err(Error::WrongDigest)
        }
    }

    fn params_range(&self, msg_len: usize, offset: usize) -> Result<Range<usize>, Error> {
        let len = self.proto.mac_len();
        match offset.checked_add(len) {
            Some(end) if end <= msg_len => Ok(offset..end),
            _ => Err(Error::AuthenticationParametersOutOfRange {
                offset,
                len,
                msg_len,
            }),
        }
    }
}

/// `a == b` for slices of the same length, in time that depends on the
/// length alone: the differences of the bytes are ORed together, and only
/// the result is compared, by `subtle` (one `black_box`, not one a byte).
fn ct_eq(a: &[u8], b: &[u8]) -> Choice {
    if a.len() != b.len() {
        return Choice::from(0);
    }
    a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)).ct_eq(&0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuthProtocol;
    use crate::hash;

    fn key(proto: AuthProtocol) -> AuthKey {
        let bytes: Vec<u8> = (0..proto.digest_len() as u8).collect();
        AuthKey::from_localized(proto, &bytes).unwrap()
    }

    #[test]
    fn sign_writes_the_truncated_hmac_of_the_zeroed_message() {
        for proto in AuthProtocol::ALL {
            let key = key(proto);
            let mut msg: Vec<u8> = (0..100u8).collect();
            let offset = 30;
            let mut zeroed = msg.clone();
            zeroed[offset..offset + proto.mac_len()].fill(0);
            let full = hash::hmac(proto, key.as_bytes(), &[&zeroed]);

            key.sign(&mut msg, offset).unwrap();
            assert_eq!(
                &msg[offset..offset + proto.mac_len()],
                &full.as_slice()[..proto.mac_len()],
                "{proto}"
            );
            // Everything else is untouched.
            assert_eq!(&msg[..offset], &zeroed[..offset]);
            assert_eq!(
                &msg[offset + proto.mac_len()..],
                &zeroed[offset + proto.mac_len()..]
            );
            assert!(key.verify(&msg, offset));
        }
    }

    #[test]
    fn any_flipped_bit_fails_verification() {
        for proto in AuthProtocol::ALL {
            let key = key(proto);
            let mut msg = vec![0x5a; 80];
            key.sign(&mut msg, 10).unwrap();
            for i in 0..msg.len() {
                let mut bad = msg.clone();
                bad[i] ^= 0x01;
                assert_eq!(bad.len(), msg.len());
                assert_eq!(
                    key.check(&bad, 10),
                    Err(Error::WrongDigest),
                    "{proto} byte {i}"
                );
            }
            // Another key, another offset.
            let other = AuthKey::from_localized(proto, &vec![9; proto.digest_len()]).unwrap();
            assert!(!other.verify(&msg, 10));
            assert!(!key.verify(&msg, 11));
        }
    }

    /// Every MAC length, equal and with any one bit different, and
    /// unequal lengths.
    #[test]
    fn constant_time_comparison_finds_any_difference() {
        for len in [0, 1, 7, 8, 12, 16, 20, 24, 32, 48, 64] {
            let a: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            assert!(bool::from(ct_eq(&a, &a.clone())), "{len}");
            for i in 0..len {
                for bit in 0..8 {
                    let mut b = a.clone();
                    b[i] ^= 1 << bit;
                    assert!(!bool::from(ct_eq(&a, &b)), "{len} {i} {bit}");
                }
            }
            assert!(!bool::from(ct_eq(&a, &a[..len.saturating_sub(1)])) || len == 0);
        }
    }

    #[test]
    fn out_of_range_fields_are_errors_not_panics() {
        let key = key(AuthProtocol::Sha512);
        let mut msg = vec![0; 60];
        for offset in [13, 59, 60, 61, usize::MAX - 10, usize::MAX] {
            let want = Error::AuthenticationParametersOutOfRange {
                offset,
                len: 48,
                msg_len: 60,
            };
            assert_eq!(key.sign(&mut msg, offset), Err(want.clone()));
            assert_eq!(key.check(&msg, offset), Err(want));
            assert!(!key.verify(&msg, offset));
        }
        assert_eq!(msg, vec![0; 60], "a failed sign leaves the message alone");
        // The field may end exactly at the end of the message.
        key.sign(&mut msg, 12).unwrap();
        assert!(key.verify(&msg, 12));
        assert!(!key.verify(&[], 0));
    }
}
