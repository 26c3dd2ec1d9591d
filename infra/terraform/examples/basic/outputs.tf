output "function_name" {
  description = "Name of the function."
  value       = module.rotator.function_name
}

output "execution_role_arn" {
  description = "The function's execution role: what a signer role in another account must trust."
  value       = module.rotator.execution_role_arn
}

output "cloudflare_api_token_secret_arn" {
  description = "The secret the function reads the Cloudflare API token from."
  value       = module.rotator.cloudflare_api_token_secret_arn
}

output "put_token_command" {
  description = "Run once after the first apply when the secret was created (reads the token from $CLOUDFLARE_API_TOKEN)."
  value       = module.rotator.put_token_command
}

output "signer_role_arn" {
  description = "The signer role of the clusters in this account (signer-role mode), else null."
  value       = module.rotator.signer_role_arn
}

output "signer_user_name" {
  description = "long-term-keys mode: the IAM user whose keys sign, else null."
  value       = module.rotator.signer_user_name
}

output "signer_keys_secret_arn" {
  description = "long-term-keys mode: the secret of that user's key, rotated by the function, else null."
  value       = module.rotator.signer_keys_secret_arn
}

output "database_grants" {
  description = "The AWS IAM GRANT statement to run, as admin, on the cluster of each target whose user is not admin."
  value       = module.rotator.database_grants
}

output "cross_account_signers" {
  description = "Per other AWS account: the inputs of its cross-account-signer module."
  value       = module.rotator.cross_account_signers
}

output "schedule_expression" {
  description = "The EventBridge rule's schedule expression."
  value       = module.rotator.schedule_expression
}

output "schedule_rule_name" {
  description = "The EventBridge rule that runs the function."
  value       = module.rotator.schedule_rule_name
}

output "guaranteed_token_lifetime_seconds" {
  description = "Token lifetime guaranteed for every target; null when unknown (execution-role mode)."
  value       = module.rotator.guaranteed_token_lifetime_seconds
}

output "token_lifetime_warning" {
  description = "Non-null in execution-role mode: why the real token lifetime is unknown."
  value       = module.rotator.token_lifetime_warning
}

output "log_group_name" {
  description = "The function's log group."
  value       = module.rotator.log_group_name
}

output "failure_queue_url" {
  description = "URL of the failure queue (aws sqs receive-message --queue-url ...)."
  value       = module.rotator.failure_queue_url
}

output "alarm_names" {
  description = "The errors, missed-runs, failed-events, delivery-failures, dark-soon (unless the token lifetime is unknown) and Cloudflare-token-expiring alarms."
  value       = module.rotator.alarm_names
}

output "dashboard_url" {
  description = "Console URL of the CloudWatch dashboard (time to dark per target, runs, errors, Cloudflare token days left)."
  value       = module.rotator.dashboard_url
}

output "dark_soon_threshold_seconds" {
  description = "Threshold of the dark-soon alarm; null in execution-role mode (no such alarm)."
  value       = module.rotator.dark_soon_threshold_seconds
}
