//! The EnerGenie native TCP protocol on port 5000 (see [`pms`](super::pms)),
//! for strips whose web interface is off: EG-PMS-LAN (`pms20`), EG-PM2-LAN
//! and EG-PMS2-LAN (`pms21`), EG-PMS-WLAN (`pmswlan`).

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio::time::timeout;

use crate::energenie::pms::{self, Model};
use crate::energenie::{EnergenieSocket, Strip, check_applied, check_socket, on_off};
use crate::{Error, OutletState, ProtocolError};

/// The device's TCP port.
pub const DEFAULT_PORT: u16 = 5000;

/// How long to wait for each answer: 4 s, after which egctl reports a wrong
/// password (the device stays silent on a bad key). That is also how long a
/// wrong password takes to show: set a shorter
/// [`EnergenieTcpBuilder::timeout`] for a strip known to answer fast.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(4);

/// How many times the Start byte is sent: a device still on the timeout of
/// an earlier, unclosed session ignores the first one (egctl sends it 4
/// times).
const START_ATTEMPTS: u32 = 4;

/// How long to wait for the challenge after each Start byte.
const START_WAIT: Duration = Duration::from_millis(500);

/// An EnerGenie strip through its TCP protocol. Cheap to clone; clones
/// share one lock, so that their sessions never overlap.
///
/// # Examples
///
/// ```no_run
/// use snmux::outlets::PowerOutlet;
/// use snmux::outlets::energenie::{EnergenieTcp, Model};
///
/// # async fn f() -> Result<(), snmux::outlets::Error> {
/// let strip = EnergenieTcp::builder("192.0.2.9:5000", Model::Pms21).password("hackme").build();
/// strip.socket(1)?.off().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EnergenieTcp {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    address: String,
    device: String,
    key: Key,
    model: Model,
    timeout: Duration,
    session: Mutex<()>,
}

/// The key; `Debug` does not print it.
struct Key([u8; 8]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Settings of an [`EnergenieTcp`].
#[derive(Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct EnergenieTcpBuilder {
    address: String,
    model: Model,
    password: String,
    timeout: Duration,
}

impl EnergenieTcpBuilder {
    /// The password (only its first 8 bytes count). Default: empty.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// How long to wait for the connection and for each answer. Default
    /// 4 s. No answer to the challenge response within it is
    /// [`Error::SilentAfterLogin`] (most likely a wrong password: the strip
    /// says nothing else), so this is also how long a wrong password takes
    /// to show.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The strip.
    pub fn build(self) -> EnergenieTcp {
        let address = if self.address.contains(':') && !self.address.ends_with(']') {
            self.address
        } else {
            format!("{}:{DEFAULT_PORT}", self.address)
        };
        EnergenieTcp {
            inner: Arc::new(Inner {
                device: format!("tcp:{address}"),
                address,
                key: Key(pms::key(&self.password)),
                model: self.model,
                timeout: self.timeout,
                session: Mutex::new(()),
            }),
        }
    }
}

impl EnergenieTcp {
    /// A strip at `address` (`host:port`, or `host` for port 5000) that
    /// speaks `model`'s protocol.
    pub fn builder(address: impl Into<String>, model: Model) -> EnergenieTcpBuilder {
        EnergenieTcpBuilder {
            address: address.into(),
            model,
            password: String::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The device, `tcp:host:port`.
    pub fn device(&self) -> &str {
        &self.inner.device
    }

    /// Socket `n` (1-4) as a [`PowerOutlet`](crate::PowerOutlet).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOutlet`] if `n` is not 1-4.
    pub fn socket(&self, n: u8) -> Result<EnergenieSocket, Error> {
        EnergenieSocket::new(Strip::Tcp(self.clone()), n)
    }

    /// The states of sockets 1-4.
    ///
    /// # Errors
    ///
    /// [`Error::SilentAfterLogin`] (most likely a wrong password) when the
    /// device does not answer the challenge response,
    /// [`Error::ConnectionRefused`], [`Error::Timeout`],
    /// [`Error::Io`], [`Error::Protocol`] for a state byte the model does not
    /// have or a connection closed early.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection (with the Start byte, when
    /// the socket takes it at once, so that the device does not wait 4 s).
    pub async fn states(&self) -> Result<[OutletState; 4], Error> {
        let _lock = self.inner.session.lock().await;
        let mut session = self.connect().await?;
        let states = self.states_of(&session.received_states(self, true).await?)?;
        session.close(self).await?;
        Ok(states.map(on_off))
    }

    /// Switches socket `n` (1-4) on or off, leaving the others as they
    /// are, and checks the states the device answers with.
    ///
    /// # Errors
    ///
    /// As [`EnergenieTcp::states`], plus [`Error::InvalidOutlet`] and
    /// [`Error::NotApplied`] when the new states show the socket unchanged.
    pub async fn switch(&self, n: u8, on: bool) -> Result<(), Error> {
        check_socket(&self.inner.device, n)?;
        let _lock = self.inner.session.lock().await;
        let mut session = self.connect().await?;
        let before = session.received_states(self, true).await?;
        self.states_of(&before)?;
        let mut controls = [pms::DONT_SWITCH; 4];
        controls[usize::from(n - 1)] = if on { pms::SWITCH_ON } else { pms::SWITCH_OFF };
        let wire = pms::encode_controls(&controls, &session.task, &self.inner.key.0);
        session.send(self, &wire).await?;
        let after = self.states_of(&session.received_states(self, false).await?)?;
        session.close(self).await?;
        check_applied(&self.inner.device, n, on, after)
    }

    /// Connects, sends Start until a challenge comes, and answers it.
    async fn connect(&self) -> Result<Connection, Error> {
        let inner = &self.inner;
        let stream = timeout(inner.timeout, TcpStream::connect(&inner.address))
            .await
            .map_err(|_| self.timed_out())?
            .map_err(|e| Error::from_io(&inner.device, e))?;
        let _ = stream.set_nodelay(true);
        let mut connection = Connection {
            stream,
            task: [0; 4],
            closed: false,
        };
        let mut task = [0u8; 4];
        let mut got = 0;
        let mut attempt = 0;
        while got < task.len() {
            if attempt == START_ATTEMPTS {
                return Err(self.protocol(ProtocolError::NoChallenge(START_ATTEMPTS)));
            }
            attempt += 1;
            if got == 0 {
                connection.send(self, &[pms::START]).await?;
            }
            match timeout(START_WAIT, connection.stream.read(&mut task[got..])).await {
                Err(_) => continue,
                Ok(Ok(0)) => {
                    return Err(self.protocol(ProtocolError::Closed {
                        expected: task.len(),
                        got,
                    }));
                }
                Ok(Ok(n)) => got += n,
                Ok(Err(e)) => return Err(Error::from_io(&inner.device, e)),
            }
        }
        connection.task = task;
        connection
            .send(self, &pms::response(&task, &inner.key.0))
            .await?;
        Ok(connection)
    }

    fn states_of(&self, bytes: &[u8; 4]) -> Result<[bool; 4], Error> {
        let mut states = [false; 4];
        for (i, (&byte, state)) in bytes.iter().zip(&mut states).enumerate() {
            *state = self.inner.model.is_on(byte).ok_or_else(|| {
                self.protocol(ProtocolError::StateByte {
                    socket: i as u8 + 1,
                    byte,
                    model: self.inner.model.name(),
                })
            })?;
        }
        Ok(states)
    }

    fn timed_out(&self) -> Error {
        Error::Timeout {
            device: self.inner.device.clone(),
            after: self.inner.timeout,
        }
    }

    fn protocol(&self, reason: ProtocolError) -> Error {
        Error::Protocol {
            device: self.inner.device.clone(),
            reason,
        }
    }
}

/// One session's connection and challenge. Dropped unclosed (an error, a
/// cancelled future), it sends the Start byte if the socket takes it
/// without waiting, and closes.
struct Connection {
    stream: TcpStream,
    task: [u8; 4],
    closed: bool,
}

impl Connection {
    async fn send(&mut self, strip: &EnergenieTcp, bytes: &[u8]) -> Result<(), Error> {
        let inner = &strip.inner;
        timeout(inner.timeout, self.stream.write_all(bytes))
            .await
            .map_err(|_| strip.timed_out())?
            .map_err(|e| Error::from_io(&inner.device, e))
    }

    /// The decrypted states the device sends next. Right after the
    /// challenge response (`first`), silence is how the device says the key
    /// is wrong: [`Error::SilentAfterLogin`]; later it is a timeout.
    async fn received_states(
        &mut self,
        strip: &EnergenieTcp,
        first: bool,
    ) -> Result<[u8; 4], Error> {
        let inner = &strip.inner;
        let mut sent = [0u8; 4];
        let mut got = 0;
        while got < sent.len() {
            let read = timeout(inner.timeout, self.stream.read(&mut sent[got..])).await;
            match read {
                Err(_) if first => {
                    return Err(Error::SilentAfterLogin {
                        device: inner.device.clone(),
                        waited: inner.timeout,
                    });
                }
                Err(_) => return Err(strip.timed_out()),
                Ok(Ok(0)) => {
                    return Err(strip.protocol(ProtocolError::Closed {
                        expected: sent.len(),
                        got,
                    }));
                }
                Ok(Ok(n)) => got += n,
                Ok(Err(e)) => return Err(Error::from_io(&inner.device, e)),
            }
        }
        Ok(pms::decode_states(&sent, &self.task, &inner.key.0))
    }

    /// Ends the session: the Start byte, then close.
    async fn close(&mut self, strip: &EnergenieTcp) -> Result<(), Error> {
        self.send(strip, &[pms::START]).await?;
        self.closed = true;
        // The Start byte ended the session; how the FIN goes does not matter.
        let _ = timeout(strip.inner.timeout, self.stream.shutdown()).await;
        Ok(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if !self.closed {
            // Best effort, without waiting: the device's own timeout covers
            // the rest.
            let _ = self.stream.try_write(&[pms::START]);
        }
    }
}
