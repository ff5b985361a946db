//! Property tests of the BER codec (RFC 3417 §8, X.690 §8): every message
//! round-trips, the encoding is canonical, and no input — random, truncated
//! or mutated — makes the decoder panic.
//!
//! Failing cases are kept in `codec_proptest.proptest-regressions` next to
//! this file; commit it.

use std::net::Ipv4Addr;

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::FileFailurePersistence;
use snmux_engine::{
    AnyPdu, MAX_OID_LEN, Message, MessageHeader, Oid, Pdu, PduType, TrapV1Pdu, Value, VarBind,
    Version,
};

proptest! {
    // 256 cases unless PROPTEST_CASES says otherwise.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn round_trip(msg in message()) {
        let bytes = msg.to_bytes();
        prop_assert_eq!(Message::decode(&bytes), Ok(msg.clone()));
        prop_assert_eq!(msg.encoded_len(), bytes.len());
        let mut appended = bytes::BytesMut::from(&b"prefix"[..]);
        msg.encode(&mut appended);
        prop_assert_eq!(&appended[6..], &bytes[..], "encode appends");
    }

    #[test]
    fn header_agrees_with_full_decode(msg in message()) {
        let bytes = msg.to_bytes();
        let header = MessageHeader::decode(&bytes).unwrap();
        prop_assert_eq!(header.version, msg.version);
        prop_assert_eq!(header.community, &msg.community[..]);
        match &msg.pdu {
            AnyPdu::Pdu(p) => {
                prop_assert_eq!(header.pdu_type, p.pdu_type);
                prop_assert_eq!(header.request_id, p.request_id);
                prop_assert_eq!(header.error_status, p.error_status);
                prop_assert_eq!(header.error_index, p.error_index);
                prop_assert_eq!(&header.varbinds(&bytes).unwrap(), &p.varbinds);
            }
            AnyPdu::TrapV1(_) => {
                prop_assert_eq!(header.pdu_type, PduType::TrapV1);
                prop_assert_eq!(header.request_id, 0);
            }
        }
    }

    #[test]
    fn encoding_is_canonical(msg in message()) {
        let bytes = msg.to_bytes();
        if let Err(e) = check_canonical(&bytes) {
            return Err(TestCaseError::fail(format!("{e}: {bytes:02x?}")));
        }
        let decoded = Message::decode(&bytes).unwrap();
        prop_assert_eq!(decoded.to_bytes(), bytes);
    }

    #[test]
    fn varbind_encoded_len_adds_up(vbs in vec(varbind(), 0..20)) {
        // A Response with 0 in every integer field; what the manager budgets
        // when it splits a request to stay under a message size.
        let pdu = Pdu::new(PduType::Response, 0, vbs.clone());
        let msg = Message::new(Version::V2c, "public", pdu);
        let empty = Message::new(Version::V2c, "public", Pdu::new(PduType::Response, 0, vec![]));
        let sum: usize = vbs.iter().map(snmux_engine::varbind_encoded_len).sum();
        // The varbind list and the PDU may need longer length fields.
        let slack = msg.encoded_len() - empty.encoded_len() - sum;
        prop_assert!(slack <= 6, "slack {slack}");
    }

    #[test]
    fn long_oids_round_trip(arcs in vec(arc(), 0..=MAX_OID_LEN - 2), first in 0u32..=2, second in 0u32..40) {
        let mut all = vec![first, second];
        all.extend(arcs);
        let oid = Oid::from_slice(&all);
        let msg = Message::new(
            Version::V2c,
            "public",
            Pdu::new(PduType::Response, 1, vec![VarBind::new(oid.clone(), oid)]),
        );
        prop_assert_eq!(Message::decode(&msg.to_bytes()), Ok(msg));
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in vec(any::<u8>(), 0..512)) {
        check_decode(&data)?;
    }

    #[test]
    fn every_truncation_is_an_error(msg in message()) {
        let bytes = msg.to_bytes();
        for n in 0..bytes.len() {
            let cut = bytes.slice(..n);
            match Message::decode(&cut) {
                Ok(m) => return Err(TestCaseError::fail(format!("{n} bytes decoded: {m:?}"))),
                Err(e) => prop_assert!(e.offset <= n, "{e:?} for {n} bytes"),
            }
            let e = MessageHeader::decode(&cut).unwrap_err();
            prop_assert!(e.offset <= n, "{e:?} for {n} bytes");
        }
    }

    #[test]
    fn single_byte_mutations_never_panic(
        msg in message(),
        at in any::<Index>(),
        byte in any::<u8>(),
        xor in any::<bool>(),
    ) {
        let mut data = msg.to_bytes().to_vec();
        let i = at.index(data.len());
        // Flipping bits hits the interesting bytes (tags, length forms,
        // sign bits) more often than replacing them.
        data[i] = if xor { data[i] ^ byte.max(1) } else { byte };
        check_decode(&data)?;
    }

    #[test]
    fn mutations_near_the_header_never_panic(
        msg in message(),
        at in 0usize..24,
        byte in prop_oneof![Just(0x00u8), Just(0x7f), Just(0x80), Just(0x81), Just(0x84), Just(0x85), Just(0xff), any::<u8>()],
    ) {
        // Most single-byte mutations land in varbind contents; these land
        // in the outer lengths, version, community and PDU header.
        let mut data = msg.to_bytes().to_vec();
        let i = at.min(data.len() - 1);
        data[i] = byte;
        check_decode(&data)?;
    }
}

/// Decodes `data` both ways. Neither may panic; an error points inside the
/// input; whatever decodes re-encodes to a message that decodes the same.
fn check_decode(data: &[u8]) -> Result<(), TestCaseError> {
    let bytes = Bytes::copy_from_slice(data);
    let header = MessageHeader::decode(data);
    match Message::decode(&bytes) {
        Ok(msg) => {
            let header = header.map_err(|e| {
                TestCaseError::fail(format!("full decode accepts, header rejects: {e:?}"))
            })?;
            prop_assert_eq!(header.version, msg.version);
            prop_assert_eq!(header.community, &msg.community[..]);
            let again = msg.to_bytes();
            prop_assert_eq!(again.len(), msg.encoded_len());
            prop_assert_eq!(Message::decode(&again), Ok(msg));
            if let Err(e) = check_canonical(&again) {
                return Err(TestCaseError::fail(format!("re-encoding: {e}")));
            }
        }
        Err(e) => {
            prop_assert!(e.offset <= data.len(), "{e:?} past {} bytes", data.len());
            if let Err(h) = header {
                prop_assert!(h.offset <= data.len(), "{h:?} past {} bytes", data.len());
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------
// Fixed inputs

/// The known quirks decode (see `ber.rs`): they are accepted, and their
/// re-encoding is canonical.
#[test]
fn lenient_inputs_re_encode_canonically() {
    let bytes: &[u8] = &[
        0x30, 0x82, 0x00, 0x36, // non-minimal long form
        0x02, 0x01, 0x01, //
        0x04, 0x02, 0xff, 0xfe, // non-UTF-8 community
        0xa2, 0x81, 0x2c, //
        0x02, 0x05, 0x00, 0x00, 0x00, 0x00, 0x07, // request-id 7, non-minimal
        0x02, 0x01, 0x00, 0x02, 0x01, 0x00, //
        0x30, 0x1d, //
        0x30, 0x0b, 0x06, 0x07, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x01, 0x01, 0x02,
        0x00, // empty INTEGER
        0x30, 0x0e, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x02, 0x01, 0x0a, 0x41, 0x02, 0xff,
        0xfe, // Counter32 without its leading zero
    ];
    assert!(check_canonical(bytes).is_err(), "the checker catches them");
    let msg = Message::decode(&Bytes::from_static(bytes)).unwrap();
    let again = msg.to_bytes();
    check_canonical(&again).unwrap();
    assert_eq!(Message::decode(&again).unwrap(), msg);
    // Shorter message and PDU lengths and request-id; one more byte each
    // for the INTEGER and the Counter32.
    assert_eq!(again.len(), bytes.len() - 2 - 1 - 4 + 1 + 1);
}

/// RFC 2578 §3.5's limit of 128 sub-identifiers, checked while decoding.
#[test]
fn oid_length_limit() {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if content.len() < 0x80 {
            out.push(content.len() as u8);
        } else {
            out.extend([0x82, (content.len() >> 8) as u8, content.len() as u8]);
        }
        out.extend_from_slice(content);
        out
    }
    let message = |oid: &[u8]| {
        let vb = [tlv(0x06, oid), vec![0x05, 0x00]].concat();
        let pdu = [
            &[0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00][..],
            &tlv(0x30, &tlv(0x30, &vb)),
        ]
        .concat();
        let msg = [
            &[0x02, 0x01, 0x01][..],
            &tlv(0x04, b"public"),
            &tlv(0xa2, &pdu),
        ]
        .concat();
        Bytes::from(tlv(0x30, &msg))
    };
    // 0x2b is 1.3: two sub-identifiers, then one per 0x01.
    let max = [&[0x2b][..], &[0x01; MAX_OID_LEN - 2]].concat();
    let msg = Message::decode(&message(&max)).unwrap();
    let AnyPdu::Pdu(pdu) = msg.pdu else {
        panic!("not a Response")
    };
    assert_eq!(pdu.varbinds[0].oid.len(), MAX_OID_LEN);
    let long = [&[0x2b][..], &[0x01; MAX_OID_LEN - 1]].concat();
    let err = Message::decode(&message(&long)).unwrap_err();
    assert_eq!(err.kind, snmux_engine::DecodeErrorKind::OidTooLong);
}

/// The canonical-form checker itself rejects what it should.
#[test]
fn checker_rejects_non_canonical_forms() {
    let ok: &[u8] = &[0x30, 0x03, 0x02, 0x01, 0x80];
    check_canonical(ok).unwrap();
    for bad in [
        &[0x30, 0x81, 0x03, 0x02, 0x01, 0x80][..], // long form for a short length
        &[0x30, 0x82, 0x00, 0x80][..],             // leading zero length byte
        &[0x30, 0x04, 0x02, 0x02, 0x00, 0x7f][..], // redundant 0x00
        &[0x30, 0x04, 0x02, 0x02, 0xff, 0x80][..], // redundant 0xff
        &[0x30, 0x02, 0x02, 0x00][..],             // empty INTEGER
        &[0x30, 0x03, 0x41, 0x01, 0x80][..],       // negative-looking Counter32
        &[0x30, 0x04, 0x06, 0x02, 0x80, 0x01][..], // OID arc with a leading 0x80
        &[0x30, 0x03, 0x05, 0x01, 0x00][..],       // NULL with contents
        &[0x30, 0x03, 0x02, 0x01, 0x01, 0x00][..], // trailing byte
    ] {
        assert!(check_canonical(bad).is_err(), "{bad:02x?}");
    }
}

// ---------------------------------------------------------------------
// An independent checker of canonical BER, as the codec should write it.

/// Walks the TLVs of `buf`, which must be exactly one element, and checks
/// that every length is in minimal form, every INTEGER is signed-minimal,
/// every unsigned application type is non-negative and minimal, every OID
/// arc is minimal, and NULLs and exceptions are empty.
fn check_canonical(buf: &[u8]) -> Result<(), String> {
    let end = check_element(buf, 0)?;
    if end != buf.len() {
        return Err(format!("{} bytes after the message", buf.len() - end));
    }
    Ok(())
}

/// Checks the element at `at`; returns the offset after it.
fn check_element(buf: &[u8], at: usize) -> Result<usize, String> {
    let tag = *buf.get(at).ok_or(format!("truncated tag at {at}"))?;
    let first = *buf.get(at + 1).ok_or(format!("truncated length at {at}"))?;
    let (len, header) = match first {
        0..0x80 => (usize::from(first), 2),
        0x80 => return Err(format!("indefinite length at {at}")),
        _ => {
            let n = usize::from(first & 0x7f);
            let bytes = buf
                .get(at + 2..at + 2 + n)
                .ok_or(format!("truncated length at {at}"))?;
            if n > 4 || bytes[0] == 0 {
                return Err(format!("long form with a redundant byte at {at}"));
            }
            let len = bytes.iter().fold(0, |a, &b| (a << 8) | usize::from(b));
            if len < 0x80 {
                return Err(format!("long form for the short length {len} at {at}"));
            }
            (len, 2 + n)
        }
    };
    let start = at + header;
    let end = start + len;
    let content = buf
        .get(start..end)
        .ok_or(format!("truncated contents at {at}"))?;
    let what = |m: &str| format!("{m} (tag {tag:#04x} at {at}: {content:02x?})");
    if tag & 0x20 != 0 {
        let mut pos = start;
        while pos < end {
            pos = check_element(&buf[..end], pos)?;
        }
        return Ok(end);
    }
    match tag {
        0x02 => match content {
            [] => return Err(what("empty INTEGER")),
            [0x00, b, ..] if b & 0x80 == 0 => return Err(what("redundant 0x00")),
            [0xff, b, ..] if b & 0x80 != 0 => return Err(what("redundant 0xff")),
            _ => {}
        },
        // Counter32, Gauge32, TimeTicks, Counter64: non-negative as INTEGERs.
        0x41..=0x43 | 0x46 => match content {
            [] => return Err(what("empty unsigned")),
            [b, ..] if b & 0x80 != 0 => return Err(what("reads as negative")),
            [0x00, b, ..] if b & 0x80 == 0 => return Err(what("redundant 0x00")),
            _ => {}
        },
        0x06 => {
            let mut arc_start = true;
            for &b in content {
                if arc_start && b == 0x80 {
                    return Err(what("arc with a leading 0x80"));
                }
                arc_start = b & 0x80 == 0;
            }
            if !arc_start {
                return Err(what("truncated arc"));
            }
        }
        0x05 | 0x80..=0x82 if !content.is_empty() => return Err(what("NULL with contents")),
        0x40 if content.len() != 4 => return Err(what("IpAddress not 4 bytes")),
        _ => {}
    }
    Ok(end)
}

// ---------------------------------------------------------------------
// Strategies

/// A sub-identifier, mostly small: most real arcs take one or two bytes.
fn arc() -> impl Strategy<Value = u32> {
    prop_oneof![
        6 => 0u32..128,
        3 => 128u32..16384,
        1 => any::<u32>(),
        1 => prop_oneof![Just(0x7f), Just(0x80), Just(0x3fff), Just(0x4000), Just(u32::MAX)],
    ]
}

/// An OID of 2 to 40 arcs that X.690 can encode: the first arc is 0, 1 or
/// 2, the second below 40 unless the first is 2.
fn oid() -> impl Strategy<Value = Oid> {
    (0u32..=2)
        .prop_flat_map(|first| {
            let second = if first < 2 {
                (0u32..40).boxed()
            } else {
                arc().boxed()
            };
            (Just(first), second, vec(arc(), 0..=38))
        })
        .prop_map(|(first, second, rest)| {
            let mut arcs = vec![first, second];
            arcs.extend(rest);
            Oid::from_slice(&arcs)
        })
}

fn int32() -> impl Strategy<Value = i32> {
    prop_oneof![
        3 => any::<i32>(),
        2 => -300i32..300,
        1 => prop_oneof![
            Just(i32::MIN), Just(i32::MAX), Just(-129), Just(-128), Just(127), Just(128),
            Just(-32769), Just(-32768), Just(32767), Just(32768),
        ],
    ]
}

fn uint32() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => any::<u32>(),
        2 => 0u32..300,
        1 => prop_oneof![
            Just(0), Just(0x7f), Just(0x80), Just(0xff), Just(0x7fff), Just(0x8000),
            Just(0x7fff_ffff), Just(0x8000_0000), Just(u32::MAX),
        ],
    ]
}

fn uint64() -> impl Strategy<Value = u64> {
    prop_oneof![
        3 => any::<u64>(),
        1 => uint32().prop_map(u64::from),
        1 => prop_oneof![
            Just(0x7fff_ffff_ffff_ffff), Just(0x8000_0000_0000_0000), Just(u64::MAX),
        ],
    ]
}

/// Arbitrary bytes, sometimes long enough for two-byte length forms.
fn octets() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        8 => vec(any::<u8>(), 0..32),
        1 => vec(any::<u8>(), 120..300),
    ]
    .prop_map(Bytes::from)
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        int32().prop_map(Value::Integer),
        octets().prop_map(Value::OctetString),
        Just(Value::Null),
        oid().prop_map(Value::ObjectIdentifier),
        any::<[u8; 4]>().prop_map(|a| Value::IpAddress(Ipv4Addr::from(a))),
        uint32().prop_map(Value::Counter32),
        uint32().prop_map(Value::Gauge32),
        uint32().prop_map(Value::TimeTicks),
        octets().prop_map(Value::Opaque),
        uint64().prop_map(Value::Counter64),
        Just(Value::NoSuchObject),
        Just(Value::NoSuchInstance),
        Just(Value::EndOfMibView),
    ]
}

fn varbind() -> impl Strategy<Value = VarBind> {
    (oid(), value()).prop_map(|(oid, value)| VarBind { oid, value })
}

fn pdu_type() -> impl Strategy<Value = PduType> {
    prop_oneof![
        Just(PduType::GetRequest),
        Just(PduType::GetNextRequest),
        Just(PduType::Response),
        Just(PduType::SetRequest),
        Just(PduType::GetBulkRequest),
        Just(PduType::InformRequest),
        Just(PduType::SnmpV2Trap),
        Just(PduType::Report),
    ]
}

fn pdu() -> impl Strategy<Value = Pdu> {
    (pdu_type(), int32(), int32(), int32(), vec(varbind(), 0..20)).prop_map(
        |(pdu_type, request_id, error_status, error_index, varbinds)| Pdu {
            pdu_type,
            request_id,
            error_status,
            error_index,
            varbinds,
        },
    )
}

fn trap_v1() -> impl Strategy<Value = TrapV1Pdu> {
    (
        oid(),
        any::<[u8; 4]>(),
        int32(),
        int32(),
        uint32(),
        vec(varbind(), 0..20),
    )
        .prop_map(
            |(enterprise, addr, generic_trap, specific_trap, time_stamp, varbinds)| TrapV1Pdu {
                enterprise,
                agent_addr: Ipv4Addr::from(addr),
                generic_trap,
                specific_trap,
                time_stamp,
                varbinds,
            },
        )
}

/// A community: printable text as usually configured, or any bytes.
fn community() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        "[ -~]{0,20}".prop_map(Bytes::from),
        vec(any::<u8>(), 0..40).prop_map(Bytes::from),
        vec(any::<u8>(), 126..260).prop_map(Bytes::from),
    ]
}

fn message() -> impl Strategy<Value = Message> {
    (
        prop_oneof![Just(Version::V1), Just(Version::V2c)],
        community(),
        prop_oneof![
            6 => pdu().prop_map(AnyPdu::Pdu),
            1 => trap_v1().prop_map(AnyPdu::TrapV1),
        ],
    )
        .prop_map(|(version, community, pdu)| Message {
            version,
            community,
            pdu,
        })
}
