//! Hardening: whatever AWS and the Cloudflare API throw at a run, it ends inside its deadline with a
//! report that names the cause, never a panic, a hang, or two configs of one name.

mod support;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use hyperdrive_dsql_rotator::context::Context;
use hyperdrive_dsql_rotator::report::{ErrorKind, Outcome};
use hyperdrive_dsql_rotator::retry::RetryPolicy;
use hyperdrive_emulator::Fault;
use serde_json::{json, Value};
use std::time::Duration;
use support::aws::*;
use support::*;

// ---- the Cloudflare API ----

#[tokio::test]
async fn a_429_storm_ends_within_the_deadline_with_a_report() {
    let w = World::new().await;
    w.emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    w.emulator
        .set_faults(vec![Fault::respond("*", 429).with_retry_after(1)]);
    let context = w.context(&w.env(
        &[target("orders-db", HOST_A), target("users-db", HOST_B)],
        &[],
    ));
    let started = instant();
    let report = run_report(&context, Duration::from_secs(4)).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    for (kind, message) in errors(&report) {
        assert_eq!(kind, Some(ErrorKind::RateLimited), "{message}");
        assert!(
            message.contains("HTTP 429") && message.contains("gave up"),
            "{message}"
        );
    }
    assert!(
        w.emulator.requests().len() <= 8,
        "bounded: {}",
        w.emulator.requests().len()
    );
}

#[tokio::test]
async fn a_retry_after_holds_every_call_of_the_run() {
    // Two at a time. a's PATCH gets 429 (Retry-After: 1) at once; b's takes 300 ms. c then starts, and
    // must wait for the end of the pause instead of calling during it (without the shared pause it
    // would call at 0.3 s).
    let w = World::new().await;
    let hosts: Vec<String> = (0..4).map(|i| format!("{i}{}", &HOST_A[1..])).collect();
    for (name, host) in ["a", "b", "c", "d"].iter().zip(&hosts) {
        w.emulator.insert_config(ACCOUNT, preset(name, host));
    }
    w.emulator.set_faults(vec![
        Fault::respond("PATCH", 429)
            .with_retry_after(1)
            .for_origin_host(&hosts[0])
            .times(1),
        Fault::delay("PATCH", Duration::from_millis(300)).for_origin_host(&hosts[1]),
    ]);
    let targets: Vec<Value> = ["a", "b", "c", "d"]
        .iter()
        .zip(&hosts)
        .map(|(n, h)| target(n, h))
        .collect();
    let context = w.context(&w.env(&targets, &[("MAX_CONCURRENCY", "2")]));
    let report = run_report(&context, Duration::from_secs(20)).await;
    assert_eq!(report.summary.updated, 4, "{report:#?}");
    let patches: Vec<(String, Option<u16>, std::time::Instant)> = w
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .map(|r| {
            (
                r.body.unwrap()["origin"]["host"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                r.status,
                r.received_at,
            )
        })
        .collect();
    assert_eq!(patches.len(), 5, "{patches:?}");
    let refused_at = patches
        .iter()
        .find(|p| p.1 == Some(429))
        .expect("a's 429")
        .2;
    let c_at = patches
        .iter()
        .find(|p| p.0 == hosts[2])
        .expect("c's PATCH")
        .2;
    let waited = c_at.duration_since(refused_at);
    assert!(
        waited >= Duration::from_millis(950),
        "c called {waited:?} after the 429, inside the 1 s pause"
    );
}

#[tokio::test]
async fn a_long_retry_after_is_not_waited_past_the_deadline() {
    let w = World::new().await;
    w.emulator
        .set_faults(vec![Fault::respond("GET", 429).with_retry_after(300)]);
    let context = w.context(&w.env(&[target("orders-db", HOST_A)], &[]));
    let started = instant();
    let report = run_report(&context, Duration::from_secs(20)).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "gave up at once: {:?}",
        started.elapsed()
    );
    let (kind, message) = &errors(&report)[0];
    assert_eq!(*kind, Some(ErrorKind::RateLimited));
    // The first call (the token watch) was told to wait 300 s; every later call fails at once.
    assert!(
        message.contains("HTTP 429") && message.contains("would pass the invocation deadline"),
        "{message}"
    );
}

#[tokio::test]
async fn timeouts_and_drops_in_the_middle_of_a_create_never_leave_two() {
    for faults in [
        // The create times out (the server is slow), then the retry goes through.
        vec![Fault::delay("POST", Duration::from_secs(2)).times(1)],
        // The create is applied but its answer is lost, and the first re-list is dropped too.
        vec![
            Fault::drop_after("POST").times(1),
            Fault::drop_before("GET").skip(1).times(1),
        ],
        // Lost answers twice in a row.
        vec![
            Fault::drop_before("POST").times(1),
            Fault::drop_after("POST").times(1),
        ],
        // A 502 on create (nothing applied), then a timeout.
        vec![
            Fault::respond("POST", 502).times(1),
            Fault::delay("POST", Duration::from_secs(2)).times(1),
        ],
    ] {
        let w = World::new().await;
        let described: Vec<String> = faults.iter().map(Fault::describe).collect();
        w.emulator.set_faults(faults);
        let context = w
            .context(&w.env(&[target("orders-db", HOST_A)], &[]))
            .with_retry_policy(RetryPolicy {
                attempt_timeout: Duration::from_millis(500),
                ..fast_retries()
            });
        let report = run_report(&context, Duration::from_secs(20)).await;
        // Let any create still in flight on the server finish before counting.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let configs = w.emulator.configs(ACCOUNT);
        assert_eq!(configs.len(), 1, "{described:?}: {report:#?}");
        assert_eq!(
            report.results[0].outcome,
            Outcome::Created,
            "{described:?}: {report:#?}"
        );
        assert_eq!(
            report.results[0].config_id.as_deref(),
            Some(configs[0].id.as_str())
        );
    }
}

#[tokio::test]
async fn malformed_answers_are_reported_not_panicked_on() {
    let html = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>";
    let cases: Vec<(Fault, ErrorKind, &str)> = vec![
        (
            Fault::raw_response("GET", 200, "text/plain", "not json at all"),
            ErrorKind::MalformedResponse,
            "not a JSON object: not json at all (text/plain",
        ),
        (
            Fault::raw_response("GET", 502, "text/html", html),
            ErrorKind::CloudflareUnavailable,
            "<html><head><title>502 Bad Gateway",
        ),
        (
            Fault::raw_response(
                "GET",
                200,
                "application/json",
                r#"{"success": true, "errors": [], "messages": [], "result": [{"name": "x"}]}"#,
            ),
            ErrorKind::MalformedResponse,
            "no string `id`",
        ),
        (
            Fault::raw_response(
                "PATCH",
                200,
                "application/json",
                r#"{"success": true, "errors": [], "messages": []}"#,
            ),
            ErrorKind::MalformedResponse,
            "without a `result`",
        ),
        (
            Fault::raw_response(
                "PATCH",
                200,
                "application/json",
                r#"{"success": false, "errors": [{"code": 1000, "message": "internal"}], "messages": [], "result": null}"#,
            ),
            ErrorKind::MalformedResponse,
            "without `success: true`: Cloudflare answered HTTP 200 OK: 1000: internal",
        ),
        (
            Fault::raw_response("PATCH", 400, "text/html", html),
            ErrorKind::CloudflareRejected,
            "HTTP 400 Bad Request with a body that is not a JSON object",
        ),
        (
            Fault::raw_response("PATCH", 200, "application/json", "[1, 2]"),
            ErrorKind::MalformedResponse,
            "not a JSON object",
        ),
        (
            Fault::raw_response("PATCH", 200, "application/json", ""),
            ErrorKind::MalformedResponse,
            "empty body",
        ),
    ];
    for (fault, kind, text) in cases {
        let w = World::new().await;
        w.emulator
            .insert_config(ACCOUNT, preset("orders-db", HOST_A));
        let described = fault.describe();
        w.emulator.set_faults(vec![fault]);
        let context = w.context(&w.env(&[target("orders-db", HOST_A)], &[]));
        let report = run_report(&context, Duration::from_secs(20)).await;
        let (k, message) = &errors(&report)[0];
        assert_eq!(*k, Some(kind), "{described}: {message}");
        assert!(message.contains(text), "{described}: {message}");
    }
}

// ---- AWS: Secrets Manager and STS ----

fn context_with(sdk: &SdkConfig, w: &World, extra: &[(&str, &str)]) -> Context {
    w.context_on(sdk, &w.env(&[target("orders-db", HOST_A)], extra))
}

#[tokio::test]
async fn secrets_manager_and_sts_failures_name_their_cause() {
    const ROLE: &str = "arn:aws:iam::123456789012:role/dsql-signer";
    type Answer = fn(&str, &str) -> (u16, String);
    /// What fails, the fake AWS answer, extra environment, expected kind, texts the message holds.
    type Case<'a> = (
        &'a str,
        Answer,
        &'a [(&'a str, &'a str)],
        ErrorKind,
        &'a [&'a str],
    );
    let cases: Vec<Case> = vec![
        (
            "Secrets Manager denies access",
            |_, _| {
                json_error(
                    "AccessDeniedException",
                    "User is not authorized to perform: secretsmanager:GetSecretValue",
                )
            },
            &[],
            ErrorKind::CloudflareToken,
            &[
                "AccessDeniedException",
                "allow the function's role secretsmanager:GetSecretValue on this secret",
            ],
        ),
        (
            "Secrets Manager throttles",
            |_, _| json_error("ThrottlingException", "Rate exceeded"),
            &[],
            ErrorKind::CloudflareToken,
            &["ThrottlingException", "the next run will try again"],
        ),
        (
            "Secrets Manager fails",
            |_, _| {
                (
                    500,
                    json!({"__type": "InternalServiceError", "message": "oops"}).to_string(),
                )
            },
            &[],
            ErrorKind::CloudflareToken,
            &[
                "InternalServiceError",
                "could not be read from Secrets Manager",
            ],
        ),
        (
            "STS denies the role",
            |service, _| {
                if service == "sts" {
                    sts_error(
                        403,
                        "AccessDenied",
                        "not authorized to perform: sts:AssumeRole",
                    )
                } else {
                    secret_ok()
                }
            },
            &[("SIGNER_ROLE_ARN", ROLE)],
            ErrorKind::SigningCredentials,
            &[
                "could not get the signer role arn:aws:iam::123456789012:role/dsql-signer",
                "AccessDenied",
            ],
        ),
        (
            "STS throttles",
            |service, _| {
                if service == "sts" {
                    sts_error(400, "Throttling", "Rate exceeded")
                } else {
                    secret_ok()
                }
            },
            &[("SIGNER_ROLE_ARN", ROLE)],
            ErrorKind::SigningCredentials,
            &["Throttling", "signer role"],
        ),
    ];
    for (what, answer, extra, kind, texts) in cases {
        let w = World::new().await;
        let context = context_with(&aws_answering(answer).await, &w, extra);
        let report = run_report(&context, Duration::from_secs(20)).await;
        let (k, message) = &errors(&report)[0];
        assert_eq!(*k, Some(kind), "{what}: {message}");
        for text in texts {
            assert!(
                message.contains(text),
                "{what}: {message:?} should contain {text:?}"
            );
        }
        assert!(
            w.emulator.requests().is_empty(),
            "{what}: Cloudflare was called"
        );
    }
}

#[tokio::test]
async fn secrets_manager_or_sts_down_is_reported_within_the_deadline() {
    let w = World::new().await;
    // Nothing listens on port 9 of the loopback.
    let down = sdk_config("http://127.0.0.1:9", long_term_credentials()).await;
    for (extra, kind) in [
        (&[][..], ErrorKind::CloudflareToken),
        (
            &[(
                "SIGNER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/dsql-signer",
            )][..],
            ErrorKind::SigningCredentials,
        ),
    ] {
        let context = context_with(&down, &w, extra);
        let started = instant();
        let report = run_report(&context, Duration::from_secs(20)).await;
        assert!(started.elapsed() < Duration::from_secs(20));
        let (k, message) = &errors(&report)[0];
        assert_eq!(*k, Some(kind), "{message}");
        assert!(
            message.to_lowercase().contains("connection refused")
                || message.contains("dispatch failure"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn aws_that_hangs_is_cut_at_the_deadline() {
    let w = World::new().await;
    // A listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let hanging = aws_config::defaults(BehaviorVersion::latest())
        .http_client(hyperdrive_dsql_rotator::aws::sdk::http_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(format!("http://{addr}"))
        .credentials_provider(long_term_credentials())
        .load()
        .await;
    let context = context_with(&hanging, &w, &[]);
    let started = instant();
    let report = run_report(&context, Duration::from_secs(3)).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    let (k, message) = &errors(&report)[0];
    assert_eq!(*k, Some(ErrorKind::CloudflareToken));
    assert!(
        message.contains("did not finish before the invocation deadline"),
        "{message}"
    );
}

#[tokio::test]
async fn an_aws_denial_reads_as_one_line_with_its_error_code() {
    let w = World::new().await;
    let sdk = aws_answering(|_, _| {
        json_error(
            "AccessDeniedException",
            "User: arn:aws:sts::123456789012:assumed-role/fn/x is not authorized to perform: secretsmanager:GetSecretValue",
        )
    })
    .await;
    let report = run_report(&context_with(&sdk, &w, &[]), Duration::from_secs(20)).await;
    let (kind, message) = &errors(&report)[0];
    assert_eq!(*kind, Some(ErrorKind::CloudflareToken));
    assert_eq!(
        message.as_str(),
        format!(
            "secret {:?} could not be read from Secrets Manager: GetSecretValue failed: AccessDeniedException: \
             User: arn:aws:sts::123456789012:assumed-role/fn/x is not authorized to perform: secretsmanager:GetSecretValue \
             -> allow the function's role secretsmanager:GetSecretValue on this secret \
             (and kms:Decrypt on its key if it uses a customer managed key)",
            w.secret_id
        )
    );
    assert!(!message.contains('\n'), "one line");
}

#[tokio::test]
async fn a_missing_region_is_a_configuration_error_before_any_call() {
    let w = World::new().await;
    let no_region = SdkConfig::builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(long_term_credentials()),
        )
        .endpoint_url(&w.moto)
        .build();
    let settings = hyperdrive_dsql_rotator::config::Settings::from_env(|k| {
        w.env(&[target("orders-db", HOST_A)], &[]).get(k).cloned()
    })
    .unwrap();
    let err = Context::new(settings, &no_region).expect_err("no region, no context");
    let err = hyperdrive_dsql_rotator::dispatch::InvocationError::from(err);
    assert_eq!(err.error_type(), "ConfigurationError");
    assert!(
        err.to_string().starts_with(
            "invalid configuration: AWS_REGION: is not set and no AWS profile gives a region; set AWS_REGION"
        ),
        "{err}"
    );
    assert!(w.emulator.requests().is_empty());
}
