//! `snmux outlet on|off|cycle|status|read`: power outlets by name from a
//! lab file, or from flags for one PDU.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use snmux::Engine;
use snmux::outlets::config::{
    EnergenieTcpConfig, EnergenieWebConfig, Lab, LabConfig, PduConfig, Secret, SnmpPduConfig,
};
use snmux::outlets::{Action, OutletGroup};

/// The outlet subcommands (the help text is the doc of `Command::Outlet`).
#[derive(Debug, Args)]
pub(crate) struct OutletArgs {
    #[command(subcommand)]
    action: OutletAction,
}

#[derive(Debug, Subcommand)]
enum OutletAction {
    /// Switch on, and confirm.
    On(Targets),
    /// Switch off, and confirm.
    Off(Targets),
    /// Power-cycle: the PDU's reboot command, or off, --wait, on.
    Cycle(CycleArgs),
    /// Print each outlet's state: on, off, pending or unknown.
    Status(Targets),
    /// Print readings: voltage, current, apparent power (and power).
    Read(ReadArgs),
}

#[derive(Debug, Args)]
struct CycleArgs {
    /// Seconds between off and on. Default: the PDU's own reboot
    /// command when it has one, else 2.
    #[arg(short = 'w', long, value_name = "SECONDS")]
    wait: Option<f64>,
    #[command(flatten)]
    targets: Targets,
}

#[derive(Debug, Args)]
struct ReadArgs {
    /// How many readings per outlet; 0 reads until interrupted.
    #[arg(short = 'n', long, default_value_t = 1)]
    count: u64,
    /// Seconds between readings.
    #[arg(short = 'i', long, value_name = "SECONDS", default_value_t = 1.0)]
    interval: f64,
    #[command(flatten)]
    targets: Targets,
}

/// Where the outlets are.
#[derive(Debug, Args)]
struct Targets {
    /// Outlet or group names (or PDU:OUTLET) of the lab file; with a PDU
    /// given by flags, its outlet numbers.
    #[arg(value_name = "TARGET", required = true)]
    targets: Vec<String>,
    /// The lab file: YAML, TOML (.toml), or a Jumpstarter exporter
    /// configuration.
    #[arg(short = 'f', long = "config", value_name = "FILE")]
    config: Option<PathBuf>,
    /// One SNMP PDU at HOST[:PORT] (default port 161).
    #[arg(long, value_name = "HOST[:PORT]", conflicts_with_all = ["config", "energenie", "energenie_tcp"])]
    snmp: Option<String>,
    /// Its profile: raritan-px2 (default), apc-masterswitch, apc-rpdu,
    /// apc-rpdu2, sentry3, sentry4, eaton-epdu, cyberpower, poe.
    #[arg(long, value_name = "NAME", requires = "snmp")]
    profile: Option<String>,
    /// SNMP version: 1, 2c or 3. Default 2c, or 3 with -u.
    #[arg(short = 'v', value_name = "1|2c|3", requires = "snmp")]
    version: Option<String>,
    /// Community (SNMPv1/v2c). Default private.
    #[arg(short = 'c', value_name = "COMMUNITY", requires = "snmp")]
    community: Option<String>,
    /// SNMPv3 user.
    #[arg(short = 'u', value_name = "USER", requires = "snmp")]
    user: Option<String>,
    /// SNMPv3 authentication protocol: MD5, SHA, SHA-224 … SHA-512.
    #[arg(short = 'a', value_name = "PROTOCOL", requires = "user")]
    auth_protocol: Option<String>,
    /// SNMPv3 authentication passphrase.
    #[arg(short = 'A', value_name = "PASSPHRASE", requires = "user")]
    auth_key: Option<String>,
    /// SNMPv3 privacy protocol: DES, AES, AES-192, AES-256, …
    #[arg(short = 'x', value_name = "PROTOCOL", requires = "user")]
    priv_protocol: Option<String>,
    /// SNMPv3 privacy passphrase.
    #[arg(short = 'X', value_name = "PASSPHRASE", requires = "user")]
    priv_key: Option<String>,
    /// Seconds for each SNMP request, retransmissions included. Default 5.
    #[arg(short = 't', long, value_name = "SECONDS", requires = "snmp")]
    timeout: Option<f64>,
    /// Seconds a switch is read back for until the outlet is in the state
    /// asked for. Default 10.
    #[arg(long, value_name = "SECONDS", requires = "snmp")]
    confirm_timeout: Option<f64>,
    /// One EnerGenie strip's web interface at [http://]HOST[:PORT].
    #[arg(long, value_name = "HOST[:PORT]", conflicts_with_all = ["config", "energenie_tcp"])]
    energenie: Option<String>,
    /// One EnerGenie strip's TCP protocol at HOST[:PORT] (default port
    /// 5000).
    #[arg(long, value_name = "HOST[:PORT]", conflicts_with = "config")]
    energenie_tcp: Option<String>,
    /// The --energenie-tcp strip's protocol: pms20, pms21 (default),
    /// pmswlan.
    #[arg(long, value_name = "MODEL", requires = "energenie_tcp")]
    model: Option<String>,
    /// The EnerGenie password (web default 1, TCP default empty).
    #[arg(long, value_name = "PASSWORD")]
    password: Option<String>,
    /// Logs on stderr.
    #[arg(short = 'd', long)]
    pub(crate) debug: bool,
}

impl OutletArgs {
    /// Whether -d was given.
    pub(crate) fn debug(&self) -> bool {
        self.targets().debug
    }

    fn targets(&self) -> &Targets {
        match &self.action {
            OutletAction::On(t) | OutletAction::Off(t) | OutletAction::Status(t) => t,
            OutletAction::Cycle(a) => &a.targets,
            OutletAction::Read(a) => &a.targets,
        }
    }
}

/// The name the flags' PDU has in the lab.
const FLAGS_PDU: &str = "pdu";

/// `snmux outlet …`, which has no net-snmp options: its own runtime, and
/// exit status 1 if any outlet failed.
pub(crate) fn main(args: &OutletArgs) -> ExitCode {
    crate::init_tracing(args.debug());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return crate::report(&anyhow::Error::new(e).context("cannot start the runtime")),
    };
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(e) => crate::report(&e),
    }
}

/// Runs `snmux outlet …`.
async fn run(args: &OutletArgs) -> anyhow::Result<ExitCode> {
    let targets = args.targets();
    let (config, names, flags) = lab_config(targets)?;
    // [::] reaches IPv4 and IPv6 PDUs; some hosts have no IPv6.
    let any6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0));
    let any4 = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
    let engine = match Engine::bind(any6) {
        Ok(engine) => engine,
        Err(_) => Engine::bind(any4)?,
    };
    let lab: Lab = config.build(&engine).await?;
    let mut group = lab.select(&names)?;
    if flags {
        // `pdu:3` prints as `3`: there is one PDU.
        group = group.renamed(|name| {
            name.strip_prefix(FLAGS_PDU)
                .and_then(|n| n.strip_prefix(':'))
                .unwrap_or(name)
                .to_owned()
        });
    }
    let mut out = io::stdout().lock();
    let ok = match &args.action {
        OutletAction::On(_) => switch(&group, Action::On, &mut out).await?,
        OutletAction::Off(_) => switch(&group, Action::Off, &mut out).await?,
        OutletAction::Cycle(a) => {
            let wait = a.wait.map(|w| seconds("--wait", w)).transpose()?;
            switch(&group, Action::Cycle(wait), &mut out).await?
        }
        OutletAction::Status(_) => {
            let mut ok = true;
            for (name, state) in group.states().await {
                match state {
                    Ok(state) => writeln!(out, "{name}: {state}")?,
                    Err(e) => {
                        ok = false;
                        writeln!(out, "{name}: error: {e}")?;
                    }
                }
            }
            ok
        }
        OutletAction::Read(a) => read(&group, a, &mut out).await?,
    };
    out.flush()?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Switches every outlet; one line each. Whether all succeeded.
async fn switch(group: &OutletGroup, action: Action, out: &mut impl Write) -> io::Result<bool> {
    let mut ok = true;
    for (name, result) in group.switch(action).await {
        match result {
            Ok(()) => writeln!(out, "{name}: {action}")?,
            Err(e) => {
                ok = false;
                writeln!(out, "{name}: error: {e}")?;
            }
        }
    }
    Ok(ok)
}

/// `--count` readings of every outlet, `--interval` apart, in Jumpstarter's
/// format; prefixed with the outlet's name when there are several.
async fn read(group: &OutletGroup, args: &ReadArgs, out: &mut impl Write) -> anyhow::Result<bool> {
    let interval = seconds("--interval", args.interval)?.max(Duration::from_millis(1));
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let prefix = group.len() > 1;
    let mut ok = true;
    let mut n = 0u64;
    while args.count == 0 || n < args.count {
        ticks.tick().await;
        for (name, reading) in group.measure().await {
            let line = match reading {
                Ok(r) => r.to_string(),
                Err(e) => {
                    ok = false;
                    format!("error: {e}")
                }
            };
            if prefix {
                writeln!(out, "{name}: {line}")?;
            } else {
                writeln!(out, "{line}")?;
            }
        }
        out.flush()?;
        n += 1;
    }
    Ok(ok)
}

/// The lab and the names to select in it: the file's, or one PDU built
/// from the flags with the targets as its outlets.
fn lab_config(t: &Targets) -> anyhow::Result<(LabConfig, Vec<String>, bool)> {
    let secret = |s: &Option<String>| s.as_deref().map(Secret::from);
    let pdu = if let Some(host) = &t.snmp {
        let (host, port) = split_port(host, 161)?;
        Some(PduConfig::Snmp(SnmpPduConfig {
            host,
            port,
            profile: t
                .profile
                .clone()
                .unwrap_or_else(|| "raritan-px2".to_owned()),
            version: t.version.clone(),
            community: secret(&t.community),
            user: t.user.clone(),
            auth_protocol: t.auth_protocol.clone(),
            auth_key: secret(&t.auth_key),
            priv_protocol: t.priv_protocol.clone(),
            priv_key: secret(&t.priv_key),
            timeout: t.timeout.unwrap_or(5.0),
            confirm_timeout: t.confirm_timeout,
        }))
    } else if let Some(host) = &t.energenie {
        Some(PduConfig::EnergenieWeb(EnergenieWebConfig {
            host: host.clone(),
            password: secret(&t.password),
            timeout: None,
        }))
    } else {
        t.energenie_tcp.as_ref().map(|host| {
            PduConfig::EnergenieTcp(EnergenieTcpConfig {
                host: host.clone(),
                model: t.model.clone(),
                password: secret(&t.password),
                timeout: None,
            })
        })
    };
    if let Some(pdu) = pdu {
        let mut config = LabConfig::default();
        config.pdus.insert(FLAGS_PDU.to_owned(), pdu);
        let names = t
            .targets
            .iter()
            .map(|n| format!("{FLAGS_PDU}:{n}"))
            .collect();
        return Ok((config, names, true));
    }
    let Some(path) = &t.config else {
        anyhow::bail!("no lab file: give -f FILE, or --snmp, --energenie or --energenie-tcp");
    };
    Ok((LabConfig::load(path)?, t.targets.clone(), false))
}

/// `host:port`, `[v6]:port`, or a host alone.
fn split_port(s: &str, default: u16) -> anyhow::Result<(String, u16)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| anyhow::anyhow!("{s}: missing ]"))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| anyhow::anyhow!("{s}: bad port"))?,
            None => default,
        };
        return Ok((host.to_owned(), port));
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Ok((
            host.to_owned(),
            port.parse().map_err(|_| anyhow::anyhow!("{s}: bad port"))?,
        )),
        _ => Ok((s.to_owned(), default)),
    }
}

fn seconds(option: &str, s: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| anyhow::anyhow!("{option}: {s} is not a number of seconds"))
}
