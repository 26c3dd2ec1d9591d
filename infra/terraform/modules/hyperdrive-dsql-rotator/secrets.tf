# The Cloudflare API token secret, when no existing one is given: created with no version, so the token never passes
# through Terraform (not in a variable, a plan or the state). Put it in after apply:
#   read -rs CLOUDFLARE_API_TOKEN   # not echoed, not in the shell history
#   aws secretsmanager put-secret-value --secret-id <output cloudflare_api_token_secret_arn> --secret-string "$CLOUDFLARE_API_TOKEN"
resource "aws_secretsmanager_secret" "cloudflare_api_token" {
  #checkov:skip=CKV2_AWS_57:A Cloudflare API token cannot be rotated by a Secrets Manager rotation Lambda; its owner rolls it in Cloudflare and puts the new value here.
  count                   = local.create_token_secret ? 1 : 0
  name                    = "${var.function_name}/cloudflare-api-token"
  description             = "Cloudflare API token (Hyperdrive write) for hyperdrive-dsql-rotator; created empty: read -rs CLOUDFLARE_API_TOKEN, then aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string \"$CLOUDFLARE_API_TOKEN\""
  kms_key_id              = var.cloudflare_api_token_secret_kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}

# long-term-keys mode: the secret of the signer user's key, created empty like the token secret. The function, as its
# rotation function, writes every version: the first rotation (started when the rotation is configured) puts the
# first key in, so no key is ever typed, pasted, or stored in a variable, a plan or the state.
resource "aws_secretsmanager_secret" "signer_keys" {
  count                   = var.signing_mode == "long-term-keys" ? 1 : 0
  name                    = "${var.function_name}/signer-keys"
  description             = "Access key of the IAM user that signs Aurora DSQL tokens for hyperdrive-dsql-rotator: created empty, written only by the function as its rotation function (never by a person)"
  kms_key_id              = var.long_term_keys_secret_kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}

# Secrets Manager may invoke the function for this secret only.
resource "aws_lambda_permission" "signer_keys_rotation" {
  count         = var.signing_mode == "long-term-keys" ? 1 : 0
  statement_id  = "AllowSignerKeysRotation"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "secretsmanager.amazonaws.com"
  source_arn    = aws_secretsmanager_secret.signer_keys[0].arn
}

# Created after the permission (and, through the function, after the execution role's policies) and after the signer
# user's DSQL grant: configuring the rotation starts the first one at once, which bootstraps the first key and proves
# it on every target.
resource "aws_secretsmanager_secret_rotation" "signer_keys" {
  count               = var.signing_mode == "long-term-keys" ? 1 : 0
  secret_id           = aws_secretsmanager_secret.signer_keys[0].id
  rotation_lambda_arn = aws_lambda_function.this.arn

  rotation_rules {
    automatically_after_days = local.signer_keys_rotation_days
  }

  depends_on = [
    aws_lambda_permission.signer_keys_rotation,
    aws_iam_user_group_membership.signer,
    aws_iam_group_policy_attachment.signer_dsql,
  ]
}
