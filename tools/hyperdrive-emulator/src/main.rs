//! `hyperdrive-emulator`: runs the emulator until Ctrl-C / SIGTERM. Prints one line
//! `hyperdrive-emulator listening on http://127.0.0.1:PORT/client/v4` on stdout once ready.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use hyperdrive_emulator::{Emulator, Fault, Options, SigningCredentials};
use serde_json::Value;

const USAGE: &str = "\
Usage: hyperdrive-emulator [OPTIONS]

Emulates the Cloudflare Hyperdrive configs API on a loopback address.

Options:
  --listen ADDR                   loopback address to listen on (default 127.0.0.1:8787; port 0 = any free port)
  --token-file FILE               file holding the API bearer token to accept
  --token-env VAR                 environment variable holding the API bearer token to accept
  --state FILE                    preset configs: {\"<account_id>\": [{\"name\": ..., \"origin\": {...}}, ...]}
  --faults FILE                   fault rules (JSON list, see README.md)
  --account-tokens FILE           account-owned API tokens, each accepted for its account: {\"<account_id>\": \"<token>\"}
  --credentials FILE              signing credentials to check tokens against (JSON, see README.md)
  --latency-ms N                  latency added to every API call
  --max-configs-per-account N     refuse creating more than N configs per account
  --allow-duplicate-names         accept a create with a name already in the account (default: 409)
  -h, --help                      print this help

One of --token-file / --token-env is required (the token is never taken on the command line).
Admin API (no auth): GET /__admin/configs, GET /__admin/requests, PUT /__admin/faults, PUT /__admin/credentials,
PUT /__admin/clock, POST /__admin/configs/{account_id}, POST /__admin/reset.";

#[derive(Default)]
struct Args {
    listen: Option<SocketAddr>,
    token_file: Option<PathBuf>,
    token_env: Option<String>,
    state: Option<PathBuf>,
    faults: Option<PathBuf>,
    credentials: Option<PathBuf>,
    account_tokens: Option<PathBuf>,
    latency_ms: u64,
    max_configs: Option<usize>,
    allow_duplicate_names: bool,
    help: bool,
}

fn parse_args(argv: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (flag.clone(), None),
        };
        if name == "-h" || name == "--help" {
            args.help = true;
            continue;
        }
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--listen" => {
                let v = value()?;
                args.listen = Some(v.parse().map_err(|_| {
                    format!("--listen {v:?} is not an address like 127.0.0.1:8787")
                })?);
            }
            "--token-file" => args.token_file = Some(PathBuf::from(value()?)),
            "--token-env" => args.token_env = Some(value()?),
            "--state" => args.state = Some(PathBuf::from(value()?)),
            "--faults" => args.faults = Some(PathBuf::from(value()?)),
            "--credentials" => args.credentials = Some(PathBuf::from(value()?)),
            "--account-tokens" => args.account_tokens = Some(PathBuf::from(value()?)),
            "--latency-ms" => {
                let v = value()?;
                args.latency_ms = v
                    .parse()
                    .map_err(|_| format!("--latency-ms {v:?} is not a whole number"))?;
            }
            "--allow-duplicate-names" => args.allow_duplicate_names = true,
            "--max-configs-per-account" => {
                let v = value()?;
                args.max_configs = Some(v.parse().map_err(|_| {
                    format!("--max-configs-per-account {v:?} is not a whole number")
                })?);
            }
            "--token" => {
                return Err(
                    "--token is not accepted: pass the token with --token-file or --token-env"
                        .into(),
                )
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn read_json(flag: &str, path: &PathBuf) -> Result<Value, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{flag} {}: {e}", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{flag} {}: not valid JSON: {e}", path.display()))
}

fn read_token(args: &Args) -> Result<String, String> {
    let token = match (&args.token_file, &args.token_env) {
        (Some(_), Some(_)) => return Err("give only one of --token-file and --token-env".into()),
        (Some(file), None) => std::fs::read_to_string(file)
            .map_err(|e| format!("--token-file {}: {e}", file.display()))?,
        (None, Some(var)) => std::env::var(var)
            .map_err(|_| format!("--token-env: environment variable {var} is not set"))?,
        (None, None) => {
            return Err("an API token is required: --token-file FILE or --token-env VAR".into())
        }
    };
    let token = token.trim().to_string();
    if token.is_empty() {
        return Err("the API token is empty".into());
    }
    Ok(token)
}

async fn run(args: Args) -> Result<(), String> {
    let listen = args
        .listen
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8787)));
    if !listen.ip().is_loopback() {
        return Err(format!(
            "refusing to listen on {listen}: only loopback addresses are allowed"
        ));
    }
    let mut options = Options::new(read_token(&args)?);
    options.latency = Duration::from_millis(args.latency_ms);
    options.max_configs_per_account = args.max_configs;
    options.allow_duplicate_names = args.allow_duplicate_names;
    if let Some(path) = &args.faults {
        options.faults = serde_json::from_value::<Vec<Fault>>(read_json("--faults", path)?)
            .map_err(|e| format!("--faults {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.account_tokens {
        options.account_tokens = serde_json::from_value(read_json("--account-tokens", path)?)
            .map_err(|_| {
                format!(
                    "--account-tokens {}: not an object from account id to token",
                    path.display()
                )
            })?;
    }
    if let Some(path) = &args.credentials {
        options.credentials = SigningCredentials::from_json(&read_json("--credentials", path)?)
            .map_err(|e| format!("--credentials {}: {e}", path.display()))?;
    }
    let state = args
        .state
        .as_ref()
        .map(|p| read_json("--state", p))
        .transpose()?;

    let emulator = Emulator::start_on(listen, options)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    emulator.set_logging(true);
    if let Some(state) = &state {
        let ids = emulator
            .insert_state(state)
            .map_err(|e| format!("--state: {e}"))?;
        eprintln!("hyperdrive-emulator: loaded {} preset config(s)", ids.len());
    }
    let mut stdout = std::io::stdout();
    let _ = writeln!(
        stdout,
        "hyperdrive-emulator listening on {}",
        emulator.base_url()
    );
    let _ = stdout.flush();

    wait_for_signal().await;
    eprintln!("hyperdrive-emulator: shutting down");
    emulator.shutdown().await;
    Ok(())
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("hyperdrive-emulator: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.help {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hyperdrive-emulator: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hyperdrive-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}
