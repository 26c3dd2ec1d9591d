# Time to dark (issue 9): the dark-soon and Cloudflare-token-expiring alarms and the dashboard, planned against a mocked
# AWS provider; the same properties as the CDK tests (infra/cdk/test/dark-alarms.test.ts). Run with:
# terraform test -filter=tests/time_to_dark.tftest.hcl -var=lambda_zip_path=<any existing file> (infra/test.sh does).

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
override_resource {
  target          = aws_cloudwatch_dashboard.this
  override_during = plan
  values          = { dashboard_name = "hyperdrive-dsql-rotator-us-east-1" }
}

variables {
  cloudflare_account_id = "0123456789abcdef0123456789abcdef"
  targets = [
    { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
    { name = "reports", host = "zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws", user = "reader" },
  ]
}

run "signer_role_defaults" {
  command = plan

  assert {
    condition = (
      length(aws_cloudwatch_metric_alarm.dark_soon) == 1 &&
      aws_cloudwatch_metric_alarm.dark_soon[0].alarm_name == "hyperdrive-dsql-rotator-dark-soon" &&
      aws_cloudwatch_metric_alarm.dark_soon[0].namespace == "HyperdriveDsqlRotator" &&
      aws_cloudwatch_metric_alarm.dark_soon[0].metric_name == "MinSecondsToDark" &&
      aws_cloudwatch_metric_alarm.dark_soon[0].dimensions == tomap({ FunctionName = "hyperdrive-dsql-rotator" }) &&
      aws_cloudwatch_metric_alarm.dark_soon[0].statistic == "Minimum" &&
      aws_cloudwatch_metric_alarm.dark_soon[0].period == 900 &&
      aws_cloudwatch_metric_alarm.dark_soon[0].evaluation_periods == 1 &&
      aws_cloudwatch_metric_alarm.dark_soon[0].datapoints_to_alarm == 1 &&
      aws_cloudwatch_metric_alarm.dark_soon[0].threshold == 2700 &&
      aws_cloudwatch_metric_alarm.dark_soon[0].comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.dark_soon[0].treat_missing_data == "breaching"
    )
    error_message = "signer-role: MinSecondsToDark Minimum < 2700 s (15-minute interval + 30 minutes) over one 900 s period, missing data breaching."
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.alarm_name == "hyperdrive-dsql-rotator-cloudflare-token-expiring" &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.namespace == "HyperdriveDsqlRotator" &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.metric_name == "CloudflareTokenSecondsLeft" &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.dimensions == tomap({ FunctionName = "hyperdrive-dsql-rotator" }) &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.statistic == "Minimum" &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.period == 900 &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.evaluation_periods == 2 &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.datapoints_to_alarm == 1 &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.threshold == 1209600 &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.comparison_operator == "LessThanThreshold" &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.treat_missing_data == "notBreaching"
    )
    error_message = "Cloudflare token: CloudflareTokenSecondsLeft Minimum < 14 days, one of two periods, missing data not breaching."
  }
  assert {
    condition     = output.dark_soon_threshold_seconds == 2700 && output.alarm_names == ["hyperdrive-dsql-rotator-errors", "hyperdrive-dsql-rotator-missed-runs", "hyperdrive-dsql-rotator-failed-events", "hyperdrive-dsql-rotator-delivery-failures", "hyperdrive-dsql-rotator-dark-soon", "hyperdrive-dsql-rotator-cloudflare-token-expiring"]
    error_message = "The threshold is an output and the two alarms join alarm_names: ${jsonencode(output.alarm_names)}"
  }
  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dark_soon[0].alarm_actions) == 0 && length(aws_cloudwatch_metric_alarm.cloudflare_token_expiring.ok_actions) == 0
    error_message = "No topic, no actions (as the other alarms)."
  }
}

run "signer_role_dashboard" {
  command = plan

  assert {
    condition = (
      aws_cloudwatch_dashboard.this[0].dashboard_name == "hyperdrive-dsql-rotator-us-east-1" &&
      output.dashboard_name == "hyperdrive-dsql-rotator-us-east-1" &&
      output.dashboard_url == "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=hyperdrive-dsql-rotator-us-east-1"
    )
    error_message = "The dashboard <function_name>-<region>, its name and URL as outputs."
  }
  assert {
    condition = [for w in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets : w.properties.title] == [
      "Seconds to dark per target",
      "Least seconds to dark (MinSecondsToDark, the dark-soon alarm metric)",
      "Runs and errors",
      "Configs created, updated, failed",
      "Cloudflare API token days left",
    ]
    error_message = "The five widgets."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).start == "-PT24H"
    error_message = "A 15-minute schedule shows a day."
  }
  assert {
    condition = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[0].properties.metrics == [[{
      expression = "SEARCH('{HyperdriveDsqlRotator,FunctionName,Target} MetricName=\"SecondsToDark\" FunctionName=\"hyperdrive-dsql-rotator\"', 'Minimum', 900)"
      label      = "$${PROP('Dim.Target')}"
      period     = 900
    }]]
    error_message = "Seconds to dark per target: a SEARCH over SecondsToDark of this function, one line per Target."
  }
  assert {
    condition = alltrue([for i in [0, 1] : jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[i].properties.annotations.horizontal == [
      { value = 2700, label = "dark soon threshold", color = "#d62728", yAxis = "left" },
    ]])
    error_message = "The dark-soon threshold is drawn on both seconds-to-dark widgets."
  }
  assert {
    condition = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[1].properties.metrics == [
      ["HyperdriveDsqlRotator", "MinSecondsToDark", "FunctionName", "hyperdrive-dsql-rotator", { label = "MinSecondsToDark", period = 900, stat = "Minimum" }],
    ]
    error_message = "MinSecondsToDark, Minimum."
  }
  assert {
    condition = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[2].properties.metrics == [
      ["AWS/Lambda", "Invocations", "FunctionName", "hyperdrive-dsql-rotator", { label = "Invocations", period = 900, stat = "Sum" }],
      ["AWS/Lambda", "Errors", "FunctionName", "hyperdrive-dsql-rotator", { label = "Errors", period = 900, stat = "Sum" }],
    ]
    error_message = "Runs (Invocations) and Errors."
  }
  assert {
    condition     = [for m in jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[3].properties.metrics : [m[0], m[1], m[4].stat]] == [["HyperdriveDsqlRotator", "Created", "Sum"], ["HyperdriveDsqlRotator", "Updated", "Sum"], ["HyperdriveDsqlRotator", "Failed", "Sum"]]
    error_message = "Created, Updated, Failed."
  }
  assert {
    condition = (
      jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[4].properties.metrics[0][0].expression == "m1 / 86400" &&
      jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[4].properties.metrics[1][1] == "CloudflareTokenSecondsLeft" &&
      jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[4].properties.metrics[1][4].id == "m1" &&
      jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[4].properties.annotations.horizontal[0].value == 14
    )
    error_message = "Cloudflare token days left: CloudflareTokenSecondsLeft / 86400, the alarm's 14 days drawn."
  }
}

run "long_term_keys_defaults" {
  command = plan
  variables {
    signing_mode = "long-term-keys"
  }
  assert {
    condition = (
      aws_cloudwatch_metric_alarm.dark_soon[0].threshold == 88200 &&
      aws_cloudwatch_metric_alarm.dark_soon[0].period == 86400 &&
      aws_cloudwatch_metric_alarm.dark_soon[0].evaluation_periods == 1 &&
      aws_cloudwatch_metric_alarm.dark_soon[0].treat_missing_data == "breaching" &&
      aws_cloudwatch_metric_alarm.cloudflare_token_expiring.period == 86400
    )
    error_message = "long-term-keys: daily schedule + 30 minutes = 88200 s, over one daily period."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).start == "-PT384H" && jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[0].properties.annotations.horizontal[0].value == 88200
    error_message = "A daily schedule shows sixteen days, with its threshold."
  }
}

run "long_term_keys_with_a_cross_account_cluster" {
  command = plan
  variables {
    signing_mode               = "long-term-keys"
    cross_account_signer_roles = { "444455556666" = "arn:aws:iam::444455556666:role/hyperdrive-dsql-signer-us-west-2" }
    targets = [
      { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "billing", host = "billingcluster.dsql.us-west-2.on.aws", cluster_arn = "arn:aws:dsql:us-west-2:444455556666:cluster/billingcluster" },
    ]
  }
  assert {
    condition     = output.schedule_interval_minutes == 30 && aws_cloudwatch_metric_alarm.dark_soon[0].threshold == 2700 && aws_cloudwatch_metric_alarm.dark_soon[0].period == 1800
    error_message = "Lifetime 3600 s, 30-minute interval: interval + 30 minutes (3600) is not below the lifetime, so the lifetime less half an interval (2700)."
  }
}

run "short_session_caps_the_default" {
  command = plan
  variables {
    signer_session_seconds = 900
  }
  assert {
    condition     = output.schedule_interval_minutes == 7 && aws_cloudwatch_metric_alarm.dark_soon[0].threshold == 690 && aws_cloudwatch_metric_alarm.dark_soon[0].period == 420
    error_message = "Lifetime 900 s, 7-minute interval: 900 - 210 = 690 s, below the lifetime."
  }
}

run "execution_role_has_no_dark_soon_alarm" {
  command = plan
  variables {
    signing_mode = "execution-role"
  }
  expect_failures = [check.execution_role_token_lifetime]

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dark_soon) == 0 && output.dark_soon_threshold_seconds == null
    error_message = "The lifetime is unknown, the function emits no MinSecondsToDark: no dark-soon alarm."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cloudflare_token_expiring.threshold == 1209600 && length(output.alarm_names) == 5
    error_message = "The Cloudflare token alarm stays."
  }
  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets) == 5 && !contains(keys(jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[0].properties), "annotations")
    error_message = "The dashboard stays, without a threshold line."
  }
}

run "execution_role_threshold_refused" {
  command = plan
  variables {
    signing_mode                = "execution-role"
    dark_soon_threshold_seconds = 1800
  }
  expect_failures = [var.dark_soon_threshold_seconds, check.execution_role_token_lifetime]
}

run "inputs_overridden" {
  command = plan
  variables {
    dark_soon_threshold_seconds = 3599
    cloudflare_token_alarm_days = 30
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.dark_soon[0].threshold == 3599 && output.dark_soon_threshold_seconds == 3599 && jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[0].properties.annotations.horizontal[0].value == 3599
    error_message = "dark_soon_threshold_seconds just below the lifetime is taken, and drawn."
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.cloudflare_token_expiring.threshold == 2592000 && jsondecode(aws_cloudwatch_dashboard.this[0].dashboard_body).widgets[4].properties.annotations.horizontal[0].value == 30
    error_message = "cloudflare_token_alarm_days = 30 is 2592000 s, and drawn."
  }
}

run "threshold_at_the_lifetime_refused" {
  command = plan
  variables {
    dark_soon_threshold_seconds = 3600
  }
  expect_failures = [var.dark_soon_threshold_seconds]
}

run "threshold_not_whole_refused" {
  command = plan
  variables {
    dark_soon_threshold_seconds = 0
  }
  expect_failures = [var.dark_soon_threshold_seconds]
}

run "cloudflare_days_out_of_range_refused" {
  command = plan
  variables {
    cloudflare_token_alarm_days = 0
  }
  expect_failures = [var.cloudflare_token_alarm_days]
}

run "no_dashboard" {
  command = plan
  variables {
    create_dashboard = false
  }
  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 0 && output.dashboard_name == null && output.dashboard_url == null
    error_message = "create_dashboard = false: no dashboard."
  }
}

run "existing_topic_notified" {
  command = plan
  variables {
    alarm_topic_arn = "arn:aws:sns:us-east-1:111122223333:ops-alarms"
  }
  assert {
    condition = alltrue([
      for a in [aws_cloudwatch_metric_alarm.dark_soon[0], aws_cloudwatch_metric_alarm.cloudflare_token_expiring] :
      a.alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:ops-alarms"]) && a.ok_actions == toset(["arn:aws:sns:us-east-1:111122223333:ops-alarms"]) && length(coalesce(a.insufficient_data_actions, [])) == 0
    ])
    error_message = "Both alarms notify the topic of ALARM and OK, as the other alarms."
  }
}

run "created_topic_admits_them" {
  command = plan
  variables {
    alarm_email = "ops@example.com"
  }
  assert {
    condition = jsondecode(aws_sns_topic_policy.alarms[0].policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == [
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-errors",
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-missed-runs",
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-failed-events",
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-delivery-failures",
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-dark-soon",
      "arn:aws:cloudwatch:us-east-1:111122223333:alarm:hyperdrive-dsql-rotator-cloudflare-token-expiring",
    ]
    error_message = "The created topic admits the two new alarms too: ${aws_sns_topic_policy.alarms[0].policy}"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.dark_soon[0].alarm_actions == toset(["arn:aws:sns:us-east-1:111122223333:hyperdrive-dsql-rotator-alarms"]) && aws_cloudwatch_metric_alarm.cloudflare_token_expiring.ok_actions == toset(["arn:aws:sns:us-east-1:111122223333:hyperdrive-dsql-rotator-alarms"])
    error_message = "Both notify the created topic."
  }
}
