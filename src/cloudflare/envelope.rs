//! Cloudflare's answer envelope (`{"success", "errors", "messages", "result"}`) read within bounds:
//! the body is read up to a cap, streamed, so memory stays at the cap whatever is sent; only the
//! first errors are kept; and `result` stays raw JSON text until the operation parses it into what
//! it expects.

use serde::de::{Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::fmt;

/// The largest body read. A page of 100 configs, the largest legitimate answer, is about 70 KB.
pub(crate) const MAX_BODY: usize = 512 * 1024;
/// How many of Cloudflare's errors are kept (the rest are counted).
pub(crate) const MAX_ERRORS: usize = 10;

/// A body read up to [`MAX_BODY`].
pub(crate) struct Body {
    pub bytes: Vec<u8>,
    /// The answer was longer: only its first [`MAX_BODY`] bytes were read.
    pub truncated: bool,
}

/// Reads the body chunk by chunk, and stops at `cap` bytes.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> reqwest::Result<Body> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap - bytes.len();
        if chunk.len() > room {
            bytes.extend_from_slice(&chunk[..room]);
            return Ok(Body {
                bytes,
                truncated: true,
            });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Body {
        bytes,
        truncated: false,
    })
}

/// The envelope; unknown fields are skipped without being kept.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    success: Option<Box<RawValue>>,
    #[serde(default)]
    pub errors: ErrorList,
    #[serde(default)]
    pub result: Option<Box<RawValue>>,
    #[serde(default)]
    pub result_info: Option<Box<RawValue>>,
}

impl Envelope {
    /// The envelope of a body that is a JSON object; `None` for anything else (serde would also
    /// read a struct from an array).
    pub fn parse(body: &[u8]) -> Option<Envelope> {
        let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
        if *first != b'{' {
            return None;
        }
        serde_json::from_slice(body).ok()
    }

    pub fn succeeded(&self) -> bool {
        self.success.as_ref().is_some_and(|s| s.get() == "true")
    }
}

/// One of Cloudflare's errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ErrorEntry {
    pub code: Option<i64>,
    pub message: String,
}

/// The first [`MAX_ERRORS`] errors of an envelope, and how many more there were. Anything that is
/// not a list of `{code, message}` objects is read as no errors.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ErrorList {
    pub kept: Vec<ErrorEntry>,
    pub more: usize,
}

impl<'de> Deserialize<'de> for ErrorList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ErrorListVisitor)
    }
}

struct ErrorListVisitor;

impl<'de> Visitor<'de> for ErrorListVisitor {
    type Value = ErrorList;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of errors")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ErrorList, A::Error> {
        let mut list = ErrorList::default();
        while list.kept.len() < MAX_ERRORS {
            match seq.next_element::<Value>()? {
                Some(e) => list.kept.push(ErrorEntry {
                    code: e.get("code").and_then(Value::as_i64),
                    message: e
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                }),
                None => return Ok(list),
            }
        }
        while seq.next_element::<IgnoredAny>()?.is_some() {
            list.more += 1;
        }
        Ok(list)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ErrorList, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(ErrorList::default())
    }

    fn visit_unit<E>(self) -> Result<ErrorList, E> {
        Ok(ErrorList::default())
    }

    fn visit_bool<E>(self, _: bool) -> Result<ErrorList, E> {
        Ok(ErrorList::default())
    }

    fn visit_i64<E>(self, _: i64) -> Result<ErrorList, E> {
        Ok(ErrorList::default())
    }

    fn visit_u64<E>(self, _: u64) -> Result<ErrorList, E> {
        Ok(ErrorList::default())
    }

    fn visit_f64<E>(self, _: f64) -> Result<ErrorList, E> {
        Ok(ErrorList::default())
    }

    fn visit_str<E>(self, _: &str) -> Result<ErrorList, E> {
        Ok(ErrorList::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_errors_are_kept_and_the_rest_counted() {
        let entries: Vec<String> = (0..1000)
            .map(|i| format!(r#"{{"code":{i},"message":"m{i}"}}"#))
            .collect();
        let body = format!(r#"{{"success":false,"errors":[{}]}}"#, entries.join(","));
        let e: Envelope = serde_json::from_str(&body).unwrap();
        assert_eq!(e.errors.kept.len(), MAX_ERRORS);
        assert_eq!(e.errors.more, 1000 - MAX_ERRORS);
        assert_eq!(
            e.errors.kept[3],
            ErrorEntry {
                code: Some(3),
                message: "m3".into()
            }
        );
        assert!(!e.succeeded());
    }

    #[test]
    fn odd_shapes_are_read_as_no_errors() {
        for errors in [r#""x""#, "3", "null", "{}", r#"{"a":[1]}"#, "[1, \"x\"]"] {
            let e: Envelope = serde_json::from_str(&format!(
                r#"{{"success":true,"errors":{errors},"result":{{}}}}"#
            ))
            .unwrap();
            assert!(e.succeeded());
            assert!(e.errors.kept.iter().all(|k| k.code.is_none()), "{errors}");
        }
        for not_an_object in ["[1, 2]", "", "  ", "null", "\"x\"", "{", "<html>"] {
            assert!(
                Envelope::parse(not_an_object.as_bytes()).is_none(),
                "{not_an_object}"
            );
        }
        assert!(Envelope::parse(b" {\"success\": true}").is_some());
    }
}
