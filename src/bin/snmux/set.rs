//! Values of `snmux set`, from snmpset's `TYPE VALUE` pairs.

use std::net::Ipv4Addr;

use snmux::{Oid, Value};

/// The type letters, for help and error messages.
pub(crate) const TYPE_LETTERS: &str = "\
    i INTEGER, u Unsigned32/Gauge32, t TimeTicks, c Counter32, C Counter64, \
    a IpAddress, o OBJECT IDENTIFIER, s STRING, x hex STRING, d decimal STRING, \
    b BITS, n NULL";

/// The most bits a `b` value may name (8 KiB of octets).
const MAX_BIT: u32 = 65_535;

/// The value `text` of type `letter`, as snmpset reads it.
///
/// # Errors
///
/// A message naming the type and the expected form.
pub(crate) fn parse_value(letter: &str, text: &str) -> Result<Value, String> {
    let bad = |what: &str| format!("bad value {text:?} for type {letter}: expected {what}");
    match letter {
        "i" => text
            .parse::<i32>()
            .map(Value::Integer)
            .map_err(|_| bad("an INTEGER from -2147483648 to 2147483647")),
        "u" => parse_u32(text)
            .map(Value::Gauge32)
            .ok_or_else(|| bad("an Unsigned32 from 0 to 4294967295")),
        "t" => parse_u32(text)
            .map(Value::TimeTicks)
            .ok_or_else(|| bad("TimeTicks (hundredths of a second) from 0 to 4294967295")),
        "c" => parse_u32(text)
            .map(Value::Counter32)
            .ok_or_else(|| bad("a Counter32 from 0 to 4294967295")),
        "C" => text
            .parse::<u64>()
            .map(Value::Counter64)
            .map_err(|_| bad("a Counter64 from 0 to 18446744073709551615")),
        "a" => text
            .parse::<Ipv4Addr>()
            .map(Value::IpAddress)
            .map_err(|_| bad("an IPv4 address such as 192.0.2.1")),
        "o" => text
            .parse::<Oid>()
            .map(Value::ObjectIdentifier)
            .map_err(|e| bad(&format!("a numeric OID ({e})"))),
        "s" => Ok(Value::from(text)),
        "x" => hex(text)
            .map(|b| Value::from(&b[..]))
            .ok_or_else(|| bad("hex bytes such as \"0A 1b\" or \"0a1b\"")),
        "d" => decimal(text)
            .map(|b| Value::from(&b[..]))
            .ok_or_else(|| bad("decimal bytes (0-255) such as \"10.0.0.1\" or \"10 0 0 1\"")),
        "b" => bits(text).map(|b| Value::from(&b[..])).ok_or_else(|| {
            bad(&format!(
                "bit numbers (0-{MAX_BIT}) separated by commas or spaces, such as \"0,3\""
            ))
        }),
        "n" => Ok(Value::Null),
        other => Err(format!(
            "unknown type {other:?} (one of: {TYPE_LETTERS}); \
             net-snmp's Opaque types U, I, F, D are not supported"
        )),
    }
}

/// A decimal `u32` (no sign).
fn parse_u32(text: &str) -> Option<u32> {
    if text.starts_with('+') {
        return None;
    }
    text.parse().ok()
}

/// Hex digits in pairs, optionally separated by whitespace, with an optional
/// `0x` prefix: `"0A 1b"`, `"0a1b"`, `"0x0a1b"`. An empty string is no
/// bytes.
fn hex(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let text = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    let mut out = Vec::new();
    for group in text.split_ascii_whitespace() {
        if group.len() % 2 != 0 || !group.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        for pair in group.as_bytes().chunks(2) {
            let pair = std::str::from_utf8(pair).ok()?;
            out.push(u8::from_str_radix(pair, 16).ok()?);
        }
    }
    Some(out)
}

/// Decimal byte values separated by dots or whitespace.
fn decimal(text: &str) -> Option<Vec<u8>> {
    text.split(|c: char| c == '.' || c.is_ascii_whitespace())
        .filter(|part| !part.is_empty())
        .map(|part| {
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse::<u8>().ok()
            } else {
                None
            }
        })
        .collect()
}

/// BITS: the numbers of the bits that are set, bit 0 being the most
/// significant bit of the first octet (RFC 2578 §7.1.4).
fn bits(text: &str) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::new();
    for part in text
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .filter(|part| !part.is_empty())
    {
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let bit: u32 = part.parse().ok().filter(|&b| b <= MAX_BIT)?;
        let byte = usize::try_from(bit / 8).ok()?;
        if out.len() <= byte {
            out.resize(byte + 1, 0);
        }
        out[byte] |= 0x80 >> (bit % 8);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use snmux::oid;

    use super::*;

    #[test]
    fn letters() {
        assert_eq!(parse_value("i", "-5"), Ok(Value::Integer(-5)));
        assert_eq!(parse_value("u", "4294967295"), Ok(Value::Gauge32(u32::MAX)));
        assert_eq!(parse_value("t", "100"), Ok(Value::TimeTicks(100)));
        assert_eq!(parse_value("c", "1"), Ok(Value::Counter32(1)));
        assert_eq!(
            parse_value("C", "18446744073709551615"),
            Ok(Value::Counter64(u64::MAX))
        );
        assert_eq!(
            parse_value("a", "192.0.2.1"),
            Ok(Value::IpAddress(Ipv4Addr::new(192, 0, 2, 1)))
        );
        assert_eq!(
            parse_value("o", ".1.3.6.1"),
            Ok(Value::ObjectIdentifier(oid!(1, 3, 6, 1)))
        );
        assert_eq!(
            parse_value("s", "ops@example.net"),
            Ok(Value::from("ops@example.net"))
        );
        assert_eq!(parse_value("s", ""), Ok(Value::from("")));
        assert_eq!(parse_value("n", "whatever"), Ok(Value::Null));
    }

    #[test]
    fn octets() {
        let bytes = |v: Value| v.as_bytes().map(<[u8]>::to_vec);
        assert_eq!(
            parse_value("x", "0A 1b").map(bytes),
            Ok(Some(vec![0x0a, 0x1b]))
        );
        assert_eq!(
            parse_value("x", "0a1b").map(bytes),
            Ok(Some(vec![0x0a, 0x1b]))
        );
        assert_eq!(
            parse_value("x", "0x0a1b ff").map(bytes),
            Ok(Some(vec![0x0a, 0x1b, 0xff]))
        );
        assert_eq!(parse_value("x", "").map(bytes), Ok(Some(vec![])));
        assert_eq!(
            parse_value("d", "10.0.0.255").map(bytes),
            Ok(Some(vec![10, 0, 0, 255]))
        );
        assert_eq!(parse_value("d", "1 2").map(bytes), Ok(Some(vec![1, 2])));
        assert_eq!(
            parse_value("b", "0,9").map(bytes),
            Ok(Some(vec![0x80, 0x40]))
        );
        assert_eq!(parse_value("b", "").map(bytes), Ok(Some(vec![])));
    }

    #[test]
    fn errors() {
        for (letter, text) in [
            ("i", "2147483648"),
            ("i", "five"),
            ("u", "-1"),
            ("u", "+1"),
            ("t", "4294967296"),
            ("C", "-1"),
            ("a", "::1"),
            ("a", "192.0.2"),
            ("o", "1.3.x"),
            ("x", "abc"),
            ("x", "0g"),
            ("x", "é"),
            ("d", "256"),
            ("d", "1.-2"),
            ("b", "65536"),
            ("b", "-1"),
            ("q", "1"),
            ("", "1"),
            ("F", "1.5"),
        ] {
            let err = parse_value(letter, text).unwrap_err();
            assert!(!err.contains('\n'), "{err}");
        }
        assert_eq!(
            parse_value("i", "x").unwrap_err(),
            "bad value \"x\" for type i: expected an INTEGER from -2147483648 to 2147483647"
        );
    }
}
