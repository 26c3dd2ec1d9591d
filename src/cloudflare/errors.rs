//! Failed Cloudflare calls as [`ApiError`]s: Cloudflare's error lists made into report messages
//! (every `code: message` pair kept, scrubbed of anything sent), the report's error kind chosen from
//! the status and the codes, and a hint per code that says what an operator should check.

use crate::redact::scrub;
use crate::report::ErrorKind;
use crate::retry::{GaveUp, Reason};
use serde_json::Value;
use std::fmt;

const MAX_SNIPPET: usize = 160;

/// A failed Cloudflare API call, with Cloudflare's codes kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    pub codes: Vec<i64>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ApiError {
            kind,
            message: message.into(),
            codes: Vec::new(),
        }
    }

    pub(crate) fn from_gave_up(g: GaveUp<ApiError>) -> ApiError {
        let mut e = g.error;
        match g.reason {
            Reason::Fatal => {}
            Reason::Attempts => {
                e.message = format!("{} (gave up after {} attempts)", e.message, g.attempts)
            }
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

/// The `errors` of a Cloudflare envelope.
#[derive(Debug, Default)]
pub(crate) struct CloudflareErrors {
    pub codes: Vec<i64>,
    pub summary: String,
}

impl CloudflareErrors {
    pub fn from_envelope(envelope: &Value, secrets: &[&str]) -> Self {
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

    pub fn into_error(self, status: reqwest::StatusCode) -> ApiError {
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
            (ErrorKind::CloudflareAuth, true) => format!(" -> {AUTH_HINT}"),
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
pub(crate) fn snippet(text: &str, content_type: &str, secrets: &[&str]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
