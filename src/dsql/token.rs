//! Aurora DSQL IAM auth tokens: a SigV4 query-presigned `GET https://<host>/?Action=DbConnect[Admin]`
//! for the service `dsql`, without its `https://`. Signed with `aws-sigv4`, as the official SDK does.

use crate::redact::Secret;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::fmt;
use std::time::{Duration, SystemTime};

/// What to sign a token for.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest<'a> {
    /// Lowercase endpoint host, e.g. `abc.dsql.us-east-1.on.aws`.
    pub host: &'a str,
    pub region: &'a str,
    /// `DbConnectAdmin` (the `admin` role) rather than `DbConnect`.
    pub admin: bool,
    /// `X-Amz-Expires`.
    pub expires_in: Duration,
}

/// Signing failed (a bad host or region reached the signer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError(String);

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not sign the DSQL auth token: {}", self.0)
    }
}

impl std::error::Error for TokenError {}

/// Signs a token at `time` with `credentials`. The result is a [`Secret`]: it is a password.
pub fn generate(
    credentials: &Credentials,
    request: TokenRequest<'_>,
    time: SystemTime,
) -> Result<Secret, TokenError> {
    let action = if request.admin {
        "DbConnectAdmin"
    } else {
        "DbConnect"
    };
    let url = format!("https://{}/?Action={action}", request.host);

    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(request.expires_in);

    let identity: Identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(request.region)
        .name("dsql")
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| TokenError(e.to_string()))?;
    let signable = SignableRequest::new("GET", &url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|e| TokenError(format!("host {:?}: {e}", request.host)))?;
    let (instructions, _signature) = sign(signable, &params.into())
        .map_err(|e| TokenError(e.to_string()))?
        .into_parts();

    let mut token = url["https://".len()..].to_owned();
    for (name, value) in instructions.params() {
        token.push('&');
        token.push_str(name);
        token.push('=');
        token.extend(form_urlencoded::byte_serialize(value.as_bytes()));
    }
    Ok(Secret::new(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn matches_the_official_sdk_test_vector() {
        // aws-sdk-dsql's own unit test: akid/secret, peccy, 450 s, 2024-08-27T00:00:00Z.
        let creds = Credentials::new("akid", "secret", None, None, "test");
        let req = TokenRequest {
            host: "peccy.dsql.us-east-1.on.aws",
            region: "us-east-1",
            admin: false,
            expires_in: Duration::from_secs(450),
        };
        let token = generate(&creds, req, UNIX_EPOCH + Duration::from_secs(1_724_716_800)).unwrap();
        assert_eq!(
            token.expose(),
            "peccy.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=akid%2F20240827%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20240827T000000Z&X-Amz-Expires=450&X-Amz-SignedHeaders=host&X-Amz-Signature=f5f2ad764ca5df44045d4ab6ccecba0eef941b0007e5765885a0b6ed3702a3f8"
        );
        assert_eq!(format!("{token:?}"), "Secret(<redacted>)");
    }
}
