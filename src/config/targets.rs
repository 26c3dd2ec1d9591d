//! Targets from labelled JSON text: each target object checked field by field, with field paths
//! under the text's label (`HYPERDRIVE_TARGETS[1].port`), and names unique per account.

use super::mtls;
use super::values::{account_id, is_role_arn};
use super::{kind, problem, Problem, Target, TARGET_FIELDS};
use crate::dsql::endpoint::{dsql_host_parts, host_problem, is_region};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Text that holds targets, with the label that names it in error messages (a variable, a file).
#[derive(Debug, Clone, Copy)]
pub struct Labelled<'a> {
    /// e.g. `HYPERDRIVE_TARGETS`: problems are reported as `HYPERDRIVE_TARGETS[1].port`.
    pub label: &'a str,
    pub text: &'a str,
}

/// Parses a JSON array of targets, recording every problem; `default_account` is
/// `CLOUDFLARE_ACCOUNT_ID` (`Err` when it is set but invalid, already reported).
pub fn parse_targets(
    source: Labelled<'_>,
    default_account: Result<Option<&str>, &()>,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> Vec<Target> {
    let label = source.label;
    let value: Value = match serde_json::from_str(source.text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(problem(
                label,
                format!("is not valid JSON ({e}); use a JSON array of target objects"),
            ));
            return Vec::new();
        }
    };
    let Value::Array(items) = value else {
        problems.push(problem(
            label,
            "is not a JSON array; use an array of target objects, e.g. [{\"name\":\"orders-db\",\"host\":\"...\"}]",
        ));
        return Vec::new();
    };
    if items.is_empty() {
        problems.push(problem(
            label,
            "is an empty array; declare at least one target",
        ));
    }
    let before = problems.len();
    let targets: Vec<Target> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| target(label, i, item, default_account, problems, warnings))
        .collect();
    if problems.len() == before {
        let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
        for (i, t) in targets.iter().enumerate() {
            if let Some(first) = seen.insert((&t.account_id, &t.name), i) {
                problems.push(problem(
                    format!("{label}[{i}].name"),
                    format!(
                        "{:?} is also the name of {label}[{first}] in account {}; names must be unique per account",
                        t.name, t.account_id
                    ),
                ));
            }
        }
    }
    targets
}

fn target(
    label: &str,
    i: usize,
    item: &Value,
    default_account: Result<Option<&str>, &()>,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> Option<Target> {
    let at = |field: &str| format!("{label}[{i}].{field}");
    let Value::Object(obj) = item else {
        problems.push(problem(
            format!("{label}[{i}]"),
            "is not a JSON object; give {\"name\": ..., \"host\": ...}",
        ));
        return None;
    };
    let before = problems.len();
    for key in obj.keys().filter(|k| !TARGET_FIELDS.contains(&k.as_str())) {
        problems.push(problem(
            at(key),
            format!(
                "is not a known field; remove it (known fields: {})",
                TARGET_FIELDS.join(", ")
            ),
        ));
    }

    let mut field = Fields {
        obj,
        at: &at,
        problems,
    };
    let name = field.string("name", true, 255);
    let host = field
        .string("host", true, 253)
        .map(|h| h.to_ascii_lowercase());
    let region = field.string("region", false, 64);
    let user = field
        .string("user", false, 63)
        .unwrap_or_else(|| "admin".into());
    let database = field
        .string("database", false, 63)
        .unwrap_or_else(|| "postgres".into());
    let port = field
        .int("port", 1, 65535)
        .map(|p| p as u16)
        .unwrap_or(5432);
    let account = field.string("account_id", false, 64);
    let origin_connection_limit = field
        .int("origin_connection_limit", 5, u32::MAX.into())
        .map(|n| n as u32);
    let signer_role_arn = field.string("signer_role_arn", false, 2048);
    let caching = match obj.get("caching") {
        None | Some(Value::Null) => None,
        Some(c) => match caching_problem(c) {
            Some(m) => {
                problems.push(problem(at("caching"), m));
                None
            }
            None => Some(c.clone()),
        },
    };

    let mtls = match obj.get("mtls") {
        None | Some(Value::Null) => None,
        Some(m) => {
            let (sent, findings) = mtls::check(m);
            for (sub, message) in findings.problems {
                problems.push(problem(format!("{}{sub}", at("mtls")), message));
            }
            if let Some(w) = findings.warning {
                warnings.push(problem(at("mtls.sslmode"), w));
            }
            sent.map(Value::Object)
        }
    };

    if let Some(n) = &name {
        if n.chars().any(char::is_control) || n.trim() != n {
            problems.push(problem(
                at("name"),
                format!("{n:?} has control characters or surrounding spaces; remove them"),
            ));
        } else if !n.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            // Names that look alike but differ (Unicode forms, zero-width characters) would make
            // two targets of what a person reads as one.
            problems.push(problem(
                at("name"),
                format!("{:?} has characters other than printable ASCII (letters, digits, punctuation, spaces inside); use a name such as orders-db", n.escape_default().to_string()),
            ));
        }
    }
    for (key, value) in [("user", &user), ("database", &database)] {
        if value.chars().any(|c| c.is_control() || c.is_whitespace()) {
            problems.push(problem(
                at(key),
                format!("{value:?} has spaces or control characters; PostgreSQL role and database names for DSQL have none, remove them"),
            ));
        }
    }

    let account_id = match (account, default_account) {
        (Some(a), _) => account_id(&a)
            .map_err(|m| problems.push(problem(at("account_id"), m)))
            .ok(),
        (None, Ok(Some(d))) => Some(d.to_owned()),
        (None, Err(())) => None,
        (None, Ok(None)) => {
            problems.push(problem(
                at("account_id"),
                "is not set and CLOUDFLARE_ACCOUNT_ID is not set either; set one of them to the Cloudflare account ID",
            ));
            None
        }
    };

    let region = host.as_deref().and_then(|h| {
        if let Some(m) = host_problem(h) {
            problems.push(problem(at("host"), format!("{h:?} {m}")));
            return None;
        }
        match (dsql_host_parts(h), region) {
            (Some((_, from_host)), Some(r)) if r != from_host => {
                problems.push(problem(
                    at("region"),
                    format!("{r:?} differs from the region in the host ({from_host}); remove `region` or correct it"),
                ));
                None
            }
            (_, Some(r)) if !is_region(&r) => {
                problems.push(problem(
                    at("region"),
                    format!("{r:?} is not an AWS region name; use e.g. us-east-1"),
                ));
                None
            }
            (_, Some(r)) => Some(r),
            (Some((_, from_host)), None) => Some(from_host.to_owned()),
            (None, None) => {
                problems.push(problem(
                    at("region"),
                    format!("is required because {h:?} is not of the form <cluster-id>.dsql.<region>.on.aws; set the cluster's AWS region"),
                ));
                None
            }
        }
    });

    if let Some(arn) = &signer_role_arn {
        if !is_role_arn(arn) {
            problems.push(problem(
                at("signer_role_arn"),
                format!("{arn:?} is not an IAM role ARN; use arn:aws:iam::<account>:role/<name>, the signer role in the cluster's AWS account"),
            ));
        }
    }

    if problems.len() != before {
        return None;
    }
    Some(Target {
        name: name?,
        account_id: account_id?,
        host: host?,
        region: region?,
        user,
        database,
        port,
        caching,
        origin_connection_limit,
        signer_role_arn,
        mtls,
    })
}

/// Reads typed fields of one target object, recording a problem for each bad value.
struct Fields<'a, F: Fn(&str) -> String> {
    obj: &'a Map<String, Value>,
    at: &'a F,
    problems: &'a mut Vec<Problem>,
}

impl<F: Fn(&str) -> String> Fields<'_, F> {
    fn string(&mut self, key: &str, required: bool, max_bytes: usize) -> Option<String> {
        match self.obj.get(key) {
            None | Some(Value::Null) if required => {
                self.problems
                    .push(problem((self.at)(key), "is missing; every target needs it"));
                None
            }
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => {
                self.problems.push(problem(
                    (self.at)(key),
                    "is empty; give a value or leave the field out",
                ));
                None
            }
            Some(Value::String(s)) if s.len() > max_bytes => {
                self.problems.push(problem(
                    (self.at)(key),
                    format!("is {} bytes long; the limit is {max_bytes}", s.len()),
                ));
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.problems.push(problem(
                    (self.at)(key),
                    format!("is {}, not a string; write it in quotes", kind(other)),
                ));
                None
            }
        }
    }

    fn int(&mut self, key: &str, min: u64, max: u64) -> Option<u64> {
        match self.obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_u64().is_some_and(|n| (min..=max).contains(&n)) => {
                n.as_u64()
            }
            Some(other) => {
                self.problems.push(problem(
                    (self.at)(key),
                    format!(
                        "{other} is not a whole number from {min} to {max}; use one in that range"
                    ),
                ));
                None
            }
        }
    }
}

/// Hyperdrive's `caching`: `{"disabled": true}` or `{"disabled": false, "max_age": s, "stale_while_revalidate": s}`.
fn caching_problem(c: &Value) -> Option<String> {
    const FIX: &str = r#"use {"disabled": true} or {"max_age": 60, "stale_while_revalidate": 15}"#;
    let Value::Object(obj) = c else {
        return Some(format!("is {}, not an object; {FIX}", kind(c)));
    };
    if let Some(k) = obj
        .keys()
        .find(|k| !["disabled", "max_age", "stale_while_revalidate"].contains(&k.as_str()))
    {
        return Some(format!("has the unknown field {k:?}; {FIX}"));
    }
    let disabled = match obj.get("disabled") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Some(format!("`disabled` is not a boolean; {FIX}")),
    };
    for k in ["max_age", "stale_while_revalidate"] {
        match obj.get(k) {
            None => {}
            Some(_) if disabled => {
                return Some(format!(
                    "`{k}` has no effect when caching is disabled; remove it"
                ))
            }
            Some(Value::Number(n)) if n.as_u64().is_some() => {}
            Some(_) => return Some(format!("`{k}` is not a whole number of seconds; {FIX}")),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use serde_json::Value;

    #[test]
    fn each_bad_target_field_is_named_with_a_fix() {
        let cases: &[(&str, &str, &str)] = &[
            (r#"[1]"#, "HYPERDRIVE_TARGETS[0]", "not a JSON object"),
            (
                r#"[{"host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "is missing",
            ),
            (
                r#"[{"name":"a"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "is missing",
            ),
            (
                r#"[{"name":"","host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "is empty",
            ),
            (
                r#"[{"name":7,"host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "not a string",
            ),
            (
                r#"[{"name":" a","host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "surrounding spaces",
            ),
            (
                r#"[{"name":"orders\u200b-db","host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].name",
                "other than printable ASCII",
            ),
            (
                r#"[{"name":"a","host":"HOST","user":" admin"}]"#,
                "HYPERDRIVE_TARGETS[0].user",
                "has spaces or control characters",
            ),
            (
                r#"[{"name":"a","host":"HOST","database":"postgres\n"}]"#,
                "HYPERDRIVE_TARGETS[0].database",
                "has spaces or control characters",
            ),
            (
                r#"[{"name":"a","host":"HOST","signer_role_arn":"dsql-signer"}]"#,
                "HYPERDRIVE_TARGETS[0].signer_role_arn",
                "not an IAM role ARN",
            ),
            (
                r#"[{"name":"a","host":"HOST","hots":1}]"#,
                "HYPERDRIVE_TARGETS[0].hots",
                "not a known field",
            ),
            (
                r#"[{"name":"a","host":"https://HOST"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "URL scheme",
            ),
            (
                r#"[{"name":"a","host":"HOST:5432"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "set `port` instead",
            ),
            (
                r#"[{"name":"a","host":"HOST/postgres"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "has a path",
            ),
            (
                r#"[{"name":"a","host":"bad_host"}]"#,
                "HYPERDRIVE_TARGETS[0].host",
                "not a valid host name",
            ),
            (
                r#"[{"name":"a","host":"db.example.com"}]"#,
                "HYPERDRIVE_TARGETS[0].region",
                "is required",
            ),
            (
                r#"[{"name":"a","host":"db.example.com","region":"east"}]"#,
                "HYPERDRIVE_TARGETS[0].region",
                "not an AWS region",
            ),
            (
                r#"[{"name":"a","host":"HOST","region":"us-west-2"}]"#,
                "HYPERDRIVE_TARGETS[0].region",
                "differs from the region in the host",
            ),
            (
                r#"[{"name":"a","host":"HOST","port":0}]"#,
                "HYPERDRIVE_TARGETS[0].port",
                "from 1 to 65535",
            ),
            (
                r#"[{"name":"a","host":"HOST","port":"5432"}]"#,
                "HYPERDRIVE_TARGETS[0].port",
                "from 1 to 65535",
            ),
            (
                r#"[{"name":"a","host":"HOST","user":""}]"#,
                "HYPERDRIVE_TARGETS[0].user",
                "is empty",
            ),
            (
                r#"[{"name":"a","host":"HOST","database":"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"}]"#,
                "HYPERDRIVE_TARGETS[0].database",
                "the limit is 63",
            ),
            (
                r#"[{"name":"a","host":"HOST","account_id":"x"}]"#,
                "HYPERDRIVE_TARGETS[0].account_id",
                "32 hexadecimal",
            ),
            (
                r#"[{"name":"a","host":"HOST","origin_connection_limit":4}]"#,
                "HYPERDRIVE_TARGETS[0].origin_connection_limit",
                "from 5",
            ),
            (
                r#"[{"name":"a","host":"HOST","caching":true}]"#,
                "HYPERDRIVE_TARGETS[0].caching",
                "not an object",
            ),
            (
                r#"[{"name":"a","host":"HOST","caching":{"ttl":1}}]"#,
                "HYPERDRIVE_TARGETS[0].caching",
                "unknown field \"ttl\"",
            ),
            (
                r#"[{"name":"a","host":"HOST","caching":{"disabled":true,"max_age":5}}]"#,
                "HYPERDRIVE_TARGETS[0].caching",
                "no effect",
            ),
            (
                r#"[{"name":"a","host":"HOST","caching":{"max_age":-1}}]"#,
                "HYPERDRIVE_TARGETS[0].caching",
                "whole number",
            ),
            (
                r#"[{"name":"a","host":"HOST"},{"name":"a","host":"HOST"}]"#,
                "HYPERDRIVE_TARGETS[1].name",
                "unique per account",
            ),
        ];
        for (json, field, text) in cases {
            let json = json.replace("HOST", HOST);
            let p = one_problem(&base(&[("HYPERDRIVE_TARGETS", &json)]));
            assert_eq!(p.field, *field, "{json}: {p}");
            assert!(p.message.contains(text), "{p} should contain {text:?}");
        }
    }

    #[test]
    fn same_name_in_two_accounts_is_allowed() {
        let json = format!(
            r#"[{{"name":"a","host":"{HOST}"}},{{"name":"a","host":"{HOST}","account_id":"ffffffffffffffffffffffffffffffff"}}]"#
        );
        assert_eq!(
            parse(&base(&[("HYPERDRIVE_TARGETS", &json)]))
                .unwrap()
                .targets
                .len(),
            2
        );
    }

    /// The corpus of bad targets the CDK construct and the Terraform module refuse too.
    #[test]
    fn the_shared_corpus_of_bad_targets_is_refused_naming_the_field() {
        let corpus: Vec<Value> =
            serde_json::from_str(include_str!("../../tests/fixtures/bad-targets.json")).unwrap();
        assert!(corpus.len() >= 30);
        for entry in corpus {
            let json = Value::Array(vec![entry["target"].clone()]).to_string();
            let err = parse(&base(&[("HYPERDRIVE_TARGETS", &json)]))
                .expect_err(entry["why"].as_str().unwrap());
            let field = entry["field"].as_str().unwrap();
            assert!(
                err.problems
                    .iter()
                    .any(|p| p.field == format!("HYPERDRIVE_TARGETS[0].{field}")),
                "{}: {err}",
                entry["why"]
            );
        }
    }
}
