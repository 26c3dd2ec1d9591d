//! No secret reaches the logs (captured at TRACE, every crate), the report, the errors, or `Debug`:
//! not the Cloudflare token, not a DSQL token or its signature, not an AWS secret key or session token.

mod support;

use hyperdrive_emulator::Fault;
use serde_json::json;
use support::*;

fn forms(secret: &str) -> Vec<String> {
    let encoded: String = form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    vec![secret.to_owned(), encoded]
}

fn decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[test]
fn no_secret_in_logs_reports_errors_or_debug() {
    let capture = Capture::default();
    let _guard = capture.install();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    let mut shown = String::new(); // everything a person could see besides the logs
    let mut secrets: Vec<String> = [CF_TOKEN, SECRET_KEY, SESSION_TOKEN]
        .iter()
        .flat_map(|s| forms(s))
        .collect();

    rt.block_on(async {
        // Execution-role credentials (with a session token), create + update + a 2013 refusal,
        // a 429 and a dropped connection on the way.
        let w = World::with_credentials(execution_role_credentials()).await;
        w.emulator
            .insert_config(ACCOUNT, preset("orders-db", HOST_A));
        w.emulator.set_faults(vec![
            Fault::respond("PATCH", 429).with_retry_after(0).times(1),
            Fault::drop_after("POST").times(1),
            Fault::cloudflare_error(400, 2013, "password authentication failed")
                .for_origin_host(HOST_B)
                .times(1),
        ]);
        let targets = [
            target("orders-db", HOST_A),
            target("users-db", HOST_A),
            json!({"name": "broken-db", "host": HOST_B, "user": "app"}),
        ];
        let handler = w.handler(&targets, &[]);
        shown.push_str(&format!("{handler:?}"));
        match handler.handle(event(json!({}), 60)).await {
            Ok(report) => shown.push_str(&serde_json::to_string(&report).unwrap()),
            Err(e) => shown.push_str(&format!("{e} {e:?}")),
        }
        let report = run_report(
            &w.context(&w.env(&targets, &[])),
            std::time::Duration::from_secs(30),
        )
        .await;
        shown.push_str(&serde_json::to_string(&report).unwrap());
        shown.push_str(&format!("{report:?}"));

        // A signer role through moto's STS: its session keys are secrets too.
        let role = World::new().await;
        role.emulator.set_credentials(None);
        let h = role.handler(
            &[target("orders-db", HOST_A)],
            &[(
                "SIGNER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/dsql-signer",
            )],
        );
        shown.push_str(&format!("{h:?}"));
        let r = h
            .handle(event(json!({}), 60))
            .await
            .expect("role run succeeds");
        shown.push_str(&serde_json::to_string(&r).unwrap());

        for world in [&w, &role] {
            for account in [ACCOUNT, OTHER_ACCOUNT] {
                for c in world.emulator.configs(account) {
                    if let Some(token) = c.password {
                        secrets.push(token.clone());
                        secrets.push(signature(&token));
                        if let Some(session) = token.split("X-Amz-Security-Token=").nth(1) {
                            let session = session.split('&').next().unwrap();
                            secrets.push(session.to_owned());
                            secrets.push(decode(session));
                        }
                    }
                }
            }
        }
    });

    let logs = capture.text();
    assert!(
        logs.contains("target updated")
            && logs.contains("target failed")
            && logs.contains("run finished"),
        "the capture works"
    );
    assert!(
        logs.lines().count() > 50,
        "TRACE logs of every crate were captured"
    );
    assert!(
        secrets.len() > 12,
        "the scenario produced tokens to look for"
    );
    for secret in &secrets {
        assert!(secret.len() >= 16, "too short to be meaningful: {secret}");
        for (what, text) in [("logs", &logs), ("report, errors or Debug", &shown)] {
            if let Some(at) = text.find(secret.as_str()) {
                let from = text[..at].rfind('\n').map_or(0, |i| i + 1);
                panic!(
                    "a secret appears in the {what}: ...{}",
                    &text[from..(at + 20).min(text.len())]
                );
            }
        }
    }
}
