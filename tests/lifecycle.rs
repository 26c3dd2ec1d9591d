//! The credential lifecycle against moto (IAM, STS, Secrets Manager version stages) and the
//! Hyperdrive emulator, which refuses a token once IAM revoked what signed it: the Secrets Manager
//! rotation of the signer keys, and revoke in each signing mode. The invariant checked throughout:
//! a key is deactivated only after every target took a token signed with a newer key.

mod support;

use aws_credential_types::Credentials;
use hyperdrive_dsql_rotator::dispatch::InvocationError;
use hyperdrive_dsql_rotator::lambda::Handler;
use hyperdrive_dsql_rotator::report::{Outcome, Report};
use hyperdrive_dsql_rotator::time::SystemClock;
use serde_json::{json, Value};
use std::sync::Arc;
use support::iam::*;
use support::*;

/// A world in the long-term-keys mode: a signer user in moto, its first key in the keys secret,
/// two targets. The emulator checks each token's form and revocation (the keys change, so not the
/// signature).
struct Keys {
    w: World,
    user: String,
    first: Credentials,
    secret: String,
    arn: String,
}

impl Keys {
    async fn new() -> Keys {
        let w = World::with_credentials(execution_role_credentials()).await;
        w.emulator.set_credentials(None);
        let (user, first) = signer_user(&w).await;
        let secret = unique("signer-keys");
        put_secret(&w.sdk, &secret, &keys_json(&first)).await;
        let arn = secrets(&w)
            .describe_secret()
            .secret_id(&secret)
            .send()
            .await
            .unwrap()
            .arn()
            .unwrap()
            .to_owned();
        Keys {
            w,
            user,
            first,
            secret,
            arn,
        }
    }

    fn handler(&self, extra: &[(&str, &str)]) -> Handler {
        let mut env = vec![("SIGNER_CREDENTIALS_SECRET_ID", self.secret.as_str())];
        env.extend_from_slice(extra);
        real_clock_handler(&self.w, &env)
    }

    /// Every config's token, by the key that signed it.
    fn signers(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .w
            .emulator
            .configs(ACCOUNT)
            .iter()
            .map(|c| signed_by(c.password.as_deref().unwrap_or_default()))
            .collect();
        out.sort();
        out
    }

    /// The keys the secret's `AWSCURRENT` holds.
    async fn current(&self) -> String {
        let v = secrets(&self.w)
            .get_secret_value()
            .secret_id(&self.secret)
            .version_stage("AWSCURRENT")
            .send()
            .await
            .unwrap();
        let keys: Value = serde_json::from_str(v.secret_string().unwrap()).unwrap();
        keys["access_key_id"].as_str().unwrap().to_owned()
    }
}

fn secrets(w: &World) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&w.sdk)
}

/// A handler on the real clock (tokens signed now, as revocation cutoffs are measured).
fn real_clock_handler(w: &World, extra: &[(&str, &str)]) -> Handler {
    let context = w
        .context(&w.env(&two_targets(), extra))
        .with_clock(Arc::new(SystemClock));
    Handler::with_context(context, "rotator-test")
}

async fn step(h: &Handler, arn: &str, token: &str, step: &str) -> Result<Report, InvocationError> {
    h.handle(event(
        json!({"SecretId": arn, "ClientRequestToken": token, "Step": step}),
        60,
    ))
    .await
}

async fn rotation(h: &Handler, arn: &str, token: &str) {
    for s in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        step(h, arn, token, s)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
    }
}

/// Sends `token` to config `id` as Hyperdrive's API would receive it: the HTTP status.
async fn push_token(w: &World, id: &str, host: &str, token: &str) -> u16 {
    let url = format!(
        "{}/accounts/{ACCOUNT}/hyperdrive/configs/{id}",
        w.emulator.base_url()
    );
    hyperdrive_dsql_rotator::cloudflare::http_client()
        .unwrap()
        .patch(url)
        .bearer_auth(CF_TOKEN)
        .json(&json!({"origin": {"scheme": "postgres", "host": host, "port": 5432, "database": "postgres", "user": "admin", "password": token}}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The token config `name` holds now, and its id.
fn held(w: &World, name: &str) -> (String, String) {
    let c = w
        .emulator
        .configs(ACCOUNT)
        .into_iter()
        .find(|c| c.name == name)
        .unwrap();
    (c.id, c.password.unwrap())
}

#[tokio::test]
async fn a_rotation_moves_every_target_to_the_new_key_before_the_old_one_dies() {
    let k = Keys::new().await;
    let h = k.handler(&[]);
    h.handle(event(json!({}), 60)).await.expect("first run");
    let first = k.first.access_key_id().to_owned();
    assert_eq!(k.signers(), [first.clone(), first.clone()]);
    let (orders_id, old_token) = held(&k.w, "orders-db");

    rotation(&h, &k.arn, "5b2ba6e1-0f1c-4bb2-9a8b-6c3e0d7e8f90").await;

    let keys = keys_of(&k.w, &k.user).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    let new = keys.iter().find(|(id, _)| *id != first).unwrap().0.clone();
    assert!(
        keys.contains(&(first.clone(), false)),
        "old key inactive: {keys:?}"
    );
    assert!(keys.contains(&(new.clone(), true)), "{keys:?}");
    assert_eq!(k.current().await, new, "AWSCURRENT holds the new key");
    assert_eq!(
        k.signers(),
        [new.clone(), new.clone()],
        "every target holds a new-key token"
    );

    // DSQL (the emulator, told what IAM says) now refuses a token signed by the old key.
    sync_revocations(&k.w, Some(&k.user), &[], None).await;
    assert_eq!(push_token(&k.w, &orders_id, HOST_A, &old_token).await, 400);
    let (_, new_token) = held(&k.w, "orders-db");
    assert_eq!(push_token(&k.w, &orders_id, HOST_A, &new_token).await, 200);
}

#[tokio::test]
async fn a_target_that_refuses_the_new_key_blocks_the_switch_until_a_retry_finishes_it() {
    let k = Keys::new().await;
    let h = k.handler(&[]);
    h.handle(event(json!({}), 60)).await.expect("first run");
    let first = k.first.access_key_id().to_owned();
    let token = "0a9f3c1e-7d22-4c5b-8e61-2b4f6a8c0d13";
    step(&h, &k.arn, token, "createSecret").await.unwrap();
    k.w.refuse_tokens_for(HOST_B);
    for s in ["setSecret", "testSecret"] {
        let e = step(&h, &k.arn, token, s).await.unwrap_err();
        assert_eq!(e.error_type(), "RotationStepFailed");
        assert!(e.to_string().contains("users-db (origin_refused)"), "{e}");
        assert!(e.to_string().contains("the old key stays active"), "{e}");
    }
    // Nothing is dark: both keys are active, users-db still holds its old-key token.
    let keys = keys_of(&k.w, &k.user).await;
    assert!(keys.iter().all(|(_, active)| *active), "{keys:?}");
    let signers = k.signers();
    assert!(signers.contains(&first), "{signers:?}");
    assert_eq!(k.current().await, first, "not switched");

    // Secrets Manager tries again later; the cluster accepts the key now.
    k.w.emulator.set_faults(vec![]);
    step(&h, &k.arn, token, "testSecret").await.unwrap();
    step(&h, &k.arn, token, "finishSecret").await.unwrap();
    let keys = keys_of(&k.w, &k.user).await;
    assert!(keys.contains(&(first.clone(), false)), "{keys:?}");
    assert!(!k.signers().contains(&first));
}

#[tokio::test]
async fn each_step_run_twice_changes_nothing_the_second_time_and_an_empty_secret_is_bootstrapped() {
    let w = World::with_credentials(execution_role_credentials()).await;
    w.emulator.set_credentials(None);
    let user = unique("dsql-signer");
    iam(&w).create_user().user_name(&user).send().await.unwrap();
    let secret = unique("signer-keys");
    // An empty secret, as a first deployment creates it: no key was ever typed or pasted.
    let arn = secrets(&w)
        .create_secret()
        .name(&secret)
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let h = real_clock_handler(
        &w,
        &[
            ("SIGNER_CREDENTIALS_SECRET_ID", &secret),
            ("SIGNER_USER_NAME", &user),
        ],
    );
    let token = "c4d0e7a2-91b3-4f6e-a5c8-3d2e1f0a9b87";
    for s in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        step(&h, &arn, token, s)
            .await
            .unwrap_or_else(|e| panic!("{s}: {e}"));
        let keys = keys_of(&w, &user).await;
        let writes = w.writes().len();
        let stages = secrets(&w)
            .describe_secret()
            .secret_id(&secret)
            .send()
            .await
            .unwrap()
            .version_ids_to_stages()
            .cloned();
        step(&h, &arn, token, s)
            .await
            .unwrap_or_else(|e| panic!("{s} again: {e}"));
        assert_eq!(keys_of(&w, &user).await, keys, "{s} again made keys");
        let again = secrets(&w)
            .describe_secret()
            .secret_id(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(
            again.version_ids_to_stages().cloned(),
            stages,
            "{s} again moved labels"
        );
        if s == "finishSecret" || s == "createSecret" {
            assert_eq!(w.writes().len(), writes, "{s} again wrote to Cloudflare");
        }
    }
    let keys = keys_of(&w, &user).await;
    assert_eq!(keys.len(), 1, "the first key, bootstrapped: {keys:?}");
    assert!(keys[0].1);
    assert_eq!(
        w.emulator.configs(ACCOUNT).len(),
        2,
        "both targets got the first key's tokens"
    );
}

#[tokio::test]
async fn a_scheduled_run_during_a_rotation_signs_with_the_pending_key() {
    let k = Keys::new().await;
    let h = k.handler(&[]);
    h.handle(event(json!({}), 60)).await.expect("first run");
    let first = k.first.access_key_id().to_owned();
    let token = "7e1d2c3b-4a59-4687-9a1b-2c3d4e5f6071";
    step(&h, &k.arn, token, "createSecret").await.unwrap();
    step(&h, &k.arn, token, "setSecret").await.unwrap();
    // The schedule fires between setSecret and finishSecret.
    let report = h.handle(event(json!({}), 60)).await.expect("scheduled run");
    assert!(report.results.iter().all(|r| r.outcome == Outcome::Updated));
    assert!(
        !k.signers().contains(&first),
        "no run pushes a token of the key about to die"
    );
    step(&h, &k.arn, token, "testSecret").await.unwrap();
    step(&h, &k.arn, token, "finishSecret").await.unwrap();
    sync_revocations(&k.w, Some(&k.user), &[], None).await;
    // Every config still holds a valid token: re-sending what each holds is accepted.
    for name in ["orders-db", "users-db"] {
        let (id, held_token) = held(&k.w, name);
        let host = if name == "orders-db" { HOST_A } else { HOST_B };
        assert_eq!(
            push_token(&k.w, &id, host, &held_token).await,
            200,
            "{name}"
        );
    }
}

#[tokio::test]
async fn revoke_with_long_term_keys_rotates_now_and_deactivates_the_old_key() {
    let k = Keys::new().await;
    let h = k.handler(&[]);
    h.handle(event(json!({}), 60)).await.expect("first run");
    let first = k.first.access_key_id().to_owned();

    // A dry run plans only: no key, no write.
    let plan = h
        .handle(event(json!({"action": "revoke", "dry_run": true}), 60))
        .await
        .unwrap();
    let r = plan.revocation.as_ref().unwrap();
    assert!(!r.revoked);
    assert_eq!(r.access_key_id.as_deref(), Some(first.as_str()));
    assert_eq!(keys_of(&k.w, &k.user).await.len(), 1);

    let report = h
        .handle(event(json!({"action": "revoke"}), 60))
        .await
        .unwrap();
    let r = report.revocation.as_ref().unwrap();
    assert!(
        r.revoked && r.blocked_by.is_empty() && r.dark.is_empty(),
        "{r:?}"
    );
    assert_eq!(r.mode, "long_term_keys");
    assert_eq!(r.access_key_id.as_deref(), Some(first.as_str()));
    assert!(keys_of(&k.w, &k.user)
        .await
        .contains(&(first.clone(), false)));
    assert!(!k.signers().contains(&first));
}

#[tokio::test]
async fn a_failing_target_blocks_a_revoke_unless_it_is_forced() {
    let k = Keys::new().await;
    let h = k.handler(&[]);
    h.handle(event(json!({}), 60)).await.expect("first run");
    let first = k.first.access_key_id().to_owned();
    k.w.refuse_tokens_for(HOST_B);

    let err = h
        .handle(event(json!({"action": "revoke"}), 60))
        .await
        .unwrap_err();
    let InvocationError::TargetsFailed(report) = &err else {
        panic!("{err:?}")
    };
    let r = report.revocation.as_ref().unwrap();
    assert!(!r.revoked);
    assert_eq!(r.blocked_by, ["users-db"]);
    assert!(
        err.to_string()
            .starts_with("nothing was revoked: users-db did not take a fresh token"),
        "{err}"
    );
    assert!(
        keys_of(&k.w, &k.user)
            .await
            .contains(&(first.clone(), true)),
        "nothing revoked"
    );

    let err = h
        .handle(event(json!({"action": "revoke", "force": true}), 60))
        .await
        .unwrap_err();
    let InvocationError::TargetsFailed(report) = &err else {
        panic!("{err:?}")
    };
    let r = report.revocation.as_ref().unwrap();
    assert!(r.revoked);
    assert_eq!(
        r.dark,
        ["users-db"],
        "the report lists the configs now dark"
    );
    assert!(keys_of(&k.w, &k.user)
        .await
        .contains(&(first.clone(), false)));
}

#[tokio::test]
async fn revoke_with_a_signer_role_denies_every_older_session() {
    let w = World::new().await;
    w.emulator.set_credentials(None);
    let role = unique("dsql-signer-role");
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]});
    iam(&w)
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    let role_arn = format!("arn:aws:iam::123456789012:role/{role}");
    let h = real_clock_handler(&w, &[("SIGNER_ROLE_ARN", &role_arn)]);
    h.handle(event(json!({}), 60)).await.expect("first run");
    let (orders_id, old_token) = held(&w, "orders-db");
    // The next second: the revoke's fresh session is issued after every token signed so far.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let report = h
        .handle(event(json!({"action": "revoke"}), 60))
        .await
        .unwrap();
    let r = report.revocation.as_ref().unwrap();
    assert_eq!(r.mode, "signer_role");
    assert!(r.revoked, "{r:?}");
    let cutoff = revoke_cutoff(&w, &role)
        .await
        .expect("the revoke policy is on the role");
    assert_eq!(
        r.session_cutoff.as_deref(),
        Some(hyperdrive_emulator::rfc3339(cutoff).as_str())
    );

    sync_revocations(&w, None, &[], Some(&role)).await;
    assert_eq!(
        push_token(&w, &orders_id, HOST_A, &old_token).await,
        400,
        "an older session's token is dead"
    );
    let (_, fresh) = held(&w, "orders-db");
    assert_eq!(
        push_token(&w, &orders_id, HOST_A, &fresh).await,
        200,
        "the fresh session's token works"
    );
}

#[tokio::test]
async fn revoke_is_refused_with_the_execution_role() {
    let w = World::with_credentials(execution_role_credentials()).await;
    let h = w.handler(&two_targets(), &[]);
    let err = h
        .handle(event(json!({"action": "revoke"}), 60))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "ActionRefused");
    assert!(err.to_string().contains("SIGNER_ROLE_ARN"), "{err}");
    assert!(w.emulator.requests().is_empty());
}

#[tokio::test]
async fn no_key_secret_reaches_a_log_or_a_report_during_a_rotation() {
    let k = Keys::new().await;
    let capture = Capture::default();
    let mut shown = String::new();
    {
        let _logs = capture.install();
        let h = k.handler(&[]);
        h.handle(event(json!({}), 60)).await.unwrap();
        for s in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
            let r = step(&h, &k.arn, "1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b", s).await;
            shown.push_str(&format!("{r:?}"));
        }
        let r = h.handle(event(json!({"action": "revoke"}), 60)).await;
        shown.push_str(&format!("{r:?}"));
    }
    let mut secrets_seen = vec![k.first.secret_access_key().to_owned()];
    let versions = secrets(&k.w)
        .list_secret_version_ids()
        .secret_id(&k.secret)
        .send()
        .await
        .unwrap();
    for v in versions.versions() {
        let value = secrets(&k.w)
            .get_secret_value()
            .secret_id(&k.secret)
            .version_id(v.version_id().unwrap())
            .send()
            .await
            .unwrap();
        let keys: Value = serde_json::from_str(value.secret_string().unwrap()).unwrap();
        secrets_seen.push(keys["secret_access_key"].as_str().unwrap().to_owned());
    }
    assert!(
        secrets_seen.len() >= 3,
        "the rotation and the revoke made keys"
    );
    let logs = capture.text();
    assert!(
        logs.contains("deactivated the previous signer key"),
        "the capture works"
    );
    for s in &secrets_seen {
        assert!(
            !logs.contains(s.as_str()),
            "a key's secret half is in the logs"
        );
        assert!(
            !shown.contains(s.as_str()),
            "a key's secret half is in a report or an error"
        );
    }
}
