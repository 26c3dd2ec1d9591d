//! The run's report (the Lambda response and the command line's output), its log lines and its
//! CloudWatch Embedded Metric Format line.

use serde::Serialize;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a run did, target by target.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Report {
    pub dry_run: bool,
    pub started_at: String,
    pub finished_at: String,
    /// Expiry of the signing credentials, when the provider tells it.
    pub credentials_expire_at: Option<String>,
    pub results: Vec<TargetResult>,
    pub summary: Summary,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    WouldCreate,
    WouldUpdate,
    Failed,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::WouldCreate => "would_create",
            Action::WouldUpdate => "would_update",
            Action::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetResult {
    pub name: String,
    pub account_id: String,
    pub host: String,
    pub region: String,
    pub action: Action,
    pub config_id: Option<String>,
    /// Until when the pushed token really works: min(signing time + TTL, credentials' expiry);
    /// null when the credentials' expiry is unknowable, or nothing was signed.
    pub token_expires_at: Option<String>,
    pub error: Option<TargetError>,
    /// Token lifetime from signing, for the metric (not part of the report).
    #[serde(skip)]
    pub token_lifetime: Option<Duration>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TargetError {
    pub kind: &'static str,
    pub message: String,
    pub cloudflare_codes: Vec<i64>,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct Summary {
    pub created: usize,
    pub updated: usize,
    pub failed: usize,
    pub planned: usize,
}

impl Summary {
    pub fn of(results: &[TargetResult]) -> Summary {
        let count = |a: &[Action]| results.iter().filter(|r| a.contains(&r.action)).count();
        Summary {
            created: count(&[Action::Created]),
            updated: count(&[Action::Updated]),
            failed: count(&[Action::Failed]),
            planned: count(&[Action::WouldCreate, Action::WouldUpdate]),
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

impl Report {
    /// The smallest lifetime among the tokens pushed (created or updated), when known for all.
    pub fn min_token_lifetime(&self) -> Option<Duration> {
        self.results
            .iter()
            .filter(|r| matches!(r.action, Action::Created | Action::Updated))
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
        format!(
            "{} of {} targets failed: {}; the run report in the function's log has each error",
            failed.len(),
            self.results.len(),
            failed.join(", ")
        )
    }

    /// One structured log line per target and one for the run.
    pub fn log(&self) {
        for r in &self.results {
            match &r.error {
                None => tracing::info!(
                    target_name = %r.name,
                    account_id = %r.account_id,
                    host = %r.host,
                    action = r.action.as_str(),
                    config_id = r.config_id.as_deref().unwrap_or(""),
                    token_expires_at = r.token_expires_at.as_deref().unwrap_or("unknown"),
                    "target {}",
                    r.action.as_str()
                ),
                Some(e) => tracing::error!(
                    target_name = %r.name,
                    account_id = %r.account_id,
                    host = %r.host,
                    action = "failed",
                    error_kind = e.kind,
                    error = %e.message,
                    cloudflare_codes = ?e.cloudflare_codes,
                    "target failed"
                ),
            }
        }
        let s = self.summary;
        let min_lifetime = self.min_token_lifetime().map(|d| d.as_secs());
        if s.failed > 0 {
            tracing::error!(
                dry_run = self.dry_run, created = s.created, updated = s.updated, failed = s.failed, planned = s.planned,
                credentials_expire_at = self.credentials_expire_at.as_deref().unwrap_or("unknown"),
                min_token_lifetime_s = min_lifetime,
                report = %serde_json::to_string(self).unwrap_or_default(),
                "run finished with failures"
            );
        } else {
            tracing::info!(
                dry_run = self.dry_run,
                created = s.created,
                updated = s.updated,
                failed = s.failed,
                planned = s.planned,
                credentials_expire_at = self.credentials_expire_at.as_deref().unwrap_or("unknown"),
                min_token_lifetime_s = min_lifetime,
                "run finished"
            );
        }
    }

    /// A CloudWatch Embedded Metric Format line: namespace `HyperdriveDsqlRotator`, dimension
    /// `FunctionName`; Created, Updated, Failed, Planned, and MinTokenLifetime when it is known.
    pub fn emf_line(&self, function_name: &str, now: SystemTime) -> String {
        let s = self.summary;
        let mut metrics = vec![
            json!({"Name": "Created", "Unit": "Count"}),
            json!({"Name": "Updated", "Unit": "Count"}),
            json!({"Name": "Failed", "Unit": "Count"}),
            json!({"Name": "Planned", "Unit": "Count"}),
        ];
        let mut line = json!({
            "FunctionName": function_name,
            "Created": s.created,
            "Updated": s.updated,
            "Failed": s.failed,
            "Planned": s.planned,
        });
        if let Some(min) = self.min_token_lifetime() {
            metrics.push(json!({"Name": "MinTokenLifetime", "Unit": "Seconds"}));
            line["MinTokenLifetime"] = json!(min.as_secs());
        }
        line["_aws"] = json!({
            "Timestamp": now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64),
            "CloudWatchMetrics": [{
                "Namespace": "HyperdriveDsqlRotator",
                "Dimensions": [["FunctionName"]],
                "Metrics": metrics,
            }],
        });
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, action: Action, lifetime: Option<u64>) -> TargetResult {
        TargetResult {
            name: name.into(),
            account_id: "a".into(),
            host: "h".into(),
            region: "us-east-1".into(),
            action,
            config_id: None,
            token_expires_at: None,
            error: (action == Action::Failed).then(|| TargetError {
                kind: "origin_refused",
                message: "m".into(),
                cloudflare_codes: vec![2013],
            }),
            token_lifetime: lifetime.map(Duration::from_secs),
        }
    }

    fn report(results: Vec<TargetResult>) -> Report {
        Report {
            dry_run: false,
            started_at: rfc3339(UNIX_EPOCH),
            finished_at: rfc3339(UNIX_EPOCH),
            credentials_expire_at: None,
            summary: Summary::of(&results),
            results,
        }
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
            result("a", Action::Created, Some(3600)),
            result("b", Action::Updated, Some(1800)),
            result("c", Action::Failed, None),
            result("d", Action::WouldUpdate, Some(60)),
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
        assert_eq!(v["results"][2]["error"]["cloudflare_codes"], json!([2013]));
    }

    #[test]
    fn emf_line_is_valid_embedded_metric_format() {
        let r = report(vec![
            result("a", Action::Created, Some(3540)),
            result("b", Action::Failed, None),
        ]);
        let line: serde_json::Value =
            serde_json::from_str(&r.emf_line("fn", UNIX_EPOCH + Duration::from_secs(2))).unwrap();
        assert_eq!(line["_aws"]["Timestamp"], 2000);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "HyperdriveDsqlRotator");
        assert_eq!(directive["Dimensions"], json!([["FunctionName"]]));
        for m in directive["Metrics"].as_array().unwrap() {
            let name = m["Name"].as_str().unwrap();
            assert!(line[name].is_number(), "{name} has a value");
        }
        assert_eq!(
            (line["Created"].as_u64(), line["Failed"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(line["MinTokenLifetime"], 3540);

        let unknown = report(vec![result("a", Action::Updated, None)]);
        let line: serde_json::Value =
            serde_json::from_str(&unknown.emf_line("fn", UNIX_EPOCH)).unwrap();
        assert!(
            line.get("MinTokenLifetime").is_none(),
            "no metric when the lifetime is unknown"
        );
    }
}
