//! `snmux`: get, getnext, bulkget, walk and set from the command line, with
//! net-snmp's options (SNMPv3's included) and `-On` output (or JSON lines
//! with `--json`).
//!
//! Errors print one line, `snmux: …`, on stderr and exit with status 1;
//! usage errors exit with status 2 (clap).
#![forbid(unsafe_code)]

// The modules live in src/bin/snmux/ (a crate root looks for them beside
// itself, in src/bin/, otherwise).
#[path = "snmux/agent.rs"]
mod agent;
#[path = "snmux/cli.rs"]
mod cli;
#[path = "snmux/format.rs"]
mod format;
#[path = "snmux/outlet.rs"]
mod outlet;
#[path = "snmux/poll.rs"]
mod poll;
#[path = "snmux/set.rs"]
mod set;
#[path = "snmux/sim.rs"]
mod sim;
#[path = "snmux/v3.rs"]
mod v3;
#[path = "snmux/walk.rs"]
mod walk;

use std::io::{self, IsTerminal, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, error::ErrorKind};

use snmux::{Engine, Manager, VarBind};

use crate::agent::AgentSpec;
use crate::cli::{AppOptions, Cli, Command, Common, Credentials};
use crate::walk::WalkOptions;

/// net-snmp's default max-repetitions for GETBULK.
const DEFAULT_MAX_REPETITIONS: u32 = 10;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Subcommands without net-snmp's options run on their own.
    match &cli.command {
        Command::Poll(args) => return poll::main(args),
        Command::Outlet(args) => return outlet::main(args),
        Command::Sim(args) => return sim::main(args),
        _ => {}
    }
    let credentials = match cli.command.common().credentials() {
        Ok(credentials) => credentials,
        Err(message) => usage_error(cli.command.name(), message),
    };
    let set_varbinds = match &cli.command {
        Command::Set(args) => match set_varbinds(&args.bindings) {
            Ok(varbinds) => varbinds,
            Err(message) => usage_error("set", message),
        },
        _ => Vec::new(),
    };
    init_tracing(cli.command.common().debug);

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(&anyhow::Error::new(e).context("cannot start the runtime")),
    };
    let mut out = Output::new(io::stdout().lock(), cli.command.common().json);
    let result = runtime.block_on(run(&cli.command, &credentials, set_varbinds, &mut out));
    let result = result.and_then(|()| out.flush().map_err(Into::into));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // What was printed before the error stays printed.
            let _ = out.flush();
            report(&explain(e, &credentials))
        }
    }
}

/// Runs one operation and prints its varbinds.
async fn run<W: Write>(
    command: &Command,
    credentials: &Credentials,
    set_varbinds: Vec<VarBind>,
    out: &mut Output<W>,
) -> anyhow::Result<()> {
    let common = command.common();
    let max_repetitions = match command {
        Command::Walk(args) => AppOptions::merge(&args.app_options).max_repetitions,
        _ => None,
    };
    let manager = connect(
        common,
        credentials,
        max_repetitions.unwrap_or(DEFAULT_MAX_REPETITIONS),
    )
    .await?;
    match command {
        Command::Get(args) => out.varbinds(&manager.get(&args.oids).await?)?,
        Command::GetNext(args) => out.varbinds(&manager.get_next(&args.oids).await?)?,
        Command::BulkGet(args) => {
            let options = AppOptions::merge(&args.app_options);
            let varbinds = manager
                .get_bulk(
                    options.non_repeaters.unwrap_or(0),
                    options.max_repetitions.unwrap_or(DEFAULT_MAX_REPETITIONS),
                    &args.oids,
                )
                .await?;
            out.varbinds(&varbinds)?;
        }
        Command::Walk(args) => {
            let options = AppOptions::merge(&args.app_options);
            let options = WalkOptions {
                include_root: options.include_root,
                get_fallback: !options.no_get_fallback,
                print_count: options.print_count,
            };
            walk::walk(&manager, &args.root, &options, out).await?;
        }
        Command::Set(_) => out.varbinds(&manager.set(&set_varbinds).await?)?,
        Command::Poll(_) => unreachable!("main() runs poll before it connects"),
        Command::Outlet(_) => unreachable!("main dispatches `outlet` first"),
        Command::Sim(_) => unreachable!("main() runs sim before it connects"),
    }
    Ok(())
}

/// A manager for the agent, on an engine bound to the wildcard address of
/// the agent's family.
async fn connect(
    common: &Common,
    credentials: &Credentials,
    max_repetitions: u32,
) -> anyhow::Result<Manager> {
    if matches!(credentials, Credentials::V3(_)) && common.v3.engine_id.is_some() {
        tracing::debug!("-e is not used: the engine ID is discovered");
    }
    let security = credentials.security()?;
    let (target, engine) = bind_for(&common.agent).await?;
    Ok(engine
        .manager(target, security)
        .retries(common.timeout, common.retries)
        .max_repetitions(max_repetitions)
        .build())
}

/// The agent's address, and an engine bound to the wildcard address of its
/// family.
async fn bind_for(agent: &AgentSpec) -> anyhow::Result<(SocketAddr, Engine)> {
    let target = agent.resolve().await?;
    let local = match target {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0)),
    };
    tracing::debug!(%agent, %target, "resolved");
    Ok((target, Engine::bind(local)?))
}

/// The varbinds of `set`, from its `OID TYPE VALUE` arguments.
fn set_varbinds(bindings: &[String]) -> Result<Vec<VarBind>, String> {
    cli::set_triples(bindings)?
        .into_iter()
        .map(|(oid, letter, text)| {
            set::parse_value(letter, text)
                .map(|value| VarBind::new(oid.clone(), value))
                .map_err(|e| format!("{oid}: {e}"))
        })
        .collect()
}

/// Exits with clap's usage error for `subcommand` (status 2).
fn usage_error(subcommand: &str, message: String) -> ! {
    let mut command = Cli::command();
    // Building sets the subcommands' names for their usage line.
    command.build();
    match command.find_subcommand_mut(subcommand) {
        Some(sub) => sub.error(ErrorKind::ValueValidation, message).exit(),
        None => command.error(ErrorKind::ValueValidation, message).exit(),
    }
}

/// The error, with a hint that fits SNMPv3: a timeout there is not about
/// the community. With authPriv it is often a wrong privacy passphrase or
/// protocol: the agent decrypts the request to bytes that do not parse and
/// drops it without a Report (snmpd does; RFC 3412 §7.2 step 2).
fn explain(e: anyhow::Error, credentials: &Credentials) -> anyhow::Error {
    let Credentials::V3(user) = credentials else {
        return e;
    };
    match e.downcast_ref::<snmux::Error>() {
        Some(&snmux::Error::Timeout {
            target,
            retransmissions,
        }) => {
            let hint = if user.is_auth_priv() {
                "check the address and port, and the privacy protocol and passphrase, -x/-X"
            } else {
                "check the address and port"
            };
            anyhow::anyhow!(
                "timeout: no response from {target} after {retransmissions} \
                 retransmissions ({hint})"
            )
        }
        _ => e,
    }
}

/// Prints `snmux: <error>` on one line and returns exit status 1; a closed
/// stdout (`snmux walk | head`) ends quietly.
fn report(e: &anyhow::Error) -> ExitCode {
    let broken_pipe = e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    let message = format!("{e:#}").replace(['\n', '\r'], " ");
    let _ = writeln!(io::stderr().lock(), "snmux: {message}");
    ExitCode::FAILURE
}

/// Logs on stderr with `-d` (everything at debug level) or `RUST_LOG`
/// (its filter); nothing otherwise.
fn init_tracing(debug: bool) {
    use tracing_subscriber::EnvFilter;

    let filter = if debug {
        EnvFilter::new("debug")
    } else {
        match std::env::var("RUST_LOG") {
            Ok(spec) if !spec.trim().is_empty() => EnvFilter::builder().parse_lossy(spec),
            _ => return,
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .try_init();
}

/// Where varbinds go: net-snmp's text or JSON lines.
#[derive(Debug)]
pub(crate) struct Output<W> {
    out: W,
    json: bool,
}

impl<W: Write> Output<W> {
    fn new(out: W, json: bool) -> Self {
        Self { out, json }
    }

    /// Prints one varbind on its line (text strings may span several).
    pub(crate) fn varbind(&mut self, vb: &VarBind) -> io::Result<()> {
        let line = if self.json {
            format::json(vb)
        } else {
            format::text(vb)
        };
        writeln!(self.out, "{line}")
    }

    /// Prints varbinds in order.
    pub(crate) fn varbinds(&mut self, varbinds: &[VarBind]) -> io::Result<()> {
        varbinds.iter().try_for_each(|vb| self.varbind(vb))
    }

    /// A line of net-snmp's text output that is not a varbind (`End of
    /// MIB`); JSON output leaves it out.
    pub(crate) fn note(&mut self, line: &str) -> io::Result<()> {
        if self.json {
            Ok(())
        } else {
            writeln!(self.out, "{line}")
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
