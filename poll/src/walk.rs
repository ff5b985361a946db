//! The poller's walk, one request at a time so that each goes through the
//! target's pacing: the same ends as the manager's `Walk` (RFC 3416
//! §4.2.2, §4.2.3), as plain code over responses.

use std::net::SocketAddr;

use snmux_engine::{ErrorStatus, Oid, VarBind};
use snmux_manager::Error;

/// Where a walk is: what to ask for next.
#[derive(Debug)]
pub(crate) struct Cursor {
    pub(crate) root: Oid,
    /// The OID to ask for next: the last one accepted.
    pub(crate) last: Oid,
    /// GETBULK (SNMPv2c, v3) or GETNEXT (SNMPv1).
    pub(crate) bulk: bool,
    pub(crate) max_repetitions: u32,
}

/// What a response did to a walk.
#[derive(Debug, PartialEq)]
pub(crate) enum Step {
    /// Ask again, from [`Cursor::last`].
    More,
    /// The walk is complete.
    Done,
}

impl Cursor {
    pub(crate) fn new(root: Oid, bulk: bool, max_repetitions: u32) -> Self {
        Self {
            last: root.clone(),
            root,
            bulk,
            max_repetitions: max_repetitions.max(1),
        }
    }

    /// Reads one response: appends the varbinds inside the subtree to
    /// `out` and says whether to go on.
    ///
    /// A tooBig error halves max-repetitions and asks again; SNMPv1's
    /// noSuchName, an exception inside the subtree, an OID outside it or
    /// an empty response end the walk.
    ///
    /// # Errors
    ///
    /// The request's error, or [`Error::NonIncreasingOid`] when an OID does
    /// not follow the one before it.
    pub(crate) fn read(
        &mut self,
        target: SocketAddr,
        response: Result<Vec<VarBind>, Error>,
        out: &mut Vec<VarBind>,
    ) -> Result<Step, Box<Error>> {
        let varbinds = match response {
            Ok(varbinds) => varbinds,
            Err(e)
                if self.bulk
                    && e.error_status() == Some(ErrorStatus::TooBig)
                    && self.max_repetitions > 1 =>
            {
                self.max_repetitions /= 2;
                return Ok(Step::More);
            }
            Err(e) if !self.bulk && e.error_status() == Some(ErrorStatus::NoSuchName) => {
                return Ok(Step::Done);
            }
            Err(e) => return Err(Box::new(e)),
        };
        if varbinds.is_empty() {
            return Ok(Step::Done);
        }
        let first = out.len();
        let mut step = Step::More;
        for vb in varbinds {
            if !vb.oid.starts_with(&self.root) || vb.value.is_exception() {
                step = Step::Done;
                break;
            }
            let previous = out[first..].last().map_or(&self.last, |prev| &prev.oid);
            if vb.oid <= *previous {
                return Err(Box::new(Error::NonIncreasingOid {
                    target,
                    previous: Box::new(previous.clone()),
                    next: Box::new(vb),
                }));
            }
            out.push(vb);
        }
        if let Some(newest) = out[first..].last() {
            self.last = newest.oid.clone();
        }
        Ok(step)
    }
}

#[cfg(test)]
mod tests {
    use snmux_engine::{Value, oid};

    use super::*;

    fn target() -> SocketAddr {
        "192.0.2.1:161".parse().unwrap()
    }

    fn vb(oid: Oid, v: i32) -> VarBind {
        VarBind::new(oid, Value::Integer(v))
    }

    #[test]
    fn goes_on_inside_the_subtree_and_ends_outside_it() {
        let mut c = Cursor::new(oid!(1, 3, 6, 1, 9), true, 2);
        let mut out = Vec::new();
        let r = Ok(vec![
            vb(oid!(1, 3, 6, 1, 9, 1), 1),
            vb(oid!(1, 3, 6, 1, 9, 2), 2),
        ]);
        assert_eq!(c.read(target(), r, &mut out).unwrap(), Step::More);
        assert_eq!(c.last, oid!(1, 3, 6, 1, 9, 2));
        let r = Ok(vec![
            vb(oid!(1, 3, 6, 1, 9, 3), 3),
            vb(oid!(1, 3, 6, 1, 10), 4),
        ]);
        assert_eq!(c.read(target(), r, &mut out).unwrap(), Step::Done);
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn ends_on_exceptions_empty_responses_and_v1_no_such_name() {
        let mut c = Cursor::new(oid!(1, 3, 6, 1, 9), true, 10);
        let mut out = Vec::new();
        let r = Ok(vec![VarBind::new(oid!(1, 3, 6, 1, 9), Value::EndOfMibView)]);
        assert_eq!(c.read(target(), r, &mut out).unwrap(), Step::Done);
        assert_eq!(c.read(target(), Ok(vec![]), &mut out).unwrap(), Step::Done);
        let mut v1 = Cursor::new(oid!(1, 3, 6, 1, 9), false, 10);
        let e = Error::ErrorStatus {
            target: target(),
            status: ErrorStatus::NoSuchName,
            index: 1,
            oid: None,
        };
        assert_eq!(v1.read(target(), Err(e), &mut out).unwrap(), Step::Done);
        assert!(out.is_empty());
    }

    #[test]
    fn too_big_halves_max_repetitions_then_fails() {
        let mut c = Cursor::new(oid!(1, 3, 6, 1, 9), true, 4);
        let too_big = || Error::ErrorStatus {
            target: target(),
            status: ErrorStatus::TooBig,
            index: 0,
            oid: None,
        };
        let mut out = Vec::new();
        assert_eq!(
            c.read(target(), Err(too_big()), &mut out).unwrap(),
            Step::More
        );
        assert_eq!(c.max_repetitions, 2);
        assert_eq!(
            c.read(target(), Err(too_big()), &mut out).unwrap(),
            Step::More
        );
        assert!(c.read(target(), Err(too_big()), &mut out).is_err());
    }

    #[test]
    fn a_non_increasing_oid_is_an_error() {
        let mut c = Cursor::new(oid!(1, 3, 6, 1, 9), true, 10);
        let mut out = Vec::new();
        let r = Ok(vec![
            vb(oid!(1, 3, 6, 1, 9, 5), 1),
            vb(oid!(1, 3, 6, 1, 9, 5), 2),
        ]);
        assert!(matches!(
            c.read(target(), r, &mut out),
            Err(e) if matches!(*e, Error::NonIncreasingOid { .. })
        ));
        let mut c = Cursor::new(oid!(1, 3, 6, 1, 9), true, 10);
        c.last = oid!(1, 3, 6, 1, 9, 7);
        let r = Ok(vec![vb(oid!(1, 3, 6, 1, 9, 6), 1)]);
        assert!(c.read(target(), r, &mut out).is_err());
    }
}
