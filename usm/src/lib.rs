//! The SNMPv3 User-based Security Model (USM) as pure functions over bytes.
//!
//! This crate holds the cryptography of [RFC 3414] and its extensions, and
//! nothing else: no sockets, no runtime, no message codec. The engine encodes
//! a message, and asks this crate to
//!
//! - turn a user's passphrases into keys localized to an authoritative
//!   engine ([`MasterKey`], [`AuthKey::from_password`],
//!   [`PrivKey::from_password`]; RFC 3414 §2.6 and A.2, RFC 7860 §4),
//! - sign and verify the message's HMAC in place ([`AuthKey::sign`],
//!   [`AuthKey::verify`]; RFC 3414 §6 and §7, RFC 7860),
//! - encrypt and decrypt the scopedPDU ([`PrivKey::encrypt`],
//!   [`PrivKey::decrypt`]; DES-CBC of RFC 3414 §8, 3DES-EDE of
//!   draft-reeder-snmpv3-usm-3desede, AES-CFB-128 of RFC 3826 and its
//!   192/256-bit variants),
//! - keep the non-authoritative side's notion of an engine's clock and check
//!   the time window ([`EngineTime`]; RFC 3414 §2.3 and §3.2 step 7b).
//!
//! # Protocols
//!
//! | [`AuthProtocol`] | net-snmp | MAC | | [`PrivProtocol`] | net-snmp | key |
//! |---|---|---|---|---|---|---|
//! | `Md5` | `MD5` | HMAC-MD5-96 | | `Des` | `DES` | 56 bit, CBC |
//! | `Sha1` | `SHA` | HMAC-SHA-96 | | `TripleDes` | `3DES` | 168 bit, CBC |
//! | `Sha224` | `SHA-224` | HMAC-SHA-224-128 | | `Aes128` | `AES` | 128 bit, CFB |
//! | `Sha256` | `SHA-256` | HMAC-SHA-256-192 | | `Aes192`, `Aes192Cisco` | `AES-192`, `AES-192-C` | 192 bit, CFB |
//! | `Sha384` | `SHA-384` | HMAC-SHA-384-256 | | `Aes256`, `Aes256Cisco` | `AES-256`, `AES-256-C` | 256 bit, CFB |
//! | `Sha512` | `SHA-512` | HMAC-SHA-512-384 | | | | |
//!
//! The two AES-192/256 families differ only in how a privacy key shorter
//! than the cipher needs is extended ([`KeyExtension`]).
//!
//! # Secrets
//!
//! Key material is zeroized on drop, and `Debug` prints `[redacted]`
//! instead of it. MAC comparison is constant-time.
//!
//! # Examples
//!
//! ```
//! use snmux_usm::{AuthKey, AuthProtocol, PrivKey, PrivProtocol};
//!
//! let engine_id = [0x80, 0x00, 0x1f, 0x88, 0x04, b'd', b'e', b'm', b'o'];
//! let auth = AuthKey::from_password(AuthProtocol::Sha256, "auth passphrase", &engine_id)?;
//! let privacy = PrivKey::from_password(
//!     AuthProtocol::Sha256,
//!     PrivProtocol::Aes128,
//!     "priv passphrase",
//!     &engine_id,
//! )?;
//!
//! // Encrypt a scopedPDU with the authoritative engine's boots and time
//! // and a fresh salt; the 8 returned bytes are msgPrivacyParameters.
//! let scoped_pdu = [0x30, 0x03, 0x04, 0x01, 0x00];
//! let (ciphertext, priv_params) = privacy.encrypt(3, 1234, 42, &scoped_pdu);
//! assert_eq!(privacy.decrypt(3, 1234, &priv_params, &ciphertext)?, scoped_pdu);
//!
//! // Sign a whole message whose msgAuthenticationParameters (mac_len()
//! // bytes) start at offset 4, then check it.
//! let mut msg = vec![0u8; 64];
//! auth.sign(&mut msg, 4)?;
//! assert!(auth.verify(&msg, 4));
//! # Ok::<(), snmux_usm::Error>(())
//! ```
//!
//! [RFC 3414]: https://www.rfc-editor.org/rfc/rfc3414
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod auth;
mod error;
mod hash;
mod key;
mod privacy;
mod protocol;
mod time;

pub use error::Error;
pub use key::{AuthKey, MIN_PASSWORD_LEN, MasterKey, PrivKey};
pub use privacy::{PRIV_PARAMS_LEN, SaltCounter};
pub use protocol::{AuthProtocol, KeyExtension, PrivProtocol};
pub use time::{EngineTime, MAX_ENGINE_BOOTS, NotInTimeWindow, TIME_WINDOW};
