//! Micro-benchmarks of the message codec, the receive path and USM:
//! encoding a GET request (from a `Pdu`, and from `&[Oid]` as the
//! dispatcher does); decoding responses of 1, 10 and 50 varbinds, and
//! reading just the header; the dispatcher's per-datagram receive path
//! (find the request, check, decode, complete) without a socket; SNMPv3
//! authPriv (HMAC-SHA-256 + AES-128) sign+encrypt and verify+decrypt of one
//! message; password-to-key; and the part every request has (its entry in
//! the request table, which is its oneshot channel too), next to the tokio
//! timer per request that the engine's one timer replaced, each alone, with
//! 256 others in flight.
//!
//! `cargo bench --bench codec`

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use snmux::dispatcher::{RequestTable, Routed};
use snmux::usm::{AuthKey, AuthProtocol, MasterKey, PrivKey, PrivProtocol, SaltCounter};
use snmux::{
    Bytes, Message, MessageHeader, Oid, Pdu, PduType, RequestPdu, Value, VarBind, Version, oid,
};
use snmux::{
    BytesMut, FLAG_AUTH, FLAG_PRIV, HeaderV3, MessageV3, MsgData, SECURITY_MODEL_USM, ScopedPdu,
    UsmSecurityParameters,
};

fn response(n: u32) -> Bytes {
    response_under(oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2), n)
}

/// A response of `n` varbinds under `column`: an index, a name, a counter.
fn response_under(column: Oid, n: u32) -> Bytes {
    let varbinds = (1..=n)
        .map(|i| {
            let value = match i % 3 {
                0 => Value::from(format!("GigabitEthernet0/{i}")),
                1 => Value::Counter32(i.wrapping_mul(2_654_435_761)),
                _ => Value::Integer(i as i32),
            };
            VarBind::new(column.child(i), value)
        })
        .collect();
    Message::new(
        Version::V2c,
        "public",
        Pdu::new(PduType::Response, 0x1234_5678, varbinds),
    )
    .to_bytes()
}

fn bench(c: &mut Criterion) {
    let get = Message::new(
        Version::V2c,
        "public",
        Pdu::new(
            PduType::GetRequest,
            0x1234_5678,
            vec![VarBind::null(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0))],
        ),
    );
    c.bench_function("encode GET 1 varbind", |b| {
        let mut buf = snmux::BytesMut::with_capacity(128);
        b.iter(|| {
            buf.clear();
            black_box(&get).encode(&mut buf);
            black_box(&buf);
        })
    });

    // What the dispatcher does: one exact-size Vec, turned into Bytes.
    c.bench_function("encode GET 1 varbind to_vec", |b| {
        b.iter(|| black_box(&get).to_vec())
    });

    // What the dispatcher does now: straight from the caller's OIDs.
    let oids = [oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)];
    c.bench_function("encode GET 1 varbind from &[Oid]", |b| {
        b.iter(|| {
            RequestPdu::null(PduType::GetRequest, black_box(&oids)).encode_message(
                Version::V2c,
                b"public",
                0x1234_5678,
            )
        })
    });

    let mut group = c.benchmark_group("decode response");
    for n in [1u32, 10, 50] {
        let bytes = response(n);
        group.throughput(Throughput::Elements(u64::from(n)));
        group.bench_function(format!("{n} varbinds"), |b| {
            b.iter(|| Message::decode(black_box(&bytes)).expect("valid message"))
        });
    }
    // Under an enterprise (APC's rPDUOutletControlOutletCommand): a
    // sub-identifier of two bytes among ones of one, as in every vendor MIB.
    let bytes = response_under(oid!(1, 3, 6, 1, 4, 1, 318, 1, 1, 4, 4, 2, 1, 3), 50);
    group.throughput(Throughput::Elements(50));
    group.bench_function("50 varbinds under an enterprise", |b| {
        b.iter(|| Message::decode(black_box(&bytes)).expect("valid message"))
    });
    group.finish();

    let bytes = response(10);
    c.bench_function("decode header only", |b| {
        b.iter(|| {
            MessageHeader::decode(black_box(&bytes))
                .expect("valid message")
                .request_id
        })
    });
    c.bench_function("parse OID text", |b| {
        b.iter(|| {
            black_box("1.3.6.1.4.1.13742.6.4.1.2.1.2.1.17")
                .parse::<Oid>()
                .expect("valid OID")
        })
    });
}

/// The receive path of one response: a request waits in a table of 1,000,
/// its response arrives, the router finds it, checks it, decodes its
/// varbind and completes it.
fn receive_path(c: &mut Criterion) {
    let agent: SocketAddr = "192.0.2.1:161".parse().expect("literal address");
    let table = RequestTable::new(1 << 20);
    let _others: Vec<_> = (0..999)
        .map(|_| {
            table
                .insert(agent, Version::V2c, Bytes::from_static(b"public"), false)
                .expect("room")
        })
        .collect();
    let mut router = table.router();
    c.bench_function("receive path: route + decode + complete 1 varbind", |b| {
        b.iter_batched(
            || {
                let request = table
                    .insert(agent, Version::V2c, Bytes::from_static(b"public"), false)
                    .expect("room");
                let response = Message::new(
                    Version::V2c,
                    "public",
                    Pdu::new(
                        PduType::Response,
                        request.request_id(),
                        vec![VarBind::new(
                            oid!(1, 3, 6, 1, 2, 1, 1, 1, 0),
                            Value::from("snmux-bench responder"),
                        )],
                    ),
                )
                .to_bytes();
                (request, response)
            },
            |(mut request, response)| {
                let routed = router.route(agent, black_box(&response));
                assert!(matches!(routed, Routed::Completed(_)));
                let reply = request.try_reply();
                (request, reply)
            },
            BatchSize::SmallInput,
        )
    });
}

/// SNMPv3 authPriv with HMAC-SHA-256 and AES-128: what the dispatcher does
/// to send a request (encode, encrypt, sign) and to accept a response
/// (decode the header, verify, decrypt, decode the scoped PDU).
fn usm(c: &mut Criterion) {
    let engine_id = Bytes::from_static(b"\x80\x00\x1f\x88\x80snmux-bench");
    let auth = AuthKey::from_password(AuthProtocol::Sha256, "auth passphrase", &engine_id)
        .expect("a valid passphrase");
    let privacy = PrivKey::from_password(
        AuthProtocol::Sha256,
        PrivProtocol::Aes128,
        "priv passphrase",
        &engine_id,
    )
    .expect("a valid passphrase");
    let salts = SaltCounter::new();
    let scoped = ScopedPdu {
        context_engine_id: engine_id.clone(),
        context_name: Bytes::new(),
        pdu: Pdu::new(
            PduType::GetRequest,
            0x1234_5678,
            vec![VarBind::null(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0))],
        ),
    };
    let secure = |scoped: &ScopedPdu, flags: u8| -> BytesMut {
        let mut plain = BytesMut::with_capacity(scoped.encoded_len());
        scoped.encode(&mut plain);
        let (encrypted, params) = privacy.encrypt(1, 1000, salts.next(), &plain);
        let message = MessageV3 {
            msg_id: scoped.pdu.request_id,
            max_size: 65507,
            flags: flags | FLAG_AUTH | FLAG_PRIV,
            security_model: SECURITY_MODEL_USM,
            usm: UsmSecurityParameters {
                engine_id: engine_id.clone(),
                engine_boots: 1,
                engine_time: 1000,
                user_name: Bytes::from_static(b"bench"),
                auth_params: Bytes::from(vec![0; AuthProtocol::Sha256.mac_len()]),
                priv_params: Bytes::copy_from_slice(&params),
            },
            data: MsgData::Encrypted(Bytes::from(encrypted)),
        };
        let mut out = BytesMut::with_capacity(message.encoded_len());
        let offset = message.encode(&mut out);
        auth.sign(&mut out, offset).expect("a signable message");
        out
    };
    c.bench_function(
        "v3 authPriv SHA-256/AES-128: encode + encrypt + sign",
        |b| b.iter(|| secure(black_box(&scoped), snmux::FLAG_REPORTABLE)),
    );

    let response = ScopedPdu {
        pdu: Pdu::new(
            PduType::Response,
            0x1234_5678,
            vec![VarBind::new(
                oid!(1, 3, 6, 1, 2, 1, 1, 1, 0),
                Value::from("snmux-bench responder"),
            )],
        ),
        ..scoped.clone()
    };
    let wire = secure(&response, 0).freeze();
    c.bench_function(
        "v3 authPriv SHA-256/AES-128: verify + decrypt + decode",
        |b| {
            b.iter(|| {
                let bytes = black_box(&wire);
                let h = HeaderV3::decode(bytes).expect("a v3 header");
                auth.check(bytes, h.auth_params_offset)
                    .expect("a valid MAC");
                let plain = privacy
                    .decrypt(
                        h.engine_boots,
                        h.engine_time,
                        h.priv_params,
                        h.encrypted().expect("encrypted"),
                    )
                    .expect("decrypts");
                ScopedPdu::decode(&Bytes::from(plain)).expect("decodes")
            })
        },
    );

    let mut group = c.benchmark_group("password to key");
    group.sample_size(20);
    for proto in [AuthProtocol::Sha1, AuthProtocol::Sha256] {
        group.bench_function(format!("{proto:?} (1 MiB of hashing)"), |b| {
            b.iter(|| MasterKey::from_password(proto, black_box("maplesyrup")).expect("valid"))
        });
    }
    group.bench_function("localize SHA-256", |b| {
        let master = MasterKey::from_password(AuthProtocol::Sha256, "maplesyrup").expect("valid");
        b.iter(|| master.localize_auth(black_box(&engine_id)).expect("valid"))
    });
    group.finish();
}

/// The part every request has, alone with 256 others in flight: its entry
/// in the request table (which is its oneshot channel too: the reply waits
/// there), what a GET costs at the least beyond its I/O and codec (see
/// README, Benchmarks). Next to it, for comparison, a tokio timer created,
/// registered and dropped: what each request paid when it had one, before
/// the receive task kept every request's times behind one timer (that
/// queue is the engine's own, not reachable from here). The task
/// wake-up a reply makes is not here: it needs a scheduler round trip,
/// which the load harness measures.
fn request_parts(c: &mut Criterion) {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Waker};
    use std::time::Duration;

    let mut group = c.benchmark_group("per-request parts");
    let agent: SocketAddr = "192.0.2.1:161".parse().expect("literal address");
    let table = RequestTable::new(1 << 20);
    let community = Bytes::from_static(b"public");
    let _in_flight: Vec<_> = (0..256)
        .map(|_| {
            table
                .insert(agent, Version::V2c, community.clone(), false)
                .expect("room")
        })
        .collect();
    group.bench_function("request table: insert + poll reply + remove", |b| {
        b.iter(|| {
            let mut request = table
                .insert(agent, Version::V2c, black_box(community.clone()), false)
                .expect("room");
            black_box(request.try_reply().is_none())
        })
    });

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a runtime");
    let _entered = rt.enter();
    let mut cx = Context::from_waker(Waker::noop());
    let mut timers: Vec<_> = (0..256)
        .map(|_| Box::pin(tokio::time::sleep(Duration::from_secs(10))))
        .collect();
    for t in &mut timers {
        assert!(t.as_mut().poll(&mut cx).is_pending());
    }
    group.bench_function(
        "for comparison, a tokio timer: create + register + drop",
        |b| {
            b.iter(|| {
                let sleep = pin!(tokio::time::sleep(black_box(Duration::from_secs(10))));
                sleep.poll(&mut cx).is_pending()
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench, receive_path, usm, request_parts);
criterion_main!(benches);
