//! A stateful emulator of the Cloudflare Hyperdrive configs API (`/client/v4/accounts/{account}/hyperdrive/configs`)
//! on loopback, for tests, demos and benchmarks. It validates request bodies against the project's OpenAPI copy,
//! emulates Hyperdrive's connection test by verifying the password as an Aurora DSQL auth token, and injects faults
//! (error responses, delays, dropped connections). See README.md for the HTTP side (admin API, flags).

mod fault;
pub mod schema;
mod server;
mod state;
mod timefmt;
mod token;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use fault::{Fault, FaultAction};
pub use state::{codes, ApiTokenState, RecordedRequest, Revocations, StoredConfig};
pub use timefmt::{parse_rfc3339, rfc3339};
pub use token::{
    sign_dsql_token, verify_dsql_token, SigningCredentials, TokenError, TokenInfo, CLOCK_SKEW,
    MAX_EXPIRES_SECS,
};

use fault::FaultList;
use server::Shared;
use state::Inner;

/// How to start an emulator. `Options::new(api_token)` gives no latency, unknown signing credentials, no config
/// limit and no faults.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The only bearer token the API accepts. An empty token accepts nothing.
    pub api_token: String,
    /// Account-owned API tokens (account id to token), each accepted for its account only, as
    /// Cloudflare does; the main token works for every account.
    pub account_tokens: std::collections::BTreeMap<String, String>,
    /// Added to every API call (not to admin calls).
    pub latency: Duration,
    /// When known, tokens are checked against them (access key, session token, expiry, signature).
    pub credentials: Option<SigningCredentials>,
    /// Off by default; real Cloudflare allows 25 on paid plans (10 free).
    pub max_configs_per_account: Option<usize>,
    /// Accept a create or a rename to a name another config of the account has (Cloudflare does not
    /// document whether it refuses one; by default the emulator answers 409 with code 2017).
    pub allow_duplicate_names: bool,
    pub faults: Vec<Fault>,
}

impl Options {
    pub fn new(api_token: impl Into<String>) -> Options {
        Options {
            api_token: api_token.into(),
            ..Options::default()
        }
    }
}

/// A running emulator. Dropping it stops the server too; `shutdown` does so and waits.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts on `127.0.0.1` with a free port.
    pub async fn start(options: Options) -> std::io::Result<Emulator> {
        Emulator::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), options).await
    }

    /// Starts on `addr`, which must be a loopback address.
    pub async fn start_on(addr: SocketAddr, options: Options) -> std::io::Result<Emulator> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("refusing to listen on {addr}: the emulator only binds loopback addresses"),
            ));
        }
        schema::schemas().map_err(std::io::Error::other)?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let inner = Inner {
            faults: FaultList::new(options.faults),
            credentials: options.credentials,
            max_configs_per_account: options.max_configs_per_account,
            allow_duplicate_names: options.allow_duplicate_names,
            ..Inner::default()
        };
        let shared = Arc::new(Shared {
            api_token: options.api_token,
            account_tokens: options.account_tokens.into_iter().collect(),
            latency: options.latency,
            log: AtomicBool::new(false),
            inner: Mutex::new(inner),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared), stopped));
        Ok(Emulator {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/client/v4`, the base URL a Cloudflare client should use.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, server::API_PREFIX)
    }

    /// `http://127.0.0.1:PORT/__admin`.
    pub fn admin_url(&self) -> String {
        format!("http://{}/__admin", self.addr)
    }

    /// Inserts a preset config (no validation, no connection test, duplicate names allowed) and returns its id.
    /// `config` is shaped like a create body; a valid unused `id` in it is kept.
    pub fn insert_config(&self, account_id: &str, config: Value) -> String {
        self.shared.lock().insert_preset(account_id, &config)
    }

    /// Inserts `{"<account_id>": [config, ...], ...}` (the `--state` file format); returns the ids.
    pub fn insert_state(&self, state: &Value) -> Result<Vec<String>, String> {
        let Value::Object(accounts) = state else {
            return Err("state must be a JSON object {\"<account_id>\": [config, ...]}".into());
        };
        let mut inner = self.shared.lock();
        let mut ids = Vec::new();
        for (account, configs) in accounts {
            let Value::Array(configs) = configs else {
                return Err(format!(
                    "state for account {account:?} must be a list of configs"
                ));
            };
            for config in configs {
                if !config.is_object() {
                    return Err(format!(
                        "a config of account {account:?} is not a JSON object"
                    ));
                }
                ids.push(inner.insert_preset(account, config));
            }
        }
        Ok(ids)
    }

    /// Full state of an account, passwords and token facts included, in creation order.
    pub fn configs(&self, account_id: &str) -> Vec<StoredConfig> {
        self.shared.lock().configs(account_id)
    }

    /// Replaces the fault rules (and their counters).
    pub fn set_faults(&self, faults: Vec<Fault>) {
        self.shared.lock().faults = FaultList::new(faults);
    }

    pub fn add_fault(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    pub fn set_credentials(&self, credentials: Option<SigningCredentials>) {
        self.shared.lock().credentials = credentials;
    }

    /// Credentials revoked since tokens were signed: their tokens now fail the connection test.
    pub fn set_revocations(&self, revocations: Revocations) {
        self.shared.lock().revocations = revocations;
    }

    /// What the token verify routes say of the API token (whose, status, expiry).
    pub fn set_api_token_state(&self, state: ApiTokenState) {
        self.shared.lock().api_token_state = state;
    }

    /// Freezes the emulator's clock at `now` (`None`: real time again). It drives token validity checks and the
    /// `created_on`/`modified_on` stamps.
    pub fn set_now(&self, now: Option<SystemTime>) {
        self.shared.lock().now_override = now;
    }

    /// The emulator's current time.
    pub fn now(&self) -> SystemTime {
        self.shared.lock().now()
    }

    /// One line per API request on stderr (method, path, status, fault); off by default in the library.
    pub fn set_logging(&self, on: bool) {
        self.shared.log.store(on, Ordering::Relaxed);
    }

    /// Every API request received, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .lock()
            .requests
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Stops accepting, aborts open connections and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
