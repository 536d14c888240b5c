//! A hint to the processor that a record is about to be read.
//!
//! In a fleet of hundreds of thousands of instances, the records an event touches (its request,
//! its session, its instance) are far apart in memory and rarely in cache: each costs a trip to
//! main memory. A handler that knows, as soon as it has read one record, which others it will
//! touch asks for all of them at once, so that their trips overlap instead of following one
//! another. A prefetch changes nothing the program can observe but its speed.

/// Starts loading the cache line that holds `at` (any address: a prefetch never faults).
#[inline(always)]
pub(crate) fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: PREFETCHT0 is a hint; it reads nothing into the program and cannot fault, whatever
    // the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(at.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// Bytes in a cache line.
const LINE: usize = 64;

/// Starts loading every cache line the `T` at `at` lies on: one more than its size in lines
/// when it starts part-way into a line.
#[inline(always)]
pub(crate) fn prefetch_all<T>(at: *const T) {
    prefetch_first(at, size_of::<T>());
}

/// Starts loading every cache line the first `bytes` of the `T` at `at` lie on: the part of a
/// record that the code about to run reads, when the rest lies on lines of its own.
#[inline(always)]
pub(crate) fn prefetch_first<T>(at: *const T, bytes: usize) {
    debug_assert!(bytes <= size_of::<T>());
    let (line, lines) = span(at.cast(), bytes);
    for k in 0..lines {
        prefetch(line.wrapping_add(k * LINE));
    }
}

/// The start of the first cache line that `size` bytes from `at` lie on, and how many lines
/// they cover.
#[inline(always)]
fn span(at: *const u8, size: usize) -> (*const u8, usize) {
    let into_line = at.addr() % LINE;
    (
        at.wrapping_sub(into_line),
        (into_line + size).div_ceil(LINE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[repr(align(64))]
    struct Lines([u8; 4 * LINE]);

    #[test]
    fn a_record_across_a_line_boundary_loads_every_line_it_is_on() {
        let lines = Lines([0; 4 * LINE]);
        let start = lines.0.as_ptr();
        let at = |offset: usize| start.wrapping_add(offset);
        // A 192-byte record 16 bytes into a line lies on four lines, not three: its last 16
        // bytes are on the fourth.
        assert_eq!(span(at(16), 192), (start, 4));
        assert_eq!(span(at(0), 192), (start, 3));
        assert_eq!(span(at(64 + 60), 8), (at(64), 2));
        assert_eq!(span(at(64 + 8), 8), (at(64), 1));
    }
}
