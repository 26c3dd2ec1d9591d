# Example root: one hyperdrive-dsql-rotator in one region. Every module input is exposed here; null means the
# module's default (infra/README.md lists them).

provider "aws" {
  region = var.region
}

module "rotator" {
  source = "../../modules/hyperdrive-dsql-rotator"

  # Built by `cargo lambda build --release --output-format zip` at the repository root.
  lambda_zip_path = coalesce(var.lambda_zip_path, "${path.module}/../../../../target/lambda/hyperdrive-dsql-rotator/bootstrap.zip")

  targets                         = var.targets
  cloudflare_account_id           = var.cloudflare_account_id
  cloudflare_api_token_secret_arn = var.cloudflare_api_token_secret_arn
  cloudflare_api_token_secret_key = var.cloudflare_api_token_secret_key
  kms_key_arn                     = var.kms_key_arn
  signing_mode                    = var.signing_mode
  token_ttl_seconds               = var.token_ttl_seconds
  signer_session_seconds          = var.signer_session_seconds
  long_term_keys_secret_arn       = var.long_term_keys_secret_arn
  schedule_interval_minutes       = var.schedule_interval_minutes
  restrict_to_cluster_regions     = var.restrict_to_cluster_regions
  max_concurrency                 = var.max_concurrency
  dry_run                         = var.dry_run
  function_name                   = var.function_name
  architecture                    = var.architecture
  log_retention_days              = var.log_retention_days
  alarm_topic_arn                 = var.alarm_topic_arn
  create_alarm_topic              = var.create_alarm_topic
  alarm_email                     = var.alarm_email
  tags                            = var.tags
}
