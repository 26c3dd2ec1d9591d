//! One invocation, as both entry points produce it: what is asked ([`Request`], parsed from the
//! payload by `event`) and how long it may take.

mod event;

pub use event::{ENVELOPE_FIELDS, EVENT_FIELDS, NOT_JSON, ROTATION_FIELDS};

use crate::config::Target;
use std::fmt;
use std::time::Duration;

/// One invocation: the request and the time it may take (the Lambda's deadline less a margin to
/// answer, or the command line's `--timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub request: Request,
    pub time_limit: Duration,
}

/// The actions an invocation can ask for, each with its module under `actions/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ActionName {
    /// Sign a fresh token for every target and push it (what schedules send).
    #[default]
    Rotate,
    /// Push fresh tokens everywhere, then invalidate every token signed before; `force` revokes
    /// even when a target did not take its fresh token.
    Revoke { force: bool },
    /// One step of a Secrets Manager rotation of the signer keys secret.
    RotationStep(RotationStep),
    /// Read only: each config's time to dark and the Cloudflare token's expiry.
    Status,
}

/// A Secrets Manager rotation event: `{"SecretId", "ClientRequestToken", "Step"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationStep {
    pub secret_id: String,
    /// The version the rotation creates.
    pub token: String,
    pub step: Step,
}

/// The four steps of a rotation, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `createSecret`: a new access key, stored as the `AWSPENDING` version.
    Create,
    /// `setSecret`: every target gets a token signed with the pending key.
    Set,
    /// `testSecret`: every target takes a pending-key token again, or the step fails.
    Test,
    /// `finishSecret`: `AWSCURRENT` moves to the new version; the old key is deactivated.
    Finish,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Create => "createSecret",
            Step::Set => "setSecret",
            Step::Test => "testSecret",
            Step::Finish => "finishSecret",
        }
    }
}

/// What the event asks of this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub action: ActionName,
    pub dry_run: bool,
    /// Restrict the run to these target names.
    pub targets: Option<Vec<String>>,
}

/// The payload cannot be understood; nothing was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid event: {}: {}", self.field, self.message)
    }
}

impl std::error::Error for EventError {}

impl Request {
    /// The targets this request works on: all of them, or those it names. An unknown name is an
    /// error (nothing is called).
    pub fn select(&self, all: &[Target]) -> Result<Vec<Target>, EventError> {
        let Some(names) = &self.targets else {
            return Ok(all.to_vec());
        };
        if let Some(unknown) = names.iter().find(|n| !all.iter().any(|t| &t.name == *n)) {
            let known: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
            return Err(error(
                "targets",
                format!(
                    "{unknown:?} is not a configured target; use one of {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(all
            .iter()
            .filter(|t| names.contains(&t.name))
            .cloned()
            .collect())
    }
}

pub(crate) fn error(field: impl Into<String>, message: impl Into<String>) -> EventError {
    EventError {
        field: field.into(),
        message: message.into(),
    }
}
