//! The figure behind the promise: a deterministic simulation, in virtual time, of scheduled runs
//! over days, for each signing mode with its default schedule, through outages of each dependency
//! (Cloudflare 5xx and 429 windows, STS down, Secrets Manager down, a cluster refusing tokens with
//! 2013) of 15 minutes, 45 minutes, 2 hours, 1 day and 3 days. It measures, per config, the minutes
//! it held no valid token, and whether the dark alarm's rule, evaluated on the metrics the runs
//! emit, fired at least 30 minutes before the first dark minute. Run it with
//! `cargo test --test outage_simulation -- --nocapture` to see the table the README shows.
//!
//! What is simulated: the function itself (the rotate action, in process) on a virtual clock, the
//! Hyperdrive emulator on the same virtual clock (its connection test checks each token's expiry
//! against it), and AWS answered by the test (STS sessions that expire an hour after their virtual
//! issue time). Only the runs matter, so time jumps from one scheduled run to the next (a run takes
//! milliseconds of real time), and over the rest of an outage once a run inside it pushed nothing
//! and the alarm has fired: every run until the outage ends would do the same.

mod support;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_types::body::SdkBody;
use hyperdrive_dsql_rotator::config::Settings;
use hyperdrive_dsql_rotator::context::Context;
use hyperdrive_dsql_rotator::jitter::FixedJitter;
use hyperdrive_dsql_rotator::report::{rfc3339, Outcome};
use hyperdrive_dsql_rotator::retry::RetryPolicy;
use hyperdrive_dsql_rotator::time::Clock;
use hyperdrive_emulator::{Emulator, Fault, Options};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::{ACCOUNT, CF_TOKEN, HOST_A, HOST_B};

const MIN: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;
/// The alarm must fire this long before a config goes dark.
const LEAD: u64 = 30 * MIN;

/// A virtual wall clock shared by the function, the fake AWS and the test; monotonic time is real.
#[derive(Debug, Clone)]
struct VirtualClock(Arc<Mutex<SystemTime>>);

impl Clock for VirtualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
    #[allow(clippy::disallowed_methods)]
    fn instant(&self) -> tokio::time::Instant {
        tokio::time::Instant::now()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    SignerRole,
    LongTermKeys,
    ExecutionRole,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::SignerRole => "signer role (every 15 min)",
            Mode::LongTermKeys => "long-term keys (daily)",
            Mode::ExecutionRole => "execution role (every 15 min)",
        }
    }
    /// The stacks' default schedule.
    fn interval(self) -> u64 {
        match self {
            Mode::LongTermKeys => DAY,
            _ => 15 * MIN,
        }
    }
    /// The token lifetime the mode guarantees (none with the execution role).
    fn guaranteed(self) -> Option<u64> {
        match self {
            Mode::SignerRole => Some(HOUR),
            Mode::LongTermKeys => Some(7 * DAY),
            Mode::ExecutionRole => None,
        }
    }
    /// The outage the design survives: one token lifetime less one schedule interval.
    fn slack(self) -> Option<u64> {
        self.guaranteed().map(|g| g - self.interval())
    }
    /// The dark alarm's threshold on MinSecondsToDark: the lead time plus one interval (the metric
    /// arrives once per run), the stacks' default.
    fn threshold(self) -> u64 {
        LEAD + self.interval()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outage {
    Cloudflare5xx,
    Cloudflare429,
    StsDown,
    SecretsManagerDown,
    ClusterRefuses,
}

impl Outage {
    const ALL: [Outage; 5] = [
        Outage::Cloudflare5xx,
        Outage::Cloudflare429,
        Outage::StsDown,
        Outage::SecretsManagerDown,
        Outage::ClusterRefuses,
    ];
    fn name(self) -> &'static str {
        match self {
            Outage::Cloudflare5xx => "Cloudflare 5xx",
            Outage::Cloudflare429 => "Cloudflare 429",
            Outage::StsDown => "STS down",
            Outage::SecretsManagerDown => "Secrets Manager down",
            Outage::ClusterRefuses => "cluster refuses (2013)",
        }
    }
}

/// What the fake AWS must do now.
#[derive(Default)]
struct AwsState {
    sts_down: bool,
    secrets_down: bool,
    /// Access key of each STS session to its expiry.
    sessions: HashMap<String, SystemTime>,
    issued: u64,
}

const KEYS_SECRET: &str = "sim/signer-keys";
const USER_KEY: &str = "AKIASIMULATEDUSER001";

/// AWS answered by the simulation: Secrets Manager (the Cloudflare token and the signer keys) and
/// STS (sessions that expire an hour after their virtual issue time).
async fn fake_aws(clock: VirtualClock, state: Arc<Mutex<AwsState>>, own: Credentials) -> SdkConfig {
    let client = infallible_client_fn(move |req: http::Request<SdkBody>| {
        let host = req.uri().host().unwrap_or_default().to_owned();
        let body = std::str::from_utf8(req.body().bytes().unwrap_or_default())
            .unwrap_or_default()
            .to_owned();
        let mut s = state.lock().unwrap();
        let (status, text) = if host.starts_with("sts") {
            if s.sts_down {
                (503, "<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>down</Message></Error></ErrorResponse>".to_owned())
            } else {
                s.issued += 1;
                let key = format!("ASIASIMULATED{:07}", s.issued);
                let expires = clock.now() + Duration::from_secs(HOUR);
                s.sessions.insert(key.clone(), expires);
                (200, format!(
                    "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>{key}</AccessKeyId>\
                     <SecretAccessKey>simulated/secret</SecretAccessKey><SessionToken>simulated-session-{}</SessionToken>\
                     <Expiration>{}</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>",
                    s.issued,
                    rfc3339(expires)
                ))
            }
        } else if s.secrets_down {
            (
                500,
                json!({"__type": "InternalServiceError", "message": "down"}).to_string(),
            )
        } else if body.contains("AWSPENDING") {
            (
                400,
                json!({"__type": "ResourceNotFoundException", "message": "no pending version"})
                    .to_string(),
            )
        } else if body.contains(KEYS_SECRET) {
            let keys =
                json!({"access_key_id": USER_KEY, "secret_access_key": "simulated/user/secret"});
            (
                200,
                json!({"Name": KEYS_SECRET, "SecretString": keys.to_string()}).to_string(),
            )
        } else {
            (
                200,
                json!({"Name": "cf", "SecretString": CF_TOKEN}).to_string(),
            )
        };
        http::Response::builder()
            .status(status)
            .body(SdkBody::from(text))
            .unwrap()
    });
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(own)
        .http_client(client)
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .load()
        .await
}

/// What one scenario measured.
#[derive(Debug)]
struct Outcome_ {
    dark_minutes: u64,
    /// Minutes between the first alarm and the first dark minute (negative: after it).
    lead_minutes: Option<i64>,
    alarmed: bool,
    runs: usize,
}

async fn scenario(mode: Mode, outage: Outage, duration: u64) -> Outcome_ {
    let t0 = UNIX_EPOCH + Duration::from_secs(1_796_083_200); // 2026-12-01T00:00:00Z
    let clock = VirtualClock(Arc::new(Mutex::new(t0)));
    let state = Arc::new(Mutex::new(AwsState::default()));
    // The execution role's credentials: temporary, expiry unpublished (the simulation gives them
    // an hour from each signing, the short end of what is reported).
    let own = match mode {
        Mode::ExecutionRole => {
            Credentials::new("ASIAEXECUTIONROLE001", "s", Some("t".into()), None, "env")
        }
        _ => Credentials::new("AKIAEXECUTIONROLE001", "s", None, None, "env"),
    };
    let sdk = fake_aws(clock.clone(), state.clone(), own).await;
    let emulator = Emulator::start(Options::new(CF_TOKEN)).await.unwrap();
    emulator.set_credentials(None);
    let mut env: HashMap<&str, String> = HashMap::from([
        ("CLOUDFLARE_ACCOUNT_ID", ACCOUNT.to_owned()),
        ("CLOUDFLARE_API_TOKEN_SECRET_ID", "cf".to_owned()),
        ("CLOUDFLARE_API_BASE_URL", emulator.base_url()),
        (
            "HYPERDRIVE_TARGETS",
            json!([{"name": "orders-db", "host": HOST_A}, {"name": "users-db", "host": HOST_B}])
                .to_string(),
        ),
    ]);
    match mode {
        Mode::SignerRole => {
            env.insert(
                "SIGNER_ROLE_ARN",
                "arn:aws:iam::123456789012:role/signer".into(),
            );
        }
        Mode::LongTermKeys => {
            env.insert("SIGNER_CREDENTIALS_SECRET_ID", KEYS_SECRET.into());
        }
        Mode::ExecutionRole => {}
    }
    let settings = Settings::from_env(|k| env.get(k).cloned()).unwrap();
    let context = Context::new(settings, &sdk)
        .unwrap()
        .with_clock(Arc::new(clock.clone()))
        .with_jitter(Arc::new(FixedJitter(0.0)))
        .with_retry_policy(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(2),
            attempt_timeout: Duration::from_secs(5),
        });

    let interval = mode.interval();
    // The outage starts a minute after the third run and lasts `duration`.
    let start = 2 * interval + MIN;
    let end = start + duration;
    let lifetime = mode.guaranteed().unwrap_or(HOUR);
    let horizon = end + lifetime + 2 * interval;
    // Per target: (when pushed, until when really valid), in seconds from t0.
    let mut held: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
    let mut first_alarm: Option<u64> = None;
    let mut runs = 0;
    let mut t = 0;
    while t <= horizon {
        let now = t0 + Duration::from_secs(t);
        *clock.0.lock().unwrap() = now;
        emulator.set_now(Some(now));
        let down = (start..end).contains(&t);
        {
            let mut s = state.lock().unwrap();
            s.sts_down = down && outage == Outage::StsDown;
            s.secrets_down = down && outage == Outage::SecretsManagerDown;
        }
        emulator.set_faults(match (down, outage) {
            (true, Outage::Cloudflare5xx) => vec![Fault::respond("*", 503)],
            (true, Outage::Cloudflare429) => vec![Fault::respond("*", 429)],
            (true, Outage::ClusterRefuses) => {
                vec![
                    Fault::cloudflare_error(400, 2013, "password authentication failed")
                        .for_origin_host(HOST_B),
                ]
            }
            _ => vec![],
        });
        let report = support::run_report(&context, Duration::from_secs(30)).await;
        runs += 1;
        // The dark alarm: MinSecondsToDark below the threshold, or missing (breaching).
        let breaching = report
            .min_seconds_to_dark
            .is_none_or(|left| left < mode.threshold());
        if breaching && first_alarm.is_none() {
            first_alarm = Some(t);
        }
        let mut pushed = false;
        for r in &report.results {
            if !matches!(r.outcome, Outcome::Created | Outcome::Updated) {
                continue;
            }
            pushed = true;
            let config = emulator
                .configs(ACCOUNT)
                .into_iter()
                .find(|c| c.name == r.name)
                .unwrap();
            let token = config
                .token
                .expect("the emulator checked the token it took");
            // What really bounds the token: X-Amz-Expires, and the credentials that signed it.
            let mut until = token.expires_at;
            if let Some(session) = state.lock().unwrap().sessions.get(&token.access_key_id) {
                until = until.min(*session);
            }
            if mode == Mode::ExecutionRole {
                until = until.min(token.signed_at + Duration::from_secs(HOUR));
            }
            let until = until.duration_since(t0).unwrap().as_secs();
            held.entry(r.name.clone()).or_default().push((t, until));
        }
        t += interval;
        // Inside an outage, once the alarm has fired, a run that pushed nothing is what every
        // run until the outage ends would be: jump to the first scheduled run after it. (A cluster
        // refusing tokens still lets the other config take its tokens, so that outage is run
        // through run by run.)
        if down && !pushed && first_alarm.is_some() && t < end {
            t += (end - t).div_ceil(interval) * interval;
        }
    }

    // Dark minutes: a minute whose start is at or past the validity of the token held then.
    let mut dark_minutes = 0;
    let mut first_dark: Option<u64> = None;
    for pushes in held.values() {
        let mut m = 0;
        while m <= horizon {
            let valid = pushes
                .iter()
                .rev()
                .find(|(at, _)| *at <= m)
                .is_some_and(|(_, until)| m < *until);
            if !valid {
                dark_minutes += 1;
                first_dark = Some(first_dark.map_or(m, |f| f.min(m)));
            }
            m += MIN;
        }
    }
    let lead_minutes = match (first_dark, first_alarm) {
        (Some(d), Some(a)) => Some((d as i64 - a as i64) / 60),
        _ => None,
    };
    Outcome_ {
        dark_minutes,
        lead_minutes,
        alarmed: first_alarm.is_some(),
        runs,
    }
}

fn human(secs: u64) -> String {
    match secs {
        s if s < HOUR => format!("{} min", s / MIN),
        s if s < DAY => format!("{} h", s / HOUR),
        s => format!("{} d", s / DAY),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outages_shorter_than_the_slack_leave_no_config_dark_and_the_alarm_comes_first() {
    let durations = [15 * MIN, 45 * MIN, 2 * HOUR, DAY, 3 * DAY];
    let mut table = String::from(
        "| mode | outage | 15 min | 45 min | 2 h | 1 d | 3 d |\n|---|---|---|---|---|---|---|\n",
    );
    let mut failures = Vec::new();
    let mut total_runs = 0;
    for mode in [Mode::SignerRole, Mode::LongTermKeys, Mode::ExecutionRole] {
        for outage in Outage::ALL {
            let mut row = format!("| {} | {} |", mode.name(), outage.name());
            for d in durations {
                let o = scenario(mode, outage, d).await;
                total_runs += o.runs;
                let cell = match (o.dark_minutes, o.lead_minutes) {
                    (0, _) if o.alarmed => "0 dark (alarm)".to_owned(),
                    (0, _) => "0 dark".to_owned(),
                    (n, Some(lead)) => format!("{n} min dark, alarm {lead} min ahead"),
                    (n, None) => format!("{n} min dark, no alarm"),
                };
                row.push_str(&format!(" {cell} |"));
                if mode.slack().is_some_and(|slack| d < slack) && o.dark_minutes > 0 {
                    failures.push(format!(
                        "{} / {} / {}: {} dark minutes inside the designed slack",
                        mode.name(),
                        outage.name(),
                        human(d),
                        o.dark_minutes
                    ));
                }
                if o.dark_minutes > 0
                    && o.lead_minutes.is_none_or(|lead| lead < (LEAD / MIN) as i64)
                {
                    failures.push(format!(
                        "{} / {} / {}: the alarm did not come 30 minutes ahead ({:?})",
                        mode.name(),
                        outage.name(),
                        human(d),
                        o.lead_minutes
                    ));
                }
            }
            table.push_str(&row);
            table.push('\n');
        }
    }
    println!("{table}\n{total_runs} simulated runs");
    assert!(failures.is_empty(), "{}\n{table}", failures.join("\n"));
}
