//! Micro-benchmarks of the message codec: encoding a GET request, decoding
//! responses of 1, 10 and 50 varbinds, and reading just the header (what the
//! receive task does before it finds the request).
//!
//! `cargo bench --bench codec`

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use snmux::{Bytes, Message, MessageHeader, Oid, Pdu, PduType, Value, VarBind, Version, oid};

fn response(n: u32) -> Bytes {
    let varbinds = (1..=n)
        .map(|i| {
            let value = match i % 3 {
                0 => Value::from(format!("GigabitEthernet0/{i}")),
                1 => Value::Counter32(i.wrapping_mul(2_654_435_761)),
                _ => Value::Integer(i as i32),
            };
            VarBind::new(oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2).child(i), value)
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

    let mut group = c.benchmark_group("decode response");
    for n in [1u32, 10, 50] {
        let bytes = response(n);
        group.throughput(Throughput::Elements(u64::from(n)));
        group.bench_function(format!("{n} varbinds"), |b| {
            b.iter(|| Message::decode(black_box(&bytes)).expect("valid message"))
        });
    }
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

criterion_group!(benches, bench);
criterion_main!(benches);
