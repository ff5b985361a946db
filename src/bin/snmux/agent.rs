//! The agent argument: `[udp:|udp6:]HOST[:PORT]`, as net-snmp takes it.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use anyhow::{Context as _, bail};

/// SNMP's UDP port (RFC 3417 §3.1).
const DEFAULT_PORT: u16 = 161;

/// An agent address as written on the command line, not yet resolved.
///
/// Forms: `192.0.2.1`, `192.0.2.1:16161`, `host.example:161`, `::1`,
/// `[::1]`, `[::1]:16161`, each optionally behind net-snmp's transport
/// prefix `udp:` (IPv4) or `udp6:` (IPv6; also `udpv6:`, `udpipv6:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentSpec {
    host: Host,
    port: u16,
    family: Option<Family>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Ip(IpAddr),
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl AgentSpec {
    /// The socket address: IP literals as they are, host names through the
    /// system resolver. Without a transport prefix a name resolves to its
    /// first IPv4 address if it has one (net-snmp's default transport is
    /// UDP over IPv4), else to its first address.
    ///
    /// # Errors
    ///
    /// If the name does not resolve, or has no address of the family the
    /// prefix asks for.
    pub(crate) async fn resolve(&self) -> anyhow::Result<SocketAddr> {
        let name = match &self.host {
            Host::Ip(ip) => return Ok(SocketAddr::new(*ip, self.port)),
            Host::Name(name) => name,
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), self.port))
            .await
            .with_context(|| format!("cannot resolve {name}"))?
            .collect();
        let pick = match self.family {
            Some(Family::V4) => addrs.iter().find(|a| a.is_ipv4()),
            Some(Family::V6) => addrs.iter().find(|a| a.is_ipv6()),
            None => addrs.iter().find(|a| a.is_ipv4()).or(addrs.first()),
        };
        match pick {
            Some(addr) => Ok(*addr),
            None => match self.family {
                Some(Family::V4) => bail!("{name} has no IPv4 address"),
                Some(Family::V6) => bail!("{name} has no IPv6 address"),
                None => bail!("{name} has no address"),
            },
        }
    }
}

impl FromStr for AgentSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (family, rest) = split_transport(s)?;
        let (host, port) = split_port(rest)?;
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) if is_host_name(host) => Host::Name(host.to_owned()),
            Err(_) => return Err(format!("invalid host {host:?}")),
        };
        match (family, &host) {
            (Some(Family::V4), Host::Ip(IpAddr::V6(_))) => {
                return Err("udp: takes an IPv4 address; use udp6: for IPv6".to_owned());
            }
            (Some(Family::V6), Host::Ip(IpAddr::V4(_))) => {
                return Err("udp6: takes an IPv6 address; use udp: for IPv4".to_owned());
            }
            _ => {}
        }
        Ok(AgentSpec { host, port, family })
    }
}

impl fmt::Display for AgentSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.host {
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]:{}", self.port),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}:{}", self.port),
            Host::Name(name) => write!(f, "{name}:{}", self.port),
        }
    }
}

/// Splits off net-snmp's transport prefix.
fn split_transport(s: &str) -> Result<(Option<Family>, &str), String> {
    let Some((prefix, rest)) = s.split_once(':') else {
        return Ok((None, s));
    };
    match prefix.to_ascii_lowercase().as_str() {
        "udp" => Ok((Some(Family::V4), rest)),
        "udp6" | "udpv6" | "udpipv6" => Ok((Some(Family::V6), rest)),
        "tcp" | "tcp6" | "tcpv6" | "tcpipv6" | "unix" | "tls" | "tlstcp" | "dtls" | "dtlsudp"
        | "ssh" | "ipx" | "aal5pvc" | "pvc" | "callback" => Err(format!(
            "transport {prefix}: is not supported; snmux speaks SNMP over UDP only (udp:, udp6:)"
        )),
        _ => Ok((None, s)),
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address.
fn split_port(s: &str) -> Result<(&str, u16), String> {
    if let Some(rest) = s.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("missing ']' in {s:?}"));
        };
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!("invalid IPv6 address {host:?} in brackets"));
        }
        let port = match after {
            "" => DEFAULT_PORT,
            _ => match after.strip_prefix(':') {
                Some(port) => parse_port(port)?,
                None => return Err(format!("expected ':PORT' after ']' in {s:?}")),
            },
        };
        return Ok((host, port));
    }
    match s.matches(':').count() {
        0 => Ok((s, DEFAULT_PORT)),
        1 => {
            let (host, port) = s.split_once(':').unwrap_or((s, ""));
            Ok((host, parse_port(port)?))
        }
        // A bare IPv6 address; a port needs brackets.
        _ => Ok((s, DEFAULT_PORT)),
    }
}

fn parse_port(s: &str) -> Result<u16, String> {
    match s.parse::<u16>() {
        Ok(port) if port > 0 && s.bytes().all(|b| b.is_ascii_digit()) => Ok(port),
        _ => Err(format!("invalid port {s:?} (1-65535)")),
    }
}

/// Letters, digits, `-`, `_` and dots, as in DNS names and /etc/hosts.
fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && !s.starts_with(['-', '.'])
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> AgentSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn forms() {
        for (input, shown) in [
            ("127.0.0.1", "127.0.0.1:161"),
            ("127.0.0.1:16161", "127.0.0.1:16161"),
            ("udp:127.0.0.1:16161", "127.0.0.1:16161"),
            ("UDP:10.0.0.1", "10.0.0.1:161"),
            ("::1", "[::1]:161"),
            ("[::1]", "[::1]:161"),
            ("[::1]:16161", "[::1]:16161"),
            ("udp6:[::1]:16161", "[::1]:16161"),
            ("udp6:::1", "[::1]:161"),
            ("udpv6:[2001:db8::1]:1", "[2001:db8::1]:1"),
            ("localhost", "localhost:161"),
            ("switch-1.example.net:1161", "switch-1.example.net:1161"),
        ] {
            assert_eq!(parse(input).to_string(), shown, "{input}");
        }
        assert_eq!(parse("udp:localhost").family, Some(Family::V4));
        assert_eq!(parse("udp6:localhost").family, Some(Family::V6));
        assert_eq!(parse("localhost").family, None);
    }

    #[test]
    fn errors() {
        for bad in [
            "",
            ":161",
            "host:",
            "host:0",
            "host:65536",
            "host:+1",
            "host:x",
            "[::1",
            "[::1]x",
            "[::1]:",
            "[host]:161",
            "udp:[::1]:161",
            "udp6:127.0.0.1",
            "tcp:127.0.0.1:161",
            "bad host",
            "-x",
            "a/b",
        ] {
            assert!(bad.parse::<AgentSpec>().is_err(), "{bad:?} parsed");
        }
    }

    #[tokio::test]
    async fn resolves_literals_and_localhost() {
        let addr = parse("[::1]:1161").resolve().await.unwrap();
        assert_eq!(addr, "[::1]:1161".parse().unwrap());
        let addr = parse("udp:localhost:1161").resolve().await.unwrap();
        assert_eq!(addr, "127.0.0.1:1161".parse().unwrap());
    }
}
