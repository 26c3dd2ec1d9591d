# The function, its log group and its schedule.

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:The function logs run reports only (never a token or secret value); the AWS-owned encryption of CloudWatch Logs is enough, and a KMS key would need a key policy for the logs service.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
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
  memory_size                    = 128
  timeout                        = 300
  reserved_concurrent_executions = 1 # two runs never race on the same configs

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
    aws_iam_role_policy.signer_dsql,
  ]
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
