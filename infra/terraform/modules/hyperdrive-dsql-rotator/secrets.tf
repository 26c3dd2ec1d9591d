# The Cloudflare API token secret, when no existing one is given: created with no version, so the token never passes
# through Terraform (not in a variable, a plan or the state). Put it in after apply:
#   aws secretsmanager put-secret-value --secret-id <output cloudflare_api_token_secret_arn> --secret-string <token>
resource "aws_secretsmanager_secret" "cloudflare_api_token" {
  #checkov:skip=CKV2_AWS_57:A Cloudflare API token cannot be rotated by a Secrets Manager rotation Lambda; its owner rolls it in Cloudflare and puts the new value here.
  count                   = local.create_token_secret ? 1 : 0
  name                    = "${var.function_name}/cloudflare-api-token"
  description             = "Cloudflare API token (Hyperdrive write) for hyperdrive-dsql-rotator; created empty: aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string <token>"
  kms_key_id              = var.cloudflare_api_token_secret_kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = var.tags
}
