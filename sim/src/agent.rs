//! One simulated agent: its objects, its state, and the command responder
//! that turns a request datagram into a response datagram (RFC 3416 §4.2,
//! RFC 1157 §4.1, with RFC 3584 §4 for SNMPv1 and net-snmp's agent as the
//! reference where the RFCs leave a choice). Plain code: bytes and an
//! `Instant` in, bytes out; the sockets are in `server.rs`.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use snmux_engine::{
    AnyPdu, ErrorStatus, Message, MessageHeader, Oid, Pdu, PduType, Value, VarBind, Version,
    varbind_encoded_len,
};
use tokio::time::Instant;

use crate::impair::{BulkOverflow, Impairments};
use crate::mib::{Cell, Lookup, Mib};
use crate::profile::{
    Outlet, OutletState, PduOptions, Profile, Reading, ScalarRead, Spec, Write, reading, scaled,
};
use crate::quirky;
use crate::snmprec::Recording;

/// net-snmp's `maxGetbulkResponses` default: the most varbinds a GETBULK
/// response carries.
pub const DEFAULT_MAX_BULK_VARBINDS: usize = 100;

/// The default maximum response size, in bytes: the largest UDP payload
/// over IPv4, as snmpd allows for SNMPv1/v2c.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 65_507;

/// A simulated SNMP agent (SNMPv1 and SNMPv2c): a recording or a PDU
/// profile, its communities, its limits and impairments, and its state.
///
/// Build one with [`Agent::pdu`] or [`Agent::recording`], and serve it with
/// [`Sim`](crate::Sim). The same `Agent` can be inspected (and its outlets
/// switched) directly while it is served: [`SimAgent`](crate::SimAgent)
/// derefs to it.
///
/// SET is atomic (every varbind is checked before any is applied) and
/// answers as snmpd does: notWritable for read-only or missing objects,
/// wrongType for a value of another type, wrongValue for a value outside
/// the object's range, noAccess for a read-only community; SNMPv1 gets
/// these mapped as RFC 3584 §4.3 says (noSuchName, badValue).
pub struct Agent {
    name: String,
    read_community: Bytes,
    write_community: Bytes,
    mib: Arc<Mib>,
    pdu: Option<PduModel>,
    state: Mutex<State>,
    max_message_size: usize,
    max_bulk_varbinds: usize,
    pub(crate) impairments: Impairments,
    rng: Mutex<SmallRng>,
    pub(crate) counters: Counters,
    started: Instant,
}

#[derive(Debug, Clone, Copy)]
struct PduModel {
    profile: Profile,
    options: PduOptions,
}

#[derive(Debug)]
struct State {
    writable: Vec<Value>,
    outlets: Vec<Outlet>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("name", &self.name)
            .field("communities", &"[redacted]")
            .field("objects", &self.mib.len())
            .field("profile", &self.pdu.map(|p| p.profile))
            .field("impairments", &self.impairments)
            .finish()
    }
}

/// Settings of an [`Agent`] before it is built.
///
/// A builder: every setter takes `self` and returns `Self`.
#[derive(Debug)]
#[must_use = "an AgentBuilder does nothing until built"]
pub struct AgentBuilder {
    name: String,
    mib: Arc<Mib>,
    pdu: Option<PduModel>,
    read_community: Bytes,
    write_community: Bytes,
    max_message_size: usize,
    max_bulk_varbinds: usize,
    impairments: Impairments,
}

impl Agent {
    /// An agent that behaves like a PDU of `profile`. Its name defaults to
    /// the profile's name; sysName.0 reads the name.
    pub fn pdu(profile: Profile, options: PduOptions) -> AgentBuilder {
        AgentBuilder::new(
            profile.name().to_owned(),
            pdu_mib(profile, &options),
            Some(PduModel { profile, options }),
        )
    }

    /// An agent that serves a recording. Its name defaults to the
    /// recording's community name.
    pub fn recording(recording: &Recording) -> AgentBuilder {
        AgentBuilder::new(recording.name().to_owned(), recording.mib(), None)
    }

    /// The agent's name (in a one-port simulator, its community).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The community that reads (GET, GETNEXT, GETBULK).
    pub fn read_community(&self) -> &[u8] {
        &self.read_community
    }

    /// The community that also writes (SET).
    pub fn write_community(&self) -> &[u8] {
        &self.write_community
    }

    /// The profile, for a PDU agent.
    pub fn profile(&self) -> Option<Profile> {
        self.pdu.map(|p| p.profile)
    }

    /// The number of object instances served.
    pub fn object_count(&self) -> usize {
        self.mib.len()
    }

    /// The number of outlets (0 for a recording).
    pub fn outlet_count(&self) -> u32 {
        self.pdu.map_or(0, |p| p.options.outlets)
    }

    /// The table index of outlet `n` in this PDU's MIB (see
    /// [`Profile::outlet_index`]), or `None` if there is no such outlet.
    pub fn outlet_index(&self, n: u32) -> Option<Vec<u32>> {
        let pdu = self.pdu?;
        (1..=pdu.options.outlets)
            .contains(&n)
            .then(|| pdu.profile.outlet_index(n, pdu.options.outlets_per_group))
    }

    /// The state of outlet `n` (1-based) now, on tokio's clock: what the
    /// agent would answer over SNMP. `None` if there is no such outlet.
    pub fn outlet_state(&self, n: u32) -> Option<OutletState> {
        self.with_outlet(n, Instant::now(), |o| {
            if o.on {
                OutletState::On
            } else {
                OutletState::Off
            }
        })
    }

    /// Whether a command on outlet `n` is pending (a delayed command, or
    /// the off phase of a cycle). `None` if there is no such outlet.
    pub fn outlet_pending(&self, n: u32) -> Option<bool> {
        self.with_outlet(n, Instant::now(), |o| o.pending.is_some())
    }

    /// Switches outlet `n` now, cancelling any pending command, as a test's
    /// setup step. Returns `false` if there is no such outlet.
    pub fn set_outlet_state(&self, n: u32, state: OutletState) -> bool {
        let Some(pdu) = self.pdu else { return false };
        let now = Instant::now();
        self.with_outlet(n, now, |o| {
            let action = match state {
                OutletState::On => crate::profile::Action::On,
                OutletState::Off => crate::profile::Action::Off,
            };
            o.act(action, now, &pdu.options);
        })
        .is_some()
    }

    /// The readings of outlet `n` now, before the vendor's scaling. `None`
    /// if there is no such outlet.
    pub fn outlet_reading(&self, n: u32) -> Option<Reading> {
        let pdu = self.pdu?;
        let now = Instant::now();
        let on = self.with_outlet(n, now, |o| o.on)?;
        Some(reading(
            pdu.options.seed,
            n,
            on,
            now.saturating_duration_since(self.started),
            pdu.profile.spec().voltage,
        ))
    }

    /// The agent's impairments.
    pub fn impairments(&self) -> &Impairments {
        &self.impairments
    }

    /// The counters of this agent.
    pub fn stats(&self) -> AgentStats {
        self.counters.snapshot()
    }

    fn with_outlet<T>(&self, n: u32, now: Instant, f: impl FnOnce(&mut Outlet) -> T) -> Option<T> {
        let pdu = self.pdu?;
        let index = usize::try_from(n).ok()?.checked_sub(1)?;
        let mut state = self.lock();
        let outlet = state.outlets.get_mut(index)?;
        outlet.settle(now, pdu.options.cycle_time);
        Some(f(outlet))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while the lock was held cannot leave the state half
        // written in a way that matters to a simulator.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn rng(&self) -> MutexGuard<'_, SmallRng> {
        self.rng.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a message with this community is for this agent.
    pub(crate) fn knows(&self, community: &[u8]) -> bool {
        community == &self.read_community[..] || community == &self.write_community[..]
    }

    /// The response to one request datagram, at `now`; `None` to send
    /// nothing (malformed, another community, not a request, impairment).
    /// Every outcome is counted.
    pub fn answer(&self, request: &Bytes, now: Instant) -> Option<Vec<u8>> {
        let header = match MessageHeader::decode(request) {
            Ok(h) => h,
            Err(_) => {
                self.counters.malformed.fetch_add(1, Ordering::Relaxed);
                return None;
            }
        };
        if !self.knows(header.community) {
            self.counters
                .wrong_community
                .fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let writable = header.community == &self.write_community[..];
        self.answer_header(&header, request, writable, now)
    }

    fn answer_header(
        &self,
        header: &MessageHeader<'_>,
        request: &Bytes,
        writable: bool,
        now: Instant,
    ) -> Option<Vec<u8>> {
        let v1 = header.version == Version::V1;
        let supported = match header.pdu_type {
            PduType::GetRequest | PduType::GetNextRequest | PduType::SetRequest => true,
            PduType::GetBulkRequest => !v1,
            _ => false,
        };
        if !supported {
            self.counters.unsupported.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let Ok(asked) = header.varbinds(request) else {
            self.counters.malformed.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let request_id = if self.impairments.truncate_request_id {
            header.request_id & 0xffff
        } else {
            header.request_id
        };
        let mut garbage = false;
        let outcome = match header.pdu_type {
            PduType::GetRequest => self.get(&asked, v1, now),
            PduType::GetNextRequest => self.get_next(&asked, v1, now),
            PduType::SetRequest => self.set(&asked, writable, now),
            _ => {
                let mut repetitions = header.error_index.max(0) as u32;
                if let Some((max, overflow)) = self.impairments.bulk_limit {
                    if repetitions > max {
                        match overflow {
                            BulkOverflow::Cap => repetitions = max,
                            BulkOverflow::Drop => {
                                self.counters.impaired.fetch_add(1, Ordering::Relaxed);
                                return None;
                            }
                            BulkOverflow::Garbage => garbage = true,
                        }
                    }
                }
                let non_repeaters = header.error_status.max(0) as usize;
                let overhead = self.overhead(header.version, header.community, request_id);
                Outcome::Ok(self.get_bulk(&asked, non_repeaters, repetitions, overhead, now))
            }
        };
        let (error_status, error_index, varbinds) = match outcome {
            Outcome::Ok(vbs) => (ErrorStatus::NoError, 0, vbs),
            Outcome::Error(status, index) => {
                let status = if v1 { v1_status(status) } else { status };
                (status, index, asked)
            }
        };
        let pdu = Pdu {
            pdu_type: PduType::Response,
            request_id,
            error_status: error_status.wire(),
            error_index: error_index as i32,
            varbinds,
        };
        let mut out = self.encode(header.version, header.community, pdu);
        if out.len() > self.max_message_size {
            // RFC 3416 §4.2.1 (v2c): tooBig with no varbinds; RFC 1157
            // §4.1.2 (v1) echoes the request's, if that fits.
            let mut pdu = Pdu::new(PduType::Response, request_id, Vec::new());
            pdu.error_status = ErrorStatus::TooBig.wire();
            if v1 {
                pdu.varbinds = header.varbinds(request).unwrap_or_default();
                out = self.encode(header.version, header.community, pdu.clone());
                if out.len() > self.max_message_size {
                    pdu.varbinds.clear();
                    out = self.encode(header.version, header.community, pdu);
                }
            } else {
                out = self.encode(header.version, header.community, pdu);
            }
            self.counters.too_big.fetch_add(1, Ordering::Relaxed);
        }
        if garbage {
            out.truncate(out.len() / 2);
            self.counters.impaired.fetch_add(1, Ordering::Relaxed);
        }
        self.counters.responses.fetch_add(1, Ordering::Relaxed);
        Some(out)
    }

    fn encode(&self, version: Version, community: &[u8], pdu: Pdu) -> Vec<u8> {
        if self.impairments.quirky_encoding() {
            quirky::encode(version, community, &pdu, &self.impairments)
        } else {
            Message {
                version,
                community: Bytes::copy_from_slice(community),
                pdu: AnyPdu::Pdu(pdu),
            }
            .to_vec()
        }
    }

    /// The size of a response with no varbinds, plus the most its length
    /// fields can grow (three headers, two octets each).
    fn overhead(&self, version: Version, community: &[u8], request_id: i32) -> usize {
        let empty = Message::new(
            version,
            Bytes::copy_from_slice(community),
            Pdu::new(PduType::Response, request_id, Vec::new()),
        );
        empty.encoded_len() + 6
    }

    fn get(&self, asked: &[VarBind], v1: bool, now: Instant) -> Outcome {
        let mut state = self.lock();
        let mut out = Vec::with_capacity(asked.len());
        for (i, vb) in asked.iter().enumerate() {
            let value = match self.mib.lookup(&vb.oid) {
                Lookup::Found(cell) => self.read(cell, &mut state, now),
                Lookup::NoSuchObject => Value::NoSuchObject,
                Lookup::NoSuchInstance => Value::NoSuchInstance,
            };
            // RFC 3584 §4.2.2.1: SNMPv1 has no Counter64 and no exceptions.
            if v1 && (value.is_exception() || matches!(value, Value::Counter64(_))) {
                return Outcome::Error(ErrorStatus::NoSuchName, i + 1);
            }
            let oid = if self.impairments.append_zero {
                vb.oid
                    .arcs()
                    .len()
                    .lt(&snmux_engine::MAX_OID_LEN)
                    .then(|| vb.oid.child(0))
            } else {
                None
            };
            out.push(VarBind {
                oid: oid.unwrap_or_else(|| vb.oid.clone()),
                value,
            });
        }
        Outcome::Ok(out)
    }

    fn get_next(&self, asked: &[VarBind], v1: bool, now: Instant) -> Outcome {
        let mut state = self.lock();
        let mut out = Vec::with_capacity(asked.len());
        for (i, vb) in asked.iter().enumerate() {
            let mut index = self.mib.next_index(&vb.oid);
            match self.next_from(&mut index, v1, &mut state, now) {
                Some(found) => out.push(found),
                None if v1 => return Outcome::Error(ErrorStatus::NoSuchName, i + 1),
                None => out.push(VarBind::new(vb.oid.clone(), Value::EndOfMibView)),
            }
        }
        Outcome::Ok(out)
    }

    /// The instance at `*index` or after it (SNMPv1 skips Counter64, as
    /// RFC 3584 §4.2.2.1 and net-snmp do), leaving `*index` after it.
    fn next_from(
        &self,
        index: &mut usize,
        v1: bool,
        state: &mut State,
        now: Instant,
    ) -> Option<VarBind> {
        loop {
            if let Some(after) = self.impairments.walk_loop_after {
                if *index >= after.max(1) && self.mib.len() > 0 {
                    *index = 0;
                }
            }
            let (oid, cell) = self.mib.entry(*index)?;
            *index += 1;
            let value = self.read(cell, state, now);
            if v1 && (matches!(value, Value::Counter64(_)) || value.is_exception()) {
                continue;
            }
            return Some(VarBind::new(oid.clone(), value));
        }
    }

    /// RFC 3416 §4.2.3, with net-snmp's limits: at most
    /// `max_bulk_varbinds` varbinds, and the list truncated (not tooBig)
    /// to fit the maximum message size.
    fn get_bulk(
        &self,
        asked: &[VarBind],
        non_repeaters: usize,
        max_repetitions: u32,
        overhead: usize,
        now: Instant,
    ) -> Vec<VarBind> {
        let non_repeaters = non_repeaters.min(asked.len());
        let (singles, repeaters) = asked.split_at(non_repeaters);
        let limit = self.max_bulk_varbinds.max(non_repeaters);
        let mut repetitions = max_repetitions as usize;
        if !repeaters.is_empty() {
            repetitions = repetitions.min((limit - non_repeaters) / repeaters.len());
        }
        let budget = self.max_message_size.saturating_sub(overhead);
        let mut used = 0;
        let mut state = self.lock();
        let mut out = Vec::with_capacity(non_repeaters + repetitions * repeaters.len());
        let mut push = |out: &mut Vec<VarBind>, vb: VarBind| {
            used += varbind_encoded_len(&vb);
            if used > budget {
                return false;
            }
            out.push(vb);
            true
        };
        for vb in singles {
            let mut index = self.mib.next_index(&vb.oid);
            let found = self
                .next_from(&mut index, false, &mut state, now)
                .unwrap_or_else(|| VarBind::new(vb.oid.clone(), Value::EndOfMibView));
            if !push(&mut out, found) {
                return out;
            }
        }
        if repeaters.is_empty() || repetitions == 0 {
            return out;
        }
        let mut cursors: Vec<(usize, Oid)> = repeaters
            .iter()
            .map(|vb| (self.mib.next_index(&vb.oid), vb.oid.clone()))
            .collect();
        for _ in 0..repetitions {
            let mut all_ended = true;
            for (index, last) in cursors.iter_mut() {
                let vb = match self.next_from(index, false, &mut state, now) {
                    Some(vb) => {
                        all_ended = false;
                        last.clone_from(&vb.oid);
                        vb
                    }
                    None => VarBind::new(last.clone(), Value::EndOfMibView),
                };
                if !push(&mut out, vb) {
                    return out;
                }
            }
            if all_ended {
                break;
            }
        }
        out
    }

    fn set(&self, asked: &[VarBind], writable: bool, now: Instant) -> Outcome {
        if !writable {
            // snmpd: a read-only community's SET is noAccess (v1
            // noSuchName, by RFC 3584 §4.3).
            return Outcome::Error(ErrorStatus::NoAccess, 1);
        }
        let mut state = self.lock();
        // Check every varbind first: SET is as if simultaneous (RFC 3416
        // §4.2.5).
        let mut plan = Vec::with_capacity(asked.len());
        for (i, vb) in asked.iter().enumerate() {
            match self.check_set(vb, &state) {
                Ok(step) => plan.push(step),
                Err(status) => return Outcome::Error(status, i + 1),
            }
        }
        for step in plan {
            match step {
                SetStep::Slot(slot, value) => {
                    if let Some(v) = state.writable.get_mut(slot) {
                        *v = value;
                    }
                }
                SetStep::Outlet {
                    outlet,
                    write,
                    value,
                } => {
                    let Some(pdu) = self.pdu else { continue };
                    let Some(o) = state.outlets.get_mut(outlet as usize - 1) else {
                        continue;
                    };
                    o.settle(now, pdu.options.cycle_time);
                    match write {
                        Write::Command(list) => {
                            if let Some(&(_, action)) = list.iter().find(|(v, _)| *v == value) {
                                o.act(action, now, &pdu.options);
                            }
                        }
                        Write::Delay(kind) => {
                            o.act_delayed(kind, value, now, &pdu.options);
                        }
                        Write::ReadOnly => {}
                    }
                }
            }
        }
        self.counters.sets.fetch_add(1, Ordering::Relaxed);
        Outcome::Ok(asked.to_vec())
    }

    fn check_set(&self, vb: &VarBind, state: &State) -> Result<SetStep, ErrorStatus> {
        let cell = match self.mib.lookup(&vb.oid) {
            Lookup::Found(cell) => cell,
            Lookup::NoSuchObject | Lookup::NoSuchInstance => {
                return Err(ErrorStatus::NotWritable);
            }
        };
        match cell {
            Cell::Writable(slot) => {
                let slot = *slot as usize;
                let current = state.writable.get(slot).ok_or(ErrorStatus::GenErr)?;
                if std::mem::discriminant(current) != std::mem::discriminant(&vb.value) {
                    return Err(ErrorStatus::WrongType);
                }
                Ok(SetStep::Slot(slot, vb.value.clone()))
            }
            Cell::Outlet { column, outlet } => {
                let spec = self.spec().ok_or(ErrorStatus::GenErr)?;
                let column = spec
                    .columns
                    .get(usize::from(*column))
                    .ok_or(ErrorStatus::GenErr)?;
                let value = match (column.write, &vb.value) {
                    (Write::ReadOnly, _) => return Err(ErrorStatus::NotWritable),
                    (_, Value::Integer(v)) => *v,
                    _ => return Err(ErrorStatus::WrongType),
                };
                let valid = match column.write {
                    Write::Command(list) => list.iter().any(|(v, _)| *v == value),
                    Write::Delay(_) => (-1..=99_999).contains(&value),
                    Write::ReadOnly => false,
                };
                if !valid {
                    return Err(ErrorStatus::WrongValue);
                }
                Ok(SetStep::Outlet {
                    outlet: *outlet,
                    write: column.write,
                    value,
                })
            }
            Cell::Static(_) | Cell::Scalar(_) | Cell::Uptime => Err(ErrorStatus::NotWritable),
        }
    }

    fn spec(&self) -> Option<&'static Spec> {
        self.pdu.map(|p| p.profile.spec())
    }

    /// The value of `cell` at `now`.
    fn read(&self, cell: &Cell, state: &mut State, now: Instant) -> Value {
        match cell {
            Cell::Static(v) => v.clone(),
            Cell::Writable(slot) => state
                .writable
                .get(*slot as usize)
                .cloned()
                .unwrap_or(Value::NoSuchInstance),
            Cell::Uptime => {
                let centis = now.saturating_duration_since(self.started).as_millis() / 10;
                Value::TimeTicks(centis as u32)
            }
            Cell::Outlet { column, outlet } => {
                let (Some(pdu), Some(spec)) = (self.pdu, self.spec()) else {
                    return Value::NoSuchInstance;
                };
                let (Some(column), Some(o)) = (
                    spec.columns.get(usize::from(*column)),
                    state.outlets.get_mut(*outlet as usize - 1),
                ) else {
                    return Value::NoSuchInstance;
                };
                o.settle(now, pdu.options.cycle_time);
                column
                    .read
                    .value(*outlet, o, now, self.started, &pdu.options, spec)
            }
            Cell::Scalar(i) => {
                let (Some(pdu), Some(spec)) = (self.pdu, self.spec()) else {
                    return Value::NoSuchInstance;
                };
                let Some(scalar) = spec.scalars.get(usize::from(*i)) else {
                    return Value::NoSuchInstance;
                };
                let elapsed = now.saturating_duration_since(self.started);
                match scalar.read {
                    ScalarRead::Voltage { scale, gauge } => {
                        let r = reading(pdu.options.seed, 0, false, elapsed, spec.voltage);
                        scaled(r.voltage * scale, gauge)
                    }
                    ScalarRead::Current { scale, gauge } => {
                        let mut total = 0.0;
                        for (i, o) in state.outlets.iter_mut().enumerate() {
                            o.settle(now, pdu.options.cycle_time);
                            total += reading(
                                pdu.options.seed,
                                i as u32 + 1,
                                o.on,
                                elapsed,
                                spec.voltage,
                            )
                            .current;
                        }
                        scaled(total * scale, gauge)
                    }
                }
            }
        }
    }
}

/// The v1 error-status for a v2 one (RFC 3584 §4.3).
fn v1_status(status: ErrorStatus) -> ErrorStatus {
    use ErrorStatus::*;
    match status {
        WrongValue | WrongEncoding | WrongType | WrongLength | InconsistentValue => BadValue,
        NoAccess | NotWritable | NoCreation | InconsistentName | AuthorizationError => NoSuchName,
        ResourceUnavailable | CommitFailed | UndoFailed => GenErr,
        other => other,
    }
}

enum Outcome {
    Ok(Vec<VarBind>),
    /// error-status and the 1-based error-index; the varbinds are the
    /// request's.
    Error(ErrorStatus, usize),
}

enum SetStep {
    Slot(usize, Value),
    Outlet {
        outlet: u32,
        write: Write,
        value: i32,
    },
}

impl AgentBuilder {
    fn new(name: String, mib: Arc<Mib>, pdu: Option<PduModel>) -> Self {
        Self {
            name,
            mib,
            pdu,
            read_community: Bytes::from_static(b"public"),
            write_community: Bytes::from_static(b"private"),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            max_bulk_varbinds: DEFAULT_MAX_BULK_VARBINDS,
            impairments: Impairments::none(),
        }
    }

    /// The agent's name: sysName.0 of a PDU, and the community a one-port
    /// simulator gives it. Default: the profile's name or the recording's
    /// community.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The community that reads. Default `public`.
    pub fn read_community(mut self, community: impl Into<Bytes>) -> Self {
        self.read_community = community.into();
        self
    }

    /// The community that reads and writes. Default `private`.
    pub fn write_community(mut self, community: impl Into<Bytes>) -> Self {
        self.write_community = community.into();
        self
    }

    /// One community for reading and writing (as snmpsim serves
    /// recordings).
    pub fn community(self, community: impl Into<Bytes>) -> Self {
        let community = community.into();
        self.read_community(community.clone())
            .write_community(community)
    }

    /// The largest response, in bytes (at least 484, RFC 3417 §3.2).
    /// Larger GET, GETNEXT and SET responses become tooBig; GETBULK
    /// responses are truncated to fit, as RFC 3416 §4.2.3 and net-snmp do.
    /// Default 65 507.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(484);
        self
    }

    /// The most varbinds in a GETBULK response: max-repetitions is lowered
    /// to fit (net-snmp's `maxGetbulkResponses`). Default 100.
    pub fn max_bulk_varbinds(mut self, n: usize) -> Self {
        self.max_bulk_varbinds = n.max(1);
        self
    }

    /// The agent's faults and quirks. Default none.
    pub fn impairments(mut self, impairments: Impairments) -> Self {
        self.impairments = impairments;
        self
    }

    /// The name the agent will have.
    pub fn agent_name(&self) -> &str {
        &self.name
    }

    /// Builds the agent; its clock (sysUpTime, readings) starts now.
    pub fn build(self) -> Agent {
        let now = Instant::now();
        let mut writable = self.mib.writable.clone();
        let outlets = match self.pdu {
            Some(pdu) => {
                if let Some(v) = writable.get_mut(SYS_NAME_SLOT) {
                    *v = Value::from(self.name.clone());
                }
                let on = pdu.options.initial == OutletState::On;
                (0..pdu.options.outlets)
                    .map(|_| Outlet::new(on, now))
                    .collect()
            }
            None => Vec::new(),
        };
        let seed = self.impairments.seed;
        Agent {
            name: self.name,
            read_community: self.read_community,
            write_community: self.write_community,
            mib: self.mib,
            pdu: self.pdu,
            state: Mutex::new(State { writable, outlets }),
            max_message_size: self.max_message_size,
            max_bulk_varbinds: self.max_bulk_varbinds,
            impairments: self.impairments,
            rng: Mutex::new(SmallRng::seed_from_u64(seed)),
            counters: Counters::default(),
            started: now,
        }
    }
}

impl Agent {
    /// Reseeds the impairments' generator with the agent's seed mixed with
    /// `salt` (its position in a simulator), so that agents built alike do
    /// not fail alike.
    pub(crate) fn salt_rng(&self, salt: u64) {
        let seed = self.impairments.seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        *self.rng() = SmallRng::seed_from_u64(seed);
    }

    /// Draws whether this request is lost, and the delay and copies of its
    /// answer.
    pub(crate) fn plan(&self) -> WirePlan {
        let imp = &self.impairments;
        if !imp.on_the_wire() {
            return WirePlan::default();
        }
        let mut rng = self.rng();
        let lost = imp.loss > 0.0 && rng.random_bool(imp.loss.clamp(0.0, 1.0));
        let jitter = if imp.jitter.is_zero() {
            std::time::Duration::ZERO
        } else {
            imp.jitter.mul_f64(rng.random::<f64>())
        };
        let duplicate = imp.duplicate > 0.0 && rng.random_bool(imp.duplicate.clamp(0.0, 1.0));
        WirePlan {
            lost,
            delay: imp.delay + jitter,
            copies: if duplicate { 2 } else { 1 },
        }
    }
}

/// What the transport does with one request and its answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WirePlan {
    pub(crate) lost: bool,
    pub(crate) delay: std::time::Duration,
    pub(crate) copies: u8,
}

impl Default for WirePlan {
    fn default() -> Self {
        Self {
            lost: false,
            delay: std::time::Duration::ZERO,
            copies: 1,
        }
    }
}

/// The counters of an agent, or of a whole simulator
/// ([`Sim::stats`](crate::Sim::stats)). Every datagram received is counted
/// once in `requests` or in one of the drop counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AgentStats {
    /// Well-formed requests with a known community.
    pub requests: u64,
    /// Responses sent (each duplicate counts).
    pub responses: u64,
    /// SETs that succeeded.
    pub sets: u64,
    /// Responses that were tooBig.
    pub too_big: u64,
    /// Datagrams dropped because they do not decode.
    pub malformed: u64,
    /// Datagrams dropped for an unknown community.
    pub wrong_community: u64,
    /// Datagrams dropped for their version or PDU type (SNMPv3, traps,
    /// responses, SNMPv1 GETBULK).
    pub unsupported: u64,
    /// Requests lost on purpose (impairments: loss, GETBULK dropped).
    pub lost: u64,
    /// Responses changed on purpose (garbage, duplicates).
    pub impaired: u64,
}

impl std::ops::AddAssign for AgentStats {
    fn add_assign(&mut self, o: Self) {
        self.requests += o.requests;
        self.responses += o.responses;
        self.sets += o.sets;
        self.too_big += o.too_big;
        self.malformed += o.malformed;
        self.wrong_community += o.wrong_community;
        self.unsupported += o.unsupported;
        self.lost += o.lost;
        self.impaired += o.impaired;
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) responses: AtomicU64,
    pub(crate) sets: AtomicU64,
    pub(crate) too_big: AtomicU64,
    pub(crate) malformed: AtomicU64,
    pub(crate) wrong_community: AtomicU64,
    pub(crate) unsupported: AtomicU64,
    pub(crate) lost: AtomicU64,
    pub(crate) impaired: AtomicU64,
}

impl Counters {
    pub(crate) fn snapshot(&self) -> AgentStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        AgentStats {
            requests: get(&self.requests),
            responses: get(&self.responses),
            sets: get(&self.sets),
            too_big: get(&self.too_big),
            malformed: get(&self.malformed),
            wrong_community: get(&self.wrong_community),
            unsupported: get(&self.unsupported),
            lost: get(&self.lost),
            impaired: get(&self.impaired),
        }
    }
}

// ---------------------------------------------------------------------
// The MIB of a PDU profile.

/// sysContact.0, sysName.0 and sysLocation.0 are the writable slots 0..3.
const SYS_NAME_SLOT: usize = 1;

/// The MIB of `profile` with the outlet count and grouping of `options`,
/// shared by every agent built alike while one lives.
fn pdu_mib(profile: Profile, options: &PduOptions) -> Arc<Mib> {
    type Key = (Profile, u32, u32);
    static CACHE: OnceLock<Mutex<HashMap<Key, Weak<Mib>>>> = OnceLock::new();
    let key = (profile, options.outlets, options.outlets_per_group);
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(mib) = cache.get(&key).and_then(Weak::upgrade) {
        return mib;
    }
    let mib = Arc::new(build_pdu_mib(profile, options));
    cache.retain(|_, weak| weak.strong_count() > 0);
    cache.insert(key, Arc::downgrade(&mib));
    mib
}

fn build_pdu_mib(profile: Profile, options: &PduOptions) -> Mib {
    let spec = profile.spec();
    let system = |i: u32| Oid::from_slice(&[1, 3, 6, 1, 2, 1, 1, i, 0]);
    let mut entries = vec![
        (system(1), Cell::Static(Value::from(spec.sys_descr))),
        (
            system(2),
            Cell::Static(Value::ObjectIdentifier(profile.sys_object_id())),
        ),
        (system(3), Cell::Uptime),
        (system(4), Cell::Writable(0)),
        (system(5), Cell::Writable(1)),
        (system(6), Cell::Writable(2)),
        (system(7), Cell::Static(Value::Integer(72))),
    ];
    let mut objects = Vec::new();
    for (c, column) in spec.columns.iter().enumerate() {
        let base = Oid::from_slice(column.oid);
        objects.push(base.clone());
        for n in 1..=options.outlets {
            let mut arcs = column.oid.to_vec();
            arcs.extend(profile.outlet_index(n, options.outlets_per_group));
            arcs.extend_from_slice(column.suffix);
            entries.push((
                Oid::from_slice(&arcs),
                Cell::Outlet {
                    column: c as u16,
                    outlet: n,
                },
            ));
        }
    }
    for (i, scalar) in spec.scalars.iter().enumerate() {
        entries.push((Oid::from_slice(scalar.oid), Cell::Scalar(i as u16)));
    }
    let writable = vec![Value::from(""), Value::from(""), Value::from("")];
    Mib::new(entries, objects, writable)
}

#[cfg(test)]
mod tests;
