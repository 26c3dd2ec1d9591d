output "function_name" {
  description = "Name of the function."
  value       = module.rotator.function_name
}

output "execution_role_arn" {
  description = "The function's execution role, trusted by the signer role of the second account."
  value       = module.rotator.execution_role_arn
}

output "signer_role_arns" {
  description = "The signer role of each account: this one's (clusters of the function's account) and the second's."
  value       = { (module.signer.account_id) = module.signer.role_arn, local = module.rotator.signer_role_arn }
}

output "database_grants" {
  description = "Run each statement once, connected as admin, on the cluster it names (host): the non-admin users' AWS IAM GRANT."
  value       = module.rotator.database_grants
}

output "schedule_expression" {
  description = "The EventBridge rule's schedule expression."
  value       = module.rotator.schedule_expression
}

output "guaranteed_token_lifetime_seconds" {
  description = "Token lifetime guaranteed for every target."
  value       = module.rotator.guaranteed_token_lifetime_seconds
}

output "log_group_name" {
  description = "The function's log group."
  value       = module.rotator.log_group_name
}

output "failure_queue_url" {
  description = "URL of the failure queue."
  value       = module.rotator.failure_queue_url
}

output "alarm_names" {
  description = "The errors, missed-runs, failed-events, delivery-failures, dark-soon and Cloudflare-token-expiring alarms."
  value       = module.rotator.alarm_names
}

output "dashboard_url" {
  description = "Console URL of the CloudWatch dashboard (time to dark per target, runs, errors, Cloudflare token days left)."
  value       = module.rotator.dashboard_url
}
