//! The crate's error type.

use crate::NotInTimeWindow;

/// What went wrong in a USM operation.
///
/// Nothing in this crate panics on bad input: lengths and offsets that come
/// from the network or from configuration are checked and reported here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A passphrase is shorter than [`MIN_PASSWORD_LEN`] (8) bytes: RFC 3414
    /// §11.2 requires at least 8 characters, and net-snmp refuses shorter
    /// ones.
    ///
    /// [`MIN_PASSWORD_LEN`]: crate::MIN_PASSWORD_LEN
    #[error("passphrase is {len} bytes long; USM needs at least 8 (RFC 3414 §11.2)")]
    PasswordTooShort {
        /// Length of the passphrase in bytes.
        len: usize,
    },

    /// A key could not be localized because the engine ID is empty (it has
    /// not been discovered yet).
    #[error("cannot localize a key to an empty engine ID")]
    EmptyEngineId,

    /// A key given as bytes has the wrong length for its protocol.
    #[error("key is {actual} bytes long; the protocol needs {expected}")]
    WrongKeyLength {
        /// Bytes the protocol needs (at least this many for privacy keys).
        expected: usize,
        /// Bytes given.
        actual: usize,
    },

    /// The msgAuthenticationParameters field (`len` bytes at `offset`) does
    /// not lie inside the message.
    #[error(
        "msgAuthenticationParameters ({len} bytes at offset {offset}) lie outside the {msg_len}-byte message"
    )]
    AuthenticationParametersOutOfRange {
        /// Offset of the field in the message.
        offset: usize,
        /// Length of the field: the protocol's MAC length.
        len: usize,
        /// Length of the whole message.
        msg_len: usize,
    },

    /// The message's MAC does not match the one computed with the key: the
    /// message was altered, or the key (passphrase, protocol or engine ID)
    /// is wrong (usmStatsWrongDigests).
    #[error("wrong digest: the message's MAC does not match")]
    WrongDigest,

    /// msgPrivacyParameters is not 8 bytes long.
    #[error("msgPrivacyParameters is {len} bytes long; it must be 8")]
    InvalidPrivacyParameters {
        /// Length of the field in bytes.
        len: usize,
    },

    /// The ciphertext cannot be decrypted: for DES and 3DES (CBC) its length
    /// is not a multiple of the 8-byte block (usmStatsDecryptionErrors).
    #[error("decryption error: {len}-byte ciphertext is not a multiple of the {block}-byte block")]
    DecryptionError {
        /// Length of the ciphertext in bytes.
        len: usize,
        /// The cipher's block length in bytes.
        block: usize,
    },

    /// A buffer to encrypt in place is not
    /// [`PrivProtocol::ciphertext_len`](crate::PrivProtocol::ciphertext_len)
    /// of its plaintext long.
    #[error("the buffer is {actual} bytes long; {expected} are needed to encrypt in place")]
    WrongBufferLength {
        /// The length the plaintext needs.
        expected: usize,
        /// The buffer's length.
        actual: usize,
    },

    /// A protocol name that is not one of net-snmp's (see
    /// [`AuthProtocol`](crate::AuthProtocol) and
    /// [`PrivProtocol`](crate::PrivProtocol)).
    #[error("unknown protocol {0:?}")]
    UnknownProtocol(String),

    /// A message's engine boots and time are outside the time window (RFC
    /// 3414 §3.2 step 7b; usmStatsNotInTimeWindows).
    #[error(transparent)]
    NotInTimeWindow(#[from] NotInTimeWindow),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        // A String (24 bytes) plus the tag: results carrying an Error stay
        // cheap to move.
        assert_eq!(std::mem::size_of::<Error>(), 32);
    }

    #[test]
    fn errors_say_what_happened() {
        assert_eq!(
            Error::PasswordTooShort { len: 5 }.to_string(),
            "passphrase is 5 bytes long; USM needs at least 8 (RFC 3414 §11.2)"
        );
        assert_eq!(
            Error::UnknownProtocol("RC4".into()).to_string(),
            "unknown protocol \"RC4\""
        );
    }
}
