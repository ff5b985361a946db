//! EnerGenie simulators for the tests, on real loopback sockets:
//!
//! - [`WebStrip`]: the web interface of an EG-PMS2-LAN (an HTTP/1.1 server
//!   on hyper) as `../shared/reference/outlets.md` §4.1 describes it: one
//!   session bound to the client's IP address, the login page, the status
//!   page with its `Log Out` marker and `var sockstates = [..];var mac=`, the
//!   "Impossible to login" page for other hosts, `cteN` switches by `POST /`
//!   (other `cteM=` fields may be empty), logout by `GET /login.html` (or a
//!   `POST /login.html` with an empty `pw`).
//! - [`TcpStrip`]: the native protocol on port 5000 (§4.2): a random 4-byte
//!   challenge per session, silence on a wrong key, socket 1 last on the
//!   wire, the model's state bytes, and the Start byte: a session closed
//!   without it makes the strip ignore the next session's first Start.
//!
//! Fault injection is explicit ([`SwitchFault`], [`TcpFault`]); every
//! request is recorded as an [`Event`].

// Not every test file uses every helper.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use snmux::outlets::energenie::Model;

/// Something a simulator saw or did, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A login with the right password from this host.
    Login(IpAddr),
    /// A login with a wrong password.
    WrongPassword(IpAddr),
    /// A login refused because another host holds the session.
    Held(IpAddr),
    /// A session ended by this host.
    Logout(IpAddr),
    /// A socket switched (1-4) by this host.
    Switch(IpAddr, u8, bool),
    /// TCP: a session closed with the Start byte.
    CleanClose,
    /// TCP: a session closed without it.
    UncleanClose,
    /// TCP: a Start byte ignored (after an unclean close).
    StartIgnored,
    /// TCP: a wrong challenge response (the strip stays silent).
    BadKey,
}

/// What the web interface does on `POST /` with a `cteN` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SwitchFault {
    /// Switch and answer the status page.
    #[default]
    None,
    /// Switch, then close the connection without answering.
    CloseConnection,
    /// Never answer (until the client goes away); `switch_reached` fires.
    Stall,
    /// Answer the status page without switching.
    Ignore,
}

/// The web interface of a strip with password `password`, on
/// `127.0.0.1:port`.
#[derive(Debug)]
pub struct WebStrip {
    addr: SocketAddr,
    state: Arc<Mutex<WebState>>,
    /// Fires when a `POST /` switch request arrives.
    pub switch_reached: Arc<Notify>,
    /// Changes on every event.
    events_changed: watch::Receiver<usize>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct WebState {
    password: String,
    sockets: [bool; 4],
    session: Option<IpAddr>,
    fault: SwitchFault,
    events: Vec<Event>,
    notify: watch::Sender<usize>,
}

impl WebState {
    fn record(&mut self, event: Event) {
        self.events.push(event);
        self.notify.send_replace(self.events.len());
    }
}

impl WebStrip {
    /// Starts the server; sockets all off.
    pub async fn start(password: &str) -> WebStrip {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let (notify, events_changed) = watch::channel(0);
        let state = Arc::new(Mutex::new(WebState {
            password: password.to_owned(),
            sockets: [false; 4],
            session: None,
            fault: SwitchFault::None,
            events: Vec::new(),
            notify,
        }));
        let switch_reached = Arc::new(Notify::new());
        let task = tokio::spawn(serve_web(listener, state.clone(), switch_reached.clone()));
        WebStrip {
            addr,
            state,
            switch_reached,
            events_changed,
            task,
        }
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `127.0.0.1:port`, as Jumpstarter's `host`.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The socket states, 1-4.
    pub fn sockets(&self) -> [bool; 4] {
        self.state.lock().unwrap().sockets
    }

    /// Sets the socket states directly (the buttons on the strip).
    pub fn set_sockets(&self, sockets: [bool; 4]) {
        self.state.lock().unwrap().sockets = sockets;
    }

    /// The host holding the session, if any.
    pub fn session(&self) -> Option<IpAddr> {
        self.state.lock().unwrap().session
    }

    /// Opens the session for `host` as if it had logged in (and never
    /// logged out).
    pub fn hold_session(&self, host: IpAddr) {
        self.state.lock().unwrap().session = Some(host);
    }

    /// What `POST /` switches do from now on.
    pub fn set_fault(&self, fault: SwitchFault) {
        self.state.lock().unwrap().fault = fault;
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<Event> {
        self.state.lock().unwrap().events.clone()
    }

    /// Waits (at most 10 s) until the session is free.
    pub async fn wait_logged_out(&self) {
        let mut changed = self.events_changed.clone();
        let wait = async {
            while self.session().is_some() {
                changed.changed().await.expect("simulator running");
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("still logged in; events {:?}", self.events()));
    }
}

impl Drop for WebStrip {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_web(
    listener: TcpListener,
    state: Arc<Mutex<WebState>>,
    switch_reached: Arc<Notify>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        let switch_reached = switch_reached.clone();
        connections.spawn(async move {
            let abort = Arc::new(Notify::new());
            let service = {
                let abort = abort.clone();
                service_fn(move |request| {
                    handle(
                        state.clone(),
                        peer.ip(),
                        request,
                        abort.clone(),
                        switch_reached.clone(),
                    )
                })
            };
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            // Dropping the connection closes the socket.
            tokio::select! {
                _ = connection => {}
                _ = abort.notified() => {}
            }
        });
    }
}

async fn handle(
    state: Arc<Mutex<WebState>>,
    client: IpAddr,
    request: Request<Incoming>,
    abort: Arc<Notify>,
    switch_reached: Arc<Notify>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };

    let page = match (method, path.as_str()) {
        (Method::POST, "/login.html") => {
            let mut s = state.lock().unwrap();
            match field("pw") {
                // schneuwlym/energenie's logout.
                Some("") | None if s.session == Some(client) => {
                    s.session = None;
                    s.record(Event::Logout(client));
                    login_page()
                }
                _ if s.session.is_some_and(|holder| holder != client) => {
                    s.record(Event::Held(client));
                    held_page()
                }
                Some(pw) if pw == s.password => {
                    s.session = Some(client);
                    s.record(Event::Login(client));
                    status_page(s.sockets)
                }
                _ => {
                    s.record(Event::WrongPassword(client));
                    login_page()
                }
            }
        }
        (Method::GET, "/login.html") => {
            let mut s = state.lock().unwrap();
            if s.session == Some(client) {
                s.session = None;
                s.record(Event::Logout(client));
            }
            login_page()
        }
        (Method::GET, "/" | "/energenie.html" | "/status.html") => {
            let s = state.lock().unwrap();
            if s.session == Some(client) {
                status_page(s.sockets)
            } else {
                login_page()
            }
        }
        (Method::POST, "/" | "/energenie.html" | "/status.html") => {
            let fault = {
                let mut s = state.lock().unwrap();
                if s.session != Some(client) {
                    return Ok(html(login_page()));
                }
                let fault = s.fault;
                for n in 1..=4u8 {
                    let on = match field(&format!("cte{n}")) {
                        Some("1") => true,
                        Some("0") => false,
                        // Absent or empty: leave it.
                        _ => continue,
                    };
                    if fault != SwitchFault::Ignore && fault != SwitchFault::Stall {
                        s.sockets[usize::from(n - 1)] = on;
                        s.record(Event::Switch(client, n, on));
                    }
                }
                fault
            };
            switch_reached.notify_one();
            match fault {
                SwitchFault::CloseConnection => {
                    abort.notify_one();
                    std::future::pending::<()>().await;
                    unreachable!()
                }
                SwitchFault::Stall => {
                    std::future::pending::<()>().await;
                    unreachable!()
                }
                SwitchFault::None | SwitchFault::Ignore => {
                    status_page(state.lock().unwrap().sockets)
                }
            }
        }
        _ => {
            let mut response = html(String::from("<html>Not Found</html>"));
            *response.status_mut() = hyper::StatusCode::NOT_FOUND;
            return Ok(response);
        }
    };
    Ok(html(page))
}

fn html(page: String) -> Response<Full<Bytes>> {
    Response::builder()
        .header("Content-Type", "text/html")
        .body(Full::new(Bytes::from(page)))
        .expect("valid response")
}

fn login_page() -> String {
    r#"<html><head><title>EnerGenie</title></head><body>
<script>function PreSubmit(){document.lForm.submit();}</script>
<form method="post" action="login.html" name="lForm"><div>&nbsp;EnerGenie Web:&nbsp;rack-strip</div>
<input type="password" name="pw"><input type="submit" value="Enter"></form></body></html>"#
        .to_owned()
}

fn held_page() -> String {
    "<html><body><div>Impossible to login - there is an active session with this device at this moment.</div></body></html>"
        .to_owned()
}

fn status_page(sockets: [bool; 4]) -> String {
    let [a, b, c, d] = sockets.map(u8::from);
    format!(
        r#"<html><head><title>EnerGenie</title></head><body>
<div class="boxmenuitem"><a href="login.html">Log Out</a></div>
<div><h2>rack-strip</h2></div>
<script>var sockstates = [{a},{b},{c},{d}];var mac="88:b6:27:00:12:34";</script>
</body></html>"#
    )
}

/// What the TCP strip does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TcpFault {
    /// Behave.
    #[default]
    None,
    /// After a good challenge response, send nothing (until the client
    /// goes away); `auth_reached` fires.
    StallAfterAuth,
    /// Apply the controls, then close without sending the new states.
    CloseAfterControls,
}

/// The TCP protocol of a strip of `model` with `password`, on
/// `127.0.0.1:port`.
#[derive(Debug)]
pub struct TcpStrip {
    addr: SocketAddr,
    state: Arc<Mutex<TcpState>>,
    /// Fires when a session has authenticated (under
    /// [`TcpFault::StallAfterAuth`]).
    pub auth_reached: Arc<Notify>,
    events_changed: watch::Receiver<usize>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
struct TcpState {
    key: [u8; 8],
    model: Model,
    sockets: [bool; 4],
    /// The last session ended without the Start byte.
    ignore_next_start: bool,
    fault: TcpFault,
    events: Vec<Event>,
    notify: watch::Sender<usize>,
}

impl TcpState {
    fn record(&mut self, event: Event) {
        self.events.push(event);
        self.notify.send_replace(self.events.len());
    }
}

impl TcpStrip {
    /// Starts the server; sockets all off.
    pub async fn start(model: Model, password: &str) -> TcpStrip {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let mut key = [b' '; 8];
        for (k, b) in key.iter_mut().zip(password.bytes()) {
            *k = b;
        }
        let (notify, events_changed) = watch::channel(0);
        let state = Arc::new(Mutex::new(TcpState {
            key,
            model,
            sockets: [false; 4],
            ignore_next_start: false,
            fault: TcpFault::None,
            events: Vec::new(),
            notify,
        }));
        let auth_reached = Arc::new(Notify::new());
        let task = tokio::spawn(serve_tcp(listener, state.clone(), auth_reached.clone()));
        TcpStrip {
            addr,
            state,
            auth_reached,
            events_changed,
            task,
        }
    }

    /// `127.0.0.1:port`.
    pub fn addr(&self) -> String {
        self.addr.to_string()
    }

    /// The socket states, 1-4.
    pub fn sockets(&self) -> [bool; 4] {
        self.state.lock().unwrap().sockets
    }

    /// Sets the socket states directly.
    pub fn set_sockets(&self, sockets: [bool; 4]) {
        self.state.lock().unwrap().sockets = sockets;
    }

    /// What the strip does from now on.
    pub fn set_fault(&self, fault: TcpFault) {
        self.state.lock().unwrap().fault = fault;
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<Event> {
        self.state.lock().unwrap().events.clone()
    }

    /// Waits (at most 10 s) until `event` has happened.
    pub async fn wait_for(&self, event: Event) {
        self.wait_for_n(event, 1).await;
    }

    /// Waits (at most 10 s) until `event` has happened `n` times.
    pub async fn wait_for_n(&self, event: Event, n: usize) {
        let mut changed = self.events_changed.clone();
        let wait = async {
            while self.events().iter().filter(|e| **e == event).count() < n {
                changed.changed().await.expect("simulator running");
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("no {event:?}; events {:?}", self.events()));
    }
}

impl Drop for TcpStrip {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_tcp(listener: TcpListener, state: Arc<Mutex<TcpState>>, auth_reached: Arc<Notify>) {
    let mut sessions = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        sessions.spawn(tcp_session(
            stream,
            peer.ip(),
            state.clone(),
            auth_reached.clone(),
        ));
    }
}

/// One session, written from the device's side (the inverse of the client's
/// formulas).
async fn tcp_session(
    mut stream: TcpStream,
    client: IpAddr,
    state: Arc<Mutex<TcpState>>,
    auth_reached: Arc<Notify>,
) {
    // Start.
    loop {
        let mut start = [0u8; 1];
        if stream.read_exact(&mut start).await.is_err() || start[0] != 0x11 {
            return;
        }
        let mut s = state.lock().unwrap();
        if s.ignore_next_start {
            s.ignore_next_start = false;
            s.record(Event::StartIgnored);
            continue;
        }
        break;
    }
    let task: [u8; 4] = rand::random();
    if stream.write_all(&task).await.is_err() {
        return;
    }
    let (key, model, fault) = {
        let s = state.lock().unwrap();
        (s.key, s.model, s.fault)
    };

    let mut response = [0u8; 4];
    if stream.read_exact(&mut response).await.is_err() {
        return end(&state, false);
    }
    let k = key.map(u32::from);
    let t = task.map(u32::from);
    let lo = ((((t[0] ^ k[2]) * k[0]) ^ (k[6] | (k[4] << 8)) ^ t[2]) & 0xffff) as u16;
    let hi = ((((t[1] ^ k[3]) * k[1]) ^ (k[7] | (k[5] << 8)) ^ t[3]) & 0xffff) as u16;
    if response != [lo as u8, (lo >> 8) as u8, hi as u8, (hi >> 8) as u8] {
        state.lock().unwrap().record(Event::BadKey);
        // Silence: wait for the client to give up.
        let mut sink = [0u8; 64];
        while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
        return end(&state, false);
    }
    if fault == TcpFault::StallAfterAuth {
        auth_reached.notify_one();
        let mut got = Vec::new();
        let _ = stream.read_to_end(&mut got).await;
        return end(&state, got == [0x11]);
    }

    let encrypt = |sockets: [bool; 4]| -> [u8; 4] {
        // Byte i on the wire carries socket 4 - i.
        std::array::from_fn(|i| {
            let st = model_byte(model, sockets[3 - i]);
            ((st ^ task[2]).wrapping_add(task[3]) ^ key[0]).wrapping_add(key[1])
        })
    };
    let sockets = state.lock().unwrap().sockets;
    if stream.write_all(&encrypt(sockets)).await.is_err() {
        return end(&state, false);
    }

    // Either the Start byte and EOF, or 4 control bytes.
    let mut controls = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match stream.read(&mut controls[got..]).await {
            Ok(0) | Err(_) => return end(&state, got == 1 && controls[0] == 0x11),
            Ok(n) => got += n,
        }
    }
    {
        let mut s = state.lock().unwrap();
        for (i, &byte) in controls.iter().enumerate() {
            // Byte i on the wire controls socket 4 - i.
            let ctrl = (byte.wrapping_sub(key[1]) ^ key[0]).wrapping_sub(task[3]) ^ task[2];
            let socket = 3 - i;
            match ctrl {
                0x01 => s.sockets[socket] = true,
                0x02 => s.sockets[socket] = false,
                _ => continue,
            }
            let on = s.sockets[socket];
            s.record(Event::Switch(client, socket as u8 + 1, on));
        }
    }
    if fault == TcpFault::CloseAfterControls {
        return end(&state, false);
    }
    let sockets = state.lock().unwrap().sockets;
    if stream.write_all(&encrypt(sockets)).await.is_err() {
        return end(&state, false);
    }
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest).await;
    end(&state, rest == [0x11]);
}

fn end(state: &Mutex<TcpState>, clean: bool) {
    let mut s = state.lock().unwrap();
    if clean {
        s.record(Event::CleanClose);
    } else {
        s.ignore_next_start = true;
        s.record(Event::UncleanClose);
    }
}

fn model_byte(model: Model, on: bool) -> u8 {
    match (model, on) {
        (Model::Pms20, true) => 0x11,
        (Model::Pms20, false) => 0x22,
        (Model::Pms21, true) => 0x41,
        (Model::Pms21, false) => 0x82,
        (Model::PmsWlan, true) => 0x51,
        (Model::PmsWlan, false) => 0x92,
        (other, _) => panic!("no state bytes for {other:?}"),
    }
}
