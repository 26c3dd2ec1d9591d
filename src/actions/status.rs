//! Status, read only: each target's config as Cloudflare lists it, the time to dark of the token it
//! holds (estimated from `modified_on`), and what the Cloudflare API token says of its expiry.
//! Nothing is signed or written.

use super::rotate::{self, watch, Pushed};
use super::tokens::{self, Group};
use crate::cloudflare::ConfigSummary;
use crate::config::Target;
use crate::context::Context;
use crate::redact::Secret;
use crate::report::{ErrorKind, Outcome, Report, TargetResult};
use tokio::time::Instant;

/// Reads the state of `targets`.
pub async fn run(ctx: &Context, targets: &[Target], deadline: Instant) -> Report {
    let started = ctx.clock.now();
    let tokens = tokens::read(ctx, targets, deadline).await;
    let pushed = tokens
        .each(|group, token| async move { read(ctx, group, token, deadline).await })
        .await;
    pushed.report(ctx, false, started, None)
}

async fn read(ctx: &Context, group: &Group, token: Secret, deadline: Instant) -> Pushed {
    let targets = &group.targets;
    let api = ctx.cloudflare(token, deadline);
    let expires = match watch::token(ctx, &api, group).await {
        Ok(expires) => expires,
        Err(message) => return Pushed::failed(targets, ErrorKind::CloudflareAuth, &message),
    };
    let listings = rotate::list_accounts(&api, targets, ctx.settings.max_concurrency).await;
    let results = targets
        .iter()
        .map(|t| match &listings[t.account_id.as_str()] {
            Ok(listing) => state_of(t, listing),
            Err(e) => rotate::listing_failed(t, e),
        })
        .collect();
    Pushed {
        results,
        cloudflare_token_expires_at: expires,
    }
}

/// A target's config as listed: present (with its id and `modified_on`), missing, or ambiguous.
fn state_of(target: &Target, listing: &[ConfigSummary]) -> TargetResult {
    let same: Vec<&ConfigSummary> = listing.iter().filter(|c| c.name == target.name).collect();
    match same.as_slice() {
        [] => TargetResult {
            outcome: Outcome::Missing,
            ..rotate::base_result(target)
        },
        [one] => TargetResult {
            outcome: Outcome::Present,
            config_id: Some(one.id.clone()),
            modified_on: one.modified_on.clone(),
            ..rotate::base_result(target)
        },
        many => {
            let ids: Vec<String> = many.iter().map(|c| c.id.clone()).collect();
            rotate::failed(
                target,
                ErrorKind::DuplicateName,
                &rotate::duplicate_message(target, &ids),
                vec![],
            )
        }
    }
}
