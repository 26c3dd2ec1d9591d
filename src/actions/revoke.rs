//! Break glass, in one action: every target gets a fresh token, then every token signed before is
//! invalidated. With a signer role: a fresh session signs and pushes, then an inline policy on the
//! role denies DSQL connects to every session issued before that one (IAM's "revoke active
//! sessions", one policy overwritten at each revoke). With long-term keys: a rotation now, ending
//! with the old key deactivated. With the execution role: refused (revoking its own sessions would
//! cut the function off). A target that does not take its fresh token blocks the revocation, unless
//! forced; a dry run plans only.

use super::rotate;
use super::rotation::KeysSecret;
use crate::aws::iam::role_name;
use crate::config::{Signer, Target};
use crate::context::Context;
use crate::dispatch::InvocationError;
use crate::report::{rfc3339, ErrorKind, Report, Revocation, TargetResult};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// Runs the revoke over every target (`targets` is all of them: the event cannot narrow a revoke).
pub async fn run(
    ctx: &Context,
    targets: &[Target],
    dry_run: bool,
    force: bool,
    deadline: Instant,
) -> Result<Report, InvocationError> {
    let started = ctx.clock.now();
    let (results, revocation, expires) = match &ctx.settings.signer {
        Signer::Default => {
            return Err(InvocationError::Refused(
                "revoke is refused with the function's own credentials: revoking the execution role's sessions would cut the function itself off from AWS, and its tokens' lifetime is unknown anyway. Sign with a signer role (SIGNER_ROLE_ARN) or long-term keys (SIGNER_CREDENTIALS_SECRET_ID), whose tokens a revoke can kill, then revoke".to_owned(),
            ))
        }
        Signer::AssumeRole { role_arn, session } => {
            sessions(ctx, targets, role_arn, *session, dry_run, force, deadline).await
        }
        Signer::LongTermKeys { .. } => keys(ctx, targets, dry_run, force, deadline).await?,
    };
    let mut report = rotate::report(ctx, dry_run, started, results, expires);
    report.revocation = Some(revocation);
    Ok(report)
}

type Revoked = (Vec<TargetResult>, Revocation, Option<String>);

fn revocation(mode: &str, results: &[TargetResult]) -> Revocation {
    Revocation {
        mode: mode.to_owned(),
        revoked: false,
        access_key_id: None,
        session_cutoff: None,
        at: None,
        blocked_by: results
            .iter()
            .filter(|r| r.error.is_some())
            .map(|r| r.name.clone())
            .collect(),
        dark: Vec::new(),
        error: None,
    }
}

/// Whether to go on and revoke: nothing blocked it, or it is forced. The blocked targets are then
/// the dark ones.
fn go_ahead(r: &mut Revocation, force: bool) -> bool {
    if r.blocked_by.is_empty() || force {
        r.dark = std::mem::take(&mut r.blocked_by);
        true
    } else {
        false
    }
}

/// Signer role: a fresh session pushes, then sessions issued before it are denied.
async fn sessions(
    ctx: &Context,
    targets: &[Target],
    role_arn: &str,
    session: Duration,
    dry_run: bool,
    force: bool,
    deadline: Instant,
) -> Revoked {
    let (creds, cf_tokens) = match rotate::fetch(ctx, targets, deadline).await {
        Ok(both) => both,
        Err((kind, message)) => {
            let results = rotate::fail_all(targets, kind, &message);
            return (results.clone(), revocation("signer_role", &results), None);
        }
    };
    let expires = creds.expires_at();
    // The fresh session's issue time: what the deny is measured against (not before it, so that
    // the fresh session keeps working).
    let cutoff = expires.and_then(|e| e.checked_sub(session));
    let results = rotate::push(ctx, targets, &creds, &cf_tokens, dry_run, deadline)
        .await
        .results;
    let mut r = revocation("signer_role", &results);
    r.session_cutoff = cutoff.map(rfc3339);
    let Some(cutoff) = cutoff else {
        r.error = Some("the assumed session carries no expiry, so its issue time is unknown; nothing was revoked".to_owned());
        return (results, r, None);
    };
    if dry_run || !go_ahead(&mut r, force) {
        return (results, r, expires.map(rfc3339));
    }
    match ctx.iam.deny_sessions_before(role_name(role_arn), cutoff).await {
        Ok(()) => {
            r.revoked = true;
            r.at = Some(rfc3339(ctx.clock.now()));
            tracing::warn!(role = %role_arn, cutoff = %rfc3339(cutoff), "revoked: sessions of the signer role issued before the cutoff can no longer connect to DSQL");
        }
        Err(e) => r.error = Some(format!("{e} -> allow the function's role iam:PutRolePolicy on the signer role (the stacks grant it)")),
    }
    (results, r, expires.map(rfc3339))
}

/// Long-term keys: a rotation now, ending with the old key deactivated.
async fn keys(
    ctx: &Context,
    targets: &[Target],
    dry_run: bool,
    force: bool,
    deadline: Instant,
) -> Result<Revoked, InvocationError> {
    let secret = KeysSecret::of(ctx)?;
    if dry_run {
        // Plan with the keys in use: what would be updated, and which key would die.
        let (creds, cf_tokens) = match rotate::fetch(ctx, targets, deadline).await {
            Ok(both) => both,
            Err((kind, message)) => {
                let results = rotate::fail_all(targets, kind, &message);
                return Ok((
                    results.clone(),
                    revocation("long_term_keys", &results),
                    None,
                ));
            }
        };
        let results = rotate::push(ctx, targets, &creds, &cf_tokens, true, deadline)
            .await
            .results;
        let mut r = revocation("long_term_keys", &results);
        r.access_key_id = Some(creds.credentials.access_key_id().to_owned());
        return Ok((results, r, None));
    }
    let token = version_token(ctx.clock.now());
    if let Err(e) = secret.create(ctx, &token, deadline).await {
        let results = rotate::fail_all(targets, ErrorKind::SigningCredentials, &e);
        let mut r = revocation("long_term_keys", &results);
        r.error = Some(e);
        return Ok((results, r, None));
    }
    let results = match secret.push_pending(ctx, &token, deadline).await {
        Ok(results) => results,
        Err(e) => rotate::fail_all(targets, ErrorKind::SigningCredentials, &e),
    };
    let mut r = revocation("long_term_keys", &results);
    if !go_ahead(&mut r, force) {
        return Ok((results, r, None));
    }
    match secret.promote(ctx, &token).await {
        Ok(old) => {
            r.revoked = true;
            r.access_key_id = old;
            r.at = Some(rfc3339(ctx.clock.now()));
            tracing::warn!(access_key_id = ?r.access_key_id, "revoked: the previous signer key is deactivated");
        }
        Err(e) => r.error = Some(e),
    }
    Ok((results, r, None))
}

/// A new version id for the keys secret (Secrets Manager wants 32 to 64 characters).
fn version_token(now: SystemTime) -> String {
    use std::hash::{BuildHasher, RandomState};
    let nanos = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let random = RandomState::new().hash_one(nanos);
    format!("revoke-{nanos:x}-{random:016x}")
}
