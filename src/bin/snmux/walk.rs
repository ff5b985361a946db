//! `snmux walk`: snmpbulkwalk's (and, on SNMPv1, snmpwalk's) output.
//!
//! The library's [`snmux::Walk`] stream yields the object instances of a
//! subtree, but not how the walk ended; net-snmp prints that ending (an
//! exception inside the subtree, `End of MIB` on SNMPv1), so this module
//! drives GETBULK / GETNEXT itself, with the same safeguards as the
//! library's walk: max-repetitions halved on tooBig, and an error instead of
//! a loop when the agent returns an OID that does not increase.

use std::io::Write;

use snmux::{Error, ErrorStatus, Manager, Oid, Version};

use crate::Output;

/// How to walk.
#[derive(Debug, Clone)]
pub(crate) struct WalkOptions {
    /// max-repetitions of each GETBULK (SNMPv2c); 0 counts as 1.
    pub(crate) max_repetitions: u32,
    /// `-Ci`: GET the root and print it before walking.
    pub(crate) include_root: bool,
    /// Unless `-CI`: when the walk printed nothing, GET the root and print
    /// that, so that a scalar's OID walks to its value.
    pub(crate) get_fallback: bool,
    /// `-Cp`: print `Variables found: N` at the end (text output only).
    pub(crate) print_count: bool,
}

/// Walks the subtree under `root` and prints each varbind as it arrives.
///
/// Like net-snmp: an exception (noSuchObject, noSuchInstance,
/// endOfMibView) whose OID is inside the subtree is printed and ends the
/// walk after the rest of its response; on SNMPv1 a noSuchName ends it with
/// `End of MIB`.
///
/// # Errors
///
/// The first error of a request (after what came before it was printed),
/// [`Error::NonIncreasingOid`], or an error writing the output.
pub(crate) async fn walk<W: Write>(
    manager: &Manager,
    root: &Oid,
    options: &WalkOptions,
    out: &mut Output<W>,
) -> anyhow::Result<()> {
    let mut found = 0usize;
    if options.include_root {
        found += get_and_print(manager, root, out).await?;
    }
    let bulk = manager.version() != Version::V1;
    let mut max_repetitions = options.max_repetitions.max(1);
    let mut last = root.clone();
    loop {
        let request = [last.clone()];
        let response = if bulk {
            match manager.get_bulk(0, max_repetitions, &request).await {
                Err(e) if e.error_status() == Some(ErrorStatus::TooBig) && max_repetitions > 1 => {
                    max_repetitions /= 2;
                    tracing::debug!(max_repetitions, "tooBig: fewer repetitions");
                    continue;
                }
                r => r?,
            }
        } else {
            match manager.get_next(&request).await {
                Err(e) if e.error_status() == Some(ErrorStatus::NoSuchName) => {
                    out.note("End of MIB")?;
                    break;
                }
                r => r?,
            }
        };
        if response.is_empty() {
            break;
        }
        // As net-snmp, the whole response is printed, even after the
        // varbind that ends the walk (agents pad GETBULK responses with
        // endOfMibView).
        let mut end = false;
        for vb in response {
            if !vb.oid.starts_with(root) {
                end = true;
                continue;
            }
            out.varbind(&vb)?;
            found += 1;
            if vb.value.is_exception() {
                end = true;
                continue;
            }
            if vb.oid <= last {
                return Err(Error::NonIncreasingOid {
                    target: manager.target(),
                    previous: Box::new(last),
                    next: Box::new(vb.oid),
                }
                .into());
            }
            last = vb.oid;
        }
        if end {
            break;
        }
    }
    if found == 0 && options.get_fallback {
        found += get_and_print(manager, root, out).await?;
    }
    if options.print_count {
        out.note(&format!("Variables found: {found}"))?;
    }
    Ok(())
}

/// GETs `oid` and prints the response, exceptions included; an error
/// status (SNMPv1's noSuchName) prints nothing, as in net-snmp.
async fn get_and_print<W: Write>(
    manager: &Manager,
    oid: &Oid,
    out: &mut Output<W>,
) -> anyhow::Result<usize> {
    match manager.get(std::slice::from_ref(oid)).await {
        Ok(varbinds) => {
            out.varbinds(&varbinds)?;
            Ok(varbinds.len())
        }
        Err(e) if e.error_status().is_some() => Ok(0),
        Err(e) => Err(e.into()),
    }
}
