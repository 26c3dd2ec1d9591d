//! A thin client for the Cloudflare Hyperdrive configs API (no Rust crate has these endpoints):
//! list every page, create, and patch the origin in place. Every response's status and envelope are
//! checked; retryable failures (429, 5xx, connection errors, timeouts) are retried within the
//! deadline; a create is retried only after a fresh list shows no config of that name.

use crate::clock::Jitter;
use crate::config::Target;
use crate::retry::{Attempt, GaveUp, Reason, RetryPolicy};
use crate::secret::{scrub, Secret};
use serde_json::{json, Value};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Backstop for one HTTP exchange; each attempt is bounded by the retry policy and the deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const PER_PAGE: usize = 100;
const MAX_PAGES: u32 = 100;
const MAX_SNIPPET: usize = 160;

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

/// What kind of failure; the report shows it as a snake_case string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The Cloudflare API token was refused (401/403).
    CloudflareAuth,
    /// Hyperdrive's connection test refused the origin (codes 2008..=2016).
    OriginRefused,
    /// Another 4xx answer.
    CloudflareRejected,
    /// 429 until the retries or the deadline ran out.
    RateLimited,
    /// 5xx until the retries or the deadline ran out.
    CloudflareUnavailable,
    /// Connection errors until the retries ran out.
    Network,
    /// Requests timed out until the retries ran out.
    Timeout,
    /// No time left before the invocation's deadline.
    DeadlineExceeded,
    /// A 2xx answer that is not a usable Cloudflare envelope.
    MalformedResponse,
    /// Two or more configs share the target's name: nothing written.
    DuplicateName,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::CloudflareAuth => "cloudflare_auth",
            ErrorKind::OriginRefused => "origin_refused",
            ErrorKind::CloudflareRejected => "cloudflare_rejected",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::CloudflareUnavailable => "cloudflare_unavailable",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::DeadlineExceeded => "deadline_exceeded",
            ErrorKind::MalformedResponse => "malformed_response",
            ErrorKind::DuplicateName => "duplicate_name",
        }
    }
}

/// A failed Hyperdrive API call, with Cloudflare's codes kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    pub codes: Vec<i64>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            codes: Vec::new(),
        }
    }

    fn from_gave_up(g: GaveUp<ApiError>) -> ApiError {
        let mut e = g.error;
        match g.reason {
            Reason::Fatal => {}
            Reason::Attempts => e.message = format!("{} (gave up after {} attempts)", e.message, g.attempts),
            Reason::Deadline { wait } => {
                e.message = format!(
                    "{} (gave up after {} attempt(s): the next one, in {} s, would pass the invocation deadline)",
                    e.message,
                    g.attempts,
                    wait.as_secs_f32().ceil()
                )
            }
        }
        e
    }
}

/// A Hyperdrive config as listed: only what the upsert needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSummary {
    pub id: String,
    pub name: String,
}

/// The Hyperdrive API for one run: the shared HTTP client plus this run's token and deadline.
#[derive(Debug, Clone)]
pub struct HyperdriveApi {
    http: reqwest::Client,
    base_url: String,
    token: Secret,
    policy: RetryPolicy,
    jitter: Arc<dyn Jitter>,
    deadline: Instant,
    /// Cloudflare's rate limit is per user: a `Retry-After` seen by one call holds every call.
    paused_until: Arc<Mutex<Option<Instant>>>,
}

impl HyperdriveApi {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        token: Secret,
        policy: RetryPolicy,
        jitter: Arc<dyn Jitter>,
        deadline: Instant,
    ) -> Self {
        HyperdriveApi {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
            policy,
            jitter,
            deadline,
            paused_until: Arc::new(Mutex::new(None)),
        }
    }

    fn configs_url(&self, account_id: &str) -> String {
        format!("{}/accounts/{account_id}/hyperdrive/configs", self.base_url)
    }

    /// Every config of the account, all pages.
    pub async fn list_configs(&self, account_id: &str) -> Result<Vec<ConfigSummary>, ApiError> {
        let url = self.configs_url(account_id);
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let body = self
                .policy
                .run(self.jitter.as_ref(), self.deadline, |_| {
                    self.call(
                        self.http
                            .get(format!("{url}?page={page}&per_page={PER_PAGE}")),
                        None,
                    )
                })
                .await
                .map_err(ApiError::from_gave_up)?;
            let items = body
                .get("result")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::MalformedResponse,
                        "the list answer has no `result` array",
                    )
                })?;
            for item in items {
                let field = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_owned);
                match (field("id"), field("name")) {
                    (Some(id), Some(name)) => all.push(ConfigSummary { id, name }),
                    _ => {
                        return Err(ApiError::new(
                            ErrorKind::MalformedResponse,
                            "a listed config has no string `id` or `name`",
                        ))
                    }
                }
            }
            if !has_more(&body, page, items.len()) {
                return Ok(all);
            }
        }
        Err(ApiError::new(
            ErrorKind::MalformedResponse,
            format!("the list did not end after {MAX_PAGES} pages of {PER_PAGE}"),
        ))
    }

    /// Points an existing config at a new password (and the target's other settings), in place.
    pub async fn update(
        &self,
        target: &Target,
        id: &str,
        password: &Secret,
    ) -> Result<String, ApiError> {
        let url = format!("{}/{id}", self.configs_url(&target.account_id));
        let body = write_body(target, password, false);
        let result = self
            .policy
            .run(self.jitter.as_ref(), self.deadline, |_| {
                self.call(self.http.patch(&url).json(&body), Some(password))
            })
            .await
            .map_err(ApiError::from_gave_up)?;
        result_id(&result)
    }

    /// Creates the config. A retry happens only after a fresh list shows that no config of the name
    /// exists, so that a create whose answer was lost never leaves two.
    pub async fn create(&self, target: &Target, password: &Secret) -> Result<String, ApiError> {
        let url = self.configs_url(&target.account_id);
        let body = write_body(target, password, true);
        let result = self
            .policy
            .run(self.jitter.as_ref(), self.deadline, |attempt| {
                let body = &body;
                let url = &url;
                async move {
                    if attempt > 1 {
                        let listed = self.list_configs(&target.account_id).await.map_err(Attempt::Fail)?;
                        let mut same = listed.into_iter().filter(|c| c.name == target.name);
                        match (same.next(), same.next()) {
                            (Some(existing), None) => {
                                tracing::info!(name = %target.name, config_id = %existing.id, "the lost create had succeeded");
                                return Ok(json!({"result": {"id": existing.id}}));
                            }
                            (Some(_), Some(_)) => {
                                return Err(Attempt::Fail(ApiError::new(
                                    ErrorKind::DuplicateName,
                                    format!("configs named {:?} appeared during the create", target.name),
                                )))
                            }
                            _ => {}
                        }
                    }
                    self.call(self.http.post(url).json(body), Some(password)).await
                }
            })
            .await
            .map_err(ApiError::from_gave_up)?;
        result_id(&result)
    }

    /// One HTTP exchange: the parsed envelope on success, else whether to retry.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        password: Option<&Secret>,
    ) -> Result<Value, Attempt<ApiError>> {
        let paused_until = *self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = paused_until.filter(|u| *u > Instant::now()) {
            if until >= self.deadline {
                return Err(Attempt::Fail(ApiError::new(
                    ErrorKind::RateLimited,
                    "Cloudflare asked to wait (Retry-After) past the invocation deadline",
                )));
            }
            tokio::time::sleep_until(until).await;
        }
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Attempt::Fail(ApiError::new(
                ErrorKind::DeadlineExceeded,
                "no time was left before the invocation deadline",
            )));
        }
        let response = request
            .bearer_auth(self.token.expose())
            .timeout(remaining.min(self.policy.attempt_timeout))
            .send()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(&e))?;
        let secrets: Vec<&str> = password
            .iter()
            .map(|p| p.expose())
            .chain([self.token.expose()])
            .collect();
        let envelope = serde_json::from_str::<Value>(&text)
            .ok()
            .filter(Value::is_object);
        let cloudflare = envelope
            .as_ref()
            .map(|e| CloudflareErrors::from_envelope(e, &secrets));

        if let (429, Some(wait)) = (status.as_u16(), retry_after) {
            let mut paused = self.paused_until.lock().unwrap_or_else(|e| e.into_inner());
            let until = Instant::now() + wait;
            *paused = Some(paused.map_or(until, |p| p.max(until)));
        }
        if status.as_u16() == 429 || status.is_server_error() {
            let kind = if status.as_u16() == 429 {
                ErrorKind::RateLimited
            } else {
                ErrorKind::CloudflareUnavailable
            };
            let detail =
                cloudflare.map_or_else(|| snippet(&text, &content_type, &secrets), |c| c.summary);
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
            return Err(Attempt::Fail(ApiError::new(
                kind,
                format!(
                    "Cloudflare answered HTTP {status} with a body that is not a JSON object: {}",
                    snippet(&text, &content_type, &secrets)
                ),
            )));
        };
        let errors = cloudflare.unwrap_or_default();
        if !status.is_success() {
            return Err(Attempt::Fail(errors.into_error(status)));
        }
        if envelope.get("success") != Some(&Value::Bool(true)) {
            let mut e = errors.into_error(status);
            e.kind = ErrorKind::MalformedResponse;
            e.message = format!(
                "Cloudflare answered HTTP {status} without `success: true`: {}",
                e.message
            );
            return Err(Attempt::Fail(e));
        }
        match envelope.get("result") {
            None | Some(Value::Null) => Err(Attempt::Fail(ApiError::new(
                ErrorKind::MalformedResponse,
                format!("Cloudflare answered HTTP {status} without a `result`"),
            ))),
            Some(_) => Ok(envelope),
        }
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

/// The `errors` of a Cloudflare envelope.
#[derive(Debug, Default)]
struct CloudflareErrors {
    codes: Vec<i64>,
    summary: String,
}

impl CloudflareErrors {
    fn from_envelope(envelope: &Value, secrets: &[&str]) -> Self {
        let errors = envelope
            .get("errors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut codes = Vec::new();
        let mut parts = Vec::new();
        for e in &errors {
            let code = e.get("code").and_then(Value::as_i64);
            let message = e.get("message").and_then(Value::as_str).unwrap_or("");
            codes.extend(code);
            parts.push(match code {
                Some(c) => format!("{c}: {}", scrub(message, secrets)),
                None => scrub(message, secrets),
            });
        }
        let summary = if parts.is_empty() {
            "no error details".to_owned()
        } else {
            parts.join("; ")
        };
        CloudflareErrors { codes, summary }
    }

    fn into_error(self, status: reqwest::StatusCode) -> ApiError {
        let kind =
            if status.as_u16() == 401 || status.as_u16() == 403 || self.codes.contains(&10000) {
                ErrorKind::CloudflareAuth
            } else if self.codes.iter().any(|c| (2008..=2016).contains(c)) {
                ErrorKind::OriginRefused
            } else {
                ErrorKind::CloudflareRejected
            };
        let hints: Vec<&str> = self.codes.iter().filter_map(|c| hint(*c)).collect();
        let hint = match (kind, hints.is_empty()) {
            (_, false) => format!(" -> {}", hints.join(" ")),
            (ErrorKind::CloudflareAuth, true) => format!(" -> {}", AUTH_HINT),
            _ => String::new(),
        };
        ApiError {
            kind,
            message: format!("Cloudflare answered HTTP {status}: {}{hint}", self.summary),
            codes: self.codes,
        }
    }
}

const AUTH_HINT: &str = "the Cloudflare API token was refused: check that the token in the secret is current and has the Hyperdrive Write permission on this account";

/// What an operator should check for each Cloudflare error code.
fn hint(code: i64) -> Option<&'static str> {
    Some(match code {
        10000 => AUTH_HINT,
        2008 => "Hyperdrive could not resolve the host: check `host` is the cluster endpoint <cluster-id>.dsql.<region>.on.aws.",
        2009 => "the host does not resolve to a public IP address: DSQL public endpoints do; check `host`.",
        2010 => "Hyperdrive could not connect: check the cluster exists and is ACTIVE, and `port` (5432).",
        2011 => "the origin refused the connection: check the cluster's status and `port`.",
        2012 => "TLS failed: DSQL requires TLS; check the host is a DSQL endpoint.",
        2013 => "the DSQL token was refused: check the signer's dsql:DbConnect/dsql:DbConnectAdmin permission on that cluster and the region, and that `user` exists in the database.",
        2014 => "the database does not exist: DSQL has one database, `postgres`.",
        2015 | 2016 => "Hyperdrive's test connection failed: check the cluster's status and the role's database permissions.",
        _ => return None,
    })
}

/// A short, printable, secret-free excerpt of a body that is not JSON (an HTML error page...).
fn snippet(text: &str, content_type: &str, secrets: &[&str]) -> String {
    let clean: String = scrub(text, secrets)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = clean.chars().take(MAX_SNIPPET).collect();
    let more = if clean.chars().count() > MAX_SNIPPET {
        "..."
    } else {
        ""
    };
    let ct = if content_type.is_empty() {
        "no content type"
    } else {
        content_type
    };
    if cut.is_empty() {
        format!("empty body ({ct})")
    } else {
        format!("{cut}{more} ({ct}, {} bytes)", text.len())
    }
}

/// Whether to fetch another page: never after a short page (whatever the totals claim), else as
/// `result_info` says, else when the page was full.
fn has_more(body: &Value, page: u32, got: usize) -> bool {
    if got < PER_PAGE {
        return false;
    }
    let info = body.get("result_info");
    let num = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_f64);
    if let Some(total_pages) = num("total_pages") {
        return f64::from(page) < total_pages;
    }
    if let Some(total) = num("total_count") {
        return (page as f64) * (PER_PAGE as f64) < total;
    }
    true
}

fn result_id(envelope: &Value) -> Result<String, ApiError> {
    envelope
        .get("result")
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::MalformedResponse,
                "the answer's `result` has no string `id`",
            )
        })
}

/// The create (with `name`) or patch body. Serialised once per target, right before sending.
fn write_body(target: &Target, password: &Secret, with_name: bool) -> Value {
    let mut body = json!({
        "origin": {
            "scheme": "postgres",
            "host": target.host,
            "port": target.port,
            "database": target.database,
            "user": target.user,
            "password": password.expose(),
        }
    });
    if with_name {
        body["name"] = json!(target.name);
    }
    if let Some(c) = &target.caching {
        body["caching"] = c.clone();
    }
    if let Some(l) = target.origin_connection_limit {
        body["origin_connection_limit"] = json!(l);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_follows_result_info_or_full_pages() {
        assert!(has_more(
            &json!({"result_info": {"total_pages": 3}}),
            2,
            100
        ));
        assert!(!has_more(
            &json!({"result_info": {"total_pages": 3}}),
            3,
            100
        ));
        assert!(has_more(
            &json!({"result_info": {"total_count": 101}}),
            1,
            100
        ));
        assert!(!has_more(
            &json!({"result_info": {"total_count": 100}}),
            1,
            100
        ));
        assert!(has_more(&json!({}), 1, 100));
        assert!(!has_more(&json!({}), 1, 99));
        // A short page ends the list even when the totals claim more (Prism's static examples do).
        assert!(!has_more(
            &json!({"result_info": {"total_count": 2000, "per_page": 20}}),
            1,
            1
        ));
    }

    #[test]
    fn codes_become_operator_hints() {
        let env = json!({"success": false, "errors": [{"code": 2013, "message": "password authentication failed"}]});
        let e =
            CloudflareErrors::from_envelope(&env, &[]).into_error(reqwest::StatusCode::BAD_REQUEST);
        assert_eq!(e.kind, ErrorKind::OriginRefused);
        assert_eq!(e.codes, [2013]);
        assert!(
            e.message.contains("2013: password authentication failed"),
            "{}",
            e.message
        );
        assert!(e.message.contains(
            "dsql:DbConnect/dsql:DbConnectAdmin permission on that cluster and the region"
        ));

        let auth = CloudflareErrors::from_envelope(&json!({"errors": []}), &[])
            .into_error(reqwest::StatusCode::FORBIDDEN);
        assert_eq!(auth.kind, ErrorKind::CloudflareAuth);
        assert!(auth.message.contains("Hyperdrive Write"));
    }

    #[test]
    fn echoed_secrets_are_scrubbed_from_messages() {
        let env = json!({"errors": [{"code": 2013, "message": "bad password h.dsql/?Action=DbConnect&X-Amz-Signature=abc123def"}]});
        let e = CloudflareErrors::from_envelope(
            &env,
            &["h.dsql/?Action=DbConnect&X-Amz-Signature=abc123def"],
        )
        .into_error(reqwest::StatusCode::BAD_REQUEST);
        assert!(!e.message.contains("X-Amz-Signature"), "{}", e.message);
        let s = snippet(
            "<html>\n<b>token cf-secret-token-1</b></html>",
            "text/html",
            &["cf-secret-token-1"],
        );
        assert_eq!(
            s,
            "<html> <b>token <redacted></b></html> (text/html, 44 bytes)"
        );
    }
}
