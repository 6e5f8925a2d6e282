//! The delays between attempts to reopen a kernel's WebSocket: exponential from
//! [`Backoff::FIRST`], capped at [`Backoff::CAP`], with up to a quarter of random jitter so that
//! many sessions cut off together do not come back in lockstep. Never zero: no busy loop.

use std::time::Duration;

/// The delay before each reconnection attempt.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempts: u32,
}

impl Backoff {
    pub const FIRST: Duration = Duration::from_millis(250);
    pub const CAP: Duration = Duration::from_secs(15);
    /// Attempts before the link gives up (about a minute and a half of trying).
    pub const MAX_ATTEMPTS: u32 = 10;

    pub fn new() -> Self {
        Backoff { attempts: 0 }
    }

    /// The next delay, `jitter` in `0.0..=1.0` picking how much of the extra quarter to add;
    /// `None` once [`Backoff::MAX_ATTEMPTS`] were used.
    pub fn next_delay(&mut self, jitter: f64) -> Option<Duration> {
        if self.attempts >= Self::MAX_ATTEMPTS {
            return None;
        }
        let base = Self::FIRST
            .saturating_mul(1 << self.attempts.min(16))
            .min(Self::CAP);
        self.attempts += 1;
        Some(base + base.mul_f64(jitter.clamp(0.0, 1.0) / 4.0))
    }

    /// Attempts made so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_then_gives_up() {
        let mut backoff = Backoff::new();
        let delays: Vec<Duration> = std::iter::from_fn(|| backoff.next_delay(0.0)).collect();
        assert_eq!(delays.len() as u32, Backoff::MAX_ATTEMPTS);
        assert_eq!(delays[0], Duration::from_millis(250));
        assert_eq!(delays[1], Duration::from_millis(500));
        assert_eq!(delays[5], Duration::from_secs(8));
        assert_eq!(delays[6], Backoff::CAP);
        assert_eq!(*delays.last().unwrap(), Backoff::CAP);
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn jitter_adds_at_most_a_quarter() {
        let mut backoff = Backoff::new();
        assert_eq!(
            backoff.next_delay(1.0),
            Some(Duration::from_micros(312_500))
        );
        let mut backoff = Backoff::new();
        assert_eq!(
            backoff.next_delay(7.0),
            Some(Duration::from_micros(312_500))
        );
        let mut backoff = Backoff::new();
        assert_eq!(backoff.next_delay(-1.0), Some(Duration::from_millis(250)));
    }
}
