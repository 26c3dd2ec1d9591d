//! The Hyperdrive configs API: list every page, create, and patch the origin in place. Actions see
//! it through [`HyperdriveConfigs`], so that they can be tested with an in-memory stand-in. A create
//! is retried only after a fresh list shows no config of that name, so that a create whose answer
//! was lost never leaves two.

use super::client::{Answer, Session};
use super::errors::ApiError;
use crate::config::Target;
use crate::redact::{printable, Secret};
use crate::report::ErrorKind;
use crate::retry::Attempt;
use serde::Deserialize;
use serde_json::{json, Value};
use std::future::Future;

const PER_PAGE: usize = 100;
const MAX_PAGES: u32 = 100;

/// A Hyperdrive config as listed: only what an action needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSummary {
    /// 32 hexadecimal characters (checked: it goes into URLs).
    pub id: String,
    pub name: String,
    /// RFC 3339, as Cloudflare gives it (it orders configs created by runs at once).
    pub created_on: Option<String>,
    /// When the config last changed: the estimate of when its token was put, for a run that could
    /// not put a new one.
    pub modified_on: Option<String>,
}

/// The Hyperdrive configs API, as actions use it.
pub trait HyperdriveConfigs {
    /// Every config of the account, all pages, each id once.
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
    /// Deletes config `id`: only ever one this run created, that no Worker can be bound to yet.
    fn delete(&self, account_id: &str, id: &str) -> impl Future<Output = Result<(), ApiError>>;
}

/// A config as the list answers it; other fields are skipped.
#[derive(Deserialize)]
struct Listed {
    id: String,
    name: String,
    #[serde(default)]
    created_on: Option<Value>,
    #[serde(default)]
    modified_on: Option<Value>,
}

/// A config as a create or an update answers it.
#[derive(Deserialize)]
struct Written {
    id: String,
}

/// A listed string field, when it is one (bounded: it reaches the report).
fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(|s| printable(s, 64))
}

fn malformed(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::MalformedResponse, message)
}

/// A config id from Cloudflare, checked before it goes into a URL or a report: Cloudflare's are 32
/// hexadecimal characters; anything else (`../../evil`) is refused and nothing is written with it.
fn checked_id(id: String) -> Result<String, ApiError> {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(malformed(format!(
            "Cloudflare answered with a config id that is not 32 hexadecimal characters ({:?}); nothing was written with it",
            printable(&id, 80)
        )))
    }
}

impl Session {
    fn configs_url(&self, account_id: &str) -> String {
        format!(
            "{}/accounts/{account_id}/hyperdrive/configs",
            self.base_url()
        )
    }

    fn config_url(&self, account_id: &str, id: &str) -> Result<String, ApiError> {
        let id = checked_id(id.to_owned())?;
        Ok(format!("{}/{id}", self.configs_url(account_id)))
    }
}

impl HyperdriveConfigs for Session {
    async fn list(&self, account_id: &str) -> Result<Vec<ConfigSummary>, ApiError> {
        let url = self.configs_url(account_id);
        let mut all: Vec<ConfigSummary> = Vec::new();
        for page in 1..=MAX_PAGES {
            let answer = self
                .retrying(|_| {
                    self.call(
                        self.http()
                            .get(format!("{url}?page={page}&per_page={PER_PAGE}")),
                        None,
                    )
                })
                .await?;
            let items: Vec<Listed> = serde_json::from_str(answer.result()?)
                .map_err(|_| malformed("a listed config has no string `id` or `name`"))?;
            if items.len() > PER_PAGE {
                return Err(malformed(format!(
                    "a page of the list holds {} configs, more than the {PER_PAGE} asked for",
                    items.len()
                )));
            }
            let got = items.len();
            for item in items {
                let id = checked_id(item.id)?;
                // A config listed twice (pages that shift while being read) counts once.
                if all.iter().any(|c| c.id == id) {
                    continue;
                }
                all.push(ConfigSummary {
                    id,
                    name: item.name,
                    created_on: text(item.created_on.as_ref()),
                    modified_on: text(item.modified_on.as_ref()),
                });
            }
            if !has_more(&answer, page, got) {
                return Ok(all);
            }
        }
        Err(malformed(format!(
            "the list did not end after {MAX_PAGES} pages of {PER_PAGE}"
        )))
    }

    async fn create(&self, target: &Target, password: &Secret) -> Result<String, ApiError> {
        let url = self.configs_url(&target.account_id);
        let body = write_body(target, password, true);
        let answer = self
            .retrying(|attempt| {
                let body = &body;
                let url = &url;
                async move {
                    if attempt > 1 {
                        if let Some(found) = self.find_lost_create(target).await? {
                            return Ok(Written { id: found });
                        }
                    }
                    let answer = self
                        .call(self.http().post(url).json(body), Some(password))
                        .await?;
                    written(&answer).map_err(Attempt::Fail)
                }
            })
            .await?;
        checked_id(answer.id)
    }

    async fn update(
        &self,
        target: &Target,
        id: &str,
        password: &Secret,
    ) -> Result<String, ApiError> {
        let url = self.config_url(&target.account_id, id)?;
        let body = write_body(target, password, false);
        let answer = self
            .retrying(|_| self.call(self.http().patch(&url).json(&body), Some(password)))
            .await?;
        checked_id(written(&answer)?.id)
    }

    async fn delete(&self, account_id: &str, id: &str) -> Result<(), ApiError> {
        let url = self.config_url(account_id, id)?;
        self.retrying(|_| self.call(self.http().delete(&url), None))
            .await
            .map(|_| ())
    }
}

impl Session {
    /// Before a create is tried again: a fresh list says whether the earlier attempt succeeded
    /// after all (its answer was lost): that config's id.
    async fn find_lost_create(&self, target: &Target) -> Result<Option<String>, Attempt<ApiError>> {
        let listed = self.list(&target.account_id).await.map_err(Attempt::Fail)?;
        let mut same = listed.into_iter().filter(|c| c.name == target.name);
        match (same.next(), same.next()) {
            (Some(existing), None) => {
                tracing::info!(name = %target.name, config_id = %existing.id, "the lost create had succeeded");
                Ok(Some(existing.id))
            }
            (Some(_), Some(_)) => Err(Attempt::Fail(ApiError::new(
                ErrorKind::DuplicateName,
                format!("configs named {:?} appeared during the create", target.name),
            ))),
            _ => Ok(None),
        }
    }
}

fn written(answer: &Answer) -> Result<Written, ApiError> {
    serde_json::from_str(answer.result()?)
        .map_err(|_| malformed("the answer's `result` has no string `id`"))
}

/// Whether to fetch another page: never after a short page (whatever the totals claim), else as
/// `result_info` says, else when the page was full.
fn has_more(answer: &Answer, page: u32, got: usize) -> bool {
    let info: Option<Value> = answer
        .result_info
        .as_ref()
        .and_then(|raw| serde_json::from_str(raw.get()).ok());
    more_pages(info.as_ref(), page, got)
}

fn more_pages(info: Option<&Value>, page: u32, got: usize) -> bool {
    if got < PER_PAGE {
        return false;
    }
    let num = |k: &str| info.and_then(|i| i.get(k)).and_then(Value::as_f64);
    if let Some(total_pages) = num("total_pages") {
        return f64::from(page) < total_pages;
    }
    if let Some(total) = num("total_count") {
        return (page as f64) * (PER_PAGE as f64) < total;
    }
    true
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
    if let Some(m) = &target.mtls {
        body["mtls"] = m.clone();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_follows_result_info_or_full_pages() {
        let pages = |v: Value| Some(v);
        assert!(more_pages(
            pages(json!({"total_pages": 3})).as_ref(),
            2,
            100
        ));
        assert!(!more_pages(
            pages(json!({"total_pages": 3})).as_ref(),
            3,
            100
        ));
        assert!(more_pages(
            pages(json!({"total_count": 101})).as_ref(),
            1,
            100
        ));
        assert!(!more_pages(
            pages(json!({"total_count": 100})).as_ref(),
            1,
            100
        ));
        assert!(more_pages(None, 1, 100));
        assert!(!more_pages(None, 1, 99));
        assert!(more_pages(
            pages(json!({"total_pages": "x"})).as_ref(),
            1,
            100
        ));
        // A short page ends the list even when the totals claim more (Prism's static examples do).
        assert!(!more_pages(
            pages(json!({"total_count": 2000, "per_page": 20})).as_ref(),
            1,
            1
        ));
    }

    #[test]
    fn ids_are_checked_before_they_go_into_a_url() {
        assert!(checked_id("023e105f4ecef8ad9ca31a8372d0c353".into()).is_ok());
        for hostile in [
            "../../../../evil/path",
            "",
            "023e105f4ecef8ad9ca31a8372d0c35",
            "023e105f4ecef8ad9ca31a8372d0c353/x",
            "zz3e105f4ecef8ad9ca31a8372d0c353",
        ] {
            let e = checked_id(hostile.into()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::MalformedResponse, "{hostile}");
        }
    }
}
