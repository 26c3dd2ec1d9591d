# Fleet inputs (issue 10): a Cloudflare API token secret per account, and the targets shipped as a file in a Lambda
# layer when they would not fit Lambda's 4 KB environment. The mtls rules of a target are with the other target
# validations in variables.tf.

variable "cloudflare_api_token_secret_arns" {
  description = "Cloudflare account id (32 hexadecimal characters) => full ARN of the secret holding that account's API token (CLOUDFLARE_API_TOKEN_SECRET_IDS). Overrides cloudflare_api_token_secret_arn for those accounts; when every target's account has an entry and cloudflare_api_token_secret_arn is null, no default secret is created. Each key must be the account of some target. Default: none."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([for account, arn in var.cloudflare_api_token_secret_arns :
    can(regex("^[0-9a-fA-F]{32}$", account)) && can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$", arn))])
    error_message = join("\n", [for account, arn in var.cloudflare_api_token_secret_arns : format("cloudflare_api_token_secret_arns[%s] = %s: %s.", jsonencode(account), jsonencode(arn),
      !can(regex("^[0-9a-fA-F]{32}$", account)) ? "the key is not a Cloudflare account ID (the 32 hexadecimal characters shown in the dashboard's URL or Overview page)" :
      "not a complete secret ARN (ending in -<6 characters>): IAM matches the exact ARN"
    ) if !(can(regex("^[0-9a-fA-F]{32}$", account)) && can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$", arn)))])
  }
  validation {
    condition     = length(distinct([for account in keys(var.cloudflare_api_token_secret_arns) : lower(account)])) == length(var.cloudflare_api_token_secret_arns)
    error_message = "cloudflare_api_token_secret_arns has an account twice (account ids are compared in lower case); keep one entry per account."
  }
  # An entry for an account no target uses would grant a secret the function never reads (often a mistyped id).
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || try(length(setsubtract([for a in keys(var.cloudflare_api_token_secret_arns) : lower(a)],
    [for t in var.targets : lower(coalesce(try(t.account_id, null), var.cloudflare_account_id, "-"))])) == 0, true)
    error_message = format("cloudflare_api_token_secret_arns has entries for Cloudflare accounts no target uses: %s; the function would never read those secrets, so they are not granted: check the account id or remove the entry.",
      try(join(", ", setsubtract([for a in keys(var.cloudflare_api_token_secret_arns) : lower(a)],
    [for t in var.targets : lower(coalesce(try(t.account_id, null), var.cloudflare_account_id, "-"))])), "?"))
  }
}

variable "cloudflare_api_token_secret_kms_key_arns" {
  description = "Customer-managed KMS key (a key ARN, not an alias) of the per-account token secrets, by the same account id as in cloudflare_api_token_secret_arns. The function may decrypt with a key only through Secrets Manager and only for the secrets it encrypts. Default: none (the AWS managed key)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([for account, key in var.cloudflare_api_token_secret_kms_key_arns :
    contains(keys(var.cloudflare_api_token_secret_arns), account) && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", key))])
    error_message = "cloudflare_api_token_secret_kms_key_arns: every key must be an account of cloudflare_api_token_secret_arns (same spelling) and every value a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias."
  }
}

variable "targets_layer_zip_path" {
  description = "Path of a Lambda layer zip holding the rendered targets as hyperdrive-targets.json, written (with its <path>.json twin) by scripts/targets_layer.py. Set: the function reads HYPERDRIVE_TARGETS_FILE=/opt/hyperdrive-targets.json from that layer instead of HYPERDRIVE_TARGETS, and the plan checks that the layer holds exactly var.targets. Needed when the targets do not fit Lambda's 4 KB environment (the plan says so and what to run). Default: null (targets in the environment)."
  type        = string
  default     = null
}

locals {
  # The function's mtls fields and SSL modes (src/config/mtls.rs).
  mtls_fields = ["sslmode", "ca_certificate_id", "mtls_certificate_id"]
  sslmodes    = ["require", "verify-ca", "verify-full"]

  # The Cloudflare accounts of the targets (lower case) and the per-account token secrets.
  target_account_ids    = distinct([for t in var.targets : lower(coalesce(try(t.account_id, null), var.cloudflare_account_id))])
  account_token_secrets = { for account, arn in var.cloudflare_api_token_secret_arns : lower(account) => arn }
  # The default token secret is needed only for accounts without their own.
  default_token_needed = length(setsubtract(local.target_account_ids, keys(local.account_token_secrets))) > 0
  account_token_secret_list = [for account, arn in var.cloudflare_api_token_secret_arns : {
    arn         = arn
    kms_key_arn = lookup(var.cloudflare_api_token_secret_kms_key_arns, account, null)
  }]

  # Lambda caps a function's whole environment at 4 KB: past 3500 bytes of targets, they go in a layer file.
  targets_in_layer  = var.targets_layer_zip_path != null
  targets_file_path = "/opt/hyperdrive-targets.json"
  targets_layer_command = format("python3 %s/scripts/targets_layer.py --targets <your targets as JSON, snake_case> %s--out build/hyperdrive-targets-layer.zip, then set targets_layer_zip_path = \"build/hyperdrive-targets-layer.zip\"",
  path.module, length(var.cross_account_signer_roles) > 0 ? "--cross-account-signer-roles <cross_account_signer_roles as JSON> " : "")
}

# Hyperdrive's docs require a CA certificate for verify-ca and verify-full: accepted (the function warns too).
check "mtls_verify_without_ca_certificate" {
  assert {
    condition = length([for t in var.targets : t if try(startswith(t.mtls.sslmode, "verify-") && try(t.mtls.ca_certificate_id, null) == null, false)]) == 0
    error_message = format("targets %s: mtls.sslmode verify-ca or verify-full without ca_certificate_id: Hyperdrive's docs require a CA certificate for these modes; upload Amazon Root CA 1 once (wrangler cert upload certificate-authority --ca-cert AmazonRootCA1.pem --name amazon-root-ca-1) and set its id as ca_certificate_id.",
    join(", ", [for t in var.targets : jsonencode(t.name) if try(startswith(t.mtls.sslmode, "verify-") && try(t.mtls.ca_certificate_id, null) == null, false)]))
  }
}

# The targets file: /opt/hyperdrive-targets.json in this layer. Terraform has no zip of its own here (only the AWS
# provider is assumed), so scripts/targets_layer.py writes the zip and a JSON twin; the plan refuses a stale one.
resource "aws_lambda_layer_version" "targets" {
  count                    = local.targets_in_layer ? 1 : 0
  layer_name               = "${var.function_name}-targets"
  description              = "hyperdrive-dsql-rotator targets (hyperdrive-targets.json, read via HYPERDRIVE_TARGETS_FILE)"
  filename                 = var.targets_layer_zip_path
  source_code_hash         = filebase64sha256(var.targets_layer_zip_path)
  compatible_runtimes      = ["provided.al2023"]
  compatible_architectures = [var.architecture]

  lifecycle {
    precondition {
      condition     = try(jsonencode(jsondecode(file("${var.targets_layer_zip_path}.json"))) == local.targets_json, false)
      error_message = format("The targets layer %s does not hold exactly var.targets as the function reads them (its twin %s.json is missing or differs): write it again with %s.", var.targets_layer_zip_path, var.targets_layer_zip_path, local.targets_layer_command)
    }
  }
}

output "targets_layer_arn" {
  description = "The layer holding /opt/hyperdrive-targets.json (HYPERDRIVE_TARGETS_FILE), when targets_layer_zip_path is set; else null."
  value       = try(aws_lambda_layer_version.targets[0].arn, null)
}
