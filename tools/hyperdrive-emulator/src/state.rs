//! The emulator's state (accounts, configs, request records) and the Hyperdrive operations on it, free of HTTP:
//! each operation takes already-parsed input and returns a `result` value or a Cloudflare error.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::fault::FaultList;
use crate::timefmt::{rfc3339, rfc3339_precise};
use crate::token::{verify_dsql_token, SigningCredentials, TokenInfo};

/// Error codes the emulator answers with. 2008, 2013 and 2014 are Hyperdrive's connection-test codes; 971, 7000,
/// 7003 and 10000 are Cloudflare's; the others are the emulator's own choice.
pub mod codes {
    pub const RATE_LIMITED: u64 = 971;
    pub const INVALID_BODY: u64 = 1001;
    pub const INVALID_QUERY: u64 = 1002;
    pub const INTERNAL: u64 = 1000;
    /// What the token verify routes answer for a token that is not theirs (the same number).
    pub const INVALID_TOKEN: u64 = 1000;
    pub const BAD_HOSTNAME: u64 = 2008;
    pub const INVALID_CREDENTIALS: u64 = 2013;
    pub const DATABASE_MISSING: u64 = 2014;
    pub const DUPLICATE_NAME: u64 = 2017;
    pub const CONFIG_LIMIT: u64 = 2018;
    pub const NO_ROUTE: u64 = 7000;
    pub const METHOD_NOT_ALLOWED: u64 = 7001;
    pub const NOT_FOUND: u64 = 7003;
    pub const AUTHENTICATION: u64 = 10000;
}

/// A Cloudflare API failure: HTTP status and one `{code, message}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: u64,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: u64, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn not_found(id: &str) -> ApiError {
        ApiError::new(
            404,
            codes::NOT_FOUND,
            format!("Could not route to /hyperdrive/configs/{id}, perhaps your object identifier is invalid?"),
        )
    }
}

/// A Hyperdrive config as the emulator holds it, secrets included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredConfig {
    pub id: String,
    pub account_id: String,
    pub name: String,
    /// The origin as written, without `password` (and without `access_client_secret`).
    pub origin: Value,
    /// The write-only origin password (the DSQL auth token).
    #[serde(skip_serializing)]
    pub password: Option<String>,
    pub caching: Value,
    pub origin_connection_limit: Option<u64>,
    /// `mtls` as written, when given.
    pub mtls: Option<Value>,
    pub created_on: String,
    pub modified_on: String,
    /// Set by `POST .../restart`.
    pub restarted_on: Option<String>,
    /// What the connection test learnt from the password; `None` for presets inserted without a test.
    pub token: Option<TokenInfo>,
    #[serde(skip)]
    access_client_secret: Option<String>,
}

impl StoredConfig {
    /// The `result` object the API returns: no password, no secret.
    pub fn to_api(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("name".into(), json!(self.name));
        out.insert("origin".into(), self.origin.clone());
        out.insert("caching".into(), self.caching.clone());
        if let Some(limit) = self.origin_connection_limit {
            out.insert("origin_connection_limit".into(), json!(limit));
        }
        if let Some(mtls) = &self.mtls {
            out.insert("mtls".into(), mtls.clone());
        }
        out.insert("created_on".into(), json!(self.created_on));
        out.insert("modified_on".into(), json!(self.modified_on));
        if let Some(restarted) = &self.restarted_on {
            out.insert("restarted_on".into(), json!(restarted));
        }
        Value::Object(out)
    }

    /// The admin view: the API view plus account, password presence and token facts.
    pub fn to_admin(&self) -> Value {
        let mut out = self.to_api();
        if let Value::Object(map) = &mut out {
            map.insert("account_id".into(), json!(self.account_id));
            map.insert("has_password".into(), json!(self.password.is_some()));
            map.insert(
                "token".into(),
                serde_json::to_value(&self.token).unwrap_or(Value::Null),
            );
            map.insert(
                "token_expires_at".into(),
                self.token
                    .as_ref()
                    .map_or(Value::Null, |t| json!(rfc3339(t.expires_at))),
            );
        }
        out
    }

    fn origin_str(&self, field: &str) -> Option<&str> {
        self.origin.get(field).and_then(Value::as_str)
    }

    /// The origin with its write-only fields, as the connection test sees it.
    fn full_origin(&self) -> Value {
        let mut origin = self.origin.clone();
        if let Value::Object(map) = &mut origin {
            if let Some(p) = &self.password {
                map.insert("password".into(), json!(p));
            }
            if let Some(s) = &self.access_client_secret {
                map.insert("access_client_secret".into(), json!(s));
            }
        }
        origin
    }
}

/// One API request as received (never the Authorization header).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub account_id: Option<String>,
    /// The JSON body, `None` when absent or not JSON.
    pub body: Option<Value>,
    /// Status answered; `None` if the connection was dropped (or the request is still in progress).
    pub status: Option<u16>,
    /// The fault applied, e.g. `respond 429`, `drop_after`.
    pub fault: Option<String>,
    /// When the request arrived (before any fault's delay).
    #[serde(skip)]
    pub received_at: std::time::Instant,
}

impl RecordedRequest {
    /// The record with `origin.password` replaced by a placeholder (for the admin HTTP API).
    pub fn redacted(&self) -> RecordedRequest {
        let mut copy = self.clone();
        if let Some(Value::Object(origin)) = copy.body.as_mut().and_then(|b| b.get_mut("origin")) {
            for secret in ["password", "access_client_secret"] {
                if let Some(v) = origin.get_mut(secret) {
                    *v = json!("** redacted **");
                }
            }
        }
        copy
    }
}

/// Everything mutable, behind one lock.
#[derive(Default)]
pub struct Inner {
    /// Per account, in creation order.
    pub accounts: BTreeMap<String, Vec<StoredConfig>>,
    pub faults: FaultList,
    pub credentials: Option<SigningCredentials>,
    pub requests: Vec<(u64, RecordedRequest)>,
    pub next_request_seq: u64,
    pub now_override: Option<SystemTime>,
    pub max_configs_per_account: Option<usize>,
    /// See `Options::allow_duplicate_names`.
    pub allow_duplicate_names: bool,
    /// Credentials revoked since tokens were signed (set through the admin API).
    pub revocations: Revocations,
    /// What the verify routes say of the API token.
    pub api_token_state: ApiTokenState,
    pub id_seq: u64,
}

/// The emulator's only reading of the real clock; `Inner::now` puts the test override in front of it.
#[allow(clippy::disallowed_methods)]
pub fn system_now() -> SystemTime {
    SystemTime::now()
}

/// `result_info` of a list response.
pub fn result_info(page: u64, per_page: u64, count: usize, total: usize) -> Value {
    let total_pages = (total as u64).div_ceil(per_page);
    json!({
        "page": page,
        "per_page": per_page,
        "count": count,
        "total_count": total,
        "total_pages": total_pages,
    })
}

fn is_config_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The parts of a create/PUT body, split into public origin and write-only secrets.
struct ConfigParts {
    name: String,
    origin: Value,
    password: Option<String>,
    access_client_secret: Option<String>,
    caching: Value,
    origin_connection_limit: Option<u64>,
    mtls: Option<Value>,
}

fn split_origin(origin: &Value) -> (Value, Option<String>, Option<String>) {
    let mut public = origin.clone();
    let mut password = None;
    let mut secret = None;
    if let Value::Object(map) = &mut public {
        password = map
            .remove("password")
            .and_then(|p| p.as_str().map(str::to_string));
        secret = map
            .remove("access_client_secret")
            .and_then(|p| p.as_str().map(str::to_string));
    }
    (public, password, secret)
}

fn config_parts(body: &Value) -> ConfigParts {
    let (origin, password, access_client_secret) =
        split_origin(body.get("origin").unwrap_or(&Value::Null));
    ConfigParts {
        name: body
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        origin,
        password,
        access_client_secret,
        caching: body
            .get("caching")
            .cloned()
            .unwrap_or_else(|| json!({"disabled": false})),
        origin_connection_limit: body.get("origin_connection_limit").and_then(Value::as_u64),
        mtls: body.get("mtls").cloned(),
    }
}

/// What Cloudflare's token verify routes say of the API token: whose it is (a user's, answered by
/// `/user/tokens/verify`, or an account's, answered by `/accounts/{id}/tokens/verify`), its status
/// and expiry. The other route answers 401 (1000), as Cloudflare does for a token of the other kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTokenState {
    /// `None`: a user's token; else the account that owns it.
    #[serde(default)]
    pub account_owner: Option<String>,
    /// `active`, `disabled` or `expired`.
    pub status: String,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::timefmt::optional_system_time"
    )]
    pub expires_on: Option<SystemTime>,
}

impl Default for ApiTokenState {
    fn default() -> Self {
        ApiTokenState {
            account_owner: None,
            status: "active".to_owned(),
            expires_on: None,
        }
    }
}

impl Inner {
    /// The verify routes: `account` is empty for the user route.
    pub fn verify_token(&self, account: &str) -> Result<Value, ApiError> {
        let state = &self.api_token_state;
        let mine = match &state.account_owner {
            None => account.is_empty(),
            Some(owner) => owner == account,
        };
        if !mine {
            return Err(ApiError::new(
                401,
                codes::INVALID_TOKEN,
                "Invalid API Token",
            ));
        }
        let mut result = json!({"id": "0123456789abcdef0123456789abcdef", "status": state.status});
        if let Some(at) = state.expires_on {
            result["expires_on"] = json!(crate::timefmt::rfc3339(at));
        }
        Ok(result)
    }
}

/// Credentials revoked since tokens were signed: the connection test refuses their tokens (2013) as
/// DSQL does. The emulator does not watch IAM: a test (or a person) tells it through the admin API
/// (`PUT /__admin/revocations`) or `Emulator::set_revocations`, typically after reading moto's IAM.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocations {
    /// IAM user access keys deactivated or deleted: every token they signed is refused.
    #[serde(default)]
    pub access_key_ids: Vec<String>,
    /// Sessions issued before this time are denied (IAM's "revoke active sessions", an inline
    /// `aws:TokenIssueTime` deny on the role). A session signs after it is issued, so the emulator
    /// refuses tokens signed with temporary credentials before the cutoff (it cannot see the issue
    /// time itself).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::timefmt::optional_system_time"
    )]
    pub session_cutoff: Option<SystemTime>,
}

impl Revocations {
    /// Refuses a token whose credentials have been revoked.
    pub fn check(&self, token: &TokenInfo) -> Result<(), ApiError> {
        let refused = if self.access_key_ids.contains(&token.access_key_id) {
            Some("the access key that signed the token is no longer active")
        } else if token.has_session_token
            && self
                .session_cutoff
                .is_some_and(|cutoff| token.signed_at < cutoff)
        {
            Some("the session that signed the token was issued before its role's sessions were revoked")
        } else {
            None
        };
        match refused {
            Some(why) => Err(ApiError::new(
                400,
                codes::INVALID_CREDENTIALS,
                format!("Failed to authenticate to the origin database: {why}"),
            )),
            None => Ok(()),
        }
    }
}

/// Hyperdrive's connection test, emulated: the database must be `postgres` and the password a DSQL auth token
/// valid for the origin now.
pub fn connection_test(
    origin: &Value,
    password: Option<&str>,
    now: SystemTime,
    credentials: Option<&SigningCredentials>,
) -> Result<TokenInfo, ApiError> {
    let database = origin.get("database").and_then(Value::as_str).unwrap_or("");
    if database != "postgres" {
        return Err(ApiError::new(
            400,
            codes::DATABASE_MISSING,
            format!(
                "Failed to connect to the origin database: database {database:?} does not exist (Aurora DSQL only has \"postgres\")"
            ),
        ));
    }
    let Some(host) = origin.get("host").and_then(Value::as_str) else {
        return Err(ApiError::new(
            400,
            codes::BAD_HOSTNAME,
            "Failed to connect to the origin database: the origin has no host (only public origins are emulated)",
        ));
    };
    let user = origin.get("user").and_then(Value::as_str).unwrap_or("");
    let Some(password) = password else {
        return Err(ApiError::new(
            400,
            codes::INVALID_CREDENTIALS,
            "Failed to authenticate to the origin database: no password given",
        ));
    };
    verify_dsql_token(password, host, user, now, credentials).map_err(|e| {
        ApiError::new(
            400,
            codes::INVALID_CREDENTIALS,
            format!("Failed to authenticate to the origin database: {e}"),
        )
    })
}

impl Inner {
    pub fn now(&self) -> SystemTime {
        self.now_override.unwrap_or_else(system_now)
    }

    fn new_id(&mut self) -> String {
        loop {
            self.id_seq += 1;
            let nanos = system_now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default();
            let seed = format!("{}-{}-{}", self.id_seq, nanos, std::process::id());
            let id = hex::encode(Sha256::digest(seed.as_bytes()))[..32].to_string();
            if !self.id_in_use(&id) {
                return id;
            }
        }
    }

    fn id_in_use(&self, id: &str) -> bool {
        self.accounts.values().flatten().any(|c| c.id == id)
    }

    pub fn configs(&self, account_id: &str) -> Vec<StoredConfig> {
        self.accounts.get(account_id).cloned().unwrap_or_default()
    }

    fn find_mut(&mut self, account_id: &str, id: &str) -> Result<&mut StoredConfig, ApiError> {
        if !is_config_id(id) {
            return Err(ApiError::not_found(id));
        }
        self.accounts
            .get_mut(account_id)
            .and_then(|configs| configs.iter_mut().find(|c| c.id == id))
            .ok_or_else(|| ApiError::not_found(id))
    }

    fn check_name_free(
        &self,
        account_id: &str,
        name: &str,
        except_id: Option<&str>,
    ) -> Result<(), ApiError> {
        let taken = !self.allow_duplicate_names
            && self.accounts.get(account_id).is_some_and(|cs| {
                cs.iter()
                    .any(|c| c.name == name && Some(c.id.as_str()) != except_id)
            });
        if taken {
            return Err(ApiError::new(
                409,
                codes::DUPLICATE_NAME,
                format!("A Hyperdrive config named {name:?} already exists in this account"),
            ));
        }
        Ok(())
    }

    /// Inserts a preset config: no validation, no connection test, duplicate names allowed. A valid unused `id` in
    /// `config` is kept.
    pub fn insert_preset(&mut self, account_id: &str, config: &Value) -> String {
        let parts = config_parts(config);
        let id = match config.get("id").and_then(Value::as_str) {
            Some(id) if is_config_id(id) && !self.id_in_use(id) => id.to_string(),
            _ => self.new_id(),
        };
        let now = rfc3339_precise(self.now());
        let stored = StoredConfig {
            id: id.clone(),
            account_id: account_id.to_string(),
            name: parts.name,
            origin: parts.origin,
            password: parts.password,
            caching: parts.caching,
            origin_connection_limit: parts.origin_connection_limit,
            mtls: parts.mtls,
            created_on: now.clone(),
            modified_on: now,
            restarted_on: None,
            token: None,
            access_client_secret: parts.access_client_secret,
        };
        self.accounts
            .entry(account_id.to_string())
            .or_default()
            .push(stored);
        id
    }

    pub fn list(&mut self, account_id: &str, page: u64, per_page: u64) -> (Value, Value) {
        let configs = self.accounts.entry(account_id.to_string()).or_default();
        let start = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
        let items: Vec<Value> = configs
            .iter()
            .skip(start)
            .take(usize::try_from(per_page).unwrap_or(usize::MAX))
            .map(StoredConfig::to_api)
            .collect();
        let info = result_info(page, per_page, items.len(), configs.len());
        (Value::Array(items), info)
    }

    /// POST: `body` has passed the schema.
    pub fn create(&mut self, account_id: &str, body: &Value) -> Result<Value, ApiError> {
        let parts = config_parts(body);
        let count = self.accounts.get(account_id).map_or(0, Vec::len);
        if let Some(max) = self.max_configs_per_account {
            if count >= max {
                return Err(ApiError::new(
                    400,
                    codes::CONFIG_LIMIT,
                    format!("This account has reached its limit of {max} Hyperdrive configs"),
                ));
            }
        }
        self.check_name_free(account_id, &parts.name, None)?;
        let now = self.now();
        let token = connection_test(
            body.get("origin").unwrap_or(&Value::Null),
            parts.password.as_deref(),
            now,
            self.credentials.as_ref(),
        )?;
        self.revocations.check(&token)?;
        let id = self.new_id();
        let stamp = rfc3339_precise(now);
        let stored = StoredConfig {
            id,
            account_id: account_id.to_string(),
            name: parts.name,
            origin: parts.origin,
            password: parts.password,
            caching: parts.caching,
            origin_connection_limit: parts.origin_connection_limit,
            mtls: parts.mtls,
            created_on: stamp.clone(),
            modified_on: stamp,
            restarted_on: None,
            token: Some(token),
            access_client_secret: parts.access_client_secret,
        };
        let result = stored.to_api();
        self.accounts
            .entry(account_id.to_string())
            .or_default()
            .push(stored);
        Ok(result)
    }

    pub fn get(&mut self, account_id: &str, id: &str) -> Result<Value, ApiError> {
        self.find_mut(account_id, id).map(|c| c.to_api())
    }

    /// PUT: replaces the whole config (`body` has passed the schema).
    pub fn put(&mut self, account_id: &str, id: &str, body: &Value) -> Result<Value, ApiError> {
        self.find_mut(account_id, id)?;
        let parts = config_parts(body);
        self.check_name_free(account_id, &parts.name, Some(id))?;
        let now = self.now();
        let token = connection_test(
            body.get("origin").unwrap_or(&Value::Null),
            parts.password.as_deref(),
            now,
            self.credentials.as_ref(),
        )?;
        self.revocations.check(&token)?;
        let config = self.find_mut(account_id, id)?;
        config.name = parts.name;
        config.origin = parts.origin;
        config.password = parts.password;
        config.access_client_secret = parts.access_client_secret;
        config.caching = parts.caching;
        config.origin_connection_limit = parts.origin_connection_limit;
        config.mtls = parts.mtls;
        config.modified_on = rfc3339_precise(now);
        config.token = Some(token);
        Ok(config.to_api())
    }

    /// PATCH: top-level fields replace; `origin` fields replace those fields only. A patch that carries `origin`
    /// triggers the connection test on the merged origin, which must also satisfy the full origin schema
    /// (`validate_origin`).
    pub fn patch(
        &mut self,
        account_id: &str,
        id: &str,
        body: &Value,
        validate_origin: impl Fn(&Value) -> Result<(), ApiError>,
    ) -> Result<Value, ApiError> {
        let current = self.find_mut(account_id, id)?.clone();
        let mut updated = current.clone();
        if let Some(name) = body.get("name").and_then(Value::as_str) {
            self.check_name_free(account_id, name, Some(id))?;
            updated.name = name.to_string();
        }
        if let Some(caching) = body.get("caching") {
            updated.caching = caching.clone();
        }
        if let Some(limit) = body.get("origin_connection_limit") {
            updated.origin_connection_limit = limit.as_u64();
        }
        if let Some(mtls) = body.get("mtls") {
            updated.mtls = Some(mtls.clone());
        }
        let now = self.now();
        if let Some(Value::Object(patch_origin)) = body.get("origin") {
            let mut merged = current.full_origin();
            if let Value::Object(map) = &mut merged {
                for (k, v) in patch_origin {
                    map.insert(k.clone(), v.clone());
                }
            } else {
                merged = Value::Object(patch_origin.clone());
            }
            validate_origin(&merged)?;
            let (public, password, secret) = split_origin(&merged);
            let token =
                connection_test(&merged, password.as_deref(), now, self.credentials.as_ref())?;
            self.revocations.check(&token)?;
            updated.origin = public;
            updated.password = password;
            updated.access_client_secret = secret;
            updated.token = Some(token);
        }
        updated.modified_on = rfc3339_precise(now);
        let config = self.find_mut(account_id, id)?;
        *config = updated;
        Ok(config.to_api())
    }

    pub fn delete(&mut self, account_id: &str, id: &str) -> Result<Value, ApiError> {
        self.find_mut(account_id, id)?;
        if let Some(configs) = self.accounts.get_mut(account_id) {
            configs.retain(|c| c.id != id);
        }
        Ok(Value::Null)
    }

    pub fn restart(&mut self, account_id: &str, id: &str) -> Result<Value, ApiError> {
        let now = rfc3339_precise(self.now());
        let config = self.find_mut(account_id, id)?;
        config.restarted_on = Some(now);
        Ok(config.to_api())
    }

    /// Origin host of a stored config (for fault matching on requests without a body).
    pub fn origin_host_of(&self, account_id: &str, id: &str) -> Option<String> {
        self.accounts
            .get(account_id)
            .and_then(|cs| cs.iter().find(|c| c.id == id))
            .and_then(|c| c.origin_str("host").map(str::to_string))
    }
}
