//! When to try a lost connection again: capped exponential backoff with jitter, the one
//! schedule behind the browser's session socket and the server's kernel links.
//!
//! Jitter keeps many clients cut off together (tabs of a restarted server, sessions of a
//! restarted kernel) from coming back in lockstep. No IO and no randomness here: the caller
//! passes a random number in `[0, 1)` (`Math.random()` in the browser, `rand` on the server),
//! so every schedule is testable. Each side keeps its own figures in a [`Schedule`].

use std::time::Duration;

/// The figures of one retry schedule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    /// The first step; each later one doubles it.
    pub first: Duration,
    /// The largest step.
    pub cap: Duration,
    /// The delay lies between `least` and `most` times the step, placed by the random
    /// number: `1.0..1.25` adds up to a quarter, `0.5..1.0` is "equal jitter". Keep `least`
    /// above zero, so that a delay never collapses to nothing.
    pub least: f64,
    pub most: f64,
    /// Attempts before giving up; `None` tries for ever.
    pub max_attempts: Option<u32>,
}

/// Where one connection is in its [`Schedule`].
#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    schedule: Schedule,
    /// Attempts since the start or the last [`Backoff::reset`].
    attempts: u32,
}

impl Backoff {
    pub fn new(schedule: Schedule) -> Self {
        Backoff {
            schedule,
            attempts: 0,
        }
    }

    /// Counts an attempt and says how long to wait before it; `None` once the schedule's
    /// attempts are used up. `random` is uniform in `[0, 1)`; anything else (NaN included) is
    /// taken as the nearest bound.
    pub fn next_delay(&mut self, random: f64) -> Option<Duration> {
        let Schedule {
            first,
            cap,
            least,
            most,
            max_attempts,
        } = self.schedule;
        if max_attempts.is_some_and(|max| self.attempts >= max) {
            return None;
        }
        let step = first
            .saturating_mul(1 << self.attempts.min(16))
            .min(cap.max(first));
        self.attempts = self.attempts.saturating_add(1);
        let random = if random.is_nan() {
            0.0
        } else {
            random.clamp(0.0, 1.0)
        };
        let factor = least + (most - least) * random;
        Some(step.mul_f64(factor.max(0.0)))
    }

    /// Attempts since the start or the last [`Backoff::reset`].
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// A connection succeeded: the next loss starts the schedule over.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The server's kernel links: 250 ms doubling to 15 s, up to a quarter more, 10 attempts.
    const ADDING: Schedule = Schedule {
        first: Duration::from_millis(250),
        cap: Duration::from_secs(15),
        least: 1.0,
        most: 1.25,
        max_attempts: Some(10),
    };

    /// The browser's session socket: 500 ms doubling to 8 s, equal jitter, for ever.
    const EQUAL: Schedule = Schedule {
        first: Duration::from_millis(500),
        cap: Duration::from_secs(8),
        least: 0.5,
        most: 1.0,
        max_attempts: None,
    };

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn doubles_up_to_the_cap_then_gives_up() {
        let mut backoff = Backoff::new(ADDING);
        let delays: Vec<Duration> = std::iter::from_fn(|| backoff.next_delay(0.0)).collect();
        assert_eq!(delays.len(), 10);
        assert_eq!(delays[0], ms(250));
        assert_eq!(delays[1], ms(500));
        assert_eq!(delays[5], ms(8000));
        assert_eq!(delays[6], ms(15_000));
        assert_eq!(*delays.last().unwrap(), ms(15_000));
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(backoff.attempts(), 10);
    }

    #[test]
    fn adding_jitter_adds_at_most_a_quarter() {
        for (random, delay) in [(1.0, 312_500), (7.0, 312_500), (-1.0, 250_000)] {
            let mut backoff = Backoff::new(ADDING);
            assert_eq!(
                backoff.next_delay(random),
                Some(Duration::from_micros(delay))
            );
        }
    }

    #[test]
    fn equal_jitter_stays_between_half_and_the_full_step() {
        let mut backoff = Backoff::new(EQUAL);
        let top: Vec<Duration> = (0..8).filter_map(|_| backoff.next_delay(1.0)).collect();
        let expected: Vec<Duration> = [500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]
            .into_iter()
            .map(ms)
            .collect();
        assert_eq!(top, expected);
        let mut backoff = Backoff::new(EQUAL);
        assert_eq!(backoff.next_delay(0.0), Some(ms(250)));
        assert_eq!(backoff.next_delay(0.5), Some(ms(750)));
        for random in [0.0, 0.1, 0.99, 1.0, -3.0, 7.0, f64::NAN] {
            let mut backoff = Backoff::new(EQUAL);
            for _ in 0..10 {
                backoff.next_delay(0.0);
            }
            let delay = backoff.next_delay(random).unwrap();
            assert!(
                (ms(4000)..=ms(8000)).contains(&delay),
                "{random}: {delay:?}"
            );
        }
    }

    #[test]
    fn reset_starts_over() {
        let mut backoff = Backoff::new(EQUAL);
        for _ in 0..5 {
            backoff.next_delay(1.0);
        }
        backoff.reset();
        assert_eq!(backoff.attempts(), 0);
        assert_eq!(backoff.next_delay(1.0), Some(ms(500)));
    }

    #[test]
    fn many_attempts_do_not_overflow() {
        let mut backoff = Backoff::new(Schedule {
            cap: Duration::MAX,
            ..EQUAL
        });
        for _ in 0..100 {
            assert!(backoff.next_delay(1.0).unwrap() <= ms(500 << 16));
        }
    }
}
