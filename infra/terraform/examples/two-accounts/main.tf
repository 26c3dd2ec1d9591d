# Example root for infra/README.md's walk-through: the rotator in one AWS account (the function's), DSQL clusters in
# that account and in a second one, an existing Cloudflare token secret with its own KMS key, non-admin database users.
# One apply builds both accounts: the rotator with the default provider, the second account's signer role with the
# provider "clusters" (which assumes a role there).

provider "aws" {
  region = var.region
}

provider "aws" {
  alias  = "clusters"
  region = var.clusters_region
  assume_role {
    role_arn = var.clusters_account_role_arn
  }
}

data "aws_caller_identity" "clusters" {
  provider = aws.clusters
}

data "aws_partition" "clusters" {
  provider = aws.clusters
}

locals {
  clusters_account = data.aws_caller_identity.clusters.account_id
  # The signer role's ARN is predictable from its name, so the rotator can name it while the signer module takes its
  # inputs from the rotator's outputs (wiring module.signer.role_arn back into the rotator would be a cycle).
  signer_role_name = "hyperdrive-dsql-signer-${var.clusters_region}"
  signer_role_arn  = "arn:${data.aws_partition.clusters.partition}:iam::${local.clusters_account}:role${var.iam_path}${local.signer_role_name}"
}

module "rotator" {
  source = "../../modules/hyperdrive-dsql-rotator"

  lambda_zip_path                         = coalesce(var.lambda_zip_path, "${path.module}/../../../../target/lambda/hyperdrive-dsql-rotator/bootstrap.zip")
  targets                                 = var.targets
  cross_account_signer_roles              = { (local.clusters_account) = local.signer_role_arn }
  cloudflare_account_id                   = var.cloudflare_account_id
  cloudflare_api_token_secret_arn         = var.cloudflare_api_token_secret_arn
  cloudflare_api_token_secret_kms_key_arn = var.cloudflare_api_token_secret_kms_key_arn
  permissions_boundary_arn                = var.permissions_boundary_arn
  iam_path                                = var.iam_path
  alarm_email                             = var.alarm_email
  tags                                    = var.tags
}

module "signer" {
  source    = "../../modules/cross-account-signer"
  providers = { aws = aws.clusters }

  execution_role_arn            = module.rotator.execution_role_arn
  db_connect_admin_cluster_arns = try(module.rotator.cross_account_signers[local.clusters_account].db_connect_admin_cluster_arns, [])
  db_connect_cluster_arns       = try(module.rotator.cross_account_signers[local.clusters_account].db_connect_cluster_arns, [])
  role_name                     = local.signer_role_name
  iam_path                      = var.iam_path
  permissions_boundary_arn      = var.clusters_permissions_boundary_arn
  tags                          = var.tags
}

check "signer_role_arn_as_predicted" {
  assert {
    condition     = module.signer.role_arn == local.signer_role_arn
    error_message = "The signer role's ARN (${module.signer.role_arn}) is not the one the rotator assumes (${local.signer_role_arn})."
  }
}
