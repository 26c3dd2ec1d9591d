# Null means "the module's default"; see modules/hyperdrive-dsql-rotator/variables.tf for each one.

variable "region" {
  description = "AWS region of the function (the DSQL clusters may be elsewhere)."
  type        = string
  default     = "us-east-1"
}

variable "lambda_zip_path" {
  description = "Path of bootstrap.zip. Null: <repo>/target/lambda/hyperdrive-dsql-rotator/bootstrap.zip."
  type        = string
  default     = null
}

variable "targets" {
  description = "Hyperdrive configs to keep supplied with tokens (see the module)."
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
}

variable "cloudflare_account_id" {
  type    = string
  default = null
}

variable "cloudflare_api_token_secret_arn" {
  type    = string
  default = null
}

variable "cloudflare_api_token_secret_key" {
  type    = string
  default = null
}

variable "kms_key_arn" {
  type    = string
  default = null
}

variable "signing_mode" {
  type    = string
  default = null
}

variable "token_ttl_seconds" {
  type    = number
  default = null
}

variable "signer_session_seconds" {
  type    = number
  default = null
}

variable "long_term_keys_secret_arn" {
  type    = string
  default = null
}

variable "schedule_interval_minutes" {
  type    = number
  default = null
}

variable "restrict_to_cluster_regions" {
  type    = bool
  default = null
}

variable "max_concurrency" {
  type    = number
  default = null
}

variable "dry_run" {
  type    = bool
  default = null
}

variable "function_name" {
  type    = string
  default = null
}

variable "architecture" {
  type    = string
  default = null
}

variable "log_retention_days" {
  type    = number
  default = null
}

variable "alarm_topic_arn" {
  type    = string
  default = null
}

variable "create_alarm_topic" {
  type    = bool
  default = null
}

variable "alarm_email" {
  type    = string
  default = null
}

variable "tags" {
  type    = map(string)
  default = null
}
