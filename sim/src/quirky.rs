//! A BER encoder for responses that real devices get wrong on purpose
//! (zero-length INTEGERs, unsigned values without their leading zero
//! octet). Used only by impaired agents; everything else goes through the
//! engine's canonical encoder.

use snmux_engine::{Oid, Pdu, Value, VarBind, Version};

use crate::impair::Impairments;

/// Encodes a Response message as the impairments say.
pub(crate) fn encode(version: Version, community: &[u8], pdu: &Pdu, imp: &Impairments) -> Vec<u8> {
    let mut vbs = Vec::new();
    for vb in &pdu.varbinds {
        let mut content = Vec::new();
        tlv(&mut content, 0x06, &oid(&vb.oid));
        value(&mut content, vb, imp);
        tlv(&mut vbs, 0x30, &content);
    }
    let mut p = Vec::new();
    tlv(&mut p, 0x02, &int(pdu.request_id.into(), false));
    tlv(&mut p, 0x02, &int(pdu.error_status.into(), false));
    tlv(&mut p, 0x02, &int(pdu.error_index.into(), false));
    tlv(&mut p, 0x30, &vbs);
    let mut m = Vec::new();
    tlv(&mut m, 0x02, &int(version.wire().into(), false));
    tlv(&mut m, 0x04, community);
    tlv(&mut m, pdu.pdu_type.tag(), &p);
    let mut out = Vec::new();
    tlv(&mut out, 0x30, &m);
    out
}

fn value(out: &mut Vec<u8>, vb: &VarBind, imp: &Impairments) {
    let unsigned = |v: u32| {
        if imp.unsigned_without_leading_zero && v >= 1 << 31 {
            v.to_be_bytes().to_vec()
        } else {
            uint(v.into())
        }
    };
    match &vb.value {
        Value::Integer(v) => tlv(out, 0x02, &int((*v).into(), imp.zero_length_integer)),
        Value::OctetString(b) => tlv(out, 0x04, b),
        Value::Null => tlv(out, 0x05, &[]),
        Value::ObjectIdentifier(o) => tlv(out, 0x06, &oid(o)),
        Value::IpAddress(ip) => tlv(out, 0x40, &ip.octets()),
        Value::Counter32(v) => tlv(out, 0x41, &unsigned(*v)),
        Value::Gauge32(v) => tlv(out, 0x42, &unsigned(*v)),
        Value::TimeTicks(v) => tlv(out, 0x43, &unsigned(*v)),
        Value::Opaque(b) => tlv(out, 0x44, b),
        Value::Counter64(v) => tlv(out, 0x46, &uint(*v)),
        Value::NoSuchObject => tlv(out, 0x80, &[]),
        Value::NoSuchInstance => tlv(out, 0x81, &[]),
        Value::EndOfMibView => tlv(out, 0x82, &[]),
    }
}

fn tlv(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
}

/// Signed-minimal two's complement; empty for 0 if `zero_empty`.
fn int(v: i64, zero_empty: bool) -> Vec<u8> {
    if v == 0 && zero_empty {
        return Vec::new();
    }
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

/// Unsigned with a leading zero octet when the high bit is set.
fn uint(v: u64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(7);
    let mut out = Vec::with_capacity(9);
    if bytes[skip] & 0x80 != 0 {
        out.push(0);
    }
    out.extend_from_slice(&bytes[skip..]);
    out
}

fn oid(oid: &Oid) -> Vec<u8> {
    let arcs = oid.arcs();
    let mut out = Vec::new();
    let first = match arcs {
        [] => return out,
        [a] => u64::from(*a) * 40,
        [a, b, ..] => u64::from(*a) * 40 + u64::from(*b),
    };
    let mut put = |v: u64| {
        let n = ((64 - v.leading_zeros() as usize).max(1)).div_ceil(7);
        for i in (0..n).rev() {
            let b = ((v >> (7 * i)) & 0x7f) as u8;
            out.push(if i == 0 { b } else { b | 0x80 });
        }
    };
    put(first);
    for &a in arcs.iter().skip(2) {
        put(u64::from(a));
    }
    out
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use snmux_engine::{Message, PduType, oid};

    use super::*;

    fn pdu() -> Pdu {
        Pdu::new(
            PduType::Response,
            70_000,
            vec![
                VarBind::new(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0), "x"),
                VarBind::new(
                    oid!(1, 3, 6, 1, 4, 1, 200_000, 7),
                    Value::Counter32(3_000_000_000),
                ),
                VarBind::new(oid!(1, 3, 6, 1, 2, 1, 2, 1, 0), Value::Integer(-129)),
                VarBind::new(oid!(1, 3, 6, 1, 2, 1, 2, 2, 0), Value::Counter64(u64::MAX)),
            ],
        )
    }

    #[test]
    fn without_quirks_it_is_the_canonical_encoding() {
        let p = pdu();
        let ours = encode(Version::V2c, b"public", &p, &Impairments::none());
        let engine = Message::new(Version::V2c, "public", p).to_vec();
        assert_eq!(ours, engine);
    }

    #[test]
    fn quirks_change_only_what_they_name() {
        let mut p = pdu();
        p.varbinds.push(VarBind::new(
            oid!(1, 3, 6, 1, 2, 1, 2, 3, 0),
            Value::Integer(0),
        ));
        let imp = Impairments::none()
            .zero_length_integer(true)
            .unsigned_without_leading_zero(true);
        let bytes = encode(Version::V2c, b"public", &p, &imp);
        // Counter32 3e9 in four octets; INTEGER 0 with none.
        assert!(
            bytes
                .windows(6)
                .any(|w| w == [0x41, 0x04, 0xb2, 0xd0, 0x5e, 0x00])
        );
        assert!(bytes.ends_with(&[0x02, 0x00]));
        // The engine decodes the zero-length INTEGER as 0 (lenient), and
        // the 4-octet Counter32 with its high bit as a large unsigned.
        let m = Message::decode(&Bytes::from(bytes)).expect("lenient decode");
        let snmux_engine::AnyPdu::Pdu(d) = m.pdu else {
            panic!("a PDU")
        };
        assert_eq!(d.varbinds[4].value, Value::Integer(0));
    }
}
