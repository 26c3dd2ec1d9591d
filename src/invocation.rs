//! One invocation, as both entry points produce it: what is asked ([`Request`], parsed from the
//! payload, any JSON object) and how long it may take. `dry_run` and `targets` are read from the
//! payload's top level, or from `detail` when that is an object (EventBridge rules) or a
//! JSON-encoded object (Scheduler).

use crate::config::{kind, Target};
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

/// One invocation: the request and the time it may take (the Lambda's deadline less a margin to
/// answer, or the command line's `--timeout`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub request: Request,
    pub time_limit: Duration,
}

/// The actions an invocation can ask for. Today's scheduled run is the only one; revoke, status and
/// the Secrets Manager rotation steps join it here, each with its module under `actions/`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ActionName {
    /// Sign a fresh token for every target and push it (what schedules send).
    #[default]
    Rotate,
}

/// What the event asks of this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    pub action: ActionName,
    pub dry_run: bool,
    /// Restrict the run to these target names.
    pub targets: Option<Vec<String>>,
}

/// The payload cannot be understood; nothing was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid event: {}: {}", self.field, self.message)
    }
}

impl std::error::Error for EventError {}

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

fn error(field: impl Into<String>, message: impl Into<String>) -> EventError {
    EventError {
        field: field.into(),
        message: message.into(),
    }
}

/// The fields this function reads from an event, at its top level or in `detail`.
pub const EVENT_FIELDS: &[&str] = &["dry_run", "targets"];
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
        Ok(Request {
            action: ActionName::Rotate,
            dry_run,
            targets,
        })
    }

    /// The targets this request works on: all of them, or those it names. An unknown name is an
    /// error (nothing is called).
    pub fn select(&self, all: &[Target]) -> Result<Vec<Target>, EventError> {
        let Some(names) = &self.targets else {
            return Ok(all.to_vec());
        };
        if let Some(unknown) = names.iter().find(|n| !all.iter().any(|t| &t.name == *n)) {
            let known: Vec<&str> = all.iter().map(|t| t.name.as_str()).collect();
            return Err(error(
                "targets",
                format!(
                    "{unknown:?} is not a configured target; use one of {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(all
            .iter()
            .filter(|t| names.contains(&t.name))
            .cloned()
            .collect())
    }
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
            serde_json::from_slice(include_bytes!("../events/scheduled-rule.json")).unwrap();
        assert_eq!(parse(rule).unwrap(), Request::default());
        let scheduler: Value =
            serde_json::from_slice(include_bytes!("../events/scheduler.json")).unwrap();
        assert_eq!(parse(scheduler).unwrap(), Request::default());
        let dry: Value = serde_json::from_slice(include_bytes!("../events/dry-run.json")).unwrap();
        assert!(parse(dry).unwrap().dry_run);
        let single: Value =
            serde_json::from_slice(include_bytes!("../events/single-target.json")).unwrap();
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
            (json!({"x": 1}), "x", "its fields are dry_run, targets"),
            (
                json!({"detail": {"source": "x"}}),
                "detail.source",
                "its fields are dry_run, targets",
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
