//! A target's `mtls`: how Hyperdrive verifies the cluster's TLS certificate (and, rarely, presents
//! a client certificate). Sent as given on create and update once validated.

use super::kind;
use serde_json::{Map, Value};

/// The SSL modes Hyperdrive accepts for an origin.
pub const SSLMODES: &[&str] = &["require", "verify-ca", "verify-full"];
const FIELDS: &[&str] = &["sslmode", "ca_certificate_id", "mtls_certificate_id"];
const FIX: &str = r#"use {"sslmode": "verify-full", "ca_certificate_id": "<id from wrangler cert upload certificate-authority>"}"#;

/// What is wrong with `mtls`: a problem (refused) per bad field, or a warning (accepted) when a
/// `verify-*` mode has no CA certificate.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// (field under `mtls`, message); empty means accepted.
    pub problems: Vec<(String, String)>,
    pub warning: Option<String>,
}

/// Checks `mtls`; returns the object to send when it has no problem.
pub fn check(value: &Value) -> (Option<Map<String, Value>>, Findings) {
    let mut f = Findings::default();
    let Value::Object(obj) = value else {
        f.problems.push((
            String::new(),
            format!("is {}, not an object; {FIX}", kind(value)),
        ));
        return (None, f);
    };
    for key in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        f.problems.push((
            format!(".{key}"),
            format!(
                "is not a known field of mtls; remove it (known fields: {})",
                FIELDS.join(", ")
            ),
        ));
    }
    let mut text = |key: &str| match obj.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s))
            if !s.trim().is_empty()
                && s.len() <= 128
                && s.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Some(s.clone())
        }
        Some(Value::String(_)) => {
            f.problems.push((
                format!(".{key}"),
                "is empty, too long or has spaces or control characters; give the certificate id Cloudflare printed (e.g. 00000000-0000-0000-0000-000000000000), or leave the field out".into(),
            ));
            None
        }
        Some(other) => {
            f.problems.push((
                format!(".{key}"),
                format!("is {}, not a string; write it in quotes", kind(other)),
            ));
            None
        }
    };
    let sslmode = text("sslmode");
    let ca = text("ca_certificate_id");
    text("mtls_certificate_id");
    if let Some(mode) = &sslmode {
        if !SSLMODES.contains(&mode.as_str()) {
            f.problems.push((
                ".sslmode".into(),
                format!(
                    "{mode:?} is not an SSL mode Hyperdrive accepts; use one of {} (verify-full is recommended for DSQL)",
                    SSLMODES.join(", ")
                ),
            ));
        } else if mode.starts_with("verify-") && ca.is_none() {
            f.warning = Some(format!(
                "sslmode {mode:?} without ca_certificate_id: Hyperdrive's docs require a CA certificate for verify-ca and verify-full; upload Amazon Root CA 1 once (wrangler cert upload certificate-authority --ca-cert AmazonRootCA1.pem --name amazon-root-ca-1) and set its id as ca_certificate_id, or Hyperdrive may refuse the config"
            ));
        }
    }
    if f.problems.is_empty() {
        (Some(obj.clone()), f)
    } else {
        (None, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_bad_mtls_field_is_named_and_verify_without_a_ca_is_a_warning() {
        let ok = json!({"sslmode": "verify-full", "ca_certificate_id": "12345678-aaaa-bbbb-cccc-1234567890ab"});
        let (sent, f) = check(&ok);
        assert_eq!(sent.map(Value::Object), Some(ok));
        assert_eq!(f, Findings::default());

        let (sent, f) = check(&json!({"sslmode": "verify-ca"}));
        assert!(sent.is_some());
        assert!(f.problems.is_empty());
        assert!(f.warning.unwrap().contains("ca_certificate_id"));

        let (sent, f) = check(&json!({"sslmode": "require"}));
        assert!(sent.is_some() && f.warning.is_none() && f.problems.is_empty());

        for (bad, field, text) in [
            (json!("verify-full"), "", "not an object"),
            (
                json!({"sslmode": "verify_full"}),
                ".sslmode",
                "require, verify-ca, verify-full",
            ),
            (
                json!({"sslmode": "disable"}),
                ".sslmode",
                "is not an SSL mode",
            ),
            (json!({"sslmode": 1}), ".sslmode", "not a string"),
            (
                json!({"ssl_mode": "require"}),
                ".ssl_mode",
                "not a known field",
            ),
            (
                json!({"ca_certificate_id": ""}),
                ".ca_certificate_id",
                "is empty",
            ),
            (
                json!({"mtls_certificate_id": "a b"}),
                ".mtls_certificate_id",
                "spaces",
            ),
        ] {
            let (sent, f) = check(&bad);
            assert!(sent.is_none(), "{bad}");
            assert_eq!(f.problems.len(), 1, "{bad}: {f:?}");
            assert_eq!(f.problems[0].0, field, "{bad}");
            assert!(f.problems[0].1.contains(text), "{bad}: {}", f.problems[0].1);
        }
    }
}
