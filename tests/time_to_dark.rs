//! Time to dark: how long each config's token has left, in the report (pushed or estimated), the
//! Cloudflare API token watched each run (an expired one fails the run at once), and `status`, read
//! only, from the Lambda and the command line.

mod support;

use hyperdrive_dsql_rotator::dispatch::InvocationError;
use hyperdrive_dsql_rotator::report::{rfc3339, ErrorKind, HeldBasis, Outcome};
use hyperdrive_emulator::ApiTokenState;
use serde_json::json;
use std::process::Stdio;
use std::time::Duration;
use support::*;

#[tokio::test]
async fn each_result_says_until_when_its_config_holds_a_working_token() {
    let w = World::new().await;
    let (var, secret) = w.keys_mode().await;
    w.emulator
        .insert_config(ACCOUNT, preset("users-db", HOST_B));
    let h = w.handler(
        &two_targets(),
        &[("TOKEN_TTL_SECONDS", "7200"), (var, &secret)],
    );
    let report = h.handle(event(json!({}), 60)).await.unwrap();
    // Long-term keys: pushed tokens live their whole TTL from the (fixed) clock.
    let two_hours = rfc3339(w.clock + Duration::from_secs(7200));
    for r in &report.results {
        assert_eq!(r.held_token_basis, HeldBasis::Pushed, "{r:?}");
        assert_eq!(
            r.held_token_valid_until.as_deref(),
            Some(two_hours.as_str())
        );
    }
    assert_eq!(report.min_seconds_to_dark, Some(7200));

    // users-db's cluster now refuses: its config still holds the last token, estimated from the
    // config's modified_on plus the two hours the mode guarantees.
    w.refuse_tokens_for(HOST_B);
    let err = h.handle(event(json!({}), 60)).await.unwrap_err();
    let InvocationError::TargetsFailed(report) = err else {
        panic!()
    };
    let users = result(&report, "users-db");
    assert_eq!(users.outcome, Outcome::Failed);
    assert_eq!(users.held_token_basis, HeldBasis::Estimated);
    let modified = users.modified_on.as_deref().expect("listed modified_on");
    let since = hyperdrive_emulator::parse_rfc3339(modified).unwrap();
    assert_eq!(
        users.held_token_valid_until.as_deref(),
        Some(rfc3339(since + Duration::from_secs(7200)).as_str())
    );
    let left = (since + Duration::from_secs(7200))
        .duration_since(w.clock)
        .unwrap()
        .as_secs();
    // The least over both targets, the failed one included: orders-db's pushed token has exactly
    // 7200 s from the fixed clock, users-db's estimate at least that (its config was modified at or
    // after the clock's second, later on a slow machine).
    assert_eq!(
        report.min_seconds_to_dark,
        Some(left.min(7200)),
        "failed targets count"
    );
}

#[tokio::test]
async fn the_execution_role_leaves_time_to_dark_unknowable() {
    let w = World::with_credentials(execution_role_credentials()).await;
    let report = w
        .handler(&two_targets(), &[])
        .handle(event(json!({}), 60))
        .await
        .unwrap();
    assert!(report
        .results
        .iter()
        .all(|r| r.held_token_basis == HeldBasis::Unknown));
    assert_eq!(report.min_seconds_to_dark, None);
}

#[tokio::test]
async fn an_expired_or_disabled_cloudflare_token_fails_the_run_at_once() {
    for (status, expires_in) in [
        ("expired", None),
        ("disabled", None),
        ("active", Some(-60i64)),
    ] {
        let w = World::new().await;
        let expires_on = expires_in.map(|s| {
            let now = now();
            if s < 0 {
                now - Duration::from_secs(s.unsigned_abs())
            } else {
                now + Duration::from_secs(s as u64)
            }
        });
        w.emulator.set_api_token_state(ApiTokenState {
            account_owner: None,
            status: status.into(),
            expires_on,
        });
        let context = w.context(&w.env(&two_targets(), &[]));
        let context = context.with_clock(std::sync::Arc::new(
            hyperdrive_dsql_rotator::time::SystemClock,
        ));
        let report = run_report(&context, Duration::from_secs(30)).await;
        let messages: Vec<(Option<ErrorKind>, String)> = errors(&report);
        assert!(
            messages
                .iter()
                .all(|(k, _)| *k == Some(ErrorKind::CloudflareAuth)),
            "{status}: {messages:?}"
        );
        assert!(
            messages[0].1.contains("roll or re-enable it"),
            "{status}: {}",
            messages[0].1
        );
        assert!(w.writes().is_empty(), "{status}: nothing written");
        let lists = w
            .calls()
            .iter()
            .filter(|c| c.contains("/hyperdrive/"))
            .count();
        assert_eq!(lists, 0, "{status}: not one call per target");
    }
}

#[tokio::test]
async fn an_account_token_with_an_expiry_is_watched_through_the_account_route() {
    let w = World::new().await;
    let expires =
        hyperdrive_emulator::parse_rfc3339(&rfc3339(w.clock + Duration::from_secs(10 * 86_400)))
            .unwrap();
    w.emulator.set_api_token_state(ApiTokenState {
        account_owner: Some(ACCOUNT.into()),
        status: "active".into(),
        expires_on: Some(expires),
    });
    let report = run_report(
        &w.context(&w.env(&two_targets(), &[])),
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(report.summary.created, 2);
    assert_eq!(
        report.cloudflare_token_expires_at.as_deref(),
        Some(rfc3339(expires).as_str())
    );
    let verify: Vec<String> = w
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/tokens/verify"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        verify,
        [
            "GET /client/v4/user/tokens/verify".to_owned(),
            format!("GET /client/v4/accounts/{ACCOUNT}/tokens/verify")
        ]
    );
    let line: serde_json::Value = serde_json::from_str(&report.emf_line("fn", w.clock)).unwrap();
    assert_eq!(line["CloudflareTokenSecondsLeft"], 10 * 86_400);
}

#[tokio::test]
async fn status_reads_without_signing_or_writing() {
    let w = World::new().await;
    let (var, secret) = w.keys_mode().await;
    w.emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    let h = w.handler(&two_targets(), &[(var, &secret)]);
    let report = h
        .handle(event(json!({"action": "status"}), 60))
        .await
        .unwrap();
    let orders = result(&report, "orders-db");
    assert_eq!(orders.outcome, Outcome::Present);
    assert!(orders.config_id.is_some() && orders.modified_on.is_some());
    assert_eq!(orders.held_token_basis, HeldBasis::Estimated);
    assert_eq!(result(&report, "users-db").outcome, Outcome::Missing);
    assert!(w.writes().is_empty(), "read only");
    assert!(report.min_seconds_to_dark.is_some());
}

#[tokio::test]
async fn the_status_command_prints_the_report_a_table_and_its_verdict() {
    let w = World::new().await;
    let (var, secret) = w.keys_mode().await;
    let env = w.env(
        &two_targets(),
        &[("TOKEN_TTL_SECONDS", "3600"), (var, &secret)],
    );
    let run = |args: &'static [&'static str]| {
        let mut cmd = child(env!("CARGO_BIN_EXE_hyperdrive-dsql-rotator"), &w, &env);
        cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .args(args)
            .stdin(Stdio::null());
        async move { cmd.output().await.unwrap() }
    };
    assert!(run(&[]).await.status.success(), "a rotation first");
    let ok = run(&["status"]).await;
    let stderr = String::from_utf8_lossy(&ok.stderr);
    assert_eq!(ok.status.code(), Some(0), "{stderr}");
    let report: hyperdrive_dsql_rotator::report::Report =
        serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(report.results.len(), 2);
    assert!(
        stderr.contains("target") && stderr.contains("Cloudflare API token"),
        "{stderr}"
    );
    // Tokens of an hour are in danger against a two-hour threshold.
    let danger = run(&["status", "--threshold", "7200"]).await;
    assert_eq!(danger.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&danger.stderr).contains("IN DANGER"));
    assert_eq!(w.writes().len(), 2, "status wrote nothing");
}
