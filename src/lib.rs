//! hyperdrive-dsql-rotator keeps Cloudflare Hyperdrive configs supplied with fresh Aurora DSQL IAM
//! auth tokens. The module map, in reading order, top to bottom; no module uses one above it:
//!
//! - entry points, which only adapt input and output: [`lambda`] (the Lambda runtime) and [`cli`]
//!   (one run from a shell), both producing an [`invocation::Invocation`];
//! - [`dispatch`]: runs an invocation's action and decides whether it failed;
//! - [`actions`]: one module per action (`rotate`; revoke, status and the Secrets Manager rotation
//!   steps go beside it), over the [`context::Context`] built once per container;
//! - adapters, named after the system they speak to: [`aws`] (SDK wiring, credentials, Secrets
//!   Manager) and [`cloudflare`] (the HTTP envelope and retries, Hyperdrive configs);
//! - pure pieces: [`config`] (the environment and the targets), [`invocation`] (the event),
//!   [`dsql`] (token signing, endpoint rules), [`report`] (report, log lines, metrics), [`retry`],
//!   [`redact`] (secrets kept out of output), [`time`] and [`jitter`] (injected), [`logging`].

pub mod cli;
pub mod lambda;

pub mod dispatch;

pub mod actions;
pub mod context;

pub mod aws;
pub mod cloudflare;

pub mod config;
pub mod dsql;
pub mod invocation;
pub mod jitter;
pub mod logging;
pub mod redact;
pub mod report;
pub mod retry;
pub mod time;
