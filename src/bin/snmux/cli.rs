//! Command-line syntax: subcommands and net-snmp's familiar options.

use std::fmt;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use snmux::{Oid, Security};

use crate::agent::AgentSpec;
use crate::poll::PollArgs;
use crate::set::TYPE_LETTERS;
use crate::sim::SimArgs;
use crate::v3::{V3Args, V3Security, V3User};

/// snmux: an SNMP manager for the command line (SNMPv1, v2c and v3 over
/// UDP).
///
/// Options and output follow net-snmp's snmpget, snmpgetnext, snmpbulkget,
/// snmpbulkwalk and snmpset with `-On`: one varbind per line,
/// `.OID = TYPE: value`.
#[derive(Debug, Parser)]
#[command(
    name = "snmux",
    version,
    after_help = "\
Examples:
  snmux get -v2c -c public 192.0.2.10 1.3.6.1.2.1.1.1.0 1.3.6.1.2.1.1.5.0
  snmux walk -c public [2001:db8::10]:161 1.3.6.1.2.1.2.2.1.2
  snmux bulkget -Cn1 -Cr5 udp:switch.example:161 1.3.6.1.2.1.1.3.0 1.3.6.1.2.1.2.2.1.10
  snmux set -c private 192.0.2.10 1.3.6.1.2.1.1.4.0 s ops@example.net
  snmux get -v3 -l authPriv -u ops -a SHA-256 -A authpass -x AES -X privpass h 1.3.6.1.2.1.1.5.0
  snmux outlet off -f lab.yaml bench
  snmux outlet read -n 0 -i 2 --snmp 192.0.2.7 --profile apc-rpdu2 -c private 5

Errors print one line on stderr and exit with status 1; usage errors exit with status 2."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The operations.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// GET: the value of each OID, like snmpget.
    Get(OidsArgs),
    /// GETNEXT: the object instance after each OID, like snmpgetnext.
    #[command(name = "getnext")]
    GetNext(OidsArgs),
    /// GETBULK (SNMPv2c and v3): like snmpbulkget.
    #[command(name = "bulkget")]
    BulkGet(BulkGetArgs),
    /// Walk a subtree: GETBULK on v2c and v3, GETNEXT on v1; like
    /// snmpbulkwalk.
    #[command(visible_alias = "bulkwalk")]
    Walk(WalkArgs),
    /// SET: write values in one request, like snmpset.
    Set(SetArgs),
    /// Poll many agents at once, from an inventory file or the command
    /// line: one-shot or every --interval; a table, --json or --csv.
    Poll(PollArgs),
    /// Switch and read power outlets: SNMP PDUs and EnerGenie strips.
    ///
    /// TARGETs are outlet and group names of the lab file (-f FILE: YAML,
    /// TOML, or a Jumpstarter exporter configuration), or PDU:OUTLET; with
    /// --snmp, --energenie or --energenie-tcp instead of a file, they are
    /// outlet numbers of that one PDU (3, 1.3). Many outlets are switched
    /// concurrently across PDUs and one at a time on each; every outlet
    /// gets a result line, and the exit status is 1 if any failed.
    Outlet(crate::outlet::OutletArgs),
    /// Simulated agents (PDU profiles, snmprec recordings) on loopback UDP
    /// until Ctrl-C, for tests and demos.
    Sim(SimArgs),
}

impl Command {
    /// The options every operation has.
    pub(crate) fn common(&self) -> &Common {
        match self {
            Command::Get(a) | Command::GetNext(a) => &a.common,
            Command::BulkGet(a) => &a.common,
            Command::Walk(a) => &a.common,
            Command::Set(a) => &a.common,
            Command::Poll(_) => unreachable!("main() runs poll before it reads net-snmp options"),
            Command::Outlet(_) => {
                unreachable!("`outlet` has no SNMP options; main dispatches it first")
            }
            Command::Sim(_) => unreachable!("main() runs sim before it reads net-snmp options"),
        }
    }

    /// The subcommand's name, for its usage line.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Command::Get(_) => "get",
            Command::GetNext(_) => "getnext",
            Command::BulkGet(_) => "bulkget",
            Command::Walk(_) => "walk",
            Command::Set(_) => "set",
            Command::Poll(_) => "poll",
            Command::Outlet(_) => "outlet",
            Command::Sim(_) => "sim",
        }
    }
}

/// The options of every operation, and the agent.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// SNMP version: 1, 2c or 3. Default: 2c, or 3 when -u is given.
    #[arg(short = 'v', value_name = "1|2c|3", value_parser = parse_version)]
    pub(crate) version: Option<SnmpVersion>,

    /// The community string (SNMPv1 and v2c).
    #[arg(short = 'c', value_name = "COMMUNITY", default_value = "public")]
    pub(crate) community: String,

    /// Seconds to wait for a response before sending the request again
    /// (fractions allowed, e.g. 0.5).
    #[arg(short = 't', value_name = "SECONDS", default_value = "1", value_parser = parse_timeout)]
    pub(crate) timeout: Duration,

    /// How many times to send the request again before giving up.
    #[arg(short = 'r', value_name = "RETRIES", default_value_t = 5)]
    pub(crate) retries: u32,

    /// Print JSON lines instead of net-snmp's text: one object per varbind,
    /// {"oid":"1.3.6.1.2.1.1.5.0","type":"STRING","value":"host"}.
    #[arg(long)]
    pub(crate) json: bool,

    /// Log requests and responses on stderr (RUST_LOG also enables logs).
    #[arg(short = 'd', long)]
    pub(crate) debug: bool,

    /// Accepted for net-snmp compatibility: output is always numeric (-On).
    #[arg(short = 'O', value_name = "n", hide = true, value_parser = parse_output_options)]
    pub(crate) output_options: Vec<String>,

    #[command(flatten)]
    pub(crate) v3: V3Args,

    /// The agent: HOST[:PORT] (default port 161), [IPV6]:PORT or a bare
    /// IPv6 address, optionally with net-snmp's transport prefix udp: or
    /// udp6:.
    #[arg(value_name = "AGENT")]
    pub(crate) agent: AgentSpec,
}

impl Common {
    /// The SNMP version: `-v`, else 3 if `-u` is given, else 2c.
    pub(crate) fn version(&self) -> SnmpVersion {
        SnmpVersion::given_or_default(self.version, &self.v3.security)
    }

    /// Who the requests come from: the community or the SNMPv3 user.
    ///
    /// # Errors
    ///
    /// As [`credentials`].
    pub(crate) fn credentials(&self) -> Result<Credentials, String> {
        credentials(
            self.version(),
            &self.community,
            self.v3.first_given(),
            || self.v3.user(),
        )
    }
}

/// Who the requests of SNMP `version` come from: `community` for SNMPv1
/// and v2c, the SNMPv3 `user` else. `v3_option` is the first SNMPv3 option
/// given, if any.
///
/// # Errors
///
/// A usage message for SNMPv3 options without SNMPv3, and for SNMPv3
/// options that do not go together ([`V3Args::user`]).
pub(crate) fn credentials(
    version: SnmpVersion,
    community: &str,
    v3_option: Option<&'static str>,
    user: impl FnOnce() -> Result<V3User, String>,
) -> Result<Credentials, String> {
    let community = || community.as_bytes().to_vec();
    match version {
        SnmpVersion::V1 | SnmpVersion::V2c => {
            if let Some(flag) = v3_option {
                let v = if version == SnmpVersion::V1 {
                    "1"
                } else {
                    "2c"
                };
                return Err(format!(
                    "{flag} is an SNMPv3 option; use -v3 (not -v{v}) with it"
                ));
            }
            Ok(match version {
                SnmpVersion::V1 => Credentials::V1(community()),
                _ => Credentials::V2c(community()),
            })
        }
        SnmpVersion::V3 => user().map(Credentials::V3),
    }
}

/// Who the requests come from, checked. `Debug` does not print the
/// community (nor [`V3User`] the passphrases).
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// SNMPv1 with a community.
    V1(Vec<u8>),
    /// SNMPv2c with a community.
    V2c(Vec<u8>),
    /// SNMPv3 with a USM user.
    V3(V3User),
}

impl Credentials {
    /// The library's security: the community, or the user with its keys.
    ///
    /// # Errors
    ///
    /// As [`V3User::build`].
    pub(crate) fn security(&self) -> anyhow::Result<Security> {
        Ok(match self {
            Credentials::V1(community) => Security::v1(community.clone()),
            Credentials::V2c(community) => Security::v2c(community.clone()),
            Credentials::V3(user) => Security::v3(user.build()?),
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::V1(_) => f.write_str("V1([redacted])"),
            Credentials::V2c(_) => f.write_str("V2c([redacted])"),
            Credentials::V3(user) => f.debug_tuple("V3").field(user).finish(),
        }
    }
}

/// `get` and `getnext`.
#[derive(Debug, Args)]
pub(crate) struct OidsArgs {
    #[command(flatten)]
    pub(crate) common: Common,

    /// Numeric OIDs, with or without a leading dot.
    #[arg(value_name = "OID", required = true, value_parser = parse_oid)]
    pub(crate) oids: Vec<Oid>,
}

/// `bulkget`.
#[derive(Debug, Args)]
pub(crate) struct BulkGetArgs {
    #[command(flatten)]
    pub(crate) common: Common,

    /// n<NUM>: non-repeaters (default 0); r<NUM>: max-repetitions
    /// (default 10). As net-snmp: -Cn1 -Cr5, or -Cn1r5.
    #[arg(short = 'C', value_name = "APPOPTS", value_parser = parse_bulk_options)]
    pub(crate) app_options: Vec<AppOptions>,

    /// Numeric OIDs: the non-repeaters first.
    #[arg(value_name = "OID", required = true, value_parser = parse_oid)]
    pub(crate) oids: Vec<Oid>,
}

/// `walk`.
#[derive(Debug, Args)]
pub(crate) struct WalkArgs {
    #[command(flatten)]
    pub(crate) common: Common,

    /// r<NUM>: max-repetitions of each GETBULK (default 10); i: also GET
    /// the root OID first; p: print the number of variables found; I: do
    /// not GET the root OID when the subtree is empty.
    #[arg(short = 'C', value_name = "APPOPTS", value_parser = parse_walk_options)]
    pub(crate) app_options: Vec<AppOptions>,

    /// The root of the subtree.
    #[arg(value_name = "OID", default_value = "1.3.6.1.2.1", value_parser = parse_oid)]
    pub(crate) root: Oid,
}

/// `set`.
#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    #[command(flatten)]
    pub(crate) common: Common,

    /// OID TYPE VALUE, once per object. TYPE is one of: i INTEGER,
    /// u Unsigned32/Gauge32, t TimeTicks, c Counter32, C Counter64,
    /// a IpAddress, o OBJECT IDENTIFIER, s STRING, x hex STRING ("0A 1b"),
    /// d decimal STRING ("10.0.0.1"), b BITS ("0,3"), n NULL. Put `--`
    /// before the triples if a value starts with '-' and is not a number.
    #[arg(
        value_names = ["OID", "TYPE", "VALUE"],
        required = true,
        num_args = 3..,
        allow_negative_numbers = true
    )]
    pub(crate) bindings: Vec<String>,
}

/// The SNMP versions snmux speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SnmpVersion {
    V1,
    V2c,
    V3,
}

impl SnmpVersion {
    /// `-v` if given, else 3 if `-u` is given, else 2c.
    pub(crate) fn given_or_default(given: Option<SnmpVersion>, v3: &V3Security) -> SnmpVersion {
        match given {
            Some(version) => version,
            None if v3.user.is_some() => SnmpVersion::V3,
            None => SnmpVersion::V2c,
        }
    }
}

/// The settings of `-C` options, later ones overriding earlier ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AppOptions {
    pub(crate) non_repeaters: Option<u32>,
    pub(crate) max_repetitions: Option<u32>,
    pub(crate) include_root: bool,
    pub(crate) print_count: bool,
    pub(crate) no_get_fallback: bool,
}

impl AppOptions {
    /// All `-C` options given, merged in order.
    pub(crate) fn merge(all: &[AppOptions]) -> AppOptions {
        all.iter().fold(AppOptions::default(), |acc, o| AppOptions {
            non_repeaters: o.non_repeaters.or(acc.non_repeaters),
            max_repetitions: o.max_repetitions.or(acc.max_repetitions),
            include_root: acc.include_root || o.include_root,
            print_count: acc.print_count || o.print_count,
            no_get_fallback: acc.no_get_fallback || o.no_get_fallback,
        })
    }
}

/// The `OID TYPE VALUE` triples of `set`, checked for shape (the values
/// are parsed later).
///
/// # Errors
///
/// A message if the count is not a multiple of three or an OID is invalid.
pub(crate) fn set_triples(bindings: &[String]) -> Result<Vec<(Oid, &str, &str)>, String> {
    if bindings.len() % 3 != 0 {
        return Err(format!(
            "set takes OID TYPE VALUE triples; got {} arguments after the agent \
             (TYPE is one of: {TYPE_LETTERS})",
            bindings.len()
        ));
    }
    bindings
        .chunks_exact(3)
        .map(|t| Ok((parse_oid(&t[0])?, t[1].as_str(), t[2].as_str())))
        .collect()
}

pub(crate) fn parse_version(s: &str) -> Result<SnmpVersion, String> {
    match s.to_ascii_lowercase().as_str() {
        "1" => Ok(SnmpVersion::V1),
        "2c" => Ok(SnmpVersion::V2c),
        "3" => Ok(SnmpVersion::V3),
        _ => Err("expected 1, 2c or 3".to_owned()),
    }
}

/// Seconds as a decimal number, from a millisecond to a day.
pub(crate) fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| "expected seconds, e.g. 1 or 0.5".to_owned())?;
    if !(0.001..=86_400.0).contains(&secs) {
        return Err("expected seconds from 0.001 to 86400".to_owned());
    }
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

pub(crate) fn parse_oid(s: &str) -> Result<Oid, String> {
    s.parse::<Oid>()
        .map_err(|e| format!("{e} (snmux takes numeric OIDs only, e.g. 1.3.6.1.2.1.1.1.0)"))
}

fn parse_output_options(s: &str) -> Result<String, String> {
    if !s.is_empty() && s.chars().all(|c| matches!(c, 'n' | 'e')) {
        Ok(s.to_owned())
    } else {
        Err("snmux prints numeric OIDs only; -O takes n (and e)".to_owned())
    }
}

fn parse_bulk_options(s: &str) -> Result<AppOptions, String> {
    parse_app_options(s, "nr")
}

fn parse_walk_options(s: &str) -> Result<AppOptions, String> {
    parse_app_options(s, "ripI")
}

/// net-snmp's `-C` syntax: letters, `n` and `r` followed by a number,
/// several in one option (`-Cn1r5`, `-Cip`).
fn parse_app_options(s: &str, allowed: &str) -> Result<AppOptions, String> {
    let mut opts = AppOptions::default();
    let mut rest = s;
    if rest.is_empty() {
        return Err(format!("expected one of the letters {allowed}"));
    }
    while let Some(letter) = rest.chars().next() {
        rest = &rest[letter.len_utf8()..];
        if !allowed.contains(letter) {
            return Err(format!(
                "unknown option letter {letter:?} (expected one of {allowed})"
            ));
        }
        match letter {
            'n' | 'r' => {
                let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
                let (number, tail) = rest.split_at(digits);
                let value: u32 = number
                    .parse()
                    .map_err(|_| format!("-C{letter} needs a number, e.g. -C{letter}10"))?;
                rest = tail;
                if letter == 'n' {
                    opts.non_repeaters = Some(value);
                } else {
                    opts.max_repetitions = Some(value);
                }
            }
            'i' => opts.include_root = true,
            'p' => opts.print_count = true,
            'I' => opts.no_get_fallback = true,
            _ => {}
        }
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn command_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn app_options() {
        assert_eq!(
            parse_bulk_options("n1r5"),
            Ok(AppOptions {
                non_repeaters: Some(1),
                max_repetitions: Some(5),
                ..AppOptions::default()
            })
        );
        let walk = parse_walk_options("ipr20I").unwrap();
        assert!(walk.include_root && walk.print_count && walk.no_get_fallback);
        assert_eq!(walk.max_repetitions, Some(20));
        for bad in ["", "r", "rx", "n1", "x", "r99999999999", "é"] {
            assert!(parse_walk_options(bad).is_err(), "{bad:?}");
        }
        assert!(parse_bulk_options("i").is_err());
        let merged = AppOptions::merge(&[
            parse_bulk_options("r5").unwrap(),
            parse_bulk_options("n2").unwrap(),
            parse_bulk_options("r7").unwrap(),
        ]);
        assert_eq!(
            (merged.non_repeaters, merged.max_repetitions),
            (Some(2), Some(7))
        );
    }

    #[test]
    fn attached_values() {
        let cli = Cli::try_parse_from([
            "snmux",
            "get",
            "-v1",
            "-cprivate",
            "-t0.5",
            "-r2",
            "[::1]:1161",
            ".1.3.6.1",
        ])
        .unwrap();
        let common = cli.command.common();
        assert_eq!(common.version(), SnmpVersion::V1);
        assert_eq!(common.community, "private");
        assert_eq!(common.timeout, Duration::from_millis(500));
        assert_eq!(common.retries, 2);
        assert_eq!(common.agent.to_string(), "[::1]:1161");

        let cli = Cli::try_parse_from(["snmux", "bulkwalk", "-Cr25", "-On", "h"]).unwrap();
        let Command::Walk(walk) = cli.command else {
            panic!("not a walk");
        };
        assert_eq!(walk.root.to_string(), "1.3.6.1.2.1");
        assert_eq!(
            AppOptions::merge(&walk.app_options).max_repetitions,
            Some(25)
        );
    }

    #[test]
    fn versions_and_credentials() {
        let parse = |args: &[&str]| {
            let mut all = vec!["snmux", "get"];
            all.extend_from_slice(args);
            all.extend(["h", "1.3"]);
            Cli::try_parse_from(all).unwrap()
        };
        let credentials = |args: &[&str]| parse(args).command.common().credentials();
        let version = |args: &[&str]| parse(args).command.common().version();
        assert_eq!(version(&[]), SnmpVersion::V2c);
        assert_eq!(version(&["-v", "3"]), SnmpVersion::V3);
        assert_eq!(version(&["-v3"]), SnmpVersion::V3);
        assert_eq!(version(&["-u", "bob"]), SnmpVersion::V3);
        assert_eq!(version(&["-v1", "-u", "bob"]), SnmpVersion::V1);
        assert_eq!(
            credentials(&["-c", "private"]),
            Ok(Credentials::V2c(b"private".to_vec()))
        );
        assert_eq!(
            credentials(&["-v1"]),
            Ok(Credentials::V1(b"public".to_vec()))
        );
        assert!(matches!(
            credentials(&[
                "-ubob",
                "-lauthPriv",
                "-aSHA-256",
                "-Aauthpass",
                "-xAES",
                "-Xprivpass"
            ]),
            Ok(Credentials::V3(_))
        ));
        assert!(matches!(
            credentials(&[
                "-v3",
                "-u",
                "bob",
                "-n",
                "ctx",
                "-E",
                "0x80001f8880",
                "-e",
                "80001f8880"
            ]),
            Ok(Credentials::V3(_))
        ));
        assert_eq!(
            credentials(&["-v3"]),
            Err("SNMPv3 needs a user name: -u USER".to_owned())
        );
        assert_eq!(
            credentials(&["-v2c", "-l", "auth"]),
            Err("-l is an SNMPv3 option; use -v3 (not -v2c) with it".to_owned())
        );
        assert_eq!(
            credentials(&["-v1", "-u", "bob"]),
            Err("-u is an SNMPv3 option; use -v3 (not -v1) with it".to_owned())
        );
        assert_eq!(
            credentials(&["-v3", "-u", "bob", "-l", "priv", "-A", "authpass"]),
            Err("-l authPriv needs a privacy passphrase (-X)".to_owned())
        );
    }

    #[test]
    fn negative_set_values() {
        let cli = Cli::try_parse_from(["snmux", "set", "h", "1.3.6.1.4.1.1.0", "i", "-5"]).unwrap();
        let Command::Set(set) = cli.command else {
            panic!("not a set");
        };
        assert_eq!(set.bindings, ["1.3.6.1.4.1.1.0", "i", "-5"]);
        let triples = set_triples(&set.bindings).unwrap();
        assert_eq!(triples[0].1, "i");
        assert!(set_triples(&["1.3.6".to_owned(), "i".to_owned()]).is_err());
    }

    #[test]
    fn usage_errors() {
        for args in [
            &["snmux", "get", "h"][..],
            &["snmux", "get", "-v", "4", "h", "1.3"],
            &["snmux", "get", "-v3", "-l", "none", "h", "1.3"],
            &["snmux", "get", "-v3", "-a", "SHA3", "h", "1.3"],
            &["snmux", "get", "-v3", "-x", "AES-512", "h", "1.3"],
            &["snmux", "get", "-v3", "-e", "0x8000", "h", "1.3"],
            &["snmux", "get", "-v3", "-E", "xyz", "h", "1.3"],
            &["snmux", "get", "-v", "2", "h", "1.3"],
            &["snmux", "get", "-t", "0", "h", "1.3"],
            &["snmux", "get", "-t", "nan", "h", "1.3"],
            &["snmux", "get", "-t", "-1", "h", "1.3"],
            &["snmux", "get", "h", "sysDescr.0"],
            &["snmux", "get", "-Oq", "h", "1.3"],
            &["snmux", "get", "h:0", "1.3"],
            &["snmux", "bulkget", "-Cx", "h", "1.3"],
            &["snmux", "walk", "-Cr", "h"],
            &["snmux", "set", "h", "1.3", "i"],
            &["snmux"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?}");
        }
    }
}
