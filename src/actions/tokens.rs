//! The Cloudflare API tokens of a run: the targets grouped by the secret that holds their
//! account's token (one group when every account shares the default), each secret read once, at
//! the same time. A token that cannot be read, or that Cloudflare says is expired, disabled or
//! unknown, fails only its own group's targets, with a message naming the accounts and the secret.

use super::rotate::{accounts_of, aws_failure, within, Pushed};
use crate::config::Target;
use crate::context::Context;
use crate::redact::Secret;
use crate::report::{ErrorKind, TargetResult};
use futures_util::future::join_all;
use std::future::Future;
use tokio::time::Instant;

/// The targets that share one token secret, with their places in the run's target list.
#[derive(Debug)]
pub(crate) struct Group {
    pub secret_id: String,
    pub targets: Vec<Target>,
    places: Vec<usize>,
}

impl Group {
    /// The accounts of this group, sorted, for messages.
    pub fn accounts(&self) -> Vec<&str> {
        accounts_of(&self.targets)
    }
}

/// A token read, or the kind and message its targets fail with.
type Read = Result<Secret, (ErrorKind, String)>;

/// Each group's token, or why its targets fail.
pub(crate) struct Tokens {
    groups: Vec<(Group, Read)>,
    count: usize,
}

/// Groups `targets` by token secret, in order of first appearance.
pub(crate) fn groups(ctx: &Context, targets: &[Target]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let secret = ctx.settings.token_secret_for(&t.account_id);
        match groups.iter_mut().find(|g| g.secret_id == secret) {
            Some(g) => {
                g.targets.push(t.clone());
                g.places.push(i);
            }
            None => groups.push(Group {
                secret_id: secret.to_owned(),
                targets: vec![t.clone()],
                places: vec![i],
            }),
        }
    }
    groups
}

/// Reads the token of every group of `targets`, all at once, within the deadline.
pub(crate) async fn read(ctx: &Context, targets: &[Target], deadline: Instant) -> Tokens {
    let groups = groups(ctx, targets);
    let several = !ctx.settings.token_secret_ids.is_empty();
    let tokens = join_all(groups.iter().map(|g| async move {
        within(
            deadline,
            "reading the Cloudflare API token",
            ctx.cloudflare_token(&g.secret_id),
        )
        .await
        .map_err(|m| (ErrorKind::CloudflareToken, m))
        .and_then(|t| t.map_err(|e| aws_failure(ErrorKind::CloudflareToken, e.aws_error(), &e)))
        .map_err(|(kind, m)| (kind, name_accounts(g, several, m)))
    }))
    .await;
    Tokens {
        groups: groups.into_iter().zip(tokens).collect(),
        count: targets.len(),
    }
}

/// With a token per account, a message says whose token it is.
pub(crate) fn name_accounts(group: &Group, several: bool, message: String) -> String {
    if several {
        let accounts = group.accounts();
        let s = if accounts.len() == 1 { "" } else { "s" };
        format!("Cloudflare account{s} {}: {message}", accounts.join(", "))
    } else {
        message
    }
}

impl Tokens {
    /// The first failure to read a token, when any (for actions that need every target).
    pub fn first_failure(&self) -> Option<&(ErrorKind, String)> {
        self.groups.iter().find_map(|(_, t)| t.as_ref().err())
    }

    /// Runs `work` for each group whose token was read (all groups at once) and fails the targets
    /// of the others; the results keep the targets' order, the token expiry is the earliest.
    pub async fn each<'a, F, Fut>(&'a self, work: F) -> Pushed
    where
        F: Fn(&'a Group, Secret) -> Fut,
        Fut: Future<Output = Pushed> + 'a,
    {
        let work = &work;
        let pushed = join_all(self.groups.iter().map(|(g, token)| async move {
            match token {
                Ok(t) => work(g, t.clone()).await,
                Err((kind, message)) => Pushed::failed(&g.targets, *kind, message),
            }
        }))
        .await;
        let mut places: Vec<Option<TargetResult>> = vec![None; self.count];
        let mut expires = None;
        for ((g, _), p) in self.groups.iter().zip(pushed) {
            expires = match (expires, p.cloudflare_token_expires_at) {
                (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
                (a, b) => a.or(b),
            };
            for (place, r) in g.places.iter().zip(p.results) {
                places[*place] = Some(r);
            }
        }
        Pushed {
            results: places.into_iter().flatten().collect(),
            cloudflare_token_expires_at: expires,
        }
    }
}
