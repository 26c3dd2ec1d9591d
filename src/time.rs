//! Where the time comes from: wall-clock time (signing, the report) and monotonic time (deadlines,
//! waits), both read through an injected [`Clock`] so that tests are exact. Clippy bans the direct
//! calls everywhere else (clippy.toml).

use std::fmt::Debug;
use std::time::SystemTime;
use tokio::time::Instant;

/// Wall-clock and monotonic time.
pub trait Clock: Send + Sync + Debug {
    /// Wall-clock time, for signing and for the report.
    fn now(&self) -> SystemTime;
    /// Monotonic time, for deadlines and waits. Tokio's clock, so that a paused test runtime
    /// controls it.
    fn instant(&self) -> Instant;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[allow(clippy::disallowed_methods)] // the one place that reads the real time
impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// A wall clock stopped at one instant (tests, reproducible runs); monotonic time still flows (from
/// tokio's clock, which a paused test runtime controls), so deadlines and waits keep working.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub SystemTime);

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }

    fn instant(&self) -> Instant {
        SystemClock.instant()
    }
}
