//! The time a capture record gets: microseconds since the Unix epoch, read once per record.
//!
//! On Unix it is `clock_gettime(CLOCK_REALTIME)` through rustix, which calls the vDSO and
//! hands back the seconds and nanoseconds as they are. `SystemTime::now()` reads the same
//! clock, but `duration_since(UNIX_EPOCH)` then normalises and checks a `Duration`: with
//! std's own wrapper that was ≈ 140 instructions a record, ≈ 7 % of what the capture adds
//! per echo (callgrind, docs/benchmarks.md).

/// Microseconds since the Unix epoch (0 for a clock set before it).
#[cfg(unix)]
#[inline]
pub fn now_us() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Realtime);
    // Both fields are non-negative for any time after the epoch; before it there is nothing
    // sensible to show, as with `SystemTime` below.
    match (u64::try_from(now.tv_sec), u64::try_from(now.tv_nsec)) {
        (Ok(secs), Ok(nanos)) => secs.saturating_mul(1_000_000).saturating_add(nanos / 1_000),
        _ => 0,
    }
}

/// Microseconds since the Unix epoch (0 for a clock set before it).
#[cfg(not(unix))]
pub fn now_us() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| {
        d.as_secs()
            .saturating_mul(1_000_000)
            .saturating_add(u64::from(d.subsec_micros()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    #[test]
    fn it_reads_the_wall_clock_in_microseconds() {
        let micros = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_micros() as u64;
        let before = micros(SystemTime::now());
        let ours = now_us();
        let after = micros(SystemTime::now());
        assert!(
            before <= ours && ours <= after,
            "{before} <= {ours} <= {after}"
        );
    }
}
