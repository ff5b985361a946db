use std::time::Duration;

use hdrhistogram::Histogram;

use crate::PollRecord;

/// Totals over the records of a poll: targets that succeeded and failed,
/// varbinds, requests, retransmissions, timeouts, and request latency
/// percentiles.
///
/// Feed it every record with [`Summary::add`]. A target polled in several
/// rounds counts once per round.
///
/// # Examples
///
/// ```no_run
/// use futures::StreamExt;
/// use snmux::poll::{Poller, Summary};
///
/// # async fn demo(poller: Poller) {
/// let mut summary = Summary::new();
/// let mut records = poller.run();
/// while let Some(record) = records.next().await {
///     summary.add(&record);
/// }
/// println!("{} ok, {} failed, p99 {:?}", summary.ok, summary.failed, summary.latency(0.99));
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Summary {
    /// Records (target rounds) without errors.
    pub ok: u64,
    /// Records with at least one error.
    pub failed: u64,
    /// Varbinds collected.
    pub varbinds: u64,
    /// Requests sent.
    pub requests: u64,
    /// Retransmissions.
    pub retransmissions: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Request latencies, in microseconds (3 significant digits).
    latencies: Histogram<u64>,
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl Summary {
    /// Empty totals.
    pub fn new() -> Self {
        Self {
            ok: 0,
            failed: 0,
            varbinds: 0,
            requests: 0,
            retransmissions: 0,
            timeouts: 0,
            latencies: Histogram::new(3).unwrap_or_else(|_| unreachable!("3 digits is valid")),
        }
    }

    /// Adds a record.
    pub fn add(&mut self, record: &PollRecord) {
        if record.is_ok() {
            self.ok += 1;
        } else {
            self.failed += 1;
        }
        self.varbinds += record.values.len() as u64;
        self.requests += u64::from(record.requests);
        self.retransmissions += u64::from(record.retransmissions);
        self.timeouts += u64::from(record.timeouts);
        for latency in &record.latencies {
            let us = u64::try_from(latency.as_micros())
                .unwrap_or(u64::MAX)
                .max(1);
            // The histogram grows as needed; saturate on the absurd.
            let _ = self.latencies.record(us);
        }
    }

    /// The latency under which a fraction `quantile` (0..=1) of the
    /// answered requests completed, to 3 significant digits; `None` before
    /// any answered request.
    pub fn latency(&self, quantile: f64) -> Option<Duration> {
        if self.latencies.is_empty() {
            return None;
        }
        let us = self.latencies.value_at_quantile(quantile.clamp(0.0, 1.0));
        Some(Duration::from_micros(us))
    }

    /// Answered requests whose latency is recorded.
    pub fn answered(&self) -> u64 {
        self.latencies.len()
    }
}
