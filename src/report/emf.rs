//! The report as CloudWatch Embedded Metric Format lines, namespace `HyperdriveDsqlRotator`: one for
//! the run (dimension `FunctionName`: Created, Updated, Failed, Planned, and when known
//! MinTokenLifetime, MinSecondsToDark, CloudflareTokenSecondsLeft) and one per target whose time
//! to dark is known (dimensions `FunctionName`, `Target`: SecondsToDark).

use super::Report;
use serde_json::json;
use std::time::{SystemTime, UNIX_EPOCH};

impl Report {
    /// The EMF line for this run, stamped `now`.
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
        if let Some(min) = self.min_seconds_to_dark {
            metrics.push(json!({"Name": "MinSecondsToDark", "Unit": "Seconds"}));
            line["MinSecondsToDark"] = json!(min);
        }
        if let Some(left) = self
            .cloudflare_token_expires_at
            .as_deref()
            .and_then(super::parse_rfc3339)
        {
            let secs = left.duration_since(now).map_or(0, |d| d.as_secs());
            metrics.push(json!({"Name": "CloudflareTokenSecondsLeft", "Unit": "Seconds"}));
            line["CloudflareTokenSecondsLeft"] = json!(secs);
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

    /// One EMF line per target whose time to dark is known: `SecondsToDark`, dimensions
    /// `FunctionName` and `Target`.
    pub fn emf_target_lines(&self, function_name: &str, now: SystemTime) -> Vec<String> {
        let stamp = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.results
            .iter()
            .filter_map(|r| {
                let until = super::parse_rfc3339(r.held_token_valid_until.as_deref()?)?;
                let left = until.duration_since(now).map_or(0, |d| d.as_secs());
                Some(
                    json!({
                        "FunctionName": function_name,
                        "Target": r.name,
                        "AccountId": r.account_id,
                        "SecondsToDark": left,
                        "_aws": {
                            "Timestamp": stamp,
                            "CloudWatchMetrics": [{
                                "Namespace": "HyperdriveDsqlRotator",
                                "Dimensions": [["FunctionName", "Target"]],
                                "Metrics": [{"Name": "SecondsToDark", "Unit": "Seconds"}],
                            }],
                        },
                    })
                    .to_string(),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{report, result};
    use super::super::Outcome;
    use serde_json::json;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn emf_line_is_valid_embedded_metric_format() {
        let r = report(vec![
            result("a", Outcome::Created, Some(3540)),
            result("b", Outcome::Failed, None),
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

        let mut timed = report(vec![
            result("a", Outcome::Updated, Some(60)),
            result("b", Outcome::Updated, Some(60)),
        ]);
        timed.min_seconds_to_dark = Some(1800);
        timed.cloudflare_token_expires_at = Some("1970-01-02T00:00:00Z".into());
        timed.results[0].held_token_valid_until = Some("1970-01-01T01:00:00Z".into());
        let line: serde_json::Value =
            serde_json::from_str(&timed.emf_line("fn", UNIX_EPOCH)).unwrap();
        assert_eq!(line["MinSecondsToDark"], 1800);
        assert_eq!(line["CloudflareTokenSecondsLeft"], 86_400);
        let per_target = timed.emf_target_lines("fn", UNIX_EPOCH);
        assert_eq!(
            per_target.len(),
            1,
            "only targets whose time to dark is known"
        );
        let t: serde_json::Value = serde_json::from_str(&per_target[0]).unwrap();
        assert_eq!(
            (t["Target"].as_str(), t["SecondsToDark"].as_u64()),
            (Some("a"), Some(3600))
        );
        assert_eq!(
            t["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["FunctionName", "Target"]])
        );

        let unknown = report(vec![result("a", Outcome::Updated, None)]);
        let line: serde_json::Value =
            serde_json::from_str(&unknown.emf_line("fn", UNIX_EPOCH)).unwrap();
        assert!(
            line.get("MinTokenLifetime").is_none(),
            "no metric when the lifetime is unknown"
        );
    }
}
