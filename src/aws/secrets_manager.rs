//! AWS Secrets Manager: a secret's current value, and the versions and staging labels that a
//! rotation moves (`AWSCURRENT`, `AWSPENDING`). What the values hold is parsed in
//! `secret_contents`. No error ever quotes a secret's value.

use super::error::AwsError;
use crate::redact::Secret;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response;
use std::collections::BTreeMap;
use std::fmt;

pub const AWSCURRENT: &str = "AWSCURRENT";
pub const AWSPENDING: &str = "AWSPENDING";

/// A secret could not be read or does not hold what it should.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretError {
    pub secret_id: String,
    pub problem: SecretProblem,
}

/// What is wrong with a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretProblem {
    /// Secrets Manager refused or failed the read.
    Read(Box<AwsError>),
    /// The value is not what it should be: what is wrong and how to fix it.
    Content(String),
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.problem {
            SecretProblem::Read(aws) => {
                let hint = match (aws.code(), aws.operation) {
                    (Some("AccessDeniedException"), "GetSecretValue") => {
                        " -> allow the function's role secretsmanager:GetSecretValue on this secret (and kms:Decrypt on its key if it uses a customer managed key)".to_owned()
                    }
                    (Some("AccessDeniedException"), op) => {
                        format!(" -> allow the function's role secretsmanager:{op} on this secret")
                    }
                    (Some("ResourceNotFoundException"), _) => {
                        " -> check the secret's name or ARN and that it lives in the function's region".to_owned()
                    }
                    (Some("ThrottlingException" | "Throttling"), _) => {
                        " -> Secrets Manager is throttling this account, the next run will try again".to_owned()
                    }
                    (Some("DecryptionFailure"), _) => {
                        " -> allow the function's role kms:Decrypt on the secret's key".to_owned()
                    }
                    _ => String::new(),
                };
                let doing = if aws.operation == "GetSecretValue" {
                    "could not be read from Secrets Manager"
                } else {
                    "could not be changed in Secrets Manager"
                };
                write!(
                    f,
                    "secret {:?} {doing}: {}{hint}",
                    self.secret_id,
                    aws.operation_failure()
                )
            }
            SecretProblem::Content(m) => write!(f, "secret {:?}: {m}", self.secret_id),
        }
    }
}

impl std::error::Error for SecretError {}

impl SecretError {
    /// The failed AWS call, when the secret could not be read.
    pub fn aws_error(&self) -> Option<&AwsError> {
        match &self.problem {
            SecretProblem::Read(aws) => Some(aws),
            SecretProblem::Content(_) => None,
        }
    }
}

/// A secret whose value is not what it should be.
pub(crate) fn content_error(id: &str, message: impl Into<String>) -> SecretError {
    SecretError {
        secret_id: id.to_owned(),
        problem: SecretProblem::Content(message.into()),
    }
}

/// The Secrets Manager client, built once per container.
#[derive(Debug, Clone)]
pub struct SecretsManager {
    client: aws_sdk_secretsmanager::Client,
}

impl SecretsManager {
    pub fn new(sdk: &aws_config::SdkConfig) -> Self {
        SecretsManager {
            client: aws_sdk_secretsmanager::Client::new(sdk),
        }
    }

    /// Reads the current value (`AWSCURRENT`, asked for by name: moto answers an older version
    /// otherwise once a rotation has moved the label).
    pub async fn read(&self, id: &str) -> Result<Secret, SecretError> {
        self.read_version(id, None, Some(AWSCURRENT)).await
    }

    /// Reads one version of a secret, by id or by staging label.
    pub async fn read_version(
        &self,
        id: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<Secret, SecretError> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(id)
            .set_version_id(version_id.map(str::to_owned))
            .set_version_stage(stage.map(str::to_owned))
            .send()
            .await
            .map_err(|e| aws_failure(id, "GetSecretValue", &e))?;
        let value = match (out.secret_string(), out.secret_binary()) {
            (Some(s), _) => s.to_owned(),
            (None, Some(b)) => String::from_utf8(b.as_ref().to_vec()).map_err(|_| {
                content_error(
                    id,
                    "holds binary data that is not UTF-8 text; store the value as a string",
                )
            })?,
            (None, None) => {
                return Err(content_error(
                    id,
                    "has no value; put one with: aws secretsmanager put-secret-value --secret-id <id> --secret-string <value>",
                ))
            }
        };
        Ok(Secret::new(value))
    }

    /// The secret's ARN, name and versions with their staging labels.
    pub async fn describe(&self, id: &str) -> Result<Versions, SecretError> {
        let out = self
            .client
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| aws_failure(id, "DescribeSecret", &e))?;
        Ok(Versions {
            arn: out.arn().unwrap_or_default().to_owned(),
            name: out.name().unwrap_or_default().to_owned(),
            stages: out
                .version_ids_to_stages()
                .map(|m| {
                    m.iter()
                        .map(|(v, s)| (v.clone(), s.clone()))
                        .collect::<BTreeMap<_, _>>()
                })
                .unwrap_or_default(),
        })
    }

    /// Stores `value` as version `token`, labelled `AWSPENDING`. Idempotent: a version of that token
    /// already there is left as it is.
    pub async fn put_pending(
        &self,
        id: &str,
        token: &str,
        value: &Secret,
    ) -> Result<(), SecretError> {
        self.client
            .put_secret_value()
            .secret_id(id)
            .client_request_token(token)
            .secret_string(value.expose())
            .version_stages(AWSPENDING)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_failure(id, "PutSecretValue", &e))
    }

    /// Moves `stage` to version `to` (from version `from`, where it was), or removes it from `from`
    /// when `to` is `None`.
    pub async fn move_stage(
        &self,
        id: &str,
        stage: &str,
        to: Option<&str>,
        from: Option<&str>,
    ) -> Result<(), SecretError> {
        self.client
            .update_secret_version_stage()
            .secret_id(id)
            .version_stage(stage)
            .set_move_to_version_id(to.map(str::to_owned))
            .set_remove_from_version_id(from.map(str::to_owned))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_failure(id, "UpdateSecretVersionStage", &e))
    }
}

/// A secret's versions and their staging labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versions {
    pub arn: String,
    pub name: String,
    /// Version id to its staging labels.
    pub stages: BTreeMap<String, Vec<String>>,
}

impl Versions {
    /// Whether `id` (a name or an ARN, as configured) is this secret.
    pub fn is(&self, id: &str) -> bool {
        id == self.arn || id == self.name
    }

    /// The version that holds `stage`.
    pub fn with_stage(&self, stage: &str) -> Option<&str> {
        self.stages
            .iter()
            .find(|(_, s)| s.iter().any(|l| l == stage))
            .map(|(v, _)| v.as_str())
    }

    /// The version labelled `AWSPENDING` but not `AWSCURRENT`: a rotation under way.
    pub fn pending(&self) -> Option<&str> {
        self.stages
            .iter()
            .find(|(_, s)| s.iter().any(|l| l == AWSPENDING) && !s.iter().any(|l| l == AWSCURRENT))
            .map(|(v, _)| v.as_str())
    }

    /// The labels of version `v` (none when it does not exist).
    pub fn stages_of(&self, v: &str) -> &[String] {
        self.stages.get(v).map_or(&[], Vec::as_slice)
    }
}

fn aws_failure<E>(id: &str, operation: &'static str, e: &SdkError<E, Response>) -> SecretError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    SecretError {
        secret_id: id.to_owned(),
        problem: SecretProblem::Read(Box::new(AwsError::from_sdk(
            "Secrets Manager",
            operation,
            e,
        ))),
    }
}
