//! The function's configuration: read once per container from the environment into a validated
//! [`Settings`]. Reading the environment (`env`) is apart from parsing targets out of labelled JSON
//! text (`targets`, so that a file or another variable reuses it with the right field paths) and from
//! the checks of single values (`values`). Every problem names the variable or field, says what is
//! wrong with the value and how to fix it.

mod env;
mod mtls;
mod sources;
mod targets;
mod values;

pub use sources::{resolve_targets_file, MAX_TARGETS_FILE_BYTES};
pub use targets::{parse_targets, Labelled};

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

pub const DEFAULT_API_BASE_URL: &str = "https://api.cloudflare.com/client/v4";
pub const DEFAULT_SECRET_KEY: &str = "api_token";
pub const MAX_TOKEN_TTL_SECS: u64 = 604_800;
pub const DEFAULT_SESSION_SECS: u64 = 3600;
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
/// The environment variables the configuration reads.
pub const VARIABLES: &[&str] = &[
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_TOKEN_SECRET_ID",
    "CLOUDFLARE_API_TOKEN_SECRET_IDS",
    "CLOUDFLARE_API_TOKEN_SECRET_KEY",
    "HYPERDRIVE_TARGETS",
    "HYPERDRIVE_TARGETS_FILE",
    "TOKEN_TTL_SECONDS",
    "SIGNER_ROLE_ARN",
    "SIGNER_SESSION_SECONDS",
    "SIGNER_CREDENTIALS_SECRET_ID",
    "SIGNER_USER_NAME",
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
    "signer_role_arn",
    "mtls",
];

/// Everything a run needs to know, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub targets: Vec<Target>,
    pub api_base_url: String,
    /// Secret name or ARN of the Cloudflare API token: the default, for every account without its
    /// own entry in `token_secret_ids`.
    pub token_secret_id: Option<String>,
    /// The API token secret of each account that has its own (account id, lower case).
    pub token_secret_ids: BTreeMap<String, String>,
    /// JSON key of the token when the secret is a JSON object.
    pub token_secret_key: String,
    /// `X-Amz-Expires` of every DSQL token.
    pub token_ttl: Duration,
    pub signer: Signer,
    pub max_concurrency: usize,
    pub dry_run: bool,
    /// What was accepted but deserves a look (logged at start).
    pub warnings: Vec<Problem>,
}

impl Settings {
    /// The secret that holds `account`'s Cloudflare API token (every account used has one).
    pub fn token_secret_for(&self, account: &str) -> &str {
        self.token_secret_ids
            .get(account)
            .or(self.token_secret_id.as_ref())
            .map_or("", String::as_str)
    }
}

/// Whose credentials sign the DSQL tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// The function's own credentials (execution role in Lambda, the default chain elsewhere).
    Default,
    /// A role assumed for each run: tokens live at most `session`.
    AssumeRole { role_arn: String, session: Duration },
    /// Long-term IAM user keys read from a secret: tokens can live the whole TTL (7 days).
    LongTermKeys {
        secret_id: String,
        /// The IAM user whose keys they are (for rotation); else the owner of the current key.
        user_name: Option<String>,
    },
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
    /// A role assumed each run to sign this target's tokens (a cluster in another AWS account),
    /// instead of the function-wide signing mode.
    pub signer_role_arn: Option<String>,
    /// Hyperdrive `mtls` object (`sslmode`, `ca_certificate_id`, `mtls_certificate_id`), passed
    /// through as given (validated).
    pub mtls: Option<Value>,
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

#[cfg(test)]
pub(crate) mod testing {
    //! Configurations for the unit tests of this module and of others.
    use super::*;
    use std::collections::HashMap;

    pub(crate) const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
    pub(crate) const HOST: &str = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws";

    pub(crate) fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |k| map.get(k).cloned()
    }

    pub(crate) fn base<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut v = vec![
            ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
            ("CLOUDFLARE_API_TOKEN_SECRET_ID", "cloudflare/hyperdrive"),
        ];
        v.extend_from_slice(extra);
        v
    }

    pub(crate) fn parse(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_env(env(pairs))
    }

    pub(crate) fn one_problem(pairs: &[(&str, &str)]) -> Problem {
        let err = parse(pairs).expect_err("configuration should be refused");
        assert_eq!(err.problems.len(), 1, "{err}");
        err.problems[0].clone()
    }
}
