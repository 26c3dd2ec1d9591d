# Plans the module against a mocked AWS provider in the clusters' account (444455556666).
# Run with: terraform init -backend=false -plugin-dir=/opt/tf-plugins && terraform test

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "444455556666" }
  }
  mock_data "aws_region" {
    defaults = { id = "us-west-2", name = "us-west-2" }
  }
}

variables {
  execution_role_arn            = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-exec-us-east-1"
  db_connect_admin_cluster_arns = ["arn:aws:dsql:us-west-2:444455556666:cluster/billingcluster"]
  db_connect_cluster_arns       = ["arn:aws:dsql:us-west-2:444455556666:cluster/ledgercluster"]
}

run "trusts_exactly_the_execution_role" {
  command = plan

  assert {
    condition = jsondecode(aws_iam_role.signer.assume_role_policy).Statement == [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::111122223333:role/hyperdrive-dsql-rotator-exec-us-east-1" }
      Action    = "sts:AssumeRole"
    }]
    error_message = "The role trusts the function's execution role and nothing else."
  }
  assert {
    condition     = aws_iam_role.signer.max_session_duration == 3600 && aws_iam_role.signer.name == "hyperdrive-dsql-signer-us-west-2"
    error_message = "At most one hour; the default name holds the region."
  }
  assert {
    condition = jsondecode(aws_iam_role_policy.dsql_connect.policy).Statement == [
      { Sid = "ConnectAsAdmin", Effect = "Allow", Action = "dsql:DbConnectAdmin", Resource = ["arn:aws:dsql:us-west-2:444455556666:cluster/billingcluster"] },
      { Sid = "ConnectAsRole", Effect = "Allow", Action = "dsql:DbConnect", Resource = ["arn:aws:dsql:us-west-2:444455556666:cluster/ledgercluster"] },
      {
        Sid       = "DenyOutsideClusterRegions"
        Effect    = "Deny"
        Action    = ["dsql:DbConnect", "dsql:DbConnectAdmin"]
        Resource  = "arn:aws:dsql:*:*:cluster/*"
        Condition = { StringNotEquals = { "aws:RequestedRegion" = ["us-west-2"] } }
      },
    ]
    error_message = "Admin and non-admin connects on exactly the given clusters, nowhere outside their regions: ${aws_iam_role_policy.dsql_connect.policy}"
  }
  assert {
    condition     = output.account_id == "444455556666"
    error_message = "The account id is the key for cross_account_signer_roles."
  }
}

run "name_path_boundary" {
  command = plan
  variables {
    role_name                = "rotator-signer"
    iam_path                 = "/hyperdrive/"
    permissions_boundary_arn = "arn:aws:iam::444455556666:policy/boundary"
  }
  assert {
    condition     = aws_iam_role.signer.name == "rotator-signer" && aws_iam_role.signer.path == "/hyperdrive/" && aws_iam_role.signer.permissions_boundary == "arn:aws:iam::444455556666:policy/boundary"
    error_message = "Name, path and permissions boundary are inputs."
  }
}

run "clusters_of_another_account_refused" {
  command = plan
  variables {
    db_connect_admin_cluster_arns = ["arn:aws:dsql:us-west-2:999999999999:cluster/elsewhere"]
  }
  expect_failures = [aws_iam_role.signer]
}

run "execution_role_of_this_account_refused" {
  command = plan
  variables {
    execution_role_arn = "arn:aws:iam::444455556666:role/x"
  }
  expect_failures = [aws_iam_role.signer]
}

run "no_cluster_refused" {
  command = plan
  variables {
    db_connect_admin_cluster_arns = []
    db_connect_cluster_arns       = []
  }
  expect_failures = [var.db_connect_cluster_arns]
}
