//! Cloudflare's API token routes: what the token itself says of its status and expiry. A user's
//! token answers `/user/tokens/verify`, an account's `/accounts/{id}/tokens/verify`; each refuses
//! the other kind.

use super::client::Session;
use super::errors::ApiError;
use crate::redact::printable;
use crate::report::ErrorKind;
use serde::Deserialize;
use std::time::SystemTime;

/// The API token's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenState {
    /// `active`, `disabled` or `expired`.
    pub status: String,
    pub expires_on: Option<SystemTime>,
}

#[derive(Deserialize)]
struct Verified {
    status: String,
    #[serde(default)]
    expires_on: Option<String>,
}

impl Session {
    /// The token's state, from the user route, else from the account route of the first of
    /// `accounts` (a token of an account); the account route first when `account_first` (a token
    /// given for one account is most likely that account's).
    pub async fn verify_token(
        &self,
        accounts: &[&str],
        account_first: bool,
    ) -> Result<TokenState, ApiError> {
        let user = format!("{}/user/tokens/verify", self.base_url());
        let Some(account) = accounts.first() else {
            return self.verify_at(user).await;
        };
        let account = format!("{}/accounts/{account}/tokens/verify", self.base_url());
        let (first, second) = if account_first {
            (account, user)
        } else {
            (user, account)
        };
        match self.verify_at(first).await {
            Err(e) if e.kind == ErrorKind::CloudflareAuth => {
                self.verify_at(second).await.map_err(|_| e)
            }
            other => other,
        }
    }

    async fn verify_at(&self, url: String) -> Result<TokenState, ApiError> {
        let answer = self
            .retrying(|_| self.call(self.http().get(&url), None))
            .await?;
        let verified: Verified = serde_json::from_str(answer.result()?).map_err(|_| {
            ApiError::new(
                ErrorKind::MalformedResponse,
                "the token verify answer has no string `status`",
            )
        })?;
        Ok(TokenState {
            status: printable(&verified.status, 20),
            expires_on: verified
                .expires_on
                .as_deref()
                .and_then(crate::report::parse_rfc3339),
        })
    }
}
