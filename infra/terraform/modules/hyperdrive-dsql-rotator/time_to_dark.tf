# Time to dark (issue 9): the "dark soon" and "Cloudflare token expiring" alarms and the dashboard, on the function's
# EMF metrics (namespace HyperdriveDsqlRotator). Their inputs and outputs are here too, to keep the module's other
# files untouched; the CDK construct does the same in infra/cdk/lib/time-to-dark.ts. Why these defaults:
# infra/README.md, Alarms.

variable "dark_soon_threshold_seconds" {
  description = "The dark-soon alarm fires when MinSecondsToDark (the least time any config's token has left) is below this, or missing for one schedule period. Null: the schedule interval plus 30 minutes, or the guaranteed token lifetime less half an interval when that is smaller. Must be below the guaranteed token lifetime; refused when the lifetime is unknown (execution-role mode: no figure, no alarm)."
  type        = number
  default     = null

  validation {
    condition     = var.dark_soon_threshold_seconds == null || try(var.dark_soon_threshold_seconds == floor(var.dark_soon_threshold_seconds) && var.dark_soon_threshold_seconds >= 1, false)
    error_message = "dark_soon_threshold_seconds must be a whole number of seconds, at least 1."
  }
  validation {
    condition     = var.dark_soon_threshold_seconds == null || local.guaranteed_lifetime_seconds != null
    error_message = "dark_soon_threshold_seconds is refused: the token lifetime is unknown (execution-role mode), so the function emits no MinSecondsToDark and the module creates no dark-soon alarm. Use signing_mode = \"signer-role\" for a known lifetime, or remove dark_soon_threshold_seconds."
  }
  validation {
    condition     = var.dark_soon_threshold_seconds == null || try(var.dark_soon_threshold_seconds < local.guaranteed_lifetime_seconds, true)
    error_message = "dark_soon_threshold_seconds ${coalesce(var.dark_soon_threshold_seconds, 0)} is refused: it is not below the guaranteed token lifetime (${coalesce(local.guaranteed_lifetime_seconds, 0)} s), so every successful run would leave the figure under it and the alarm would never clear; use less than ${coalesce(local.guaranteed_lifetime_seconds, 0)} (default: the ${local.interval_minutes}-minute interval plus 30 minutes, capped at the lifetime less half an interval)."
  }
}

variable "cloudflare_token_alarm_days" {
  description = "The Cloudflare-token-expiring alarm fires when the Cloudflare API token has fewer days left (CloudflareTokenSecondsLeft; a token without an expiry emits nothing and never alarms)."
  type        = number
  default     = 14
  nullable    = false

  validation {
    condition     = var.cloudflare_token_alarm_days == floor(var.cloudflare_token_alarm_days) && var.cloudflare_token_alarm_days >= 1 && var.cloudflare_token_alarm_days <= 365
    error_message = "cloudflare_token_alarm_days must be a whole number of days from 1 to 365."
  }
}

variable "create_dashboard" {
  description = "Create the CloudWatch dashboard <function_name>-<region> (seconds to dark per target, runs, errors, Cloudflare token days left)."
  type        = bool
  default     = true
  nullable    = false
}

locals {
  # One schedule interval, at least a minute: each period holds one run's figure.
  ttd_period_seconds = max(60, local.interval_minutes * 60)
  # Null when the lifetime is unknown (execution-role mode): no figure, so no dark-soon alarm.
  dark_soon_threshold_seconds = local.guaranteed_lifetime_seconds == null ? null : coalesce(
    var.dark_soon_threshold_seconds,
    try(min(local.interval_minutes * 60 + 1800, local.guaranteed_lifetime_seconds - floor(local.interval_minutes * 30)), 0),
  )
  ttd_dimensions = { FunctionName = aws_lambda_function.this.function_name }
  ttd_alarms     = concat(aws_cloudwatch_metric_alarm.dark_soon, [aws_cloudwatch_metric_alarm.cloudflare_token_expiring])
  dashboard_name = "${var.function_name}-${local.region}"
}

# Missing data is breaching: no figure for one period means runs stopped, or a run could not tell (Cloudflare
# unreachable, the function failed before its report), and either way nobody knows how long the configs last.
resource "aws_cloudwatch_metric_alarm" "dark_soon" {
  count               = local.dark_soon_threshold_seconds == null ? 0 : 1
  alarm_name          = "${var.function_name}-dark-soon"
  alarm_description   = "A Hyperdrive config's DSQL token has less than ${coalesce(local.dark_soon_threshold_seconds, 0)} s left (MinSecondsToDark), or no run reported it for ${local.ttd_period_seconds} s: find the failing target in the function's log group and fix it before the token expires (infra/README.md, Alarms)"
  namespace           = "HyperdriveDsqlRotator"
  metric_name         = "MinSecondsToDark"
  dimensions          = local.ttd_dimensions
  statistic           = "Minimum"
  period              = local.ttd_period_seconds
  evaluation_periods  = 1
  datapoints_to_alarm = 1
  threshold           = local.dark_soon_threshold_seconds
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

# Missing data is not breaching: a token without an expiry emits nothing. One of two periods: a run whose figure lands
# in the next period leaves one empty without flapping the alarm to OK.
resource "aws_cloudwatch_metric_alarm" "cloudflare_token_expiring" {
  alarm_name          = "${var.function_name}-cloudflare-token-expiring"
  alarm_description   = "The Cloudflare API token expires in less than ${var.cloudflare_token_alarm_days} days (CloudflareTokenSecondsLeft): roll it in the Cloudflare dashboard and put the new one in the token secret (infra/README.md)"
  namespace           = "HyperdriveDsqlRotator"
  metric_name         = "CloudflareTokenSecondsLeft"
  dimensions          = local.ttd_dimensions
  statistic           = "Minimum"
  period              = local.ttd_period_seconds
  evaluation_periods  = 2
  datapoints_to_alarm = 1
  threshold           = var.cloudflare_token_alarm_days * 86400
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

locals {
  # No line (and no annotations key, as in CDK) without a dark-soon alarm.
  threshold_annotations = local.dark_soon_threshold_seconds == null ? {} : { annotations = { horizontal = [
    { value = local.dark_soon_threshold_seconds, label = "dark soon threshold", color = "#d62728", yAxis = "left" },
  ] } }
  seconds_axis = { left = { label = "seconds", showUnits = false, min = 0 } }
  # The same widgets as the CDK construct's dashboard.
  dashboard_widgets = [
    {
      type = "metric", width = 12, height = 6, x = 0, y = 0
      properties = merge({
        view   = "timeSeries"
        title  = "Seconds to dark per target"
        region = local.region
        metrics = [[{
          expression = "SEARCH('{HyperdriveDsqlRotator,FunctionName,Target} MetricName=\"SecondsToDark\" FunctionName=\"${aws_lambda_function.this.function_name}\"', 'Minimum', ${local.ttd_period_seconds})"
          label      = "$${PROP('Dim.Target')}"
          period     = local.ttd_period_seconds
        }]]
        yAxis = local.seconds_axis
      }, local.threshold_annotations)
    },
    {
      type = "metric", width = 12, height = 6, x = 12, y = 0
      properties = merge({
        view    = "timeSeries"
        title   = "Least seconds to dark (MinSecondsToDark, the dark-soon alarm metric)"
        region  = local.region
        metrics = [["HyperdriveDsqlRotator", "MinSecondsToDark", "FunctionName", aws_lambda_function.this.function_name, { label = "MinSecondsToDark", period = local.ttd_period_seconds, stat = "Minimum" }]]
        yAxis   = local.seconds_axis
      }, local.threshold_annotations)
    },
    {
      type = "metric", width = 8, height = 6, x = 0, y = 6
      properties = {
        view   = "timeSeries"
        title  = "Runs and errors"
        region = local.region
        metrics = [
          ["AWS/Lambda", "Invocations", "FunctionName", aws_lambda_function.this.function_name, { label = "Invocations", period = local.ttd_period_seconds, stat = "Sum" }],
          ["AWS/Lambda", "Errors", "FunctionName", aws_lambda_function.this.function_name, { label = "Errors", period = local.ttd_period_seconds, stat = "Sum" }],
        ]
      }
    },
    {
      type = "metric", width = 8, height = 6, x = 8, y = 6
      properties = {
        view    = "timeSeries"
        title   = "Configs created, updated, failed"
        region  = local.region
        metrics = [for m in ["Created", "Updated", "Failed"] : ["HyperdriveDsqlRotator", m, "FunctionName", aws_lambda_function.this.function_name, { label = m, period = local.ttd_period_seconds, stat = "Sum" }]]
      }
    },
    {
      type = "metric", width = 8, height = 6, x = 16, y = 6
      properties = {
        view   = "timeSeries"
        title  = "Cloudflare API token days left"
        region = local.region
        metrics = [
          [{ expression = "m1 / 86400", label = "days left", period = local.ttd_period_seconds }],
          ["HyperdriveDsqlRotator", "CloudflareTokenSecondsLeft", "FunctionName", aws_lambda_function.this.function_name, { id = "m1", visible = false, period = local.ttd_period_seconds, stat = "Minimum" }],
        ]
        annotations = { horizontal = [{ value = var.cloudflare_token_alarm_days, label = "expiring alarm threshold (days)", color = "#ff7f0e", yAxis = "left" }] }
        yAxis       = { left = { label = "days", showUnits = false, min = 0 } }
      }
    },
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count          = var.create_dashboard ? 1 : 0
  dashboard_name = local.dashboard_name
  # A day, or sixteen runs when they are further apart.
  dashboard_body = jsonencode({ start = "-PT${max(24, ceil(local.interval_minutes * 16 / 60))}H", widgets = local.dashboard_widgets })
}

output "dark_soon_threshold_seconds" {
  description = "Threshold of the dark-soon alarm (MinSecondsToDark below it, or missing); null when the token lifetime is unknown (execution-role mode) and there is no such alarm."
  value       = local.dark_soon_threshold_seconds
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (null when create_dashboard is false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "dashboard_url" {
  description = "Console URL of the dashboard (aws partition; null when create_dashboard is false)."
  value       = var.create_dashboard ? "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards:name=${local.dashboard_name}" : null
}
