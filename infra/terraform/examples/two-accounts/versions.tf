terraform {
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The modules admit 5.x and 6.x; this example pins the version it is tested with offline.
      version = "5.100.0"
    }
  }
}
