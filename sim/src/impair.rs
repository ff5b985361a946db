//! Impairments: the ways an agent can misbehave on purpose, so that a
//! manager's tests and demos meet the faults and quirks of real networks
//! and devices (see `device-quirks.md` of the project's references).

use std::net::IpAddr;
use std::time::Duration;

/// The faults and quirks of one simulated agent. Default: none.
///
/// A builder: every setter takes `self` and returns `Self`. Random choices
/// (loss, duplication, jitter) come from a generator seeded with
/// [`Impairments::seed`] and the agent's position in the simulator, so a
/// test that sends the same requests sees the same faults.
///
/// | setting | what the agent does | real-world case |
/// |---|---|---|
/// | [`delay`](Self::delay), [`jitter`](Self::jitter) | answers late (jitter also reorders) | slow embedded CPUs; replies after the manager's timeout |
/// | [`loss`](Self::loss) | ignores a request | lossy links, busy agents |
/// | [`duplicate`](Self::duplicate) | answers twice | H3C switches, faulty networks |
/// | [`reply_from`](Self::reply_from) | answers from another address (e.g. 127.0.0.2) | multi-homed routers, VRRP |
/// | [`truncate_request_id`](Self::truncate_request_id) | echoes only the low 16 bits of the request-id | devices that keep 2-byte IDs |
/// | [`append_zero`](Self::append_zero) | names each GET response varbind with `.0` appended | Synaccess netbooter PDUs |
/// | [`walk_loop_after`](Self::walk_loop_after) | GETNEXT/GETBULK past the n-th object start again at the first (non-increasing OIDs) | Cisco ASAv endless bulkwalk |
/// | [`bulk_limit`](Self::bulk_limit) | GETBULK above n repetitions is capped, dropped or answered with garbage | Zyxel, Nexus, Juniper MX |
/// | [`zero_length_integer`](Self::zero_length_integer) | encodes INTEGER 0 with no content octets | HPE PDUs |
/// | [`unsigned_without_leading_zero`](Self::unsigned_without_leading_zero) | encodes Counter32/Gauge32/TimeTicks ≥ 2³¹ in 4 octets, without the leading 0x00 | mini-snmpd |
#[derive(Debug, Clone, PartialEq)]
#[must_use = "Impairments do nothing until passed to AgentBuilder::impairments"]
pub struct Impairments {
    pub(crate) delay: Duration,
    pub(crate) jitter: Duration,
    pub(crate) loss: f64,
    pub(crate) duplicate: f64,
    pub(crate) reply_from: Option<IpAddr>,
    pub(crate) truncate_request_id: bool,
    pub(crate) append_zero: bool,
    pub(crate) walk_loop_after: Option<usize>,
    pub(crate) bulk_limit: Option<(u32, BulkOverflow)>,
    pub(crate) zero_length_integer: bool,
    pub(crate) unsigned_without_leading_zero: bool,
    pub(crate) seed: u64,
}

/// What an agent with a [`bulk limit`](Impairments::bulk_limit) does with
/// a GETBULK that asks for more repetitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkOverflow {
    /// Answers with the limit's number of repetitions.
    Cap,
    /// Does not answer.
    Drop,
    /// Answers with a datagram that is not a valid message (the response
    /// cut in half).
    Garbage,
}

impl Impairments {
    /// No impairments.
    pub const fn none() -> Self {
        Self {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
            reply_from: None,
            truncate_request_id: false,
            append_zero: false,
            walk_loop_after: None,
            bulk_limit: None,
            zero_length_integer: false,
            unsigned_without_leading_zero: false,
            seed: 0,
        }
    }

    /// Answers every request this much later. Default 0.
    pub const fn delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Adds a uniformly random extra delay in `0..=jitter` to each answer,
    /// which also reorders answers. Default 0.
    pub const fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// The probability (0..=1) that a request is ignored. Default 0.
    pub const fn loss(mut self, probability: f64) -> Self {
        self.loss = probability;
        self
    }

    /// The probability (0..=1) that an answer is sent twice. Default 0.
    pub const fn duplicate(mut self, probability: f64) -> Self {
        self.duplicate = probability;
        self
    }

    /// Sends answers from a socket bound to `ip` (same port if free, else
    /// any), not from the address the request went to. On Linux every
    /// 127.x.y.z address is local, so `127.0.0.2` works on loopback.
    /// Default: answer from the request's address.
    pub const fn reply_from(mut self, ip: IpAddr) -> Self {
        self.reply_from = Some(ip);
        self
    }

    /// Answers with the request-id's low 16 bits only. Default off.
    pub const fn truncate_request_id(mut self, on: bool) -> Self {
        self.truncate_request_id = on;
        self
    }

    /// Names the varbinds of GET responses with `.0` appended to the
    /// requested OID. Default off.
    pub const fn append_zero(mut self, on: bool) -> Self {
        self.append_zero = on;
        self
    }

    /// GETNEXT and GETBULK past the `n`-th object (in OID order) continue
    /// at the first object again, so that a walk without a loop check never
    /// ends. Default off.
    pub const fn walk_loop_after(mut self, n: usize) -> Self {
        self.walk_loop_after = Some(n);
        self
    }

    /// GETBULK with max-repetitions above `max` is handled as `overflow`
    /// says. Default: no limit beyond the agent's own
    /// (`AgentBuilder::max_bulk_varbinds`).
    pub const fn bulk_limit(mut self, max: u32, overflow: BulkOverflow) -> Self {
        self.bulk_limit = Some((max, overflow));
        self
    }

    /// Encodes INTEGER 0 as a zero-length INTEGER (`02 00`). Default off.
    pub const fn zero_length_integer(mut self, on: bool) -> Self {
        self.zero_length_integer = on;
        self
    }

    /// Encodes Counter32, Gauge32 and TimeTicks values of 2³¹ and above in
    /// four octets, without the leading zero octet BER needs. Default off.
    pub const fn unsigned_without_leading_zero(mut self, on: bool) -> Self {
        self.unsigned_without_leading_zero = on;
        self
    }

    /// The seed of the random choices. Default 0.
    pub const fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Whether the encoding of responses departs from canonical BER.
    pub(crate) fn quirky_encoding(&self) -> bool {
        self.zero_length_integer || self.unsigned_without_leading_zero
    }

    /// Whether the transport side has anything to do (delay, loss, …).
    pub(crate) fn on_the_wire(&self) -> bool {
        !self.delay.is_zero()
            || !self.jitter.is_zero()
            || self.loss > 0.0
            || self.duplicate > 0.0
            || self.reply_from.is_some()
    }
}

impl Default for Impairments {
    fn default() -> Self {
        Self::none()
    }
}
