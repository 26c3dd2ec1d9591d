//! The AWS credentials that sign DSQL tokens, and how long they are known to live. A token signed
//! with temporary credentials dies with them, whatever its `X-Amz-Expires` says.

use crate::config::Signer;
use crate::secrets;
use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_smithy_types::error::display::DisplayErrorContext;
use std::fmt;
use std::time::{Duration, SystemTime};

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
        let by_ttl = signed_at + ttl;
        match self.lifetime {
            Lifetime::Until(at) => Some(at.min(by_ttl)),
            Lifetime::Unlimited => Some(by_ttl),
            Lifetime::Unknown => None,
        }
    }
}

/// Getting credentials failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError(pub String);

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CredentialsError {}

/// Where signing credentials come from; built once per container.
#[derive(Debug)]
pub enum CredentialSource {
    /// The default chain (execution role) or an assumed signer role.
    Provider {
        provider: Option<SharedCredentialsProvider>,
        describe: String,
    },
    /// Long-term keys read from a secret at each run (so that rotating them needs no redeploy).
    SecretKeys { secret_id: String },
}

impl CredentialSource {
    pub async fn new(signer: &Signer, sdk: &SdkConfig) -> Self {
        match signer {
            Signer::Default => CredentialSource::Provider {
                provider: sdk.credentials_provider(),
                describe: "the function's own AWS credentials".into(),
            },
            Signer::AssumeRole { role_arn, session } => CredentialSource::Provider {
                provider: Some(SharedCredentialsProvider::new(
                    AssumeRoleProvider::builder(role_arn.clone())
                        .session_name("hyperdrive-dsql-rotator")
                        .session_length(*session)
                        .configure(sdk)
                        .build()
                        .await,
                )),
                describe: format!("the signer role {role_arn}"),
            },
            Signer::LongTermKeys { secret_id } => CredentialSource::SecretKeys {
                secret_id: secret_id.clone(),
            },
        }
    }

    /// Fresh credentials for this run.
    pub async fn fetch(
        &self,
        secrets_client: &aws_sdk_secretsmanager::Client,
    ) -> Result<SigningCredentials, CredentialsError> {
        match self {
            CredentialSource::Provider { provider: None, describe } => Err(CredentialsError(format!(
                "could not get {describe}: no AWS credentials are configured; run with an IAM role or set the usual AWS credential variables"
            ))),
            CredentialSource::Provider { provider: Some(provider), describe } => provider
                .provide_credentials()
                .await
                .map(SigningCredentials::from_credentials)
                .map_err(|e| {
                    CredentialsError(format!(
                        "could not get {describe}: {}",
                        DisplayErrorContext(&e)
                    ))
                }),
            CredentialSource::SecretKeys { secret_id } => {
                let value = secrets::read(secrets_client, secret_id)
                    .await
                    .map_err(|e| CredentialsError(format!("could not get the long-term signing keys: {e}")))?;
                let creds = secrets::long_term_keys(secret_id, &value)
                    .map_err(|e| CredentialsError(format!("could not get the long-term signing keys: {e}")))?;
                Ok(SigningCredentials::from_credentials(creds))
            }
        }
    }
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
