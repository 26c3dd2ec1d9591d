//! AWS SDK failures as data: the service, the operation, and what went wrong (AWS's error code,
//! message and request id; a timeout; an unreachable endpoint; an answer that could not be read).
//! Rendered in one line from those fields only, never from the SDK's `Debug` or its whole `Display`
//! chain, which can hold the raw HTTP response.

use crate::redact::printable;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::error::Error;
use std::fmt;

/// Longest AWS error message kept, in characters.
const MAX_MESSAGE: usize = 300;

/// A failed AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// e.g. `Secrets Manager`, `STS`.
    pub service: &'static str,
    /// e.g. `GetSecretValue`, `AssumeRole`.
    pub operation: &'static str,
    pub failure: AwsFailure,
}

/// What went wrong with an AWS call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwsFailure {
    /// AWS answered with an error.
    Service {
        code: Option<String>,
        message: Option<String>,
        request_id: Option<String>,
    },
    /// An answer came that could not be read as the API promises.
    MalformedResponse { status: u16 },
    /// No answer in time.
    Timeout,
    /// The request did not reach AWS (connection refused, name resolution...).
    Unreachable { cause: String },
    /// The SDK could not build the request (a configuration problem).
    Construction,
}

impl AwsError {
    /// The failure of an SDK call, from the error's fields only.
    pub fn from_sdk<E>(
        service: &'static str,
        operation: &'static str,
        error: &SdkError<E, Response>,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + Error + 'static,
    {
        let failure = match error {
            SdkError::ServiceError(e) => {
                let meta = e.err().meta();
                let status = e.raw().status().as_u16();
                match meta.code() {
                    // A success whose body the SDK could not read, or an error without a code: not
                    // what the API promises.
                    None => AwsFailure::MalformedResponse { status },
                    Some(code) => AwsFailure::Service {
                        code: Some(printable(code, 100)),
                        message: meta.message().map(|m| printable(m, MAX_MESSAGE)),
                        request_id: meta.extra("aws_request_id").map(|r| printable(r, 100)),
                    },
                }
            }
            SdkError::ResponseError(e) => AwsFailure::MalformedResponse {
                status: e.raw().status().as_u16(),
            },
            SdkError::TimeoutError(_) => AwsFailure::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => AwsFailure::Timeout,
            SdkError::DispatchFailure(d) => AwsFailure::Unreachable {
                cause: known_cause(error).unwrap_or_else(|| {
                    if d.is_user() {
                        "the client is misconfigured".to_owned()
                    } else {
                        "the connection failed".to_owned()
                    }
                }),
            },
            SdkError::ConstructionFailure(_) => AwsFailure::Construction,
            _ => AwsFailure::Unreachable {
                cause: "the call failed".to_owned(),
            },
        };
        AwsError {
            service,
            operation,
            failure,
        }
    }

    /// AWS's error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match &self.failure {
            AwsFailure::Service { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// `GetSecretValue failed: AccessDeniedException: ...`, without the service's name.
    pub fn operation_failure(&self) -> String {
        let what = match &self.failure {
            AwsFailure::Service {
                code,
                message,
                request_id,
            } => {
                let mut s = code
                    .clone()
                    .unwrap_or_else(|| "an error without a code".into());
                if let Some(m) = message.as_deref().filter(|m| !m.is_empty()) {
                    s.push_str(": ");
                    s.push_str(m);
                }
                if let Some(r) = request_id {
                    s.push_str(&format!(" (request id {r})"));
                }
                s
            }
            AwsFailure::MalformedResponse { status } => {
                format!("the answer (HTTP {status}) could not be read as the API promises")
            }
            AwsFailure::Timeout => "no answer in time".to_owned(),
            AwsFailure::Unreachable { cause } => format!("could not reach AWS: {cause}"),
            AwsFailure::Construction => "the request could not be built".to_owned(),
        };
        format!("{} failed: {what}", self.operation)
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.service, self.operation_failure())
    }
}

impl Error for AwsError {}

/// Why a request did not get through, from the first cause in the chain that says it without
/// request or response data: missing credentials, or the operating system's words for a failed
/// connection (`Connection refused (os error 111)`).
fn known_cause(error: &(dyn Error + 'static)) -> Option<String> {
    let mut source = error.source();
    while let Some(s) = source {
        if s.is::<aws_credential_types::provider::error::CredentialsError>() {
            return Some("no AWS credentials to sign the request with".to_owned());
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(printable(&io.to_string(), 120));
        }
        source = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(code: &str, message: &str) -> AwsError {
        AwsError {
            service: "Secrets Manager",
            operation: "GetSecretValue",
            failure: AwsFailure::Service {
                code: Some(code.into()),
                message: Some(message.into()),
                request_id: Some("r-1".into()),
            },
        }
    }

    #[test]
    fn renders_in_one_line_from_its_fields() {
        assert_eq!(
            service("AccessDeniedException", "not authorized").to_string(),
            "Secrets Manager GetSecretValue failed: AccessDeniedException: not authorized (request id r-1)"
        );
        let timeout = AwsError {
            service: "STS",
            operation: "AssumeRole",
            failure: AwsFailure::Timeout,
        };
        assert_eq!(
            timeout.to_string(),
            "STS AssumeRole failed: no answer in time"
        );
        assert_eq!(timeout.code(), None);
        assert_eq!(
            service("ThrottlingException", "x").code(),
            Some("ThrottlingException")
        );
    }
}
