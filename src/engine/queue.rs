//! The future-event list: events ordered by `(time, sequence)`, FIFO among equal times.
//!
//! Events scheduled for the same instant fire in the order they were scheduled (FIFO). Nothing
//! about the order depends on memory addresses or hashing, so a run is reproducible bit for bit
//! (SimPy's `(time, priority, eid)` entries work the same way).
//!
//! Two structures keep that one order, and the queue moves its events from one to the other as
//! it grows and shrinks:
//!
//! - **Small: a binary heap** of `time << 64 | seq` keys, `seq` taken from a monotone counter.
//!   With a few dozen pending events (a handful of instances) it is the fastest there is: a few
//!   comparisons of one integer per push and pop.
//! - **Large: a monotone radix heap** over integer time (Ahuja, Mehlhorn, Orlin and Tarjan,
//!   1990), whose cost does not grow with the number of pending events. It relies on simulated
//!   time never going back: nothing is scheduled before the event being handled, so every time
//!   pushed is at least the last time popped (`last`). The buckets are indexed by byte: an
//!   event at time `t` waits at the level of the highest byte in which `t` differs from `last`,
//!   in the bucket of that byte's value in `t` (8 levels of 256 buckets). Popping takes from
//!   the events at `last`; when there are none, the lowest non-empty bucket (lowest level, then
//!   lowest value) holds the next ones. A bucket of level 0 holds a single time, which becomes
//!   `last`; a bucket of a higher level is emptied, `last` becomes its earliest time, and its
//!   events fall into lower levels. An event therefore moves at most once per level below the one
//!   it entered at: one scheduled less than 2^24 ns (16.8 ms) ahead enters at level 2 at most, or
//!   at level 3 when a multiple of 2^24 ns lies between, and moves at most two or three times.
//!   (With one bucket per bit, events 10 ms ahead in a busy fleet moved four to five times.)
//!
//! The radix heap stores no sequence number: FIFO among equal times follows from where events
//! go. All pending events of one time are always in the same bucket; a push appends to the end
//! of its bucket, and emptying a bucket moves its events in their order into buckets that were
//! empty. So in every bucket, events of equal time stand in push order, and the events at
//! `last` are read from the front.
//!
//! The queue switches to the radix heap when the binary heap passes [`GROW_AT`] events, by
//! popping the heap in order into it, and back when the radix heap falls under [`SHRINK_AT`],
//! by popping it in order into the heap with fresh sequence numbers (which keep the relative
//! order, being given in pop order and below every later push's). The gap between the two
//! thresholds keeps a queue hovering around one of them from switching at every event.
//!
//! Storage is kept for reuse: after warm-up, scheduling allocates nothing. The buckets of a
//! level take turns as time goes on, so an emptied bucket keeps only small storage and hands
//! large storage to the next bucket of its level to fill: memory follows the pending events,
//! not the longest run.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

/// Past this many pending events the binary heap hands over to the radix heap. Measured on the
/// bundled scenarios: up to a few hundred events the heap's few comparisons cost less than the
/// radix heap's bucket moves.
const GROW_AT: usize = 1024;

/// Under this many pending events the radix heap hands back to the binary heap.
const SHRINK_AT: usize = 256;

/// How many of the next events, in pop order, [`EventQueue::upcoming`] shows.
const DEPTH: usize = 4;

/// The most events [`EventQueue::upcoming`] shows when it cannot tell which of them is next.
const LOOK_AHEAD: usize = 4;

/// One scheduled event in the binary heap. `E` should be small and `Copy`: it is moved through
/// the heap on every push and pop. `key` packs `(time, seq)` as `time << 64 | seq`, so ordering
/// is one integer comparison.
#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    #[inline]
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest `(time, seq)` first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// Bits of time per level of the radix heap: a level splits its range by one byte of time.
const DIGIT_BITS: u32 = 8;

/// Buckets per level: one per value of the level's byte.
const DIGITS: usize = 1 << DIGIT_BITS;

/// Levels of buckets: one per byte of a `u64` time.
const LEVELS: usize = 64 / DIGIT_BITS as usize;

/// A bucket emptied with room for more events than this gives its storage to its level's
/// spares rather than keeping it.
const KEEP: usize = 64;

/// The most spare storages a level keeps for its buckets that fill next.
const SPARES: usize = 4;

/// The bucket of an event at `time` when the last time popped is `last` (`time > last`), as
/// an index into `Radix::buckets`: the level is the byte at which `time` first differs from
/// `last`, counting from the lowest, and the digit is `time`'s value of that byte.
#[inline]
fn bucket(time: u64, last: u64) -> usize {
    let level = (63 - (time ^ last).leading_zeros()) / DIGIT_BITS;
    let digit = (time >> (level * DIGIT_BITS)) as usize & (DIGITS - 1);
    level as usize * DIGITS + digit
}

/// An event waiting in a radix-heap bucket with its time. Packed to 4-byte alignment: with a
/// 12-byte event it takes 20 bytes instead of 24, and a fleet with a million sessions thinking
/// keeps a million of them. Fields are only ever copied out, never borrowed.
#[derive(Clone, Copy)]
#[repr(C, packed(4))]
struct Timed<E> {
    time: u64,
    event: E,
}

impl<E> std::fmt::Debug for Timed<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let time = self.time;
        f.debug_struct("Timed")
            .field("time", &time)
            .finish_non_exhaustive()
    }
}

/// A monotone radix heap over `u64` time with byte-wide digits, FIFO among equal times (see
/// the module docs).
#[derive(Debug)]
struct Radix<E> {
    /// The last time popped; no event is earlier.
    last: u64,
    /// The events at `last`, in push order; `current[head..]` are still pending.
    current: Vec<Timed<E>>,
    head: usize,
    /// `buckets[level * DIGITS + digit]` holds the events whose time first differs from
    /// `last` in byte `level` (from the lowest), where it has the value `digit`.
    buckets: Box<[Vec<Timed<E>>]>,
    /// Bit `digit` of `occupied[level]`: that bucket is not empty.
    occupied: [[u64; DIGITS / 64]; LEVELS],
    /// Bit `level` set: some bucket of that level is not empty.
    levels: u8,
    /// Pending events in all buckets.
    len: usize,
    /// `spares[level]`: the large storage of emptied buckets of that level, for the next ones
    /// that fill (see [`Radix::refill`]).
    spares: [Vec<Vec<Timed<E>>>; LEVELS],
}

impl<E: Copy> Radix<E> {
    fn new() -> Self {
        Radix {
            last: 0,
            current: Vec::new(),
            head: 0,
            buckets: std::iter::repeat_with(Vec::new)
                .take(LEVELS * DIGITS)
                .collect(),
            occupied: [[0; DIGITS / 64]; LEVELS],
            levels: 0,
            len: 0,
            spares: std::array::from_fn(|_| Vec::new()),
        }
    }

    #[inline]
    fn push(&mut self, time: u64, event: E) {
        debug_assert!(time >= self.last, "event scheduled in the past");
        self.len += 1;
        if time == self.last {
            self.current.push(Timed { time, event });
        } else {
            self.place(bucket(time, self.last), Timed { time, event });
        }
    }

    /// Appends `timed` to bucket `b` and marks it occupied. A bucket without storage takes a
    /// spare one of its level, if there is one.
    #[inline]
    fn place(&mut self, b: usize, timed: Timed<E>) {
        let to = &mut self.buckets[b];
        if to.capacity() == 0 {
            if let Some(spare) = self.spares[b / DIGITS].pop() {
                *to = spare;
            }
        }
        to.push(timed);
        self.occupied[b / DIGITS][b % DIGITS / 64] |= 1 << (b % 64);
        self.levels |= 1 << (b / DIGITS);
    }

    #[inline]
    fn pop(&mut self) -> Option<(u64, E)> {
        if self.head == self.current.len() {
            if self.levels == 0 {
                return None;
            }
            self.refill();
        }
        let event = self.current[self.head].event;
        self.head += 1;
        self.len -= 1;
        Some((self.last, event))
    }

    /// The lowest non-empty bucket, which holds the next event after `current`'s: the lowest
    /// digit of the lowest occupied level. `levels` must not be 0.
    #[inline]
    fn lowest(&self) -> usize {
        let level = self.levels.trailing_zeros() as usize;
        let words = &self.occupied[level];
        let (word, bits) = words
            .iter()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .expect("an occupied level has an occupied bucket");
        level * DIGITS + word * 64 + bits.trailing_zeros() as usize
    }

    /// Shows `ahead` the next [`DEPTH`] events in pop order with their place (0: next), as
    /// far as they are known without searching: the rest of `current`, then the level-0
    /// buckets, lowest first, each of which holds one time. When nothing is at level 0, the
    /// lowest bucket holds the next event somewhere among its events: they are shown, all in
    /// place [`DEPTH`], if there are at most [`LOOK_AHEAD`] of them.
    #[inline]
    fn upcoming(&self, mut ahead: impl FnMut(&E, usize)) {
        let mut place = 0;
        for t in self.current.iter().skip(self.head).take(DEPTH) {
            let event = t.event;
            ahead(&event, place);
            place += 1;
        }
        let mut words = self.occupied[0];
        let mut word = 0;
        while place < DEPTH && word < words.len() {
            if words[word] == 0 {
                word += 1;
                continue;
            }
            let digit = word * 64 + words[word].trailing_zeros() as usize;
            words[word] &= words[word] - 1;
            for t in self.buckets[digit].iter().take(DEPTH - place) {
                let event = t.event;
                ahead(&event, place);
                place += 1;
            }
        }
        if place == 0 && self.levels != 0 {
            let bucket = &self.buckets[self.lowest()];
            if bucket.len() <= LOOK_AHEAD {
                for t in bucket {
                    let event = t.event;
                    ahead(&event, DEPTH);
                }
            }
        }
    }

    /// Events the storage of `current`, the buckets and the spares has room for.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        let buckets: usize = self.buckets.iter().map(Vec::capacity).sum();
        let spares: usize = self.spares.iter().flatten().map(Vec::capacity).sum();
        self.current.capacity() + buckets + spares
    }

    /// `current` is used up and some bucket is not: empties the lowest non-empty bucket, moving
    /// `last` to its earliest time.
    ///
    /// A bucket of level 0 holds one time, which becomes `last`, and its storage simply
    /// becomes `current`. A bucket of a higher level hands its events down: every one agrees
    /// with the new `last` on every byte from the bucket's level upward, so it lands in a lower
    /// level (or in `current`), all of whose buckets are empty. The buckets of the same level
    /// and above keep their events: the new `last` agrees with the old one above the level and
    /// has the emptied bucket's digit in it, so their first difference with `last` is unchanged.
    fn refill(&mut self) {
        self.current.clear();
        self.head = 0;
        let b = self.lowest();
        let (level, digit) = (b / DIGITS, b % DIGITS);
        let words = &mut self.occupied[level];
        words[digit / 64] &= !(1 << (digit % 64));
        if words.iter().all(|&w| w == 0) {
            self.levels &= !(1 << level);
        }
        if level == 0 {
            self.last = (self.last & !(DIGITS as u64 - 1)) | digit as u64;
            std::mem::swap(&mut self.current, &mut self.buckets[b]);
            return;
        }
        let mut moving = std::mem::take(&mut self.buckets[b]);
        let last = moving
            .iter()
            .map(|e| e.time)
            .min()
            .expect("an occupied bucket holds events");
        self.last = last;
        for &timed in &moving {
            if timed.time == last {
                self.current.push(timed);
            } else {
                self.place(bucket(timed.time, last), timed);
            }
        }
        // The buckets of a level take turns: were each to keep the most it ever held, memory
        // would grow to 256 times a level's largest. Small storage stays in place; large
        // storage goes to the level's spares for the next bucket to fill, up to a bound.
        moving.clear();
        if moving.capacity() <= KEEP {
            self.buckets[b] = moving;
        } else if self.spares[level].len() < SPARES {
            self.spares[level].push(moving);
        }
    }
}

/// A priority queue of events keyed by time, FIFO among equal times.
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    /// The pending events while there are few (`large` false); empty otherwise. With
    /// `top_popped`, its top is no longer pending.
    heap: BinaryHeap<Entry<E>>,
    /// `pop` handed out the heap's top but left it there: the next push takes its place, one
    /// sift down instead of a removal and an insertion (a handler usually schedules an event
    /// after the one it handles), or the next pop removes it first.
    top_popped: bool,
    /// The sequence number of the next push into `heap`.
    next_seq: u64,
    /// The pending events while there are many (`large` true); empty otherwise.
    radix: Radix<E>,
    large: bool,
    /// The last time popped: a radix heap taking over starts from it.
    last: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl<E: Copy> EventQueue<E> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(capacity.min(GROW_AT + 1)),
            top_popped: false,
            next_seq: 0,
            radix: Radix::new(),
            large: false,
            last: 0,
        }
    }

    /// Schedules `event` at `time`, which must not be earlier than the last time popped.
    #[inline]
    pub(crate) fn push(&mut self, time: SimTime, event: E) {
        debug_assert!(time.0 >= self.last, "event scheduled in the past");
        if self.large {
            self.push_large(time.0, event);
        } else {
            self.push_heap(time.0, event);
            if self.heap.len() > GROW_AT {
                self.grow();
            }
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<(SimTime, E)> {
        let (time, event) = if self.large {
            self.pop_large()?
        } else {
            if self.top_popped {
                self.heap.pop();
            }
            let Some(&e) = self.heap.peek() else {
                self.top_popped = false;
                return None;
            };
            self.top_popped = true;
            (e.time().0, e.event)
        };
        self.last = time;
        Some((SimTime(time), event))
    }

    // The radix heap's paths stay out of line, so that `push` and `pop` inline into the
    // simulation's handlers as small as the binary heap alone: a small fleet pays one branch.

    #[inline(never)]
    fn push_large(&mut self, time: u64, event: E) {
        self.radix.push(time, event);
    }

    /// Shows `ahead` the events likely to be popped next, so that the caller can start loading what
    /// they will touch while it handles the one just popped (see
    /// [`mod@crate::engine::prefetch`]). Each comes with its place: 0 for the next event, 1 for
    /// the one after, and so on below [`DEPTH`]; or [`DEPTH`] for each of a few events among
    /// which the next one is. The caller can start the first loads for the events further ahead,
    /// and for the nearest ones those that depend on loads started a few events earlier. A hint
    /// only: the handler may still schedule an earlier event. Only a large queue looks ahead,
    /// where the records of a large fleet are rarely in cache; a small one shows nothing.
    #[inline]
    pub(crate) fn upcoming(&self, ahead: impl FnMut(&E, usize)) {
        if self.large {
            self.radix.upcoming(ahead);
        }
    }

    #[inline(never)]
    fn pop_large(&mut self) -> Option<(u64, E)> {
        let popped = self.radix.pop();
        if self.radix.len < SHRINK_AT {
            self.shrink();
        }
        popped
    }

    /// The number of pending events.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.heap.len() - usize::from(self.top_popped) + self.radix.len
    }

    /// Pushes onto the binary heap. After a pop, the new key is above the popped top's (its
    /// time is at least the last popped, its sequence number the largest yet), which was the
    /// smallest, so putting it in the top's place and sifting it down leaves the heap that
    /// removing the top and pushing it would.
    #[inline]
    fn push_heap(&mut self, time: u64, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Entry {
            key: (u128::from(time) << 64) | u128::from(seq),
            event,
        };
        if self.top_popped {
            self.top_popped = false;
            *self.heap.peek_mut().expect("the popped top is still there") = entry;
        } else {
            self.heap.push(entry);
        }
    }

    /// Moves every event from the binary heap to the radix heap, in order.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
        if std::mem::take(&mut self.top_popped) {
            self.heap.pop();
        }
        self.radix.last = self.last;
        while let Some(e) = self.heap.pop() {
            self.radix.push(e.time().0, e.event);
        }
        self.large = true;
    }

    /// Moves every event from the radix heap to the binary heap, in order.
    #[cold]
    #[inline(never)]
    fn shrink(&mut self) {
        while let Some((time, event)) = self.radix.pop() {
            self.push_heap(time, event);
        }
        self.large = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_waiting_event_takes_its_time_and_itself_and_no_padding() {
        // The simulation's events are 12 bytes; a million pending ones take 20 MB, not 24.
        assert_eq!(size_of::<Timed<[u32; 3]>>(), 20);
    }

    /// The queue as it was before the radix heap: a binary heap of `(time, seq)` keys. Its pop
    /// order is the contract.
    #[derive(Default)]
    struct Reference {
        heap: BinaryHeap<Entry<u32>>,
        next_seq: u64,
    }

    impl Reference {
        fn push(&mut self, time: u64, event: u32) {
            let key = (u128::from(time) << 64) | u128::from(self.next_seq);
            self.next_seq += 1;
            self.heap.push(Entry { key, event });
        }
        fn pop(&mut self) -> Option<(u64, u32)> {
            self.heap.pop().map(|e| (e.time().0, e.event))
        }
    }

    /// One step of a run: push an event `delta` after the last time popped, or pop.
    #[derive(Clone, Copy, Debug)]
    enum Op {
        Push(u64),
        /// Push this many events, all at the same delta.
        Burst(u16, u64),
        Pop,
        /// Pop this many.
        Drain(u16),
    }

    /// Deltas that stress the structure: zero (same instant), tiny, clustered, and huge (up to
    /// the top of the range, saturating at `u64::MAX`).
    fn delta() -> impl Strategy<Value = u64> {
        prop_oneof![
            3 => Just(0u64),
            3 => 0u64..8,
            3 => 0u64..1_000_000,
            1 => any::<u64>(),
            1 => (0u32..64).prop_map(|b| 1u64 << b),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => delta().prop_map(Op::Push),
            1 => (1u16..1500, delta()).prop_map(|(n, d)| Op::Burst(n, d)),
            5 => Just(Op::Pop),
            1 => (1u16..1500).prop_map(Op::Drain),
        ]
    }

    /// Steps of a large queue whose times are a few nanoseconds to microseconds apart, as in a
    /// large fleet: most buckets of levels 0 and 1 hold one or a few events.
    fn dense_op() -> impl Strategy<Value = Op> {
        let near = prop_oneof![3 => 0u64..300, 2 => 0u64..70_000];
        prop_oneof![
            6 => near.clone().prop_map(Op::Push),
            1 => (1u16..40, near).prop_map(|(n, d)| Op::Burst(n, d)),
            6 => Just(Op::Pop),
            1 => (1u16..200).prop_map(Op::Drain),
        ]
    }

    /// Enough pushes spread over 5 ms to make the queue large, with every level of buckets
    /// up to 3 in use.
    fn spread() -> Vec<Op> {
        (0..GROW_AT as u64 + 100)
            .map(|k| Op::Push(k * 7_919 % 5_000_000))
            .collect()
    }

    /// Runs `ops` on the queue and the reference side by side; every pop must agree.
    fn agree(ops: &[Op]) -> Result<(), TestCaseError> {
        let mut q = EventQueue::default();
        let mut r = Reference::default();
        let mut now = 0u64;
        let mut id = 0u32;
        let mut push = |q: &mut EventQueue<u32>, r: &mut Reference, now: u64, d: u64| {
            let t = now.saturating_add(d);
            q.push(SimTime(t), id);
            r.push(t, id);
            id += 1;
        };
        for &op in ops {
            let pops = match op {
                Op::Push(d) => {
                    push(&mut q, &mut r, now, d);
                    0
                }
                Op::Burst(n, d) => {
                    for _ in 0..n {
                        push(&mut q, &mut r, now, d);
                    }
                    0
                }
                Op::Pop => 1,
                Op::Drain(n) => n,
            };
            for _ in 0..pops {
                let mut shown = Vec::new();
                q.upcoming(|&e, place| shown.push((e, place)));
                prop_assert!(shown.is_empty() || q.large, "a small queue looks ahead");
                // The next pops, as many as could have been shown.
                let mut following = r.heap.clone();
                let next: Vec<u32> = std::iter::from_fn(|| following.pop().map(|e| e.event))
                    .take(LOOK_AHEAD)
                    .collect();
                let (placed, among): (Vec<_>, Vec<_>) =
                    shown.iter().partition(|(_, place)| *place < DEPTH);
                for (n, &(e, place)) in placed.iter().enumerate() {
                    prop_assert_eq!(place, n, "places count up from 0");
                    prop_assert_eq!(Some(&e), next.get(n), "{:?} shown, {:?} next", shown, next);
                }
                prop_assert!(placed.is_empty() || among.is_empty(), "{:?}", shown);
                prop_assert!(among.len() <= LOOK_AHEAD);
                if !among.is_empty() {
                    prop_assert!(
                        among.iter().any(|(e, _)| Some(e) == next.first()),
                        "{:?} shown, {:?} next",
                        shown,
                        next
                    );
                    prop_assert!(
                        among.iter().all(|(e, _)| next.contains(e)),
                        "{:?} shown, {:?} next",
                        shown,
                        next
                    );
                }
                let expected = r.pop();
                prop_assert_eq!(q.pop().map(|(t, e)| (t.0, e)), expected);
                if let Some((t, _)) = expected {
                    now = t;
                }
            }
            prop_assert_eq!(q.len(), r.heap.len());
        }
        while let Some(expected) = r.pop() {
            prop_assert_eq!(q.pop().map(|(t, e)| (t.0, e)), Some(expected));
        }
        prop_assert_eq!(q.pop(), None);
        Ok(())
    }

    proptest! {
        /// Whatever the push order, events come out sorted by time, and equal times keep their
        /// push order.
        #[test]
        fn pops_in_time_then_fifo_order(times in proptest::collection::vec(0u64..50, 0..3000)) {
            let mut q = EventQueue::default();
            for (i, &t) in times.iter().enumerate() {
                q.push(SimTime(t), i);
            }
            let mut expected: Vec<(u64, usize)> = times.iter().copied().zip(0..).collect();
            expected.sort(); // by time, then by push index
            let mut got = Vec::new();
            while let Some((t, i)) = q.pop() {
                got.push((t.0, i));
            }
            prop_assert_eq!(got, expected);
        }

        /// Any interleaving of pushes (never before the last pop) and pops gives the same pop
        /// sequence as the plain binary heap, across every switch between the two structures.
        #[test]
        fn pops_as_the_binary_heap_does(ops in proptest::collection::vec(op(), 0..400)) {
            agree(&ops)?;
        }

        /// The same with times close together in a large queue, as a large fleet's are.
        #[test]
        fn pops_as_the_binary_heap_does_when_times_are_dense(
            ops in proptest::collection::vec(dense_op(), 0..2000)
        ) {
            agree(&[spread(), ops].concat())?;
        }
    }

    /// Pushes `n` events at `time`, numbered from `first`.
    fn push_many(q: &mut EventQueue<u32>, time: u64, first: u32, n: u32) {
        for i in first..first + n {
            q.push(SimTime(time), i);
        }
    }

    #[test]
    fn a_large_queue_shows_what_comes_next() {
        let mut q = EventQueue::default();
        // Past GROW_AT: 2,000 events one nanosecond apart, from 1,000 (0x3e8) on.
        for i in 0..2000 {
            q.push(SimTime(1_000 + u64::from(i)), i);
        }
        assert!(q.large);
        let shown = |q: &EventQueue<u32>| {
            let mut v = Vec::new();
            q.upcoming(|&e, place| v.push((e, place)));
            v
        };
        // Nothing popped yet, the last time is 0: the lowest bucket is level 1's digit 3, which
        // holds the times 1,000 to 1,023, too many to show.
        assert_eq!(shown(&q), vec![]);
        assert_eq!(q.pop(), Some((SimTime(1_000), 0)));
        // Popping 1,000 spread 1,001 to 1,023 over level 0, one time a bucket: 1,001 is next,
        // then 1,002, and so on, as far as DEPTH.
        let in_order = |first: Vec<u32>| -> Vec<(u32, usize)> {
            first.into_iter().chain(1..).take(DEPTH).zip(0..).collect()
        };
        assert_eq!(shown(&q), in_order(vec![]));
        assert_eq!(shown(&q)[..2], [(1, 0), (2, 1)]);
        q.push(SimTime(1_000), 5000);
        assert_eq!(
            shown(&q),
            in_order(vec![5000]),
            "an event at the last time popped is next"
        );
    }

    #[test]
    fn a_few_events_above_level_0_are_shown_without_their_order() {
        let mut q = EventQueue::default();
        push_many(&mut q, 1 << 30, 10, 1100);
        assert!(q.large);
        // The lowest bucket is level 1's digit 0x13 (times 0x1300 to 0x13ff), with 3 events,
        // in push order.
        for (i, t) in [0x1302, 0x1300, 0x1301].into_iter().enumerate() {
            q.push(SimTime(t), i as u32);
        }
        let mut shown = Vec::new();
        q.upcoming(|&e, place| shown.push((e, place)));
        assert_eq!(shown, vec![(0, DEPTH), (1, DEPTH), (2, DEPTH)]);
        assert_eq!(q.pop(), Some((SimTime(0x1300), 1)));
    }

    #[test]
    fn a_steady_queue_keeps_the_same_storage_while_its_buckets_take_turns() {
        // 5,000 pending events, each pop followed by a push up to 2^26 ns (67 ms) ahead: the
        // level-3 buckets (2^24 ns each) take turns about once per 16 ms of simulated time.
        let mut q = EventQueue::default();
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut delta = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % (1 << 26)
        };
        for i in 0..5_000 {
            q.push(SimTime(delta()), i);
        }
        let mut step = |q: &mut EventQueue<u32>, steps: u32| {
            for i in 0..steps {
                let (now, _) = q.pop().expect("the queue stays full");
                q.push(SimTime(now.0 + delta()), i);
            }
            q.last
        };
        // About 6.7 s simulated: every level-3 bucket has had its turn.
        let warm = step(&mut q, 1_000_000);
        let after_warm_up = q.radix.capacity();
        // About 13 s more: every level-3 bucket has had two more turns.
        let end = step(&mut q, 2_000_000);
        assert!(
            end - warm > 2 * (256 << 24),
            "the level-3 buckets went round"
        );
        let at_end = q.radix.capacity();
        assert!(
            at_end * 10 <= after_warm_up * 11,
            "room for {after_warm_up} events after warm-up, {at_end} at the end"
        );
        assert!(
            at_end <= 8 * 5_000,
            "room for {at_end} events, 5,000 pending"
        );
    }

    #[test]
    fn equal_times_pop_in_push_order_in_both_structures() {
        // 10 events: the heap; 3000: the radix heap (past GROW_AT).
        for n in [10, 3000] {
            let mut q = EventQueue::default();
            push_many(&mut q, 7, 0, n);
            assert_eq!(q.large, n as usize > GROW_AT);
            let got: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
            assert_eq!(got, (0..n).collect::<Vec<_>>());
        }
    }

    #[test]
    fn fifo_holds_across_the_switch_to_the_radix_heap_and_back() {
        let mut q = EventQueue::default();
        // GROW_AT events at 5 and at 9 alternately, interleaved with pops of time 0: the switch
        // to the radix heap happens midway, with both times pending in the heap.
        q.push(SimTime(0), u32::MAX);
        for i in 0..(2 * GROW_AT as u32) {
            q.push(SimTime(if i % 2 == 0 { 5 } else { 9 }), i);
        }
        assert!(q.large);
        assert_eq!(q.pop(), Some((SimTime(0), u32::MAX)));
        // Later pushes at 5 and 9 come after every earlier one at the same time.
        q.push(SimTime(9), 100_000);
        q.push(SimTime(5), 100_001);
        let mut fives = Vec::new();
        let mut nines = Vec::new();
        let mut shrank_at = None;
        while let Some((t, e)) = q.pop() {
            if !q.large && shrank_at.is_none() {
                shrank_at = Some(q.len());
                // Pushed into the binary heap after the switch back: last among the nines.
                q.push(SimTime(9), 100_002);
            }
            if t == SimTime(5) {
                fives.push(e);
            } else {
                assert_eq!(t, SimTime(9), "5s first, then 9s");
                nines.push(e);
            }
        }
        // The radix heap hands back once fewer than SHRINK_AT events remain.
        assert_eq!(shrank_at, Some(SHRINK_AT - 1));
        let even: Vec<u32> = (0..2 * GROW_AT as u32).filter(|i| i % 2 == 0).collect();
        let odd: Vec<u32> = (0..2 * GROW_AT as u32).filter(|i| i % 2 == 1).collect();
        assert_eq!(fives, [even, vec![100_001]].concat());
        assert_eq!(nines, [odd, vec![100_000, 100_002]].concat());
    }

    #[test]
    fn times_near_the_top_of_the_range_keep_their_order() {
        let mut q = EventQueue::default();
        // Enough for the radix heap; the times differ only in the lowest and the highest bits.
        let times = [
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) - 1,
            0,
            u64::MAX,
            1,
        ];
        let mut expected = Vec::new();
        for round in 0..300u32 {
            for (i, &t) in times.iter().enumerate() {
                let id = round * 10 + i as u32;
                q.push(SimTime(t), id);
                expected.push((t, id));
            }
        }
        assert!(q.large);
        expected.sort(); // by time, then by push order (ids grow with it)
        let got: Vec<(u64, u32)> = std::iter::from_fn(|| q.pop().map(|(t, e)| (t.0, e))).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn an_emptied_queue_takes_pushes_from_the_last_time_on() {
        let mut q = EventQueue::default();
        push_many(&mut q, 1_000, 0, 2_000);
        while q.pop().is_some() {}
        assert_eq!(q.pop(), None);
        // The last time popped was 1000: the same instant is still allowed.
        q.push(SimTime(1_000), 7);
        q.push(SimTime(1_001), 8);
        assert_eq!(q.pop(), Some((SimTime(1_000), 7)));
        assert_eq!(q.pop(), Some((SimTime(1_001), 8)));
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "event scheduled in the past")]
    fn scheduling_before_the_last_pop_is_caught_in_debug_builds() {
        let mut q = EventQueue::default();
        q.push(SimTime(10), ());
        q.pop();
        q.push(SimTime(9), ());
    }
}
