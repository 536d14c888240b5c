//! A generational slab: reusable slots for short-lived records (sessions, requests).
//!
//! Records live in one `Vec` whose slots are recycled through a free list, so once the run has
//! reached its peak concurrency nothing more is allocated. A handle carries the slot's generation;
//! a handle to a freed (and maybe reused) slot no longer resolves, which is how stale events are
//! recognised without searching the event queue.

#[derive(Debug)]
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

#[derive(Debug)]
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    /// Each slot's place in its owner's list (see [`Neighbours`]), kept beside the records:
    /// empty until a record is first linked, so a slab whose records join no list pays nothing.
    links: Vec<Neighbours>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            links: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    /// Bytes each slot takes, the record and its generation together.
    #[cfg(test)]
    pub(crate) const SLOT_BYTES: usize = size_of::<Slot<T>>();

    /// Stores `value`; returns its `(slot, generation)`.
    #[inline]
    pub(crate) fn insert(&mut self, value: T) -> (u32, u32) {
        if let Some(slot) = self.free.pop() {
            let s = &mut self.slots[slot as usize];
            s.generation = s.generation.wrapping_add(1);
            s.value = Some(value);
            (slot, s.generation)
        } else {
            let slot = u32::try_from(self.slots.len()).expect("more than 2^32 live records");
            self.slots.push(Slot {
                generation: 0,
                value: Some(value),
            });
            (slot, 0)
        }
    }

    #[inline]
    pub(crate) fn get(&self, slot: u32, generation: u32) -> Option<&T> {
        match self.slots.get(slot as usize) {
            Some(s) if s.generation == generation => s.value.as_ref(),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, slot: u32, generation: u32) -> Option<&mut T> {
        match self.slots.get_mut(slot as usize) {
            Some(s) if s.generation == generation => s.value.as_mut(),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn remove(&mut self, slot: u32, generation: u32) -> Option<T> {
        let s = self.slots.get_mut(slot as usize)?;
        if s.generation != generation {
            return None;
        }
        let value = s.value.take()?;
        self.free.push(slot);
        Some(value)
    }

    /// Starts loading the record in `slot` into cache, and its place in its list if records
    /// here are listed (see [`crate::engine::prefetch`]).
    #[inline]
    pub(crate) fn prefetch(&self, slot: u32) {
        crate::engine::prefetch_all(self.slots.as_ptr().wrapping_add(slot as usize));
        if !self.links.is_empty() {
            crate::engine::prefetch(self.links.as_ptr().wrapping_add(slot as usize));
        }
    }

    /// Number of live records.
    pub(crate) fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Live records with their `(slot, generation)`, in slot order (deterministic).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u32, u32, &T)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.value.as_ref().map(|v| (i as u32, s.generation, v)))
    }
}

/// Per slot of a slab, a value that only some runs use, kept beside the slab's records rather
/// than in them: a run that never uses it pays nothing per record. [`SideTable::start`] writes
/// the value of the record that has just taken a slot; the table grows to the slab's largest slot.
#[derive(Debug, Default)]
pub(crate) struct SideTable<T> {
    values: Vec<T>,
}

impl<T: Copy + Default> SideTable<T> {
    /// The record that has just taken `slot` starts with `value`.
    pub(crate) fn start(&mut self, slot: u32, value: T) {
        let i = slot as usize;
        if i >= self.values.len() {
            self.values.resize(i + 1, T::default());
        }
        self.values[i] = value;
    }

    /// The value of the record in `slot`, which must have been started.
    pub(crate) fn get_mut(&mut self, slot: u32) -> &mut T {
        &mut self.values[slot as usize]
    }
}

/// Where a record sits in its owner's list: the slots of its neighbours ([`NIL`] at an end).
///
/// Some owners need the records they hold, and only those: an instance that crashes fails the
/// requests it holds, a crash counts the sessions pinned to the instance. Scanning the whole slab
/// for them costs what every instance holds together; a list threaded through the slab's slots
/// costs what this one holds, with O(1) insertion and removal and no allocation.
///
/// The links live in an array of their own beside the records (`Slab::links`), 8 bytes a slot.
/// Linking and unlinking touch a record's neighbours, which in a large fleet were last touched
/// long ago: in the compact array they are far likelier to be in cache than the records (a
/// request record takes 48 bytes and more), and a slab whose records join no list has no array.
///
/// Invariant: a record is in at most one list, its owner's, and `prev`/`next` are live slots of
/// the same list (or [`NIL`]); the owner's [`Chain`] head is the first record's slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Neighbours {
    prev: u32,
    next: u32,
}

/// No slot: the end of a list, or an empty one.
pub(crate) const NIL: u32 = u32::MAX;

impl Neighbours {
    /// Not in any list.
    pub(crate) const NONE: Neighbours = Neighbours {
        prev: NIL,
        next: NIL,
    };
}

/// The head of an owner's list of records (the first one's slot, or [`NIL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Chain(u32);

impl Chain {
    pub(crate) const EMPTY: Chain = Chain(NIL);

    pub(crate) fn is_empty(self) -> bool {
        self.0 == NIL
    }
}

impl<T> Slab<T> {
    /// The links of live record `slot`, the array grown to cover it.
    #[inline(always)]
    fn links_at(&mut self, slot: u32) -> &mut Neighbours {
        let i = slot as usize;
        debug_assert!(self.slots[i].value.is_some(), "listed records are live");
        if i >= self.links.len() {
            self.cover_every_slot();
        }
        &mut self.links[i]
    }

    /// Grows the links to the slab's slots (the slab has grown since a record was last linked).
    #[cold]
    #[inline(never)]
    fn cover_every_slot(&mut self) {
        self.links.resize(self.slots.len(), Neighbours::NONE);
    }

    /// Starts loading the links beside live record `slot` in its list, which unlinking it
    /// touches.
    #[inline]
    pub(crate) fn prefetch_neighbours(&self, slot: u32) {
        if let Some(&Neighbours { prev, next }) = self.links.get(slot as usize) {
            for n in [prev, next] {
                if n != NIL {
                    crate::engine::prefetch(self.links.as_ptr().wrapping_add(n as usize));
                }
            }
        }
    }

    /// Puts live record `slot` at the front of the list headed by `head`. O(1).
    #[inline]
    pub(crate) fn link(&mut self, head: &mut Chain, slot: u32) {
        let first = head.0;
        *self.links_at(slot) = Neighbours {
            prev: NIL,
            next: first,
        };
        if first != NIL {
            self.links_at(first).prev = slot;
        }
        head.0 = slot;
    }

    /// Takes live record `slot` out of the list headed by `head` (its owner's). O(1).
    #[inline]
    pub(crate) fn unlink(&mut self, head: &mut Chain, slot: u32) {
        let Neighbours { prev, next } = std::mem::replace(self.links_at(slot), Neighbours::NONE);
        if prev == NIL {
            head.0 = next;
        } else {
            self.links_at(prev).next = next;
        }
        if next != NIL {
            self.links_at(next).prev = prev;
        }
    }

    /// Empties the list headed by `head`: each of its records is in no list afterwards. O(its
    /// length).
    pub(crate) fn unlink_all(&mut self, head: &mut Chain) {
        let mut at = std::mem::replace(head, Chain::EMPTY).0;
        while at != NIL {
            at = std::mem::replace(self.links_at(at), Neighbours::NONE).next;
        }
    }

    /// The records of the list headed by `head`, as `(slot, generation, record)`, most recently
    /// linked first.
    pub(crate) fn chain(&self, head: Chain) -> impl Iterator<Item = (u32, u32, &T)> + '_ {
        let mut at = head.0;
        std::iter::from_fn(move || {
            if at == NIL {
                return None;
            }
            let slot = at;
            let s = &self.slots[slot as usize];
            let value = s.value.as_ref().expect("listed records are live");
            at = self.links[slot as usize].next;
            Some((slot, s.generation, value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rec(u32);

    #[test]
    fn a_chain_holds_exactly_what_was_linked_and_not_unlinked() {
        let mut slab = Slab::default();
        let (mut a, mut b) = (Chain::EMPTY, Chain::EMPTY);
        let slots: Vec<u32> = (0..6).map(|n| slab.insert(Rec(n)).0).collect();
        for &s in &slots {
            let head = if s % 2 == 0 { &mut a } else { &mut b };
            slab.link(head, s);
        }
        let values = |slab: &Slab<Rec>, head: Chain| -> Vec<u32> {
            slab.chain(head).map(|(_, _, r)| r.0).collect()
        };
        assert_eq!(values(&slab, a), [4, 2, 0]);
        assert_eq!(values(&slab, b), [5, 3, 1]);
        slab.unlink(&mut a, slots[2]); // middle
        slab.unlink(&mut b, slots[5]); // front
        slab.unlink(&mut b, slots[1]); // back
        assert_eq!(values(&slab, a), [4, 0]);
        assert_eq!(values(&slab, b), [3]);
        slab.unlink(&mut b, slots[3]);
        assert!(b.is_empty());
        slab.unlink(&mut a, slots[4]);
        slab.unlink(&mut a, slots[0]);
        assert!(a.is_empty());
    }

    #[test]
    fn unlink_all_empties_a_chain_and_leaves_its_records_free_to_join_another() {
        let mut slab = Slab::default();
        let (mut a, mut b) = (Chain::EMPTY, Chain::EMPTY);
        let slots: Vec<u32> = (0..3).map(|n| slab.insert(Rec(n)).0).collect();
        for &s in &slots {
            slab.link(&mut a, s);
        }
        slab.unlink_all(&mut a);
        assert!(a.is_empty());
        assert_eq!(slab.chain(a).count(), 0);
        for &s in &slots {
            assert_eq!(slab.links[s as usize], Neighbours::NONE);
        }
        slab.link(&mut b, slots[1]);
        assert_eq!(slab.chain(b).map(|(_, _, r)| r.0).collect::<Vec<_>>(), [1]);
    }

    #[test]
    fn records_that_join_no_list_keep_no_links_and_reused_slots_link_afresh() {
        let mut slab = Slab::default();
        let slots: Vec<u32> = (0..4).map(|n| slab.insert(Rec(n)).0).collect();
        assert!(slab.links.is_empty(), "nothing linked, nothing kept");
        let mut a = Chain::EMPTY;
        slab.link(&mut a, slots[1]);
        assert_eq!(
            slab.links.len(),
            4,
            "the links cover every slot once one is linked"
        );
        slab.unlink(&mut a, slots[1]);
        assert_eq!(slab.remove(slots[1], 0).map(|r| r.0), Some(1));
        let (again, _) = slab.insert(Rec(9));
        assert_eq!(again, slots[1]);
        let (fifth, _) = slab.insert(Rec(5));
        slab.link(&mut a, fifth);
        slab.link(&mut a, again);
        let listed: Vec<u32> = slab.chain(a).map(|(_, _, r)| r.0).collect();
        assert_eq!(listed, [9, 5]);
    }

    #[test]
    fn stale_handles_do_not_resolve_after_reuse() {
        let mut slab = Slab::default();
        let (a, ga) = slab.insert("a");
        assert_eq!(slab.remove(a, ga), Some("a"));
        let (b, gb) = slab.insert("b");
        assert_eq!(a, b, "the slot is reused");
        assert_eq!(slab.get(a, ga), None);
        assert_eq!(slab.get(b, gb), Some(&"b"));
        assert_eq!(slab.remove(a, ga), None);
        assert_eq!(slab.iter().count(), 1);
    }
}
