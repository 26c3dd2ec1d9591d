//! Keeping secrets out of what people read: [`Secret`], a string that must never be printed (the
//! Cloudflare API token, a DSQL auth token, AWS keys) whose `Debug` and `Display` redact; [`scrub`],
//! which removes secrets from text that came from elsewhere; and [`printable`], which makes outside
//! text safe for one log line.

use std::fmt;

/// Holds a secret string. Printing it (with `{}` or `{:?}`) shows `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Box<str>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into().into_boxed_str())
    }

    /// The secret itself: only for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Removes every occurrence of the given secrets from a text that came from elsewhere (an API error
/// message, a response body) before it is stored in a report or a log.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        if out.contains(*secret) {
            out = out.replace(*secret, "<redacted>");
        }
    }
    out
}

/// Outside text made fit for one log line: control characters (newlines, ANSI escapes) escaped,
/// and at most `max_chars` characters (then `...`).
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max_chars {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_redact() {
        let s = Secret::new("cf-token-1234567890");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{s}"), "<redacted>");
        assert_eq!(
            format!("{:#?}", Some(&s)),
            "Some(\n    Secret(<redacted>),\n)"
        );
        assert_eq!(s.expose(), "cf-token-1234567890");
    }

    #[test]
    fn scrub_removes_each_secret() {
        let text = "refused password abcdefgh123 for token zyxwvuts987";
        assert_eq!(
            scrub(text, &["abcdefgh123", "zyxwvuts987"]),
            "refused password <redacted> for token <redacted>"
        );
        // Too short to be a secret: not replaced, so that ordinary words survive.
        assert_eq!(scrub("a b", &["a"]), "a b");
    }

    #[test]
    fn printable_escapes_control_characters_and_bounds_the_length() {
        assert_eq!(
            printable("line\nforged \u{1b}[31mred", 100),
            "line\\nforged \\u{1b}[31mred"
        );
        assert_eq!(printable("abcdef", 3), "abc...");
        assert_eq!(printable("abc", 3), "abc");
    }
}
