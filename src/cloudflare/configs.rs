//! The Hyperdrive configs API: list every page, create, and patch the origin in place. Actions see
//! it through [`HyperdriveConfigs`], so that they can be tested with an in-memory stand-in. A create
//! is retried only after a fresh list shows no config of that name, so that a create whose answer
//! was lost never leaves two.

use super::client::Session;
use super::errors::ApiError;
use crate::config::Target;
use crate::redact::Secret;
use crate::report::ErrorKind;
use crate::retry::Attempt;
use serde_json::{json, Value};
use std::future::Future;

const PER_PAGE: usize = 100;
const MAX_PAGES: u32 = 100;

/// A Hyperdrive config as listed: only what an action needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSummary {
    pub id: String,
    pub name: String,
}

/// The Hyperdrive configs API, as actions use it.
pub trait HyperdriveConfigs {
    /// Every config of the account, all pages.
    fn list(&self, account_id: &str) -> impl Future<Output = Result<Vec<ConfigSummary>, ApiError>>;
    /// Creates the target's config with this password; its id.
    fn create(
        &self,
        target: &Target,
        password: &Secret,
    ) -> impl Future<Output = Result<String, ApiError>>;
    /// Points config `id` at the target's origin with this password, in place; its id.
    fn update(
        &self,
        target: &Target,
        id: &str,
        password: &Secret,
    ) -> impl Future<Output = Result<String, ApiError>>;
}

impl Session {
    fn configs_url(&self, account_id: &str) -> String {
        format!(
            "{}/accounts/{account_id}/hyperdrive/configs",
            self.base_url()
        )
    }
}

impl HyperdriveConfigs for Session {
    async fn list(&self, account_id: &str) -> Result<Vec<ConfigSummary>, ApiError> {
        let url = self.configs_url(account_id);
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let body = self
                .retrying(|_| {
                    self.call(
                        self.http()
                            .get(format!("{url}?page={page}&per_page={PER_PAGE}")),
                        None,
                    )
                })
                .await?;
            let items = body
                .get("result")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    ApiError::new(
                        ErrorKind::MalformedResponse,
                        "the list answer has no `result` array",
                    )
                })?;
            for item in items {
                let field = |k: &str| item.get(k).and_then(Value::as_str).map(str::to_owned);
                match (field("id"), field("name")) {
                    (Some(id), Some(name)) => all.push(ConfigSummary { id, name }),
                    _ => {
                        return Err(ApiError::new(
                            ErrorKind::MalformedResponse,
                            "a listed config has no string `id` or `name`",
                        ))
                    }
                }
            }
            if !has_more(&body, page, items.len()) {
                return Ok(all);
            }
        }
        Err(ApiError::new(
            ErrorKind::MalformedResponse,
            format!("the list did not end after {MAX_PAGES} pages of {PER_PAGE}"),
        ))
    }

    async fn create(&self, target: &Target, password: &Secret) -> Result<String, ApiError> {
        let url = self.configs_url(&target.account_id);
        let body = write_body(target, password, true);
        let result = self
            .retrying(|attempt| {
                let body = &body;
                let url = &url;
                async move {
                    if attempt > 1 {
                        if let Some(found) = self.find_lost_create(target).await? {
                            return Ok(found);
                        }
                    }
                    self.call(self.http().post(url).json(body), Some(password))
                        .await
                }
            })
            .await?;
        result_id(&result)
    }

    async fn update(
        &self,
        target: &Target,
        id: &str,
        password: &Secret,
    ) -> Result<String, ApiError> {
        let url = format!("{}/{id}", self.configs_url(&target.account_id));
        let body = write_body(target, password, false);
        let result = self
            .retrying(|_| self.call(self.http().patch(&url).json(&body), Some(password)))
            .await?;
        result_id(&result)
    }
}

impl Session {
    /// Before a create is tried again: a fresh list says whether the earlier attempt succeeded
    /// after all (its answer was lost), as an envelope holding that config's id.
    async fn find_lost_create(&self, target: &Target) -> Result<Option<Value>, Attempt<ApiError>> {
        let listed = self.list(&target.account_id).await.map_err(Attempt::Fail)?;
        let mut same = listed.into_iter().filter(|c| c.name == target.name);
        match (same.next(), same.next()) {
            (Some(existing), None) => {
                tracing::info!(name = %target.name, config_id = %existing.id, "the lost create had succeeded");
                Ok(Some(json!({"result": {"id": existing.id}})))
            }
            (Some(_), Some(_)) => Err(Attempt::Fail(ApiError::new(
                ErrorKind::DuplicateName,
                format!("configs named {:?} appeared during the create", target.name),
            ))),
            _ => Ok(None),
        }
    }
}

/// Whether to fetch another page: never after a short page (whatever the totals claim), else as
/// `result_info` says, else when the page was full.
fn has_more(body: &Value, page: u32, got: usize) -> bool {
    if got < PER_PAGE {
        return false;
    }
    let info = body.get("result_info");
    let num = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_f64);
    if let Some(total_pages) = num("total_pages") {
        return f64::from(page) < total_pages;
    }
    if let Some(total) = num("total_count") {
        return (page as f64) * (PER_PAGE as f64) < total;
    }
    true
}

fn result_id(envelope: &Value) -> Result<String, ApiError> {
    envelope
        .get("result")
        .and_then(|r| r.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::new(
                ErrorKind::MalformedResponse,
                "the answer's `result` has no string `id`",
            )
        })
}

/// The create (with `name`) or patch body. Serialised once per target, right before sending.
fn write_body(target: &Target, password: &Secret, with_name: bool) -> Value {
    let mut body = json!({
        "origin": {
            "scheme": "postgres",
            "host": target.host,
            "port": target.port,
            "database": target.database,
            "user": target.user,
            "password": password.expose(),
        }
    });
    if with_name {
        body["name"] = json!(target.name);
    }
    if let Some(c) = &target.caching {
        body["caching"] = c.clone();
    }
    if let Some(l) = target.origin_connection_limit {
        body["origin_connection_limit"] = json!(l);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_follows_result_info_or_full_pages() {
        assert!(has_more(
            &json!({"result_info": {"total_pages": 3}}),
            2,
            100
        ));
        assert!(!has_more(
            &json!({"result_info": {"total_pages": 3}}),
            3,
            100
        ));
        assert!(has_more(
            &json!({"result_info": {"total_count": 101}}),
            1,
            100
        ));
        assert!(!has_more(
            &json!({"result_info": {"total_count": 100}}),
            1,
            100
        ));
        assert!(has_more(&json!({}), 1, 100));
        assert!(!has_more(&json!({}), 1, 99));
        // A short page ends the list even when the totals claim more (Prism's static examples do).
        assert!(!has_more(
            &json!({"result_info": {"total_count": 2000, "per_page": 20}}),
            1,
            1
        ));
    }
}
