//! The responder's synthetic MIB: a few system-group scalars, one table per
//! requested row count, and a scalar after the tables (so that walks end by
//! leaving the subtree, the usual case, rather than at endOfMibView).

use std::collections::HashMap;

use snmux::{Bytes, Oid, Value, VarBind, oid};

/// sysDescr.0: what the GET workloads ask for.
pub(crate) fn sys_descr() -> Oid {
    oid!(1, 3, 6, 1, 2, 1, 1, 1, 0)
}

/// The root of the table of `rows` rows: `1.3.6.1.4.1.99999.2.<rows>`.
pub(crate) fn table_root(rows: u32) -> Oid {
    oid!(1, 3, 6, 1, 4, 1, 99999, 2, rows)
}

/// The objects, sorted by OID.
#[derive(Debug)]
pub(crate) struct Mib {
    objects: Vec<VarBind>,
    /// Each object's index in `objects`, for GET: one hash instead of a
    /// binary search of OID comparisons.
    index: HashMap<Oid, usize>,
}

impl Mib {
    /// The scalars and one single-column table of each of `tables` rows.
    pub(crate) fn new(tables: &[u32]) -> Mib {
        let mut objects = vec![
            VarBind::new(
                sys_descr(),
                Value::OctetString(Bytes::from_static(
                    b"snmux-bench responder: a synthetic agent for load tests",
                )),
            ),
            VarBind::new(oid!(1, 3, 6, 1, 2, 1, 1, 3, 0), Value::TimeTicks(123_456)),
            VarBind::new(
                oid!(1, 3, 6, 1, 2, 1, 1, 5, 0),
                Value::OctetString(Bytes::from_static(b"bench.example.net")),
            ),
            VarBind::new(oid!(1, 3, 6, 1, 4, 1, 99999, 3, 0), Value::Integer(42)),
        ];
        for &rows in tables {
            // ifTable-like values: an index, a name, a counter.
            let column = table_root(rows).join(&[1, 1]);
            objects.extend((1..=rows).map(|row| {
                let value = match row % 3 {
                    0 => Value::from(format!("GigabitEthernet0/{row}")),
                    1 => Value::Counter32(row.wrapping_mul(2_654_435_761)),
                    _ => Value::Integer(row as i32),
                };
                VarBind::new(column.child(row), value)
            }));
        }
        objects.sort_by(|a, b| a.oid.cmp(&b.oid));
        objects.dedup_by(|a, b| a.oid == b.oid);
        let index = objects
            .iter()
            .enumerate()
            .map(|(i, o)| (o.oid.clone(), i))
            .collect();
        Mib { objects, index }
    }

    /// The number of objects.
    pub(crate) fn len(&self) -> usize {
        self.objects.len()
    }

    /// The name of the last object.
    pub(crate) fn last_name(&self) -> &Oid {
        &self.objects[self.objects.len() - 1].oid
    }

    /// GET: the object at `oid`, or noSuchObject.
    pub(crate) fn get(&self, oid: &Oid) -> VarBind {
        match self.index.get(oid) {
            Some(&i) => self.objects[i].clone(),
            None => VarBind::new(oid.clone(), Value::NoSuchObject),
        }
    }

    /// The index of the first object after `oid`.
    pub(crate) fn next_index(&self, oid: &Oid) -> usize {
        self.objects.partition_point(|o| o.oid <= *oid)
    }

    /// The object at `index`, or endOfMibView after `oid` past the end.
    pub(crate) fn at(&self, index: usize, oid: &Oid) -> VarBind {
        match self.objects.get(index) {
            Some(o) => o.clone(),
            None => VarBind::new(oid.clone(), Value::EndOfMibView),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_end_before_the_trailing_scalar() {
        let mib = Mib::new(&[89, 10]);
        assert_eq!(mib.len(), 4 + 89 + 10);
        let root = table_root(89);
        let first = mib.next_index(&root);
        assert_eq!(mib.at(first, &root).oid, root.join(&[1, 1, 1]));
        let last = mib.at(first + 88, &root);
        assert_eq!(last.oid, root.join(&[1, 1, 89]));
        assert!(!mib.at(first + 89, &root).oid.starts_with(&root));
        assert_eq!(mib.get(&sys_descr()).oid, sys_descr());
        assert_eq!(mib.get(&oid!(1, 3, 6, 1, 9)).value, Value::NoSuchObject);
    }
}
