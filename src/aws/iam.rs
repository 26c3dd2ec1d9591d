//! IAM, for the credential lifecycle: the signer user's access keys (list, create, deactivate,
//! delete: a user holds at most two) and the signer role's revoke policy (one inline policy,
//! overwritten at each revoke). STS tells who owns a key and when a new key is usable.

use super::error::AwsError;
use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_sdk_iam::types::StatusType;
use std::time::SystemTime;

/// The name of the inline policy a revoke puts on the signer role.
pub const REVOKE_POLICY: &str = "hyperdrive-dsql-rotator-revoke";

/// One of a user's access keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
}

/// The IAM and STS clients the lifecycle actions use, built once per container.
#[derive(Debug, Clone)]
pub struct Iam {
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Config,
}

impl Iam {
    pub fn new(sdk: &SdkConfig) -> Self {
        Iam {
            iam: aws_sdk_iam::Client::new(sdk),
            sts: aws_sdk_sts::Config::from(sdk),
        }
    }

    /// The access keys of `user`.
    pub async fn keys(&self, user: &str) -> Result<Vec<AccessKey>, AwsError> {
        let out = self
            .iam
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("IAM", "ListAccessKeys", &e))?;
        Ok(out
            .access_key_metadata()
            .iter()
            .map(|k| AccessKey {
                id: k.access_key_id().unwrap_or_default().to_owned(),
                active: k.status() == Some(&StatusType::Active),
            })
            .collect())
    }

    /// A new access key for `user`: long-term credentials.
    pub async fn create_key(&self, user: &str) -> Result<Credentials, AwsError> {
        let out = self
            .iam
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("IAM", "CreateAccessKey", &e))?;
        let key = out.access_key().ok_or(AwsError {
            service: "IAM",
            operation: "CreateAccessKey",
            failure: super::AwsFailure::MalformedResponse { status: 200 },
        })?;
        Ok(Credentials::new(
            key.access_key_id(),
            key.secret_access_key(),
            None,
            None,
            "CreateAccessKey",
        ))
    }

    /// Deactivates key `id` of `user`: every token it signed stops working.
    pub async fn deactivate_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        self.iam
            .update_access_key()
            .user_name(user)
            .access_key_id(id)
            .status(StatusType::Inactive)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("IAM", "UpdateAccessKey", &e))
    }

    /// Deletes key `id` of `user` (only ever an inactive one).
    pub async fn delete_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        self.iam
            .delete_access_key()
            .user_name(user)
            .access_key_id(id)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("IAM", "DeleteAccessKey", &e))
    }

    /// Puts the revoke policy on `role`: DSQL connects are denied to every session issued before
    /// `cutoff`, as IAM's "Revoke active sessions" does for all actions.
    pub async fn deny_sessions_before(
        &self,
        role: &str,
        cutoff: SystemTime,
    ) -> Result<(), AwsError> {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(REVOKE_POLICY)
            .policy_document(revoke_policy(cutoff))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("IAM", "PutRolePolicy", &e))
    }

    /// The IAM user that owns `credentials` (`arn:aws:iam::<account>:user/<path/>name`).
    pub async fn owner(&self, credentials: &Credentials) -> Result<String, AwsError> {
        let arn = self.caller(credentials).await?;
        Ok(arn.rsplit('/').next().unwrap_or_default().to_owned())
    }

    /// Whether IAM accepts `credentials` yet (new keys take a few seconds to be usable).
    pub async fn usable(&self, credentials: &Credentials) -> Result<(), AwsError> {
        self.caller(credentials).await.map(|_| ())
    }

    async fn caller(&self, credentials: &Credentials) -> Result<String, AwsError> {
        let sts = aws_sdk_sts::Client::from_conf(
            self.sts
                .to_builder()
                .credentials_provider(credentials.clone())
                .build(),
        );
        let out = sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("STS", "GetCallerIdentity", &e))?;
        Ok(out.arn().unwrap_or_default().to_owned())
    }
}

/// The revoke policy: deny both DSQL connect actions to sessions issued before `cutoff`.
pub fn revoke_policy(cutoff: SystemTime) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "RevokeSessionsIssuedBefore",
            "Effect": "Deny",
            "Action": ["dsql:DbConnect", "dsql:DbConnectAdmin"],
            "Resource": "*",
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": crate::report::rfc3339(cutoff)}},
        }],
    })
    .to_string()
}

/// The role name of a role ARN (`arn:aws:iam::<account>:role/<path/>name`).
pub fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn the_revoke_policy_denies_dsql_to_older_sessions_only() {
        let cutoff = UNIX_EPOCH + Duration::from_secs(1_796_083_200);
        let p: serde_json::Value = serde_json::from_str(&revoke_policy(cutoff)).unwrap();
        let s = &p["Statement"][0];
        assert_eq!(s["Effect"], "Deny");
        assert_eq!(
            s["Action"],
            serde_json::json!(["dsql:DbConnect", "dsql:DbConnectAdmin"])
        );
        assert_eq!(
            s["Condition"]["DateLessThan"]["aws:TokenIssueTime"],
            "2026-12-01T00:00:00Z"
        );
        assert_eq!(
            role_name("arn:aws:iam::123456789012:role/team/dsql-signer"),
            "dsql-signer"
        );
    }
}
