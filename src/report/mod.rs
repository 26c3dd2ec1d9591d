//! The run's report: what happened to each target, returned by the Lambda and printed by the
//! command line; its log lines (`log`) and its CloudWatch Embedded Metric Format line (`emf`).

mod emf;
mod error_kind;
mod log;

pub use error_kind::ErrorKind;

use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a run did, target by target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Report {
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: String,
    /// Expiry of the signing credentials, when the provider tells it.
    pub credentials_expire_at: Option<String>,
    /// The least time any config's token has left, in seconds (0: a config is dark); null when
    /// some config's is unknowable (execution-role mode).
    #[serde(default)]
    pub min_seconds_to_dark: Option<u64>,
    /// When the Cloudflare API token expires, when it carries an expiry.
    #[serde(default)]
    pub cloudflare_token_expires_at: Option<String>,
    pub results: Vec<TargetResult>,
    pub summary: Summary,
    /// What a revoke invalidated, or why it did not: only in a revoke's report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation: Option<Revocation>,
}

/// What a revoke did: the credentials it invalidated, when, and the targets that blocked it or
/// went dark.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Revocation {
    /// `signer_role` (sessions cut off) or `long_term_keys` (the key deactivated).
    pub mode: String,
    /// Whether anything was revoked (false when blocked, or in a dry run).
    pub revoked: bool,
    /// The access key deactivated (long-term keys).
    pub access_key_id: Option<String>,
    /// Sessions issued before this time can no longer connect (signer role).
    pub session_cutoff: Option<String>,
    /// When it was revoked.
    pub at: Option<String>,
    /// Targets that did not take a fresh token: nothing is revoked because of them, unless forced.
    pub blocked_by: Vec<String>,
    /// Forced: targets left holding a token that no longer works.
    pub dark: Vec<String>,
    /// Why the revocation itself failed (IAM refused it...), when it did.
    pub error: Option<String>,
}

/// What happened to one target.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Created,
    Updated,
    WouldCreate,
    WouldUpdate,
    Failed,
    /// Status: the config is there.
    Present,
    /// Status: no config has the target's name.
    Missing,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Updated => "updated",
            Outcome::WouldCreate => "would_create",
            Outcome::WouldUpdate => "would_update",
            Outcome::Failed => "failed",
            Outcome::Present => "present",
            Outcome::Missing => "missing",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetResult {
    pub name: String,
    pub account_id: String,
    pub host: String,
    pub region: String,
    /// Shown as `action` in the report.
    #[serde(rename = "action")]
    pub outcome: Outcome,
    pub config_id: Option<String>,
    /// Until when the pushed token really works: min(signing time + TTL, credentials' expiry);
    /// null when the credentials' expiry is unknowable, or nothing was signed.
    pub token_expires_at: Option<String>,
    /// When the config last changed before this run, as listed.
    #[serde(default)]
    pub modified_on: Option<String>,
    /// Until when the token the config holds now works: the one this run pushed, or else an
    /// estimate from `modified_on` and the lifetime the signing mode guarantees.
    #[serde(default)]
    pub held_token_valid_until: Option<String>,
    /// How `held_token_valid_until` is known.
    #[serde(default)]
    pub held_token_basis: HeldBasis,
    pub error: Option<TargetError>,
    /// Token lifetime from signing, for the metric (not part of the report).
    #[serde(skip)]
    pub token_lifetime: Option<Duration>,
}

/// How the held token's lifetime is known.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum HeldBasis {
    /// This run pushed it: its `token_expires_at`.
    Pushed,
    /// Not pushed by this run: the config's `modified_on` plus the lifetime the signing mode
    /// guarantees.
    Estimated,
    /// Execution-role mode, or no config.
    #[default]
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TargetError {
    pub kind: ErrorKind,
    pub message: String,
    pub cloudflare_codes: Vec<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub failed: usize,
    pub planned: usize,
}

impl Summary {
    pub fn of(results: &[TargetResult]) -> Summary {
        let count = |a: &[Outcome]| results.iter().filter(|r| a.contains(&r.outcome)).count();
        Summary {
            created: count(&[Outcome::Created]),
            updated: count(&[Outcome::Updated]),
            failed: count(&[Outcome::Failed]),
            planned: count(&[Outcome::WouldCreate, Outcome::WouldUpdate]),
        }
    }
}

/// RFC 3339 in UTC, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    aws_smithy_types::DateTime::from_secs(secs as i64)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_default()
}

/// An RFC 3339 time, as Cloudflare and this report write them, with any number of fractional
/// digits (Cloudflare's `modified_on` has up to nine, not always a multiple of three).
pub fn parse_rfc3339(text: &str) -> Option<SystemTime> {
    let (whole, nanos) = match text.split_once('.') {
        None => (text.to_owned(), 0),
        Some((head, rest)) => {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let zone = &rest[digits.len()..];
            let nanos = format!("{:0<9}", &digits[..digits.len().min(9)])
                .parse::<u32>()
                .ok()?;
            (format!("{head}{zone}"), nanos)
        }
    };
    aws_smithy_types::DateTime::from_str(&whole, aws_smithy_types::date_time::Format::DateTime)
        .ok()
        .and_then(|d| SystemTime::try_from(d).ok())
        .and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nanos))))
}

impl Report {
    /// The result of the target named `name` (the first, when two accounts share a name).
    pub fn result(&self, name: &str) -> Option<&TargetResult> {
        self.results.iter().find(|r| r.name == name)
    }

    /// Whether any target failed, or a revocation failed: the invocation then ends with an error.
    pub fn failed(&self) -> bool {
        self.summary.failed > 0 || self.revocation.as_ref().is_some_and(|r| r.error.is_some())
    }

    /// The smallest lifetime among the tokens pushed (created or updated), when known for all.
    pub fn min_token_lifetime(&self) -> Option<Duration> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Created | Outcome::Updated))
            .map(|r| r.token_lifetime)
            .collect::<Option<Vec<_>>>()?
            .into_iter()
            .min()
    }

    /// `"2 of 5 targets failed: a (origin_refused), b (rate_limited)"`.
    pub fn failure_summary(&self) -> String {
        let failed: Vec<String> = self
            .results
            .iter()
            .filter_map(|r| r.error.as_ref().map(|e| format!("{} ({})", r.name, e.kind)))
            .collect();
        let mut summary = format!(
            "{} of {} targets failed: {}; the run report in the function's log has each error",
            failed.len(),
            self.results.len(),
            failed.join(", ")
        );
        if let Some(r) = &self.revocation {
            if let Some(e) = &r.error {
                summary = format!("the revoke failed: {e}; {summary}");
            } else if !r.revoked && !r.blocked_by.is_empty() {
                summary = format!(
                    "nothing was revoked: {} did not take a fresh token (force the revoke to go on anyway); {summary}",
                    r.blocked_by.join(", ")
                );
            }
        }
        summary
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn result(name: &str, outcome: Outcome, lifetime: Option<u64>) -> TargetResult {
        TargetResult {
            name: name.into(),
            account_id: "a".into(),
            host: "h".into(),
            region: "us-east-1".into(),
            outcome,
            config_id: None,
            token_expires_at: None,
            modified_on: None,
            held_token_valid_until: None,
            held_token_basis: HeldBasis::Unknown,
            error: (outcome == Outcome::Failed).then(|| TargetError {
                kind: ErrorKind::OriginRefused,
                message: "m".into(),
                cloudflare_codes: vec![2013],
            }),
            token_lifetime: lifetime.map(Duration::from_secs),
        }
    }

    pub(crate) fn report(results: Vec<TargetResult>) -> Report {
        Report {
            dry_run: false,
            started_at: rfc3339(UNIX_EPOCH),
            finished_at: rfc3339(UNIX_EPOCH),
            credentials_expire_at: None,
            min_seconds_to_dark: None,
            cloudflare_token_expires_at: None,
            summary: Summary::of(&results),
            results,
            revocation: None,
        }
    }

    #[test]
    fn rfc3339_times_parse_with_any_fraction() {
        let at = |nanos: u64| {
            Some(UNIX_EPOCH + Duration::from_secs(1_796_310_062) + Duration::from_nanos(nanos))
        };
        assert_eq!(parse_rfc3339("2026-12-03T15:01:02Z"), at(0));
        assert_eq!(
            parse_rfc3339("2026-12-03T15:01:02.59887316Z"),
            at(598_873_160)
        );
        assert_eq!(
            parse_rfc3339("2026-12-03T15:01:02.123456Z"),
            at(123_456_000)
        );
        assert_eq!(parse_rfc3339("not a time"), None);
    }

    #[test]
    fn times_are_rfc3339_utc_seconds() {
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(1_724_716_800_250)),
            "2024-08-27T00:00:00Z"
        );
    }

    #[test]
    fn summary_counts_and_failure_message_names_targets() {
        let r = report(vec![
            result("a", Outcome::Created, Some(3600)),
            result("b", Outcome::Updated, Some(1800)),
            result("c", Outcome::Failed, None),
            result("d", Outcome::WouldUpdate, Some(60)),
        ]);
        assert_eq!(
            r.summary,
            Summary {
                created: 1,
                updated: 1,
                failed: 1,
                planned: 1
            }
        );
        assert!(r.failed());
        assert_eq!(
            r.min_token_lifetime(),
            Some(Duration::from_secs(1800)),
            "only pushed tokens count"
        );
        assert_eq!(
            r.failure_summary(),
            "1 of 4 targets failed: c (origin_refused); the run report in the function's log has each error"
        );
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["results"][3]["action"], "would_update");
        assert!(v["results"][0].get("token_lifetime").is_none());
        assert_eq!(v["results"][2]["error"]["kind"], "origin_refused");
        assert_eq!(v["results"][2]["error"]["cloudflare_codes"], json!([2013]));
    }

    #[test]
    fn a_printed_report_reads_back_as_the_same_report() {
        let mut r = report(vec![
            result("a", Outcome::Created, None),
            result("c", Outcome::Failed, None),
        ]);
        r.credentials_expire_at = Some(rfc3339(UNIX_EPOCH));
        let back: Report = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.result("c").unwrap().outcome, Outcome::Failed);
    }
}
