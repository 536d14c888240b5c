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
//!   pushed is at least the last time popped (`last`). An event at time `t` waits in bucket
//!   `b(t) = bit length of (t XOR last)`: bucket 0 holds the events at `last` itself, bucket `k`
//!   those that first differ from `last` at bit `k - 1`. Popping takes from bucket 0; when it is
//!   empty, the lowest non-empty bucket is emptied, `last` becomes its earliest time, and its
//!   events fall into buckets below it. An event therefore moves at most 64 times in its life
//!   (in practice a few), whatever the queue's size.
//!
//! The radix heap stores no sequence number: FIFO among equal times follows from where events
//! go. All pending events of one time are always in the same bucket; a push appends to the end
//! of its bucket, and emptying a bucket moves its events in their order into buckets that were
//! empty. So in every bucket, events of equal time stand in push order, and bucket 0 is read
//! from the front.
//!
//! The queue switches to the radix heap when the binary heap passes [`GROW_AT`] events, by
//! popping the heap in order into it, and back when the radix heap falls under [`SHRINK_AT`],
//! by popping it in order into the heap with fresh sequence numbers (which keep the relative
//! order, being given in pop order and below every later push's). The gap between the two
//! thresholds keeps a queue hovering around one of them from switching at every event.
//!
//! Every structure's storage is kept for the whole run: after warm-up, scheduling allocates
//! nothing.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::time::SimTime;

/// Past this many pending events the binary heap hands over to the radix heap. Measured on the
/// bundled scenarios: up to a few hundred events the heap's few comparisons cost less than the
/// radix heap's bucket moves.
const GROW_AT: usize = 1024;

/// Under this many pending events the radix heap hands back to the binary heap.
const SHRINK_AT: usize = 256;

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

/// The bucket of an event at `time` when the last time popped is `last` (`time > last`): the
/// bit length of `time ^ last`, minus one to index `Radix::buckets` (bucket 0, `time == last`,
/// is `Radix::current`).
#[inline]
fn bucket(time: u64, last: u64) -> usize {
    63 - (time ^ last).leading_zeros() as usize
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

/// A monotone radix heap over `u64` time, FIFO among equal times (see the module docs).
#[derive(Debug)]
struct Radix<E> {
    /// The last time popped; no event is earlier.
    last: u64,
    /// The events at `last`, in push order; `current[head..]` are still pending.
    current: Vec<E>,
    head: usize,
    /// `buckets[k]` holds the events whose time first differs from `last` at bit `k`.
    buckets: [Vec<Timed<E>>; 64],
    /// Bit `k` set: `buckets[k]` is not empty.
    occupied: u64,
    /// Pending events in all buckets.
    len: usize,
}

impl<E: Copy> Radix<E> {
    fn new() -> Self {
        Radix {
            last: 0,
            current: Vec::new(),
            head: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
            occupied: 0,
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, time: u64, event: E) {
        debug_assert!(time >= self.last, "event scheduled in the past");
        self.len += 1;
        if time == self.last {
            self.current.push(event);
        } else {
            let k = bucket(time, self.last);
            self.buckets[k].push(Timed { time, event });
            self.occupied |= 1 << k;
        }
    }

    #[inline]
    fn pop(&mut self) -> Option<(u64, E)> {
        if self.head == self.current.len() {
            if self.occupied == 0 {
                return None;
            }
            self.refill();
        }
        let event = self.current[self.head];
        self.head += 1;
        self.len -= 1;
        Some((self.last, event))
    }

    /// The next event if it is at `last`; otherwise the events of the lowest non-empty bucket,
    /// which holds the next one, if there are at most [`LOOK_AHEAD`] of them (in a large queue
    /// the low buckets hold a few events each).
    #[inline]
    fn upcoming(&self, mut ahead: impl FnMut(&E)) {
        if let Some(e) = self.current.get(self.head) {
            ahead(e);
        } else if self.occupied != 0 {
            let bucket = &self.buckets[self.occupied.trailing_zeros() as usize];
            if bucket.len() <= LOOK_AHEAD {
                for t in bucket {
                    let event = t.event;
                    ahead(&event);
                }
            }
        }
    }

    /// `current` is used up and some bucket is not: empties the lowest non-empty bucket, moving
    /// `last` to its earliest time. Every event of that bucket lands in a lower one (or in
    /// `current`), since it agrees with the new `last` on every bit from the bucket's upward;
    /// the buckets above keep their events, whose first difference with `last` is unchanged.
    fn refill(&mut self) {
        self.current.clear();
        self.head = 0;
        let k = self.occupied.trailing_zeros() as usize;
        let mut moving = std::mem::take(&mut self.buckets[k]);
        self.occupied &= !(1 << k);
        let last = moving.iter().map(|e| e.time).min().unwrap_or(self.last);
        self.last = last;
        for Timed { time, event } in moving.drain(..) {
            if time == last {
                self.current.push(event);
            } else {
                let j = bucket(time, last);
                self.buckets[j].push(Timed { time, event });
                self.occupied |= 1 << j;
            }
        }
        // Keep the emptied bucket's storage for the next events that fall into it.
        self.buckets[k] = moving;
    }
}

/// A priority queue of events keyed by time, FIFO among equal times.
#[derive(Debug)]
pub(crate) struct EventQueue<E> {
    /// The pending events while there are few (`large` false); empty otherwise.
    heap: BinaryHeap<Entry<E>>,
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
            let e = self.heap.pop()?;
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

    /// Shows `ahead` the events likely to be popped next, so that the caller can start loading
    /// what they will touch while it handles the one just popped (see [`crate::engine::prefetch`]).
    /// A hint only: the handler may still schedule an earlier event. Only a large queue looks
    /// ahead, where the records of a large fleet are rarely in cache; a small one shows nothing.
    #[inline]
    pub(crate) fn upcoming(&self, ahead: impl FnMut(&E)) {
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
        self.heap.len() + self.radix.len
    }

    #[inline]
    fn push_heap(&mut self, time: u64, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            key: (u128::from(time) << 64) | u128::from(seq),
            event,
        });
    }

    /// Moves every event from the binary heap to the radix heap, in order.
    #[cold]
    #[inline(never)]
    fn grow(&mut self) {
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
                q.upcoming(|&e| shown.push(e));
                prop_assert!(shown.len() <= LOOK_AHEAD);
                prop_assert!(shown.is_empty() || q.large, "a small queue looks ahead");
                let expected = r.pop();
                if let (false, Some((_, next))) = (shown.is_empty(), expected) {
                    prop_assert!(shown.contains(&next), "{next} popped, {shown:?} shown");
                }
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
        // Past GROW_AT: 2,000 events one nanosecond apart, then two at the same instant.
        for i in 0..2000 {
            q.push(SimTime(10 + u64::from(i)), i);
        }
        assert!(q.large);
        let shown = |q: &EventQueue<u32>| {
            let mut v = Vec::new();
            q.upcoming(|&e| v.push(e));
            v
        };
        // Nothing popped yet: the lowest bucket holds the times 10 to 15, too many to show.
        assert_eq!(shown(&q), Vec::<u32>::new());
        assert_eq!(q.pop(), Some((SimTime(10), 0)));
        // Popping 10 spread 11 to 15 over the buckets below: 11 is alone in the lowest.
        assert_eq!(shown(&q), vec![1]);
        q.push(SimTime(10), 5000);
        assert_eq!(
            shown(&q),
            vec![5000],
            "an event at the last time popped is next"
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
