//! The command-line entry point: one invocation with the same configuration as the Lambda, the
//! report on stdout, logs on stderr; exit 0 when every target succeeded, 1 when one failed, 2 when
//! the configuration, the event or the arguments are invalid (nothing was called).

mod status;

use crate::aws::sdk::load_config;
use crate::config::Settings;
use crate::context::Context;
use crate::dispatch::{dispatch, InvocationError};
use crate::invocation::{Invocation, Request};
use crate::report::Report;
use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

pub const USAGE: &str = "\
Usage: hyperdrive-dsql-rotator [rotate|revoke|status] [--force] [--dry-run] [--threshold SECONDS]
                               [--event FILE|-] [--timeout SECONDS]

Signs Aurora DSQL auth tokens and upserts one Cloudflare Hyperdrive config per target, once.
Configuration comes from the environment (HYPERDRIVE_TARGETS, CLOUDFLARE_API_TOKEN_SECRET_ID, ...;
see README.md). The run's report (JSON) goes to stdout, logs to stderr.

Actions:
  rotate             (the default) sign a fresh token for every target and push it
  revoke             push fresh tokens everywhere, then invalidate every token signed before: the
                     signer role's older sessions are denied, or the signer keys are rotated and
                     the old key deactivated; a target that does not take its token blocks it
  status             read only: each config's time to dark and the Cloudflare token's expiry; a
                     table on stderr, danger first; exit 1 when a config is dark, missing, failed,
                     or has less than --threshold left

Options:
  --force            revoke even when a target did not take its fresh token (it goes dark)
  --threshold SECS   status: a config with less time left is in danger (default 1800)
  --dry-run          do everything up to the writes; actions are would_create / would_update
  --event FILE|-     read an invocation event (JSON object) from FILE, or stdin with -
  --timeout SECONDS  give up retrying after this long (default 300)
  -h, --help         print this help
  -V, --version      print the version

Exit status: 0 every target succeeded, 1 a target failed, 2 invalid configuration,
event or arguments (nothing was called).
When AWS_LAMBDA_RUNTIME_API is set, it runs as an AWS Lambda function instead.";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Parsed command-line arguments.
#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    /// `rotate` or `revoke`, when given (else the event's, else rotate).
    pub action: Option<String>,
    pub force: bool,
    /// `status`: below this much time left, a config is in danger.
    pub threshold: Duration,
    pub dry_run: bool,
    pub event: Option<String>,
    pub timeout: Duration,
}

/// What the arguments ask for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Args),
    Help,
    Version,
}

pub fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut parsed = Args {
        action: None,
        force: false,
        threshold: status::DEFAULT_THRESHOLD,
        dry_run: false,
        event: None,
        timeout: DEFAULT_TIMEOUT,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value; see --help"))
        };
        match flag.as_str() {
            "--dry-run" => parsed.dry_run = true,
            "--event" => parsed.event = Some(value("--event")?),
            "--timeout" => {
                let v = value("--timeout")?;
                let secs = v
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=86_400).contains(s))
                    .ok_or_else(|| {
                        format!("--timeout {v:?} is not a number of seconds from 1 to 86400")
                    })?;
                parsed.timeout = Duration::from_secs(secs);
            }
            "rotate" | "revoke" | "status" if parsed.action.is_none() => {
                parsed.action = Some(flag.clone())
            }
            "--threshold" => {
                let v = value("--threshold")?;
                let secs = v
                    .parse::<u64>()
                    .map_err(|_| format!("--threshold {v:?} is not a whole number of seconds"))?;
                parsed.threshold = Duration::from_secs(secs);
            }
            "--force" => parsed.force = true,
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            other => return Err(format!("unknown argument {other:?}; see --help")),
        }
    }
    if parsed.force && parsed.action.as_deref() != Some("revoke") {
        return Err("--force goes with revoke only: hyperdrive-dsql-rotator revoke --force".into());
    }
    Ok(Command::Run(parsed))
}

fn read_event(source: Option<&str>) -> Result<serde_json::Value, String> {
    let text = match source {
        None => return Ok(serde_json::json!({})),
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("--event -: could not read stdin: {e}"))?;
            s
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("--event {path}: {e}"))?,
    };
    serde_json::from_str(&text)
        .map_err(|e| format!("--event {}: not JSON ({e})", source.unwrap_or("-")))
}

/// Runs the command line; returns the process exit code.
pub async fn main(args: impl IntoIterator<Item = String>) -> ExitCode {
    crate::logging::init(std::io::stderr);
    let args = match parse_args(args) {
        Ok(Command::Run(a)) => a,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("hyperdrive-dsql-rotator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => return usage_error(&e),
    };
    match invoke(&args).await {
        Ok(report) if args.action.as_deref() == Some("status") => {
            print_report(&report);
            let now = report_time(&report);
            eprint!("{}", status::table(&report, now, args.threshold));
            if status::healthy(&report, now, args.threshold) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Ok(report) => {
            print_report(&report);
            ExitCode::SUCCESS
        }
        Err(InvocationError::TargetsFailed(report)) => {
            print_report(&report);
            if args.action.as_deref() == Some("status") {
                let now = report_time(&report);
                eprint!("{}", status::table(&report, now, args.threshold));
            }
            ExitCode::from(1)
        }
        Err(e @ (InvocationError::Initialization(_) | InvocationError::RotationStepFailed(_))) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
        Err(e) => usage_error(&e.to_string()),
    }
}

/// The invocation the arguments describe, dispatched.
async fn invoke(args: &Args) -> Result<Report, InvocationError> {
    let settings =
        Settings::from_process_env().map_err(|e| InvocationError::Configuration(e.to_string()))?;
    let mut event = read_event(args.event.as_deref()).map_err(InvocationError::InvalidEvent)?;
    if let (Some(action), Some(object)) = (&args.action, event.as_object_mut()) {
        object.insert("action".into(), action.as_str().into());
        if args.force {
            object.insert("force".into(), true.into());
        }
    }
    let mut request =
        Request::from_event(&event).map_err(|e| InvocationError::InvalidEvent(e.to_string()))?;
    request.dry_run |= args.dry_run;
    let context = Context::new(settings, &load_config().await)?;
    let invocation = Invocation {
        request,
        time_limit: args.timeout,
    };
    dispatch(&context, &invocation).await
}

/// When the report was made: the time its "time left" is read at.
fn report_time(report: &Report) -> std::time::SystemTime {
    crate::report::parse_rfc3339(&report.finished_at).unwrap_or(std::time::UNIX_EPOCH)
}

fn print_report(report: &Report) {
    match serde_json::to_string_pretty(report) {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("error: could not print the report: {e}"),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        parse_args(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn flags_are_parsed() {
        assert_eq!(
            parse(&[]).unwrap(),
            Command::Run(Args {
                action: None,
                force: false,
                threshold: status::DEFAULT_THRESHOLD,
                dry_run: false,
                event: None,
                timeout: DEFAULT_TIMEOUT
            })
        );
        assert_eq!(
            parse(&["--dry-run", "--event", "-", "--timeout=30"]).unwrap(),
            Command::Run(Args {
                action: None,
                force: false,
                threshold: status::DEFAULT_THRESHOLD,
                dry_run: true,
                event: Some("-".into()),
                timeout: Duration::from_secs(30)
            })
        );
        assert_eq!(
            parse(&["--event=e.json"]).unwrap(),
            Command::Run(Args {
                action: None,
                force: false,
                threshold: status::DEFAULT_THRESHOLD,
                dry_run: false,
                event: Some("e.json".into()),
                timeout: DEFAULT_TIMEOUT
            })
        );
        assert_eq!(
            parse(&["revoke", "--force", "--dry-run"]).unwrap(),
            Command::Run(Args {
                action: Some("revoke".into()),
                force: true,
                threshold: status::DEFAULT_THRESHOLD,
                dry_run: true,
                event: None,
                timeout: DEFAULT_TIMEOUT
            })
        );
        assert_eq!(parse(&["--help"]).unwrap(), Command::Help);
        assert_eq!(parse(&["-V"]).unwrap(), Command::Version);
    }

    #[test]
    fn bad_arguments_say_what_to_do() {
        assert!(parse(&["--event"])
            .unwrap_err()
            .contains("--event needs a value"));
        assert!(parse(&["--timeout", "0"])
            .unwrap_err()
            .contains("from 1 to 86400"));
        assert!(parse(&["--force"])
            .unwrap_err()
            .contains("goes with revoke only"));
        assert!(parse(&["revoke", "rotate"])
            .unwrap_err()
            .contains("unknown argument \"rotate\""));
        assert!(parse(&["--dryrun"])
            .unwrap_err()
            .contains("unknown argument \"--dryrun\""));
    }
}
