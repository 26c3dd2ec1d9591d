//! Every kind of failure a report can name, in one enum: the report shows each as a snake_case
//! string, and the README's list is checked against [`ErrorKind::ALL`] by a test.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of failure; the report shows it as a snake_case string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Hyperdrive's connection test refused the origin (codes 2008..=2016).
    OriginRefused,
    /// The Cloudflare API token was refused (401/403, code 10000).
    CloudflareAuth,
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
    /// An answer that is not what the API promises.
    MalformedResponse,
    /// Two or more configs share the target's name: nothing written.
    DuplicateName,
    /// The credentials that sign DSQL tokens could not be had.
    SigningCredentials,
    /// The Cloudflare API token could not be read from Secrets Manager.
    CloudflareToken,
    /// A DSQL token could not be signed.
    Signing,
    /// The function failed unexpectedly on this target (a bug); the others went on.
    Internal,
}

impl ErrorKind {
    /// Every kind, in the README's order.
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::OriginRefused,
        ErrorKind::CloudflareAuth,
        ErrorKind::CloudflareRejected,
        ErrorKind::RateLimited,
        ErrorKind::CloudflareUnavailable,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::DeadlineExceeded,
        ErrorKind::MalformedResponse,
        ErrorKind::DuplicateName,
        ErrorKind::SigningCredentials,
        ErrorKind::CloudflareToken,
        ErrorKind::Signing,
        ErrorKind::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::OriginRefused => "origin_refused",
            ErrorKind::CloudflareAuth => "cloudflare_auth",
            ErrorKind::CloudflareRejected => "cloudflare_rejected",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::CloudflareUnavailable => "cloudflare_unavailable",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::DeadlineExceeded => "deadline_exceeded",
            ErrorKind::MalformedResponse => "malformed_response",
            ErrorKind::DuplicateName => "duplicate_name",
            ErrorKind::SigningCredentials => "signing_credentials",
            ErrorKind::CloudflareToken => "cloudflare_token",
            ErrorKind::Signing => "signing",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_its_snake_case_name() {
        for kind in ErrorKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
            let back: ErrorKind = serde_json::from_value(serde_json::json!(kind.as_str())).unwrap();
            assert_eq!(back, kind);
        }
    }

    /// The README's table of error kinds names exactly these kinds, in this order.
    #[test]
    fn the_readme_lists_every_kind() {
        let readme = include_str!("../../README.md");
        let table = &readme[readme
            .find("| Kind | What failed |")
            .expect("the README's report section has the table of error kinds")..];
        let listed: Vec<&str> = table
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.split('`').nth(1))
            .collect();
        let known: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            listed, known,
            "README.md's table of error kinds vs ErrorKind::ALL"
        );
    }
}
