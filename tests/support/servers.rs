//! Servers the tests need, started on free loopback ports once per test binary and stopped by PID
//! when the binary ends: a shell started beside each server waits for this process to exit, then
//! stops the server. A server already running can be named instead (`MOTO_URL`, `PRISM_URL`, as
//! scripts/test.sh and the demo do).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// moto (Secrets Manager, STS): `MOTO_URL`, or one started from `.venv` (installed by the README's
/// test command).
pub fn moto_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        from_env("MOTO_URL").unwrap_or_else(|| {
            let bin = repo().join(".venv/bin/moto_server");
            let port = free_port();
            start(
                "moto",
                &bin,
                &["-H", "127.0.0.1", "-p", &port.to_string()],
                "./scripts/test.sh once (it installs moto into .venv)",
            );
            let url = format!("http://127.0.0.1:{port}");
            wait_http("moto", &format!("{url}/moto-api/"), Duration::from_secs(60));
            url
        })
    })
    .clone()
}

/// Prism serving Cloudflare's schema as a validating mock: `PRISM_URL`, or one started from
/// `tests/contract/node_modules` (installed by the README's test command).
pub fn prism_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        from_env("PRISM_URL").unwrap_or_else(|| {
            let bin = repo().join("tests/contract/node_modules/.bin/prism");
            let schema = repo().join("tools/hyperdrive-emulator/hyperdrive-openapi.json");
            let port = free_port();
            start(
                "prism",
                &bin,
                &[
                    "mock",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                    &schema.display().to_string(),
                ],
                "./scripts/test.sh once (it installs Prism into tests/contract)",
            );
            let url = format!("http://127.0.0.1:{port}");
            wait_http("prism", &format!("{url}/"), Duration::from_secs(60));
            url
        })
    })
    .clone()
}

fn from_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

fn log_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("hdr-test-{name}-{}.log", std::process::id()))
}

/// Starts `bin args` in the background, logging to a temporary file, with a watcher that stops it
/// by PID once this test process has exited. The watcher outlives this process on purpose, so it is
/// never waited for.
#[allow(clippy::zombie_processes)]
fn start(name: &str, bin: &Path, args: &[&str], install: &str) {
    assert!(
        bin.exists(),
        "{} is missing: run {install}, or set the server's URL variable",
        bin.display()
    );
    let script = r#"log="$1"; parent="$2"; shift 2
"$@" >"$log" 2>&1 </dev/null &
server=$!
while kill -0 "$parent" 2>/dev/null && kill -0 "$server" 2>/dev/null; do sleep 0.5; done
kill "$server" 2>/dev/null"#;
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(log_path(name))
        .arg(std::process::id().to_string())
        .arg(bin)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
}

/// Waits until `url` answers HTTP (any status).
fn wait_http(name: &str, url: &str, within: Duration) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let started = Instant::now();
    while started.elapsed() < within {
        if let Ok(mut s) = TcpStream::connect(authority) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
            let mut head = [0u8; 12];
            if s.write_all(request.as_bytes()).is_ok()
                && s.read_exact(&mut head).is_ok()
                && head.starts_with(b"HTTP/")
            {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(log_path(name)).unwrap_or_default();
    panic!("{name} did not answer on {url} within {within:?}; its log:\n{log}");
}
