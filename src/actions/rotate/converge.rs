//! Runs that create the same target at once must leave one config. Cloudflare may refuse the
//! second create (409, code 2017: the name is taken), or accept it; both are handled:
//! - refused: the config of that name, listed again, gets the token in place ([`adopt`]);
//! - accepted: after its creates, a run lists each account again; where a name now has several
//!   configs, every run keeps the same one, the [`survivor`], and a run whose own new config lost
//!   deletes it (created moments ago, no Worker can be bound to it) and puts a fresh token in the
//!   survivor instead ([`after_creates`]). A run never deletes a config it did not create.

use super::decide::duplicate_message;
use super::{failed, sign, Signing};
use crate::cloudflare::{ApiError, ConfigSummary, HyperdriveConfigs};
use crate::config::Target;
use crate::redact::Secret;
use crate::report::{ErrorKind, Outcome, TargetResult};
use futures_util::stream::{self, StreamExt};

/// Of the configs named like a target after this run created one, the one that stays: the one
/// created first (by `created_on`, then by id). Runs at once that each created a config all make
/// the same choice, and each run whose config lost deletes its own, which no Worker can be bound to
/// yet. A run that saw only its own config created it first, so the choice never goes against it.
pub fn survivor(same_name: &[ConfigSummary]) -> Option<&ConfigSummary> {
    same_name.iter().min_by_key(|c| {
        let created = c.created_on.as_deref().and_then(|t| {
            aws_smithy_types::DateTime::from_str(t, aws_smithy_types::date_time::Format::DateTime)
                .ok()
        });
        // Unknown creation times sort last.
        (
            created.is_none(),
            created.map(|d| (d.secs(), d.subsec_nanos())),
            c.id.clone(),
        )
    })
}

/// After Cloudflare refused a create because the name is taken (another run created it since this
/// run listed): the config of that name, listed again, gets the token in place; its id.
pub(super) async fn adopt<C: HyperdriveConfigs>(
    api: &C,
    target: &Target,
    password: &Secret,
) -> Result<String, ApiError> {
    let listed = api.list(&target.account_id).await?;
    let same: Vec<&ConfigSummary> = listed.iter().filter(|c| c.name == target.name).collect();
    match same.as_slice() {
        [one] => {
            tracing::info!(target_name = %target.name, config_id = %one.id, "the name was taken since the list (another run created it): updating that config");
            api.update(target, &one.id, password).await
        }
        [] => Err(ApiError::new(
            ErrorKind::CloudflareRejected,
            format!(
                "Cloudflare refused to create {:?} because the name is taken, but lists no config of that name; the next run will try again",
                target.name
            ),
        )),
        many => {
            let ids: Vec<String> = many.iter().map(|c| c.id.clone()).collect();
            Err(ApiError::new(
                ErrorKind::DuplicateName,
                duplicate_message(target, &ids),
            ))
        }
    }
}

/// Lists again each account where this run created configs (once per account), and moves each
/// created target whose config is not the survivor of its name onto the survivor.
pub(super) async fn after_creates<C: HyperdriveConfigs>(
    api: &C,
    targets: &[Target],
    results: &mut [TargetResult],
    signing: &Signing<'_>,
    max_concurrency: usize,
) {
    let mut accounts: Vec<&str> = targets
        .iter()
        .zip(results.iter())
        .filter(|(_, r)| r.outcome == Outcome::Created)
        .map(|(t, _)| t.account_id.as_str())
        .collect();
    accounts.sort_unstable();
    accounts.dedup();
    let created: &[TargetResult] = results;
    let moved: Vec<Vec<(usize, TargetResult)>> = stream::iter(accounts)
        .map(|account| async move {
            let listed = match api.list(account).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(account_id = %account, error = %e.message, "could not list the configs again after creating some, to check for a run at the same time");
                    return Vec::new();
                }
            };
            let mut moved = Vec::new();
            for (i, (target, result)) in targets.iter().zip(created).enumerate() {
                if target.account_id != account || result.outcome != Outcome::Created {
                    continue;
                }
                let mine = result.config_id.clone().unwrap_or_default();
                let same: Vec<ConfigSummary> = listed
                    .iter()
                    .filter(|c| c.name == target.name)
                    .cloned()
                    .collect();
                match survivor(&same) {
                    Some(keep) if same.len() > 1 && keep.id != mine => {
                        moved.push((i, move_to(api, target, &mine, &keep.id, signing).await));
                    }
                    _ => {}
                }
            }
            moved
        })
        .buffer_unordered(max_concurrency)
        .collect()
        .await;
    for (i, result) in moved.into_iter().flatten() {
        results[i] = result;
    }
}

/// Deletes this run's config `mine` and puts a fresh token in `keep`, the survivor.
async fn move_to<C: HyperdriveConfigs>(
    api: &C,
    target: &Target,
    mine: &str,
    keep: &str,
    signing: &Signing<'_>,
) -> TargetResult {
    tracing::info!(
        target_name = %target.name,
        created = %mine,
        kept = %keep,
        "another run created this target at the same time: deleting this run's config, keeping the first one"
    );
    if let Err(e) = api.delete(&target.account_id, mine).await {
        let message = format!(
            "another run created a config named {:?} at the same time, and this run's ({mine}) could not be deleted: {}; delete it by hand, keeping {keep}",
            target.name, e.message
        );
        return failed(target, ErrorKind::DuplicateName, &message, e.codes);
    }
    let signed = match sign(target, signing) {
        Ok(s) => s,
        Err(failure) => return *failure,
    };
    match api.update(target, keep, &signed.password).await {
        Ok(id) => signed.result(target, Outcome::Updated, Some(id)),
        Err(e) => TargetResult {
            config_id: Some(keep.to_owned()),
            ..failed(target, e.kind, &e.message, e.codes)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_created_first_survives_whatever_the_order_listed() {
        let config = |id: &str, created_on: Option<&str>| ConfigSummary {
            id: id.into(),
            name: "orders-db".into(),
            created_on: created_on.map(Into::into),
            modified_on: None,
        };
        let a = config("ffff", Some("2026-12-01T10:00:00.000100Z"));
        let b = config("0000", Some("2026-12-01T10:00:00.000200Z"));
        let unknown = config("1111", None);
        for listing in [
            vec![a.clone(), b.clone(), unknown.clone()],
            vec![unknown.clone(), b.clone(), a.clone()],
        ] {
            assert_eq!(survivor(&listing), Some(&a));
        }
        // Created in the same instant: the lower id.
        let c = config("0000", Some("2026-12-01T10:00:00.000100Z"));
        assert_eq!(survivor(&[a.clone(), c.clone()]), Some(&c));
        assert_eq!(survivor(&[]), None);
    }
}
