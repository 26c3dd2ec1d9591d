//! The rotate action over an in-memory stand-in for the Hyperdrive configs API, with a fixed clock:
//! exact expiry times, exactly the writes expected.

use super::*;
use crate::config::testing::{base, parse};
use crate::redact::Secret;
use crate::time::FixedClock;
use aws_credential_types::Credentials;
use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const HOST_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaa.dsql.us-east-1.on.aws";
const HOST_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbb.dsql.us-west-2.on.aws";

/// Configs in memory; every call recorded as `LIST account`, `CREATE name`, `UPDATE id`,
/// `DELETE id`.
#[derive(Default)]
struct Configs {
    listed: RefCell<Vec<ConfigSummary>>,
    calls: RefCell<Vec<String>>,
    refuse_update_of: Option<&'static str>,
    panic_on_update_of: Option<&'static str>,
    /// A config another run creates, of the same name, at the moment this one creates its own.
    concurrent_create: RefCell<Option<ConfigSummary>>,
}

fn config(id: &str, name: &str, created_on: Option<&str>) -> ConfigSummary {
    ConfigSummary {
        id: id.into(),
        name: name.into(),
        created_on: created_on.map(Into::into),
        modified_on: None,
    }
}

impl Configs {
    fn with(pairs: &[(&str, &str)]) -> Self {
        let listed = pairs
            .iter()
            .map(|(id, name)| config(id, name, None))
            .collect();
        Configs {
            listed: RefCell::new(listed),
            ..Configs::default()
        }
    }

    fn calls(&self) -> Vec<String> {
        self.calls.borrow().clone()
    }

    fn ids(&self) -> Vec<String> {
        self.listed.borrow().iter().map(|c| c.id.clone()).collect()
    }
}

impl HyperdriveConfigs for Configs {
    async fn list(&self, account_id: &str) -> Result<Vec<ConfigSummary>, ApiError> {
        self.calls.borrow_mut().push(format!("LIST {account_id}"));
        Ok(self.listed.borrow().clone())
    }

    async fn create(&self, target: &Target, password: &Secret) -> Result<String, ApiError> {
        assert!(password.expose().starts_with(&target.host));
        self.calls
            .borrow_mut()
            .push(format!("CREATE {}", target.name));
        let id = format!("new-{}", target.name);
        let mut listed = self.listed.borrow_mut();
        listed.extend(self.concurrent_create.borrow_mut().take());
        listed.push(config(&id, &target.name, Some("2026-12-01T00:00:01Z")));
        Ok(id)
    }

    async fn update(
        &self,
        target: &Target,
        id: &str,
        password: &Secret,
    ) -> Result<String, ApiError> {
        assert!(password.expose().starts_with(&target.host));
        self.calls.borrow_mut().push(format!("UPDATE {id}"));
        assert_ne!(self.panic_on_update_of, Some(id), "a bug");
        if self.refuse_update_of == Some(id) {
            let mut e = ApiError::new(ErrorKind::OriginRefused, "2013: refused");
            e.codes = vec![2013];
            return Err(e);
        }
        Ok(id.to_owned())
    }

    async fn delete(&self, _account_id: &str, id: &str) -> Result<(), ApiError> {
        self.calls.borrow_mut().push(format!("DELETE {id}"));
        self.listed.borrow_mut().retain(|c| c.id != id);
        Ok(())
    }
}

fn targets(json: &str) -> Vec<Target> {
    parse(&base(&[("HYPERDRIVE_TARGETS", json)]))
        .unwrap()
        .targets
}

fn two() -> Vec<Target> {
    targets(&format!(
        r#"[{{"name":"orders-db","host":"{HOST_A}"}},{{"name":"users-db","host":"{HOST_B}","user":"app"}}]"#
    ))
}

/// 2026-12-01T00:00:00Z
fn t0() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_083_200)
}

fn keys() -> SigningCredentials {
    SigningCredentials::from_credentials(Credentials::new("AKIAKEYS", "s", None, None, "test"))
}

async fn rotate(
    api: &Configs,
    targets: &[Target],
    creds: &SigningCredentials,
    dry_run: bool,
) -> Vec<TargetResult> {
    let clock = FixedClock(t0());
    let roles = HashMap::new();
    let signing = Signing {
        credentials: creds,
        roles: &roles,
        ttl: Duration::from_secs(3600),
        clock: &clock,
    };
    rotate_all(api, targets, &signing, dry_run, 4).await
}

#[tokio::test]
async fn updates_the_config_of_the_name_and_creates_the_missing_one() {
    let api = Configs::with(&[("id-orders", "orders-db"), ("id-other", "other")]);
    let results = rotate(&api, &two(), &keys(), false).await;
    assert_eq!(
        api.calls(),
        [
            "LIST 0123456789abcdef0123456789abcdef",
            "UPDATE id-orders",
            "CREATE users-db",
            "LIST 0123456789abcdef0123456789abcdef",
        ],
        "a create is followed by a list that checks for a concurrent run"
    );
    assert_eq!(
        results
            .iter()
            .map(|r| (r.outcome, r.config_id.as_deref()))
            .collect::<Vec<_>>(),
        [
            (Outcome::Updated, Some("id-orders")),
            (Outcome::Created, Some("new-users-db"))
        ]
    );
    // Long-term keys: the token lives its whole TTL from the (fixed) signing time.
    for r in &results {
        assert_eq!(r.token_expires_at.as_deref(), Some("2026-12-01T01:00:00Z"));
        assert_eq!(r.token_lifetime, Some(Duration::from_secs(3600)));
    }
}

#[tokio::test]
async fn a_dry_run_lists_and_signs_but_writes_nothing() {
    let api = Configs::with(&[("id-orders", "orders-db")]);
    let results = rotate(&api, &two(), &keys(), true).await;
    assert_eq!(api.calls(), ["LIST 0123456789abcdef0123456789abcdef"]);
    assert_eq!(results[0].outcome, Outcome::WouldUpdate);
    assert_eq!(results[0].config_id.as_deref(), Some("id-orders"));
    assert_eq!(results[1].outcome, Outcome::WouldCreate);
    assert_eq!(results[1].config_id, None);
}

#[tokio::test]
async fn a_duplicate_or_a_refusal_fails_only_its_target() {
    let mut api = Configs::with(&[
        ("id-1", "orders-db"),
        ("id-2", "orders-db"),
        ("id-u", "users-db"),
    ]);
    api.refuse_update_of = Some("id-u");
    let mut ts = two();
    ts.push(targets(&format!(r#"[{{"name":"third","host":"{HOST_A}"}}]"#)).remove(0));
    let results = rotate(&api, &ts, &keys(), false).await;
    assert_eq!(
        api.calls(),
        [
            "LIST 0123456789abcdef0123456789abcdef",
            "UPDATE id-u",
            "CREATE third",
            "LIST 0123456789abcdef0123456789abcdef",
        ],
        "nothing written for the duplicate"
    );
    let kinds: Vec<Option<ErrorKind>> = results
        .iter()
        .map(|r| r.error.as_ref().map(|e| e.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            Some(ErrorKind::DuplicateName),
            Some(ErrorKind::OriginRefused),
            None
        ]
    );
    assert_eq!(results[1].error.as_ref().unwrap().cloudflare_codes, [2013]);
    assert_eq!(
        results[1].token_expires_at, None,
        "a refused token is not reported as held"
    );
}

#[tokio::test]
async fn tokens_expire_with_the_signing_session() {
    let session = SigningCredentials::from_credentials(Credentials::new(
        "ASIASESSION",
        "s",
        Some("t".into()),
        Some(t0() + Duration::from_secs(900)),
        "test",
    ));
    let api = Configs::default();
    let results = rotate(&api, &two()[..1], &session, false).await;
    assert_eq!(
        results[0].token_expires_at.as_deref(),
        Some("2026-12-01T00:15:00Z")
    );
    assert_eq!(results[0].token_lifetime, Some(Duration::from_secs(900)));
}

#[tokio::test]
async fn unknown_lifetimes_are_not_claimed_and_expired_credentials_write_nothing() {
    let execution_role = SigningCredentials::from_credentials(Credentials::new(
        "ASIAROLE",
        "s",
        Some("t".into()),
        None,
        "env",
    ));
    let api = Configs::default();
    let results = rotate(&api, &two()[..1], &execution_role, false).await;
    assert_eq!(
        (results[0].outcome, results[0].token_expires_at.as_deref()),
        (Outcome::Created, None)
    );

    let expired = SigningCredentials::from_credentials(Credentials::new(
        "ASIAOLD",
        "s",
        Some("t".into()),
        Some(t0()),
        "test",
    ));
    let api = Configs::default();
    let results = rotate(&api, &two()[..1], &expired, false).await;
    assert_eq!(
        results[0].error.as_ref().unwrap().kind,
        ErrorKind::SigningCredentials
    );
    assert_eq!(api.calls(), ["LIST 0123456789abcdef0123456789abcdef"]);
}

#[tokio::test]
async fn a_run_whose_create_raced_another_keeps_the_first_config_and_deletes_its_own() {
    // Another run created orders-db a moment before this one: this run deletes its own config
    // and puts its token in the other one.
    let api = Configs::default();
    *api.concurrent_create.borrow_mut() =
        Some(config("first", "orders-db", Some("2026-12-01T00:00:00.5Z")));
    let results = rotate(&api, &two()[..1], &keys(), false).await;
    assert_eq!(
        api.calls(),
        [
            "LIST 0123456789abcdef0123456789abcdef",
            "CREATE orders-db",
            "LIST 0123456789abcdef0123456789abcdef",
            "DELETE new-orders-db",
            "UPDATE first",
        ]
    );
    assert_eq!(api.ids(), ["first"], "one config of the name is left");
    assert_eq!(results[0].outcome, Outcome::Updated);
    assert_eq!(results[0].config_id.as_deref(), Some("first"));
    assert!(results[0].error.is_none());

    // The other way round: this run's config was first, so it stays and nothing is deleted here.
    let api = Configs::default();
    *api.concurrent_create.borrow_mut() =
        Some(config("second", "orders-db", Some("2026-12-01T00:00:02Z")));
    let results = rotate(&api, &two()[..1], &keys(), false).await;
    assert!(!api.calls().iter().any(|c| c.starts_with("DELETE")));
    assert_eq!(results[0].outcome, Outcome::Created);
    assert_eq!(results[0].config_id.as_deref(), Some("new-orders-db"));
}

#[tokio::test]
async fn a_panic_on_one_target_fails_that_target_only() {
    let mut api = Configs::with(&[("id-orders", "orders-db"), ("id-users", "users-db")]);
    api.panic_on_update_of = Some("id-orders");
    let results = rotate(&api, &two(), &keys(), false).await;
    assert_eq!(
        results[0].error.as_ref().map(|e| e.kind),
        Some(ErrorKind::Internal)
    );
    assert_eq!(results[1].outcome, Outcome::Updated);
}
