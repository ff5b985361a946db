//! SNMPv3 options, as net-snmp takes them: `-u USER -l LEVEL -a PROTOCOL
//! -A PASSPHRASE -x PROTOCOL -X PASSPHRASE -n CONTEXT -E ENGINE-ID
//! -e ENGINE-ID`, checked together into a [`V3User`].
//!
//! Like net-snmp 5.9: without `-l` the security level is noAuthNoPriv, `-a`
//! defaults to MD5 and `-x` to DES, protocol and level names are
//! case-insensitive, and engine IDs are hex with or without `0x`. Unlike
//! net-snmp, a passphrase or protocol without `-l` is a usage error instead
//! of being ignored (it would send the request without the authentication
//! or encryption the user asked for), and so is a level whose passphrases
//! are missing.

use std::fmt;

use clap::Args;

use snmux::usm::MIN_PASSWORD_LEN;
use snmux::{AuthProtocol, PrivProtocol, SecurityLevel, UsmUser};

/// The authentication protocols, for help and error messages.
const AUTH_PROTOCOLS: &str = "MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512";
/// The privacy protocols, for help and error messages.
const PRIV_PROTOCOLS: &str = "DES, AES, AES-192, AES-256, AES-192-C, AES-256-C, 3DES";

/// Where `--help` lists these options.
const HEADING: &str = "SNMPv3 options";

/// `-a` when absent: net-snmp 5.9's default (without `defAuthType`).
const DEFAULT_AUTH: AuthProtocol = AuthProtocol::Md5;
/// `-x` when absent: net-snmp 5.9's default (without `defPrivType`).
const DEFAULT_PRIV: PrivProtocol = PrivProtocol::Des;

/// An snmpEngineID is 5 to 32 octets (RFC 3411 §5, SnmpEngineID).
const ENGINE_ID_LEN: std::ops::RangeInclusive<usize> = 5..=32;

/// The SNMPv3 options as given on the command line.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct V3Args {
    /// The user and its security level and keys.
    #[command(flatten)]
    pub(crate) security: V3Security,

    /// Context name (default: the default context, empty).
    #[arg(short = 'n', help_heading = HEADING, value_name = "CONTEXT")]
    pub(crate) context_name: Option<String>,

    /// contextEngineID in hex, e.g. 0x80001f8880... (default: the agent's
    /// engine ID).
    #[arg(
        short = 'E',
        help_heading = HEADING,
        value_name = "ENGINE-ID",
        value_parser = parse_engine_id
    )]
    pub(crate) context_engine_id: Option<EngineId>,

    /// Security (authoritative) engine ID in hex: skips the discovery of the
    /// agent's engine ID (RFC 3414 §4), as net-snmp's -e does.
    #[arg(
        short = 'e',
        help_heading = HEADING,
        value_name = "ENGINE-ID",
        value_parser = parse_engine_id
    )]
    pub(crate) engine_id: Option<EngineId>,
}

/// The SNMPv3 user and its security level and keys (`-u -l -a -A -x
/// -X`): what `snmux outlet` takes of [`V3Args`].
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct V3Security {
    /// The user (securityName). Implies -v3 when -v is absent.
    #[arg(short = 'u', help_heading = HEADING, value_name = "USER")]
    pub(crate) user: Option<String>,

    /// Security level: noAuthNoPriv (default), authNoPriv or authPriv;
    /// also noauth, auth, priv (case-insensitive).
    #[arg(short = 'l', help_heading = HEADING, value_name = "LEVEL", value_parser = parse_level)]
    pub(crate) level: Option<Level>,

    /// Authentication protocol: MD5 (default), SHA, SHA-224, SHA-256,
    /// SHA-384, SHA-512.
    #[arg(short = 'a', help_heading = HEADING, value_name = "PROTOCOL", value_parser = parse_auth)]
    pub(crate) auth: Option<AuthProtocol>,

    /// Authentication passphrase (at least 8 characters).
    #[arg(
        short = 'A',
        help_heading = HEADING,
        value_name = "PASSPHRASE",
        value_parser = parse_passphrase
    )]
    pub(crate) auth_password: Option<Passphrase>,

    /// Privacy protocol: DES (default), AES (AES-128), AES-192, AES-256,
    /// AES-192-C, AES-256-C (Cisco's key extension), 3DES.
    #[arg(short = 'x', help_heading = HEADING, value_name = "PROTOCOL", value_parser = parse_priv)]
    pub(crate) privacy: Option<PrivProtocol>,

    /// Privacy passphrase (at least 8 characters).
    #[arg(
        short = 'X',
        help_heading = HEADING,
        value_name = "PASSPHRASE",
        value_parser = parse_passphrase
    )]
    pub(crate) privacy_password: Option<Passphrase>,
}

/// `-l`: the securityLevel (RFC 3411 §3.4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names, reason = "the RFC's names")]
pub(crate) enum Level {
    NoAuthNoPriv,
    AuthNoPriv,
    AuthPriv,
}

/// A passphrase from the command line; `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Passphrase(String);

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// An engine ID from `-E` or `-e`: 5 to 32 octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EngineId(Vec<u8>);

/// An SNMPv3 user as the options describe it, checked; its keys are made by
/// [`V3User::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V3User {
    name: String,
    level: SecurityLevel,
    context_name: Option<String>,
    context_engine_id: Option<EngineId>,
    engine_id: Option<EngineId>,
}

impl V3Args {
    /// The first SNMPv3 option given, as its flag (`-u`), if any.
    pub(crate) fn first_given(&self) -> Option<&'static str> {
        self.security.first_given().or_else(|| {
            [
                ("-n", self.context_name.is_some()),
                ("-E", self.context_engine_id.is_some()),
                ("-e", self.engine_id.is_some()),
            ]
            .into_iter()
            .find_map(|(flag, given)| given.then_some(flag))
        })
    }

    /// The user these options describe.
    ///
    /// # Errors
    ///
    /// As [`V3Security::user`].
    pub(crate) fn user(&self) -> Result<V3User, String> {
        Ok(V3User {
            context_name: self.context_name.clone(),
            context_engine_id: self.context_engine_id.clone(),
            engine_id: self.engine_id.clone(),
            ..self.security.user()?
        })
    }
}

impl V3Security {
    /// The first of these options given, as its flag (`-u`), if any.
    pub(crate) fn first_given(&self) -> Option<&'static str> {
        [("-u", self.user.is_some()), ("-l", self.level.is_some())]
            .into_iter()
            .find_map(|(flag, given)| given.then_some(flag))
            .or_else(|| self.first_auth_or_priv_option())
    }

    /// The user these options describe, in the default context.
    ///
    /// # Errors
    ///
    /// A usage message: no `-u`, a passphrase the level needs is missing,
    /// or a passphrase or protocol given without `-l`.
    pub(crate) fn user(&self) -> Result<V3User, String> {
        let name = match self.user.as_deref() {
            Some(name) if !name.is_empty() => name.to_owned(),
            _ => return Err("SNMPv3 needs a user name: -u USER".to_owned()),
        };
        let level = match self.level {
            Some(level) => level,
            None => {
                if let Some(flag) = self.first_auth_or_priv_option() {
                    return Err(format!(
                        "{flag} needs a security level: add -l authNoPriv or -l authPriv \
                         (without -l, SNMPv3 requests are noAuthNoPriv)"
                    ));
                }
                Level::NoAuthNoPriv
            }
        };
        let missing = |what: &[(&str, bool)]| -> Option<String> {
            let missing: Vec<&str> = what
                .iter()
                .filter(|(_, present)| !present)
                .map(|(name, _)| *name)
                .collect();
            (!missing.is_empty()).then(|| missing.join(" and "))
        };
        let level = match level {
            Level::NoAuthNoPriv => SecurityLevel::NoAuthNoPriv,
            Level::AuthNoPriv => {
                let Some(auth_password) = &self.auth_password else {
                    return Err(
                        "-l authNoPriv needs an authentication passphrase: -A PASSPHRASE"
                            .to_owned(),
                    );
                };
                SecurityLevel::AuthNoPriv {
                    auth: self.auth.unwrap_or(DEFAULT_AUTH),
                    auth_password: auth_password.0.clone(),
                }
            }
            Level::AuthPriv => match (&self.auth_password, &self.privacy_password) {
                (Some(auth_password), Some(privacy_password)) => SecurityLevel::AuthPriv {
                    auth: self.auth.unwrap_or(DEFAULT_AUTH),
                    auth_password: auth_password.0.clone(),
                    privacy: self.privacy.unwrap_or(DEFAULT_PRIV),
                    privacy_password: privacy_password.0.clone(),
                },
                _ => {
                    let what = missing(&[
                        (
                            "an authentication passphrase (-A)",
                            self.auth_password.is_some(),
                        ),
                        ("a privacy passphrase (-X)", self.privacy_password.is_some()),
                    ])
                    .unwrap_or_default();
                    return Err(format!("-l authPriv needs {what}"));
                }
            },
        };
        Ok(V3User {
            name,
            level,
            context_name: None,
            context_engine_id: None,
            engine_id: None,
        })
    }

    /// `-a`, `-A`, `-x` or `-X`, whichever comes first, if given.
    fn first_auth_or_priv_option(&self) -> Option<&'static str> {
        [
            ("-a", self.auth.is_some()),
            ("-A", self.auth_password.is_some()),
            ("-x", self.privacy.is_some()),
            ("-X", self.privacy_password.is_some()),
        ]
        .into_iter()
        .find_map(|(flag, given)| given.then_some(flag))
    }
}

impl V3User {
    /// Whether requests are encrypted (authPriv).
    pub(crate) fn is_auth_priv(&self) -> bool {
        matches!(self.level, SecurityLevel::AuthPriv { .. })
    }

    /// The library's user: the passphrases turned into keys.
    ///
    /// # Errors
    ///
    /// [`snmux::Error::Usm`] if a passphrase is shorter than 8 characters,
    /// with which one it is.
    pub(crate) fn build(&self) -> anyhow::Result<UsmUser> {
        let which = match &self.level {
            SecurityLevel::AuthNoPriv { auth_password, .. }
            | SecurityLevel::AuthPriv { auth_password, .. }
                if auth_password.len() < MIN_PASSWORD_LEN =>
            {
                "authentication passphrase (-A)"
            }
            _ => "privacy passphrase (-X)",
        };
        // The message only: the Usm error's Display already holds its
        // source's, which `{:#}` would print again.
        let mut user =
            UsmUser::new(self.name.clone(), self.level.clone()).map_err(|e| match e {
                snmux::Error::Usm(_) => anyhow::anyhow!("{which}: {e}"),
                e => e.into(),
            })?;
        if let Some(context) = &self.context_name {
            user = user.context_name(context.clone());
        }
        if let Some(EngineId(id)) = &self.context_engine_id {
            user = user.context_engine_id(id.clone());
        }
        if let Some(EngineId(id)) = &self.engine_id {
            user = user.authoritative_engine_id(id.clone());
        }
        Ok(user)
    }
}

/// net-snmp's level names (`snmplib/snmpv3.c`), case-insensitive.
fn parse_level(s: &str) -> Result<Level, String> {
    match s.to_ascii_lowercase().as_str() {
        "noauthnopriv" | "noauth" | "nanp" | "1" => Ok(Level::NoAuthNoPriv),
        "authnopriv" | "auth" | "anp" | "2" => Ok(Level::AuthNoPriv),
        "authpriv" | "priv" | "ap" | "3" => Ok(Level::AuthPriv),
        _ => {
            Err("expected noAuthNoPriv, authNoPriv or authPriv (or noauth, auth, priv)".to_owned())
        }
    }
}

fn parse_auth(s: &str) -> Result<AuthProtocol, String> {
    s.parse()
        .map_err(|_| format!("expected one of {AUTH_PROTOCOLS}"))
}

fn parse_priv(s: &str) -> Result<PrivProtocol, String> {
    s.parse()
        .map_err(|_| format!("expected one of {PRIV_PROTOCOLS}"))
}

fn parse_passphrase(s: &str) -> Result<Passphrase, String> {
    Ok(Passphrase(s.to_owned()))
}

/// Hex digits as net-snmp reads them: an optional `0x`, whitespace
/// anywhere between digit pairs; 5 to 32 octets.
fn parse_engine_id(s: &str) -> Result<EngineId, String> {
    let s = s.trim();
    let digits = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let digits: Vec<u8> = digits
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if digits.len() % 2 != 0 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err("expected an even number of hex digits, e.g. 0x80001f8880...".to_owned());
    }
    let octets: Vec<u8> = digits
        .chunks_exact(2)
        .map(|pair| (hex_digit(pair[0]) << 4) | hex_digit(pair[1]))
        .collect();
    if !ENGINE_ID_LEN.contains(&octets.len()) {
        return Err(format!(
            "an engine ID is {} to {} octets; this is {}",
            ENGINE_ID_LEN.start(),
            ENGINE_ID_LEN.end(),
            octets.len()
        ));
    }
    Ok(EngineId(octets))
}

/// The value of an ASCII hex digit (checked by the caller).
fn hex_digit(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> V3Security {
        V3Security {
            user: Some("bob".to_owned()),
            ..V3Security::default()
        }
    }

    fn pass(s: &str) -> Option<Passphrase> {
        Some(Passphrase(s.to_owned()))
    }

    #[test]
    fn levels_as_net_snmp_spells_them() {
        for (names, level) in [
            (
                &["noAuthNoPriv", "NOAUTHNOPRIV", "noauth", "nanp", "1"][..],
                Level::NoAuthNoPriv,
            ),
            (
                &["authNoPriv", "auth", "AUTH", "anp", "2"],
                Level::AuthNoPriv,
            ),
            (&["authPriv", "priv", "Priv", "ap", "3"], Level::AuthPriv),
        ] {
            for name in names {
                assert_eq!(parse_level(name), Ok(level), "{name}");
            }
        }
        for bad in ["", "none", "authpriv2", "4", "privacy"] {
            assert!(parse_level(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn protocols_as_net_snmp_spells_them() {
        assert_eq!(parse_auth("sha-256"), Ok(AuthProtocol::Sha256));
        assert_eq!(parse_auth("SHA"), Ok(AuthProtocol::Sha1));
        assert_eq!(parse_priv("AES"), Ok(PrivProtocol::Aes128));
        assert_eq!(parse_priv("AES-128"), Ok(PrivProtocol::Aes128));
        assert_eq!(parse_priv("aes-256-c"), Ok(PrivProtocol::Aes256Cisco));
        assert_eq!(parse_priv("3DES"), Ok(PrivProtocol::TripleDes));
        assert!(parse_auth("SHA3").unwrap_err().contains("SHA-512"));
        assert!(parse_priv("RC4").unwrap_err().contains("AES-256-C"));
    }

    #[test]
    fn engine_ids_in_hex() {
        let id = |s: &str| parse_engine_id(s).map(|EngineId(v)| v);
        assert_eq!(id("0x80001f8880"), Ok(vec![0x80, 0, 0x1f, 0x88, 0x80]));
        assert_eq!(id("80001F8880"), Ok(vec![0x80, 0, 0x1f, 0x88, 0x80]));
        assert_eq!(id("0X80 00 1f 88 80"), Ok(vec![0x80, 0, 0x1f, 0x88, 0x80]));
        assert_eq!(id(&"ab".repeat(32)).map(|v| v.len()), Ok(32));
        for bad in [
            "",
            "0x",
            "0x80001f888",
            "80001f88",
            "0x80001f88zz",
            &"ab".repeat(33),
        ] {
            assert!(parse_engine_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn levels_take_what_they_need() {
        // Without -l: noAuthNoPriv, as net-snmp.
        assert_eq!(args().user().unwrap().level, SecurityLevel::NoAuthNoPriv);
        // Defaults MD5 and DES, as net-snmp.
        let user = V3Security {
            level: Some(Level::AuthPriv),
            auth_password: pass("auth-pass"),
            privacy_password: pass("priv-pass"),
            ..args()
        }
        .user()
        .unwrap();
        assert_eq!(
            user.level,
            SecurityLevel::AuthPriv {
                auth: AuthProtocol::Md5,
                auth_password: "auth-pass".to_owned(),
                privacy: PrivProtocol::Des,
                privacy_password: "priv-pass".to_owned(),
            }
        );
        assert!(user.is_auth_priv());
        // An explicit lower level ignores the other passphrases.
        let user = V3Security {
            level: Some(Level::AuthNoPriv),
            auth: Some(AuthProtocol::Sha512),
            auth_password: pass("auth-pass"),
            privacy: Some(PrivProtocol::Aes256),
            privacy_password: pass("priv-pass"),
            ..args()
        }
        .user()
        .unwrap();
        assert_eq!(
            user.level,
            SecurityLevel::AuthNoPriv {
                auth: AuthProtocol::Sha512,
                auth_password: "auth-pass".to_owned(),
            }
        );
        assert!(!user.is_auth_priv());
    }

    #[test]
    fn usage_errors() {
        let err = |a: V3Security| a.user().unwrap_err();
        assert_eq!(
            err(V3Security::default()),
            "SNMPv3 needs a user name: -u USER"
        );
        assert_eq!(
            err(V3Security {
                user: Some(String::new()),
                ..V3Security::default()
            }),
            "SNMPv3 needs a user name: -u USER"
        );
        assert_eq!(
            err(V3Security {
                level: Some(Level::AuthNoPriv),
                ..args()
            }),
            "-l authNoPriv needs an authentication passphrase: -A PASSPHRASE"
        );
        assert_eq!(
            err(V3Security {
                level: Some(Level::AuthPriv),
                auth_password: pass("auth-pass"),
                ..args()
            }),
            "-l authPriv needs a privacy passphrase (-X)"
        );
        assert_eq!(
            err(V3Security {
                level: Some(Level::AuthPriv),
                ..args()
            }),
            "-l authPriv needs an authentication passphrase (-A) and a privacy passphrase (-X)"
        );
        assert!(
            err(V3Security {
                auth_password: pass("auth-pass"),
                ..args()
            })
            .starts_with("-A needs a security level: add -l authNoPriv or -l authPriv")
        );
        assert!(
            err(V3Security {
                privacy: Some(PrivProtocol::Aes128),
                ..args()
            })
            .starts_with("-x needs a security level")
        );
    }

    #[test]
    fn short_passphrases_name_the_option() {
        let user = |auth: &str, privacy: &str| {
            V3Security {
                level: Some(Level::AuthPriv),
                auth_password: pass(auth),
                privacy_password: pass(privacy),
                ..args()
            }
            .user()
            .unwrap()
        };
        let e = user("short", "long-enough").build().unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            "authentication passphrase (-A): USM: passphrase is 5 bytes long; \
             USM needs at least 8 (RFC 3414 §11.2)"
        );
        let e = user("long-enough", "").build().unwrap_err();
        assert!(
            format!("{e:#}").starts_with("privacy passphrase (-X): USM: passphrase is 0"),
            "{e:#}"
        );
        assert!(user("long-enough", "long-enough").build().is_ok());
    }

    #[test]
    fn debug_hides_passphrases() {
        let a = V3Security {
            level: Some(Level::AuthPriv),
            auth_password: pass("auth-secret"),
            privacy_password: pass("priv-secret"),
            ..args()
        };
        let shown = format!("{a:?} {:?}", a.user().unwrap());
        assert!(!shown.contains("secret"), "{shown}");
    }
}
