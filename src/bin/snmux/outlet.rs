//! `snmux outlet on|off|cycle|status|read`: power outlets by name from a
//! lab file, or from flags for one PDU.

use std::collections::HashSet;
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};

use snmux::Engine;
use snmux::outlets::config::{
    ConfigError, EnergenieTcpConfig, EnergenieWebConfig, Lab, LabConfig, PduConfig, Secret,
};
use snmux::outlets::snmp::{Profile, SnmpPdu};
use snmux::outlets::{Action, Error, OutletGroup, OutletState, PowerOutlet, Reading};

use crate::agent::AgentSpec;
use crate::cli::{self, SnmpVersion, parse_version};
use crate::v3::V3Security;

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
    /// One SNMP PDU: HOST[:PORT] (default port 161), [IPV6]:PORT, with
    /// net-snmp's udp: or udp6: prefix if you like, as the other commands'
    /// AGENT.
    #[arg(long, value_name = "AGENT", conflicts_with_all = ["config", "energenie", "energenie_tcp"])]
    snmp: Option<AgentSpec>,
    /// Its profile: raritan-px2 (default), apc-masterswitch, apc-rpdu,
    /// apc-rpdu2, sentry3, sentry4, eaton-epdu, cyberpower, poe.
    #[arg(long, value_name = "NAME", requires = "snmp")]
    profile: Option<String>,
    /// SNMP version: 1, 2c or 3. Default 2c, or 3 with -u.
    #[arg(short = 'v', value_name = "1|2c|3", requires = "snmp", value_parser = parse_version)]
    version: Option<SnmpVersion>,
    /// Community (SNMPv1/v2c). Default private.
    #[arg(short = 'c', value_name = "COMMUNITY", requires = "snmp")]
    community: Option<String>,
    /// The --snmp PDU's SNMPv3 user, as the other commands take it (-l
    /// is needed with -a/-A/-x/-X).
    #[command(flatten)]
    v3: V3Security,
    /// Seconds to wait: for each SNMP request, retransmissions included
    /// (default 5); for each EnerGenie HTTP request (default 10) or TCP
    /// answer (default 4; a strip that says nothing that long after the
    /// login most likely has another password).
    #[arg(short = 't', long, value_name = "SECONDS", conflicts_with = "config")]
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
    /// Print JSON lines: one object per outlet (per reading for read),
    /// {"name":"dut1","device":"udp:192.0.2.7:161","outlet":"1.3",
    /// "action":"off","result":"ok","state":"off"}; "error" instead of
    /// "result" when it failed; "readings" (V, A, VA, W; null where not
    /// measured) for read.
    #[arg(long)]
    json: bool,
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
    let group = match &targets.snmp {
        Some(agent) => snmp_group(targets, agent).await?,
        None => lab_group(targets).await?,
    };
    let mut out = Lines {
        out: io::stdout().lock(),
        json: targets.json,
        ok: true,
    };
    match &args.action {
        OutletAction::On(_) => switch(&group, Action::On, &mut out).await?,
        OutletAction::Off(_) => switch(&group, Action::Off, &mut out).await?,
        OutletAction::Cycle(a) => {
            let wait = a.wait.map(|w| seconds("--wait", w)).transpose()?;
            switch(&group, Action::Cycle(wait), &mut out).await?
        }
        OutletAction::Status(_) => {
            for ((name, state), outlet) in group.states().await.into_iter().zip(group.outlets()) {
                let (state, error) = match &state {
                    Ok(state) => (Some(*state), None),
                    Err(e) => (None, Some(e)),
                };
                out.outcome(&Outcome {
                    name,
                    show_name: true,
                    outlet: &**outlet,
                    action: "status",
                    text: state.map(|s| s.to_string()),
                    error,
                    state,
                    reading: None,
                })?;
            }
        }
        OutletAction::Read(a) => read(&group, a, &mut out).await?,
    }
    out.out.flush()?;
    Ok(if out.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The outlets of the PDU given by --snmp, named by their numbers.
async fn snmp_group(t: &Targets, agent: &AgentSpec) -> anyhow::Result<OutletGroup> {
    let version = SnmpVersion::given_or_default(t.version, &t.v3);
    let community = t.community.as_deref().unwrap_or("private");
    let credentials = cli::credentials(version, community, t.v3.first_given(), || t.v3.user())
        .unwrap_or_else(|message| crate::usage_error("outlet", message));
    let name = t.profile.as_deref().unwrap_or("raritan-px2");
    let profile = Profile::builtin(name).ok_or_else(|| ConfigError::UnknownProfile {
        pdu: agent.to_string(),
        profile: name.to_owned(),
    })?;
    let (target, engine) = crate::bind_for(agent).await?;
    let manager = engine
        .manager(target, credentials.security()?)
        .timeout(seconds("--timeout", t.timeout.unwrap_or(5.0))?)
        .build();
    let pdu = SnmpPdu::new(manager, Arc::new(profile));
    let mut group = OutletGroup::new();
    let mut seen = HashSet::new();
    for n in &t.targets {
        let mut outlet = pdu.outlet(n);
        if let Some(c) = t.confirm_timeout {
            outlet = outlet.confirm_timeout(seconds("--confirm-timeout", c)?);
        }
        let outlet = outlet.build()?;
        // The same outlet given twice is switched once.
        if seen.insert(outlet.outlet().to_owned()) {
            group.push(n.clone(), Arc::new(outlet));
        }
    }
    Ok(group)
}

/// The outlets of the lab file, or of the EnerGenie strip given by flags.
async fn lab_group(t: &Targets) -> anyhow::Result<OutletGroup> {
    if let Some(flag) = t.v3.first_given() {
        crate::usage_error(
            "outlet",
            format!("{flag} is for the PDU of --snmp; a lab file gives its PDUs' users"),
        );
    }
    let (config, names, flags) = lab_config(t)?;
    // [::] reaches IPv4 and IPv6 PDUs; some hosts have no IPv6.
    let any6 = SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0));
    let any4 = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
    let engine = match Engine::bind(any6) {
        Ok(engine) => engine,
        Err(_) => Engine::bind(any4)?,
    };
    let lab: Lab = config.build(&engine).await?;
    let group = lab.select(&names)?;
    if !flags {
        return Ok(group);
    }
    // `pdu:3` prints as `3`: there is one PDU.
    Ok(group.renamed(|name| {
        name.strip_prefix(FLAGS_PDU)
            .and_then(|n| n.strip_prefix(':'))
            .unwrap_or(name)
            .to_owned()
    }))
}

/// Switches every outlet; one line each.
async fn switch(
    group: &OutletGroup,
    action: Action,
    out: &mut Lines<impl Write>,
) -> io::Result<()> {
    let wanted = match action {
        Action::Off => OutletState::Off,
        Action::On | Action::Cycle(_) => OutletState::On,
    };
    let name = match action {
        Action::On => "on",
        Action::Off => "off",
        Action::Cycle(_) => "cycle",
    };
    for ((outlet_name, result), outlet) in
        group.switch(action).await.into_iter().zip(group.outlets())
    {
        let state = match &result {
            Ok(()) => Some(wanted),
            Err(Error::NotApplied { last, .. }) => Some(*last),
            Err(Error::CycleNotObserved { .. }) => Some(OutletState::On),
            Err(_) => None,
        };
        out.outcome(&Outcome {
            name: outlet_name,
            show_name: true,
            outlet: &**outlet,
            action: name,
            text: Some(action.to_string()),
            error: result.as_ref().err(),
            state,
            reading: None,
        })?;
    }
    Ok(())
}

/// `--count` readings of every outlet, `--interval` apart, in Jumpstarter's
/// format; prefixed with the outlet's name when there are several.
async fn read(
    group: &OutletGroup,
    args: &ReadArgs,
    out: &mut Lines<impl Write>,
) -> anyhow::Result<()> {
    let interval = seconds("--interval", args.interval)?.max(Duration::from_millis(1));
    let mut ticks = tokio::time::interval(interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let prefix = group.len() > 1;
    let mut n = 0u64;
    while args.count == 0 || n < args.count {
        ticks.tick().await;
        for ((name, reading), outlet) in group.measure().await.into_iter().zip(group.outlets()) {
            out.outcome(&Outcome {
                name,
                show_name: prefix,
                outlet: &**outlet,
                action: "read",
                text: reading.as_ref().ok().map(Reading::to_string),
                error: reading.as_ref().err(),
                state: None,
                reading: reading.as_ref().ok(),
            })?;
        }
        out.out.flush()?;
        n += 1;
    }
    Ok(())
}

/// Where the result lines go, and whether every outlet succeeded.
struct Lines<W> {
    out: W,
    json: bool,
    ok: bool,
}

/// What happened to one outlet.
struct Outcome<'a> {
    /// Its name.
    name: &'a str,
    /// Whether the text line starts with it (not for `read` of one
    /// outlet, whose lines are Jumpstarter's).
    show_name: bool,
    outlet: &'a dyn PowerOutlet,
    /// `on`, `off`, `cycle`, `status`, `read`.
    action: &'static str,
    /// What the text line says on success.
    text: Option<String>,
    error: Option<&'a Error>,
    state: Option<OutletState>,
    reading: Option<&'a Reading>,
}

impl<W: Write> Lines<W> {
    /// One line: `name: text` or `name: error: …`; or a JSON object.
    fn outcome(&mut self, o: &Outcome<'_>) -> io::Result<()> {
        self.ok &= o.error.is_none();
        if self.json {
            return writeln!(self.out, "{}", json(o));
        }
        let text = match o.error {
            Some(e) => format!("error: {e}"),
            None => o.text.clone().unwrap_or_default(),
        };
        if o.show_name {
            writeln!(self.out, "{}: {text}", o.name)
        } else {
            writeln!(self.out, "{text}")
        }
    }
}

/// The JSON line of an outcome.
fn json(o: &Outcome<'_>) -> serde_json::Value {
    let mut line = serde_json::json!({
        "name": o.name,
        "device": o.outlet.device(),
        "outlet": o.outlet.outlet(),
        "action": o.action,
    });
    match o.error {
        Some(e) => line["error"] = e.to_string().into(),
        None => line["result"] = "ok".into(),
    }
    if let Some(state) = o.state {
        line["state"] = state.to_string().into();
    }
    if let Some(r) = o.reading {
        line["readings"] = serde_json::json!({
            "voltage": r.voltage,
            "current": r.current,
            "apparent_power": r.apparent_power(),
            "power": r.active_power,
        });
    }
    line
}

/// The lab and the names to select in it: the file's, or the EnerGenie
/// strip of the flags with the targets as its outlets.
fn lab_config(t: &Targets) -> anyhow::Result<(LabConfig, Vec<String>, bool)> {
    let secret = |s: &Option<String>| s.as_deref().map(Secret::from);
    let pdu = if let Some(host) = &t.energenie {
        Some(PduConfig::EnergenieWeb(EnergenieWebConfig {
            host: host.clone(),
            password: secret(&t.password),
            timeout: t.timeout,
        }))
    } else {
        t.energenie_tcp.as_ref().map(|host| {
            PduConfig::EnergenieTcp(EnergenieTcpConfig {
                host: host.clone(),
                model: t.model.clone(),
                password: secret(&t.password),
                timeout: t.timeout,
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

fn seconds(option: &str, s: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| anyhow::anyhow!("{option}: {s} is not a number of seconds"))
}
