use super::*;

use reqwest::Client;

/// reqwest, with a crypto provider for when the workspace's features unify it with
/// `rustls-no-provider`.
fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::new()
}

fn url(api: &RuntimeApi, path: &str) -> String {
    format!("http://{}/2018-06-01/runtime/{path}", api.address())
}

/// Polls `/next` once and returns (request id, deadline ms, event, all headers).
async fn poll(
    client: &Client,
    api: &RuntimeApi,
) -> (String, u64, Value, reqwest::header::HeaderMap) {
    let resp = client
        .get(url(api, "invocation/next"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    let id = headers["lambda-runtime-aws-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let deadline = headers["lambda-runtime-deadline-ms"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let event = resp.json().await.unwrap();
    (id, deadline, event, headers)
}

#[tokio::test]
async fn a_runtime_polls_and_responds() {
    let api = RuntimeApi::start().await.unwrap();
    assert!(api.first_poll().is_none());
    let client = client();
    let runtime = {
        let client = client.clone();
        let next = url(&api, "invocation/next");
        let base = url(&api, "invocation");
        tokio::spawn(async move {
            let resp = client.get(next).send().await.unwrap();
            let headers = resp.headers().clone();
            let id = headers["lambda-runtime-aws-request-id"]
                .to_str()
                .unwrap()
                .to_string();
            let deadline: u64 = headers["lambda-runtime-deadline-ms"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(headers["lambda-runtime-invoked-function-arn"]
                .to_str()
                .unwrap()
                .starts_with("arn:aws:lambda:"));
            assert!(headers["lambda-runtime-trace-id"]
                .to_str()
                .unwrap()
                .starts_with("Root=1-"));
            let event: Value = resp.json().await.unwrap();
            let posted = client
                .post(format!("{base}/{id}/response"))
                .json(&json!({"echo": event}))
                .send()
                .await
                .unwrap();
            assert_eq!(posted.status(), 202);
            deadline
        })
    };
    assert!(api.wait_first_poll(Duration::from_secs(5)).await.is_some());
    let before_ms = epoch_ms();
    let invocation = api
        .invoke(
            json!({"detail-type": "Scheduled Event"}),
            Duration::from_secs(30),
        )
        .await;
    let deadline = runtime.await.unwrap();
    assert!(
        deadline >= before_ms + 29_000,
        "deadline {deadline} is about 30 s in the future of {before_ms}"
    );
    assert_eq!(
        invocation.outcome,
        Outcome::Response(json!({"echo": {"detail-type": "Scheduled Event"}}))
    );
    assert!(invocation.duration < Duration::from_secs(5));
    assert_eq!(invocation.request_id.len(), 36);
    api.shutdown().await;
}

#[tokio::test]
async fn a_runtime_posts_an_error() {
    let api = RuntimeApi::start().await.unwrap();
    let client = client();
    let invoke = {
        let api = &api;
        async move { api.invoke(json!({}), Duration::from_secs(10)).await }
    };
    let runtime = async {
        let (id, deadline, event, _) = poll(&client, &api).await;
        assert!(deadline > epoch_ms());
        assert_eq!(event, json!({}));
        let resp = client
            .post(url(&api, &format!("invocation/{id}/error")))
            .header("Lambda-Runtime-Function-Error-Type", "Runtime.Handled")
            .json(&json!({"errorType": "HyperdriveError", "errorMessage": "2013: invalid credentials"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 202);
        // A second answer for the same id is refused.
        let again = client
            .post(url(&api, &format!("invocation/{id}/response")))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 400);
    };
    let (invocation, ()) = tokio::join!(invoke, runtime);
    assert_eq!(
        invocation.outcome,
        Outcome::Error {
            error_type: "HyperdriveError".into(),
            error_message: "2013: invalid credentials".into()
        }
    );
    assert_eq!(
        invocation.function_error_type.as_deref(),
        Some("Runtime.Handled")
    );
}

#[tokio::test]
async fn init_error_and_unknown_routes() {
    let api = RuntimeApi::start().await.unwrap();
    let client = client();
    let resp = client
        .post(url(&api, "init/error"))
        .json(&json!({"errorType": "Runtime.ConfigError", "errorMessage": "HYPERDRIVE_CONFIGS is not set"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 202);
    assert_eq!(
        api.init_error().unwrap()["errorType"],
        json!("Runtime.ConfigError")
    );
    let resp = client.get(url(&api, "nothing")).send().await.unwrap();
    assert_eq!(resp.status(), 404);
    let resp = client
        .post(url(&api, "invocation/unknown-id/response"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
}

#[tokio::test]
async fn no_answer_after_the_timeout_and_grace() {
    let api = RuntimeApi::start().await.unwrap();
    let started = Instant::now();
    let invocation = api.invoke(json!({}), Duration::from_millis(100)).await;
    assert_eq!(invocation.outcome, Outcome::NoAnswer);
    assert!(started.elapsed() >= Duration::from_millis(100) + GRACE);
}

#[test]
fn lambda_env_has_what_the_runtime_reads() {
    let env: HashMap<String, String> = lambda_env("127.0.0.1:9001", "rotator")
        .into_iter()
        .collect();
    assert_eq!(env["AWS_LAMBDA_RUNTIME_API"], "127.0.0.1:9001");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_NAME"], "rotator");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"], "128");
    assert_eq!(env["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert!(
        env.contains_key("AWS_LAMBDA_LOG_GROUP_NAME")
            && env.contains_key("AWS_LAMBDA_LOG_STREAM_NAME")
    );
}
