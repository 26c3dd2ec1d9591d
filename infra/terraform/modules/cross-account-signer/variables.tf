variable "execution_role_arn" {
  description = "ARN of the function's execution role (the rotator module's execution_role_arn output, or the CDK stack's ExecutionRoleArn): the only principal the role trusts."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.execution_role_arn))
    error_message = "execution_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "db_connect_admin_cluster_arns" {
  description = "Clusters of this account whose targets connect as admin (dsql:DbConnectAdmin); the rotator module's cross_account_signers output lists them."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.db_connect_admin_cluster_arns : can(regex("^arn:aws[a-z-]*:dsql:[a-z0-9-]+:[0-9]{12}:cluster/[a-z0-9]+$", arn))])
    error_message = "Every cluster ARN must be arn:<partition>:dsql:<region>:<account>:cluster/<cluster-id>."
  }
}

variable "db_connect_cluster_arns" {
  description = "Clusters of this account whose targets connect as another database role (dsql:DbConnect)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.db_connect_cluster_arns : can(regex("^arn:aws[a-z-]*:dsql:[a-z0-9-]+:[0-9]{12}:cluster/[a-z0-9]+$", arn))])
    error_message = "Every cluster ARN must be arn:<partition>:dsql:<region>:<account>:cluster/<cluster-id>."
  }
  validation {
    condition     = length(var.db_connect_cluster_arns) + length(var.db_connect_admin_cluster_arns) > 0
    error_message = "Give at least one cluster ARN (db_connect_admin_cluster_arns or db_connect_cluster_arns)."
  }
}

variable "role_name" {
  description = "Name of the role; the rotator's cross_account_signer_roles names its ARN. Null: hyperdrive-dsql-signer-<region> (IAM names are global to the account, so the default holds this provider's region)."
  type        = string
  default     = null

  validation {
    condition     = var.role_name == null || can(regex("^[\\w+=,.@-]{1,64}$", var.role_name))
    error_message = "role_name must be 1 to 64 letters, digits or +=,.@_- characters."
  }
}

variable "iam_path" {
  description = "IAM path of the role, e.g. /hyperdrive/."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([\\x{21}-\\x{7e}]+/)?$", var.iam_path)) && length(var.iam_path) <= 512
    error_message = "iam_path must start and end with \"/\", e.g. /hyperdrive/."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary (a managed policy ARN) of the role. Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN (arn:<partition>:iam::<account>:policy/<name>)."
  }
}

variable "restrict_to_cluster_regions" {
  description = "Add a Deny on DSQL connect actions in any region but the clusters' regions (aws:RequestedRegion)."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags of the role."
  type        = map(string)
  default     = {}
  nullable    = false
}
