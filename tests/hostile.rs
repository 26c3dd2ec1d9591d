//! Answers nobody designed for, from a hostile or broken Cloudflare or AWS: no secret printed in
//! any form, memory bounded whatever the body (peak RSS of the binary measured here), no panic on
//! extreme values, no write outside the configs API, one config per name when runs race, and no
//! write on a mistyped event.

mod support;

use hyperdrive_dsql_rotator::dispatch::InvocationError;
use hyperdrive_dsql_rotator::report::{ErrorKind, Outcome, Report};
use serde_json::json;
use std::collections::HashMap;
use std::io::Read;
use std::process::Stdio;
use std::time::Duration;
use support::aws::*;
use support::hostile::{Answer, Body, Hostile, Seen};
use support::*;

const CONFIG_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";

/// A list answer holding one config, `orders-db`.
fn listing() -> Answer {
    Answer::json(
        200,
        json!({"success": true, "errors": [], "messages": [], "result": [{"id": CONFIG_ID, "name": "orders-db"}],
               "result_info": {"page": 1, "per_page": 100, "count": 1, "total_count": 1}}),
    )
}

/// A stand-in Cloudflare that lists `result` and accepts every write, and a run of `orders-db`
/// against it: its report.
async fn run_listing(w: &World, result: serde_json::Value) -> (Report, Hostile) {
    let cloudflare = Hostile::start(move |seen| match seen.method.as_str() {
        "GET" => Answer::json(
            200,
            json!({"success": true, "errors": [], "result": result}),
        ),
        _ => written(),
    })
    .await;
    let env = w.env(
        &[target("orders-db", HOST_A)],
        &[("CLOUDFLARE_API_BASE_URL", &cloudflare.base_url())],
    );
    (
        run_report(&w.context(&env), Duration::from_secs(20)).await,
        cloudflare,
    )
}

fn written() -> Answer {
    Answer::json(
        200,
        json!({"success": true, "errors": [], "messages": [], "result": {"id": CONFIG_ID, "name": "orders-db"}}),
    )
}

/// Lists `orders-db`, and answers its PATCH with `patch`.
fn on_patch(
    patch: impl Fn(&Seen) -> Answer + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Answer + Send + Sync + 'static {
    move |seen| match seen.method.as_str() {
        "GET" => listing(),
        _ => patch(seen),
    }
}

/// Every form a secret could be echoed in, and its parts (signature, session token).
fn forms_of(token: &str) -> Vec<String> {
    let mut out = vec![token.to_owned()];
    let decoded = percent_encoding::percent_decode_str(token)
        .decode_utf8_lossy()
        .into_owned();
    out.push(decoded.clone());
    out.push(signature(token));
    if let Some(session) = token.split("X-Amz-Security-Token=").nth(1) {
        let session = session.split('&').next().unwrap();
        out.push(session.to_owned());
        out.push(
            percent_encoding::percent_decode_str(session)
                .decode_utf8_lossy()
                .into_owned(),
        );
    }
    out
}

fn assert_none_in(secrets: &[String], what: &str, text: &str) {
    for s in secrets.iter().filter(|s| s.len() >= 16) {
        if let Some(at) = text.find(s.as_str()) {
            let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let to = text[at..].find('\n').map_or(text.len(), |i| at + i);
            let line: String = text[from..to].chars().take(3000).collect();
            panic!("a secret appears in the {what}, in: {line}");
        }
    }
}

#[tokio::test]
async fn an_echoed_password_in_any_form_is_never_printed() {
    let w = World::with_credentials(execution_role_credentials()).await;
    let cloudflare = Hostile::start(on_patch(|seen| {
        let token = seen.password().unwrap();
        let decoded = percent_encoding::percent_decode_str(&token).decode_utf8_lossy().into_owned();
        let go_json = serde_json::to_string(&token).unwrap().replace('&', "\\u0026");
        let tail = token.split("X-Amz-Signature=").nth(1).unwrap().to_owned();
        let session = decoded.split("X-Amz-Security-Token=").nth(1).unwrap().split('&').next().unwrap().to_owned();
        Answer::json(400, json!({"success": false, "messages": [], "result": null, "errors": [
            {"code": 2013, "message": format!("password authentication failed: {token}")},
            {"code": 2013, "message": format!("password was {decoded}")},
            {"code": 2013, "message": format!("request {{\"password\":{go_json}}}")},
            {"code": 2013, "message": format!("signature {tail} does not match")},
            {"code": 2013, "message": format!("session {session} expired\n\u{1b}[31mforged log line")},
        ]}))
    }))
    .await;
    let env = w.env(
        &[target("orders-db", HOST_A)],
        &[("CLOUDFLARE_API_BASE_URL", &cloudflare.base_url())],
    );
    let capture = Capture::default();
    let report = {
        let _logs = capture.install();
        run_report(&w.context(&env), Duration::from_secs(30)).await
    };
    let sent = cloudflare
        .seen()
        .iter()
        .find_map(Seen::password)
        .expect("a PATCH carried a token");
    let mut secrets = forms_of(&sent);
    secrets.push(SESSION_TOKEN.to_owned());
    secrets.push(SECRET_KEY.to_owned());
    secrets.push(CF_TOKEN.to_owned());
    let (kind, message) = &errors(&report)[0];
    assert_eq!(*kind, Some(ErrorKind::OriginRefused));
    assert!(message.contains("<redacted>"), "{message}");
    assert!(
        !message.contains('\n') && !message.contains('\u{1b}'),
        "{message}"
    );
    assert_none_in(&secrets, "report", &serde_json::to_string(&report).unwrap());
    let logs = capture.text();
    assert!(logs.contains("target failed"), "the capture works");
    assert_none_in(&secrets, "logs", &logs);
    assert!(
        !logs.lines().any(|l| l.starts_with("\u{1b}[31mforged")),
        "no forged log line"
    );
}

#[tokio::test]
async fn malformed_aws_answers_with_secrets_in_the_body_print_none_of_them() {
    const ROLE: &str = "arn:aws:iam::123456789012:role/dsql-signer";
    const STS_SECRET: &str = "stsSecretAccessKey/MalformedAnswer0123456789";
    const STS_SESSION: &str = "FwoGZXIvYXdzMalformedStsSessionToken0123456789abcdef";
    let sts_body = format!(
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult><Credentials>\
         <AccessKeyId>ASIAMALFORMED0000001</AccessKeyId><SecretAccessKey>{STS_SECRET}</SecretAccessKey>\
         <SessionToken>{STS_SESSION}</SessionToken><Expiration>some day soon</Expiration></Credentials>\
         </AssumeRoleResult></AssumeRoleResponse>"
    );
    /// What fails, the fake AWS answer, and the extra environment.
    type Case<'a> = (
        &'a str,
        Box<dyn Fn(&str, &str) -> (u16, String) + Send + Sync>,
        Vec<(&'a str, &'a str)>,
    );
    let cases: Vec<Case> = vec![
        (
            "Secrets Manager answers a cut JSON",
            Box::new(|_, _| {
                (
                    200,
                    format!(
                        r#"{{"Name": "cf", "SecretString": "{{\"api_token\": \"{CF_TOKEN}\"}}"#
                    ),
                )
            }),
            vec![],
        ),
        (
            "Secrets Manager answers a bad date",
            Box::new(|_, _| {
                (
                    200,
                    json!({"Name": "cf", "SecretString": CF_TOKEN, "CreatedDate": "yesterday"})
                        .to_string(),
                )
            }),
            vec![],
        ),
        (
            "STS answers a bad expiry",
            Box::new(move |service, _| {
                if service == "sts" {
                    (200, sts_body.clone())
                } else {
                    secret_ok()
                }
            }),
            vec![("SIGNER_ROLE_ARN", ROLE)],
        ),
    ];
    let secrets: Vec<String> = [CF_TOKEN, STS_SECRET, STS_SESSION]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    for (what, answer, extra) in cases {
        let w = World::new().await;
        let sdk = aws_answering(answer).await;
        let context = w.context_on(&sdk, &w.env(&[target("orders-db", HOST_A)], &extra));
        let capture = Capture::default();
        let report = {
            let _logs = capture.install();
            run_report(&context, Duration::from_secs(20)).await
        };
        let (kind, message) = &errors(&report)[0];
        assert_eq!(
            *kind,
            Some(ErrorKind::MalformedResponse),
            "{what}: {message}"
        );
        assert!(
            message.contains("could not be read as the API promises"),
            "{what}: {message}"
        );
        assert_none_in(&secrets, "report", &serde_json::to_string(&report).unwrap());
        assert_none_in(&secrets, "logs", &capture.text());
        assert!(
            w.emulator.requests().is_empty(),
            "{what}: Cloudflare was called"
        );
    }
}

/// The binary run once from the command line against `cloudflare`: its exit code, its report, the
/// bytes it printed and its peak RSS in KiB (from the kernel's accounting of the child).
struct Measured {
    code: i32,
    report: Report,
    printed: usize,
    peak_kib: i64,
}

fn run_measured(w: &World, env: &HashMap<String, String>) -> Measured {
    let bin = std::env::var("ROTATOR_RELEASE_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_hyperdrive-dsql-rotator").to_owned());
    // The peak comes from a small Python parent's account of its child (getrusage): a child forked
    // from this test process would count this process's size as its own until it execs.
    let peak_file = std::env::temp_dir().join(unique("peak-rss"));
    let wrapper = "import resource, subprocess, sys\n\
        code = subprocess.run(sys.argv[2:]).returncode\n\
        open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n\
        sys.exit(code)";
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(wrapper)
        .arg(&peak_file)
        .arg(bin)
        .args(["--timeout", "30"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(child_aws_env(w))
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .envs(env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let status = child.wait().unwrap();
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    let report = serde_json::from_slice(&out).unwrap_or_else(|e| {
        panic!(
            "no report on stdout ({e}); stderr ends with: {}",
            String::from_utf8_lossy(&err[err.len().saturating_sub(2000)..])
        )
    });
    let peak_kib = std::fs::read_to_string(&peak_file)
        .expect("the wrapper wrote the peak")
        .trim()
        .parse()
        .unwrap();
    let _ = std::fs::remove_file(&peak_file);
    Measured {
        code: status.code().unwrap_or(-1),
        report,
        printed: out.len() + err.len(),
        peak_kib,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_stays_bounded_and_output_small_whatever_the_body() {
    let w = World::new().await;
    let env_for = |c: &Hostile| {
        w.env(
            &[target("orders-db", HOST_A)],
            &[("CLOUDFLARE_API_BASE_URL", &c.base_url())],
        )
    };

    let normal = Hostile::start(on_patch(|_| written())).await;
    let baseline = tokio::task::block_in_place(|| run_measured(&w, &env_for(&normal)));
    assert_eq!(baseline.code, 0);
    assert_eq!(baseline.report.results[0].outcome, Outcome::Updated);

    let html = b"<html><body>502 Bad Gateway".repeat(64);
    let errors_200k = {
        let entries: Vec<String> = (0..200_000)
            .map(|i| {
                format!(
                    r#"{{"code":{},"message":"error number {i}"}}"#,
                    1000 + i % 7
                )
            })
            .collect();
        format!(
            r#"{{"success":false,"messages":[],"result":null,"errors":[{}]}}"#,
            entries.join(",")
        )
    };
    let cases: Vec<(&str, Hostile, ErrorKind)> = vec![
        (
            "a 50 MB 502 on the list, retried",
            Hostile::start(move |_| Answer {
                status: 502,
                headers: vec![("content-type".into(), "text/html".into())],
                body: Body::Repeat {
                    chunk: html.clone(),
                    times: 50 * 1024 * 1024 / html.len(),
                },
            })
            .await,
            ErrorKind::CloudflareUnavailable,
        ),
        (
            "a 400 with 200,000 errors",
            Hostile::start(on_patch(move |_| Answer {
                status: 400,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Body::Bytes(errors_200k.clone().into_bytes()),
            }))
            .await,
            ErrorKind::CloudflareRejected,
        ),
        (
            "an endless 200 on the list",
            Hostile::start(|_| Answer {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Body::Endless(
                    br#"{"success":true,"result":[{"id":"x","name":"y"},"#.repeat(100),
                ),
            })
            .await,
            ErrorKind::MalformedResponse,
        ),
    ];
    for (what, cloudflare, kind) in cases {
        let m = tokio::task::block_in_place(|| run_measured(&w, &env_for(&cloudflare)));
        assert_eq!(m.code, 1, "{what}");
        let error = m.report.results[0].error.as_ref().unwrap();
        assert_eq!(error.kind, kind, "{what}: {}", error.message);
        println!(
            "{what}: peak RSS {} KiB (normal run {} KiB), printed {} bytes",
            m.peak_kib, baseline.peak_kib, m.printed
        );
        assert!(
            m.peak_kib <= baseline.peak_kib + 16 * 1024,
            "{what}: peak RSS {} KiB, a normal run {} KiB",
            m.peak_kib,
            baseline.peak_kib
        );
        assert!(
            m.printed < 256 * 1024,
            "{what}: printed {} bytes",
            m.printed
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extreme_retry_after_ends_the_retries_without_a_panic() {
    let w = World::new().await;
    let cloudflare = Hostile::start(|_| {
        Answer::json(
            429,
            json!({"success": false, "errors": [{"code": 971, "message": "slow down"}]}),
        )
        .with_header("retry-after", "18446744073709551615")
    })
    .await;
    let env = w.env(
        &[target("orders-db", HOST_A)],
        &[("CLOUDFLARE_API_BASE_URL", &cloudflare.base_url())],
    );
    let m = tokio::task::block_in_place(|| run_measured(&w, &env));
    assert_eq!(m.code, 1, "a report and exit 1, not a panic (101)");
    let error = m.report.results[0].error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert!(
        error.message.contains("would pass the invocation deadline"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn hostile_config_ids_are_refused_and_nothing_is_written() {
    for id in [
        "../../../../../../evil/path",
        "023e105f4ecef8ad9ca31a8372d0c353?x=1",
        "%2e%2e%2fevil",
    ] {
        let w = World::new().await;
        let (report, cloudflare) = run_listing(&w, json!([{"id": id, "name": "orders-db"}])).await;
        let (kind, message) = &errors(&report)[0];
        assert_eq!(*kind, Some(ErrorKind::MalformedResponse), "{id}: {message}");
        assert!(
            message.contains("not 32 hexadecimal characters"),
            "{message}"
        );
        let seen: Vec<String> = cloudflare
            .seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect();
        assert!(
            seen.iter().all(|s| s.starts_with("GET /client/v4/")),
            "only reads, nothing written: {id}: {seen:?}"
        );
    }
}

/// Two runs create the same new target at once (the emulator adds latency so that both list
/// before either creates). Whether Cloudflare refuses the second create (409) or accepts it, one
/// config is left, neither run fails, and the next run is clean.
#[tokio::test]
async fn two_runs_creating_the_same_target_at_once_leave_one_config() {
    for allow_duplicate_names in [false, true] {
        let w = World::with_options(long_term_credentials(), |o| {
            o.latency = Duration::from_millis(150);
            o.allow_duplicate_names = allow_duplicate_names;
        })
        .await;
        let env = w.env(&[target("orders-db", HOST_A)], &[]);
        let (a, b) = (w.context(&env), w.context(&env));
        let (first, second) = tokio::join!(
            run_report(&a, Duration::from_secs(30)),
            run_report(&b, Duration::from_secs(30))
        );
        let configs = w.emulator.configs(ACCOUNT);
        assert_eq!(
            configs.len(),
            1,
            "duplicates allowed: {allow_duplicate_names}: {first:#?} {second:#?}"
        );
        for r in [&first, &second] {
            let result = result(r, "orders-db");
            assert!(result.error.is_none(), "{r:#?}");
            assert_eq!(result.config_id.as_deref(), Some(configs[0].id.as_str()));
        }
        let posts = w.calls().iter().filter(|c| c.starts_with("POST")).count();
        assert_eq!(posts, 2, "both runs did create: the race happened");
        let deletes = w.calls().iter().filter(|c| c.starts_with("DELETE")).count();
        assert_eq!(
            deletes,
            usize::from(allow_duplicate_names),
            "only a run's own config is deleted"
        );
        // The next run finds one config and updates it.
        let next = run_report(&w.context(&env), Duration::from_secs(30)).await;
        assert_eq!(result(&next, "orders-db").outcome, Outcome::Updated);
        assert_eq!(w.emulator.configs(ACCOUNT).len(), 1);
    }
}

#[tokio::test]
async fn a_config_listed_twice_is_one_config() {
    let w = World::new().await;
    let twice = json!({"id": CONFIG_ID, "name": "orders-db"});
    let (report, _cloudflare) = run_listing(&w, json!([twice, twice])).await;
    let r = result(&report, "orders-db");
    assert!(r.error.is_none(), "{report:#?}");
    assert_eq!(
        (r.outcome, r.config_id.as_deref()),
        (Outcome::Updated, Some(CONFIG_ID))
    );
}

#[tokio::test]
async fn mistyped_event_keys_write_nothing() {
    let w = World::new().await;
    let h = w.handler(&[target("orders-db", HOST_A)], &[]);
    for payload in [
        json!({"dryRun": true}),
        json!({"DRY_RUN": true}),
        json!({"target": ["orders-db"]}),
        json!({"detail": "dry_run=true"}),
    ] {
        let err = h.handle(event(payload.clone(), 60)).await.unwrap_err();
        assert!(
            matches!(err, InvocationError::InvalidEvent(_)),
            "{payload}: {err}"
        );
    }
    assert!(w.emulator.requests().is_empty());
}
