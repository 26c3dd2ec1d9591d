use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

const VECTORS_MD: &str = include_str!("../../../../tests/fixtures/dsql-token-vectors.md");
const HOST: &str = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws";
/// 2024-08-27T00:00:00Z, the frozen clock of the vectors.
const SIGNED_AT_EPOCH: u64 = 1_724_716_800;

struct Vector {
    name: String,
    token: String,
}

fn at(secs_after_signing: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(SIGNED_AT_EPOCH + secs_after_signing)
}

/// Every `## name` section followed by a fenced block; the first fenced block (before any section) is the session token.
fn load() -> (String, Vec<Vector>) {
    let mut session_token = None;
    let mut vectors = Vec::new();
    let mut section: Option<String> = None;
    let mut lines = VECTORS_MD.lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("## ") {
            section = Some(name.trim().to_string());
        } else if line.starts_with("```") {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            let text = body.join("").trim().to_string();
            match &section {
                None => session_token = Some(text),
                Some(name) => vectors.push(Vector {
                    name: name.clone(),
                    token: text,
                }),
            }
        }
    }
    (session_token.unwrap(), vectors)
}

fn credentials_for(vector: &Vector, session_token: &str) -> SigningCredentials {
    let creds = if vector.name.starts_with("rust-test-vector") {
        SigningCredentials::new("akid", "secret")
    } else {
        SigningCredentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    };
    if vector.name.starts_with("session") {
        creds.with_session_token(session_token)
    } else {
        creds
    }
}

fn host_of(token: &str) -> &str {
    token.split_once("/?").unwrap().0
}

fn user_for(vector: &Vector) -> &'static str {
    if vector.name.contains("admin") {
        "admin"
    } else {
        "app_user"
    }
}

#[test]
fn the_fixture_has_all_ten_vectors() {
    let (session, vectors) = load();
    assert!(session.starts_with("AQoDYXdzEJr"));
    assert_eq!(
        vectors.len(),
        10,
        "{:?}",
        vectors.iter().map(|v| &v.name).collect::<Vec<_>>()
    );
}

#[test]
fn accepts_every_vector_with_and_without_credentials() {
    let (session, vectors) = load();
    for v in &vectors {
        let creds = credentials_for(v, &session);
        let user = user_for(v);
        let host = host_of(&v.token);
        let info = verify_dsql_token(&v.token, host, user, at(60), Some(&creds))
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert!(info.signature_checked);
        assert_eq!(info.signed_at, at(0), "{}", v.name);
        assert_eq!(info.region, "us-east-1");
        assert_eq!(info.access_key_id, creds.access_key_id);
        assert_eq!(
            info.has_session_token,
            v.name.starts_with("session"),
            "{}",
            v.name
        );
        assert_eq!(
            info.action,
            if user == "admin" {
                "DbConnectAdmin"
            } else {
                "DbConnect"
            }
        );
        let expires = if v.name.contains("604800") {
            604_800
        } else if v.name.contains("450") {
            450
        } else {
            900
        };
        assert_eq!(info.expires_at, at(expires), "{}", v.name);

        let unchecked = verify_dsql_token(&v.token, host, user, at(60), None).unwrap();
        assert!(!unchecked.signature_checked);
        // Upper-case origin host: compared lower-cased.
        verify_dsql_token(&v.token, &host.to_uppercase(), user, at(60), Some(&creds)).unwrap();
    }
}

#[test]
fn accepts_the_security_token_after_the_signature() {
    let (session, vectors) = load();
    let mut moved = 0;
    for v in vectors.iter().filter(|v| v.name.starts_with("session")) {
        let (host, query) = v.token.split_once("/?").unwrap();
        let mut params: Vec<&str> = query.split('&').collect();
        let pos = params
            .iter()
            .position(|p| p.starts_with("X-Amz-Security-Token="))
            .unwrap();
        let security = params.remove(pos);
        params.push(security);
        let reordered = format!("{host}/?{}", params.join("&"));
        assert!(reordered.ends_with(security));
        let creds = credentials_for(v, &session);
        verify_dsql_token(&reordered, host, user_for(v), at(1), Some(&creds))
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        moved += 1;
    }
    assert_eq!(moved, 4);
}

/// Replaces one byte so that the decoded meaning changes (a case flip inside `%2F` would not).
fn mutate(byte: u8) -> u8 {
    match byte {
        b'0'..=b'8' => byte + 1,
        b'9' => b'0',
        b'a'..=b'y' => byte + 1,
        b'z' => b'a',
        b'A'..=b'Y' => byte + 1,
        b'Z' => b'A',
        _ => b'x',
    }
}

#[test]
fn rejects_every_vector_with_any_one_byte_changed() {
    let (session, vectors) = load();
    for v in &vectors {
        let creds = credentials_for(v, &session);
        let host = host_of(&v.token);
        let user = user_for(v);
        let bytes = v.token.as_bytes();
        for i in 0..bytes.len() {
            let mut changed = bytes.to_vec();
            changed[i] = mutate(bytes[i]);
            let changed = String::from_utf8(changed).unwrap();
            let result = verify_dsql_token(&changed, host, user, at(60), Some(&creds));
            assert!(
                result.is_err(),
                "{}: byte {i} changed was accepted: {changed}",
                v.name
            );
        }
    }
}

#[test]
fn rejects_a_wrong_secret_or_session_token() {
    let (session, vectors) = load();
    for v in &vectors {
        let host = host_of(&v.token);
        let user = user_for(v);
        let mut creds = credentials_for(v, &session);
        creds.secret_access_key.push('x');
        assert_eq!(
            verify_dsql_token(&v.token, host, user, at(60), Some(&creds)),
            Err(TokenError::SignatureMismatch),
            "{}",
            v.name
        );

        let creds = credentials_for(v, &session);
        let wrong_session = match &creds.session_token {
            Some(s) => creds.clone().with_session_token(format!("{s}x")),
            None => creds.clone().with_session_token(session.clone()),
        };
        let expected = if creds.session_token.is_some() {
            TokenError::WrongSessionToken
        } else {
            TokenError::MissingSessionToken
        };
        assert_eq!(
            verify_dsql_token(&v.token, host, user, at(60), Some(&wrong_session)),
            Err(expected)
        );

        if creds.session_token.is_some() {
            let long_term = SigningCredentials {
                session_token: None,
                ..creds.clone()
            };
            assert_eq!(
                verify_dsql_token(&v.token, host, user, at(60), Some(&long_term)),
                Err(TokenError::UnexpectedSessionToken)
            );
        }
        let other_key = SigningCredentials {
            access_key_id: "AKIDOTHER".into(),
            ..creds.clone()
        };
        assert!(matches!(
            verify_dsql_token(&v.token, host, user, at(60), Some(&other_key)),
            Err(TokenError::WrongAccessKey { .. })
        ));
    }
}

#[test]
fn checks_validity_window_and_credentials_expiry() {
    let (_, vectors) = load();
    let v = vectors
        .iter()
        .find(|v| v.name == "long-term admin expires=default")
        .unwrap();
    let creds = credentials_for(v, "");
    let check = |now, creds: Option<&SigningCredentials>| {
        verify_dsql_token(&v.token, HOST, "admin", now, creds)
    };

    // 5 minutes of clock skew before X-Amz-Date.
    let just_before = UNIX_EPOCH + Duration::from_secs(SIGNED_AT_EPOCH - 300);
    check(just_before, Some(&creds)).unwrap();
    let too_early = UNIX_EPOCH + Duration::from_secs(SIGNED_AT_EPOCH - 301);
    assert!(matches!(
        check(too_early, Some(&creds)),
        Err(TokenError::NotYetValid { .. })
    ));

    check(at(899), Some(&creds)).unwrap();
    let err = check(at(900), Some(&creds)).unwrap_err();
    assert_eq!(
        err,
        TokenError::Expired {
            expired_at: at(900),
            now: at(900)
        }
    );
    assert!(
        err.to_string().contains("expired at 2024-08-27T00:15:00Z"),
        "{err}"
    );

    let temporary = creds.clone().with_expires_at(at(600));
    let info = check(at(10), Some(&temporary)).unwrap();
    assert_eq!(
        info.expires_at,
        at(600),
        "capped by the credentials' expiry"
    );
    assert!(matches!(
        check(at(600), Some(&temporary)),
        Err(TokenError::CredentialsExpired { .. })
    ));
}

#[test]
fn checks_host_action_region_service_and_expires_range() {
    let (_, vectors) = load();
    let admin = vectors
        .iter()
        .find(|v| v.name == "long-term admin expires=default")
        .unwrap();
    let now = at(1);

    let err = verify_dsql_token(
        &admin.token,
        "other.dsql.us-east-1.on.aws",
        "admin",
        now,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, TokenError::WrongHost { .. }), "{err}");

    let err = verify_dsql_token(&admin.token, HOST, "app_user", now, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DSQL auth token has Action=DbConnectAdmin but user \"app_user\" needs Action=DbConnect"
    );

    let west = admin.token.replace("us-east-1%2Fdsql", "us-west-2%2Fdsql");
    assert!(matches!(
        verify_dsql_token(&west, HOST, "admin", now, None),
        Err(TokenError::WrongRegion { .. })
    ));
    // A host that is not a DSQL endpoint: the region cannot be checked against it.
    let custom = admin.token.replacen(HOST, "db.example.com", 1);
    verify_dsql_token(&custom, "db.example.com", "admin", now, None).unwrap();

    let rds = admin.token.replace("%2Fdsql%2F", "%2Frds-db%2F");
    assert_eq!(
        verify_dsql_token(&rds, HOST, "admin", now, None),
        Err(TokenError::WrongService {
            found: "rds-db".into()
        })
    );

    for (value, ok) in [
        ("0", false),
        ("1", true),
        ("604800", true),
        ("604801", false),
    ] {
        let t = admin
            .token
            .replace("X-Amz-Expires=900", &format!("X-Amz-Expires={value}"));
        let result = verify_dsql_token(&t, HOST, "admin", at(0), None);
        match ok {
            true => {
                result.unwrap();
            }
            false => assert!(
                matches!(result, Err(TokenError::ExpiresOutOfRange { .. })),
                "{value}"
            ),
        }
    }

    let bad_forms = [
        format!("https://{}", admin.token),
        admin.token.replace("/?", "?"),
        admin
            .token
            .replace("&X-Amz-Signature", "&X-Amz-Signature=0&X-Amz-Signature"),
        admin
            .token
            .replace("X-Amz-Date=20240827T000000Z", "X-Amz-Date=2024-08-27"),
        format!("{}&Extra=1", admin.token),
        admin.token.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256&", ""),
        "postgres".to_string(),
    ];
    for t in &bad_forms {
        assert!(
            matches!(
                verify_dsql_token(t, HOST, "admin", now, None),
                Err(TokenError::BadForm(_))
            ),
            "{t}"
        );
    }
}

#[test]
fn the_test_signer_reproduces_the_vectors() {
    let (session, vectors) = load();
    for v in &vectors {
        let creds = credentials_for(v, &session);
        let action = if user_for(v) == "admin" {
            "DbConnectAdmin"
        } else {
            "DbConnect"
        };
        let info =
            verify_dsql_token(&v.token, host_of(&v.token), user_for(v), at(1), None).unwrap();
        let expires = info
            .expires_at
            .duration_since(info.signed_at)
            .unwrap()
            .as_secs();
        let signed = sign_dsql_token(
            host_of(&v.token),
            action,
            "us-east-1",
            at(0),
            expires,
            &creds,
        );
        let signature = |t: &str| t.rsplit_once("X-Amz-Signature=").unwrap().1[..64].to_string();
        assert_eq!(signature(&signed), signature(&v.token), "{}", v.name);
    }
}

#[test]
fn debug_redacts_the_secret_and_session_token() {
    let creds =
        SigningCredentials::new("AKIDEXAMPLE", "very-secret").with_session_token("session-secret");
    let shown = format!("{creds:?}");
    assert!(shown.contains("AKIDEXAMPLE"));
    assert!(
        !shown.contains("very-secret") && !shown.contains("session-secret"),
        "{shown}"
    );
}
