//! Heap allocations per request of snmux, counted by a global allocator
//! (a binary of its own, so that the counting costs the load runs nothing).
//!
//! ```text
//! snmux-bench responder --base-port 20000 --count 1 &
//! snmux-allocs --target 127.0.0.1:20000 --concurrency 256 --requests 20000
//! snmux-allocs --target 127.0.0.1:20000 --v3
//! snmux-allocs --target 127.0.0.1:20000 --walk 1.3.6.1.4.1.99999.2.100000 --requests 10
//! ```
//!
//! Prints allocations (and reallocations) and bytes allocated per
//! operation over the measured window, after a warm-up of a tenth of the
//! requests (discovery, localized keys, the table, arena and buffers at
//! their steady size). The SNMPv3 user is the responder's (`bench`,
//! HMAC-SHA-256 + AES-128).

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::TryStreamExt;
use snmux::{AuthProtocol, Engine, Oid, PrivProtocol, Security, SecurityLevel, UsmUser};

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counters are plain atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size() as u64, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size as u64, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn counts() -> (u64, u64) {
    (
        ALLOCS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    )
}

struct Args {
    target: SocketAddr,
    v3: bool,
    concurrency: usize,
    requests: usize,
    walk: Option<Oid>,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        target: SocketAddr::from(([127, 0, 0, 1], 20000)),
        v3: false,
        concurrency: 256,
        requests: 20000,
        walk: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--target" => args.target = value()?.parse().map_err(|e| format!("{e}"))?,
            "--v3" => args.v3 = true,
            "--concurrency" => args.concurrency = value()?.parse().map_err(|e| format!("{e}"))?,
            "--requests" => args.requests = value()?.parse().map_err(|e| format!("{e}"))?,
            "--walk" => args.walk = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            _ => return Err(format!("unknown argument {flag}")),
        }
    }
    Ok(args)
}

fn main() -> Result<(), String> {
    let args = parse()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> Result<(), String> {
    let engine =
        Engine::bind(SocketAddr::from(([0, 0, 0, 0], 0))).map_err(|e| format!("bind: {e}"))?;
    let security = if args.v3 {
        let level = SecurityLevel::AuthPriv {
            auth: AuthProtocol::Sha256,
            auth_password: "bench-auth-pass".into(),
            privacy: PrivProtocol::Aes128,
            privacy_password: "bench-priv-pass".into(),
        };
        Security::v3(UsmUser::new("bench", level).map_err(|e| e.to_string())?)
    } else {
        Security::v2c("public")
    };
    let manager = engine.manager(args.target, security).build();
    let oids: Arc<[Oid]> = Arc::new([Oid::from_slice(&[1, 3, 6, 1, 2, 1, 1, 1, 0])]);
    let (warm_up, measured) = ((args.requests / 10).max(1), args.requests.max(1));
    let walk = args.walk.clone();
    for (i, n) in [warm_up, measured].into_iter().enumerate() {
        let sent = engine.stats().sent;
        let before = counts();
        let concurrency = if walk.is_some() { 1 } else { args.concurrency };
        let next = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..concurrency.min(n) {
            let (manager, oids, next, walk) =
                (manager.clone(), oids.clone(), next.clone(), walk.clone());
            tasks.push(tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < n as u64 {
                    match &walk {
                        Some(root) => {
                            let mut w = manager.walk(root.clone());
                            while w.try_next().await.map_err(|e| e.to_string())?.is_some() {}
                        }
                        None => {
                            manager.get(&oids).await.map_err(|e| e.to_string())?;
                        }
                    }
                }
                Ok::<(), String>(())
            }));
        }
        for t in tasks {
            t.await.map_err(|e| e.to_string())??;
        }
        let after = counts();
        if i == 1 {
            let window = (after.0 - before.0, after.1 - before.1);
            let pdus = engine.stats().sent - sent;
            let ops = n as f64;
            println!(
                "{} ops, {} PDUs: {:.2} allocations and {:.0} bytes per op, {:.2} allocations per PDU",
                n,
                pdus,
                window.0 as f64 / ops,
                window.1 as f64 / ops,
                window.0 as f64 / pdus.max(1) as f64
            );
        }
    }
    Ok(())
}
