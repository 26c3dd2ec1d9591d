//! Log setup, as `lambda_runtime`'s: the level from `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG` (which may
//! also name targets: `info,hyper=debug`), default INFO; JSON when `AWS_LAMBDA_LOG_FORMAT=JSON`.
//! Built on tracing-subscriber's `Targets` filter rather than `EnvFilter` (whose regex engine would be
//! a quarter of a megabyte of the binary), plus a cap on crates that log secrets at TRACE: `aws-sigv4`
//! prints the canonical request, which holds the session token of the signing credentials, and
//! `aws-smithy-runtime` the response it received, body included.

use std::str::FromStr;
use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{filter_fn, FilterExt, LevelFilter, Targets};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Layer;

/// Targets never logged at TRACE, whatever level is asked for: `aws_sigv4` prints the canonical
/// request (with the session token), `aws_smithy_runtime` the whole response (a secret's value, when
/// the body is already in memory).
const NO_TRACE: &[&str] = &["aws_sigv4", "aws_smithy_runtime"];

fn capped(meta: &Metadata<'_>) -> bool {
    !(*meta.level() == Level::TRACE && NO_TRACE.iter().any(|t| meta.target().starts_with(t)))
}

/// The subscriber for a level (`AWS_LAMBDA_LOG_LEVEL`, or `RUST_LOG` directives), writing to `writer`.
pub fn subscriber<W>(
    directives: Option<&str>,
    json: bool,
    writer: W,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let targets = directives
        .and_then(|d| {
            LevelFilter::from_str(d)
                .map(|level| Targets::new().with_default(level))
                .or_else(|_| Targets::from_str(d))
                .ok()
        })
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let filter = targets.and(filter_fn(capped));
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_writer(writer);
    let registry = tracing_subscriber::registry();
    if json {
        Box::new(registry.with(fmt.json().with_filter(filter)))
    } else {
        Box::new(registry.with(fmt.with_filter(filter)))
    }
}

/// Installs the global subscriber from the environment, writing to `writer` (stdout in Lambda,
/// stderr on the command line).
pub fn init<W>(writer: W)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let directives = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let _ =
        tracing::subscriber::set_global_default(subscriber(directives.as_deref(), json, writer));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> MakeWriter<'a> for Buf {
        type Writer = Buf;
        fn make_writer(&'a self) -> Buf {
            self.clone()
        }
    }

    fn logged(directives: Option<&str>, json: bool) -> String {
        let buf = Buf::default();
        tracing::subscriber::with_default(subscriber(directives, json, buf.clone()), || {
            tracing::info!(target: "app", "info line");
            tracing::debug!(target: "app", "debug line");
            tracing::trace!(target: "aws_sigv4::http_request", "canonical request with the session token");
            tracing::debug!(target: "aws_sigv4::http_request", "sigv4 debug line");
        });
        let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        out
    }

    #[test]
    fn levels_targets_and_the_cap() {
        let default = logged(None, false);
        assert!(
            default.contains("info line") && !default.contains("debug line"),
            "{default}"
        );
        let debug = logged(Some("debug"), false);
        assert!(debug.contains("debug line") && debug.contains("sigv4 debug line"));
        let trace = logged(Some("TRACE"), false);
        assert!(
            !trace.contains("session token"),
            "aws_sigv4 is capped below TRACE: {trace}"
        );
        let asked = logged(Some("warn,aws_sigv4=trace"), false);
        assert!(
            !asked.contains("session token") && !asked.contains("info line"),
            "{asked}"
        );
        let bad = logged(Some("not a level=="), false);
        assert!(
            bad.contains("info line"),
            "unparsable directives fall back to INFO: {bad}"
        );
    }

    #[test]
    fn json_lines_when_asked() {
        let out = logged(None, true);
        let line: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
        assert_eq!(line["fields"]["message"], "info line");
        assert_eq!(line["level"], "INFO");
        assert!(!out.contains('\u{1b}'), "no ANSI colours in CloudWatch");
    }
}
