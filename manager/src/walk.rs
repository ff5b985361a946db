use std::fmt;
use std::mem;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::vec;

use futures::Stream;
use futures::future::BoxFuture;
use futures::stream::FusedStream;

use snmux_engine::{ErrorStatus, Oid, VarBind};

use crate::{Error, Manager};

/// A walk of a subtree: a [`Stream`] of the object instances under a root
/// OID, in order. Made by [`Manager::walk`] and [`Manager::walk_get_next`].
///
/// Each request asks for what follows the last OID received: GETBULK
/// (RFC 3416 §4.2.3) with the manager's
/// [`max_repetitions`](crate::ManagerBuilder::max_repetitions) on SNMPv2c,
/// GETNEXT (RFC 3416 §4.2.2) on SNMPv1 and for
/// [`walk_get_next`](Manager::walk_get_next). The stream yields every
/// varbind inside the subtree whose value is not an exception, and ends
/// when a response leaves the subtree, holds an exception inside it, is
/// empty, or is SNMPv1's noSuchName; [`Walk::end`] then says which.
/// Exception varbinds are not yielded: they are in
/// [`WalkEnd::Exception`].
///
/// A tooBig response halves max-repetitions for the rest of the walk.
/// [`WalkState`] is the same walk as plain code, for callers that send
/// each request themselves.
///
/// # Errors
///
/// The first error of a request, after the varbinds received before it,
/// or [`Error::NonIncreasingOid`] if the agent returns an OID that does
/// not follow the one before it (which would make the walk loop forever).
/// After an error the stream ends.
///
/// # Cancel safety
///
/// Dropping the stream cancels the request in flight, if any.
///
/// # Examples
///
/// ```no_run
/// use futures::TryStreamExt;
/// use snmux::{Manager, oid};
///
/// # async fn demo(agent: Manager) -> Result<(), snmux::Error> {
/// let if_descr: Vec<_> = agent.walk(oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2)).try_collect().await?;
/// # Ok(())
/// # }
/// ```
///
/// How the walk ended:
///
/// ```no_run
/// use futures::TryStreamExt;
/// use snmux::{Manager, WalkEnd, oid};
///
/// # async fn demo(agent: Manager) -> Result<(), snmux::Error> {
/// let mut walk = agent.walk(oid!(1, 3, 6, 1, 6, 3, 16));
/// while let Some(vb) = walk.try_next().await? {
///     println!("{vb:?}");
/// }
/// if let Some(WalkEnd::Exception(exceptions)) = walk.end() {
///     println!("ended with {exceptions:?}");
/// }
/// # Ok(())
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct Walk {
    root: Oid,
    /// Varbinds received and not yet yielded: the response's own `Vec`,
    /// so that each varbind moves once, when it is yielded.
    buffer: vec::IntoIter<VarBind>,
    state: State,
}

/// How a finished [`Walk`] ended; see [`Walk::end`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WalkEnd {
    /// The agent returned an OID outside the subtree: the lexicographic
    /// successor of the last instance under the root lies after the
    /// subtree (RFC 3416 §4.2.2, §4.2.3). The walk's usual end.
    LeftSubtree,
    /// The response held exception varbinds inside the subtree: usually
    /// endOfMibView, the end of the agent's MIB view (RFC 3416 §4.2.2,
    /// §4.2.3), or noSuchObject / noSuchInstance (RFC 3416 §4.2.1) if an
    /// agent sends them to GETNEXT or GETBULK.
    ///
    /// The first exception inside the subtree, then every later varbind
    /// of the same response that is inside the subtree, in order (agents
    /// pad GETBULK responses with more endOfMibView): the varbinds
    /// net-snmp's snmpwalk and snmpbulkwalk print at the end.
    Exception(Vec<VarBind>),
    /// An SNMPv1 agent answered GETNEXT with the error-status noSuchName:
    /// SNMPv1's end of the MIB (RFC 1157 §4.1.3; RFC 3416 §3 keeps
    /// noSuchName only for SNMPv1 and proxies).
    NoSuchName,
    /// A response without varbinds, which GETBULK allows (RFC 3416
    /// §4.2.3: "possibly zero").
    EmptyResponse,
}

impl Walk {
    pub(crate) fn new(manager: Manager, root: Oid, bulk: bool) -> Walk {
        Walk {
            buffer: Vec::new().into_iter(),
            state: State::Idle(Cursor {
                state: if bulk {
                    WalkState::get_bulk(manager.target(), root.clone(), manager.max_repetitions())
                } else {
                    WalkState::get_next(manager.target(), root.clone())
                },
                manager,
            }),
            root,
        }
    }

    /// How the walk ended: `None` while it runs and if it ended with an
    /// error; `Some` once the stream has returned `None` after its last
    /// varbind.
    pub fn end(&self) -> Option<&WalkEnd> {
        match &self.state {
            State::Ended(end) => Some(end),
            _ => None,
        }
    }
}

impl fmt::Debug for Walk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(_) => "idle",
            State::Fetching(_) => "fetching",
            State::Ending(_) => "ending",
            State::Ended(_) => "ended",
            State::Failed => "failed",
        };
        f.debug_struct("Walk")
            .field("root", &self.root)
            .field("buffered", &self.buffer.len())
            .field("state", &state)
            .field("end", &self.end())
            .finish()
    }
}

impl Stream for Walk {
    type Item = Result<VarBind, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(vb) = this.buffer.next() {
                return Poll::Ready(Some(Ok(vb)));
            }
            // Failed stands in while the state is taken apart.
            this.state = match mem::replace(&mut this.state, State::Failed) {
                State::Idle(cursor) => State::Fetching(Box::pin(cursor.fetch())),
                State::Fetching(mut fetch) => match fetch.as_mut().poll(cx) {
                    Poll::Pending => {
                        this.state = State::Fetching(fetch);
                        return Poll::Pending;
                    }
                    Poll::Ready((mut cursor, response)) => {
                        match cursor.read(response, &mut this.buffer) {
                            None => State::Idle(cursor),
                            Some(outcome) => State::Ending(outcome),
                        }
                    }
                },
                State::Ending(Outcome::End(end)) => {
                    this.state = State::Ended(end);
                    return Poll::Ready(None);
                }
                State::Ending(Outcome::Error(e)) => {
                    this.state = State::Failed;
                    return Poll::Ready(Some(Err(e)));
                }
                state @ (State::Ended(_) | State::Failed) => {
                    this.state = state;
                    return Poll::Ready(None);
                }
            };
        }
    }
}

impl FusedStream for Walk {
    fn is_terminated(&self) -> bool {
        matches!(self.state, State::Ended(_) | State::Failed)
    }
}

/// A walk of a subtree as plain code: which request to send next, and what
/// each response does to the walk (RFC 3416 §4.2.2, §4.2.3). [`Walk`] is
/// this state machine behind a [`Manager`]; use `WalkState` directly to
/// send each request yourself, e.g. through your own pacing.
///
/// Each request asks for what follows the last OID accepted:
/// [`next_request`](WalkState::next_request) says which OID, and GETBULK
/// (with max-repetitions, non-repeaters 0) or GETNEXT.
/// [`read`](WalkState::read) takes the response and appends every varbind
/// inside the subtree whose value is not an exception to `out`, then says
/// whether to go on or how the walk ended ([`WalkEnd`]). As net-snmp's
/// snmpbulkwalk, the whole response is read, also after the varbind that
/// ends the walk.
///
/// A tooBig response to GETBULK halves max-repetitions for the rest of the
/// walk and asks again; at max-repetitions 1 it is an error.
///
/// Once `read` has returned an end or an error, the walk is over: the
/// state no longer says what to ask for.
///
/// # Examples
///
/// A walk fed by hand; with a [`Manager`], send the request with
/// [`WalkRequest::send`].
///
/// ```
/// use std::ops::ControlFlow;
/// use snmux::{Value, VarBind, WalkEnd, WalkRequest, WalkState, oid};
///
/// # fn main() -> Result<(), snmux::Error> {
/// let agent = "192.0.2.1:161".parse().unwrap();
/// let mut walk = WalkState::get_bulk(agent, oid!(1, 3, 6, 1, 2, 1, 1), 2);
/// assert_eq!(
///     walk.next_request(),
///     WalkRequest::GetBulk { oid: &oid!(1, 3, 6, 1, 2, 1, 1), max_repetitions: 2 }
/// );
///
/// let mut out = Vec::new();
/// let response = vec![
///     VarBind::new(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0), Value::from("router")),
///     VarBind::new(oid!(1, 3, 6, 1, 2, 1, 1, 3, 0), Value::TimeTicks(42)),
/// ];
/// assert_eq!(walk.read(Ok(response), &mut out)?, ControlFlow::Continue(()));
/// assert_eq!(walk.last(), &oid!(1, 3, 6, 1, 2, 1, 1, 3, 0));
///
/// // The next object is outside the subtree: the walk is complete.
/// let response = vec![
///     VarBind::new(oid!(1, 3, 6, 1, 2, 1, 1, 5, 0), Value::from("r1")),
///     VarBind::new(oid!(1, 3, 6, 1, 2, 1, 2, 1, 0), Value::Integer(3)),
/// ];
/// assert_eq!(walk.read(Ok(response), &mut out)?, ControlFlow::Break(WalkEnd::LeftSubtree));
/// assert_eq!(out.len(), 3);
/// # Ok(())
/// # }
/// ```
///
/// Each request sent by the caller:
///
/// ```no_run
/// use std::ops::ControlFlow;
/// use snmux::{Manager, WalkState, oid};
///
/// # async fn demo(agent: Manager) -> Result<(), snmux::Error> {
/// let mut walk = WalkState::get_bulk(agent.target(), oid!(1, 3, 6, 1, 2, 1, 2), 25);
/// let mut out = Vec::new();
/// let end = loop {
///     // ... wait for a pacing slot here ...
///     let response = walk.next_request().send(&agent).await;
///     if let ControlFlow::Break(end) = walk.read(response, &mut out)? {
///         break end;
///     }
/// };
/// println!("{} objects, {end:?}", out.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct WalkState {
    target: SocketAddr,
    root: Oid,
    /// The OID to ask for next: the last one accepted.
    last: Oid,
    /// `None` for GETNEXT.
    max_repetitions: Option<u32>,
}

/// The request a walk sends next; see [`WalkState::next_request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkRequest<'a> {
    /// GETNEXT (RFC 3416 §4.2.2) of `oid`.
    GetNext {
        /// The last OID accepted, or the root.
        oid: &'a Oid,
    },
    /// GETBULK (RFC 3416 §4.2.3) of `oid`, non-repeaters 0.
    GetBulk {
        /// The last OID accepted, or the root.
        oid: &'a Oid,
        /// How many successors to ask for, at least 1.
        max_repetitions: u32,
    },
}

impl WalkState {
    /// A walk of the subtree under `root` with GETBULK, asking for
    /// `max_repetitions` varbinds a request (0 counts as 1). `target` is
    /// the agent's address, for errors and traces.
    pub fn get_bulk(target: SocketAddr, root: Oid, max_repetitions: u32) -> Self {
        Self {
            target,
            last: root.clone(),
            root,
            max_repetitions: Some(max_repetitions.max(1)),
        }
    }

    /// A walk of the subtree under `root` with GETNEXT (SNMPv1, or agents
    /// whose GETBULK is broken). `target` is the agent's address, for
    /// errors and traces.
    pub fn get_next(target: SocketAddr, root: Oid) -> Self {
        Self {
            target,
            last: root.clone(),
            root,
            max_repetitions: None,
        }
    }

    /// The root of the subtree.
    pub fn root(&self) -> &Oid {
        &self.root
    }

    /// The last OID accepted, or the root before the first.
    pub fn last(&self) -> &Oid {
        &self.last
    }

    /// The max-repetitions of the next GETBULK, `None` for GETNEXT.
    pub fn max_repetitions(&self) -> Option<u32> {
        self.max_repetitions
    }

    /// The request to send next: GETBULK or GETNEXT of the last OID
    /// accepted.
    pub fn next_request(&self) -> WalkRequest<'_> {
        match self.max_repetitions {
            Some(max_repetitions) => WalkRequest::GetBulk {
                oid: &self.last,
                max_repetitions,
            },
            None => WalkRequest::GetNext { oid: &self.last },
        }
    }

    /// Reads the response to [`next_request`](WalkState::next_request):
    /// appends the varbinds inside the subtree whose value is not an
    /// exception to `out`, in order, and returns
    /// [`ControlFlow::Continue`] to ask again or
    /// [`ControlFlow::Break`] with how the walk ended.
    ///
    /// GETBULK's tooBig halves max-repetitions and goes on; SNMPv1's
    /// noSuchName to GETNEXT ends the walk ([`WalkEnd::NoSuchName`]).
    ///
    /// # Errors
    ///
    /// The request's other errors (tooBig at max-repetitions 1 among them),
    /// or [`Error::NonIncreasingOid`] when an OID inside the subtree does
    /// not follow the one accepted before it; the varbinds accepted before
    /// it are in `out`.
    pub fn read(
        &mut self,
        response: Result<Vec<VarBind>, Error>,
        out: &mut impl Extend<VarBind>,
    ) -> Result<ControlFlow<WalkEnd>, Error> {
        let mut varbinds = match response {
            Ok(varbinds) => varbinds,
            Err(e) => return self.read_error(e),
        };
        let read = self.keep_accepted(&mut varbinds);
        out.extend(varbinds);
        read
    }

    /// [`read`](WalkState::read) of a response that arrived, in place:
    /// leaves in `varbinds` the ones to yield, in order. The varbinds are
    /// not moved unless the agent mixes OIDs outside the subtree in
    /// between ones inside it.
    fn keep_accepted(
        &mut self,
        varbinds: &mut Vec<VarBind>,
    ) -> Result<ControlFlow<WalkEnd>, Error> {
        if varbinds.is_empty() {
            return Ok(ControlFlow::Break(WalkEnd::EmptyResponse));
        }
        let mut left = false;
        // varbinds[..kept] are accepted; each is checked against the one
        // before it, the first against the last one of the previous
        // response.
        let mut kept = 0;
        let mut exception = None;
        // Every accepted OID is inside the subtree, and so is the last one
        // of the previous response unless the walk started outside it.
        let last_inside = self.last.starts_with(&self.root);
        let root_len = self.root.len();
        for i in 0..varbinds.len() {
            let vb = &varbinds[i];
            let previous = match kept {
                0 => &self.last,
                n => &varbinds[n - 1].oid,
            };
            // The usual case first, a table's next row: previous is inside
            // the subtree, and vb differs from it in its last
            // sub-identifier only, which is greater, after at least the
            // root's sub-identifiers.
            if (kept > 0 || last_inside) && !vb.value.is_exception() {
                if let (Some((next, head)), Some((before, previous_head))) =
                    (vb.oid.arcs().split_last(), previous.arcs().split_last())
                {
                    if next > before && head.len() >= root_len && head == previous_head {
                        if i != kept {
                            varbinds.swap(kept, i);
                        }
                        kept += 1;
                        continue;
                    }
                }
            }
            // One pass over the two: vb follows previous by where they
            // differ, and, previous being inside the subtree, is inside it
            // if it shares the root's sub-identifiers with previous.
            let common = vb.oid.common_prefix_len(previous);
            let inside = if kept > 0 || last_inside {
                common >= root_len
            } else {
                vb.oid.starts_with(&self.root)
            };
            let follows = match (vb.oid.arcs().get(common), previous.arcs().get(common)) {
                (Some(next), Some(before)) => next > before,
                _ => vb.oid.len() > previous.len(),
            };
            if !inside {
                left = true;
                continue;
            }
            if vb.value.is_exception() {
                exception = Some(i);
                break;
            }
            if !follows {
                let previous = Box::new(previous.clone());
                let next = Box::new(varbinds.swap_remove(i));
                varbinds.truncate(kept);
                return Err(Error::NonIncreasingOid {
                    target: self.target,
                    previous,
                    next,
                });
            }
            if i != kept {
                // varbinds[kept] is outside the subtree: dropped below.
                varbinds.swap(kept, i);
            }
            kept += 1;
        }
        // The first exception inside the subtree, then every later varbind
        // inside it; everything from `kept` on that is not one of them is
        // outside the subtree.
        let exceptions = exception.map(|at| {
            let root = &self.root;
            varbinds
                .drain(at..)
                .filter(|vb| vb.oid.starts_with(root))
                .collect::<Vec<_>>()
        });
        varbinds.truncate(kept);
        // One clone per response, not per varbind.
        if let Some(newest) = varbinds.last() {
            self.last = newest.oid.clone();
        }
        Ok(match exceptions {
            Some(exceptions) => ControlFlow::Break(WalkEnd::Exception(exceptions)),
            None if left => ControlFlow::Break(WalkEnd::LeftSubtree),
            None => ControlFlow::Continue(()),
        })
    }

    /// What an error response does to the walk.
    fn read_error(&mut self, e: Error) -> Result<ControlFlow<WalkEnd>, Error> {
        match (self.max_repetitions, e.error_status()) {
            (Some(n), Some(ErrorStatus::TooBig)) if n > 1 => {
                self.max_repetitions = Some(n / 2);
                tracing::debug!(
                    target = %self.target,
                    max_repetitions = n / 2,
                    "walk: tooBig, fewer repetitions"
                );
                Ok(ControlFlow::Continue(()))
            }
            // SNMPv1 ends a walk at the end of the MIB with noSuchName.
            (None, Some(ErrorStatus::NoSuchName)) => Ok(ControlFlow::Break(WalkEnd::NoSuchName)),
            _ => Err(e),
        }
    }
}

impl WalkRequest<'_> {
    /// Sends this request to `manager`'s agent:
    /// [`Manager::get_bulk`] or [`Manager::get_next`] of one OID.
    ///
    /// # Errors
    ///
    /// Those of [`Manager::get_bulk`] and [`Manager::get_next`], for
    /// [`WalkState::read`] to judge.
    pub async fn send(self, manager: &Manager) -> Result<Vec<VarBind>, Error> {
        match self {
            WalkRequest::GetNext { oid } => manager.get_next(std::slice::from_ref(oid)).await,
            WalkRequest::GetBulk {
                oid,
                max_repetitions,
            } => {
                let oids = std::slice::from_ref(oid);
                manager.get_bulk(0, max_repetitions, oids).await
            }
        }
    }
}

enum State {
    /// No request in flight; the next poll sends one.
    Idle(Cursor),
    /// A request in flight.
    Fetching(Fetch),
    /// The last response has been read: once the buffer is empty, the
    /// stream ends (or yields the error, then ends).
    Ending(Outcome),
    /// The stream has returned `None`.
    Ended(WalkEnd),
    /// The stream has yielded an error, and returns `None` from now on.
    Failed,
}

/// What ends a walk.
enum Outcome {
    End(WalkEnd),
    Error(Error),
}

/// A request in flight: the future owns the cursor while it runs and gives
/// it back with the response.
type Fetch = BoxFuture<'static, (Cursor, Result<Vec<VarBind>, Error>)>;

/// Where a walk is, and the manager that sends its requests.
struct Cursor {
    manager: Manager,
    state: WalkState,
}

impl Cursor {
    /// Sends the walk's next request; gives the cursor back with the
    /// response.
    async fn fetch(self) -> (Cursor, Result<Vec<VarBind>, Error>) {
        let response = self.state.next_request().send(&self.manager).await;
        (self, response)
    }

    /// Reads a response: puts the varbinds to yield in `buffer`, which is
    /// empty. Returns how the walk ends, or `None` to go on.
    fn read(
        &mut self,
        response: Result<Vec<VarBind>, Error>,
        buffer: &mut vec::IntoIter<VarBind>,
    ) -> Option<Outcome> {
        let read = match response {
            Ok(mut varbinds) => {
                let read = self.state.keep_accepted(&mut varbinds);
                *buffer = varbinds.into_iter();
                read
            }
            Err(e) => self.state.read_error(e),
        };
        match read {
            Ok(ControlFlow::Continue(())) => None,
            Ok(ControlFlow::Break(end)) => Some(Outcome::End(end)),
            Err(e) => Some(Outcome::Error(e)),
        }
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

    fn status(status: ErrorStatus) -> Error {
        Error::ErrorStatus {
            target: target(),
            status,
            index: 1,
            oid: None,
        }
    }

    const GO_ON: ControlFlow<WalkEnd> = ControlFlow::Continue(());

    /// `keep_accepted` as it was before it checked the subtree and the
    /// order in one pass: `starts_with`, then `<=`.
    fn keep_accepted_by_two_checks(
        w: &mut WalkState,
        varbinds: &mut Vec<VarBind>,
    ) -> Result<ControlFlow<WalkEnd>, Error> {
        if varbinds.is_empty() {
            return Ok(ControlFlow::Break(WalkEnd::EmptyResponse));
        }
        let mut left = false;
        let mut kept = 0;
        let mut exception = None;
        for i in 0..varbinds.len() {
            let vb = &varbinds[i];
            if !vb.oid.starts_with(&w.root) {
                left = true;
                continue;
            }
            if vb.value.is_exception() {
                exception = Some(i);
                break;
            }
            let previous = match kept {
                0 => &w.last,
                n => &varbinds[n - 1].oid,
            };
            if vb.oid <= *previous {
                let previous = Box::new(previous.clone());
                let next = Box::new(varbinds.swap_remove(i));
                varbinds.truncate(kept);
                return Err(Error::NonIncreasingOid {
                    target: w.target,
                    previous,
                    next,
                });
            }
            if i != kept {
                varbinds.swap(kept, i);
            }
            kept += 1;
        }
        let exceptions = exception.map(|at| {
            let root = &w.root;
            varbinds
                .drain(at..)
                .filter(|vb| vb.oid.starts_with(root))
                .collect::<Vec<_>>()
        });
        varbinds.truncate(kept);
        if let Some(newest) = varbinds.last() {
            w.last = newest.oid.clone();
        }
        Ok(match exceptions {
            Some(exceptions) => ControlFlow::Break(WalkEnd::Exception(exceptions)),
            None if left => ControlFlow::Break(WalkEnd::LeftSubtree),
            None => ControlFlow::Continue(()),
        })
    }

    proptest::proptest! {
        /// Two responses of OIDs in, before, after and around the subtree
        /// 1.3.6.1.9 (prefixes of it, the root itself), in any order, some
        /// of them exceptions: the one-pass checks accept, end and fail
        /// exactly as the two checks did, also for walks that start at an
        /// OID outside the subtree.
        #[test]
        fn one_pass_checks_decide_as_two_checks(
            responses in proptest::collection::vec(
                proptest::collection::vec(
                    (0usize..6, proptest::collection::vec(0u32..4, 0..4), 0u8..8),
                    0..8,
                ),
                2,
            ),
            start_outside in proptest::bool::ANY,
        ) {
            let bases = [
                oid!(1, 3, 6, 1, 9),
                oid!(1, 3, 6, 1, 9, 1),
                oid!(1, 3, 6, 1, 9, 2, 7),
                oid!(1, 3, 6, 1, 8),
                oid!(1, 3, 6, 1, 10),
                oid!(1, 3, 6),
            ];
            let mut state = WalkState::get_bulk(target(), oid!(1, 3, 6, 1, 9), 8);
            if start_outside {
                state.last = oid!(1, 3, 6, 1, 8, 5);
            }
            let mut reference = state.clone();
            for response in responses {
                let varbinds: Vec<VarBind> = response
                    .iter()
                    .map(|(base, suffix, kind)| {
                        let oid = bases[*base].join(suffix);
                        match kind {
                            0 => VarBind::new(oid, Value::EndOfMibView),
                            1 => VarBind::new(oid, Value::NoSuchInstance),
                            k => vb(oid, i32::from(*k)),
                        }
                    })
                    .collect();
                let (mut got, mut want) = (varbinds.clone(), varbinds);
                let decided = state.keep_accepted(&mut got);
                let expected = keep_accepted_by_two_checks(&mut reference, &mut want);
                proptest::prop_assert_eq!(format!("{decided:?}"), format!("{expected:?}"));
                proptest::prop_assert_eq!(&got, &want);
                proptest::prop_assert_eq!(&state.last, &reference.last);
                if !matches!(decided, Ok(ControlFlow::Continue(()))) {
                    break;
                }
            }
        }
    }

    #[test]
    fn goes_on_inside_the_subtree_and_ends_outside_it() {
        let mut w = WalkState::get_bulk(target(), oid!(1, 3, 6, 1, 9), 2);
        let mut out = Vec::new();
        let r = Ok(vec![
            vb(oid!(1, 3, 6, 1, 9, 1), 1),
            vb(oid!(1, 3, 6, 1, 9, 2), 2),
        ]);
        assert_eq!(w.read(r, &mut out).unwrap(), GO_ON);
        assert_eq!(w.last(), &oid!(1, 3, 6, 1, 9, 2));
        let r = Ok(vec![
            vb(oid!(1, 3, 6, 1, 9, 3), 3),
            vb(oid!(1, 3, 6, 1, 10), 4),
        ]);
        let end = w.read(r, &mut out).unwrap();
        assert_eq!(end, ControlFlow::Break(WalkEnd::LeftSubtree));
        assert_eq!(out.len(), 3);
        assert_eq!(w.last(), &oid!(1, 3, 6, 1, 9, 3));
    }

    #[test]
    fn asks_for_what_follows_the_last_oid_accepted() {
        let mut w = WalkState::get_next(target(), oid!(1, 3, 6, 1, 9));
        let root = oid!(1, 3, 6, 1, 9);
        assert_eq!(w.next_request(), WalkRequest::GetNext { oid: &root });
        assert_eq!(w.max_repetitions(), None);
        let mut out = Vec::new();
        let r = Ok(vec![vb(oid!(1, 3, 6, 1, 9, 4), 1)]);
        assert_eq!(w.read(r, &mut out).unwrap(), GO_ON);
        let next = oid!(1, 3, 6, 1, 9, 4);
        assert_eq!(w.next_request(), WalkRequest::GetNext { oid: &next });
        let bulk = WalkState::get_bulk(target(), root.clone(), 0);
        assert_eq!(
            bulk.next_request(),
            WalkRequest::GetBulk {
                oid: &root,
                max_repetitions: 1
            }
        );
    }

    #[test]
    fn reads_the_whole_response_after_the_end_as_net_snmp() {
        let mut w = WalkState::get_bulk(target(), oid!(1, 3, 6, 1, 9), 10);
        let mut out = std::collections::VecDeque::new();
        let end_of_mib = |oid| VarBind::new(oid, Value::EndOfMibView);
        let r = Ok(vec![
            vb(oid!(1, 3, 6, 1, 9, 1), 1),
            end_of_mib(oid!(1, 3, 6, 1, 9, 1)),
            vb(oid!(1, 3, 6, 1, 10), 2),
            end_of_mib(oid!(1, 3, 6, 1, 9, 1)),
        ]);
        let exceptions = vec![
            end_of_mib(oid!(1, 3, 6, 1, 9, 1)),
            end_of_mib(oid!(1, 3, 6, 1, 9, 1)),
        ];
        let end = w.read(r, &mut out).unwrap();
        assert_eq!(end, ControlFlow::Break(WalkEnd::Exception(exceptions)));
        assert_eq!(out, [vb(oid!(1, 3, 6, 1, 9, 1), 1)]);
    }

    #[test]
    fn ends_on_exceptions_empty_responses_and_v1_no_such_name() {
        let mut w = WalkState::get_bulk(target(), oid!(1, 3, 6, 1, 9), 10);
        let mut out = Vec::new();
        let end_of_mib = VarBind::new(oid!(1, 3, 6, 1, 9), Value::EndOfMibView);
        let end = w.read(Ok(vec![end_of_mib.clone()]), &mut out).unwrap();
        assert_eq!(
            end,
            ControlFlow::Break(WalkEnd::Exception(vec![end_of_mib]))
        );
        let end = w.read(Ok(vec![]), &mut out).unwrap();
        assert_eq!(end, ControlFlow::Break(WalkEnd::EmptyResponse));
        let mut v1 = WalkState::get_next(target(), oid!(1, 3, 6, 1, 9));
        let end = v1.read(Err(status(ErrorStatus::NoSuchName)), &mut out);
        assert_eq!(end.unwrap(), ControlFlow::Break(WalkEnd::NoSuchName));
        assert!(out.is_empty());
        // noSuchName to GETBULK is an error, not an end.
        let e = w.read(Err(status(ErrorStatus::NoSuchName)), &mut out);
        assert_eq!(e.unwrap_err().error_status(), Some(ErrorStatus::NoSuchName));
    }

    #[test]
    fn too_big_halves_max_repetitions_then_fails() {
        let mut w = WalkState::get_bulk(target(), oid!(1, 3, 6, 1, 9), 4);
        let mut out = Vec::new();
        assert_eq!(
            w.read(Err(status(ErrorStatus::TooBig)), &mut out).unwrap(),
            GO_ON
        );
        assert_eq!(w.max_repetitions(), Some(2));
        assert_eq!(
            w.read(Err(status(ErrorStatus::TooBig)), &mut out).unwrap(),
            GO_ON
        );
        assert_eq!(w.max_repetitions(), Some(1));
        let e = w.read(Err(status(ErrorStatus::TooBig)), &mut out);
        assert_eq!(e.unwrap_err().error_status(), Some(ErrorStatus::TooBig));
        // GETNEXT has no repetitions to halve.
        let mut w = WalkState::get_next(target(), oid!(1, 3, 6, 1, 9));
        assert!(w.read(Err(status(ErrorStatus::TooBig)), &mut out).is_err());
    }

    #[test]
    fn a_non_increasing_oid_is_an_error_after_the_varbinds_before_it() {
        let mut w = WalkState::get_bulk(target(), oid!(1, 3, 6, 1, 9), 10);
        let mut out = Vec::new();
        let r = Ok(vec![
            vb(oid!(1, 3, 6, 1, 9, 5), 1),
            vb(oid!(1, 3, 6, 1, 9, 5), 2),
        ]);
        match w.read(r, &mut out) {
            Err(Error::NonIncreasingOid { previous, next, .. }) => {
                assert_eq!(*previous, oid!(1, 3, 6, 1, 9, 5));
                assert_eq!(*next, vb(oid!(1, 3, 6, 1, 9, 5), 2));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(out, [vb(oid!(1, 3, 6, 1, 9, 5), 1)]);
        // Across responses: the last OID accepted is the one to go past.
        let mut w = WalkState::get_bulk(target(), oid!(1, 3, 6, 1, 9), 10);
        let r = Ok(vec![vb(oid!(1, 3, 6, 1, 9, 7), 1)]);
        assert_eq!(w.read(r, &mut out).unwrap(), GO_ON);
        let r = Ok(vec![vb(oid!(1, 3, 6, 1, 9, 6), 1)]);
        assert!(matches!(
            w.read(r, &mut out),
            Err(Error::NonIncreasingOid { .. })
        ));
        // The root itself does not follow the root.
        let mut w = WalkState::get_next(target(), oid!(1, 3, 6, 1, 9));
        let r = Ok(vec![vb(oid!(1, 3, 6, 1, 9), 1)]);
        assert!(w.read(r, &mut out).is_err());
    }

    #[test]
    fn a_walk_can_move_between_tasks() {
        fn check<T: Send + Unpin + 'static>() {}
        check::<Walk>();
    }
}
