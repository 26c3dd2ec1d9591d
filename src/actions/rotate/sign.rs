//! Signing a target's token: with the function-wide credentials, or with the target's own signer
//! role (a cluster in another AWS account), assumed once per run; and until when it really works.

use super::{base_result, failed, within};
use crate::aws::credentials::{assume, SigningCredentials};
use crate::config::Target;
use crate::context::Context;
use crate::dsql::token::{self, TokenRequest};
use crate::redact::Secret;
use crate::report::{rfc3339, ErrorKind, Outcome, TargetResult};
use crate::time::Clock;
use futures_util::stream::{self, StreamExt};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// What signing a token takes: the credentials (the function-wide ones, and those of the targets'
/// own signer roles), the token's `X-Amz-Expires`, and the clock.
pub struct Signing<'a> {
    pub credentials: &'a SigningCredentials,
    /// Each target signer role's credentials, or why they could not be had.
    pub roles: &'a HashMap<String, Result<SigningCredentials, String>>,
    pub ttl: Duration,
    pub clock: &'a dyn Clock,
}

impl Signing<'_> {
    /// The credentials that sign `target`'s token.
    fn for_target(&self, target: &Target) -> Result<&SigningCredentials, String> {
        match &target.signer_role_arn {
            None => Ok(self.credentials),
            Some(arn) => match self.roles.get(arn) {
                Some(Ok(c)) => Ok(c),
                Some(Err(e)) => Err(e.clone()),
                None => Err(format!("the signer role {arn} was not assumed")),
            },
        }
    }
}

/// Assumes, once each, the signer roles the targets name (clusters in other AWS accounts).
pub(super) async fn target_roles(
    ctx: &Context,
    targets: &[Target],
    deadline: Instant,
) -> HashMap<String, Result<SigningCredentials, String>> {
    let mut arns: Vec<&str> = targets
        .iter()
        .filter_map(|t| t.signer_role_arn.as_deref())
        .collect();
    arns.sort_unstable();
    arns.dedup();
    let session = ctx.session_length();
    stream::iter(arns)
        .map(|arn| async move {
            let creds = within(
                deadline,
                "assuming a target's signer role",
                assume(&ctx.sts, arn, session),
            )
            .await
            .and_then(|r| r.map_err(|e| e.to_string()));
            (arn.to_owned(), creds)
        })
        .buffer_unordered(ctx.settings.max_concurrency)
        .collect()
        .await
}

/// A token signed for a target, and until when it really works.
pub(super) struct Signed {
    pub password: Secret,
    valid_until: Option<std::time::SystemTime>,
    lifetime: Option<Duration>,
}

impl Signed {
    /// The result of a target that now holds this token.
    pub fn result(
        &self,
        target: &Target,
        outcome: Outcome,
        config_id: Option<String>,
    ) -> TargetResult {
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
pub(super) fn sign(target: &Target, signing: &Signing<'_>) -> Result<Signed, Box<TargetResult>> {
    let credentials = signing
        .for_target(target)
        .map_err(|e| Box::new(failed(target, ErrorKind::SigningCredentials, &e, vec![])))?;
    let signed_at = signing.clock.now();
    let request = TokenRequest {
        host: &target.host,
        region: &target.region,
        admin: target.is_admin(),
        expires_in: signing.ttl,
    };
    let password = token::generate(&credentials.credentials, request, signed_at)
        .map_err(|e| Box::new(failed(target, ErrorKind::Signing, &e.to_string(), vec![])))?;
    let valid_until = credentials.token_valid_until(signed_at, signing.ttl);
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
