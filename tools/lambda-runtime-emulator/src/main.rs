//! `lambda-runtime-emulator`: runs a function binary against the emulated Runtime API.
//! `run` sends events and prints one JSON line per invocation; `cold-start` measures spawn -> first `/next`.

use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::{Duration, Instant};

use lambda_runtime_emulator::{lambda_env, Invocation, Outcome, RuntimeApi};
use serde_json::{json, Map, Value};
use tokio::process::{Child, Command};

/// Like Lambda's init phase limit.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

const USAGE: &str = "\
Usage:
  lambda-runtime-emulator run [--timeout-s N] [--event FILE]... [--function-name NAME] -- <command> [args...]
  lambda-runtime-emulator cold-start --runs N [--function-name NAME] -- <command> [args...]

run          starts the Runtime API, spawns <command> with the Lambda environment added, waits for its first
             poll (at most 10 s), sends each event in turn (default: one `{}` event) with a deadline of
             --timeout-s seconds (default 30), kills the command and prints one JSON line per invocation:
             {\"init_ms\" (first line only), \"request_id\", \"duration_ms\", \"outcome\": \"response\"|\"error\"|\"no_answer\",
              \"response\" | \"error_type\", \"error_message\", \"peak_rss_kb\" (the command's peak RSS so far)}.
             Exit code: 0 when every invocation got a response, 1 when any did not, 2 on usage or launch errors.
cold-start   N times: spawn <command>, measure spawn -> first /next, kill it. Prints
             {\"runs\", \"median_ms\", \"p10_ms\", \"p90_ms\", \"min_ms\", \"max_ms\"}.

The command's stdout and stderr go to this program's stderr; stdout carries only the JSON results.";

#[derive(Debug, PartialEq)]
enum Cli {
    Help,
    Run {
        timeout: Duration,
        events: Vec<PathBuf>,
        function_name: String,
        command: Vec<String>,
    },
    ColdStart {
        runs: usize,
        function_name: String,
        command: Vec<String>,
    },
}

fn parse_args(argv: Vec<String>) -> Result<Cli, String> {
    let Some((sub, rest)) = argv.split_first() else {
        return Err("missing subcommand (run or cold-start)".into());
    };
    if sub == "-h" || sub == "--help" || sub == "help" {
        return Ok(Cli::Help);
    }
    let split = rest.iter().position(|a| a == "--");
    let (flags, command) = match split {
        Some(i) => (&rest[..i], rest[i + 1..].to_vec()),
        None => (rest, Vec::new()),
    };
    let mut timeout = Duration::from_secs(30);
    let mut events = Vec::new();
    let mut runs = None;
    let mut function_name = "hyperdrive-dsql-rotator".to_string();
    let mut it = flags.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match (sub.as_str(), flag.as_str()) {
            (_, "-h" | "--help") => return Ok(Cli::Help),
            ("run", "--timeout-s") => {
                let v = value()?;
                timeout = v
                    .parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0)
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .ok_or_else(|| {
                        format!("--timeout-s {v:?} is not a positive number of seconds")
                    })?;
            }
            ("run", "--event") => events.push(PathBuf::from(value()?)),
            ("cold-start", "--runs") => {
                let v = value()?;
                runs = Some(
                    v.parse::<usize>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("--runs {v:?} is not a positive whole number"))?,
                );
            }
            (_, "--function-name") => function_name = value()?,
            _ => return Err(format!("unknown argument {flag:?} for {sub}")),
        }
    }
    if command.is_empty() {
        return Err("missing the function command after --".into());
    }
    match sub.as_str() {
        "run" => Ok(Cli::Run {
            timeout,
            events,
            function_name,
            command,
        }),
        "cold-start" => Ok(Cli::ColdStart {
            runs: runs.ok_or("cold-start needs --runs N")?,
            function_name,
            command,
        }),
        other => Err(format!("unknown subcommand {other:?}")),
    }
}

fn spawn(command: &[String], api: &RuntimeApi, function_name: &str) -> Result<Child, String> {
    let (program, args) = command.split_first().ok_or("empty command")?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(lambda_env(&api.address(), function_name))
        .stdin(Stdio::null())
        .stdout(Stdio::from(std::io::stderr()))
        .stderr(Stdio::from(std::io::stderr()))
        .kill_on_drop(true);
    cmd.spawn()
        .map_err(|e| format!("cannot start {program:?}: {e}"))
}

/// Kills the child by its PID (SIGKILL) and reaps it.
async fn kill(child: &mut Child) {
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// Waits for the first `/next`; fails if the process exits first or takes longer than `INIT_TIMEOUT`.
async fn wait_ready(
    api: &RuntimeApi,
    child: &mut Child,
    spawned: Instant,
) -> Result<Duration, String> {
    tokio::select! {
        polled = api.wait_first_poll(INIT_TIMEOUT) => match polled {
            Some(at) => Ok(at.saturating_duration_since(spawned)),
            None => Err(format!("the function did not poll /next within {} s", INIT_TIMEOUT.as_secs())),
        },
        status = child.wait() => {
            let status = status.map_or_else(|e| e.to_string(), |s| s.to_string());
            let init_error = api.init_error().map(|e| format!("; init error: {e}")).unwrap_or_default();
            Err(format!("the function exited before polling /next ({status}){init_error}"))
        }
    }
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

fn invocation_line(inv: &Invocation, init: Option<Duration>) -> Value {
    let mut line = Map::new();
    if let Some(init) = init {
        line.insert("init_ms".into(), json!(ms(init)));
    }
    line.insert("request_id".into(), json!(inv.request_id));
    line.insert("duration_ms".into(), json!(ms(inv.duration)));
    match &inv.outcome {
        Outcome::Response(v) => {
            line.insert("outcome".into(), json!("response"));
            line.insert("response".into(), v.clone());
        }
        Outcome::Error {
            error_type,
            error_message,
        } => {
            line.insert("outcome".into(), json!("error"));
            line.insert("error_type".into(), json!(error_type));
            line.insert("error_message".into(), json!(error_message));
        }
        Outcome::NoAnswer => {
            line.insert("outcome".into(), json!("no_answer"));
        }
    }
    Value::Object(line)
}

fn read_events(paths: &[PathBuf]) -> Result<Vec<Value>, String> {
    if paths.is_empty() {
        return Ok(vec![json!({})]);
    }
    paths
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).map_err(|e| format!("--event {}: {e}", p.display()))?;
            serde_json::from_str(&text)
                .map_err(|e| format!("--event {}: not valid JSON: {e}", p.display()))
        })
        .collect()
}

/// Returns the exit code (0 or 1), or a launch error.
async fn run(
    timeout: Duration,
    events: &[PathBuf],
    function_name: &str,
    command: &[String],
) -> Result<u8, String> {
    let events = read_events(events)?;
    let api = RuntimeApi::start()
        .await
        .map_err(|e| format!("cannot start the Runtime API: {e}"))?;
    let spawned = Instant::now();
    let mut child = spawn(command, &api, function_name)?;
    let init = match wait_ready(&api, &mut child, spawned).await {
        Ok(init) => init,
        Err(e) => {
            kill(&mut child).await;
            return Err(e);
        }
    };
    let mut all_ok = true;
    let mut first = true;
    for event in events {
        let outcome = tokio::select! {
            inv = api.invoke(event, timeout) => Ok(inv),
            status = child.wait() => Err(status.map_or_else(|e| e.to_string(), |s| s.to_string())),
        };
        let (line, exited) = match outcome {
            Ok(inv) => {
                all_ok &= matches!(inv.outcome, Outcome::Response(_));
                (invocation_line(&inv, first.then_some(init)), false)
            }
            Err(status) => {
                all_ok = false;
                let mut line = json!({"outcome": "no_answer", "error_message": format!("the function process exited ({status})")});
                if first {
                    line["init_ms"] = json!(ms(init));
                }
                (line, true)
            }
        };
        first = false;
        let mut line = line;
        if let Some(kb) = peak_rss_kb(child.id()) {
            line["peak_rss_kb"] = json!(kb);
        }
        println!("{line}");
        if exited {
            break;
        }
    }
    kill(&mut child).await;
    api.shutdown().await;
    Ok(if all_ok { 0 } else { 1 })
}

/// The process's peak resident set size so far (Linux `VmHWM`), in KiB.
fn peak_rss_kb(pid: Option<u32>) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Linear interpolation between closest ranks; `sorted` is not empty.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let low = rank.floor() as usize;
    let high = rank.ceil() as usize;
    let value = sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64);
    (value * 1000.0).round() / 1000.0
}

fn summary(mut samples: Vec<f64>) -> Value {
    samples.sort_by(f64::total_cmp);
    if samples.is_empty() {
        return json!({"runs": 0});
    }
    json!({
        "runs": samples.len(),
        "median_ms": percentile(&samples, 50.0),
        "p10_ms": percentile(&samples, 10.0),
        "p90_ms": percentile(&samples, 90.0),
        "min_ms": samples[0],
        "max_ms": samples[samples.len() - 1],
    })
}

async fn cold_start(runs: usize, function_name: &str, command: &[String]) -> Result<Value, String> {
    let mut samples = Vec::with_capacity(runs);
    for i in 0..runs {
        let api = RuntimeApi::start()
            .await
            .map_err(|e| format!("cannot start the Runtime API: {e}"))?;
        let spawned = Instant::now();
        let mut child = spawn(command, &api, function_name)?;
        let ready = wait_ready(&api, &mut child, spawned).await;
        kill(&mut child).await;
        api.shutdown().await;
        samples.push(ms(ready.map_err(|e| format!("run {}: {e}", i + 1))?));
    }
    Ok(summary(samples))
}

fn main() -> ExitCode {
    let cli = match parse_args(std::env::args().skip(1).collect()) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("lambda-runtime-emulator: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lambda-runtime-emulator: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli {
        Cli::Help => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Cli::Run {
            timeout,
            events,
            function_name,
            command,
        } => runtime.block_on(run(timeout, &events, &function_name, &command)),
        Cli::ColdStart {
            runs,
            function_name,
            command,
        } => runtime
            .block_on(cold_start(runs, &function_name, &command))
            .map(|summary| {
                println!("{summary}");
                0
            }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("lambda-runtime-emulator: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn parses_run_and_cold_start() {
        assert_eq!(
            parse_args(args(
                "run --timeout-s 5 --event a.json --event b.json -- ./f --flag"
            ))
            .unwrap(),
            Cli::Run {
                timeout: Duration::from_secs(5),
                events: vec!["a.json".into(), "b.json".into()],
                function_name: "hyperdrive-dsql-rotator".into(),
                command: args("./f --flag"),
            }
        );
        assert!(matches!(
            parse_args(args("cold-start --runs 3 -- ./f")).unwrap(),
            Cli::ColdStart { runs: 3, .. }
        ));
        for bad in [
            "",
            "run",
            "run -- ",
            "cold-start -- ./f",
            "run --runs 3 -- ./f",
            "run --timeout-s 0 -- ./f",
            "explode -- ./f",
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn percentiles() {
        let s = summary(vec![5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!(
            s,
            json!({"runs": 5, "median_ms": 3.0, "p10_ms": 1.4, "p90_ms": 4.6, "min_ms": 1.0, "max_ms": 5.0})
        );
        assert_eq!(summary(vec![7.0])["p90_ms"], json!(7.0));
    }
}
