//! The credential lifecycle's world in moto: a signer IAM user with its keys in a secret, a signer
//! role, and what the emulator must be told once IAM revoked something (it does not watch IAM).

use super::{unique, World};
use aws_credential_types::Credentials;
use aws_sdk_iam::types::StatusType;
use hyperdrive_emulator::Revocations;
use serde_json::json;

pub fn iam(w: &World) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&w.sdk)
}

/// A new IAM user in moto and its first access key.
pub async fn signer_user(w: &World) -> (String, Credentials) {
    let user = unique("dsql-signer");
    iam(w).create_user().user_name(&user).send().await.unwrap();
    let key = create_key(w, &user).await;
    (user, key)
}

pub async fn create_key(w: &World, user: &str) -> Credentials {
    let out = iam(w)
        .create_access_key()
        .user_name(user)
        .send()
        .await
        .unwrap();
    let k = out.access_key().unwrap();
    Credentials::new(k.access_key_id(), k.secret_access_key(), None, None, "test")
}

/// The keys as the signer keys secret holds them.
pub fn keys_json(keys: &Credentials) -> String {
    json!({"access_key_id": keys.access_key_id(), "secret_access_key": keys.secret_access_key()})
        .to_string()
}

/// `(access key id, active)` for each key of `user`.
pub async fn keys_of(w: &World, user: &str) -> Vec<(String, bool)> {
    let out = iam(w)
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .unwrap();
    let mut keys: Vec<(String, bool)> = out
        .access_key_metadata()
        .iter()
        .map(|k| {
            (
                k.access_key_id().unwrap().to_owned(),
                k.status() == Some(&StatusType::Active),
            )
        })
        .collect();
    keys.sort();
    keys
}

/// The access key that signed a DSQL token (`X-Amz-Credential=<key>/...`).
pub fn signed_by(token: &str) -> String {
    let credential = token.split("X-Amz-Credential=").nth(1).unwrap_or_default();
    credential
        .split("%2F")
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Tells the emulator what IAM now says: the inactive keys of `user` (and `deleted` keys), and the
/// signer role's revoke cutoff.
pub async fn sync_revocations(w: &World, user: Option<&str>, deleted: &[&str], role: Option<&str>) {
    let mut access_key_ids: Vec<String> = deleted.iter().map(|k| (*k).to_owned()).collect();
    if let Some(user) = user {
        access_key_ids.extend(
            keys_of(w, user)
                .await
                .into_iter()
                .filter(|(_, active)| !active)
                .map(|(id, _)| id),
        );
    }
    let session_cutoff = match role {
        Some(role) => revoke_cutoff(w, role).await,
        None => None,
    };
    w.emulator.set_revocations(Revocations {
        access_key_ids,
        session_cutoff,
    });
}

/// The `aws:TokenIssueTime` cutoff of the revoke policy on `role`, if one was put.
pub async fn revoke_cutoff(w: &World, role: &str) -> Option<std::time::SystemTime> {
    let out = iam(w)
        .get_role_policy()
        .role_name(role)
        .policy_name("hyperdrive-dsql-rotator-revoke")
        .send()
        .await
        .ok()?;
    let text = percent_encoding::percent_decode_str(out.policy_document())
        .decode_utf8_lossy()
        .into_owned();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    let at = doc["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .unwrap()
        .to_owned();
    hyperdrive_emulator::parse_rfc3339(&at).ok()
}
