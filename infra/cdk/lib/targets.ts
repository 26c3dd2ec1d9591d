/**
 * One definition of a valid target: the function's (src/config.rs, `TARGET_FIELDS`), in camelCase, plus `clusterArn`
 * (IAM only, never passed to the function). Every rule the function applies to a target of HYPERDRIVE_TARGETS is
 * checked here at synth, so a target the function would refuse never deploys; unknown fields are refused by name.
 * The Terraform module applies the same rules (modules/hyperdrive-dsql-rotator/variables.tf), and the tests feed
 * both, and the function, the corpus in tests/fixtures/bad-targets.json.
 */
import { Token } from 'aws-cdk-lib';

/** An AWS region name as the function accepts it: `us-east-1`, `ap-southeast-2`, `us-gov-west-1`. */
const REGION = '[a-z]{2}(?:-[a-z]+)+-(?:[1-9][0-9]?|1[0-9]{2}|2[0-4][0-9]|25[0-5])';
export const AWS_REGION = new RegExp(`^${REGION}$`);
/** A DSQL endpoint: `<cluster-id>.dsql.<region>.on.aws` (lowercase). */
export const DSQL_HOST = new RegExp(`^([a-z0-9]+)\\.dsql\\.(${REGION})\\.on\\.aws$`);
export const DSQL_CLUSTER_ARN = /^arn:(aws[a-z-]*):dsql:([a-z0-9-]+):(\d{12}):cluster\/([a-z0-9]+)$/;
/** `arn:<partition>:iam::<12 digits>:role/<path/name>`. */
export const IAM_ROLE_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\x21-\x7e]+\/)?[\w+=,.@-]{1,64}$/;
/** Valid host name labels, after lowercasing (the function's check). */
const HOST_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const CLOUDFLARE_ACCOUNT_ID = /^[0-9a-fA-F]{32}$/;

/** Caching settings of a Hyperdrive config: `{ disabled: true }` or `{ maxAge, staleWhileRevalidate }`. */
export interface HyperdriveCaching {
  readonly disabled?: boolean;
  /** Seconds (Hyperdrive's `max_age`). */
  readonly maxAge?: number;
  /** Seconds (Hyperdrive's `stale_while_revalidate`). */
  readonly staleWhileRevalidate?: number;
}

/**
 * How Hyperdrive verifies the cluster's TLS certificate (Hyperdrive's `mtls`). `verify-full` with Amazon's root CA
 * (uploaded once with `wrangler cert upload certificate-authority`) is recommended for DSQL.
 */
export interface HyperdriveMtls {
  /** `require` (Hyperdrive's default: encrypted, not verified), `verify-ca` or `verify-full`. */
  readonly sslmode?: 'require' | 'verify-ca' | 'verify-full';
  /** Id of a CA certificate uploaded to Cloudflare; `verify-*` without it is accepted with a warning. */
  readonly caCertificateId?: string;
  /** Id of a client certificate uploaded to Cloudflare (mTLS); DSQL does not ask for one. */
  readonly mtlsCertificateId?: string;
}

/** One Hyperdrive config kept supplied with tokens for one DSQL cluster. */
export interface HyperdriveTarget {
  /** Name of the Hyperdrive config: at most 255 bytes of printable ASCII, no surrounding spaces. */
  readonly name: string;
  /** DSQL endpoint, `<cluster-id>.dsql.<region>.on.aws`: no scheme, port or path. */
  readonly host: string;
  /** Region to sign for; defaults (in the function) to the region in the host, which it must equal. */
  readonly region?: string;
  /**
   * Database role, at most 63 bytes, no spaces; `admin` (the default) needs `dsql:DbConnectAdmin`, any other `dsql:DbConnect`
   * and, inside the database, `AWS IAM GRANT <user> TO '<signer role ARN>'` (the stack outputs the statement).
   */
  readonly user?: string;
  /** At most 63 bytes, no spaces; default `postgres`. */
  readonly database?: string;
  /** A number, 1..65535; default 5432. */
  readonly port?: number;
  /** Cloudflare account of this config (32 hex characters) when it is not `cloudflareAccountId`. */
  readonly accountId?: string;
  readonly caching?: HyperdriveCaching;
  /** At least 5 (Hyperdrive's minimum). */
  readonly originConnectionLimit?: number;
  /** TLS verification of the origin: `{ sslmode: 'verify-full', caCertificateId: '<id>' }`. Default: Hyperdrive's (`require`). */
  readonly mtls?: HyperdriveMtls;
  /**
   * The cluster's ARN, for IAM only (not passed to the function). Default: derived from the host as
   * `arn:<partition>:dsql:<region>:<this account>:cluster/<cluster-id>`. A cluster in another AWS account needs its
   * ARN here and a signer role in that account (`crossAccountSignerRoles`).
   */
  readonly clusterArn?: string;
}

/** The construct's target fields, and the name the function gives each in HYPERDRIVE_TARGETS. */
export const TARGET_FIELDS: Readonly<Record<string, string | undefined>> = {
  name: 'name',
  host: 'host',
  region: 'region',
  user: 'user',
  database: 'database',
  port: 'port',
  accountId: 'account_id',
  caching: 'caching',
  originConnectionLimit: 'origin_connection_limit',
  mtls: 'mtls',
  clusterArn: undefined, // IAM only
};
export const CACHING_FIELDS: Readonly<Record<string, string>> = {
  disabled: 'disabled',
  maxAge: 'max_age',
  staleWhileRevalidate: 'stale_while_revalidate',
};
export const MTLS_FIELDS: Readonly<Record<string, string>> = {
  sslmode: 'sslmode',
  caCertificateId: 'ca_certificate_id',
  mtlsCertificateId: 'mtls_certificate_id',
};
/** Set by the construct from `crossAccountSignerRoles`, never by hand. */
const RENDERED_FIELDS = ['signerRoleArn', 'signer_role_arn'];

const MAX_U32 = 4_294_967_295;
/** The SSL modes Hyperdrive accepts for an origin (the function's `SSLMODES`). */
export const SSLMODES: readonly string[] = ['require', 'verify-ca', 'verify-full'];

/** What the construct needs to know besides the targets. */
export interface TargetRulesContext {
  /** `cloudflareAccountId`: the account of targets that set none. */
  readonly defaultAccountId?: string;
}

/**
 * Every problem with the targets, each naming the target (`targets[i] "name"`), the field, what is wrong and the fix.
 * Empty when the function would accept them all. Values that are tokens (known only at deploy time) are not checked.
 */
export function targetProblems(targets: unknown, context: TargetRulesContext = {}): string[] {
  if (!Array.isArray(targets)) {
    return [`targets is ${kind(targets)}, not a list: give [{ name, host, ... }, ...].`];
  }
  if (targets.length === 0) return ['targets is empty: list at least one Hyperdrive config ({ name, host, ... }).'];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  targets.forEach((target: unknown, index: number) => {
    const own = targetProblemsOf(target, context);
    const label = `targets[${index}]${isObject(target) && typeof target.name === 'string' ? ` ${quote(target.name)}` : ''}`;
    problems.push(...own.map((p) => `${label}: ${p}`));
    if (own.length === 0 && isObject(target)) {
      const account = String(target.accountId ?? context.defaultAccountId).toLowerCase();
      const key = `${account}/${target.name}`;
      const first = seen.get(key);
      if (first !== undefined) {
        problems.push(
          `${label}: name is also the name of targets[${first}] in Cloudflare account ${account}; ` +
            'names must be unique per account (each is one Hyperdrive config).',
        );
      } else {
        seen.set(key, index);
      }
    }
  });
  return problems;
}

/** The target as the function reads it from HYPERDRIVE_TARGETS: snake_case, unset fields left out, no clusterArn. */
export function functionTarget(target: HyperdriveTarget, signerRoleArn?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(target)) {
    const name = TARGET_FIELDS[key];
    if (name === undefined || value === undefined || value === null) continue;
    if ((key === 'caching' || key === 'mtls') && isObject(value)) {
      const names = key === 'caching' ? CACHING_FIELDS : MTLS_FIELDS;
      out[key] = Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== undefined && v !== null)
          .map(([k, v]) => [names[k] ?? k, v]),
      );
    } else {
      out[name] = value;
    }
  }
  if (signerRoleArn !== undefined) out.signer_role_arn = signerRoleArn;
  return out;
}

/** `{ clusterId, region }` of a DSQL endpoint, or undefined. */
export function dsqlHostParts(host: string): { clusterId: string; region: string } | undefined {
  const match = DSQL_HOST.exec(host.toLowerCase());
  return match ? { clusterId: match[1], region: match[2] } : undefined;
}

/** `{ partition, region, account, clusterId }` of a DSQL cluster ARN, or undefined. */
export function clusterArnParts(
  arn: string,
): { partition: string; region: string; account: string; clusterId: string } | undefined {
  const match = DSQL_CLUSTER_ARN.exec(arn);
  return match ? { partition: match[1], region: match[2], account: match[3], clusterId: match[4] } : undefined;
}

function targetProblemsOf(target: unknown, context: TargetRulesContext): string[] {
  if (!isObject(target)) return [`is ${kind(target)}, not an object; give { name, host, ... }.`];
  const problems: string[] = [];
  const known = Object.keys(TARGET_FIELDS);
  for (const key of Object.keys(target)) {
    if (known.includes(key)) continue;
    if (RENDERED_FIELDS.includes(key)) {
      problems.push(
        `${key} is not set by hand: the construct sets the function's signer_role_arn for clusters in other AWS ` +
          'accounts from crossAccountSignerRoles (give the cluster\'s clusterArn); remove it.',
      );
    } else {
      problems.push(`${key} is not a target field; ${suggest(key, known)}remove it (fields: ${known.join(', ')}).`);
    }
  }
  const get = (key: string): unknown => (Token.isUnresolved(target[key]) ? undefined : target[key]);
  const isSet = (key: string) => target[key] !== undefined && target[key] !== null;

  const name = get('name');
  if (!isSet('name')) {
    problems.push('name is missing; every target needs the Hyperdrive config\'s name.');
  } else if (name !== undefined) {
    const p = stringProblem(name, 255);
    if (p) problems.push(`name ${p}`);
    else if (typeof name === 'string' && (/\p{Cc}/u.test(name) || name.trim() !== name)) {
      problems.push(`name ${quote(name)} has control characters or surrounding spaces; remove them.`);
    } else if (typeof name === 'string' && !/^[\x20-\x7e]+$/.test(name)) {
      // The function's rule: names that look alike but differ (Unicode forms, zero-width characters) are refused.
      problems.push(
        `name ${quote(name)} has characters other than printable ASCII (letters, digits, punctuation, spaces ` +
          'inside); use a name such as orders-db.',
      );
    }
  }

  const rawHost = get('host');
  let host: string | undefined;
  if (!isSet('host')) {
    problems.push('host is missing; give the cluster endpoint, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws.');
  } else if (rawHost !== undefined) {
    const p = stringProblem(rawHost, 253) ?? hostProblem((rawHost as string).toLowerCase());
    if (p) problems.push(`host ${quote(rawHost)} ${p}`);
    else host = (rawHost as string).toLowerCase();
  }
  const endpoint = host === undefined ? undefined : dsqlHostParts(host);

  const region = get('region');
  if (isSet('region') && region !== undefined) {
    const p = stringProblem(region, 64);
    if (p) problems.push(`region ${p}`);
    else if (!AWS_REGION.test(region as string)) {
      problems.push(`region ${quote(region)} is not an AWS region name; use e.g. us-east-1.`);
    } else if (endpoint && region !== endpoint.region) {
      problems.push(
        `region ${quote(region)} differs from the region in the host (${endpoint.region}); remove region or correct it.`,
      );
    }
  } else if (host !== undefined && !endpoint && !isSet('region')) {
    problems.push(
      `region is required because the host ${quote(host)} is not of the form <cluster-id>.dsql.<region>.on.aws; ` +
        'set the cluster\'s AWS region.',
    );
  }

  const clusterArn = get('clusterArn');
  if (isSet('clusterArn') && clusterArn !== undefined) {
    const parts = typeof clusterArn === 'string' ? clusterArnParts(clusterArn) : undefined;
    if (!parts) {
      problems.push(
        `clusterArn ${quote(clusterArn)} is not arn:<partition>:dsql:<region>:<account>:cluster/<cluster-id>.`,
      );
    } else if (endpoint && (parts.clusterId !== endpoint.clusterId || parts.region !== endpoint.region)) {
      problems.push(
        `clusterArn names cluster ${parts.clusterId} in ${parts.region}, but the host is cluster ${endpoint.clusterId} ` +
          `in ${endpoint.region}: the signer would be allowed on the wrong cluster; correct one of them.`,
      );
    }
  } else if (host !== undefined && !endpoint && !isSet('clusterArn')) {
    problems.push(
      `host ${quote(host)} is not a DSQL endpoint (<cluster-id>.dsql.<region>.on.aws), so the cluster's ARN ` +
        'cannot be derived from it: set clusterArn (the signer is allowed on exactly that cluster).',
    );
  }

  for (const key of ['user', 'database']) {
    if (!isSet(key) || get(key) === undefined) continue;
    const value = get(key);
    const p = stringProblem(value, 63);
    if (p) problems.push(`${key} ${p}`);
    else if (/[\s\p{Z}\p{Cc}]/u.test(value as string)) {
      problems.push(
        `${key} ${quote(value)} has spaces or control characters; PostgreSQL role and database names for DSQL ` +
          'have none, remove them.',
      );
    }
  }

  if (isSet('port') && get('port') !== undefined) {
    const p = integerProblem(get('port'), 1, 65535);
    if (p) problems.push(`port ${p}`);
  }

  const accountId = get('accountId');
  if (isSet('accountId') && accountId !== undefined) {
    if (typeof accountId !== 'string' || !CLOUDFLARE_ACCOUNT_ID.test(accountId)) {
      problems.push(
        `accountId ${quote(accountId)} is not a Cloudflare account ID; use the 32 hexadecimal characters ` +
          'shown in the dashboard\'s URL or Overview page.',
      );
    }
  } else if (!isSet('accountId') && context.defaultAccountId === undefined) {
    problems.push('accountId is not set and cloudflareAccountId is not set either; set one of them.');
  }

  if (isSet('originConnectionLimit') && get('originConnectionLimit') !== undefined) {
    const p = integerProblem(get('originConnectionLimit'), 5, MAX_U32);
    if (p) problems.push(`originConnectionLimit ${p}`);
  }

  if (isSet('caching') && get('caching') !== undefined) {
    const p = cachingProblem(get('caching'));
    if (p) problems.push(`caching ${p}`);
  }

  if (isSet('mtls') && get('mtls') !== undefined) problems.push(...mtlsProblems(get('mtls')));
  return problems;
}

/** The function's rules for `mtls` (src/config/mtls.rs), each problem naming `mtls.<field>`. */
function mtlsProblems(mtls: unknown): string[] {
  const fix = "use { sslmode: 'verify-full', caCertificateId: '<id from wrangler cert upload certificate-authority>' }.";
  if (!isObject(mtls)) return [`mtls is ${kind(mtls)}, not an object; ${fix}`];
  const problems: string[] = [];
  const known = Object.keys(MTLS_FIELDS);
  for (const key of Object.keys(mtls)) {
    if (!known.includes(key)) {
      problems.push(`mtls.${key} is not a field of mtls; ${suggest(key, known)}remove it (fields: ${known.join(', ')}).`);
    }
  }
  for (const key of known) {
    const value = mtls[key];
    if (value === undefined || value === null || Token.isUnresolved(value)) continue;
    if (typeof value !== 'string') {
      problems.push(`mtls.${key} is ${kind(value)}, not a string; write it in quotes.`);
    } else if (!/^[\x21-\x7e]{1,128}$/.test(value)) {
      problems.push(
        `mtls.${key} ${quote(value)} is empty, longer than 128 characters or has spaces or control characters; give ` +
          'the id Cloudflare printed (e.g. 00000000-0000-0000-0000-000000000000), or leave the field out.',
      );
    } else if (key === 'sslmode' && !SSLMODES.includes(value)) {
      problems.push(
        `mtls.sslmode ${quote(value)} is not an SSL mode Hyperdrive accepts; use one of ${SSLMODES.join(', ')} ` +
          '(verify-full is recommended for DSQL).',
      );
    }
  }
  return problems;
}

/** Targets whose `mtls` verifies (`verify-ca`, `verify-full`) without a CA certificate: accepted, with a warning. */
export function mtlsWarnings(targets: readonly HyperdriveTarget[]): string[] {
  return targets.flatMap((t, i) => {
    const m = t.mtls;
    if (!isObject(m) || typeof m.sslmode !== 'string' || !m.sslmode.startsWith('verify-') || m.caCertificateId) return [];
    return [
      `targets[${i}] ${quote(t.name)}: mtls.sslmode "${m.sslmode}" without caCertificateId: Hyperdrive's docs require ` +
        'a CA certificate for verify-ca and verify-full; upload Amazon Root CA 1 once (wrangler cert upload ' +
        'certificate-authority --ca-cert AmazonRootCA1.pem --name amazon-root-ca-1) and set its id as caCertificateId.',
    ];
  });
}

function stringProblem(value: unknown, maxBytes: number): string | undefined {
  if (typeof value !== 'string') return `is ${kind(value)}, not a string; write it in quotes.`;
  if (value === '') return 'is empty; give a value or leave the field out.';
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) return `is ${bytes} bytes long; the limit is ${maxBytes}.`;
  return undefined;
}

function integerProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'number') {
    const hint = typeof value === 'string' && /^\d+$/.test(value) ? ` write ${value} without quotes;` : '';
    return `is ${kind(value)} (${quote(value)}), not a number;${hint} use a whole number from ${min} to ${max}.`;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    return `${value} is not a whole number from ${min} to ${max}; use one in that range.`;
  }
  return undefined;
}

function hostProblem(host: string): string | undefined {
  if (host.includes('://')) {
    return 'has a URL scheme; give the bare host name, e.g. abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws.';
  }
  if (host.includes('/')) return 'has a path; give the bare host name.';
  if (host.includes(':')) return 'has a port; give the bare host name and set port instead.';
  if (!HOST_NAME.test(host)) return 'is not a valid host name; use the cluster endpoint.';
  return undefined;
}

function cachingProblem(caching: unknown): string | undefined {
  const fix = 'use { disabled: true } or { maxAge: 60, staleWhileRevalidate: 15 }.';
  if (!isObject(caching)) return `is ${kind(caching)}, not an object; ${fix}`;
  const unknown = Object.keys(caching).find((k) => !(k in CACHING_FIELDS));
  if (unknown !== undefined) return `has the unknown field ${quote(unknown)}; ${fix}`;
  const disabled = caching.disabled;
  if (disabled !== undefined && disabled !== null && typeof disabled !== 'boolean') {
    return `disabled is ${kind(disabled)}, not a boolean; ${fix}`;
  }
  for (const key of ['maxAge', 'staleWhileRevalidate']) {
    const value = caching[key];
    if (value === undefined || value === null || Token.isUnresolved(value)) continue;
    if (disabled === true) return `${key} has no effect when caching is disabled; remove it.`;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      return `${key} ${quote(value)} is not a whole number of seconds; ${fix}`;
    }
  }
  return undefined;
}

/** "did you mean x? " when `key` is a near miss (case, snake_case, a typo) of a known field. */
function suggest(key: string, known: string[]): string {
  const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const near = known.find((k) => k.toLowerCase() === camel.toLowerCase()) ?? known.find((k) => distance(k, key) <= 2);
  return near === undefined ? '' : `did you mean ${near}? If not, `;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** JSON, with every character outside printable ASCII escaped (a zero-width space must show in a message). */
function quote(value: unknown): string {
  return String(JSON.stringify(value)).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return String(typeof value);
  }
}
