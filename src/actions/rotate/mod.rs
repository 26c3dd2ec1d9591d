//! The rotate action (today's scheduled run): get the signing credentials and the Cloudflare token,
//! list each account's configs once, then for each target (bounded concurrency) decide, sign a
//! token and update or create its config. A target's failure never stops the others; the report
//! says what happened to each.

mod converge;
mod decide;
mod sign;
pub(crate) mod watch;

pub use converge::survivor;
pub use decide::{decide, duplicate_message, Decision, Write};
pub use sign::Signing;

use sign::{sign, target_roles};

use super::held;
use super::tokens::{self, Tokens};
use crate::aws::credentials::{Lifetime, SigningCredentials};
use crate::aws::{AwsError, AwsFailure};
use crate::cloudflare::{ApiError, ConfigSummary, HyperdriveConfigs};
use crate::config::Target;
use crate::context::Context;
use crate::report::{
    rfc3339, ErrorKind, HeldBasis, Outcome, Report, Summary, TargetError, TargetResult,
};
use futures_util::stream::{self, StreamExt};
use futures_util::FutureExt;
use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::SystemTime;
use tokio::time::Instant;

/// Runs the action over `targets` (already selected), writing nothing when `dry_run`.
pub async fn run(ctx: &Context, targets: &[Target], dry_run: bool, deadline: Instant) -> Report {
    let started_at = ctx.clock.now();
    let (pushed, credentials_expire_at) = match fetch(ctx, targets, deadline).await {
        Ok((creds, tokens)) => {
            warn_if_lifetime_unknown(&creds);
            let pushed = push(ctx, targets, &creds, &tokens, dry_run, deadline).await;
            (pushed, creds.expires_at().map(rfc3339))
        }
        Err((kind, message)) => (Pushed::failed(targets, kind, &message), None),
    };
    pushed.report(ctx, dry_run, started_at, credentials_expire_at)
}

/// What a push did: each target's result, and what the Cloudflare API token said of its expiry
/// (the earliest, with a token per account).
pub(crate) struct Pushed {
    pub results: Vec<TargetResult>,
    pub cloudflare_token_expires_at: Option<SystemTime>,
}

impl Pushed {
    /// Every target failed the same way (nothing could be signed or sent).
    pub fn failed(targets: &[Target], kind: ErrorKind, message: &str) -> Pushed {
        Pushed {
            results: fail_all(targets, kind, message),
            cloudflare_token_expires_at: None,
        }
    }

    /// The report of a run that started at `started_at`.
    pub fn report(
        self,
        ctx: &Context,
        dry_run: bool,
        started_at: SystemTime,
        credentials_expire_at: Option<String>,
    ) -> Report {
        let mut r = report(
            ctx,
            dry_run,
            started_at,
            self.results,
            credentials_expire_at,
        );
        r.cloudflare_token_expires_at = self.cloudflare_token_expires_at.map(rfc3339);
        r
    }
}

/// The signing credentials and the Cloudflare API tokens of `targets`, fetched at the same time
/// within the deadline; else (no credentials) the kind and message every target fails with. A
/// token that could not be read fails only its own targets, later.
pub(crate) async fn fetch(
    ctx: &Context,
    targets: &[Target],
    deadline: Instant,
) -> Result<(SigningCredentials, Tokens), (ErrorKind, String)> {
    let (credentials, tokens) = tokio::join!(
        within(
            deadline,
            "getting the signing credentials",
            ctx.signing_credentials()
        ),
        tokens::read(ctx, targets, deadline),
    );
    let credentials = credentials
        .map_err(|m| (ErrorKind::SigningCredentials, m))
        .and_then(|c| c.map_err(|e| aws_failure(ErrorKind::SigningCredentials, e.aws_error(), &e)));
    match (credentials, tokens.first_failure()) {
        (Ok(c), _) => Ok((c, tokens)),
        (Err((kind, c)), Some((_, t))) => Err((kind, format!("{c}; also {t}"))),
        (Err(e), None) => Err(e),
    }
}

/// Gives every target in `targets` a fresh token signed with `credentials`, as a run does, each
/// account through its own API token. First asks Cloudflare what each API token says of itself:
/// an expired, disabled or refused token fails its targets at once, with what to do.
pub(crate) async fn push(
    ctx: &Context,
    targets: &[Target],
    credentials: &SigningCredentials,
    tokens: &Tokens,
    dry_run: bool,
    deadline: Instant,
) -> Pushed {
    let roles = target_roles(ctx, targets, deadline).await;
    let signing = Signing {
        credentials,
        roles: &roles,
        ttl: ctx.settings.token_ttl,
        clock: ctx.clock.as_ref(),
    };
    let signing = &signing;
    tokens
        .each(|group, token| async move {
            let api = ctx.cloudflare(token, deadline);
            let expires = match watch::token(ctx, &api, group).await {
                Ok(expires) => expires,
                Err(message) => {
                    return Pushed::failed(&group.targets, ErrorKind::CloudflareAuth, &message)
                }
            };
            Pushed {
                results: rotate_all(
                    &api,
                    &group.targets,
                    signing,
                    dry_run,
                    ctx.settings.max_concurrency,
                )
                .await,
                cloudflare_token_expires_at: expires,
            }
        })
        .await
}

/// Every target failed the same way (nothing could be signed or sent).
pub(crate) fn fail_all(targets: &[Target], kind: ErrorKind, message: &str) -> Vec<TargetResult> {
    targets
        .iter()
        .map(|t| failed(t, kind, message, vec![]))
        .collect()
}

/// The report of a run that started at `started_at`, with each config's time to dark.
pub(crate) fn report(
    ctx: &Context,
    dry_run: bool,
    started_at: std::time::SystemTime,
    mut results: Vec<TargetResult>,
    credentials_expire_at: Option<String>,
) -> Report {
    let now = ctx.clock.now();
    let min_seconds_to_dark = held::annotate(ctx, &ctx.settings.targets, &mut results, now);
    Report {
        dry_run,
        started_at: rfc3339(started_at),
        finished_at: rfc3339(now),
        credentials_expire_at,
        min_seconds_to_dark,
        cloudflare_token_expires_at: None,
        summary: Summary::of(&results),
        results,
        revocation: None,
    }
}

/// The Cloudflare accounts of `targets`, each once, sorted.
pub(crate) fn accounts_of(targets: &[Target]) -> Vec<&str> {
    let mut accounts: Vec<&str> = targets.iter().map(|t| t.account_id.as_str()).collect();
    accounts.sort_unstable();
    accounts.dedup();
    accounts
}

/// Each account's configs, every account of `targets` listed once, `max_concurrency` at a time.
pub(crate) async fn list_accounts<'t, C: HyperdriveConfigs>(
    api: &C,
    targets: &'t [Target],
    max_concurrency: usize,
) -> HashMap<&'t str, Result<Vec<ConfigSummary>, ApiError>> {
    stream::iter(accounts_of(targets))
        .map(|account| async move { (account, api.list(account).await) })
        .buffer_unordered(max_concurrency)
        .collect()
        .await
}

/// A target whose account could not be listed.
pub(crate) fn listing_failed(target: &Target, e: &ApiError) -> TargetResult {
    let message = format!(
        "could not list the Hyperdrive configs of account {}: {}",
        target.account_id, e.message
    );
    failed(target, e.kind, &message, e.codes.clone())
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
    let listings = list_accounts(api, targets, max_concurrency).await;

    // Unordered, so that one slow target does not hold the others' places. A panic (a bug) on one
    // target fails that target only: the others' results still reach the report.
    let mut results: Vec<(usize, TargetResult)> = stream::iter(targets.iter().enumerate())
        .map(|(i, t)| {
            let listing = &listings[t.account_id.as_str()];
            async move {
                let result = AssertUnwindSafe(write_one(api, t, listing, signing, dry_run))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| failed(t, ErrorKind::Internal, PANICKED, vec![]));
                let modified_on = listed_modified_on(t, listing);
                (
                    i,
                    TargetResult {
                        modified_on,
                        ..result
                    },
                )
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

/// When the config last changed, as listed: what a token this run could not replace is estimated
/// from.
fn listed_modified_on(
    target: &Target,
    listing: &Result<Vec<ConfigSummary>, ApiError>,
) -> Option<String> {
    listing.as_ref().ok().and_then(|l| {
        let mut same = l.iter().filter(|c| c.name == target.name);
        match (same.next(), same.next()) {
            (Some(one), None) => one.modified_on.clone(),
            _ => None,
        }
    })
}

async fn write_one<C: HyperdriveConfigs>(
    api: &C,
    target: &Target,
    listing: &Result<Vec<ConfigSummary>, ApiError>,
    signing: &Signing<'_>,
    dry_run: bool,
) -> TargetResult {
    let listing = match listing {
        Ok(l) => l,
        Err(e) => return listing_failed(target, e),
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

const PANICKED: &str = "the function failed unexpectedly while working on this target (a bug: the log has the panic message); the other targets were not affected";

/// The kind and message of a failure to get something from AWS: a malformed answer is reported as
/// such, anything else by what could not be had (`default`).
pub(crate) fn aws_failure(
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
pub(crate) async fn within<T>(
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

pub(crate) fn base_result(t: &Target) -> TargetResult {
    TargetResult {
        name: t.name.clone(),
        account_id: t.account_id.clone(),
        host: t.host.clone(),
        region: t.region.clone(),
        outcome: Outcome::Failed,
        config_id: None,
        token_expires_at: None,
        modified_on: None,
        held_token_valid_until: None,
        held_token_basis: HeldBasis::Unknown,
        error: None,
        token_lifetime: None,
    }
}

pub(crate) fn failed(t: &Target, kind: ErrorKind, message: &str, codes: Vec<i64>) -> TargetResult {
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
