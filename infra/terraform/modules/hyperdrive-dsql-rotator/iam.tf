# Execution role: writes its own logs, reads exactly its secrets, sends to its failure queue, and assumes the signer
# roles (this account's, and the cross-account ones in use). The signer role trusts the execution role only. In
# long-term-keys mode the signer is an IAM user whose keys the function rotates (the keys secret: secrets.tf).
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
          Resource = [for s in local.secrets : s.arn]
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
      local.signer_keys_statements,
    )
  })
}

# The signer role's permissions boundary: DSQL connect on its clusters, nothing else. The function may put an inline
# policy on the role (revoke, below), and this is what keeps that right from granting anything more. It replaces
# permissions_boundary_arn on this role (a role has one boundary): any boundary that still lets the signer work
# allows at least this much, so this one is never wider.
resource "aws_iam_policy" "signer_boundary" {
  count       = local.create_signer_role ? 1 : 0
  name        = "${var.function_name}-signer-boundary-${local.region}"
  path        = var.iam_path
  description = "Permissions boundary of the hyperdrive-dsql-rotator signer role: DSQL connect on its clusters only"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [for s in local.dsql_statements : s if s.Effect == "Allow"]
  })
  tags = var.tags
}

resource "aws_iam_role" "signer" {
  count                = local.create_signer_role ? 1 : 0
  name                 = "${var.function_name}-signer-${local.region}"
  path                 = var.iam_path
  permissions_boundary = aws_iam_policy.signer_boundary[0].arn
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

# Revoke puts one inline policy, hyperdrive-dsql-rotator-revoke, on the signer role (a Deny on sessions issued before
# a cutoff); Get and Delete read and lift it. IAM has no condition key for the name or content of an inline policy
# (Put/Get/DeleteRolePolicy take none), so this allows them for any inline policy of this one role: the boundary above
# caps what such a policy can grant, and a deleted one can only take rights away. Separate from the execution role's
# own policy for the same reason as assume_signer.
resource "aws_iam_role_policy" "revoke_signer_sessions" {
  count = local.create_signer_role ? 1 : 0
  name  = "revoke-signer-sessions"
  role  = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "RevokePolicyOnSignerRole"
      Effect   = "Allow"
      Action   = ["iam:DeleteRolePolicy", "iam:GetRolePolicy", "iam:PutRolePolicy"]
      Resource = aws_iam_role.signer[0].arn
    }]
  })
}

# long-term-keys mode: the signer is an IAM user without a password (no console login) and without keys of
# Terraform's making (a key would land in the state): the function creates, rotates and deactivates them as the keys
# secret's rotation function. It connects to the clusters through its group's policy.
resource "aws_iam_user" "signer" {
  count                = var.signing_mode == "long-term-keys" ? 1 : 0
  name                 = "${var.function_name}-signer-${local.region}"
  path                 = var.iam_path
  permissions_boundary = var.permissions_boundary_arn
  tags                 = var.tags
}

resource "aws_iam_group" "signer" {
  count = var.signing_mode == "long-term-keys" ? 1 : 0
  name  = "${var.function_name}-signer-${local.region}"
  path  = var.iam_path
}

resource "aws_iam_user_group_membership" "signer" {
  count  = var.signing_mode == "long-term-keys" ? 1 : 0
  user   = aws_iam_user.signer[0].name
  groups = [aws_iam_group.signer[0].name]
}

resource "aws_iam_policy" "long_term_keys_user" {
  count       = var.signing_mode == "long-term-keys" && length(local.local_clusters) > 0 ? 1 : 0
  name        = "${var.function_name}-dsql-connect-${local.region}"
  path        = var.iam_path
  description = "DSQL connect for the IAM user whose keys hyperdrive-dsql-rotator signs tokens with"
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.dsql_statements
  })
  tags = var.tags
}

resource "aws_iam_group_policy_attachment" "signer_dsql" {
  count      = length(aws_iam_policy.long_term_keys_user)
  group      = aws_iam_group.signer[0].name
  policy_arn = aws_iam_policy.long_term_keys_user[0].arn
}
