//! One run's session with the Cloudflare API: the shared HTTP client, this run's API token and
//! deadline, and the rate-limit gate. Every answer's status and envelope are checked; retryable
//! failures (429, 5xx, connection errors, timeouts) are retried within the deadline.

use super::envelope::{read_capped, Envelope, MAX_BODY};
use super::errors::{snippet, status_hint, ApiError, CloudflareErrors};
use crate::redact::{scrub, Secret};
use crate::report::ErrorKind;
use crate::retry::{Attempt, Retrier};
use serde_json::value::RawValue;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Backstop for one HTTP exchange; each attempt is bounded by the retry policy and the deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A longer `Retry-After` is read as this long (a day, past any invocation's deadline).
const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// A successful answer: its `result` (and `result_info`, for lists) as raw JSON text, for the
/// operation to parse into what it expects.
#[derive(Debug)]
pub(crate) struct Answer {
    status: reqwest::StatusCode,
    result: Option<Box<RawValue>>,
    pub result_info: Option<Box<RawValue>>,
}

impl Answer {
    /// The `result`, which every answer but a delete's must have.
    pub fn result(&self) -> Result<&str, ApiError> {
        self.result.as_deref().map(RawValue::get).ok_or_else(|| {
            ApiError::new(
                ErrorKind::MalformedResponse,
                format!(
                    "Cloudflare answered HTTP {} without a `result`",
                    self.status
                ),
            )
        })
    }
}

/// Builds the HTTP client once per container: rustls, timeouts, no redirects (a redirect would
/// carry the bearer token somewhere else).
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    // reqwest is built without a crypto provider: use ring, as the AWS SDK's client does. An error
    // means one is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!(
            "hyperdrive-dsql-rotator/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
}

/// The Cloudflare API for one run: the shared HTTP client plus this run's token and deadline.
#[derive(Debug, Clone)]
pub struct Session {
    http: reqwest::Client,
    base_url: String,
    token: Secret,
    retrier: Retrier,
    deadline: Instant,
    /// Cloudflare's rate limit is per user: a `Retry-After` seen by one call holds every call.
    paused_until: Arc<Mutex<Option<Instant>>>,
}

impl Session {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        token: Secret,
        retrier: Retrier,
        deadline: Instant,
    ) -> Self {
        Session {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
            retrier,
            deadline,
            paused_until: Arc::new(Mutex::new(None)),
        }
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Runs `op` under the retry policy, within the deadline; the last error says why it stopped.
    pub(crate) async fn retrying<T, F, Fut>(&self, op: F) -> Result<T, ApiError>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T, Attempt<ApiError>>>,
    {
        self.retrier
            .run(self.deadline, op)
            .await
            .map_err(ApiError::from_gave_up)
    }

    /// One HTTP exchange: the answer's `result` on success, else whether to retry. `password` is
    /// the secret the request carries, scrubbed from any message like the API token.
    pub(crate) async fn call(
        &self,
        request: reqwest::RequestBuilder,
        password: Option<&Secret>,
    ) -> Result<Answer, Attempt<ApiError>> {
        self.wait_for_the_gate().await?;
        let remaining = self
            .deadline
            .saturating_duration_since(self.retrier.clock.instant());
        if remaining.is_zero() {
            return Err(Attempt::Fail(ApiError::new(
                ErrorKind::DeadlineExceeded,
                "no time was left before the invocation deadline",
            )));
        }
        let response = request
            .bearer_auth(self.token.expose())
            .timeout(remaining.min(self.retrier.policy.attempt_timeout))
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|secs| Duration::from_secs(secs.min(MAX_RETRY_AFTER_SECS)));
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = read_capped(response, MAX_BODY)
            .await
            .map_err(|e| self.transport_error(&e))?;
        let secrets: Vec<&str> = password
            .iter()
            .map(|p| p.expose())
            .chain([self.token.expose()])
            .collect();
        let envelope = (!body.truncated)
            .then(|| Envelope::parse(&body.bytes))
            .flatten();
        let cloudflare = envelope
            .as_ref()
            .map(|e| CloudflareErrors::from_list(&e.errors, &secrets));
        let excerpt = || snippet(&body, &content_type, &secrets);

        if let (429, Some(wait)) = (status.as_u16(), retry_after) {
            self.close_the_gate_for(wait);
        }
        if status.as_u16() == 429 || status.is_server_error() {
            let kind = if status.as_u16() == 429 {
                ErrorKind::RateLimited
            } else {
                ErrorKind::CloudflareUnavailable
            };
            let detail = cloudflare.map_or_else(excerpt, |c| c.summary);
            return Err(Attempt::Retry {
                error: ApiError::new(kind, format!("Cloudflare answered HTTP {status}: {detail}")),
                after: retry_after,
            });
        }
        let Some(envelope) = envelope else {
            let kind = if status.is_success() {
                ErrorKind::MalformedResponse
            } else {
                ErrorKind::CloudflareRejected
            };
            let what = if body.truncated {
                "an answer larger than any Hyperdrive answer (nothing of it was used)"
            } else {
                "a body that is not a JSON object"
            };
            return Err(Attempt::Fail(ApiError::new(
                kind,
                format!(
                    "Cloudflare answered HTTP {status} with {what}: {}{}",
                    excerpt(),
                    status_hint(status)
                ),
            )));
        };
        let errors = cloudflare.unwrap_or_default();
        if !status.is_success() {
            return Err(Attempt::Fail(errors.into_error(status)));
        }
        if !envelope.succeeded() {
            let mut e = errors.into_error(status);
            e.kind = ErrorKind::MalformedResponse;
            e.message = format!(
                "Cloudflare answered HTTP {status} without `success: true`: {}",
                e.message
            );
            return Err(Attempt::Fail(e));
        }
        Ok(Answer {
            status,
            result: envelope.result,
            result_info: envelope.result_info,
        })
    }

    /// Waits while a `Retry-After` holds every call; fails at once when it lasts past the deadline.
    async fn wait_for_the_gate(&self) -> Result<(), Attempt<ApiError>> {
        let paused_until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = paused_until.filter(|u| *u > self.retrier.clock.instant()) {
            if until >= self.deadline {
                let secs = until
                    .saturating_duration_since(self.retrier.clock.instant())
                    .as_secs_f64()
                    .ceil();
                return Err(Attempt::Fail(ApiError::new(
                    ErrorKind::RateLimited,
                    format!("Cloudflare answered an earlier call HTTP 429 and asked every call to wait (Retry-After), and the next one, in {secs} s, would pass the invocation deadline: gave up"),
                )));
            }
            tokio::time::sleep_until(until).await;
        }
        Ok(())
    }

    fn close_the_gate_for(&self, wait: Duration) {
        let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        // Past the deadline anyway when it would overflow.
        let until = self
            .retrier
            .clock
            .instant()
            .checked_add(wait)
            .unwrap_or(self.deadline);
        *paused = Some(paused.map_or(until, |p| p.max(until)));
    }

    fn transport_error(&self, e: &reqwest::Error) -> Attempt<ApiError> {
        let (kind, what) = if e.is_timeout() {
            (ErrorKind::Timeout, "timed out")
        } else {
            (ErrorKind::Network, "failed")
        };
        let mut chain = String::new();
        let mut source: Option<&dyn std::error::Error> = Some(e);
        while let Some(s) = source {
            if !chain.is_empty() {
                chain.push_str(": ");
            }
            chain.push_str(&s.to_string());
            source = s.source();
        }
        Attempt::Retry {
            error: ApiError::new(
                kind,
                format!(
                    "the request to Cloudflare {what}: {}",
                    scrub(&chain, &[self.token.expose()])
                ),
            ),
            after: None,
        }
    }
}
