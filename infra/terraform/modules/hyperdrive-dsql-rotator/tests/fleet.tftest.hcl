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



# Fleet inputs (issue 10): mtls passed through, a token secret per Cloudflare account, and 200 targets shipped as a
# layer file. infra/test.sh writes the layer of FLEET (below) with scripts/targets_layer.py and passes its path as
# -var=targets_layer_zip_path=...; runs without a layer set it to null.

variables {
  cloudflare_account_id = "0123456789abcdef0123456789abcdef"
  # FLEET: 200 targets in 40 Cloudflare accounts (5 each), every one verifying the cluster's certificate.
  fleet = [for i in range(200) : {
    name       = format("db-%03d", i)
    host       = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
    user       = "app"
    account_id = format("%s%02d", "000000000000000000000000000000", floor(i / 5))
    mtls       = { sslmode = "verify-full", ca_certificate_id = "12345678-aaaa-bbbb-cccc-1234567890ab" }
  }]
  two_accounts = [
    { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", account_id = "00000000000000000000000000000001" },
    { name = "reports", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", account_id = "00000000000000000000000000000002", mtls = { sslmode = "verify-full", ca_certificate_id = "ca-1", mtls_certificate_id = null } },
  ]
}

run "mtls_passed_through_without_nulls" {
  command = plan
  variables {
    targets                = var.two_accounts
    targets_layer_zip_path = null
  }
  assert {
    condition     = jsondecode(aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS)[1].mtls == { sslmode = "verify-full", ca_certificate_id = "ca-1" }
    error_message = "mtls is rendered into HYPERDRIVE_TARGETS, null fields left out."
  }
}

run "token_secret_per_account_and_no_default_secret" {
  command = plan
  variables {
    targets                = var.two_accounts
    targets_layer_zip_path = null
    cloudflare_api_token_secret_arns = {
      "00000000000000000000000000000001" = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-1-AbCdEf"
      "00000000000000000000000000000002" = "arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl"
    }
    cloudflare_api_token_secret_kms_key_arns = {
      "00000000000000000000000000000002" = "arn:aws:kms:us-east-1:444455556666:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012"
    }
  }
  assert {
    condition     = length(aws_secretsmanager_secret.cloudflare_api_token) == 0 && !contains(keys(aws_lambda_function.this.environment[0].variables), "CLOUDFLARE_API_TOKEN_SECRET_ID")
    error_message = "No default token secret when every target's account has its own."
  }
  assert {
    condition = jsondecode(aws_lambda_function.this.environment[0].variables.CLOUDFLARE_API_TOKEN_SECRET_IDS) == {
      "00000000000000000000000000000001" = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-1-AbCdEf"
      "00000000000000000000000000000002" = "arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl"
    }
    error_message = "CLOUDFLARE_API_TOKEN_SECRET_IDS maps each account to its secret's ARN."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if s.Action == "secretsmanager:GetSecretValue"] == [[
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-1-AbCdEf",
      "arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl",
    ]]
    error_message = "GetSecretValue on exactly the per-account secrets."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : [s.Resource, s.Condition] if s.Action == "kms:Decrypt"] == [[
      "arn:aws:kms:us-east-1:444455556666:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012",
      { StringEquals = {
        "kms:ViaService"                  = ["secretsmanager.us-east-1.amazonaws.com"]
        "kms:EncryptionContext:SecretARN" = ["arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl"]
      } },
    ]]
    error_message = "kms:Decrypt on the one key, for its secret only, through Secrets Manager."
  }
}

run "token_secret_per_account_with_the_default_for_the_rest" {
  command = plan
  variables {
    targets                = var.two_accounts
    targets_layer_zip_path = null
    cloudflare_api_token_secret_arns = {
      "00000000000000000000000000000002" = "arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl"
    }
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if s.Action == "secretsmanager:GetSecretValue"] == [[
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/cloudflare-api-token-Created",
      "arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl",
    ]]
    error_message = "The created default secret (account 1) and account 2's own."
  }
}

run "token_secret_per_account_in_long_term_keys_mode" {
  command = plan
  variables {
    targets                = var.two_accounts
    targets_layer_zip_path = null
    signing_mode           = "long-term-keys"
    cloudflare_api_token_secret_arns = {
      "00000000000000000000000000000001" = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-1-AbCdEf"
      "00000000000000000000000000000002" = "arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl"
    }
  }
  assert {
    condition     = length(aws_secretsmanager_secret.cloudflare_api_token) == 0 && length(aws_secretsmanager_secret.signer_keys) == 1
    error_message = "No default token secret; the keys secret is created."
  }
  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.execution.policy).Statement : s.Resource if s.Action == "secretsmanager:GetSecretValue"] == [[
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-1-AbCdEf",
      "arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl",
      "arn:aws:secretsmanager:us-east-1:111122223333:secret:hyperdrive-dsql-rotator/signer-keys-Keys01",
    ]]
    error_message = "GetSecretValue on the per-account secrets and the keys secret."
  }
  assert {
    condition     = output.cloudflare_api_token_secret_arn == null && output.put_token_command == null
    error_message = "No default secret: no put-token command."
  }
}

run "token_secret_for_an_account_no_target_uses_is_refused" {
  command = plan
  variables {
    targets                          = var.two_accounts
    targets_layer_zip_path           = null
    cloudflare_api_token_secret_arns = { "00000000000000000000000000000003" = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-3-AbCdEf" }
  }
  expect_failures = [var.cloudflare_api_token_secret_arns]
}

run "token_secret_key_not_an_account_id_is_refused" {
  command = plan
  variables {
    targets                          = var.two_accounts
    targets_layer_zip_path           = null
    cloudflare_api_token_secret_arns = { "team-1" = "arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-1-AbCdEf" }
  }
  expect_failures = [var.cloudflare_api_token_secret_arns]
}

run "two_hundred_targets_without_a_layer_are_refused" {
  command = plan
  variables {
    targets                = var.fleet
    targets_layer_zip_path = null
  }
  expect_failures = [aws_lambda_function.this]
}

run "two_hundred_targets_ship_in_a_layer_file" {
  command = plan
  variables {
    targets = var.fleet
  }
  assert {
    condition     = aws_lambda_function.this.environment[0].variables.HYPERDRIVE_TARGETS_FILE == "/opt/hyperdrive-targets.json" && !contains(keys(aws_lambda_function.this.environment[0].variables), "HYPERDRIVE_TARGETS")
    error_message = "HYPERDRIVE_TARGETS_FILE points into the layer, HYPERDRIVE_TARGETS is unset."
  }
  assert {
    condition     = length(aws_lambda_layer_version.targets) == 1 && length(aws_lambda_function.this.layers) == 1 && aws_lambda_layer_version.targets[0].compatible_runtimes == toset(["provided.al2023"])
    error_message = "The function has the targets layer."
  }
  assert {
    condition     = length(jsondecode(file("${var.targets_layer_zip_path}.json"))) == 200
    error_message = "The layer holds the 200 targets."
  }
}

run "a_stale_layer_is_refused" {
  command = plan
  variables {
    targets = slice(var.fleet, 0, 199)
  }
  expect_failures = [aws_lambda_layer_version.targets]
}

run "two_hundred_targets_are_still_validated" {
  command = plan
  variables {
    targets = concat(var.fleet, [{ name = "bad", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws", account_id = "00000000000000000000000000000001", mtls = { sslmode = "disable" } }])
  }
  expect_failures = [var.targets]
}
