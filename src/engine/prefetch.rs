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

/// Starts loading every cache line of the `T` at `at`.
#[inline(always)]
pub(crate) fn prefetch_all<T>(at: *const T) {
    const LINE: usize = 64;
    let first = at.cast::<u8>();
    let mut offset = 0;
    while offset < size_of::<T>() {
        prefetch(first.wrapping_add(offset));
        offset += LINE;
    }
}
