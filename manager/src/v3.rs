//! SNMPv3 for managers: users and security levels, engine discovery and
//! time synchronisation shared per agent (RFC 3414 §4, §2.3), and Reports
//! turned into errors (RFC 3414 §3.2, §5 usmStats).

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures::future::BoxFuture;
use tokio::time::Instant;
use zeroize::Zeroize;

use snmux_engine::dispatcher::{
    Error as DispatchError, ExchangeV3, RequestOptions, ResponseV3, UsmRequest,
};
use snmux_engine::{Oid, Pdu, PduType, RequestPdu};
use snmux_usm::{AuthKey, AuthProtocol, EngineTime, MasterKey, PrivKey, PrivProtocol};

use crate::manager::Inner;
use crate::{Engine, Error};

/// An SNMPv3 user (RFC 3414 §2.1) and the context its requests address
/// (RFC 3412 §6.8). Build with [`UsmUser::new`]; the passphrases are turned
/// into keys once, here (the megabyte of hashing of RFC 3414 A.2), and
/// localized to each agent's engine on first contact.
#[derive(Clone)]
pub struct UsmUser {
    inner: Arc<UserInner>,
}

#[derive(Clone)]
struct UserInner {
    name: Bytes,
    level: Level,
    context_name: Bytes,
    context_engine_id: Option<Bytes>,
    authoritative_engine_id: Option<Bytes>,
}

/// The master keys (Ku) of a security level.
#[derive(Clone)]
enum Level {
    Plain,
    Auth(MasterKey),
    Private(MasterKey, PrivProtocol, MasterKey),
}

/// The securityLevel of an SNMPv3 user (RFC 3411 §3.4.3), with what it
/// needs: no passphrase, an authentication passphrase, or both.
#[derive(Clone, PartialEq, Eq)]
pub enum SecurityLevel {
    /// noAuthNoPriv.
    NoAuthNoPriv,
    /// authNoPriv: HMAC authentication.
    AuthNoPriv {
        /// The authentication protocol.
        auth: AuthProtocol,
        /// The authentication passphrase (at least 8 characters).
        auth_password: String,
    },
    /// authPriv: authentication and encryption.
    AuthPriv {
        /// The authentication protocol.
        auth: AuthProtocol,
        /// The authentication passphrase (at least 8 characters).
        auth_password: String,
        /// The privacy protocol.
        privacy: PrivProtocol,
        /// The privacy passphrase (at least 8 characters).
        privacy_password: String,
    },
}

impl fmt::Debug for SecurityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecurityLevel::NoAuthNoPriv => f.write_str("NoAuthNoPriv"),
            SecurityLevel::AuthNoPriv { auth, .. } => write!(f, "AuthNoPriv({auth}, [redacted])"),
            SecurityLevel::AuthPriv { auth, privacy, .. } => {
                write!(f, "AuthPriv({auth}, [redacted], {privacy}, [redacted])")
            }
        }
    }
}

impl UsmUser {
    /// A user `name` at `level`.
    ///
    /// # Errors
    ///
    /// [`Error::Usm`] if a passphrase is shorter than 8 characters
    /// (RFC 3414 §11.2).
    pub fn new(name: impl Into<Bytes>, mut level: SecurityLevel) -> Result<UsmUser, Error> {
        let keys = UsmUser::master_keys(&level);
        // The passphrases are not needed past this point.
        match &mut level {
            SecurityLevel::NoAuthNoPriv => {}
            SecurityLevel::AuthNoPriv { auth_password, .. } => auth_password.zeroize(),
            SecurityLevel::AuthPriv {
                auth_password,
                privacy_password,
                ..
            } => {
                auth_password.zeroize();
                privacy_password.zeroize();
            }
        }
        Ok(UsmUser {
            inner: Arc::new(UserInner {
                name: name.into(),
                level: keys?,
                context_name: Bytes::new(),
                context_engine_id: None,
                authoritative_engine_id: None,
            }),
        })
    }

    fn master_keys(level: &SecurityLevel) -> Result<Level, Error> {
        Ok(match level {
            SecurityLevel::NoAuthNoPriv => Level::Plain,
            SecurityLevel::AuthNoPriv {
                auth,
                auth_password,
            } => Level::Auth(MasterKey::from_password(*auth, auth_password.as_bytes())?),
            SecurityLevel::AuthPriv {
                auth,
                auth_password,
                privacy,
                privacy_password,
            } => Level::Private(
                MasterKey::from_password(*auth, auth_password.as_bytes())?,
                *privacy,
                // The privacy key is derived with the authentication hash.
                MasterKey::from_password(*auth, privacy_password.as_bytes())?,
            ),
        })
    }

    /// The same user addressing the context `name` (net-snmp's `-n`).
    /// Default: the default context (empty).
    #[must_use]
    pub fn context_name(self, name: impl Into<Bytes>) -> UsmUser {
        self.with(|u| u.context_name = name.into())
    }

    /// The same user addressing the contextEngineID `engine_id` (net-snmp's
    /// `-E`). Default: the agent's engineID, as discovered.
    #[must_use]
    pub fn context_engine_id(self, engine_id: impl Into<Bytes>) -> UsmUser {
        self.with(|u| u.context_engine_id = Some(engine_id.into()))
    }

    /// The same user, for agents whose engineID is `engine_id` (net-snmp's
    /// `-e`): the first request to an agent whose engine is not known yet
    /// goes to this engineID without a discovery (RFC 3414 §4). Its clock is
    /// learned from the agent's first notInTimeWindow Report, as net-snmp
    /// does. An agent with another engineID answers unknownEngineID, and its
    /// own engineID is then used. Default: discovery.
    #[must_use]
    pub fn authoritative_engine_id(self, engine_id: impl Into<Bytes>) -> UsmUser {
        self.with(|u| u.authoritative_engine_id = Some(engine_id.into()))
    }

    fn with(self, f: impl FnOnce(&mut UserInner)) -> UsmUser {
        let mut inner = Arc::unwrap_or_clone(self.inner);
        f(&mut inner);
        UsmUser {
            inner: Arc::new(inner),
        }
    }

    /// The user name.
    pub fn name(&self) -> &[u8] {
        &self.inner.name
    }

    /// Keys localized to `engine_id` (RFC 3414 §2.6).
    fn localize(&self, engine_id: &[u8]) -> Result<Keys, Error> {
        Ok(match &self.inner.level {
            Level::Plain => Keys::default(),
            Level::Auth(auth) => Keys {
                auth: Some(Arc::new(auth.localize_auth(engine_id)?)),
                privacy: None,
            },
            Level::Private(auth, privacy, privacy_key) => Keys {
                auth: Some(Arc::new(auth.localize_auth(engine_id)?)),
                privacy: Some(Arc::new(privacy_key.localize_priv(*privacy, engine_id)?)),
            },
        })
    }
}

impl fmt::Debug for UsmUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match &self.inner.level {
            Level::Plain => "noAuthNoPriv",
            Level::Auth(_) => "authNoPriv",
            Level::Private(..) => "authPriv",
        };
        f.debug_struct("UsmUser")
            .field("name", &String::from_utf8_lossy(&self.inner.name))
            .field("level", &level)
            .finish_non_exhaustive()
    }
}

#[derive(Default, Clone)]
struct Keys {
    auth: Option<Arc<AuthKey>>,
    privacy: Option<Arc<PrivKey>>,
}

/// A manager's SNMPv3 state: the record of its agent's engine (shared with
/// every manager of the agent), and the security parameters of its
/// requests, prepared for the engineID the keys were localized to.
#[derive(Default)]
pub(crate) struct Session {
    remote: OnceLock<Arc<RemoteEngine>>,
    /// The user's name, keys and context for one engineID, with the boots
    /// and time of the engine's clock at the last request: the requests of
    /// the same second share it (the time is in whole seconds), and one of
    /// the next makes a new one.
    prepared: Mutex<Option<Arc<UsmRequest>>>,
}

impl Session {
    /// The security parameters of a request to `known`'s engine at `now`,
    /// if they are prepared for its engineID: the shared ones if the
    /// engine's clock still reads as they state, else a copy with its
    /// boots and time.
    fn prepared(&self, known: &Known, now: Instant) -> Option<Arc<UsmRequest>> {
        let engine_boots = known.time.boots();
        let engine_time = known.time.estimated_time(now.into_std());
        let mut prepared = self.prepared.lock().unwrap_or_else(PoisonError::into_inner);
        let p = prepared
            .as_mut()
            .filter(|p| p.engine_id == known.engine_id)?;
        if p.engine_boots != engine_boots || p.engine_time != engine_time {
            *p = Arc::new(UsmRequest {
                engine_boots,
                engine_time,
                ..UsmRequest::clone(p)
            });
        }
        Some(p.clone())
    }

    /// [`Session::prepared`] for `remote`'s engine, if it is known: its
    /// record is read in place, under its lock (no copy of it, nor of the
    /// parameters).
    fn prepared_for(&self, remote: &RemoteEngine, now: Instant) -> Option<Arc<UsmRequest>> {
        remote
            .with_known(|known| self.prepared(known, now))
            .flatten()
    }

    /// As [`Session::prepared`], preparing them if they are not: keys
    /// localized once per engineID (RFC 3414 §2.6).
    fn usm(&self, user: &UsmUser, known: &Known, now: Instant) -> Result<Arc<UsmRequest>, Error> {
        if let Some(usm) = self.prepared(known, now) {
            return Ok(usm);
        }
        let keys = user.localize(&known.engine_id)?;
        let usm = Arc::new(UsmRequest {
            user_name: user.inner.name.clone(),
            engine_id: known.engine_id.clone(),
            engine_boots: known.time.boots(),
            engine_time: known.time.estimated_time(now.into_std()),
            auth: keys.auth,
            privacy: keys.privacy,
            context_engine_id: user
                .inner
                .context_engine_id
                .clone()
                .unwrap_or_else(|| known.engine_id.clone()),
            context_name: user.inner.context_name.clone(),
        });
        *self.prepared.lock().unwrap_or_else(PoisonError::into_inner) = Some(usm.clone());
        Ok(usm)
    }
}

/// What a manager knows of an agent's engine: its engineID and clock.
#[derive(Clone)]
struct Known {
    engine_id: Bytes,
    time: EngineTime,
}

/// The engine of one agent, shared by every manager of the [`Engine`] that
/// talks to it: discovered once (single-flight), its clock kept.
#[derive(Default)]
pub(crate) struct RemoteEngine {
    known: Mutex<Option<Known>>,
    /// Held by the one discovery in flight; holds the error of the last
    /// discovery that failed, for the requests that waited for it.
    discovering: tokio::sync::Mutex<Option<Error>>,
    /// How many discoveries failed.
    failures: AtomicU64,
}

impl RemoteEngine {
    fn known(&self) -> Option<Known> {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `f` of the engine's record, if it is known, under its lock.
    fn with_known<R>(&self, f: impl FnOnce(&Known) -> R) -> Option<R> {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(f)
    }

    fn set(&self, known: Option<Known>) {
        *self.known.lock().unwrap_or_else(PoisonError::into_inner) = known;
    }

    /// Takes `engine_id` as the agent's, with a clock at boots 0, time 0,
    /// unless its engine is known already.
    fn preset(&self, engine_id: &Bytes) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.is_none() {
            *known = Some(Known {
                engine_id: engine_id.clone(),
                time: EngineTime::new(0, 0, Instant::now().into_std()),
            });
        }
    }

    /// Takes the engineID, boots and time a message states (RFC 3414 §3.2
    /// step 7b: newer boots, or the same boots and a later time). The clock
    /// is read only then: most responses state the time already known.
    fn observe(&self, r: &ResponseV3) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        match known.as_mut() {
            Some(k) if k.engine_id == r.engine_id => {
                if k.time.is_newer(r.engine_boots, r.engine_time) {
                    k.time
                        .update(r.engine_boots, r.engine_time, Instant::now().into_std());
                }
            }
            _ => {
                *known = Some(Known {
                    engine_id: r.engine_id.clone(),
                    time: EngineTime::new(r.engine_boots, r.engine_time, Instant::now().into_std()),
                });
            }
        }
    }

    /// Resets the clock to what an authenticated Report states, even
    /// backwards: a rebooted agent (boots reset, RFC 3414 §2.3).
    fn resync(&self, r: &ResponseV3, now: Instant) {
        self.set(Some(Known {
            engine_id: r.engine_id.clone(),
            time: EngineTime::new(r.engine_boots, r.engine_time, now.into_std()),
        }));
    }

    /// The agent's engine, discovered if unknown: one discovery at a time
    /// per agent, however many requests wait for it. If it fails, the
    /// requests that waited for it fail with its error; a request that comes
    /// later tries again.
    async fn discover(
        &self,
        engine: &Engine,
        target: SocketAddr,
        options: &RequestOptions,
    ) -> Result<Known, Error> {
        if let Some(k) = self.known() {
            return Ok(k);
        }
        let failures = self.failures.load(Ordering::Acquire);
        let mut last_failure = self.discovering.lock().await;
        if let Some(k) = self.known() {
            return Ok(k);
        }
        // The discovery this request waited for failed: so does the request,
        // instead of trying again after it (waiting requests one after
        // another, each for a whole timeout).
        if self.failures.load(Ordering::Acquire) != failures {
            if let Some(e) = last_failure.as_ref() {
                return Err(e.for_waiter());
            }
        }
        let discovered = self.probe(engine, target, options).await;
        if let Err(e) = &discovered {
            *last_failure = Some(e.for_waiter());
            self.failures.fetch_add(1, Ordering::AcqRel);
        }
        discovered
    }

    /// Discovery (RFC 3414 §4): an empty request without engine ID or user;
    /// the Report names the engine.
    async fn probe(
        &self,
        engine: &Engine,
        target: SocketAddr,
        options: &RequestOptions,
    ) -> Result<Known, Error> {
        let probe = Pdu::new(PduType::GetRequest, 0, Vec::new());
        let report = engine
            .dispatcher()
            .request_v3(target, &UsmRequest::default(), probe, options)
            .await
            .map_err(Error::from_dispatch)?;
        // RFC 3414 §4 expects usmStatsUnknownEngineIDs; some agents (Dell)
        // answer usmStatsUnknownUserNames. Either will do if it names the
        // engine.
        if report.engine_id.is_empty() {
            return Err(Error::UnknownEngineId { target });
        }
        tracing::debug!(%target, engine_boots = report.engine_boots, "discovered engine");
        self.resync(&report, Instant::now());
        self.known().ok_or(Error::UnknownEngineId { target })
    }
}

/// usmStats (RFC 3414 §5): `1.3.6.1.6.3.15.1.1.N.0`.
const USM_STATS: [u32; 9] = [1, 3, 6, 1, 6, 3, 15, 1, 1];

/// The usmStats counter a Report names, if it names one.
fn usm_stat(pdu: &Pdu) -> Option<u32> {
    let oid = &pdu.varbinds.first()?.oid;
    match oid.suffix(&Oid::from_slice(&USM_STATS))? {
        [n, 0] => Some(*n),
        _ => None,
    }
}

pin_project_lite::pin_project! {
    /// The future of a manager's SNMPv3 request. In the common case, the
    /// agent's engine known and the parameters of this second prepared, it
    /// is one exchange, in place. Discovery, and the Reports that a retry
    /// may fix, go [`general`]'s way, boxed: that future is large, and
    /// rarely needed.
    #[project = RequestProj]
    pub(crate) enum Request<'a> {
        Exchange {
            #[pin]
            exchange: ExchangeV3<'a, Arc<UsmRequest>>,
            inner: &'a Inner,
            user: &'a UsmUser,
        },
        General {
            general: BoxFuture<'a, Result<Pdu, Error>>,
        },
    }
}

/// One SNMPv3 request for a manager: discovery if needed, the request with
/// keys localized to the agent's engine, and the Reports that the protocol
/// can fix (unknownEngineID, notInTimeWindow) fixed by one retry each.
///
/// The parameters are looked up here, when the request is made: a
/// manager's operations make it when they are first polled.
pub(crate) fn request<'a>(inner: &'a Inner, user: &'a UsmUser, pdu: RequestPdu<'a>) -> Request<'a> {
    let session = &inner.v3;
    let prepared = session
        .remote
        .get()
        .and_then(|remote| session.prepared_for(remote, Instant::now()));
    match prepared {
        Some(usm) => Request::Exchange {
            exchange: inner.engine.dispatcher().request_v3_pdu(
                inner.target,
                usm,
                pdu,
                &inner.options,
            ),
            inner,
            user,
        },
        None => Request::General {
            general: Box::pin(general(inner, user, pdu, None)),
        },
    }
}

impl Future for Request<'_> {
    type Output = Result<Pdu, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (result, inner, user, pdu, stated) = match self.as_mut().project() {
            RequestProj::General { general } => return general.as_mut().poll(cx),
            RequestProj::Exchange {
                mut exchange,
                inner,
                user,
            } => {
                let result = ready!(exchange.as_mut().poll(cx));
                let usm = exchange.usm();
                let stated = (usm.engine_boots, usm.engine_time);
                (result, *inner, *user, exchange.pdu(), stated)
            }
        };
        let remote = inner
            .v3
            .remote
            .get_or_init(|| inner.engine.remote_engine(inner.target));
        match answered(remote, inner.target, user, stated, result) {
            ControlFlow::Break(done) => Poll::Ready(done),
            ControlFlow::Continue(report) => {
                let general = Box::pin(general(inner, user, pdu, Some(report)));
                self.set(Request::General { general });
                self.poll(cx)
            }
        }
    }
}

/// What an exchange's outcome makes of the request: its result, or a
/// Report for [`general`] to act on. `stated`: the agent's boots and time
/// as the request stated them.
fn answered(
    remote: &RemoteEngine,
    target: SocketAddr,
    user: &UsmUser,
    stated: (u32, u32),
    result: Result<ResponseV3, DispatchError>,
) -> ControlFlow<Result<Pdu, Error>, ResponseV3> {
    let r = match result {
        Ok(r) => r,
        Err(DispatchError::Decryption) => {
            return ControlFlow::Break(Err(Error::DecryptionError {
                target,
                user: String::from_utf8_lossy(&user.inner.name).into_owned(),
            }));
        }
        Err(e) => return ControlFlow::Break(Err(Error::from_dispatch(e))),
    };
    if r.pdu.pdu_type == PduType::Response {
        // A response that states the clock as the request did changes
        // nothing: the engine's record already estimates it so (its boots
        // and time are kept only when later, RFC 3414 §3.2 step 7b).
        if r.authenticated && (r.engine_boots, r.engine_time) != stated {
            remote.observe(&r);
        }
        return ControlFlow::Break(Ok(r.pdu));
    }
    ControlFlow::Continue(r)
}

/// [`request`] in general: discovery if the agent's engine is unknown, and
/// one retry each for the Reports that the protocol can fix. `report`: a
/// Report the request already had, to act on first.
async fn general(
    inner: &Inner,
    user: &UsmUser,
    pdu: RequestPdu<'_>,
    mut report: Option<ResponseV3>,
) -> Result<Pdu, Error> {
    let (engine, target, session, options) =
        (&inner.engine, inner.target, &inner.v3, &inner.options);
    let dangerous_unauthenticated_time = inner.dangerous_unauthenticated_time;
    let remote = session.remote.get_or_init(|| engine.remote_engine(target));
    let mut retried_engine = false;
    let mut retried_time = false;
    if let Some(engine_id) = &user.inner.authoritative_engine_id {
        remote.preset(engine_id);
    }
    loop {
        let r = match report.take() {
            Some(r) => r,
            None => {
                // Scoped: what the future keeps across the request is `usm`
                // alone.
                let now = Instant::now();
                let usm = match session.prepared_for(remote, now) {
                    Some(usm) => usm,
                    None => {
                        let known = match remote.known() {
                            Some(known) => known,
                            // Boxed: the discovery's future is large, and
                            // rarely needed.
                            None => Box::pin(remote.discover(engine, target, options)).await?,
                        };
                        session.usm(user, &known, now)?
                    }
                };
                let result = engine
                    .dispatcher()
                    .request_v3_pdu(target, &*usm, pdu, options)
                    .await;
                let stated = (usm.engine_boots, usm.engine_time);
                match answered(remote, target, user, stated, result) {
                    ControlFlow::Break(done) => return done,
                    ControlFlow::Continue(r) => r,
                }
            }
        };
        // A Report (RFC 3414 §3.2 steps 3-8).
        let user_name = String::from_utf8_lossy(&user.inner.name).into_owned();
        match usm_stat(&r.pdu) {
            Some(4) if !retried_engine => {
                // unknownEngineID: the agent has a new engineID (or ours was
                // stale); take it from the Report and try again.
                retried_engine = true;
                if r.engine_id.is_empty() {
                    remote.set(None);
                } else {
                    remote.resync(&r, Instant::now());
                }
            }
            Some(4) => return Err(Error::UnknownEngineId { target }),
            Some(2) if !retried_time && (r.authenticated || dangerous_unauthenticated_time) => {
                // notInTimeWindow: the agent rebooted or our clock drifted.
                retried_time = true;
                remote.resync(&r, Instant::now());
            }
            Some(2) => return Err(Error::NotInTimeWindow { target }),
            Some(3) => {
                return Err(Error::UnknownUserName {
                    target,
                    user: user_name,
                });
            }
            Some(1) => {
                return Err(Error::UnsupportedSecLevel {
                    target,
                    user: user_name,
                });
            }
            Some(5) => {
                return Err(Error::WrongDigest {
                    target,
                    user: user_name,
                });
            }
            Some(6) => {
                return Err(Error::DecryptionError {
                    target,
                    user: user_name,
                });
            }
            _ => {
                return Err(Error::Report {
                    target,
                    oid: r.pdu.varbinds.first().map(|vb| vb.oid.clone()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::SecurityLevel;

    fn known(engine_id: &'static [u8], now: Instant) -> Known {
        Known {
            engine_id: Bytes::from_static(engine_id),
            time: EngineTime::new(5, 100, now.into_std()),
        }
    }

    /// A response that states the agent's clock as its request did leaves
    /// the engine's record alone; one that states a later time is kept.
    #[test]
    fn responses_update_the_engine_clock_only_when_it_moved() {
        let user = UsmUser::new("u", SecurityLevel::NoAuthNoPriv).unwrap();
        let t0 = Instant::now();
        let remote = RemoteEngine::default();
        remote.set(Some(known(b"\x80\x00\x1f\x88\x04one", t0)));
        let target: SocketAddr = "127.0.0.1:161".parse().unwrap();
        let response = |boots, time| {
            Ok(ResponseV3 {
                pdu: Pdu::new(PduType::Response, 1, Vec::new()),
                engine_id: Bytes::from_static(b"\x80\x00\x1f\x88\x04one"),
                engine_boots: boots,
                engine_time: time,
                authenticated: true,
            })
        };
        let latest = || remote.known().unwrap().time.latest_received_time();
        let r = answered(&remote, target, &user, (5, 100), response(5, 100));
        assert!(matches!(r, ControlFlow::Break(Ok(_))));
        assert_eq!(latest(), 100);
        let r = answered(&remote, target, &user, (5, 100), response(5, 130));
        assert!(matches!(r, ControlFlow::Break(Ok(_))));
        assert_eq!(latest(), 130, "a later time is kept");
    }

    #[test]
    fn prepared_parameters_state_the_engine_clock_of_each_request() {
        let user = UsmUser::new(
            "u",
            SecurityLevel::AuthPriv {
                auth: AuthProtocol::Sha256,
                auth_password: "authpass1".into(),
                privacy: PrivProtocol::Aes128,
                privacy_password: "privpass1".into(),
            },
        )
        .unwrap();
        let session = Session::default();
        let t0 = Instant::now();
        let engine = known(b"\x80\x00\x1f\x88\x04one", t0);
        assert!(session.prepared(&engine, t0).is_none(), "nothing yet");

        let first = session.usm(&user, &engine, t0).unwrap();
        assert_eq!((first.engine_boots, first.engine_time), (5, 100));
        assert!(first.auth.is_some() && first.privacy.is_some());
        // The same second: the same parameters, shared.
        let again = session
            .prepared(&engine, t0 + Duration::from_millis(900))
            .unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        // Seconds later: the engine's time as estimated then, same keys.
        let later = session
            .prepared(&engine, t0 + Duration::from_millis(2500))
            .unwrap();
        assert_eq!((later.engine_boots, later.engine_time), (5, 102));
        assert!(Arc::ptr_eq(
            later.auth.as_ref().unwrap(),
            first.auth.as_ref().unwrap()
        ));
        assert_eq!(later.user_name, first.user_name);
        assert_eq!(later.context_engine_id, engine.engine_id);
        // What a request took before stays as it was.
        assert_eq!(first.engine_time, 100);

        // Another engineID: keys localized to it, not the old ones.
        let other = known(b"\x80\x00\x1f\x88\x04two", t0);
        assert!(session.prepared(&other, t0).is_none());
        let theirs = session.usm(&user, &other, t0).unwrap();
        assert_eq!(theirs.engine_id, other.engine_id);
        assert_ne!(
            theirs.auth.as_ref().unwrap().as_bytes(),
            first.auth.as_ref().unwrap().as_bytes()
        );
    }
}
