# The signer role of the DSQL clusters of *this* AWS account, for a hyperdrive-dsql-rotator deployed in another one.
# An IAM policy in the function's account cannot authorise a cluster here, so the role lives here: it trusts exactly
# the function's execution role, may connect to exactly the given clusters, and lasts at most one hour (role chaining).
# Give its ARN to the rotator module's cross_account_signer_roles under this account's id. The CDK construct
# CrossAccountDsqlSigner (infra/cdk/lib/cross-account-signer.ts) builds the same role.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
# `id`, not `name` (deprecated in AWS provider 6): see the rotator module.
data "aws_region" "current" {}

locals {
  cluster_arn_re = "^arn:aws[a-z-]*:dsql:([a-z0-9-]+):([0-9]{12}):cluster/[a-z0-9]+$"
  cluster_arns   = concat(var.db_connect_admin_cluster_arns, var.db_connect_cluster_arns)
  regions        = distinct([for arn in local.cluster_arns : regex(local.cluster_arn_re, arn)[0]])
  role_name      = coalesce(var.role_name, "hyperdrive-dsql-signer-${data.aws_region.current.id}")
  statements = concat(
    length(var.db_connect_admin_cluster_arns) == 0 ? [] : [{
      Sid      = "ConnectAsAdmin"
      Effect   = "Allow"
      Action   = "dsql:DbConnectAdmin"
      Resource = distinct(var.db_connect_admin_cluster_arns)
    }],
    length(var.db_connect_cluster_arns) == 0 ? [] : [{
      Sid      = "ConnectAsRole"
      Effect   = "Allow"
      Action   = "dsql:DbConnect"
      Resource = distinct(var.db_connect_cluster_arns)
    }],
    !var.restrict_to_cluster_regions ? [] : [{
      Sid       = "DenyOutsideClusterRegions"
      Effect    = "Deny"
      Action    = ["dsql:DbConnect", "dsql:DbConnectAdmin"]
      Resource  = "arn:${data.aws_partition.current.partition}:dsql:*:*:cluster/*"
      Condition = { StringNotEquals = { "aws:RequestedRegion" = local.regions } }
    }],
  )
}

resource "aws_iam_role" "signer" {
  name                 = local.role_name
  path                 = var.iam_path
  permissions_boundary = var.permissions_boundary_arn
  description          = "Signs Aurora DSQL auth tokens for hyperdrive-dsql-rotator in another account; assumed by its function only"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.execution_role_arn }
      Action    = "sts:AssumeRole"
    }]
  })
  tags = var.tags

  lifecycle {
    precondition {
      condition     = alltrue([for arn in local.cluster_arns : regex(local.cluster_arn_re, arn)[1] == data.aws_caller_identity.current.account_id])
      error_message = format("Every cluster must be in this account (%s); deploy a signer in each account, for its own clusters: %s.", data.aws_caller_identity.current.account_id, join(", ", [for arn in local.cluster_arns : arn if regex(local.cluster_arn_re, arn)[1] != data.aws_caller_identity.current.account_id]))
    }
    precondition {
      condition     = try(regex("^arn:[^:]+:iam::([0-9]{12}):", var.execution_role_arn)[0], "") != data.aws_caller_identity.current.account_id
      error_message = "execution_role_arn is in this account (${data.aws_caller_identity.current.account_id}): clusters in the function's own account are signed by the rotator module's own signer role; this module is for other accounts."
    }
  }
}

resource "aws_iam_role_policy" "dsql_connect" {
  name = "dsql-connect"
  role = aws_iam_role.signer.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = local.statements
  })
}
