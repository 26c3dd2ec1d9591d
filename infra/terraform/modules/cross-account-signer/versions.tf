terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.x and 6.x, as the rotator module (see its versions.tf). Tested offline with 5.100.0.
      version = ">= 5.100.0, < 7.0.0"
    }
  }
}
