//! The binary's child-process runner, with a tiny shell "function" that talks to the Runtime API with curl.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

const FUNCTION: &str = r#"#!/bin/sh
# A Lambda function in shell: echoes the event, or reports an error when the event has "fail".
api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
headers="$(mktemp)"
echo "function started as $AWS_LAMBDA_FUNCTION_NAME" >&2
while true; do
  event="$(curl -sS -D "$headers" "$api/invocation/next")" || exit 1
  id="$(tr -d '\r' < "$headers" | awk 'tolower($1) == "lambda-runtime-aws-request-id:" {print $2}')"
  case "$event" in
    *fail*) curl -sS -o /dev/null -X POST -H 'Lambda-Runtime-Function-Error-Type: Runtime.Handled' \
              -d '{"errorType":"Boom","errorMessage":"asked to fail"}' "$api/invocation/$id/error" ;;
    *) curl -sS -o /dev/null -X POST -d "{\"echo\":$event}" "$api/invocation/$id/response" ;;
  esac
done
"#;

fn curl_available() -> bool {
    Command::new("sh")
        .args(["-c", "command -v curl"])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lre-test-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("function.sh"), FUNCTION).unwrap();
    dir
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path
}

#[test]
fn run_sends_each_event_and_prints_one_line_per_invocation() {
    if !curl_available() {
        eprintln!("skipped: curl is not installed, the shell test function needs it");
        return;
    }
    let dir = workdir("run");
    let ok = write(&dir, "ok.json", &json!({"source": "aws.events"}));
    let fail = write(&dir, "fail.json", &json!({"fail": true}));
    let output = Command::new(env!("CARGO_BIN_EXE_lambda-runtime-emulator"))
        .args(["run", "--timeout-s", "10", "--event"])
        .arg(&ok)
        .arg("--event")
        .arg(&fail)
        .arg("--event")
        .arg(&ok)
        .args(["--", "sh"])
        .arg(dir.join("function.sh"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "an error makes exit code 1\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("function started as hyperdrive-dsql-rotator"),
        "{stderr}"
    );
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0]["init_ms"].as_f64().unwrap() > 0.0);
    assert!(lines[1].get("init_ms").is_none() && lines[2].get("init_ms").is_none());
    assert_eq!(lines[0]["outcome"], json!("response"));
    assert_eq!(
        lines[0]["response"],
        json!({"echo": {"source": "aws.events"}})
    );
    assert_eq!(lines[1]["outcome"], json!("error"));
    assert_eq!(lines[1]["error_type"], json!("Boom"));
    assert_eq!(lines[1]["error_message"], json!("asked to fail"));
    assert_eq!(lines[2]["outcome"], json!("response"));
    assert!(lines[2]["duration_ms"].as_f64().unwrap() >= 0.0);

    let output = Command::new(env!("CARGO_BIN_EXE_lambda-runtime-emulator"))
        .args(["run", "--event"])
        .arg(&ok)
        .args(["--", "sh"])
        .arg(dir.join("function.sh"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cold_start_measures_each_run() {
    if !curl_available() {
        eprintln!("skipped: curl is not installed, the shell test function needs it");
        return;
    }
    let dir = workdir("cold");
    let output = Command::new(env!("CARGO_BIN_EXE_lambda-runtime-emulator"))
        .args(["cold-start", "--runs", "3", "--", "sh"])
        .arg(dir.join("function.sh"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["runs"], json!(3));
    let min = summary["min_ms"].as_f64().unwrap();
    let median = summary["median_ms"].as_f64().unwrap();
    let max = summary["max_ms"].as_f64().unwrap();
    assert!(0.0 < min && min <= median && median <= max, "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn launch_errors_exit_2() {
    let bin = env!("CARGO_BIN_EXE_lambda-runtime-emulator");
    let missing = Command::new(bin)
        .args(["run", "--", "/nonexistent/function"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let exits = Command::new(bin)
        .args(["run", "--", "sh", "-c", "exit 3"])
        .output()
        .unwrap();
    assert_eq!(exits.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&exits.stderr).contains("exited before polling"));
    let usage = Command::new(bin).args(["run"]).output().unwrap();
    assert_eq!(usage.status.code(), Some(2));
    assert!(Command::new(bin)
        .arg("--help")
        .output()
        .unwrap()
        .status
        .success());
}
