# Failure visibility: on-failure queue for asynchronous runs, alarms, optional SNS topic.

resource "aws_sqs_queue" "failures" {
  name                      = "${var.function_name}-failures"
  sqs_managed_sse_enabled   = true
  message_retention_seconds = 1209600
  tags                      = var.tags
}

resource "aws_sqs_queue_policy" "failures" {
  queue_url = aws_sqs_queue.failures.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "sqs:*"
      Resource  = aws_sqs_queue.failures.arn
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_sns_topic" "alarms" {
  #checkov:skip=CKV_AWS_26:Notifications carry alarm names and states only, no secret; CloudWatch cannot publish to a topic under the AWS managed aws/sns key, and a customer key for this alone is not worth its cost. Publishing requires TLS (topic policy).
  count = local.create_alarm_topic ? 1 : 0
  name  = "${var.function_name}-alarms"
  tags  = var.tags
}

resource "aws_sns_topic_policy" "alarms" {
  count = local.create_alarm_topic ? 1 : 0
  arn   = aws_sns_topic.alarms[0].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AllowTheRotatorAlarms"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms[0].arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnEquals    = { "aws:SourceArn" = [for a in local.alarms : a.arn] }
        }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = { AWS = "*" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alarms[0].arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  count     = local.create_alarm_topic && var.alarm_email != null ? 1 : 0
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  # Then the time-to-dark alarms (time_to_dark.tf): dark-soon (unless the lifetime is unknown), Cloudflare token.
  alarms = concat([
    aws_cloudwatch_metric_alarm.errors,
    aws_cloudwatch_metric_alarm.missed_runs,
    aws_cloudwatch_metric_alarm.failed_events,
    aws_cloudwatch_metric_alarm.delivery_failures,
  ], local.ttd_alarms)
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.function_name}-errors"
  alarm_description   = "hyperdrive-dsql-rotator failed: see its log group and the failure queue"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Lambda publishes Invocations only when there are some, and CloudWatch cannot tell "not run yet" from "stopped
# running". Missing data is therefore left missing: a fresh deployment sits in INSUFFICIENT_DATA (not ALARM) until its
# first run, then OK; runs that stop for two periods bring it back to INSUFFICIENT_DATA, which notifies
# (insufficient_data_actions) because it is a change of state.
resource "aws_cloudwatch_metric_alarm" "missed_runs" {
  alarm_name                = "${var.function_name}-missed-runs"
  alarm_description         = "hyperdrive-dsql-rotator has not run for two schedule periods (${2 * local.interval_minutes} minutes) once it had run: INSUFFICIENT_DATA after OK means missed runs (rule disabled or deleted, permission broken)"
  namespace                 = "AWS/Lambda"
  metric_name               = "Invocations"
  dimensions                = { FunctionName = aws_lambda_function.this.function_name }
  statistic                 = "Sum"
  period                    = local.interval_minutes * 60
  evaluation_periods        = 2
  datapoints_to_alarm       = 2
  threshold                 = 1
  comparison_operator       = "LessThanThreshold"
  treat_missing_data        = "missing"
  alarm_actions             = local.alarm_actions
  ok_actions                = local.alarm_actions
  insufficient_data_actions = local.alarm_actions
  tags                      = var.tags
}

# Messages sent to the queue, not messages in it: one alarm per failed event, back to OK five minutes later, so that a
# second failure alarms again even if nobody emptied the queue.
resource "aws_cloudwatch_metric_alarm" "failed_events" {
  alarm_name          = "${var.function_name}-failed-events"
  alarm_description   = "A scheduled run of hyperdrive-dsql-rotator ended in its failure queue"
  namespace           = "AWS/SQS"
  metric_name         = "NumberOfMessagesSent"
  dimensions          = { QueueName = aws_sqs_queue.failures.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "delivery_failures" {
  alarm_name          = "${var.function_name}-delivery-failures"
  alarm_description   = "EventBridge could not invoke hyperdrive-dsql-rotator (permission, throttling, function gone)"
  namespace           = "AWS/Events"
  metric_name         = "FailedInvocations"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.schedule.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
