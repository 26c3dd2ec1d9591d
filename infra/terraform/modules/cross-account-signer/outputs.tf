output "role_arn" {
  description = "ARN of the signer role: the value of cross_account_signer_roles[\"<this account id>\"] in the rotator module."
  value       = aws_iam_role.signer.arn
}

output "account_id" {
  description = "This account's id: the key of cross_account_signer_roles in the rotator module."
  value       = data.aws_caller_identity.current.account_id
}

output "trust_policy" {
  description = "The role's trust policy (JSON): exactly the function's execution role."
  value       = aws_iam_role.signer.assume_role_policy
}

output "policy" {
  description = "The role's DSQL policy (JSON): the clusters it may connect to, and how."
  value       = aws_iam_role_policy.dsql_connect.policy
}
