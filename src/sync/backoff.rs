//! Jittered exponential backoff for reconnects: many clients behind one outage must not
//! come back in lockstep.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            base,
            max,
            attempt: 0,
        }
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The next pause: base * 2^attempt, capped, then scattered by +-25%.
    pub fn next_delay(&mut self) -> Duration {
        let factor = 2u32.saturating_pow(self.attempt.min(20));
        self.attempt = self.attempt.saturating_add(1);
        let nominal = self.base.saturating_mul(factor).min(self.max);
        let jitter = rand::rng().random_range(0.75..=1.25);
        nominal.mul_f64(jitter).min(self.max)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(300))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_caps_and_resets() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(10));
        let first = backoff.next_delay();
        assert!(first >= Duration::from_millis(750) && first <= Duration::from_millis(1250));
        let second = backoff.next_delay();
        assert!(second >= Duration::from_millis(1500) && second <= Duration::from_millis(2500));
        for _ in 0..10 {
            assert!(backoff.next_delay() <= Duration::from_secs(10));
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(1250));
    }
}
