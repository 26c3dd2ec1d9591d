//! What every action needs, built once per container and shared by its invocations: the settings,
//! the AWS and Cloudflare clients, the clock, the jitter and the retry policy. Building it calls
//! nothing remote.

use crate::aws::credentials::{CredentialsError, SignerSource, SigningCredentials};
use crate::aws::iam::Iam;
use crate::aws::sdk::check_region;
use crate::aws::secret_contents::cloudflare_token;
use crate::aws::secrets_manager::{SecretError, SecretsManager};
use crate::cloudflare::Session;
use crate::config::{ConfigError, Settings};
use crate::jitter::{Jitter, RandomJitter};
use crate::redact::Secret;
use crate::retry::{Retrier, RetryPolicy};
use crate::time::{Clock, SystemClock};
use aws_config::SdkConfig;
use std::fmt;
use std::sync::Arc;
use tokio::time::Instant;

/// The shared context of every invocation.
#[derive(Debug)]
pub struct Context {
    pub settings: Settings,
    pub secrets_manager: SecretsManager,
    pub signer: SignerSource,
    /// IAM and STS, for the credential lifecycle (rotation, revoke).
    pub iam: Iam,
    /// STS, for the signer roles of targets in other AWS accounts.
    pub sts: aws_sdk_sts::Client,
    /// The Cloudflare HTTP client (connection pool, TLS), reused by every run.
    pub cloudflare_http: reqwest::Client,
    pub clock: Arc<dyn Clock>,
    pub jitter: Arc<dyn Jitter>,
    pub retry: RetryPolicy,
}

/// The context could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// The AWS configuration is unusable (no region): nothing was called.
    Configuration(ConfigError),
    /// The HTTP client could not be built.
    HttpClient(reqwest::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Configuration(e) => write!(f, "{e}"),
            BuildError::HttpClient(e) => write!(f, "could not build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

impl Context {
    /// The context for `settings`, with AWS clients from `sdk`, the real clock and random jitter.
    pub fn new(settings: Settings, sdk: &SdkConfig) -> Result<Context, BuildError> {
        check_region(sdk).map_err(BuildError::Configuration)?;
        for w in &settings.warnings {
            tracing::warn!(field = %w.field, "{}", w.message);
        }
        Ok(Context {
            secrets_manager: SecretsManager::new(sdk),
            signer: SignerSource::new(&settings.signer, sdk),
            iam: Iam::new(sdk),
            sts: aws_sdk_sts::Client::new(sdk),
            cloudflare_http: crate::cloudflare::http_client().map_err(BuildError::HttpClient)?,
            settings,
            clock: Arc::new(SystemClock),
            jitter: Arc::new(RandomJitter::default()),
            retry: RetryPolicy::default(),
        })
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The retry policy with this context's jitter and clock.
    pub fn retrier(&self) -> Retrier {
        Retrier {
            policy: self.retry,
            jitter: self.jitter.clone(),
            clock: self.clock.clone(),
        }
    }

    /// A session with the Cloudflare API for one run.
    pub fn cloudflare(&self, token: Secret, deadline: Instant) -> Session {
        Session::new(
            self.cloudflare_http.clone(),
            &self.settings.api_base_url,
            token,
            self.retrier(),
            deadline,
        )
    }

    /// A Cloudflare API token, read from its secret (`id`, one of the settings' token secrets).
    pub async fn cloudflare_token(&self, id: &str) -> Result<Secret, SecretError> {
        let value = self.secrets_manager.read(id).await?;
        cloudflare_token(id, &value, &self.settings.token_secret_key)
    }

    /// How long a signer role's session lasts: `SIGNER_SESSION_SECONDS` with a signer role, else
    /// the default (an hour).
    pub fn session_length(&self) -> std::time::Duration {
        match &self.settings.signer {
            crate::config::Signer::AssumeRole { session, .. } => *session,
            _ => std::time::Duration::from_secs(crate::config::DEFAULT_SESSION_SECS),
        }
    }

    /// Fresh signing credentials for this run.
    pub async fn signing_credentials(&self) -> Result<SigningCredentials, CredentialsError> {
        self.signer.fetch(&self.secrets_manager).await
    }
}
