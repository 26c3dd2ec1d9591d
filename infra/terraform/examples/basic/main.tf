# Example root: one hyperdrive-dsql-rotator in one region, its clusters in the same AWS account. Every module input is
# exposed here; null means the module's default (infra/README.md lists them). For clusters in another account, see
# ../two-accounts.

provider "aws" {
  region = var.region
}

module "rotator" {
  source = "../../modules/hyperdrive-dsql-rotator"

  # The release zip (hyperdrive-dsql-rotator-<version>-<arch>.zip from the GitHub release, checksum checked against
  # its SHA256SUMS, or scripts/release.sh's dist/), or `cargo lambda build --release --output-format zip`'s output.
  lambda_zip_path = coalesce(var.lambda_zip_path, "${path.module}/../../../../target/lambda/hyperdrive-dsql-rotator/bootstrap.zip")

  targets                                 = var.targets
  cross_account_signer_roles              = var.cross_account_signer_roles
  cloudflare_account_id                   = var.cloudflare_account_id
  cloudflare_api_token_secret_arn         = var.cloudflare_api_token_secret_arn
  cloudflare_api_token_secret_kms_key_arn = var.cloudflare_api_token_secret_kms_key_arn
  cloudflare_api_token_secret_key         = var.cloudflare_api_token_secret_key
  signing_mode                            = var.signing_mode
  token_ttl_seconds                       = var.token_ttl_seconds
  signer_session_seconds                  = var.signer_session_seconds
  long_term_keys_secret_kms_key_arn       = var.long_term_keys_secret_kms_key_arn
  signer_keys_rotation_days               = var.signer_keys_rotation_days
  schedule_interval_minutes               = var.schedule_interval_minutes
  restrict_to_cluster_regions             = var.restrict_to_cluster_regions
  max_concurrency                         = var.max_concurrency
  dry_run                                 = var.dry_run
  function_name                           = var.function_name
  architecture                            = var.architecture
  memory_size                             = var.memory_size
  timeout_seconds                         = var.timeout_seconds
  reserved_concurrent_executions          = var.reserved_concurrent_executions
  permissions_boundary_arn                = var.permissions_boundary_arn
  iam_path                                = var.iam_path
  log_retention_days                      = var.log_retention_days
  log_group_skip_destroy                  = var.log_group_skip_destroy
  secret_recovery_window_days             = var.secret_recovery_window_days
  alarm_topic_arn                         = var.alarm_topic_arn
  create_alarm_topic                      = var.create_alarm_topic
  alarm_email                             = var.alarm_email
  dark_soon_threshold_seconds             = var.dark_soon_threshold_seconds
  cloudflare_token_alarm_days             = var.cloudflare_token_alarm_days
  create_dashboard                        = var.create_dashboard
  tags                                    = var.tags
}
