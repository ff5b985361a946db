//! Output of variable bindings: net-snmp's numeric text form and JSON lines.
//!
//! The text form is what `snmpget -On` prints with no MIBs loaded
//! (net-snmp 5.9, `snmplib/mib.c`), one varbind per line:
//!
//! ```text
//! .1.3.6.1.2.1.1.1.0 = STRING: "Linux host 6.1"
//! .1.3.6.1.2.1.1.3.0 = Timeticks: (8640000) 1 day, 0:00:00.00
//! .1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID
//! ```
//!
//! The JSON form is one object per varbind and line:
//!
//! ```text
//! {"oid":"1.3.6.1.2.1.1.1.0","type":"STRING","value":"Linux host 6.1"}
//! {"oid":"1.3.6.1.2.1.1.3.0","type":"Timeticks","value":8640000}
//! {"oid":"1.3.6.1.2.1.1.99.0","type":"noSuchObject","value":null}
//! ```
//!
//! `type` is [`Value::type_name`]; `value` is a JSON number for the integer
//! types (Counter64 included), a string for OIDs (dotted, no leading dot)
//! and IpAddress, the text of an OCTET STRING that is valid UTF-8, and
//! `null` for NULL and the exceptions. An OCTET STRING that is not valid
//! UTF-8 has `"value":null` and its bytes in `"hex"` (lowercase, no
//! separators); an Opaque always has `"hex"`, and a `value` if it wraps one
//! of net-snmp's special types (float, double, 64-bit integers).

use std::fmt::Write as _;

use snmux::{Value, VarBind};

/// One varbind as `snmpget -On` prints it, without the final newline.
/// Strings may span several lines, as net-snmp prints them.
pub(crate) fn text(vb: &VarBind) -> String {
    let mut out = format!(".{} = ", vb.oid);
    match &vb.value {
        Value::Integer(v) => write_str(&mut out, format_args!("INTEGER: {v}")),
        Value::OctetString(b) => octet_string(&mut out, b),
        Value::Null => out.push_str("NULL"),
        Value::ObjectIdentifier(oid) => write_str(&mut out, format_args!("OID: .{oid}")),
        Value::IpAddress(ip) => write_str(&mut out, format_args!("IpAddress: {ip}")),
        Value::Counter32(v) => write_str(&mut out, format_args!("Counter32: {v}")),
        Value::Gauge32(v) => write_str(&mut out, format_args!("Gauge32: {v}")),
        Value::TimeTicks(v) => {
            write_str(&mut out, format_args!("Timeticks: ({v}) "));
            time_ticks(&mut out, *v);
        }
        Value::Opaque(b) => opaque(&mut out, b),
        Value::Counter64(v) => write_str(&mut out, format_args!("Counter64: {v}")),
        Value::NoSuchObject => {
            out.push_str("No Such Object available on this agent at this OID");
        }
        Value::NoSuchInstance => {
            out.push_str("No Such Instance currently exists at this OID");
        }
        Value::EndOfMibView => out.push_str(
            "No more variables left in this MIB View (It is past the end of the MIB tree)",
        ),
    }
    out
}

/// One varbind as a JSON object on one line (see the module docs).
pub(crate) fn json(vb: &VarBind) -> String {
    let mut out = String::with_capacity(64);
    out.push_str("{\"oid\":");
    json_string(&mut out, &vb.oid.to_string());
    out.push_str(",\"type\":");
    json_string(&mut out, vb.value.type_name());
    out.push_str(",\"value\":");
    match &vb.value {
        Value::Integer(v) => write_str(&mut out, format_args!("{v}")),
        Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => {
            write_str(&mut out, format_args!("{v}"));
        }
        Value::Counter64(v) => write_str(&mut out, format_args!("{v}")),
        Value::OctetString(b) => match std::str::from_utf8(b) {
            Ok(s) => json_string(&mut out, s),
            Err(_) => {
                out.push_str("null,\"hex\":");
                json_hex(&mut out, b);
            }
        },
        Value::ObjectIdentifier(oid) => json_string(&mut out, &oid.to_string()),
        Value::IpAddress(ip) => json_string(&mut out, &ip.to_string()),
        Value::Opaque(b) => {
            match OpaqueSpecial::decode(b) {
                Some(OpaqueSpecial::Float(v)) => json_float(&mut out, v.into()),
                Some(OpaqueSpecial::Double(v)) => json_float(&mut out, v),
                Some(OpaqueSpecial::Counter64(v) | OpaqueSpecial::U64(v)) => {
                    write_str(&mut out, format_args!("{v}"));
                }
                Some(OpaqueSpecial::I64(v)) => write_str(&mut out, format_args!("{v}")),
                None => out.push_str("null"),
            }
            out.push_str(",\"hex\":");
            json_hex(&mut out, b);
        }
        Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {
            out.push_str("null");
        }
    }
    out.push('}');
    out
}

fn write_str(out: &mut String, args: std::fmt::Arguments<'_>) {
    // Writing to a String cannot fail.
    let _ = out.write_fmt(args);
}

/// net-snmp's guess: a string with a byte that is neither `isprint` nor
/// `isspace` (C locale) is printed in hex; the empty string is `""`
/// without a type.
fn octet_string(out: &mut String, b: &[u8]) {
    if b.is_empty() {
        out.push_str("\"\"");
    } else if b.iter().all(|&c| is_print_or_space(c)) {
        out.push_str("STRING: \"");
        for &c in b {
            if c == b'\\' || c == b'"' {
                out.push('\\');
            }
            out.push(char::from(c));
        }
        out.push('"');
    } else {
        out.push_str("Hex-STRING: ");
        hex_lines(out, b);
    }
}

/// C's `isprint(c) || isspace(c)` in the C locale.
fn is_print_or_space(c: u8) -> bool {
    (0x20..=0x7e).contains(&c) || (0x09..=0x0d).contains(&c)
}

/// net-snmp's hex dump: `%02X ` per byte (so a trailing space), a newline
/// after every 16 bytes but the last.
fn hex_lines(out: &mut String, b: &[u8]) {
    for (i, line) in b.chunks(16).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for c in line {
            write_str(out, format_args!("{c:02X} "));
        }
    }
}

/// `[D day[s], ]H:MM:SS.cc`, as net-snmp's `uptimeString`.
fn time_ticks(out: &mut String, ticks: u32) {
    let centis = ticks % 100;
    let secs = ticks / 100;
    let days = secs / 86_400;
    let hours = secs % 86_400 / 3_600;
    let minutes = secs % 3_600 / 60;
    let seconds = secs % 60;
    match days {
        0 => {}
        1 => out.push_str("1 day, "),
        d => write_str(out, format_args!("{d} days, ")),
    }
    write_str(
        out,
        format_args!("{hours}:{minutes:02}:{seconds:02}.{centis:02}"),
    );
}

fn opaque(out: &mut String, b: &[u8]) {
    match OpaqueSpecial::decode(b) {
        Some(OpaqueSpecial::Float(v)) => {
            out.push_str("Opaque: Float: ");
            c_fixed(out, v.into());
        }
        Some(OpaqueSpecial::Double(v)) => {
            out.push_str("Opaque: Float: ");
            c_fixed(out, v);
        }
        Some(OpaqueSpecial::Counter64(v)) => write_str(out, format_args!("Opaque: Counter64: {v}")),
        Some(OpaqueSpecial::U64(v)) => write_str(out, format_args!("Opaque: UInt64: {v}")),
        Some(OpaqueSpecial::I64(v)) => write_str(out, format_args!("Opaque: Int64: {v}")),
        None => {
            out.push_str("OPAQUE: ");
            hex_lines(out, b);
        }
    }
}

/// C's `printf("%f", v)`.
fn c_fixed(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str(if v.is_sign_negative() { "-nan" } else { "nan" });
    } else {
        // Rust prints infinities as `inf` and `-inf`, like C.
        write_str(out, format_args!("{v:.6}"));
    }
}

/// The special types net-snmp wraps in an Opaque (an extension of
/// draft-perkins-opaque-01): the Opaque's content is a BER value with a
/// two-byte tag `9F 7x`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum OpaqueSpecial {
    Counter64(u64),
    Float(f32),
    Double(f64),
    I64(i64),
    U64(u64),
}

impl OpaqueSpecial {
    /// Decodes the content of an Opaque, or `None` if it is not one of the
    /// special types (then net-snmp prints it in hex).
    fn decode(b: &[u8]) -> Option<OpaqueSpecial> {
        let [0x9f, tag, len, content @ ..] = b else {
            return None;
        };
        if usize::from(*len) != content.len() {
            return None;
        }
        match tag {
            0x78 => Some(OpaqueSpecial::Float(f32::from_be_bytes(
                content.try_into().ok()?,
            ))),
            0x79 => Some(OpaqueSpecial::Double(f64::from_be_bytes(
                content.try_into().ok()?,
            ))),
            // The unsigned types are the same bits, as in net-snmp.
            0x76 => Some(OpaqueSpecial::Counter64(int64(content)? as u64)),
            0x7a => Some(OpaqueSpecial::I64(int64(content)?)),
            0x7b => Some(OpaqueSpecial::U64(int64(content)? as u64)),
            _ => None,
        }
    }
}

/// A BER integer of 1 to 8 bytes, or 9 with a leading zero, sign-extended
/// as net-snmp's `asn_parse_*int64` do.
fn int64(content: &[u8]) -> Option<i64> {
    let content = match content {
        [] => return None,
        [0, rest @ ..] if rest.len() == 8 => rest,
        c if c.len() > 8 => return None,
        c => c,
    };
    let negative = content.len() < 8 && content.first().is_some_and(|&b| b & 0x80 != 0);
    let init: i64 = if negative { -1 } else { 0 };
    Some(
        content
            .iter()
            .fold(init, |acc, &b| (acc << 8) | i64::from(b)),
    )
}

fn json_string(out: &mut String, s: &str) {
    // Serializing a &str cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "null".to_owned()));
}

fn json_hex(out: &mut String, b: &[u8]) {
    out.push('"');
    for c in b {
        write_str(out, format_args!("{c:02x}"));
    }
    out.push('"');
}

fn json_float(out: &mut String, v: f64) {
    if v.is_finite() {
        write_str(out, format_args!("{v}"));
    } else {
        out.push_str("null");
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use snmux::{Oid, oid};

    use super::*;

    fn vb(value: Value) -> VarBind {
        VarBind::new(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0), value)
    }

    fn t(value: Value) -> String {
        text(&vb(value))
    }

    #[test]
    fn integers() {
        assert_eq!(t(Value::Integer(-5)), ".1.3.6.1.2.1.1.1.0 = INTEGER: -5");
        assert_eq!(t(Value::Counter32(7)), ".1.3.6.1.2.1.1.1.0 = Counter32: 7");
        assert_eq!(
            t(Value::Gauge32(u32::MAX)),
            ".1.3.6.1.2.1.1.1.0 = Gauge32: 4294967295"
        );
        assert_eq!(
            t(Value::Counter64(u64::MAX)),
            ".1.3.6.1.2.1.1.1.0 = Counter64: 18446744073709551615"
        );
    }

    #[test]
    fn time_ticks_like_uptime_string() {
        let cases = [
            (0, "(0) 0:00:00.00"),
            (123_456, "(123456) 0:20:34.56"),
            (8_640_000, "(8640000) 1 day, 0:00:00.00"),
            (17_280_001, "(17280001) 2 days, 0:00:00.01"),
            (u32::MAX, "(4294967295) 497 days, 2:27:52.95"),
        ];
        for (ticks, want) in cases {
            assert_eq!(
                t(Value::TimeTicks(ticks)),
                format!(".1.3.6.1.2.1.1.1.0 = Timeticks: {want}")
            );
        }
    }

    #[test]
    fn strings() {
        assert_eq!(t(Value::from("")), ".1.3.6.1.2.1.1.1.0 = \"\"");
        assert_eq!(
            t(Value::from("say \"hi\" \\o/")),
            r#".1.3.6.1.2.1.1.1.0 = STRING: "say \"hi\" \\o/""#
        );
        // Whitespace controls are printable for net-snmp, and raw.
        assert_eq!(
            t(Value::from("a\nb\tc\r")),
            ".1.3.6.1.2.1.1.1.0 = STRING: \"a\nb\tc\r\""
        );
        assert_eq!(
            t(Value::from(&b"AB\0"[..])),
            ".1.3.6.1.2.1.1.1.0 = Hex-STRING: 41 42 00 "
        );
        // UTF-8 is not printable in the C locale.
        assert_eq!(
            t(Value::from("é")),
            ".1.3.6.1.2.1.1.1.0 = Hex-STRING: C3 A9 "
        );
        assert_eq!(
            t(Value::from(&[0x7f_u8][..])),
            ".1.3.6.1.2.1.1.1.0 = Hex-STRING: 7F "
        );
    }

    #[test]
    fn hex_breaks_every_16_bytes() {
        let bytes: Vec<u8> = (1..=33).collect();
        let got = t(Value::from(&bytes[..]));
        assert_eq!(
            got,
            ".1.3.6.1.2.1.1.1.0 = Hex-STRING: \
             01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 \n\
             11 12 13 14 15 16 17 18 19 1A 1B 1C 1D 1E 1F 20 \n\
             21 "
        );
        let got = t(Value::from(&bytes[..16]));
        assert!(got.ends_with("0F 10 "), "{got:?}");
    }

    #[test]
    fn other_types() {
        assert_eq!(t(Value::Null), ".1.3.6.1.2.1.1.1.0 = NULL");
        assert_eq!(
            t(Value::ObjectIdentifier(oid!(1, 3, 6, 1, 4, 1, 8072))),
            ".1.3.6.1.2.1.1.1.0 = OID: .1.3.6.1.4.1.8072"
        );
        assert_eq!(
            t(Value::IpAddress(Ipv4Addr::new(192, 0, 2, 1))),
            ".1.3.6.1.2.1.1.1.0 = IpAddress: 192.0.2.1"
        );
        assert_eq!(
            t(Value::NoSuchObject),
            ".1.3.6.1.2.1.1.1.0 = No Such Object available on this agent at this OID"
        );
        assert_eq!(
            t(Value::NoSuchInstance),
            ".1.3.6.1.2.1.1.1.0 = No Such Instance currently exists at this OID"
        );
        assert_eq!(
            t(Value::EndOfMibView),
            ".1.3.6.1.2.1.1.1.0 = No more variables left in this MIB View \
             (It is past the end of the MIB tree)"
        );
    }

    #[test]
    fn opaque() {
        let op = |b: &[u8]| t(Value::Opaque(b.to_vec().into()));
        assert_eq!(op(&[1, 2, 3]), ".1.3.6.1.2.1.1.1.0 = OPAQUE: 01 02 03 ");
        assert_eq!(
            op(&[0x9f, 0x78, 4, 0x3f, 0xc0, 0, 0]),
            ".1.3.6.1.2.1.1.1.0 = Opaque: Float: 1.500000"
        );
        let mut double = vec![0x9f, 0x79, 8];
        double.extend_from_slice(&(-0.25f64).to_be_bytes());
        assert_eq!(op(&double), ".1.3.6.1.2.1.1.1.0 = Opaque: Float: -0.250000");
        assert_eq!(
            op(&[
                0x9f, 0x76, 9, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
            ]),
            ".1.3.6.1.2.1.1.1.0 = Opaque: Counter64: 18446744073709551615"
        );
        assert_eq!(
            op(&[0x9f, 0x7a, 1, 0xff]),
            ".1.3.6.1.2.1.1.1.0 = Opaque: Int64: -1"
        );
        assert_eq!(
            op(&[0x9f, 0x7b, 2, 1, 0]),
            ".1.3.6.1.2.1.1.1.0 = Opaque: UInt64: 256"
        );
        // Malformed special values fall back to hex, without panicking.
        assert_eq!(
            op(&[0x9f, 0x78, 4, 1]),
            ".1.3.6.1.2.1.1.1.0 = OPAQUE: 9F 78 04 01 "
        );
        assert_eq!(
            op(&[0x9f, 0x76, 0]),
            ".1.3.6.1.2.1.1.1.0 = OPAQUE: 9F 76 00 "
        );
        assert_eq!(op(&[0x9f]), ".1.3.6.1.2.1.1.1.0 = OPAQUE: 9F ");
        assert_eq!(op(&[]), ".1.3.6.1.2.1.1.1.0 = OPAQUE: ");
    }

    #[test]
    fn json_lines() {
        let j = |value: Value| json(&vb(value));
        assert_eq!(
            j(Value::from("Linux \"x\"\n")),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"STRING","value":"Linux \"x\"\n"}"#
        );
        assert_eq!(
            j(Value::from(&[0xff_u8, 0x0a][..])),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"STRING","value":null,"hex":"ff0a"}"#
        );
        assert_eq!(
            j(Value::Counter64(u64::MAX)),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"Counter64","value":18446744073709551615}"#
        );
        assert_eq!(
            j(Value::Integer(-1)),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"INTEGER","value":-1}"#
        );
        assert_eq!(
            j(Value::TimeTicks(5)),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"Timeticks","value":5}"#
        );
        assert_eq!(
            j(Value::ObjectIdentifier(Oid::from_slice(&[1, 3, 6]))),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"OID","value":"1.3.6"}"#
        );
        assert_eq!(
            j(Value::IpAddress(Ipv4Addr::LOCALHOST)),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"IpAddress","value":"127.0.0.1"}"#
        );
        assert_eq!(
            j(Value::NoSuchObject),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"noSuchObject","value":null}"#
        );
        assert_eq!(
            j(Value::Null),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"NULL","value":null}"#
        );
        assert_eq!(
            j(Value::Opaque(vec![0x9f, 0x78, 4, 0x3f, 0xc0, 0, 0].into())),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"Opaque","value":1.5,"hex":"9f78043fc00000"}"#
        );
        assert_eq!(
            j(Value::Opaque(vec![1].into())),
            r#"{"oid":"1.3.6.1.2.1.1.1.0","type":"Opaque","value":null,"hex":"01"}"#
        );
        for line in [j(Value::from("x")), j(Value::Opaque(vec![].into()))] {
            serde_json::from_str::<serde_json::Value>(&line).unwrap();
        }
    }
}
