variable "targets" {
  description = "Hyperdrive configs to keep supplied with tokens. host is <cluster-id>.dsql.<region>.on.aws; user defaults to admin (needs dsql:DbConnectAdmin; any other user needs dsql:DbConnect). cluster_arn is for IAM only (default: derived from the host in this account) and is not passed to the function."
  type = list(object({
    name        = string
    host        = string
    region      = optional(string)
    user        = optional(string)
    database    = optional(string)
    port        = optional(number)
    account_id  = optional(string)
    cluster_arn = optional(string)
    caching = optional(object({
      disabled               = optional(bool)
      max_age                = optional(number)
      stale_while_revalidate = optional(number)
    }))
    origin_connection_limit = optional(number)
  }))

  validation {
    condition     = length(var.targets) > 0
    error_message = "targets must list at least one Hyperdrive config ({ name, host, ... })."
  }
  validation {
    condition     = length(distinct([for t in var.targets : t.name])) == length(var.targets)
    error_message = "Target names must be unique."
  }
  validation {
    condition = alltrue([for t in var.targets :
      t.cluster_arn != null || can(regex("^[a-z0-9]+\\.dsql\\.[a-z0-9-]+\\.on\\.aws$", lower(t.host)))
    ])
    error_message = "Every target host must be a DSQL endpoint of the form <cluster-id>.dsql.<region>.on.aws (or the target must set cluster_arn)."
  }
  validation {
    condition = alltrue([for t in var.targets :
      t.cluster_arn == null || can(regex("^arn:aws[a-z-]*:dsql:[a-z0-9-]+:[0-9]{12}:cluster/[a-z0-9]+$", t.cluster_arn))
    ])
    error_message = "cluster_arn must be arn:<partition>:dsql:<region>:<account>:cluster/<cluster-id>."
  }
  validation {
    condition = alltrue([for t in var.targets :
      t.region == null || !can(regex("^[a-z0-9]+\\.dsql\\.[a-z0-9-]+\\.on\\.aws$", lower(t.host))) ||
      try(regex("^[a-z0-9]+\\.dsql\\.([a-z0-9-]+)\\.on\\.aws$", lower(t.host))[0], "") == t.region
    ])
    error_message = "A target's region differs from the region in its host; remove region or correct it."
  }
  validation {
    condition     = var.cloudflare_account_id != null || alltrue([for t in var.targets : t.account_id != null])
    error_message = "A target has no account_id and cloudflare_account_id is not set: set one of them."
  }
}

variable "cloudflare_account_id" {
  description = "Default Cloudflare account id (CLOUDFLARE_ACCOUNT_ID). Required unless every target sets account_id."
  type        = string
  default     = null
}

variable "cloudflare_api_token_secret_arn" {
  description = "Full ARN of an existing secret holding the Cloudflare API token (bare, or JSON {\"api_token\": \"...\"}). Null: the module creates an empty secret; put the token in it after apply."
  type        = string
  default     = null

  validation {
    condition     = var.cloudflare_api_token_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$", var.cloudflare_api_token_secret_arn))
    error_message = "cloudflare_api_token_secret_arn must be a complete secret ARN (ending in -<6 characters>): IAM matches the exact ARN."
  }
}

variable "cloudflare_api_token_secret_key" {
  description = "JSON key of the token inside the secret (CLOUDFLARE_API_TOKEN_SECRET_KEY). Null: unset, the function reads api_token."
  type        = string
  default     = null
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key of the secret(s). The function may decrypt with it through Secrets Manager only (kms:ViaService); a secret the module creates is encrypted with it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "signing_mode" {
  description = "signer-role (assume a dedicated role each run: tokens guaranteed for min(token_ttl_seconds, signer_session_seconds)), long-term-keys (an IAM user's keys from a secret: token_ttl_seconds, up to 7 days) or execution-role (the function's own credentials: lifetime unknown)."
  type        = string
  default     = "signer-role"
  nullable    = false

  validation {
    condition     = contains(["signer-role", "long-term-keys", "execution-role"], var.signing_mode)
    error_message = "signing_mode must be signer-role, long-term-keys or execution-role."
  }
}

variable "token_ttl_seconds" {
  description = "X-Amz-Expires of each token (TOKEN_TTL_SECONDS), 1..604800."
  type        = number
  default     = 604800
  nullable    = false

  validation {
    condition     = var.token_ttl_seconds == floor(var.token_ttl_seconds) && var.token_ttl_seconds >= 1 && var.token_ttl_seconds <= 604800
    error_message = "token_ttl_seconds must be a whole number between 1 and 604800 (7 days)."
  }
  validation {
    condition     = var.signing_mode == "execution-role" || (var.signing_mode == "signer-role" ? min(var.token_ttl_seconds, var.signer_session_seconds) : var.token_ttl_seconds) >= 120
    error_message = "The guaranteed token lifetime is under two minutes, shorter than the shortest schedule (1 minute) needs: raise token_ttl_seconds (and signer_session_seconds) to at least 120."
  }
}

variable "signer_session_seconds" {
  description = "Session length of the signer role (SIGNER_SESSION_SECONDS), 900..3600; role chaining caps it at one hour."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.signer_session_seconds == floor(var.signer_session_seconds) && var.signer_session_seconds >= 900 && var.signer_session_seconds <= 3600
    error_message = "signer_session_seconds must be a whole number between 900 and 3600."
  }
}

variable "long_term_keys_secret_arn" {
  description = "Full ARN of the secret with the IAM user's keys ({\"access_key_id\", \"secret_access_key\"}); required in, and only in, long-term-keys mode."
  type        = string
  default     = null

  validation {
    condition     = (var.signing_mode == "long-term-keys") == (var.long_term_keys_secret_arn != null)
    error_message = "long_term_keys_secret_arn is required with signing_mode = \"long-term-keys\" and must be null otherwise."
  }
  validation {
    condition     = var.long_term_keys_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$", var.long_term_keys_secret_arn))
    error_message = "long_term_keys_secret_arn must be a complete secret ARN (ending in -<6 characters>): IAM matches the exact ARN."
  }
}

variable "schedule_interval_minutes" {
  description = "Minutes between runs. Null: 15 (signer-role, execution-role) or 1440 (long-term-keys), shortened to half the guaranteed token lifetime. Longer than half that lifetime is refused; in execution-role mode longer than 15."
  type        = number
  default     = null

  validation {
    condition     = var.schedule_interval_minutes == null || try(var.schedule_interval_minutes == floor(var.schedule_interval_minutes) && var.schedule_interval_minutes >= 1, false)
    error_message = "schedule_interval_minutes must be a whole number of at least 1."
  }
  validation {
    condition     = var.schedule_interval_minutes == null || try(var.schedule_interval_minutes <= local.max_interval_minutes, true)
    error_message = "schedule_interval_minutes ${coalesce(var.schedule_interval_minutes, 0)} is refused: ${local.refusal_reason}"
  }
}

variable "restrict_to_cluster_regions" {
  description = "Add a Deny on DSQL connect actions in any region but the targets' regions (aws:RequestedRegion)."
  type        = bool
  default     = true
  nullable    = false
}

variable "max_concurrency" {
  description = "MAX_CONCURRENCY: targets updated at once, 1..64. Null: unset (the function uses 8)."
  type        = number
  default     = null

  validation {
    condition     = var.max_concurrency == null || try(var.max_concurrency == floor(var.max_concurrency) && var.max_concurrency >= 1 && var.max_concurrency <= 64, false)
    error_message = "max_concurrency must be a whole number between 1 and 64."
  }
}

variable "dry_run" {
  description = "DRY_RUN=true: sign and plan, write nothing to Cloudflare."
  type        = bool
  default     = false
  nullable    = false
}

variable "function_name" {
  description = "Name of the function; also the prefix of the roles, queue, secret, alarms and log group (/aws/lambda/<name>)."
  type        = string
  default     = "hyperdrive-dsql-rotator"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,50}$", var.function_name))
    error_message = "function_name must be 1 to 50 letters, digits, hyphens or underscores (roles are named <function_name>-execution)."
  }
}

variable "architecture" {
  description = "x86_64 or arm64 (build the bootstrap for the same one)."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "lambda_zip_path" {
  description = "Path of bootstrap.zip, built by `cargo lambda build --release --output-format zip` (target/lambda/hyperdrive-dsql-rotator/bootstrap.zip)."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic the alarms notify. Exclusive with create_alarm_topic and alarm_email."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || (!var.create_alarm_topic && var.alarm_email == null)
    error_message = "alarm_topic_arn uses an existing topic: do not also set create_alarm_topic or alarm_email."
  }
}

variable "create_alarm_topic" {
  description = "Create an SNS topic for the alarms (implied by alarm_email)."
  type        = bool
  default     = false
  nullable    = false
}

variable "alarm_email" {
  description = "Email address subscribed to the created alarm topic (confirm the subscription from the mail)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
  nullable    = false
}
