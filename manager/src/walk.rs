use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;
use futures::stream::BoxStream;

use snmux_engine::{ErrorStatus, Oid, Value, VarBind};

use crate::{Error, Manager};

/// A walk of a subtree: a [`Stream`] of the object instances under a root
/// OID, in order. Made by [`Manager::walk`].
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
/// # Cancel safety
///
/// Dropping the stream cancels the request in flight, if any.
#[must_use = "streams do nothing unless polled"]
pub struct Walk {
    inner: BoxStream<'static, Result<VarBind, Error>>,
}

impl fmt::Debug for Walk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk").finish_non_exhaustive()
    }
}

impl Stream for Walk {
    type Item = Result<VarBind, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

struct State {
    manager: Manager,
    root: Oid,
    /// The OID to ask for next: the last one returned.
    last: Oid,
    bulk: bool,
    max_repetitions: u32,
    buffer: VecDeque<VarBind>,
    done: bool,
}

impl Walk {
    pub(crate) fn new(manager: Manager, root: Oid, bulk: bool) -> Walk {
        let state = State {
            max_repetitions: manager.max_repetitions(),
            manager,
            last: root.clone(),
            root,
            bulk,
            buffer: VecDeque::new(),
            done: false,
        };
        let inner = futures::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(vb) = st.buffer.pop_front() {
                    return Some((Ok(vb), st));
                }
                if st.done {
                    return None;
                }
                if let Err(e) = st.fetch().await {
                    st.done = true;
                    return Some((Err(e), st));
                }
            }
        });
        Walk {
            inner: Box::pin(inner),
        }
    }
}

impl State {
    /// Asks for the next batch and puts what belongs to the walk into the
    /// buffer; sets `done` at the end.
    async fn fetch(&mut self) -> Result<(), Error> {
        let oids = [self.last.clone()];
        let response = if self.bulk {
            match self.manager.get_bulk(0, self.max_repetitions, &oids).await {
                Err(e)
                    if e.error_status() == Some(ErrorStatus::TooBig)
                        && self.max_repetitions > 1 =>
                {
                    self.max_repetitions /= 2;
                    return Ok(());
                }
                r => r?,
            }
        } else {
            match self.manager.get_next(&oids).await {
                // SNMPv1 ends a walk at the end of the MIB with noSuchName.
                Err(e) if e.error_status() == Some(ErrorStatus::NoSuchName) => {
                    self.done = true;
                    return Ok(());
                }
                r => r?,
            }
        };
        if response.is_empty() {
            self.done = true;
        }
        for vb in response {
            if vb.value == Value::EndOfMibView || !vb.oid.starts_with(&self.root) {
                self.done = true;
                break;
            }
            if vb.oid <= self.last {
                return Err(Error::NonIncreasingOid {
                    target: self.manager.target(),
                    previous: Box::new(self.last.clone()),
                    next: Box::new(vb.oid),
                });
            }
            self.last = vb.oid.clone();
            self.buffer.push_back(vb);
        }
        Ok(())
    }
}
