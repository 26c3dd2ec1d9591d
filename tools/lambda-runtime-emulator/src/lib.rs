//! A small emulator of the AWS Lambda Runtime API (`/2018-06-01/runtime/...`) on loopback, so that a real
//! function binary can be run as a Lambda in tests and benchmarks: point `AWS_LAMBDA_RUNTIME_API` at it
//! (see [`lambda_env`]), then [`RuntimeApi::invoke`] events one by one.

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// Time `invoke` keeps waiting after the deadline before it reports `NoAnswer`.
pub const GRACE: Duration = Duration::from_secs(5);
/// The function name used in the invoked-function ARN.
pub const FUNCTION_NAME: &str = "emulated-function";

const PREFIX: &str = "/2018-06-01/runtime";

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Body posted to `/response` (a JSON string if it was not JSON).
    Response(Value),
    /// Posted to `/error`: `errorType` (or the `Lambda-Runtime-Function-Error-Type` header), `errorMessage`.
    Error {
        error_type: String,
        error_message: String,
    },
    /// Neither within the timeout plus [`GRACE`].
    NoAnswer,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub request_id: String,
    pub outcome: Outcome,
    /// From queueing the event to the response/error (or to giving up).
    pub duration: Duration,
    /// The `Lambda-Runtime-Function-Error-Type` header of an `/error` post, when sent.
    pub function_error_type: Option<String>,
}

struct Queued {
    request_id: String,
    event: Bytes,
    deadline_ms: u64,
    trace_id: String,
}

struct Answer {
    outcome: Outcome,
    function_error_type: Option<String>,
}

struct Shared {
    queue_tx: mpsc::UnboundedSender<Queued>,
    queue_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Queued>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Answer>>>,
    first_poll: watch::Sender<Option<Instant>>,
    init_error: Mutex<Option<Value>>,
    seq: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The emulator's only reading of the wall clock (deadlines are epoch milliseconds).
#[allow(clippy::disallowed_methods)]
fn epoch_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or_default()
}

/// A running Runtime API. Dropping it stops the server.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for RuntimeApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuntimeApi")
            .field("addr", &self.addr)
            .finish()
    }
}

impl RuntimeApi {
    /// Starts on `127.0.0.1` with a free port.
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = listener.local_addr()?;
        let (queue_tx, queue_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            queue_tx,
            queue_rx: tokio::sync::Mutex::new(queue_rx),
            waiting: Mutex::new(HashMap::new()),
            first_poll: watch::channel(None).0,
            init_error: Mutex::new(None),
            seq: AtomicU64::new(0),
        });
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, Arc::clone(&shared), stopped));
        Ok(RuntimeApi {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `127.0.0.1:PORT`, the value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// When `/next` was first called.
    pub fn first_poll(&self) -> Option<Instant> {
        *self.shared.first_poll.borrow()
    }

    /// Waits up to `timeout` for the first `/next` call.
    pub async fn wait_first_poll(&self, timeout: Duration) -> Option<Instant> {
        let mut rx = self.shared.first_poll.subscribe();
        let waited = tokio::time::timeout(timeout, rx.wait_for(Option::is_some)).await;
        match waited {
            Ok(Ok(value)) => *value,
            _ => self.first_poll(),
        }
    }

    /// Queues `event` with a deadline of now + `timeout` and waits for the function's response or error, or
    /// `timeout` + [`GRACE`].
    pub async fn invoke(&self, event: Value, timeout: Duration) -> Invocation {
        self.invoke_raw(Bytes::from(event.to_string()), timeout)
            .await
    }

    /// [`RuntimeApi::invoke`] with a payload sent as it is, JSON or not.
    pub async fn invoke_raw(&self, event: Bytes, timeout: Duration) -> Invocation {
        let n = self.shared.seq.fetch_add(1, Ordering::Relaxed) + 1;
        let now_ms = epoch_ms();
        let request_id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            now_ms & 0xffff_ffff,
            u64::from(self.addr.port()),
            (n >> 12) & 0xfff,
            n & 0xfff,
            n
        );
        let trace_id = format!(
            "Root=1-{:08x}-{:024x};Parent={:016x};Sampled=0",
            now_ms / 1000,
            n,
            n
        );
        let (tx, rx) = oneshot::channel();
        lock(&self.shared.waiting).insert(request_id.clone(), tx);
        let started = Instant::now();
        let deadline_ms =
            now_ms.saturating_add(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        let queued = Queued {
            request_id: request_id.clone(),
            event,
            deadline_ms,
            trace_id,
        };
        let answer = if self.shared.queue_tx.send(queued).is_ok() {
            tokio::time::timeout(timeout.saturating_add(GRACE), rx)
                .await
                .ok()
                .and_then(Result::ok)
        } else {
            None
        };
        lock(&self.shared.waiting).remove(&request_id);
        let (outcome, function_error_type) = match answer {
            Some(a) => (a.outcome, a.function_error_type),
            None => (Outcome::NoAnswer, None),
        };
        Invocation {
            request_id,
            outcome,
            duration: started.elapsed(),
            function_error_type,
        }
    }

    /// The body posted to `/init/error`, if any (a JSON string if it was not JSON).
    pub fn init_error(&self) -> Option<Value> {
        lock(&self.shared.init_error).clone()
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The environment a Lambda function process expects, pointing at `runtime_api`.
pub fn lambda_env(runtime_api: &str, function_name: &str) -> Vec<(String, String)> {
    [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME", function_name.to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function_name}"),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2024/01/01/[$LATEST]00000000000000000000000000000000".to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

async fn serve(listener: TcpListener, shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    connections.spawn(async move {
                        let service = service_fn(move |req| {
                            let shared = Arc::clone(&shared);
                            async move { Ok::<_, std::convert::Infallible>(handle(&shared, req).await) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

type Resp = Response<Full<Bytes>>;

fn json_response(status: StatusCode, body: &Value) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn error_response(status: StatusCode, error_type: &str, message: &str) -> Resp {
    json_response(
        status,
        &json!({"errorType": error_type, "errorMessage": message}),
    )
}

fn accepted() -> Resp {
    json_response(StatusCode::ACCEPTED, &json!({"status": "OK"}))
}

fn body_value(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Resp {
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return error_response(StatusCode::NOT_FOUND, "NotFound", "unknown route");
    };
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let method = req.method().clone();
    match (method, segments.as_slice()) {
        (Method::GET, ["invocation", "next"]) => next(shared).await,
        (Method::POST, ["invocation", id, kind @ ("response" | "error")]) => {
            let id = id.to_string();
            let is_error = *kind == "error";
            let error_type_header = header(&req, "lambda-runtime-function-error-type");
            let Ok(collected) = req.into_body().collect().await else {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "unreadable body",
                );
            };
            let body = body_value(&collected.to_bytes());
            let Some(waiter) = lock(&shared.waiting).remove(&id) else {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestID",
                    &format!("no invocation in progress with request id {id}"),
                );
            };
            let outcome = if is_error {
                let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_string);
                Outcome::Error {
                    error_type: text("errorType")
                        .or_else(|| error_type_header.clone())
                        .unwrap_or_else(|| "Unknown".to_string()),
                    error_message: text("errorMessage").unwrap_or_default(),
                }
            } else {
                Outcome::Response(body)
            };
            let _ = waiter.send(Answer {
                outcome,
                function_error_type: error_type_header.filter(|_| is_error),
            });
            accepted()
        }
        (Method::POST, ["init", "error"]) => {
            let Ok(collected) = req.into_body().collect().await else {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequest",
                    "unreadable body",
                );
            };
            *lock(&shared.init_error) = Some(body_value(&collected.to_bytes()));
            accepted()
        }
        _ => error_response(StatusCode::NOT_FOUND, "NotFound", "unknown route"),
    }
}

async fn next(shared: &Shared) -> Resp {
    shared.first_poll.send_if_modified(|first| {
        if first.is_none() {
            *first = Some(Instant::now());
            true
        } else {
            false
        }
    });
    let queued = {
        let mut rx = shared.queue_rx.lock().await;
        rx.recv().await
    };
    let Some(q) = queued else {
        return error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ServiceException",
            "runtime API stopping",
        );
    };
    let mut resp = Response::new(Full::new(q.event));
    let headers = resp.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let pairs = [
        ("lambda-runtime-aws-request-id", q.request_id),
        ("lambda-runtime-deadline-ms", q.deadline_ms.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            format!("arn:aws:lambda:us-east-1:000000000000:function:{FUNCTION_NAME}"),
        ),
        ("lambda-runtime-trace-id", q.trace_id),
    ];
    for (name, value) in pairs {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests;
