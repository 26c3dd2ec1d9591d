//! One invocation, whatever the entry point: checks the request against the configuration, runs the
//! action it names within its time limit, logs the report, and decides whether the invocation
//! failed. Entry points only adapt input and output around it.

use crate::actions;
use crate::context::Context;
use crate::invocation::{ActionName, Invocation};
use crate::report::Report;
use std::fmt;
use std::time::Duration;

/// The longest an invocation may take when its limit overflows the clock (never in practice).
const MAX_TIME_LIMIT: Duration = Duration::from_secs(86_400);

/// Why an invocation failed. `error_type` is what the Lambda console and destinations show; the
/// command line turns it into an exit code.
#[derive(Debug)]
pub enum InvocationError {
    /// The configuration is invalid: nothing was called.
    Configuration(String),
    /// The event is invalid: nothing was called.
    InvalidEvent(String),
    /// Clients could not be built.
    Initialization(String),
    /// The run happened and at least one target failed: the whole report.
    TargetsFailed(Box<Report>),
    /// The action cannot be done in this configuration (a revoke with the execution role): why,
    /// and what to change. Nothing was written.
    Refused(String),
    /// A Secrets Manager rotation step failed; Secrets Manager tries the rotation again later.
    RotationStepFailed(String),
}

impl InvocationError {
    pub fn error_type(&self) -> &'static str {
        match self {
            InvocationError::Configuration(_) => "ConfigurationError",
            InvocationError::InvalidEvent(_) => "InvalidEvent",
            InvocationError::Initialization(_) => "InitializationError",
            InvocationError::TargetsFailed(_) => "TargetsFailed",
            InvocationError::Refused(_) => "ActionRefused",
            InvocationError::RotationStepFailed(_) => "RotationStepFailed",
        }
    }
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvocationError::Configuration(m)
            | InvocationError::InvalidEvent(m)
            | InvocationError::Initialization(m)
            | InvocationError::Refused(m)
            | InvocationError::RotationStepFailed(m) => f.write_str(m),
            InvocationError::TargetsFailed(report) => f.write_str(&report.failure_summary()),
        }
    }
}

impl std::error::Error for InvocationError {}

impl From<crate::context::BuildError> for InvocationError {
    fn from(e: crate::context::BuildError) -> Self {
        match e {
            crate::context::BuildError::Configuration(c) => {
                InvocationError::Configuration(c.to_string())
            }
            other => InvocationError::Initialization(other.to_string()),
        }
    }
}

/// Runs the invocation's action. `Ok` holds a report in which every target succeeded.
pub async fn dispatch(ctx: &Context, invocation: &Invocation) -> Result<Report, InvocationError> {
    let request = &invocation.request;
    let targets = request
        .select(&ctx.settings.targets)
        .map_err(|e| InvocationError::InvalidEvent(e.to_string()))?;
    let dry_run = ctx.settings.dry_run || request.dry_run;
    let now = ctx.clock.instant();
    let deadline = now
        .checked_add(invocation.time_limit)
        .unwrap_or_else(|| now + MAX_TIME_LIMIT);
    // Boxed: an action's future is deep (SDK, HTTP, retries), and the entry points' futures nest it.
    let report = match &request.action {
        ActionName::Rotate => {
            Box::pin(actions::rotate::run(ctx, &targets, dry_run, deadline)).await
        }
        ActionName::Revoke { force } => {
            Box::pin(actions::revoke::run(
                ctx, &targets, dry_run, *force, deadline,
            ))
            .await?
        }
        ActionName::Status => Box::pin(actions::status::run(ctx, &targets, deadline)).await,
        ActionName::RotationStep(step) => {
            Box::pin(actions::rotation::run(ctx, step, deadline)).await?
        }
    };
    report.log();
    if report.failed() {
        Err(InvocationError::TargetsFailed(Box::new(report)))
    } else {
        Ok(report)
    }
}
