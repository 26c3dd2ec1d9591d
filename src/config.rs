//! The run's configuration, read once from the environment into a validated value.
//! Parsing is pure (the environment is passed in), and every problem names the variable or the
//! target field, says what is wrong with the value and how to fix it.

use reqwest::Url;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

pub const DEFAULT_API_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
pub const DEFAULT_SECRET_KEY: &str = "api_token";
pub const MAX_TOKEN_TTL_SECS: u64 = 604_800;
pub const DEFAULT_SESSION_SECS: u64 = 3600;
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
const MAX_CONCURRENCY_LIMIT: usize = 64;
/// The environment variables the configuration reads.
pub const VARIABLES: &[&str] = &[
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_TOKEN_SECRET_ID",
    "CLOUDFLARE_API_TOKEN_SECRET_KEY",
    "HYPERDRIVE_TARGETS",
    "TOKEN_TTL_SECONDS",
    "SIGNER_ROLE_ARN",
    "SIGNER_SESSION_SECONDS",
    "SIGNER_CREDENTIALS_SECRET_ID",
    "CLOUDFLARE_API_BASE_URL",
    "MAX_CONCURRENCY",
    "DRY_RUN",
];
/// The fields of a target object.
pub const TARGET_FIELDS: &[&str] = &[
    "name",
    "host",
    "region",
    "user",
    "database",
    "port",
    "account_id",
    "caching",
    "origin_connection_limit",
];

/// Everything a run needs to know, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub targets: Vec<Target>,
    pub api_base_url: String,
    /// Secret name or ARN of the Cloudflare API token.
    pub token_secret_id: String,
    /// JSON key of the token when the secret is a JSON object.
    pub token_secret_key: String,
    /// `X-Amz-Expires` of every DSQL token.
    pub token_ttl: Duration,
    pub signer: Signer,
    pub max_concurrency: usize,
    pub dry_run: bool,
}

/// Whose credentials sign the DSQL tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// The function's own credentials (execution role in Lambda, the default chain elsewhere).
    Default,
    /// A role assumed for each run: tokens live at most `session`.
    AssumeRole { role_arn: String, session: Duration },
    /// Long-term IAM user keys read from a secret: tokens can live the whole TTL (7 days).
    LongTermKeys { secret_id: String },
}

/// One Hyperdrive config to keep supplied with a token.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub account_id: String,
    /// Lowercased DSQL endpoint host.
    pub host: String,
    pub region: String,
    pub user: String,
    pub database: String,
    pub port: u16,
    /// Hyperdrive `caching` object, passed through as given (validated).
    pub caching: Option<Value>,
    pub origin_connection_limit: Option<u32>,
}

impl Target {
    /// `admin` signs `DbConnectAdmin`; every other role signs `DbConnect`.
    pub fn is_admin(&self) -> bool {
        self.user == "admin"
    }
}

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The variable or field, e.g. `HYPERDRIVE_TARGETS[1].port`.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// All the problems found; nothing was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "invalid configuration: {one}"),
            many => {
                write!(f, "invalid configuration ({} problems):", many.len())?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

impl Settings {
    /// Reads the settings from the process environment.
    pub fn from_process_env() -> Result<Settings, ConfigError> {
        Settings::from_env(|name| std::env::var(name).ok())
    }

    /// Reads the settings through `var`, which returns a variable's value. Empty values count as
    /// unset, as infrastructure tools often set optional variables to "".
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut problems = Vec::new();

        // Err: set but invalid (already reported, so targets do not report it again).
        let default_account: Result<Option<String>, ()> = match get("CLOUDFLARE_ACCOUNT_ID") {
            None => Ok(None),
            Some(v) => account_id(&v)
                .map(Some)
                .map_err(|m| problems.push(problem("CLOUDFLARE_ACCOUNT_ID", m))),
        };

        let token_secret_id = get("CLOUDFLARE_API_TOKEN_SECRET_ID").unwrap_or_else(|| {
            problems.push(problem(
                "CLOUDFLARE_API_TOKEN_SECRET_ID",
                "is not set; set it to the name or ARN of the Secrets Manager secret that holds the Cloudflare API token",
            ));
            String::new()
        });
        let token_secret_key =
            get("CLOUDFLARE_API_TOKEN_SECRET_KEY").unwrap_or_else(|| DEFAULT_SECRET_KEY.into());

        let token_ttl = get("TOKEN_TTL_SECONDS")
            .map(|v| {
                int_in(
                    "TOKEN_TTL_SECONDS",
                    &v,
                    1,
                    MAX_TOKEN_TTL_SECS,
                    &mut problems,
                )
            })
            .unwrap_or(Some(MAX_TOKEN_TTL_SECS))
            .map(Duration::from_secs)
            .unwrap_or_default();

        let signer = signer(&get, &mut problems);

        let api_base_url = match get("CLOUDFLARE_API_BASE_URL") {
            None => DEFAULT_API_BASE_URL.to_owned(),
            Some(v) => api_base_url(&v)
                .map_err(|m| problems.push(problem("CLOUDFLARE_API_BASE_URL", m)))
                .unwrap_or_default(),
        };

        let max_concurrency = get("MAX_CONCURRENCY")
            .map(|v| {
                int_in(
                    "MAX_CONCURRENCY",
                    &v,
                    1,
                    MAX_CONCURRENCY_LIMIT as u64,
                    &mut problems,
                )
                .unwrap_or(1) as usize
            })
            .unwrap_or(DEFAULT_MAX_CONCURRENCY);

        let dry_run = match get("DRY_RUN").map(|v| v.to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            Some(v) => {
                problems.push(problem(
                    "DRY_RUN",
                    format!("{v:?} is not a boolean; use true or false"),
                ));
                false
            }
        };

        let targets = match get("HYPERDRIVE_TARGETS") {
            None => {
                problems.push(problem(
                    "HYPERDRIVE_TARGETS",
                    r#"is not set; set it to a JSON array of targets, e.g. [{"name":"orders-db","host":"<cluster-id>.dsql.us-east-1.on.aws"}]"#,
                ));
                Vec::new()
            }
            Some(json) => targets(
                &json,
                default_account.as_ref().map(Option::as_deref),
                &mut problems,
            ),
        };

        if problems.is_empty() {
            Ok(Settings {
                targets,
                api_base_url,
                token_secret_id,
                token_secret_key,
                token_ttl,
                signer,
                max_concurrency,
                dry_run,
            })
        } else {
            Err(ConfigError { problems })
        }
    }

    /// The targets a run works on: all of them, or those named in the event's `targets`.
    pub fn select(&self, names: Option<&[String]>) -> Result<Vec<Target>, Problem> {
        let Some(names) = names else {
            return Ok(self.targets.clone());
        };
        if let Some(unknown) = names
            .iter()
            .find(|n| !self.targets.iter().any(|t| &t.name == *n))
        {
            let known: Vec<&str> = self.targets.iter().map(|t| t.name.as_str()).collect();
            return Err(problem(
                "targets",
                format!(
                    "{unknown:?} is not a configured target; use one of {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(self
            .targets
            .iter()
            .filter(|t| names.contains(&t.name))
            .cloned()
            .collect())
    }
}

fn signer(get: &impl Fn(&str) -> Option<String>, problems: &mut Vec<Problem>) -> Signer {
    let role = get("SIGNER_ROLE_ARN");
    let keys_secret = get("SIGNER_CREDENTIALS_SECRET_ID");
    let session = get("SIGNER_SESSION_SECONDS");
    match (role, keys_secret) {
        (Some(_), Some(_)) => {
            problems.push(problem(
                "SIGNER_ROLE_ARN",
                "and SIGNER_CREDENTIALS_SECRET_ID are both set; choose one signing mode: unset SIGNER_CREDENTIALS_SECRET_ID to sign with the assumed role, or SIGNER_ROLE_ARN to sign with the long-term keys",
            ));
            Signer::Default
        }
        (Some(role_arn), None) => {
            if !is_role_arn(&role_arn) {
                problems.push(problem(
                    "SIGNER_ROLE_ARN",
                    format!("{role_arn:?} is not an IAM role ARN; use arn:aws:iam::<account>:role/<name>"),
                ));
            }
            let secs = session
                .map(|v| int_in("SIGNER_SESSION_SECONDS", &v, 900, 3600, problems).unwrap_or(3600))
                .unwrap_or(DEFAULT_SESSION_SECS);
            Signer::AssumeRole {
                role_arn,
                session: Duration::from_secs(secs),
            }
        }
        (None, keys) => {
            if session.is_some() {
                problems.push(problem(
                    "SIGNER_SESSION_SECONDS",
                    "is set but SIGNER_ROLE_ARN is not; set SIGNER_ROLE_ARN or remove SIGNER_SESSION_SECONDS",
                ));
            }
            match keys {
                Some(secret_id) => Signer::LongTermKeys { secret_id },
                None => Signer::Default,
            }
        }
    }
}

fn int_in(name: &str, value: &str, min: u64, max: u64, problems: &mut Vec<Problem>) -> Option<u64> {
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            problems.push(problem(
                name,
                format!(
                    "{value:?} is not a whole number from {min} to {max}; use one in that range"
                ),
            ));
            None
        }
    }
}

fn account_id(value: &str) -> Result<String, String> {
    let lower = value.to_ascii_lowercase();
    if lower.len() == 32 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(lower)
    } else {
        Err(format!(
            "{value:?} is not a Cloudflare account ID; use the 32 hexadecimal characters shown in the dashboard's URL or Overview page"
        ))
    }
}

fn api_base_url(value: &str) -> Result<String, String> {
    let url = Url::parse(value)
        .map_err(|e| format!("{value:?} is not a URL ({e}); use e.g. {DEFAULT_API_BASE_URL}"))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "{value:?} uses plain http to a non-loopback host, which would send the API token in clear; use https"
            ))
        }
        _ => return Err(format!("{value:?} is not an https URL; use e.g. {DEFAULT_API_BASE_URL}")),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{value:?} has a query or fragment; remove it"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
            && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty()))
}

/// `<cluster-id>.dsql.<region>.on.aws` gives `(cluster-id, region)`.
pub fn dsql_host_parts(host: &str) -> Option<(&str, &str)> {
    let rest = host.strip_suffix(".on.aws")?;
    let (cluster, region) = rest.split_once(".dsql.")?;
    let cluster_ok = !cluster.is_empty() && cluster.bytes().all(|b| b.is_ascii_alphanumeric());
    (cluster_ok && is_region(region)).then_some((cluster, region))
}

fn is_region(s: &str) -> bool {
    // e.g. us-east-1, ap-southeast-2, us-gov-west-1
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1]
            .parse::<u8>()
            .is_ok_and(|n| n > 0 && !parts[parts.len() - 1].starts_with('0'))
}

fn host_problem(host: &str) -> Option<&'static str> {
    if host.contains("://") {
        return Some("has a URL scheme; give the bare host name, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws");
    }
    if host.contains('/') {
        return Some("has a path; give the bare host name");
    }
    if host.contains(':') {
        return Some("has a port; give the bare host name and set `port` instead");
    }
    let ok = host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (!ok).then_some("is not a valid host name; use the cluster endpoint, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws")
}

fn targets(
    json: &str,
    default_account: Result<Option<&str>, &()>,
    problems: &mut Vec<Problem>,
) -> Vec<Target> {
    let value: Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            problems.push(problem(
                "HYPERDRIVE_TARGETS",
                format!("is not valid JSON ({e}); use a JSON array of target objects"),
            ));
            return Vec::new();
        }
    };
    let Value::Array(items) = value else {
        problems.push(problem(
            "HYPERDRIVE_TARGETS",
            "is not a JSON array; use an array of target objects, e.g. [{\"name\":\"orders-db\",\"host\":\"...\"}]",
        ));
        return Vec::new();
    };
    if items.is_empty() {
        problems.push(problem(
            "HYPERDRIVE_TARGETS",
            "is an empty array; declare at least one target",
        ));
    }
    let before = problems.len();
    let targets: Vec<Target> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| target(i, item, default_account, problems))
        .collect();
    if problems.len() == before {
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, t) in targets.iter().enumerate() {
            if let Some(first) = seen.insert((&t.account_id, &t.name), i) {
                problems.push(problem(
                    format!("HYPERDRIVE_TARGETS[{i}].name"),
                    format!(
                        "{:?} is also the name of HYPERDRIVE_TARGETS[{first}] in account {}; names must be unique per account",
                        t.name, t.account_id
                    ),
                ));
            }
        }
    }
    targets
}

fn target(
    i: usize,
    item: &Value,
    default_account: Result<Option<&str>, &()>,
    problems: &mut Vec<Problem>,
) -> Option<Target> {
    let at = |field: &str| format!("HYPERDRIVE_TARGETS[{i}].{field}");
    let Value::Object(obj) = item else {
        problems.push(problem(
            format!("HYPERDRIVE_TARGETS[{i}]"),
            "is not a JSON object; give {\"name\": ..., \"host\": ...}",
        ));
        return None;
    };
    let before = problems.len();
    for key in obj.keys().filter(|k| !TARGET_FIELDS.contains(&k.as_str())) {
        problems.push(problem(
            at(key),
            format!(
                "is not a known field; remove it (known fields: {})",
                TARGET_FIELDS.join(", ")
            ),
        ));
    }

    let mut field = Fields {
        obj,
        at: &at,
        problems,
    };
    let name = field.string("name", true, 255);
    let host = field
        .string("host", true, 253)
        .map(|h| h.to_ascii_lowercase());
    let region = field.string("region", false, 64);
    let user = field
        .string("user", false, 63)
        .unwrap_or_else(|| "admin".into());
    let database = field
        .string("database", false, 63)
        .unwrap_or_else(|| "postgres".into());
    let port = field
        .int("port", 1, 65535)
        .map(|p| p as u16)
        .unwrap_or(5432);
    let account = field.string("account_id", false, 64);
    let origin_connection_limit = field
        .int("origin_connection_limit", 5, u32::MAX.into())
        .map(|n| n as u32);
    let caching = match obj.get("caching") {
        None | Some(Value::Null) => None,
        Some(c) => match caching_problem(c) {
            Some(m) => {
                problems.push(problem(at("caching"), m));
                None
            }
            None => Some(c.clone()),
        },
    };

    if let Some(n) = &name {
        if n.chars().any(char::is_control) || n.trim() != n {
            problems.push(problem(
                at("name"),
                format!("{n:?} has control characters or surrounding spaces; remove them"),
            ));
        }
    }

    let account_id = match (account, default_account) {
        (Some(a), _) => account_id(&a)
            .map_err(|m| problems.push(problem(at("account_id"), m)))
            .ok(),
        (None, Ok(Some(d))) => Some(d.to_owned()),
        (None, Err(())) => None,
        (None, Ok(None)) => {
            problems.push(problem(
                at("account_id"),
                "is not set and CLOUDFLARE_ACCOUNT_ID is not set either; set one of them to the Cloudflare account ID",
            ));
            None
        }
    };

    let region = host.as_deref().and_then(|h| {
        if let Some(m) = host_problem(h) {
            problems.push(problem(at("host"), format!("{h:?} {m}")));
            return None;
        }
        match (dsql_host_parts(h), region) {
            (Some((_, from_host)), Some(r)) if r != from_host => {
                problems.push(problem(
                    at("region"),
                    format!("{r:?} differs from the region in the host ({from_host}); remove `region` or correct it"),
                ));
                None
            }
            (_, Some(r)) if !is_region(&r) => {
                problems.push(problem(
                    at("region"),
                    format!("{r:?} is not an AWS region name; use e.g. us-east-1"),
                ));
                None
            }
            (_, Some(r)) => Some(r),
            (Some((_, from_host)), None) => Some(from_host.to_owned()),
            (None, None) => {
                problems.push(problem(
                    at("region"),
                    format!("is required because {h:?} is not of the form <cluster-id>.dsql.<region>.on.aws; set the cluster's AWS region"),
                ));
                None
            }
        }
    });

    if problems.len() != before {
        return None;
    }
    Some(Target {
        name: name?,
        account_id: account_id?,
        host: host?,
        region: region?,
        user,
        database,
        port,
        caching,
        origin_connection_limit,
    })
}

/// Reads typed fields of one target object, recording a problem for each bad value.
struct Fields<'a, F: Fn(&str) -> String> {
    obj: &'a Map<String, Value>,
    at: &'a F,
    problems: &'a mut Vec<Problem>,
}

impl<F: Fn(&str) -> String> Fields<'_, F> {
    fn string(&mut self, key: &str, required: bool, max_bytes: usize) -> Option<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) if required => {
                self.problems
                    .push(problem((self.at)(key), "is missing; every target needs it"));
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => {
                self.problems.push(problem(
                    (self.at)(key),
                    "is empty; give a value or leave the field out",
                ));
                None
            }
            Some(Value::String(s)) if s.len() > max_bytes => {
                self.problems.push(problem(
                    (self.at)(key),
                    format!("is {} bytes long; the limit is {max_bytes}", s.len()),
                ));
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.problems.push(problem(
                    (self.at)(key),
                    format!("is {}, not a string; write it in quotes", kind(other)),
                ));
                None
            }
        }
    }

    fn int(&mut self, key: &str, min: u64, max: u64) -> Option<u64> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (min..=max).contains(&n)) => {
                n.as_u64()
            }
            Some(other) => {
                self.problems.push(problem(
                    (self.at)(key),
                    format!(
                        "{other} is not a whole number from {min} to {max}; use one in that range"
                    ),
                ));
                None
            }
        }
    }
}

/// "a string", "an array"...: how error messages name a JSON value's type.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Hyperdrive's `caching`: `{"disabled": true}` or `{"disabled": false, "max_age": s, "stale_while_revalidate": s}`.
fn caching_problem(c: &Value) -> Option<String> {
    const FIX: &str = r#"use {"disabled": true} or {"max_age": 60, "stale_while_revalidate": 15}"#;
    let Value::Object(obj) = c else {
        return Some(format!("is {}, not an object; {FIX}", kind(c)));
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !["disabled", "max_age", "stale_while_revalidate"].contains(&k.as_str()))
    {
        return Some(format!("has the unknown field {k:?}; {FIX}"));
    }
    let disabled = match obj.get("disabled") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Some(format!("`disabled` is not a boolean; {FIX}")),
    };
    for k in ["max_age", "stale_while_revalidate"] {
        match obj.get(k) {
            None => {}
            Some(_) if disabled => {
                return Some(format!(
                    "`{k}` has no effect when caching is disabled; remove it"
                ))
            }
            Some(Value::Number(n)) if n.as_u64().is_some() => {}
            Some(_) => return Some(format!("`{k}` is not a whole number of seconds; {FIX}")),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
    const HOST: &str = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws";

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    fn base<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut v = vec![
            ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
            ("CLOUDFLARE_API_TOKEN_SECRET_ID", "cloudflare/hyperdrive"),
        ];
        v.extend_from_slice(extra);
        v
    }

    fn parse(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_env(env(pairs))
    }

    fn one_problem(pairs: &[(&str, &str)]) -> Problem {
        let err = parse(pairs).expect_err("configuration should be refused");
        assert_eq!(err.problems.len(), 1, "{err}");
        err.problems[0].clone()
    }

    #[test]
    fn defaults_are_applied() {
        let targets = format!(r#"[{{"name":"orders","host":"{}"}}]"#, HOST.to_uppercase());
        let s = parse(&base(&[("HYPERDRIVE_TARGETS", &targets)])).unwrap();
        assert_eq!(s.api_base_url, DEFAULT_API_BASE_URL);
        assert_eq!(s.token_secret_key, "api_token");
        assert_eq!(s.token_ttl, Duration::from_secs(604_800));
        assert_eq!(s.signer, Signer::Default);
        assert_eq!(s.max_concurrency, 8);
        assert!(!s.dry_run);
        let t = &s.targets[0];
        assert_eq!(t.host, HOST, "host is lowercased");
        assert_eq!(t.region, "us-east-1", "region comes from the host");
        assert_eq!(
            (t.user.as_str(), t.database.as_str(), t.port),
            ("admin", "postgres", 5432)
        );
        assert_eq!(t.account_id, ACCOUNT);
        assert!(t.is_admin());
    }

    #[test]
    fn every_field_is_read() {
        let targets = format!(
            r#"[{{"name":"a","host":"db.internal.example","region":"eu-west-2","user":"app","database":"postgres","port":6543,
                 "account_id":"{}","caching":{{"max_age":30,"stale_while_revalidate":5}},"origin_connection_limit":20}}]"#,
            "ABCDEF0123456789ABCDEF0123456789"
        );
        let s = parse(&[
            (
                "CLOUDFLARE_API_TOKEN_SECRET_ID",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:cf",
            ),
            ("CLOUDFLARE_API_TOKEN_SECRET_KEY", "token"),
            ("HYPERDRIVE_TARGETS", &targets),
            ("TOKEN_TTL_SECONDS", "3600"),
            (
                "SIGNER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/dsql-signer",
            ),
            ("SIGNER_SESSION_SECONDS", "900"),
            (
                "CLOUDFLARE_API_BASE_URL",
                "http://127.0.0.1:8787/client/v4/",
            ),
            ("MAX_CONCURRENCY", "2"),
            ("DRY_RUN", "TRUE"),
        ])
        .unwrap();
        let t = &s.targets[0];
        assert_eq!(t.account_id, "abcdef0123456789abcdef0123456789");
        assert_eq!(
            (t.region.as_str(), t.user.as_str(), t.port),
            ("eu-west-2", "app", 6543)
        );
        assert!(!t.is_admin());
        assert_eq!(t.origin_connection_limit, Some(20));
        assert_eq!(t.caching.as_ref().unwrap()["max_age"], 30);
        assert_eq!(s.token_secret_key, "token");
        assert_eq!(s.token_ttl, Duration::from_secs(3600));
        assert_eq!(
            s.signer,
            Signer::AssumeRole {
                role_arn: "arn:aws:iam::123456789012:role/dsql-signer".into(),
                session: Duration::from_secs(900)
            }
        );
        assert_eq!(s.api_base_url, "http://127.0.0.1:8787/client/v4");
        assert_eq!(s.max_concurrency, 2);
        assert!(s.dry_run);
    }

    #[test]
    fn empty_values_count_as_unset() {
        let targets = format!(r#"[{{"name":"a","host":"{HOST}"}}]"#);
        let s = parse(&base(&[
            ("HYPERDRIVE_TARGETS", &targets),
            ("SIGNER_ROLE_ARN", ""),
            ("SIGNER_CREDENTIALS_SECRET_ID", " "),
            ("TOKEN_TTL_SECONDS", ""),
        ]))
        .unwrap();
        assert_eq!(s.signer, Signer::Default);
        assert_eq!(s.token_ttl, Duration::from_secs(604_800));
    }

    #[test]
    fn long_term_keys_mode() {
        let targets = format!(r#"[{{"name":"a","host":"{HOST}"}}]"#);
        let s = parse(&base(&[
            ("HYPERDRIVE_TARGETS", &targets),
            ("SIGNER_CREDENTIALS_SECRET_ID", "dsql/keys"),
        ]))
        .unwrap();
        assert_eq!(
            s.signer,
            Signer::LongTermKeys {
                secret_id: "dsql/keys".into()
            }
        );
    }

    #[test]
    fn each_bad_variable_is_named_with_a_fix() {
        let targets = format!(r#"[{{"name":"a","host":"{HOST}"}}]"#);
        let t = targets.as_str();
        type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
        let cases: Vec<Case> = vec![
            (
                vec![
                    ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
                    ("HYPERDRIVE_TARGETS", t),
                ],
                "CLOUDFLARE_API_TOKEN_SECRET_ID",
                "is not set",
            ),
            (base(&[]), "HYPERDRIVE_TARGETS", "is not set"),
            (
                base(&[("HYPERDRIVE_TARGETS", "[")]),
                "HYPERDRIVE_TARGETS",
                "is not valid JSON",
            ),
            (
                base(&[("HYPERDRIVE_TARGETS", "{}")]),
                "HYPERDRIVE_TARGETS",
                "is not a JSON array",
            ),
            (
                base(&[("HYPERDRIVE_TARGETS", "[]")]),
                "HYPERDRIVE_TARGETS",
                "empty array",
            ),
            (
                base(&[("HYPERDRIVE_TARGETS", t), ("TOKEN_TTL_SECONDS", "0")]),
                "TOKEN_TTL_SECONDS",
                "from 1 to 604800",
            ),
            (
                base(&[("HYPERDRIVE_TARGETS", t), ("TOKEN_TTL_SECONDS", "604801")]),
                "TOKEN_TTL_SECONDS",
                "from 1 to 604800",
            ),
            (
                base(&[("HYPERDRIVE_TARGETS", t), ("TOKEN_TTL_SECONDS", "1h")]),
                "TOKEN_TTL_SECONDS",
                "\"1h\"",
            ),
            (
                base(&[
                    ("HYPERDRIVE_TARGETS", t),
                    ("SIGNER_ROLE_ARN", "arn:aws:iam::123456789012:role/x"),
                    ("SIGNER_SESSION_SECONDS", "7200"),
                ]),
                "SIGNER_SESSION_SECONDS",
                "from 900 to 3600",
            ),
            (
                base(&[("HYPERDRIVE_TARGETS", t), ("SIGNER_SESSION_SECONDS", "900")]),
                "SIGNER_SESSION_SECONDS",
                "SIGNER_ROLE_ARN is not",
            ),
            (
                base(&[
                    ("HYPERDRIVE_TARGETS", t),
                    ("SIGNER_ROLE_ARN", "dsql-signer"),
                ]),
                "SIGNER_ROLE_ARN",
                "not an IAM role ARN",
            ),
            (
                base(&[
                    ("HYPERDRIVE_TARGETS", t),
                    ("SIGNER_ROLE_ARN", "arn:aws:iam::123456789012:role/x"),
                    ("SIGNER_CREDENTIALS_SECRET_ID", "k"),
                ]),
                "SIGNER_ROLE_ARN",
                "choose one signing mode",
            ),
            (
                base(&[
                    ("HYPERDRIVE_TARGETS", t),
                    (
                        "CLOUDFLARE_API_BASE_URL",
                        "http://api.example.com/client/v4",
                    ),
                ]),
                "CLOUDFLARE_API_BASE_URL",
                "in clear",
            ),
            (
                base(&[
                    ("HYPERDRIVE_TARGETS", t),
                    ("CLOUDFLARE_API_BASE_URL", "ftp://x"),
                ]),
                "CLOUDFLARE_API_BASE_URL",
                "not an https URL",
            ),
            (
                base(&[
                    ("HYPERDRIVE_TARGETS", t),
                    ("CLOUDFLARE_API_BASE_URL", "not a url"),
                ]),
                "CLOUDFLARE_API_BASE_URL",
                "is not a URL",
            ),
            (
                base(&[("HYPERDRIVE_TARGETS", t), ("MAX_CONCURRENCY", "0")]),
                "MAX_CONCURRENCY",
                "from 1 to 64",
            ),
            (
                base(&[("HYPERDRIVE_TARGETS", t), ("DRY_RUN", "yes")]),
                "DRY_RUN",
                "use true or false",
            ),
            (
                vec![
                    ("CLOUDFLARE_ACCOUNT_ID", "acme"),
                    ("CLOUDFLARE_API_TOKEN_SECRET_ID", "s"),
                    ("HYPERDRIVE_TARGETS", t),
                ],
                "CLOUDFLARE_ACCOUNT_ID",
                "32 hexadecimal",
            ),
        ];
        for (pairs, field, text) in cases {
            let p = one_problem(&pairs);
            assert_eq!(p.field, field, "{p}");
            assert!(p.message.contains(text), "{p} should contain {text:?}");
        }
    }

    #[test]
    fn each_bad_target_field_is_named_with_a_fix() {
        let cases: &[(&str, &str, &str)] = &[
            (r#"[1]"#, "HYPERDRIVE_TARGETS[0]", "not a JSON object"),
            (
                r#"[{"host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "is missing",
            ),
            (
                r#"[{"name":"a"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "is missing",
            ),
            (
                r#"[{"name":"","host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "is empty",
            ),
            (
                r#"[{"name":7,"host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "not a string",
            ),
            (
                r#"[{"name":" a","host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "surrounding spaces",
            ),
            (
                r#"[{"name":"a","host":"HOST","hots":1}]"#,
                "HYPERDRIVE_TARGETS[0].hots",
                "not a known field",
            ),
            (
                r#"[{"name":"a","host":"https://HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "URL scheme",
            ),
            (
                r#"[{"name":"a","host":"HOST:5432"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "set `port` instead",
            ),
            (
                r#"[{"name":"a","host":"HOST/postgres"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "has a path",
            ),
            (
                r#"[{"name":"a","host":"bad_host"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "not a valid host name",
            ),
            (
                r#"[{"name":"a","host":"db.example.com"}]"#,
                "HYPERDRIVE_TARGETS[0].region",
                "is required",
            ),
            (
                r#"[{"name":"a","host":"db.example.com","region":"east"}]"#,
                "HYPERDRIVE_TARGETS[0].region",
                "not an AWS region",
            ),
            (
                r#"[{"name":"a","host":"HOST","region":"us-west-2"}]"#,
                "HYPERDRIVE_TARGETS[0].region",
                "differs from the region in the host",
            ),
            (
                r#"[{"name":"a","host":"HOST","port":0}]"#,
                "HYPERDRIVE_TARGETS[0].port",
                "from 1 to 65535",
            ),
            (
                r#"[{"name":"a","host":"HOST","port":"5432"}]"#,
                "HYPERDRIVE_TARGETS[0].port",
                "from 1 to 65535",
            ),
            (
                r#"[{"name":"a","host":"HOST","user":""}]"#,
                "HYPERDRIVE_TARGETS[0].user",
                "is empty",
            ),
            (
                r#"[{"name":"a","host":"HOST","database":"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"}]"#,
                "HYPERDRIVE_TARGETS[0].database",
                "the limit is 63",
            ),
            (
                r#"[{"name":"a","host":"HOST","account_id":"x"}]"#,
                "HYPERDRIVE_TARGETS[0].account_id",
                "32 hexadecimal",
            ),
            (
                r#"[{"name":"a","host":"HOST","origin_connection_limit":4}]"#,
                "HYPERDRIVE_TARGETS[0].origin_connection_limit",
                "from 5",
            ),
            (
                r#"[{"name":"a","host":"HOST","caching":true}]"#,
                "HYPERDRIVE_TARGETS[0].caching",
                "not an object",
            ),
            (
                r#"[{"name":"a","host":"HOST","caching":{"ttl":1}}]"#,
                "HYPERDRIVE_TARGETS[0].caching",
                "unknown field \"ttl\"",
            ),
            (
                r#"[{"name":"a","host":"HOST","caching":{"disabled":true,"max_age":5}}]"#,
                "HYPERDRIVE_TARGETS[0].caching",
                "no effect",
            ),
            (
                r#"[{"name":"a","host":"HOST","caching":{"max_age":-1}}]"#,
                "HYPERDRIVE_TARGETS[0].caching",
                "whole number",
            ),
            (
                r#"[{"name":"a","host":"HOST"},{"name":"a","host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[1].name",
                "unique per account",
            ),
        ];
        for (json, field, text) in cases {
            let json = json.replace("HOST", HOST);
            let p = one_problem(&base(&[("HYPERDRIVE_TARGETS", &json)]));
            assert_eq!(p.field, *field, "{json}: {p}");
            assert!(p.message.contains(text), "{p} should contain {text:?}");
        }
    }

    #[test]
    fn same_name_in_two_accounts_is_allowed() {
        let json = format!(
            r#"[{{"name":"a","host":"{HOST}"}},{{"name":"a","host":"{HOST}","account_id":"ffffffffffffffffffffffffffffffff"}}]"#
        );
        assert_eq!(
            parse(&base(&[("HYPERDRIVE_TARGETS", &json)]))
                .unwrap()
                .targets
                .len(),
            2
        );
    }

    #[test]
    fn account_is_required_somewhere() {
        let json = format!(r#"[{{"name":"a","host":"{HOST}"}}]"#);
        let p = one_problem(&[
            ("CLOUDFLARE_API_TOKEN_SECRET_ID", "s"),
            ("HYPERDRIVE_TARGETS", &json),
        ]);
        assert_eq!(p.field, "HYPERDRIVE_TARGETS[0].account_id");
        assert!(p.message.contains("CLOUDFLARE_ACCOUNT_ID"));
    }

    #[test]
    fn all_problems_are_reported_together() {
        let err = parse(&[("TOKEN_TTL_SECONDS", "0"), ("DRY_RUN", "maybe")]).unwrap_err();
        let fields: Vec<&str> = err.problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "CLOUDFLARE_API_TOKEN_SECRET_ID",
                "TOKEN_TTL_SECONDS",
                "DRY_RUN",
                "HYPERDRIVE_TARGETS"
            ]
        );
        let text = err.to_string();
        assert!(
            text.starts_with(
                "invalid configuration (4 problems):\n  - CLOUDFLARE_API_TOKEN_SECRET_ID: "
            ),
            "{text}"
        );
    }

    #[test]
    fn select_filters_by_name_and_refuses_unknown_names() {
        let json = format!(r#"[{{"name":"a","host":"{HOST}"}},{{"name":"b","host":"{HOST}"}}]"#);
        let s = parse(&base(&[("HYPERDRIVE_TARGETS", &json)])).unwrap();
        assert_eq!(s.select(None).unwrap().len(), 2);
        let only_b = s.select(Some(&["b".to_owned()])).unwrap();
        assert_eq!(
            only_b.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["b"]
        );
        let p = s.select(Some(&["c".to_owned()])).unwrap_err();
        assert_eq!(p.field, "targets");
        assert!(
            p.message
                .contains("\"c\" is not a configured target; use one of a, b"),
            "{p}"
        );
    }

    #[test]
    fn variables_lists_exactly_what_is_read() {
        let asked = std::cell::RefCell::new(Vec::new());
        let _ = Settings::from_env(|name| {
            asked.borrow_mut().push(name.to_owned());
            None
        });
        let mut asked = asked.into_inner();
        asked.sort();
        let mut listed: Vec<String> = VARIABLES.iter().map(|v| (*v).to_owned()).collect();
        listed.sort();
        assert_eq!(asked, listed);
    }

    #[test]
    fn dsql_hosts_are_recognised() {
        assert_eq!(
            dsql_host_parts(HOST),
            Some(("abcdefghijklmnopqrstuvwxyz", "us-east-1"))
        );
        assert_eq!(
            dsql_host_parts("x.dsql.us-gov-west-1.on.aws"),
            Some(("x", "us-gov-west-1"))
        );
        assert_eq!(dsql_host_parts("x.dsql.useast1.on.aws"), None);
        assert_eq!(dsql_host_parts(".dsql.us-east-1.on.aws"), None);
        assert_eq!(dsql_host_parts("db.example.com"), None);
    }
}
