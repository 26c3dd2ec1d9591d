//! AWS, through the official SDK crates: `sdk` wires the clients (one TLS stack, timeouts,
//! retries, the region check), `error` turns any SDK failure into one line of data (service,
//! operation, error code), `secrets_manager` reads the Cloudflare token and the signer keys, and
//! `credentials` gets the credentials that sign DSQL tokens. IAM (for key rotation and revoke) will
//! join as `iam`.

pub mod credentials;
pub mod error;
pub mod sdk;
pub mod secrets_manager;

pub use error::{AwsError, AwsFailure};
