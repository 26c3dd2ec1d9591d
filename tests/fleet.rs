//! Fleets: a Cloudflare API token per account (`CLOUDFLARE_API_TOKEN_SECRET_IDS`), targets from a
//! file past Lambda's 4 KB environment (`HYPERDRIVE_TARGETS_FILE`), and verified TLS (`mtls`) sent
//! on create and on update. Against moto's Secrets Manager and the Hyperdrive emulator, whose
//! account-owned tokens work for their own account only.

mod support;

use hyperdrive_dsql_rotator::dispatch::InvocationError;
use hyperdrive_dsql_rotator::report::{ErrorKind, Outcome};
use hyperdrive_emulator::ApiTokenState;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use support::*;

const TEAM_B_TOKEN: &str = "cf-team-b-token-Pq7rS8tU9vW0xY1zA2bC3dE4";

fn fleet_targets() -> Vec<Value> {
    vec![
        target("orders-db", HOST_A),
        json!({"name": "users-db", "host": HOST_B, "account_id": OTHER_ACCOUNT}),
    ]
}

/// A world of account-owned tokens: the default token is ACCOUNT's, `TEAM_B_TOKEN` is
/// OTHER_ACCOUNT's, and the emulator accepts each for its own account only.
async fn world() -> World {
    let w = World::with_options(long_term_credentials(), |o| {
        o.account_tokens = BTreeMap::from([(OTHER_ACCOUNT.to_owned(), TEAM_B_TOKEN.to_owned())]);
    })
    .await;
    w.emulator.set_api_token_state(ApiTokenState {
        account_owner: Some(ACCOUNT.to_owned()),
        ..ApiTokenState::default()
    });
    w
}

#[tokio::test]
async fn each_account_is_written_with_its_own_token() {
    let w = world().await;
    let team_b = unique("cf-team-b");
    put_secret(&w.sdk, &team_b, TEAM_B_TOKEN).await;
    let map = json!({ OTHER_ACCOUNT: team_b }).to_string();
    let report = w
        .handler(
            &fleet_targets(),
            &[("CLOUDFLARE_API_TOKEN_SECRET_IDS", &map)],
        )
        .handle(event(json!({}), 60))
        .await
        .unwrap();
    assert!(
        report.results.iter().all(|r| r.outcome == Outcome::Created),
        "{report:?}"
    );
    // Each token really was used for its own account: the emulator refuses either anywhere else.
    let requests = w.emulator.requests();
    let to_b: Vec<_> = requests
        .iter()
        .filter(|r| r.path.contains(OTHER_ACCOUNT))
        .collect();
    assert!(
        !to_b.is_empty() && to_b.iter().all(|r| r.status == Some(200)),
        "{to_b:?}"
    );
    // A token given for one account is asked about on that account's verify route first: no
    // refused user-route call for it.
    let user_verifies = requests
        .iter()
        .filter(|r| r.path.ends_with("/user/tokens/verify"))
        .count();
    assert_eq!(
        user_verifies, 1,
        "only the default token tries the user route"
    );
}

#[tokio::test]
async fn a_missing_account_token_fails_only_that_account_naming_account_and_secret() {
    let logs = Capture::default();
    let _guard = logs.install();
    let w = world().await;
    let absent = unique("cf-team-b-absent");
    let map = json!({ OTHER_ACCOUNT: absent }).to_string();
    let err = w
        .handler(
            &fleet_targets(),
            &[("CLOUDFLARE_API_TOKEN_SECRET_IDS", &map)],
        )
        .handle(event(json!({}), 60))
        .await
        .unwrap_err();
    let InvocationError::TargetsFailed(report) = err else {
        panic!("{err:?}")
    };
    let orders = result(&report, "orders-db");
    assert_eq!(orders.outcome, Outcome::Created, "{orders:?}");
    let users = result(&report, "users-db");
    let e = users.error.as_ref().unwrap();
    assert_eq!(e.kind, ErrorKind::CloudflareToken);
    assert!(
        e.message.contains(OTHER_ACCOUNT) && e.message.contains(&absent),
        "{}",
        e.message
    );
    assert!(
        w.calls().iter().all(|c| !c.contains(OTHER_ACCOUNT)),
        "nothing is sent for an account without its token"
    );

    // A token Cloudflare refuses for the account (another account's) fails that account only, too.
    let wrong = unique("cf-team-b-wrong");
    put_secret(&w.sdk, &wrong, "cf-not-a-token-of-this-account-0000000000").await;
    let map = json!({ OTHER_ACCOUNT: wrong }).to_string();
    let report = report_of(
        w.handler(
            &fleet_targets(),
            &[("CLOUDFLARE_API_TOKEN_SECRET_IDS", &map)],
        )
        .handle(event(json!({}), 60))
        .await,
    );
    assert_eq!(result(&report, "orders-db").outcome, Outcome::Updated);
    let e = result(&report, "users-db").error.clone().unwrap();
    assert_eq!(e.kind, ErrorKind::CloudflareAuth);
    assert!(
        e.message.contains(OTHER_ACCOUNT) && e.message.contains(&wrong),
        "{}",
        e.message
    );
    assert!(logs.text().contains("users-db"), "the logs were captured");
    // No token, right or wrong, in the report, its Debug form or any log line at TRACE.
    let shown = format!(
        "{}\n{report:?}\n{}",
        serde_json::to_string(&report).unwrap(),
        logs.text()
    );
    for secret in [
        CF_TOKEN,
        TEAM_B_TOKEN,
        "cf-not-a-token-of-this-account-0000000000",
    ] {
        assert!(!shown.contains(secret), "a token was shown");
    }
}

#[tokio::test]
async fn mtls_is_sent_on_create_and_on_update() {
    let w = World::new().await;
    let mtls = json!({"sslmode": "verify-full", "ca_certificate_id": "12345678-aaaa-bbbb-cccc-1234567890ab"});
    let targets = vec![json!({"name": "orders-db", "host": HOST_A, "mtls": mtls})];
    let h = w.handler(&targets, &[]);
    h.handle(event(json!({}), 60)).await.unwrap();
    h.handle(event(json!({}), 60)).await.unwrap();
    let writes: Vec<_> = w
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert_eq!(writes.len(), 2, "a create, then an update");
    for r in &writes {
        assert_eq!(
            r.body.as_ref().unwrap()["mtls"],
            mtls,
            "{} {}",
            r.method,
            r.path
        );
    }
    assert_eq!(w.emulator.configs(ACCOUNT)[0].mtls.as_ref(), Some(&mtls));
}

#[tokio::test]
async fn targets_past_the_4_kb_environment_come_from_a_file() {
    let w = World::new().await;
    let dir = std::env::temp_dir().join(unique("targets-file"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("targets.json");
    let targets: Vec<Value> = (0..60)
        .map(|i| target(&format!("fleet-db-{i:03}"), HOST_A))
        .collect();
    let text = Value::Array(targets).to_string();
    assert!(text.len() > 4096, "more than Lambda's whole environment");
    std::fs::write(&file, text).unwrap();
    let mut env = w.env(&[], &[("HYPERDRIVE_TARGETS_FILE", file.to_str().unwrap())]);
    env.remove("HYPERDRIVE_TARGETS");
    let report = hyperdrive_dsql_rotator::lambda::Handler::with_context(w.context(&env), "fleet")
        .handle(event(json!({}), 60))
        .await
        .unwrap();
    assert_eq!(report.summary.created, 60);
    std::fs::remove_dir_all(&dir).unwrap();
}
