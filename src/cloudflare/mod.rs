//! The Cloudflare API, spoken over one reqwest client (no Rust crate has the Hyperdrive endpoints):
//! `client` holds the HTTP exchange (status and envelope checked, retries inside the deadline, the
//! `Retry-After` gate shared by a run), `errors` turns Cloudflare's error lists into messages with
//! hints, and `configs` is the Hyperdrive configs API behind the narrow [`HyperdriveConfigs`]
//! interface that actions use, and `tokens` reads what the API token says of itself.

mod client;
mod configs;
mod envelope;
mod errors;
mod tokens;

pub use client::{http_client, Session};
pub use configs::{ConfigSummary, HyperdriveConfigs};
pub use errors::ApiError;
pub use tokens::TokenState;
