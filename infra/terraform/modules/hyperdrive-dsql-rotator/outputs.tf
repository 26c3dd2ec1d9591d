output "function_name" {
  description = "Name of the function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the function."
  value       = aws_lambda_function.this.arn
}

output "execution_role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.execution.arn
}

output "signer_role_arn" {
  description = "ARN of the signer role (signer-role mode), else null."
  value       = try(aws_iam_role.signer[0].arn, null)
}

output "long_term_keys_user_policy_arn" {
  description = "long-term-keys mode: the policy to attach to the IAM user whose keys are in the secret; else null."
  value       = try(aws_iam_policy.long_term_keys_user[0].arn, null)
}

output "cloudflare_api_token_secret_arn" {
  description = "The secret the function reads the Cloudflare API token from."
  value       = local.token_secret_arn
}

output "cloudflare_api_token_secret_created" {
  description = "True when the module created the secret empty: put the token in it (put_token_command)."
  value       = local.create_token_secret
}

output "put_token_command" {
  description = "Command that stores the Cloudflare API token in the secret (reads it from $CLOUDFLARE_API_TOKEN)."
  value       = "aws secretsmanager put-secret-value --secret-id '${local.token_secret_arn}' --secret-string \"$CLOUDFLARE_API_TOKEN\""
}

output "schedule_interval_minutes" {
  description = "Minutes between runs."
  value       = local.interval_minutes
}

output "schedule_expression" {
  description = "The EventBridge rule's schedule expression."
  value       = aws_cloudwatch_event_rule.schedule.schedule_expression
}

output "guaranteed_token_lifetime_seconds" {
  description = "Token lifetime the signing mode guarantees; null in execution-role mode, where it is unknown."
  value       = local.guaranteed_lifetime_seconds
}

output "token_lifetime_warning" {
  description = "Non-null in execution-role mode: why the real token lifetime is unknown."
  value       = var.signing_mode == "execution-role" ? "execution-role mode: the real token lifetime is unknown (AWS does not publish how long the execution role's credentials last); the schedule is kept at ${local.interval_minutes} minutes. Prefer signer-role." : null
}

output "failure_queue_arn" {
  description = "On-failure destination of the function's asynchronous runs."
  value       = aws_sqs_queue.failures.arn
}

output "failure_queue_url" {
  description = "URL of the failure queue (aws sqs receive-message --queue-url ...)."
  value       = aws_sqs_queue.failures.id
}

output "alarm_topic_arn" {
  description = "SNS topic the alarms notify, or null."
  value       = local.alarm_topic_arn
}

output "alarm_names" {
  description = "Names of the errors, missed-runs and failed-events alarms."
  value = [
    aws_cloudwatch_metric_alarm.errors.alarm_name,
    aws_cloudwatch_metric_alarm.missed_runs.alarm_name,
    aws_cloudwatch_metric_alarm.failed_events.alarm_name,
  ]
}
