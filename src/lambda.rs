//! The Lambda entry point: the configuration is read once per container and the context built on
//! the first invocation; each invocation's payload becomes an [`Invocation`] with the time left
//! before Lambda's deadline, and the dispatcher's answer becomes the response, or an error whose
//! `error_type` Lambda's `Errors` metric, retries and on-failure destination see.

use crate::aws::sdk::load_config;
use crate::config::{ConfigError, Settings};
use crate::context::Context;
use crate::dispatch::{dispatch, InvocationError};
use crate::invocation::{Invocation, Request, NOT_JSON};
use crate::report::Report;
use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent, LambdaInvocation, Runtime};
use serde_json::Value;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::OnceCell;

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

/// The Lambda's answer to a failed invocation.
pub fn diagnostic(e: &InvocationError) -> Diagnostic {
    Diagnostic {
        error_type: e.error_type().into(),
        error_message: e.to_string(),
    }
}

/// The function: configuration read once per container, the context built on first use.
#[derive(Debug)]
pub struct Handler {
    settings: Result<Settings, ConfigError>,
    function_name: String,
    context: OnceCell<Context>,
}

impl Handler {
    /// Reads the configuration from the process environment.
    pub fn from_process_env() -> Handler {
        let settings = Settings::from_process_env();
        if let Err(e) = &settings {
            tracing::error!(error = %e, "every invocation will fail until the configuration is fixed");
        }
        Handler {
            settings,
            function_name: std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default(),
            context: OnceCell::new(),
        }
    }

    /// A handler around an already built context (tests, or a custom AWS configuration).
    pub fn with_context(context: Context, function_name: &str) -> Handler {
        Handler {
            settings: Ok(context.settings.clone()),
            function_name: function_name.to_owned(),
            context: OnceCell::new_with(Some(context)),
        }
    }

    /// A handler whose configuration failed to load (every invocation reports it).
    pub fn with_invalid_configuration(error: ConfigError) -> Handler {
        Handler {
            settings: Err(error),
            function_name: String::new(),
            context: OnceCell::new(),
        }
    }

    /// One invocation.
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Report, InvocationError> {
        let settings = self
            .settings
            .as_ref()
            .map_err(|e| InvocationError::Configuration(e.to_string()))?;
        let request = Request::from_event(&event.payload)
            .map_err(|e| InvocationError::InvalidEvent(e.to_string()))?;
        let context = self
            .context
            .get_or_try_init(|| async { Context::new(settings.clone(), &load_config().await) })
            .await?;
        let left = time_left(event.context.deadline(), context.clock.now());
        let invocation = Invocation {
            request,
            time_limit: left.saturating_sub(DEADLINE_MARGIN),
        };
        let result = dispatch(context, &invocation).await;
        let report = match &result {
            Ok(report) => Some(report),
            Err(InvocationError::TargetsFailed(report)) => Some(report.as_ref()),
            Err(_) => None,
        };
        if let Some(report) = report {
            // The metric lines go to stdout as they are: CloudWatch reads Embedded Metric Format
            // from the log.
            let now = context.clock.now();
            println!("{}", report.emf_line(&self.function_name, now));
            for line in report.emf_target_lines(&self.function_name, now) {
                println!("{line}");
            }
        }
        result
    }
}

/// Runs the Lambda runtime loop until the process is stopped.
pub async fn main() -> Result<(), lambda_runtime::Error> {
    crate::logging::init(std::io::stdout);
    let handler = Arc::new(Handler::from_process_env());
    Runtime::new(service_fn(move |event: LambdaEvent<Value>| {
        let handler = handler.clone();
        async move { handler.handle(event).await.map_err(|e| diagnostic(&e)) }
    }))
    .layer(NotJsonLayer)
    .layer(lambda_runtime::layers::TracingLayer::new())
    .run()
    .await
}

/// Puts an object naming the problem in place of a payload that is not JSON, so that the handler
/// answers it as an `InvalidEvent` like any bad event (the runtime would answer with an error type
/// of its own, before the handler).
#[derive(Clone, Copy)]
struct NotJsonLayer;

impl<S> Layer<S> for NotJsonLayer {
    type Service = NotJson<S>;

    fn layer(&self, inner: S) -> NotJson<S> {
        NotJson(inner)
    }
}

#[derive(Clone)]
struct NotJson<S>(S);

impl<S: Service<LambdaInvocation>> Service<LambdaInvocation> for NotJson<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> S::Future {
        invocation.body = json_or_marker(invocation.body);
        self.0.call(invocation)
    }
}

/// The payload itself when it is JSON, else `{NOT_JSON: "line L, column C"}`.
fn json_or_marker(body: bytes::Bytes) -> bytes::Bytes {
    match serde_json::from_slice::<serde::de::IgnoredAny>(&body) {
        Ok(_) => body,
        Err(e) => {
            let at = format!("line {}, column {}", e.line(), e.column());
            bytes::Bytes::from(serde_json::json!({ NOT_JSON: at }).to_string())
        }
    }
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

    #[test]
    fn a_payload_that_is_not_json_becomes_an_invalid_event() {
        let kept = bytes::Bytes::from_static(br#"{"dry_run": true}"#);
        assert_eq!(json_or_marker(kept.clone()), kept);
        let marker: Value =
            serde_json::from_slice(&json_or_marker(bytes::Bytes::from_static(b"run it"))).unwrap();
        let e = Request::from_event(&marker).unwrap_err();
        assert_eq!(e.field, "payload");
        assert!(
            e.message.starts_with("is not JSON (line 1, column 1)"),
            "{e}"
        );
    }
}
