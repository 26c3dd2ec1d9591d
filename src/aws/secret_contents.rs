//! What the secrets hold, parsed: the Cloudflare API token (bare, a JSON string, or inside a JSON
//! object) and an IAM user's long-term keys. No error ever quotes a secret's value.

use super::secrets_manager::{content_error as err, SecretError};
use crate::redact::{printable, Secret};
use aws_credential_types::Credentials;

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

/// Long-term keys as they are stored: the JSON object [`long_term_keys`] reads.
pub fn long_term_keys_json(credentials: &Credentials) -> Secret {
    Secret::new(
        serde_json::json!({
            "access_key_id": credentials.access_key_id(),
            "secret_access_key": credentials.secret_access_key(),
        })
        .to_string(),
    )
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
    fn stored_keys_read_back() {
        let keys = Credentials::new("AKIANEW", "new/secret", None, None, "t");
        let back = long_term_keys("k", &long_term_keys_json(&keys)).unwrap();
        assert_eq!(
            (back.access_key_id(), back.secret_access_key()),
            ("AKIANEW", "new/secret")
        );
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
