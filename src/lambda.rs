//! The Lambda entry point: configuration is read once per container, clients are built on the first
//! invocation and reused; a run with any failed target returns an error so that Lambda's `Errors`
//! metric, retries and on-failure destination see it.

use crate::config::Settings;
use crate::event::RunRequest;
use crate::report::Report;
use crate::run::{aws_sdk_config, Rotator};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;
use tokio::time::Instant;

/// Time kept back from the invocation deadline to log and answer.
const DEADLINE_MARGIN: Duration = Duration::from_millis(1500);
/// Run limit when the invocation's deadline is unusable (see [`time_left`]).
const FALLBACK_LIMIT: Duration = Duration::from_secs(300);

/// Time left before the invocation's deadline. A deadline already past when the invocation starts
/// never comes from Lambda; local emulators send one (`cargo lambda watch` sends 600000, a duration,
/// where Lambda sends epoch milliseconds), so the run falls back to a bounded limit instead of
/// failing every target at once.
fn time_left(deadline: SystemTime, now: SystemTime) -> Duration {
    match deadline.duration_since(now) {
        Ok(left) if !left.is_zero() => left,
        _ => {
            tracing::warn!(
                deadline_ms = deadline.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64),
                fallback_s = FALLBACK_LIMIT.as_secs(),
                "the invocation deadline has already passed, which Lambda never sends; using a fallback limit"
            );
            FALLBACK_LIMIT
        }
    }
}

/// Why an invocation failed; its `error_type` is what the Lambda console and destinations show.
#[derive(Debug)]
pub enum HandlerError {
    /// The environment is invalid: nothing was called.
    Configuration(String),
    /// The event is invalid: nothing was called.
    InvalidEvent(String),
    /// Clients could not be built.
    Initialization(String),
    /// The run happened and at least one target failed.
    TargetsFailed(String),
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandlerError::Configuration(m)
            | HandlerError::InvalidEvent(m)
            | HandlerError::Initialization(m)
            | HandlerError::TargetsFailed(m) => f.write_str(m),
        }
    }
}

impl From<HandlerError> for Diagnostic {
    fn from(e: HandlerError) -> Diagnostic {
        let error_type = match e {
            HandlerError::Configuration(_) => "ConfigurationError",
            HandlerError::InvalidEvent(_) => "InvalidEvent",
            HandlerError::Initialization(_) => "InitializationError",
            HandlerError::TargetsFailed(_) => "TargetsFailed",
        };
        Diagnostic {
            error_type: error_type.into(),
            error_message: e.to_string(),
        }
    }
}

/// The function: configuration read once per container, clients built on first use.
#[derive(Debug)]
pub struct Handler {
    settings: Result<Settings, String>,
    function_name: String,
    rotator: OnceCell<Rotator>,
}

impl Handler {
    /// Reads the configuration from the process environment.
    pub fn from_process_env() -> Handler {
        let settings = Settings::from_process_env().map_err(|e| e.to_string());
        if let Err(e) = &settings {
            tracing::error!(error = %e, "every invocation will fail until the configuration is fixed");
        }
        Handler {
            settings,
            function_name: std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
            rotator: OnceCell::new(),
        }
    }

    /// A handler around an already built rotator (tests, or a custom AWS configuration).
    pub fn with_rotator(rotator: Rotator, function_name: &str) -> Handler {
        Handler {
            settings: Ok(rotator.settings().clone()),
            function_name: function_name.to_owned(),
            rotator: OnceCell::new_with(Some(rotator)),
        }
    }

    /// A handler whose configuration failed to load (every invocation reports it).
    pub fn with_invalid_configuration(error: &crate::config::ConfigError) -> Handler {
        Handler {
            settings: Err(error.to_string()),
            function_name: String::new(),
            rotator: OnceCell::new(),
        }
    }

    /// One invocation.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Report, HandlerError> {
        let settings = self
            .settings
            .as_ref()
            .map_err(|e| HandlerError::Configuration(e.clone()))?;
        let request = RunRequest::from_event(&event.payload)
            .map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
        settings
            .select(request.targets.as_deref())
            .map_err(|p| HandlerError::InvalidEvent(format!("invalid event: {p}")))?;

        let rotator = self
            .rotator
            .get_or_try_init(|| async {
                Rotator::new(settings.clone(), &aws_sdk_config().await).await
            })
            .await
            .map_err(|e| {
                HandlerError::Initialization(format!("could not build the HTTP client: {e}"))
            })?;

        let left = time_left(event.context.deadline(), rotator.clock().now());
        let deadline = Instant::now() + left.saturating_sub(DEADLINE_MARGIN);
        let report = rotator
            .run(&request, deadline)
            .await
            .map_err(|p| HandlerError::InvalidEvent(format!("invalid event: {p}")))?;
        report.log();
        // The metric line goes to stdout as is: CloudWatch reads Embedded Metric Format from the log.
        println!(
            "{}",
            report.emf_line(&self.function_name, rotator.clock().now())
        );
        if report.summary.failed > 0 {
            Err(HandlerError::TargetsFailed(report.failure_summary()))
        } else {
            Ok(report)
        }
    }
}

/// Runs the Lambda runtime loop until the process is stopped.
pub async fn main() -> Result<(), lambda_runtime::Error> {
    crate::logging::init(std::io::stdout);
    let handler = Arc::new(Handler::from_process_env());
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let handler = handler.clone();
        async move { handler.handle(event).await }
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_comes_from_the_deadline_or_a_bounded_fallback() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(
            time_left(now + Duration::from_secs(42), now),
            Duration::from_secs(42)
        );
        // cargo lambda watch: `Lambda-Runtime-Deadline-Ms: 600000`
        assert_eq!(
            time_left(UNIX_EPOCH + Duration::from_millis(600_000), now),
            FALLBACK_LIMIT
        );
        assert_eq!(time_left(now, now), FALLBACK_LIMIT);
    }
}
