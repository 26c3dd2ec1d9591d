//! Fake AWS answers: an SDK configuration whose every call is answered by a test's function, and
//! the answers the tests give (a secret, a JSON error, an STS error).

use super::{long_term_credentials, CF_TOKEN};
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_types::body::SdkBody;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// An SDK configuration whose every AWS call is answered by `answer(service, request body)`.
pub async fn aws_answering(
    answer: impl Fn(&str, &str) -> (u16, String) + Send + Sync + 'static,
) -> SdkConfig {
    let answer = Arc::new(answer);
    let client = infallible_client_fn(move |req: http::Request<SdkBody>| {
        let host = req.uri().host().unwrap_or_default().to_owned();
        let service = host.split('.').next().unwrap_or_default().to_owned();
        let body = std::str::from_utf8(req.body().bytes().unwrap_or_default())
            .unwrap_or_default()
            .to_owned();
        let (status, body) = answer(&service, &body);
        http::Response::builder()
            .status(status)
            .body(SdkBody::from(body))
            .unwrap()
    });
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(long_term_credentials())
        .http_client(client)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .load()
        .await
}

/// Secrets Manager's answer with the Cloudflare token.
pub fn secret_ok() -> (u16, String) {
    let secret = json!({"api_token": CF_TOKEN}).to_string();
    (200, json!({"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cf-AbCdEf", "Name": "cf", "SecretString": secret, "VersionId": "v1"}).to_string())
}

/// An AWS JSON-protocol error (Secrets Manager).
pub fn json_error(kind: &str, message: &str) -> (u16, String) {
    (400, json!({"__type": kind, "message": message}).to_string())
}

/// An AWS query-protocol error (STS).
pub fn sts_error(status: u16, code: &str, message: &str) -> (u16, String) {
    (
        status,
        format!("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"),
    )
}
