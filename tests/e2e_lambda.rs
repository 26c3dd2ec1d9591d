//! The deployed artefact end to end: the release binary (`ROTATOR_RELEASE_BIN`: scripts/test.sh
//! gives the release zip's bootstrap; else the test profile's binary) runs in Lambda mode against the Lambda Runtime API
//! emulator, moto and the Hyperdrive emulator, and is driven the way AWS drives it.

mod support;

use hyperdrive_dsql_rotator::report::{Report, Summary};
use hyperdrive_emulator::Fault;
use lambda_runtime_emulator::{lambda_env, Invocation, Outcome, RuntimeApi};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;
use support::*;
use tokio::process::Child;

fn binary() -> String {
    std::env::var("ROTATOR_RELEASE_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_hyperdrive-dsql-rotator").to_owned())
}

/// The function as a Lambda: a running process polling the Runtime API.
struct Function {
    api: RuntimeApi,
    child: Child,
}

impl Function {
    async fn start(
        w: &World,
        env: &HashMap<String, String>,
        credentials: &[(&str, &str)],
    ) -> Function {
        let api = RuntimeApi::start().await.expect("runtime API starts");
        let child = child(&binary(), w, env)
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .envs(credentials.iter().copied())
            .envs(lambda_env(&api.address(), "hyperdrive-dsql-rotator"))
            .envs(env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        assert!(
            api.wait_first_poll(Duration::from_secs(10)).await.is_some(),
            "the function polls the Runtime API"
        );
        Function { api, child }
    }

    async fn invoke(&self, event: Value, timeout: Duration) -> Invocation {
        self.api.invoke(event, timeout).await
    }

    async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.api.shutdown().await;
    }
}

fn execution_role() -> [(&'static str, &'static str); 2] {
    [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ]
}

/// The message of an invocation that must have ended with an error of `error_type`.
fn error_of<'a>(inv: &'a Invocation, error_type: &str) -> &'a str {
    match &inv.outcome {
        Outcome::Error {
            error_type: t,
            error_message,
        } if t == error_type => error_message,
        other => panic!("expected a {error_type} error, got {other:?}"),
    }
}

/// The response of an invocation that must have succeeded, as JSON (its shape) and as a report.
fn response(inv: &Invocation) -> (&Value, Report) {
    match &inv.outcome {
        Outcome::Response(v) => (v, parse_report(v)),
        other => panic!("expected a response, got {other:?}"),
    }
}

fn summary(created: usize, updated: usize, failed: usize, planned: usize) -> Summary {
    Summary {
        created,
        updated,
        failed,
        planned,
    }
}

/// An object's keys, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// The report format of the README, field by field.
fn assert_report_shape(r: &Value) {
    let keys_of = keys;
    let keys: Vec<&str> = keys_of(r);
    assert_eq!(
        keys,
        [
            "cloudflare_token_expires_at",
            "credentials_expire_at",
            "dry_run",
            "finished_at",
            "min_seconds_to_dark",
            "results",
            "started_at",
            "summary"
        ],
        "{r}"
    );
    assert!(r["dry_run"].is_boolean());
    for t in ["started_at", "finished_at"] {
        hyperdrive_emulator::parse_rfc3339(r[t].as_str().unwrap()).unwrap();
    }
    for res in r["results"].as_array().unwrap() {
        let keys: Vec<&str> = keys_of(res);
        assert_eq!(
            keys,
            [
                "account_id",
                "action",
                "config_id",
                "error",
                "held_token_basis",
                "held_token_valid_until",
                "host",
                "modified_on",
                "name",
                "region",
                "token_expires_at"
            ]
        );
        assert!([
            "created",
            "updated",
            "would_create",
            "would_update",
            "failed"
        ]
        .contains(&res["action"].as_str().unwrap()));
    }
    let summary: Vec<&str> = keys_of(&r["summary"]);
    assert_eq!(summary, ["created", "failed", "planned", "updated"]);
}

#[tokio::test]
async fn each_shipped_event_gets_a_report() {
    let w = World::new().await;
    w.emulator
        .insert_config(ACCOUNT, preset("users-db", HOST_B));
    let f = Function::start(&w, &w.env(&two_targets(), &[]), &execution_role()).await;
    let mut created = None;
    for (file, expected) in [
        ("dry-run.json", summary(0, 0, 0, 2)),
        ("single-target.json", summary(1, 0, 0, 0)),
        ("scheduled-rule.json", summary(0, 2, 0, 0)),
        ("scheduler.json", summary(0, 2, 0, 0)),
    ] {
        let event: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("events/{file}")).unwrap())
                .unwrap();
        let inv = f.invoke(event, Duration::from_secs(30)).await;
        let (json, report) = response(&inv);
        assert_report_shape(json);
        assert_eq!(report.summary, expected, "{file}: {report:#?}");
        let orders = result(&report, "orders-db");
        match (file, &created) {
            ("single-target.json", _) => created = orders.config_id.clone(),
            ("scheduled-rule.json" | "scheduler.json", Some(id)) => {
                assert_eq!(orders.config_id.as_ref(), Some(id), "updated in place")
            }
            _ => {}
        }
    }
    assert_eq!(w.emulator.configs(ACCOUNT).len(), 2);
    f.stop().await;
}

#[tokio::test]
async fn a_failing_target_makes_the_invocation_post_an_error() {
    let w = World::new().await;
    w.refuse_tokens_for(HOST_B);
    let f = Function::start(&w, &w.env(&two_targets(), &[]), &execution_role()).await;
    let inv = f
        .invoke(
            json!({"source": "aws.events", "detail": {}}),
            Duration::from_secs(30),
        )
        .await;
    let error_message = error_of(&inv, "TargetsFailed");
    assert!(
        error_message.starts_with("1 of 2 targets failed: users-db (origin_refused)"),
        "{error_message}"
    );
    assert_eq!(
        w.emulator.configs(ACCOUNT).len(),
        1,
        "orders-db was still created"
    );
    f.stop().await;
}

#[tokio::test]
async fn a_bad_configuration_answers_every_invocation_with_an_error() {
    let w = World::new().await;
    let env = w.env(
        &[json!({"name": "orders-db", "host": HOST_A, "port": "5432"})],
        &[],
    );
    let f = Function::start(&w, &env, &execution_role()).await;
    for _ in 0..2 {
        let inv = f.invoke(json!({}), Duration::from_secs(10)).await;
        let error_message = error_of(&inv, "ConfigurationError");
        assert!(
            error_message.contains("HYPERDRIVE_TARGETS[0].port"),
            "{error_message}"
        );
    }
    assert!(w.emulator.requests().is_empty());
    f.stop().await;
}

#[tokio::test]
async fn a_hanging_cloudflare_api_is_answered_before_the_deadline() {
    let w = World::new().await;
    w.emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    w.emulator
        .set_faults(vec![Fault::delay("*", Duration::from_secs(120))]);
    let f = Function::start(
        &w,
        &w.env(&[target("orders-db", HOST_A)], &[]),
        &execution_role(),
    )
    .await;
    let timeout = Duration::from_secs(6);
    let inv = f.invoke(json!({}), timeout).await;
    assert!(
        inv.duration < timeout,
        "answered after {:?}, past the {timeout:?} deadline",
        inv.duration
    );
    let error_message = error_of(&inv, "TargetsFailed");
    assert!(
        error_message.contains("orders-db (timeout)")
            || error_message.contains("orders-db (deadline_exceeded)"),
        "{error_message}"
    );
    // The container survives and serves the next invocation once the API is back.
    w.emulator.set_faults(vec![]);
    let inv = f.invoke(json!({}), Duration::from_secs(30)).await;
    assert_eq!(response(&inv).1.summary.updated, 1);
    f.stop().await;
}

#[tokio::test]
async fn the_signer_role_mode_reports_when_its_credentials_expire() {
    let w = World::new().await;
    w.emulator.set_credentials(None); // moto's assumed keys are random
    let env = w.env(
        &[target("orders-db", HOST_A)],
        &[
            (
                "SIGNER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/dsql-signer",
            ),
            ("SIGNER_SESSION_SECONDS", "1800"),
        ],
    );
    let f = Function::start(&w, &env, &execution_role()).await;
    let before = now();
    let inv = f
        .invoke(
            json!({"detail-type": "Scheduled Event", "detail": {}}),
            Duration::from_secs(30),
        )
        .await;
    let (json, report) = response(&inv);
    assert_report_shape(json);
    let expires =
        hyperdrive_emulator::parse_rfc3339(report.credentials_expire_at.as_deref().expect("known"))
            .unwrap();
    assert!(
        expires >= before + Duration::from_secs(1799)
            && expires <= now() + Duration::from_secs(1801),
        "one session ahead: {report:#?}"
    );
    assert_eq!(
        report.results[0].token_expires_at,
        report.credentials_expire_at
    );
    f.stop().await;
}

#[tokio::test]
async fn a_payload_that_is_not_json_is_an_invalid_event() {
    let w = World::new().await;
    let f = Function::start(&w, &w.env(&two_targets(), &[]), &execution_role()).await;
    let inv = f
        .api
        .invoke_raw("dry_run=true".into(), Duration::from_secs(10))
        .await;
    let message = error_of(&inv, "InvalidEvent");
    assert!(
        message.starts_with("invalid event: payload: is not JSON (line 1, column 1)"),
        "{message}"
    );
    // The container goes on serving.
    let inv = f
        .invoke(json!({"dry_run": true}), Duration::from_secs(30))
        .await;
    assert_eq!(response(&inv).1.summary.planned, 2);
    assert!(w.writes().is_empty());
    f.stop().await;
}

#[tokio::test]
async fn a_secrets_manager_rotation_runs_through_the_lambda_runtime() {
    use support::iam::*;
    let w = World::new().await;
    w.emulator.set_credentials(None);
    let (user, first) = signer_user(&w).await;
    let secret = unique("signer-keys");
    put_secret(&w.sdk, &secret, &keys_json(&first)).await;
    let env = w.env(&two_targets(), &[("SIGNER_CREDENTIALS_SECRET_ID", &secret)]);
    let f = Function::start(&w, &env, &execution_role()).await;
    response(&f.invoke(json!({}), Duration::from_secs(30)).await);
    for step in ["createSecret", "setSecret", "testSecret", "finishSecret"] {
        // What Secrets Manager sends (it names the secret by ARN; the name works too).
        let inv = f
            .invoke(
                json!({"SecretId": secret, "ClientRequestToken": "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", "Step": step}),
                Duration::from_secs(30),
            )
            .await;
        response(&inv);
    }
    let keys = keys_of(&w, &user).await;
    assert!(
        keys.contains(&(first.access_key_id().to_owned(), false)),
        "{keys:?}"
    );
    let new = keys.iter().find(|(_, active)| *active).unwrap().0.clone();
    for c in w.emulator.configs(ACCOUNT) {
        assert_eq!(signed_by(c.password.as_deref().unwrap()), new, "{}", c.name);
    }
    f.stop().await;
}
