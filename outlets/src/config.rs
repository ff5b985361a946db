//! Configuration: lab files (YAML or TOML) that name PDUs, outlets and
//! groups, and the configuration of Jumpstarter's `SNMPServer` driver.
//!
//! A lab file:
//!
//! ```yaml
//! pdus:
//!   rack1:                       # an SNMP PDU
//!     driver: snmp
//!     host: 192.0.2.7            # port 161 unless `port` says otherwise
//!     profile: apc-rpdu2         # a built-in profile or one of `profiles`
//!     community: private         # SNMPv2c (version: "1" for SNMPv1)
//!   rack2:
//!     driver: snmp
//!     host: pdu2.lab.example
//!     profile: raritan-px2
//!     user: ops                  # SNMPv3
//!     auth_protocol: SHA-256
//!     auth_key: "auth passphrase"
//!     priv_protocol: AES
//!     priv_key: "priv passphrase"
//!   strip:
//!     driver: energenie-web      # or energenie-tcp (port 5000, `model`)
//!     host: 192.0.2.9
//!     password: "1"
//! outlets:
//!   dut1: { pdu: rack1, outlet: 3 }
//!   dut2: { pdu: rack2, outlet: "1.7" }
//!   hub: { pdu: strip, outlet: 2 }
//! groups:
//!   bench: [dut1, dut2, hub]
//! ```
//!
//! Jumpstarter's exporter configuration loads as it is
//! ([`LabConfig::from_jumpstarter_exporter`]): each `SNMPServer` or
//! `EnerGenie` export becomes a PDU and an outlet of the export's name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use snmux_engine::Oid;
use snmux_manager::{
    AuthProtocol, Engine, Manager, PrivProtocol, Security, SecurityLevel, UsmUser,
};

use crate::energenie::{EnergenieTcp, EnergenieWeb, Model, WEB_PASSWORD};
use crate::snmp::{Profile, SnmpOutlet, SnmpPdu, TemplateError};
use crate::{Error, OutletGroup, PowerOutlet};

/// What is wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A privacy protocol without an authentication protocol: SNMPv3 has no
    /// privacy without authentication (Jumpstarter's driver silently sent
    /// such requests noAuthNoPriv).
    #[error("{pdu}: priv_protocol {priv_protocol} needs an auth_protocol and auth_key")]
    PrivacyWithoutAuth {
        /// The PDU.
        pdu: String,
        /// The privacy protocol given.
        priv_protocol: String,
    },
    /// A protocol without its key.
    #[error("{pdu}: {field} is required with {protocol}")]
    MissingKey {
        /// The PDU.
        pdu: String,
        /// `auth_key` or `priv_key`.
        field: &'static str,
        /// The protocol that needs it.
        protocol: String,
    },
    /// A key that cannot be used (shorter than 8 characters, RFC 3414
    /// §11.2).
    #[error("{pdu}: {reason}")]
    Key {
        /// The PDU.
        pdu: String,
        /// Why.
        reason: String,
    },
    /// A setting whose value is not one of those allowed.
    #[error("{pdu}: {field} {value:?} is not one of {allowed}")]
    InvalidValue {
        /// The PDU.
        pdu: String,
        /// The setting.
        field: &'static str,
        /// The value given.
        value: String,
        /// The values allowed.
        allowed: &'static str,
    },
    /// An OID template that does not parse.
    #[error("{0}")]
    Template(#[from] TemplateError),
    /// A custom profile that is not consistent.
    #[error("profile {name}: {reason}")]
    InvalidProfile {
        /// The profile.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// A profile that is neither built in nor defined under `profiles`.
    #[error("{pdu}: no profile {profile:?} (built in: {})", Profile::BUILTIN.join(", "))]
    UnknownProfile {
        /// The PDU.
        pdu: String,
        /// The name given.
        profile: String,
    },
    /// An outlet on a PDU that is not defined.
    #[error("outlet {outlet}: no PDU {pdu:?}")]
    UnknownPdu {
        /// The outlet.
        outlet: String,
        /// The PDU named.
        pdu: String,
    },
    /// A name that is no outlet, group, or `pdu:outlet`.
    #[error("no outlet or group {0:?}")]
    UnknownName(String),
    /// A group that names itself, directly or through other groups.
    #[error("group {0:?} contains itself")]
    RecursiveGroup(String),
    /// The file does not parse.
    #[error("{format}: {message}")]
    Parse {
        /// `YAML` or `TOML`.
        format: &'static str,
        /// The parser's message, with the line and column.
        message: String,
    },
    /// The file cannot be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// The system's message.
        message: String,
    },
    /// A host name that does not resolve.
    #[error("{pdu}: cannot resolve {host}: {message}")]
    Resolve {
        /// The PDU.
        pdu: String,
        /// The host.
        host: String,
        /// The resolver's message.
        message: String,
    },
}

/// A password, passphrase or community: `Debug` does not print it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The configuration of Jumpstarter's `SNMPServer` power driver
/// (`jumpstarter_driver_snmp.driver.SNMPServer`), field for field.
///
/// Fixed here: privacy settings without authentication are an error
/// ([`ConfigError::PrivacyWithoutAuth`]) instead of being ignored; errors
/// are typed; the outlet's state and readings work where the `oid` is a
/// built-in profile's control object (Raritan's default `oid` is
/// `raritan-px2` with pduId 1). Any other `oid` is one INTEGER per plug,
/// written 1/0 and read back ([`Profile::single_object`]), as Jumpstarter
/// writes it. A built-in profile's own values are used where it has them
/// (APC: 1 on, 2 off), which Jumpstarter's fixed 1/0 could not do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpServerConfig {
    /// The PDU's host name or address.
    pub host: String,
    /// The SNMPv3 user.
    pub user: String,
    /// The UDP port. Default 161.
    #[serde(default = "snmp_port")]
    pub port: u16,
    /// The outlet: the last sub-identifier of the control OID.
    pub plug: u32,
    /// The control object without the plug. Default
    /// `1.3.6.1.4.1.13742.6.4.1.2.1.2.1` (Raritan `switchingOperation`,
    /// pduId 1).
    #[serde(default = "raritan_oid")]
    pub oid: String,
    /// `NONE`, `MD5` or `SHA` (also SHA-224, SHA-256, SHA-384, SHA-512).
    /// Default `NONE`.
    #[serde(default = "none")]
    pub auth_protocol: String,
    /// The authentication passphrase.
    #[serde(default)]
    pub auth_key: Option<Secret>,
    /// `NONE`, `DES` or `AES` (also AES-192, AES-256, AES-192-C,
    /// AES-256-C, 3DES). Default `NONE`.
    #[serde(default = "none")]
    pub priv_protocol: String,
    /// The privacy passphrase.
    #[serde(default)]
    pub priv_key: Option<Secret>,
    /// Seconds for each SNMP request, retransmissions included. Default 5.
    #[serde(default = "five")]
    pub timeout: f64,
}

fn snmp_port() -> u16 {
    161
}

fn raritan_oid() -> String {
    "1.3.6.1.4.1.13742.6.4.1.2.1.2.1".to_owned()
}

fn none() -> String {
    "NONE".to_owned()
}

fn five() -> f64 {
    5.0
}

impl SnmpServerConfig {
    /// The SNMPv3 security: noAuthNoPriv, authNoPriv or authPriv as the
    /// protocols say.
    ///
    /// # Errors
    ///
    /// [`ConfigError::PrivacyWithoutAuth`], [`ConfigError::MissingKey`],
    /// [`ConfigError::InvalidValue`] for an unknown protocol,
    /// [`ConfigError::Key`] for a passphrase shorter than 8 characters.
    pub fn security(&self, pdu: &str) -> Result<Security, ConfigError> {
        usm_security(
            pdu,
            &self.user,
            Some(&self.auth_protocol),
            self.auth_key.as_ref(),
            Some(&self.priv_protocol),
            self.priv_key.as_ref(),
        )
    }

    /// The profile and the outlet (its index, dotted) for `oid` and `plug`.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Template`] if `oid` is not dotted decimal.
    pub fn profile(&self) -> Result<(Profile, String), ConfigError> {
        let oid: Oid = self
            .oid
            .trim()
            .trim_start_matches('.')
            .parse()
            .map_err(|_| TemplateError {
                template: self.oid.clone(),
                reason: "not a dotted-decimal OID",
            })?;
        for name in Profile::BUILTIN {
            let profile = Profile::builtin(name).expect("built-in");
            let Some(control) = &profile.control.oid else {
                continue;
            };
            // The template is `prefix.*`: the prefix is its expansion with
            // an empty index.
            let Ok(prefix) = control.expand(&[]) else {
                continue;
            };
            if control.to_string() != format!("{prefix}.*") || !oid.starts_with(&prefix) {
                continue;
            }
            let mut index: Vec<u32> = oid.arcs()[prefix.len()..].to_vec();
            index.push(self.plug);
            if index.len() <= profile.index_parts
                && profile.index_parts - index.len() <= profile.index_prefix.len()
            {
                let outlet = index
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(".");
                return Ok((profile, outlet));
            }
        }
        Ok((Profile::single_object(&oid), self.plug.to_string()))
    }

    /// The outlet on `engine`: resolves `host` (an address of the engine's
    /// family first), builds the manager with `timeout`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] as [`SnmpServerConfig::security`] and
    /// [`SnmpServerConfig::profile`], and [`ConfigError::Resolve`].
    pub async fn outlet(&self, engine: &Engine, name: &str) -> Result<SnmpOutlet, Error> {
        let security = self.security(name)?;
        let (profile, outlet) = self.profile()?;
        let manager = manager(engine, name, &self.host, self.port, security, self.timeout).await?;
        SnmpOutlet::builder(manager, Arc::new(profile), &outlet).build()
    }
}

/// A lab: PDUs, named outlets and groups of them. See the [module](self)
/// for the format.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabConfig {
    /// Custom SNMP profiles, by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// The PDUs and strips, by name.
    #[serde(default)]
    pub pdus: BTreeMap<String, PduConfig>,
    /// Named outlets.
    #[serde(default)]
    pub outlets: BTreeMap<String, OutletConfig>,
    /// Named groups of outlets (and of other groups).
    #[serde(default)]
    pub groups: BTreeMap<String, Vec<String>>,
}

/// One PDU or strip, by its `driver`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "driver", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum PduConfig {
    /// An SNMP PDU.
    Snmp(SnmpPduConfig),
    /// Jumpstarter's `SNMPServer` fields (one outlet: `plug`).
    JumpstarterSnmp(SnmpServerConfig),
    /// An EnerGenie strip through its web interface.
    EnergenieWeb(EnergenieWebConfig),
    /// An EnerGenie strip through its TCP protocol.
    EnergenieTcp(EnergenieTcpConfig),
}

/// An SNMP PDU.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpPduConfig {
    /// Host name or address.
    pub host: String,
    /// UDP port. Default 161.
    #[serde(default = "snmp_port")]
    pub port: u16,
    /// A built-in profile ([`Profile::BUILTIN`]) or one of the lab's
    /// `profiles`. Default `raritan-px2`.
    #[serde(default = "raritan")]
    pub profile: String,
    /// `1`, `2c` or `3`. Default `3` when `user` is set, else `2c`.
    #[serde(default)]
    pub version: Option<String>,
    /// The community (SNMPv1/v2c). Default `private`.
    #[serde(default)]
    pub community: Option<Secret>,
    /// The SNMPv3 user.
    #[serde(default)]
    pub user: Option<String>,
    /// As in [`SnmpServerConfig`]. Default none.
    #[serde(default)]
    pub auth_protocol: Option<String>,
    /// The authentication passphrase.
    #[serde(default)]
    pub auth_key: Option<Secret>,
    /// As in [`SnmpServerConfig`]. Default none.
    #[serde(default)]
    pub priv_protocol: Option<String>,
    /// The privacy passphrase.
    #[serde(default)]
    pub priv_key: Option<Secret>,
    /// Seconds for each SNMP request, retransmissions (every second)
    /// included. Default 5.
    #[serde(default = "five")]
    pub timeout: f64,
    /// Seconds a switch is read back for. Default 10.
    #[serde(default)]
    pub confirm_timeout: Option<f64>,
}

fn raritan() -> String {
    "raritan-px2".to_owned()
}

/// An EnerGenie strip through its web interface.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergenieWebConfig {
    /// `host[:port]` or `http://host[:port]`.
    pub host: String,
    /// Default `1`.
    #[serde(default)]
    pub password: Option<Secret>,
    /// Seconds for each HTTP request. Default 10.
    #[serde(default)]
    pub timeout: Option<f64>,
}

/// An EnerGenie strip through its TCP protocol.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnergenieTcpConfig {
    /// `host` or `host:port` (default port 5000).
    pub host: String,
    /// `pms20` (EG-PMS-LAN), `pms21` (EG-PM2-LAN, EG-PMS2-LAN) or
    /// `pmswlan`. Default `pms21`.
    #[serde(default)]
    pub model: Option<String>,
    /// Default empty.
    #[serde(default)]
    pub password: Option<Secret>,
    /// Seconds for each answer. Default 4.
    #[serde(default)]
    pub timeout: Option<f64>,
}

/// A named outlet.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutletConfig {
    /// The PDU's name.
    pub pdu: String,
    /// The outlet on it: `3`, `"1.3"`. Not needed for a `jumpstarter-snmp`
    /// PDU (its `plug`).
    #[serde(default)]
    pub outlet: Option<OutletIndex>,
}

/// An outlet number or dotted index.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum OutletIndex {
    /// `3`.
    Number(u32),
    /// `"1.3"`.
    Dotted(String),
}

impl fmt::Display for OutletIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutletIndex::Number(n) => write!(f, "{n}"),
            OutletIndex::Dotted(s) => f.write_str(s),
        }
    }
}

impl LabConfig {
    /// Parses YAML.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`].
    pub fn from_yaml(text: &str) -> Result<LabConfig, ConfigError> {
        serde_yaml::from_str(text).map_err(yaml_error)
    }

    /// Parses TOML.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`].
    pub fn from_toml(text: &str) -> Result<LabConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            format: "TOML",
            message: e.to_string(),
        })
    }

    /// A Jumpstarter exporter configuration (`export:` with `type` and
    /// `config` per driver): each `SNMPServer` and `EnerGenie` export
    /// becomes a PDU and an outlet of its name; other exports are skipped.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Parse`], also for an export's `config` that does not
    /// have the driver's fields.
    pub fn from_jumpstarter_exporter(text: &str) -> Result<LabConfig, ConfigError> {
        #[derive(Deserialize)]
        struct Exporter {
            export: BTreeMap<String, Export>,
        }
        #[derive(Deserialize)]
        struct Export {
            #[serde(rename = "type")]
            driver: String,
            #[serde(default)]
            config: serde_yaml::Value,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct JumpstarterEnergenie {
            host: Option<String>,
            #[serde(default)]
            password: Option<Secret>,
            #[serde(default)]
            slot: Option<u32>,
        }
        let exporter: Exporter = serde_yaml::from_str(text).map_err(yaml_error)?;
        let mut lab = LabConfig::default();
        for (name, export) in exporter.export {
            let (pdu, outlet) = if export.driver.ends_with(".SNMPServer") {
                let config: SnmpServerConfig =
                    serde_yaml::from_value(export.config).map_err(yaml_error)?;
                (PduConfig::JumpstarterSnmp(config), None)
            } else if export.driver.ends_with(".EnerGenie") {
                let config: JumpstarterEnergenie =
                    serde_yaml::from_value(export.config).map_err(yaml_error)?;
                let host = config.host.ok_or_else(|| ConfigError::Parse {
                    format: "YAML",
                    message: format!("export {name}: host must be specified"),
                })?;
                let pdu = PduConfig::EnergenieWeb(EnergenieWebConfig {
                    host,
                    // Jumpstarter's default password, the factory setting.
                    password: Some(
                        config
                            .password
                            .unwrap_or_else(|| Secret::from(WEB_PASSWORD)),
                    ),
                    timeout: None,
                });
                (pdu, Some(OutletIndex::Number(config.slot.unwrap_or(1))))
            } else {
                continue;
            };
            lab.pdus.insert(name.clone(), pdu);
            lab.outlets
                .insert(name.clone(), OutletConfig { pdu: name, outlet });
        }
        Ok(lab)
    }

    /// Reads `path`: TOML if it ends in `.toml`; otherwise YAML, either a
    /// lab file or a Jumpstarter exporter configuration (a top-level
    /// `export:`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Read`], [`ConfigError::Parse`].
    pub fn load(path: &Path) -> Result<LabConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            return Self::from_toml(&text);
        }
        let value: serde_yaml::Value = serde_yaml::from_str(&text).map_err(yaml_error)?;
        if value.get("export").is_some() {
            Self::from_jumpstarter_exporter(&text)
        } else {
            Self::from_yaml(&text)
        }
    }

    /// The lab's drivers, with SNMP PDUs on `engine` (one manager per
    /// PDU). Host names are resolved here.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for anything inconsistent (unknown profile, PDU or
    /// group member, invalid credentials), [`Error::InvalidOutlet`].
    pub async fn build(&self, engine: &Engine) -> Result<Lab, Error> {
        for (name, profile) in &self.profiles {
            profile
                .validate()
                .map_err(|reason| ConfigError::InvalidProfile {
                    name: name.clone(),
                    reason,
                })?;
        }
        let mut pdus = BTreeMap::new();
        for (name, pdu) in &self.pdus {
            pdus.insert(name.clone(), self.pdu(engine, name, pdu).await?);
        }
        let mut outlets = BTreeMap::new();
        for (name, outlet) in &self.outlets {
            let pdu = pdus
                .get(&outlet.pdu)
                .ok_or_else(|| ConfigError::UnknownPdu {
                    outlet: name.clone(),
                    pdu: outlet.pdu.clone(),
                })?;
            let index = outlet.outlet.as_ref().map(ToString::to_string);
            outlets.insert(name.clone(), pdu.outlet(index.as_deref())?);
        }
        let lab = Lab {
            pdus,
            outlets,
            groups: self.groups.clone(),
        };
        for (group, members) in &self.groups {
            for member in members {
                if !lab.outlets.contains_key(member) && !lab.groups.contains_key(member) {
                    lab.outlet(member).map_err(|e| match e {
                        Error::Config(ConfigError::UnknownName(name)) => {
                            ConfigError::UnknownName(format!("{name} (in group {group})")).into()
                        }
                        other => other,
                    })?;
                }
            }
        }
        Ok(lab)
    }

    async fn pdu(&self, engine: &Engine, name: &str, pdu: &PduConfig) -> Result<Pdu, Error> {
        Ok(match pdu {
            PduConfig::Snmp(c) => {
                let profile = match self.profiles.get(&c.profile) {
                    Some(custom) => Profile {
                        name: c.profile.clone(),
                        ..custom.clone()
                    },
                    None => {
                        Profile::builtin(&c.profile).ok_or_else(|| ConfigError::UnknownProfile {
                            pdu: name.to_owned(),
                            profile: c.profile.clone(),
                        })?
                    }
                };
                let security = snmp_security(name, c)?;
                let manager = manager(engine, name, &c.host, c.port, security, c.timeout).await?;
                let confirm = match c.confirm_timeout {
                    Some(s) => Some(seconds(name, "confirm_timeout", s)?),
                    None => None,
                };
                Pdu::Snmp {
                    pdu: SnmpPdu::new(manager, Arc::new(profile)),
                    confirm,
                }
            }
            PduConfig::JumpstarterSnmp(c) => Pdu::Single(Arc::new(c.outlet(engine, name).await?)),
            PduConfig::EnergenieWeb(c) => {
                let mut builder = EnergenieWeb::builder(&c.host);
                if let Some(password) = &c.password {
                    builder = builder.password(password.expose());
                }
                if let Some(t) = c.timeout {
                    builder = builder.timeout(seconds(name, "timeout", t)?);
                }
                Pdu::Web(builder.build()?)
            }
            PduConfig::EnergenieTcp(c) => {
                let model = match c.model.as_deref() {
                    None => Model::Pms21,
                    Some(m) => Model::from_name(m).ok_or_else(|| ConfigError::InvalidValue {
                        pdu: name.to_owned(),
                        field: "model",
                        value: m.to_owned(),
                        allowed: "pms20, pms21, pmswlan",
                    })?,
                };
                let mut builder = EnergenieTcp::builder(&c.host, model);
                if let Some(password) = &c.password {
                    builder = builder.password(password.expose());
                }
                if let Some(t) = c.timeout {
                    builder = builder.timeout(seconds(name, "timeout", t)?);
                }
                Pdu::Tcp(builder.build())
            }
        })
    }
}

/// A lab's drivers: outlets by name, groups, and `pdu:outlet` for outlets
/// that have no name. From [`LabConfig::build`].
#[derive(Debug, Clone)]
pub struct Lab {
    pdus: BTreeMap<String, Pdu>,
    outlets: BTreeMap<String, Arc<dyn PowerOutlet>>,
    groups: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Clone)]
enum Pdu {
    /// Its outlets take turns on it.
    Snmp {
        pdu: SnmpPdu,
        confirm: Option<Duration>,
    },
    /// A PDU configured for one outlet (Jumpstarter's `plug`).
    Single(Arc<SnmpOutlet>),
    Web(EnergenieWeb),
    Tcp(EnergenieTcp),
}

impl Pdu {
    fn outlet(&self, index: Option<&str>) -> Result<Arc<dyn PowerOutlet>, Error> {
        let socket = |device: &str, index: Option<&str>| -> Result<u8, Error> {
            let index = index.unwrap_or("1");
            index.parse().map_err(|_| Error::InvalidOutlet {
                device: device.to_owned(),
                outlet: index.to_owned(),
                reason: "EnerGenie sockets are 1-4",
            })
        };
        Ok(match self {
            Pdu::Snmp { pdu, confirm } => {
                let index = index.ok_or_else(|| Error::InvalidOutlet {
                    device: pdu.device().to_owned(),
                    outlet: String::new(),
                    reason: "an SNMP outlet needs its number (outlet: 3)",
                })?;
                let mut builder = pdu.outlet(index);
                if let Some(confirm) = confirm {
                    builder = builder.confirm_timeout(*confirm);
                }
                Arc::new(builder.build()?)
            }
            Pdu::Single(outlet) => match index {
                None => outlet.clone(),
                Some(i)
                    if i == outlet.outlet()
                        || outlet.index().last().is_some_and(|p| p.to_string() == i) =>
                {
                    outlet.clone()
                }
                Some(i) => {
                    return Err(Error::InvalidOutlet {
                        device: outlet.device().to_owned(),
                        outlet: i.to_owned(),
                        reason: "a jumpstarter-snmp PDU has only its plug",
                    });
                }
            },
            Pdu::Web(strip) => Arc::new(strip.socket(socket(strip.device(), index)?)?),
            Pdu::Tcp(strip) => Arc::new(strip.socket(socket(strip.device(), index)?)?),
        })
    }
}

impl Lab {
    /// The outlet `name`: a named outlet, or `pdu:outlet` (`rack1:3`).
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnknownName`], [`Error::InvalidOutlet`].
    pub fn outlet(&self, name: &str) -> Result<Arc<dyn PowerOutlet>, Error> {
        if let Some(outlet) = self.outlets.get(name) {
            return Ok(outlet.clone());
        }
        if let Some((pdu, index)) = name.split_once(':')
            && let Some(pdu) = self.pdus.get(pdu)
        {
            return pdu.outlet(Some(index));
        }
        Err(ConfigError::UnknownName(name.to_owned()).into())
    }

    /// The outlets that `names` name: outlets, groups (expanded, groups of
    /// groups included) and `pdu:outlet`, each outlet once, in order.
    ///
    /// # Errors
    ///
    /// As [`Lab::outlet`], and [`ConfigError::RecursiveGroup`].
    pub fn select<S: AsRef<str>>(&self, names: &[S]) -> Result<OutletGroup, Error> {
        let mut group = OutletGroup::new();
        let mut seen = BTreeSet::new();
        for name in names {
            self.add(name.as_ref(), &mut group, &mut seen, &mut Vec::new())?;
        }
        Ok(group)
    }

    fn add(
        &self,
        name: &str,
        group: &mut OutletGroup,
        seen: &mut BTreeSet<String>,
        stack: &mut Vec<String>,
    ) -> Result<(), Error> {
        if let Some(members) = self.groups.get(name) {
            if stack.iter().any(|g| g == name) {
                return Err(ConfigError::RecursiveGroup(name.to_owned()).into());
            }
            stack.push(name.to_owned());
            for member in members {
                self.add(member, group, seen, stack)?;
            }
            stack.pop();
            return Ok(());
        }
        let outlet = self.outlet(name)?;
        // The same outlet under two names is switched once.
        let key = format!("{} {}", outlet.device(), outlet.outlet());
        if seen.insert(key) {
            group.push(name, outlet);
        }
        Ok(())
    }

    /// The names of the outlets.
    pub fn outlet_names(&self) -> impl Iterator<Item = &str> {
        self.outlets.keys().map(String::as_str)
    }

    /// The names of the groups.
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.groups.keys().map(String::as_str)
    }
}

fn snmp_security(pdu: &str, c: &SnmpPduConfig) -> Result<Security, ConfigError> {
    let version = match (c.version.as_deref(), &c.user) {
        (Some(v), _) => v.to_owned(),
        (None, Some(_)) => "3".to_owned(),
        (None, None) => "2c".to_owned(),
    };
    let community = || {
        c.community
            .as_ref()
            .map_or_else(|| "private".to_owned(), |s| s.expose().to_owned())
    };
    match version.as_str() {
        "1" => Ok(Security::v1(community())),
        "2c" | "2" => Ok(Security::v2c(community())),
        "3" => {
            let user = c.user.as_deref().ok_or_else(|| ConfigError::MissingKey {
                pdu: pdu.to_owned(),
                field: "user",
                protocol: "SNMPv3".to_owned(),
            })?;
            usm_security(
                pdu,
                user,
                c.auth_protocol.as_deref(),
                c.auth_key.as_ref(),
                c.priv_protocol.as_deref(),
                c.priv_key.as_ref(),
            )
        }
        other => Err(ConfigError::InvalidValue {
            pdu: pdu.to_owned(),
            field: "version",
            value: other.to_owned(),
            allowed: "1, 2c, 3",
        }),
    }
}

/// The security of an SNMPv3 user from Jumpstarter-style fields.
fn usm_security(
    pdu: &str,
    user: &str,
    auth_protocol: Option<&str>,
    auth_key: Option<&Secret>,
    priv_protocol: Option<&str>,
    priv_key: Option<&Secret>,
) -> Result<Security, ConfigError> {
    fn given(p: Option<&str>) -> Option<&str> {
        p.filter(|p| !p.eq_ignore_ascii_case("NONE"))
    }
    let auth = given(auth_protocol)
        .map(|p| {
            p.parse::<AuthProtocol>()
                .map_err(|_| ConfigError::InvalidValue {
                    pdu: pdu.to_owned(),
                    field: "auth_protocol",
                    value: p.to_owned(),
                    allowed: "NONE, MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512",
                })
        })
        .transpose()?;
    let privacy = given(priv_protocol)
        .map(|p| {
            p.parse::<PrivProtocol>()
                .map_err(|_| ConfigError::InvalidValue {
                    pdu: pdu.to_owned(),
                    field: "priv_protocol",
                    value: p.to_owned(),
                    allowed: "NONE, DES, AES, AES-192, AES-256, AES-192-C, AES-256-C, 3DES",
                })
        })
        .transpose()?;
    let key = |field: &'static str, key: Option<&Secret>, protocol: String| {
        key.map(|k| k.expose().to_owned())
            .ok_or_else(|| ConfigError::MissingKey {
                pdu: pdu.to_owned(),
                field,
                protocol,
            })
    };
    let level = match (auth, privacy) {
        (None, None) => SecurityLevel::NoAuthNoPriv,
        (None, Some(privacy)) => {
            return Err(ConfigError::PrivacyWithoutAuth {
                pdu: pdu.to_owned(),
                priv_protocol: privacy.to_string(),
            });
        }
        (Some(auth), None) => SecurityLevel::AuthNoPriv {
            auth,
            auth_password: key("auth_key", auth_key, auth.to_string())?,
        },
        (Some(auth), Some(privacy)) => SecurityLevel::AuthPriv {
            auth,
            auth_password: key("auth_key", auth_key, auth.to_string())?,
            privacy,
            privacy_password: key("priv_key", priv_key, privacy.to_string())?,
        },
    };
    let user = UsmUser::new(user.to_owned(), level).map_err(|e| ConfigError::Key {
        pdu: pdu.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Security::v3(user))
}

/// The manager of the PDU at `host:port` on `engine`, each request waiting
/// `timeout` seconds.
async fn manager(
    engine: &Engine,
    pdu: &str,
    host: &str,
    port: u16,
    security: Security,
    timeout: f64,
) -> Result<Manager, ConfigError> {
    let target = resolve(engine, pdu, host, port).await?;
    Ok(engine
        .manager(target, security)
        .timeout(seconds(pdu, "timeout", timeout)?)
        .build())
}

/// `host:port`, resolved; an address of the engine's family first.
async fn resolve(
    engine: &Engine,
    pdu: &str,
    host: &str,
    port: u16,
) -> Result<SocketAddr, ConfigError> {
    let error = |message: String| ConfigError::Resolve {
        pdu: pdu.to_owned(),
        host: host.to_owned(),
        message,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| error(e.to_string()))?
        .collect();
    let v6 = engine.local_addr().is_ok_and(|a| a.is_ipv6());
    addrs
        .iter()
        .find(|a| a.is_ipv6() == v6)
        .or(addrs.first())
        .copied()
        .ok_or_else(|| error("no address".to_owned()))
}

fn yaml_error(e: serde_yaml::Error) -> ConfigError {
    ConfigError::Parse {
        format: "YAML",
        message: e.to_string(),
    }
}

fn seconds(pdu: &str, field: &'static str, s: f64) -> Result<Duration, ConfigError> {
    Duration::try_from_secs_f64(s).map_err(|_| ConfigError::InvalidValue {
        pdu: pdu.to_owned(),
        field,
        value: s.to_string(),
        allowed: "seconds, 0 or more",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `examples/exporter.yaml` of jumpstarter-driver-snmp.
    const JUMPSTARTER_EXPORTER: &str = r#"
export:
  power:
    type: "jumpstarter_driver_snmp.driver.SNMPServer"
    config:
      host: "pdu.mgmt.com"
      user: "labuser"
      plug: 32
      oid: "1.3.6.1.4.1.13742.6.4.1.2.1.2.1"
"#;

    #[test]
    fn jumpstarter_exporter_example_loads() {
        let lab = LabConfig::from_jumpstarter_exporter(JUMPSTARTER_EXPORTER).unwrap();
        let PduConfig::JumpstarterSnmp(c) = &lab.pdus["power"] else {
            panic!("{:?}", lab.pdus)
        };
        assert_eq!(c.host, "pdu.mgmt.com");
        assert_eq!(c.user, "labuser");
        assert_eq!(c.plug, 32);
        assert_eq!(c.port, 161);
        assert_eq!(c.timeout, 5.0);
        assert_eq!(c.auth_protocol, "NONE");
        assert!(matches!(c.security("power").unwrap(), Security::V3(_)));
        // Raritan's switchingOperation.1 is the raritan-px2 profile, pduId 1.
        let (profile, outlet) = c.profile().unwrap();
        assert_eq!(profile.name, "raritan-px2");
        assert_eq!(outlet, "1.32");
        assert_eq!(lab.outlets["power"].pdu, "power");
    }

    #[test]
    fn jumpstarter_defaults_and_other_oids() {
        let c: SnmpServerConfig = serde_yaml::from_str(
            "host: h\nuser: u\nplug: 4\noid: .1.3.6.1.4.1.318.1.1.12.3.3.1.1.4",
        )
        .unwrap();
        let (profile, outlet) = c.profile().unwrap();
        assert_eq!((profile.name.as_str(), outlet.as_str()), ("apc-rpdu", "4"));
        let c: SnmpServerConfig = serde_yaml::from_str("host: h\nuser: u\nplug: 2").unwrap();
        assert_eq!(c.oid, "1.3.6.1.4.1.13742.6.4.1.2.1.2.1");
        assert_eq!(c.profile().unwrap().1, "1.2");
        let c: SnmpServerConfig =
            serde_yaml::from_str("host: h\nuser: u\nplug: 0\noid: 1.3.6.1.4.1.8072.9999.1")
                .unwrap();
        let (profile, outlet) = c.profile().unwrap();
        assert_eq!(profile.name, "1.3.6.1.4.1.8072.9999.1.*");
        assert_eq!(outlet, "0");
        // Unknown fields are typos, as Jumpstarter's dataclass has them.
        assert!(
            serde_yaml::from_str::<SnmpServerConfig>("host: h\nuser: u\nplug: 1\nplugs: 2")
                .is_err()
        );
    }

    #[test]
    fn jumpstarter_defects_are_errors_now() {
        let c: SnmpServerConfig = serde_yaml::from_str(
            "host: h\nuser: u\nplug: 1\npriv_protocol: AES\npriv_key: privpassphrase",
        )
        .unwrap();
        assert!(matches!(
            c.security("pdu"),
            Err(ConfigError::PrivacyWithoutAuth { .. })
        ));
        let c: SnmpServerConfig =
            serde_yaml::from_str("host: h\nuser: u\nplug: 1\nauth_protocol: SHA").unwrap();
        assert!(matches!(
            c.security("pdu"),
            Err(ConfigError::MissingKey {
                field: "auth_key",
                ..
            })
        ));
        let c: SnmpServerConfig = serde_yaml::from_str(
            "host: h\nuser: u\nplug: 1\nauth_protocol: SHA\nauth_key: authpassphrase\npriv_protocol: DES",
        )
        .unwrap();
        assert!(matches!(
            c.security("pdu"),
            Err(ConfigError::MissingKey {
                field: "priv_key",
                ..
            })
        ));
        let c: SnmpServerConfig =
            serde_yaml::from_str("host: h\nuser: u\nplug: 1\nauth_protocol: SHA\nauth_key: short")
                .unwrap();
        assert!(matches!(c.security("pdu"), Err(ConfigError::Key { .. })));
        let c: SnmpServerConfig = serde_yaml::from_str(
            "host: h\nuser: u\nplug: 1\nauth_protocol: RC4\nauth_key: authpassphrase",
        )
        .unwrap();
        assert!(matches!(
            c.security("pdu"),
            Err(ConfigError::InvalidValue { .. })
        ));
        // Keys are not printed.
        let c: SnmpServerConfig = serde_yaml::from_str(
            "host: h\nuser: u\nplug: 1\nauth_protocol: SHA\nauth_key: topsecret1",
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("topsecret1"));
    }

    #[test]
    fn lab_file_in_yaml_and_toml() {
        let yaml = r#"
profiles:
  relay:
    control: { oid: "1.3.6.1.4.1.99999.1.*", on: 1, off: 0 }
pdus:
  rack1: { driver: snmp, host: 127.0.0.1, port: 1161, profile: apc-rpdu2, community: private }
  rack2: { driver: snmp, host: 127.0.0.1, profile: relay, version: "1" }
  strip: { driver: energenie-web, host: "127.0.0.1:8080", password: "1" }
  strip2: { driver: energenie-tcp, host: "127.0.0.1", model: pms20 }
outlets:
  dut1: { pdu: rack1, outlet: 3 }
  dut2: { pdu: rack2, outlet: "7" }
  hub: { pdu: strip, outlet: 2 }
groups:
  bench: [dut1, hub]
  all: [bench, dut2]
"#;
        let lab = LabConfig::from_yaml(yaml).unwrap();
        assert_eq!(lab.pdus.len(), 4);
        assert_eq!(
            lab.outlets["dut2"].outlet,
            Some(OutletIndex::Dotted("7".into()))
        );
        let toml = r#"
[pdus.rack1]
driver = "snmp"
host = "127.0.0.1"
profile = "sentry3"

[outlets.dut1]
pdu = "rack1"
outlet = "1.2.3"

[groups]
bench = ["dut1"]
"#;
        let lab = LabConfig::from_toml(toml).unwrap();
        assert!(matches!(lab.pdus["rack1"], PduConfig::Snmp(_)));
        assert!(matches!(
            LabConfig::from_yaml("pdus: { x: { driver: telnet, host: h } }"),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[tokio::test]
    async fn lab_builds_and_selects() {
        let lab = LabConfig::from_yaml(
            r#"
pdus:
  rack1: { driver: snmp, host: 127.0.0.1, port: 1161, profile: sentry3 }
  strip: { driver: energenie-web, host: "127.0.0.1:8080" }
outlets:
  dut1: { pdu: rack1, outlet: 3 }
  dut1-again: { pdu: rack1, outlet: "1.1.3" }
  hub: { pdu: strip, outlet: 2 }
groups:
  bench: [dut1, hub]
  all: [bench, dut1-again, "rack1:5"]
  loop1: [loop2]
  loop2: [loop1]
"#,
        )
        .unwrap();
        let engine = Engine::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let lab = lab.build(&engine).await.unwrap();
        let all = lab.select(&["all"]).unwrap();
        // dut1-again is dut1: once.
        assert_eq!(all.names(), ["dut1", "hub", "rack1:5"]);
        assert_eq!(all.outlets()[0].outlet(), "1.1.3");
        assert_eq!(all.outlets()[2].outlet(), "1.1.5");
        assert!(matches!(
            lab.select(&["loop1"]),
            Err(Error::Config(ConfigError::RecursiveGroup(_)))
        ));
        assert!(matches!(
            lab.select(&["nope"]),
            Err(Error::Config(ConfigError::UnknownName(_)))
        ));
        assert!(matches!(
            lab.outlet("strip:5"),
            Err(Error::InvalidOutlet { .. })
        ));
    }

    #[tokio::test]
    async fn lab_errors() {
        let engine = Engine::bind("127.0.0.1:0".parse().unwrap()).unwrap();
        for (yaml, want) in [
            (
                "pdus: { r: { driver: snmp, host: 127.0.0.1, profile: nope } }",
                "no profile",
            ),
            (
                "pdus: { r: { driver: snmp, host: 127.0.0.1 } }\noutlets: { a: { pdu: s, outlet: 1 } }",
                "no PDU",
            ),
            (
                "pdus: { r: { driver: snmp, host: 127.0.0.1, version: \"4\" } }",
                "version",
            ),
            (
                "pdus: { r: { driver: snmp, host: 127.0.0.1, timeout: -1 } }",
                "timeout",
            ),
            ("groups: { g: [missing] }", "missing"),
        ] {
            let e = LabConfig::from_yaml(yaml)
                .unwrap()
                .build(&engine)
                .await
                .unwrap_err();
            assert!(e.to_string().contains(want), "{yaml}: {e}");
        }
    }
}
