//! Failed Cloudflare calls as [`ApiError`]s: Cloudflare's error lists made into report messages
//! (every `code: message` pair kept, scrubbed of anything sent), the report's error kind chosen from
//! the status and the codes, and a hint per code that says what an operator should check.

use super::envelope::{Body, ErrorList, MAX_BODY};
use crate::redact::{printable, scrub};
use crate::report::ErrorKind;
use crate::retry::{GaveUp, Reason};
use std::fmt;

const MAX_SNIPPET: usize = 160;
/// Longest Cloudflare error message kept, in characters.
const MAX_MESSAGE: usize = 300;

/// A failed Cloudflare API call, with Cloudflare's codes kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub kind: ErrorKind,
    pub message: String,
    pub codes: Vec<i64>,
    /// The HTTP status of Cloudflare's refusal, when it answered one.
    pub status: Option<u16>,
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
            status: None,
        }
    }

    /// Cloudflare refused a create because a config of that name exists (409, code 2017).
    pub fn is_name_conflict(&self) -> bool {
        self.status == Some(409) || self.codes.contains(&2017)
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
    /// The codes, and one line of `code: message` pairs: scrubbed of anything sent, escaped,
    /// bounded.
    pub fn from_list(list: &ErrorList, secrets: &[&str]) -> Self {
        let mut codes = Vec::new();
        let mut parts = Vec::new();
        for e in &list.kept {
            codes.extend(e.code);
            let message = printable(&scrub(&e.message, secrets), MAX_MESSAGE);
            parts.push(match e.code {
                Some(c) => format!("{c}: {message}"),
                None => message,
            });
        }
        let mut summary = if parts.is_empty() {
            "no error details".to_owned()
        } else {
            parts.join("; ")
        };
        if list.more > 0 {
            summary.push_str(&format!(" (and {} more errors)", list.more));
        }
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
            status: Some(status.as_u16()),
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
        2013 => "the DSQL token was refused: check the signer's dsql:DbConnect/dsql:DbConnectAdmin permission on that cluster and the region, that `user` exists in the database, and, for a user other than admin, the grant inside the database: AWS IAM GRANT <user> TO '<signer role ARN>'; a cluster policy that allows only some networks refuses Hyperdrive the same way.",
        2014 => "the database does not exist: DSQL has one database, `postgres`.",
        2015 | 2016 => "Hyperdrive's test connection failed: check the cluster's status and the role's database permissions.",
        _ => return None,
    })
}

/// A short, printable, secret-free excerpt of a body that is not a usable envelope (an HTML
/// error page...).
pub(crate) fn snippet(body: &Body, content_type: &str, secrets: &[&str]) -> String {
    let text = String::from_utf8_lossy(&body.bytes[..body.bytes.len().min(4 * MAX_SNIPPET)]);
    let clean: String = scrub(&text, secrets)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = clean.chars().take(MAX_SNIPPET).collect();
    let more = if clean.chars().count() > MAX_SNIPPET || body.bytes.len() > 4 * MAX_SNIPPET {
        "..."
    } else {
        ""
    };
    let ct = if content_type.is_empty() {
        "no content type".to_owned()
    } else {
        printable(content_type, 80)
    };
    let size = if body.truncated {
        format!("more than {MAX_BODY} bytes")
    } else {
        format!("{} bytes", body.bytes.len())
    };
    if cut.is_empty() {
        format!("empty body ({ct})")
    } else {
        format!("{cut}{more} ({ct}, {size})")
    }
}

/// What to check for statuses that say the request itself was too large.
pub(crate) fn status_hint(status: reqwest::StatusCode) -> &'static str {
    match status.as_u16() {
        413 | 431 => " -> the request was too large for Cloudflare: check that the secret holds only the API token",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors_of(envelope: serde_json::Value) -> ErrorList {
        serde_json::from_value::<super::super::envelope::Envelope>(envelope)
            .unwrap()
            .errors
    }

    fn body(text: &str) -> Body {
        Body {
            bytes: text.as_bytes().to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn codes_become_operator_hints() {
        let env = json!({"success": false, "errors": [{"code": 2013, "message": "password authentication failed"}]});
        let e = CloudflareErrors::from_list(&errors_of(env), &[])
            .into_error(reqwest::StatusCode::BAD_REQUEST);
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

        let auth = CloudflareErrors::from_list(&errors_of(json!({"errors": []})), &[])
            .into_error(reqwest::StatusCode::FORBIDDEN);
        assert_eq!(auth.kind, ErrorKind::CloudflareAuth);
        assert!(auth.message.contains("Hyperdrive Write"));
    }

    #[test]
    fn echoed_secrets_are_scrubbed_from_messages() {
        let env = json!({"errors": [{"code": 2013, "message": "bad password h.dsql/?Action=DbConnect&X-Amz-Signature=abc123def"}]});
        let e = CloudflareErrors::from_list(
            &errors_of(env),
            &["h.dsql/?Action=DbConnect&X-Amz-Signature=abc123def"],
        )
        .into_error(reqwest::StatusCode::BAD_REQUEST);
        assert!(!e.message.contains("X-Amz-Signature"), "{}", e.message);
        let s = snippet(
            &body("<html>\n<b>token cf-secret-token-1</b></html>"),
            "text/html",
            &["cf-secret-token-1"],
        );
        assert_eq!(
            s,
            "<html> <b>token <redacted></b></html> (text/html, 44 bytes)"
        );
    }

    #[test]
    fn messages_are_one_bounded_line() {
        let long = "x".repeat(10_000);
        let env = json!({"errors": [
            {"code": 1000, "message": "line one\n\u{1b}[31mforged line"},
            {"code": 1001, "message": long},
        ]});
        let e = CloudflareErrors::from_list(&errors_of(env), &[])
            .into_error(reqwest::StatusCode::BAD_REQUEST);
        assert!(
            !e.message.contains('\n') && !e.message.contains('\u{1b}'),
            "{}",
            e.message
        );
        assert!(
            e.message.contains("line one\\nforged") || e.message.contains("line one\\n\\u{1b}"),
            "{}",
            e.message
        );
        assert!(e.message.len() < 1000, "{}", e.message.len());
    }
}
