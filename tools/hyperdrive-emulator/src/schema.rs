//! Request-body validation against the Hyperdrive OpenAPI 3.0 document, converted to JSON Schema 2020-12:
//! `nullable` becomes a `null` alternative, `readOnly` properties are dropped from `required` (they are not sent in
//! requests), and OpenAPI-only keywords (`discriminator`, `example`, `x-*`) are removed.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{Draft, ValidationError, Validator};
use serde_json::{json, Map, Value};

/// The project's copy of the Cloudflare Hyperdrive OpenAPI document.
pub const OPENAPI: &str = include_str!("../hyperdrive-openapi.json");

/// Which direction the schema is used in: readOnly properties are never required in a request.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Direction {
    Request,
    Response,
}

/// Compiled validators for the request bodies the emulator accepts.
pub struct Schemas {
    /// POST and PUT bodies (`hyperdrive_hyperdrive-config`).
    pub config: Validator,
    /// PATCH bodies (`hyperdrive_hyperdrive-config-patch`).
    pub patch: Validator,
    /// The `origin` of a full config; applied to the origin that results from a PATCH merge.
    pub origin: Validator,
}

static SCHEMAS: OnceLock<Result<Schemas, String>> = OnceLock::new();

/// The validators, compiled once per process.
pub fn schemas() -> Result<&'static Schemas, String> {
    SCHEMAS
        .get_or_init(|| {
            let doc: Value = serde_json::from_str(OPENAPI)
                .map_err(|e| format!("embedded OpenAPI document is not JSON: {e}"))?;
            Ok(Schemas {
                config: compile(
                    &doc,
                    "#/components/schemas/hyperdrive_hyperdrive-config",
                    Direction::Request,
                )?,
                patch: compile(
                    &doc,
                    "#/components/schemas/hyperdrive_hyperdrive-config-patch",
                    Direction::Request,
                )?,
                origin: compile(
                    &doc,
                    "#/components/schemas/hyperdrive_hyperdrive-config/properties/origin",
                    Direction::Request,
                )?,
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Compiles a JSON Schema validator for `pointer` (a `#/...` reference into the OpenAPI document).
pub fn compile(doc: &Value, pointer: &str, direction: Direction) -> Result<Validator, String> {
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or("OpenAPI document has no components.schemas")?;
    let converted: Map<String, Value> = schemas
        .iter()
        .map(|(name, schema)| (name.clone(), convert(schema, schemas, direction)))
        .collect();
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": pointer,
        "components": { "schemas": converted },
    });
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .build(&root)
        .map_err(|e| format!("cannot compile schema {pointer}: {e}"))
}

/// Converts one OpenAPI 3.0 schema object (recursively) to JSON Schema 2020-12.
pub fn convert(schema: &Value, components: &Map<String, Value>, direction: Direction) -> Value {
    let Some(obj) = schema.as_object() else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in obj {
        match key.as_str() {
            "discriminator" | "example" | "nullable" => {}
            k if k.starts_with("x-") => {}
            "properties" | "patternProperties" => {
                let props = value
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), convert(v, components, direction)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(props));
            }
            "items" | "not" | "additionalProperties" => {
                out.insert(key.clone(), convert(value, components, direction));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = value
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|s| convert(s, components, direction))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(list));
            }
            "required" => {
                // readOnly properties are not sent in requests; writeOnly ones are not returned in responses.
                let hidden = match direction {
                    Direction::Request => "readOnly",
                    Direction::Response => "writeOnly",
                };
                let kept: Vec<Value> = value
                    .as_array()
                    .map(|names| {
                        names
                            .iter()
                            .filter(|name| {
                                let prop = name
                                    .as_str()
                                    .and_then(|n| find_property(schema, n, components, 0));
                                !prop.is_some_and(|p| has_flag(p, hidden, components))
                            })
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(kept));
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    if obj.get("nullable").and_then(Value::as_bool) == Some(true) {
        // `nullable` applies to the whole schema in OpenAPI 3.0: null, or else the schema.
        return json!({ "anyOf": [ { "type": "null" }, Value::Object(out) ] });
    }
    Value::Object(out)
}

fn resolve<'a>(schema: &'a Value, components: &'a Map<String, Value>) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
        .and_then(|name| components.get(name))
        .unwrap_or(schema)
}

/// The schema of property `name` as seen from `schema`: its own `properties`, or those of its `allOf` members
/// (through `$ref`s), where OpenAPI documents often declare them.
fn find_property<'a>(
    schema: &'a Value,
    name: &str,
    components: &'a Map<String, Value>,
    depth: usize,
) -> Option<&'a Value> {
    if depth > 8 {
        return None;
    }
    let schema = resolve(schema, components);
    if let Some(prop) = schema.get("properties").and_then(|p| p.get(name)) {
        return Some(prop);
    }
    schema
        .get("allOf")
        .and_then(Value::as_array)?
        .iter()
        .find_map(|member| find_property(member, name, components, depth + 1))
}

fn has_flag(schema: &Value, flag: &str, components: &Map<String, Value>) -> bool {
    schema.get(flag).and_then(Value::as_bool) == Some(true)
        || resolve(schema, components)
            .get(flag)
            .and_then(Value::as_bool)
            == Some(true)
}

/// Validates `instance`; on failure returns one line per error, each starting with its JSON pointer
/// (`/origin/port: ...`). The offending values are not echoed (they may be passwords).
pub fn validate(validator: &Validator, instance: &Value) -> Result<(), Vec<String>> {
    let mut lines = Vec::new();
    for error in validator.iter_errors(instance) {
        describe(&error, &mut lines);
    }
    if lines.is_empty() {
        Ok(())
    } else {
        lines.dedup();
        Err(lines)
    }
}

fn pointer(error: &ValidationError<'_>) -> String {
    let p = error.instance_path().as_str();
    if p.is_empty() {
        "/".to_string()
    } else {
        p.to_string()
    }
}

fn describe(error: &ValidationError<'_>, out: &mut Vec<String>) {
    let at = pointer(error);
    let text = match error.kind() {
        ValidationErrorKind::Required { property } => {
            format!("missing required property {property}")
        }
        ValidationErrorKind::Type { .. } => {
            // The default text names the expected type(s) after the instance; keep only that part.
            let full = error.to_string();
            let expected = full
                .rsplit_once(" is not of type")
                .map(|(_, t)| format!("is not of type{t}"))
                .or_else(|| {
                    full.rsplit_once(" is not of types")
                        .map(|(_, t)| format!("is not of types{t}"))
                })
                .unwrap_or_else(|| "has the wrong type".to_string());
            format!("value {expected}")
        }
        ValidationErrorKind::Enum { options } => format!("value is not one of {options}"),
        ValidationErrorKind::Constant { expected_value } => {
            format!("value must be {expected_value}")
        }
        ValidationErrorKind::Minimum { limit } => format!("value is less than the minimum {limit}"),
        ValidationErrorKind::Maximum { limit } => {
            format!("value is greater than the maximum {limit}")
        }
        ValidationErrorKind::MinLength { limit } => format!("string is shorter than {limit}"),
        ValidationErrorKind::MaxLength { limit } => format!("string is longer than {limit}"),
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "value matches more than one alternative of oneOf".to_string()
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            // Report the alternative(s) that came closest: fewest errors.
            let fewest = context.iter().map(Vec::len).min().unwrap_or(0);
            let keyword = error.kind().keyword().to_string();
            let mut nested = Vec::new();
            for branch in context.iter().filter(|b| b.len() == fewest) {
                for e in branch {
                    describe(e, &mut nested);
                }
            }
            if nested.is_empty() {
                format!("value matches no alternative of {keyword}")
            } else {
                out.push(format!(
                    "{at}: value matches no alternative of {keyword}; closest alternative fails with:"
                ));
                out.extend(nested.into_iter().map(|n| format!("  {n}")));
                return;
            }
        }
        other => format!("value violates \"{}\"", other.keyword()),
    };
    out.push(format!("{at}: {text}"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_config() -> Value {
        json!({
            "name": "main",
            "origin": {
                "scheme": "postgres", "host": "abc.dsql.us-east-1.on.aws", "port": 5432,
                "database": "postgres", "user": "admin", "password": "x"
            }
        })
    }

    #[test]
    fn a_create_body_without_id_is_valid() {
        let s = schemas().unwrap();
        validate(&s.config, &valid_config()).unwrap();
        let mut with_caching = valid_config();
        with_caching["caching"] = json!({"disabled": false, "max_age": 60});
        with_caching["origin_connection_limit"] = json!(20);
        validate(&s.config, &with_caching).unwrap();
    }

    #[test]
    fn a_missing_port_and_an_unknown_scheme_are_reported_with_pointers() {
        let s = schemas().unwrap();
        let mut body = valid_config();
        body["origin"].as_object_mut().unwrap().remove("port");
        let errors = validate(&s.config, &body).unwrap_err().join("\n");
        assert!(
            errors.contains("/origin: value matches no alternative of oneOf"),
            "{errors}"
        );
        assert!(
            errors.contains("missing required property \"port\""),
            "{errors}"
        );

        let mut body = valid_config();
        body["origin"]["scheme"] = json!("mongodb");
        let errors = validate(&s.config, &body).unwrap_err().join("\n");
        assert!(
            errors.contains("/origin/scheme: value is not one of"),
            "{errors}"
        );
        assert!(
            !errors.contains("\"x\""),
            "the password is never echoed: {errors}"
        );
    }

    #[test]
    fn patch_schema_accepts_origin_only_and_rejects_wrong_types() {
        let s = schemas().unwrap();
        validate(&s.patch, &json!({"origin": {"password": "t"}})).unwrap();
        validate(&s.patch, &json!({"name": "n"})).unwrap();
        let errors = validate(&s.patch, &json!({"origin_connection_limit": 2})).unwrap_err();
        assert_eq!(
            errors,
            vec!["/origin_connection_limit: value is less than the minimum 5"]
        );
        let errors = validate(&s.patch, &json!({"caching": {"disabled": "yes"}})).unwrap_err();
        assert!(errors[0].starts_with("/caching"), "{errors:?}");
    }

    #[test]
    fn nullable_becomes_a_null_alternative() {
        let converted = convert(
            &json!({"type": "string", "nullable": true}),
            &Map::new(),
            Direction::Request,
        );
        assert_eq!(
            converted,
            json!({"anyOf": [{"type": "null"}, {"type": "string"}]})
        );
    }
}
