/**
 * Pure decisions behind the stack, kept apart from the constructs so they can be tested without synthesis:
 * how long a token is guaranteed to live in each signing mode and which schedule that allows. Target rules live in
 * targets.ts.
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

/** The function's timeout plus this margin is the shortest schedule: a run never overlaps the next one. */
export const SCHEDULE_MARGIN_SECONDS = 60;
export const DEFAULT_TIMEOUT_SECONDS = 300;

export interface SchedulePlan {
  /**
   * Token lifetime guaranteed for every target, in seconds; undefined when some target is signed with the execution
   * role (execution-role mode), whose credentials' lifetime nobody can know.
   */
  readonly guaranteedLifetimeSeconds?: number;
  /** Longest interval the stack accepts, in minutes. */
  readonly maxIntervalMinutes: number;
  /** Shortest interval the stack accepts, in minutes: the function's timeout plus a margin. */
  readonly minIntervalMinutes: number;
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
  /** The function's timeout. Default 300. */
  readonly timeoutSeconds?: number;
  /** Whether some targets are signed by the function-wide signing mode (clusters in this account). Default true. */
  readonly hasLocalTargets?: boolean;
  /**
   * Session length of the per-target signer roles of clusters in other AWS accounts, when there are such targets
   * (they are assumed each run like the signer role, so their tokens live min(TTL, session)).
   */
  readonly crossAccountSessionSeconds?: number;
}

/**
 * Works out the schedule and refuses one that is longer than half the guaranteed token lifetime (so that a single
 * failed run still leaves a valid token in every Hyperdrive config) or shorter than the function's timeout plus a
 * margin (so that a slow run is over before the next one starts).
 */
export function planSchedule(inputs: ScheduleInputs): SchedulePlan {
  const { signingMode, tokenTtlSeconds, signerSessionSeconds } = inputs;
  const timeoutSeconds = inputs.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  if (!SIGNING_MODES.includes(signingMode)) {
    throw new Error(`signingMode "${signingMode}" is not one of ${SIGNING_MODES.join(', ')}.`);
  }
  requireInteger('tokenTtlSeconds', tokenTtlSeconds, TOKEN_TTL_MIN_SECONDS, TOKEN_TTL_MAX_SECONDS);
  requireInteger('signerSessionSeconds', signerSessionSeconds, SIGNER_SESSION_MIN_SECONDS, SIGNER_SESSION_MAX_SECONDS);
  requireInteger('timeout (seconds)', timeoutSeconds, 1, 900);

  const hasLocalTargets = inputs.hasLocalTargets ?? true;
  const cross = inputs.crossAccountSessionSeconds;
  // The lifetime of the targets signed by the function-wide mode (undefined: unknown, execution-role) and of those
  // signed by a cross-account signer role; the schedule is set against the shorter one.
  const local = hasLocalTargets || cross === undefined ? guaranteedLifetime(signingMode, tokenTtlSeconds, signerSessionSeconds) : null;
  const crossLifetime = cross === undefined ? null : Math.min(tokenTtlSeconds, cross);
  let guaranteedLifetimeSeconds: number | undefined;
  let effectiveMode: string = signingMode;
  if (local === undefined) {
    guaranteedLifetimeSeconds = undefined;
  } else if (crossLifetime !== null && (local === null || crossLifetime < local)) {
    guaranteedLifetimeSeconds = crossLifetime;
    effectiveMode = 'cross-account signer role';
  } else {
    guaranteedLifetimeSeconds = local ?? undefined;
  }
  const maxIntervalMinutes =
    guaranteedLifetimeSeconds === undefined
      ? EXECUTION_ROLE_MAX_INTERVAL_MINUTES
      : Math.floor(guaranteedLifetimeSeconds / 2 / 60);
  if (maxIntervalMinutes < 1) {
    throw new Error(
      `The ${effectiveMode} signing guarantees a token lifetime of ${guaranteedLifetimeSeconds} s, less than the two ` +
        'minutes that the shortest schedule (1 minute) needs: raise tokenTtlSeconds (and signerSessionSeconds) to at least 120.',
    );
  }
  const minIntervalMinutes = Math.ceil((timeoutSeconds + SCHEDULE_MARGIN_SECONDS) / 60);
  if (minIntervalMinutes > maxIntervalMinutes) {
    throw new Error(
      `No schedule fits: the function's timeout (${timeoutSeconds} s) plus a ${SCHEDULE_MARGIN_SECONDS} s margin needs at ` +
        `least ${minIntervalMinutes} minutes between runs, but the ${effectiveMode} signing allows at most ` +
        `${maxIntervalMinutes} (half the guaranteed token lifetime): lower the timeout or raise tokenTtlSeconds ` +
        '(and signerSessionSeconds).',
    );
  }

  const requested = inputs.scheduleIntervalMinutes;
  if (requested !== undefined) {
    requireInteger('scheduleIntervalMinutes', requested, 1, Number.MAX_SAFE_INTEGER);
    if (requested > maxIntervalMinutes) {
      throw new Error(refusal(effectiveMode, requested, maxIntervalMinutes, guaranteedLifetimeSeconds));
    }
    if (requested < minIntervalMinutes) {
      throw new Error(
        `scheduleIntervalMinutes ${requested} is refused: it is shorter than the function's timeout (${timeoutSeconds} s) ` +
          `plus a ${SCHEDULE_MARGIN_SECONDS} s margin, so a slow run could still be going when the next one starts; ` +
          `use at least ${minIntervalMinutes} minutes or lower the timeout.`,
      );
    }
  }
  const intervalMinutes =
    requested ?? clamp(DEFAULT_INTERVAL_MINUTES[signingMode], minIntervalMinutes, maxIntervalMinutes);
  const maxEventAgeSeconds = clamp(intervalMinutes * 60, MAX_EVENT_AGE_MIN_SECONDS, MAX_EVENT_AGE_MAX_SECONDS);
  return { guaranteedLifetimeSeconds, maxIntervalMinutes, minIntervalMinutes, intervalMinutes, maxEventAgeSeconds };
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

function refusal(mode: string, requested: number, max: number, lifetime: number | undefined): string {
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
      : 'shorten the interval (role chaining caps a signer session at one hour; only long-term-keys allows a daily schedule, and only without clusters in other accounts)';
  return (
    `scheduleIntervalMinutes ${requested} is refused: the ${mode} signing guarantees tokens for ${lifetime} s, and the ` +
    `interval must be at most half of that (${max} minutes) so that one failed run still leaves a valid token: ${hint}.`
  );
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
