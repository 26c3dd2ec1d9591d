//! The configuration parser on arbitrary input: HYPERDRIVE_TARGETS is the input; the other variables
//! are taken from its first lines when it has several, so every variable gets fuzzed.
#![no_main]

use hyperdrive_dsql_rotator::config::Settings;
use libfuzzer_sys::fuzz_target;

const VARIABLES: &[&str] = &[
    "CLOUDFLARE_ACCOUNT_ID",
    "TOKEN_TTL_SECONDS",
    "SIGNER_ROLE_ARN",
    "SIGNER_SESSION_SECONDS",
    "SIGNER_CREDENTIALS_SECRET_ID",
    "CLOUDFLARE_API_BASE_URL",
    "MAX_CONCURRENCY",
    "DRY_RUN",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut lines = text.splitn(VARIABLES.len() + 1, '\n').collect::<Vec<_>>();
    let targets = lines.pop().unwrap_or_default().to_owned();
    let result = Settings::from_env(|name| match name {
        "HYPERDRIVE_TARGETS" => Some(targets.clone()),
        "CLOUDFLARE_API_TOKEN_SECRET_ID" => Some("cf".to_owned()),
        other => VARIABLES.iter().position(|v| *v == other).and_then(|i| lines.get(i)).map(|s| (*s).to_owned()),
    });
    if let Err(e) = result {
        assert!(!e.problems.is_empty());
        let _ = e.to_string();
    }
});
