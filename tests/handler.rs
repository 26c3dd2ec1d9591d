//! The Lambda handler end to end, in-process, against the Hyperdrive emulator and moto: create,
//! update in place, paging, duplicates, retries, refusals, dry run, the targets filter, each shipped
//! event, the signing modes, and bad configuration.

mod support;

use hyperdrive_dsql_rotator::config::Settings;
use hyperdrive_dsql_rotator::dispatch::InvocationError;
use hyperdrive_dsql_rotator::lambda::{diagnostic, Handler};
use hyperdrive_dsql_rotator::report::{rfc3339, ErrorKind, Outcome, Summary};
use hyperdrive_emulator::{verify_dsql_token, Fault};
use serde_json::{json, Value};
use std::time::Duration;
use support::*;

fn summary(created: usize, updated: usize, failed: usize, planned: usize) -> Summary {
    Summary {
        created,
        updated,
        failed,
        planned,
    }
}

#[tokio::test]
async fn creates_a_missing_config_with_a_valid_token() {
    let w = World::new().await;
    let h = w.handler(
        &[target("orders-db", HOST_A)],
        &[("TOKEN_TTL_SECONDS", "3600")],
    );
    let report = h.handle(event(json!({}), 60)).await.expect("run succeeds");

    let r = result(&report, "orders-db");
    assert_eq!(r.outcome, Outcome::Created);
    let configs = w.emulator.configs(ACCOUNT);
    assert_eq!(configs.len(), 1);
    assert_eq!(r.config_id.as_deref(), Some(configs[0].id.as_str()));
    assert_eq!(r.host, HOST_A);
    assert_eq!(r.region, "us-east-1");
    assert!(r.error.is_none());
    // The emulator verified the signature with the known keys; the token is an admin token for the host.
    let c = &configs[0];
    assert_eq!(c.origin["host"], HOST_A);
    assert_eq!(
        (
            c.origin["user"].as_str(),
            c.origin["database"].as_str(),
            c.origin["port"].as_u64()
        ),
        (Some("admin"), Some("postgres"), Some(5432))
    );
    let info = verify_dsql_token(c.password.as_deref().unwrap(), HOST_A, "admin", now(), None)
        .expect("valid token");
    // Long-term keys: the token lives its whole TTL from the signing time, and the report says so.
    let expires = rfc3339(w.clock + Duration::from_secs(3600));
    assert_eq!(r.token_expires_at.as_deref(), Some(expires.as_str()));
    assert_eq!(hyperdrive_emulator::rfc3339(info.expires_at), expires);
    assert!(report.credentials_expire_at.is_none());
    assert_eq!(report.summary, summary(1, 0, 0, 0));
    assert_eq!(
        w.writes(),
        [format!(
            "POST /client/v4/accounts/{ACCOUNT}/hyperdrive/configs"
        )]
    );
}

#[tokio::test]
async fn updates_in_place_keeping_the_id_and_other_settings() {
    let w = World::new().await;
    let id = w.emulator.insert_config(ACCOUNT, json!({
        "name": "orders-db",
        "origin": {"scheme": "postgres", "host": HOST_A, "port": 5432, "database": "postgres", "user": "admin"},
        "caching": {"disabled": true},
    }));
    let h = w.handler(&[target("orders-db", HOST_A)], &[]);
    let first = h.handle(event(json!({}), 60)).await.unwrap();
    let second = h.handle(event(json!({}), 60)).await.unwrap();
    let configs = w.emulator.configs(ACCOUNT);

    assert_eq!(configs.len(), 1, "never recreated");
    for report in [&first, &second] {
        assert_eq!(result(report, "orders-db").outcome, Outcome::Updated);
        assert_eq!(
            result(report, "orders-db").config_id.as_deref(),
            Some(id.as_str())
        );
    }
    assert_eq!(configs[0].id, id);
    assert_eq!(
        configs[0].caching,
        json!({"disabled": true}),
        "PATCH leaves caching alone"
    );
    assert!(
        configs[0].token.is_some(),
        "the connection test saw the new token"
    );
    let patch = format!("PATCH /client/v4/accounts/{ACCOUNT}/hyperdrive/configs/{id}");
    assert_eq!(w.writes(), [patch.clone(), patch]);
    let body = w
        .emulator
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap()
        .body
        .unwrap();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["origin"], "only the origin is patched");
    assert_eq!(body["origin"]["scheme"], "postgres");
    // Each run pushed a token that passes Hyperdrive's connection test for this host and user.
    for r in w.emulator.requests().iter().filter(|r| r.method == "PATCH") {
        let password = r.body.as_ref().unwrap()["origin"]["password"]
            .as_str()
            .unwrap()
            .to_owned();
        verify_dsql_token(&password, HOST_A, "admin", now(), None).expect("valid token pushed");
    }
}

#[tokio::test]
async fn target_options_are_sent_on_create_and_update() {
    let w = World::new().await;
    let existing = w.emulator.insert_config(ACCOUNT, preset("app-db", HOST_B));
    let targets = [
        json!({"name": "reports-db", "host": HOST_A, "user": "reporter", "caching": {"max_age": 30, "stale_while_revalidate": 5}, "origin_connection_limit": 20}),
        json!({"name": "app-db", "host": HOST_B, "user": "app", "caching": {"disabled": true}}),
    ];
    let h = w.handler(&targets, &[]);
    h.handle(event(json!({}), 60)).await.unwrap();
    let configs = w.emulator.configs(ACCOUNT);
    let app = configs.iter().find(|c| c.id == existing).unwrap();
    assert_eq!(app.caching, json!({"disabled": true}));
    assert_eq!(app.origin["user"], "app");
    let reports = configs.iter().find(|c| c.name == "reports-db").unwrap();
    assert_eq!(reports.origin_connection_limit, Some(20));
    assert_eq!(reports.caching["max_age"], 30);
    // Non-admin users sign DbConnect (the emulator refuses the wrong action with 2013).
    let password = reports.password.as_deref().unwrap();
    assert!(verify_dsql_token(password, HOST_A, "reporter", now(), None).is_ok());
    assert!(verify_dsql_token(password, HOST_A, "admin", now(), None).is_err());
}

#[tokio::test]
async fn finds_its_config_past_the_first_page_of_100() {
    let w = World::new().await;
    let mut ids = Vec::new();
    for i in 0..150 {
        ids.push(
            w.emulator
                .insert_config(ACCOUNT, preset(&format!("cfg-{i:03}"), HOST_A)),
        );
    }
    let h = w.handler(&[target("cfg-140", HOST_A), target("cfg-new", HOST_A)], &[]);
    let report = h.handle(event(json!({}), 60)).await.unwrap();
    assert_eq!(result(&report, "cfg-140").outcome, Outcome::Updated);
    assert_eq!(
        result(&report, "cfg-140").config_id.as_deref(),
        Some(ids[140].as_str())
    );
    assert_eq!(result(&report, "cfg-new").outcome, Outcome::Created);
    let lists: Vec<String> = w
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("GET"))
        .collect();
    let base = format!("GET /client/v4/accounts/{ACCOUNT}/hyperdrive/configs");
    let every_page = [
        format!("{base}?page=1&per_page=100"),
        format!("{base}?page=2&per_page=100"),
    ];
    assert_eq!(
        lists,
        [every_page.clone(), every_page].concat(),
        "one listing of every page, and one more after the create (a run at the same time?)"
    );
    assert_eq!(w.emulator.configs(ACCOUNT).len(), 151);
}

#[tokio::test]
async fn duplicate_names_fail_that_target_without_writing_and_others_go_on() {
    let w = World::new().await;
    let a = w
        .emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    let b = w
        .emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    let h = w.handler(
        &[target("orders-db", HOST_A), target("users-db", HOST_B)],
        &[],
    );
    let err = h
        .handle(event(json!({}), 60))
        .await
        .expect_err("a failed target fails the invocation");
    assert!(matches!(err, InvocationError::TargetsFailed(_)), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("1 of 2 targets failed: orders-db (duplicate_name)"),
        "{err}"
    );
    assert_eq!(diagnostic(&err).error_type, "TargetsFailed");

    assert_eq!(
        w.writes(),
        [format!(
            "POST /client/v4/accounts/{ACCOUNT}/hyperdrive/configs"
        )],
        "only users-db was written"
    );
    let configs = w.emulator.configs(ACCOUNT);
    assert!(configs
        .iter()
        .filter(|c| c.id == a || c.id == b)
        .all(|c| c.password.is_none()));
}

#[tokio::test]
async fn origin_refusal_on_one_target_leaves_the_others_done() {
    let w = World::new().await;
    let id = w
        .emulator
        .insert_config(ACCOUNT, preset("broken-db", HOST_B));
    w.emulator.set_faults(vec![Fault::cloudflare_error(
        400,
        2013,
        "password authentication failed for user admin",
    )
    .for_origin_host(HOST_B)]);
    let targets = [target("broken-db", HOST_B), target("orders-db", HOST_A)];
    let h = w.handler(&targets, &[]);
    let err = h.handle(event(json!({}), 60)).await.unwrap_err();
    assert!(
        err.to_string().contains("broken-db (origin_refused)"),
        "{err}"
    );

    // A failed invocation answers with the error only (the report goes to the log); the report
    // it carries shows each target's outcome.
    let InvocationError::TargetsFailed(report) = err else {
        panic!("{err:?}")
    };
    let broken = result(&report, "broken-db");
    assert_eq!(broken.outcome, Outcome::Failed);
    let error = broken.error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::OriginRefused);
    assert_eq!(error.cloudflare_codes, [2013]);
    assert!(
        error
            .message
            .contains("2013: password authentication failed"),
        "{}",
        error.message
    );
    assert!(
        error.message.contains(
            "dsql:DbConnect/dsql:DbConnectAdmin permission on that cluster and the region"
        ),
        "{}",
        error.message
    );
    assert!(broken.token_expires_at.is_none() && broken.config_id.is_none());
    assert_eq!(result(&report, "orders-db").outcome, Outcome::Created);
    assert_eq!(report.summary.failed, 1);
    let broken_cfg = w
        .emulator
        .configs(ACCOUNT)
        .into_iter()
        .find(|c| c.id == id)
        .unwrap();
    assert!(
        broken_cfg.password.is_none(),
        "a refused update leaves the config as it was"
    );
}

#[tokio::test]
async fn retries_429_with_retry_after_and_5xx() {
    let w = World::new().await;
    w.emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    w.emulator.set_faults(vec![
        Fault::respond("GET", 503).times(1),
        Fault::respond("PATCH", 429).with_retry_after(1).times(1),
    ]);
    let h = w.handler(&[target("orders-db", HOST_A)], &[]);
    let started = instant();
    let report = h.handle(event(json!({}), 60)).await.expect("recovers");
    assert_eq!(result(&report, "orders-db").outcome, Outcome::Updated);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited for Retry-After"
    );
    let statuses: Vec<(String, Option<u16>)> = w
        .emulator
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            // The token watch's verify, refused once and retried, then the list.
            ("GET".into(), Some(503)),
            ("GET".into(), Some(200)),
            ("GET".into(), Some(200)),
            ("PATCH".into(), Some(429)),
            ("PATCH".into(), Some(200))
        ]
    );
}

#[tokio::test]
async fn retries_stop_after_the_budget_with_a_clear_error() {
    let w = World::new().await;
    w.emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    w.emulator.set_faults(vec![Fault::respond("PATCH", 502)]);
    let context = w.context(&w.env(&[target("orders-db", HOST_A)], &[]));
    let report = run_report(&context, Duration::from_secs(30)).await;
    let (kind, message) = &errors(&report)[0];
    assert_eq!(*kind, Some(ErrorKind::CloudflareUnavailable));
    assert!(message.contains("gave up after 4 attempts"), "{message}");
    assert_eq!(w.writes().len(), 4, "bounded");
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_not_repeated() {
    let w = World::new().await;
    w.emulator
        .set_faults(vec![Fault::drop_after("POST").times(1)]);
    let h = w.handler(&[target("orders-db", HOST_A)], &[]);
    let report = h.handle(event(json!({}), 60)).await.expect("recovers");
    let configs = w.emulator.configs(ACCOUNT);
    assert_eq!(configs.len(), 1, "exactly one config");
    assert_eq!(result(&report, "orders-db").outcome, Outcome::Created);
    assert_eq!(
        result(&report, "orders-db").config_id.as_deref(),
        Some(configs[0].id.as_str())
    );
    // POST (dropped), then a fresh list found it: no second POST.
    assert_eq!(w.writes().len(), 1);
}

#[tokio::test]
async fn a_create_dropped_before_it_happened_is_retried_once_the_list_shows_nothing() {
    let w = World::new().await;
    w.emulator
        .set_faults(vec![Fault::drop_before("POST").times(1)]);
    let h = w.handler(&[target("orders-db", HOST_A)], &[]);
    h.handle(event(json!({}), 60)).await.expect("recovers");
    assert_eq!(w.emulator.configs(ACCOUNT).len(), 1);
    let base = format!("/client/v4/accounts/{ACCOUNT}/hyperdrive/configs");
    assert_eq!(
        w.calls(),
        [
            format!("GET {base}?page=1&per_page=100"),
            format!("POST {base}"),
            format!("GET {base}?page=1&per_page=100"),
            format!("POST {base}"),
            // After the creates, a check for a run at the same time.
            format!("GET {base}?page=1&per_page=100"),
        ]
    );
}

#[tokio::test]
async fn dry_run_writes_nothing_from_each_switch() {
    for (payload, extra) in [
        (json!({"dry_run": true}), vec![]),
        (json!({"detail": "{\"dry_run\": true}"}), vec![]),
        (json!({}), vec![("DRY_RUN", "true")]),
    ] {
        let w = World::new().await;
        let id = w
            .emulator
            .insert_config(ACCOUNT, preset("orders-db", HOST_A));
        let h = w.handler(
            &[target("orders-db", HOST_A), target("users-db", HOST_B)],
            &extra,
        );
        let report = h.handle(event(payload.clone(), 60)).await.unwrap();
        assert!(report.dry_run, "{payload}");
        assert_eq!(result(&report, "orders-db").outcome, Outcome::WouldUpdate);
        assert_eq!(
            result(&report, "orders-db").config_id.as_deref(),
            Some(id.as_str())
        );
        assert_eq!(result(&report, "users-db").outcome, Outcome::WouldCreate);
        assert!(result(&report, "users-db").config_id.is_none());
        assert_eq!(report.summary, summary(0, 0, 0, 2));
        assert!(w.writes().is_empty(), "{:?}", w.writes());
    }
}

#[tokio::test]
async fn targets_filter_runs_only_the_named_targets() {
    let w = World::new().await;
    let h = w.handler(
        &[target("orders-db", HOST_A), target("users-db", HOST_B)],
        &[],
    );
    let payload: Value =
        serde_json::from_slice(include_bytes!("../events/single-target.json")).unwrap();
    let report = h.handle(event(payload, 60)).await.unwrap();
    let names: Vec<&str> = report.results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["orders-db"]);
    assert_eq!(w.emulator.configs(ACCOUNT).len(), 1);

    let err = h
        .handle(event(json!({"targets": ["nope"]}), 60))
        .await
        .unwrap_err();
    assert!(matches!(err, InvocationError::InvalidEvent(_)));
    assert!(
        err.to_string()
            .contains("\"nope\" is not a configured target; use one of orders-db, users-db"),
        "{err}"
    );
}

#[tokio::test]
async fn every_shipped_event_runs() {
    for file in [
        "scheduled-rule.json",
        "scheduler.json",
        "dry-run.json",
        "single-target.json",
    ] {
        let w = World::new().await;
        let h = w.handler(
            &[target("orders-db", HOST_A), target("users-db", HOST_B)],
            &[],
        );
        let payload: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("events/{file}")).unwrap())
                .unwrap();
        let report = h
            .handle(event(payload, 60))
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let expected = match file {
            "dry-run.json" => summary(0, 0, 0, 2),
            "single-target.json" => summary(1, 0, 0, 0),
            _ => summary(2, 0, 0, 0),
        };
        assert_eq!(report.summary, expected, "{file}");
    }
}

#[tokio::test]
async fn a_payload_that_is_not_an_object_is_refused_before_any_call() {
    let w = World::new().await;
    let h = w.handler(&[target("orders-db", HOST_A)], &[]);
    for payload in [json!([1]), json!("run"), json!({"dry_run": "yes"})] {
        let err = h.handle(event(payload, 60)).await.unwrap_err();
        assert_eq!(diagnostic(&err).error_type, "InvalidEvent");
    }
    assert!(w.emulator.requests().is_empty());
}

#[tokio::test]
async fn targets_in_several_accounts_are_listed_once_each_and_once_after_creates() {
    let w = World::new().await;
    let targets = [
        target("orders-db", HOST_A),
        json!({"name": "orders-db", "host": HOST_B, "account_id": OTHER_ACCOUNT}),
        json!({"name": "users-db", "host": HOST_B, "account_id": OTHER_ACCOUNT}),
    ];
    let h = w.handler(&targets, &[]);
    let report = h.handle(event(json!({}), 60)).await.unwrap();
    assert_eq!(report.summary.created, 3);
    assert_eq!(w.emulator.configs(ACCOUNT).len(), 1);
    assert_eq!(w.emulator.configs(OTHER_ACCOUNT).len(), 2);
    let lists = w
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("GET"))
        .count();
    assert_eq!(
        lists, 4,
        "each account listed once, and once more after its creates"
    );
}

#[tokio::test]
async fn a_refused_cloudflare_token_fails_every_target_with_the_fix() {
    let w = World::new().await;
    let wrong = unique("wrong-token");
    put_secret(&w.sdk, &wrong, "cf-this-is-not-the-right-token-0000").await;
    let context = w.context(&w.env(
        &[target("orders-db", HOST_A)],
        &[("CLOUDFLARE_API_TOKEN_SECRET_ID", &wrong)],
    ));
    let report = run_report(&context, Duration::from_secs(30)).await;
    let (kind, message) = &errors(&report)[0];
    assert_eq!(*kind, Some(ErrorKind::CloudflareAuth));
    assert!(message.contains("Hyperdrive Write"), "{message}");
}

#[tokio::test]
async fn a_missing_secret_is_reported_with_what_to_check() {
    let w = World::new().await;
    let context = w.context(&w.env(
        &[target("orders-db", HOST_A)],
        &[("CLOUDFLARE_API_TOKEN_SECRET_ID", "does-not-exist")],
    ));
    let report = run_report(&context, Duration::from_secs(30)).await;
    let (kind, message) = &errors(&report)[0];
    assert_eq!(*kind, Some(ErrorKind::CloudflareToken));
    assert!(
        message.contains("ResourceNotFoundException")
            && message.contains("check the secret's name or ARN"),
        "{message}"
    );
    assert!(
        w.emulator.requests().is_empty(),
        "Cloudflare is not called without a token"
    );
}

#[tokio::test]
async fn signer_role_tokens_expire_with_the_session() {
    let w = World::with_credentials(long_term_credentials()).await;
    w.emulator.set_credentials(None); // moto's assumed keys are random: check form, host, action, expiry
    let h = w.handler(
        &[target("orders-db", HOST_A)],
        &[
            (
                "SIGNER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/dsql-signer",
            ),
            ("SIGNER_SESSION_SECONDS", "900"),
        ],
    );
    let before = now();
    let report = h.handle(event(json!({}), 60)).await.expect("run succeeds");
    // The session's expiry comes from moto's STS, on the real clock.
    let creds_exp = hyperdrive_emulator::parse_rfc3339(
        report
            .credentials_expire_at
            .as_deref()
            .expect("known expiry"),
    )
    .unwrap();
    assert!(
        creds_exp >= before + Duration::from_secs(899)
            && creds_exp <= now() + Duration::from_secs(901),
        "one session ahead"
    );
    assert_eq!(
        result(&report, "orders-db").token_expires_at,
        report.credentials_expire_at,
        "capped by the session, not the 7-day TTL"
    );
    let token = w.emulator.configs(ACCOUNT)[0].password.clone().unwrap();
    assert!(
        token.contains("X-Amz-Security-Token="),
        "signed with the session"
    );
    assert!(
        !token.contains(ACCESS_KEY),
        "not signed with the function's own keys"
    );
}

#[tokio::test]
async fn execution_role_credentials_have_an_unknown_token_lifetime() {
    let w = World::with_credentials(execution_role_credentials()).await;
    let h = w.handler(&[target("orders-db", HOST_A)], &[]);
    let report = h.handle(event(json!({}), 60)).await.unwrap();
    assert!(report.credentials_expire_at.is_none());
    assert_eq!(result(&report, "orders-db").outcome, Outcome::Created);
    assert!(
        result(&report, "orders-db").token_expires_at.is_none(),
        "unknowable, so not claimed"
    );
}

#[tokio::test]
async fn long_term_keys_from_a_secret_sign_seven_day_tokens() {
    let w = World::with_credentials(execution_role_credentials()).await;
    let keys_secret = unique("signer-keys");
    put_secret(&w.sdk, &keys_secret, &json!({"access_key_id": "AKIAUSERKEYS00000001", "secret_access_key": "userSecretKey/0123456789abcdefghijklmn"}).to_string()).await;
    w.emulator
        .set_credentials(Some(hyperdrive_emulator::SigningCredentials {
            access_key_id: "AKIAUSERKEYS00000001".into(),
            secret_access_key: "userSecretKey/0123456789abcdefghijklmn".into(),
            session_token: None,
            expires_at: None,
        }));
    let h = w.handler(
        &[target("orders-db", HOST_A)],
        &[("SIGNER_CREDENTIALS_SECRET_ID", &keys_secret)],
    );
    let report = h
        .handle(event(json!({}), 60))
        .await
        .expect("signed with the user's keys");
    let seven_days = rfc3339(w.clock + Duration::from_secs(604_800));
    assert_eq!(
        result(&report, "orders-db").token_expires_at.as_deref(),
        Some(seven_days.as_str())
    );
    assert!(report.credentials_expire_at.is_none());
}

#[tokio::test]
async fn invalid_configuration_fails_every_invocation_without_calls() {
    let w = World::new().await;
    let env = w.env(&[json!({"name": "orders-db", "host": "https://x"})], &[]);
    let err = Settings::from_env(|k| env.get(k).cloned()).unwrap_err();
    let h = Handler::with_invalid_configuration(err);
    let err = h.handle(event(json!({}), 60)).await.unwrap_err();
    let d = diagnostic(&err);
    assert_eq!(d.error_type, "ConfigurationError");
    assert!(
        d.error_message.contains("HYPERDRIVE_TARGETS[0].host"),
        "{}",
        d.error_message
    );
    assert!(w.emulator.requests().is_empty());
}

#[tokio::test]
async fn a_hanging_api_still_answers_before_the_deadline() {
    let w = World::new().await;
    w.emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    w.emulator
        .set_faults(vec![Fault::delay("PATCH", Duration::from_secs(30))]);
    let h = w.handler(&[target("orders-db", HOST_A)], &[]);
    let started = instant();
    let err = h.handle(event(json!({}), 5)).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered in {:?}",
        started.elapsed()
    );
    assert!(
        err.to_string().contains("orders-db (timeout)")
            || err.to_string().contains("orders-db (deadline_exceeded)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_target_with_its_own_signer_role_is_signed_by_that_role() {
    let w = World::new().await;
    w.emulator.set_credentials(None); // moto's assumed keys are random
    let other_account_role = "arn:aws:iam::210987654321:role/hyperdrive-dsql-signer";
    let targets = [
        target("orders-db", HOST_A),
        json!({"name": "remote-db", "host": HOST_B, "signer_role_arn": other_account_role}),
    ];
    let h = w.handler(&targets, &[]);
    let report = h.handle(event(json!({}), 60)).await.expect("run succeeds");
    let configs = w.emulator.configs(ACCOUNT);
    let token_of = |name: &str| {
        configs
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .password
            .clone()
            .unwrap()
    };
    assert!(
        token_of("orders-db").contains(ACCESS_KEY),
        "the function's own keys"
    );
    let remote = token_of("remote-db");
    assert!(
        remote.contains("X-Amz-Security-Token=") && !remote.contains(ACCESS_KEY),
        "signed with the role's session"
    );
    // The function-wide keys have no expiry; the role's session does (an hour by default).
    let own = result(&report, "orders-db")
        .token_expires_at
        .clone()
        .unwrap();
    let role = result(&report, "remote-db")
        .token_expires_at
        .clone()
        .unwrap();
    assert!(role < own, "{role} vs {own}");
}
