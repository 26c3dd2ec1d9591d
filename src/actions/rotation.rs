//! The Secrets Manager rotation of the signer keys (long-term-keys mode), in the four steps AWS's
//! rotation functions follow, each one safe to run again:
//! - `createSecret`: a new access key for the signer user, stored as the `AWSPENDING` version (room
//!   is made only by deleting an inactive key that is not the current one);
//! - `setSecret` and `testSecret`: every target gets a token signed with the pending key; the step
//!   fails, naming the targets, unless every one of them took it;
//! - `finishSecret`: the same once more, then `AWSCURRENT` moves to the new version and the old key
//!   is deactivated (kept, inactive, as the rollback until the next rotation needs its slot).
//!
//! So a key is deactivated only after every target accepted a token signed with a newer key; and
//! while a rotation is pending, scheduled runs sign with the pending key (`aws::credentials`), so
//! none pushes a token signed with the key about to be deactivated. Revoke uses the same pieces.

use super::{rotate, tokens};
use crate::aws::credentials::SigningCredentials;
use crate::aws::secret_contents::{long_term_keys, long_term_keys_json};
use crate::aws::secrets_manager::{Versions, AWSCURRENT, AWSPENDING};
use crate::config::Signer;
use crate::context::Context;
use crate::dispatch::InvocationError;
use crate::invocation::{RotationStep, Step};
use crate::report::{Report, TargetResult};
use aws_credential_types::Credentials;
use std::time::Duration;
use tokio::time::Instant;

const AWSPREVIOUS: &str = "AWSPREVIOUS";

/// Runs one rotation step. `Err` makes Secrets Manager try the rotation again later.
pub async fn run(
    ctx: &Context,
    step: &RotationStep,
    deadline: Instant,
) -> Result<Report, InvocationError> {
    let started = ctx.clock.now();
    let keys = KeysSecret::of(ctx)?;
    let failed =
        |e: String| InvocationError::RotationStepFailed(format!("{}: {e}", step.step.as_str()));
    let versions = ctx
        .secrets_manager
        .describe(&step.secret_id)
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !versions.is(keys.secret_id) {
        return Err(failed(format!(
            "this function rotates only its signer keys secret, SIGNER_CREDENTIALS_SECRET_ID ({:?}), not {:?}",
            keys.secret_id, step.secret_id
        )));
    }
    let results = match step.step {
        Step::Create => {
            keys.create(ctx, &step.token, deadline)
                .await
                .map_err(failed)?;
            Vec::new()
        }
        Step::Set | Step::Test | Step::Finish if finished(&versions, &step.token) => {
            // Run again after the switch: only a finish that stopped halfway has work left.
            if step.step == Step::Finish {
                keys.deactivate_previous(ctx, &versions)
                    .await
                    .map_err(failed)?;
            }
            Vec::new()
        }
        Step::Set | Step::Test | Step::Finish => {
            let results = keys
                .push_pending(ctx, &step.token, deadline)
                .await
                .map_err(failed)?;
            if let Some(refused) = refusals(&results) {
                // The details of each target go to the log with the report.
                rotate::report(ctx, false, started, results, None).log();
                return Err(failed(refused));
            }
            if step.step == Step::Finish {
                keys.promote(ctx, &step.token).await.map_err(failed)?;
            }
            results
        }
    };
    Ok(rotate::report(ctx, false, started, results, None))
}

/// Which targets did not take a token signed with the pending key, as the step's error.
pub(crate) fn refusals(results: &[TargetResult]) -> Option<String> {
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| format!("{} ({})", r.name, e.kind)))
        .collect();
    (!failed.is_empty()).then(|| {
        format!(
            "{} of {} targets did not take a token signed with the pending key: {}; the old key stays active, and Secrets Manager will try again",
            failed.len(),
            results.len(),
            failed.join(", ")
        )
    })
}

/// Whether the rotation to version `token` is over: it is current and no longer pending (a step run
/// again after `finishSecret`). The first version of an empty secret is both from the start.
fn finished(versions: &Versions, token: &str) -> bool {
    let stages = versions.stages_of(token);
    stages.iter().any(|s| s == AWSCURRENT) && !stages.iter().any(|s| s == AWSPENDING)
}

/// The signer keys secret and its user, in the long-term-keys mode.
pub(crate) struct KeysSecret<'a> {
    pub secret_id: &'a str,
    user_name: Option<&'a str>,
}

impl<'a> KeysSecret<'a> {
    pub fn of(ctx: &'a Context) -> Result<Self, InvocationError> {
        match &ctx.settings.signer {
            Signer::LongTermKeys {
                secret_id,
                user_name,
            } => Ok(KeysSecret {
                secret_id,
                user_name: user_name.as_deref(),
            }),
            _ => Err(InvocationError::Refused(
                "a rotation of signer keys came, but this function does not sign with long-term keys: set SIGNER_CREDENTIALS_SECRET_ID to the keys secret, or turn the secret's rotation off".to_owned(),
            )),
        }
    }

    /// The keys of one version.
    async fn keys(&self, ctx: &Context, version: &str) -> Result<Credentials, String> {
        let value = ctx
            .secrets_manager
            .read_version(self.secret_id, Some(version), None)
            .await
            .map_err(|e| e.to_string())?;
        long_term_keys(self.secret_id, &value).map_err(|e| e.to_string())
    }

    /// The IAM user of the keys: `SIGNER_USER_NAME`, else the owner of `known` keys.
    async fn user(&self, ctx: &Context, known: Option<&Credentials>) -> Result<String, String> {
        if let Some(u) = self.user_name {
            return Ok(u.to_owned());
        }
        match known {
            Some(keys) => ctx.iam.owner(keys).await.map_err(|e| e.to_string()),
            None => Err("the secret holds no keys yet, so the signer user cannot be found from them: set SIGNER_USER_NAME to the IAM user whose keys this secret holds".to_owned()),
        }
    }

    /// `createSecret`: a new key for the user, stored as version `token` labelled `AWSPENDING`, and
    /// usable before this returns. Run again, it finds the version and does nothing.
    pub async fn create(
        &self,
        ctx: &Context,
        token: &str,
        deadline: Instant,
    ) -> Result<String, String> {
        let sm = &ctx.secrets_manager;
        let versions = sm
            .describe(self.secret_id)
            .await
            .map_err(|e| e.to_string())?;
        if !versions.stages_of(token).is_empty() {
            // Already created (this step run again).
            return Ok(self.keys(ctx, token).await?.access_key_id().to_owned());
        }
        if let Some(earlier) = versions.pending() {
            // An unfinished rotation or a blocked revoke left a pending key, which runs have been
            // signing with since: it is carried over rather than a third key made.
            let keys = self.keys(ctx, earlier).await?;
            sm.put_pending(self.secret_id, token, &long_term_keys_json(&keys))
                .await
                .map_err(|e| e.to_string())?;
            tracing::info!(access_key_id = %keys.access_key_id(), "carried the pending signer key of an unfinished rotation over");
            return Ok(keys.access_key_id().to_owned());
        }
        let current = match versions.with_stage(AWSCURRENT) {
            Some(v) => Some(self.keys(ctx, v).await?),
            None => None, // an empty secret: this rotation bootstraps the first key
        };
        let user = self.user(ctx, current.as_ref()).await?;
        self.make_room(ctx, &user, current.as_ref()).await?;
        let new = ctx.iam.create_key(&user).await.map_err(|e| e.to_string())?;
        if let Err(e) = sm
            .put_pending(self.secret_id, token, &long_term_keys_json(&new))
            .await
        {
            // No secret holds the new key: delete it rather than leave it unknown.
            let _ = ctx.iam.delete_key(&user, new.access_key_id()).await;
            return Err(e.to_string());
        }
        tracing::info!(user = %user, access_key_id = %new.access_key_id(), "created the pending signer key");
        wait_usable(ctx, &new, deadline).await?;
        Ok(new.access_key_id().to_owned())
    }

    /// An IAM user holds at most two keys: deletes an inactive key that is not the current one,
    /// when the user has two; never one in use.
    async fn make_room(
        &self,
        ctx: &Context,
        user: &str,
        current: Option<&Credentials>,
    ) -> Result<(), String> {
        let keys = ctx.iam.keys(user).await.map_err(|e| e.to_string())?;
        if keys.len() < 2 {
            return Ok(());
        }
        let current_id = current.map(Credentials::access_key_id);
        match keys
            .iter()
            .find(|k| !k.active && Some(k.id.as_str()) != current_id)
        {
            Some(spare) => {
                tracing::info!(user = %user, access_key_id = %spare.id, "deleting the inactive previous key to make room for the new one");
                ctx.iam
                    .delete_key(user, &spare.id)
                    .await
                    .map_err(|e| e.to_string())
            }
            None => {
                let listed: Vec<String> = keys
                    .iter()
                    .map(|k| {
                        format!(
                            "{} ({})",
                            k.id,
                            if k.active { "active" } else { "inactive" }
                        )
                    })
                    .collect();
                Err(format!(
                    "the signer user {user} already has two access keys, {}, and neither is an inactive key other than the current one, so none can be deleted safely; deactivate the one no secret holds (aws iam update-access-key --status Inactive), then let the rotation run again",
                    listed.join(" and ")
                ))
            }
        }
    }

    /// `setSecret`/`testSecret`: every target gets a token signed with the pending key of version
    /// `token`; the results say which took it.
    pub async fn push_pending(
        &self,
        ctx: &Context,
        token: &str,
        deadline: Instant,
    ) -> Result<Vec<TargetResult>, String> {
        let keys = self.keys(ctx, token).await?;
        Ok(push_with(ctx, SigningCredentials::from_credentials(keys), deadline).await)
    }

    /// The switch, once every target holds a token signed with the pending key: `AWSCURRENT` moves
    /// to version `token`, `AWSPENDING` leaves it, and the previous key is deactivated. Its id.
    pub async fn promote(&self, ctx: &Context, token: &str) -> Result<Option<String>, String> {
        let sm = &ctx.secrets_manager;
        let versions = sm
            .describe(self.secret_id)
            .await
            .map_err(|e| e.to_string())?;
        let new = self.keys(ctx, token).await?;
        let previous = versions.with_stage(AWSCURRENT).map(str::to_owned);
        let old = match &previous {
            Some(v) if v != token => Some(self.keys(ctx, v).await?),
            _ => None,
        };
        if previous.as_deref() != Some(token) {
            sm.move_stage(self.secret_id, AWSCURRENT, Some(token), previous.as_deref())
                .await
                .map_err(|e| e.to_string())?;
        }
        sm.move_stage(self.secret_id, AWSPENDING, None, Some(token))
            .await
            .map_err(|e| e.to_string())?;
        let Some(old) = old.filter(|o| o.access_key_id() != new.access_key_id()) else {
            return Ok(None);
        };
        let user = self.user(ctx, Some(&new)).await?;
        ctx.iam
            .deactivate_key(&user, old.access_key_id())
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(user = %user, access_key_id = %old.access_key_id(), "deactivated the previous signer key");
        Ok(Some(old.access_key_id().to_owned()))
    }

    /// `finishSecret` run again after the switch: the previous key is inactive (a finish that
    /// stopped between the switch and the deactivation is completed).
    async fn deactivate_previous(&self, ctx: &Context, versions: &Versions) -> Result<(), String> {
        let Some(previous) = versions.with_stage(AWSPREVIOUS) else {
            return Ok(());
        };
        let old = self.keys(ctx, previous).await?;
        let current = match versions.with_stage(AWSCURRENT) {
            Some(v) => self.keys(ctx, v).await?,
            None => return Ok(()),
        };
        if old.access_key_id() == current.access_key_id() {
            return Ok(());
        }
        let user = self.user(ctx, Some(&current)).await?;
        let keys = ctx.iam.keys(&user).await.map_err(|e| e.to_string())?;
        if keys.iter().any(|k| k.id == old.access_key_id() && k.active) {
            ctx.iam
                .deactivate_key(&user, old.access_key_id())
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// Pushes a token signed with `credentials` to every configured target.
pub(crate) async fn push_with(
    ctx: &Context,
    credentials: SigningCredentials,
    deadline: Instant,
) -> Vec<TargetResult> {
    let targets = &ctx.settings.targets;
    let cf_tokens = tokens::read(ctx, targets, deadline).await;
    rotate::push(ctx, targets, &credentials, &cf_tokens, false, deadline)
        .await
        .results
}

/// Waits until IAM accepts a new key (it takes a few seconds), within the deadline.
async fn wait_usable(ctx: &Context, keys: &Credentials, deadline: Instant) -> Result<(), String> {
    let mut wait = Duration::from_millis(500);
    loop {
        match ctx.iam.usable(keys).await {
            Ok(()) => return Ok(()),
            Err(e) if ctx.clock.instant() + wait < deadline => {
                tracing::debug!(error = %e, "the new key is not usable yet");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(4));
            }
            Err(e) => {
                return Err(format!(
                    "the new key {} is stored as pending but IAM did not accept it before the deadline ({e}); the next step will try it",
                    keys.access_key_id()
                ))
            }
        }
    }
}
