//! Noticing a suspend: the monotonic clock stops while the machine sleeps, the wall clock
//! does not. A connection that slept through minutes is likely dead (the NAT forgot it, the
//! server dropped it), yet IDLE would trust it until its next renewal.

use std::time::{Duration, Instant, SystemTime};

/// A wall clock that ran this much further than the monotonic one means the machine slept
/// (NTP slews by far less; a user setting the clock forward only costs one extra check).
pub const SUSPEND_JUMP: Duration = Duration::from_secs(30);

/// How often the engine compares the clocks while it idles.
pub const CHECK_EVERY: Duration = Duration::from_secs(5);

/// The two clocks as last read.
#[derive(Debug, Clone, Copy)]
pub struct ClockJump {
    wall: SystemTime,
    monotonic: Instant,
}

impl ClockJump {
    pub fn start(wall: SystemTime, monotonic: Instant) -> Self {
        Self { wall, monotonic }
    }

    pub fn now() -> Self {
        Self::start(SystemTime::now(), Instant::now())
    }

    /// Reads the clocks again; true when the wall clock moved ahead of the monotonic one by
    /// more than [`SUSPEND_JUMP`] since the last reading. A wall clock set back is no sleep.
    pub fn jumped(&mut self, wall: SystemTime, monotonic: Instant) -> bool {
        let slept = monotonic.saturating_duration_since(self.monotonic);
        let passed = wall.duration_since(self.wall).unwrap_or(Duration::ZERO);
        *self = Self::start(wall, monotonic);
        passed.saturating_sub(slept) > SUSPEND_JUMP
    }
}

/// Completes after a suspend, checking the clocks every [`CHECK_EVERY`].
pub async fn woke_from_suspend() {
    let mut clocks = ClockJump::now();
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        if clocks.jumped(SystemTime::now(), Instant::now()) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_clock_far_ahead_of_the_monotonic_one_is_a_suspend() {
        let (wall, mono) = (
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000),
            Instant::now(),
        );
        let mut clocks = ClockJump::start(wall, mono);
        let secs = Duration::from_secs;
        // Both clocks ran 5 s: awake.
        assert!(!clocks.jumped(wall + secs(5), mono + secs(5)));
        // A little drift (NTP) is no suspend.
        assert!(!clocks.jumped(wall + secs(12), mono + secs(10)));
        // 5 s of monotonic time but 10 minutes on the wall: the machine slept.
        assert!(clocks.jumped(wall + secs(612), mono + secs(15)));
        // Measured from the new reading on: awake again.
        assert!(!clocks.jumped(wall + secs(617), mono + secs(20)));
        // Just over the threshold counts, just under does not.
        assert!(!clocks.jumped(wall + secs(652), mono + secs(25)));
        assert!(clocks.jumped(wall + secs(688), mono + secs(30)));
        // The wall clock set back is no sleep.
        assert!(!clocks.jumped(wall, mono + secs(35)));
    }
}
