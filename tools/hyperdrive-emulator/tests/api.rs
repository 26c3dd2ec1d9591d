//! The emulator through a real HTTP client: auth, paging, CRUD round trip, schema and connection-test refusals,
//! faults, admin API, and the binary.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hyperdrive_emulator::{
    sign_dsql_token, Emulator, Fault, Options, SigningCredentials, StoredConfig,
};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

const TOKEN: &str = "test-api-token";
const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
const HOST: &str = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws";
/// 2024-08-27T00:01:00Z: one minute after the boto3 vectors were signed.
const NOW_EPOCH: u64 = 1_724_716_860;

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW_EPOCH)
}

fn creds() -> SigningCredentials {
    SigningCredentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
}

/// A DSQL token valid at `now()` for `HOST`, signed `age` ago with `expires` seconds of validity.
fn token(user: &str, age: u64, expires: u64) -> String {
    let action = if user == "admin" {
        "DbConnectAdmin"
    } else {
        "DbConnect"
    };
    sign_dsql_token(
        HOST,
        action,
        "us-east-1",
        now() - Duration::from_secs(age),
        expires,
        &creds(),
    )
}

fn config_body(name: &str, password: &str) -> Value {
    json!({
        "name": name,
        "origin": {"scheme": "postgres", "host": HOST, "port": 5432, "database": "postgres", "user": "admin", "password": password}
    })
}

/// A crypto provider for reqwest when the workspace's features unify it with `rustls-no-provider`.
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

async fn start(options: Options) -> (Emulator, Client) {
    install_crypto();
    let emulator = Emulator::start(options).await.unwrap();
    emulator.set_now(Some(now()));
    let client = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    (emulator, client)
}

fn configs_url(e: &Emulator) -> String {
    format!("{}/accounts/{ACCOUNT}/hyperdrive/configs", e.base_url())
}

async fn send(
    client: &Client,
    method: &str,
    url: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut req = client
        .request(method.parse().unwrap(), url)
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        req = req.json(body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn assert_failure(body: &Value, code: u64) -> String {
    assert_eq!(body["success"], json!(false), "{body}");
    assert_eq!(body["result"], Value::Null, "{body}");
    assert_eq!(body["messages"], json!([]), "{body}");
    assert_eq!(body["errors"][0]["code"], json!(code), "{body}");
    body["errors"][0]["message"].as_str().unwrap().to_string()
}

fn assert_no_password(body: &Value, password: &str) {
    let text = body.to_string();
    assert!(
        !text.contains("\"password\""),
        "password field returned: {text}"
    );
    assert!(!text.contains(password), "password value returned: {text}");
}

#[tokio::test]
async fn bearer_token_is_required() {
    let (e, client) = start(Options::new(TOKEN)).await;
    let url = configs_url(&e);

    let resp = client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(assert_failure(&body, 10000), "Authentication error");

    let resp = client.get(&url).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    let resp = client
        .post(&url)
        .bearer_auth("wrong")
        .json(&config_body("x", &token("admin", 0, 900)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(e.configs(ACCOUNT).is_empty());

    let (status, body) = send(&client, "GET", &url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["success"], json!(true));

    // The API token is never recorded.
    let recorded = serde_json::to_string(&e.requests()).unwrap();
    assert!(
        !recorded.contains(TOKEN) && !recorded.contains("wrong"),
        "{recorded}"
    );
    assert_eq!(e.requests().len(), 4);
    e.shutdown().await;
}

#[tokio::test]
async fn list_pages_through_more_than_a_hundred_configs_in_creation_order() {
    let (e, client) = start(Options::new(TOKEN)).await;
    let mut ids = Vec::new();
    for i in 0..205 {
        ids.push(e.insert_config(ACCOUNT, config_body(&format!("cfg-{i:03}"), "p")));
    }
    let mut seen = Vec::new();
    for (page, count) in [(1, 100), (2, 100), (3, 5), (4, 0)] {
        let (status, body) = send(
            &client,
            "GET",
            &format!("{}?page={page}&per_page=100", configs_url(&e)),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body["result_info"],
            json!({"page": page, "per_page": 100, "count": count, "total_count": 205, "total_pages": 3})
        );
        for c in body["result"].as_array().unwrap() {
            assert!(c.get("password").is_none() && c["origin"].get("password").is_none());
            seen.push(c["id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen, ids);

    let (_, body) = send(&client, "GET", &configs_url(&e), None).await;
    assert_eq!(body["result"].as_array().unwrap().len(), 20);
    assert_eq!(body["result_info"]["per_page"], json!(20));
    assert_eq!(body["result"][0]["name"], json!("cfg-000"));

    for bad in ["per_page=101", "per_page=0", "page=0", "page=abc"] {
        let (status, body) =
            send(&client, "GET", &format!("{}?{bad}", configs_url(&e)), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_failure(&body, 1002);
    }
    // Another account exists, empty.
    let (status, body) = send(
        &client,
        "GET",
        &format!("{}/accounts/other/hyperdrive/configs", e.base_url()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"], json!([]));
    assert_eq!(body["result_info"]["total_count"], json!(0));
}

#[tokio::test]
async fn create_get_patch_put_restart_delete_round_trip() {
    let (e, client) = start(Options {
        credentials: Some(creds()),
        ..Options::new(TOKEN)
    })
    .await;
    let first = token("admin", 0, 900);

    let (status, created) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&config_body("main", &first)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["success"], json!(true));
    assert_eq!(created["errors"], json!([]));
    assert_no_password(&created, &first);
    let result = &created["result"];
    let id = result["id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 32);
    assert!(id
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(result["name"], json!("main"));
    assert_eq!(
        result["origin"],
        json!({"scheme": "postgres", "host": HOST, "port": 5432, "database": "postgres", "user": "admin"})
    );
    assert_eq!(result["caching"], json!({"disabled": false}));
    assert_eq!(result["created_on"], result["modified_on"]);
    assert!(result["created_on"]
        .as_str()
        .unwrap()
        .starts_with("2024-08-27T00:01:00"));

    let stored: Vec<StoredConfig> = e.configs(ACCOUNT);
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].password.as_deref(), Some(first.as_str()));
    let info = stored[0].token.clone().unwrap();
    assert_eq!(info.action, "DbConnectAdmin");
    assert!(info.signature_checked);
    assert_eq!(info.expires_at, now() + Duration::from_secs(900));

    let one = format!("{}/{id}", configs_url(&e));
    let (status, got) = send(&client, "GET", &one, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got["result"], created["result"]);

    // PATCH with only a new password, as a rotator does.
    e.set_now(Some(now() + Duration::from_secs(60)));
    let second = token("admin", 0, 3600);
    let (status, patched) = send(
        &client,
        "PATCH",
        &one,
        Some(&json!({"origin": {"password": second}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_no_password(&patched, &second);
    assert_eq!(patched["result"]["origin"], result["origin"]);
    assert_ne!(patched["result"]["modified_on"], result["modified_on"]);
    assert_eq!(patched["result"]["created_on"], result["created_on"]);
    let stored = &e.configs(ACCOUNT)[0];
    assert_eq!(stored.password.as_deref(), Some(second.as_str()));
    assert_eq!(
        stored.token.as_ref().unwrap().expires_at,
        now() + Duration::from_secs(3600)
    );

    // PATCH of other top-level fields: no connection test, origin kept.
    let (status, patched) = send(
        &client,
        "PATCH",
        &one,
        Some(&json!({"name": "renamed", "caching": {"disabled": true}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["result"]["name"], json!("renamed"));
    assert_eq!(patched["result"]["caching"], json!({"disabled": true}));
    assert_eq!(
        e.configs(ACCOUNT)[0].password.as_deref(),
        Some(second.as_str())
    );

    // PUT replaces everything: caching back to its default, connection limit set.
    let mut put_body = config_body("put-name", &first);
    put_body["origin_connection_limit"] = json!(10);
    let (status, put) = send(&client, "PUT", &one, Some(&put_body)).await;
    assert_eq!(status, StatusCode::OK, "{put}");
    assert_no_password(&put, &first);
    assert_eq!(put["result"]["caching"], json!({"disabled": false}));
    assert_eq!(put["result"]["origin_connection_limit"], json!(10));
    assert_eq!(put["result"]["id"], json!(id));

    let (status, restarted) = send(&client, "POST", &format!("{one}/restart"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(restarted["result"]["restarted_on"].is_string());

    let (status, deleted) = send(&client, "DELETE", &one, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        deleted,
        json!({"success": true, "errors": [], "messages": [], "result": null})
    );
    assert!(e.configs(ACCOUNT).is_empty());

    let (status, body) = send(&client, "GET", &one, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_failure(&body, 7003);
    let (status, _) = send(&client, "PATCH", &one, Some(&json!({"name": "x"}))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        &client,
        "DELETE",
        &format!("{}/not-an-id", configs_url(&e)),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every request body recorded, password included (Rust API), statuses answered.
    let statuses: Vec<Option<u16>> = e.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == Some(200)).count(), 7);
    assert_eq!(e.requests()[0].account_id.as_deref(), Some(ACCOUNT));
}

#[tokio::test]
async fn schema_violations_are_refused_with_pointers() {
    let (e, client) = start(Options::new(TOKEN)).await;
    let password = token("admin", 0, 900);

    let mut no_port = config_body("a", &password);
    no_port["origin"].as_object_mut().unwrap().remove("port");
    let (status, body) = send(&client, "POST", &configs_url(&e), Some(&no_port)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = assert_failure(&body, 1001);
    assert!(
        message.contains("/origin") && message.contains("\"port\""),
        "{message}"
    );
    assert!(!message.contains(&password));

    let mut bad_scheme = config_body("a", &password);
    bad_scheme["origin"]["scheme"] = json!("mongodb");
    let (status, body) = send(&client, "POST", &configs_url(&e), Some(&bad_scheme)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let message = assert_failure(&body, 1001);
    assert!(message.contains("/origin/scheme"), "{message}");

    let (status, body) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&json!({"name": "n"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(assert_failure(&body, 1001).contains("missing required property \"origin\""));

    let resp = client
        .post(configs_url(&e))
        .bearer_auth(TOKEN)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(e.configs(ACCOUNT).is_empty());

    // PATCH: wrong types, and a merged origin that breaks the full schema (the PATCH schema alone lets it pass).
    let id = e.insert_config(ACCOUNT, config_body("preset", &password));
    let one = format!("{}/{id}", configs_url(&e));
    let (status, body) = send(
        &client,
        "PATCH",
        &one,
        Some(&json!({"origin_connection_limit": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(assert_failure(&body, 1001).contains("/origin_connection_limit"));
    let (status, body) = send(
        &client,
        "PATCH",
        &one,
        Some(&json!({"origin": {"host": HOST, "port": 5432, "scheme": "mongodb"}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(assert_failure(&body, 1001).contains("/scheme"), "{body}");
    assert_eq!(e.configs(ACCOUNT)[0].origin["scheme"], json!("postgres"));
}

#[tokio::test]
async fn connection_test_refusals_leave_the_config_unchanged() {
    let (e, client) = start(Options {
        credentials: Some(creds()),
        ..Options::new(TOKEN)
    })
    .await;
    let good = token("admin", 0, 900);
    let (status, created) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&config_body("main", &good)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["result"]["id"].as_str().unwrap();
    let one = format!("{}/{id}", configs_url(&e));
    let before = e.configs(ACCOUNT);

    let other_secret = SigningCredentials::new("AKIDEXAMPLE", "other-secret");
    let cases: Vec<(Value, u64, &str)> = vec![
        (
            json!({"origin": {"password": token("admin", 900, 900)}}),
            2013,
            "expired at 2024-08-27T00:01:00Z",
        ),
        (
            json!({"origin": {"password": token("admin", 0, 900), "user": "app"}}),
            2013,
            "needs Action=DbConnect",
        ),
        (
            json!({"origin": {"password": token("admin", 0, 900), "database": "app"}}),
            2014,
            "does not exist",
        ),
        (
            json!({"origin": {"password": "hunter2"}}),
            2013,
            "malformed DSQL auth token",
        ),
        (
            json!({"origin": {"password": sign_dsql_token(HOST, "DbConnectAdmin", "us-east-1", now(), 900, &other_secret)}}),
            2013,
            "signature does not match",
        ),
        (
            json!({"origin": {"password": sign_dsql_token("other.dsql.us-east-1.on.aws", "DbConnectAdmin", "us-east-1", now(), 900, &creds())}}),
            2013,
            "was signed for host",
        ),
        (
            json!({"origin": {"password": token("admin", 0, 604_801)}}),
            2013,
            "X-Amz-Expires=604801",
        ),
    ];
    for (patch, code, fragment) in cases {
        let (status, body) = send(&client, "PATCH", &one, Some(&patch)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{patch}: {body}");
        let message = assert_failure(&body, code);
        assert!(message.contains(fragment), "{patch}: {message}");
        assert_eq!(e.configs(ACCOUNT), before, "{patch}");
    }

    let mut put = config_body("main", &token("admin", 3600, 900));
    put["caching"] = json!({"disabled": true});
    let (status, body) = send(&client, "PUT", &one, Some(&put)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_failure(&body, 2013);
    assert_eq!(e.configs(ACCOUNT), before);

    // Temporary credentials: the session token must be there, and the credentials' expiry caps the token's.
    let temporary = creds()
        .with_session_token("SESSION")
        .with_expires_at(now() + Duration::from_secs(300));
    e.set_credentials(Some(temporary.clone()));
    let (status, body) = send(
        &client,
        "PATCH",
        &one,
        Some(&json!({"origin": {"password": good}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(assert_failure(&body, 2013).contains("no X-Amz-Security-Token"));
    let with_session = sign_dsql_token(HOST, "DbConnectAdmin", "us-east-1", now(), 900, &temporary);
    let (status, body) = send(
        &client,
        "PATCH",
        &one,
        Some(&json!({"origin": {"password": with_session}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let info = e.configs(ACCOUNT)[0].token.clone().unwrap();
    assert!(info.has_session_token);
    assert_eq!(info.expires_at, now() + Duration::from_secs(300));
    e.set_now(Some(now() + Duration::from_secs(300)));
    let (status, body) = send(
        &client,
        "PATCH",
        &one,
        Some(&json!({"origin": {"password": with_session}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        assert_failure(&body, 2013).contains("credentials that signed"),
        "{body}"
    );
}

#[tokio::test]
async fn boto3_vectors_are_accepted_through_the_api() {
    let (e, client) = start(Options {
        credentials: Some(creds()),
        ..Options::new(TOKEN)
    })
    .await;
    let boto = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws/?Action=DbConnect&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20240827%2Fus-east-1%2Fdsql%2Faws4_request&X-Amz-Date=20240827T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=2e78524e9bce4f0b9e97af16d398587af7ab9a8606291caf6f0a32771e272097";
    let mut body = config_body("app", boto);
    body["origin"]["user"] = json!("app_user");
    let (status, created) = send(&client, "POST", &configs_url(&e), Some(&body)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
}

#[tokio::test]
async fn duplicate_names_and_the_config_limit() {
    let (e, client) = start(Options {
        max_configs_per_account: Some(2),
        ..Options::new(TOKEN)
    })
    .await;
    let (status, _) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&config_body("a", &token("admin", 0, 900))),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&config_body("a", &token("admin", 0, 900))),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_failure(&body, 2017);
    let (status, _) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&config_body("b", &token("admin", 0, 900))),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&config_body("c", &token("admin", 0, 900))),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_failure(&body, 2018);
    // Presets may share names.
    e.insert_config(ACCOUNT, config_body("a", "p"));
    assert_eq!(
        e.configs(ACCOUNT).iter().filter(|c| c.name == "a").count(),
        2
    );
}

#[tokio::test]
async fn respond_faults_answer_without_applying() {
    let (e, client) = start(Options::new(TOKEN)).await;
    e.add_fault(Fault::respond("POST", 429).with_retry_after(2).times(1));
    e.add_fault(Fault::raw_response("GET", 502, "text/html", "<html>Bad gateway</html>").times(1));
    e.add_fault(
        Fault::respond("PATCH", 200)
            .with_body(json!({"success": false}), "application/json")
            .times(1),
    );

    let resp = client
        .post(configs_url(&e))
        .bearer_auth(TOKEN)
        .json(&config_body("a", &token("admin", 0, 900)))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "2");
    let body: Value = resp.json().await.unwrap();
    assert_failure(&body, 971);
    assert!(e.configs(ACCOUNT).is_empty());

    let resp = client
        .get(configs_url(&e))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert_eq!(resp.headers()["content-type"], "text/html");
    assert_eq!(resp.text().await.unwrap(), "<html>Bad gateway</html>");

    let id = e.insert_config(ACCOUNT, config_body("a", "p"));
    let (status, body) = send(
        &client,
        "PATCH",
        &format!("{}/{id}", configs_url(&e)),
        Some(&json!({"name": "b"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({"success": false}));
    assert_eq!(e.configs(ACCOUNT)[0].name, "a");

    // times(1) used up: normal handling again.
    let (status, _) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&config_body("b", &token("admin", 0, 900))),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let faults: Vec<Option<String>> = e.requests().iter().map(|r| r.fault.clone()).collect();
    assert_eq!(
        faults,
        [
            Some("respond 429".into()),
            Some("respond 502".into()),
            Some("respond 200".into()),
            None
        ]
    );
    assert_eq!(e.requests()[0].status, Some(429));

    // cloudflare_error with skip, matching on origin host.
    e.set_faults(vec![Fault::cloudflare_error(500, 1234, "boom")
        .for_origin_host(HOST)
        .skip(1)
        .times(1)]);
    let statuses = {
        let mut out = Vec::new();
        for name in ["c", "d", "e"] {
            out.push(
                send(
                    &client,
                    "POST",
                    &configs_url(&e),
                    Some(&config_body(name, &token("admin", 0, 900))),
                )
                .await,
            );
        }
        out
    };
    assert_eq!(
        statuses.iter().map(|(s, _)| s.as_u16()).collect::<Vec<_>>(),
        [200, 500, 200]
    );
    assert_eq!(assert_failure(&statuses[1].1, 1234), "boom");
}

#[tokio::test]
async fn delay_fault_delays_then_applies() {
    let (e, client) = start(Options::new(TOKEN)).await;
    e.set_faults(vec![
        Fault::delay("POST", Duration::from_millis(300)).times(1)
    ]);
    let started = Instant::now();
    let (status, _) = send(
        &client,
        "POST",
        &configs_url(&e),
        Some(&config_body("a", &token("admin", 0, 900))),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(e.configs(ACCOUNT).len(), 1);
    assert_eq!(e.requests()[0].fault.as_deref(), Some("delay 300ms"));

    // A long delay emulates a hang: the client times out.
    e.set_faults(vec![Fault::delay("GET", Duration::from_secs(30))]);
    install_crypto();
    let short = Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = short
        .get(configs_url(&e))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn latency_option_is_added_to_every_call() {
    let (e, client) = start(Options {
        latency: Duration::from_millis(150),
        ..Options::new(TOKEN)
    })
    .await;
    let started = Instant::now();
    send(&client, "GET", &configs_url(&e), None).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn drop_before_applies_nothing_and_drop_after_applies_then_drops() {
    let (e, client) = start(Options::new(TOKEN)).await;
    e.set_faults(vec![
        Fault::drop_before("POST").times(1),
        Fault::drop_after("POST").times(1),
    ]);

    let err = client
        .post(configs_url(&e))
        .bearer_auth(TOKEN)
        .json(&config_body("a", &token("admin", 0, 900)))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err}");
    assert!(e.configs(ACCOUNT).is_empty(), "drop_before applied nothing");

    let err = client
        .post(configs_url(&e))
        .bearer_auth(TOKEN)
        .json(&config_body("b", &token("admin", 0, 900)))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err}");
    let stored = e.configs(ACCOUNT);
    assert_eq!(stored.len(), 1, "drop_after really created the config");
    assert_eq!(stored[0].name, "b");

    let records = e.requests();
    assert_eq!(records.len(), 2);
    assert_eq!(
        (records[0].status, records[0].fault.as_deref()),
        (None, Some("drop_before"))
    );
    assert_eq!(
        (records[1].status, records[1].fault.as_deref()),
        (None, Some("drop_after"))
    );

    // The client can see the config by listing (what a careful client does after a lost response).
    let (_, body) = send(&client, "GET", &configs_url(&e), None).await;
    assert_eq!(body["result"][0]["name"], json!("b"));
}

#[tokio::test]
async fn admin_api() {
    let (e, client) = start(Options::new(TOKEN)).await;
    let admin = e.admin_url();
    let password = token("admin", 0, 900);

    let resp = client
        .post(format!("{admin}/configs/{ACCOUNT}"))
        .json(&config_body("preset", &password))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let id = resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let faults =
        json!([{"method": "PATCH", "times": 1, "action": {"type": "respond", "status": 503}}]);
    let resp = client
        .put(format!("{admin}/faults"))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, body) = send(
        &client,
        "PATCH",
        &format!("{}/{id}", configs_url(&e)),
        Some(&json!({"origin": {"password": password}})),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_failure(&body, 1000);
    let (status, _) = send(
        &client,
        "PATCH",
        &format!("{}/{id}", configs_url(&e)),
        Some(&json!({"origin": {"password": password}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let configs: Value = client
        .get(format!("{admin}/configs?account_id={ACCOUNT}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(configs[0]["id"], json!(id));
    assert_eq!(configs[0]["has_password"], json!(true));
    assert_eq!(
        configs[0]["token_expires_at"],
        json!("2024-08-27T00:16:00Z")
    );
    assert_no_password(&configs, &password);

    let requests: Value = client
        .get(format!("{admin}/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(requests.as_array().unwrap().len(), 2);
    assert_eq!(requests[0]["status"], json!(503));
    assert_no_password(
        &json!(requests
            .to_string()
            .replace("\"password\":\"** redacted **\"", "")),
        &password,
    );

    let creds_json = json!({"Credentials": {"AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "other", "SessionToken": null, "Expiration": "2030-01-01T00:00:00Z"}});
    let resp = client
        .put(format!("{admin}/credentials"))
        .json(&creds_json)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, body) = send(
        &client,
        "PATCH",
        &format!("{}/{id}", configs_url(&e)),
        Some(&json!({"origin": {"password": password}})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(assert_failure(&body, 2013).contains("signature"));
    client
        .put(format!("{admin}/credentials"))
        .json(&Value::Null)
        .send()
        .await
        .unwrap();

    let resp = client
        .put(format!("{admin}/clock"))
        .json(&json!({"now": "2024-08-27T01:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, _) = send(
        &client,
        "PATCH",
        &format!("{}/{id}", configs_url(&e)),
        Some(&json!({"origin": {"password": password}})),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "token expired by the admin clock"
    );

    let resp = client
        .put(format!("{admin}/faults"))
        .json(&json!([{"action": {"type": "explode"}}]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let resp = client.post(format!("{admin}/reset")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(e.configs(ACCOUNT).is_empty());
    assert!(e.requests().is_empty());
}

#[test]
fn the_binary_prints_its_url_and_serves() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    let bin = env!("CARGO_BIN_EXE_hyperdrive-emulator");
    let help = Command::new(bin).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--token-file"));
    let refused = Command::new(bin)
        .args(["--listen", "0.0.0.0:0", "--token-env", "HD_EMU_TEST_TOKEN"])
        .env("HD_EMU_TEST_TOKEN", "t")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback"));
    let no_token = Command::new(bin)
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!no_token.status.success());

    let dir = std::env::temp_dir().join(format!("hd-emu-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("state.json");
    std::fs::File::create(&state).unwrap().write_all(br#"{"acc": [{"name": "one", "origin": {"host": "h", "port": 5432, "database": "postgres", "user": "admin", "scheme": "postgres"}}]}"#).unwrap();
    let mut child = Command::new(bin)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--token-env",
            "HD_EMU_TEST_TOKEN",
            "--state",
        ])
        .arg(&state)
        .env("HD_EMU_TEST_TOKEN", "bin-token")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("hyperdrive-emulator listening on ")
        .unwrap()
        .to_string();
    assert!(
        base.starts_with("http://127.0.0.1:") && base.ends_with("/client/v4"),
        "{line}"
    );

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body: Value = runtime.block_on(async {
        Client::new()
            .get(format!("{base}/accounts/acc/hyperdrive/configs"))
            .bearer_auth("bin-token")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(body["result"][0]["name"], json!("one"));
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        log.contains("GET /client/v4/accounts/acc/hyperdrive/configs -> 200"),
        "{log}"
    );
    assert!(!log.contains("bin-token"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}
