//! Targets from a TOML inventory file.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use snmux_engine::Oid;
use snmux_manager::{AuthProtocol, PrivProtocol, Security, SecurityLevel, UsmUser};

use crate::pacing::BreakerConfig;
use crate::{Error, InvalidField, PduProfile, Target, TargetOptions};

/// Most addresses one `hosts` entry (a prefix or range) may hold.
pub const MAX_ADDRESSES: u64 = 65_536;

/// Most targets one `[[target]]` table may expand to (hosts × ports ×
/// communities).
pub const MAX_TARGETS_PER_TABLE: u64 = 1 << 20;

/// An inventory: targets, and optionally the poller's interval and overall
/// cap, from a TOML file.
///
/// # The file
///
/// ```toml
/// [poller]                  # optional
/// interval = "30s"          # continuous polling; absent: one round
/// max_in_flight = 1024      # requests in flight to all targets together
///
/// [defaults]                # optional: any target field but name and hosts
/// version = "2c"
/// community = "public"
/// timeout = "1s"            # per try, as net-snmp's -t
/// retries = 4               # as net-snmp's -r: 5 tries, 5 s in all
///
/// [sets]                    # named OID sets, for `get`
/// system = ["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.3.0"]
///
/// [[target]]
/// name = "row-1"            # optional
/// hosts = ["10.0.1.0/28", "10.0.2.10-10.0.2.19", "192.0.2.7", "pdu.example.net"]
/// port = 161                # or a range: "20000-20999"
/// profile = "apc-rpdu"      # the outlet table of a PDU profile
/// get = ["system", "1.3.6.1.2.1.1.1.0"]   # set names, or OIDs
/// walk = ["1.3.6.1.2.1.2.2.1.2"]
/// max_repetitions = 25
///
/// [[target]]
/// hosts = ["10.0.3.5"]
/// user = "ops"              # SNMPv3 (version 3 is implied)
/// level = "authPriv"        # noAuthNoPriv, authNoPriv, authPriv (or noauth, auth, priv)
/// auth_protocol = "SHA-256" # MD5 (default), SHA, SHA-224, SHA-256, SHA-384, SHA-512
/// auth_passphrase = "auth passphrase"
/// privacy_protocol = "AES"  # DES (default), AES, AES-192, AES-256, AES-192-C, AES-256-C, 3DES
/// privacy_passphrase = "privacy passphrase"
/// walk = ["1.3.6.1.2.1.1"]
/// ```
///
/// Target fields (each also allowed in `[defaults]`, except `name`,
/// `hosts` and `communities`):
///
/// - `hosts` (or `host`): IP addresses, CIDR prefixes (an IPv4 prefix up
///   to /30 leaves out its network and broadcast addresses), `FIRST-LAST`
///   ranges, host names (resolved when the file is loaded; the first
///   address). At most 65,536 addresses per entry.
/// - `port`: a port or a `FIRST-LAST` range; every host at every port.
///   Default 161.
/// - `version`: `"1"`, `"2c"` or `"3"`. Default `"2c"`, or `"3"` with
///   `user`.
/// - `community` (default `"public"`), or `communities`: a list, one
///   target per community at each address (agents that share a port, as
///   snmpsim's).
/// - SNMPv3: `user`, `level`, `auth_protocol`, `auth_passphrase`,
///   `privacy_protocol`, `privacy_passphrase`, `context` (net-snmp's
///   names and defaults, as `snmux get -v3`).
/// - What to collect (at least one): `get` (names of `[sets]`, or OIDs:
///   one GET request per entry), `walk` (subtrees), `profile` (`apc-rpdu`,
///   `apc-rpdu2`, `apc-masterswitch`, `raritan`, `sentry3`, `sentry4`,
///   `eaton`, `cyberpower`, `poe`: see [`PduProfile`]).
/// - `timeout` (per try, default `"1s"`) and `retries` (default 4),
///   `max_repetitions` (default 10), `max_in_flight` (per target, default
///   2), `min_gap` (default `"10ms"`), `breaker_failures` (default 3; 0
///   never opens) and `breaker_cooldown` (default `"30s"`). Durations as
///   `500ms`, `5s`, `1m 30s`.
///
/// Names: a target is named `name` if its table gives one and expands to
/// one target; otherwise after its address (`10.0.1.1:161`), or its
/// community with `communities`, prefixed with `name/` if given.
///
/// # Errors
///
/// [`Error::Io`], [`Error::Syntax`] (TOML syntax, unknown fields, wrong
/// types; with line and column), and [`Error::Inventory`] naming the file,
/// the table and the field.
#[derive(Debug)]
#[non_exhaustive]
pub struct Inventory {
    /// The targets, in file order (each table's hosts, then ports, then
    /// communities, in order).
    pub targets: Vec<Target>,
    /// `[poller] interval`.
    pub interval: Option<Duration>,
    /// `[poller] max_in_flight`.
    pub max_in_flight: Option<usize>,
}

impl Inventory {
    /// Reads and checks the inventory at `path`.
    ///
    /// # Errors
    ///
    /// As the [type's](Inventory#errors).
    pub fn load(path: impl AsRef<Path>) -> Result<Inventory, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            file: path.to_owned(),
            source,
        })?;
        Inventory::parse(&text, path)
    }

    /// Checks the inventory `text`; `file` names it in errors.
    ///
    /// # Errors
    ///
    /// As the [type's](Inventory#errors), but [`Error::Io`].
    pub fn parse(text: &str, file: impl AsRef<Path>) -> Result<Inventory, Error> {
        let file = file.as_ref().to_owned();
        let raw: RawInventory = toml::from_str(text).map_err(|e| Error::Syntax {
            file: file.clone(),
            source: Box::new(e),
        })?;
        let cx = Context { file: &file };
        let poller = raw.poller.unwrap_or_default();
        let interval = poller
            .interval
            .as_deref()
            .map(|d| duration(d).map_err(|r| cx.error("poller", "interval", r)))
            .transpose()?;
        let max_in_flight = poller
            .max_in_flight
            .map(|n| range(n, 1, 1 << 20).map_err(|r| cx.error("poller", "max_in_flight", r)))
            .transpose()?
            .map(|n| n as usize);

        let mut sets = BTreeMap::new();
        for (name, oids) in &raw.sets {
            let table = format!("sets.{name}");
            let oids = oids
                .iter()
                .map(|o| oid(o).map_err(|r| cx.error(&table, "oids", r)))
                .collect::<Result<Vec<_>, _>>()?;
            sets.insert(name.clone(), oids);
        }

        let defaults = raw.defaults.unwrap_or_default();
        if let Some(field) = [
            ("name", defaults.name.is_some()),
            ("hosts", defaults.hosts.is_some() || defaults.host.is_some()),
            ("communities", defaults.communities.is_some()),
        ]
        .into_iter()
        .find_map(|(f, given)| given.then_some(f))
        {
            return Err(cx.error(
                "defaults",
                field,
                InvalidField::NotHere("a field of each [[target]], not of [defaults]"),
            ));
        }
        let mut targets = Vec::new();
        for (i, raw) in raw.target.iter().enumerate() {
            let first_host = raw
                .hosts
                .as_ref()
                .and_then(|h| h.first())
                .or(raw.host.as_ref());
            let label = match (&raw.name, first_host) {
                (Some(name), _) => format!("target[{i}] (name {name:?})"),
                (None, Some(host)) => format!("target[{i}] (host {host:?})"),
                (None, None) => format!("target[{i}]"),
            };
            let table = Table {
                cx: &cx,
                label: &label,
                own: raw,
                defaults: &defaults,
                sets: &sets,
            };
            table.expand(&mut targets)?;
        }
        Ok(Inventory {
            targets,
            interval,
            max_in_flight,
        })
    }
}

struct Context<'a> {
    file: &'a PathBuf,
}

impl Context<'_> {
    fn error(&self, table: &str, field: &str, reason: InvalidField) -> Error {
        Error::inventory(self.file, table, field, reason)
    }
}

/// One `[[target]]` with `[defaults]` behind it.
struct Table<'a> {
    cx: &'a Context<'a>,
    label: &'a str,
    own: &'a RawTarget,
    defaults: &'a RawTarget,
    sets: &'a BTreeMap<String, Vec<Oid>>,
}

/// A field of the target, else of the defaults.
macro_rules! field {
    ($t:expr, $f:ident) => {
        $t.own.$f.as_ref().or($t.defaults.$f.as_ref())
    };
}

impl Table<'_> {
    fn error(&self, field: &str, reason: InvalidField) -> Error {
        self.cx.error(self.label, field, reason)
    }

    fn expand(&self, out: &mut Vec<Target>) -> Result<(), Error> {
        let hosts: Vec<&String> = match (&self.own.hosts, &self.own.host) {
            (Some(hosts), _) if !hosts.is_empty() => hosts.iter().collect(),
            (_, Some(host)) => vec![host],
            _ => return Err(self.error("hosts", InvalidField::Missing)),
        };
        let (first_port, last_port) = match field!(self, port) {
            None => (161, 161),
            Some(p) => port_range(p).map_err(|r| self.error("port", r))?,
        };
        let security = self.security()?;
        let options = self.options()?;
        let jobs = self.jobs()?;
        if jobs.is_empty() {
            return Err(self.error("get", InvalidField::NothingToCollect));
        }

        let mut addresses = Vec::new();
        for host in hosts {
            expand_host(host, first_port, &mut addresses).map_err(|r| self.error("hosts", r))?;
        }
        let ports = u64::from(last_port - first_port) + 1;
        let per_address = security.len() as u64;
        let count = (addresses.len() as u64)
            .saturating_mul(ports)
            .saturating_mul(per_address);
        if count > MAX_TARGETS_PER_TABLE {
            return Err(self.error(
                "hosts",
                InvalidField::TooManyAddresses {
                    count,
                    max: MAX_TARGETS_PER_TABLE,
                },
            ));
        }
        let single = count == 1;
        for ip in addresses {
            for port in first_port..=last_port {
                let addr = SocketAddr::new(ip, port);
                for (community, security) in &security {
                    let base = match community {
                        Some(c) => c.clone(),
                        None => addr.to_string(),
                    };
                    let name = match (&self.own.name, single) {
                        (Some(name), true) => name.clone(),
                        (Some(name), false) => format!("{name}/{base}"),
                        (None, _) => base,
                    };
                    let mut target = Target::new(addr, security.clone())
                        .named(name)
                        .with_options(options);
                    for job in &jobs {
                        target = target.job(job.clone());
                    }
                    out.push(target);
                }
            }
        }
        Ok(())
    }

    /// The security of each target at one address: one, or one per
    /// community of `communities` (with the community, for the name).
    fn security(&self) -> Result<Vec<(Option<String>, Security)>, Error> {
        let own = self.own;
        let user = field!(self, user);
        let version = match field!(self, version) {
            Some(v) => version(v).map_err(|r| self.error("version", r))?,
            None if user.is_some() => Version::V3,
            None => Version::V2c,
        };
        if version == Version::V3 {
            if own.community.is_some() || own.communities.is_some() {
                let field = if own.community.is_some() {
                    "community"
                } else {
                    "communities"
                };
                return Err(self.error(
                    field,
                    InvalidField::NotHere("SNMPv3 has no community; give user and level"),
                ));
            }
            let user = self.usm_user()?;
            return Ok(vec![(None, Security::v3(user))]);
        }
        for (field, given) in [
            ("user", own.user.is_some()),
            ("level", own.level.is_some()),
            ("auth_protocol", own.auth_protocol.is_some()),
            ("auth_passphrase", own.auth_passphrase.is_some()),
            ("privacy_protocol", own.privacy_protocol.is_some()),
            ("privacy_passphrase", own.privacy_passphrase.is_some()),
            ("context", own.context.is_some()),
        ] {
            if given {
                return Err(self.error(
                    field,
                    InvalidField::NotHere("an SNMPv3 option; use version = \"3\" with it"),
                ));
            }
        }
        let make = |c: &str| match version {
            Version::V1 => Security::v1(c.as_bytes().to_vec()),
            _ => Security::v2c(c.as_bytes().to_vec()),
        };
        if let Some(list) = &own.communities {
            if own.community.is_some() {
                return Err(self.error(
                    "communities",
                    InvalidField::NotHere("give community or communities, not both"),
                ));
            }
            if list.is_empty() {
                return Err(self.error("communities", InvalidField::Missing));
            }
            return Ok(list.iter().map(|c| (Some(c.clone()), make(c))).collect());
        }
        let community = field!(self, community).map_or("public", String::as_str);
        Ok(vec![(None, make(community))])
    }

    fn usm_user(&self) -> Result<UsmUser, Error> {
        let name = field!(self, user).ok_or_else(|| self.error("user", InvalidField::Missing))?;
        let level = match field!(self, level) {
            Some(l) => level(l).map_err(|r| self.error("level", r))?,
            None => Level::NoAuthNoPriv,
        };
        let auth = field!(self, auth_protocol)
            .map(|p| {
                p.parse::<AuthProtocol>().map_err(|_| {
                    self.error(
                        "auth_protocol",
                        InvalidField::Name {
                            value: p.clone(),
                            expected: "MD5, SHA, SHA-224, SHA-256, SHA-384 or SHA-512",
                        },
                    )
                })
            })
            .transpose()?;
        let privacy = field!(self, privacy_protocol)
            .map(|p| {
                p.parse::<PrivProtocol>().map_err(|_| {
                    self.error(
                        "privacy_protocol",
                        InvalidField::Name {
                            value: p.clone(),
                            expected: "DES, AES, AES-192, AES-256, AES-192-C, AES-256-C or 3DES",
                        },
                    )
                })
            })
            .transpose()?;
        let auth_password = field!(self, auth_passphrase);
        let privacy_password = field!(self, privacy_passphrase);
        let unused = |field: &str| {
            self.error(
                field,
                InvalidField::NotHere("not used at this level (set level to use it)"),
            )
        };
        let need = |field: &str, v: Option<&String>| {
            v.cloned()
                .ok_or_else(|| self.error(field, InvalidField::Missing))
        };
        let security_level = match level {
            Level::NoAuthNoPriv => {
                if auth.is_some() || auth_password.is_some() {
                    return Err(unused(if auth.is_some() {
                        "auth_protocol"
                    } else {
                        "auth_passphrase"
                    }));
                }
                if privacy.is_some() || privacy_password.is_some() {
                    return Err(unused("privacy_protocol"));
                }
                SecurityLevel::NoAuthNoPriv
            }
            Level::AuthNoPriv => {
                if privacy.is_some() || privacy_password.is_some() {
                    return Err(unused(if privacy.is_some() {
                        "privacy_protocol"
                    } else {
                        "privacy_passphrase"
                    }));
                }
                SecurityLevel::AuthNoPriv {
                    auth: auth.unwrap_or(AuthProtocol::Md5),
                    auth_password: need("auth_passphrase", auth_password)?,
                }
            }
            Level::AuthPriv => SecurityLevel::AuthPriv {
                auth: auth.unwrap_or(AuthProtocol::Md5),
                auth_password: need("auth_passphrase", auth_password)?,
                privacy: privacy.unwrap_or(PrivProtocol::Des),
                privacy_password: need("privacy_passphrase", privacy_password)?,
            },
        };
        let passphrase_field = match level {
            Level::AuthPriv => "privacy_passphrase",
            _ => "auth_passphrase",
        };
        let user = UsmUser::new(name.clone().into_bytes(), security_level)
            .map_err(|e| self.error(passphrase_field, InvalidField::Usm(e.to_string())))?;
        Ok(match field!(self, context) {
            Some(context) => user.context_name(context.clone().into_bytes()),
            None => user,
        })
    }

    fn options(&self) -> Result<TargetOptions, Error> {
        let mut o = TargetOptions::default();
        let per_try = match field!(self, timeout) {
            Some(d) => duration(d).map_err(|r| self.error("timeout", r))?,
            None => Duration::from_secs(1),
        };
        if per_try.is_zero() {
            return Err(self.error("timeout", InvalidField::Duration("0s".into())));
        }
        let retries = match field!(self, retries) {
            Some(&n) => range(n, 0, 100).map_err(|r| self.error("retries", r))? as u32,
            None => 4,
        };
        o.retries(per_try, retries);
        if let Some(&n) = field!(self, max_repetitions) {
            o.max_repetitions =
                range(n, 1, 65_535).map_err(|r| self.error("max_repetitions", r))? as u32;
        }
        if let Some(&n) = field!(self, max_in_flight) {
            o.max_in_flight =
                range(n, 1, 1024).map_err(|r| self.error("max_in_flight", r))? as usize;
        }
        if let Some(d) = field!(self, min_gap) {
            o.min_gap = duration(d).map_err(|r| self.error("min_gap", r))?;
        }
        let mut breaker = BreakerConfig::default();
        if let Some(&n) = field!(self, breaker_failures) {
            breaker.failures =
                range(n, 0, 1_000_000).map_err(|r| self.error("breaker_failures", r))? as u32;
        }
        if let Some(d) = field!(self, breaker_cooldown) {
            breaker.cooldown = duration(d).map_err(|r| self.error("breaker_cooldown", r))?;
        }
        o.breaker = breaker;
        Ok(o)
    }

    fn jobs(&self) -> Result<Vec<crate::Job>, Error> {
        let mut jobs = Vec::new();
        for entry in field!(self, get).into_iter().flatten() {
            let job = match self.sets.get(entry) {
                Some(oids) => crate::Job::Get {
                    name: Arc::from(entry.as_str()),
                    oids: oids.clone(),
                },
                None if entry.starts_with(|c: char| c.is_ascii_digit() || c == '.') => {
                    crate::Job::Get {
                        name: Arc::from(entry.trim_start_matches('.')),
                        oids: vec![oid(entry).map_err(|r| self.error("get", r))?],
                    }
                }
                None => return Err(self.error("get", InvalidField::UnknownSet(entry.clone()))),
            };
            jobs.push(job);
        }
        for entry in field!(self, walk).into_iter().flatten() {
            let root = oid(entry).map_err(|r| self.error("walk", r))?;
            jobs.push(crate::Job::Walk {
                name: format!("walk {root}").into(),
                root,
            });
        }
        if let Some(name) = field!(self, profile) {
            let profile: PduProfile = name.parse().map_err(|_| {
                self.error(
                    "profile",
                    InvalidField::Name {
                        value: name.clone(),
                        expected: crate::profile::PROFILE_NAMES,
                    },
                )
            })?;
            for (column, root) in profile.roots() {
                jobs.push(crate::Job::Walk {
                    name: column.into(),
                    root,
                });
            }
        }
        Ok(jobs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2c,
    V3,
}

/// securityLevel, in RFC 3411's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::enum_variant_names)]
enum Level {
    NoAuthNoPriv,
    AuthNoPriv,
    AuthPriv,
}

fn version(v: &NumOrText) -> Result<Version, InvalidField> {
    let text = match v {
        NumOrText::Num(n) => n.to_string(),
        NumOrText::Text(t) => t.clone(),
    };
    match text.to_ascii_lowercase().as_str() {
        "1" => Ok(Version::V1),
        "2c" => Ok(Version::V2c),
        "3" => Ok(Version::V3),
        _ => Err(InvalidField::Version(text)),
    }
}

/// net-snmp's level names (`snmplib/snmpv3.c`), case-insensitive.
fn level(s: &str) -> Result<Level, InvalidField> {
    match s.to_ascii_lowercase().as_str() {
        "noauthnopriv" | "noauth" | "nanp" | "1" => Ok(Level::NoAuthNoPriv),
        "authnopriv" | "auth" | "anp" | "2" => Ok(Level::AuthNoPriv),
        "authpriv" | "priv" | "ap" | "3" => Ok(Level::AuthPriv),
        _ => Err(InvalidField::Name {
            value: s.to_owned(),
            expected: "noAuthNoPriv, authNoPriv or authPriv (or noauth, auth, priv)",
        }),
    }
}

fn oid(s: &str) -> Result<Oid, InvalidField> {
    s.parse().map_err(|_| InvalidField::Oid(s.to_owned()))
}

fn duration(s: &str) -> Result<Duration, InvalidField> {
    humantime::parse_duration(s).map_err(|_| InvalidField::Duration(s.to_owned()))
}

fn range(n: i64, min: i64, max: i64) -> Result<i64, InvalidField> {
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(InvalidField::OutOfRange { value: n, min, max })
    }
}

fn port_range(p: &NumOrText) -> Result<(u16, u16), InvalidField> {
    let bad = || {
        InvalidField::Port(match p {
            NumOrText::Num(n) => n.to_string(),
            NumOrText::Text(t) => t.clone(),
        })
    };
    let one = |s: &str| s.trim().parse::<u16>().ok().filter(|&p| p != 0);
    let (first, last) = match p {
        NumOrText::Num(n) => {
            let port = u16::try_from(*n).ok().filter(|&p| p != 0).ok_or_else(bad)?;
            (port, port)
        }
        NumOrText::Text(t) => match t.split_once('-') {
            Some((a, b)) => (one(a).ok_or_else(bad)?, one(b).ok_or_else(bad)?),
            None => {
                let port = one(t).ok_or_else(bad)?;
                (port, port)
            }
        },
    };
    if last < first {
        return Err(bad());
    }
    Ok((first, last))
}

/// Appends the addresses of one `hosts` entry to `out`.
fn expand_host(host: &str, port: u16, out: &mut Vec<IpAddr>) -> Result<(), InvalidField> {
    let host = host.trim();
    let plain = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = plain.parse::<IpAddr>() {
        out.push(ip);
        return Ok(());
    }
    if let Some((net, prefix)) = host.split_once('/') {
        let net: IpAddr = net
            .parse()
            .map_err(|_| InvalidField::Host(host.to_owned()))?;
        let prefix: u32 = prefix
            .parse()
            .map_err(|_| InvalidField::Host(host.to_owned()))?;
        return expand_prefix(host, net, prefix, out);
    }
    if let Some((a, b)) = host.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>()) {
            let (a, b) = match (a, b) {
                (IpAddr::V4(a), IpAddr::V4(b)) => {
                    (u128::from(u32::from(a)), u128::from(u32::from(b)))
                }
                (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b)),
                _ => return Err(InvalidField::Range(host.to_owned())),
            };
            if b < a {
                return Err(InvalidField::Range(host.to_owned()));
            }
            let v4 = matches!(
                host.split_once('-')
                    .map(|(x, _)| x.trim().parse::<IpAddr>()),
                Some(Ok(IpAddr::V4(_)))
            );
            return push_span(a, b, v4, out);
        }
    }
    // A host name: resolved now.
    let resolved = (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| InvalidField::Host(host.to_owned()))?;
    out.push(resolved.ip());
    Ok(())
}

fn expand_prefix(
    host: &str,
    net: IpAddr,
    prefix: u32,
    out: &mut Vec<IpAddr>,
) -> Result<(), InvalidField> {
    let bits = if net.is_ipv4() { 32 } else { 128 };
    if prefix > bits {
        return Err(InvalidField::Host(host.to_owned()));
    }
    let host_bits = bits - prefix;
    let base = match net {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    let mask = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    let first = base & !mask;
    let last = first | mask;
    let (first, last) = if net.is_ipv4() && host_bits >= 2 {
        // Leave out the network and broadcast addresses.
        (first + 1, last - 1)
    } else {
        (first, last)
    };
    push_span(first, last, net.is_ipv4(), out)
}

fn push_span(first: u128, last: u128, v4: bool, out: &mut Vec<IpAddr>) -> Result<(), InvalidField> {
    let count = last - first + 1;
    if count > u128::from(MAX_ADDRESSES) {
        return Err(InvalidField::TooManyAddresses {
            count: u64::try_from(count).unwrap_or(u64::MAX),
            max: MAX_ADDRESSES,
        });
    }
    for a in first..=last {
        out.push(if v4 {
            IpAddr::V4(Ipv4Addr::from(a as u32))
        } else {
            IpAddr::V6(Ipv6Addr::from(a))
        });
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    poller: Option<RawPoller>,
    defaults: Option<RawTarget>,
    #[serde(default)]
    sets: BTreeMap<String, Vec<String>>,
    #[serde(default, alias = "targets")]
    target: Vec<RawTarget>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPoller {
    interval: Option<String>,
    max_in_flight: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: Option<String>,
    hosts: Option<Vec<String>>,
    host: Option<String>,
    port: Option<NumOrText>,
    version: Option<NumOrText>,
    community: Option<String>,
    communities: Option<Vec<String>>,
    user: Option<String>,
    level: Option<String>,
    auth_protocol: Option<String>,
    auth_passphrase: Option<String>,
    privacy_protocol: Option<String>,
    privacy_passphrase: Option<String>,
    context: Option<String>,
    get: Option<Vec<String>>,
    walk: Option<Vec<String>>,
    profile: Option<String>,
    timeout: Option<String>,
    retries: Option<i64>,
    max_repetitions: Option<i64>,
    max_in_flight: Option<i64>,
    min_gap: Option<String>,
    breaker_failures: Option<i64>,
    breaker_cooldown: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum NumOrText {
    Num(i64),
    Text(String),
}
