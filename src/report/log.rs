//! The report as structured log lines: one per target, one for the run (with the whole report when
//! something failed, so that the failure's details are in the function's log).

use super::Report;

impl Report {
    /// One structured log line per target and one for the run.
    pub fn log(&self) {
        for r in &self.results {
            match &r.error {
                None => tracing::info!(
                    target_name = %r.name,
                    account_id = %r.account_id,
                    host = %r.host,
                    action = r.outcome.as_str(),
                    config_id = r.config_id.as_deref().unwrap_or(""),
                    token_expires_at = r.token_expires_at.as_deref().unwrap_or("unknown"),
                    "target {}",
                    r.outcome.as_str()
                ),
                Some(e) => tracing::error!(
                    target_name = %r.name,
                    account_id = %r.account_id,
                    host = %r.host,
                    action = "failed",
                    error_kind = e.kind.as_str(),
                    error = %e.message,
                    cloudflare_codes = ?e.cloudflare_codes,
                    "target failed"
                ),
            }
        }
        let s = self.summary;
        let min_lifetime = self.min_token_lifetime().map(|d| d.as_secs());
        let credentials_expire_at = self.credentials_expire_at.as_deref().unwrap_or("unknown");
        // With failures, the whole report: the log is where a failed invocation's details go.
        let report = self
            .failed()
            .then(|| serde_json::to_string(self).unwrap_or_default());
        macro_rules! run_finished {
            ($level:expr, $message:literal) => {
                tracing::event!(
                    $level,
                    dry_run = self.dry_run,
                    created = s.created,
                    updated = s.updated,
                    failed = s.failed,
                    planned = s.planned,
                    credentials_expire_at,
                    min_token_lifetime_s = min_lifetime,
                    report = report.as_deref(),
                    $message
                )
            };
        }
        if self.failed() {
            run_finished!(tracing::Level::ERROR, "run finished with failures");
        } else {
            run_finished!(tracing::Level::INFO, "run finished");
        }
    }
}
