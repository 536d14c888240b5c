//! A side queue for events whose times are scheduled in non-decreasing order.
//!
//! Client timeouts are all `sent + timeout` with one fixed `timeout`, so they are born in time
//! order: a ring buffer holds them at O(1) per push and pop instead of O(log n) in the heap. The
//! run loop merges it with the [`EventQueue`](super::EventQueue) by `(time, sequence)`, taking
//! sequence numbers from the same counter, so the merged order is exactly the order one heap would
//! have produced.

use std::collections::VecDeque;

use super::time::SimTime;

#[derive(Debug)]
pub struct Fifo<E> {
    items: VecDeque<(SimTime, u64, E)>,
}

impl<E> Default for Fifo<E> {
    fn default() -> Self {
        Fifo {
            items: VecDeque::new(),
        }
    }
}

impl<E: Copy> Fifo<E> {
    /// Appends an event. `time` must not be earlier than the last one pushed.
    #[inline]
    pub fn push(&mut self, time: SimTime, seq: u64, event: E) {
        debug_assert!(self.items.back().is_none_or(|&(t, _, _)| t <= time));
        self.items.push_back((time, seq, event));
    }

    #[inline]
    pub fn peek_key(&self) -> Option<(SimTime, u64)> {
        self.items.front().map(|&(t, s, _)| (t, s))
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.items.pop_front().map(|(t, _, e)| (t, e))
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
