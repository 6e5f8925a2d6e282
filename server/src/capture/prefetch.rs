//! Prefetches: asking the CPU for a cache line before the code that reads it, where the wait
//! would otherwise fall on the capture's path. Two places need it: a full ring's oldest entry
//! (the next push moves it out and writes into its slot) and a connection's trace state (with
//! many connections taking turns it has left the cache by the time its next bytes come).
//! `safe_arch` wraps the instruction, as this crate forbids unsafe code; elsewhere than on
//! x86_64 these do nothing.

use wirebook_shared::wire::Prefetch;

/// The line holding `value`, for reading.
#[inline(always)]
pub(crate) fn for_read<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_t0(value);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// The line holding `value`, for writing (no second trip to own it).
#[inline(always)]
pub(crate) fn for_write<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    safe_arch::prefetch_et0(value);
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// The wire layer's [`Prefetch`], done by this CPU.
pub(crate) struct Cpu;

impl Prefetch for Cpu {
    #[inline(always)]
    fn line_of<T>(&mut self, value: &T) {
        for_read(value);
    }
}
