//! HTTP plumbing: the accept loop, routing of `/client/v4/...` API calls and `/__admin/...` calls, Cloudflare
//! envelopes, latency and fault application. A request whose connection must be dropped makes the service return
//! an error, which makes hyper close the connection without writing a response.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::fault::{Fault, FaultAction, FaultList, FaultRequest};
use crate::schema::{schemas, validate};
use crate::state::{codes, ApiError, Inner, RecordedRequest};
use crate::timefmt::parse_rfc3339;
use crate::token::SigningCredentials;

pub const API_PREFIX: &str = "/client/v4";
const ADMIN_PREFIX: &str = "/__admin";
const MAX_BODY_BYTES: usize = 1 << 20;

type Resp = Response<Full<Bytes>>;

/// State shared by the server tasks and the `Emulator` handle.
pub struct Shared {
    pub api_token: String,
    /// Account-owned tokens: each accepted for its own account only.
    pub account_tokens: std::collections::HashMap<String, String>,
    pub latency: Duration,
    pub log: AtomicBool,
    pub inner: Mutex<Inner>,
}

impl Shared {
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the state half-updated in a way that matters for a test tool.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Returned by the service to make hyper close the connection without a response.
#[derive(Debug)]
pub struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

/// Accepts connections until `shutdown` fires; open connections are aborted then.
pub async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    connections.spawn(async move {
                        let service = service_fn(move |req| handle(Arc::clone(&shared), req));
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                Err(e) => {
                    eprintln!("hyperdrive-emulator: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

fn response(status: u16, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = HeaderValue::from_str(content_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    resp.headers_mut().insert(CONTENT_TYPE, content_type);
    resp
}

fn json_response(status: u16, body: &Value) -> Resp {
    response(status, "application/json", body.to_string())
}

fn success(result: Value, result_info: Option<Value>) -> Value {
    let mut body = json!({"success": true, "errors": [], "messages": [], "result": result});
    if let (Some(info), Value::Object(map)) = (result_info, &mut body) {
        map.insert("result_info".into(), info);
    }
    body
}

fn failure(code: u64, message: &str) -> Value {
    json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null})
}

fn error_response(e: &ApiError) -> Resp {
    json_response(e.status, &failure(e.code, &e.message))
}

/// Default Cloudflare error for an injected status.
fn default_error(status: u16) -> (u64, &'static str) {
    match status {
        400 => (codes::INVALID_BODY, "Bad request"),
        401 | 403 => (codes::AUTHENTICATION, "Authentication error"),
        404 => (codes::NOT_FOUND, "Could not route to the requested object"),
        409 => (codes::DUPLICATE_NAME, "Conflict"),
        429 => (
            codes::RATE_LIMITED,
            "Please wait and consider throttling your request speed",
        ),
        502 => (codes::INTERNAL, "Bad gateway"),
        503 => (codes::INTERNAL, "Service unavailable"),
        504 => (codes::INTERNAL, "Gateway timeout"),
        _ => (codes::INTERNAL, "Internal server error"),
    }
}

fn fault_response(action: &FaultAction) -> Option<Resp> {
    let FaultAction::Respond {
        status,
        retry_after,
        code,
        message,
        body,
        content_type,
    } = action
    else {
        return None;
    };
    let mut resp = match body {
        Some(Value::String(raw)) => response(
            *status,
            content_type.as_deref().unwrap_or("text/plain"),
            raw.clone(),
        ),
        Some(other) => response(
            *status,
            content_type.as_deref().unwrap_or("application/json"),
            other.to_string(),
        ),
        None => {
            let (default_code, default_message) = default_error(*status);
            let body = failure(
                code.unwrap_or(default_code),
                message.as_deref().unwrap_or(default_message),
            );
            response(
                *status,
                content_type.as_deref().unwrap_or("application/json"),
                body.to_string(),
            )
        }
    };
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(*secs));
    }
    Some(resp)
}

/// An API operation and its target.
enum Op {
    List,
    Create,
    Get(String),
    Put(String),
    Patch(String),
    Delete(String),
    Restart(String),
    /// `GET /user/tokens/verify` (no account) or `GET /accounts/{account}/tokens/verify`.
    VerifyToken,
}

/// `/client/v4/accounts/{account}/hyperdrive/configs[/{id}[/restart]]` -> (account, op).
fn route(method: &Method, api_path: &str) -> Result<(String, Op), ApiError> {
    let no_route = || ApiError::new(404, codes::NO_ROUTE, "No route for that URI");
    let segments: Vec<String> = api_path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    match segments.as_slice() {
        [user, tokens, verify] if user == "user" && tokens == "tokens" && verify == "verify" => {
            return match *method {
                Method::GET => Ok((String::new(), Op::VerifyToken)),
                _ => Err(no_route()),
            };
        }
        [accounts, account, tokens, verify]
            if accounts == "accounts"
                && tokens == "tokens"
                && verify == "verify"
                && !account.is_empty() =>
        {
            return match *method {
                Method::GET => Ok((account.clone(), Op::VerifyToken)),
                _ => Err(no_route()),
            };
        }
        _ => {}
    }
    let (account, rest) = match segments.as_slice() {
        [accounts, account, hyperdrive, configs, rest @ ..]
            if accounts == "accounts"
                && hyperdrive == "hyperdrive"
                && configs == "configs"
                && !account.is_empty() =>
        {
            (account.clone(), rest)
        }
        _ => return Err(no_route()),
    };
    let not_allowed = || {
        ApiError::new(
            405,
            codes::METHOD_NOT_ALLOWED,
            format!("Method {method} not allowed for this route"),
        )
    };
    let op = match rest {
        [] => match *method {
            Method::GET => Op::List,
            Method::POST => Op::Create,
            _ => return Err(not_allowed()),
        },
        [id] if !id.is_empty() => match *method {
            Method::GET => Op::Get(id.clone()),
            Method::PUT => Op::Put(id.clone()),
            Method::PATCH => Op::Patch(id.clone()),
            Method::DELETE => Op::Delete(id.clone()),
            _ => return Err(not_allowed()),
        },
        [id, restart] if !id.is_empty() && restart == "restart" => match *method {
            Method::POST => Op::Restart(id.clone()),
            _ => return Err(not_allowed()),
        },
        _ => return Err(no_route()),
    };
    Ok((account, op))
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode_str(v).decode_utf8_lossy())
}

fn paging(query: Option<&str>) -> Result<(u64, u64), ApiError> {
    let parse = |name: &str, default: u64, max: u64| -> Result<u64, ApiError> {
        match query_param(query, name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|v| (1..=max).contains(v))
                .ok_or_else(|| {
                    let range = if max == u64::MAX {
                        "at least 1".to_string()
                    } else {
                        format!("between 1 and {max}")
                    };
                    ApiError::new(
                        400,
                        codes::INVALID_QUERY,
                        format!("{name} must be an integer {range}, got {raw:?}"),
                    )
                }),
        }
    };
    Ok((parse("page", 1, u64::MAX)?, parse("per_page", 20, 100)?))
}

fn schema_error(schema_name: &str, errors: &[String]) -> ApiError {
    ApiError::new(
        400,
        codes::INVALID_BODY,
        format!(
            "Request body does not match the schema {schema_name}: {}",
            errors.join("; ")
        ),
    )
}

fn internal(e: &str) -> ApiError {
    ApiError::new(500, codes::INTERNAL, format!("emulator error: {e}"))
}

/// Validates the body of POST/PUT/PATCH; `Ok(body)` when it is a JSON value satisfying the schema.
fn checked_body<'a>(
    body: Option<&'a Value>,
    raw_len: usize,
    op: &Op,
) -> Result<&'a Value, ApiError> {
    let Some(body) = body else {
        let why = if raw_len == 0 {
            "a JSON body is required"
        } else {
            "the body is not valid JSON"
        };
        return Err(ApiError::new(
            400,
            codes::INVALID_BODY,
            format!("Invalid request body: {why}"),
        ));
    };
    let s = schemas().map_err(|e| internal(&e))?;
    let (validator, name) = match op {
        Op::Patch(_) => (&s.patch, "hyperdrive_hyperdrive-config-patch"),
        _ => (&s.config, "hyperdrive_hyperdrive-config"),
    };
    validate(validator, body).map_err(|errors| schema_error(name, &errors))?;
    Ok(body)
}

fn apply(
    inner: &mut Inner,
    account: &str,
    op: &Op,
    body: Option<&Value>,
    raw_len: usize,
    query: Option<&str>,
) -> Result<(Value, Option<Value>), ApiError> {
    match op {
        Op::VerifyToken => inner.verify_token(account).map(|r| (r, None)),
        Op::List => {
            let (page, per_page) = paging(query)?;
            let (items, info) = inner.list(account, page, per_page);
            Ok((items, Some(info)))
        }
        Op::Create => {
            let body = checked_body(body, raw_len, op)?;
            inner.create(account, body).map(|r| (r, None))
        }
        Op::Get(id) => inner.get(account, id).map(|r| (r, None)),
        Op::Put(id) => {
            // An unknown id is reported before the body.
            inner.get(account, id)?;
            let body = checked_body(body, raw_len, op)?;
            inner.put(account, id, body).map(|r| (r, None))
        }
        Op::Patch(id) => {
            inner.get(account, id)?;
            let body = checked_body(body, raw_len, op)?;
            let origin_check = |origin: &Value| -> Result<(), ApiError> {
                let s = schemas().map_err(|e| internal(&e))?;
                validate(&s.origin, origin).map_err(|errors| {
                    let errors: Vec<String> = errors
                        .iter()
                        .map(|e| format!("(merged origin) {e}"))
                        .collect();
                    schema_error("hyperdrive_hyperdrive-config.origin", &errors)
                })
            };
            inner
                .patch(account, id, body, origin_check)
                .map(|r| (r, None))
        }
        Op::Delete(id) => inner.delete(account, id).map(|r| (r, None)),
        Op::Restart(id) => inner.restart(account, id).map(|r| (r, None)),
    }
}

fn bearer(req: &Request<Incoming>) -> Option<String> {
    req.headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned())
}

/// Who the bearer is: the main token (`Some(None)`), an account's own token (`Some(Some(account))`)
/// or nobody.
fn bearer_owner(shared: &Shared, token: Option<&str>) -> Option<Option<String>> {
    let token = token.filter(|t| !t.is_empty())?;
    if token == shared.api_token {
        return Some(None);
    }
    shared
        .account_tokens
        .iter()
        .find(|(_, t)| t.as_str() == token)
        .map(|(a, _)| Some(a.clone()))
}

async fn read_body(req: Request<Incoming>) -> Result<Bytes, DropConnection> {
    Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|_| DropConnection)
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, DropConnection> {
    let path = req.uri().path().to_string();
    if path == ADMIN_PREFIX || path.starts_with("/__admin/") {
        let method = req.method().clone();
        let query = req.uri().query().map(str::to_string);
        let body = read_body(req).await?;
        return Ok(handle_admin(
            &shared,
            &method,
            &path,
            query.as_deref(),
            &body,
        ));
    }
    let Some(api_path) = path
        .strip_prefix(API_PREFIX)
        .filter(|p| p.is_empty() || p.starts_with('/'))
    else {
        return Ok(error_response(&ApiError::new(
            404,
            codes::NO_ROUTE,
            "No route for that URI",
        )));
    };
    let api_path = api_path.to_string();
    handle_api(shared, req, path, api_path).await
}

async fn handle_api(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    path: String,
    api_path: String,
) -> Result<Resp, DropConnection> {
    let method = req.method().clone();
    let query = req.uri().query().map(str::to_string);
    let owner = bearer_owner(&shared, bearer(&req).as_deref());
    let routed = route(&method, &api_path);
    // An account's own token works for that account only, and its verify route is the account's.
    let main_owner = shared.lock().api_token_state.account_owner.clone();
    let authorized = match (&owner, &routed) {
        // The main token, account-owned, works for its account (and answers the verify routes).
        (Some(None), Ok((account, _))) => main_owner
            .as_ref()
            .is_none_or(|o| account.is_empty() || account == o),
        (Some(None), Err(_)) => true,
        (Some(Some(mine)), Ok((account, _))) => account == mine,
        _ => false,
    };
    let account_token = matches!(owner, Some(Some(_)));
    let raw = read_body(req).await?;
    let body: Option<Value> = serde_json::from_slice(&raw).ok();
    let account_id = routed.as_ref().ok().map(|(a, _)| a.clone());

    let (seq, fault) = {
        let mut inner = shared.lock();
        let seq = inner.next_request_seq;
        inner.next_request_seq += 1;
        inner.requests.push((
            seq,
            RecordedRequest {
                method: method.to_string(),
                path: path.clone(),
                query: query.clone(),
                account_id: account_id.clone(),
                body: body.clone(),
                status: None,
                fault: None,
                received_at: std::time::Instant::now(),
            },
        ));
        let config_id = match &routed {
            Ok((
                _,
                Op::Get(id) | Op::Put(id) | Op::Patch(id) | Op::Delete(id) | Op::Restart(id),
            )) => Some(id.as_str()),
            _ => None,
        };
        let stored_host = match (&account_id, config_id) {
            (Some(a), Some(id)) => inner.origin_host_of(a, id),
            _ => None,
        };
        let body_host = body
            .as_ref()
            .and_then(|b| b.pointer("/origin/host"))
            .and_then(Value::as_str);
        let fault = inner.faults.select(&FaultRequest {
            method: method.as_str(),
            path: &path,
            account_id: account_id.as_deref(),
            origin_host: body_host.or(stored_host.as_deref()),
        });
        if let Some(f) = &fault {
            set_record(&mut inner, seq, None, Some(f.describe()));
        }
        (seq, fault)
    };

    if !shared.latency.is_zero() {
        tokio::time::sleep(shared.latency).await;
    }

    let fault_label = fault.as_ref().map(Fault::describe);
    if let Some(fault) = &fault {
        match &fault.action {
            FaultAction::Respond { status, .. } => {
                set_record(&mut shared.lock(), seq, Some(*status), fault_label.clone());
                log(
                    &shared,
                    &method,
                    &path,
                    Some(*status),
                    fault_label.as_deref(),
                );
                return fault_response(&fault.action).ok_or(DropConnection);
            }
            FaultAction::DropBefore => {
                log(&shared, &method, &path, None, fault_label.as_deref());
                return Err(DropConnection);
            }
            FaultAction::Delay { ms } => tokio::time::sleep(Duration::from_millis(*ms)).await,
            FaultAction::DropAfter => {}
        }
    }

    let outcome = if !authorized {
        Err(ApiError::new(
            403,
            codes::AUTHENTICATION,
            "Authentication error",
        ))
    } else {
        routed.and_then(|(account, op)| {
            let mut inner = shared.lock();
            if account_token && matches!(op, Op::VerifyToken) {
                return Ok((json!({"id": "account-token", "status": "active"}), None));
            }
            apply(
                &mut inner,
                &account,
                &op,
                body.as_ref(),
                raw.len(),
                query.as_deref(),
            )
        })
    };
    let resp = match &outcome {
        Ok((result, info)) => json_response(200, &success(result.clone(), info.clone())),
        Err(e) => error_response(e),
    };
    let status = resp.status().as_u16();
    let dropped = matches!(
        fault.as_ref().map(|f| &f.action),
        Some(FaultAction::DropAfter)
    );
    let answered = if dropped { None } else { Some(status) };
    set_record(&mut shared.lock(), seq, answered, fault_label.clone());
    log(&shared, &method, &path, answered, fault_label.as_deref());
    if dropped {
        return Err(DropConnection);
    }
    Ok(resp)
}

fn set_record(inner: &mut Inner, seq: u64, status: Option<u16>, fault: Option<String>) {
    if let Some((_, record)) = inner.requests.iter_mut().rev().find(|(s, _)| *s == seq) {
        record.status = status;
        record.fault = fault;
    }
}

fn log(shared: &Shared, method: &Method, path: &str, status: Option<u16>, fault: Option<&str>) {
    if !shared.log.load(Ordering::Relaxed) {
        return;
    }
    let status = status.map_or_else(|| "dropped".to_string(), |s| s.to_string());
    match fault {
        Some(f) => eprintln!("hyperdrive-emulator: {method} {path} -> {status} (fault: {f})"),
        None => eprintln!("hyperdrive-emulator: {method} {path} -> {status}"),
    }
}

/// An admin API failure: status and message, answered as `{"error": message}`.
type AdminError = (u16, String);

fn admin_error(status: u16, message: &str) -> AdminError {
    (status, message.to_string())
}

fn handle_admin(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
) -> Resp {
    let rest = path.trim_start_matches(ADMIN_PREFIX);
    let parse_body = || -> Result<Value, AdminError> {
        serde_json::from_slice(body)
            .map_err(|e| admin_error(400, &format!("body is not JSON: {e}")))
    };
    let result: Result<Value, AdminError> = match (method.clone(), rest) {
        (Method::GET, "/configs") => {
            let inner = shared.lock();
            let account = query_param(query, "account_id");
            let list: Vec<Value> = inner
                .accounts
                .iter()
                .filter(|(a, _)| account.as_deref().is_none_or(|wanted| wanted == a.as_str()))
                .flat_map(|(_, configs)| configs.iter().map(|c| c.to_admin()))
                .collect();
            Ok(Value::Array(list))
        }
        (Method::GET, "/requests") => {
            let inner = shared.lock();
            let list: Vec<RecordedRequest> =
                inner.requests.iter().map(|(_, r)| r.redacted()).collect();
            Ok(serde_json::to_value(list).unwrap_or(Value::Null))
        }
        (Method::PUT, "/api-token") => parse_body().and_then(|v| {
            serde_json::from_value::<crate::state::ApiTokenState>(v)
                .map_err(|e| admin_error(400, &format!("invalid token state: {e}")))
                .map(|t| {
                    shared.lock().api_token_state = t;
                    json!({"ok": true})
                })
        }),
        (Method::PUT, "/revocations") => parse_body().and_then(|v| {
            serde_json::from_value::<crate::state::Revocations>(v)
                .map_err(|e| admin_error(400, &format!("invalid revocations: {e}")))
                .map(|r| {
                    shared.lock().revocations = r;
                    json!({"ok": true})
                })
        }),
        (Method::DELETE, "/requests") => {
            shared.lock().requests.clear();
            Ok(json!({"ok": true}))
        }
        (Method::PUT, "/faults") => parse_body().and_then(|v| {
            serde_json::from_value::<Vec<crate::fault::Fault>>(v)
                .map_err(|e| admin_error(400, &format!("invalid fault list: {e}")))
                .map(|faults| {
                    let n = faults.len();
                    shared.lock().faults = FaultList::new(faults);
                    json!({"ok": true, "faults": n})
                })
        }),
        (Method::PUT, "/credentials") => parse_body().and_then(|v| {
            SigningCredentials::from_json(&v)
                .map_err(|e| admin_error(400, &e))
                .map(|creds| {
                    let known = creds.is_some();
                    shared.lock().credentials = creds;
                    json!({"ok": true, "credentials": known})
                })
        }),
        (Method::PUT, "/clock") => parse_body().and_then(|v| {
            let now = match v.get("now") {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => parse_rfc3339(s).map(Some),
                Some(_) => Err("\"now\" must be an RFC 3339 string or null".to_string()),
            };
            now.map_err(|e| admin_error(400, &e)).map(|now| {
                shared.lock().now_override = now;
                json!({"ok": true})
            })
        }),
        (Method::POST, "/reset") => {
            let mut inner = shared.lock();
            inner.accounts.clear();
            inner.requests.clear();
            inner.faults = FaultList::default();
            Ok(json!({"ok": true}))
        }
        (Method::POST, r) if r.starts_with("/configs/") && r.len() > "/configs/".len() => {
            let account = percent_decode_str(&r["/configs/".len()..])
                .decode_utf8_lossy()
                .into_owned();
            parse_body().and_then(|v| {
                if v.is_object() {
                    let id = shared.lock().insert_preset(&account, &v);
                    Ok(json!({"id": id}))
                } else {
                    Err(admin_error(400, "a config must be a JSON object"))
                }
            })
        }
        _ => Err(admin_error(404, &format!("no admin route {method} {path}"))),
    };
    match result {
        Ok(v) => json_response(200, &v),
        Err((status, message)) => json_response(status, &json!({"error": message})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        let ok = |m: Method, p: &str| route(&m, p).map(|(a, _)| a);
        assert_eq!(
            ok(Method::GET, "/accounts/acc/hyperdrive/configs").unwrap(),
            "acc"
        );
        assert!(ok(Method::POST, "/accounts/acc/hyperdrive/configs/abc/restart").is_ok());
        assert_eq!(
            ok(Method::POST, "/accounts/acc/hyperdrive/configs/abc")
                .unwrap_err()
                .status,
            405
        );
        assert_eq!(
            ok(Method::GET, "/accounts/acc/workers/scripts")
                .unwrap_err()
                .status,
            404
        );
    }

    #[test]
    fn paging_bounds() {
        assert_eq!(paging(None).unwrap(), (1, 20));
        assert_eq!(paging(Some("page=3&per_page=100")).unwrap(), (3, 100));
        for bad in [
            "page=0",
            "per_page=0",
            "per_page=101",
            "page=x",
            "per_page=-1",
            "page=",
        ] {
            let e = paging(Some(bad)).unwrap_err();
            assert_eq!((e.status, e.code), (400, codes::INVALID_QUERY), "{bad}");
        }
    }
}
