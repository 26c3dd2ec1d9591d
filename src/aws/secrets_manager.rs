//! AWS Secrets Manager: reading a secret's current value, and the two things kept in secrets: the
//! Cloudflare API token (bare, or inside a JSON object) and, in the long-term-keys mode, an IAM
//! user's keys. No error ever quotes a secret's value.

use super::error::AwsError;
use crate::redact::{printable, Secret};
use aws_credential_types::Credentials;
use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::SdkError;
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use std::fmt;

/// A secret could not be read or does not hold what it should.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretError {
    pub secret_id: String,
    pub problem: SecretProblem,
}

/// What is wrong with a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretProblem {
    /// Secrets Manager refused or failed the read.
    Read(Box<AwsError>),
    /// The value is not what it should be: what is wrong and how to fix it.
    Content(String),
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            SecretProblem::Read(aws) => {
                let hint = match aws.code() {
                    Some("AccessDeniedException") => {
                        " -> allow the function's role secretsmanager:GetSecretValue on this secret (and kms:Decrypt on its key if it uses a customer managed key)"
                    }
                    Some("ResourceNotFoundException") => {
                        " -> check the secret's name or ARN and that it lives in the function's region"
                    }
                    Some("ThrottlingException" | "Throttling") => {
                        " -> Secrets Manager is throttling this account, the next run will try again"
                    }
                    Some("DecryptionFailure") => {
                        " -> allow the function's role kms:Decrypt on the secret's key"
                    }
                    _ => "",
                };
                write!(
                    f,
                    "secret {:?} could not be read from Secrets Manager: {}{hint}",
                    self.secret_id,
                    aws.operation_failure()
                )
            }
            SecretProblem::Content(m) => write!(f, "secret {:?}: {m}", self.secret_id),
        }
    }
}

impl std::error::Error for SecretError {}

impl SecretError {
    /// The failed AWS call, when the secret could not be read.
    pub fn aws_error(&self) -> Option<&AwsError> {
        match &self.problem {
            SecretProblem::Read(aws) => Some(aws),
            SecretProblem::Content(_) => None,
        }
    }
}

fn err(id: &str, message: impl Into<String>) -> SecretError {
    SecretError {
        secret_id: id.to_owned(),
        problem: SecretProblem::Content(message.into()),
    }
}

/// The Secrets Manager client, built once per container.
#[derive(Debug, Clone)]
pub struct SecretsManager {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretsManager {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        SecretsManager {
            client: aws_sdk_secretsmanager::Client::new(sdk),
        }
    }

    /// Reads the current value of a secret.
    pub async fn read(&self, id: &str) -> Result<Secret, SecretError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(
                |e: SdkError<GetSecretValueError, HttpResponse>| SecretError {
                    secret_id: id.to_owned(),
                    problem: SecretProblem::Read(Box::new(AwsError::from_sdk(
                        "Secrets Manager",
                        "GetSecretValue",
                        &e,
                    ))),
                },
            )?;
        let value = match (out.secret_string(), out.secret_binary()) {
            (Some(s), _) => s.to_owned(),
            (None, Some(b)) => String::from_utf8(b.as_ref().to_vec()).map_err(|_| {
                err(
                    id,
                    "holds binary data that is not UTF-8 text; store the value as a string",
                )
            })?,
            (None, None) => {
                return Err(err(
                    id,
                    "has no value; put one with: aws secretsmanager put-secret-value --secret-id <id> --secret-string <value>",
                ))
            }
        };
        Ok(Secret::new(value))
    }
}

/// Longer than any Cloudflare API token (40 characters): the secret holds something else.
const MAX_TOKEN_LEN: usize = 256;

/// The Cloudflare API token: the whole value, or the string under `key` when the value is a JSON object.
pub fn cloudflare_token(id: &str, value: &Secret, key: &str) -> Result<Secret, SecretError> {
    let raw = value.expose().trim();
    let token = if raw.starts_with('{') {
        let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(raw).map_err(|e| {
            err(
                id,
                format!(
                    "looks like JSON but does not parse (line {}, column {}); store the bare token or a JSON object such as {{\"{key}\": \"<token>\"}}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        match object.get(key) {
            Some(serde_json::Value::String(s)) => s.trim().to_owned(),
            Some(_) => {
                return Err(err(
                    id,
                    format!("has a {key:?} that is not a string; store the token as a string"),
                ))
            }
            None => {
                let keys: Vec<&str> = object.keys().map(String::as_str).collect();
                return Err(err(
                    id,
                    format!(
                        "is a JSON object without the key {key:?} (its keys: {}); set CLOUDFLARE_API_TOKEN_SECRET_KEY to the key that holds the token",
                        printable(&keys.join(", "), 200)
                    ),
                ));
            }
        }
    } else if raw.starts_with('"') {
        // A token stored as a JSON string ("abc..." with its quotes), as some tools write it.
        serde_json::from_str::<String>(raw)
            .map(|t| t.trim().to_owned())
            .map_err(|_| {
                err(
                    id,
                    "starts with a quote but is not a JSON string; store the bare token",
                )
            })?
    } else {
        raw.to_owned()
    };
    if token.len() > MAX_TOKEN_LEN {
        return Err(err(
            id,
            format!(
                "holds {} characters where a Cloudflare API token has about 40; store only the token (or set CLOUDFLARE_API_TOKEN_SECRET_KEY to the JSON key that holds it)",
                token.len()
            ),
        ));
    }
    if token.is_empty() {
        return Err(err(
            id,
            "holds an empty Cloudflare API token; put the token in it",
        ));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(err(
            id,
            "holds a Cloudflare API token with spaces or non-ASCII characters, which cannot be sent in a header; store the bare token",
        ));
    }
    Ok(Secret::new(token))
}

/// Long-term IAM user keys stored as `{"access_key_id": "AKIA...", "secret_access_key": "..."}`.
pub fn long_term_keys(id: &str, value: &Secret) -> Result<Credentials, SecretError> {
    const FIX: &str = r#"store {"access_key_id": "AKIA...", "secret_access_key": "..."}"#;
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(value.expose().trim())
            .map_err(|_| err(id, format!("is not a JSON object; {FIX}")))?;
    let field = |name: &str| match object.get(name) {
        Some(serde_json::Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        _ => Err(err(id, format!("has no string {name:?}; {FIX}"))),
    };
    let access_key_id = field("access_key_id")?;
    let secret_access_key = field("secret_access_key")?;
    if access_key_id.starts_with("ASIA") {
        return Err(err(
            id,
            "holds temporary keys (ASIA...), which expire without notice; store an IAM user's long-term keys (AKIA...)",
        ));
    }
    Ok(Credentials::new(
        access_key_id,
        secret_access_key,
        None,
        None,
        "SecretsManager",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CF: &str = "Xk3v9-abcdefghijklmnopqrstuvwxyz012345";

    #[test]
    fn token_is_read_bare_or_from_json() {
        let bare = cloudflare_token("s", &Secret::new(format!("{CF}\n")), "api_token").unwrap();
        assert_eq!(bare.expose(), CF);
        let json = Secret::new(format!(r#"{{"api_token": "{CF}", "note": "x"}}"#));
        assert_eq!(
            cloudflare_token("s", &json, "api_token").unwrap().expose(),
            CF
        );
        let quoted = Secret::new(format!("\"{CF}\"\n"));
        assert_eq!(
            cloudflare_token("s", &quoted, "api_token")
                .unwrap()
                .expose(),
            CF,
            "a JSON string loses its quotes"
        );
        let custom = Secret::new(format!(r#"{{"token": "{CF}"}}"#));
        assert_eq!(
            cloudflare_token("s", &custom, "token").unwrap().expose(),
            CF
        );
    }

    #[test]
    fn token_problems_say_what_to_do_and_never_quote_the_value() {
        let cases = [
            (format!(r#"{{"token": "{CF}"}}"#), "without the key \"api_token\" (its keys: token); set CLOUDFLARE_API_TOKEN_SECRET_KEY"),
            (format!(r#"{{"api_token": 5, "x": "{CF}"}}"#), "not a string"),
            (format!(r#"{{"api_token": "{CF}""#), "does not parse"),
            ("   ".to_owned(), "empty"),
            (format!("{CF} {CF}"), "cannot be sent in a header"),
            (CF.repeat(2000), "store only the token"),
            (format!("\"{CF}"), "not a JSON string"),
        ];
        for (value, text) in cases {
            let e = cloudflare_token("cf/token", &Secret::new(value), "api_token").unwrap_err();
            let shown = e.to_string();
            assert!(shown.starts_with("secret \"cf/token\": "), "{shown}");
            assert!(shown.contains(text), "{shown} should contain {text}");
            assert!(!shown.contains(CF), "{shown} quotes the secret");
        }
    }

    #[test]
    fn long_term_keys_are_parsed_and_checked() {
        let ok =
            Secret::new(r#"{"access_key_id": "AKIAEXAMPLE", "secret_access_key": "sekret/value"}"#);
        let c = long_term_keys("k", &ok).unwrap();
        assert_eq!(c.access_key_id(), "AKIAEXAMPLE");
        assert_eq!(c.secret_access_key(), "sekret/value");
        assert!(c.session_token().is_none() && c.expiry().is_none());

        let temp =
            Secret::new(r#"{"access_key_id": "ASIAEXAMPLE", "secret_access_key": "sekret/value"}"#);
        assert!(long_term_keys("k", &temp)
            .unwrap_err()
            .to_string()
            .contains("long-term keys (AKIA...)"));
        let missing = Secret::new(r#"{"access_key_id": "AKIAEXAMPLE"}"#);
        let e = long_term_keys("k", &missing).unwrap_err();
        assert!(
            e.to_string().contains("no string \"secret_access_key\""),
            "{e}"
        );
        let garbage = Secret::new("sekret/value");
        let e = long_term_keys("k", &garbage).unwrap_err();
        assert!(
            e.to_string().contains("not a JSON object") && !e.to_string().contains("sekret"),
            "{e}"
        );
    }
}
