//! RFC 3339 formatting and parsing of `SystemTime`, shared by the API output, the admin API and the token errors.

use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// `2024-08-27T00:00:00Z` (seconds precision, UTC).
pub fn rfc3339(t: SystemTime) -> String {
    let t = OffsetDateTime::from(t);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| format!("{t}"))
}

/// `2024-08-27T00:00:00.123456Z`: keeps sub-second precision, for created_on/modified_on.
pub fn rfc3339_precise(t: SystemTime) -> String {
    let t = OffsetDateTime::from(t);
    t.format(&Rfc3339).unwrap_or_else(|_| format!("{t}"))
}

pub fn parse_rfc3339(s: &str) -> Result<SystemTime, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map(SystemTime::from)
        .map_err(|e| format!("{s:?} is not an RFC 3339 date-time: {e}"))
}

pub fn serialize_system_time<S: serde::Serializer>(
    t: &SystemTime,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// `Option<SystemTime>` as an RFC 3339 string or nothing, for serde's `with`.
pub mod optional_system_time {
    use std::time::SystemTime;

    pub fn serialize<S: serde::Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::rfc3339_precise(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        let text: Option<String> = serde::Deserialize::deserialize(d)?;
        text.map(|t| super::parse_rfc3339(&t).map_err(serde::de::Error::custom))
            .transpose()
    }
}
