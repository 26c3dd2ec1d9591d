//! Bounded retries with exponential backoff and jitter, honouring `Retry-After`, and never waiting
//! past the run's deadline.

use crate::jitter::Jitter;
use crate::time::Clock;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How many attempts and how long to wait between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles each time.
    pub base_delay: Duration,
    /// Longest backoff (a longer `Retry-After` is still honoured, within the deadline).
    pub max_delay: Duration,
    /// Longest wait for one attempt (also bounded by the deadline).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            attempt_timeout: Duration::from_secs(15),
        }
    }
}

/// What an attempt says about trying again.
#[derive(Debug)]
pub enum Attempt<E> {
    /// Worth another try, after at least `after` when the server said so.
    Retry { error: E, after: Option<Duration> },
    /// Trying again cannot help.
    Fail(E),
}

/// Why the retries stopped, with the last error.
#[derive(Debug)]
pub struct GaveUp<E> {
    pub error: E,
    pub attempts: u32,
    pub reason: Reason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The error is not worth retrying.
    Fatal,
    /// Every attempt was used.
    Attempts,
    /// The next wait would have passed the deadline.
    Deadline { wait: Duration },
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based): what the server asked for (`Retry-After`) plus
    /// up to a tenth more (at most 1 s) so that clients do not all return at once; without an ask,
    /// half the exponential backoff plus a random part of the other half.
    pub fn delay(
        &self,
        retry: u32,
        server_asked: Option<Duration>,
        jitter: &dyn Jitter,
    ) -> Duration {
        if let Some(asked) = server_asked {
            return asked.saturating_add(jitter.pick((asked / 10).min(Duration::from_secs(1))));
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32 << (retry.saturating_sub(1)).min(16))
            .min(self.max_delay);
        exp / 2 + jitter.pick(exp / 2)
    }

    /// Runs `op(attempt)` (attempt counts from 1) until it succeeds or [`GaveUp`].
    pub async fn run<T, E, F, Fut>(
        &self,
        jitter: &dyn Jitter,
        clock: &dyn Clock,
        deadline: Instant,
        mut op: F,
    ) -> Result<T, GaveUp<E>>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Attempt<E>>>,
    {
        let mut attempt = 1;
        loop {
            let (error, after) = match op(attempt).await {
                Ok(v) => return Ok(v),
                Err(Attempt::Fail(error)) => {
                    return Err(GaveUp {
                        error,
                        attempts: attempt,
                        reason: Reason::Fatal,
                    })
                }
                Err(Attempt::Retry { error, after }) => (error, after),
            };
            if attempt >= self.max_attempts {
                return Err(GaveUp {
                    error,
                    attempts: attempt,
                    reason: Reason::Attempts,
                });
            }
            let wait = self.delay(attempt, after, jitter);
            let next = clock.instant().checked_add(wait);
            if next.is_none_or(|next| next >= deadline) {
                return Err(GaveUp {
                    error,
                    attempts: attempt,
                    reason: Reason::Deadline { wait },
                });
            }
            tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// A retry policy with the randomness and the clock it runs on: what an adapter needs to retry.
#[derive(Debug, Clone)]
pub struct Retrier {
    pub policy: RetryPolicy,
    pub jitter: Arc<dyn Jitter>,
    pub clock: Arc<dyn Clock>,
}

impl Retrier {
    /// [`RetryPolicy::run`] with this retrier's jitter and clock.
    pub async fn run<T, E, F, Fut>(&self, deadline: Instant, op: F) -> Result<T, GaveUp<E>>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Attempt<E>>>,
    {
        self.policy
            .run(self.jitter.as_ref(), self.clock.as_ref(), deadline, op)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jitter::FixedJitter;
    use crate::time::SystemClock;
    use std::cell::Cell;

    #[test]
    fn delay_grows_caps_and_honours_the_server() {
        let p = RetryPolicy::default();
        let none = FixedJitter(0.0);
        let full = FixedJitter(1.0);
        assert_eq!(p.delay(1, None, &none), Duration::from_millis(250));
        assert_eq!(p.delay(1, None, &full), Duration::from_millis(500));
        assert_eq!(p.delay(3, None, &full), Duration::from_secs(2));
        assert_eq!(p.delay(10, None, &full), Duration::from_secs(8), "capped");
        // The server's Retry-After is the wait, plus up to a tenth (at most 1 s) of jitter, even
        // when the exponential backoff would be longer.
        let asked = Some(Duration::from_secs(3));
        assert_eq!(p.delay(1, asked, &none), Duration::from_secs(3));
        assert_eq!(p.delay(1, asked, &full), Duration::from_millis(3300));
        let one = Some(Duration::from_secs(1));
        assert_eq!(p.delay(9, one, &full), Duration::from_millis(1100));
        let forever = Some(Duration::MAX);
        assert_eq!(p.delay(1, forever, &full), Duration::MAX, "no overflow");
        let minute = Some(Duration::from_secs(60));
        assert_eq!(p.delay(1, minute, &full), Duration::from_secs(61));
        assert_eq!(
            p.delay(40, None, &full),
            Duration::from_secs(8),
            "no overflow"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retries_until_success_within_the_attempt_budget() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let calls = Cell::new(0);
        let deadline = SystemClock.instant() + Duration::from_secs(60);
        let r: Result<u32, GaveUp<&str>> = p
            .run(&FixedJitter(0.5), &SystemClock, deadline, |n| {
                calls.set(n);
                async move {
                    if n < 3 {
                        Err(Attempt::Retry {
                            error: "busy",
                            after: None,
                        })
                    } else {
                        Ok(n)
                    }
                }
            })
            .await;
        assert_eq!(r.unwrap(), 3);
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_on_fatal_errors_exhaustion_and_the_deadline() {
        let p = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let far = SystemClock.instant() + Duration::from_secs(600);
        let j = FixedJitter(0.5);

        let fatal = p
            .run(&j, &SystemClock, far, |_| async {
                Err::<(), _>(Attempt::Fail("no"))
            })
            .await
            .unwrap_err();
        assert_eq!((fatal.attempts, fatal.reason), (1, Reason::Fatal));

        let spent = p
            .run(&j, &SystemClock, far, |_| async {
                Err::<(), _>(Attempt::Retry {
                    error: "busy",
                    after: None,
                })
            })
            .await
            .unwrap_err();
        assert_eq!((spent.attempts, spent.reason), (3, Reason::Attempts));

        let start = SystemClock.instant();
        let near = start + Duration::from_secs(10);
        let late = p
            .run(&j, &SystemClock, near, |_| async {
                Err::<(), _>(Attempt::Retry {
                    error: "limited",
                    after: Some(Duration::from_secs(300)),
                })
            })
            .await
            .unwrap_err();
        assert_eq!(late.attempts, 1);
        assert_eq!(
            late.reason,
            Reason::Deadline {
                wait: Duration::from_millis(300_500)
            }
        );
        assert!(
            SystemClock.instant() < near,
            "never sleeps past the deadline"
        );
    }
}
