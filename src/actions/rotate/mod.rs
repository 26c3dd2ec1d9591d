//! The rotate action (today's scheduled run): get the signing credentials and the Cloudflare token,
//! list each account's configs once, then for each target (bounded concurrency) decide, sign a
//! token and update or create its config. A target's failure never stops the others; the report
//! says what happened to each.

mod converge;
mod decide;

pub use converge::survivor;
pub use decide::{decide, Decision, Write};

use crate::aws::credentials::{Lifetime, SigningCredentials};
use crate::aws::{AwsError, AwsFailure};
use crate::cloudflare::{ApiError, ConfigSummary, HyperdriveConfigs};
use crate::config::Target;
use crate::context::Context;
use crate::dsql::token::{self, TokenRequest};
use crate::redact::Secret;
use crate::report::{rfc3339, ErrorKind, Outcome, Report, Summary, TargetError, TargetResult};
use crate::time::Clock;
use futures_util::stream::{self, StreamExt};
use futures_util::FutureExt;
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tokio::time::Instant;

/// Runs the action over `targets` (already selected), writing nothing when `dry_run`.
pub async fn run(ctx: &Context, targets: &[Target], dry_run: bool, deadline: Instant) -> Report {
    let started_at = ctx.clock.now();
    let (credentials, cf_token) = tokio::join!(
        within(
            deadline,
            "getting the signing credentials",
            ctx.signing_credentials()
        ),
        within(
            deadline,
            "reading the Cloudflare API token",
            ctx.cloudflare_token()
        ),
    );
    let credentials = credentials
        .map_err(|m| (ErrorKind::SigningCredentials, m))
        .and_then(|c| c.map_err(|e| aws_failure(ErrorKind::SigningCredentials, e.aws_error(), &e)));
    let cf_token = cf_token
        .map_err(|m| (ErrorKind::CloudflareToken, m))
        .and_then(|t| t.map_err(|e| aws_failure(ErrorKind::CloudflareToken, e.aws_error(), &e)));

    let fail_all = |kind, message: &str| -> Vec<TargetResult> {
        targets
            .iter()
            .map(|t| failed(t, kind, message, vec![]))
            .collect()
    };
    let (results, credentials_expire_at) = match (credentials, cf_token) {
        (Ok(creds), Ok(cf_token)) => {
            warn_if_lifetime_unknown(&creds);
            let api = ctx.cloudflare(cf_token, deadline);
            let signing = Signing {
                credentials: &creds,
                ttl: ctx.settings.token_ttl,
                clock: ctx.clock.as_ref(),
            };
            let results = rotate_all(
                &api,
                targets,
                &signing,
                dry_run,
                ctx.settings.max_concurrency,
            )
            .await;
            (results, creds.expires_at().map(rfc3339))
        }
        (Err((kind, c)), Err((_, t))) => (fail_all(kind, &format!("{c}; also {t}")), None),
        (Err((kind, c)), Ok(_)) => (fail_all(kind, &c), None),
        (Ok(_), Err((kind, t))) => (fail_all(kind, &t), None),
    };
    Report {
        dry_run,
        started_at: rfc3339(started_at),
        finished_at: rfc3339(ctx.clock.now()),
        credentials_expire_at,
        summary: Summary::of(&results),
        results,
    }
}

/// What signing a token takes: the credentials, the token's `X-Amz-Expires`, and the clock.
pub struct Signing<'a> {
    pub credentials: &'a SigningCredentials,
    pub ttl: Duration,
    pub clock: &'a dyn Clock,
}

/// Lists each account once, then works on every target, `max_concurrency` at a time. The results
/// keep the targets' order.
pub async fn rotate_all<C: HyperdriveConfigs>(
    api: &C,
    targets: &[Target],
    signing: &Signing<'_>,
    dry_run: bool,
    max_concurrency: usize,
) -> Vec<TargetResult> {
    let mut accounts: Vec<&str> = targets.iter().map(|t| t.account_id.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let listings: HashMap<&str, Result<Vec<ConfigSummary>, ApiError>> = stream::iter(accounts)
        .map(|account| async move { (account, api.list(account).await) })
        .buffer_unordered(max_concurrency)
        .collect()
        .await;

    // Unordered, so that one slow target does not hold the others' places. A panic (a bug) on one
    // target fails that target only: the others' results still reach the report.
    let mut results: Vec<(usize, TargetResult)> = stream::iter(targets.iter().enumerate())
        .map(|(i, t)| {
            let listing = &listings[t.account_id.as_str()];
            async move {
                let result = AssertUnwindSafe(rotate_one(api, t, listing, signing, dry_run))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| failed(t, ErrorKind::Internal, PANICKED, vec![]));
                (i, result)
            }
        })
        .buffer_unordered(max_concurrency)
        .collect()
        .await;
    results.sort_unstable_by_key(|(i, _)| *i);
    let mut results: Vec<TargetResult> = results.into_iter().map(|(_, r)| r).collect();
    converge::after_creates(api, targets, &mut results, signing, max_concurrency).await;
    results
}

async fn rotate_one<C: HyperdriveConfigs>(
    api: &C,
    target: &Target,
    listing: &Result<Vec<ConfigSummary>, ApiError>,
    signing: &Signing<'_>,
    dry_run: bool,
) -> TargetResult {
    let listing = match listing {
        Ok(l) => l,
        Err(e) => {
            let message = format!(
                "could not list the Hyperdrive configs of account {}: {}",
                target.account_id, e.message
            );
            return failed(target, e.kind, &message, e.codes.clone());
        }
    };
    let write = match decide(target, listing, dry_run) {
        Decision::Write(write) => write,
        Decision::Duplicate { ids } => {
            let message = decide::duplicate_message(target, &ids);
            return failed(target, ErrorKind::DuplicateName, &message, vec![]);
        }
    };

    let signed = match sign(target, signing) {
        Ok(s) => s,
        Err(failure) => return *failure,
    };
    let password = &signed.password;
    let outcome = match write {
        Write::WouldUpdate { id } => Ok((Outcome::WouldUpdate, Some(id))),
        Write::WouldCreate => Ok((Outcome::WouldCreate, None)),
        Write::Update { id } => api
            .update(target, &id, password)
            .await
            .map(|id| (Outcome::Updated, Some(id))),
        Write::Create => match api.create(target, password).await {
            Ok(id) => Ok((Outcome::Created, Some(id))),
            Err(e) if e.is_name_conflict() => converge::adopt(api, target, password)
                .await
                .map(|id| (Outcome::Updated, Some(id))),
            Err(e) => Err(e),
        },
    };
    match outcome {
        Ok((outcome, config_id)) => signed.result(target, outcome, config_id),
        Err(e) => failed(target, e.kind, &e.message, e.codes),
    }
}

/// A token signed for a target, and until when it really works.
struct Signed {
    password: Secret,
    valid_until: Option<std::time::SystemTime>,
    lifetime: Option<Duration>,
}

impl Signed {
    /// The result of a target that now holds this token.
    fn result(&self, target: &Target, outcome: Outcome, config_id: Option<String>) -> TargetResult {
        TargetResult {
            outcome,
            config_id,
            token_expires_at: self.valid_until.map(rfc3339),
            token_lifetime: self.lifetime,
            ..base_result(target)
        }
    }
}

/// Signs a fresh token for `target`; the failed result when it cannot be signed or would be dead.
fn sign(target: &Target, signing: &Signing<'_>) -> Result<Signed, Box<TargetResult>> {
    let signed_at = signing.clock.now();
    let request = TokenRequest {
        host: &target.host,
        region: &target.region,
        admin: target.is_admin(),
        expires_in: signing.ttl,
    };
    let password = token::generate(&signing.credentials.credentials, request, signed_at)
        .map_err(|e| Box::new(failed(target, ErrorKind::Signing, &e.to_string(), vec![])))?;
    let valid_until = signing
        .credentials
        .token_valid_until(signed_at, signing.ttl);
    let lifetime = valid_until.and_then(|v| v.duration_since(signed_at).ok());
    if valid_until.is_some() && lifetime.is_none_or(|l| l.is_zero()) {
        return Err(Box::new(failed(
            target,
            ErrorKind::SigningCredentials,
            "the signing credentials have already expired",
            vec![],
        )));
    }
    Ok(Signed {
        password,
        valid_until,
        lifetime,
    })
}

const PANICKED: &str = "the function failed unexpectedly while working on this target (a bug: the log has the panic message); the other targets were not affected";

/// The kind and message of a failure to get something from AWS: a malformed answer is reported as
/// such, anything else by what could not be had (`default`).
fn aws_failure(
    default: ErrorKind,
    aws: Option<&AwsError>,
    error: &dyn std::fmt::Display,
) -> (ErrorKind, String) {
    let kind = match aws.map(|a| &a.failure) {
        Some(AwsFailure::MalformedResponse { .. }) => ErrorKind::MalformedResponse,
        _ => default,
    };
    (kind, error.to_string())
}

/// Bounds an AWS call by the run's deadline.
async fn within<T>(
    deadline: Instant,
    what: &str,
    fut: impl Future<Output = T>,
) -> Result<T, String> {
    tokio::time::timeout_at(deadline, fut)
        .await
        .map_err(|_| format!("{what} did not finish before the invocation deadline"))
}

fn warn_if_lifetime_unknown(creds: &SigningCredentials) {
    if creds.lifetime == Lifetime::Unknown {
        tracing::warn!(
            "the signing credentials are temporary but carry no expiry (a Lambda execution role does not publish it): \
             the pushed tokens may stop working before X-Amz-Expires, and the report cannot say when; \
             set SIGNER_ROLE_ARN to sign with an assumed role whose expiry is known"
        );
    }
}

fn base_result(t: &Target) -> TargetResult {
    TargetResult {
        name: t.name.clone(),
        account_id: t.account_id.clone(),
        host: t.host.clone(),
        region: t.region.clone(),
        outcome: Outcome::Failed,
        config_id: None,
        token_expires_at: None,
        error: None,
        token_lifetime: None,
    }
}

fn failed(t: &Target, kind: ErrorKind, message: &str, codes: Vec<i64>) -> TargetResult {
    TargetResult {
        error: Some(TargetError {
            kind,
            message: message.to_owned(),
            cloudflare_codes: codes,
        }),
        ..base_result(t)
    }
}

#[cfg(test)]
mod tests;
