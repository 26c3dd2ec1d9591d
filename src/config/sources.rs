//! Where a fleet's configuration comes from when one variable is not enough: the Cloudflare API
//! token secret of each account (`CLOUDFLARE_API_TOKEN_SECRET_IDS`), and the targets from a file
//! shipped beside the executable (`HYPERDRIVE_TARGETS_FILE`), since Lambda caps a function's whole
//! environment at 4 KB.

use super::values::account_id;
use super::{kind, problem, Problem, Target};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest targets file read (about 20,000 targets); a bigger one is refused, not read.
pub const MAX_TARGETS_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// `CLOUDFLARE_API_TOKEN_SECRET_IDS`: a JSON object from Cloudflare account id to the name or ARN
/// of the secret that holds that account's API token.
pub(super) fn token_secret_ids(
    text: &str,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    const VAR: &str = "CLOUDFLARE_API_TOKEN_SECRET_IDS";
    const FIX: &str = r#"use a JSON object from account id to secret, e.g. {"0123456789abcdef0123456789abcdef": "cloudflare/team-a"}"#;
    let mut out = BTreeMap::new();
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            problems.push(problem(VAR, format!("is not valid JSON ({e}); {FIX}")));
            return out;
        }
    };
    let Value::Object(map) = value else {
        problems.push(problem(
            VAR,
            format!("is {}, not an object; {FIX}", kind(&value)),
        ));
        return out;
    };
    for (account, secret) in map {
        let at = format!("{VAR}.{account}");
        let account = match account_id(&account) {
            Ok(a) => a,
            Err(m) => {
                problems.push(problem(at, m));
                continue;
            }
        };
        match secret {
            Value::String(s)
                if !s.is_empty() && s.len() <= 2048 && s.bytes().all(|b| b.is_ascii_graphic()) =>
            {
                if out.insert(account.clone(), s).is_some() {
                    problems.push(problem(
                        at,
                        "is given twice (account ids are compared in lower case); keep one entry",
                    ));
                }
            }
            Value::String(_) => problems.push(problem(
                at,
                "is empty, too long or has spaces; give the secret's name or ARN",
            )),
            other => problems.push(problem(
                at,
                format!(
                    "is {}, not a string; give the secret's name or ARN in quotes",
                    kind(&other)
                ),
            )),
        }
    }
    out
}

/// After the targets are read: every account used needs a token secret (its own, or the default),
/// and an entry for an account no target uses is worth a warning (a mistyped account id).
pub(super) fn check_token_secrets(
    targets: &[Target],
    default: Option<&str>,
    per_account: &BTreeMap<String, String>,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) {
    if per_account.is_empty() || targets.is_empty() {
        return; // without a map, a missing default is reported with the variable
    }
    let mut uncovered: Vec<&str> = targets
        .iter()
        .map(|t| t.account_id.as_str())
        .filter(|a| default.is_none() && !per_account.contains_key(*a))
        .collect();
    uncovered.sort_unstable();
    uncovered.dedup();
    if !uncovered.is_empty() {
        problems.push(problem(
            "CLOUDFLARE_API_TOKEN_SECRET_ID",
            format!(
                "is not set and CLOUDFLARE_API_TOKEN_SECRET_IDS has no entry for account {}; add the account's secret there, or set this variable as the default",
                uncovered.join(", ")
            ),
        ));
    }
    for account in per_account.keys() {
        if !targets.iter().any(|t| &t.account_id == account) {
            warnings.push(problem(
                format!("CLOUDFLARE_API_TOKEN_SECRET_IDS.{account}"),
                "is the account of no target, so its secret is never read; check the account id or remove the entry",
            ));
        }
    }
}

/// Where `HYPERDRIVE_TARGETS_FILE` points: an absolute path as is, a relative one next to the
/// executable (so a file shipped beside `bootstrap` in the deployment package works).
pub fn resolve_targets_file(path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        return p.to_owned();
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(p)))
        .unwrap_or_else(|| p.to_owned())
}

/// The text of the targets file, at most [`MAX_TARGETS_FILE_BYTES`].
pub(super) fn read_targets_file(path: &str, problems: &mut Vec<Problem>) -> Option<String> {
    const VAR: &str = "HYPERDRIVE_TARGETS_FILE";
    let resolved = resolve_targets_file(path);
    let shown = resolved.display();
    let file = match std::fs::File::open(&resolved) {
        Ok(f) => f,
        Err(e) => {
            problems.push(problem(
                VAR,
                format!("{path:?} (resolved to {shown}) could not be opened ({}); ship the file beside bootstrap in the deployment package or give an absolute path", e.kind()),
            ));
            return None;
        }
    };
    let mut text = String::new();
    match file
        .take(MAX_TARGETS_FILE_BYTES + 1)
        .read_to_string(&mut text)
    {
        Ok(n) if n as u64 > MAX_TARGETS_FILE_BYTES => {
            problems.push(problem(
                VAR,
                format!("{shown} is larger than {MAX_TARGETS_FILE_BYTES} bytes; split the fleet between two functions"),
            ));
            None
        }
        Ok(_) => Some(text),
        Err(e) => {
            problems.push(problem(
                VAR,
                format!("{shown} could not be read as UTF-8 text ({}); write the targets as a JSON array in UTF-8", e.kind()),
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    const OTHER: &str = "fedcba9876543210fedcba9876543210";

    fn two_accounts() -> String {
        format!(
            r#"[{{"name":"a","host":"{HOST}"}},{{"name":"b","host":"{HOST}","account_id":"{OTHER}"}}]"#
        )
    }

    #[test]
    fn each_account_reads_its_own_token_secret_or_the_default() {
        let map = format!(r#"{{"{}": "cf/team-b"}}"#, OTHER.to_uppercase());
        let s = parse(&base(&[
            ("HYPERDRIVE_TARGETS", &two_accounts()),
            ("CLOUDFLARE_API_TOKEN_SECRET_IDS", &map),
        ]))
        .unwrap();
        assert_eq!(s.token_secret_for(ACCOUNT), "cloudflare/hyperdrive");
        assert_eq!(s.token_secret_for(OTHER), "cf/team-b");

        // No default: every account used needs an entry, and the error names the one without.
        let p = one_problem(&[
            ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
            ("HYPERDRIVE_TARGETS", &two_accounts()),
            ("CLOUDFLARE_API_TOKEN_SECRET_IDS", &map),
        ]);
        assert_eq!(p.field, "CLOUDFLARE_API_TOKEN_SECRET_ID");
        assert!(
            p.message.contains(ACCOUNT) && !p.message.contains(OTHER),
            "{p}"
        );
        let both = format!(r#"{{"{ACCOUNT}": "cf/team-a", "{OTHER}": "cf/team-b"}}"#);
        let s = parse(&[
            ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT),
            ("HYPERDRIVE_TARGETS", &two_accounts()),
            ("CLOUDFLARE_API_TOKEN_SECRET_IDS", &both),
        ])
        .unwrap();
        assert_eq!(s.token_secret_id, None);
        assert_eq!(s.token_secret_for(ACCOUNT), "cf/team-a");

        // An entry no target uses is accepted with a warning (a mistyped account id).
        let stray = format!(r#"{{"{OTHER}": "cf/team-b"}}"#);
        let one = format!(r#"[{{"name":"a","host":"{HOST}"}}]"#);
        let s = parse(&base(&[
            ("HYPERDRIVE_TARGETS", &one),
            ("CLOUDFLARE_API_TOKEN_SECRET_IDS", &stray),
        ]))
        .unwrap();
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(
            s.warnings[0].field,
            format!("CLOUDFLARE_API_TOKEN_SECRET_IDS.{OTHER}")
        );
    }

    #[test]
    fn a_bad_token_secret_map_is_named_with_a_fix() {
        let one = format!(r#"[{{"name":"a","host":"{HOST}"}}]"#);
        for (map, field, text) in [
            (
                "[1]".to_owned(),
                "CLOUDFLARE_API_TOKEN_SECRET_IDS".to_owned(),
                "not an object",
            ),
            (
                "{".to_owned(),
                "CLOUDFLARE_API_TOKEN_SECRET_IDS".to_owned(),
                "not valid JSON",
            ),
            (
                r#"{"acme": "cf"}"#.to_owned(),
                "CLOUDFLARE_API_TOKEN_SECRET_IDS.acme".to_owned(),
                "32 hexadecimal",
            ),
            (
                format!(r#"{{"{OTHER}": 7}}"#),
                format!("CLOUDFLARE_API_TOKEN_SECRET_IDS.{OTHER}"),
                "not a string",
            ),
            (
                format!(r#"{{"{OTHER}": "a b"}}"#),
                format!("CLOUDFLARE_API_TOKEN_SECRET_IDS.{OTHER}"),
                "spaces",
            ),
            (
                format!(r#"{{"{OTHER}": "x", "{}": "y"}}"#, OTHER.to_uppercase()),
                format!("CLOUDFLARE_API_TOKEN_SECRET_IDS.{}", OTHER.to_uppercase()),
                "given twice",
            ),
        ] {
            let p = one_problem(&base(&[
                ("HYPERDRIVE_TARGETS", &one),
                ("CLOUDFLARE_API_TOKEN_SECRET_IDS", &map),
            ]));
            assert_eq!(p.field, field, "{map}: {p}");
            assert!(p.message.contains(text), "{map}: {p}");
        }
    }

    #[test]
    fn targets_come_from_a_file_with_problems_named_under_the_variable() {
        let dir = std::env::temp_dir().join(format!("targets-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("targets.json");
        let many: Vec<String> = (0..200)
            .map(|i| format!(r#"{{"name":"db-{i:03}","host":"{HOST}"}}"#))
            .collect();
        std::fs::write(&file, format!("[{}]", many.join(","))).unwrap();
        let path = file.to_str().unwrap();
        let s = parse(&base(&[("HYPERDRIVE_TARGETS_FILE", path)])).unwrap();
        assert_eq!(s.targets.len(), 200);
        assert_eq!(s.targets[199].name, "db-199");

        std::fs::write(
            &file,
            format!(r#"[{{"name":"a","host":"{HOST}","port":0}}]"#),
        )
        .unwrap();
        let p = one_problem(&base(&[("HYPERDRIVE_TARGETS_FILE", path)]));
        assert_eq!(p.field, "HYPERDRIVE_TARGETS_FILE[0].port");

        let p = one_problem(&base(&[
            ("HYPERDRIVE_TARGETS_FILE", path),
            ("HYPERDRIVE_TARGETS", "[]"),
        ]));
        assert_eq!(p.field, "HYPERDRIVE_TARGETS_FILE");
        assert!(p.message.contains("both set"), "{p}");

        let missing = dir.join("nope.json");
        let p = one_problem(&base(&[(
            "HYPERDRIVE_TARGETS_FILE",
            missing.to_str().unwrap(),
        )]));
        assert_eq!(p.field, "HYPERDRIVE_TARGETS_FILE");
        assert!(
            p.message.contains("could not be opened") && p.message.contains("nope.json"),
            "{p}"
        );

        std::fs::write(&file, vec![b' '; MAX_TARGETS_FILE_BYTES as usize + 1]).unwrap();
        let p = one_problem(&base(&[("HYPERDRIVE_TARGETS_FILE", path)]));
        assert!(p.message.contains("larger than"), "{p}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_relative_targets_file_is_next_to_the_executable() {
        let exe_dir = std::env::current_exe()
            .unwrap()
            .parent()
            .unwrap()
            .to_owned();
        assert_eq!(
            resolve_targets_file("targets.json"),
            exe_dir.join("targets.json")
        );
        assert_eq!(
            resolve_targets_file("/etc/targets.json"),
            Path::new("/etc/targets.json")
        );
    }

    #[test]
    fn a_target_s_mtls_is_kept_and_a_verify_mode_without_a_ca_warns() {
        let t = format!(
            r#"[{{"name":"a","host":"{HOST}","mtls":{{"sslmode":"verify-full","ca_certificate_id":"ca-1"}}}},
                {{"name":"b","host":"{HOST}","mtls":{{"sslmode":"verify-ca"}}}}]"#
        );
        let s = parse(&base(&[("HYPERDRIVE_TARGETS", &t)])).unwrap();
        assert_eq!(
            s.targets[0].mtls.as_ref().unwrap()["ca_certificate_id"],
            "ca-1"
        );
        assert_eq!(s.warnings.len(), 1);
        assert_eq!(s.warnings[0].field, "HYPERDRIVE_TARGETS[1].mtls.sslmode");
        let bad = format!(r#"[{{"name":"a","host":"{HOST}","mtls":{{"sslmode":"verify"}}}}]"#);
        let p = one_problem(&base(&[("HYPERDRIVE_TARGETS", &bad)]));
        assert_eq!(p.field, "HYPERDRIVE_TARGETS[0].mtls.sslmode");
    }
}
