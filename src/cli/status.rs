//! `status` on the command line: the report on stdout like every command, and on stderr a table a
//! person reads at a glance, the configs in danger first; the exit code says whether any config is
//! dark or below the alarm threshold, so that it can gate a deploy or a cron check.

use crate::report::{parse_rfc3339, HeldBasis, Outcome, Report, TargetResult};
use std::fmt::Write;
use std::time::{Duration, SystemTime};

/// Below this many seconds left, a config is in danger (and `status` exits 1), unless
/// `--threshold` says otherwise: half an hour, the alarm's lead time.
pub const DEFAULT_THRESHOLD: Duration = Duration::from_secs(1800);

/// Seconds left of a result's held token, when known.
fn left(r: &TargetResult, now: SystemTime) -> Option<u64> {
    let until = parse_rfc3339(r.held_token_valid_until.as_deref()?)?;
    Some(until.duration_since(now).map_or(0, |d| d.as_secs()))
}

fn human(secs: u64) -> String {
    match secs {
        0 => "DARK".to_owned(),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 2 * 86_400 => format!("{:.1} h", s as f64 / 3600.0),
        s => format!("{:.1} days", s as f64 / 86_400.0),
    }
}

/// The table, danger first: failed and missing, then by time left (unknown last).
pub fn table(report: &Report, now: SystemTime, threshold: Duration) -> String {
    let mut rows: Vec<&TargetResult> = report.results.iter().collect();
    rows.sort_by_key(|r| {
        let rank = match (r.outcome, left(r, now)) {
            (Outcome::Failed | Outcome::Missing, _) => 0,
            (_, Some(_)) => 1,
            (_, None) => 2,
        };
        (rank, left(r, now).unwrap_or(u64::MAX), r.name.clone())
    });
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<24} {:<14} {:<12} {:<10} {:<21} basis",
        "target", "config", "state", "left", "valid until"
    );
    for r in rows {
        let secs = left(r, now);
        let state = match (r.outcome, secs) {
            (Outcome::Failed, _) => r.error.as_ref().map_or("failed", |e| e.kind.as_str()),
            (Outcome::Missing, _) => "no config",
            (_, Some(s)) if s < threshold.as_secs() => "IN DANGER",
            (_, Some(_)) => "ok",
            (_, None) => "unknown",
        };
        let basis = match r.held_token_basis {
            HeldBasis::Pushed => "pushed",
            HeldBasis::Estimated => "estimated",
            HeldBasis::Unknown => "unknown",
        };
        let id = r
            .config_id
            .as_deref()
            .map_or("-".to_owned(), |i| i.chars().take(12).collect());
        let _ = writeln!(
            out,
            "{:<24} {:<14} {:<12} {:<10} {:<21} {basis}",
            r.name,
            id,
            state,
            secs.map_or("?".to_owned(), human),
            r.held_token_valid_until.as_deref().unwrap_or("-"),
        );
    }
    let token = match report.cloudflare_token_expires_at.as_deref() {
        Some(at) => {
            let secs = parse_rfc3339(at)
                .and_then(|t| t.duration_since(now).ok())
                .map_or(0, |d| d.as_secs());
            format!("expires {at} ({} left)", human(secs))
        }
        None => "no expiry known".to_owned(),
    };
    let _ = writeln!(out, "Cloudflare API token: {token}");
    let _ = writeln!(
        out,
        "least time to dark: {}",
        report
            .min_seconds_to_dark
            .map_or("unknown (execution-role mode)".to_owned(), human)
    );
    out
}

/// Whether every config is healthy: none failed or missing, none dark or below the threshold.
pub fn healthy(report: &Report, now: SystemTime, threshold: Duration) -> bool {
    report.results.iter().all(|r| {
        !matches!(r.outcome, Outcome::Failed | Outcome::Missing)
            && left(r, now).is_none_or(|s| s >= threshold.as_secs())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{report, result};
    use std::time::UNIX_EPOCH;

    #[test]
    fn danger_comes_first_and_sets_the_verdict() {
        let now = UNIX_EPOCH + Duration::from_secs(86_400);
        let mut r = report(vec![
            result("calm", Outcome::Present, None),
            result("close", Outcome::Present, None),
            result("gone", Outcome::Missing, None),
        ]);
        r.results[0].held_token_valid_until = Some("1970-01-03T00:00:00Z".into());
        r.results[1].held_token_valid_until = Some("1970-01-02T00:10:00Z".into());
        let t = table(&r, now, DEFAULT_THRESHOLD);
        let order: Vec<&str> = t
            .lines()
            .skip(1)
            .take(3)
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(order, ["gone", "close", "calm"], "{t}");
        assert!(t.contains("IN DANGER") && t.contains("10 min"), "{t}");
        assert!(!healthy(&r, now, DEFAULT_THRESHOLD));
        r.results.truncate(1);
        assert!(healthy(&r, now, DEFAULT_THRESHOLD));
        assert!(!healthy(&r, now, Duration::from_secs(2 * 86_400)));
    }
}
