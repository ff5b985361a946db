//! The request table's storage: a slab indexed by the low bits of the id.
//!
//! Ids are handed out one after another, from a random start, and an id is
//! only handed out if its cell (the id modulo the number of cells) is free:
//! finding a request is one index and one compare, with no hash and no
//! probing. The cells are at most half full; when a new id would fill them
//! further, they double, and every entry moves to the cell of its id under
//! the longer mask (two ids in different cells differ in their low bits, so
//! they never meet in the larger table).
//!
//! A request whose id falls in a cell that a long-lived request still holds
//! simply gets the next id: the ids in use are a window of recent ones with
//! a few older ones in it, and at most half the cells are taken, so the
//! search ends within a few steps.

/// Cells at first: a few kilobytes for an engine with few requests.
const INITIAL_CELLS: usize = 64;

/// At most 2^30 cells: ids are 31 bits (positive `i32`s).
const MAX_CELLS: usize = 1 << 30;

/// A slab of `T`s keyed by positive `i32` ids it hands out.
pub(super) struct Slots<T> {
    cells: Vec<Cell<T>>,
    /// Occupied cells.
    len: usize,
    next_id: u32,
}

struct Cell<T> {
    /// 0 when the cell is free (0 is never an id).
    id: i32,
    value: Option<T>,
}

impl<T> Cell<T> {
    fn free() -> Self {
        Self { id: 0, value: None }
    }
}

impl<T> Slots<T> {
    /// An empty slab whose ids start at `first_id` (masked to 31 bits).
    pub(super) fn new(first_id: u32) -> Self {
        Self {
            cells: std::iter::repeat_with(Cell::free)
                .take(INITIAL_CELLS)
                .collect(),
            len: 0,
            next_id: first_id,
        }
    }

    /// The number of values.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    fn index(&self, id: i32) -> usize {
        id as u32 as usize & (self.cells.len() - 1)
    }

    /// Stores `value` under a fresh id, and returns the id; `None` if the
    /// slab cannot grow (2^29 values).
    pub(super) fn insert(&mut self, value: T) -> Option<i32> {
        if (self.len + 1) * 2 > self.cells.len() {
            if self.cells.len() >= MAX_CELLS {
                return None;
            }
            self.grow();
        }
        // At most half the cells are taken: a free one is within reach.
        loop {
            let id = (self.next_id & 0x7fff_ffff) as i32;
            self.next_id = self.next_id.wrapping_add(1);
            if id == 0 {
                continue;
            }
            let i = self.index(id);
            let cell = &mut self.cells[i];
            if cell.id == 0 {
                cell.id = id;
                cell.value = Some(value);
                self.len += 1;
                return Some(id);
            }
        }
    }

    /// The value of `id`, if it is in the slab.
    pub(super) fn get(&self, id: i32) -> Option<&T> {
        let cell = &self.cells[self.index(id)];
        if cell.id == id && id != 0 {
            cell.value.as_ref()
        } else {
            None
        }
    }

    /// The value of `id`, if it is in the slab, to change.
    pub(super) fn get_mut(&mut self, id: i32) -> Option<&mut T> {
        let i = self.index(id);
        let cell = &mut self.cells[i];
        if cell.id == id && id != 0 {
            cell.value.as_mut()
        } else {
            None
        }
    }

    /// Removes `id` and returns its value.
    pub(super) fn remove(&mut self, id: i32) -> Option<T> {
        let i = self.index(id);
        let cell = &mut self.cells[i];
        if cell.id != id || id == 0 {
            return None;
        }
        cell.id = 0;
        self.len -= 1;
        cell.value.take()
    }

    /// Every value, to change.
    pub(super) fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.cells.iter_mut().filter_map(|c| c.value.as_mut())
    }

    fn grow(&mut self) {
        let larger = self.cells.len() * 2;
        let old = std::mem::replace(
            &mut self.cells,
            std::iter::repeat_with(Cell::free).take(larger).collect(),
        );
        for cell in old {
            if cell.id != 0 {
                let i = self.index(cell.id);
                self.cells[i] = cell;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ids_are_consecutive_positive_and_skip_0() {
        let mut slots = Slots::new(0x7fff_fffe);
        let ids: Vec<i32> = (0..3).map(|i| slots.insert(i).expect("room")).collect();
        assert_eq!(ids, [0x7fff_fffe, 0x7fff_ffff, 1]);
        assert_eq!(slots.get(0), None);
        assert_eq!(slots.remove(0), None);
    }

    #[test]
    fn an_id_whose_cell_is_taken_is_skipped() {
        let mut slots = Slots::new(1);
        let old = slots.insert("old").expect("room");
        // A window of requests goes round the cells past the old one.
        for _ in 0..INITIAL_CELLS * 3 {
            let id = slots.insert("new").expect("room");
            assert_ne!(slots.index(id), slots.index(old), "{id}");
            assert_eq!(slots.remove(id), Some("new"));
        }
        assert_eq!(slots.get(old), Some(&"old"));
        assert_eq!(slots.len(), 1);
        assert_eq!(
            slots.cells.len(),
            INITIAL_CELLS,
            "never more than one in use"
        );
    }

    #[test]
    fn a_removed_id_is_gone_even_when_its_cell_is_reused() {
        let mut slots = Slots::new(5);
        let a = slots.insert(1).expect("room");
        assert_eq!(slots.remove(a), Some(1));
        assert_eq!(slots.remove(a), None);
        // The next pass over the cells reuses a's cell for another id.
        let b = loop {
            let id = slots.insert(2).expect("room");
            if slots.index(id) == slots.index(a) {
                break id;
            }
            slots.remove(id);
        };
        assert_ne!(a, b);
        assert_eq!(slots.get(a), None);
        assert_eq!(slots.get_mut(a), None);
        assert_eq!(slots.remove(a), None);
        assert_eq!(slots.get(b), Some(&2));
    }

    proptest! {
        /// Against a `HashMap`: any sequence of inserts and removes finds
        /// what was stored under each id and nothing else, with the cells
        /// at most half full.
        #[test]
        fn behaves_as_a_map(
            first in proptest::num::u32::ANY,
            ops in proptest::collection::vec((proptest::bool::ANY, 0usize..64), 0..600),
        ) {
            let mut slots = Slots::new(first);
            let mut model: HashMap<i32, usize> = HashMap::new();
            let mut ids: Vec<i32> = Vec::new();
            for (n, (insert, pick)) in ops.into_iter().enumerate() {
                if insert || ids.is_empty() {
                    let id = slots.insert(n).expect("room");
                    prop_assert!(id > 0);
                    prop_assert!(model.insert(id, n).is_none(), "id {} handed out twice", id);
                    ids.push(id);
                } else {
                    let id = ids.swap_remove(pick % ids.len());
                    prop_assert_eq!(slots.remove(id), model.remove(&id));
                    prop_assert_eq!(slots.get(id), None);
                }
                prop_assert_eq!(slots.len(), model.len());
                prop_assert!(slots.len() * 2 <= slots.cells.len());
            }
            for (id, n) in &model {
                prop_assert_eq!(slots.get(*id), Some(n));
            }
            let mut all: Vec<usize> = slots.values_mut().map(|v| *v).collect();
            all.sort_unstable();
            let mut expected: Vec<usize> = model.values().copied().collect();
            expected.sort_unstable();
            prop_assert_eq!(all, expected);
        }
    }
}
