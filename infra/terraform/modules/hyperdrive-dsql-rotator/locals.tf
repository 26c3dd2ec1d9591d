# Schedule, lifetime and IAM decisions. The CDK construct (infra/cdk/lib/rotation-plan.ts) applies the same rules.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  # Token lifetime the signing mode guarantees; null in execution-role mode, where AWS publishes none.
  guaranteed_lifetime_seconds = (
    var.signing_mode == "signer-role" ? min(var.token_ttl_seconds, var.signer_session_seconds) :
    var.signing_mode == "long-term-keys" ? var.token_ttl_seconds : null
  )
  # The interval may be at most half that lifetime, so that one failed run still leaves a valid token.
  max_interval_minutes = local.guaranteed_lifetime_seconds == null ? 15 : floor(local.guaranteed_lifetime_seconds / 120)
  default_interval_minutes = min(
    var.signing_mode == "long-term-keys" ? 1440 : 15,
    local.max_interval_minutes,
  )
  interval_minutes = coalesce(var.schedule_interval_minutes, local.default_interval_minutes)

  refusal_reason = (
    local.guaranteed_lifetime_seconds == null ?
    "in execution-role mode the real token lifetime is unknown (AWS does not publish how long the execution role's credentials last), so the schedule stays at 15 minutes or less. Use signing_mode = \"signer-role\" for a known one-hour lifetime." :
    "the ${var.signing_mode} mode guarantees tokens for ${local.guaranteed_lifetime_seconds} s, and the interval must be at most half of that (${local.max_interval_minutes} minutes) so that one failed run still leaves a valid token: ${var.signing_mode == "long-term-keys" ? "raise token_ttl_seconds or shorten the interval" : "shorten the interval (role chaining caps the signer session at one hour; only long-term-keys allows a daily schedule)"}."
  )

  # EventBridge wants the largest whole unit, singular for 1 (as CDK's Schedule.rate writes it).
  schedule_expression = (
    local.interval_minutes % 1440 == 0 ? (local.interval_minutes == 1440 ? "rate(1 day)" : "rate(${local.interval_minutes / 1440} days)") :
    local.interval_minutes % 60 == 0 ? (local.interval_minutes == 60 ? "rate(1 hour)" : "rate(${local.interval_minutes / 60} hours)") :
    local.interval_minutes == 1 ? "rate(1 minute)" : "rate(${local.interval_minutes} minutes)"
  )
  # Lambda keeps retrying a failed scheduled event for at most one interval (60 s..6 h): the next run supersedes it.
  max_event_age_seconds = min(max(local.interval_minutes * 60, 60), 21600)

  dsql_host_pattern = "^([a-z0-9]+)\\.dsql\\.([a-z0-9-]+)\\.on\\.aws$"
  clusters = [for t in var.targets : {
    arn = coalesce(
      t.cluster_arn,
      try("arn:${local.partition}:dsql:${regex(local.dsql_host_pattern, lower(t.host))[1]}:${local.account_id}:cluster/${regex(local.dsql_host_pattern, lower(t.host))[0]}", null),
    )
    region = coalesce(
      t.region,
      try(regex(local.dsql_host_pattern, lower(t.host))[1], null),
      try(regex("^arn:[^:]+:dsql:([^:]+):", t.cluster_arn)[0], null),
    )
    action = coalesce(t.user, "admin") == "admin" ? "dsql:DbConnectAdmin" : "dsql:DbConnect"
  }]
  admin_cluster_arns = distinct([for c in local.clusters : c.arn if c.action == "dsql:DbConnectAdmin"])
  role_cluster_arns  = distinct([for c in local.clusters : c.arn if c.action == "dsql:DbConnect"])
  cluster_regions    = distinct([for c in local.clusters : c.region])

  dsql_statements = concat(
    length(local.admin_cluster_arns) == 0 ? [] : [{
      Sid      = "ConnectAsAdmin"
      Effect   = "Allow"
      Action   = "dsql:DbConnectAdmin"
      Resource = local.admin_cluster_arns
    }],
    length(local.role_cluster_arns) == 0 ? [] : [{
      Sid      = "ConnectAsRole"
      Effect   = "Allow"
      Action   = "dsql:DbConnect"
      Resource = local.role_cluster_arns
    }],
    !var.restrict_to_cluster_regions ? [] : [{
      Sid       = "DenyOutsideClusterRegions"
      Effect    = "Deny"
      Action    = ["dsql:DbConnect", "dsql:DbConnectAdmin"]
      Resource  = "arn:${local.partition}:dsql:*:*:cluster/*"
      Condition = { StringNotEquals = { "aws:RequestedRegion" = local.cluster_regions } }
    }],
  )

  create_token_secret = var.cloudflare_api_token_secret_arn == null
  token_secret_arn    = local.create_token_secret ? aws_secretsmanager_secret.cloudflare_api_token[0].arn : var.cloudflare_api_token_secret_arn
  secret_arns         = compact([local.token_secret_arn, var.long_term_keys_secret_arn])
  secret_regions      = distinct([for arn in local.secret_arns : try(regex("^arn:[^:]+:secretsmanager:([^:]+):", arn)[0], local.region)])

  # The targets as the function reads them from HYPERDRIVE_TARGETS: unset fields left out, cluster_arn (IAM only) dropped.
  targets_json = jsonencode([for t in var.targets : { for k, v in {
    name                    = t.name
    host                    = t.host
    region                  = t.region
    user                    = t.user
    database                = t.database
    port                    = t.port
    account_id              = t.account_id
    caching                 = t.caching == null ? null : { for ck, cv in t.caching : ck => cv if cv != null }
    origin_connection_limit = t.origin_connection_limit
  } : k => v if v != null }])

  environment = { for k, v in {
    CLOUDFLARE_ACCOUNT_ID           = var.cloudflare_account_id
    CLOUDFLARE_API_TOKEN_SECRET_ID  = local.token_secret_arn
    CLOUDFLARE_API_TOKEN_SECRET_KEY = var.cloudflare_api_token_secret_key
    HYPERDRIVE_TARGETS              = local.targets_json
    TOKEN_TTL_SECONDS               = tostring(var.token_ttl_seconds)
    SIGNER_ROLE_ARN                 = var.signing_mode == "signer-role" ? aws_iam_role.signer[0].arn : null
    SIGNER_SESSION_SECONDS          = var.signing_mode == "signer-role" ? tostring(var.signer_session_seconds) : null
    SIGNER_CREDENTIALS_SECRET_ID    = var.signing_mode == "long-term-keys" ? var.long_term_keys_secret_arn : null
    MAX_CONCURRENCY                 = var.max_concurrency == null ? null : tostring(var.max_concurrency)
    DRY_RUN                         = var.dry_run ? "true" : null
  } : k => v if v != null }

  alarm_topic_arn    = var.alarm_topic_arn != null ? var.alarm_topic_arn : (local.create_alarm_topic ? aws_sns_topic.alarms[0].arn : null)
  create_alarm_topic = var.alarm_topic_arn == null && (var.create_alarm_topic || var.alarm_email != null)
}

# A warning, not an error: execution-role mode works, but nobody can say how long its tokens last.
check "execution_role_token_lifetime" {
  assert {
    condition     = var.signing_mode != "execution-role"
    error_message = "signing_mode = \"execution-role\": tokens are signed with the execution role's temporary credentials, whose lifetime AWS does not publish, so the real token lifetime is unknown and may be shorter than the ${local.interval_minutes}-minute schedule allows for. Prefer \"signer-role\" (known one-hour lifetime)."
  }
}
