//! The payload of an invocation, parsed strictly into a [`Request`]: the function's own fields, read
//! from the top level or from `detail` when that is an object (EventBridge rules) or a JSON-encoded
//! object (Scheduler), the EventBridge and Scheduler envelopes, and Secrets Manager's rotation
//! events. A key this function does not know is an error.

use super::{ActionName, EventError, Request, RotationStep, Step};
use crate::config::kind;
use serde_json::{Map, Value};

/// Refuses the first key of `object` that is not in `known`, naming it (under `prefix`), with the
/// known field it was probably meant to be.
fn check_keys(object: &Map<String, Value>, prefix: &str, known: &[&str]) -> Result<(), EventError> {
    let Some(unknown) = object.keys().find(|k| !known.contains(&k.as_str())) else {
        return Ok(());
    };
    let guess = EVENT_FIELDS
        .iter()
        .find(|f| looks_like(unknown, f))
        .map(|f| format!("did you mean `{f}`? "))
        .unwrap_or_default();
    Err(error(
        if unknown.is_empty() {
            format!("{prefix}\"\"")
        } else {
            format!("{prefix}{}", crate::redact::printable(unknown, 64))
        },
        format!(
            "is not a field this function reads; {guess}its fields are {}{}",
            EVENT_FIELDS.join(", "),
            if prefix.is_empty() {
                " (and the EventBridge or Scheduler envelope's)"
            } else {
                ""
            }
        ),
    ))
}

/// Whether `key` is probably a misspelling of `field`: the same letters but for case, `_` and `-`
/// (`dryRun`, `DRY_RUN`, `dry-run`), or one or two edits away (`target`, `dry_rn`).
fn looks_like(key: &str, field: &str) -> bool {
    let fold = |s: &str| -> Vec<char> {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (a, b) = (fold(key), fold(field));
    if a.len().abs_diff(b.len()) > 2 || a.len() > 64 {
        return false;
    }
    // Levenshtein distance, one row at a time.
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(here + 1);
            prev = here;
        }
    }
    row[b.len()] <= 2
}

use super::error;

/// The fields this function reads from an event, at its top level or in `detail`.
pub const EVENT_FIELDS: &[&str] = &["action", "dry_run", "targets", "force"];
/// The fields of a Secrets Manager rotation event (`RotationToken` comes with some; it is not read).
pub const ROTATION_FIELDS: &[&str] = &["SecretId", "ClientRequestToken", "Step", "RotationToken"];
/// The fields of the EventBridge rule and Scheduler envelopes: accepted at the top level, not read.
pub const ENVELOPE_FIELDS: &[&str] = &[
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
];
/// The key of the object the Lambda entry point puts in place of a payload that is not JSON.
pub const NOT_JSON: &str = "hyperdrive-dsql-rotator: the payload is not JSON";

impl Request {
    /// Reads a payload. Top-level fields win over the same fields in `detail`. A key this function
    /// does not know is an error, so that a mistyped `dryRun` never turns a dry run into writes.
    pub fn from_event(payload: &Value) -> Result<Request, EventError> {
        let Value::Object(top) = payload else {
            return Err(error(
                "payload",
                format!(
                    "is {}, not a JSON object; send an object such as {{}} or {{\"dry_run\": true}}",
                    kind(payload)
                ),
            ));
        };
        if let Some(Value::String(at)) = top.get(NOT_JSON) {
            return Err(error(
                "payload",
                format!(
                    "is not JSON ({at}); send a JSON object such as {{}} or {{\"dry_run\": true}}"
                ),
            ));
        }
        if ROTATION_FIELDS[..3].iter().any(|k| top.contains_key(*k)) {
            return rotation_step(top);
        }
        check_keys(top, "", &[EVENT_FIELDS, ENVELOPE_FIELDS].concat())?;
        let parsed_detail;
        let detail = match top.get("detail") {
            None | Some(Value::Null) => None,
            Some(Value::Object(d)) => Some(d),
            Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(d)) => {
                    parsed_detail = d;
                    Some(&parsed_detail)
                }
                _ => {
                    return Err(error(
                        "detail",
                        "is a string that is not a JSON object; send an object, or a string holding one such as \"{}\"",
                    ))
                }
            },
            Some(other) => {
                return Err(error(
                    "detail",
                    format!("is {}, not an object; send an object such as {{}}", kind(other)),
                ))
            }
        };
        if let Some(d) = detail {
            check_keys(d, "detail.", EVENT_FIELDS)?;
        }
        let pick = |key: &str| -> Option<(String, &Value)> {
            top.get(key).map(|v| (key.to_owned(), v)).or_else(|| {
                detail
                    .and_then(|d: &Map<String, Value>| d.get(key))
                    .map(|v| (format!("detail.{key}"), v))
            })
        };

        let dry_run = match pick("dry_run") {
            None | Some((_, Value::Null)) => false,
            Some((_, Value::Bool(b))) => *b,
            Some((field, v)) => {
                return Err(error(
                    field,
                    format!("is {}, not a boolean; use true or false", kind(v)),
                ))
            }
        };
        let targets = match pick("targets") {
            None | Some((_, Value::Null)) => None,
            Some((field, Value::Array(items))) => {
                if items.is_empty() {
                    return Err(error(
                        field,
                        "is an empty list; name at least one target, or leave `targets` out to run them all",
                    ));
                }
                let mut names = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => names.push(s.clone()),
                        other => {
                            return Err(error(
                                format!("{field}[{i}]"),
                                format!("is {}, not a string; list target names", kind(other)),
                            ))
                        }
                    }
                }
                Some(names)
            }
            Some((field, v)) => {
                return Err(error(
                    field,
                    format!("is {}, not a list; use e.g. [\"orders-db\"]", kind(v)),
                ))
            }
        };
        let action = match pick("action") {
            None | Some((_, Value::Null)) => "rotate".to_owned(),
            Some((_, Value::String(a))) => a.clone(),
            Some((field, v)) => {
                return Err(error(
                    field,
                    format!(
                        "is {}, not a string; use \"rotate\", \"revoke\" or \"status\"",
                        kind(v)
                    ),
                ))
            }
        };
        let force = match pick("force") {
            None | Some((_, Value::Null)) => None,
            Some((field, Value::Bool(b))) => Some((field, *b)),
            Some((field, v)) => {
                return Err(error(
                    field,
                    format!("is {}, not a boolean; use true or false", kind(v)),
                ))
            }
        };
        let action = match (action.as_str(), force) {
            ("rotate", None) => ActionName::Rotate,
            ("status", None) => ActionName::Status,
            ("rotate" | "status", Some((field, _))) => {
                return Err(error(
                    field,
                    "applies to the revoke action only; remove it, or add \"action\": \"revoke\"",
                ))
            }
            ("revoke", force) => {
                if targets.is_some() {
                    return Err(error(
                        "targets",
                        "cannot go with revoke: a revoke must give every target a fresh token before the old ones die; remove `targets`",
                    ));
                }
                ActionName::Revoke {
                    force: force.is_some_and(|(_, f)| f),
                }
            }
            (other, _) => {
                return Err(error(
                    "action",
                    format!(
                    "{:?} is not an action; use \"rotate\" (the default), \"revoke\" or \"status\"",
                    crate::redact::printable(other, 40)
                ),
                ))
            }
        };
        Ok(Request {
            action,
            dry_run,
            targets,
        })
    }
}

/// A Secrets Manager rotation event: `SecretId`, `ClientRequestToken` and `Step`, all strings.
fn rotation_step(top: &Map<String, Value>) -> Result<Request, EventError> {
    check_keys(top, "", ROTATION_FIELDS)?;
    let text = |key: &str| {
        match top.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        Some(other) => Err(error(
            key,
            format!("is {}, not a non-empty string (a Secrets Manager rotation event)", kind(other)),
        )),
        None => Err(error(
            key,
            "is missing: a Secrets Manager rotation event has SecretId, ClientRequestToken and Step",
        )),
    }
    };
    let (secret_id, token, step) = (
        text("SecretId")?,
        text("ClientRequestToken")?,
        text("Step")?,
    );
    let step = [Step::Create, Step::Set, Step::Test, Step::Finish]
        .into_iter()
        .find(|s| s.as_str() == step)
        .ok_or_else(|| {
            error(
                "Step",
                format!(
                    "{:?} is not a rotation step; Secrets Manager sends createSecret, setSecret, testSecret or finishSecret",
                    crate::redact::printable(&step, 40)
                ),
            )
        })?;
    Ok(Request {
        action: ActionName::RotationStep(RotationStep {
            secret_id,
            token,
            step,
        }),
        dry_run: false,
        targets: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Request, EventError> {
        Request::from_event(&v)
    }

    #[test]
    fn shipped_events_parse() {
        let rule: Value =
            serde_json::from_slice(include_bytes!("../../events/scheduled-rule.json")).unwrap();
        assert_eq!(parse(rule).unwrap(), Request::default());
        let scheduler: Value =
            serde_json::from_slice(include_bytes!("../../events/scheduler.json")).unwrap();
        assert_eq!(parse(scheduler).unwrap(), Request::default());
        let dry: Value =
            serde_json::from_slice(include_bytes!("../../events/dry-run.json")).unwrap();
        assert!(parse(dry).unwrap().dry_run);
        let single: Value =
            serde_json::from_slice(include_bytes!("../../events/single-target.json")).unwrap();
        assert_eq!(parse(single).unwrap().targets.map(|t| t.len()), Some(1));
    }

    #[test]
    fn fields_are_read_from_top_level_detail_object_and_detail_string() {
        let want = Request {
            action: ActionName::Rotate,
            dry_run: true,
            targets: Some(vec!["a".into()]),
        };
        assert_eq!(
            parse(json!({"dry_run": true, "targets": ["a"]})).unwrap(),
            want
        );
        assert_eq!(
            parse(json!({"detail": {"dry_run": true, "targets": ["a"]}})).unwrap(),
            want
        );
        assert_eq!(
            parse(json!({"detail": "{\"dry_run\": true, \"targets\": [\"a\"]}"})).unwrap(),
            want
        );
        // Top level wins over detail.
        assert!(
            !parse(json!({"dry_run": false, "detail": {"dry_run": true}}))
                .unwrap()
                .dry_run
        );
    }

    #[test]
    fn envelopes_and_nulls_are_accepted() {
        assert_eq!(parse(json!({})).unwrap(), Request::default());
        assert_eq!(
            parse(json!({"detail": null, "dry_run": null, "source": "aws.events"})).unwrap(),
            Request::default()
        );
    }

    #[test]
    fn mistyped_or_unknown_keys_are_refused_with_a_guess() {
        let cases = [
            (json!({"dryRun": true}), "dryRun", "did you mean `dry_run`?"),
            (
                json!({"DRY_RUN": true}),
                "DRY_RUN",
                "did you mean `dry_run`?",
            ),
            (
                json!({"dry-run": true}),
                "dry-run",
                "did you mean `dry_run`?",
            ),
            (
                json!({"target": ["a"]}),
                "target",
                "did you mean `targets`?",
            ),
            (
                json!({"detail": {"dryrun": true}}),
                "detail.dryrun",
                "did you mean `dry_run`?",
            ),
            (
                json!({"x": 1}),
                "x",
                "its fields are action, dry_run, targets, force",
            ),
            (
                json!({"detail": {"source": "x"}}),
                "detail.source",
                "its fields are action, dry_run, targets, force",
            ),
            (json!({"detail": "not json"}), "detail", "not a JSON object"),
            (json!({"detail": "[1]"}), "detail", "not a JSON object"),
            (json!({"detail": 3}), "detail", "is a number, not an object"),
            (
                json!({NOT_JSON: "line 1, column 2"}),
                "payload",
                "is not JSON (line 1, column 2)",
            ),
        ];
        for (payload, field, text) in cases {
            let e = parse(payload.clone()).unwrap_err();
            assert_eq!(e.field, field, "{payload}");
            assert!(e.message.contains(text), "{payload}: {e}");
        }
        assert!(!parse(json!({"dryRun": true}))
            .unwrap_err()
            .message
            .contains("did you mean `targets`"));
    }

    #[test]
    fn bad_payloads_name_the_field() {
        let cases = [
            (json!([]), "payload", "not a JSON object"),
            (json!("x"), "payload", "not a JSON object"),
            (json!({"dry_run": "yes"}), "dry_run", "not a boolean"),
            (
                json!({"detail": {"dry_run": 1}}),
                "detail.dry_run",
                "not a boolean",
            ),
            (json!({"targets": "a"}), "targets", "not a list"),
            (json!({"targets": []}), "targets", "empty list"),
            (
                json!({"detail": "{\"targets\": [1]}"}),
                "detail.targets[0]",
                "not a string",
            ),
        ];
        for (payload, field, text) in cases {
            let e = parse(payload.clone()).unwrap_err();
            assert_eq!(e.field, field, "{payload}");
            assert!(e.message.contains(text), "{e}");
        }
    }

    #[test]
    fn actions_are_read_and_checked() {
        assert_eq!(
            parse(json!({"action": "revoke"})).unwrap().action,
            ActionName::Revoke { force: false }
        );
        let forced =
            parse(json!({"detail": {"action": "revoke", "force": true, "dry_run": true}})).unwrap();
        assert_eq!(forced.action, ActionName::Revoke { force: true });
        assert!(forced.dry_run);
        assert_eq!(
            parse(json!({"action": "rotate"})).unwrap(),
            Request::default()
        );
        for (payload, field, text) in [
            (json!({"action": "revokee"}), "action", "is not an action"),
            (json!({"action": 1}), "action", "not a string"),
            (json!({"force": true}), "force", "revoke action only"),
            (
                json!({"action": "revoke", "targets": ["a"]}),
                "targets",
                "every target",
            ),
            (
                json!({"action": "revoke", "force": "yes"}),
                "force",
                "not a boolean",
            ),
        ] {
            let e = parse(payload.clone()).unwrap_err();
            assert_eq!(e.field, field, "{payload}");
            assert!(e.message.contains(text), "{payload}: {e}");
        }
    }

    #[test]
    fn rotation_events_are_read_and_checked() {
        let event = json!({"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf",
                           "ClientRequestToken": "5b2ba6e1-0f1c-4bb2-9a8b-6c3e0d7e8f90", "Step": "setSecret"});
        assert_eq!(
            parse(event).unwrap().action,
            ActionName::RotationStep(RotationStep {
                secret_id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:keys-AbCdEf"
                    .into(),
                token: "5b2ba6e1-0f1c-4bb2-9a8b-6c3e0d7e8f90".into(),
                step: Step::Set
            })
        );
        for (payload, field, text) in [
            (
                json!({"SecretId": "s", "ClientRequestToken": "t", "Step": "rotate"}),
                "Step",
                "not a rotation step",
            ),
            (
                json!({"SecretId": "s", "Step": "setSecret"}),
                "ClientRequestToken",
                "is missing",
            ),
            (
                json!({"SecretId": "s", "ClientRequestToken": "t", "Step": "setSecret", "dry_run": true}),
                "dry_run",
                "not a field",
            ),
            (
                json!({"SecretId": 3, "ClientRequestToken": "t", "Step": "setSecret"}),
                "SecretId",
                "not a non-empty string",
            ),
        ] {
            let e = parse(payload.clone()).unwrap_err();
            assert_eq!(e.field, field, "{payload}");
            assert!(e.message.contains(text), "{payload}: {e}");
        }
    }

    #[test]
    fn select_filters_by_name_and_refuses_unknown_names() {
        use crate::config::testing::{base, parse as settings, HOST};
        let json = format!(r#"[{{"name":"a","host":"{HOST}"}},{{"name":"b","host":"{HOST}"}}]"#);
        let s = settings(&base(&[("HYPERDRIVE_TARGETS", &json)])).unwrap();
        let all = Request::default();
        assert_eq!(all.select(&s.targets).unwrap().len(), 2);
        let only_b = Request {
            targets: Some(vec!["b".to_owned()]),
            ..Request::default()
        };
        let names: Vec<String> = only_b
            .select(&s.targets)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["b"]);
        let unknown = Request {
            targets: Some(vec!["c".to_owned()]),
            ..Request::default()
        };
        let e = unknown.select(&s.targets).unwrap_err();
        assert_eq!(e.field, "targets");
        assert_eq!(
            e.to_string(),
            "invalid event: targets: \"c\" is not a configured target; use one of a, b"
        );
    }
}
