//! The request table's timers: when each request wants to be woken (its
//! next retransmission, or its deadline), in order of time.
//!
//! Requests with the same refresh period and timeout (the common case:
//! one set of options per manager) ask for times in the order they ask:
//! those go to the back of a queue, in O(1). A time earlier than the back
//! of the queue goes to a heap. Entries are never removed when a request
//! ends or moves its time; the receive task skips them as they come due
//! (it checks each against its request).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use tokio::time::Instant;

/// Times, each with the id of a request.
#[derive(Default)]
pub(super) struct Timers {
    /// In order of time.
    queue: VecDeque<(Instant, i32)>,
    /// Times earlier than the back of `queue` when they were added.
    heap: BinaryHeap<Reverse<(Instant, i32)>>,
}

impl Timers {
    /// Adds `at` for request `id`. Whether it is now the first time.
    pub(super) fn push(&mut self, at: Instant, id: i32) -> bool {
        let first = self.next().is_none_or(|next| at < next);
        match self.queue.back() {
            Some(&(back, _)) if at < back => self.heap.push(Reverse((at, id))),
            _ => self.queue.push_back((at, id)),
        }
        first
    }

    /// The first time.
    pub(super) fn next(&self) -> Option<Instant> {
        let queued = self.queue.front().map(|&(at, _)| at);
        let heaped = self.heap.peek().map(|Reverse((at, _))| *at);
        match (queued, heaped) {
            (Some(q), Some(h)) => Some(q.min(h)),
            (q, h) => q.or(h),
        }
    }

    /// Removes and returns the first time if it is at or before `now`.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<(Instant, i32)> {
        let queued = self.queue.front().filter(|&&(at, _)| at <= now);
        let heaped = self.heap.peek().filter(|Reverse((at, _))| *at <= now);
        match (queued, heaped) {
            (Some(&(q, _)), Some(Reverse((h, _)))) if *h < q => self.heap.pop().map(|r| r.0),
            (Some(_), _) => self.queue.pop_front(),
            (None, Some(_)) => self.heap.pop().map(|r| r.0),
            (None, None) => None,
        }
    }

    /// The number of entries, live or not.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.queue.len() + self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn times_in_order_stay_in_the_queue() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        assert!(timers.push(t0 + Duration::from_secs(1), 1));
        assert!(!timers.push(t0 + Duration::from_secs(1), 2));
        assert!(!timers.push(t0 + Duration::from_secs(2), 3));
        assert!(timers.heap.is_empty());
        // An earlier one goes to the heap, and is the first.
        assert!(timers.push(t0 + Duration::from_millis(10), 4));
        assert_eq!(timers.heap.len(), 1);
        assert_eq!(timers.next(), Some(t0 + Duration::from_millis(10)));
        assert_eq!(timers.pop_due(t0), None);
        let due: Vec<i32> = std::iter::from_fn(|| timers.pop_due(t0 + Duration::from_secs(1)))
            .map(|(_, id)| id)
            .collect();
        assert_eq!(due, [4, 1, 2]);
        assert_eq!(timers.next(), Some(t0 + Duration::from_secs(2)));
        assert_eq!(timers.len(), 1);
    }

    proptest! {
        /// Whatever the order they are added in, times come out in order,
        /// each once, and only when due.
        #[test]
        fn times_come_out_in_order(
            offsets in proptest::collection::vec(0u64..1_000, 0..200),
            nows in proptest::collection::vec(0u64..1_200, 1..10),
        ) {
            let t0 = Instant::now();
            let mut timers = Timers::default();
            for (id, ms) in offsets.iter().enumerate() {
                let at = t0 + Duration::from_millis(*ms);
                let first = timers.next().is_none_or(|n| at < n);
                prop_assert_eq!(timers.push(at, id as i32), first);
            }
            let mut nows = nows;
            nows.sort_unstable();
            let mut out = Vec::new();
            for now in nows {
                let now = t0 + Duration::from_millis(now);
                while let Some((at, id)) = timers.pop_due(now) {
                    prop_assert!(at <= now);
                    prop_assert_eq!(at, t0 + Duration::from_millis(offsets[id as usize]));
                    out.push(at);
                }
                prop_assert!(timers.next().is_none_or(|n| n > now));
            }
            prop_assert!(out.windows(2).all(|w| w[0] <= w[1]));
            prop_assert_eq!(out.len() + timers.len(), offsets.len());
        }
    }
}
