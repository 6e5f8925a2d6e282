//! When to try the session socket again after it dropped: capped exponential backoff with
//! jitter, reset once a connection succeeds.
//!
//! Jitter keeps many open tabs from hammering a restarted server in lockstep. The random
//! number comes in as an argument so the schedule is testable; the browser passes
//! `Math.random()`.

/// Delay before the first retry.
pub const BASE_MS: u32 = 500;
/// Longest delay between retries.
pub const CAP_MS: u32 = 8_000;

/// The retry schedule of one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u32,
    cap_ms: u32,
    /// Failed attempts since the last success.
    failures: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(BASE_MS, CAP_MS)
    }
}

impl Backoff {
    pub fn new(base_ms: u32, cap_ms: u32) -> Self {
        Backoff {
            base_ms,
            cap_ms: cap_ms.max(base_ms),
            failures: 0,
        }
    }

    /// Failed attempts since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// Records a failure and returns how long to wait before the next attempt, in
    /// milliseconds. `random` is uniform in `[0, 1)`: the delay lies between half and all of
    /// the capped exponential step ("equal jitter"), so it never collapses to zero.
    pub fn next_delay_ms(&mut self, random: f64) -> u32 {
        let doublings = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let step = (u64::from(self.base_ms) << doublings).min(u64::from(self.cap_ms));
        let half = step / 2;
        let jitter = (half as f64 * random.clamp(0.0, 1.0)) as u64;
        (half + jitter).min(step) as u32
    }

    /// A connection succeeded: the next drop starts the schedule over.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_exponentially_up_to_the_cap() {
        let mut b = Backoff::default();
        let top: Vec<u32> = (0..8).map(|_| b.next_delay_ms(1.0)).collect();
        assert_eq!(top, vec![500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]);
        assert_eq!(b.failures(), 8);
    }

    #[test]
    fn jitter_stays_between_half_and_the_full_step() {
        let mut b = Backoff::default();
        assert_eq!(b.next_delay_ms(0.0), 250);
        assert_eq!(b.next_delay_ms(0.5), 750);
        for r in [0.0, 0.1, 0.99, 1.0, -3.0, 7.0, f64::NAN] {
            let mut b = Backoff::default();
            for _ in 0..10 {
                b.next_delay_ms(0.0);
            }
            let d = b.next_delay_ms(r);
            assert!((4000..=8000).contains(&d), "{r}: {d}");
        }
    }

    #[test]
    fn reset_starts_over() {
        let mut b = Backoff::default();
        for _ in 0..5 {
            b.next_delay_ms(1.0);
        }
        b.reset();
        assert_eq!(b.failures(), 0);
        assert_eq!(b.next_delay_ms(1.0), 500);
    }

    #[test]
    fn many_failures_do_not_overflow() {
        let mut b = Backoff::new(500, u32::MAX);
        for _ in 0..100 {
            assert!(b.next_delay_ms(1.0) <= 500 << 16);
        }
    }
}
