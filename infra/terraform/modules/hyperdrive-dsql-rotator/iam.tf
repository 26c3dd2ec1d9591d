# Execution role: writes its own logs, reads exactly its secrets, sends to its failure queue, and assumes the signer
# roles (this account's, and the cross-account ones in use). The signer role trusts the execution role only.
# IAM names are global to the account, so they hold the region: the module can be deployed in two regions of one
# account.

resource "aws_iam_role" "execution" {
  name                 = "${var.function_name}-exec-${local.region}"
  path                 = var.iam_path
  permissions_boundary = var.permissions_boundary_arn
  description          = "hyperdrive-dsql-rotator function: logs, its secrets, and its signer roles"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "execution" {
  name = "function"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid      = "WriteOwnLogs"
          Effect   = "Allow"
          Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
          Resource = "${aws_cloudwatch_log_group.this.arn}:*"
        },
        {
          Sid      = "ReadSecrets"
          Effect   = "Allow"
          Action   = "secretsmanager:GetSecretValue"
          Resource = local.secret_arns
        },
        {
          Sid      = "SendFailedEvents"
          Effect   = "Allow"
          Action   = "sqs:SendMessage"
          Resource = aws_sqs_queue.failures.arn
        },
      ],
      local.kms_statements,
      [for s in local.dsql_statements : s if var.signing_mode == "execution-role"],
    )
  })
}

resource "aws_iam_role" "signer" {
  count                = local.create_signer_role ? 1 : 0
  name                 = "${var.function_name}-signer-${local.region}"
  path                 = var.iam_path
  permissions_boundary = var.permissions_boundary_arn
  description          = "Signs Aurora DSQL auth tokens for hyperdrive-dsql-rotator; assumed by its function only"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = aws_iam_role.execution.arn }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "signer_dsql" {
  count = local.create_signer_role ? 1 : 0
  name  = "dsql-connect"
  role  = aws_iam_role.signer[0].id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.dsql_statements
  })
}

# Separate from aws_iam_role_policy.execution: the signer role's trust names the execution role, so the permission to
# assume the signer role must not live on the execution role resource itself (that would be a cycle).
resource "aws_iam_role_policy" "assume_signer" {
  count = local.create_signer_role || length(local.cross_account_role_arns) > 0 ? 1 : 0
  name  = "assume-signer"
  role  = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "AssumeSignerRoles"
      Effect   = "Allow"
      Action   = "sts:AssumeRole"
      Resource = concat(local.create_signer_role ? [aws_iam_role.signer[0].arn] : [], local.cross_account_role_arns)
    }]
  })
}

# long-term-keys mode: the IAM user and its keys are made outside Terraform (keys would land in the state);
# attach this policy to that user.
resource "aws_iam_policy" "long_term_keys_user" {
  count       = var.signing_mode == "long-term-keys" && length(local.local_clusters) > 0 ? 1 : 0
  name        = "${var.function_name}-dsql-connect-${local.region}"
  path        = var.iam_path
  description = "Attach to the IAM user whose keys hyperdrive-dsql-rotator signs DSQL tokens with"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.dsql_statements
  })
  tags = var.tags
}
