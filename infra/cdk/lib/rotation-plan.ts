/**
 * Pure decisions behind the stack, kept apart from the constructs so they can be tested without synthesis:
 * how long a token is guaranteed to live in each signing mode, which schedule that allows, which DSQL cluster
 * each target is, and what the function's HYPERDRIVE_TARGETS variable holds.
 * The Terraform module (infra/terraform/modules/hyperdrive-dsql-rotator) applies the same rules.
 */

/** How the function gets the credentials it signs tokens with. */
export type SigningMode = 'signer-role' | 'long-term-keys' | 'execution-role';

export const SIGNING_MODES: readonly SigningMode[] = ['signer-role', 'long-term-keys', 'execution-role'];

/** Limits the function itself enforces on its environment. */
export const TOKEN_TTL_MIN_SECONDS = 1;
export const TOKEN_TTL_MAX_SECONDS = 604_800;
export const SIGNER_SESSION_MIN_SECONDS = 900;
/** Role chaining (assuming a role from the execution role's session) is capped at one hour by STS. */
export const SIGNER_SESSION_MAX_SECONDS = 3_600;

/** Execution-role credentials have no published lifetime; this is the longest schedule the stack accepts then. */
export const EXECUTION_ROLE_MAX_INTERVAL_MINUTES = 15;

/** Default schedule per mode, before it is shortened to fit the guaranteed lifetime. */
export const DEFAULT_INTERVAL_MINUTES: Readonly<Record<SigningMode, number>> = {
  'signer-role': 15,
  'long-term-keys': 1_440,
  'execution-role': 15,
};

/** Retention values CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Lambda accepts a maximum event age between one minute and six hours. */
const MAX_EVENT_AGE_MIN_SECONDS = 60;
const MAX_EVENT_AGE_MAX_SECONDS = 21_600;

export interface SchedulePlan {
  /** Token lifetime the mode guarantees, in seconds; undefined in execution-role mode, where nobody can know it. */
  readonly guaranteedLifetimeSeconds?: number;
  /** Longest interval the stack accepts, in minutes. */
  readonly maxIntervalMinutes: number;
  /** The interval the schedule uses, in minutes. */
  readonly intervalMinutes: number;
  /** How long Lambda keeps retrying a failed scheduled event: never past the next scheduled run. */
  readonly maxEventAgeSeconds: number;
}

export interface ScheduleInputs {
  readonly signingMode: SigningMode;
  readonly tokenTtlSeconds: number;
  readonly signerSessionSeconds: number;
  readonly scheduleIntervalMinutes?: number;
}

/**
 * Works out the schedule and refuses one that is longer than half the guaranteed token lifetime,
 * so that a single failed run still leaves a valid token in every Hyperdrive config.
 */
export function planSchedule(inputs: ScheduleInputs): SchedulePlan {
  const { signingMode, tokenTtlSeconds, signerSessionSeconds } = inputs;
  if (!SIGNING_MODES.includes(signingMode)) {
    throw new Error(`signingMode "${signingMode}" is not one of ${SIGNING_MODES.join(', ')}.`);
  }
  requireInteger('tokenTtlSeconds', tokenTtlSeconds, TOKEN_TTL_MIN_SECONDS, TOKEN_TTL_MAX_SECONDS);
  requireInteger('signerSessionSeconds', signerSessionSeconds, SIGNER_SESSION_MIN_SECONDS, SIGNER_SESSION_MAX_SECONDS);

  const guaranteedLifetimeSeconds = guaranteedLifetime(signingMode, tokenTtlSeconds, signerSessionSeconds);
  const maxIntervalMinutes =
    guaranteedLifetimeSeconds === undefined
      ? EXECUTION_ROLE_MAX_INTERVAL_MINUTES
      : Math.floor(guaranteedLifetimeSeconds / 2 / 60);
  if (maxIntervalMinutes < 1) {
    throw new Error(
      `The ${signingMode} mode guarantees a token lifetime of ${guaranteedLifetimeSeconds} s, less than the two minutes ` +
        'that the shortest schedule (1 minute) needs: raise tokenTtlSeconds (and signerSessionSeconds) to at least 120.',
    );
  }

  const requested = inputs.scheduleIntervalMinutes;
  if (requested !== undefined) {
    requireInteger('scheduleIntervalMinutes', requested, 1, Number.MAX_SAFE_INTEGER);
    if (requested > maxIntervalMinutes) {
      throw new Error(refusal(signingMode, requested, maxIntervalMinutes, guaranteedLifetimeSeconds));
    }
  }
  const intervalMinutes = requested ?? Math.min(DEFAULT_INTERVAL_MINUTES[signingMode], maxIntervalMinutes);
  const maxEventAgeSeconds = clamp(intervalMinutes * 60, MAX_EVENT_AGE_MIN_SECONDS, MAX_EVENT_AGE_MAX_SECONDS);
  return { guaranteedLifetimeSeconds, maxIntervalMinutes, intervalMinutes, maxEventAgeSeconds };
}

function guaranteedLifetime(mode: SigningMode, ttl: number, session: number): number | undefined {
  switch (mode) {
    case 'signer-role':
      return Math.min(ttl, session);
    case 'long-term-keys':
      return ttl;
    case 'execution-role':
      return undefined;
  }
}

function refusal(mode: SigningMode, requested: number, max: number, lifetime: number | undefined): string {
  if (lifetime === undefined) {
    return (
      `scheduleIntervalMinutes ${requested} is refused: in execution-role mode the real token lifetime is unknown ` +
      `(AWS does not publish how long the execution role's credentials last), so the schedule stays at ` +
      `${max} minutes or less. Use signingMode "signer-role" for a known one-hour lifetime.`
    );
  }
  const hint =
    mode === 'long-term-keys'
      ? 'raise tokenTtlSeconds or shorten the interval'
      : 'shorten the interval (role chaining caps the signer session at one hour; only long-term-keys allows a daily schedule)';
  return (
    `scheduleIntervalMinutes ${requested} is refused: the ${mode} mode guarantees tokens for ${lifetime} s, and the ` +
    `interval must be at most half of that (${max} minutes) so that one failed run still leaves a valid token: ${hint}.`
  );
}

/** A DSQL endpoint: `<cluster-id>.dsql.<region>.on.aws`. */
const DSQL_HOST = /^([a-z0-9]+)\.dsql\.([a-z0-9-]+)\.on\.aws$/;
const DSQL_CLUSTER_ARN = /^arn:aws[a-z-]*:dsql:([a-z0-9-]+):(\d{12}):cluster\/([a-z0-9]+)$/;

export interface DsqlEndpoint {
  readonly clusterId: string;
  readonly region: string;
}

/** Reads the cluster id and region from a DSQL host name, or explains what a valid host looks like. */
export function parseDsqlHost(host: string): DsqlEndpoint {
  const match = DSQL_HOST.exec(host.toLowerCase());
  if (!match) {
    throw new Error(
      `Target host "${host}" is not a DSQL endpoint of the form <cluster-id>.dsql.<region>.on.aws; ` +
        'give the endpoint host, or set clusterArn on the target.',
    );
  }
  return { clusterId: match[1], region: match[2] };
}

/** Region of an explicit cluster ARN, or undefined when the ARN is not of the expected shape. */
export function clusterArnRegion(arn: string): string | undefined {
  return DSQL_CLUSTER_ARN.exec(arn)?.[1];
}

export function isDsqlClusterArn(arn: string): boolean {
  return DSQL_CLUSTER_ARN.test(arn);
}

/** The DSQL IAM action a target's database user needs: `admin` is special-cased by DSQL. */
export function dsqlActionFor(user: string | undefined): 'dsql:DbConnectAdmin' | 'dsql:DbConnect' {
  return (user ?? 'admin') === 'admin' ? 'dsql:DbConnectAdmin' : 'dsql:DbConnect';
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw new Error(`${name} must be a whole number ${range}; got ${value}.`);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}
