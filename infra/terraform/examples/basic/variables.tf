# Null means "the module's default"; see modules/hyperdrive-dsql-rotator/variables.tf for each one.

variable "region" {
  description = "AWS region of the function (the DSQL clusters may be elsewhere)."
  type        = string
  default     = "us-east-1"
}

variable "lambda_zip_path" {
  description = "Path of the release zip (hyperdrive-dsql-rotator-<version>-<arch>.zip) or of cargo lambda's bootstrap.zip. Null: <repo>/target/lambda/hyperdrive-dsql-rotator/bootstrap.zip."
  type        = string
  default     = null
}

variable "targets" {
  description = "Hyperdrive configs to keep supplied with tokens: a list of objects with the function's target fields plus cluster_arn (see the module). Typed any so that the module can refuse unknown fields and wrong types by name."
  type        = any
}

variable "cross_account_signer_roles" {
  description = "AWS account id => signer role ARN there, for clusters in other accounts (module cross-account-signer; see ../two-accounts)."
  type        = map(string)
  default     = null
}

variable "cloudflare_account_id" {
  description = "Default Cloudflare account id (32 hex characters); required unless every target sets account_id."
  type        = string
  default     = null
}

variable "cloudflare_api_token_secret_arn" {
  description = "Complete ARN of an existing secret holding the Cloudflare API token. Null: the module creates an empty one."
  type        = string
  default     = null
}

variable "cloudflare_api_token_secret_kms_key_arn" {
  description = "KMS key ARN (not an alias) of the token secret. Null: the AWS managed key."
  type        = string
  default     = null
}

variable "cloudflare_api_token_secret_key" {
  description = "JSON key of the token inside the secret. Null: the function reads api_token."
  type        = string
  default     = null
}

variable "signing_mode" {
  description = "signer-role (module default), long-term-keys or execution-role."
  type        = string
  default     = null
}

variable "token_ttl_seconds" {
  description = "X-Amz-Expires of each token, 1..604800. Null: 604800."
  type        = number
  default     = null
}

variable "signer_session_seconds" {
  description = "Signer role session, 900..3600. Null: 3600."
  type        = number
  default     = null
}

variable "long_term_keys_secret_kms_key_arn" {
  description = "KMS key ARN of the signer keys secret the module creates (long-term-keys mode). Null: the AWS managed key."
  type        = string
  default     = null
}

variable "signer_keys_rotation_days" {
  description = "Days between rotations of the signer user's key (long-term-keys mode), 1..1000. Null: 30."
  type        = number
  default     = null
}

variable "schedule_interval_minutes" {
  description = "Minutes between runs. Null: per signing mode (module)."
  type        = number
  default     = null
}

variable "restrict_to_cluster_regions" {
  description = "Deny DSQL connects outside the targets' regions. Null: true."
  type        = bool
  default     = null
}

variable "max_concurrency" {
  description = "MAX_CONCURRENCY, 1..64. Null: unset (the function uses 8)."
  type        = number
  default     = null
}

variable "dry_run" {
  description = "DRY_RUN=true: write nothing to Cloudflare. Null: false."
  type        = bool
  default     = null
}

variable "function_name" {
  description = "Function name and prefix of the other names. Null: hyperdrive-dsql-rotator."
  type        = string
  default     = null
}

variable "architecture" {
  description = "x86_64 or arm64. Null: x86_64."
  type        = string
  default     = null
}

variable "memory_size" {
  description = "Memory in MB, 128..10240. Null: 128."
  type        = number
  default     = null
}

variable "timeout_seconds" {
  description = "Timeout, 1..900 s. Null: 300."
  type        = number
  default     = null
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency; -1 for none. Null: 1 in long-term-keys mode, else none (see infra/README.md)."
  type        = number
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the execution role and the signer user (the signer role has its own). Null: none."
  type        = string
  default     = null
}

variable "iam_path" {
  description = "IAM path of every role, user, group and policy. Null: /."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Log retention in days. Null: 30."
  type        = number
  default     = null
}

variable "log_group_skip_destroy" {
  description = "Keep the log group when destroyed. Null: false."
  type        = bool
  default     = null
}

variable "secret_recovery_window_days" {
  description = "Recovery window of a created secret: 0 or 7..30. Null: 30."
  type        = number
  default     = null
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic for the alarms."
  type        = string
  default     = null
}

variable "create_alarm_topic" {
  description = "Create an SNS topic for the alarms. Null: false."
  type        = bool
  default     = null
}

variable "alarm_email" {
  description = "Email subscribed to the created alarm topic."
  type        = string
  default     = null
}

variable "dark_soon_threshold_seconds" {
  description = "Threshold of the dark-soon alarm (MinSecondsToDark). Null: the schedule interval plus 30 minutes (capped below the token lifetime)."
  type        = number
  default     = null
}

variable "cloudflare_token_alarm_days" {
  description = "Days before the Cloudflare API token's expiry at which its alarm fires. Null: 14."
  type        = number
  default     = null
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard. Null: true."
  type        = bool
  default     = null
}

variable "tags" {
  description = "Tags for every resource that takes them. Null: none."
  type        = map(string)
  default     = null
}
