# The example root passes null for every input it is not given, and the module falls back to its defaults.
# Run with: terraform test -var=lambda_zip_path=<any existing file>

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111122223333" }
  }
  mock_data "aws_region" {
    defaults = { id = "us-east-1", name = "us-east-1" }
  }
}

variables {
  cloudflare_account_id = "0123456789abcdef0123456789abcdef"
  targets               = [{ name = "orders-db", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" }]
}

run "defaults_through_the_example" {
  command = plan

  assert {
    condition     = output.schedule_expression == "rate(15 minutes)" && output.guaranteed_token_lifetime_seconds == 3600 && output.token_lifetime_warning == null
    error_message = "Null inputs must give the module's defaults (signer-role, 15 minutes)."
  }
  assert {
    condition     = output.function_name == "hyperdrive-dsql-rotator" && length(output.alarm_names) == 6 && output.log_group_name == "/aws/lambda/hyperdrive-dsql-rotator"
    error_message = "Default function name, six alarms, the log group."
  }
  assert {
    condition     = output.dark_soon_threshold_seconds == 2700 && startswith(output.dashboard_url, "https://us-east-1.console.aws.amazon.com/cloudwatch/home")
    error_message = "Null time-to-dark inputs give the module's defaults: a 2700 s threshold, a dashboard."
  }
}

run "long_term_keys_through_the_example" {
  command = plan

  variables {
    signing_mode              = "long-term-keys"
    signer_keys_rotation_days = 7
  }

  assert {
    condition     = output.schedule_expression == "rate(1 day)" && output.signer_role_arn == null
    error_message = "long-term-keys runs daily, without a signer role."
  }
  assert {
    condition     = output.signer_user_name == "hyperdrive-dsql-rotator-signer-us-east-1"
    error_message = "long-term-keys creates the signer user."
  }
}

