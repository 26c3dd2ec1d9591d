# Plans infra/README.md's walk-through with both accounts mocked. Run with the walk-through's own values:
#   terraform test -var-file=terraform.tfvars.example -var=lambda_zip_path=<any existing file>
# (no variables here: the tfvars file is what is planned).

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }
  mock_data "aws_region" {
    defaults = { id = "us-east-1", name = "us-east-1" }
  }
}

mock_provider "aws" {
  alias           = "clusters"
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "222222222222" }
  }
  mock_data "aws_region" {
    defaults = { id = "us-west-2", name = "us-west-2" }
  }
}

override_resource {
  target          = module.rotator.aws_iam_role.execution
  override_during = plan
  values          = { arn = "arn:aws:iam::111111111111:role/hyperdrive-dsql-rotator-exec-us-east-1" }
}
override_resource {
  target          = module.rotator.aws_iam_role.signer
  override_during = plan
  values          = { arn = "arn:aws:iam::111111111111:role/hyperdrive-dsql-rotator-signer-us-east-1" }
}
override_resource {
  target          = module.signer.aws_iam_role.signer
  override_during = plan
  values          = { arn = "arn:aws:iam::222222222222:role/hyperdrive-dsql-signer-us-west-2" }
}

run "walkthrough" {
  command = plan

  assert {
    condition = jsondecode(module.signer.trust_policy).Statement == [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111111111111:role/hyperdrive-dsql-rotator-exec-us-east-1" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "The second account's signer role trusts exactly the function's execution role."
  }
  assert {
    condition = [for s in jsondecode(module.signer.policy).Statement : [s.Action, s.Resource] if s.Effect == "Allow"] == [
      ["dsql:DbConnectAdmin", ["arn:aws:dsql:us-west-2:222222222222:cluster/qr8po7nm6lk5ji4hg3fe2dc1ba"]],
      ["dsql:DbConnect", ["arn:aws:dsql:us-west-2:222222222222:cluster/ab1cd2ef3gh4ij5kl6mn7op8qr"]],
    ]
    error_message = "It may connect to exactly that account's clusters, admin and not."
  }
  assert {
    condition = jsondecode(module.rotator.hyperdrive_targets) == [
      { name = "orders", host = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws" },
      { name = "reports", host = "zyxwvutsrqponmlkjihgfedcba.dsql.us-east-1.on.aws", user = "reporter" },
      { name = "billing", host = "ab1cd2ef3gh4ij5kl6mn7op8qr.dsql.us-west-2.on.aws", user = "billing_app", signer_role_arn = "arn:aws:iam::222222222222:role/hyperdrive-dsql-signer-us-west-2" },
      { name = "ledger", host = "qr8po7nm6lk5ji4hg3fe2dc1ba.dsql.us-west-2.on.aws", signer_role_arn = "arn:aws:iam::222222222222:role/hyperdrive-dsql-signer-us-west-2" },
    ]
    error_message = "The second account's targets are signed by its role: ${module.rotator.hyperdrive_targets}"
  }
  assert {
    condition = module.rotator.assumed_signer_role_arns == tolist([
      "arn:aws:iam::111111111111:role/hyperdrive-dsql-rotator-signer-us-east-1",
      "arn:aws:iam::222222222222:role/hyperdrive-dsql-signer-us-west-2",
    ])
    error_message = "The execution role may assume exactly the two signer roles."
  }
  assert {
    condition     = module.rotator.cloudflare_api_token_secret_arn == "arn:aws:secretsmanager:us-east-1:111111111111:secret:hyperdrive/cloudflare-api-token-AbCdEf" && !module.rotator.cloudflare_api_token_secret_created
    error_message = "The existing secret is used; none is created (its KMS key grant is asserted in the module's tests)."
  }
  assert {
    condition = [for g in output.database_grants : g.statement] == [
      "AWS IAM GRANT reporter TO 'arn:aws:iam::111111111111:role/hyperdrive-dsql-rotator-signer-us-east-1';",
      "AWS IAM GRANT billing_app TO 'arn:aws:iam::222222222222:role/hyperdrive-dsql-signer-us-west-2';",
    ]
    error_message = "One grant per non-admin user, to the role that signs its tokens: ${jsonencode(output.database_grants)}"
  }
  assert {
    condition     = output.schedule_expression == "rate(15 minutes)" && output.guaranteed_token_lifetime_seconds == 3600
    error_message = "Every 15 minutes; one-hour tokens."
  }
}

