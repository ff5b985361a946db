//! Integration-test harness: a private net-snmp `snmpd` per test, and the
//! net-snmp command-line tools as a reference to compare snmux with.
//!
//! Use it from a test file in `tests/` with `mod support;`:
//!
//! ```ignore
//! mod support;
//! use support::{Snmpd, net_snmp_walk};
//!
//! #[test]
//! fn system_group() {
//!     let snmpd = Snmpd::start();
//!     let want = net_snmp_walk(&["-v2c", "-c", "public", &snmpd.net_snmp_addr(), "1.3.6.1.2.1.1"]);
//!     // ... walk snmpd.addr() with snmux and compare with `want`.
//! }
//! ```
//!
//! Every [`Snmpd`] runs in its own temporary directory on a free loopback
//! port (IPv4 and, where the machine has it, IPv6), never reads `/etc/snmp`
//! or `/var/lib/snmp`, and is stopped when dropped. Everything here panics on
//! failure, with the snmpd log in the message: this is test code.
//!
//! Requires `snmpd` and the `snmp` tools (`apt-get install snmpd snmp`);
//! `.ci/run` installs them.

// Not every test file uses every helper.
#![allow(dead_code)]

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Read-only community (v1/v2c, IPv4 and IPv6).
pub const COMMUNITY_RO: &str = "public";
/// Read-write community (v1/v2c, IPv4 and IPv6).
pub const COMMUNITY_RW: &str = "private";

/// sysDescr.0: read-only STRING; SET returns notWritable.
pub const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
/// sysContact.0: writable STRING (the config does not set it). SET values
/// persist across [`Snmpd::restart`].
pub const SYS_CONTACT: &str = "1.3.6.1.2.1.1.4.0";
/// sysName.0: writable STRING, like [`SYS_CONTACT`].
pub const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";
/// sysLocation.0: writable STRING, like [`SYS_CONTACT`].
pub const SYS_LOCATION: &str = "1.3.6.1.2.1.1.6.0";
/// Writable INTEGER, initially 0 (an `override -rw` scalar; SET values do
/// not survive a restart).
pub const WRITABLE_INTEGER: &str = "1.3.6.1.4.1.8072.9999.1.0";
/// Writable OCTET STRING, initially `"snmux"`.
pub const WRITABLE_STRING: &str = "1.3.6.1.4.1.8072.9999.2.0";
/// Writable Gauge32 (`uinteger`), initially 0.
pub const WRITABLE_GAUGE: &str = "1.3.6.1.4.1.8072.9999.3.0";
/// Writable OBJECT IDENTIFIER, initially `1.3.6.1.4.1.8072`.
pub const WRITABLE_OID: &str = "1.3.6.1.4.1.8072.9999.4.0";
/// Read-only INTEGER 5; SET returns notWritable.
pub const READ_ONLY_INTEGER: &str = "1.3.6.1.4.1.8072.9999.5.0";

/// The `snmpd.conf` every [`Snmpd`] starts with; [`SnmpdBuilder::extra_config`]
/// appends to it. Keep in step with `scripts/snmpd.sh`.
pub const BASE_CONFIG: &str = r#"# Written by tests/support/mod.rs.
# sysContact, sysName and sysLocation are deliberately not set here, so that
# they stay writable.
rocommunity  public
rocommunity6 public
rwcommunity  private
rwcommunity6 private

# The default 208 KiB socket receive buffer drops requests when a few hundred
# are in flight. The kernel caps it at net.core.rmem_max (default 208 KiB).
[snmp] serverRecvBuf 4194304

# Do not log every request ("Connection from UDP: ...").
dontLogTCPWrappersConnects yes

# Extra scalars for SET tests, under netSnmpExperimental.9999.
override -rw 1.3.6.1.4.1.8072.9999.1.0 integer 0
override -rw 1.3.6.1.4.1.8072.9999.2.0 octet_str "snmux"
override -rw 1.3.6.1.4.1.8072.9999.3.0 uinteger 0
override -rw 1.3.6.1.4.1.8072.9999.4.0 object_id .1.3.6.1.4.1.8072
# Read-only (SET returns notWritable).
override     1.3.6.1.4.1.8072.9999.5.0 integer 5
"#;

/// How long [`Snmpd::start`] and [`Snmpd::restart`] wait for the agent to
/// answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`Snmpd::stop`] waits after SIGTERM before SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Fresh ports tried when snmpd cannot bind the one we picked.
const START_ATTEMPTS: usize = 5;
/// What snmpd logs when a listening address is taken.
const BIND_ERROR: &str = "Error opening specified endpoint";

/// A private net-snmp `snmpd` listening on `127.0.0.1:port` and `[::1]:port`.
///
/// Runs in its own temporary directory (`snmpd.conf`, `persist/`,
/// `snmpd.log`, `snmpd.pid`), is started by [`Snmpd::start`] or
/// [`Snmpd::builder`] and is stopped (SIGTERM, then SIGKILL after 5 s) and
/// deleted on drop. Do not keep one in a `static`: it would never be
/// stopped.
///
/// Uses `std::process`, so it works from plain and `#[tokio::test]` tests
/// alike (starting blocks the thread for a few hundred milliseconds).
#[derive(Debug)]
pub struct Snmpd {
    child: Option<Child>,
    port: u16,
    ipv6: bool,
    // Last, so that the process is stopped before the directory goes.
    dir: TempDir,
}

/// Options for [`Snmpd`]: extra configuration before the first start.
#[derive(Debug, Clone, Default)]
#[must_use = "a builder does nothing until start() is called"]
pub struct SnmpdBuilder {
    extra_config: String,
    extra_persist: String,
}

impl SnmpdBuilder {
    /// Appends lines to `snmpd.conf` (after [`BASE_CONFIG`]), e.g. more
    /// `override` objects or `rouser` lines.
    pub fn extra_config(mut self, lines: &str) -> Self {
        push_lines(&mut self.extra_config, lines);
        self
    }

    /// Appends lines to `persist/snmpd.conf`, written once before the first
    /// start: this is where `createUser` lines go (snmpd replaces them by
    /// `usmUser` lines with localized keys when it saves its state).
    pub fn extra_persist(mut self, lines: &str) -> Self {
        push_lines(&mut self.extra_persist, lines);
        self
    }

    /// Starts snmpd on a free port and waits until it answers a v2c GET.
    ///
    /// # Panics
    ///
    /// If snmpd is not installed, exits during start-up (the message
    /// includes the end of its log) or does not answer within 10 s.
    pub fn start(self) -> Snmpd {
        let dir = tempfile::Builder::new()
            .prefix("snmux-snmpd-")
            .tempdir()
            .expect("create a temporary directory for snmpd");
        let mut config = String::from(BASE_CONFIG);
        if !self.extra_config.is_empty() {
            config.push_str("\n# extra_config\n");
            config.push_str(&self.extra_config);
        }
        write(&dir.path().join("snmpd.conf"), &config);

        let ipv6 = ipv6_loopback_available();
        let mut snmpd = Snmpd {
            child: None,
            port: 0,
            ipv6,
            dir,
        };
        let mut failures = String::new();
        for _ in 0..START_ATTEMPTS {
            // A fresh persist dir each attempt: a failed snmpd may have
            // rewritten it.
            let persist = snmpd.persist_dir();
            if persist.exists() {
                fs::remove_dir_all(&persist).expect("clear persist dir");
            }
            fs::create_dir_all(&persist).expect("create persist dir");
            if !self.extra_persist.is_empty() {
                write(&persist.join("snmpd.conf"), &self.extra_persist);
            }

            let port = free_port(ipv6);
            match snmpd.launch(port) {
                Ok(()) => return snmpd,
                Err(Failure::PortInUse) => {
                    let _ = writeln!(failures, "port {port} taken");
                }
                Err(Failure::Fatal(why)) => snmpd.fail(&why),
            }
        }
        snmpd.fail(&format!(
            "no free port after {START_ATTEMPTS} attempts ({})",
            failures.trim_end().replace('\n', ", ")
        ))
    }
}

impl Snmpd {
    /// Starts an snmpd with [`BASE_CONFIG`]; see [`SnmpdBuilder::start`].
    pub fn start() -> Snmpd {
        Self::builder().start()
    }

    /// Options for extra configuration (USM users, more objects).
    pub fn builder() -> SnmpdBuilder {
        SnmpdBuilder::default()
    }

    /// The IPv4 agent address, `127.0.0.1:port`.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The IPv6 agent address, `[::1]:port`.
    ///
    /// # Panics
    ///
    /// If this machine has no IPv6 loopback (see [`Snmpd::has_ipv6`]).
    pub fn addr_v6(&self) -> SocketAddr {
        assert!(
            self.ipv6,
            "snmpd listens on IPv4 only: this machine has no IPv6 loopback (::1)"
        );
        SocketAddr::from((Ipv6Addr::LOCALHOST, self.port))
    }

    /// Whether snmpd also listens on `[::1]:port`; false only on machines
    /// without an IPv6 loopback.
    pub fn has_ipv6(&self) -> bool {
        self.ipv6
    }

    /// The UDP port, the same for IPv4 and IPv6 and across restarts.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The agent address as the net-snmp tools take it: `127.0.0.1:port`.
    pub fn net_snmp_addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The IPv6 agent address as the net-snmp tools take it:
    /// `udp6:[::1]:port`.
    ///
    /// # Panics
    ///
    /// Like [`Snmpd::addr_v6`].
    pub fn net_snmp_addr_v6(&self) -> String {
        format!("udp6:{}", self.addr_v6())
    }

    /// `snmpbulkwalk -v2c -c public` of `root` over IPv4; see
    /// [`net_snmp_walk`].
    pub fn net_snmp_walk(&self, root: &str) -> Vec<NetSnmpVarBind> {
        net_snmp_walk(&["-v2c", "-c", COMMUNITY_RO, &self.net_snmp_addr(), root])
    }

    /// `snmpget -v2c -c public` of `oids` over IPv4, parsed.
    ///
    /// # Panics
    ///
    /// Like [`net_snmp`]; a v2c noSuchObject/noSuchInstance is not an error.
    pub fn net_snmp_get(&self, oids: &[&str]) -> Vec<NetSnmpVarBind> {
        let agent = self.net_snmp_addr();
        let mut args = vec!["-v2c", "-c", COMMUNITY_RO, "-On", &agent];
        args.extend_from_slice(oids);
        parse_net_snmp_output(&net_snmp("snmpget", &args))
    }

    /// `snmpset -v2c -c private` over IPv4 of `(oid, type, value)` triples,
    /// with snmpset's type letters: `i` INTEGER, `u` Gauge32, `s` string,
    /// `x` hex string, `o` OID, `a` IpAddress, `t` TimeTicks. Returns the
    /// response, parsed.
    ///
    /// # Panics
    ///
    /// Like [`net_snmp`], including when the agent returns an error status.
    pub fn net_snmp_set(&self, bindings: &[(&str, &str, &str)]) -> Vec<NetSnmpVarBind> {
        let agent = self.net_snmp_addr();
        let mut args = vec!["-v2c", "-c", COMMUNITY_RW, "-On", &agent];
        for &(oid, type_letter, value) in bindings {
            args.extend([oid, type_letter, value]);
        }
        parse_net_snmp_output(&net_snmp("snmpset", &args))
    }

    /// The temporary directory holding `snmpd.conf`, `persist/`,
    /// `snmpd.log` and `snmpd.pid`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `dir()/persist`: `SNMP_PERSISTENT_DIR`, whose `snmpd.conf` holds
    /// `oldEngineID`, `engineBoots`, USM users and SET values of
    /// sysContact/sysName/sysLocation.
    pub fn persist_dir(&self) -> PathBuf {
        self.dir.path().join("persist")
    }

    /// The snmpd log of the current (or last) run: snmpd truncates it on
    /// every start. Also includes anything snmpd wrote to stdout/stderr.
    pub fn log(&self) -> String {
        let mut log = fs::read_to_string(self.dir.path().join("snmpd.log")).unwrap_or_default();
        let out = fs::read_to_string(self.dir.path().join("snmpd.out")).unwrap_or_default();
        if !out.trim().is_empty() {
            log.push_str("--- stdout/stderr ---\n");
            log.push_str(&out);
        }
        log
    }

    /// The process id while running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process is running.
    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Stops snmpd (SIGTERM, so that it saves its persistent state; SIGKILL
    /// if it is still there after 5 s) and waits for it. Does nothing if it
    /// is not running. The agent then no longer answers, until
    /// [`Snmpd::restart`].
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(None) = child.try_wait() {
            // `kill` is a shell builtin, so this needs no procps.
            let _ = Command::new("sh")
                .args(["-c", "kill -TERM \"$1\"", "sh", &child.id().to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + STOP_TIMEOUT;
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
            }
        }
        // No-ops if it has exited; otherwise SIGKILL.
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Stops snmpd (if running) and starts it again in the same directory on
    /// the same port, keeping `persist/`: same engine ID, `engineBoots` + 1,
    /// USM users and sysContact/sysName/sysLocation kept. For reboot tests.
    ///
    /// # Panics
    ///
    /// If snmpd does not come back, e.g. because something else took the
    /// port meanwhile.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(failure) = self.launch(self.port) {
            let why = match failure {
                Failure::PortInUse => "the port was taken while it was stopped".to_owned(),
                Failure::Fatal(why) => why,
            };
            self.fail(&format!("restart: {why}"));
        }
    }

    /// Spawns snmpd on `port` and waits until it answers.
    fn launch(&mut self, port: u16) -> Result<(), Failure> {
        debug_assert!(self.child.is_none());
        self.port = port;
        let dir = self.dir.path();
        let pid_file = dir.join("snmpd.pid");
        let _ = fs::remove_file(&pid_file);

        let mut endpoints = format!("udp:127.0.0.1:{port}");
        if self.ipv6 {
            let _ = write!(endpoints, ",udp6:[::1]:{port}");
        }
        let out = fs::File::create(dir.join("snmpd.out")).expect("create snmpd.out");
        let err = out.try_clone().expect("clone snmpd.out");
        let persist = self.persist_dir();
        let conf_path = env::join_paths([dir, persist.as_path()])
            .expect("temporary directory path contains ':'");
        let snmpd = snmpd_binary();
        let mut command = Command::new(&snmpd);
        command
            // -f: no fork, so that `child` is snmpd itself; -I -smux: no
            // SMUX listener on TCP 199 (it would collide between instances).
            .args(["-f", "-I", "-smux", "-Lf"])
            .arg(dir.join("snmpd.log"))
            .arg("-p")
            .arg(&pid_file)
            .arg(&endpoints)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        isolate(&mut command, &conf_path, &persist);
        let child = command.spawn().map_err(|e| {
            Failure::Fatal(format!(
                "cannot run {} ({e}); install net-snmp: apt-get install -y snmpd snmp",
                snmpd.display()
            ))
        })?;
        let pid = child.id();
        self.child = Some(child);

        // snmpd writes its pid file only after binding every endpoint, so a
        // reply before that could come from another agent on the port.
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let child = self.child.as_mut().expect("child was just set");
            match child.try_wait() {
                Ok(None) => {}
                Ok(Some(status)) => {
                    self.child = None;
                    return Err(if self.log().contains(BIND_ERROR) {
                        Failure::PortInUse
                    } else {
                        Failure::Fatal(format!("snmpd exited during start-up ({status})"))
                    });
                }
                Err(e) => return Err(Failure::Fatal(format!("waiting for snmpd: {e}"))),
            }
            let pid_written =
                fs::read_to_string(&pid_file).is_ok_and(|text| text.trim() == pid.to_string());
            if pid_written && answers(&self.net_snmp_addr()) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                self.stop();
                return Err(Failure::Fatal(format!(
                    "snmpd did not answer on {} within {START_TIMEOUT:?}",
                    self.addr()
                )));
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops snmpd and panics with `why` and the end of its log.
    fn fail(&mut self, why: &str) -> ! {
        self.stop();
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(30)..].join("\n");
        panic!(
            "snmpd failed to start on 127.0.0.1:{} (dir {}): {why}\n\
             --- end of snmpd.log ---\n{tail}",
            self.port,
            self.dir.path().display()
        );
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        self.stop();
    }
}

enum Failure {
    /// snmpd could not bind the port: try another.
    PortInUse,
    Fatal(String),
}

/// One variable binding as a net-snmp tool printed it (`-On` output).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetSnmpVarBind {
    /// Dotted numeric OID without the leading dot: `1.3.6.1.2.1.1.1.0`.
    pub oid: String,
    /// The type as net-snmp names it: `STRING`, `Hex-STRING`, `INTEGER`,
    /// `OID`, `Timeticks`, `Counter32`, `Counter64`, `Gauge32`, `IpAddress`,
    /// `Opaque`, `NULL`, ... An empty string prints as `= ""` without a type;
    /// that is reported as `STRING`. The exceptions are `noSuchObject`,
    /// `noSuchInstance` and `endOfMibView`, with net-snmp's message as
    /// value. Empty if net-snmp printed no type (e.g. `-Ot` Timeticks).
    pub type_name: String,
    /// The value as printed after `TYPE: `, with the lines of a multi-line
    /// value joined by `\n` and trailing whitespace removed. Strings keep
    /// their quotes and escapes (`"a \"b\""`, use [`NetSnmpVarBind::octets`]);
    /// OID values lose the leading dot like `oid`; Timeticks are
    /// `(123) 0:00:01.23`.
    pub value: String,
}

impl NetSnmpVarBind {
    /// The bytes of a `STRING` (unquoted and unescaped) or `Hex-STRING`
    /// value; `None` for other types.
    pub fn octets(&self) -> Option<Vec<u8>> {
        match self.type_name.as_str() {
            "STRING" => {
                let inner = self.value.strip_prefix('"')?.strip_suffix('"')?;
                let mut bytes = Vec::with_capacity(inner.len());
                let mut escaped = false;
                for &b in inner.as_bytes() {
                    if escaped || b != b'\\' {
                        bytes.push(b);
                        escaped = false;
                    } else {
                        escaped = true;
                    }
                }
                Some(bytes)
            }
            "Hex-STRING" => self
                .value
                .split_whitespace()
                .map(|byte| u8::from_str_radix(byte, 16).ok())
                .collect(),
            _ => None,
        }
    }

    /// Whether this is `noSuchObject`, `noSuchInstance` or `endOfMibView`.
    pub fn is_exception(&self) -> bool {
        matches!(
            self.type_name.as_str(),
            "noSuchObject" | "noSuchInstance" | "endOfMibView"
        )
    }
}

/// Runs `snmpbulkwalk -On -Oe <args>` and parses its output.
///
/// `args` are the options, agent and root OID, e.g.
/// `["-v2c", "-c", "public", "127.0.0.1:16161", "1.3.6.1.2.1"]`.
///
/// # Panics
///
/// If snmpbulkwalk fails (e.g. timeout), with its stderr.
pub fn net_snmp_walk(args: &[&str]) -> Vec<NetSnmpVarBind> {
    let mut all = vec!["-On", "-Oe"];
    all.extend_from_slice(args);
    parse_net_snmp_output(&net_snmp("snmpbulkwalk", &all))
}

/// Runs a net-snmp tool (`snmpget`, `snmpset`, `snmpbulkget`, ...) with
/// `args` and returns its stdout. Pass `-On` for numeric OIDs (no MIBs are
/// loaded; without it OIDs print as `iso.3.6...`).
///
/// # Panics
///
/// If the tool cannot be run or exits unsuccessfully (which includes an
/// error status in the response), with its stderr. Use
/// [`net_snmp_command`] to look at failures.
pub fn net_snmp(cmd: &str, args: &[&str]) -> String {
    let output = net_snmp_command(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {cmd} ({e}); install net-snmp: apt-get install -y snmp")
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        panic!(
            "{cmd} {} failed ({}):\n--- stderr ---\n{}--- stdout ---\n{stdout}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr),
        );
    }
    stdout
}

/// A `Command` for a net-snmp tool with a clean environment: no MIBs, no
/// `~/.snmp` or `/etc/snmp` configuration, and a persistent directory under
/// the target directory instead of `/var/lib/snmp`.
pub fn net_snmp_command(cmd: &str) -> Command {
    let dir = client_dir();
    let mut command = Command::new(cmd);
    isolate(&mut command, dir.as_os_str(), dir);
    command
}

/// Parses net-snmp `-On` output, `OID = TYPE: value` per variable, where
/// string values may continue over several lines. See [`NetSnmpVarBind`].
///
/// # Panics
///
/// On text before the first variable binding.
pub fn parse_net_snmp_output(text: &str) -> Vec<NetSnmpVarBind> {
    let mut varbinds: Vec<NetSnmpVarBind> = Vec::new();
    // Inside a quoted STRING value that has not ended yet: the next line
    // belongs to it even if it looks like `.1.3 = ...`.
    let mut in_string = false;
    for line in text.split('\n') {
        if !in_string {
            if let Some((oid, rest)) = split_varbind(line) {
                let (type_name, value) = split_value(rest);
                in_string = type_name == "STRING" && !string_closed(value);
                varbinds.push(NetSnmpVarBind {
                    oid: oid.to_owned(),
                    type_name: type_name.to_owned(),
                    value: value.to_owned(),
                });
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
        }
        let Some(last) = varbinds.last_mut() else {
            panic!("unexpected net-snmp output line {line:?} in:\n{text}");
        };
        last.value.push('\n');
        last.value.push_str(line);
        if in_string {
            in_string = !string_closed(&last.value);
        }
    }
    for vb in &mut varbinds {
        vb.value.truncate(vb.value.trim_end().len());
        if vb.type_name == "OID" && vb.value.starts_with('.') {
            vb.value.remove(0);
        }
    }
    varbinds
}

/// `.1.3.6 = rest` → `("1.3.6", "rest")`.
fn split_varbind(line: &str) -> Option<(&str, &str)> {
    let (oid, rest) = line.split_once(" = ")?;
    let oid = oid.strip_prefix('.').unwrap_or(oid);
    let numeric = !oid.is_empty()
        && oid
            .split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()));
    numeric.then_some((oid, rest))
}

/// `STRING: "x"` → `("STRING", "\"x\"")`, plus the forms without a type.
fn split_value(rest: &str) -> (&str, &str) {
    if rest.starts_with('"') {
        // `= ""`: an empty OCTET STRING.
        return ("STRING", rest);
    }
    if rest.starts_with("No Such Object") {
        return ("noSuchObject", rest);
    }
    if rest.starts_with("No Such Instance") {
        return ("noSuchInstance", rest);
    }
    if rest.starts_with("No more variables left") {
        return ("endOfMibView", rest);
    }
    if rest == "NULL" {
        return ("NULL", "");
    }
    match rest.split_once(": ") {
        Some((type_name, value)) => (type_name, value),
        // Only the type, nothing after the colon.
        None if rest.ends_with(':') => (&rest[..rest.len() - 1], ""),
        None => ("", rest),
    }
}

/// Whether a value that starts with `"` has its closing, unescaped `"`.
fn string_closed(value: &str) -> bool {
    let Some(inner) = value.strip_prefix('"') else {
        return true;
    };
    let mut escaped = false;
    for c in inner.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return true,
            _ => {}
        }
    }
    false
}

/// Points net-snmp at `conf_path` and `persist` only.
fn isolate(command: &mut Command, conf_path: &std::ffi::OsStr, persist: &Path) {
    command
        .env("SNMPCONFPATH", conf_path)
        .env("SNMP_PERSISTENT_DIR", persist)
        // Empty: load no MIB modules (Debian ships none; trying them
        // fills the log with errors). Output is numeric.
        .env("MIBS", "")
        .env_remove("MIBDIRS")
        .env_remove("MIBFILES")
        .env_remove("SNMP_PERSISTENT_FILE");
}

/// Persistent and config directory for the client tools, shared by all
/// tests in this build (they only read it).
fn client_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("net-snmp-client");
        // Pre-created so that concurrent tools do not race to create it.
        fs::create_dir_all(dir.join("cert_indexes")).expect("create net-snmp client dir");
        dir
    })
}

/// Whether a v2c GET of sysDescr.0 gets an answer within 0.2 s.
fn answers(agent: &str) -> bool {
    net_snmp_command("snmpget")
        .args([
            "-v2c",
            "-c",
            COMMUNITY_RO,
            "-On",
            "-t",
            "0.2",
            "-r",
            "0",
            agent,
            SYS_DESCR,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// A UDP port free on 127.0.0.1 and (if `ipv6`) on ::1 right now.
fn free_port(ipv6: bool) -> u16 {
    for _ in 0..50 {
        let v4 = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        let port = v4.local_addr().expect("local address").port();
        if !ipv6 || UdpSocket::bind((Ipv6Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    panic!("no UDP port free on both 127.0.0.1 and ::1 after 50 tries");
}

fn ipv6_loopback_available() -> bool {
    UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
}

/// `snmpd` from PATH, else from the sbin directories that unprivileged
/// users' PATH often lacks.
fn snmpd_binary() -> PathBuf {
    let from_path = env::var_os("PATH")
        .map(|path| {
            env::split_paths(&path)
                .map(|dir| dir.join("snmpd"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    from_path
        .into_iter()
        .chain(["/usr/sbin/snmpd", "/usr/local/sbin/snmpd", "/sbin/snmpd"].map(PathBuf::from))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("snmpd"))
}

fn push_lines(buf: &mut String, lines: &str) {
    buf.push_str(lines);
    if !buf.ends_with('\n') {
        buf.push('\n');
    }
}

fn write(path: &Path, contents: &str) {
    fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Asserts `err` is an error status with this index and the OID at it.
#[track_caller]
pub fn assert_error_status(
    err: &snmux::Error,
    agent: std::net::SocketAddr,
    want: snmux::ErrorStatus,
    want_index: u32,
    want_oid: &str,
) {
    match err {
        snmux::Error::ErrorStatus {
            target,
            status,
            index,
            oid,
        } => {
            assert_eq!(*target, agent, "{err}");
            assert_eq!(*status, want, "{err}");
            assert_eq!(*index, want_index, "{err}");
            assert_eq!(
                oid.as_ref().map(ToString::to_string).as_deref(),
                Some(want_oid),
                "{err}"
            );
        }
        other => panic!("expected {want}, got {other}"),
    }
}

/// Runs a net-snmp tool that must fail with an error status; returns the
/// status as net-snmp names it (`noSuchName`, `wrongLength`) and the
/// failed object (without the leading dot).
pub fn net_snmp_error(cmd: &str, args: &[&str]) -> (String, Option<String>) {
    let output = net_snmp_command(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{cmd} succeeded: {stderr}");
    let reason = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Reason: "))
        .unwrap_or_else(|| panic!("no Reason in {cmd}'s output: {stderr}"));
    // `(noSuchName) There is no such …` or `wrongLength (The set …)`.
    let reason = match reason.strip_prefix('(') {
        Some(r) => r.split(')').next().unwrap_or(r),
        None => reason.split_whitespace().next().unwrap_or(reason),
    };
    let failed = stderr
        .lines()
        .find_map(|l| l.strip_prefix("Failed object: "))
        .map(|o| o.trim().trim_start_matches('.').to_owned());
    (reason.to_owned(), failed)
}

/// A running `snmux sim --json` (this package's own binary), killed when
/// dropped. Its stderr goes to the test's.
pub struct SimProcess {
    child: Child,
    /// The agent lines of `--json`, as printed (`agent`, `addr`,
    /// `community`, `profile`, `impaired`, ...).
    pub agents: Vec<serde_json::Value>,
}

impl SimProcess {
    /// Starts `snmux sim --json ARGS` and reads its lines up to the ready
    /// line (waiting at most 120 s), whose agent count must match.
    pub fn start(args: &[&str]) -> SimProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_snmux"))
            .arg("sim")
            .arg("--json")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start snmux sim");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Killed by its drop if a line is missing or wrong.
        let mut sim = SimProcess {
            child,
            agents: Vec::new(),
        };
        loop {
            let line = match rx.recv_timeout(Duration::from_secs(120)) {
                Ok(line) => line,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("snmux sim printed no ready line in 120 s")
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("snmux sim ended before it was ready (its stderr is above)")
                }
            };
            let v: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            if v["ready"] == true {
                assert_eq!(v["agents"].as_u64(), Some(sim.agents.len() as u64));
                return sim;
            }
            sim.agents.push(v);
        }
    }

    /// The agent named `name`: (address for net-snmp, community).
    pub fn agent(&self, name: &str) -> (String, String) {
        let a = self
            .agents
            .iter()
            .find(|a| a["agent"] == name)
            .unwrap_or_else(|| panic!("no agent {name} in {:?}", self.agents));
        (
            a["addr"].as_str().unwrap().to_owned(),
            a["community"].as_str().unwrap().to_owned(),
        )
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
