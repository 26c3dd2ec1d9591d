//! The AWS credentials that sign DSQL tokens, and how long they are known to live. A token signed
//! with temporary credentials dies with them, whatever its `X-Amz-Expires` says. Three sources: the
//! function's own credentials (lifetime unknown), a signer role assumed through STS at each run
//! (lifetime known), or long-term keys read from a secret (no expiry).

use super::error::AwsError;
use super::secret_contents::long_term_keys;
use super::secrets_manager::{SecretError, SecretsManager, AWSPENDING};
use crate::config::Signer;
use crate::redact::Secret;
use aws_config::SdkConfig;
use aws_credential_types::provider::error::CredentialsError as ChainError;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use std::fmt;
use std::time::{Duration, SystemTime};

/// The session name the signer role's sessions carry (visible in CloudTrail).
const SESSION_NAME: &str = "hyperdrive-dsql-rotator";

/// How long the signing credentials are known to be valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    /// Temporary credentials with a published expiry (an assumed role).
    Until(SystemTime),
    /// Long-term keys: tokens live their whole `X-Amz-Expires`.
    Unlimited,
    /// Temporary credentials whose expiry nobody publishes (a Lambda execution role).
    Unknown,
}

/// Credentials to sign with. `Credentials`' own `Debug` redacts the secret and session token.
#[derive(Debug, Clone)]
pub struct SigningCredentials {
    pub credentials: Credentials,
    pub lifetime: Lifetime,
}

impl SigningCredentials {
    pub fn from_credentials(credentials: Credentials) -> Self {
        let lifetime = match (credentials.expiry(), credentials.session_token()) {
            (Some(at), _) => Lifetime::Until(at),
            (None, Some(_)) => Lifetime::Unknown,
            (None, None) => Lifetime::Unlimited,
        };
        SigningCredentials {
            credentials,
            lifetime,
        }
    }

    /// When these credentials expire, if that is known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        match self.lifetime {
            Lifetime::Until(at) => Some(at),
            _ => None,
        }
    }

    /// Until when a token signed at `signed_at` for `ttl` really works: `None` when unknowable.
    pub fn token_valid_until(&self, signed_at: SystemTime, ttl: Duration) -> Option<SystemTime> {
        // A TTL is at most 7 days; an overflow (never seen) is read as no lifetime at all.
        let by_ttl = signed_at.checked_add(ttl).unwrap_or(signed_at);
        match self.lifetime {
            Lifetime::Until(at) => Some(at.min(by_ttl)),
            Lifetime::Unlimited => Some(by_ttl),
            Lifetime::Unknown => None,
        }
    }
}

/// Getting the signing credentials failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    /// Whose credentials, e.g. `the signer role arn:aws:iam::...`.
    pub source: String,
    pub cause: CredentialsCause,
}

/// Why the credentials could not be had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsCause {
    /// An AWS call failed (STS AssumeRole).
    Aws(Box<AwsError>),
    /// The secret with the long-term keys could not be read or parsed.
    Secret(SecretError),
    /// The SDK's credential chain found nothing usable: what to do.
    Chain(&'static str),
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not get {}: ", self.source)?;
        match &self.cause {
            CredentialsCause::Aws(aws) => {
                let hint = match aws.code() {
                    Some("AccessDenied") => {
                        " -> allow the function's role sts:AssumeRole on the signer role, and check that the signer role's trust policy names the function's role"
                    }
                    Some("Throttling" | "ThrottlingException") => {
                        " -> STS is throttling this account, the next run will try again"
                    }
                    Some("RegionDisabledException") => {
                        " -> activate STS in the function's region (IAM account settings)"
                    }
                    _ => "",
                };
                write!(f, "{aws}{hint}")
            }
            CredentialsCause::Secret(e) => write!(f, "{e}"),
            CredentialsCause::Chain(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for CredentialsError {}

impl CredentialsError {
    /// The failed AWS call, when one failed.
    pub fn aws_error(&self) -> Option<&AwsError> {
        match &self.cause {
            CredentialsCause::Aws(aws) => Some(aws),
            CredentialsCause::Secret(e) => e.aws_error(),
            CredentialsCause::Chain(_) => None,
        }
    }
}

/// Where signing credentials come from; built once per container.
#[derive(Debug, Clone)]
pub enum SignerSource {
    /// The function's own credentials (execution role, or the default chain on a laptop).
    Own {
        provider: Option<SharedCredentialsProvider>,
    },
    /// A role assumed through STS at each run, for `session`.
    AssumeRole {
        sts: aws_sdk_sts::Client,
        role_arn: String,
        session: Duration,
    },
    /// Long-term keys read from a secret at each run (so that rotating them needs no redeploy).
    SecretKeys { secret_id: String },
}

impl SignerSource {
    pub fn new(signer: &Signer, sdk: &SdkConfig) -> Self {
        match signer {
            Signer::Default => SignerSource::Own {
                provider: sdk.credentials_provider(),
            },
            Signer::AssumeRole { role_arn, session } => SignerSource::AssumeRole {
                sts: aws_sdk_sts::Client::new(sdk),
                role_arn: role_arn.clone(),
                session: *session,
            },
            Signer::LongTermKeys { secret_id, .. } => SignerSource::SecretKeys {
                secret_id: secret_id.clone(),
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            SignerSource::Own { .. } => "the function's own AWS credentials".to_owned(),
            SignerSource::AssumeRole { role_arn, .. } => format!("the signer role {role_arn}"),
            SignerSource::SecretKeys { .. } => "the long-term signing keys".to_owned(),
        }
    }

    /// Fresh credentials for this run.
    pub async fn fetch(
        &self,
        secrets: &SecretsManager,
    ) -> Result<SigningCredentials, CredentialsError> {
        let fail = |cause| CredentialsError {
            source: self.describe(),
            cause,
        };
        match self {
            SignerSource::Own { provider: None } => {
                Err(fail(CredentialsCause::Chain(NO_CREDENTIALS)))
            }
            SignerSource::Own {
                provider: Some(provider),
            } => provider
                .provide_credentials()
                .await
                .map(SigningCredentials::from_credentials)
                .map_err(|e| fail(CredentialsCause::Chain(chain_failure(&e)))),
            SignerSource::AssumeRole {
                sts,
                role_arn,
                session,
            } => assume(sts, role_arn, *session).await,
            SignerSource::SecretKeys { secret_id } => {
                let value = newest_keys(secrets, secret_id)
                    .await
                    .map_err(|e| fail(CredentialsCause::Secret(e)))?;
                let creds = long_term_keys(secret_id, &value)
                    .map_err(|e| fail(CredentialsCause::Secret(e)))?;
                Ok(SigningCredentials::from_credentials(creds))
            }
        }
    }
}

/// The keys to sign with: the pending ones while a rotation is under way (so that no run pushes a
/// token signed by the key the rotation is about to deactivate), else the current ones.
async fn newest_keys(secrets: &SecretsManager, secret_id: &str) -> Result<Secret, SecretError> {
    match secrets
        .read_version(secret_id, None, Some(AWSPENDING))
        .await
    {
        Ok(pending) => {
            tracing::info!(
                "a rotation of the signer keys is under way: signing with the pending key"
            );
            Ok(pending)
        }
        Err(e) if e.aws_error().and_then(AwsError::code) == Some("ResourceNotFoundException") => {
            secrets.read(secret_id).await
        }
        Err(e) => Err(e),
    }
}

const NO_CREDENTIALS: &str = "no AWS credentials were found; in Lambda the execution role provides them, elsewhere set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE";

/// What to do about a failure of the SDK's credential chain, from its kind only (its text lists
/// every provider tried, twice, in two kilobytes).
fn chain_failure(e: &ChainError) -> &'static str {
    match e {
        ChainError::CredentialsNotLoaded(_) => NO_CREDENTIALS,
        ChainError::ProviderTimedOut(_) => {
            "the credential provider did not answer in time (instance or container metadata); the next run will try again"
        }
        ChainError::InvalidConfiguration(_) => {
            "the AWS credentials configuration is invalid; check the AWS_* variables and the profile in ~/.aws/config"
        }
        _ => "the credential provider failed; check the function's role, or the AWS_* variables and profile",
    }
}

/// Credentials of `role_arn`, assumed for `session` with the function's own credentials: a signer
/// role (the function-wide one, or a target's in another AWS account).
pub async fn assume(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    session: Duration,
) -> Result<SigningCredentials, CredentialsError> {
    assume_role(sts, role_arn, session)
        .await
        .map(SigningCredentials::from_credentials)
        .map_err(|e| CredentialsError {
            source: format!("the signer role {role_arn}"),
            cause: CredentialsCause::Aws(Box::new(e)),
        })
}

/// One `sts:AssumeRole` of a signer role: credentials with their expiry.
async fn assume_role(
    sts: &aws_sdk_sts::Client,
    role_arn: &str,
    session: Duration,
) -> Result<Credentials, AwsError> {
    let out = sts
        .assume_role()
        .role_arn(role_arn)
        .role_session_name(SESSION_NAME)
        .duration_seconds(i32::try_from(session.as_secs()).unwrap_or(3600))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("STS", "AssumeRole", &e))?;
    let malformed = || AwsError {
        service: "STS",
        operation: "AssumeRole",
        failure: super::AwsFailure::MalformedResponse { status: 200 },
    };
    let c = out.credentials().ok_or_else(malformed)?;
    let expiry = SystemTime::try_from(*c.expiration()).map_err(|_| malformed())?;
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        Some(expiry),
        "AssumeRole",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn lifetime_follows_what_the_credentials_say() {
        let assumed = Credentials::new("ASIA", "s", Some("t".into()), Some(at(5000)), "sts");
        let execution_role = Credentials::new("ASIA", "s", Some("t".into()), None, "env");
        let user_keys = Credentials::new("AKIA", "s", None, None, "secret");
        let ttl = Duration::from_secs(604_800);

        let a = SigningCredentials::from_credentials(assumed);
        assert_eq!(a.lifetime, Lifetime::Until(at(5000)));
        assert_eq!(
            a.token_valid_until(at(1000), ttl),
            Some(at(5000)),
            "capped by the session"
        );
        assert_eq!(
            a.token_valid_until(at(1000), Duration::from_secs(60)),
            Some(at(1060)),
            "capped by the TTL"
        );

        let e = SigningCredentials::from_credentials(execution_role);
        assert_eq!(
            (e.lifetime, e.token_valid_until(at(1000), ttl)),
            (Lifetime::Unknown, None)
        );

        let u = SigningCredentials::from_credentials(user_keys);
        assert_eq!(u.token_valid_until(at(1000), ttl), Some(at(1000 + 604_800)));
        assert_eq!(u.expires_at(), None);
    }
}
