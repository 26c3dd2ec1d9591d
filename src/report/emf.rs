//! The report as one CloudWatch Embedded Metric Format line: namespace `HyperdriveDsqlRotator`,
//! dimension `FunctionName`; Created, Updated, Failed, Planned, and MinTokenLifetime when known.

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

        let unknown = report(vec![result("a", Outcome::Updated, None)]);
        let line: serde_json::Value =
            serde_json::from_str(&unknown.emf_line("fn", UNIX_EPOCH)).unwrap();
        assert!(
            line.get("MinTokenLifetime").is_none(),
            "no metric when the lifetime is unknown"
        );
    }
}
