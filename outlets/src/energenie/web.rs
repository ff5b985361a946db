//! The web interface of EG-PM2-LAN and EG-PMS2-LAN strips (plain HTTP):
//! `POST /login.html` with `pw=…`, the status page's `var sockstates =
//! [a,b,c,d];`, `POST /` with `cteN=0|1`, and logout with `GET /login.html`.
//!
//! The device has one session, bound to the IP address of the client that
//! logged in; other hosts get "Impossible to login" until that client logs
//! out. Every operation here therefore logs in, does one thing, and logs out
//! — also when the operation fails, and also when its future is dropped.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::energenie::{EnergenieSocket, Strip, check_applied, check_socket, on_off};
use crate::{Error, OutletState, ProtocolError};

/// The default password of the web interface.
pub const DEFAULT_PASSWORD: &str = "1";

/// The timeout of each HTTP request: 10 s, as Jumpstarter's driver.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// An EnerGenie strip through its web interface. Cheap to clone; clones
/// share one lock, so that their sessions never overlap.
///
/// # Examples
///
/// ```no_run
/// use snmux::outlets::PowerOutlet;
/// use snmux::outlets::energenie::EnergenieWeb;
///
/// # async fn f() -> Result<(), snmux::outlets::Error> {
/// let strip = EnergenieWeb::builder("http://192.0.2.9").password("1").build()?;
/// println!("{:?}", strip.states().await?);
/// strip.socket(2)?.on().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct EnergenieWeb {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    device: String,
    client: reqwest::Client,
    password: Password,
    timeout: Duration,
    /// Held for a whole session, logout included.
    session: Arc<Mutex<()>>,
}

/// The password; `Debug` does not print it.
struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Settings of an [`EnergenieWeb`].
#[derive(Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct EnergenieWebBuilder {
    base: String,
    password: String,
    timeout: Duration,
    local_address: Option<IpAddr>,
}

impl EnergenieWebBuilder {
    /// The password of the web interface. Default `"1"`, the factory
    /// setting.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = password.into();
        self
    }

    /// Timeout of each HTTP request (connect included). Default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The local address to connect from (the device binds its session to
    /// the client's address). Default: the system's choice.
    pub fn local_address(mut self, address: IpAddr) -> Self {
        self.local_address = Some(address);
        self
    }

    /// The strip.
    ///
    /// # Errors
    ///
    /// [`Error::Http`] if the HTTP client cannot be built.
    pub fn build(self) -> Result<EnergenieWeb, Error> {
        let base = self.base.trim_end_matches('/');
        let device = if base.starts_with("http://") || base.starts_with("https://") {
            base.to_owned()
        } else {
            // Jumpstarter's `host`, which may carry a port.
            format!("http://{base}")
        };
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .local_address(self.local_address)
            // The device's small server: a fresh connection per request.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| Error::Http {
                device: device.clone(),
                source: e,
            })?;
        Ok(EnergenieWeb {
            inner: Arc::new(Inner {
                device,
                client,
                password: Password(self.password),
                timeout: self.timeout,
                session: Arc::new(Mutex::new(())),
            }),
        })
    }
}

impl EnergenieWeb {
    /// A strip at `base`: `http://host[:port]`, or `host[:port]` as
    /// Jumpstarter's `host`.
    pub fn builder(base: impl Into<String>) -> EnergenieWebBuilder {
        EnergenieWebBuilder {
            base: base.into(),
            password: DEFAULT_PASSWORD.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            local_address: None,
        }
    }

    /// The device, `http://host[:port]`.
    pub fn device(&self) -> &str {
        &self.inner.device
    }

    /// Socket `n` (1-4) as a [`PowerOutlet`](crate::PowerOutlet).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidOutlet`] if `n` is not 1-4.
    pub fn socket(&self, n: u8) -> Result<EnergenieSocket, Error> {
        EnergenieSocket::new(Strip::Web(self.clone()), n)
    }

    /// The states of sockets 1-4: log in, read the status page, log out.
    ///
    /// # Errors
    ///
    /// [`Error::WrongPassword`], [`Error::SessionHeld`], [`Error::Timeout`],
    /// [`Error::Http`], [`Error::HttpStatus`], [`Error::Protocol`] for a page
    /// that is none of the device's, [`Error::LogoutFailed`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future after the login logs out in a spawned task
    /// (which holds the strip's lock until it is done).
    pub async fn states(&self) -> Result<[OutletState; 4], Error> {
        let (session, states) = self.login().await?;
        session.logout(Ok(states)).await.map(|s| s.map(on_off))
    }

    /// Switches socket `n` (1-4) on or off: log in, `POST /` with
    /// `cteN=1|0`, check the socket in the status page the device answers
    /// with, log out.
    ///
    /// # Errors
    ///
    /// As [`EnergenieWeb::states`], plus [`Error::InvalidOutlet`] for `n`
    /// not 1-4 and [`Error::NotApplied`] when the returned page shows the
    /// socket unchanged.
    ///
    /// # Cancel safety
    ///
    /// As [`EnergenieWeb::states`]; the switch may have happened.
    pub async fn switch(&self, n: u8, on: bool) -> Result<(), Error> {
        check_socket(&self.inner.device, n)?;
        let (session, _) = self.login().await?;
        let result = self.post_switch(n, on).await;
        session.logout(result).await
    }

    async fn post_switch(&self, n: u8, on: bool) -> Result<(), Error> {
        let field = format!("cte{n}");
        let value = if on { "1" } else { "0" };
        let page = self.request("/", Some(&[(field.as_str(), value)])).await?;
        let Page::Status(states) = classify(&page) else {
            // Not the status page (the login page: the session went away).
            return Err(self.protocol(ProtocolError::UnrecognisedPage("switch")));
        };
        check_applied(&self.inner.device, n, on, states)
    }

    /// Logs in; the returned session logs out when asked, or when dropped.
    async fn login(&self) -> Result<(Session, [bool; 4]), Error> {
        let lock = self.inner.session.clone().lock_owned().await;
        // From here until the answer is read, the device may have opened a
        // session for us: arm the guard first.
        let mut session = Session {
            strip: self.clone(),
            lock: Some(lock),
        };
        let page = match self
            .request(
                "/login.html",
                Some(&[("pw", self.inner.password.0.as_str())]),
            )
            .await
        {
            Ok(page) => page,
            Err(e @ Error::ConnectionRefused { .. }) => {
                session.disarm();
                return Err(e);
            }
            // Whether the device logged us in is unknown: log out.
            Err(e) => return Err(session.logout_after(e).await),
        };
        match classify(&page) {
            Page::Status(states) => Ok((session, states)),
            // No session was opened: nothing to log out of.
            Page::Login => {
                session.disarm();
                Err(Error::WrongPassword {
                    device: self.inner.device.clone(),
                })
            }
            Page::SessionHeld => {
                session.disarm();
                Err(Error::SessionHeld {
                    device: self.inner.device.clone(),
                })
            }
            Page::Unrecognised => {
                let e = self.protocol(ProtocolError::UnrecognisedPage("login"));
                Err(session.logout_after(e).await)
            }
        }
    }

    /// `GET /login.html`, which ends the session; the login page proves it.
    async fn logout_request(&self) -> Result<(), Error> {
        let page = self.request("/login.html", None).await?;
        match classify(&page) {
            Page::Login => Ok(()),
            _ => Err(self.protocol(ProtocolError::UnrecognisedPage("logout"))),
        }
    }

    /// One request: a form POST when `form` is given, else a GET. Returns
    /// the body of a 200 response.
    async fn request(
        &self,
        path: &'static str,
        form: Option<&[(&str, &str)]>,
    ) -> Result<String, Error> {
        let url = format!("{}{path}", self.inner.device);
        let request = match form {
            Some(form) => self.inner.client.post(&url).form(form),
            None => self.inner.client.get(&url),
        };
        let http = |e| Error::from_http(&self.inner.device, e, self.inner.timeout);
        let response = request.send().await.map_err(http)?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(Error::HttpStatus {
                device: self.inner.device.clone(),
                path,
                status: status.as_u16(),
            });
        }
        response.text().await.map_err(http)
    }

    fn protocol(&self, reason: ProtocolError) -> Error {
        Error::Protocol {
            device: self.inner.device.clone(),
            reason,
        }
    }
}

/// A session on the device (and the strip's lock). [`Session::logout`]
/// ends it; dropping it unended spawns the logout.
struct Session {
    strip: EnergenieWeb,
    /// `Some` while the session may be open on the device.
    lock: Option<OwnedMutexGuard<()>>,
}

impl Session {
    /// Logs out, then returns `result`, or the logout's failure (which
    /// carries the error of `result`, if any).
    async fn logout<T>(mut self, result: Result<T, Error>) -> Result<T, Error> {
        match result {
            Ok(value) => {
                let logout = self.strip.logout_request().await;
                self.disarm();
                match logout {
                    Ok(()) => Ok(value),
                    Err(e) => Err(Error::LogoutFailed {
                        device: self.strip.inner.device.clone(),
                        logout: Box::new(e),
                        operation: None,
                    }),
                }
            }
            Err(e) => Err(self.logout_after(e).await),
        }
    }

    /// Logs out after the operation failed with `e`; returns `e`, or the
    /// logout's failure carrying `e`.
    async fn logout_after(mut self, e: Error) -> Error {
        let logout = self.strip.logout_request().await;
        self.disarm();
        match logout {
            Ok(()) => e,
            Err(logout) => Error::LogoutFailed {
                device: self.strip.inner.device.clone(),
                logout: Box::new(logout),
                operation: Some(Box::new(e)),
            },
        }
    }

    /// The device has no session for us (any more).
    fn disarm(&mut self) {
        self.lock = None;
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let Some(lock) = self.lock.take() else {
            return;
        };
        let strip = self.strip.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                tracing::debug!(device = %strip.inner.device, "cancelled: logging out in the background");
                runtime.spawn(async move {
                    if let Err(e) = strip.logout_request().await {
                        // Nobody is left to return this to.
                        tracing::warn!(device = %strip.inner.device, "logout after cancellation failed: {e}");
                    }
                    drop(lock);
                });
            }
            Err(_) => tracing::warn!(
                device = %strip.inner.device,
                "cancelled outside a tokio runtime: cannot log out; the device stays locked to this host"
            ),
        }
    }
}

/// What a page of the web interface is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    /// The status page, with the states of sockets 1-4.
    Status([bool; 4]),
    /// The login page: logged out, or a wrong password.
    Login,
    /// "Impossible to login - there is an active session …".
    SessionHeld,
    /// None of these.
    Unrecognised,
}

/// Classifies a page of the web interface by its markers.
pub(crate) fn classify(page: &str) -> Page {
    if page.contains("Impossible to login") {
        return Page::SessionHeld;
    }
    if let Some(states) = sockstates(page) {
        return Page::Status(states);
    }
    if page.contains("EnerGenie Web:") {
        return Page::Login;
    }
    Page::Unrecognised
}

/// The states of `var sockstates = [a,b,c,d];` (whitespace as labgrid's
/// regex allows it), each 0 or 1.
fn sockstates(page: &str) -> Option<[bool; 4]> {
    page.match_indices("var").find_map(|(at, _)| {
        let after = page[at + 3..].trim_start().strip_prefix("sockstates")?;
        let list = after.trim_start().strip_prefix('=')?.trim_start();
        let list = list.strip_prefix('[')?;
        let list = &list[..list.find(']')?];
        let mut states = [false; 4];
        let mut n = 0;
        for item in list.split(',') {
            let state = match item.trim() {
                "0" => false,
                "1" => true,
                _ => return None,
            };
            *states.get_mut(n)? = state;
            n += 1;
        }
        (n == 4).then_some(states)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = r#"<html><div class="boxmenuitem"><a href="login.html">Log Out</a></div>
<script>var sockstates = [0,1,0,1];var mac="88:b6:27:00:00:01";</script></html>"#;
    const LOGIN: &str = r#"<form name="lForm"><div>&nbsp;EnerGenie Web:&nbsp;strip</div>
<script>function PreSubmit(){}</script></form>"#;
    const HELD: &str = "<div>Impossible to login - there is an active session with this device at this moment.</div>";

    #[test]
    fn pages_by_their_markers() {
        assert_eq!(classify(STATUS), Page::Status([false, true, false, true]));
        assert_eq!(classify(LOGIN), Page::Login);
        assert_eq!(classify(HELD), Page::SessionHeld);
        assert_eq!(classify(""), Page::Unrecognised);
        assert_eq!(classify("<html>hello</html>"), Page::Unrecognised);
    }

    #[test]
    fn sockstates_strictly() {
        assert_eq!(
            sockstates("var  sockstates  =  [1,1,0,0];"),
            Some([true, true, false, false])
        );
        assert_eq!(
            sockstates("var mac=1; var sockstates = [1,0,0,1];"),
            Some([true, false, false, true])
        );
        assert_eq!(sockstates("var sockstates = [1,0,0];"), None);
        assert_eq!(sockstates("var sockstates = [1,0,0,1,1];"), None);
        assert_eq!(sockstates("var sockstates = [1,0,2,1];"), None);
        assert_eq!(sockstates("var sockstates = [1,0,0,1"), None);
        assert_eq!(sockstates("var sockstates"), None);
    }
}
