//! The objects an agent serves: a sorted `Vec` of (OID, cell), searched by
//! binary search for GET, GETNEXT and GETBULK.

use std::collections::HashSet;

use snmux_engine::{Oid, Value};

/// What an object instance holds.
#[derive(Debug, Clone)]
pub(crate) enum Cell {
    /// A read-only value.
    Static(Value),
    /// A writable value: the index of its slot in the agent's state (the
    /// initial value is [`Mib::writable`]`[slot]`).
    Writable(u32),
    /// A column of a PDU profile's outlet table: the column's index in the
    /// profile and the outlet's number (1-based).
    Outlet { column: u16, outlet: u32 },
    /// A scalar of a PDU profile: its index in the profile.
    Scalar(u16),
    /// sysUpTime.0: the time since the agent started.
    Uptime,
}

/// The objects of one agent, sorted by OID. Shared (`Arc`) by the agents of
/// one recording or of one profile and outlet count.
#[derive(Debug, Default)]
pub(crate) struct Mib {
    entries: Vec<(Oid, Cell)>,
    /// The object types (columns and scalars) the instances belong to: a GET
    /// of a missing instance under one of them is noSuchInstance, anything
    /// else noSuchObject (net-snmp's distinction).
    objects: HashSet<Oid>,
    /// The initial values of the writable slots.
    pub(crate) writable: Vec<Value>,
}

/// The result of looking an OID up for GET.
pub(crate) enum Lookup<'a> {
    Found(&'a Cell),
    NoSuchObject,
    NoSuchInstance,
}

impl Mib {
    /// A MIB of `entries` (any order; of two entries with one OID the last
    /// wins). Each instance's parent OID counts as its object type, and so
    /// does every OID of `objects`.
    pub(crate) fn new(
        mut entries: Vec<(Oid, Cell)>,
        objects: impl IntoIterator<Item = Oid>,
        writable: Vec<Value>,
    ) -> Mib {
        // A stable sort keeps the file order of duplicates; keep the last.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut deduped: Vec<(Oid, Cell)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match deduped.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => deduped.push(entry),
            }
        }
        let mut set: HashSet<Oid> = objects.into_iter().collect();
        let mut previous: Option<Oid> = None;
        for (oid, _) in &deduped {
            if let Some(parent) = oid.parent() {
                // Consecutive instances mostly share their parent.
                if previous.as_ref() != Some(&parent) {
                    set.insert(parent.clone());
                    previous = Some(parent);
                }
            }
        }
        Mib {
            entries: deduped,
            objects: set,
            writable,
        }
    }

    /// The number of object instances.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The instance at `index` in OID order.
    pub(crate) fn entry(&self, index: usize) -> Option<&(Oid, Cell)> {
        self.entries.get(index)
    }

    /// The instances in OID order.
    pub(crate) fn entries(&self) -> &[(Oid, Cell)] {
        &self.entries
    }

    /// GET: the instance at `oid`.
    pub(crate) fn lookup(&self, oid: &Oid) -> Lookup<'_> {
        match self.entries.binary_search_by(|(o, _)| o.cmp(oid)) {
            Ok(i) => Lookup::Found(&self.entries[i].1),
            Err(_) => {
                let arcs = oid.arcs();
                let under_object = (1..=arcs.len()).any(|k| {
                    Oid::try_from_slice(&arcs[..k]).is_ok_and(|p| self.objects.contains(&p))
                });
                if under_object {
                    Lookup::NoSuchInstance
                } else {
                    Lookup::NoSuchObject
                }
            }
        }
    }

    /// The index of the first instance after `oid` (GETNEXT); `len()` past
    /// the end.
    pub(crate) fn next_index(&self, oid: &Oid) -> usize {
        self.entries.partition_point(|(o, _)| o <= oid)
    }
}

#[cfg(test)]
mod tests {
    use snmux_engine::oid;

    use super::*;

    fn mib() -> Mib {
        Mib::new(
            vec![
                (
                    oid!(1, 3, 6, 1, 2, 1, 1, 5, 0),
                    Cell::Static(Value::from("b")),
                ),
                (
                    oid!(1, 3, 6, 1, 2, 1, 1, 1, 0),
                    Cell::Static(Value::from("a")),
                ),
                (
                    oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1),
                    Cell::Static(Value::from("eth0")),
                ),
                (
                    oid!(1, 3, 6, 1, 2, 1, 1, 5, 0),
                    Cell::Static(Value::from("c")),
                ),
            ],
            [],
            Vec::new(),
        )
    }

    #[test]
    fn sorted_and_the_last_duplicate_wins() {
        let mib = mib();
        assert_eq!(mib.len(), 3);
        assert_eq!(mib.entry(0).unwrap().0, oid!(1, 3, 6, 1, 2, 1, 1, 1, 0));
        match mib.lookup(&oid!(1, 3, 6, 1, 2, 1, 1, 5, 0)) {
            Lookup::Found(Cell::Static(v)) => assert_eq!(v.as_str(), Some("c")),
            _ => panic!("sysName.0 is there"),
        }
    }

    #[test]
    fn missing_instances_and_objects_as_net_snmp_tells_them_apart() {
        let mib = mib();
        let instance = |o: Oid| matches!(mib.lookup(&o), Lookup::NoSuchInstance);
        let object = |o: Oid| matches!(mib.lookup(&o), Lookup::NoSuchObject);
        assert!(instance(oid!(1, 3, 6, 1, 2, 1, 1, 1)));
        assert!(instance(oid!(1, 3, 6, 1, 2, 1, 1, 1, 0, 1)));
        assert!(instance(oid!(1, 3, 6, 1, 2, 1, 1, 1, 1)));
        assert!(instance(oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 999)));
        assert!(object(oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 99, 1)));
        assert!(object(oid!(1, 3, 6, 1, 2, 1, 1)));
        assert!(object(oid!(1, 3, 6, 1, 2, 1, 999, 0)));
    }

    #[test]
    fn next_index_is_strictly_after() {
        let mib = mib();
        assert_eq!(mib.next_index(&oid!(1, 3)), 0);
        assert_eq!(mib.next_index(&oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)), 1);
        assert_eq!(mib.next_index(&oid!(1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 1)), 3);
    }
}
