//! Fault injection rules: which API requests they match, and what happens to them instead of (or before) normal
//! handling.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One fault rule. All match fields are optional; `skip` lets that many matching requests through first, `times`
/// is how many matching requests it then applies to (`None`: forever).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// HTTP method, case-insensitive (`None` or `"*"`: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Substring of the request path (the full path, `/client/v4/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_contains: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Matches the request body's `origin.host` (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_host: Option<String>,
    #[serde(default)]
    pub skip: u64,
    #[serde(default)]
    pub times: Option<u64>,
    pub action: FaultAction,
}

/// What a matching fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultAction {
    /// Answer with `status` without applying the request. `body` (a string is sent raw, any other JSON value is
    /// serialized) with `content_type` replaces the default Cloudflare failure envelope built from `code`/`message`.
    Respond {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
    },
    /// Wait `ms` milliseconds, then handle the request normally.
    Delay { ms: u64 },
    /// Close the connection without any response; nothing is applied.
    DropBefore,
    /// Apply the request, then close the connection without a response.
    DropAfter,
}

fn method_filter(method: &str) -> Option<String> {
    match method.trim() {
        "" | "*" => None,
        m => Some(m.to_ascii_uppercase()),
    }
}

impl Fault {
    fn new(method: Option<String>, action: FaultAction) -> Fault {
        Fault {
            method,
            path_contains: None,
            account_id: None,
            origin_host: None,
            skip: 0,
            times: None,
            action,
        }
    }

    /// Answer requests with `method` (`"*"`: any) with `status` and a default Cloudflare failure envelope.
    pub fn respond(method: &str, status: u16) -> Fault {
        Fault::new(
            method_filter(method),
            FaultAction::Respond {
                status,
                retry_after: None,
                code: None,
                message: None,
                body: None,
                content_type: None,
            },
        )
    }

    /// Answer any request with `status` and a Cloudflare failure envelope carrying `code: message`.
    pub fn cloudflare_error(status: u16, code: u64, message: &str) -> Fault {
        Fault::respond("*", status).with_error(code, message)
    }

    /// Answer requests with `method` with `status` and a raw body (e.g. an HTML error page).
    pub fn raw_response(method: &str, status: u16, content_type: &str, body: &str) -> Fault {
        Fault::respond(method, status).with_body(Value::String(body.to_string()), content_type)
    }

    pub fn delay(method: &str, delay: Duration) -> Fault {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        Fault::new(method_filter(method), FaultAction::Delay { ms })
    }

    pub fn drop_before(method: &str) -> Fault {
        Fault::new(method_filter(method), FaultAction::DropBefore)
    }

    pub fn drop_after(method: &str) -> Fault {
        Fault::new(method_filter(method), FaultAction::DropAfter)
    }

    /// Adds `Retry-After: <secs>` to a `respond` fault.
    pub fn with_retry_after(mut self, secs: u64) -> Fault {
        if let FaultAction::Respond { retry_after, .. } = &mut self.action {
            *retry_after = Some(secs);
        }
        self
    }

    /// Sets the Cloudflare error `code` and `message` of a `respond` fault.
    pub fn with_error(mut self, error_code: u64, error_message: &str) -> Fault {
        if let FaultAction::Respond { code, message, .. } = &mut self.action {
            *code = Some(error_code);
            *message = Some(error_message.to_string());
        }
        self
    }

    /// Sets a raw body for a `respond` fault (a JSON string is sent as is).
    pub fn with_body(mut self, raw_body: Value, media_type: &str) -> Fault {
        if let FaultAction::Respond {
            body, content_type, ..
        } = &mut self.action
        {
            *body = Some(raw_body);
            *content_type = Some(media_type.to_string());
        }
        self
    }

    pub fn for_method(mut self, method: &str) -> Fault {
        self.method = method_filter(method);
        self
    }

    pub fn for_path_containing(mut self, fragment: &str) -> Fault {
        self.path_contains = Some(fragment.to_string());
        self
    }

    pub fn for_account(mut self, account_id: &str) -> Fault {
        self.account_id = Some(account_id.to_string());
        self
    }

    pub fn for_origin_host(mut self, host: &str) -> Fault {
        self.origin_host = Some(host.to_string());
        self
    }

    /// Lets the first `n` matching requests through.
    pub fn skip(mut self, n: u64) -> Fault {
        self.skip = n;
        self
    }

    /// Applies to `n` matching requests (after the skipped ones), then stops.
    pub fn times(mut self, n: u64) -> Fault {
        self.times = Some(n);
        self
    }

    /// Short description for logs and request records: `respond 429`, `delay 100ms`, `drop_before`, `drop_after`.
    pub fn describe(&self) -> String {
        match &self.action {
            FaultAction::Respond { status, .. } => format!("respond {status}"),
            FaultAction::Delay { ms } => format!("delay {ms}ms"),
            FaultAction::DropBefore => "drop_before".to_string(),
            FaultAction::DropAfter => "drop_after".to_string(),
        }
    }

    fn matches(&self, request: &FaultRequest<'_>) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(request.method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| request.path.contains(p))
            && self
                .account_id
                .as_deref()
                .is_none_or(|a| request.account_id == Some(a))
            && self.origin_host.as_deref().is_none_or(|h| {
                request
                    .origin_host
                    .is_some_and(|found| found.eq_ignore_ascii_case(h))
            })
    }
}

/// What a fault rule can look at.
pub struct FaultRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub account_id: Option<&'a str>,
    pub origin_host: Option<&'a str>,
}

/// The rules with their counters.
#[derive(Default)]
pub struct FaultList {
    rules: Vec<(Fault, RuleCounters)>,
}

#[derive(Default, Clone, Copy)]
struct RuleCounters {
    matched: u64,
    applied: u64,
}

impl FaultList {
    pub fn new(faults: Vec<Fault>) -> FaultList {
        FaultList {
            rules: faults
                .into_iter()
                .map(|f| (f, RuleCounters::default()))
                .collect(),
        }
    }

    pub fn push(&mut self, fault: Fault) {
        self.rules.push((fault, RuleCounters::default()));
    }

    /// The fault to apply to this request, if any: the first rule that matches, is past its `skip` and still has
    /// uses. A matching rule still in its `skip` phase lets the request through to the next rules.
    pub fn select(&mut self, request: &FaultRequest<'_>) -> Option<Fault> {
        for (fault, counters) in &mut self.rules {
            if !fault.matches(request) {
                continue;
            }
            counters.matched += 1;
            if counters.matched <= fault.skip {
                continue;
            }
            if fault.times.is_some_and(|t| counters.applied >= t) {
                continue;
            }
            counters.applied += 1;
            return Some(fault.clone());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(host: Option<&str>) -> FaultRequest<'_> {
        FaultRequest {
            method: "POST",
            path: "/client/v4/accounts/a/hyperdrive/configs",
            account_id: Some("a"),
            origin_host: host,
        }
    }

    #[test]
    fn skip_then_times() {
        let mut list = FaultList::new(vec![Fault::respond("post", 500).skip(1).times(2)]);
        let applied: Vec<bool> = (0..5).map(|_| list.select(&post(None)).is_some()).collect();
        assert_eq!(applied, [false, true, true, false, false]);
    }

    #[test]
    fn first_matching_rule_with_uses_wins() {
        let mut list = FaultList::new(vec![
            Fault::drop_before("GET"),
            Fault::respond("*", 429)
                .for_origin_host("h.example")
                .times(1),
            Fault::respond("POST", 503),
        ]);
        assert_eq!(
            list.select(&post(Some("H.example"))).unwrap().describe(),
            "respond 429"
        );
        assert_eq!(
            list.select(&post(Some("h.example"))).unwrap().describe(),
            "respond 503"
        );
        assert_eq!(list.select(&post(None)).unwrap().describe(), "respond 503");
    }

    #[test]
    fn json_form_round_trips() {
        let text = r#"[{"method":"POST","path_contains":"/configs","skip":0,"times":1,
            "action":{"type":"respond","status":429,"retry_after":2,"code":971,"message":"rate limited","body":null,"content_type":null}},
            {"action":{"type":"delay","ms":50}}, {"action":{"type":"drop_after"}}]"#;
        let faults: Vec<Fault> = serde_json::from_str(text).unwrap();
        assert_eq!(
            faults[0],
            Fault::respond("POST", 429)
                .for_path_containing("/configs")
                .times(1)
                .with_retry_after(2)
                .with_error(971, "rate limited")
        );
        assert_eq!(faults[1], Fault::delay("*", Duration::from_millis(50)));
        assert_eq!(faults[2], Fault::drop_after("*"));
        let again: Vec<Fault> =
            serde_json::from_value(serde_json::to_value(&faults).unwrap()).unwrap();
        assert_eq!(again, faults);
    }
}
