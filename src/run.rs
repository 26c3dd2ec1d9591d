//! One rotation run: get signing credentials and the Cloudflare token, list each account's configs,
//! then for each target (bounded concurrency) sign a token and update or create its config.
//! A target's failure never stops the others; the report says what happened to each.

use crate::clock::{Clock, Jitter, RandomJitter, SystemClock};
use crate::config::{Problem, Settings, Target};
use crate::credentials::{CredentialSource, Lifetime, SigningCredentials};
use crate::event::RunRequest;
use crate::hyperdrive::{ApiError, ConfigSummary, ErrorKind, HyperdriveApi};
use crate::report::{rfc3339, Action, Report, Summary, TargetError, TargetResult};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::{secrets, token};
use aws_config::SdkConfig;
use futures_util::stream::{self, StreamExt};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// The AWS SDK's HTTP client: rustls with ring, the TLS stack the Cloudflare client uses too (the SDK's
/// default client would link aws-lc as a second crypto library).
pub fn aws_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The AWS SDK configuration from the environment, with timeouts and retries that fit in a run.
pub async fn aws_sdk_config() -> SdkConfig {
    use aws_config::retry::RetryConfig;
    use aws_config::timeout::TimeoutConfig;
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_http_client())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
        .load()
        .await
}

/// Everything a run needs, built once per container and reused by every invocation.
#[derive(Debug)]
pub struct Rotator {
    settings: Settings,
    secrets: aws_sdk_secretsmanager::Client,
    signer: CredentialSource,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    jitter: Arc<dyn Jitter>,
    policy: RetryPolicy,
}

impl Rotator {
    pub async fn new(settings: Settings, sdk: &SdkConfig) -> Result<Rotator, reqwest::Error> {
        Ok(Rotator {
            secrets: aws_sdk_secretsmanager::Client::new(sdk),
            signer: CredentialSource::new(&settings.signer, sdk).await,
            http: crate::hyperdrive::http_client()?,
            settings,
            clock: Arc::new(SystemClock),
            jitter: Arc::new(RandomJitter::default()),
            policy: RetryPolicy::default(),
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

    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs once. `Err` only when the request names unknown targets (nothing was called).
    pub async fn run(&self, request: &RunRequest, deadline: Instant) -> Result<Report, Problem> {
        let targets = self.settings.select(request.targets.as_deref())?;
        let dry_run = self.settings.dry_run || request.dry_run;
        let started_at = self.clock.now();

        let (credentials, cf_token) = tokio::join!(
            within(
                deadline,
                "getting the signing credentials",
                self.signer.fetch(&self.secrets)
            ),
            within(
                deadline,
                "reading the Cloudflare API token",
                self.cloudflare_token()
            ),
        );
        let credentials = credentials.and_then(|c| c.map_err(|e| e.to_string()));
        let cf_token = cf_token.and_then(|t| t.map_err(|e| e.to_string()));

        let fail_all = |kind, message: &str| -> Vec<TargetResult> {
            targets
                .iter()
                .map(|t| failed(t, kind, message, vec![]))
                .collect()
        };
        let (results, credentials_expire_at) = match (credentials, cf_token) {
            (Ok(creds), Ok(cf_token)) => {
                warn_if_lifetime_unknown(&creds);
                let results = self
                    .upsert_all(&targets, &creds, cf_token, dry_run, deadline)
                    .await;
                (results, creds.expires_at().map(rfc3339))
            }
            (Err(c), Err(t)) => (
                fail_all("signing_credentials", &format!("{c}; also {t}")),
                None,
            ),
            (Err(c), Ok(_)) => (fail_all("signing_credentials", &c), None),
            (Ok(_), Err(t)) => (fail_all("cloudflare_token", &t), None),
        };
        Ok(Report {
            dry_run,
            started_at: rfc3339(started_at),
            finished_at: rfc3339(self.clock.now()),
            credentials_expire_at,
            summary: Summary::of(&results),
            results,
        })
    }

    async fn cloudflare_token(&self) -> Result<Secret, secrets::SecretError> {
        let id = &self.settings.token_secret_id;
        let value = secrets::read(&self.secrets, id).await?;
        secrets::cloudflare_token(id, &value, &self.settings.token_secret_key)
    }

    async fn upsert_all(
        &self,
        targets: &[Target],
        creds: &SigningCredentials,
        cf_token: Secret,
        dry_run: bool,
        deadline: Instant,
    ) -> Vec<TargetResult> {
        let api = HyperdriveApi::new(
            self.http.clone(),
            &self.settings.api_base_url,
            cf_token,
            self.policy,
            self.jitter.clone(),
            deadline,
        );
        let mut accounts: Vec<&str> = targets.iter().map(|t| t.account_id.as_str()).collect();
        accounts.sort_unstable();
        accounts.dedup();
        let listings: HashMap<&str, Result<Vec<ConfigSummary>, ApiError>> = stream::iter(accounts)
            .map(|account| {
                let api = &api;
                async move { (account, api.list_configs(account).await) }
            })
            .buffer_unordered(self.settings.max_concurrency)
            .collect()
            .await;

        // Unordered, so that one slow target does not hold the others' places; the report keeps
        // the configuration's order.
        let mut results: Vec<(usize, TargetResult)> = stream::iter(targets.iter().enumerate())
            .map(|(i, t)| {
                let listing = &listings[t.account_id.as_str()];
                let api = &api;
                async move { (i, self.upsert(api, t, listing, creds, dry_run).await) }
            })
            .buffer_unordered(self.settings.max_concurrency)
            .collect()
            .await;
        results.sort_unstable_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, r)| r).collect()
    }

    async fn upsert(
        &self,
        api: &HyperdriveApi,
        target: &Target,
        listing: &Result<Vec<ConfigSummary>, ApiError>,
        creds: &SigningCredentials,
        dry_run: bool,
    ) -> TargetResult {
        let listing = match listing {
            Ok(l) => l,
            Err(e) => {
                let message = format!(
                    "could not list the Hyperdrive configs of account {}: {}",
                    target.account_id, e.message
                );
                return failed(target, e.kind.as_str(), &message, e.codes.clone());
            }
        };
        let same_name: Vec<&ConfigSummary> =
            listing.iter().filter(|c| c.name == target.name).collect();
        if same_name.len() > 1 {
            let ids: Vec<&str> = same_name.iter().map(|c| c.id.as_str()).collect();
            let message = format!(
                "{} Hyperdrive configs are named {:?} in account {} (ids {}); nothing was written: delete or rename all but the one your Workers are bound to",
                same_name.len(),
                target.name,
                target.account_id,
                ids.join(", ")
            );
            return failed(target, ErrorKind::DuplicateName.as_str(), &message, vec![]);
        }
        let existing = same_name.first().map(|c| c.id.clone());

        let signed_at = self.clock.now();
        let ttl = self.settings.token_ttl;
        let request = token::TokenRequest {
            host: &target.host,
            region: &target.region,
            admin: target.is_admin(),
            expires_in: ttl,
        };
        let password = match token::generate(&creds.credentials, request, signed_at) {
            Ok(p) => p,
            Err(e) => return failed(target, "signing", &e.to_string(), vec![]),
        };
        let valid_until = creds.token_valid_until(signed_at, ttl);
        let lifetime = valid_until.and_then(|v| v.duration_since(signed_at).ok());
        if valid_until.is_some() && lifetime.is_none_or(|l| l.is_zero()) {
            return failed(
                target,
                "signing_credentials",
                "the signing credentials have already expired",
                vec![],
            );
        }

        let outcome = match (existing, dry_run) {
            (Some(id), true) => Ok((Action::WouldUpdate, Some(id))),
            (None, true) => Ok((Action::WouldCreate, None)),
            (Some(id), false) => api
                .update(target, &id, &password)
                .await
                .map(|id| (Action::Updated, Some(id))),
            (None, false) => api
                .create(target, &password)
                .await
                .map(|id| (Action::Created, Some(id))),
        };
        match outcome {
            Ok((action, config_id)) => TargetResult {
                action,
                config_id,
                token_expires_at: valid_until.map(rfc3339),
                token_lifetime: lifetime,
                ..base_result(target)
            },
            Err(e) => failed(target, e.kind.as_str(), &e.message, e.codes),
        }
    }
}

/// Bounds an AWS call by the run's deadline.
async fn within<T>(
    deadline: Instant,
    what: &str,
    fut: impl Future<Output = T>,
) -> Result<T, String> {
    tokio::time::timeout_at(deadline, fut)
        .await
        .map_err(|_| format!("{what} did not finish before the invocation deadline"))
}

fn warn_if_lifetime_unknown(creds: &SigningCredentials) {
    if creds.lifetime == Lifetime::Unknown {
        tracing::warn!(
            "the signing credentials are temporary but carry no expiry (a Lambda execution role does not publish it): \
             the pushed tokens may stop working before X-Amz-Expires, and the report cannot say when; \
             set SIGNER_ROLE_ARN to sign with an assumed role whose expiry is known"
        );
    }
}

fn base_result(t: &Target) -> TargetResult {
    TargetResult {
        name: t.name.clone(),
        account_id: t.account_id.clone(),
        host: t.host.clone(),
        region: t.region.clone(),
        action: Action::Failed,
        config_id: None,
        token_expires_at: None,
        error: None,
        token_lifetime: None,
    }
}

fn failed(t: &Target, kind: &'static str, message: &str, codes: Vec<i64>) -> TargetResult {
    TargetResult {
        error: Some(TargetError {
            kind,
            message: message.to_owned(),
            cloudflare_codes: codes,
        }),
        ..base_result(t)
    }
}
