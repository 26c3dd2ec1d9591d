//! Reading the environment into [`Settings`]: each variable checked, every problem collected, and
//! the targets parsed from `HYPERDRIVE_TARGETS`.

use super::sources;
use super::values::{account_id, api_base_url, is_iam_name, is_role_arn};
use super::{
    parse_targets, problem, ConfigError, Labelled, Problem, Settings, Signer, DEFAULT_API_BASE_URL,
    DEFAULT_MAX_CONCURRENCY, DEFAULT_SECRET_KEY, DEFAULT_SESSION_SECS, MAX_TOKEN_TTL_SECS,
};
use std::time::Duration;

const MAX_CONCURRENCY_LIMIT: usize = 64;

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

        let token_secret_id = get("CLOUDFLARE_API_TOKEN_SECRET_ID");
        let token_secret_ids_text = get("CLOUDFLARE_API_TOKEN_SECRET_IDS");
        if token_secret_id.is_none() && token_secret_ids_text.is_none() {
            problems.push(problem(
                "CLOUDFLARE_API_TOKEN_SECRET_ID",
                "is not set; set it to the name or ARN of the Secrets Manager secret that holds the Cloudflare API token (or CLOUDFLARE_API_TOKEN_SECRET_IDS to a secret per account)",
            ));
        }
        let token_secret_ids = token_secret_ids_text
            .map(|text| sources::token_secret_ids(&text, &mut problems))
            .unwrap_or_default();
        let mut warnings = Vec::new();
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

        let file = get("HYPERDRIVE_TARGETS_FILE");
        let (label, text) = match (get("HYPERDRIVE_TARGETS"), file) {
            (Some(_), Some(_)) => {
                problems.push(problem(
                    "HYPERDRIVE_TARGETS_FILE",
                    "and HYPERDRIVE_TARGETS are both set; keep one: the file for fleets whose targets do not fit Lambda's 4 KB environment, the variable otherwise",
                ));
                ("HYPERDRIVE_TARGETS", None)
            }
            (Some(json), None) => ("HYPERDRIVE_TARGETS", Some(json)),
            (None, Some(path)) => (
                "HYPERDRIVE_TARGETS_FILE",
                sources::read_targets_file(&path, &mut problems),
            ),
            (None, None) => {
                problems.push(problem(
                    "HYPERDRIVE_TARGETS",
                    r#"is not set; set it to a JSON array of targets, e.g. [{"name":"orders-db","host":"<cluster-id>.dsql.us-east-1.on.aws"}], or set HYPERDRIVE_TARGETS_FILE to a file holding that array"#,
                ));
                ("HYPERDRIVE_TARGETS", None)
            }
        };
        let targets = match text {
            None => Vec::new(),
            Some(text) => parse_targets(
                Labelled { label, text: &text },
                default_account.as_ref().map(Option::as_deref),
                &mut problems,
                &mut warnings,
            ),
        };
        sources::check_token_secrets(
            &targets,
            token_secret_id.as_deref(),
            &token_secret_ids,
            &mut problems,
            &mut warnings,
        );

        if problems.is_empty() {
            Ok(Settings {
                targets,
                api_base_url,
                token_secret_id,
                token_secret_ids,
                token_secret_key,
                token_ttl,
                signer,
                max_concurrency,
                dry_run,
                warnings,
            })
        } else {
            Err(ConfigError { problems })
        }
    }
}

fn signer(get: &impl Fn(&str) -> Option<String>, problems: &mut Vec<Problem>) -> Signer {
    let role = get("SIGNER_ROLE_ARN");
    let keys_secret = get("SIGNER_CREDENTIALS_SECRET_ID");
    let session = get("SIGNER_SESSION_SECONDS");
    let user = get("SIGNER_USER_NAME");
    if let Some(u) = &user {
        if keys_secret.is_none() {
            problems.push(problem(
                "SIGNER_USER_NAME",
                "is set but SIGNER_CREDENTIALS_SECRET_ID is not; the signer user is for the long-term-keys mode: set SIGNER_CREDENTIALS_SECRET_ID or remove SIGNER_USER_NAME",
            ));
        } else if !is_iam_name(u) {
            problems.push(problem(
                "SIGNER_USER_NAME",
                format!("{u:?} is not an IAM user name; use 1 to 64 letters, digits and +=,.@_- (the name, not the ARN)"),
            ));
        }
    }
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
                Some(secret_id) => Signer::LongTermKeys {
                    secret_id,
                    user_name: user,
                },
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

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;
    use std::time::Duration;

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
                secret_id: "dsql/keys".into(),
                user_name: None,
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
                base(&[
                    ("HYPERDRIVE_TARGETS", t),
                    (
                        "CLOUDFLARE_API_BASE_URL",
                        "https://me:hunter2secret@api.cloudflare.com/client/v4",
                    ),
                ]),
                "CLOUDFLARE_API_BASE_URL",
                "user name or password before the host",
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
            assert!(!p.message.contains("hunter2secret"), "{p} shows a password");
        }
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
    fn account_is_required_somewhere() {
        let json = format!(r#"[{{"name":"a","host":"{HOST}"}}]"#);
        let p = one_problem(&[
            ("CLOUDFLARE_API_TOKEN_SECRET_ID", "s"),
            ("HYPERDRIVE_TARGETS", &json),
        ]);
        assert_eq!(p.field, "HYPERDRIVE_TARGETS[0].account_id");
        assert!(p.message.contains("CLOUDFLARE_ACCOUNT_ID"));
    }
}
