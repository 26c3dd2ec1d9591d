//! Contract test against Cloudflare's own schema: Prism (`@stoplight/prism-cli`, pinned in
//! tests/contract/package.json) serves tools/hyperdrive-emulator/hyperdrive-openapi.json as a
//! validating mock on 127.0.0.1 (started by the test support, or named by `PRISM_URL`). The
//! product's real token verify, list, create and update requests go through it; Prism answers 422 to any request
//! that breaks the schema, so this test fails when the requests drift from the API.

mod support;

use hyperdrive_dsql_rotator::report::Outcome;
use hyperdrive_dsql_rotator::time::FixedClock;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use support::servers::prism_url;
use support::*;

#[tokio::test]
async fn list_create_and_update_requests_follow_the_schema() {
    let w = World::new().await;
    // Prism's list answers with the schema's example config, named "example-hyperdrive": that target
    // is updated (PATCH); the other one is created (POST). Every optional field is sent, `mtls` in both.
    let targets = [
        json!({"name": "example-hyperdrive", "host": HOST_A, "caching": {"disabled": true}, "origin_connection_limit": 20,
               "mtls": {"sslmode": "require"}}),
        json!({"name": "orders-db", "host": HOST_B, "user": "app", "port": 5432, "caching": {"max_age": 60, "stale_while_revalidate": 15},
               "mtls": {"sslmode": "verify-full", "ca_certificate_id": "00000000-0000-0000-0000-0000000000"}}),
    ];
    let env = w.env(&targets, &[("CLOUDFLARE_API_BASE_URL", &prism_url())]);
    // Prism's static answers date the token verify's `expires_on` 2019-08-24: run before it.
    let before_prism_expiry = hyperdrive_emulator::parse_rfc3339("2019-01-01T00:00:00Z").unwrap();
    let context = w
        .context(&env)
        .with_clock(Arc::new(FixedClock(before_prism_expiry)));
    let report = run_report(&context, Duration::from_secs(30)).await;
    let actions: Vec<(&str, Outcome)> = report
        .results
        .iter()
        .map(|r| (r.name.as_str(), r.outcome))
        .collect();
    assert_eq!(
        actions,
        [
            ("example-hyperdrive", Outcome::Updated),
            ("orders-db", Outcome::Created)
        ],
        "Prism refused a request: {report:#?}"
    );
    // The token verify route was asked (and its answer read).
    assert_eq!(
        report.cloudflare_token_expires_at.as_deref(),
        Some("2019-08-24T14:15:22Z")
    );
}

#[tokio::test]
async fn prism_refuses_a_request_that_breaks_the_schema() {
    // The control: the same create without `origin.port` is refused, so the test above can fail.
    let url = format!("{}/accounts/{ACCOUNT}/hyperdrive/configs", prism_url());
    let body = json!({"name": "orders-db", "origin": {"scheme": "postgres", "host": HOST_A, "database": "postgres", "user": "admin", "password": "x"}});
    let response = hyperdrive_dsql_rotator::cloudflare::http_client()
        .unwrap()
        .post(&url)
        .bearer_auth("token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let envelope: Value = response.json().await.unwrap();
    assert_eq!(envelope["success"], false);
}
