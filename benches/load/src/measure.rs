//! What a client run measures: its own CPU time and peak RSS
//! (`getrusage(RUSAGE_SELF)`), its current RSS, the responder's CPU time
//! (`/proc/PID/stat`) or busy time (an SNMP GET), and latencies.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use snmux::{AnyPdu, Bytes, Message, MessageHeader, Oid, Pdu, PduType, Value, VarBind, Version};

use nix::sys::resource::{UsageWho, getrusage};

/// The process's CPU time (user + system) and peak RSS.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usage {
    /// User + system.
    pub(crate) cpu: Duration,
    pub(crate) system: Duration,
    pub(crate) max_rss_kib: u64,
}

/// Count the children (waited for) instead of this process: for peers
/// that run as processes of their own (net-snmp's tools).
static CHILDREN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// From now on, [`usage`] is that of the terminated children.
pub(crate) fn count_children() {
    CHILDREN.store(true, std::sync::atomic::Ordering::Relaxed);
}

pub(crate) fn usage() -> Usage {
    let who = if CHILDREN.load(std::sync::atomic::Ordering::Relaxed) {
        UsageWho::RUSAGE_CHILDREN
    } else {
        UsageWho::RUSAGE_SELF
    };
    match getrusage(who) {
        Ok(u) => {
            let tv = |t: nix::sys::time::TimeVal| {
                Duration::new(t.tv_sec().max(0) as u64, (t.tv_usec().max(0) as u32) * 1000)
            };
            Usage {
                cpu: tv(u.user_time()) + tv(u.system_time()),
                system: tv(u.system_time()),
                // Linux reports ru_maxrss in KiB.
                max_rss_kib: u.max_rss().max(0) as u64,
            }
        }
        Err(_) => Usage {
            cpu: Duration::ZERO,
            system: Duration::ZERO,
            max_rss_kib: 0,
        },
    }
}

/// The process's resident set now, in KiB (VmRSS of /proc/self/status).
pub(crate) fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// CPU time (user + system) of process `pid` so far, from /proc/PID/stat.
pub(crate) fn process_cpu(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count from after it.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 and 15 of stat(5) (utime, stime) are the 12th and 13th after
    // the name; /proc reports them in USER_HZ, 100 per second on Linux.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// The time the responder at `responder` has spent answering so far:
/// one SNMPv2c GET of its busy counter
/// ([`BUSY_ARCS`](crate::responder::BUSY_ARCS)) from a socket of its
/// own, waiting at most a second. `None` if no answer came or it was not
/// a Counter64.
pub(crate) fn responder_busy(responder: SocketAddr, community: &str) -> Option<Duration> {
    let local: SocketAddr = match responder {
        SocketAddr::V4(_) => (std::net::Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (std::net::Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local).ok()?;
    socket.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
    let oid = Oid::from_slice(crate::responder::BUSY_ARCS);
    let request_id = 0x5eed;
    let mut request = Vec::new();
    Message {
        version: Version::V2c,
        community: Bytes::copy_from_slice(community.as_bytes()),
        pdu: AnyPdu::Pdu(Pdu::new(
            PduType::GetRequest,
            request_id,
            vec![VarBind::null(oid.clone())],
        )),
    }
    .encode(&mut request);
    socket.send_to(&request, responder).ok()?;
    let mut buf = vec![0; 1500];
    loop {
        let (n, from) = socket.recv_from(&mut buf).ok()?;
        let bytes = Bytes::copy_from_slice(&buf[..n]);
        let Ok(header) = MessageHeader::decode(&bytes) else {
            continue;
        };
        if from != responder || header.request_id != request_id {
            continue;
        }
        let varbinds = header.varbinds(&bytes).ok()?;
        return match varbinds.first() {
            Some(VarBind {
                oid: o,
                value: Value::Counter64(us),
            }) if *o == oid => Some(Duration::from_micros(*us)),
            _ => None,
        };
    }
}

/// Busy CPU time of the whole machine so far, all cores (user, nice,
/// system, irq, softirq and steal of /proc/stat's `cpu` line).
pub(crate) fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let busy = v.first()? + v.get(1)? + v.get(2)? + v.get(5)? + v.get(6)? + v.get(7)?;
    Some(Duration::from_millis(busy * 10))
}

/// Latencies in microseconds, one per operation.
#[derive(Debug, Default)]
pub(crate) struct Latencies(Vec<u32>);

impl Latencies {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Latencies(Vec::with_capacity(n))
    }

    pub(crate) fn record(&mut self, d: Duration) {
        self.0
            .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
    }

    pub(crate) fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The `q` quantile (0..=1), or `None` without samples.
    pub(crate) fn quantile(&mut self, q: f64) -> Option<u32> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_unstable();
        let i = ((self.0.len() - 1) as f64 * q).round() as usize;
        self.0.get(i).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles() {
        let mut l = Latencies::default();
        assert_eq!(l.quantile(0.5), None);
        for us in (1..=100).rev() {
            l.record(Duration::from_micros(us));
        }
        assert_eq!(l.quantile(0.5), Some(51));
        assert_eq!(l.quantile(0.99), Some(99));
    }

    #[test]
    fn own_usage_and_cpu() {
        assert!(usage().max_rss_kib > 0);
        assert!(rss_kib() > 0);
        assert!(process_cpu(std::process::id()).is_some());
        assert!(machine_busy().is_some());
    }
}
