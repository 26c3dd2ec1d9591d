//! Hand-written verifier of Aurora DSQL IAM auth tokens (SigV4 query-presigned URLs), built on `hmac` and `sha2`
//! only, so that it is an oracle independent of the `aws-sigv4` signer the product uses.

use std::fmt;
use std::time::{Duration, SystemTime};

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::timefmt::rfc3339;

/// Clock skew tolerated before `X-Amz-Date`.
pub const CLOCK_SKEW: Duration = Duration::from_secs(300);
/// Largest `X-Amz-Expires` the service accepts (7 days).
pub const MAX_EXPIRES_SECS: u64 = 604_800;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "dsql";
const TERMINATOR: &str = "aws4_request";
/// hex(sha256("")): the payload hash of a presigned GET.
const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// RFC 3986 unreserved characters stay, everything else is percent-encoded (SigV4 canonical form).
const SIGV4_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The AWS credentials the emulator believes were used to sign tokens. When known, the emulator checks the
/// access key, the session token and the signature itself.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// When temporary credentials stop working; a token signed with them stops working too.
    pub expires_at: Option<SystemTime>,
}

impl SigningCredentials {
    /// Long-term credentials (no session token, no expiry).
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        SigningCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
            expires_at: None,
        }
    }

    pub fn with_session_token(mut self, session_token: impl Into<String>) -> Self {
        self.session_token = Some(session_token.into());
        self
    }

    pub fn with_expires_at(mut self, expires_at: SystemTime) -> Self {
        self.expires_at = Some(expires_at);
        self
    }
}

impl SigningCredentials {
    /// Reads credentials from JSON: `null` (unknown), `{"access_key_id", "secret_access_key", "session_token"?,
    /// "expires_at"? (RFC 3339)}`, or the AWS CLI / STS form `{"AccessKeyId", "SecretAccessKey", "SessionToken"?,
    /// "Expiration"?}`, optionally wrapped in `{"Credentials": ...}` as `aws sts assume-role` prints it.
    pub fn from_json(value: &serde_json::Value) -> Result<Option<SigningCredentials>, String> {
        use serde_json::Value;
        if value.is_null() {
            return Ok(None);
        }
        let value = value.get("Credentials").unwrap_or(value);
        let Value::Object(map) = value else {
            return Err("credentials must be a JSON object or null".into());
        };
        let field = |names: [&str; 2]| -> Result<Option<String>, String> {
            match names.iter().find_map(|n| map.get(*n)) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("credentials field {} must be a string", names[0])),
            }
        };
        let access_key_id = field(["access_key_id", "AccessKeyId"])?
            .ok_or("credentials need access_key_id (or AccessKeyId)")?;
        let secret_access_key = field(["secret_access_key", "SecretAccessKey"])?
            .ok_or("credentials need secret_access_key (or SecretAccessKey)")?;
        let session_token = field(["session_token", "SessionToken"])?;
        let expires_at = field(["expires_at", "Expiration"])?
            .map(|s| crate::timefmt::parse_rfc3339(&s))
            .transpose()?;
        Ok(Some(SigningCredentials {
            access_key_id,
            secret_access_key,
            session_token,
            expires_at,
        }))
    }
}

impl fmt::Debug for SigningCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expires_at", &self.expires_at.map(rfc3339))
            .finish()
    }
}

/// What the emulator learnt from a token it accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// `DbConnectAdmin` or `DbConnect`.
    pub action: String,
    pub access_key_id: String,
    /// Region of the credential scope.
    pub region: String,
    /// `X-Amz-Date`.
    #[serde(serialize_with = "crate::timefmt::serialize_system_time")]
    pub signed_at: SystemTime,
    /// `X-Amz-Date + X-Amz-Expires`, capped by the signing credentials' expiry when the emulator knows it.
    #[serde(serialize_with = "crate::timefmt::serialize_system_time")]
    pub expires_at: SystemTime,
    pub has_session_token: bool,
    /// Whether the signature was recomputed (only possible when the signing credentials are known).
    pub signature_checked: bool,
}

/// Why a token was refused. The `Display` text is precise and never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The token is not of the form `<host>/?<query>` with the expected parameters.
    BadForm(String),
    WrongHost {
        expected: String,
        found: String,
    },
    WrongAction {
        user: String,
        expected: &'static str,
        found: String,
    },
    /// The credential scope is malformed or its date differs from `X-Amz-Date`.
    WrongScope(String),
    WrongRegion {
        expected: String,
        found: String,
    },
    WrongService {
        found: String,
    },
    ExpiresOutOfRange {
        value: u64,
    },
    NotYetValid {
        signed_at: SystemTime,
        now: SystemTime,
    },
    Expired {
        expired_at: SystemTime,
        now: SystemTime,
    },
    WrongAccessKey {
        expected: String,
        found: String,
    },
    MissingSessionToken,
    UnexpectedSessionToken,
    WrongSessionToken,
    CredentialsExpired {
        expired_at: SystemTime,
        now: SystemTime,
    },
    SignatureMismatch,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::BadForm(why) => write!(f, "malformed DSQL auth token: {why}"),
            TokenError::WrongHost { expected, found } => write!(
                f,
                "DSQL auth token was signed for host {found:?}, but the origin host is {expected:?}"
            ),
            TokenError::WrongAction {
                user,
                expected,
                found,
            } => write!(
                f,
                "DSQL auth token has Action={found} but user {user:?} needs Action={expected}"
            ),
            TokenError::WrongScope(why) => write!(f, "DSQL auth token has a wrong credential scope: {why}"),
            TokenError::WrongRegion { expected, found } => write!(
                f,
                "DSQL auth token was signed for region {found:?}, but the cluster host is in region {expected:?}"
            ),
            TokenError::WrongService { found } => write!(
                f,
                "DSQL auth token was signed for service {found:?}, expected \"dsql\""
            ),
            TokenError::ExpiresOutOfRange { value } => write!(
                f,
                "DSQL auth token has X-Amz-Expires={value}, outside 1..={MAX_EXPIRES_SECS}"
            ),
            TokenError::NotYetValid { signed_at, now } => write!(
                f,
                "DSQL auth token is not yet valid: signed at {} (X-Amz-Date), now is {} (more than {} s of clock skew)",
                rfc3339(*signed_at),
                rfc3339(*now),
                CLOCK_SKEW.as_secs()
            ),
            TokenError::Expired { expired_at, now } => write!(
                f,
                "DSQL auth token expired at {} (X-Amz-Date + X-Amz-Expires), now is {}",
                rfc3339(*expired_at),
                rfc3339(*now)
            ),
            TokenError::WrongAccessKey { expected, found } => write!(
                f,
                "DSQL auth token was signed with access key {found:?}, expected {expected:?}"
            ),
            TokenError::MissingSessionToken => write!(
                f,
                "DSQL auth token has no X-Amz-Security-Token, but the signing credentials are temporary"
            ),
            TokenError::UnexpectedSessionToken => write!(
                f,
                "DSQL auth token carries an X-Amz-Security-Token, but the signing credentials are long-term"
            ),
            TokenError::WrongSessionToken => write!(
                f,
                "DSQL auth token carries an X-Amz-Security-Token that is not the signing credentials' session token"
            ),
            TokenError::CredentialsExpired { expired_at, now } => write!(
                f,
                "the credentials that signed the DSQL auth token expired at {}, now is {}",
                rfc3339(*expired_at),
                rfc3339(*now)
            ),
            TokenError::SignatureMismatch => write!(
                f,
                "DSQL auth token signature does not match (recomputed with the known signing credentials)"
            ),
        }
    }
}

impl std::error::Error for TokenError {}

/// The parameters of a token, decoded, in their original order.
struct ParsedToken {
    host: String,
    params: Vec<(String, String)>,
}

impl ParsedToken {
    fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn require(&self, name: &str) -> Result<&str, TokenError> {
        self.get(name)
            .ok_or_else(|| TokenError::BadForm(format!("missing query parameter {name}")))
    }
}

const KNOWN_PARAMS: [&str; 8] = [
    "Action",
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Security-Token",
    "X-Amz-Signature",
];

fn parse(token: &str) -> Result<ParsedToken, TokenError> {
    if token.starts_with("https://") || token.starts_with("http://") {
        return Err(TokenError::BadForm(
            "the token must not start with a URL scheme".into(),
        ));
    }
    let Some((host, query)) = token.split_once("/?") else {
        return Err(TokenError::BadForm(
            "expected <host>/?<query parameters>".into(),
        ));
    };
    if host.is_empty() || host.contains(['/', ' ', '?', '&']) {
        return Err(TokenError::BadForm(format!("invalid host {host:?}")));
    }
    let mut params: Vec<(String, String)> = Vec::new();
    for part in query.split('&') {
        let Some((raw_key, raw_value)) = part.split_once('=') else {
            return Err(TokenError::BadForm(format!(
                "query parameter without '=': {:?}",
                truncate(part)
            )));
        };
        let key = decode(raw_key)?;
        let value = decode(raw_value)?;
        if !KNOWN_PARAMS.contains(&key.as_str()) {
            return Err(TokenError::BadForm(format!(
                "unexpected query parameter {:?}",
                truncate(&key)
            )));
        }
        if params.iter().any(|(k, _)| *k == key) {
            return Err(TokenError::BadForm(format!(
                "duplicate query parameter {key}"
            )));
        }
        params.push((key, value));
    }
    Ok(ParsedToken {
        host: host.to_string(),
        params,
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn decode(raw: &str) -> Result<String, TokenError> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            TokenError::BadForm("query parameter is not valid percent-encoded UTF-8".into())
        })
}

/// `<cluster>.dsql.<region>.on.aws` -> region.
fn region_of_host(host: &str) -> Option<&str> {
    let rest = host.strip_suffix(".on.aws")?;
    let (cluster, region) = rest.split_once(".dsql.")?;
    if cluster.is_empty() || region.is_empty() || region.contains('.') {
        return None;
    }
    Some(region)
}

fn parse_amz_date(value: &str) -> Result<SystemTime, TokenError> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    if value.len() != 16 {
        return Err(TokenError::BadForm(format!(
            "X-Amz-Date {value:?} is not of the form yyyymmddTHHMMSSZ"
        )));
    }
    time::PrimitiveDateTime::parse(value, format)
        .map(|t| SystemTime::from(t.assume_utc()))
        .map_err(|_| {
            TokenError::BadForm(format!(
                "X-Amz-Date {value:?} is not of the form yyyymmddTHHMMSSZ"
            ))
        })
}

/// Checks a DSQL auth token as Hyperdrive's connection test (and DSQL itself) would.
///
/// `origin_host` and `user` are the Hyperdrive origin's; `now` is the verifier's clock. With `credentials`, the
/// access key, the session token, the credentials' expiry and the signature itself are checked too.
pub fn verify_dsql_token(
    token: &str,
    origin_host: &str,
    user: &str,
    now: SystemTime,
    credentials: Option<&SigningCredentials>,
) -> Result<TokenInfo, TokenError> {
    let parsed = parse(token)?;

    let expected_host = origin_host.to_ascii_lowercase();
    if parsed.host != expected_host {
        return Err(TokenError::WrongHost {
            expected: expected_host,
            found: parsed.host,
        });
    }

    let action = parsed.require("Action")?;
    if action != "DbConnectAdmin" && action != "DbConnect" {
        return Err(TokenError::BadForm(format!(
            "Action {:?} is neither DbConnectAdmin nor DbConnect",
            truncate(action)
        )));
    }
    let expected_action = if user == "admin" {
        "DbConnectAdmin"
    } else {
        "DbConnect"
    };
    if action != expected_action {
        return Err(TokenError::WrongAction {
            user: user.to_string(),
            expected: expected_action,
            found: action.to_string(),
        });
    }

    let algorithm = parsed.require("X-Amz-Algorithm")?;
    if algorithm != ALGORITHM {
        return Err(TokenError::BadForm(format!(
            "X-Amz-Algorithm is {:?}, expected {ALGORITHM}",
            truncate(algorithm)
        )));
    }
    let signed_headers = parsed.require("X-Amz-SignedHeaders")?;
    if signed_headers != "host" {
        return Err(TokenError::BadForm(format!(
            "X-Amz-SignedHeaders is {:?}, expected \"host\"",
            truncate(signed_headers)
        )));
    }
    let signature = parsed.require("X-Amz-Signature")?;
    if signature.len() != 64
        || !signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(TokenError::BadForm(
            "X-Amz-Signature is not 64 lowercase hex digits".into(),
        ));
    }
    let amz_date = parsed.require("X-Amz-Date")?;
    let signed_at = parse_amz_date(amz_date)?;
    let expires_raw = parsed.require("X-Amz-Expires")?;
    if expires_raw.is_empty() || !expires_raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TokenError::BadForm(format!(
            "X-Amz-Expires {:?} is not a whole number of seconds",
            truncate(expires_raw)
        )));
    }
    let expires_secs: u64 = expires_raw.parse().unwrap_or(u64::MAX);

    // Credential scope: <AKID>/<yyyymmdd>/<region>/dsql/aws4_request
    let credential = parsed.require("X-Amz-Credential")?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, scope_date, region, service, terminator] = parts.as_slice() else {
        return Err(TokenError::WrongScope(format!(
            "X-Amz-Credential has {} '/'-separated parts, expected 5 (<access key>/<yyyymmdd>/<region>/dsql/aws4_request)",
            parts.len()
        )));
    };
    if access_key_id.is_empty() {
        return Err(TokenError::WrongScope(
            "X-Amz-Credential has an empty access key id".into(),
        ));
    }
    if amz_date.get(..8) != Some(*scope_date) {
        return Err(TokenError::WrongScope(format!(
            "credential scope date {:?} differs from the date of X-Amz-Date {amz_date:?}",
            truncate(scope_date)
        )));
    }
    if *terminator != TERMINATOR {
        return Err(TokenError::WrongScope(format!(
            "credential scope ends with {:?}, expected {TERMINATOR:?}",
            truncate(terminator)
        )));
    }
    if *service != SERVICE {
        return Err(TokenError::WrongService {
            found: service.to_string(),
        });
    }
    if region.is_empty() {
        return Err(TokenError::WrongScope("empty region".into()));
    }
    if let Some(host_region) = region_of_host(&parsed.host) {
        if host_region != *region {
            return Err(TokenError::WrongRegion {
                expected: host_region.to_string(),
                found: region.to_string(),
            });
        }
    }

    if !(1..=MAX_EXPIRES_SECS).contains(&expires_secs) {
        return Err(TokenError::ExpiresOutOfRange {
            value: expires_secs,
        });
    }
    let token_expires_at = signed_at + Duration::from_secs(expires_secs);
    if now + CLOCK_SKEW < signed_at {
        return Err(TokenError::NotYetValid { signed_at, now });
    }
    if now >= token_expires_at {
        return Err(TokenError::Expired {
            expired_at: token_expires_at,
            now,
        });
    }

    let session_token = parsed.get("X-Amz-Security-Token");
    let mut expires_at = token_expires_at;
    let signature_checked = credentials.is_some();
    if let Some(creds) = credentials {
        if *access_key_id != creds.access_key_id {
            return Err(TokenError::WrongAccessKey {
                expected: creds.access_key_id.clone(),
                found: access_key_id.to_string(),
            });
        }
        match (&creds.session_token, session_token) {
            (Some(_), None) => return Err(TokenError::MissingSessionToken),
            (None, Some(_)) => return Err(TokenError::UnexpectedSessionToken),
            (Some(expected), Some(found)) if expected != found => {
                return Err(TokenError::WrongSessionToken)
            }
            _ => {}
        }
        if let Some(creds_expire) = creds.expires_at {
            if now >= creds_expire {
                return Err(TokenError::CredentialsExpired {
                    expired_at: creds_expire,
                    now,
                });
            }
            expires_at = expires_at.min(creds_expire);
        }
        let expected = compute_signature(
            &parsed,
            &creds.secret_access_key,
            amz_date,
            scope_date,
            region,
        );
        if expected != signature {
            return Err(TokenError::SignatureMismatch);
        }
    }

    Ok(TokenInfo {
        action: action.to_string(),
        access_key_id: access_key_id.to_string(),
        region: region.to_string(),
        signed_at,
        expires_at,
        has_session_token: session_token.is_some(),
        signature_checked,
    })
}

fn sigv4_encode(s: &str) -> String {
    utf8_percent_encode(s, SIGV4_ENCODE).to_string()
}

/// Canonical query string: every parameter but the signature, RFC 3986-encoded, sorted.
fn canonical_query(parsed: &ParsedToken) -> String {
    let mut pairs: Vec<(String, String)> = parsed
        .params
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (sigv4_encode(k), sigv4_encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail here.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn compute_signature(
    parsed: &ParsedToken,
    secret: &str,
    amz_date: &str,
    scope_date: &str,
    region: &str,
) -> String {
    let canonical_request = format!(
        "GET\n/\n{}\nhost:{}\n\nhost\n{EMPTY_PAYLOAD_SHA256}",
        canonical_query(parsed),
        parsed.host
    );
    let scope = format!("{scope_date}/{region}/{SERVICE}/{TERMINATOR}");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), scope_date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, SERVICE.as_bytes());
    let k_signing = hmac_sha256(&k_service, TERMINATOR.as_bytes());
    hex::encode(hmac_sha256(&k_signing, string_to_sign.as_bytes()))
}

/// Signs a DSQL auth token the way the SDKs do. For tests and demos of this emulator only: the product has its
/// own signer, and this function shares the canonicalisation code of the verifier (the boto3 vectors are the
/// independent reference).
pub fn sign_dsql_token(
    host: &str,
    action: &str,
    region: &str,
    signed_at: SystemTime,
    expires_secs: u64,
    credentials: &SigningCredentials,
) -> String {
    let host = host.to_ascii_lowercase();
    let when = time::OffsetDateTime::from(signed_at);
    let amz_date = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        when.year(),
        u8::from(when.month()),
        when.day(),
        when.hour(),
        when.minute(),
        when.second()
    );
    let scope_date = amz_date[..8].to_string();
    let mut params = vec![
        ("Action".to_string(), action.to_string()),
        ("X-Amz-Algorithm".to_string(), ALGORITHM.to_string()),
        (
            "X-Amz-Credential".to_string(),
            format!(
                "{}/{scope_date}/{region}/{SERVICE}/{TERMINATOR}",
                credentials.access_key_id
            ),
        ),
        ("X-Amz-Date".to_string(), amz_date.clone()),
        ("X-Amz-Expires".to_string(), expires_secs.to_string()),
        ("X-Amz-SignedHeaders".to_string(), "host".to_string()),
    ];
    if let Some(session) = &credentials.session_token {
        params.push(("X-Amz-Security-Token".to_string(), session.clone()));
    }
    let parsed = ParsedToken {
        host: host.clone(),
        params,
    };
    let signature = compute_signature(
        &parsed,
        &credentials.secret_access_key,
        &amz_date,
        &scope_date,
        region,
    );
    let query = canonical_query(&parsed);
    format!("{host}/?{query}&X-Amz-Signature={signature}")
}

#[cfg(test)]
mod tests;
