//! The randomness of backoff jitter, injected so that retry tests are exact.

use std::fmt::Debug;
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Picks a random duration in `[0, max]` for backoff jitter.
pub trait Jitter: Send + Sync + Debug {
    fn pick(&self, max: Duration) -> Duration;
}

/// Uniform jitter from the standard library's randomly seeded hasher: no extra dependency.
#[derive(Debug, Default)]
pub struct RandomJitter {
    state: RandomState,
    counter: AtomicU64,
}

impl Jitter for RandomJitter {
    fn pick(&self, max: Duration) -> Duration {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let r = self.state.hash_one(n);
        let nanos = max.as_nanos().min(u128::from(u64::MAX)) as u64;
        if nanos == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos(r % (nanos + 1))
    }
}

/// Jitter that always picks the same fraction of the maximum (tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedJitter(pub f64);

impl Jitter for FixedJitter {
    fn pick(&self, max: Duration) -> Duration {
        max.mul_f64(self.0.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_jitter_stays_in_range_and_varies() {
        let j = RandomJitter::default();
        let max = Duration::from_millis(100);
        let picks: Vec<_> = (0..200).map(|_| j.pick(max)).collect();
        assert!(picks.iter().all(|d| *d <= max));
        assert!(picks.iter().any(|d| *d != picks[0]), "jitter never varies");
        assert_eq!(j.pick(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn fixed_jitter_picks_its_fraction() {
        assert_eq!(
            FixedJitter(0.5).pick(Duration::from_secs(2)),
            Duration::from_secs(1)
        );
        assert_eq!(
            FixedJitter(7.0).pick(Duration::from_secs(2)),
            Duration::from_secs(2)
        );
    }
}
