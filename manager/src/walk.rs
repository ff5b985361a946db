use std::collections::VecDeque;
use std::fmt;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

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
    /// Varbinds received and not yet yielded.
    buffer: VecDeque<VarBind>,
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
            buffer: VecDeque::new(),
            state: State::Idle(Cursor {
                max_repetitions: manager.max_repetitions().max(1),
                manager,
                last: root.clone(),
                bulk,
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
            if let Some(vb) = this.buffer.pop_front() {
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
                        match cursor.read(&this.root, response, &mut this.buffer) {
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

/// Where a walk is.
struct Cursor {
    manager: Manager,
    /// The OID to ask for next: the last one yielded.
    last: Oid,
    bulk: bool,
    max_repetitions: u32,
}

impl Cursor {
    /// GETBULK or GETNEXT for what follows `last`; gives the cursor back
    /// with the response.
    async fn fetch(self) -> (Cursor, Result<Vec<VarBind>, Error>) {
        let oids = std::slice::from_ref(&self.last);
        let response = if self.bulk {
            self.manager.get_bulk(0, self.max_repetitions, oids).await
        } else {
            self.manager.get_next(oids).await
        };
        (self, response)
    }

    /// Reads a response to a walk of `root`: appends the varbinds to yield
    /// to `buffer` and moves `last` on. Returns how the walk ends, or
    /// `None` to go on.
    fn read(
        &mut self,
        root: &Oid,
        response: Result<Vec<VarBind>, Error>,
        buffer: &mut VecDeque<VarBind>,
    ) -> Option<Outcome> {
        let varbinds = match response {
            Ok(varbinds) => varbinds,
            Err(e)
                if self.bulk
                    && e.error_status() == Some(ErrorStatus::TooBig)
                    && self.max_repetitions > 1 =>
            {
                self.max_repetitions /= 2;
                tracing::debug!(
                    target = %self.manager.target(),
                    max_repetitions = self.max_repetitions,
                    "walk: tooBig, fewer repetitions"
                );
                return None;
            }
            // SNMPv1 ends a walk at the end of the MIB with noSuchName.
            Err(e) if !self.bulk && e.error_status() == Some(ErrorStatus::NoSuchName) => {
                return Some(Outcome::End(WalkEnd::NoSuchName));
            }
            Err(e) => return Some(Outcome::Error(e)),
        };
        if varbinds.is_empty() {
            return Some(Outcome::End(WalkEnd::EmptyResponse));
        }
        // As net-snmp, the whole response is read, also after the varbind
        // that ends the walk.
        let mut left = false;
        let mut exceptions: Option<Vec<VarBind>> = None;
        for vb in varbinds {
            let inside = vb.oid.starts_with(root);
            if let Some(exceptions) = &mut exceptions {
                if inside {
                    exceptions.push(vb);
                }
                continue;
            }
            if !inside {
                left = true;
                continue;
            }
            if vb.value.is_exception() {
                exceptions = Some(vec![vb]);
                continue;
            }
            // The OID the agent must go past: the last one accepted.
            let previous = buffer.back().map_or(&self.last, |prev| &prev.oid);
            if vb.oid <= *previous {
                let error = Error::NonIncreasingOid {
                    target: self.manager.target(),
                    previous: Box::new(previous.clone()),
                    next: Box::new(vb),
                };
                return Some(Outcome::Error(error));
            }
            buffer.push_back(vb);
        }
        // One clone per response, not per varbind.
        if let Some(newest) = buffer.back() {
            if newest.oid != self.last {
                self.last = newest.oid.clone();
            }
        }
        match exceptions {
            Some(exceptions) => Some(Outcome::End(WalkEnd::Exception(exceptions))),
            None if left => Some(Outcome::End(WalkEnd::LeftSubtree)),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_can_move_between_tasks() {
        fn check<T: Send + Unpin + 'static>() {}
        check::<Walk>();
    }
}
