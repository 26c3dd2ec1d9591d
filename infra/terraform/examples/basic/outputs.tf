output "function_name" {
  value = module.rotator.function_name
}

output "cloudflare_api_token_secret_arn" {
  value = module.rotator.cloudflare_api_token_secret_arn
}

output "put_token_command" {
  description = "Run once after the first apply when the secret was created (reads the token from $CLOUDFLARE_API_TOKEN)."
  value       = module.rotator.put_token_command
}

output "signer_role_arn" {
  value = module.rotator.signer_role_arn
}

output "long_term_keys_user_policy_arn" {
  value = module.rotator.long_term_keys_user_policy_arn
}

output "schedule_expression" {
  value = module.rotator.schedule_expression
}

output "guaranteed_token_lifetime_seconds" {
  value = module.rotator.guaranteed_token_lifetime_seconds
}

output "token_lifetime_warning" {
  value = module.rotator.token_lifetime_warning
}

output "failure_queue_url" {
  value = module.rotator.failure_queue_url
}

output "alarm_names" {
  value = module.rotator.alarm_names
}
