# Target, schedule, lifetime and IAM decisions. The CDK construct (infra/cdk/lib: targets.ts, rotation-plan.ts)
# applies the same rules.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
# The region is read from `id`: `name` is deprecated in AWS provider 6 (use `region`), and `region` does not exist in 5.x.
data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.id

  # The function's target fields (src/config.rs, TARGET_FIELDS) plus cluster_arn (IAM only).
  target_fields   = ["name", "host", "region", "user", "database", "port", "account_id", "caching", "origin_connection_limit", "mtls", "cluster_arn"]
  caching_fields  = ["disabled", "max_age", "stale_while_revalidate"]
  caching_seconds = ["max_age", "stale_while_revalidate"]
  # An AWS region as the function accepts it, a DSQL endpoint, a host name, a DSQL cluster ARN, an IAM role ARN.
  region_re      = "[a-z]{2}(?:-[a-z]+)+-(?:[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])"
  dsql_host_re   = "^([a-z0-9]+)\\.dsql\\.(${local.region_re})\\.on\\.aws$"
  host_name_re   = "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
  cluster_arn_re = "^arn:(aws[a-z-]*):dsql:([a-z0-9-]+):([0-9]{12}):cluster/([a-z0-9]+)$"
  role_arn_re    = "^arn:aws[a-z-]*:iam::([0-9]{12}):role/(?:[\\x{21}-\\x{7e}]+/)?[\\w+=,.@-]{1,64}$"

  # Each target's cluster (same order): its ARN (given, or derived from the host in this account), its account and
  # region, the DSQL action its user needs, and for a cluster in another account the signer role that covers it.
  clusters = [for t in var.targets : {
    arn = try(t.cluster_arn, null) != null ? t.cluster_arn : format("arn:%s:dsql:%s:%s:cluster/%s",
    local.partition, regex(local.dsql_host_re, lower(t.host))[1], local.account_id, regex(local.dsql_host_re, lower(t.host))[0])
    account         = try(regex(local.cluster_arn_re, t.cluster_arn)[2], local.account_id)
    region          = try(regex(local.cluster_arn_re, t.cluster_arn)[1], regex(local.dsql_host_re, lower(t.host))[1])
    action          = coalesce(try(t.user, null), "admin") == "admin" ? "dsql:DbConnectAdmin" : "dsql:DbConnect"
    signer_role_arn = try(regex(local.cluster_arn_re, t.cluster_arn)[2], local.account_id) == local.account_id ? null : var.cross_account_signer_roles[regex(local.cluster_arn_re, t.cluster_arn)[2]]
  }]
  local_clusters  = [for c in local.clusters : c if c.account == local.account_id]
  remote_clusters = [for c in local.clusters : c if c.account != local.account_id]
  # The cross-account roles in use (an unused entry of the map is not granted; check.unused_cross_account_signer_roles).
  cross_account_role_arns = distinct([for c in local.remote_clusters : c.signer_role_arn])
  # The local signer role exists only when some cluster is in this account. The function passes SIGNER_SESSION_SECONDS
  # only with SIGNER_ROLE_ARN and assumes cross-account roles for the same length (its default, 3600 s, otherwise).
  create_signer_role    = var.signing_mode == "signer-role" && length(local.local_clusters) > 0
  cross_session_seconds = local.create_signer_role ? var.signer_session_seconds : 3600
  admin_cluster_arns    = distinct([for c in local.local_clusters : c.arn if c.action == "dsql:DbConnectAdmin"])
  role_cluster_arns     = distinct([for c in local.local_clusters : c.arn if c.action == "dsql:DbConnect"])
  cluster_regions       = distinct([for c in local.local_clusters : c.region])
  remote_account_ids    = distinct([for c in local.remote_clusters : c.account])
  # Independent of cross_account_signer_roles, so that a root module may feed it to the cross-account-signer module
  # and name that role's (predictable) ARN in cross_account_signer_roles without a cycle.
  cross_account_signers = { for account in local.remote_account_ids : account => {
    execution_role_arn            = aws_iam_role.execution.arn
    db_connect_admin_cluster_arns = distinct([for c in local.remote_clusters : c.arn if c.account == account && c.action == "dsql:DbConnectAdmin"])
    db_connect_cluster_arns       = distinct([for c in local.remote_clusters : c.arn if c.account == account && c.action == "dsql:DbConnect"])
  } }

  # Token lifetime guaranteed for every target: the function-wide mode's for clusters in this account (null in
  # execution-role mode, where AWS publishes none), min(TTL, session) for the cross-account ones; the shorter one.
  local_lifetime_seconds = (
    var.signing_mode == "signer-role" ? min(var.token_ttl_seconds, var.signer_session_seconds) :
    var.signing_mode == "long-term-keys" ? var.token_ttl_seconds : null
  )
  cross_lifetime_seconds = length(local.remote_clusters) > 0 ? min(var.token_ttl_seconds, local.cross_session_seconds) : null
  lifetime_unknown       = var.signing_mode == "execution-role" && length(local.local_clusters) > 0
  guaranteed_lifetime_seconds = local.lifetime_unknown ? null : min(concat(
    length(local.local_clusters) > 0 ? [local.local_lifetime_seconds] : [],
    local.cross_lifetime_seconds == null ? [] : [local.cross_lifetime_seconds],
  )...)
  binding_signer = (
    local.lifetime_unknown ? var.signing_mode :
    local.cross_lifetime_seconds != null && (length(local.local_clusters) == 0 || try(local.cross_lifetime_seconds < local.local_lifetime_seconds, false)) ? "cross-account signer role" :
    var.signing_mode
  )
  # The interval may be at most half that lifetime, so that one failed run still leaves a valid token, and at least the
  # function's timeout plus a minute, so that a slow run is over before the next one starts.
  max_interval_minutes = local.guaranteed_lifetime_seconds == null ? 15 : floor(local.guaranteed_lifetime_seconds / 120)
  min_interval_minutes = ceil((var.timeout_seconds + 60) / 60)
  default_interval_minutes = max(local.min_interval_minutes, min(
    var.signing_mode == "long-term-keys" ? 1440 : 15,
    local.max_interval_minutes,
  ))
  interval_minutes = coalesce(var.schedule_interval_minutes, local.default_interval_minutes)

  refusal_reason = (
    local.guaranteed_lifetime_seconds == null ?
    "in execution-role mode the real token lifetime is unknown (AWS does not publish how long the execution role's credentials last), so the schedule stays at 15 minutes or less. Use signing_mode = \"signer-role\" for a known one-hour lifetime." :
    format("the %s signing guarantees tokens for %d s, and the interval must be at most half of that (%d minutes) so that one failed run still leaves a valid token: %s.",
      local.binding_signer, local.guaranteed_lifetime_seconds, local.max_interval_minutes,
      local.binding_signer == "long-term-keys" ? "raise token_ttl_seconds or shorten the interval" :
    "shorten the interval (role chaining caps a signer session at one hour; only long-term-keys allows a daily schedule, and only without clusters in other accounts)")
  )

  # EventBridge wants the largest whole unit, singular for 1 (as CDK's Schedule.rate writes it).
  schedule_expression = (
    local.interval_minutes % 1440 == 0 ? (local.interval_minutes == 1440 ? "rate(1 day)" : "rate(${local.interval_minutes / 1440} days)") :
    local.interval_minutes % 60 == 0 ? (local.interval_minutes == 60 ? "rate(1 hour)" : "rate(${local.interval_minutes / 60} hours)") :
    local.interval_minutes == 1 ? "rate(1 minute)" : "rate(${local.interval_minutes} minutes)"
  )
  # Lambda keeps retrying a failed scheduled event for at most one interval (60 s..6 h): the next run supersedes it.
  max_event_age_seconds = min(max(local.interval_minutes * 60, 60), 21600)

  # None when every cluster is in another account (each has its own signer role there).
  dsql_statements = [for s in concat(
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
  ) : s if length(local.local_clusters) > 0]

  # Not created when every target's account has its own token secret (fleet.tf).
  create_token_secret = var.cloudflare_api_token_secret_arn == null && local.default_token_needed
  token_secret_arn    = local.create_token_secret ? aws_secretsmanager_secret.cloudflare_api_token[0].arn : var.cloudflare_api_token_secret_arn
  # long-term-keys mode: the created keys secret and the signer user.
  signer_keys_secret_arn    = try(aws_secretsmanager_secret.signer_keys[0].arn, null)
  signer_keys_rotation_days = coalesce(var.signer_keys_rotation_days, 30)
  # Runs and rotation steps must not overlap in long-term-keys mode (README: Credential lifecycle); -1 is none.
  reserved_concurrent_executions = coalesce(var.reserved_concurrent_executions, var.signing_mode == "long-term-keys" ? 1 : -1)
  # Each secret with its KMS key (null: the AWS managed key, which needs no grant).
  secrets = concat(
    local.token_secret_arn == null ? [] : [{ arn = local.token_secret_arn, kms_key_arn = var.cloudflare_api_token_secret_kms_key_arn }],
    local.account_token_secret_list,
    var.signing_mode == "long-term-keys" ? [{ arn = local.signer_keys_secret_arn, kms_key_arn = var.long_term_keys_secret_kms_key_arn }] : [],
  )
  # kms:Decrypt per key, only through Secrets Manager in the secrets' regions, only for the secrets that key encrypts.
  kms_statements = [for i, key in distinct(compact([for s in local.secrets : s.kms_key_arn])) : {
    Sid      = i == 0 ? "DecryptSecretsThroughSecretsManager" : "DecryptSecretsThroughSecretsManager${i + 1}"
    Effect   = "Allow"
    Action   = "kms:Decrypt"
    Resource = key
    Condition = {
      StringEquals = {
        "kms:ViaService"                  = distinct([for s in local.secrets : format("secretsmanager.%s.amazonaws.com", try(regex("^arn:[^:]+:secretsmanager:([^:]+):", s.arn)[0], local.region)) if s.kms_key_arn == key])
        "kms:EncryptionContext:SecretARN" = [for s in local.secrets : s.arn if s.kms_key_arn == key]
      }
    }
  }]

  # long-term-keys mode, as the keys secret's rotation function: the access keys of exactly the signer user (create;
  # list: room and the key in use; update: deactivate the old key; delete: an inactive old key, to make room), the
  # versions of exactly that secret, and under a customer-managed key the data key Secrets Manager asks KMS for on
  # the caller's behalf when a version is put (only through Secrets Manager, only for that secret).
  signer_keys_statements = [for s in concat(
    [
      {
        Sid      = "ManageSignerUserKeys"
        Effect   = "Allow"
        Action   = ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"]
        Resource = try(aws_iam_user.signer[0].arn, null)
      },
      {
        Sid      = "RotateSignerKeysSecret"
        Effect   = "Allow"
        Action   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]
        Resource = local.signer_keys_secret_arn
      },
    ],
    var.long_term_keys_secret_kms_key_arn == null ? [] : [{
      Sid      = "EncryptSignerKeysThroughSecretsManager"
      Effect   = "Allow"
      Action   = "kms:GenerateDataKey"
      Resource = var.long_term_keys_secret_kms_key_arn
      Condition = {
        StringEquals = {
          "kms:ViaService"                  = ["secretsmanager.${local.region}.amazonaws.com"]
          "kms:EncryptionContext:SecretARN" = [local.signer_keys_secret_arn]
        }
      }
    }],
  ) : s if var.signing_mode == "long-term-keys"]

  # The targets as the function reads them from HYPERDRIVE_TARGETS: unset (null) fields left out, cluster_arn
  # (IAM only) dropped, signer_role_arn added for clusters in other accounts.
  targets_json = jsonencode([for i, t in var.targets : merge(
    { for k, v in t : k => v if v != null && !contains(["cluster_arn", "caching", "mtls"], k) },
    try(t.caching, null) == null ? {} : { caching = { for ck, cv in t.caching : ck => cv if cv != null } },
    try(t.mtls, null) == null ? {} : { mtls = { for mk, mv in t.mtls : mk => mv if mv != null } },
    local.clusters[i].signer_role_arn == null ? {} : { signer_role_arn = local.clusters[i].signer_role_arn },
  )])

  environment = { for k, v in {
    CLOUDFLARE_ACCOUNT_ID           = var.cloudflare_account_id
    CLOUDFLARE_API_TOKEN_SECRET_ID  = local.token_secret_arn
    CLOUDFLARE_API_TOKEN_SECRET_KEY = var.cloudflare_api_token_secret_key
    CLOUDFLARE_API_TOKEN_SECRET_IDS = length(local.account_token_secrets) == 0 ? null : jsonencode(local.account_token_secrets)
    HYPERDRIVE_TARGETS              = local.targets_in_layer ? null : local.targets_json
    HYPERDRIVE_TARGETS_FILE         = local.targets_in_layer ? local.targets_file_path : null
    TOKEN_TTL_SECONDS               = tostring(var.token_ttl_seconds)
    SIGNER_ROLE_ARN                 = local.create_signer_role ? aws_iam_role.signer[0].arn : null
    SIGNER_SESSION_SECONDS          = local.create_signer_role ? tostring(var.signer_session_seconds) : null
    SIGNER_CREDENTIALS_SECRET_ID    = local.signer_keys_secret_arn
    SIGNER_USER_NAME                = try(aws_iam_user.signer[0].name, null)
    MAX_CONCURRENCY                 = var.max_concurrency == null ? null : tostring(var.max_concurrency)
    DRY_RUN                         = var.dry_run ? "true" : null
  } : k => v if v != null }

  # The AWS IAM GRANT each non-admin target needs inside its database, to the role whose session signs its tokens.
  local_signer_arn = (
    local.create_signer_role ? aws_iam_role.signer[0].arn :
    var.signing_mode == "execution-role" ? aws_iam_role.execution.arn :
    aws_iam_user.signer[0].arn
  )
  database_grants = [for i, t in var.targets : {
    target     = t.name
    host       = lower(t.host)
    user       = t.user
    signer_arn = coalesce(local.clusters[i].signer_role_arn, local.local_signer_arn)
    statement = format("AWS IAM GRANT %s TO '%s';",
      can(regex("^[a-z_][a-z0-9_$]*$", t.user)) ? t.user : join("", ["\"", replace(t.user, "\"", "\"\""), "\""]),
    coalesce(local.clusters[i].signer_role_arn, local.local_signer_arn))
  } if coalesce(try(t.user, null), "admin") != "admin"]

  alarm_topic_arn    = var.alarm_topic_arn != null ? var.alarm_topic_arn : (local.create_alarm_topic ? aws_sns_topic.alarms[0].arn : null)
  create_alarm_topic = var.alarm_topic_arn == null && (var.create_alarm_topic || var.alarm_email != null)
  alarm_actions      = local.alarm_topic_arn == null ? [] : [local.alarm_topic_arn]
}

# Warnings, not errors: the configuration works, but the user should know.
check "execution_role_token_lifetime" {
  assert {
    condition     = !local.lifetime_unknown
    error_message = "signing_mode = \"execution-role\": tokens are signed with the execution role's temporary credentials, whose lifetime AWS does not publish, so the real token lifetime is unknown and may be shorter than the ${local.interval_minutes}-minute schedule allows for. Prefer \"signer-role\" (known one-hour lifetime)."
  }
}

check "unused_cross_account_signer_roles" {
  assert {
    condition     = length(setsubtract(keys(var.cross_account_signer_roles), local.remote_account_ids)) == 0
    error_message = format("cross_account_signer_roles has roles no target uses (no cluster_arn in their accounts): %s; they are not granted.", join(", ", setsubtract(keys(var.cross_account_signer_roles), local.remote_account_ids)))
  }
}
