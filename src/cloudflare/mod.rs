//! The Cloudflare API, spoken over one reqwest client (no Rust crate has the Hyperdrive endpoints):
//! `client` holds the HTTP exchange (status and envelope checked, retries inside the deadline, the
//! `Retry-After` gate shared by a run), `errors` turns Cloudflare's error lists into messages with
//! hints, and `configs` is the Hyperdrive configs API behind the narrow [`HyperdriveConfigs`]
//! interface that actions use. Cloudflare's token routes will join as `tokens`.

mod client;
mod configs;
mod envelope;
mod errors;

pub use client::{http_client, Session};
pub use configs::{ConfigSummary, HyperdriveConfigs};
pub use errors::ApiError;
