# The function, its log group and its schedule.

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:The function logs run reports only (never a token or secret value); the AWS-owned encryption of CloudWatch Logs is enough, and a KMS key would need a key policy for the logs service.
  #checkov:skip=CKV_AWS_338:Retention is an input (log_retention_days, default 30 days): run reports are operational, and a year is the user's choice, not the module's.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
  skip_destroy      = var.log_group_skip_destroy
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Failed asynchronous runs go to an on-failure destination (aws_lambda_function_event_invoke_config.this, an SQS queue), which records more than a DLQ.
  #checkov:skip=CKV_AWS_117:The function talks only to public endpoints (Cloudflare API, STS, Secrets Manager); a VPC would add a NAT gateway and nothing to isolate.
  #checkov:skip=CKV_AWS_173:The environment holds ARNs, names and numbers only, never a secret value (the token is read from Secrets Manager at run time); the default encryption at rest is enough.
  #checkov:skip=CKV_AWS_272:The zip is built from this repository by cargo lambda; code signing needs an AWS Signer profile this module cannot assume exists.
  #checkov:skip=CKV_AWS_50:The Rust function sends no X-Ray segments; active tracing would record one empty segment per run and needs a wildcard xray:PutTraceSegments grant.
  function_name                  = var.function_name
  description                    = "Signs Aurora DSQL auth tokens and writes them as Cloudflare Hyperdrive passwords"
  role                           = aws_iam_role.execution.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [var.architecture]
  filename                       = var.lambda_zip_path
  source_code_hash               = filebase64sha256(var.lambda_zip_path)
  memory_size                    = var.memory_size
  timeout                        = var.timeout_seconds
  reserved_concurrent_executions = local.reserved_concurrent_executions
  layers                         = local.targets_in_layer ? [aws_lambda_layer_version.targets[0].arn] : null

  environment {
    variables = local.environment
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.this.name
  }

  tags = var.tags

  depends_on = [
    aws_iam_role_policy.execution,
    aws_iam_role_policy.assume_signer,
    aws_iam_role_policy.revoke_signer_sessions,
    aws_iam_role_policy.signer_dsql,
    aws_iam_group_policy_attachment.signer_dsql,
  ]

  lifecycle {
    # Lambda caps the whole environment at 4 KB; HYPERDRIVE_TARGETS is most of it.
    precondition {
      condition     = local.targets_in_layer || length(local.targets_json) <= 3500
      error_message = "HYPERDRIVE_TARGETS would be ${length(local.targets_json)} bytes, and Lambda caps a function's whole environment at 4 KB: ship the targets as a file in a layer: ${local.targets_layer_command}."
    }
  }
}

resource "aws_lambda_function_event_invoke_config" "this" {
  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = local.max_event_age_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.failures.arn
    }
  }
}

# An EventBridge rule rather than an EventBridge Scheduler schedule: see infra/README.md.
resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "${var.function_name}-schedule"
  description         = "Runs hyperdrive-dsql-rotator every ${local.interval_minutes} minutes"
  schedule_expression = local.schedule_expression
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = local.guaranteed_lifetime_seconds == null || try(local.guaranteed_lifetime_seconds >= 120, true)
      error_message = "The ${local.binding_signer} signing guarantees a token lifetime of ${coalesce(local.guaranteed_lifetime_seconds, 0)} s, less than the two minutes the shortest schedule (1 minute) needs: raise token_ttl_seconds (and signer_session_seconds) to at least 120."
    }
    precondition {
      condition     = local.min_interval_minutes <= local.max_interval_minutes
      error_message = "No schedule fits: the function's timeout (${var.timeout_seconds} s) plus a 60 s margin needs at least ${local.min_interval_minutes} minutes between runs, but the ${local.binding_signer} signing allows at most ${local.max_interval_minutes} (half the guaranteed token lifetime): lower timeout_seconds or raise token_ttl_seconds (and signer_session_seconds)."
    }
  }
}

resource "aws_cloudwatch_event_target" "function" {
  rule = aws_cloudwatch_event_rule.schedule.name
  arn  = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "schedule" {
  statement_id  = "AllowScheduleInvoke"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule.arn
}
