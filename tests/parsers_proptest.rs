//! Property tests over the two parsers that take outside input: the configuration (environment) and
//! the invocation event. Any input either parses into something sane or gives an error that names a
//! field and says something; never a panic.

use hyperdrive_dsql_rotator::config::{Settings, TARGET_FIELDS, VARIABLES};
use hyperdrive_dsql_rotator::invocation::Request;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
        prop_oneof![
            Just("abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"),
            Just("admin"),
            Just("us-east-1"),
            Just("postgres")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "\\PC{0,8}".prop_map(String::from),
                    prop::sample::select(TARGET_FIELDS).prop_map(String::from),
                    Just("detail".to_owned()),
                    Just("dry_run".to_owned()),
                    Just("targets".to_owned()),
                    Just("disabled".to_owned()),
                    Just("max_age".to_owned())
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Objects shaped like targets: known fields with values of any type (reaches the deeper checks).
fn target_like() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(prop::sample::select(TARGET_FIELDS), any_json(), 0..9).prop_map(
        |m| {
            let mut obj: Map<String, Value> =
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            obj.entry("name").or_insert(json!("orders-db"));
            obj.entry("host")
                .or_insert(json!("abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"));
            Value::Object(obj)
        },
    )
}

fn settings(
    vars: &[(&str, String)],
) -> Result<Settings, hyperdrive_dsql_rotator::config::ConfigError> {
    let mut env: HashMap<String, String> = HashMap::from([
        (
            "CLOUDFLARE_ACCOUNT_ID".to_owned(),
            "0123456789abcdef0123456789abcdef".to_owned(),
        ),
        ("CLOUDFLARE_API_TOKEN_SECRET_ID".to_owned(), "cf".to_owned()),
    ]);
    for (k, v) in vars {
        env.insert((*k).to_owned(), v.clone());
    }
    Settings::from_env(|k| env.get(k).cloned())
}

fn check(
    result: Result<Settings, hyperdrive_dsql_rotator::config::ConfigError>,
) -> Result<(), TestCaseError> {
    match result {
        Ok(s) => {
            prop_assert!(!s.targets.is_empty());
            for t in &s.targets {
                prop_assert_eq!(t.host.to_ascii_lowercase(), t.host.clone());
                prop_assert!(!t.region.is_empty() && !t.name.is_empty() && t.port > 0);
                prop_assert_eq!(t.account_id.len(), 32);
            }
        }
        Err(e) => {
            prop_assert!(!e.problems.is_empty());
            for p in &e.problems {
                prop_assert!(
                    VARIABLES.iter().any(|v| p.field.starts_with(v)),
                    "unnamed field {}",
                    p.field
                );
                prop_assert!(p.message.len() > 8, "empty message for {}", p.field);
            }
            prop_assert!(e.to_string().starts_with("invalid configuration"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_targets_text_parses_or_names_the_field(text in "\\PC{0,200}") {
        check(settings(&[("HYPERDRIVE_TARGETS", text)]))?;
    }

    #[test]
    fn any_targets_json_parses_or_names_the_field(json in any_json()) {
        check(settings(&[("HYPERDRIVE_TARGETS", json.to_string())]))?;
    }

    #[test]
    fn target_shaped_objects_parse_or_name_the_field(targets in prop::collection::vec(target_like(), 1..4)) {
        check(settings(&[("HYPERDRIVE_TARGETS", Value::Array(targets).to_string())]))?;
    }

    #[test]
    fn any_value_of_any_variable_parses_or_names_it(var in prop::sample::select(VARIABLES), value in "\\PC{0,60}") {
        let targets = r#"[{"name":"a","host":"abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"}]"#.to_owned();
        let mut vars = vec![("HYPERDRIVE_TARGETS", targets)];
        vars.push((var, value));
        check(settings(&vars))?;
    }

    #[test]
    fn any_event_parses_or_names_the_field(event in any_json()) {
        match Request::from_event(&event) {
            Ok(r) => {
                if let Some(names) = r.targets { prop_assert!(!names.is_empty()); }
                prop_assert!(event.is_object());
            }
            Err(e) => {
                prop_assert!(!e.field.is_empty() && e.message.len() > 8);
                prop_assert!(e.to_string().starts_with("invalid event: "));
            }
        }
    }

    #[test]
    fn any_detail_string_parses_or_names_the_field(detail in "\\PC{0,80}", wrap in any_json()) {
        for event in [json!({"detail": detail}), json!({"detail": wrap.to_string()})] {
            if let Err(e) = Request::from_event(&event) {
                prop_assert!(e.field.starts_with("detail"), "{}", e.field);
            }
        }
    }
}
