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

/// Query parameters whose values are secrets wherever they appear: a presigned URL's signature,
/// session token and credential scope.
const SECRET_PARAMETERS: [&str; 3] = [
    "x-amz-signature",
    "x-amz-security-token",
    "x-amz-credential",
];
/// A run of this many hexadecimal characters is taken for a bare SigV4 signature.
const BARE_SIGNATURE_HEX: usize = 64;
const REDACTED: &str = "<redacted>";

/// Removes from a text that came from elsewhere (an API error message, a response body) everything
/// secret before it is stored in a report or a log, by value and by shape:
/// - every form of each given secret: as sent, percent-decoded, percent-encoded, JSON-escaped
///   (also with `&`, `<`, `>` as `\u0026`...), and for a presigned token its signature, session
///   token and credential on their own;
/// - the value after any `X-Amz-Signature`, `X-Amz-Security-Token` or `X-Amz-Credential`, whatever
///   the case or the separator (`=`, `%3D`, `": "`);
/// - any run of 64 or more hexadecimal characters (a bare signature).
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for form in secret_forms(secrets) {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), REDACTED);
        }
    }
    bare_signatures(&secret_parameters(&out))
}

/// Every form of each secret that could come back in a message, longest first.
fn secret_forms(secrets: &[&str]) -> Vec<String> {
    let mut forms = Vec::new();
    let mut add = |s: String| {
        if s.len() >= 8 && !forms.contains(&s) {
            forms.push(s);
        }
    };
    for secret in secrets {
        let mut values = vec![(*secret).to_owned()];
        // A presigned token's parts, each a secret on its own.
        let query = secret.split_once('?').map_or(*secret, |(_, q)| q);
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            if SECRET_PARAMETERS.contains(&name.to_ascii_lowercase().as_str()) {
                values.push(value.into_owned());
            }
        }
        for v in values {
            let decoded = percent_encoding::percent_decode_str(&v)
                .decode_utf8_lossy()
                .into_owned();
            let encoded: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            let json = serde_json::to_string(&v).unwrap_or_default();
            let json = json.trim_matches('"').to_owned();
            let html_safe = json
                .replace('&', "\\u0026")
                .replace('<', "\\u003c")
                .replace('>', "\\u003e");
            for form in [v, decoded, encoded, json, html_safe] {
                add(form);
            }
        }
    }
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms
}

/// Replaces the value after each secret query parameter's name.
fn secret_parameters(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while let Some((start, name)) = SECRET_PARAMETERS
        .iter()
        .filter_map(|p| lower[at..].find(p).map(|i| (at + i, *p)))
        .min()
    {
        let mut value_start = start + name.len();
        // Separators between the name and its value: `=`, `%3D`, `":"`, spaces.
        loop {
            let rest = &lower[value_start..];
            if rest.starts_with("%3d") {
                value_start += 3;
            } else if rest.starts_with(['=', ':', '"', '\'', ' ']) {
                value_start += 1;
            } else {
                break;
            }
        }
        let value_len = text[value_start..]
            .find(|c: char| c.is_whitespace() || "&\"'<>,;\\)]}".contains(c))
            .unwrap_or(text.len() - value_start);
        out.push_str(&text[at..value_start]);
        if value_len > 0 {
            out.push_str(REDACTED);
        }
        at = value_start + value_len;
    }
    out.push_str(&text[at..]);
    out
}

/// Replaces runs of 64 or more hexadecimal characters.
fn bare_signatures(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() >= BARE_SIGNATURE_HEX {
            out.push_str(REDACTED);
        } else {
            out.push_str(&run);
        }
        run.clear();
        if c != '\0' {
            out.push(c);
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
    fn scrub_removes_every_form_of_a_presigned_token_and_anything_shaped_like_one() {
        let token = "h.dsql.us-east-1.on.aws/?Action=DbConnectAdmin&X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=ASIAEXAMPLE%2F20261201%2Fus-east-1%2Fdsql%2Faws4_request\
            &X-Amz-Date=20261201T000000Z&X-Amz-Expires=900\
            &X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%2FsessionToken%2Babc%3D%3D&X-Amz-SignedHeaders=host\
            &X-Amz-Signature=0f3c9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7";
        let decoded = percent_encoding::percent_decode_str(token).decode_utf8_lossy();
        let json_html = token.replace('&', "\\u0026");
        for echoed in [
            format!("password {token} refused"),
            format!("password {decoded} refused"),
            format!("{{\"password\":\"{json_html}\"}}"),
            "signature 0f3c9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7 wrong"
                .to_owned(),
            "session IQoJb3JpZ2luX2VjE/sessionToken+abc== expired".to_owned(),
        ] {
            let out = scrub(&echoed, &[token]);
            for part in ["0f3c9a1b2c3d4e5f6071", "IQoJb3JpZ2luX2VjE", "ASIAEXAMPLE"] {
                assert!(!out.contains(part), "{part} in {out}");
            }
            assert!(out.contains("<redacted>"), "{out}");
        }
        // By shape, without knowing the value: any case, any separator.
        let shaped = scrub(
            "x-amz-signature=abc123&X-Amz-Security-Token%3DFwoG/x+y== \"X-Amz-Credential\": \"AKIA/1\"",
            &[],
        );
        assert_eq!(
            shaped,
            "x-amz-signature=<redacted>&X-Amz-Security-Token%3D<redacted> \"X-Amz-Credential\": \"<redacted>\""
        );
        // Ordinary text, and 32-hex ids, survive.
        assert_eq!(
            scrub("config 023e105f4ecef8ad9ca31a8372d0c353 refused", &[]),
            "config 023e105f4ecef8ad9ca31a8372d0c353 refused"
        );
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
