use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use snmux_engine::{MAX_OID_LEN, Oid};

/// An OID with places for an outlet's index, in dotted form:
///
/// - `*` is the whole index (`1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.*` with
///   index `5` is `….4.5`; with `1.2.8` it is `….4.1.2.8`);
/// - `$1`, `$2`, … are its parts (`1.3.6.1.4.1.13742.6.5.4.3.1.4.$1.$2.4`
///   with index `1.3` is `….4.1.3.4`);
/// - a template without either is the same OID for every outlet (a PDU's
///   inlet voltage).
///
/// A leading dot is allowed, as net-snmp prints OIDs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OidTemplate {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Part {
    Arc(u32),
    /// The whole index.
    Index,
    /// One part of the index, 0-based.
    Nth(usize),
}

/// Why a template does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OID template {template:?}: {reason}")]
pub struct TemplateError {
    /// The template as given.
    pub template: String,
    /// What is wrong.
    pub reason: &'static str,
}

impl OidTemplate {
    /// The template `oid.*`: the index appended to `oid` (Jumpstarter's
    /// `oid` and `plug`).
    pub fn indexed(oid: &Oid) -> OidTemplate {
        let mut parts: Vec<Part> = oid.arcs().iter().map(|&a| Part::Arc(a)).collect();
        parts.push(Part::Index);
        OidTemplate { parts }
    }

    /// The OID for an outlet whose index is `index`.
    ///
    /// # Errors
    ///
    /// If the template names an index part that `index` does not have, or
    /// the result is not a valid OID (too long).
    pub fn expand(&self, index: &[u32]) -> Result<Oid, &'static str> {
        let mut arcs = Vec::with_capacity(self.parts.len() + index.len());
        for part in &self.parts {
            match *part {
                Part::Arc(a) => arcs.push(a),
                Part::Index => arcs.extend_from_slice(index),
                Part::Nth(i) => arcs.push(
                    *index
                        .get(i)
                        .ok_or("the index has fewer parts than the template uses")?,
                ),
            }
        }
        Oid::try_from_slice(&arcs)
            .map_err(|_| "the OID is too long or does not start with 0, 1 or 2")
    }

    /// The number of index parts the template needs at least (`$3` needs 3).
    pub fn index_parts_used(&self) -> usize {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Nth(i) => Some(i + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Whether the OID depends on the outlet.
    pub fn has_index(&self) -> bool {
        self.parts.iter().any(|p| !matches!(p, Part::Arc(_)))
    }
}

impl FromStr for OidTemplate {
    type Err = TemplateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = |reason| TemplateError {
            template: s.to_owned(),
            reason,
        };
        let body = s.trim().strip_prefix('.').unwrap_or(s.trim());
        if body.is_empty() {
            return Err(error("empty"));
        }
        let mut parts = Vec::new();
        for arc in body.split('.') {
            let part =
                match arc {
                    "*" => Part::Index,
                    _ if arc.starts_with('$') => {
                        let n: usize = arc[1..].parse().map_err(|_| {
                            error("`$` must be followed by an index part number (`$1`)")
                        })?;
                        if n == 0 {
                            return Err(error("index parts count from `$1`"));
                        }
                        Part::Nth(n - 1)
                    }
                    _ => Part::Arc(arc.parse().map_err(|_| {
                        error("sub-identifiers are numbers 0-4294967295, `*` or `$N`")
                    })?),
                };
            parts.push(part);
        }
        if parts.len() > MAX_OID_LEN {
            return Err(error("more than 128 sub-identifiers"));
        }
        if let Some(Part::Arc(first)) = parts.first()
            && *first > 2
        {
            return Err(error("an OID starts with 0, 1 or 2"));
        }
        Ok(OidTemplate { parts })
    }
}

impl fmt::Display for OidTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match part {
                Part::Arc(a) => write!(f, "{a}")?,
                Part::Index => f.write_str("*")?,
                Part::Nth(n) => write!(f, "${}", n + 1)?,
            }
        }
        Ok(())
    }
}

impl Serialize for OidTemplate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for OidTemplate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> OidTemplate {
        s.parse().unwrap()
    }

    #[test]
    fn whole_index_and_parts() {
        assert_eq!(
            t("1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.*")
                .expand(&[5])
                .unwrap()
                .to_string(),
            "1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.5"
        );
        assert_eq!(
            t(".1.3.6.1.4.1.1718.3.2.3.1.11.*")
                .expand(&[1, 2, 8])
                .unwrap()
                .to_string(),
            "1.3.6.1.4.1.1718.3.2.3.1.11.1.2.8"
        );
        let raritan = t("1.3.6.1.4.1.13742.6.5.4.3.1.4.$1.$2.4");
        assert_eq!(raritan.index_parts_used(), 2);
        assert_eq!(
            raritan.expand(&[1, 3]).unwrap().to_string(),
            "1.3.6.1.4.1.13742.6.5.4.3.1.4.1.3.4"
        );
        assert!(raritan.expand(&[3]).is_err());
        let scalar = t("1.3.6.1.4.1.3808.1.1.3.5.7.0");
        assert!(!scalar.has_index());
        assert_eq!(
            scalar.expand(&[4]).unwrap().to_string(),
            "1.3.6.1.4.1.3808.1.1.3.5.7.0"
        );
    }

    #[test]
    fn round_trips_through_display() {
        for s in [
            "1.3.6.1.4.1.13742.6.5.4.3.1.4.$1.$2.4",
            "1.3.6.*",
            "1.3.6.1",
        ] {
            assert_eq!(t(s).to_string(), s);
        }
    }

    #[test]
    fn bad_templates() {
        for s in ["", ".", "1.3.x", "1.3.$0", "1.3.$", "1..3", "7.1", "1.3.-1"] {
            assert!(s.parse::<OidTemplate>().is_err(), "{s}");
        }
        let long = vec!["1"; 129].join(".");
        assert!(long.parse::<OidTemplate>().is_err());
    }
}
