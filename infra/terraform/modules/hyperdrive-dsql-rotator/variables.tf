# Inputs. The targets are typed `any` and checked field by field below: an object() type would silently drop an
# unknown attribute (a target written with `usr = "reader"` would lose it, fall back to admin and be granted
# dsql:DbConnectAdmin), and would convert `port = "5432"` to a number the function never sees. Every rule the function
# applies to a target (src/config.rs) is checked at plan; the CDK construct applies the same ones (lib/targets.ts),
# and infra/test.sh feeds all three the corpus in tests/fixtures/bad-targets.json. Each validation lists every
# offending target as `targets[i] "name": <field> <what is wrong>; <fix>`.

variable "targets" {
  description = <<-EOT
    Hyperdrive configs to keep supplied with tokens: a list of objects with the function's target fields (name, host,
    region, user, database, port, account_id, caching, origin_connection_limit, mtls) plus cluster_arn (IAM only, not passed
    to the function; default derived from the host in this account; required for a cluster in another AWS account,
    which also needs cross_account_signer_roles). Unknown fields and wrong types are refused, as the function does.
  EOT
  type        = any

  validation {
    condition     = can(length(var.targets)) && startswith(jsonencode(var.targets), "[") && try(length(var.targets) > 0, false)
    error_message = "targets must be a non-empty list of Hyperdrive configs: [{ name = \"...\", host = \"<cluster-id>.dsql.<region>.on.aws\" }, ...]."
  }
  validation {
    condition     = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("targets[%v] is %s, not an object; give { name = \"...\", host = \"...\" }.", i, jsonencode(t)) if !can(keys(t))])
  }
  # Unknown fields, by name.
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets :
      length(setsubtract(keys(t), local.target_fields)) == 0 if can(keys(t))
    ])
    error_message = join("\n", flatten([for i, t in var.targets : [for k in setsubtract(keys(t), local.target_fields) :
      format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), k == "signer_role_arn" ?
        "signer_role_arn is not set by hand: the module sets the function's signer_role_arn for clusters in other AWS accounts from cross_account_signer_roles (give the cluster's cluster_arn); remove it." :
        format("%s is not a target field; %sremove it (fields: %s).", k, try(format("did you mean %s? If not, ", one(concat(
          [for f in local.target_fields : f if f == lower(replace(k, "/([a-z0-9])([A-Z])/", "$1_$2"))],
          [for f in local.target_fields : f if f != lower(k) && substr(f, 0, 2) == substr(lower(k), 0, 2) && abs(length(f) - length(k)) <= 2],
        ))), ""), join(", ", local.target_fields))
      )
    ] if can(keys(t))]))
  }
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(
      t.name == null ? "missing" :
      !startswith(jsonencode(t.name), "\"") ? "type" :
      t.name == "" ? "empty" :
      (length(base64encode(t.name)) / 4 * 3 - length(regexall("=", base64encode(t.name)))) > 255 ? "long" :
      can(regex("[\\x{00}-\\x{1f}\\x{7f}-\\x{9f}]", t.name)) || trimspace(t.name) != t.name ? "spaces" :
      !can(regex("^[\\x{20}-\\x{7e}]+$", t.name)) ? "ascii" : "ok",
    "missing") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), try(
      t.name == null ? "name is missing; every target needs the Hyperdrive config's name." :
      !startswith(jsonencode(t.name), "\"") ? format("name is %s, not a string; write it in quotes.", jsonencode(t.name)) :
      t.name == "" ? "name is empty; give the Hyperdrive config's name." :
      (length(base64encode(t.name)) / 4 * 3 - length(regexall("=", base64encode(t.name)))) > 255 ? format("name is %d bytes long; the limit is 255.", (length(base64encode(t.name)) / 4 * 3 - length(regexall("=", base64encode(t.name))))) :
      can(regex("[\\x{00}-\\x{1f}\\x{7f}-\\x{9f}]", t.name)) || trimspace(t.name) != t.name ? format("name %s has control characters or surrounding spaces; remove them.", jsonencode(t.name)) :
      format("name %s has characters other than printable ASCII (shown as ?; letters, digits, punctuation, spaces inside); use a name such as orders-db.", replace(jsonencode(t.name), "/[^\\x{20}-\\x{7e}]/", "?")),
      "name is missing; every target needs the Hyperdrive config's name.")) if can(keys(t)) && try(
      t.name == null ? "missing" :
      !startswith(jsonencode(t.name), "\"") ? "type" :
      t.name == "" ? "empty" :
      (length(base64encode(t.name)) / 4 * 3 - length(regexall("=", base64encode(t.name)))) > 255 ? "long" :
      can(regex("[\\x{00}-\\x{1f}\\x{7f}-\\x{9f}]", t.name)) || trimspace(t.name) != t.name ? "spaces" :
      !can(regex("^[\\x{20}-\\x{7e}]+$", t.name)) ? "ascii" : "ok",
    "missing") != "ok"])
  }
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(
      t.host == null ? "missing" :
      !startswith(jsonencode(t.host), "\"") ? "type" :
      t.host == "" ? "empty" :
      (length(base64encode(t.host)) / 4 * 3 - length(regexall("=", base64encode(t.host)))) > 253 ? "long" :
      strcontains(t.host, "://") ? "scheme" :
      strcontains(t.host, "/") ? "path" :
      strcontains(t.host, ":") ? "port" :
      !can(regex(local.host_name_re, lower(t.host))) ? "invalid" :
      !can(regex(local.dsql_host_re, lower(t.host))) && try(t.cluster_arn, null) == null ? "no-arn" : "ok",
    "missing") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), try(
      t.host == null ? "host is missing; give the cluster endpoint, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws." :
      !startswith(jsonencode(t.host), "\"") ? format("host is %s, not a string; write it in quotes.", jsonencode(t.host)) :
      t.host == "" ? "host is empty; give the cluster endpoint." :
      (length(base64encode(t.host)) / 4 * 3 - length(regexall("=", base64encode(t.host)))) > 253 ? format("host is %d bytes long; the limit is 253.", (length(base64encode(t.host)) / 4 * 3 - length(regexall("=", base64encode(t.host))))) :
      strcontains(t.host, "://") ? format("host %s has a URL scheme; give the bare host name, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws.", jsonencode(t.host)) :
      strcontains(t.host, "/") ? format("host %s has a path; give the bare host name.", jsonencode(t.host)) :
      strcontains(t.host, ":") ? format("host %s has a port; give the bare host name and set port instead.", jsonencode(t.host)) :
      !can(regex(local.host_name_re, lower(t.host))) ? format("host %s is not a valid host name; use the cluster endpoint.", jsonencode(t.host)) :
      format("host %s is not a DSQL endpoint (<cluster-id>.dsql.<region>.on.aws), so the cluster's ARN cannot be derived from it: set cluster_arn (the signer is allowed on exactly that cluster).", jsonencode(t.host)),
      "host is missing; give the cluster endpoint.")) if can(keys(t)) && try(
      t.host == null ? "missing" :
      !startswith(jsonencode(t.host), "\"") ? "type" :
      t.host == "" ? "empty" :
      (length(base64encode(t.host)) / 4 * 3 - length(regexall("=", base64encode(t.host)))) > 253 ? "long" :
      strcontains(t.host, "://") ? "scheme" :
      strcontains(t.host, "/") ? "path" :
      strcontains(t.host, ":") ? "port" :
      !can(regex(local.host_name_re, lower(t.host))) ? "invalid" :
      !can(regex(local.dsql_host_re, lower(t.host))) && try(t.cluster_arn, null) == null ? "no-arn" : "ok",
    "missing") != "ok"])
  }
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(
      try(t.region, null) == null ? (try(can(regex(local.host_name_re, lower(t.host))) && !can(regex(local.dsql_host_re, lower(t.host))), false) ? "required" : "ok") :
      !startswith(jsonencode(t.region), "\"") ? "type" :
      !can(regex(format("^%s$", local.region_re), t.region)) ? "invalid" :
      try(regex(local.dsql_host_re, lower(t.host))[1] != t.region, false) ? "mismatch" : "ok",
    "invalid") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), try(
      try(t.region, null) == null ? format("region is required because the host %s is not of the form <cluster-id>.dsql.<region>.on.aws; set the cluster's AWS region.", jsonencode(t.host)) :
      !startswith(jsonencode(t.region), "\"") ? format("region is %s, not a string; write it in quotes.", jsonencode(t.region)) :
      !can(regex(format("^%s$", local.region_re), t.region)) ? format("region %s is not an AWS region name; use e.g. us-east-1.", jsonencode(t.region)) :
      format("region %s differs from the region in the host (%s); remove region or correct it.", jsonencode(t.region), regex(local.dsql_host_re, lower(t.host))[1]),
      "region is not a valid AWS region name.")) if can(keys(t)) && try(
      try(t.region, null) == null ? (try(can(regex(local.host_name_re, lower(t.host))) && !can(regex(local.dsql_host_re, lower(t.host))), false) ? "required" : "ok") :
      !startswith(jsonencode(t.region), "\"") ? "type" :
      !can(regex(format("^%s$", local.region_re), t.region)) ? "invalid" :
      try(regex(local.dsql_host_re, lower(t.host))[1] != t.region, false) ? "mismatch" : "ok",
    "invalid") != "ok"])
  }
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(
      try(t.cluster_arn, null) == null ? "ok" :
      !can(regex(local.cluster_arn_re, t.cluster_arn)) ? "invalid" :
      can(regex(local.dsql_host_re, lower(t.host))) && try(regex(local.dsql_host_re, lower(t.host))[0] != regex(local.cluster_arn_re, t.cluster_arn)[3] || regex(local.dsql_host_re, lower(t.host))[1] != regex(local.cluster_arn_re, t.cluster_arn)[1], false) ? "mismatch" : "ok",
    "invalid") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), try(
      !can(regex(local.cluster_arn_re, t.cluster_arn)) ? format("cluster_arn %s is not arn:<partition>:dsql:<region>:<account>:cluster/<cluster-id>.", jsonencode(t.cluster_arn)) :
      format("cluster_arn names cluster %s in %s, but the host is cluster %s in %s: the signer would be allowed on the wrong cluster; correct one of them.",
      regex(local.cluster_arn_re, t.cluster_arn)[3], regex(local.cluster_arn_re, t.cluster_arn)[1], regex(local.dsql_host_re, lower(t.host))[0], regex(local.dsql_host_re, lower(t.host))[1]),
      "cluster_arn is not arn:<partition>:dsql:<region>:<account>:cluster/<cluster-id>.")) if can(keys(t)) && try(
      try(t.cluster_arn, null) == null ? "ok" :
      !can(regex(local.cluster_arn_re, t.cluster_arn)) ? "invalid" :
      can(regex(local.dsql_host_re, lower(t.host))) && try(regex(local.dsql_host_re, lower(t.host))[0] != regex(local.cluster_arn_re, t.cluster_arn)[3] || regex(local.dsql_host_re, lower(t.host))[1] != regex(local.cluster_arn_re, t.cluster_arn)[1], false) ? "mismatch" : "ok",
    "invalid") != "ok"])
  }
  # user and database: optional strings of at most 63 bytes (PostgreSQL's limit).
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(
      try(t.user, null) == null ? "ok" :
      !startswith(jsonencode(t.user), "\"") ? "type" :
      t.user == "" ? "empty" :
      (length(base64encode(t.user)) / 4 * 3 - length(regexall("=", base64encode(t.user)))) > 63 ? "long" :
      can(regex("[\\s\\p{Z}\\x{00}-\\x{1f}\\x{7f}-\\x{9f}]", t.user)) ? "spaces" : "ok",
    "type") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), try(
      !startswith(jsonencode(t.user), "\"") ? format("user is %s, not a string; write it in quotes.", jsonencode(t.user)) :
      t.user == "" ? "user is empty; give a value or leave the field out." :
      (length(base64encode(t.user)) / 4 * 3 - length(regexall("=", base64encode(t.user)))) > 63 ? format("user is %d bytes long; the limit is 63.", (length(base64encode(t.user)) / 4 * 3 - length(regexall("=", base64encode(t.user))))) :
      format("user %s has spaces or control characters; PostgreSQL role and database names for DSQL have none, remove them.", jsonencode(t.user)),
      "user is not a string.")) if can(keys(t)) && try(
      try(t.user, null) == null ? "ok" :
      !startswith(jsonencode(t.user), "\"") ? "type" :
      t.user == "" ? "empty" :
      (length(base64encode(t.user)) / 4 * 3 - length(regexall("=", base64encode(t.user)))) > 63 ? "long" :
      can(regex("[\\s\\p{Z}\\x{00}-\\x{1f}\\x{7f}-\\x{9f}]", t.user)) ? "spaces" : "ok",
    "type") != "ok"])
  }
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(
      try(t.database, null) == null ? "ok" :
      !startswith(jsonencode(t.database), "\"") ? "type" :
      t.database == "" ? "empty" :
      (length(base64encode(t.database)) / 4 * 3 - length(regexall("=", base64encode(t.database)))) > 63 ? "long" :
      can(regex("[\\s\\p{Z}\\x{00}-\\x{1f}\\x{7f}-\\x{9f}]", t.database)) ? "spaces" : "ok",
    "type") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), try(
      !startswith(jsonencode(t.database), "\"") ? format("database is %s, not a string; write it in quotes.", jsonencode(t.database)) :
      t.database == "" ? "database is empty; give a value or leave the field out." :
      (length(base64encode(t.database)) / 4 * 3 - length(regexall("=", base64encode(t.database)))) > 63 ? format("database is %d bytes long; the limit is 63.", (length(base64encode(t.database)) / 4 * 3 - length(regexall("=", base64encode(t.database))))) :
      format("database %s has spaces or control characters; PostgreSQL role and database names for DSQL have none, remove them.", jsonencode(t.database)),
      "database is not a string.")) if can(keys(t)) && try(
      try(t.database, null) == null ? "ok" :
      !startswith(jsonencode(t.database), "\"") ? "type" :
      t.database == "" ? "empty" :
      (length(base64encode(t.database)) / 4 * 3 - length(regexall("=", base64encode(t.database)))) > 63 ? "long" :
      can(regex("[\\s\\p{Z}\\x{00}-\\x{1f}\\x{7f}-\\x{9f}]", t.database)) ? "spaces" : "ok",
    "type") != "ok"])
  }
  # port and origin_connection_limit: JSON numbers (not strings), whole, in range (Hyperdrive's minimum limit is 5).
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : (try(t.port, null) == null || try(can(regex("^[0-9]+$", jsonencode(t.port))) && t.port >= 1 && t.port <= 65535, false) ? "ok" : "bad") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), (can(regex("^\"[0-9]+\"$", jsonencode(t.port))) ?
      format("port is the string %s, not a number; write %s without quotes.", jsonencode(t.port), t.port) :
    format("port %s is not a whole number from 1 to 65535; use one in that range.", jsonencode(t.port)))) if can(keys(t)) && (try(t.port, null) == null || try(can(regex("^[0-9]+$", jsonencode(t.port))) && t.port >= 1 && t.port <= 65535, false) ? "ok" : "bad") != "ok"])
  }
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : (try(t.origin_connection_limit, null) == null || try(can(regex("^[0-9]+$", jsonencode(t.origin_connection_limit))) && t.origin_connection_limit >= 5 && t.origin_connection_limit <= 4294967295, false) ? "ok" : "bad") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), (can(regex("^\"[0-9]+\"$", jsonencode(t.origin_connection_limit))) ?
      format("origin_connection_limit is the string %s, not a number; write %s without quotes.", jsonencode(t.origin_connection_limit), t.origin_connection_limit) :
    format("origin_connection_limit %s is not a whole number from 5 to 4294967295; use one in that range.", jsonencode(t.origin_connection_limit)))) if can(keys(t)) && (try(t.origin_connection_limit, null) == null || try(can(regex("^[0-9]+$", jsonencode(t.origin_connection_limit))) && t.origin_connection_limit >= 5 && t.origin_connection_limit <= 4294967295, false) ? "ok" : "bad") != "ok"])
  }
  validation {
    condition     = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : (try(t.account_id, null) == null || can(regex("^[0-9a-fA-F]{32}$", t.account_id)) ? "ok" : "bad") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), format("account_id %s is not a Cloudflare account ID; use the 32 hexadecimal characters shown in the dashboard's URL or Overview page.", jsonencode(t.account_id))) if can(keys(t)) && (try(t.account_id, null) == null || can(regex("^[0-9a-fA-F]{32}$", t.account_id)) ? "ok" : "bad") != "ok"])
  }
  validation {
    condition     = var.cloudflare_account_id != null || !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(t.account_id, null) != null if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: account_id is not set and cloudflare_account_id is not set either; set one of them.", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", ""))) if can(keys(t)) && try(t.account_id, null) == null])
  }
  # caching: Hyperdrive's { disabled = true } or { max_age = s, stale_while_revalidate = s }.
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(
      try(t.caching, null) == null ? "ok" :
      !startswith(jsonencode(t.caching), "{") ? "type" :
      length(setsubtract(keys(t.caching), local.caching_fields)) > 0 ? "unknown" :
      try(t.caching.disabled, null) != null && !contains(["true", "false"], jsonencode(try(t.caching.disabled, null))) ? "disabled" :
      try(t.caching.disabled, null) == true && (try(t.caching.max_age, null) != null || try(t.caching.stale_while_revalidate, null) != null) ? "conflict" :
      anytrue([for f in local.caching_seconds : try(t.caching[f], null) != null && !can(regex("^[0-9]+$", jsonencode(try(t.caching[f], null))))]) ? "seconds" : "ok",
    "type") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), format("caching %s; use { disabled = true } or { max_age = 60, stale_while_revalidate = 15 }.", try(
      !startswith(jsonencode(t.caching), "{") ? format("is %s, not an object", jsonencode(t.caching)) :
      length(setsubtract(keys(t.caching), local.caching_fields)) > 0 ? format("has the unknown field %s", jsonencode(tolist(setsubtract(keys(t.caching), local.caching_fields))[0])) :
      try(t.caching.disabled, null) != null && !contains(["true", "false"], jsonencode(try(t.caching.disabled, null))) ? format("disabled is %s, not a boolean", jsonencode(t.caching.disabled)) :
      try(t.caching.disabled, null) == true && (try(t.caching.max_age, null) != null || try(t.caching.stale_while_revalidate, null) != null) ? "max_age and stale_while_revalidate have no effect when caching is disabled; remove them" :
      "max_age and stale_while_revalidate are whole numbers of seconds",
      "is not an object"))) if can(keys(t)) && try(
      try(t.caching, null) == null ? "ok" :
      !startswith(jsonencode(t.caching), "{") ? "type" :
      length(setsubtract(keys(t.caching), local.caching_fields)) > 0 ? "unknown" :
      try(t.caching.disabled, null) != null && !contains(["true", "false"], jsonencode(try(t.caching.disabled, null))) ? "disabled" :
      try(t.caching.disabled, null) == true && (try(t.caching.max_age, null) != null || try(t.caching.stale_while_revalidate, null) != null) ? "conflict" :
      anytrue([for f in local.caching_seconds : try(t.caching[f], null) != null && !can(regex("^[0-9]+$", jsonencode(try(t.caching[f], null))))]) ? "seconds" : "ok",
    "type") != "ok"])
  }
  # mtls: Hyperdrive's { sslmode = "require" | "verify-ca" | "verify-full", ca_certificate_id, mtls_certificate_id }.
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : try(
      try(t.mtls, null) == null ? "ok" :
      !startswith(jsonencode(t.mtls), "{") ? "type" :
      length(setsubtract(keys(t.mtls), local.mtls_fields)) > 0 ? "unknown" :
      anytrue([for f in local.mtls_fields : try(t.mtls[f], null) != null && !startswith(jsonencode(try(t.mtls[f], null)), "\"")]) ? "string" :
      anytrue([for f in local.mtls_fields : try(t.mtls[f], null) != null && !can(regex("^[\\x{21}-\\x{7e}]{1,128}$", try(t.mtls[f], "")))]) ? "text" :
      try(t.mtls.sslmode, null) != null && !contains(local.sslmodes, try(t.mtls.sslmode, "")) ? "sslmode" : "ok",
    "type") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), try(
      !startswith(jsonencode(t.mtls), "{") ? format("mtls is %s, not an object; use { sslmode = \"verify-full\", ca_certificate_id = \"<id from wrangler cert upload certificate-authority>\" }.", jsonencode(t.mtls)) :
      length(setsubtract(keys(t.mtls), local.mtls_fields)) > 0 ? format("mtls.%s is not a field of mtls; remove it (fields: %s).", tolist(setsubtract(keys(t.mtls), local.mtls_fields))[0], join(", ", local.mtls_fields)) :
      anytrue([for f in local.mtls_fields : try(t.mtls[f], null) != null && !startswith(jsonencode(try(t.mtls[f], null)), "\"")]) ? format("mtls.%s is %s, not a string; write it in quotes.", [for f in local.mtls_fields : f if try(t.mtls[f], null) != null && !startswith(jsonencode(try(t.mtls[f], null)), "\"")][0], jsonencode([for f in local.mtls_fields : t.mtls[f] if try(t.mtls[f], null) != null && !startswith(jsonencode(try(t.mtls[f], null)), "\"")][0])) :
      anytrue([for f in local.mtls_fields : try(t.mtls[f], null) != null && !can(regex("^[\\x{21}-\\x{7e}]{1,128}$", try(t.mtls[f], "")))]) ? format("mtls.%s %s is empty, longer than 128 characters or has spaces or control characters; give the id Cloudflare printed (e.g. 00000000-0000-0000-0000-000000000000), or leave the field out.", [for f in local.mtls_fields : f if try(t.mtls[f], null) != null && !can(regex("^[\\x{21}-\\x{7e}]{1,128}$", try(t.mtls[f], "")))][0], jsonencode([for f in local.mtls_fields : t.mtls[f] if try(t.mtls[f], null) != null && !can(regex("^[\\x{21}-\\x{7e}]{1,128}$", try(t.mtls[f], "")))][0])) :
      format("mtls.sslmode %s is not an SSL mode Hyperdrive accepts; use one of %s (verify-full is recommended for DSQL).", jsonencode(t.mtls.sslmode), join(", ", local.sslmodes)),
      "mtls is not an object.")) if can(keys(t)) && try(
      try(t.mtls, null) == null ? "ok" :
      !startswith(jsonencode(t.mtls), "{") ? "type" :
      length(setsubtract(keys(t.mtls), local.mtls_fields)) > 0 ? "unknown" :
      anytrue([for f in local.mtls_fields : try(t.mtls[f], null) != null && !startswith(jsonencode(try(t.mtls[f], null)), "\"")]) ? "string" :
      anytrue([for f in local.mtls_fields : try(t.mtls[f], null) != null && !can(regex("^[\\x{21}-\\x{7e}]{1,128}$", try(t.mtls[f], "")))]) ? "text" :
      try(t.mtls.sslmode, null) != null && !contains(local.sslmodes, try(t.mtls.sslmode, "")) ? "sslmode" : "ok",
    "type") != "ok"])
  }
  # Names are unique per Cloudflare account (each is one Hyperdrive config).
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || try(length(distinct([for t in var.targets : format("%s/%s", lower(coalesce(try(t.account_id, null), var.cloudflare_account_id, "-")), t.name)])) == length(var.targets), true)
    error_message = join("\n", try([for i, k in [for t in var.targets : format("%s/%s", lower(coalesce(try(t.account_id, null), var.cloudflare_account_id, "-")), t.name)] :
      format("targets[%v] %s: name is also the name of targets[%v] in Cloudflare account %s; names must be unique per account.", i, jsonencode(var.targets[i].name), index([for t in var.targets : format("%s/%s", lower(coalesce(try(t.account_id, null), var.cloudflare_account_id, "-")), t.name)], k), split("/", k)[0])
      if index([for t in var.targets : format("%s/%s", lower(coalesce(try(t.account_id, null), var.cloudflare_account_id, "-")), t.name)], k) != i
    ], []))
  }
  # A cluster in another AWS account cannot be authorised from here: it needs a signer role there.
  validation {
    condition = !startswith(jsonencode(var.targets), "[") || alltrue([for t in var.targets : (try(regex(local.cluster_arn_re, t.cluster_arn)[2], data.aws_caller_identity.current.account_id) == data.aws_caller_identity.current.account_id || contains(keys(var.cross_account_signer_roles), try(regex(local.cluster_arn_re, t.cluster_arn)[2], "")) ? "ok" : "bad") == "ok" if can(keys(t))])
    error_message = join("\n", [for i, t in var.targets : format("%s: %s", format("targets[%v]%s", i, try(startswith(jsonencode(t.name), "\"") ? format(" %s", jsonencode(t.name)) : "", "")), format("cluster_arn is in AWS account %s, not this one (%s); an IAM policy here cannot authorise a DSQL cluster there: deploy the signer role in that account (Terraform: module cross-account-signer, with a provider for that account; CDK: CrossAccountDsqlSigner), trusting this function's execution role and allowed on the cluster, then add its ARN: cross_account_signer_roles = { \"%s\" = \"arn:aws:iam::%s:role/hyperdrive-dsql-signer-<region>\" }.",
    regex(local.cluster_arn_re, t.cluster_arn)[2], data.aws_caller_identity.current.account_id, regex(local.cluster_arn_re, t.cluster_arn)[2], regex(local.cluster_arn_re, t.cluster_arn)[2])) if can(keys(t)) && (try(regex(local.cluster_arn_re, t.cluster_arn)[2], data.aws_caller_identity.current.account_id) == data.aws_caller_identity.current.account_id || contains(keys(var.cross_account_signer_roles), try(regex(local.cluster_arn_re, t.cluster_arn)[2], "")) ? "ok" : "bad") != "ok"])
  }
}

variable "cross_account_signer_roles" {
  description = "Signer roles of clusters in other AWS accounts: AWS account id => ARN of the role made there by the module cross-account-signer (or the CDK CrossAccountDsqlSigner), trusting this function's execution role. Targets whose cluster_arn is in that account are signed by assuming it (the function's signer_role_arn), and the execution role may assume exactly the roles in use. A cluster in another account without a role here is refused at plan."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([for account, arn in var.cross_account_signer_roles : can(regex("^[0-9]{12}$", account)) && try(regex(local.role_arn_re, arn)[0] == account, false)])
    error_message = join("\n", [for account, arn in var.cross_account_signer_roles : format("cross_account_signer_roles[%s] = %s: %s.", jsonencode(account), jsonencode(arn),
      !can(regex("^[0-9]{12}$", account)) ? "the key is not an AWS account id (12 digits)" :
      !can(regex(local.role_arn_re, arn)) ? "not an IAM role ARN (arn:aws:iam::<account>:role/<name>)" :
      format("the role is in account %s, not %s", regex(local.role_arn_re, arn)[0], account)
    ) if !(can(regex("^[0-9]{12}$", account)) && try(regex(local.role_arn_re, arn)[0] == account, false))])
  }
  validation {
    condition     = !contains(keys(var.cross_account_signer_roles), data.aws_caller_identity.current.account_id)
    error_message = "cross_account_signer_roles[\"${data.aws_caller_identity.current.account_id}\"] is this module's own account: its clusters are signed by the module's signing mode; remove the entry."
  }
}

variable "cloudflare_account_id" {
  description = "Default Cloudflare account id (CLOUDFLARE_ACCOUNT_ID, 32 hexadecimal characters). Required unless every target sets account_id."
  type        = string
  default     = null

  validation {
    condition     = var.cloudflare_account_id == null || can(regex("^[0-9a-fA-F]{32}$", var.cloudflare_account_id))
    error_message = "cloudflare_account_id ${jsonencode(var.cloudflare_account_id)} is not a Cloudflare account ID; use the 32 hexadecimal characters shown in the dashboard's URL or Overview page."
  }
}

variable "cloudflare_api_token_secret_arn" {
  description = "Full ARN of an existing secret holding the Cloudflare API token (bare, or JSON {\"api_token\": \"...\"}). Null: the module creates an empty secret; put the token in it after apply."
  type        = string
  default     = null

  validation {
    condition     = var.cloudflare_api_token_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$", var.cloudflare_api_token_secret_arn))
    error_message = "cloudflare_api_token_secret_arn must be a complete secret ARN (ending in -<6 characters>): IAM matches the exact ARN."
  }
}

variable "cloudflare_api_token_secret_kms_key_arn" {
  description = "Customer-managed KMS key of the token secret (a key ARN, not an alias). The function may decrypt with it only through Secrets Manager and only for that secret (kms:ViaService, kms:EncryptionContext:SecretARN); a secret the module creates is encrypted with it. Null: the AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.cloudflare_api_token_secret_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.cloudflare_api_token_secret_kms_key_arn))
    error_message = "cloudflare_api_token_secret_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias: IAM authorises kms:Decrypt on the key's ARN, and an alias ARN never matches it."
  }
}

variable "cloudflare_api_token_secret_key" {
  description = "JSON key of the token inside the secret (CLOUDFLARE_API_TOKEN_SECRET_KEY). Null: unset, the function reads api_token."
  type        = string
  default     = null
}

variable "signing_mode" {
  description = "signer-role (assume a dedicated role each run: tokens guaranteed for min(token_ttl_seconds, signer_session_seconds)), long-term-keys (the keys of a signer IAM user the module creates, rotated by the function: token_ttl_seconds, up to 7 days) or execution-role (the function's own credentials: lifetime unknown)."
  type        = string
  default     = "signer-role"
  nullable    = false

  validation {
    condition     = contains(["signer-role", "long-term-keys", "execution-role"], var.signing_mode)
    error_message = "signing_mode must be signer-role, long-term-keys or execution-role."
  }
}

variable "token_ttl_seconds" {
  description = "X-Amz-Expires of each token (TOKEN_TTL_SECONDS), 1..604800."
  type        = number
  default     = 604800
  nullable    = false

  validation {
    condition     = var.token_ttl_seconds == floor(var.token_ttl_seconds) && var.token_ttl_seconds >= 1 && var.token_ttl_seconds <= 604800
    error_message = "token_ttl_seconds must be a whole number between 1 and 604800 (7 days)."
  }
  validation {
    condition     = var.signing_mode == "execution-role" || (var.signing_mode == "signer-role" ? min(var.token_ttl_seconds, var.signer_session_seconds) : var.token_ttl_seconds) >= 120
    error_message = "The guaranteed token lifetime is under two minutes, shorter than the shortest schedule (1 minute) needs: raise token_ttl_seconds (and signer_session_seconds) to at least 120."
  }
}

variable "signer_session_seconds" {
  description = "Session length of the signer role (SIGNER_SESSION_SECONDS), 900..3600; role chaining caps it at one hour."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.signer_session_seconds == floor(var.signer_session_seconds) && var.signer_session_seconds >= 900 && var.signer_session_seconds <= 3600
    error_message = "signer_session_seconds must be a whole number between 900 and 3600."
  }
}

variable "long_term_keys_secret_kms_key_arn" {
  description = "long-term-keys mode: customer-managed KMS key (a key, not an alias) of the signer keys secret the module creates; the function may decrypt and encrypt with it only through Secrets Manager and only for that secret. Null: the AWS managed key."
  type        = string
  default     = null

  validation {
    condition     = var.long_term_keys_secret_kms_key_arn == null || (var.signing_mode == "long-term-keys" && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.long_term_keys_secret_kms_key_arn)))
    error_message = "long_term_keys_secret_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>, not an alias), and is only used with signing_mode = \"long-term-keys\"."
  }
}

variable "signer_keys_rotation_days" {
  description = "long-term-keys mode: days between rotations of the signer user's key (the function is the keys secret's Secrets Manager rotation function), 1..1000. Null: 30."
  type        = number
  default     = null

  validation {
    condition     = var.signer_keys_rotation_days == null || try(var.signing_mode == "long-term-keys" && var.signer_keys_rotation_days == floor(var.signer_keys_rotation_days) && var.signer_keys_rotation_days >= 1 && var.signer_keys_rotation_days <= 1000, false)
    error_message = "signer_keys_rotation_days must be a whole number of days between 1 and 1000 (Secrets Manager's range), and is only used with signing_mode = \"long-term-keys\"."
  }
}

variable "schedule_interval_minutes" {
  description = "Minutes between runs. Null: 15 (signer-role, execution-role) or 1440 (long-term-keys), shortened to half the guaranteed token lifetime. Longer than half that lifetime is refused (in execution-role mode longer than 15), and so is shorter than timeout_seconds plus one minute."
  type        = number
  default     = null

  validation {
    condition     = var.schedule_interval_minutes == null || try(var.schedule_interval_minutes == floor(var.schedule_interval_minutes) && var.schedule_interval_minutes >= 1, false)
    error_message = "schedule_interval_minutes must be a whole number of at least 1."
  }
  validation {
    condition     = var.schedule_interval_minutes == null || try(var.schedule_interval_minutes <= local.max_interval_minutes, true)
    error_message = "schedule_interval_minutes ${coalesce(var.schedule_interval_minutes, 0)} is refused: ${local.refusal_reason}"
  }
  validation {
    condition     = var.schedule_interval_minutes == null || try(var.schedule_interval_minutes >= local.min_interval_minutes, true)
    error_message = "schedule_interval_minutes ${coalesce(var.schedule_interval_minutes, 0)} is refused: it is shorter than the function's timeout (${var.timeout_seconds} s) plus a 60 s margin, so a slow run could still be going when the next one starts; use at least ${local.min_interval_minutes} minutes or lower timeout_seconds."
  }
}

variable "restrict_to_cluster_regions" {
  description = "Add a Deny on DSQL connect actions in any region but the targets' regions (aws:RequestedRegion)."
  type        = bool
  default     = true
  nullable    = false
}

variable "max_concurrency" {
  description = "MAX_CONCURRENCY: targets updated at once, 1..64. Null: unset (the function uses 8)."
  type        = number
  default     = null

  validation {
    condition     = var.max_concurrency == null || try(var.max_concurrency == floor(var.max_concurrency) && var.max_concurrency >= 1 && var.max_concurrency <= 64, false)
    error_message = "max_concurrency must be a whole number between 1 and 64."
  }
}

variable "dry_run" {
  description = "DRY_RUN=true: sign and plan, write nothing to Cloudflare."
  type        = bool
  default     = false
  nullable    = false
}

variable "function_name" {
  description = "Name of the function; also the prefix of the roles, queue, secret, alarms, rule and log group (/aws/lambda/<name>). IAM names (global to the account) also hold the region: <name>-exec-<region>, <name>-signer-<region>."
  type        = string
  default     = "hyperdrive-dsql-rotator"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,64}$", var.function_name))
    error_message = "function_name must be 1 to 64 letters, digits, hyphens or underscores."
  }
  validation {
    condition     = length("${var.function_name}-signer-${data.aws_region.current.id}") <= 64
    error_message = format("function_name is too long for the IAM role names, which hold the region: %s is over IAM's 64 characters; shorten it to %d characters or fewer.", jsonencode(format("%s-signer-%s", var.function_name, data.aws_region.current.id)), 64 - length(format("-signer-%s", data.aws_region.current.id)))
  }
}

variable "architecture" {
  description = "x86_64 or arm64 (build the bootstrap for the same one)."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "lambda_zip_path" {
  description = "Path of the function's zip: the release zip hyperdrive-dsql-rotator-<version>-<arch>.zip (GitHub release, or scripts/release.sh's dist/; its architecture must match architecture), or bootstrap.zip from `cargo lambda build --release --output-format zip` (target/lambda/hyperdrive-dsql-rotator/bootstrap.zip)."
  type        = string

  validation {
    condition     = !can(regex("^hyperdrive-dsql-rotator-.+-(x86_64|arm64)\\.zip$", basename(var.lambda_zip_path))) || endswith(basename(var.lambda_zip_path), "-${var.architecture}.zip")
    error_message = "lambda_zip_path is the release zip of the other architecture than architecture (${var.architecture}): the function would not start. Use the ${var.architecture} zip, or set architecture to the zip's."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB, 128..10240."
  type        = number
  default     = 128
  nullable    = false

  validation {
    condition     = var.memory_size == floor(var.memory_size) && var.memory_size >= 128 && var.memory_size <= 10240
    error_message = "memory_size must be a whole number of MB between 128 and 10240."
  }
}

variable "timeout_seconds" {
  description = "Timeout of the function, 1..900 s. The schedule must be at least this plus one minute."
  type        = number
  default     = 300
  nullable    = false

  validation {
    condition     = var.timeout_seconds == floor(var.timeout_seconds) && var.timeout_seconds >= 1 && var.timeout_seconds <= 900
    error_message = "timeout_seconds must be a whole number between 1 and 900."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of the function; -1 for none. Null (default): 1 in long-term-keys mode (runs and the steps of a key rotation must not overlap: a run that started before a rotation could push a token of the key the rotation then deactivates), none in the other modes. Lambda keeps 100 units of an account's quota unreserved, so reserving even 1 fails in accounts still on a low quota; without it, two runs can overlap (a manual run during a scheduled one), which the function tolerates in the other modes (see infra/README.md). 0 stops the function."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || try(var.reserved_concurrent_executions == floor(var.reserved_concurrent_executions) && var.reserved_concurrent_executions >= -1, false)
    error_message = "reserved_concurrent_executions must be null, -1 (none) or a whole number of at least 0 (0 stops the function)."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary (a managed policy ARN) of the execution role and (long-term-keys mode) of the signer user. The signer role always gets the module's own boundary instead (DSQL connect on its clusters only): the function may put an inline policy on that role (revoke), and that boundary keeps such a policy from granting anything more. Null: none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN (arn:<partition>:iam::<account>:policy/<name>)."
  }
}

variable "iam_path" {
  description = "IAM path of every role, user, group and policy the module creates, e.g. /hyperdrive/."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([\\x{21}-\\x{7e}]+/)?$", var.iam_path)) && length(var.iam_path) <= 512
    error_message = "iam_path must start and end with \"/\", e.g. /hyperdrive/."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days (a value CloudWatch Logs accepts)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_group_skip_destroy" {
  description = "Keep the log group (and its logs) in CloudWatch when it is destroyed. Default false: destroyed with the module, Terraform's convention (CDK's construct keeps it by default, CDK's)."
  type        = bool
  default     = false
  nullable    = false
}

variable "secret_recovery_window_days" {
  description = "Recovery window of the secrets the module creates (token secret; keys secret in long-term-keys mode) when they are destroyed: 0 (deleted at once, so that a re-create with the same name works) or 7..30 (the name stays taken that long)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days == floor(var.secret_recovery_window_days) && var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or a whole number from 7 to 30."
  }
}

variable "alarm_topic_arn" {
  description = "Existing SNS topic the alarms notify (its policy must let CloudWatch publish). Exclusive with create_alarm_topic and alarm_email."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || (!var.create_alarm_topic && var.alarm_email == null)
    error_message = "alarm_topic_arn uses an existing topic: do not also set create_alarm_topic or alarm_email."
  }
}

variable "create_alarm_topic" {
  description = "Create an SNS topic for the alarms (implied by alarm_email)."
  type        = bool
  default     = false
  nullable    = false
}

variable "alarm_email" {
  description = "Email address subscribed to the created alarm topic (confirm the subscription from the mail)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
  nullable    = false
}
