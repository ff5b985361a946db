//! EnerGenie strips against the simulators of tests/energenie: the web
//! interface (one session bound to the client's address, logout on every
//! path, cancellation included) and the TCP protocol on port 5000.

mod energenie;

use std::net::IpAddr;
use std::time::Duration;

use snmux::outlets::energenie::{EnergenieTcp, EnergenieWeb, Model};
use snmux::outlets::{Action, Error, OutletState, PowerOutlet, ProtocolError, switch_all};

use energenie::{Event, SwitchFault, TcpFault, TcpStrip, WebStrip};

const HOST_A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
const HOST_B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

fn web(sim: &WebStrip, password: &str, from: IpAddr) -> EnergenieWeb {
    EnergenieWeb::builder(sim.url())
        .password(password)
        .local_address(from)
        .build()
        .unwrap()
}

#[tokio::test]
async fn web_switches_reads_and_logs_out_every_time() {
    let sim = WebStrip::start("secret").await;
    let strip = web(&sim, "secret", HOST_A);
    assert_eq!(strip.states().await.unwrap(), [OutletState::Off; 4]);
    strip.socket(3).unwrap().on().await.unwrap();
    assert_eq!(sim.sockets(), [false, false, true, false]);
    let socket = strip.socket(3).unwrap();
    assert_eq!(socket.state().await.unwrap(), OutletState::On);
    socket.off().await.unwrap();
    assert_eq!(sim.sockets(), [false; 4]);
    assert_eq!(sim.session(), None);
    assert_eq!(
        sim.events(),
        [
            Event::Login(HOST_A),
            Event::Logout(HOST_A),
            Event::Login(HOST_A),
            Event::Switch(HOST_A, 3, true),
            Event::Logout(HOST_A),
            Event::Login(HOST_A),
            Event::Logout(HOST_A),
            Event::Login(HOST_A),
            Event::Switch(HOST_A, 3, false),
            Event::Logout(HOST_A),
        ]
    );
}

#[tokio::test]
async fn jumpstarter_host_form_with_a_port() {
    let sim = WebStrip::start("1").await;
    // Jumpstarter's `host` is `host:port`, without a scheme; the default
    // password is "1".
    let strip = EnergenieWeb::builder(sim.host()).build().unwrap();
    strip.socket(1).unwrap().on().await.unwrap();
    assert_eq!(sim.sockets(), [true, false, false, false]);
    assert_eq!(strip.device(), sim.url());
}

#[tokio::test]
async fn wrong_password_is_its_own_error() {
    let sim = WebStrip::start("secret").await;
    let strip = web(&sim, "wrong", HOST_A);
    let e = strip.socket(1).unwrap().on().await.unwrap_err();
    assert!(matches!(e, Error::WrongPassword { .. }), "{e}");
    assert_eq!(sim.sockets(), [false; 4]);
    assert_eq!(sim.session(), None);
    assert_eq!(sim.events(), [Event::WrongPassword(HOST_A)]);
}

#[tokio::test]
async fn another_host_holding_the_session() {
    let sim = WebStrip::start("1").await;
    // Host B logged in and never logged out (as Jumpstarter's driver does).
    sim.hold_session(HOST_B);
    let strip = web(&sim, "1", HOST_A);
    let e = strip.states().await.unwrap_err();
    assert!(matches!(e, Error::SessionHeld { .. }), "{e}");
    // A wrong password is not what is reported while the session is held.
    let e = web(&sim, "wrong", HOST_A).states().await.unwrap_err();
    assert!(matches!(e, Error::SessionHeld { .. }), "{e}");
    // Our refused attempts did not end B's session.
    assert_eq!(sim.session(), Some(HOST_B));

    // B, through this driver, logs out when done; then A gets in.
    let b = web(&sim, "1", HOST_B);
    b.socket(2).unwrap().on().await.unwrap();
    assert_eq!(sim.session(), None);
    strip.socket(4).unwrap().on().await.unwrap();
    assert_eq!(sim.sockets(), [false, true, false, true]);
}

#[tokio::test]
async fn two_hosts_at_once_never_lock_each_other_out_for_good() {
    let sim = WebStrip::start("1").await;
    let a = web(&sim, "1", HOST_A);
    let b = web(&sim, "1", HOST_B);
    // Each host in turn: one of them may find the other's session open, and
    // then gets SessionHeld; none may leave a session behind.
    let (ra, rb) = tokio::join!(a.switch(1, true), b.switch(2, true));
    for r in [&ra, &rb] {
        assert!(
            r.is_ok() || matches!(r, Err(Error::SessionHeld { .. })),
            "{r:?}"
        );
    }
    assert_eq!(sim.session(), None);
    a.switch(1, true).await.unwrap();
    b.switch(2, true).await.unwrap();
    assert_eq!(sim.sockets(), [true, true, false, false]);
}

#[tokio::test]
async fn connection_dropped_mid_switch_still_logs_out() {
    let sim = WebStrip::start("1").await;
    sim.set_fault(SwitchFault::CloseConnection);
    let strip = web(&sim, "1", HOST_A);
    let e = strip.switch(2, true).await.unwrap_err();
    assert!(matches!(e, Error::Http { .. }), "{e}");
    assert_eq!(sim.session(), None, "{:?}", sim.events());
    assert_eq!(sim.events().last(), Some(&Event::Logout(HOST_A)));
    // The strip did switch before the connection went; the next read says so.
    sim.set_fault(SwitchFault::None);
    assert_eq!(
        strip.socket(2).unwrap().state().await.unwrap(),
        OutletState::On
    );
}

#[tokio::test]
async fn a_switch_the_strip_ignores_is_not_applied_and_logs_out() {
    let sim = WebStrip::start("1").await;
    sim.set_fault(SwitchFault::Ignore);
    let e = web(&sim, "1", HOST_A)
        .socket(1)
        .unwrap()
        .on()
        .await
        .unwrap_err();
    match e {
        Error::NotApplied { wanted, last, .. } => {
            assert_eq!((wanted, last), (OutletState::On, OutletState::Off));
        }
        other => panic!("{other}"),
    }
    assert_eq!(sim.session(), None);
}

#[tokio::test]
async fn cancelled_switch_logs_out_in_the_background() {
    let sim = WebStrip::start("1").await;
    sim.set_fault(SwitchFault::Stall);
    let strip = web(&sim, "1", HOST_A);
    {
        let switch = strip.switch(1, true);
        tokio::select! {
            r = switch => panic!("the stalled switch completed: {r:?}"),
            () = sim.switch_reached.notified() => {}
        }
        // The switch future is dropped here, logged in, mid-request.
    }
    sim.wait_logged_out().await;
    assert_eq!(sim.events().last(), Some(&Event::Logout(HOST_A)));
    // The next operation waits for that logout and then works.
    sim.set_fault(SwitchFault::None);
    strip.switch(1, true).await.unwrap();
    assert_eq!(sim.sockets(), [true, false, false, false]);
    assert_eq!(sim.session(), None);
}

#[tokio::test]
async fn cancelled_by_a_timeout_logs_out_too() {
    let sim = WebStrip::start("1").await;
    sim.set_fault(SwitchFault::Stall);
    let strip = EnergenieWeb::builder(sim.url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let e = strip.switch(4, false).await.unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert_eq!(sim.session(), None);
}

#[tokio::test]
async fn sockets_are_one_to_four() {
    let sim = WebStrip::start("1").await;
    let strip = web(&sim, "1", HOST_A);
    for n in [0, 5, 255] {
        let e = strip.socket(n).unwrap_err();
        assert!(matches!(e, Error::InvalidOutlet { .. }), "{e}");
        let e = strip.switch(n, true).await.unwrap_err();
        assert!(matches!(e, Error::InvalidOutlet { .. }), "{e}");
    }
    assert!(sim.events().is_empty());
}

#[tokio::test]
async fn nothing_listening_is_connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let strip = EnergenieWeb::builder(format!("127.0.0.1:{port}"))
        .build()
        .unwrap();
    let e = strip.states().await.unwrap_err();
    assert!(matches!(e, Error::ConnectionRefused { .. }), "{e}");
}

#[tokio::test]
async fn no_meter_and_cycle_is_off_wait_on() {
    let sim = WebStrip::start("1").await;
    sim.set_sockets([true, true, true, true]);
    let socket = web(&sim, "1", HOST_A).socket(2).unwrap();
    let e = socket.measure().await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Unsupported {
                operation: "read",
                ..
            }
        ),
        "{e}"
    );
    socket.cycle(Some(Duration::from_millis(50))).await.unwrap();
    let switches: Vec<Event> = sim
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Switch(..)))
        .collect();
    assert_eq!(
        switches,
        [
            Event::Switch(HOST_A, 2, false),
            Event::Switch(HOST_A, 2, true)
        ]
    );
    assert_eq!(sim.session(), None);
}

#[tokio::test]
async fn every_socket_of_a_strip_switched_together_one_session_at_a_time() {
    let sim = WebStrip::start("1").await;
    let strip = web(&sim, "1", HOST_A);
    let outlets: Vec<std::sync::Arc<dyn PowerOutlet>> = (1..=4)
        .map(|n| std::sync::Arc::new(strip.socket(n).unwrap()) as _)
        .collect();
    let results = switch_all(&outlets, Action::On).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(sim.sockets(), [true; 4]);
    // Sessions never overlapped: logins and logouts alternate.
    let sessions: Vec<Event> = sim
        .events()
        .into_iter()
        .filter(|e| matches!(e, Event::Login(_) | Event::Logout(_)))
        .collect();
    assert_eq!(sessions.len(), 8);
    for pair in sessions.chunks(2) {
        assert_eq!(pair, [Event::Login(HOST_A), Event::Logout(HOST_A)]);
    }
}

// --- the TCP protocol ------------------------------------------------------

#[tokio::test]
async fn tcp_every_model_switches_and_reads() {
    for model in [Model::Pms20, Model::Pms21, Model::PmsWlan] {
        let sim = TcpStrip::start(model, "hackme").await;
        sim.set_sockets([false, true, false, true]);
        let strip = EnergenieTcp::builder(sim.addr(), model)
            .password("hackme")
            .build();
        assert_eq!(
            strip.states().await.unwrap(),
            [
                OutletState::Off,
                OutletState::On,
                OutletState::Off,
                OutletState::On
            ],
            "{model:?}"
        );
        strip.socket(1).unwrap().on().await.unwrap();
        strip.socket(4).unwrap().off().await.unwrap();
        assert_eq!(sim.sockets(), [true, true, false, false], "{model:?}");
        assert_eq!(
            strip.socket(1).unwrap().state().await.unwrap(),
            OutletState::On
        );
        // Every session ended with the Start byte (the strip may record the
        // last close just after the client is done).
        sim.wait_for_n(Event::CleanClose, 4).await;
        let events = sim.events();
        assert!(!events.contains(&Event::UncleanClose), "{events:?}");
    }
}

#[tokio::test]
async fn tcp_wrong_password_is_silence() {
    let sim = TcpStrip::start(Model::Pms21, "hackme").await;
    // The wait is the timeout: short here, 4 s by default.
    let strip = EnergenieTcp::builder(sim.addr(), Model::Pms21)
        .password("wrong")
        .timeout(Duration::from_millis(300))
        .build();
    let e = strip.socket(1).unwrap().on().await.unwrap_err();
    match &e {
        Error::SilentAfterLogin { waited, .. } => {
            assert_eq!(*waited, Duration::from_millis(300))
        }
        other => panic!("{other}"),
    }
    assert!(e.is_wrong_password());
    assert!(
        e.to_string().ends_with(
            "no answer in 300ms after the challenge response: most likely a wrong \
                        password (the strip stays silent on a bad key)"
        ),
        "{e}"
    );
    assert!(sim.events().contains(&Event::BadKey));
    assert_eq!(sim.sockets(), [false; 4]);
}

#[tokio::test]
async fn tcp_passwords_longer_than_eight_bytes_are_cut() {
    let sim = TcpStrip::start(Model::Pms21, "12345678").await;
    let strip = EnergenieTcp::builder(sim.addr(), Model::Pms21)
        .password("12345678-and-more")
        .build();
    strip.switch(2, true).await.unwrap();
    assert_eq!(sim.sockets(), [false, true, false, false]);
}

#[tokio::test]
async fn tcp_after_an_unclosed_session_the_first_start_is_ignored() {
    let sim = TcpStrip::start(Model::Pms21, "").await;
    // A client that went away without the Start byte.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut raw = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
        raw.write_all(&[0x11]).await.unwrap();
        let mut task = [0u8; 4];
        raw.read_exact(&mut task).await.unwrap();
    }
    sim.wait_for(Event::UncleanClose).await;
    let strip = EnergenieTcp::builder(sim.addr(), Model::Pms21).build();
    strip.switch(3, true).await.unwrap();
    assert_eq!(sim.sockets(), [false, false, true, false]);
    assert!(sim.events().contains(&Event::StartIgnored));
}

#[tokio::test]
async fn tcp_connection_dropped_after_the_controls() {
    let sim = TcpStrip::start(Model::Pms20, "pw").await;
    sim.set_fault(TcpFault::CloseAfterControls);
    let strip = EnergenieTcp::builder(sim.addr(), Model::Pms20)
        .password("pw")
        .build();
    let e = strip.switch(1, true).await.unwrap_err();
    assert!(
        matches!(
            e,
            Error::Protocol {
                reason: ProtocolError::Closed {
                    expected: 4,
                    got: 0
                },
                ..
            } | Error::Io { .. }
        ),
        "{e}"
    );
    // The strip switched; a fresh session reads it back.
    sim.set_fault(TcpFault::None);
    assert_eq!(
        strip.socket(1).unwrap().state().await.unwrap(),
        OutletState::On
    );
}

#[tokio::test]
async fn tcp_cancelled_session_sends_the_start_byte() {
    let sim = TcpStrip::start(Model::Pms21, "pw").await;
    sim.set_fault(TcpFault::StallAfterAuth);
    let strip = EnergenieTcp::builder(sim.addr(), Model::Pms21)
        .password("pw")
        .build();
    {
        let states = strip.states();
        tokio::select! {
            r = states => panic!("the stalled session completed: {r:?}"),
            () = sim.auth_reached.notified() => {}
        }
    }
    sim.wait_for(Event::CleanClose).await;
    assert!(!sim.events().contains(&Event::UncleanClose));
}

#[tokio::test]
async fn tcp_nothing_listening_is_connection_refused() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let strip = EnergenieTcp::builder(format!("127.0.0.1:{port}"), Model::Pms21).build();
    let e = strip.states().await.unwrap_err();
    assert!(matches!(e, Error::ConnectionRefused { .. }), "{e}");
}
