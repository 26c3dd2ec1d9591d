//! Checks of single values shared by the variables and the targets: a Cloudflare account id, the
//! API base URL, an IAM role ARN.

use super::DEFAULT_API_BASE_URL;
use reqwest::Url;
use std::net::IpAddr;

pub(crate) fn account_id(value: &str) -> Result<String, String> {
    let lower = value.to_ascii_lowercase();
    if lower.len() == 32 && lower.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(lower)
    } else {
        Err(format!(
            "{value:?} is not a Cloudflare account ID; use the 32 hexadecimal characters shown in the dashboard's URL or Overview page"
        ))
    }
}

pub(crate) fn api_base_url(value: &str) -> Result<String, String> {
    let url = Url::parse(value)
        .map_err(|e| format!("{value:?} is not a URL ({e}); use e.g. {DEFAULT_API_BASE_URL}"))?;
    let host = url.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" if url.host().is_some() => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "{value:?} uses plain http to a non-loopback host, which would send the API token in clear; use https"
            ))
        }
        _ => return Err(format!("{value:?} is not an https URL; use e.g. {DEFAULT_API_BASE_URL}")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        let mut shown = url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        return Err(format!(
            "{:?} (shown without it) has a user name or password before the host; remove it: the API token comes from its secret",
            shown.as_str()
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("{value:?} has a query or fragment; remove it"));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

pub(crate) fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
            && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty()))
}

/// An IAM user or role name: 1 to 64 of letters, digits and `+=,.@_-`.
pub(crate) fn is_iam_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}
