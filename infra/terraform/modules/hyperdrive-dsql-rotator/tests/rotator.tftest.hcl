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
    defaults = { id = "us-east-1", name = "us-east-1" }
  }
}

override_resource {
  target          = aws_iam_role.execution
  override_during = plan
  values          = { arn = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-exec-us-east-1" }
}
override_resource {
  target          = aws_iam_role.signer
  override_during = plan
  values          = { arn = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer-us-east-1" }
}
override_resource {
  target          = aws_secretsmanager_secret.cloudflare_api_token
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created" }
}
override_resource {
  target          = aws_secretsmanager_secret.signer_keys
  override_during = plan
  values          = { arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01" }
}
override_resource {
  target          = aws_iam_user.signer
  override_during = plan
  values          = { arn = "arn:aws:iam::111122223333:user/hyperdrive-dsql-rotator-signer-us-east-1" }
}
override_resource {
  target          = aws_iam_policy.signer_boundary
  override_during = plan
  values          = { arn = "arn:aws:iam::111122223333:policy/hyperdrive-dsql-rotator-signer-boundary-us-east-1" }
}
override_resource {
  target          = aws_iam_policy.long_term_keys_user
  override_during = plan
  values          = { arn = "arn:aws:iam::111122223333:policy/hyperdrive-dsql-rotator-dsql-connect-us-east-1" }
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
override_resource {
  target          = aws_cloudwatch_metric_alarm.errors
  override_during = plan
  values          = { arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-errors" }
}
override_resource {
  target          = aws_cloudwatch_metric_alarm.missed_runs
  override_during = plan
  values          = { arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-missed-runs" }
}
override_resource {
  target          = aws_cloudwatch_metric_alarm.failed_events
  override_during = plan
  values          = { arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-failed-events" }
}
override_resource {
  target          = aws_cloudwatch_metric_alarm.delivery_failures
  override_during = plan
  values          = { arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-delivery-failures" }
}
override_resource {
  target          = aws_cloudwatch_metric_alarm.dark_soon
  override_during = plan
  values          = { arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-dark-soon" }
}
override_resource {
  target          = aws_cloudwatch_metric_alarm.cloudflare_token_expiring
  override_during = plan
  values          = { arn = "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-cloudflare-token-expiring" }
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
      coalesce(aws_lambda_function.this.reserved_concurrent_executions, -1) == -1
    )
    error_message = "The function must be provided.al2023/bootstrap, x86_64, 128 MB, 300 s, no reserved concurrency."
  }
  assert {
    condition     = aws_lambda_function.this.logging_config[0].log_format == "JSON" && aws_lambda_function.this.logging_config[0].log_group == "/aws/lambda/hyperdrive-dsql-rotator"
    error_message = "The function must log JSON to its own log group."
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == 30 && aws_cloudwatch_log_group.this.skip_destroy == false
    error_message = "Log retention must default to 30 days, the group destroyed with the module (Terraform's convention)."
  }
  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      CLOUDFLARE_ACCOUNT_ID          = "0123456789abcdef0123456789abcdef"
      CLOUDFLARE_API_TOKEN_SECRET_ID = "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created"
      HYPERDRIVE_TARGETS             = "[{\"host\":\"abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws\",\"name\":\"orders\"},{\"host\":\"zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws\",\"name\":\"reports\",\"user\":\"reader\"}]"
      TOKEN_TTL_SECONDS              = "604800"
      SIGNER_ROLE_ARN                = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer-us-east-1"
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
  assert {
    condition = (
      output.log_group_name == "/aws/lambda/hyperdrive-dsql-rotator" &&
      output.log_group_arn == "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/hyperdrive-dsql-rotator" &&
      output.schedule_rule_name == "hyperdrive-dsql-rotator-schedule" &&
      output.schedule_rule_arn == "arn:aws:events:us-east-1:111122223333:rule/hyperdrive-dsql-rotator-schedule"
    )
    error_message = "The log group and the rule are outputs."
  }
}

run "function_optional_settings" {
  command = plan

  variables {
    architecture                    = "arm64"
    log_retention_days              = 90
    log_group_skip_destroy          = true
    memory_size                     = 256
    timeout_seconds                 = 120
    reserved_concurrent_executions  = 1
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
    condition     = aws_lambda_function.this.architectures == tolist(["arm64"]) && aws_cloudwatch_log_group.this.retention_in_days == 90 && aws_cloudwatch_log_group.this.skip_destroy
    error_message = "arm64, the retention and skip_destroy must be selectable."
  }
  assert {
    condition     = aws_lambda_function.this.memory_size == 256 && aws_lambda_function.this.timeout == 120 && aws_lambda_function.this.reserved_concurrent_executions == 1
    error_message = "Memory, timeout and reserved concurrency are inputs."
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
    condition     = strcontains(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS, "\"port\":5432") && strcontains(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS, "\"origin_connection_limit\":20")
    error_message = "Numbers stay JSON numbers."
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

run "null_fields_are_left_out" {
  command = plan
  variables {
    targets = [{ name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", user = null, caching = { disabled = true, max_age = null } }]
  }
  assert {
    condition     = jsondecode(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS) == [{ name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", caching = { disabled = true } }]
    error_message = "Null means unset, as in the function: ${aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS}"
  }
}

run "signer_role_trust_and_grants" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.signer[0].assume_role_policy).Statement == [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-exec-us-east-1" }
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

run "signer_role_boundary_allows_only_dsql_connect_on_its_clusters" {
  command = plan

  assert {
    condition     = aws_iam_role.signer[0].permissions_boundary == aws_iam_policy.signer_boundary[0].arn
    error_message = "The signer role must have its own permissions boundary."
  }
  assert {
    condition = jsondecode(aws_iam_policy.signer_boundary[0].policy).Statement == [
      { Sid = "ConnectAsAdmin", Effect = "Allow", Action = "dsql:DbConnectAdmin", Resource = ["arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz"] },
      { Sid = "ConnectAsRole", Effect = "Allow", Action = "dsql:DbConnect", Resource = ["arn:aws:dsql:eu-west-1:111122223333:cluster/zyxwvutsrqponmlkjihgfedcba"] },
    ]
    error_message = "The boundary allows DSQL connect on exactly the clusters, nothing else: ${aws_iam_policy.signer_boundary[0].policy}"
  }
}

run "execution_role_may_revoke_on_exactly_the_signer_role" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role_policy.revoke_signer_sessions[0].policy).Statement == [{
      Sid      = "RevokePolicyOnSignerRole"
      Effect   = "Allow"
      Action   = ["iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy"]
      Resource = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer-us-east-1"
    }]
    error_message = "The execution role may put, read and delete inline policies of exactly the signer role: ${aws_iam_role_policy.revoke_signer_sessions[0].policy}"
  }
  assert {
    condition     = aws_iam_role_policy.revoke_signer_sessions[0].role == aws_iam_role.execution.id
    error_message = "The revoke grant belongs to the execution role."
  }
  assert {
    condition = alltrue([for s in concat(jsondecode(aws_iam_role_policy.execution.policy).Statement, jsondecode(aws_iam_role_policy.assume_signer[0].policy).Statement) :
    !anytrue([for a in flatten([s.Action]) : startswith(a, "iam:")])])
    error_message = "No other IAM action on the execution role."
  }
  assert {
    condition     = length(aws_iam_user.signer) == 0 && length(aws_secretsmanager_secret.signer_keys) == 0 && length(aws_secretsmanager_secret_rotation.signer_keys) == 0
    error_message = "No signer user, keys secret or rotation in signer-role mode."
  }
}

run "iam_names_hold_the_region_and_take_path_and_boundary" {
  command = plan
  variables {
    iam_path                 = "/hyperdrive/"
    permissions_boundary_arn = "arn:aws:iam::111122223333:policy/platform-boundary"
  }
  assert {
    condition     = aws_iam_role.execution.name == "hyperdrive-dsql-rotator-exec-us-east-1" && aws_iam_role.signer[0].name == "hyperdrive-dsql-rotator-signer-us-east-1"
    error_message = "IAM names are global to the account: they hold the region."
  }
  assert {
    condition = (
      alltrue([for r in [aws_iam_role.execution, aws_iam_role.signer[0]] : r.path == "/hyperdrive/"]) &&
      aws_iam_policy.signer_boundary[0].path == "/hyperdrive/" &&
      aws_iam_role.execution.permissions_boundary == "arn:aws:iam::111122223333:policy/platform-boundary"
    )
    error_message = "Every role and policy gets the path; the execution role gets the permissions boundary given."
  }
  assert {
    condition     = aws_iam_role.signer[0].permissions_boundary == "arn:aws:iam::111122223333:policy/hyperdrive-dsql-rotator-signer-boundary-us-east-1"
    error_message = "The signer role keeps its own boundary (DSQL connect only), whatever boundary is given."
  }
}

run "iam_name_too_long_for_the_region_refused" {
  command = plan
  variables {
    function_name = "a-very-long-function-name-for-the-hyperdrive-rotator"
  }
  expect_failures = [var.function_name]
}

run "release_zip_of_the_other_architecture_refused" {
  command = plan
  variables {
    lambda_zip_path = "dist/hyperdrive-dsql-rotator-0.1.0-arm64.zip"
  }
  expect_failures = [var.lambda_zip_path]
}

run "bad_iam_path_refused" {
  command = plan
  variables {
    iam_path = "hyperdrive"
  }
  expect_failures = [var.iam_path]
}

run "execution_role_grants" {
  command = plan

  assert {
    condition     = jsondecode(aws_iam_role.execution.assume_role_policy).Statement[0].Principal == { Service = "lambda.amazonaws.com" }
    error_message = "Only Lambda assumes the execution role."
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.assume_signer[0].policy).Statement == [{
      Sid      = "AssumeSignerRoles"
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = ["arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer-us-east-1"]
    }]
    error_message = "The execution role may assume the signer role and nothing else, from a separate policy."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Action, s.Resource]] == [
      [["logs:CreateLogStream", "logs:PutLogEvents"], "arn:aws:logs:us-east-1:111122223333:log-group:/aws/lambda/hyperdrive-dsql-rotator:*"],
      ["secretsmanager:GetSecretValue", ["arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created"]],
      ["sqs:SendMessage", "arn:aws:sqs:us-east-1:111122223333:hyperdrive-dsql-rotator-failures"],
    ]
    error_message = "The execution role writes its logs, reads its one secret, only sends to its queue: ${aws_iam_role_policy.execution.policy}"
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
  assert {
    condition     = aws_secretsmanager_secret.cloudflare_api_token[0].recovery_window_in_days == 30
    error_message = "The recovery window defaults to AWS's 30 days."
  }
}

run "secret_recovery_window" {
  command = plan
  variables {
    secret_recovery_window_days             = 0
    cloudflare_api_token_secret_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
  }
  assert {
    condition     = aws_secretsmanager_secret.cloudflare_api_token[0].recovery_window_in_days == 0 && aws_secretsmanager_secret.cloudflare_api_token[0].kms_key_id == "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
    error_message = "secret_recovery_window_days = 0 deletes at once (a re-create with the same name works); the created secret uses its key."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Condition if s.Action == "kms:Decrypt"] == [{
      StringEquals = {
        "kms:ViaService"                  = ["secretsmanager.us-east-1.amazonaws.com"]
        "kms:EncryptionContext:SecretARN" = ["arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created"]
      }
    }]
    error_message = "kms:Decrypt bound to the created secret."
  }
}

run "bad_recovery_window_refused" {
  command = plan
  variables {
    secret_recovery_window_days = 3
  }
  expect_failures = [var.secret_recovery_window_days]
}

run "existing_secret_and_kms_key" {
  command = plan

  variables {
    cloudflare_api_token_secret_arn         = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token-AbCdEf"
    cloudflare_api_token_secret_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
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
      ["arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012", { StringEquals = {
        "kms:ViaService"                  = ["secretsmanager.us-east-1.amazonaws.com"]
        "kms:EncryptionContext:SecretARN" = ["arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token-AbCdEf"]
      } }]
    ]
    error_message = "kms:Decrypt only on the key, only through Secrets Manager, only for that secret."
  }
}

run "a_kms_key_per_secret" {
  command = plan
  variables {
    cloudflare_api_token_secret_arn         = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token-AbCdEf"
    cloudflare_api_token_secret_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
    signing_mode                            = "long-term-keys"
    long_term_keys_secret_kms_key_arn       = "arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-dddd-eeee-ffff-210987654321"
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Action, s.Resource, s.Condition.StringEquals["kms:EncryptionContext:SecretARN"]] if try(startswith(s.Action, "kms:"), false)] == [
      ["kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012", ["arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token-AbCdEf"]],
      ["kms:Decrypt", "arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-dddd-eeee-ffff-210987654321", ["arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01"]],
      ["kms:GenerateDataKey", "arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-dddd-eeee-ffff-210987654321", ["arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01"]],
    ]
    error_message = "Each key may decrypt only its own secret; the keys secret's key also makes data keys for it: ${aws_iam_role_policy.execution.policy}"
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Condition.StringEquals["kms:ViaService"] if try(startswith(s.Action, "kms:"), false)] == [
      ["secretsmanager.us-east-1.amazonaws.com"], ["secretsmanager.us-east-1.amazonaws.com"], ["secretsmanager.us-east-1.amazonaws.com"],
    ]
    error_message = "KMS only through Secrets Manager."
  }
  assert {
    condition     = aws_secretsmanager_secret.signer_keys[0].kms_key_id == "arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-dddd-eeee-ffff-210987654321"
    error_message = "The keys secret is encrypted with the key given."
  }
}

run "kms_alias_refused" {
  command = plan
  variables {
    cloudflare_api_token_secret_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:alias/secrets"
  }
  expect_failures = [var.cloudflare_api_token_secret_kms_key_arn]
}

run "bad_cloudflare_account_refused" {
  command = plan
  variables {
    cloudflare_account_id = "0123456789abcdef"
  }
  expect_failures = [var.cloudflare_account_id]
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

run "schedule_shorter_than_timeout_refused" {
  command = plan
  variables {
    schedule_interval_minutes = 5
  }
  expect_failures = [var.schedule_interval_minutes]
}

run "schedule_of_timeout_plus_a_minute_allowed" {
  command = plan
  variables {
    timeout_seconds           = 60
    schedule_interval_minutes = 2
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(2 minutes)"
    error_message = "A 60 s timeout allows a 2-minute schedule."
  }
}

run "long_timeout_lengthens_default" {
  command = plan
  variables {
    timeout_seconds = 900
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(16 minutes)"
    error_message = "A 15-minute timeout needs 16 minutes between runs."
  }
}

run "no_schedule_fits_refused" {
  command = plan
  variables {
    token_ttl_seconds = 600
  }
  expect_failures = [aws_cloudwatch_event_rule.schedule]
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
    signing_mode = "long-term-keys"
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(1 day)" && aws_lambda_function_event_invoke_config.this.maximum_event_age_in_seconds == 21600
    error_message = "long-term-keys runs daily by default."
  }
  assert {
    condition = (
      aws_lambda_function.this.environment[0].variables.SIGNER_CREDENTIALS_SECRET_ID == "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01" &&
      aws_lambda_function.this.environment[0].variables.SIGNER_USER_NAME == "hyperdrive-dsql-rotator-signer-us-east-1" &&
      !contains(keys(aws_lambda_function.this.environment[0].variables), "SIGNER_ROLE_ARN") &&
      !contains(keys(aws_lambda_function.this.environment[0].variables), "SIGNER_SESSION_SECONDS")
    )
    error_message = "long-term-keys passes the created keys secret and the signer user, no signer role: ${jsonencode(aws_lambda_function.this.environment[0].variables)}"
  }
  assert {
    condition     = length(aws_iam_role.signer) == 0 && length(aws_iam_role_policy.assume_signer) == 0 && length(aws_iam_role_policy.revoke_signer_sessions) == 0 && length(aws_iam_policy.signer_boundary) == 0
    error_message = "No signer role (nor its boundary or revoke grant) in long-term-keys mode."
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == 1
    error_message = "Runs and rotation steps must not overlap: reserved concurrency 1 by default."
  }
  assert {
    condition     = output.guaranteed_token_lifetime_seconds == 604800 && aws_cloudwatch_metric_alarm.missed_runs.period == 86400
    error_message = "Missed-runs alarm period follows the daily schedule."
  }
}

run "long_term_keys_signer_user" {
  command = plan
  variables {
    signing_mode = "long-term-keys"
  }
  assert {
    condition     = aws_iam_user.signer[0].name == "hyperdrive-dsql-rotator-signer-us-east-1" && aws_iam_user.signer[0].permissions_boundary == null && aws_iam_user.signer[0].path == "/"
    error_message = "The signer user holds the region in its name."
  }
  assert {
    condition = (
      aws_iam_user_group_membership.signer[0].user == aws_iam_user.signer[0].name &&
      aws_iam_user_group_membership.signer[0].groups == toset([aws_iam_group.signer[0].name]) &&
      aws_iam_group_policy_attachment.signer_dsql[0].group == aws_iam_group.signer[0].name &&
      aws_iam_group_policy_attachment.signer_dsql[0].policy_arn == aws_iam_policy.long_term_keys_user[0].arn
    )
    error_message = "The user connects through its group's policy."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_policy.long_term_keys_user[0].policy).Statement : [s.Effect, s.Action, s.Resource]] == [
      ["Allow", "dsql:DbConnectAdmin", ["arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz"]],
      ["Allow", "dsql:DbConnect", ["arn:aws:dsql:eu-west-1:111122223333:cluster/zyxwvutsrqponmlkjihgfedcba"]],
      ["Deny", ["dsql:DbConnect", "dsql:DbConnectAdmin"], "arn:aws:dsql:*:*:cluster/*"],
    ]
    error_message = "The user's only grants: DSQL connect on exactly the clusters (and the region deny)."
  }
  assert {
    condition     = output.database_grants[0].statement == "AWS IAM GRANT reader TO 'arn:aws:iam::111122223333:user/hyperdrive-dsql-rotator-signer-us-east-1';"
    error_message = "In long-term-keys mode the grant names the signer user: ${jsonencode(output.database_grants)}"
  }
  assert {
    condition = (
      output.signer_user_name == "hyperdrive-dsql-rotator-signer-us-east-1" &&
      output.signer_user_arn == "arn:aws:iam::111122223333:user/hyperdrive-dsql-rotator-signer-us-east-1" &&
      output.signer_keys_secret_arn == "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01"
    )
    error_message = "The user and the keys secret are outputs."
  }
}

run "long_term_keys_secret_and_its_rotation" {
  command = plan
  variables {
    signing_mode = "long-term-keys"
  }
  assert {
    condition     = aws_secretsmanager_secret.signer_keys[0].name == "hyperdrive-dsql-rotator/signer-keys" && aws_secretsmanager_secret.signer_keys[0].kms_key_id == null && aws_secretsmanager_secret.signer_keys[0].recovery_window_in_days == 30
    error_message = "The keys secret is created under the AWS managed key unless a key is given."
  }
  assert {
    condition = (
      aws_secretsmanager_secret_rotation.signer_keys[0].secret_id == aws_secretsmanager_secret.signer_keys[0].id &&
      aws_secretsmanager_secret_rotation.signer_keys[0].rotation_lambda_arn == "arn:aws:lambda:us-east-1:111122223333:function:hyperdrive-dsql-rotator" &&
      aws_secretsmanager_secret_rotation.signer_keys[0].rotation_rules[0].automatically_after_days == 30
    )
    error_message = "The function rotates the keys secret every 30 days by default."
  }
  assert {
    condition = (
      aws_lambda_permission.signer_keys_rotation[0].principal == "secretsmanager.amazonaws.com" &&
      aws_lambda_permission.signer_keys_rotation[0].action == "lambda:InvokeFunction" &&
      aws_lambda_permission.signer_keys_rotation[0].function_name == aws_lambda_function.this.function_name &&
      aws_lambda_permission.signer_keys_rotation[0].source_arn == "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01"
    )
    error_message = "Secrets Manager may invoke the function for exactly the keys secret."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Action, s.Resource] if can(regex("^(iam|secretsmanager):", try(s.Action[0], s.Action)))] == [
      ["secretsmanager:GetSecretValue", ["arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created", "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01"]],
      [["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"], "arn:aws:iam::111122223333:user/hyperdrive-dsql-rotator-signer-us-east-1"],
      [["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"], "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01"],
    ]
    error_message = "The execution role manages exactly the signer user's keys and writes exactly the keys secret's versions: ${aws_iam_role_policy.execution.policy}"
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if can(regex("^(kms|sts|dsql):", try(s.Action[0], s.Action)))]) == 0
    error_message = "No KMS (AWS managed key), STS or DSQL grant on the execution role."
  }
}

run "long_term_keys_rotation_every_7_days_and_no_reserved_concurrency" {
  command = plan
  variables {
    signing_mode                   = "long-term-keys"
    signer_keys_rotation_days      = 7
    reserved_concurrent_executions = -1
    iam_path                       = "/hyperdrive/"
    permissions_boundary_arn       = "arn:aws:iam::111122223333:policy/platform-boundary"
  }
  assert {
    condition     = aws_secretsmanager_secret_rotation.signer_keys[0].rotation_rules[0].automatically_after_days == 7
    error_message = "The rotation interval is an input."
  }
  assert {
    condition     = aws_lambda_function.this.reserved_concurrent_executions == -1
    error_message = "-1 leaves the function without reserved concurrency."
  }
  assert {
    condition = (
      aws_iam_user.signer[0].path == "/hyperdrive/" && aws_iam_group.signer[0].path == "/hyperdrive/" && aws_iam_policy.long_term_keys_user[0].path == "/hyperdrive/" &&
      aws_iam_user.signer[0].permissions_boundary == "arn:aws:iam::111122223333:policy/platform-boundary"
    )
    error_message = "The user, its group and its policy take the path; the user takes the boundary."
  }
}

run "long_term_keys_longest_schedule" {
  command = plan
  variables {
    signing_mode              = "long-term-keys"
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
    schedule_interval_minutes = 5041
  }
  expect_failures = [var.schedule_interval_minutes]
}

run "long_term_keys_short_ttl_shortens_default" {
  command = plan
  variables {
    signing_mode      = "long-term-keys"
    token_ttl_seconds = 3600
  }
  assert {
    condition     = aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(30 minutes)"
    error_message = "A one-hour TTL allows 30 minutes."
  }
}

run "signer_keys_rotation_days_needs_long_term_keys" {
  command = plan
  variables {
    signer_keys_rotation_days = 30
  }
  expect_failures = [var.signer_keys_rotation_days]
}

run "signer_keys_rotation_days_out_of_range_refused" {
  command = plan
  variables {
    signing_mode              = "long-term-keys"
    signer_keys_rotation_days = 1001
  }
  expect_failures = [var.signer_keys_rotation_days]
}

run "reserved_concurrency_under_minus_one_refused" {
  command = plan
  variables {
    reserved_concurrent_executions = -2
  }
  expect_failures = [var.reserved_concurrent_executions]
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
  assert {
    condition     = output.database_grants[0].statement == "AWS IAM GRANT reader TO 'arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-exec-us-east-1';"
    error_message = "In execution-role mode the grant names the execution role."
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
    signing_mode                            = "execution-role"
    cloudflare_api_token_secret_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
  }
  expect_failures = [check.execution_role_token_lifetime]

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      !anytrue([for a in flatten([s.Action]) : can(regex("^(dsql|secretsmanager|kms|sts|iam):|^\\*$", a))]) || (
        !contains(flatten([s.Resource]), "*") &&
        (s.Effect != "Allow" || alltrue([for r in flatten([s.Resource]) : !strcontains(r, "*")]))
    )])
    error_message = "No dsql, secretsmanager, kms, sts or iam action may have a * resource."
  }
}

run "no_wildcard_in_long_term_keys_mode" {
  command = plan
  variables {
    signing_mode                      = "long-term-keys"
    long_term_keys_secret_kms_key_arn = "arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-dddd-eeee-ffff-210987654321"
  }

  assert {
    condition = alltrue([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement :
      !anytrue([for a in flatten([s.Action]) : can(regex("^(dsql|secretsmanager|kms|sts|iam):|^\\*$", a))]) ||
      alltrue([for r in flatten([s.Resource]) : !strcontains(r, "*")])
    ])
    error_message = "No dsql, secretsmanager, kms, sts or iam action of the execution role may have a wildcard resource: ${aws_iam_role_policy.execution.policy}"
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if can(regex("^iam:", try(s.Action[0], s.Action)))]) == 1
    error_message = "One IAM statement: the signer user's keys."
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

run "explicit_cluster_arn_in_this_account" {
  command = plan
  variables {
    targets = [
      { name = "a", host = "explicitcluster.dsql.us-east-2.on.aws", cluster_arn = "arn:aws:dsql:us-east-2:111122223333:cluster/explicitcluster" },
      { name = "b", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "c", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", user = "admin", database = "other" },
      { name = "d", host = "db.example.com", region = "us-east-1", cluster_arn = "arn:aws:dsql:us-east-1:111122223333:cluster/customdns" },
    ]
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.signer_dsql[0].policy).Statement : [s.Action, s.Resource] if s.Effect == "Allow"] == [
      ["dsql:DbConnectAdmin", [
        "arn:aws:dsql:us-east-2:111122223333:cluster/explicitcluster",
        "arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz",
        "arn:aws:dsql:us-east-1:111122223333:cluster/customdns",
      ]],
    ]
    error_message = "Explicit ARNs are used as given; one cluster appears once."
  }
  assert {
    condition     = !strcontains(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS, "cluster_arn") && !strcontains(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS, "signer_role_arn")
    error_message = "cluster_arn is for IAM only, never passed to the function; no signer_role_arn in this account."
  }
}

run "cross_account_clusters" {
  command = plan
  variables {
    targets = [
      { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "billing", host = "billingcluster.dsql.us-west-2.on.aws", cluster_arn = "arn:aws:dsql:us-west-2:444455556666:cluster/billingcluster" },
      { name = "ledger", host = "ledgercluster.dsql.us-west-2.on.aws", cluster_arn = "arn:aws:dsql:us-west-2:444455556666:cluster/ledgercluster", user = "ledger_writer" },
    ]
    cross_account_signer_roles = { "444455556666" = "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2" }
  }
  assert {
    condition = jsondecode(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS) == [
      { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "billing", host = "billingcluster.dsql.us-west-2.on.aws", signer_role_arn = "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2" },
      { name = "ledger", host = "ledgercluster.dsql.us-west-2.on.aws", user = "ledger_writer", signer_role_arn = "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2" },
    ]
    error_message = "Targets of the other account get its signer_role_arn: ${aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS}"
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.assume_signer[0].policy).Statement[0].Resource == [
      "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer-us-east-1",
      "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2",
    ]
    error_message = "The execution role may assume exactly the local signer role and the other account's role."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.signer_dsql[0].policy).Statement : s.Resource if s.Effect == "Allow"] == [
      ["arn:aws:dsql:us-east-1:111122223333:cluster/abcdefghijklmnopqrstuvwxyz"],
    ]
    error_message = "The other account's clusters stay out of the local signer role."
  }
  assert {
    condition = jsonencode(output.cross_account_signers) == jsonencode({
      "444455556666" = {
        execution_role_arn            = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-exec-us-east-1"
        db_connect_admin_cluster_arns = ["arn:aws:dsql:us-west-2:444455556666:cluster/billingcluster"]
        db_connect_cluster_arns       = ["arn:aws:dsql:us-west-2:444455556666:cluster/ledgercluster"]
      }
    })
    error_message = "The inputs of the other account's signer module: ${jsonencode(output.cross_account_signers)}"
  }
  assert {
    condition = output.database_grants == [{
      target     = "ledger"
      host       = "ledgercluster.dsql.us-west-2.on.aws"
      user       = "ledger_writer"
      signer_arn = "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2"
      statement  = "AWS IAM GRANT ledger_writer TO 'arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2';"
    }]
    error_message = "The non-admin user of the other account is granted to that account's signer role: ${jsonencode(output.database_grants)}"
  }
}

run "cross_account_cluster_without_a_role_refused" {
  command = plan
  variables {
    targets = [
      { name = "billing", host = "billingcluster.dsql.us-west-2.on.aws", cluster_arn = "arn:aws:dsql:us-west-2:444455556666:cluster/billingcluster" },
    ]
  }
  expect_failures = [var.targets]
}

run "cross_account_map_checked" {
  command = plan
  variables {
    cross_account_signer_roles = { "444455556666" = "arn:aws:iam::777788889999:role/x" }
  }
  expect_failures = [var.cross_account_signer_roles]
}

run "cross_account_map_own_account_refused" {
  command = plan
  variables {
    cross_account_signer_roles = { "111122223333" = "arn:aws:iam::111122223333:role/x" }
  }
  expect_failures = [var.cross_account_signer_roles]
}

run "unused_cross_account_role_warned_not_granted" {
  command = plan
  variables {
    cross_account_signer_roles = { "444455556666" = "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2" }
  }
  expect_failures = [check.unused_cross_account_signer_roles]
  assert {
    condition     = jsondecode(aws_iam_role_policy.assume_signer[0].policy).Statement[0].Resource == ["arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer-us-east-1"]
    error_message = "An unused role is not granted."
  }
}

run "every_cluster_elsewhere" {
  command = plan
  variables {
    signing_mode = "execution-role"
    targets = [
      { name = "billing", host = "billingcluster.dsql.us-west-2.on.aws", cluster_arn = "arn:aws:dsql:us-west-2:444455556666:cluster/billingcluster" },
    ]
    cross_account_signer_roles = { "444455556666" = "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2" }
  }
  assert {
    condition     = output.guaranteed_token_lifetime_seconds == 3600 && output.token_lifetime_warning == null
    error_message = "Signed by the cross-account role only, the lifetime is known even in execution-role mode."
  }
  assert {
    condition     = length([for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s if can(regex("^dsql:", try(s.Action[0], s.Action)))]) == 0
    error_message = "No DSQL grant here for clusters elsewhere."
  }
}

run "long_term_keys_with_a_cluster_elsewhere" {
  command = plan
  variables {
    signing_mode = "long-term-keys"
    targets = [
      { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "billing", host = "billingcluster.dsql.us-west-2.on.aws", cluster_arn = "arn:aws:dsql:us-west-2:444455556666:cluster/billingcluster" },
    ]
    cross_account_signer_roles = { "444455556666" = "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2" }
  }
  assert {
    condition     = output.guaranteed_token_lifetime_seconds == 3600 && aws_cloudwatch_event_rule.schedule.schedule_expression == "rate(30 minutes)"
    error_message = "The one-hour cross-account role sets the schedule."
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
      aws_cloudwatch_metric_alarm.errors.period == 300 &&
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
      aws_cloudwatch_metric_alarm.missed_runs.treat_missing_data == "missing"
    )
    error_message = "Invocations < 1 over two schedule periods; missing data stays missing, so a fresh deployment is not in ALARM."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.failed_events.namespace == "AWS/SQS" &&
      aws_cloudwatch_metric_alarm.failed_events.metric_name == "NumberOfMessagesSent" &&
      aws_cloudwatch_metric_alarm.failed_events.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.failed_events.period == 300 &&
      aws_cloudwatch_metric_alarm.failed_events.threshold == 1 &&
      aws_cloudwatch_metric_alarm.failed_events.treat_missing_data == "notBreaching" &&
      aws_cloudwatch_metric_alarm.failed_events.dimensions == tomap({ QueueName = "hyperdrive-dsql-rotator-failures" })
    )
    error_message = "One alarm per event sent to the failure queue, not while messages sit in it."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.delivery_failures.namespace == "AWS/Events" &&
      aws_cloudwatch_metric_alarm.delivery_failures.metric_name == "FailedInvocations" &&
      aws_cloudwatch_metric_alarm.delivery_failures.statistic == "Sum" &&
      aws_cloudwatch_metric_alarm.delivery_failures.threshold == 1 &&
      aws_cloudwatch_metric_alarm.delivery_failures.comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.delivery_failures.treat_missing_data == "notBreaching" &&
      aws_cloudwatch_metric_alarm.delivery_failures.dimensions == tomap({ RuleName = "hyperdrive-dsql-rotator-schedule" })
    )
    error_message = "EventBridge delivery failures alarm."
  }
  assert {
    condition     = length(aws_sns_topic.alarms) == 0 && length(aws_cloudwatch_metric_alarm.errors.alarm_actions) == 0 && output.alarm_topic_arn == null && length(output.alarm_names) == 6
    error_message = "No topic and no alarm action by default; four alarms, and the two of time_to_dark.tftest.hcl."
  }
}

run "existing_alarm_topic" {
  command = plan
  variables {
    alarm_topic_arn = "arn:aws:sns:us-east-1:111122223333:ops-alarms"
  }
  assert {
    condition = length(aws_sns_topic.alarms) == 0 && alltrue([
      for a in [aws_cloudwatch_metric_alarm.errors, aws_cloudwatch_metric_alarm.missed_runs, aws_cloudwatch_metric_alarm.failed_events, aws_cloudwatch_metric_alarm.delivery_failures] :
      a.alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:ops-alarms"]) && a.ok_actions == toset(["arn:aws:sns:us-east-1:111122223333:ops-alarms"])
    ])
    error_message = "All alarms notify the existing topic of ALARM and OK."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.missed_runs.insufficient_data_actions == toset(["arn:aws:sns:us-east-1:111122223333:ops-alarms"]) && length(coalesce(aws_cloudwatch_metric_alarm.errors.insufficient_data_actions, [])) == 0
    error_message = "Missed runs also notify INSUFFICIENT_DATA (a stall), the others not."
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
    condition = jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement[0] == {
      Sid       = "AllowTheRotatorAlarms"
      Effect    = "Allow"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Action    = "sns:Publish"
      Resource  = "arn:aws:sns:us-east-1:111122223333:hyperdrive-dsql-rotator-alarms"
      Condition = {
        StringEquals = { "aws:SourceAccount" = "111122223333" }
        ArnEquals = { "aws:SourceArn" = [
          "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-errors",
          "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-missed-runs",
          "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-failed-events",
          "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-delivery-failures",
          "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-dark-soon",
          "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-cloudflare-token-expiring",
        ] }
      }
    }
    error_message = "The topic admits exactly these alarms (as the CDK construct does): ${aws_sns_topic_policy.alarms[0].policy}"
  }
  assert {
    condition     = [for s in jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement : s.Effect] == ["Allow", "Deny"]
    error_message = "The topic refuses insecure transport."
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

run "database_grants" {
  command = plan
  variables {
    targets = [
      { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "reports", host = "ZYXWVUTSRQPONMLKJIHGFEDCBA.dsql.eu-west-1.on.aws", user = "reader" },
      { name = "audit", host = "zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws", user = "Auditor" },
    ]
  }
  assert {
    condition = [for g in output.database_grants : [g.target, g.host, g.statement]] == [
      ["reports", "zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws", "AWS IAM GRANT reader TO 'arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer-us-east-1';"],
      ["audit", "zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws", "AWS IAM GRANT \"Auditor\" TO 'arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-signer-us-east-1';"],
    ]
    error_message = "One AWS IAM GRANT per non-admin target, to its signer role: ${jsonencode(output.database_grants)}"
  }
}

run "targets_not_a_list_refused" {
  command = plan
  variables {
    targets = { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" }
  }
  expect_failures = [var.targets]
}

run "empty_targets_refused" {
  command = plan
  variables {
    targets = []
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

run "same_name_in_two_cloudflare_accounts_allowed" {
  command = plan
  variables {
    targets = [
      { name = "a", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "a", host = "zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws", account_id = "ffffffffffffffffffffffffffffffff" },
    ]
  }
  assert {
    condition     = length(jsondecode(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS)) == 2
    error_message = "Names are unique per Cloudflare account, as in the function."
  }
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

run "bad_memory_refused" {
  command = plan
  variables {
    memory_size = 64
  }
  expect_failures = [var.memory_size]
}

run "more_targets_than_the_lambda_environment_holds_refused" {
  command = plan
  variables {
    targets = [for i in range(60) : { name = format("config-%d", i), host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" }]
  }
  expect_failures = [aws_lambda_function.this]
}

# Rules the function added after the release binary infra/test.sh may be given (not in the corpus yet).
run "non_ascii_name_refused" {
  command = plan
  variables {
    targets = [{ name = "orders\u200b-db", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" }]
  }
  expect_failures = [var.targets]
}

run "user_with_a_space_refused" {
  command = plan
  variables {
    targets = [{ name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", user = "read er" }]
  }
  expect_failures = [var.targets]
}

run "printable_ascii_name_with_inner_spaces_allowed" {
  command = plan
  variables {
    targets = [{ name = "orders db (eu)", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" }]
  }
  assert {
    condition     = jsondecode(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS)[0].name == "orders db (eu)"
    error_message = "Spaces inside a name are the function's printable ASCII."
  }
}
