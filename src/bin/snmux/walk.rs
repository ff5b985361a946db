//! `snmux walk`: snmpbulkwalk's (and, on SNMPv1, snmpwalk's) output.
//!
//! The walk is the library's [`snmux::Walk`]; this module prints its
//! varbinds as they arrive, then what net-snmp prints of how it ended
//! ([`Walk::end`]): the exception varbinds inside the subtree, or
//! `End of MIB` on SNMPv1.

use std::io::Write;

use futures::StreamExt;

use snmux::{Error, Manager, Oid, Walk, WalkEnd};

use crate::Output;

/// How to walk. max-repetitions is the manager's
/// ([`snmux::ManagerBuilder::max_repetitions`]).
#[derive(Debug, Clone)]
pub(crate) struct WalkOptions {
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
/// [`Error::NonIncreasingOid`] (after the offending varbind, as net-snmp
/// prints it), or an error writing the output.
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
    let mut walk = manager.walk(root.clone());
    found += print_walk(&mut walk, out).await?;
    if found == 0 && options.get_fallback {
        found += get_and_print(manager, root, out).await?;
    }
    if options.print_count {
        out.note(&format!("Variables found: {found}"))?;
    }
    Ok(())
}

/// Prints the varbinds of `walk` and its ending; returns how many varbinds
/// it printed.
async fn print_walk<W: Write>(walk: &mut Walk, out: &mut Output<W>) -> anyhow::Result<usize> {
    let mut found = 0;
    while let Some(next) = walk.next().await {
        match next {
            Ok(vb) => {
                out.varbind(&vb)?;
                found += 1;
            }
            Err(e @ Error::NonIncreasingOid { .. }) => {
                if let Error::NonIncreasingOid { next, .. } = &e {
                    out.varbind(next)?;
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    match walk.end() {
        Some(WalkEnd::Exception(varbinds)) => {
            out.varbinds(varbinds)?;
            found += varbinds.len();
        }
        Some(WalkEnd::NoSuchName) => out.note("End of MIB")?,
        _ => {}
    }
    Ok(found)
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
