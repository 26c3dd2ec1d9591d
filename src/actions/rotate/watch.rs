//! The Cloudflare API token, watched each run: what it says of its status and expiry. An expired,
//! disabled or refused token fails the run at once, with one message that says what to do,
//! rather than one refusal per target; a verify route that is down only leaves the expiry unknown.

use crate::actions::tokens::{name_accounts, Group};
use crate::cloudflare::{Session, TokenState};
use crate::context::Context;
use crate::report::{rfc3339, ErrorKind};
use std::time::SystemTime;

/// The token's expiry (when it has one), or why the run cannot use the token.
pub(crate) async fn token(
    ctx: &Context,
    api: &Session,
    group: &Group,
) -> Result<Option<SystemTime>, String> {
    let accounts = group.accounts();
    let secret = &group.secret_id;
    let several = !ctx.settings.token_secret_ids.is_empty();
    let named = |m: String| name_accounts(group, several, m);
    let account_first = accounts
        .first()
        .is_some_and(|a| ctx.settings.token_secret_ids.contains_key(*a));
    match api.verify_token(&accounts, account_first).await {
        Ok(state) => usable(&state, ctx.clock.now(), secret).map_err(named),
        Err(e) if e.kind == ErrorKind::CloudflareAuth => Err(named(format!(
            "Cloudflare refused the API token from secret {secret:?} on both of its verify routes (user and account): it was deleted, or the secret holds something else; create a token with the Hyperdrive Write permission and put it in the secret"
        ))),
        Err(e) => {
            tracing::warn!(error = %e.message, "could not ask Cloudflare about the API token; its expiry is unknown this run");
            Ok(None)
        }
    }
}

/// The expiry of a token Cloudflare says is active and not past it; else what to do.
fn usable(state: &TokenState, now: SystemTime, secret: &str) -> Result<Option<SystemTime>, String> {
    let expired = state.expires_on.is_some_and(|at| at <= now);
    match (state.status.as_str(), expired) {
        ("active", false) => Ok(state.expires_on),
        (status, _) => {
            let status = if expired { "expired" } else { status };
            let since = state
                .expires_on
                .map(|at| format!(" (expiry {})", rfc3339(at)))
                .unwrap_or_default();
            Err(format!(
                "the Cloudflare API token in secret {secret:?} is {status}{since}, so every call would be refused: roll or re-enable it in Cloudflare's dashboard (API Tokens), or create a new one with the Hyperdrive Write permission, and put it in the secret"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn only_an_active_unexpired_token_is_usable() {
        let now = UNIX_EPOCH + Duration::from_secs(1_796_083_200);
        let state = |status: &str, expires: Option<u64>| TokenState {
            status: status.into(),
            expires_on: expires.map(|s| now + Duration::from_secs(s)),
        };
        assert_eq!(usable(&state("active", None), now, "cf"), Ok(None));
        assert_eq!(
            usable(&state("active", Some(60)), now, "cf"),
            Ok(Some(now + Duration::from_secs(60)))
        );
        for (s, text) in [
            (state("disabled", None), "is disabled"),
            (state("expired", None), "is expired"),
            (
                state("active", Some(0)),
                "is expired (expiry 2026-12-01T00:00:00Z)",
            ),
        ] {
            let e = usable(&s, now, "cf").unwrap_err();
            assert!(e.contains(text), "{e}");
            assert!(e.contains("put it in the secret"), "{e}");
        }
    }
}
