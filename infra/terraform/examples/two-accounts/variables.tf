variable "region" {
  description = "AWS region of the function, in the account of the default provider's credentials."
  type        = string
}

variable "clusters_region" {
  description = "Region of the second account's provider (where its signer role is made; the role is global, its name holds this region)."
  type        = string
}

variable "clusters_account_role_arn" {
  description = "Role that Terraform assumes to deploy into the second account (e.g. arn:aws:iam::<account>:role/OrganizationAccountAccessRole)."
  type        = string
}

variable "lambda_zip_path" {
  description = "Path of the release zip (hyperdrive-dsql-rotator-<version>-<arch>.zip) or of cargo lambda's bootstrap.zip. Null: <repo>/target/lambda/hyperdrive-dsql-rotator/bootstrap.zip."
  type        = string
  default     = null
}

variable "targets" {
  description = "Hyperdrive configs (see the rotator module): those of the second account set cluster_arn."
  type        = any
}

variable "cloudflare_account_id" {
  description = "Default Cloudflare account id (32 hex characters)."
  type        = string
}

variable "cloudflare_api_token_secret_arn" {
  description = "Complete ARN of the existing secret holding the Cloudflare API token."
  type        = string
}

variable "cloudflare_api_token_secret_kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts that secret (a key, not an alias)."
  type        = string
  default     = null
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary of the roles made in the function's account. Null: none."
  type        = string
  default     = null
}

variable "clusters_permissions_boundary_arn" {
  description = "Permissions boundary of the signer role made in the second account. Null: none."
  type        = string
  default     = null
}

variable "iam_path" {
  description = "IAM path of every role, in both accounts."
  type        = string
  default     = "/"
}

variable "alarm_email" {
  description = "Email subscribed to the alarm topic (confirm the subscription from the mail). Null: no topic."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
