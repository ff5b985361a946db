use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::TryFutureExt;
use futures::future::{BoxFuture, Either};
use tracing::Instrument;

use snmux_engine::{
    ErrorStatus, Oid, Pdu, PduType, RequestOptions, RequestPdu, RequestVarBinds, VarBind, Version,
};

use crate::v3::{self, UsmUser};
use crate::{Engine, Error, ImproperResponse, Walk};

/// How a manager identifies itself to an agent: the SNMP version and its
/// credentials.
#[derive(Clone)]
#[non_exhaustive]
pub enum Security {
    /// SNMPv1 with a community string (RFC 1157).
    V1 {
        /// The community; any bytes.
        community: Bytes,
    },
    /// SNMPv2c with a community string (RFC 1901).
    V2c {
        /// The community; any bytes.
        community: Bytes,
    },
    /// SNMPv3 with the User-based Security Model (RFC 3414).
    V3(UsmUser),
}

impl Security {
    /// SNMPv1 with `community`.
    pub fn v1(community: impl Into<Bytes>) -> Self {
        Security::V1 {
            community: community.into(),
        }
    }

    /// SNMPv2c with `community`.
    pub fn v2c(community: impl Into<Bytes>) -> Self {
        Security::V2c {
            community: community.into(),
        }
    }

    /// SNMPv3 as `user`.
    pub fn v3(user: UsmUser) -> Self {
        Security::V3(user)
    }

    /// The SNMP version.
    pub fn version(&self) -> Version {
        match self {
            Security::V1 { .. } => Version::V1,
            Security::V2c { .. } => Version::V2c,
            Security::V3(_) => Version::V3,
        }
    }
}

impl fmt::Debug for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Security::V1 { .. } => f.write_str("V1 { community: [redacted] }"),
            Security::V2c { .. } => f.write_str("V2c { community: [redacted] }"),
            Security::V3(user) => write!(f, "V3({user:?})"),
        }
    }
}

/// Settings of a [`Manager`]. Every setter takes and returns the builder.
#[derive(Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct ManagerBuilder {
    engine: Engine,
    target: SocketAddr,
    security: Security,
    options: RequestOptions,
    max_repetitions: u32,
    dangerous_unauthenticated_time: bool,
}

impl ManagerBuilder {
    pub(crate) fn new(engine: Engine, target: SocketAddr, security: Security) -> Self {
        Self {
            engine,
            target,
            security,
            options: RequestOptions::default(),
            max_repetitions: 10,
            dangerous_unauthenticated_time: false,
        }
    }

    /// Total time for one request, including retransmissions. Default 5 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = timeout;
        self
    }

    /// Time between retransmissions of a request. Default 1 s.
    pub fn refresh(mut self, refresh: Duration) -> Self {
        self.options.refresh = refresh;
        self
    }

    /// net-snmp's `-t SECONDS -r RETRIES`: wait `per_try` for each of
    /// `retries + 1` transmissions; sets both the refresh period and the
    /// timeout (`per_try × (retries + 1)`).
    pub fn retries(mut self, per_try: Duration, retries: u32) -> Self {
        self.options.refresh = per_try;
        self.options.timeout = per_try.saturating_mul(retries.saturating_add(1));
        self
    }

    /// max-repetitions of the GETBULK requests of a walk (RFC 3416 §4.2.3).
    /// Default 10, as net-snmp's; some agents fail above 25-50. A tooBig
    /// response halves it for the rest of that walk.
    pub fn max_repetitions(mut self, n: u32) -> Self {
        self.max_repetitions = n.max(1);
        self
    }

    /// Accept responses from any address, not only the target's. Insecure:
    /// anyone who can guess a request-id can answer. For agents that reply
    /// from another address (multi-homed, VRRP/HSRP). Default `false`.
    pub fn dangerous_accept_any_source(mut self, yes: bool) -> Self {
        self.options.dangerous_accept_any_source = yes;
        self
    }

    /// SNMPv3: accept an unauthenticated notInTimeWindow Report as the
    /// agent's clock and retry once. Insecure: anyone can then set the clock
    /// this manager uses for the agent (for the request at hand). For agents
    /// that send such Reports (UniFi access points). Default `false`.
    pub fn dangerous_accept_unauthenticated_time_reports(mut self, yes: bool) -> Self {
        self.dangerous_unauthenticated_time = yes;
        self
    }

    /// The manager.
    pub fn build(self) -> Manager {
        Manager {
            inner: Arc::new(Inner {
                engine: self.engine,
                target: self.target,
                security: self.security,
                options: self.options,
                max_repetitions: self.max_repetitions,
                dangerous_unauthenticated_time: self.dangerous_unauthenticated_time,
                v3: v3::Session::default(),
            }),
        }
    }
}

/// A command generator for one agent (RFC 3413 §3.1): `get`, `get_next`,
/// `get_bulk`, `set` and `walk`, over the socket of its [`Engine`].
///
/// Cheap to clone; clones share the settings. Any number of managers, for
/// any number of agents, can have requests in flight at once.
///
/// # Cancel safety
///
/// Every operation is cancel safe: dropping its future removes its request
/// from the engine's table, and a later response is dropped. A dropped SET
/// may still have reached the agent.
#[derive(Clone)]
pub struct Manager {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) engine: Engine,
    pub(crate) target: SocketAddr,
    security: Security,
    pub(crate) options: RequestOptions,
    max_repetitions: u32,
    pub(crate) dangerous_unauthenticated_time: bool,
    /// SNMPv3: the agent's engine and the keys localized to it.
    pub(crate) v3: v3::Session,
}

impl fmt::Debug for Manager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manager")
            .field("target", &self.inner.target)
            .field("security", &self.inner.security)
            .field("options", &self.inner.options)
            .field("max_repetitions", &self.inner.max_repetitions)
            .finish()
    }
}

impl Manager {
    /// The agent's address.
    pub fn target(&self) -> SocketAddr {
        self.inner.target
    }

    /// The SNMP version.
    pub fn version(&self) -> Version {
        self.inner.security.version()
    }

    /// The total time of one request, retransmissions included
    /// ([`ManagerBuilder::timeout`]).
    pub fn timeout(&self) -> Duration {
        self.inner.options.timeout
    }

    /// max-repetitions used by walks.
    pub fn max_repetitions(&self) -> u32 {
        self.inner.max_repetitions
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// GET (RFC 3416 §4.2.1): the values of `oids`, one varbind each, in
    /// order. In SNMPv2c a missing object is a varbind with
    /// [`Value::NoSuchObject`](snmux_engine::Value::NoSuchObject) or
    /// `NoSuchInstance`; in SNMPv1 it is an [`Error::ErrorStatus`] with
    /// `noSuchName`. If the agent answers tooBig, the OIDs are split in
    /// halves and asked again.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`], [`Error::ErrorStatus`] (with the OID at
    /// error-index), [`Error::ImproperResponse`] if the agent returns
    /// another number of varbinds, and the engine's errors.
    pub async fn get(&self, oids: &[Oid]) -> Result<Vec<VarBind>, Error> {
        let span = tracing::debug_span!("get", target = %self.inner.target, n = oids.len());
        self.get_split(PduType::GetRequest, oids)
            .instrument(span)
            .await
    }

    /// GETNEXT (RFC 3416 §4.2.2): for each OID, the first object instance
    /// after it. SNMPv2c signals the end of the MIB view with
    /// [`Value::EndOfMibView`](snmux_engine::Value::EndOfMibView), SNMPv1 with a
    /// `noSuchName` [`Error::ErrorStatus`].
    ///
    /// # Errors
    ///
    /// As [`Manager::get`].
    pub async fn get_next(&self, oids: &[Oid]) -> Result<Vec<VarBind>, Error> {
        let span = tracing::debug_span!("get_next", target = %self.inner.target, n = oids.len());
        self.get_split(PduType::GetNextRequest, oids)
            .instrument(span)
            .await
    }

    /// GETBULK (RFC 3416 §4.2.3): GETNEXT once for the first
    /// `non_repeaters` OIDs, and `max_repetitions` times for the others.
    /// The response holds at most `non_repeaters + max_repetitions × (n -
    /// non_repeaters)` varbinds, repetitions interleaved; agents may return
    /// fewer.
    ///
    /// # Errors
    ///
    /// [`Error::NotInVersion`] on SNMPv1; otherwise as [`Manager::get`],
    /// tooBig included (it is not split).
    pub async fn get_bulk(
        &self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[Oid],
    ) -> Result<Vec<VarBind>, Error> {
        if self.version() == Version::V1 {
            return Err(Error::NotInVersion {
                operation: "GETBULK",
                version: Version::V1,
            });
        }
        let span = tracing::debug_span!("get_bulk", target = %self.inner.target, non_repeaters, max_repetitions);
        let clamp = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let pdu = RequestPdu::get_bulk(clamp(non_repeaters), clamp(max_repetitions), oids);
        let response = self.request(pdu).instrument(span).await?;
        self.check_status(&response, oids)?;
        Ok(response.varbinds)
    }

    /// SET (RFC 3416 §4.2.5): writes the values of `varbinds` as one
    /// transaction and returns the agent's varbinds.
    ///
    /// # Errors
    ///
    /// [`Error::ErrorStatus`] with the agent's reason (notWritable,
    /// wrongType, noAccess, …) and the OID at error-index; otherwise as
    /// [`Manager::get`].
    pub async fn set(&self, varbinds: &[VarBind]) -> Result<Vec<VarBind>, Error> {
        let span = tracing::debug_span!("set", target = %self.inner.target, n = varbinds.len());
        async {
            let oids: Vec<Oid> = varbinds.iter().map(|vb| vb.oid.clone()).collect();
            let response = self
                .request(RequestPdu {
                    pdu_type: PduType::SetRequest,
                    error_status: 0,
                    error_index: 0,
                    varbinds: RequestVarBinds::Values(varbinds),
                })
                .await?;
            self.check_status(&response, &oids)?;
            self.check_count(&response, oids.len())?;
            Ok(response.varbinds)
        }
        .instrument(span)
        .await
    }

    /// Walks the subtree under `root` (RFC 3416 §4.2.2-4.2.3): GETBULK with
    /// [`max_repetitions`](ManagerBuilder::max_repetitions) on SNMPv2c,
    /// GETNEXT on SNMPv1. The stream yields each object instance under
    /// `root` in order and ends at the end of the subtree, at
    /// endOfMibView, or on SNMPv1's noSuchName.
    ///
    /// A tooBig response halves max-repetitions for the rest of the walk.
    /// An agent that returns an OID that does not increase ends the walk
    /// with [`Error::NonIncreasingOid`] instead of looping forever.
    pub fn walk(&self, root: Oid) -> Walk {
        Walk::new(self.clone(), root, self.version() != Version::V1)
    }

    /// Walks with GETNEXT even on SNMPv2c, for agents whose GETBULK is
    /// broken.
    pub fn walk_get_next(&self, root: Oid) -> Walk {
        Walk::new(self.clone(), root, false)
    }

    /// GET or GETNEXT, splitting the OIDs on tooBig.
    async fn get_split(&self, pdu_type: PduType, oids: &[Oid]) -> Result<Vec<VarBind>, Error> {
        let response = self.request(RequestPdu::null(pdu_type, oids)).await?;
        if response.status() == ErrorStatus::TooBig && oids.len() > 1 {
            // Rare: boxed here so that the common path allocates no future.
            let (a, b) = oids.split_at(oids.len() / 2);
            let mut first = self.get_split_boxed(pdu_type, a).await?;
            first.extend(self.get_split_boxed(pdu_type, b).await?);
            return Ok(first);
        }
        self.check_status(&response, oids)?;
        self.check_count(&response, oids.len())?;
        Ok(response.varbinds)
    }

    fn get_split_boxed<'a>(
        &'a self,
        pdu_type: PduType,
        oids: &'a [Oid],
    ) -> BoxFuture<'a, Result<Vec<VarBind>, Error>> {
        Box::pin(self.get_split(pdu_type, oids))
    }

    /// One request. Not an `async fn`: the dispatcher's future is all a
    /// community request holds while it waits.
    pub(crate) fn request<'a>(
        &'a self,
        pdu: RequestPdu<'a>,
    ) -> impl Future<Output = Result<Pdu, Error>> + Send + 'a {
        let inner = &*self.inner;
        let (version, community) = match &inner.security {
            Security::V1 { community } => (Version::V1, community),
            Security::V2c { community } => (Version::V2c, community),
            Security::V3(user) => return Either::Right(v3::request(inner, user, pdu)),
        };
        let request = inner.engine.dispatcher().request_pdu(
            inner.target,
            version,
            community,
            pdu,
            &inner.options,
        );
        Either::Left(request.map_err(Error::from_dispatch))
    }

    pub(crate) fn check_status(&self, response: &Pdu, oids: &[Oid]) -> Result<(), Error> {
        match response.status() {
            ErrorStatus::NoError => Ok(()),
            status => {
                let index = u32::try_from(response.error_index).unwrap_or(0);
                let oid = index
                    .checked_sub(1)
                    .and_then(|i| oids.get(i as usize))
                    .cloned();
                Err(Error::ErrorStatus {
                    target: self.inner.target,
                    status,
                    index,
                    oid,
                })
            }
        }
    }

    fn check_count(&self, response: &Pdu, expected: usize) -> Result<(), Error> {
        if response.varbinds.len() == expected {
            Ok(())
        } else {
            Err(Error::ImproperResponse {
                target: self.inner.target,
                reason: ImproperResponse::VarBindCount {
                    expected,
                    got: response.varbinds.len(),
                },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_pending_get_stays_small() {
        // Every request in flight holds this future (and the engine's
        // entry): keep it cheap to hold. 520 bytes in a release build.
        let engine = Engine::bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
        let manager = engine
            .manager(
                SocketAddr::from(([127, 0, 0, 1], 161)),
                Security::v2c("public"),
            )
            .build();
        let oids = [snmux_engine::oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)];
        let size = std::mem::size_of_val(&manager.get(&oids));
        assert!(size <= 640, "{size}");
    }
}
