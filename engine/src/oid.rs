//! Object identifiers (RFC 2578 §3.5, encoded as in X.690 §8.19).

use std::fmt;
use std::str::FromStr;

use smallvec::SmallVec;

/// The largest number of sub-identifiers an OID may have (RFC 2578 §3.5).
pub const MAX_OID_LEN: usize = 128;

/// An SNMP object identifier: a sequence of at most [`MAX_OID_LEN`]
/// sub-identifiers, each in `0..=u32::MAX`.
///
/// OIDs compare lexicographically by sub-identifier, which is the order SNMP
/// uses for GETNEXT and walks (`1.3.6.1.2 < 1.3.6.1.2.1 < 1.3.6.1.3`).
/// OIDs of up to 16 sub-identifiers are stored inline, without allocating.
///
/// # Examples
///
/// ```
/// use snmux::{oid, Oid};
///
/// let sys_descr: Oid = "1.3.6.1.2.1.1.1.0".parse()?;
/// assert_eq!(sys_descr, oid!(1, 3, 6, 1, 2, 1, 1, 1, 0));
/// assert!(sys_descr.starts_with(&oid!(1, 3, 6, 1, 2, 1, 1)));
/// assert_eq!(sys_descr.to_string(), "1.3.6.1.2.1.1.1.0");
/// # Ok::<(), snmux::ParseOidError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Oid(SmallVec<[u32; 16]>);

/// Builds an [`Oid`] from sub-identifiers: `oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)`.
#[macro_export]
macro_rules! oid {
    ($($arc:expr),* $(,)?) => {
        $crate::Oid::from_slice(&[$($arc),*])
    };
}

impl Oid {
    /// The empty OID (no sub-identifiers).
    pub const fn empty() -> Self {
        Self(SmallVec::new_const())
    }

    /// Builds an OID from its sub-identifiers.
    ///
    /// # Panics
    ///
    /// Panics if [`Oid::try_from_slice`] would fail; use that for untrusted
    /// input.
    pub fn from_slice(arcs: &[u32]) -> Self {
        Self::try_from_slice(arcs).expect("an OID has at most 128 sub-identifiers")
    }

    /// Builds an OID from its sub-identifiers.
    ///
    /// BER encodes the first two sub-identifiers as one (X.690 §8.19.4), so
    /// the first must be 0, 1 or 2, and the second below 40 unless the first
    /// is 2. A single sub-identifier `X` is sent as `X.0`, as net-snmp does.
    ///
    /// # Errors
    ///
    /// [`ParseOidError`] if `arcs` is longer than [`MAX_OID_LEN`] or its first
    /// two sub-identifiers cannot be encoded.
    pub fn try_from_slice(arcs: &[u32]) -> Result<Self, ParseOidError> {
        check(arcs)?;
        Ok(Self(SmallVec::from_slice(arcs)))
    }

    /// The sub-identifiers.
    pub fn arcs(&self) -> &[u32] {
        &self.0
    }

    /// The number of sub-identifiers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the OID has no sub-identifiers.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `prefix` is a prefix of `self` (an OID starts with itself).
    pub fn starts_with(&self, prefix: &Oid) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// This OID with one more sub-identifier: `sysDescr.child(0)`.
    ///
    /// # Panics
    ///
    /// Panics if `self` already has [`MAX_OID_LEN`] sub-identifiers.
    #[must_use]
    pub fn child(&self, arc: u32) -> Oid {
        self.join(&[arc])
    }

    /// This OID followed by `index`: a table column and a row index,
    /// `ifDescr.join(&[3])`, `outletControl.join(&[pdu, outlet])`.
    ///
    /// # Panics
    ///
    /// Panics if the result would exceed [`MAX_OID_LEN`].
    #[must_use]
    pub fn join(&self, index: &[u32]) -> Oid {
        assert!(
            self.0.len() + index.len() <= MAX_OID_LEN,
            "an OID has at most 128 sub-identifiers"
        );
        let mut arcs = self.0.clone();
        arcs.extend_from_slice(index);
        Oid(arcs)
    }

    /// The sub-identifiers of `self` after `prefix` (a table row's index),
    /// or `None` if `self` does not start with `prefix`.
    pub fn suffix(&self, prefix: &Oid) -> Option<&[u32]> {
        self.0.strip_prefix(prefix.0.as_slice())
    }

    /// The parent OID (without the last sub-identifier), or `None` for the
    /// empty OID.
    pub fn parent(&self) -> Option<Oid> {
        let (_, rest) = self.0.split_last()?;
        Some(Oid(SmallVec::from_slice(rest)))
    }

    pub(crate) fn push(&mut self, arc: u32) {
        self.0.push(arc);
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for arc in &self.0 {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl FromStr for Oid {
    type Err = ParseOidError;

    /// Parses dotted decimal, with or without a leading dot:
    /// `1.3.6.1.2.1.1.1.0` or `.1.3.6.1.2.1.1.1.0`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.strip_prefix('.').unwrap_or(s);
        if s.is_empty() {
            return Err(ParseOidError(ParseOidErrorKind::Empty));
        }
        let mut oid = Oid::empty();
        for part in s.split('.') {
            if oid.len() == MAX_OID_LEN {
                return Err(ParseOidError(ParseOidErrorKind::TooLong));
            }
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ParseOidError(ParseOidErrorKind::InvalidArc));
            }
            let arc = part
                .parse::<u32>()
                .map_err(|_| ParseOidError(ParseOidErrorKind::ArcTooLarge))?;
            oid.push(arc);
        }
        check(oid.arcs())?;
        Ok(oid)
    }
}

/// Whether `arcs` can be an OID on the wire.
fn check(arcs: &[u32]) -> Result<(), ParseOidError> {
    match arcs {
        a if a.len() > MAX_OID_LEN => Err(ParseOidError(ParseOidErrorKind::TooLong)),
        [first, ..] if *first > 2 => Err(ParseOidError(ParseOidErrorKind::FirstArc)),
        [first, second, ..] if *first < 2 && *second >= 40 => {
            Err(ParseOidError(ParseOidErrorKind::SecondArc))
        }
        _ => Ok(()),
    }
}

impl From<&[u32]> for Oid {
    /// # Panics
    ///
    /// Panics if the slice is longer than [`MAX_OID_LEN`].
    fn from(arcs: &[u32]) -> Self {
        Oid::from_slice(arcs)
    }
}

impl<const N: usize> From<[u32; N]> for Oid {
    /// # Panics
    ///
    /// Panics if `N` is larger than [`MAX_OID_LEN`].
    fn from(arcs: [u32; N]) -> Self {
        Oid::from_slice(&arcs)
    }
}

/// The error of parsing an [`Oid`] from text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid OID: {0}")]
pub struct ParseOidError(ParseOidErrorKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum ParseOidErrorKind {
    #[error("empty")]
    Empty,
    #[error("a sub-identifier is not a decimal number")]
    InvalidArc,
    #[error("a sub-identifier exceeds 4294967295")]
    ArcTooLarge,
    #[error("more than 128 sub-identifiers")]
    TooLong,
    #[error("the first sub-identifier must be 0, 1 or 2")]
    FirstArc,
    #[error("the second sub-identifier must be below 40 when the first is 0 or 1")]
    SecondArc,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display() {
        let oid: Oid = ".1.3.6.1.2.1.1.1.0".parse().unwrap();
        assert_eq!(oid.arcs(), &[1, 3, 6, 1, 2, 1, 1, 1, 0]);
        assert_eq!(oid.to_string(), "1.3.6.1.2.1.1.1.0");
        assert_eq!(
            "1.3.6.1.4.1.4294967295".parse::<Oid>().unwrap().arcs()[6],
            u32::MAX
        );
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "",
            ".",
            "1..3",
            "1.3.",
            "a.b",
            "1.3.-1",
            "1.3.4294967296",
            "3.1",
            "1.40",
            "1.3 .6",
        ] {
            assert!(bad.parse::<Oid>().is_err(), "{bad:?} parsed");
        }
        let long = vec!["1"; 129].join(".");
        assert!(long.parse::<Oid>().is_err());
        assert!(vec!["1"; 128].join(".").parse::<Oid>().is_ok());
        assert!(Oid::try_from_slice(&[3, 1]).is_err());
        assert!(Oid::try_from_slice(&[1, 40]).is_err());
        assert!(Oid::try_from_slice(&[2, 40]).is_ok());
    }

    #[test]
    fn order_is_snmp_order() {
        let a = oid!(1, 3, 6, 1, 2);
        let b = oid!(1, 3, 6, 1, 2, 1);
        let c = oid!(1, 3, 6, 1, 3);
        let d = oid!(1, 3, 6, 1, 10);
        assert!(a < b && b < c && c < d);
    }

    #[test]
    fn helpers() {
        let col = oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2);
        let cell = col.join(&[7, 1]);
        assert_eq!(cell.suffix(&col), Some(&[7u32, 1][..]));
        assert_eq!(col.child(3).parent(), Some(col.clone()));
        assert!(cell.starts_with(&col) && !col.starts_with(&cell));
        assert_eq!(oid!(1, 3).suffix(&col), None);
        assert_eq!(Oid::empty().parent(), None);
    }
}
