//! Aurora DSQL endpoint rules: `<cluster-id>.dsql.<region>.on.aws`, AWS region names, and what makes
//! a host name unusable as a cluster endpoint.

/// `<cluster-id>.dsql.<region>.on.aws` gives `(cluster-id, region)`.
pub fn dsql_host_parts(host: &str) -> Option<(&str, &str)> {
    let rest = host.strip_suffix(".on.aws")?;
    let (cluster, region) = rest.split_once(".dsql.")?;
    let cluster_ok = !cluster.is_empty() && cluster.bytes().all(|b| b.is_ascii_alphanumeric());
    (cluster_ok && is_region(region)).then_some((cluster, region))
}

pub(crate) fn is_region(s: &str) -> bool {
    // e.g. us-east-1, ap-southeast-2, us-gov-west-1
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1]
            .parse::<u8>()
            .is_ok_and(|n| n > 0 && !parts[parts.len() - 1].starts_with('0'))
}

pub(crate) fn host_problem(host: &str) -> Option<&'static str> {
    if host.contains("://") {
        return Some("has a URL scheme; give the bare host name, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws");
    }
    if host.contains('/') {
        return Some("has a path; give the bare host name");
    }
    if host.contains(':') {
        return Some("has a port; give the bare host name and set `port` instead");
    }
    let ok = host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (!ok).then_some("is not a valid host name; use the cluster endpoint, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws")
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws";

    #[test]
    fn dsql_hosts_are_recognised() {
        assert_eq!(
            dsql_host_parts(HOST),
            Some(("abcdefghijklmnopqrstuvwxyz", "us-east-1"))
        );
        assert_eq!(
            dsql_host_parts("x.dsql.us-gov-west-1.on.aws"),
            Some(("x", "us-gov-west-1"))
        );
        assert_eq!(dsql_host_parts("x.dsql.useast1.on.aws"), None);
        assert_eq!(dsql_host_parts(".dsql.us-east-1.on.aws"), None);
        assert_eq!(dsql_host_parts("db.example.com"), None);
    }
}
