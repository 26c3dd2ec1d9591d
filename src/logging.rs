//! Log setup: `lambda_runtime`'s defaults (level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`, JSON when
//! `AWS_LAMBDA_LOG_FORMAT=JSON`), plus a cap on crates that log secrets at TRACE: `aws-sigv4` prints
//! the canonical request, which holds the session token of the signing credentials.

use lambda_runtime::tracing::subscriber::filter::{Directive, EnvFilter, LevelFilter};
use lambda_runtime::tracing::subscriber::fmt::MakeWriter;
use std::str::FromStr;

/// Crates capped at DEBUG whatever level is asked for, because their TRACE output holds secrets.
const CAPS: &[&str] = &["aws_sigv4=debug"];

/// The filter for `level`, with the caps. `RUST_LOG` directives apply too (the caps win).
pub fn filter(level: LevelFilter) -> EnvFilter {
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    for cap in CAPS {
        if let Ok(d) = Directive::from_str(cap) {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Installs the global subscriber writing to `writer` (stdout in Lambda, stderr on the command line).
pub fn init<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|l| LevelFilter::from_str(&l).ok())
        .unwrap_or(LevelFilter::INFO);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(level))
        .with_writer(writer);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
