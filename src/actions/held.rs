//! Time to dark: until when the token each config holds works. The token this run pushed is known
//! (`pushed`); for a config this run did not write, it is estimated from the config's
//! `modified_on` plus the lifetime the signing mode guarantees (`estimated`: someone else editing
//! the config moves `modified_on`, and a session's token may die a few seconds before the
//! estimate); with the execution role, or without a config, it is `unknown`.

use crate::config::{Signer, Target};
use crate::context::Context;
use crate::report::{parse_rfc3339 as parse, rfc3339, HeldBasis, Outcome, TargetResult};
use std::time::{Duration, SystemTime};

/// The lifetime a token signed for `target` is guaranteed: min(TTL, session) with a signer role,
/// the TTL with long-term keys, nothing known with the execution role.
pub(crate) fn guaranteed_lifetime(ctx: &Context, target: &Target) -> Option<Duration> {
    let ttl = ctx.settings.token_ttl;
    if target.signer_role_arn.is_some() {
        return Some(ttl.min(ctx.session_length()));
    }
    match &ctx.settings.signer {
        Signer::AssumeRole { session, .. } => Some(ttl.min(*session)),
        Signer::LongTermKeys { .. } => Some(ttl),
        Signer::Default => None,
    }
}

/// Fills each result's held token fields; the least time any config's token has left, in whole
/// seconds (0 when one is already dark), or `None` when one of them is unknowable.
pub(crate) fn annotate(
    ctx: &Context,
    targets: &[Target],
    results: &mut [TargetResult],
    now: SystemTime,
) -> Option<u64> {
    let mut min: Option<u64> = None;
    let mut unknowable = false;
    for r in results.iter_mut() {
        let target = targets
            .iter()
            .find(|t| t.name == r.name && t.account_id == r.account_id);
        let pushed = matches!(r.outcome, Outcome::Created | Outcome::Updated);
        let (until, basis) = if pushed {
            match r.token_expires_at.as_deref().and_then(parse) {
                Some(at) => (Some(at), HeldBasis::Pushed),
                None => (None, HeldBasis::Unknown),
            }
        } else {
            let lifetime = target.and_then(|t| guaranteed_lifetime(ctx, t));
            let since = r.modified_on.as_deref().and_then(parse);
            match (since, lifetime) {
                (Some(since), Some(lifetime)) => {
                    (since.checked_add(lifetime), HeldBasis::Estimated)
                }
                _ => (None, HeldBasis::Unknown),
            }
        };
        r.held_token_valid_until = until.map(rfc3339);
        r.held_token_basis = basis;
        // A target without a config has no token to lose; any other unknown makes the minimum
        // unknowable.
        let has_config = pushed || r.modified_on.is_some() || r.config_id.is_some();
        match until {
            Some(at) => {
                let left = at.duration_since(now).map_or(0, |d| d.as_secs());
                min = Some(min.map_or(left, |m| m.min(left)));
            }
            None if has_config => unknowable = true,
            None => {}
        }
    }
    if unknowable {
        None
    } else {
        min
    }
}
