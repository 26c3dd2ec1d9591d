//! The command-line mode: the real binary against moto and the emulator; its report on stdout, its
//! logs on stderr, and its exit codes (0 all good, 1 a target failed, 2 bad configuration/event).

mod support;

use hyperdrive_dsql_rotator::report::{Report, Summary};
use std::collections::HashMap;
use std::process::Stdio;
use support::*;
use tokio::io::AsyncWriteExt;

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn report(&self) -> Report {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON report ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// Runs the binary with only `env` (and AWS settings for moto) in its environment.
async fn run(
    w: &World,
    env: &HashMap<String, String>,
    args: &[&str],
    stdin: Option<&str>,
) -> Outcome {
    let mut cmd = child(env!("CARGO_BIN_EXE_hyperdrive-dsql-rotator"), w, env);
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .envs(env)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).await.unwrap();
        drop(pipe);
    }
    let out = child.wait_with_output().await.unwrap();
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn a_good_run_prints_the_report_and_exits_0() {
    let w = World::new().await;
    let id = w
        .emulator
        .insert_config(ACCOUNT, preset("orders-db", HOST_A));
    let out = run(&w, &w.env(&two_targets(), &[]), &[], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report = out.report();
    assert_eq!(
        report.summary,
        Summary {
            created: 1,
            updated: 1,
            failed: 0,
            planned: 0
        }
    );
    assert_eq!(report.results[0].config_id.as_deref(), Some(id.as_str()));
    assert!(!report.dry_run);
    for at in [&report.started_at, &report.finished_at] {
        assert!(hyperdrive_emulator::parse_rfc3339(at).is_ok(), "{at}");
    }
    assert!(
        out.stderr.contains("run finished"),
        "logs go to stderr: {}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("_aws"),
        "no metric line in the command line's report"
    );
}

#[tokio::test]
async fn a_failed_target_exits_1_with_the_report() {
    let w = World::new().await;
    w.refuse_tokens_for(HOST_B);
    let out = run(&w, &w.env(&two_targets(), &[]), &[], None).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.report();
    assert_eq!(report.summary.failed, 1);
    assert_eq!(
        report.results[1].error.as_ref().unwrap().cloudflare_codes,
        [2013]
    );
    assert!(out.stderr.contains("target failed"));
}

#[tokio::test]
async fn bad_configuration_exits_2_before_any_call() {
    let w = World::new().await;
    let mut env = w.env(&two_targets(), &[("TOKEN_TTL_SECONDS", "9999999")]);
    env.remove("HYPERDRIVE_TARGETS");
    let out = run(&w, &env, &[], None).await;
    assert_eq!(out.code, 2);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr
            .contains("TOKEN_TTL_SECONDS: \"9999999\" is not a whole number from 1 to 604800"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("HYPERDRIVE_TARGETS: is not set"),
        "{}",
        out.stderr
    );
    assert!(w.emulator.requests().is_empty());
}

#[tokio::test]
async fn dry_run_flag_writes_nothing() {
    let w = World::new().await;
    let out = run(&w, &w.env(&two_targets(), &[]), &["--dry-run"], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.report().summary.planned, 2);
    assert!(w.writes().is_empty());
}

#[tokio::test]
async fn events_come_from_a_file_or_stdin() {
    let w = World::new().await;
    let env = w.env(&two_targets(), &[]);
    let out = run(&w, &env, &["--event", "events/single-target.json"], None).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.report().results.len(), 1);

    let out = run(
        &w,
        &env,
        &["--event", "-"],
        Some(r#"{"detail": "{\"dry_run\": true}"}"#),
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.report().dry_run);
}

#[tokio::test]
async fn a_bad_event_or_argument_exits_2_before_any_call() {
    let w = World::new().await;
    let env = w.env(&two_targets(), &[]);
    let cases: [(&[&str], Option<&str>, &str); 4] = [
        (
            &["--event", "-"],
            Some(r#"{"targets": ["nope"]}"#),
            "\"nope\" is not a configured target",
        ),
        (&["--event", "-"], Some("[]"), "not a JSON object"),
        (
            &["--event", "/nonexistent.json"],
            None,
            "--event /nonexistent.json",
        ),
        (&["--dryrun"], None, "unknown argument"),
    ];
    for (args, stdin, text) in cases {
        let out = run(&w, &env, args, stdin).await;
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(text), "{args:?}: {}", out.stderr);
    }
    assert!(w.emulator.requests().is_empty());
}

#[tokio::test]
async fn help_and_version() {
    let w = World::new().await;
    let out = run(&w, &HashMap::new(), &["--help"], None).await;
    assert_eq!(out.code, 0);
    assert!(out
        .stdout
        .contains("Usage: hyperdrive-dsql-rotator [rotate|revoke|status] [--force] [--dry-run]"));
    let out = run(&w, &HashMap::new(), &["--version"], None).await;
    assert_eq!(
        out.stdout.trim(),
        format!("hyperdrive-dsql-rotator {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn a_missing_region_exits_2_naming_aws_region() {
    let w = World::new().await;
    let mut cmd = child(
        env!("CARGO_BIN_EXE_hyperdrive-dsql-rotator"),
        &w,
        &w.env(&two_targets(), &[]),
    );
    let out = cmd
        .env_remove("AWS_REGION")
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("invalid configuration: AWS_REGION: is not set"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    assert!(w.emulator.requests().is_empty());
}

#[tokio::test]
async fn no_credentials_at_all_fail_in_one_short_line() {
    let w = World::new().await;
    // No AWS credentials in the environment, no profile, no metadata service.
    let mut cmd = child(
        env!("CARGO_BIN_EXE_hyperdrive-dsql-rotator"),
        &w,
        &w.env(&two_targets(), &[]),
    );
    let out = cmd.stdin(Stdio::null()).output().await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Report = serde_json::from_slice(&out.stdout).unwrap();
    for r in &report.results {
        let e = r.error.as_ref().unwrap();
        assert!(e.message.len() < 400, "{}", e.message);
        assert!(!e.message.contains('\n'), "{}", e.message);
    }
}
