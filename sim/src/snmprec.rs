//! snmprec recordings, the data format of the snmpsim project: one file
//! per device, one `OID|TAG|VALUE` line per object instance.
//!
//! The grammar is snmpsim's (`snmpsim/grammar/snmprec.py`,
//! `snmpsim/record/snmprec.py`):
//!
//! - Each line is stripped of surrounding white space; blank lines and
//!   lines starting with `#` are skipped.
//! - The line splits at its first two `|`: the OID (dotted decimal, a
//!   leading dot allowed), the tag, and the value (which may itself contain
//!   `|`).
//! - The tag is the sum of the BER tag's class, form and number, as snmpsim
//!   writes it: `2` INTEGER, `4` OCTET STRING, `5` NULL, `6` OBJECT
//!   IDENTIFIER, `64` IpAddress, `65` Counter32, `66` Gauge32, `67`
//!   TimeTicks, `68` Opaque, `70` Counter64, and the exceptions `128`
//!   noSuchObject, `129` noSuchInstance, `130` endOfMibView.
//! - A tag ending in `x` (`4x`, `64x`, `68x`) means the value is hex
//!   (`4x|0a0b0c`): the octets of an OCTET STRING, Opaque or IpAddress, or
//!   the big-endian octets of an integer type.
//! - A tag with a variation module (`2:numeric`, `4:writecache`) names
//!   snmpsim's Python plug-ins, which this simulator does not run. Two are
//!   served in a fixed way: `numeric` serves its `initial` (else `min`,
//!   else 0) as a static value, and `writecache` serves its `value=` and
//!   accepts SETs of the same type (snmpsim's way of making an object
//!   writable). Every other module, and subtree lines (a tag with no type,
//!   `:module`), are rejected with [`SnmprecErrorKind::UnsupportedVariation`]
//!   naming the file and line.
//!
//! Every other object is read-only. The community of a recording is its
//! path under the data directory without the `.snmprec` extension, with
//! `/` between directories (`UPS/apc-7902b`), as snmpsim names them.

use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use snmux_engine::{Oid, ParseOidError, Value};

use crate::Error;
use crate::mib::{Cell, Mib};

/// The file extension of recordings.
pub const EXTENSION: &str = "snmprec";

/// A recording: the objects of one device, loaded from an snmprec file.
///
/// Cheap to clone (the objects are shared). Serve it with
/// [`Agent::recording`](crate::Agent::recording).
///
/// # Examples
///
/// ```
/// use snmux::sim::Recording;
///
/// let rec = Recording::parse(
///     "demo/ups",
///     "1.3.6.1.2.1.1.1.0|4|APC Web/SNMP Management Card\n\
///      1.3.6.1.2.1.1.3.0|67|123456\n\
///      ## hex: an OCTET STRING that ends in a space\n\
///      1.3.6.1.2.1.1.5.0|4x|7570732d3120\n",
/// )?;
/// assert_eq!(rec.name(), "demo/ups");
/// assert_eq!(rec.len(), 3);
/// # Ok::<(), snmux::sim::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Recording {
    name: String,
    mib: Arc<Mib>,
}

impl Recording {
    /// Parses the text of a recording named `name` (its community); errors
    /// name the file as `name`.
    ///
    /// # Errors
    ///
    /// [`Error::Snmprec`] for the first bad line.
    pub fn parse(name: impl Into<String>, text: &str) -> Result<Recording, Error> {
        let name = name.into();
        let mib = parse(Path::new(&name), text.as_bytes())?;
        Ok(Recording {
            name,
            mib: Arc::new(mib),
        })
    }

    /// Loads the recording at `path`, named `name`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be read, [`Error::Snmprec`] for the
    /// first bad line.
    pub fn load(path: impl AsRef<Path>, name: impl Into<String>) -> Result<Recording, Error> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| Error::Io {
            path: path.to_owned(),
            source,
        })?;
        let mib = parse(path, &bytes)?;
        Ok(Recording {
            name: name.into(),
            mib: Arc::new(mib),
        })
    }

    /// Loads every `*.snmprec` file under `dir` (recursively, following
    /// symbolic links), named as snmpsim names them, in name order.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if a directory or file cannot be read,
    /// [`Error::Snmprec`] for the first bad line,
    /// [`Error::NoRecordings`] if there is none.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<Vec<Recording>, Error> {
        let dir = dir.as_ref();
        let mut files = Vec::new();
        collect(dir, dir, &mut files, 0)?;
        files.sort();
        if files.is_empty() {
            return Err(Error::NoRecordings(dir.to_owned()));
        }
        files
            .into_iter()
            .map(|(name, path)| Recording::load(path, name))
            .collect()
    }

    /// The recordings built into the simulator: `UPS/apc-smart-ups`, an
    /// APC Smart-UPS with a network management card (system group, ifTable,
    /// ifXTable, ipAddrTable, UPS-MIB and PowerNet-MIB objects, every
    /// snmprec tag type; sysContact, sysName and sysLocation writable).
    pub fn builtin() -> Vec<Recording> {
        const UPS: &str = include_str!("../data/UPS/apc-smart-ups.snmprec");
        vec![Recording::parse("UPS/apc-smart-ups", UPS).expect("the built-in recording parses")]
    }

    /// The recording's name: its community.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The number of object instances.
    pub fn len(&self) -> usize {
        self.mib.len()
    }

    /// Whether the recording has no objects.
    pub fn is_empty(&self) -> bool {
        self.mib.len() == 0
    }

    /// The recorded instances and their values in OID order (writable ones
    /// with their initial value).
    pub fn objects(&self) -> impl Iterator<Item = (&Oid, &Value)> + '_ {
        self.mib
            .entries()
            .iter()
            .filter_map(|(oid, cell)| match cell {
                Cell::Static(v) => Some((oid, v)),
                Cell::Writable(slot) => self.mib.writable.get(*slot as usize).map(|v| (oid, v)),
                _ => None,
            })
    }

    pub(crate) fn mib(&self) -> Arc<Mib> {
        self.mib.clone()
    }
}

/// Directory depth beyond which recordings are not looked for (a symbolic
/// link loop ends here).
const MAX_DEPTH: usize = 32;

fn collect(
    root: &Path,
    dir: &Path,
    out: &mut Vec<(String, PathBuf)>,
    depth: usize,
) -> Result<(), Error> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| Error::Io { path, source }
    };
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let path = entry.map_err(io(dir))?.path();
        // fs::metadata follows symbolic links, as snmpsim does.
        let meta = fs::metadata(&path).map_err(io(&path))?;
        if meta.is_dir() {
            collect(root, &path, out, depth + 1)?;
        } else if meta.is_file() && path.extension().is_some_and(|e| e == EXTENSION) {
            let rel = path.strip_prefix(root).unwrap_or(&path).with_extension("");
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            out.push((name, path));
        }
    }
    Ok(())
}

/// What is wrong with a line of a recording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnmprecErrorKind {
    /// The line has fewer than two `|`.
    #[error("not an OID|TAG|VALUE line")]
    MissingField,
    /// The OID does not parse.
    #[error("bad OID: {0}")]
    Oid(ParseOidError),
    /// The tag is not one of snmpsim's.
    #[error("unknown tag {0:?}")]
    UnknownTag(String),
    /// The value does not fit the tag.
    #[error("value {value:?} is not a valid {tag}")]
    Value {
        /// The type the tag names.
        tag: &'static str,
        /// The value, as written (cut at 64 characters).
        value: String,
    },
    /// The value of an `x` tag is not an even number of hex digits.
    #[error("value {0:?} is not hex")]
    Hex(String),
    /// A variation module this simulator does not run.
    #[error(
        "variation module {0:?} is not supported (only numeric and writecache are; \
         see the snmux_sim::snmprec docs)"
    )]
    UnsupportedVariation(String),
}

/// Parses a whole recording.
pub(crate) fn parse(path: &Path, text: &[u8]) -> Result<Mib, Error> {
    let mut entries = Vec::new();
    let mut writable = Vec::new();
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        let line = raw.trim_ascii();
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let (oid, cell) = parse_line(line, &mut writable).map_err(|kind| Error::Snmprec {
            file: path.to_owned(),
            line: i + 1,
            kind,
        })?;
        entries.push((oid, cell));
    }
    Ok(Mib::new(entries, [], writable))
}

fn parse_line(line: &[u8], writable: &mut Vec<Value>) -> Result<(Oid, Cell), SnmprecErrorKind> {
    let mut fields = line.splitn(3, |&b| b == b'|');
    let (Some(oid), Some(tag), Some(value)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(SnmprecErrorKind::MissingField);
    };
    let oid = std::str::from_utf8(oid)
        .map_err(|_| SnmprecErrorKind::MissingField)?
        .trim()
        .parse::<Oid>()
        .map_err(SnmprecErrorKind::Oid)?;
    let tag = String::from_utf8_lossy(tag).trim().to_owned();
    let (ty, module) = match tag.split_once(':') {
        Some((ty, module)) => (ty, Some(module)),
        None => (tag.as_str(), None),
    };
    if ty.is_empty() {
        // A subtree served by a module.
        return Err(SnmprecErrorKind::UnsupportedVariation(
            module.unwrap_or_default().to_owned(),
        ));
    }
    let (ty, hex) = match ty.strip_suffix('x') {
        Some(t) => (t, true),
        None => (ty, false),
    };
    let ty: u8 = ty
        .parse()
        .ok()
        .filter(|t| TAGS.contains(t))
        .ok_or_else(|| SnmprecErrorKind::UnknownTag(tag.clone()))?;
    match module {
        None => Ok((oid, Cell::Static(value_of(ty, hex, value)?))),
        Some("numeric") => {
            let options = options(value);
            let initial = ["initial", "min"]
                .iter()
                .find_map(|k| options.iter().find(|(key, _)| key == k).map(|(_, v)| *v))
                .unwrap_or(b"0");
            // numeric's settings are floats; serve the integer part.
            let initial = match initial.iter().position(|&b| b == b'.') {
                Some(dot) => &initial[..dot],
                None => initial,
            };
            Ok((oid, Cell::Static(value_of(ty, false, initial)?)))
        }
        Some("writecache") => {
            let v = match value.strip_prefix(b"value=") {
                Some(v) => v,
                None => find_sub(value, b",value=").map_or(&b""[..], |at| &value[at + 7..]),
            };
            let slot = writable.len() as u32;
            writable.push(value_of(ty, hex, v)?);
            Ok((oid, Cell::Writable(slot)))
        }
        Some(other) => Err(SnmprecErrorKind::UnsupportedVariation(other.to_owned())),
    }
}

const TAGS: [u8; 13] = [2, 4, 5, 6, 64, 65, 66, 67, 68, 70, 128, 129, 130];

fn options(value: &[u8]) -> Vec<(String, &[u8])> {
    value
        .split(|&b| b == b',')
        .filter_map(|kv| {
            let eq = kv.iter().position(|&b| b == b'=')?;
            Some((
                String::from_utf8_lossy(&kv[..eq]).into_owned(),
                &kv[eq + 1..],
            ))
        })
        .collect()
}

fn find_sub(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn value_of(tag: u8, hex: bool, text: &[u8]) -> Result<Value, SnmprecErrorKind> {
    let name = tag_name(tag);
    let bad = || SnmprecErrorKind::Value {
        tag: name,
        value: String::from_utf8_lossy(&text[..text.len().min(64)]).into_owned(),
    };
    let bytes: Bytes = if hex {
        Bytes::from(unhex(text).ok_or_else(|| {
            SnmprecErrorKind::Hex(String::from_utf8_lossy(&text[..text.len().min(64)]).into_owned())
        })?)
    } else {
        Bytes::copy_from_slice(text)
    };
    let number = || -> Result<i128, SnmprecErrorKind> {
        if hex {
            if bytes.len() > 9 {
                return Err(bad());
            }
            // Big-endian; signed for INTEGER.
            let mut v: i128 = if tag == 2 && bytes.first().is_some_and(|b| b & 0x80 != 0) {
                -1
            } else {
                0
            };
            for &b in bytes.iter() {
                v = (v << 8) | i128::from(b);
            }
            Ok(v)
        } else {
            std::str::from_utf8(text)
                .ok()
                .and_then(|s| s.trim().parse::<i128>().ok())
                .ok_or_else(bad)
        }
    };
    let u32_of = |v: i128| u32::try_from(v).map_err(|_| bad());
    Ok(match tag {
        2 => Value::Integer(i32::try_from(number()?).map_err(|_| bad())?),
        4 => Value::OctetString(bytes),
        5 => Value::Null,
        6 => {
            if hex {
                return Err(bad());
            }
            let s = std::str::from_utf8(text).map_err(|_| bad())?;
            Value::ObjectIdentifier(s.trim().parse().map_err(|_| bad())?)
        }
        64 => {
            if hex {
                let octets: [u8; 4] = bytes[..].try_into().map_err(|_| bad())?;
                Value::IpAddress(Ipv4Addr::from(octets))
            } else {
                let s = std::str::from_utf8(text).map_err(|_| bad())?;
                Value::IpAddress(s.trim().parse().map_err(|_| bad())?)
            }
        }
        65 => Value::Counter32(u32_of(number()?)?),
        66 => Value::Gauge32(u32_of(number()?)?),
        67 => Value::TimeTicks(u32_of(number()?)?),
        68 => Value::Opaque(bytes),
        70 => Value::Counter64(u64::try_from(number()?).map_err(|_| bad())?),
        128 => Value::NoSuchObject,
        129 => Value::NoSuchInstance,
        _ => Value::EndOfMibView,
    })
}

fn tag_name(tag: u8) -> &'static str {
    match tag {
        2 => "INTEGER (2)",
        4 => "OCTET STRING (4)",
        5 => "NULL (5)",
        6 => "OBJECT IDENTIFIER (6)",
        64 => "IpAddress (64)",
        65 => "Counter32 (65)",
        66 => "Gauge32 (66)",
        67 => "TimeTicks (67)",
        68 => "Opaque (68)",
        70 => "Counter64 (70)",
        128 => "noSuchObject (128)",
        129 => "noSuchInstance (129)",
        _ => "endOfMibView (130)",
    }
}

fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    let text = text.trim_ascii();
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    text.chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// The snmprec line of one object, as snmpsim writes it: OCTET STRING,
/// Opaque and IpAddress values in hex when they hold anything but ASCII
/// letters and digits.
pub fn format_line(oid: &Oid, value: &Value) -> String {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let plain = |b: &[u8]| b.iter().all(|c| c.is_ascii_alphanumeric());
    match value {
        Value::Integer(v) => format!("{oid}|2|{v}"),
        Value::OctetString(b) if plain(b) => {
            format!("{oid}|4|{}", String::from_utf8_lossy(b))
        }
        Value::OctetString(b) => format!("{oid}|4x|{}", hex(b)),
        Value::Null => format!("{oid}|5|"),
        Value::ObjectIdentifier(o) => format!("{oid}|6|{o}"),
        Value::IpAddress(ip) => format!("{oid}|64x|{}", hex(&ip.octets())),
        Value::Counter32(v) => format!("{oid}|65|{v}"),
        Value::Gauge32(v) => format!("{oid}|66|{v}"),
        Value::TimeTicks(v) => format!("{oid}|67|{v}"),
        Value::Opaque(b) => format!("{oid}|68x|{}", hex(b)),
        Value::Counter64(v) => format!("{oid}|70|{v}"),
        Value::NoSuchObject => format!("{oid}|128|"),
        Value::NoSuchInstance => format!("{oid}|129|"),
        Value::EndOfMibView => format!("{oid}|130|"),
    }
}

#[cfg(test)]
mod tests {
    use snmux_engine::oid;

    use super::*;

    fn values(text: &str) -> Vec<(Oid, Value)> {
        Recording::parse("t", text)
            .unwrap()
            .objects()
            .map(|(o, v)| (o.clone(), v.clone()))
            .collect()
    }

    fn error(text: &str) -> (usize, SnmprecErrorKind) {
        match Recording::parse("dir/t", text) {
            Err(Error::Snmprec { file, line, kind }) => {
                assert_eq!(file, Path::new("dir/t"));
                (line, kind)
            }
            other => panic!("expected an snmprec error, got {other:?}"),
        }
    }

    #[test]
    fn every_tag() {
        let v = values(
            "# comment\n\n\
             1.3.6.1.2.1.1.1.0|4|Linux box | with a bar\r\n\
             .1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.8072.3.2.10\n\
             1.3.6.1.2.1.1.3.0|67|4294967295\n\
             1.3.6.1.2.1.1.7.0|2|-72\n\
             1.3.6.1.2.1.4.20.1.1.10.0.0.1|64|10.0.0.1\n\
             1.3.6.1.2.1.4.20.1.1.10.0.0.2|64x|0a000002\n\
             1.3.6.1.2.1.2.2.1.10.1|65|123\n\
             1.3.6.1.2.1.2.2.1.5.1|66|1000000000\n\
             1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615\n\
             1.3.6.1.2.1.9.1|68x|9f780441200000\n\
             1.3.6.1.2.1.9.2|5|\n\
             1.3.6.1.2.1.9.3|4x|00ff20\n\
             1.3.6.1.2.1.9.4|128|\n\
             1.3.6.1.2.1.9.5|129|\n\
             1.3.6.1.2.1.9.6|130|\n\
             1.3.6.1.2.1.9.7|2:numeric|rate=1,initial=42.5,min=3\n\
             1.3.6.1.2.1.9.8|4:writecache|value=hello,world\n\
             1.3.6.1.2.1.9.9|2x|ff\n",
        );
        let get = |o: Oid| {
            v.iter()
                .find(|(k, _)| *k == o)
                .map(|(_, x)| x.clone())
                .unwrap()
        };
        assert_eq!(
            get(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)).as_str(),
            Some("Linux box | with a bar")
        );
        assert_eq!(
            get(oid!(1, 3, 6, 1, 2, 1, 1, 2, 0)),
            Value::ObjectIdentifier(oid!(1, 3, 6, 1, 4, 1, 8072, 3, 2, 10))
        );
        assert_eq!(
            get(oid!(1, 3, 6, 1, 2, 1, 1, 3, 0)),
            Value::TimeTicks(u32::MAX)
        );
        assert_eq!(get(oid!(1, 3, 6, 1, 2, 1, 1, 7, 0)), Value::Integer(-72));
        assert_eq!(
            get(oid!(1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 10, 0, 0, 2)),
            Value::IpAddress(Ipv4Addr::new(10, 0, 0, 2))
        );
        assert_eq!(
            get(oid!(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)),
            Value::Counter64(u64::MAX)
        );
        assert_eq!(
            get(oid!(1, 3, 6, 1, 2, 1, 9, 1)),
            Value::Opaque(Bytes::from_static(&[0x9f, 0x78, 0x04, 0x41, 0x20, 0, 0]))
        );
        assert_eq!(get(oid!(1, 3, 6, 1, 2, 1, 9, 2)), Value::Null);
        assert_eq!(
            get(oid!(1, 3, 6, 1, 2, 1, 9, 3)),
            Value::OctetString(Bytes::from_static(&[0, 0xff, 0x20]))
        );
        assert_eq!(get(oid!(1, 3, 6, 1, 2, 1, 9, 6)), Value::EndOfMibView);
        assert_eq!(get(oid!(1, 3, 6, 1, 2, 1, 9, 7)), Value::Integer(42));
        assert_eq!(
            get(oid!(1, 3, 6, 1, 2, 1, 9, 8)).as_str(),
            Some("hello,world")
        );
        assert_eq!(get(oid!(1, 3, 6, 1, 2, 1, 9, 9)), Value::Integer(-1));
        assert_eq!(v.len(), 18);
    }

    #[test]
    fn bad_lines_name_their_line() {
        assert_eq!(error("1.3.6.1.2.1.1.1.0|4|ok\n1.3.6|4\n").0, 2);
        assert_eq!(error("1.3.6|4\n").1, SnmprecErrorKind::MissingField);
        assert!(matches!(error("1.3.x|4|a").1, SnmprecErrorKind::Oid(_)));
        assert_eq!(
            error("1.3.6|99|a").1,
            SnmprecErrorKind::UnknownTag("99".into())
        );
        assert!(matches!(
            error("1.3.6|2|4294967296").1,
            SnmprecErrorKind::Value { .. }
        ));
        assert!(matches!(
            error("1.3.6|65|-1").1,
            SnmprecErrorKind::Value { .. }
        ));
        assert!(matches!(
            error("1.3.6|64|10.0.0").1,
            SnmprecErrorKind::Value { .. }
        ));
        assert!(matches!(error("1.3.6|4x|abc").1, SnmprecErrorKind::Hex(_)));
        assert_eq!(
            error("1.3.6|2:sql|x").1,
            SnmprecErrorKind::UnsupportedVariation("sql".into())
        );
        assert_eq!(
            error("# c\n\n1.3.6|:redis|x").0,
            3,
            "comments and blank lines count as lines"
        );
        let message = Recording::parse("UPS/x", "1.3.6|99|a")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("UPS/x") && message.contains(":1"),
            "{message}"
        );
    }

    #[test]
    fn format_line_round_trips() {
        let values = [
            Value::Integer(-5),
            Value::from("Linux box"),
            Value::from("plain"),
            Value::Null,
            Value::ObjectIdentifier(oid!(1, 3, 6, 1)),
            Value::IpAddress(Ipv4Addr::new(192, 0, 2, 1)),
            Value::Counter32(7),
            Value::Gauge32(8),
            Value::TimeTicks(9),
            Value::Opaque(Bytes::from_static(&[1, 2])),
            Value::Counter64(1 << 40),
        ];
        let lines: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| format_line(&oid!(1, 3, 6, 1, 9).child(i as u32), v))
            .collect();
        let parsed: Vec<Value> = Recording::parse("t", &lines.join("\n"))
            .unwrap()
            .objects()
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(parsed, values);
    }
}
