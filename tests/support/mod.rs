//! Test world shared by the integration tests: the Hyperdrive emulator (in-process, on 127.0.0.1),
//! moto (Secrets Manager and STS; started here on a free loopback port, once per test binary, and
//! stopped by PID when the binary ends, unless `MOTO_URL` names a running one), and the function's
//! context wired to both. Reports are checked as typed values.
#![allow(dead_code, clippy::disallowed_methods)] // tests measure real elapsed time

pub mod aws;
pub mod hostile;
pub mod iam;
pub mod servers;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use hyperdrive_dsql_rotator::config::Settings;
use hyperdrive_dsql_rotator::context::Context;
use hyperdrive_dsql_rotator::dispatch::InvocationError;
use hyperdrive_dsql_rotator::invocation::Request;
use hyperdrive_dsql_rotator::jitter::FixedJitter;
use hyperdrive_dsql_rotator::lambda::Handler;
use hyperdrive_dsql_rotator::report::{ErrorKind, Report, TargetResult};
use hyperdrive_dsql_rotator::retry::RetryPolicy;
use hyperdrive_dsql_rotator::time::FixedClock;
use hyperdrive_emulator::{Emulator, Options, SigningCredentials};
use lambda_runtime::{Context as LambdaContext, LambdaEvent};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
pub const OTHER_ACCOUNT: &str = "fedcba9876543210fedcba9876543210";
pub const CF_TOKEN: &str = "cf-test-token-Zq8wX3v9abcdefghijklmnopqrst";
pub const ACCESS_KEY: &str = "AKIAROTATORTEST00001";
pub const SECRET_KEY: &str = "rotatorTestSecretKey/abcdefghijklmnopqrstu";
pub const SESSION_TOKEN: &str = "FwoGZXIvYXdzRotatorTestSessionToken//////////wEaDEXAMPLE+token==";
pub const HOST_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa.dsql.us-east-1.on.aws";
pub const HOST_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbb.dsql.us-west-2.on.aws";

pub use servers::moto_url;

/// A name no other test uses (they share one moto).
pub fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The real wall-clock time (moto and the emulator use it).
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// The real wall-clock time, to the second: what a test's fixed clock reads.
pub fn this_second() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(now().duration_since(UNIX_EPOCH).unwrap().as_secs())
}

/// The real monotonic time, for tests that measure how long something took.
pub fn instant() -> tokio::time::Instant {
    tokio::time::Instant::now()
}

/// AWS SDK configuration pointed at `endpoint`, with the given credentials.
pub async fn sdk_config(endpoint: &str, credentials: Credentials) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(hyperdrive_dsql_rotator::aws::sdk::http_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .load()
        .await
}

pub fn long_term_credentials() -> Credentials {
    Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test")
}

/// Temporary credentials without an expiry: what a Lambda execution role looks like.
pub fn execution_role_credentials() -> Credentials {
    Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        Some(SESSION_TOKEN.into()),
        None,
        "test",
    )
}

pub fn target(name: &str, host: &str) -> Value {
    json!({"name": name, "host": host})
}

/// `orders-db` on HOST_A and `users-db` on HOST_B.
pub fn two_targets() -> Vec<Value> {
    vec![target("orders-db", HOST_A), target("users-db", HOST_B)]
}

/// A running emulator and moto with the Cloudflare token stored in a secret.
pub struct World {
    pub emulator: Emulator,
    pub moto: String,
    pub secret_id: String,
    pub sdk: SdkConfig,
    /// What the contexts' fixed clocks read: the second the world was made.
    pub clock: SystemTime,
}

impl World {
    /// Signs with long-term keys from the default chain; the emulator checks every signature.
    pub async fn new() -> World {
        World::with_credentials(long_term_credentials()).await
    }

    pub async fn with_credentials(credentials: Credentials) -> World {
        World::with_latency(credentials, Duration::ZERO).await
    }

    /// A world whose emulator adds `latency` to every API call.
    pub async fn with_latency(credentials: Credentials, latency: Duration) -> World {
        World::with_options(credentials, |o| o.latency = latency).await
    }

    /// A world whose emulator options `configure` sets.
    pub async fn with_options(
        credentials: Credentials,
        configure: impl FnOnce(&mut Options),
    ) -> World {
        let moto = moto_url();
        let mut options = Options::new(CF_TOKEN);
        configure(&mut options);
        let emulator = Emulator::start(Options {
            credentials: Some(SigningCredentials {
                access_key_id: credentials.access_key_id().to_owned(),
                secret_access_key: credentials.secret_access_key().to_owned(),
                session_token: credentials.session_token().map(str::to_owned),
                expires_at: credentials.expiry(),
            }),
            ..options
        })
        .await
        .expect("emulator starts");
        let sdk = sdk_config(&moto, credentials).await;
        let secret_id = unique("cloudflare-token");
        put_secret(
            &sdk,
            &secret_id,
            &json!({"api_token": CF_TOKEN}).to_string(),
        )
        .await;
        World {
            emulator,
            moto,
            secret_id,
            sdk,
            clock: this_second(),
        }
    }

    /// The environment of a run over `targets`, plus `extra` variables.
    pub fn env(&self, targets: &[Value], extra: &[(&str, &str)]) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = [
            ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT.to_owned()),
            ("CLOUDFLARE_API_TOKEN_SECRET_ID", self.secret_id.clone()),
            ("CLOUDFLARE_API_BASE_URL", self.emulator.base_url()),
            (
                "HYPERDRIVE_TARGETS",
                Value::Array(targets.to_vec()).to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (k, v) in extra {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        env
    }

    /// The function's context for `env`, on `sdk`, with this world's fixed clock and fast retries.
    pub fn context_on(&self, sdk: &SdkConfig, env: &HashMap<String, String>) -> Context {
        let settings =
            Settings::from_env(|k| env.get(k).cloned()).expect("valid test configuration");
        Context::new(settings, sdk)
            .expect("context builds")
            .with_clock(Arc::new(FixedClock(self.clock)))
            .with_jitter(Arc::new(FixedJitter(0.5)))
            .with_retry_policy(fast_retries())
    }

    pub fn context(&self, env: &HashMap<String, String>) -> Context {
        self.context_on(&self.sdk, env)
    }

    /// The signing keys of the default chain, stored as a long-term-keys secret: the environment
    /// of the long-term-keys mode (tokens whose lifetime the mode guarantees: the TTL).
    pub async fn keys_mode(&self) -> (&'static str, String) {
        let secret = unique("signer-keys");
        put_secret(
            &self.sdk,
            &secret,
            &json!({"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}).to_string(),
        )
        .await;
        ("SIGNER_CREDENTIALS_SECRET_ID", secret)
    }

    pub fn handler(&self, targets: &[Value], extra: &[(&str, &str)]) -> Handler {
        Handler::with_context(self.context(&self.env(targets, extra)), "rotator-test")
    }

    /// Requests the emulator received on the configs routes, as `METHOD path?query` (the token
    /// watch's verify calls left out).
    pub fn calls(&self) -> Vec<String> {
        self.emulator
            .requests()
            .iter()
            .filter(|r| !r.path.ends_with("/tokens/verify"))
            .map(|r| match &r.query {
                Some(q) => format!("{} {}?{q}", r.method, r.path),
                None => format!("{} {}", r.method, r.path),
            })
            .collect()
    }

    /// Hyperdrive's connection test refuses every token for `host` with code 2013.
    pub fn refuse_tokens_for(&self, host: &str) {
        self.emulator
            .set_faults(vec![hyperdrive_emulator::Fault::cloudflare_error(
                400,
                2013,
                "password authentication failed",
            )
            .for_origin_host(host)]);
    }

    pub fn writes(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| !c.starts_with("GET "))
            .collect()
    }
}

pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        attempt_timeout: Duration::from_secs(15),
    }
}

pub async fn put_secret(sdk: &SdkConfig, id: &str, value: &str) {
    aws_sdk_secretsmanager::Client::new(sdk)
        .create_secret()
        .name(id)
        .secret_string(value)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot create secret {id} in moto: {}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            )
        });
}

/// An invocation event with a deadline `secs` from now.
pub fn event(payload: Value, secs: u64) -> LambdaEvent<Value> {
    let mut context = LambdaContext::default();
    context.request_id = unique("request");
    context.deadline = (now() + Duration::from_secs(secs))
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    LambdaEvent::new(payload, context)
}

/// A preset config as a team might have created it by hand.
pub fn preset(name: &str, host: &str) -> Value {
    json!({"name": name, "origin": {"scheme": "postgres", "host": host, "port": 5432, "database": "postgres", "user": "admin"}})
}

/// `X-Amz-Signature` of a token.
pub fn signature(token: &str) -> String {
    token
        .split("X-Amz-Signature=")
        .nth(1)
        .unwrap_or_default()
        .split('&')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// The whole environment of the binary run as a child process, besides its configuration: an empty
/// HOME (no profile files), the region, and AWS pointed at moto with no instance metadata lookups.
pub fn child_aws_env(w: &World) -> Vec<(&'static str, String)> {
    let home = std::env::temp_dir().join(unique("home"));
    std::fs::create_dir_all(&home).unwrap();
    vec![
        ("HOME", home.display().to_string()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL", w.moto.clone()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
    ]
}

/// The binary `bin` as a child process with only `env` and the AWS settings of [`child_aws_env`]
/// in its environment.
pub fn child(bin: &str, w: &World, env: &HashMap<String, String>) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(bin);
    cmd.env_clear().envs(child_aws_env(w)).envs(env);
    cmd
}

/// Every log line, captured with the shipped subscriber asked for TRACE everywhere (as
/// `AWS_LAMBDA_LOG_LEVEL=TRACE` would).
#[derive(Clone, Default)]
pub struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

impl Capture {
    /// Captures this thread's logs until the guard is dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let sub = hyperdrive_dsql_rotator::logging::subscriber(Some("TRACE"), true, self.clone());
        tracing::subscriber::set_default(sub)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// One rotate run of `context` with `limit` left: its report, whether targets failed or not.
pub async fn run_report(context: &Context, limit: Duration) -> Report {
    let invocation = hyperdrive_dsql_rotator::invocation::Invocation {
        request: Request::default(),
        time_limit: limit,
    };
    report_of(hyperdrive_dsql_rotator::dispatch::dispatch(context, &invocation).await)
}

/// The report of a dispatched invocation, whether targets failed or not.
pub fn report_of(result: Result<Report, InvocationError>) -> Report {
    match result {
        Ok(report) => report,
        Err(InvocationError::TargetsFailed(report)) => *report,
        Err(e) => panic!("the run did not happen: {e}"),
    }
}

/// The result of the target `name`, or a panic that shows the report.
pub fn result<'a>(report: &'a Report, name: &str) -> &'a TargetResult {
    report
        .result(name)
        .unwrap_or_else(|| panic!("no result for {name}: {report:#?}"))
}

/// Each result's error kind (`None` for a success) and message.
pub fn errors(report: &Report) -> Vec<(Option<ErrorKind>, String)> {
    report
        .results
        .iter()
        .map(|r| {
            r.error
                .as_ref()
                .map_or((None, String::new()), |e| (Some(e.kind), e.message.clone()))
        })
        .collect()
}

/// The report printed as JSON (stdout of the command line, the Lambda's response).
pub fn parse_report(json: &Value) -> Report {
    serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("not a report ({e}): {json}"))
}
