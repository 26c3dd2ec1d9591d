//! Wiring of the AWS SDK clients: one HTTP client on the TLS stack the Cloudflare client uses too,
//! timeouts and retries that fit in a run, and the region check (a missing region is a
//! configuration error before any call, not a failure of every target).

use crate::config::{ConfigError, Problem};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use std::time::Duration;

/// The AWS SDK's HTTP client: rustls with ring, the TLS stack the Cloudflare client uses too (the
/// SDK's default client would link aws-lc as a second crypto library).
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The AWS SDK configuration from the environment, with timeouts and retries that fit in a run.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client())
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

/// Refuses an SDK configuration without a region: every AWS call would fail with a dispatch error.
pub fn check_region(sdk: &SdkConfig) -> Result<(), ConfigError> {
    match sdk.region() {
        Some(_) => Ok(()),
        None => Err(ConfigError {
            problems: vec![Problem {
                field: "AWS_REGION".to_owned(),
                message: "is not set and no AWS profile gives a region; set AWS_REGION to the region of the function's secrets, e.g. us-east-1 (Lambda sets it)".to_owned(),
            }],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_region_is_a_configuration_error_naming_aws_region() {
        let e = check_region(&SdkConfig::builder().build()).unwrap_err();
        assert_eq!(e.problems[0].field, "AWS_REGION");
        assert!(
            e.to_string()
                .starts_with("invalid configuration: AWS_REGION: is not set"),
            "{e}"
        );
        let with_region = SdkConfig::builder()
            .region(aws_config::Region::new("us-east-1"))
            .build();
        assert!(check_region(&with_region).is_ok());
    }
}
