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
  description = "ARN of the signer role of the clusters in this account (signer-role mode, when there are such clusters), else null."
  value       = try(aws_iam_role.signer[0].arn, null)
}

output "cross_account_signers" {
  description = "Per other AWS account with clusters: the inputs of its module cross-account-signer (execution_role_arn, db_connect_admin_cluster_arns, db_connect_cluster_arns). Independent of cross_account_signer_roles (no cycle when a root feeds it to that module)."
  value       = local.cross_account_signers
}

output "hyperdrive_targets" {
  description = "HYPERDRIVE_TARGETS as the function reads it (JSON): the targets in snake_case, unset fields left out, signer_role_arn on those of other accounts."
  value       = local.targets_json
}

output "assumed_signer_role_arns" {
  description = "The roles the execution role may assume: this account's signer role (signer-role mode) and the cross-account roles in use."
  value       = concat(local.create_signer_role ? [aws_iam_role.signer[0].arn] : [], local.cross_account_role_arns)
}

output "database_grants" {
  description = "For every target whose user is not admin: the AWS IAM GRANT statement to run once, connected as admin, on its cluster (host), so that the role signing its tokens may log in as that user."
  value       = local.database_grants
}

output "signer_user_name" {
  description = "long-term-keys mode: the IAM user whose keys sign (aws iam list-access-keys --user-name <this>), else null."
  value       = try(aws_iam_user.signer[0].name, null)
}

output "signer_user_arn" {
  description = "long-term-keys mode: that user's ARN (what the database grants name), else null."
  value       = try(aws_iam_user.signer[0].arn, null)
}

output "signer_keys_secret_arn" {
  description = "long-term-keys mode: the secret holding the signer user's key, rotated by the function (aws secretsmanager describe-secret --secret-id <this>), else null."
  value       = local.signer_keys_secret_arn
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
  value       = local.token_secret_arn == null ? null : "aws secretsmanager put-secret-value --secret-id '${local.token_secret_arn}' --secret-string \"$CLOUDFLARE_API_TOKEN\""
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
  description = "Token lifetime guaranteed for every target; null when some target is signed in execution-role mode, where it is unknown."
  value       = local.guaranteed_lifetime_seconds
}

output "token_lifetime_warning" {
  description = "Non-null in execution-role mode: why the real token lifetime is unknown."
  value       = local.lifetime_unknown ? "execution-role mode: the real token lifetime is unknown (AWS does not publish how long the execution role's credentials last); the schedule is kept at ${local.interval_minutes} minutes. Prefer signer-role." : null
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
  description = "Names of the errors, missed-runs, failed-events and delivery-failures alarms, then the dark-soon alarm (unless the token lifetime is unknown) and the Cloudflare-token-expiring alarm."
  value       = [for a in local.alarms : a.alarm_name]
}

output "alarm_arns" {
  description = "ARNs of the same alarms (for a topic policy of your own: aws:SourceArn)."
  value       = [for a in local.alarms : a.arn]
}

output "log_group_name" {
  description = "The function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the function's log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "schedule_rule_name" {
  description = "The EventBridge rule that runs the function."
  value       = aws_cloudwatch_event_rule.schedule.name
}

output "schedule_rule_arn" {
  description = "ARN of the EventBridge rule."
  value       = aws_cloudwatch_event_rule.schedule.arn
}
