//! AWS, through the official SDK crates: `sdk` wires the clients (one TLS stack, timeouts,
//! retries, the region check), `error` turns any SDK failure into one line of data (service,
//! operation, error code), `secrets_manager` reads the Cloudflare token and the signer keys, and
//! `credentials` gets the credentials that sign DSQL tokens, and `iam` manages the signer's
//! access keys and the signer role's revoke policy.

pub mod credentials;
pub mod error;
pub mod iam;
pub mod sdk;
pub mod secret_contents;
pub mod secrets_manager;

pub use error::{AwsError, AwsFailure};
