//! Differential tests of the BER codec against snmp-parser 0.11 (rusticata),
//! an independent decoder of the same syntax (RFC 1157 §4, RFC 3416 §3).
//!
//! Wherever both decoders accept an input, they must agree on the version,
//! the community, the PDU type, request-id, error-status, error-index (or
//! non-repeaters and max-repetitions), the Trap-PDU fields, and every
//! varbind's OID and value. Inputs only one of them accepts are counted, not
//! compared: the two differ on purpose in what they accept.
//!
//! Known, intentional differences (snmux is lenient where agents are sloppy
//! but the meaning is clear; snmp-parser is strict in other places):
//!
//! - A zero-length INTEGER (HPE PDUs send them) is `Integer(0)` here;
//!   snmp-parser turns every zero-length universal value — INTEGER, OCTET
//!   STRING, OBJECT IDENTIFIER — into `ObjectSyntax::Empty`, which is
//!   compared as the empty value of our type.
//! - Counter32, Gauge32, TimeTicks and Counter64 without the leading zero
//!   byte that keeps them positive are read as unsigned here; snmp-parser
//!   rejects them as negative (`IntegerNegative`).
//! - request-id, error-status, error-index, generic-trap and specific-trap
//!   are INTEGERs (RFC 3416: `Integer32`), `i32` here; snmp-parser reads
//!   them as `u32` and rejects negative values. It keeps only the low byte
//!   of generic-trap (`TrapType(u8)`), so that is all that is compared.
//! - Communities are bytes here; snmp-parser rejects a community that is
//!   not UTF-8.
//! - snmp-parser accepts SNMPv2 PDU types only in SNMPv2c messages; snmux
//!   does not tie PDU types to the version (the dispatcher checks that).
//! - Bytes after the message are ignored by both. snmp-parser also ignores
//!   the PDU's own length (it parses from the PDU's contents to the end of
//!   the message) and does not check OBJECT IDENTIFIER contents; snmux
//!   rejects a PDU that overruns its length and a truncated or too large
//!   sub-identifier.
//! - snmp-parser reads the first sub-identifier of an OID as one byte
//!   (`byte / 40`, `byte % 40`), which is wrong from 2.40 on (first
//!   sub-identifier 120 or more, or more than one byte); such OIDs are not
//!   compared. It also reads `06 01 00` as `0` where X.690 says `0.0`.
//! - Non-minimal negative INTEGERs longer than four bytes are rejected by
//!   snmp-parser, accepted here.
//! - Unknown value tags (BIT STRING, NsapAddress, UInteger32, …) are
//!   decoded by snmp-parser and rejected here.

use std::cell::Cell;
use std::net::Ipv4Addr;
use std::panic::{AssertUnwindSafe, catch_unwind};

use bytes::Bytes;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use snmp_parser::asn1_rs::FromBer;
use snmp_parser::{
    NetworkAddress, ObjectSyntax, SnmpGenericMessage, SnmpMessage, SnmpPdu, SnmpVariable,
    VarBindValue,
};
use snmux_engine::{AnyPdu, Message, Oid, Pdu, PduType, TrapV1Pdu, Value, VarBind, Version};

/// Generated messages, each also mutated one byte at a time.
#[test]
fn generated_messages_agree_with_snmp_parser() {
    let mut runner = TestRunner::new(Config {
        cases: Config::default().cases.max(512),
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..Config::default()
    });

    let generated = Counts::default();
    let mutated = Counts::default();
    runner
        .run(
            &(message(), vec((any::<Index>(), any::<u8>()), 8)),
            |(msg, mutations)| {
                let bytes = msg.to_bytes();
                generated.record(differ(&bytes).map_err(TestCaseError::fail)?);
                for (at, byte) in mutations {
                    let mut data = bytes.to_vec();
                    let i = at.index(data.len());
                    data[i] ^= byte.max(1);
                    mutated.record(differ(&data).map_err(TestCaseError::fail)?);
                }
                Ok(())
            },
        )
        .unwrap();

    eprintln!("generated: {}", generated.summary());
    eprintln!("mutated:   {}", mutated.summary());
    // Most generated messages are in the syntax both accept (see
    // `message()`); this fails if the comparison silently stops happening.
    assert!(
        generated.compared.get() * 2 > generated.total(),
        "too few generated messages compared: {}",
        generated.summary()
    );
    assert!(generated.skipped_oids.get() > 0, "no OID from 2.40 on");
    assert!(
        mutated.compared.get() > 0,
        "no mutated message compared: {}",
        mutated.summary()
    );
}

/// Messages as net-snmp 5.9 sends and answers them (captured with
/// `snmpget -d` and friends against `scripts/snmpd.sh`), and snmp-parser's
/// own test captures.
#[test]
fn captured_messages_agree_with_snmp_parser() {
    let counts = Counts::default();
    for (name, hex) in CAPTURES {
        let data = unhex(hex);
        match differ(&data) {
            Ok(Outcome::Compared) => counts.record(Outcome::Compared),
            other => panic!("{name}: {other:?}"),
        }
        let msg = Message::decode(&Bytes::from(data.clone())).unwrap();
        assert_eq!(msg.to_bytes(), data, "{name}: net-snmp encodes canonically");
    }
    eprintln!("captures: {}", counts.summary());
    assert_eq!(counts.compared.get(), CAPTURES.len());
}

/// The documented differences, input by input: what each side accepts.
#[test]
fn known_differences() {
    // A Response whose one varbind is 1.3.6.1.2 = `value`.
    let response = |value: &str| {
        unhex(&format!(
            "30{:02x}02010104067075626c6963a2{:02x}020107020100020100\
             30{:02x}30{:02x}06042b060102{value}",
            0x20 + value.len() / 2,
            0x13 + value.len() / 2,
            0x08 + value.len() / 2,
            0x06 + value.len() / 2,
        ))
    };

    // Zero-length INTEGER: Integer(0) here, ObjectSyntax::Empty there, and
    // the two compare equal.
    let zero_len_int = response("0200");
    assert_eq!(differ(&zero_len_int), Ok(Outcome::Compared));
    let msg = Message::decode(&Bytes::from(zero_len_int)).unwrap();
    let AnyPdu::Pdu(pdu) = msg.pdu else {
        panic!("not a Response")
    };
    assert_eq!(pdu.varbinds[0].value, Value::Integer(0));
    // So are an empty OCTET STRING and an empty OBJECT IDENTIFIER.
    assert_eq!(differ(&response("0400")), Ok(Outcome::Compared));
    assert_eq!(differ(&response("0600")), Ok(Outcome::Compared));

    // Counter32 0xfffe without its leading zero: accepted here only.
    assert_eq!(differ(&response("4102fffe")), Ok(Outcome::OnlyOurs));
    assert_eq!(differ(&response("410300fffe")), Ok(Outcome::Compared));

    // A five-byte -2: accepted here only.
    assert_eq!(differ(&response("0205fffffffffe")), Ok(Outcome::OnlyOurs));

    // BIT STRING, UInteger32: accepted there only.
    assert_eq!(differ(&response("03020780")), Ok(Outcome::OnlyTheirs));
    assert_eq!(differ(&response("470105")), Ok(Outcome::OnlyTheirs));

    // Negative request-id: accepted here only.
    let negative_id = "301802010104067075626c6963a20b0201ff0201000201003000";
    assert_eq!(differ(&unhex(negative_id)), Ok(Outcome::OnlyOurs));

    // A community that is not UTF-8: accepted here only.
    let binary_community = "30140201010402fffea20b0201070201000201003000";
    assert_eq!(differ(&unhex(binary_community)), Ok(Outcome::OnlyOurs));

    // Trailing bytes after the message: both ignore them.
    let get = format!("{}{}", CAPTURES[0].1, "deadbeef");
    assert_eq!(differ(&unhex(&get)), Ok(Outcome::Compared));

    // GetBulkRequest in an SNMPv1 message: accepted here only.
    let v1_bulk = "302602010004067075626c6963a51902010102010002010a\
                   300e300c06082b060102010101000500";
    assert_eq!(differ(&unhex(v1_bulk)), Ok(Outcome::OnlyOurs));

    // A PDU whose length overruns the message: snmp-parser reads on.
    let overrun = "302902010104067075626c6963a07f020412345678020100020100\
                   300e300c06082b060102010101000500";
    assert_eq!(differ(&unhex(overrun)), Ok(Outcome::OnlyTheirs));

    // 2.100.3 as a varbind name: both accept, snmp-parser misreads it, so
    // the name is not compared.
    let oid_2_100 = "302102010104067075626c6963a214020101020100020100\
                     3009300706038134030500";
    assert_eq!(differ(&unhex(oid_2_100)), Ok(Outcome::ComparedSkipping(1)));
    // 0.0 is one byte, 00, which snmp-parser reads as "0".
    assert_eq!(differ(&response("060100")), Ok(Outcome::Compared));
}

// ---------------------------------------------------------------------
// The comparison

/// What happened to one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Both decoders accepted it and agree.
    Compared,
    /// Both decoders accepted it and agree, but this many OIDs could not
    /// be compared (see the module docs).
    ComparedSkipping(usize),
    /// Only snmux accepted it.
    OnlyOurs,
    /// Only snmp-parser accepted it.
    OnlyTheirs,
    /// Neither accepted it.
    Neither,
    /// snmp-parser panicked (not our bug, but worth seeing in the counts).
    TheirsPanicked,
}

#[derive(Default)]
struct Counts {
    compared: Cell<usize>,
    skipped_oids: Cell<usize>,
    only_ours: Cell<usize>,
    only_theirs: Cell<usize>,
    neither: Cell<usize>,
    theirs_panicked: Cell<usize>,
}

impl Counts {
    fn record(&self, outcome: Outcome) {
        let bump = |c: &Cell<usize>| c.set(c.get() + 1);
        match outcome {
            Outcome::Compared => bump(&self.compared),
            Outcome::ComparedSkipping(n) => {
                bump(&self.compared);
                self.skipped_oids.set(self.skipped_oids.get() + n);
            }
            Outcome::OnlyOurs => bump(&self.only_ours),
            Outcome::OnlyTheirs => bump(&self.only_theirs),
            Outcome::Neither => bump(&self.neither),
            Outcome::TheirsPanicked => bump(&self.theirs_panicked),
        }
    }

    fn total(&self) -> usize {
        self.compared.get()
            + self.only_ours.get()
            + self.only_theirs.get()
            + self.neither.get()
            + self.theirs_panicked.get()
    }

    fn summary(&self) -> String {
        format!(
            "{} inputs: {} compared ({} OIDs from 2.40 on skipped), skipped: {} only snmux \
             accepts, {} only snmp-parser accepts, {} neither, {} snmp-parser panics",
            self.total(),
            self.compared.get(),
            self.skipped_oids.get(),
            self.only_ours.get(),
            self.only_theirs.get(),
            self.neither.get(),
            self.theirs_panicked.get(),
        )
    }
}

/// Decodes `data` with both decoders and compares what both accept.
fn differ(data: &[u8]) -> Result<Outcome, String> {
    let ours = Message::decode(&Bytes::copy_from_slice(data));
    let theirs = catch_unwind(AssertUnwindSafe(|| {
        match SnmpGenericMessage::from_ber(data) {
            Ok((_, SnmpGenericMessage::V1(m) | SnmpGenericMessage::V2(m))) => Some(m),
            _ => None,
        }
    }));
    let Ok(theirs) = theirs else {
        return Ok(Outcome::TheirsPanicked);
    };
    match (ours, theirs) {
        (Ok(ours), Some(theirs)) => compare(&ours, &theirs)
            .map(|skipped| match skipped {
                0 => Outcome::Compared,
                n => Outcome::ComparedSkipping(n),
            })
            .map_err(|e| {
                format!(
                    "{e}\n  input: {}\n  snmux: {ours:?}\n  snmp-parser: {theirs:?}",
                    hex(data)
                )
            }),
        (Ok(_), None) => Ok(Outcome::OnlyOurs),
        (Err(_), Some(_)) => Ok(Outcome::OnlyTheirs),
        (Err(_), None) => Ok(Outcome::Neither),
    }
}

/// Compares the two decodings; returns how many OIDs could not be compared.
fn compare(ours: &Message, theirs: &SnmpMessage<'_>) -> Result<usize, String> {
    check(
        i64::from(theirs.version) == i64::from(ours.version.wire()),
        "version",
    )?;
    check(
        theirs.community.as_bytes() == &ours.community[..],
        "community",
    )?;
    let mut skipped = 0;
    let (our_vbs, their_vbs) = match (&ours.pdu, &theirs.pdu) {
        (AnyPdu::Pdu(p), SnmpPdu::Generic(g)) => {
            check(p.pdu_type != PduType::GetBulkRequest, "PDU type")?;
            check(g.pdu_type.0 == pdu_number(p.pdu_type), "PDU type")?;
            check(same_int(p.request_id, g.req_id), "request-id")?;
            check(same_int(p.error_status, g.err.0), "error-status")?;
            check(same_int(p.error_index, g.err_index), "error-index")?;
            (&p.varbinds, &g.var)
        }
        (AnyPdu::Pdu(p), SnmpPdu::Bulk(b)) => {
            check(p.pdu_type == PduType::GetBulkRequest, "PDU type")?;
            check(same_int(p.request_id, b.req_id), "request-id")?;
            check(
                same_int(p.non_repeaters(), b.non_repeaters),
                "non-repeaters",
            )?;
            check(
                same_int(p.max_repetitions(), b.max_repetitions),
                "max-repetitions",
            )?;
            (&p.varbinds, &b.var)
        }
        (AnyPdu::TrapV1(t), SnmpPdu::TrapV1(tt)) => {
            skipped += compare_oid(&t.enterprise, &tt.enterprise)
                .map_err(|e| format!("enterprise: {e}"))?;
            let NetworkAddress::IPv4(addr) = tt.agent_addr;
            check(addr == t.agent_addr, "agent-addr")?;
            // snmp-parser keeps the low byte only: `TrapType(u8)`.
            check(t.generic_trap as u8 == tt.generic_trap.0, "generic-trap")?;
            check(same_int(t.specific_trap, tt.specific_trap), "specific-trap")?;
            check(t.time_stamp == tt.timestamp, "time-stamp")?;
            (&t.varbinds, &tt.var)
        }
        _ => return Err("PDU type".into()),
    };
    check(our_vbs.len() == their_vbs.len(), "number of varbinds")?;
    for (i, (ours, theirs)) in our_vbs.iter().zip(their_vbs).enumerate() {
        skipped += compare_varbind(ours, theirs).map_err(|e| format!("varbind {i}: {e}"))?;
    }
    Ok(skipped)
}

fn compare_varbind(ours: &VarBind, theirs: &SnmpVariable<'_>) -> Result<usize, String> {
    let mut skipped = compare_oid(&ours.oid, &theirs.oid).map_err(|e| format!("name: {e}"))?;
    let same = match (&ours.value, &theirs.val) {
        (Value::Null, VarBindValue::Unspecified) => true,
        (Value::NoSuchObject, VarBindValue::NoSuchObject) => true,
        (Value::NoSuchInstance, VarBindValue::NoSuchInstance) => true,
        (Value::EndOfMibView, VarBindValue::EndOfMibView) => true,
        (ours, VarBindValue::Value(theirs)) => match (ours, theirs) {
            (Value::Integer(a), ObjectSyntax::Number(b)) => a == b,
            (Value::OctetString(a), ObjectSyntax::String(b)) => &a[..] == *b,
            (Value::ObjectIdentifier(a), ObjectSyntax::Object(b)) => {
                skipped += compare_oid(a, b).map_err(|e| format!("value: {e}"))?;
                true
            }
            // Zero-length universal values (see the module docs).
            (Value::Integer(0), ObjectSyntax::Empty) => true,
            (Value::OctetString(a), ObjectSyntax::Empty) => a.is_empty(),
            (Value::ObjectIdentifier(a), ObjectSyntax::Empty) => a.is_empty(),
            (Value::IpAddress(a), ObjectSyntax::IpAddress(NetworkAddress::IPv4(b))) => a == b,
            (Value::Counter32(a), ObjectSyntax::Counter32(b)) => a == b,
            (Value::Gauge32(a), ObjectSyntax::Gauge32(b)) => a == b,
            (Value::TimeTicks(a), ObjectSyntax::TimeTicks(b)) => a == b,
            (Value::Opaque(a), ObjectSyntax::Opaque(b)) => &a[..] == *b,
            (Value::Counter64(a), ObjectSyntax::Counter64(b)) => a == b,
            _ => false,
        },
        _ => false,
    };
    check(same, "value")?;
    Ok(skipped)
}

/// Compares an OID; `Ok(1)` if it is one snmp-parser cannot read.
fn compare_oid(ours: &Oid, theirs: &snmp_parser::Oid<'_>) -> Result<usize, String> {
    let raw = theirs.as_bytes();
    if raw.first().is_some_and(|&b| b >= 120) {
        // snmp-parser splits the first sub-identifier as one byte.
        return Ok(1);
    }
    let Some(arcs) = theirs.iter() else {
        return Err(format!("snmp-parser: arc beyond u64 in {ours}"));
    };
    let mut arcs: Vec<u64> = arcs.collect();
    if raw == [0] {
        // snmp-parser reads 06 01 00 as "0"; X.690 says 0.0.
        arcs.push(0);
    }
    let ours_u64: Vec<u64> = ours.arcs().iter().map(|&a| a.into()).collect();
    if ours_u64 == arcs {
        Ok(0)
    } else {
        Err(format!("OID {ours} vs {arcs:?}"))
    }
}

/// An `Integer32` field here against snmp-parser's `u32`.
fn same_int(ours: i32, theirs: u32) -> bool {
    i64::from(ours) == i64::from(theirs)
}

fn pdu_number(t: PduType) -> u32 {
    u32::from(t.tag() & 0x1f)
}

fn check(ok: bool, what: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(format!("{what} differs"))
    }
}

fn unhex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits");
    digits
        .chunks(2)
        .map(|d| u8::from_str_radix(std::str::from_utf8(d).unwrap(), 16).unwrap())
        .collect()
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// Real messages, as hex.
const CAPTURES: &[(&str, &str)] = &[
    (
        "net-snmp v2c GET sysDescr.0 sysObjectID.0 sysUpTime.0",
        "304502010104067075626c6963a0380204 72f74e2c020100020100302a300c0608\
         2b06010201010100 0500300c06082b060102010102000500300c06082b060102010103000500",
    ),
    (
        "net-snmp v2c Response: STRING, OID, Timeticks",
        "30818902010104067075626c6963a27c020472f74e2c020100020100306e304506082b\
         0601020101010004394c696e757820766d20362e31382e34342d66632d7634343520233120\
         534d5020505245454d50545f44594e414d4943204030207838365f3634301606082b060102\
         01010200060a2b06010401bf08030 20a300d06082b0601020101030043010a",
    ),
    (
        "net-snmp v2c GET of seven objects",
        "30818b02010104067075626c6963a07e02044cb144360201000201003070300e060a2b06\
         0102010202010a010500300e060a2b0601020102020105010500300f060b2b060102011f01\
         0101060105003011060d2b06010201041401017f0000010500300c06082b06010201010101\
         0500300c06082b060102016301000500300e060a2b0601020102020108010500",
    ),
    (
        "net-snmp v2c Response: Counter32, Gauge32, Counter64, IpAddress, \
         noSuchInstance, noSuchObject, INTEGER",
        "30819b02010104067075626c6963a2818d02044cb14436020100020100307f3011060a2b\
         060102010202010a014103318d8b3012060a2b060102010202010501420400989680301206\
         0b2b060102011f01010106014603318d8b3015060d2b06010201041401017f00000140047f\
         000001300c06082b060102010101018100300c06082b060102016301008000300f060a2b06\
         0102010202010801020101",
    ),
    (
        "net-snmp v1 GET with a missing object",
        "303702010004067075626c6963a02a02044d239770020100020100301c300c06082b0601\
         02010101000500300c06082b060102016301000500",
    ),
    (
        "net-snmp v1 Response noSuchName(2), error-index 2",
        "303702010004067075626c6963a22a02044d239770020102020102301c300c06082b0601\
         02010101000500300c06082b060102016301000500",
    ),
    (
        "net-snmp v2c Response endOfMibView",
        "302702010104067075626c6963a21a02041b5fee31020100020100300c300a06062b0601\
         0603638200",
    ),
    (
        "net-snmp v2c GetBulkRequest non-repeaters 1, max-repetitions 3",
        "303702010104067075626c6963a52a020476b6c790020101020103301c300b06072b0601\
         020101030500300d06092b06010201020201020500",
    ),
    (
        "net-snmp v2c Response to the GetBulkRequest",
        "306502010104067075626c6963a258020476b6c790020100020100304a300e06082b0601\
         0201010300430206433010060a2b06010201020201020104026c6f3012060a2b0601020102\
         020102020404696662303012060a2b060102010202010203040469666231",
    ),
    (
        "net-snmp v1 Trap enterpriseSpecific(6) 17",
        "303c02010004067075626c6963a42f06092b06010401bf0802034004c000020702010602\
         01114302303930123010060b2b06010401bf080203020102012a",
    ),
    (
        "net-snmp v2c SNMPv2-Trap linkUp",
        "305502010104067075626c6963a74802044a35169e020100020100303a300e06082b0601\
         0201010300430210923017060a2b06010603010104010006092b0601060301010503300f06\
         0a2b060102010202010102020102",
    ),
    (
        "net-snmp v2c SET sysLocation.0",
        "3037020101040770726976617465a32902045e77e9c5020100020100301b301906082b06\
         010201010600040d7261636b20342c20726f772042",
    ),
    (
        "snmp-parser assets/snmpv1_req.bin",
        "302602010004067075626c6963a019020126020100020100300e300c06082b0601020101\
         02000500",
    ),
    (
        "snmp-parser assets/snmpv1_trap_coldstart.bin",
        "303802010004067075626c6963a42b06092b060104010401021540047f00000102010002\
         0100430100300f300d06082b06010201020100020121",
    ),
    (
        "snmp-parser assets/snmpv2c-get-response.bin",
        "304c02010104067075626c6963a23f020405c9610e0201000201003031301006092b0601\
         02011901010043030ecd55300e06092b0601020119010500420103300d06092b0601020119\
         0105018100",
    ),
];

// ---------------------------------------------------------------------
// Strategies: mostly messages in the syntax both decoders accept, some in
// the wider syntax only snmux accepts.

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![4 => shared_message(), 1 => wide_message()]
}

/// Messages snmp-parser accepts too: non-negative integer fields, UTF-8
/// communities, PDU types that its version allows.
fn shared_message() -> impl Strategy<Value = Message> {
    let non_negative = || prop_oneof![0i32..300, 0..=i32::MAX, Just(i32::MAX)];
    let v1 = prop_oneof![
        Just(PduType::GetRequest),
        Just(PduType::GetNextRequest),
        Just(PduType::Response),
        Just(PduType::SetRequest),
    ];
    let v2c = prop_oneof![
        Just(PduType::GetRequest),
        Just(PduType::GetNextRequest),
        Just(PduType::Response),
        Just(PduType::SetRequest),
        Just(PduType::GetBulkRequest),
        Just(PduType::InformRequest),
        Just(PduType::SnmpV2Trap),
        Just(PduType::Report),
    ];
    let version_and_type = prop_oneof![
        v1.prop_map(|t| (Version::V1, t)),
        v2c.prop_map(|t| (Version::V2c, t)),
    ];
    let community = prop_oneof!["[ -~]{0,20}", "\\PC{0,8}"].prop_map(Bytes::from);
    let pdu = (
        version_and_type,
        non_negative(),
        non_negative(),
        non_negative(),
        vec(varbind(), 0..20),
    )
        .prop_map(
            |((version, pdu_type), request_id, error_status, error_index, varbinds)| {
                (
                    version,
                    AnyPdu::Pdu(Pdu {
                        pdu_type,
                        request_id,
                        error_status,
                        error_index,
                        varbinds,
                    }),
                )
            },
        );
    let trap = (
        prop_oneof![Just(Version::V1), Just(Version::V2c)],
        trap_v1(non_negative().boxed()),
    )
        .prop_map(|(v, t)| (v, AnyPdu::TrapV1(t)));
    (community, prop_oneof![6 => pdu, 1 => trap]).prop_map(|(community, (version, pdu))| Message {
        version,
        community,
        pdu,
    })
}

/// Any message snmux encodes: any integers, any bytes as community, any
/// PDU type in either version.
fn wide_message() -> impl Strategy<Value = Message> {
    let pdu_type = prop_oneof![
        Just(PduType::GetRequest),
        Just(PduType::GetNextRequest),
        Just(PduType::Response),
        Just(PduType::SetRequest),
        Just(PduType::GetBulkRequest),
        Just(PduType::InformRequest),
        Just(PduType::SnmpV2Trap),
        Just(PduType::Report),
    ];
    let pdu = (
        pdu_type,
        any::<i32>(),
        any::<i32>(),
        any::<i32>(),
        vec(varbind(), 0..20),
    )
        .prop_map(
            |(pdu_type, request_id, error_status, error_index, varbinds)| {
                AnyPdu::Pdu(Pdu {
                    pdu_type,
                    request_id,
                    error_status,
                    error_index,
                    varbinds,
                })
            },
        );
    (
        prop_oneof![Just(Version::V1), Just(Version::V2c)],
        vec(any::<u8>(), 0..40).prop_map(Bytes::from),
        prop_oneof![
            6 => pdu,
            1 => trap_v1(any::<i32>().boxed()).prop_map(AnyPdu::TrapV1),
        ],
    )
        .prop_map(|(version, community, pdu)| Message {
            version,
            community,
            pdu,
        })
}

fn trap_v1(int: BoxedStrategy<i32>) -> impl Strategy<Value = TrapV1Pdu> {
    (
        oid(),
        any::<[u8; 4]>(),
        int.clone(),
        int,
        any::<u32>(),
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

fn arc() -> impl Strategy<Value = u32> {
    prop_oneof![6 => 0u32..128, 3 => 128u32..16384, 1 => any::<u32>()]
}

/// OIDs as in the property tests, but mostly from 0.0 to 2.39, which
/// snmp-parser reads correctly.
fn oid() -> impl Strategy<Value = Oid> {
    prop_oneof![1 => Just(0u32), 4 => Just(1), 1 => Just(2)]
        .prop_flat_map(|first| {
            let second = if first < 2 {
                (0u32..40).boxed()
            } else {
                prop_oneof![3 => 0u32..40, 1 => arc()].boxed()
            };
            (Just(first), second, vec(arc(), 0..=38))
        })
        .prop_map(|(first, second, rest)| {
            let mut arcs = vec![first, second];
            arcs.extend(rest);
            Oid::from_slice(&arcs)
        })
}

fn octets() -> impl Strategy<Value = Bytes> {
    prop_oneof![8 => vec(any::<u8>(), 0..32), 1 => vec(any::<u8>(), 120..300)].prop_map(Bytes::from)
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::Integer),
        (-300i32..300).prop_map(Value::Integer),
        octets().prop_map(Value::OctetString),
        Just(Value::Null),
        oid().prop_map(Value::ObjectIdentifier),
        any::<[u8; 4]>().prop_map(|a| Value::IpAddress(Ipv4Addr::from(a))),
        any::<u32>().prop_map(Value::Counter32),
        any::<u32>().prop_map(Value::Gauge32),
        any::<u32>().prop_map(Value::TimeTicks),
        octets().prop_map(Value::Opaque),
        any::<u64>().prop_map(Value::Counter64),
        Just(Value::NoSuchObject),
        Just(Value::NoSuchInstance),
        Just(Value::EndOfMibView),
    ]
}

fn varbind() -> impl Strategy<Value = VarBind> {
    (oid(), value()).prop_map(|(oid, value)| VarBind { oid, value })
}
