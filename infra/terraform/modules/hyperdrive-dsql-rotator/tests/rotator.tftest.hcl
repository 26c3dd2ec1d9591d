# Plans the module against a mocked AWS provider and checks the same properties as the CDK tests
# (infra/cdk/test/rotator.test.ts). Run with: terraform test -var=lambda_zip_path=<any existing file>
# (infra/test.sh makes a small fixture zip).

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
}

override_resource {
  target          = aws_iam_role.execution
  override_during = plan
  values          = { arn = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-execution" }
}
override_resource {
  target          = aws_iam_role.signer
  override_during = plan
  values          = { arn = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer" }
}
override_resource {
  target          = aws_secretsmanager_secret.cloudflare_api_token
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created" }
}
override_resource {
  target          = aws_sqs_queue.failures
  override_during = plan
  values = {
    arn = "arn:aws:sqs:us-east-1:111122223333:hyperdrive-dsql-rotator-failures"
    id  = "https://sqs.us-east-1.amazonaws.com/111122223333/hyperdrive-dsql-rotator-failures"
  }
}
override_resource {
  target          = aws_cloudwatch_log_group.this
  override_during = plan
  values          = { arn = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/hyperdrive-dsql-rotator" }
}
override_resource {
  target          = aws_sns_topic.alarms
  override_during = plan
  values          = { arn = "arn:aws:sns:us-east-1:111122223333:hyperdrive-dsql-rotator-alarms" }
}
override_resource {
  target          = aws_lambda_function.this
  override_during = plan
  values          = { arn = "arn:aws:lambda:us-east-1:111122223333:function:hyperdrive-dsql-rotator" }
}
override_resource {
  target          = aws_cloudwatch_event_rule.schedule
  override_during = plan
  values          = { arn = "arn:aws:events:us-east-1:111122223333:rule/hyperdrive-dsql-rotator-schedule" }
}

variables {
  cloudflare_account_id = "0123456789abcdef0123456789abcdef"
  targets = [
    { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
    { name = "reports", host = "zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws", user = "reader" },
  ]
}

run "function_defaults" {
  command = plan

  assert {
    condition = (
      aws_lambda_function.this.runtime == "provided.al2023" &&
      aws_lambda_function.this.handler == "bootstrap" &&
      aws_lambda_function.this.architectures == tolist(["x86_64"]) &&
      aws_lambda_function.this.memory_size == 128 &&
      aws_lambda_function.this.timeout == 300 &&
      aws_lambda_function.this.reserved_concurrent_executions == 1
    )
    error_message = "The function must be provided.al2023/bootstrap, x86_64, 128 MB, 300 s, reserved concurrency 1."
  }
  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON" && aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/hyperdrive-dsql-rotator"
    error_message = "The function must log JSON to its own log group."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "Log retention must default to 30 days."
  }
  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      CLOUDFLARE_ACCOUNT_ID          = "0123456789abcdef0123456789abcdef"
      CLOUDFLARE_API_TOKEN_SECRET_ID = "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created"
      HYPERDRIVE_TARGETS             = "[{\"host\":\"abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws\",\"name\":\"orders\"},{\"host\":\"zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws\",\"name\":\"reports\",\"user\":\"reader\"}]"
      TOKEN_TTL_SECONDS              = "604800"
      SIGNER_ROLE_ARN                = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer"
      SIGNER_SESSION_SECONDS         = "3600"
    })
    error_message = "Environment: ${jsonencode(aws_lambda_function.this.environment[0].variables)}"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(15 minutes)" && aws_cloudwatch_event_target.function.arn == aws_lambda_function.this.arn
    error_message = "The rule must run the function every 15 minutes by default."
  }
  assert {
    condition     = aws_lambda_permission.schedule.principal == "events.amazonaws.com" && aws_lambda_permission.schedule.source_arn == aws_cloudwatch_event_rule.schedule.arn
    error_message = "Only the schedule rule may invoke the function."
  }
  assert {
    condition     = output.guaranteed_token_lifetime_seconds == 3600 && output.token_lifetime_warning == null
    error_message = "signer-role guarantees min(TTL, session) = 3600 s and warns of nothing."
  }
}

run "function_optional_settings" {
  command = plan

  variables {
    architecture                    = "arm64"
    log_retention_days              = 90
    cloudflare_account_id           = null
    cloudflare_api_token_secret_key = "token"
    token_ttl_seconds               = 3600
    signer_session_seconds          = 1800
    max_concurrency                 = 4
    dry_run                         = true
    targets = [{
      name                    = "orders"
      host                    = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
      region                  = "us-east-1"
      user                    = "app"
      database                = "postgres"
      port                    = 5432
      account_id              = "0123456789abcdef0123456789abcdef"
      caching                 = { disabled = false, max_age = 60, stale_while_revalidate = 15 }
      origin_connection_limit = 20
    }]
  }

  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["arm64"]) && aws_cloudwatch_log_group.this.retention_in_days == 90
    error_message = "arm64 and the retention must be selectable."
  }
  assert {
    condition = jsondecode(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS) == [{
      name                    = "orders"
      host                    = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
      region                  = "us-east-1"
      user                    = "app"
      database                = "postgres"
      port                    = 5432
      account_id              = "0123456789abcdef0123456789abcdef"
      caching                 = { disabled = false, max_age = 60, stale_while_revalidate = 15 }
      origin_connection_limit = 20
    }]
    error_message = "Every target field must reach HYPERDRIVE_TARGETS: ${aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS}"
  }
  assert {
    condition = (
      !contains(keys(aws_lambda_function.this.environment[0].variables), "CLOUDFLARE_ACCOUNT_ID") &&
      aws_lambda_function.this.environment[0].variables.CLOUDFLARE_API_TOKEN_SECRET_KEY == "token" &&
      aws_lambda_function.this.environment[0].variables.TOKEN_TTL_SECONDS == "3600" &&
      aws_lambda_function.this.environment[0].variables.SIGNER_SESSION_SECONDS == "1800" &&
      aws_lambda_function.this.environment[0].variables.MAX_CONCURRENCY == "4" &&
      aws_lambda_function.this.environment[0].variables.DRY_RUN == "true"
    )
    error_message = "Optional settings: ${jsonencode(aws_lambda_function.this.environment[0].variables)}"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(15 minutes)"
    error_message = "A 1800 s session allows 15 minutes."
  }
}

run "signer_role_trust_and_grants" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.signer[0].assume_role_policy).Statement == [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-execution" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "The signer role must trust the execution role only."
  }
  assert {
    condition     = aws_iam_role.signer[0].max_session_duration == 3600
    error_message = "The signer role's sessions last at most one hour."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.signer_dsql[0].policy).Statement : [s.Action, s.Resource] if s.Effect == "Allow"] == [
      ["dsql:DbConnectAdmin", ["arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz"]],
      ["dsql:DbConnect", ["arn:aws:dsql:eu-west-1:111122223333:cluster/zyxwvutsrqponmlkjihgfedcba"]],
    ]
    error_message = "admin targets get DbConnectAdmin, others DbConnect, on exactly their clusters: ${aws_iam_role_policy.signer_dsql[0].policy}"
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.signer_dsql[0].policy).Statement : s if s.Effect == "Deny"] == [{
      Sid       = "DenyOutsideClusterRegions"
      Effect    = "Deny"
      Action    = ["dsql:DbConnect", "dsql:DbConnectAdmin"]
      Resource  = "arn:aws:dsql:*:*:cluster/*"
      Condition = { StringNotEquals = { "aws:RequestedRegion" = ["us-east-1", "eu-west-1"] } }
    }]
    error_message = "DSQL connects must be denied outside the clusters' regions."
  }
}

run "execution_role_grants" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Principal == { Service = "lambda.amazonaws.com" }
    error_message = "Only Lambda assumes the execution role."
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.assume_signer[0].policy).Statement == [{
      Sid      = "AssumeSignerRole"
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer"
    }]
    error_message = "The execution role may assume the signer role and nothing else, from a separate policy."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Action, s.Resource]] == [
      [["logs:CreateLogStream", "logs:PutLogEvents"], "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/hyperdrive-dsql-rotator:*"],
      ["secretsmanager:GetSecretValue", ["arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created"]],
      ["sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:hyperdrive-dsql-rotator-failures"],
    ]
    error_message = "The execution role writes its logs, reads its one secret, sends to its queue: ${aws_iam_role_policy.execution.policy}"
  }
}

run "secret_created_empty" {
  command = plan

  assert {
    condition     = length(aws_secretsmanager_secret.cloudflare_api_token) == 1 && output.cloudflare_api_token_secret_created
    error_message = "Without an ARN the module creates the secret."
  }
  assert {
    condition     = strcontains(output.put_token_command, "put-secret-value") && strcontains(aws_secretsmanager_secret.cloudflare_api_token[0].description, "put-secret-value")
    error_message = "The created secret must say how to put the token in."
  }
}

run "existing_secret_and_kms_key" {
  command = plan

  variables {
    cloudflare_api_token_secret_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token-AbCdEf"
    kms_key_arn                     = "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
  }

  assert {
    condition     = length(aws_secretsmanager_secret.cloudflare_api_token) == 0 && aws_lambda_function.this.environment[0].variables.CLOUDFLARE_API_TOKEN_SECRET_ID == "arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token-AbCdEf"
    error_message = "An existing secret is used as given."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if s.Action == "secretsmanager:GetSecretValue"] == [
      ["arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token-AbCdEf"]
    ]
    error_message = "The function reads exactly that secret."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Resource, s.Condition] if s.Action == "kms:Decrypt"] == [
      ["arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012", { StringEquals = { "kms:ViaService" = ["secretsmanager.us-east-1.amazonaws.com"] } }]
    ]
    error_message = "kms:Decrypt only on the key, only through Secrets Manager."
  }
}

run "signer_role_schedule_30_minutes_allowed" {
  command = plan
  variables {
    schedule_interval_minutes = 30
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(30 minutes)" && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 1800
    error_message = "30 minutes is half of a one-hour token."
  }
}

run "signer_role_schedule_31_minutes_refused" {
  command = plan
  variables {
    schedule_interval_minutes = 31
  }
  expect_failures = [var.schedule_interval_minutes]
}

run "signer_role_daily_refused" {
  command = plan
  variables {
    schedule_interval_minutes = 1440
  }
  expect_failures = [var.schedule_interval_minutes]
}

run "short_session_shortens_default" {
  command = plan
  variables {
    signer_session_seconds = 900
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(7 minutes)"
    error_message = "A 900 s session allows at most 7 minutes."
  }
}

run "short_session_refuses_8_minutes" {
  command = plan
  variables {
    signer_session_seconds    = 900
    schedule_interval_minutes = 8
  }
  expect_failures = [var.schedule_interval_minutes]
}

run "long_term_keys" {
  command = plan
  variables {
    signing_mode              = "long-term-keys"
    long_term_keys_secret_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:dsql-signer-keys-GhIjKl"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(1 day)" && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 21600
    error_message = "long-term-keys runs daily by default."
  }
  assert {
    condition = (
      aws_lambda_function.this.environment[0].variables.SIGNER_CREDENTIALS_SECRET_ID == "arn:aws:secretsmanager:us-east-1:111122223333:secret:dsql-signer-keys-GhIjKl" &&
      !contains(keys(aws_lambda_function.this.environment[0].variables), "SIGNER_ROLE_ARN") &&
      !contains(keys(aws_lambda_function.this.environment[0].variables), "SIGNER_SESSION_SECONDS")
    )
    error_message = "long-term-keys passes the keys secret, no signer role."
  }
  assert {
    condition     = length(aws_iam_role.signer) == 0 && length(aws_iam_role_policy.assume_signer) == 0
    error_message = "No signer role in long-term-keys mode."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if s.Action == "secretsmanager:GetSecretValue"] == [[
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created",
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:dsql-signer-keys-GhIjKl",
    ]]
    error_message = "The function reads both secrets, exactly."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_policy.long_term_keys_user[0].policy).Statement : [s.Action, s.Resource] if s.Effect == "Allow"] == [
      ["dsql:DbConnectAdmin", ["arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz"]],
      ["dsql:DbConnect", ["arn:aws:dsql:eu-west-1:111122223333:cluster/zyxwvutsrqponmlkjihgfedcba"]],
    ]
    error_message = "The IAM user's policy grants the DSQL actions on exactly the clusters."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.missed_runs.period == 86400 && output.guaranteed_token_lifetime_seconds == 604800
    error_message = "Missed-runs alarm period follows the daily schedule."
  }
}

run "long_term_keys_longest_schedule" {
  command = plan
  variables {
    signing_mode              = "long-term-keys"
    long_term_keys_secret_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:dsql-signer-keys-GhIjKl"
    schedule_interval_minutes = 5040
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(84 hours)"
    error_message = "3.5 days is half of a 7-day token."
  }
}

run "long_term_keys_too_long_refused" {
  command = plan
  variables {
    signing_mode              = "long-term-keys"
    long_term_keys_secret_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:dsql-signer-keys-GhIjKl"
    schedule_interval_minutes = 5041
  }
  expect_failures = [var.schedule_interval_minutes]
}

run "long_term_keys_short_ttl_shortens_default" {
  command = plan
  variables {
    signing_mode              = "long-term-keys"
    long_term_keys_secret_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:dsql-signer-keys-GhIjKl"
    token_ttl_seconds         = 3600
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(30 minutes)"
    error_message = "A one-hour TTL allows 30 minutes."
  }
}

run "long_term_keys_needs_its_secret" {
  command = plan
  variables {
    signing_mode = "long-term-keys"
  }
  expect_failures = [var.long_term_keys_secret_arn]
}

run "execution_role" {
  command = plan
  variables {
    signing_mode = "execution-role"
  }
  # The check block is the warning: it must fire (as a warning, the plan still succeeds).
  expect_failures = [check.execution_role_token_lifetime]

  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(15 minutes)"
    error_message = "execution-role keeps 15 minutes."
  }
  assert {
    condition     = output.guaranteed_token_lifetime_seconds == null && strcontains(output.token_lifetime_warning, "unknown")
    error_message = "execution-role says its lifetime is unknown."
  }
  assert {
    condition     = length(aws_iam_role.signer) == 0 && !contains(keys(aws_lambda_function.this.environment[0].variables), "SIGNER_ROLE_ARN")
    error_message = "No signer role in execution-role mode."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Effect, s.Action] if can(regex("^dsql:", try(s.Action[0], s.Action)))] == [
      ["Allow", "dsql:DbConnectAdmin"],
      ["Allow", "dsql:DbConnect"],
      ["Deny", ["dsql:DbConnect", "dsql:DbConnectAdmin"]],
    ]
    error_message = "The execution role holds the DSQL grants itself."
  }
}

run "execution_role_refuses_16_minutes" {
  command = plan
  variables {
    signing_mode              = "execution-role"
    schedule_interval_minutes = 16
  }
  expect_failures = [var.schedule_interval_minutes]
}

run "no_wildcard_on_dsql_or_secrets" {
  command = plan
  variables {
    signing_mode = "execution-role"
  }
  expect_failures = [check.execution_role_token_lifetime]

  assert {
    condition = alltrue([for s in concat(
      jsondecode(aws_iam_role_policy.execution.policy).Statement,
      ) : !anytrue([for a in flatten([s.Action]) : can(regex("^(dsql|secretsmanager):|^\\*$", a))]) || (
      !contains(flatten([s.Resource]), "*") &&
      (s.Effect != "Allow" || alltrue([for r in flatten([s.Resource]) : !strcontains(r, "*")]))
    )])
    error_message = "No dsql or secretsmanager action may have a * resource."
  }
}

run "no_region_deny_when_disabled" {
  command = plan
  variables {
    restrict_to_cluster_regions = false
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.signer_dsql[0].policy).Statement : s if s.Effect == "Deny"]) == 0
    error_message = "restrict_to_cluster_regions = false drops the Deny."
  }
}

run "explicit_cluster_arn" {
  command = plan
  variables {
    targets = [
      { name = "a", host = "explicitcluster.dsql.us-east-2.on.aws", cluster_arn = "arn:aws:dsql:us-east-2:444455556666:cluster/explicitcluster" },
      { name = "b", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "c", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", user = "admin", database = "other" },
    ]
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.signer_dsql[0].policy).Statement : [s.Action, s.Resource] if s.Effect == "Allow"] == [
      ["dsql:DbConnectAdmin", ["arn:aws:dsql:us-east-2:444455556666:cluster/explicitcluster", "arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz"]],
    ]
    error_message = "Explicit ARNs are used as given; one cluster appears once."
  }
  assert {
    condition     = !strcontains(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS, "cluster_arn")
    error_message = "cluster_arn is for IAM only, never passed to the function."
  }
}

run "failure_destination_and_alarms" {
  command = plan

  assert {
    condition = (
      aws_lambda_function_event_invoke_config.this.maximum_retry_attempts == 2 &&
      aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 900 &&
      aws_lambda_function_event_invoke_config.this.destination_config[0].on_failure[0].destination == "arn:aws:sqs:us-east-1:111122223333:hyperdrive-dsql-rotator-failures"
    )
    error_message = "Failed runs go to the queue after 2 retries, never older than one interval."
  }
  assert {
    condition     = aws_sqs_queue.failures.sqs_managed_sse_enabled && jsondecode(aws_sqs_queue_policy.failures.policy).Statement[0].Condition == { Bool = { "aws:SecureTransport" = "false" } }
    error_message = "The failure queue is encrypted and TLS-only."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.errors.metric_name == "Errors" &&
      aws_cloudwatch_metric_alarm.errors.namespace == "AWS/Lambda" &&
      aws_cloudwatch_metric_alarm.errors.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.errors.threshold == 1 &&
      aws_cloudwatch_metric_alarm.errors.comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.errors.treat_missing_data == "notBreaching" &&
      aws_cloudwatch_metric_alarm.errors.dimensions == tomap({ FunctionName = "hyperdrive-dsql-rotator" })
    )
    error_message = "Errors >= 1 alarm."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.missed_runs.metric_name == "Invocations" &&
      aws_cloudwatch_metric_alarm.missed_runs.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.missed_runs.period == 900 &&
      aws_cloudwatch_metric_alarm.missed_runs.evaluation_periods == 2 &&
      aws_cloudwatch_metric_alarm.missed_runs.datapoints_to_alarm == 2 &&
      aws_cloudwatch_metric_alarm.missed_runs.threshold == 1 &&
      aws_cloudwatch_metric_alarm.missed_runs.comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.missed_runs.treat_missing_data == "breaching"
    )
    error_message = "Invocations < 1 over two schedule periods, missing data breaching."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.failed_events.metric_name == "ApproximateNumberOfMessagesVisible" && aws_cloudwatch_metric_alarm.failed_events.dimensions == tomap({ QueueName = "hyperdrive-dsql-rotator-failures" })
    error_message = "An alarm watches the failure queue."
  }
  assert {
    condition     = length(aws_sns_topic.alarms) == 0 && length(aws_cloudwatch_metric_alarm.errors.alarm_actions) == 0 && output.alarm_topic_arn == null
    error_message = "No topic and no alarm action by default."
  }
}

run "existing_alarm_topic" {
  command = plan
  variables {
    alarm_topic_arn = "arn:aws:sns:us-east-1:111122223333:ops-alarms"
  }
  assert {
    condition = length(aws_sns_topic.alarms) == 0 && alltrue([
      for a in [aws_cloudwatch_metric_alarm.errors, aws_cloudwatch_metric_alarm.missed_runs, aws_cloudwatch_metric_alarm.failed_events] :
      a.alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:ops-alarms"])
    ])
    error_message = "All alarms notify the existing topic."
  }
}

run "created_alarm_topic_with_email" {
  command = plan
  variables {
    alarm_email = "ops@example.com"
  }
  assert {
    condition = (
      length(aws_sns_topic.alarms) == 1 &&
      aws_sns_topic_subscription.email[0].protocol == "email" &&
      aws_sns_topic_subscription.email[0].endpoint == "ops@example.com" &&
      aws_cloudwatch_metric_alarm.errors.alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:hyperdrive-dsql-rotator-alarms"])
    )
    error_message = "alarm_email creates a topic with an email subscription, notified by the alarms."
  }
  assert {
    condition     = [for s in jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement : s.Effect] == ["Allow", "Deny"]
    error_message = "The topic admits this account's alarms and refuses insecure transport."
  }
}

run "topic_inputs_conflict" {
  command = plan
  variables {
    alarm_topic_arn    = "arn:aws:sns:us-east-1:111122223333:ops-alarms"
    create_alarm_topic = true
  }
  expect_failures = [var.alarm_topic_arn]
}

run "bad_host_refused" {
  command = plan
  variables {
    targets = [{ name = "a", host = "db.example.com" }]
  }
  expect_failures = [var.targets]
}

run "region_contradicting_host_refused" {
  command = plan
  variables {
    targets = [{ name = "a", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", region = "eu-west-1" }]
  }
  expect_failures = [var.targets]
}

run "duplicate_names_refused" {
  command = plan
  variables {
    targets = [
      { name = "a", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "a", host = "zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws" },
    ]
  }
  expect_failures = [var.targets]
}

run "missing_account_refused" {
  command = plan
  variables {
    cloudflare_account_id = null
  }
  expect_failures = [var.targets]
}

run "partial_secret_arn_refused" {
  command = plan
  variables {
    cloudflare_api_token_secret_arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token"
  }
  expect_failures = [var.cloudflare_api_token_secret_arn]
}

run "too_short_lifetime_refused" {
  command = plan
  variables {
    token_ttl_seconds = 119
  }
  expect_failures = [var.token_ttl_seconds]
}

run "bad_retention_refused" {
  command = plan
  variables {
    log_retention_days = 31
  }
  expect_failures = [var.log_retention_days]
}
