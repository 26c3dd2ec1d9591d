//! hyperdrive-dsql-rotator keeps Cloudflare Hyperdrive configs supplied with fresh Aurora DSQL IAM
//! auth tokens. Pure logic (configuration, event, token, report) sits apart from the adapters
//! (AWS credentials and Secrets Manager, the Hyperdrive HTTP client) and from the two entry points
//! (Lambda and command line), which only wire things together.

pub mod clock;
pub mod config;
pub mod event;
pub mod secret;
pub mod token;
