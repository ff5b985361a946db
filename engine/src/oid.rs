//! Object identifiers (RFC 2578 §3.5, encoded as in X.690 §8.19).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// The largest number of sub-identifiers an OID may have (RFC 2578 §3.5).
pub const MAX_OID_LEN: usize = 128;

/// An SNMP object identifier: a sequence of at most [`MAX_OID_LEN`]
/// sub-identifiers, each in `0..=u32::MAX`.
///
/// OIDs compare lexicographically by sub-identifier, which is the order SNMP
/// uses for GETNEXT and walks (`1.3.6.1.2 < 1.3.6.1.2.1 < 1.3.6.1.3`).
/// OIDs of up to 15 sub-identifiers are stored inline, without allocating,
/// in 64 bytes (a [`VarBind`](crate::VarBind) takes 128).
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
#[derive(Clone)]
pub struct Oid(Arcs);

/// The sub-identifiers an [`Oid`] stores inline.
pub(crate) const INLINE_ARCS: usize = 15;

/// An [`Oid`]'s sub-identifiers. The inline length is an enum so that the
/// layout has a niche: `Oid`, `Option<Oid>` and [`Value`](crate::Value)
/// all take 64 bytes. Which variant holds an OID does not matter to its
/// value: comparisons and hashes go by [`Oid::arcs`].
#[derive(Clone)]
enum Arcs {
    Inline(Inline),
    Heap(Vec<u32>),
}

/// Inline sub-identifiers, laid out so that an empty OID is 61 zero
/// bytes from its start (the compiler writes and copies it in aligned
/// chunks), with the length, and `Arcs`'s niche, last.
#[derive(Clone, Copy)]
#[repr(C)]
struct Inline {
    arcs: [u32; INLINE_ARCS],
    len: InlineLen,
}

/// `0..=INLINE_ARCS`.
#[derive(Clone, Copy)]
#[repr(u8)]
enum InlineLen {
    L0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
}

impl InlineLen {
    const ALL: [InlineLen; INLINE_ARCS + 1] = {
        use InlineLen::*;
        [
            L0, L1, L2, L3, L4, L5, L6, L7, L8, L9, L10, L11, L12, L13, L14, L15,
        ]
    };

    /// `n`, if it is at most [`INLINE_ARCS`].
    #[inline]
    fn new(n: usize) -> Option<Self> {
        Self::ALL.get(n).copied()
    }
}

impl Arcs {
    #[inline]
    fn from_slice(arcs: &[u32]) -> Self {
        match InlineLen::new(arcs.len()) {
            Some(len) => {
                let mut inline = [0; INLINE_ARCS];
                inline[..arcs.len()].copy_from_slice(arcs);
                Arcs::Inline(Inline { len, arcs: inline })
            }
            None => Arcs::Heap(arcs.to_vec()),
        }
    }

    #[inline]
    fn as_slice(&self) -> &[u32] {
        match self {
            Arcs::Inline(Inline { len, arcs }) => &arcs[..*len as usize],
            Arcs::Heap(arcs) => arcs,
        }
    }
}

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
        Self(Arcs::Inline(Inline {
            len: InlineLen::L0,
            arcs: [0; INLINE_ARCS],
        }))
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
        Ok(Self(Arcs::from_slice(arcs)))
    }

    /// The sub-identifiers.
    #[inline]
    pub fn arcs(&self) -> &[u32] {
        self.0.as_slice()
    }

    /// The number of sub-identifiers.
    pub fn len(&self) -> usize {
        self.arcs().len()
    }

    /// Whether the OID has no sub-identifiers.
    pub fn is_empty(&self) -> bool {
        self.arcs().is_empty()
    }

    /// Whether `prefix` is a prefix of `self` (an OID starts with itself).
    #[inline]
    pub fn starts_with(&self, prefix: &Oid) -> bool {
        self.arcs().starts_with(prefix.arcs())
    }

    /// How many leading sub-identifiers `self` and `other` share: the
    /// length of their longest common prefix, at most the shorter one's
    /// length. Where it is shorter than both, the sub-identifiers at that
    /// index are where the two differ and which one orders first.
    ///
    /// ```
    /// use snmux::oid;
    /// let a = oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 7);
    /// assert_eq!(a.common_prefix_len(&oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 3)), 9);
    /// assert_eq!(a.common_prefix_len(&oid!(1, 3, 6)), 3);
    /// ```
    #[inline]
    pub fn common_prefix_len(&self, other: &Oid) -> usize {
        common_prefix_len(self.arcs(), other.arcs())
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
        let arcs = self.arcs();
        let len = arcs.len() + index.len();
        assert!(len <= MAX_OID_LEN, "an OID has at most 128 sub-identifiers");
        match InlineLen::new(len) {
            Some(inline_len) => {
                let mut inline = [0; INLINE_ARCS];
                inline[..arcs.len()].copy_from_slice(arcs);
                inline[arcs.len()..len].copy_from_slice(index);
                Oid(Arcs::Inline(Inline {
                    len: inline_len,
                    arcs: inline,
                }))
            }
            None => Oid(Arcs::Heap([arcs, index].concat())),
        }
    }

    /// The sub-identifiers of `self` after `prefix` (a table row's index),
    /// or `None` if `self` does not start with `prefix`.
    pub fn suffix(&self, prefix: &Oid) -> Option<&[u32]> {
        self.arcs().strip_prefix(prefix.arcs())
    }

    /// The parent OID (without the last sub-identifier), or `None` for the
    /// empty OID.
    pub fn parent(&self) -> Option<Oid> {
        let (_, rest) = self.arcs().split_last()?;
        Some(Oid(Arcs::from_slice(rest)))
    }

    /// The OID of `arcs[..len]`, which the BER decoder has checked.
    #[inline]
    pub(crate) fn from_decoded_inline(arcs: [u32; INLINE_ARCS], len: usize) -> Oid {
        debug_assert!(check(&arcs[..len]).is_ok());
        match InlineLen::new(len) {
            Some(len) => Oid(Arcs::Inline(Inline { len, arcs })),
            None => Oid(Arcs::from_slice(&arcs)),
        }
    }

    /// Sets the OID, in place, to the sub-identifiers that `decode` writes
    /// to the start of the inline storage it is given; `decode` returns
    /// how many (at most [`INLINE_ARCS`], the length of what it is given).
    /// On error the OID is empty.
    #[inline]
    pub(crate) fn set_inline<E>(
        &mut self,
        decode: impl FnOnce(&mut [u32; INLINE_ARCS]) -> Result<usize, E>,
    ) -> Result<(), E> {
        if let Arcs::Heap(_) = self.0 {
            // Written in place: an Oid built elsewhere and moved here would
            // be read back in wider loads than it was written in.
            self.0 = Arcs::Inline(Inline {
                len: InlineLen::L0,
                arcs: [0; INLINE_ARCS],
            });
        }
        if let Arcs::Inline(Inline { len, arcs }) = &mut self.0 {
            *len = InlineLen::L0;
            let n = decode(arcs)?;
            debug_assert!(check(&arcs[..n]).is_ok());
            // `decode` cannot return more than it was given; if it did,
            // the OID keeps what fits.
            *len = InlineLen::new(n).unwrap_or(InlineLen::L15);
        }
        Ok(())
    }

    /// The inline storage of an OID held inline: all of it, the first
    /// [`Oid::len`] sub-identifiers the OID's.
    #[inline]
    pub(crate) fn inline_storage(&self) -> Option<&[u32; INLINE_ARCS]> {
        match &self.0 {
            Arcs::Inline(Inline { arcs, .. }) => Some(arcs),
            Arcs::Heap(_) => None,
        }
    }

    /// An empty OID that is cheap to write: no inline sub-identifiers to
    /// zero, no allocation. A placeholder for the decoder to decode into
    /// with [`Oid::set_inline`].
    #[inline]
    pub(crate) const fn placeholder() -> Self {
        Self(Arcs::Heap(Vec::new()))
    }

    /// The OID of `arcs`, which the BER decoder has checked.
    pub(crate) fn from_decoded(arcs: &[u32]) -> Oid {
        debug_assert!(check(arcs).is_ok());
        Oid(Arcs::from_slice(arcs))
    }

    /// Appends a sub-identifier (callers check [`MAX_OID_LEN`]).
    pub(crate) fn push(&mut self, arc: u32) {
        match &mut self.0 {
            Arcs::Inline(Inline { len, arcs }) => match InlineLen::new(*len as usize + 1) {
                Some(longer) => {
                    arcs[*len as usize] = arc;
                    *len = longer;
                }
                None => {
                    let mut heap = Vec::with_capacity(2 * INLINE_ARCS);
                    heap.extend_from_slice(arcs);
                    heap.push(arc);
                    self.0 = Arcs::Heap(heap);
                }
            },
            Arcs::Heap(arcs) => arcs.push(arc),
        }
    }
}

impl PartialEq for Oid {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.arcs() == other.arcs()
    }
}

impl Eq for Oid {}

impl PartialOrd for Oid {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Oid {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_arcs(self.arcs(), other.arcs())
    }
}

/// `a.cmp(b)`: by the first sub-identifier where they differ, or else by
/// length.
#[inline]
fn cmp_arcs(a: &[u32], b: &[u32]) -> Ordering {
    let d = common_prefix_len(a, b);
    match (a.get(d), b.get(d)) {
        (Some(x), Some(y)) => x.cmp(y),
        _ => a.len().cmp(&b.len()),
    }
}

/// The length of the longest common prefix of `a` and `b`, four
/// sub-identifiers at a time while they agree: the OIDs compared in walks
/// and tables share most of theirs.
#[inline]
fn common_prefix_len(a: &[u32], b: &[u32]) -> usize {
    let common = a.len().min(b.len());
    let (mut x, mut y) = (&a[..common], &b[..common]);
    let mut n = 0;
    while let (Some(p), Some(q)) = (x.first_chunk::<4>(), y.first_chunk::<4>()) {
        if p != q {
            break;
        }
        x = &x[4..];
        y = &y[4..];
        n += 4;
    }
    n + x.iter().zip(y).take_while(|(p, q)| p == q).count()
}

impl Hash for Oid {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.arcs().hash(state);
    }
}

impl Default for Oid {
    fn default() -> Self {
        Oid::empty()
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for arc in self.arcs() {
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

    proptest::proptest! {
        /// The order is the slices' order and the common prefix theirs,
        /// which skipping equal chunks must not change: prefixes, a
        /// difference in any place.
        #[test]
        fn order_is_the_order_of_the_arcs(
            prefix in proptest::collection::vec(0u32..4, 0..40),
            a in proptest::collection::vec(0u32..4, 0..12),
            b in proptest::collection::vec(0u32..4, 0..12),
        ) {
            // Under 1.3, so that every one is a valid OID.
            let x: Vec<u32> = [1, 3].iter().chain(&prefix).chain(&a).copied().collect();
            let y: Vec<u32> = [1, 3].iter().chain(&prefix).chain(&b).copied().collect();
            let (ox, oy) = (Oid::from_slice(&x), Oid::from_slice(&y));
            proptest::prop_assert_eq!(ox.cmp(&oy), x.cmp(&y));
            let common = x.iter().zip(&y).take_while(|(p, q)| p == q).count();
            proptest::prop_assert_eq!(ox.common_prefix_len(&oy), common);
            proptest::prop_assert_eq!(oy.cmp(&ox), y.cmp(&x));
        }
    }

    #[test]
    fn inline_and_heap_oids_are_the_same_values() {
        use std::collections::hash_map::DefaultHasher;
        let hash = |o: &Oid| {
            let mut h = DefaultHasher::new();
            o.hash(&mut h);
            h.finish()
        };
        assert_eq!(Oid::placeholder(), Oid::empty());
        assert_eq!(Oid::placeholder().arcs(), &[] as &[u32]);
        for n in [0, 1, 14, 15, 16, 17, 40, 128] {
            let arcs: Vec<u32> = (0..n as u32).map(|i| i % 3).collect();
            let whole = Oid::from_slice(&arcs);
            // Grown one arc at a time: inline, then on the heap.
            let mut pushed = Oid::empty();
            for &a in &arcs {
                pushed.push(a);
            }
            let joined = Oid::empty().join(&arcs);
            for o in [&pushed, &joined] {
                assert_eq!(o, &whole);
                assert_eq!(o.cmp(&whole), Ordering::Equal);
                assert_eq!(hash(o), hash(&whole));
                assert_eq!(o.arcs(), &arcs[..]);
            }
            if n > 0 {
                let parent = whole.parent().unwrap();
                assert_eq!(parent.arcs(), &arcs[..n - 1]);
                assert_eq!(parent.child(arcs[n - 1]), whole);
                assert!(parent < whole);
            }
        }
        // Order does not depend on where the arcs are.
        let long = Oid::from_slice(&[1; 20]);
        assert!(Oid::from_slice(&[1; 15]) < long);
        assert!(long < Oid::from_slice(&[1, 2]));
    }

    #[test]
    fn sizes() {
        // A VarBind (an Oid and a Value that may hold one) moves in 128
        // bytes, which the compiler copies inline.
        assert_eq!(std::mem::size_of::<Oid>(), 64);
        assert_eq!(std::mem::size_of::<Option<Oid>>(), 64);
        assert_eq!(std::mem::size_of::<crate::Value>(), 64);
        assert_eq!(std::mem::size_of::<crate::VarBind>(), 128);
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
