//! The event parser on arbitrary JSON.
#![no_main]

use hyperdrive_dsql_rotator::invocation::Request;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Err(e) = Request::from_event(&value) {
            assert!(!e.field.is_empty());
        }
    }
});
