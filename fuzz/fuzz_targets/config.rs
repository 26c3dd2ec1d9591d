//! The configuration parser on arbitrary input: HYPERDRIVE_TARGETS is the input; the other variables
//! are taken from its first lines when it has several, so every variable gets fuzzed.
#![no_main]

use hyperdrive_dsql_rotator::config::{Settings, VARIABLES};
use libfuzzer_sys::fuzz_target;

/// Every variable but the two the input fills in.
fn others() -> impl Iterator<Item = &'static str> {
    VARIABLES.iter().copied().filter(|v| !["HYPERDRIVE_TARGETS", "CLOUDFLARE_API_TOKEN_SECRET_ID"].contains(v))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.splitn(others().count() + 1, '\n').collect::<Vec<_>>();
    let targets = lines.pop().unwrap_or_default().to_owned();
    let result = Settings::from_env(|name| match name {
        "HYPERDRIVE_TARGETS" => Some(targets.clone()),
        "CLOUDFLARE_API_TOKEN_SECRET_ID" => Some("cf".to_owned()),
        other => others().position(|v| v == other).and_then(|i| lines.get(i)).map(|s| (*s).to_owned()),
    });
    if let Err(e) = result {
        assert!(!e.problems.is_empty());
        let _ = e.to_string();
    }
});
