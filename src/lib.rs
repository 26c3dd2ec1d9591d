//! hyperdrive-dsql-rotator keeps Cloudflare Hyperdrive configs supplied with fresh Aurora DSQL IAM
//! auth tokens. Pure logic (configuration, event, token, report) sits apart from the adapters
//! (AWS credentials and Secrets Manager, the Hyperdrive HTTP client) and from the two entry points
//! (Lambda and command line), which only wire things together.

pub mod cli;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod event;
pub mod hyperdrive;
pub mod lambda;
pub mod logging;
pub mod report;
pub mod retry;
pub mod run;
pub mod secret;
pub mod secrets;
pub mod token;
