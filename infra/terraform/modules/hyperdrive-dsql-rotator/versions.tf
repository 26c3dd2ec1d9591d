terraform {
  # 1.9+: variable validations refer to other variables, locals and data sources.
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x and 6.x: the module uses no argument or attribute that 6.0 removes or deprecates (the region comes from
      # data.aws_region's id, not its name, which 6.0 deprecates). Tested offline with 5.100.0.
      version = ">= 5.100.0, < 7.0.0"
    }
  }
}
