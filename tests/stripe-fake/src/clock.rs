//! The fake's clock, shared by every object like a Stripe test clock.
//!
//! It reads the real time until a test fixes it; after that it only moves when told to.
//! Either way `advance` can move it forward, and every transition due on the way runs at
//! its own moment (see `State::advance_to`).

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub(crate) struct Clock {
    /// Set once the clock is fixed: the time, in Unix seconds.
    fixed: Option<i64>,
    /// While following the real time: how far the fake has been advanced beyond it.
    offset: i64,
}

impl Clock {
    pub fn now(&self) -> i64 {
        self.fixed.unwrap_or_else(|| real_now() + self.offset)
    }

    pub fn fix(&mut self, unix: i64) {
        self.fixed = Some(unix);
    }

    /// Moves to `unix`, staying fixed or staying on the real clock, whichever it was.
    pub fn move_to(&mut self, unix: i64) {
        match &mut self.fixed {
            Some(fixed) => *fixed = unix,
            None => self.offset = unix - real_now(),
        }
    }
}

#[expect(clippy::disallowed_methods, reason = "the fake's clock defaults to the real time; this is its one read")]
fn real_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let mut clock = Clock::default();
        clock.fix(1_000);
        assert_eq!(clock.now(), 1_000);
        clock.move_to(5_000);
        assert_eq!(clock.now(), 5_000);
    }

    #[test]
    fn an_advanced_real_clock_keeps_its_lead() {
        let mut clock = Clock::default();
        let target = real_now() + 86_400;
        clock.move_to(target);
        assert!((clock.now() - target).abs() <= 1);
    }
}
