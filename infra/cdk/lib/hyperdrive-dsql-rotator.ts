/**
 * `HyperdriveDsqlRotator`: the scheduled Lambda that signs Aurora DSQL auth tokens and writes each one as the
 * password of a Cloudflare Hyperdrive config, with its signer (a role, or in long-term-keys mode an IAM user whose
 * keys the function itself rotates as the Secrets Manager rotation function of their secret), least-privilege
 * execution role, failure destination and alarms. Target rules live in `targets.ts`, schedule and lifetime rules in
 * `rotation-plan.ts`, the function code's origin in `code.ts`; the signer role of clusters in other AWS accounts is
 * `CrossAccountDsqlSigner` (`cross-account-signer.ts`).
 */
import {
  Annotations,
  Arn,
  ArnFormat,
  Aws,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as snsSubscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { codeFromPath, codePathProblems } from './code';
import {
  DEFAULT_TIMEOUT_SECONDS,
  LOG_RETENTION_DAYS,
  SIGNER_SESSION_MAX_SECONDS,
  SchedulePlan,
  SigningMode,
  TOKEN_TTL_MAX_SECONDS,
  dsqlActionFor,
  planSchedule,
} from './rotation-plan';
import {
  HyperdriveTarget,
  IAM_ROLE_ARN,
  clusterArnParts,
  dsqlHostParts,
  functionTarget,
  mtlsWarnings,
  targetProblems,
} from './targets';
import { everyAccountHasItsToken, shipTargets, tokenSecretsProblems } from './fleet';
import { DarkSoonPlan, TimeToDarkProps, dashboardUrl, timeToDarkMonitoring } from './time-to-dark';

/** The time-to-dark inputs (`darkSoonThresholdSeconds`, `cloudflareTokenAlarmDays`, `createDashboard`) are in time-to-dark.ts. */
export interface HyperdriveDsqlRotatorProps extends TimeToDarkProps {
  /** The Hyperdrive configs to keep supplied with tokens (at least one). Validated at synth like the function does. */
  readonly targets: HyperdriveTarget[];
  /**
   * Signer roles of clusters in other AWS accounts: AWS account id => ARN of the role made there by
   * `CrossAccountDsqlSigner` (or the Terraform module `cross-account-signer`), trusting this function's execution
   * role. Every target whose `clusterArn` is in another account is signed by assuming its account's role (the
   * function's `signer_role_arn`), and the execution role may assume exactly the roles in use. A cluster in another
   * account without a role here is refused at synth. Default: none.
   */
  readonly crossAccountSignerRoles?: Record<string, string>;
  /** Default Cloudflare account id (32 hex characters). Required unless every target sets `accountId`. */
  readonly cloudflareAccountId?: string;
  /**
   * Existing secret holding the Cloudflare API token (bare, or JSON `{"api_token": "..."}`), imported with its
   * complete ARN (`Secret.fromSecretCompleteArn` / `fromSecretAttributes`). Default: the stack creates an empty
   * secret; put the token in it after deployment.
   */
  readonly cloudflareApiTokenSecret?: secretsmanager.ISecret;
  /**
   * Customer-managed KMS key of the token secret (a key, not an alias): the function may decrypt with it only through
   * Secrets Manager and only for that secret. A created secret is encrypted with it. Default: the given secret's
   * `encryptionKey`, else none (the AWS managed key).
   */
  readonly cloudflareApiTokenSecretEncryptionKey?: kms.IKey;
  /**
   * A token secret per Cloudflare account (32 hex characters => secret imported with its complete ARN), rendered as
   * `CLOUDFLARE_API_TOKEN_SECRET_IDS`; it overrides `cloudflareApiTokenSecret` for those accounts. Each key must be the
   * account of some target. The function may read exactly these secrets (and decrypt with each one's
   * `encryptionKey`, only for it). When every target's account has one and `cloudflareApiTokenSecret` is not given,
   * no default secret is created. Default: none.
   */
  readonly cloudflareApiTokenSecrets?: Record<string, secretsmanager.ISecret>;
  /** JSON key of the token inside the secret. Default: unset (the function reads `api_token`). */
  readonly cloudflareApiTokenSecretKey?: string;
  /** Default `signer-role`. */
  readonly signingMode?: SigningMode;
  /** X-Amz-Expires of each token. Default 604800 (7 days, the DSQL maximum). */
  readonly tokenTtlSeconds?: number;
  /** Session length of the signer role, 900..3600. Default 3600. */
  readonly signerSessionSeconds?: number;
  /**
   * `long-term-keys` mode: customer-managed KMS key (a key, not an alias) of the signer keys secret the construct
   * creates; the function may decrypt and encrypt with it only through Secrets Manager and only for that secret.
   * Default: none (the AWS managed key).
   */
  readonly longTermKeysSecretEncryptionKey?: kms.IKey;
  /**
   * `long-term-keys` mode: days between rotations of the signer user's key (the function is the keys secret's
   * Secrets Manager rotation function), 1..1000. Default 30.
   */
  readonly signerKeysRotationDays?: number;
  /**
   * Minutes between runs. Default 15, or 1440 in `long-term-keys` mode, shortened to half the guaranteed token
   * lifetime; never shorter than the timeout plus one minute.
   */
  readonly scheduleIntervalMinutes?: number;
  /** Deny DSQL connect actions in any region but the targets' regions. Default true. */
  readonly restrictToClusterRegions?: boolean;
  /** MAX_CONCURRENCY of the function (targets updated at once), 1..64. Default: unset (the function uses 8). */
  readonly maxConcurrency?: number;
  /** Sets DRY_RUN=true: sign and plan, write nothing to Cloudflare. Default false. */
  readonly dryRun?: boolean;
  /** Default: generated by CloudFormation. */
  readonly functionName?: string;
  /** Default `x86_64`. */
  readonly architecture?: 'x86_64' | 'arm64';
  /**
   * The function code as a path: the release zip (`hyperdrive-dsql-rotator-<version>-<arch>.zip`, from the GitHub
   * release or `scripts/release.sh`'s `dist/`; its architecture must match `architecture`) or a directory holding
   * `bootstrap` (`cargo lambda build --release`). Exclusive with `code`. Default: from a clone of the repository, the
   * build output `<repo>/target/lambda/hyperdrive-dsql-rotator`; from the npm package, required (or `code`).
   */
  readonly codePath?: string;
  /** The function code as a `lambda.Code`. Exclusive with `codePath`. */
  readonly code?: lambda.Code;
  /** MB, 128..10240. Default 128. */
  readonly memorySize?: number;
  /** 1 s..15 min. Default 300 s. The schedule must be at least this plus one minute. */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency; -1 for none. Default: 1 in `long-term-keys` mode (runs and the steps of a key rotation must
   * not overlap: a run that started before a rotation could push a token of the key the rotation then deactivates),
   * none in the other modes. Lambda keeps 100 units of an account's quota unreserved, so reserving even 1 fails in
   * accounts still on a low quota; without it two runs can overlap (a manual run during a scheduled one), which the
   * function tolerates in the other modes (each writes a valid token; see infra/README.md). 0 stops the function.
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Permissions boundary of the execution role and (long-term-keys mode) of the signer user. The signer role always
   * gets the construct's own boundary instead (DSQL connect on its clusters only): the function may put an inline
   * policy on that role (revoke), and that boundary is what keeps such a policy from granting anything more. Default:
   * none.
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;
  /** IAM path of every role, user, group and managed policy the construct creates, e.g. `/hyperdrive/`. Default `/`. */
  readonly rolePath?: string;
  /** Default 30. */
  readonly logRetentionDays?: number;
  /** What happens to the log group when it leaves the stack. Default `RemovalPolicy.RETAIN` (CDK's convention). */
  readonly logGroupRemovalPolicy?: RemovalPolicy;
  /** Existing SNS topic for alarm notifications (its policy must let CloudWatch publish). Exclusive with the next two. */
  readonly alarmTopic?: sns.ITopic;
  /** Create an SNS topic for alarm notifications. Default false (true when `alarmEmail` is set). */
  readonly createAlarmTopic?: boolean;
  /** Email address subscribed to the created alarm topic. */
  readonly alarmEmail?: string;
}

/** One `AWS IAM GRANT` statement to run, as `admin`, on a target's cluster. */
export interface DatabaseGrant {
  readonly target: string;
  readonly host: string;
  readonly user: string;
  /** ARN of the role whose session signs this target's tokens. */
  readonly signerArn: string;
  /** `AWS IAM GRANT <user> TO '<signer ARN>';` */
  readonly statement: string;
}

/** Inputs of the `CrossAccountDsqlSigner` to deploy in one other AWS account. */
export interface CrossAccountSignerInputs {
  readonly account: string;
  readonly signerRoleArn: string;
  readonly dbConnectAdminClusterArns: string[];
  readonly dbConnectClusterArns: string[];
}

export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const IAM_PATH = /^\/(?:[\x21-\x7e]+\/)?$/;
/** The inline policy the function puts on the signer role to revoke its older sessions (src/aws/iam.rs). */
export const REVOKE_POLICY_NAME = 'hyperdrive-dsql-rotator-revoke';
/** Days between rotations of the signer keys, by default (long-term-keys mode). */
export const DEFAULT_SIGNER_KEYS_ROTATION_DAYS = 30;
/** The function's EMF namespace (README: Logs and metrics). */
export const METRIC_NAMESPACE = 'HyperdriveDsqlRotator';

export class HyperdriveDsqlRotator extends Construct {
  public readonly function: lambda.Function;
  public readonly executionRole: iam.Role;
  /** Signer role of the clusters in this account (`signer-role` mode, when there are such clusters). */
  public readonly signerRole?: iam.Role;
  /** The signer role's permissions boundary: DSQL connect on the clusters of this account, nothing else. */
  public readonly signerRoleBoundary?: iam.ManagedPolicy;
  /** `long-term-keys` mode: the IAM user whose keys sign (no console login; DSQL connect through its group). */
  public readonly signerUser?: iam.User;
  /** `long-term-keys` mode: the signer user's group, holding `longTermKeysUserPolicy`. */
  public readonly signerGroup?: iam.Group;
  /** `long-term-keys` mode, clusters in this account: DSQL connect on them, attached to `signerGroup`. */
  public readonly longTermKeysUserPolicy?: iam.ManagedPolicy;
  /** `long-term-keys` mode: the secret holding the signer user's current key (created empty; the rotation fills it). */
  public readonly signerKeysSecret?: secretsmanager.ISecret;
  /** `long-term-keys` mode: the keys secret's rotation schedule, with the function as its rotation function. */
  public readonly signerKeysRotation?: secretsmanager.CfnRotationSchedule;
  /** The default token secret; undefined when every target's account has its own (`cloudflareApiTokenSecrets`). */
  public readonly apiTokenSecret?: secretsmanager.ISecret;
  /** The layer holding /opt/hyperdrive-targets.json, when the targets do not fit the environment. */
  public readonly targetsLayer?: lambda.LayerVersion;
  public readonly failureQueue: sqs.Queue;
  public readonly logGroup: logs.LogGroup;
  public readonly rule: events.Rule;
  public readonly errorsAlarm: cloudwatch.Alarm;
  public readonly missedRunsAlarm: cloudwatch.Alarm;
  public readonly failedEventsAlarm: cloudwatch.Alarm;
  public readonly deliveryFailuresAlarm: cloudwatch.Alarm;
  /** MinSecondsToDark below the threshold, or missing; undefined when the token lifetime is unknown (execution-role). */
  public readonly darkSoonAlarm?: cloudwatch.Alarm;
  /** The dark-soon threshold and period; undefined when there is no dark-soon alarm. */
  public readonly darkSoon?: DarkSoonPlan;
  /** CloudflareTokenSecondsLeft below `cloudflareTokenAlarmDays`. */
  public readonly cloudflareTokenAlarm: cloudwatch.Alarm;
  /** The time-to-dark dashboard (unless `createDashboard` is false). */
  public readonly dashboard?: cloudwatch.Dashboard;
  public readonly alarmTopic?: sns.ITopic;
  public readonly schedule: SchedulePlan;
  /** The `AWS IAM GRANT` statements for targets whose user is not `admin`. */
  public readonly databaseGrants: DatabaseGrant[];
  /** Per other AWS account with clusters: what its `CrossAccountDsqlSigner` needs. */
  public readonly crossAccountSigners: CrossAccountSignerInputs[];

  constructor(scope: Construct, id: string, props: HyperdriveDsqlRotatorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const signingMode = props.signingMode ?? 'signer-role';
    const tokenTtlSeconds = props.tokenTtlSeconds ?? TOKEN_TTL_MAX_SECONDS;
    const signerSessionSeconds = props.signerSessionSeconds ?? SIGNER_SESSION_MAX_SECONDS;
    const timeoutSeconds = props.timeout?.toSeconds() ?? DEFAULT_TIMEOUT_SECONDS;

    const problems = [
      ...targetProblems(props.targets, { defaultAccountId: props.cloudflareAccountId }),
      ...propProblems(props, signingMode),
      ...tokenSecretsProblems(props.cloudflareApiTokenSecrets, props.targets, props.cloudflareAccountId),
    ];
    if (problems.length === 0) problems.push(...crossAccountProblems(props, stack.account));
    if (problems.length > 0) {
      throw new Error(
        `HyperdriveDsqlRotator: ${problems.length === 1 ? 'one problem' : `${problems.length} problems`} ` +
          `(the function would refuse this configuration, or it could not work):\n  - ${problems.join('\n  - ')}`,
      );
    }
    const roles = props.crossAccountSignerRoles ?? {};
    const clusters = resolveClusters(props.targets, stack.account, roles);
    const local = clusters.filter((c) => c.signerRoleArn === undefined);
    const remote = clusters.filter((c) => c.signerRoleArn !== undefined);
    for (const unused of Object.keys(roles).filter((a) => !remote.some((c) => c.account === a))) {
      Annotations.of(this).addWarningV2(
        'hyperdrive-dsql-rotator:unused-cross-account-signer-role',
        `crossAccountSignerRoles["${unused}"] is not used by any target (no clusterArn in that account); it is not granted.`,
      );
    }
    for (const warning of mtlsWarnings(props.targets)) {
      Annotations.of(this).addWarningV2('hyperdrive-dsql-rotator:mtls-verify-without-ca', warning);
    }

    // The local signer role exists only when some cluster is in this account; the function passes
    // SIGNER_SESSION_SECONDS only with SIGNER_ROLE_ARN, and assumes cross-account roles for the same length (its
    // default, 3600 s, when there is no local signer role).
    const localSignerRole = signingMode === 'signer-role' && local.length > 0;
    this.schedule = planSchedule({
      signingMode,
      tokenTtlSeconds,
      signerSessionSeconds,
      scheduleIntervalMinutes: props.scheduleIntervalMinutes,
      timeoutSeconds,
      hasLocalTargets: local.length > 0,
      crossAccountSessionSeconds:
        remote.length === 0 ? undefined : localSignerRole ? signerSessionSeconds : SIGNER_SESSION_MAX_SECONDS,
    });
    if (this.schedule.guaranteedLifetimeSeconds === undefined) {
      Annotations.of(this).addWarningV2(
        'hyperdrive-dsql-rotator:execution-role-lifetime-unknown',
        'signingMode "execution-role": tokens are signed with the execution role\'s temporary credentials, whose ' +
          'lifetime AWS does not publish, so the real token lifetime is unknown and may be shorter than the ' +
          `${this.schedule.intervalMinutes}-minute schedule allows for. Prefer "signer-role" (known one-hour lifetime).`,
      );
    }
    const roleDefaults = { permissionsBoundary: props.permissionsBoundary, path: props.rolePath };

    // Secrets.
    let createdSecret: secretsmanager.CfnSecret | undefined;
    const tokenKey = props.cloudflareApiTokenSecretEncryptionKey ?? props.cloudflareApiTokenSecret?.encryptionKey;
    if (props.cloudflareApiTokenSecret !== undefined) {
      this.apiTokenSecret = props.cloudflareApiTokenSecret;
    } else if (!everyAccountHasItsToken(props.cloudflareApiTokenSecrets, props.targets, props.cloudflareAccountId)) {
      // An L1 secret with neither SecretString nor GenerateSecretString is created empty: the token never
      // passes through the template. The L2 Secret would generate a random value instead.
      createdSecret = new secretsmanager.CfnSecret(this, 'CloudflareApiToken', {
        description:
          'Cloudflare API token (Hyperdrive write) for hyperdrive-dsql-rotator; created empty: ' +
          'read -rs CLOUDFLARE_API_TOKEN, then aws secretsmanager put-secret-value --secret-id <this ARN> ' +
          '--secret-string "$CLOUDFLARE_API_TOKEN" (the token stays out of the shell history)',
        kmsKeyId: tokenKey?.keyArn,
      });
      Validations.of(createdSecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'The value is a Cloudflare API token: Secrets Manager cannot rotate it (no rotation Lambda can mint ' +
          'Cloudflare tokens); its owner rolls it in the Cloudflare dashboard and puts the new value here.',
      });
      this.apiTokenSecret = secretsmanager.Secret.fromSecretAttributes(this, 'CloudflareApiTokenSecret', {
        secretCompleteArn: createdSecret.ref,
        encryptionKey: tokenKey,
      });
    }
    const secrets: { arn: string; key?: kms.IKey }[] = [
      ...(this.apiTokenSecret ? [{ arn: this.apiTokenSecret.secretFullArn!, key: tokenKey }] : []),
      ...Object.values(props.cloudflareApiTokenSecrets ?? {}).map((s) => ({ arn: s.secretFullArn!, key: s.encryptionKey })),
    ];
    // long-term-keys mode: the secret of the signer user's key, created empty like the token secret. The function,
    // as its rotation function, writes every version: the first rotation (at deployment) puts the first key in, so
    // no key is ever typed, pasted, or stored in a template or a state.
    const keysKey = props.longTermKeysSecretEncryptionKey;
    let keysSecret: secretsmanager.CfnSecret | undefined;
    if (signingMode === 'long-term-keys') {
      keysSecret = new secretsmanager.CfnSecret(this, 'SignerKeys', {
        description:
          'Access key of the IAM user that signs Aurora DSQL tokens for hyperdrive-dsql-rotator: created empty, ' +
          'written only by the function as its rotation function (never by a person)',
        kmsKeyId: keysKey?.keyArn,
      });
      this.signerKeysSecret = secretsmanager.Secret.fromSecretAttributes(this, 'SignerKeysSecret', {
        secretCompleteArn: keysSecret.ref,
        encryptionKey: keysKey,
      });
      secrets.push({ arn: keysSecret.ref, key: keysKey });
    }

    // Logs: kept when the stack goes (CDK's convention for data), unless told otherwise.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: (props.logRetentionDays ?? 30) as logs.RetentionDays,
      removalPolicy: props.logGroupRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // Execution role: logs to its own log group, reads exactly the secrets it needs.
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      ...roleDefaults,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'hyperdrive-dsql-rotator function: logs, its secrets, and its signer roles',
    });
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.executionRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: secrets.map((s) => s.arn),
      }),
    );
    if (keysSecret) {
      // What a Secrets Manager rotation function does to its secret, on exactly that secret.
      this.executionRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'RotateSignerKeysSecret',
          actions: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          resources: [keysSecret.ref],
        }),
      );
    }
    // kms:Decrypt on each key, only through Secrets Manager and only for the secrets that key encrypts.
    const keys = new Map<string, { key: kms.IKey; secretArns: string[] }>();
    for (const s of secrets) {
      if (!s.key) continue;
      const id = stack.resolve(s.key.keyArn) as unknown;
      const entry = keys.get(JSON.stringify(id)) ?? { key: s.key, secretArns: [] };
      entry.secretArns.push(s.arn);
      keys.set(JSON.stringify(id), entry);
    }
    [...keys.values()].forEach(({ key, secretArns }, i) => {
      this.executionRole.addToPolicy(
        new iam.PolicyStatement({
          sid: `DecryptSecretsThroughSecretsManager${i === 0 ? '' : i + 1}`,
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': viaSecretsManager(secretArns),
              'kms:EncryptionContext:SecretARN': secretArns,
            },
          },
        }),
      );
    });
    if (keysSecret && keysKey) {
      // PutSecretValue under a customer-managed key: Secrets Manager asks KMS for a data key as the caller.
      this.executionRole.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EncryptSignerKeysThroughSecretsManager',
          actions: ['kms:GenerateDataKey'],
          resources: [keysKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': viaSecretsManager([keysSecret.ref]),
              'kms:EncryptionContext:SecretARN': [keysSecret.ref],
            },
          },
        }),
      );
    }

    const dsqlStatements = connectStatements(local, props.restrictToClusterRegions ?? true);
    const functionTargets = props.targets.map((t, i) => functionTarget(t, clusters[i].signerRoleArn));
    // Lambda caps a function's whole environment at 4 KB: past 3500 bytes the targets go in a layer file (fleet.ts).
    const architecture = props.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
    const shipped = shipTargets(this, functionTargets, architecture);
    this.targetsLayer = shipped.layer;
    const environment: Record<string, string> = {
      ...(this.apiTokenSecret ? { CLOUDFLARE_API_TOKEN_SECRET_ID: this.apiTokenSecret.secretFullArn! } : {}),
      ...shipped.environment,
      TOKEN_TTL_SECONDS: String(tokenTtlSeconds),
    };
    if (props.cloudflareApiTokenSecrets !== undefined && Object.keys(props.cloudflareApiTokenSecrets).length > 0) {
      environment.CLOUDFLARE_API_TOKEN_SECRET_IDS = stack.toJsonString(
        Object.fromEntries(Object.entries(props.cloudflareApiTokenSecrets).map(([a, s]) => [a.toLowerCase(), s.secretFullArn!])),
      );
    }
    if (props.cloudflareAccountId !== undefined) environment.CLOUDFLARE_ACCOUNT_ID = props.cloudflareAccountId;
    if (props.cloudflareApiTokenSecretKey !== undefined) {
      environment.CLOUDFLARE_API_TOKEN_SECRET_KEY = props.cloudflareApiTokenSecretKey;
    }
    if (props.maxConcurrency !== undefined) environment.MAX_CONCURRENCY = String(props.maxConcurrency);
    if (props.dryRun) environment.DRY_RUN = 'true';

    // Roles the execution role may assume: the local signer role and the cross-account roles in use.
    const assumable: string[] = unique(remote.map((c) => c.signerRoleArn!));
    // Policies on the execution role that name the signer role (separate resources: see below); the function waits
    // for them.
    const separatePolicies: iam.Policy[] = [];
    switch (signingMode) {
      case 'signer-role': {
        if (!localSignerRole) break;
        // The boundary caps the role at DSQL connect on these clusters, whatever policy is put on it: the function
        // may put one (revoke), and this is what keeps that right from granting anything more. It replaces the
        // permissionsBoundary prop on this role (a role has one boundary): any boundary that still lets the signer
        // work allows at least this much, so this one is never wider.
        this.signerRoleBoundary = new iam.ManagedPolicy(this, 'SignerRoleBoundary', {
          description: 'Permissions boundary of the hyperdrive-dsql-rotator signer role: DSQL connect on its clusters only',
          path: props.rolePath,
          statements: connectStatements(local, false),
        });
        // Trusted by the execution role only. The permissions naming it are separate policy resources attached to
        // the execution role: inline on the role, the two roles would reference each other (a cycle).
        const signerRole = new iam.Role(this, 'SignerRole', {
          path: props.rolePath,
          permissionsBoundary: this.signerRoleBoundary,
          assumedBy: new iam.ArnPrincipal(this.executionRole.roleArn),
          maxSessionDuration: Duration.seconds(SIGNER_SESSION_MAX_SECONDS),
          description: 'Signs Aurora DSQL auth tokens for hyperdrive-dsql-rotator; assumed by its function only',
          inlinePolicies: { DsqlConnect: new iam.PolicyDocument({ statements: dsqlStatements }) },
        });
        this.signerRole = signerRole;
        assumable.unshift(signerRole.roleArn);
        environment.SIGNER_ROLE_ARN = signerRole.roleArn;
        environment.SIGNER_SESSION_SECONDS = String(signerSessionSeconds);
        // Revoke puts one inline policy, hyperdrive-dsql-rotator-revoke, on this role (a Deny on sessions issued
        // before a cutoff); Get and Delete read and lift it. IAM has no condition key for the name or content of an
        // inline policy (Put/Get/DeleteRolePolicy take none), so this allows them for any inline policy of this one
        // role: the boundary above caps what such a policy can grant, and a deleted one can only take rights away.
        separatePolicies.push(
          new iam.Policy(this, 'RevokeSignerSessions', {
            roles: [this.executionRole],
            statements: [
              new iam.PolicyStatement({
                sid: 'RevokePolicyOnSignerRole',
                actions: ['iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:PutRolePolicy'],
                resources: [signerRole.roleArn],
              }),
            ],
          }),
        );
        break;
      }
      case 'long-term-keys': {
        // The signer: an IAM user without a password (no console login) and without keys of the stack's making:
        // the function creates, rotates and deactivates them as the keys secret's rotation function. It connects to
        // the clusters through its group's policy.
        const user = new iam.User(this, 'SignerUser', { path: props.rolePath, permissionsBoundary: props.permissionsBoundary });
        const group = new iam.Group(this, 'SignerGroup', { path: props.rolePath });
        user.addToGroup(group);
        this.signerUser = user;
        this.signerGroup = group;
        if (local.length > 0) {
          this.longTermKeysUserPolicy = new iam.ManagedPolicy(this, 'LongTermKeysUserPolicy', {
            description: 'DSQL connect for the IAM user whose keys hyperdrive-dsql-rotator signs tokens with',
            path: props.rolePath,
            statements: dsqlStatements,
            groups: [group],
          });
        }
        // The access keys of exactly that user: create (rotation), list (room, the key in use), deactivate (the old
        // key, at the end of a rotation), delete (an inactive old key, to make room for the next one).
        this.executionRole.addToPolicy(
          new iam.PolicyStatement({
            sid: 'ManageSignerUserKeys',
            actions: ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys', 'iam:UpdateAccessKey'],
            resources: [user.userArn],
          }),
        );
        environment.SIGNER_CREDENTIALS_SECRET_ID = keysSecret!.ref;
        environment.SIGNER_USER_NAME = user.userName;
        break;
      }
      case 'execution-role':
        for (const statement of dsqlStatements) this.executionRole.addToPolicy(statement);
        break;
    }
    if (assumable.length > 0) {
      separatePolicies.unshift(
        new iam.Policy(this, 'AssumeSignerRole', {
          roles: [this.executionRole],
          statements: [new iam.PolicyStatement({ sid: 'AssumeSignerRoles', actions: ['sts:AssumeRole'], resources: assumable })],
        }),
      );
    }
    // Runs and rotation steps must not overlap in long-term-keys mode (README: Credential lifecycle).
    const reserved = props.reservedConcurrentExecutions ?? (signingMode === 'long-term-keys' ? 1 : undefined);

    // Failure destination for asynchronous (scheduled) invocations whose retries are exhausted or too old.
    this.failureQueue = new sqs.Queue(this, 'FailureQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.failureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the function; nothing consumes it automatically, ' +
        'so a dead-letter queue behind it would never receive anything.',
    });

    this.function = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      description: 'Signs Aurora DSQL auth tokens and writes them as Cloudflare Hyperdrive passwords',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture,
      layers: this.targetsLayer ? [this.targetsLayer] : undefined,
      handler: 'bootstrap',
      code: props.code ?? codeFromPath(props.codePath),
      memorySize: props.memorySize ?? 128,
      timeout: Duration.seconds(timeoutSeconds),
      role: this.executionRole,
      environment,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: reserved === -1 ? undefined : reserved,
      onFailure: new SendOnlySqsDestination(this.failureQueue),
      retryAttempts: 2,
      // A retry older than one interval is superseded by the next scheduled run.
      maxEventAge: Duration.seconds(this.schedule.maxEventAgeSeconds),
    });
    for (const policy of separatePolicies) this.function.node.addDependency(policy);

    if (keysSecret) {
      // Secrets Manager may invoke the function for this secret only. The schedule waits for the permission (and,
      // through the function, for the execution role's policies) and for the signer user's DSQL grant: creating it
      // starts the first rotation at once, which bootstraps the first key and proves it on every target.
      const invoke = new lambda.CfnPermission(this, 'SignerKeysRotationInvoke', {
        action: 'lambda:InvokeFunction',
        functionName: this.function.functionArn,
        principal: 'secretsmanager.amazonaws.com',
        sourceArn: keysSecret.ref,
      });
      this.signerKeysRotation = new secretsmanager.CfnRotationSchedule(this, 'SignerKeysRotation', {
        secretId: keysSecret.ref,
        rotationLambdaArn: this.function.functionArn,
        rotationRules: { automaticallyAfterDays: props.signerKeysRotationDays ?? DEFAULT_SIGNER_KEYS_ROTATION_DAYS },
      });
      this.signerKeysRotation.addDependency(invoke);
      this.signerKeysRotation.node.addDependency(this.signerUser!);
      if (this.longTermKeysUserPolicy) this.signerKeysRotation.node.addDependency(this.longTermKeysUserPolicy);
    }

    this.rule = new events.Rule(this, 'Schedule', {
      description: `Runs hyperdrive-dsql-rotator every ${this.schedule.intervalMinutes} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(this.schedule.intervalMinutes)),
      targets: [new eventTargets.LambdaFunction(this.function)],
    });

    // Alarms.
    const periodMinutes = this.schedule.intervalMinutes;
    this.errorsAlarm = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmDescription: 'hyperdrive-dsql-rotator failed: see its log group and the failure queue',
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Lambda publishes Invocations only when there are some, and CloudWatch cannot tell "not run yet" from
    // "stopped running". Missing data is therefore left missing: a fresh stack sits in INSUFFICIENT_DATA (not ALARM)
    // until its first run, then OK; runs that stop for two periods bring it back to INSUFFICIENT_DATA, which notifies
    // (insufficient-data action) because it is a change of state.
    this.missedRunsAlarm = new cloudwatch.Alarm(this, 'MissedRunsAlarm', {
      alarmDescription:
        `hyperdrive-dsql-rotator has not run for two schedule periods (${2 * periodMinutes} minutes) once it had run: ` +
        'INSUFFICIENT_DATA after OK means missed runs (rule disabled or deleted, permission broken)',
      metric: this.function.metricInvocations({ period: Duration.minutes(periodMinutes), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
    // Messages *sent* to the queue, not messages *in* it: one alarm per failed event, back to OK five minutes later,
    // so that a second failure alarms again even if nobody emptied the queue.
    this.failedEventsAlarm = new cloudwatch.Alarm(this, 'FailedEventsAlarm', {
      alarmDescription: 'A scheduled run of hyperdrive-dsql-rotator ended in its failure queue',
      metric: this.failureQueue.metricNumberOfMessagesSent({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deliveryFailuresAlarm = new cloudwatch.Alarm(this, 'DeliveryFailuresAlarm', {
      alarmDescription: 'EventBridge could not invoke hyperdrive-dsql-rotator (permission, throttling, function gone)',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'FailedInvocations',
        dimensionsMap: { RuleName: this.rule.ruleName },
        period: Duration.minutes(5),
        statistic: cloudwatch.Stats.SUM,
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Time to dark (time-to-dark.ts): the dark-soon and Cloudflare-token alarms, the dashboard.
    const timeToDark = timeToDarkMonitoring(this, this.function, this.schedule, props);
    this.darkSoonAlarm = timeToDark.darkSoonAlarm;
    this.darkSoon = timeToDark.darkSoon;
    this.cloudflareTokenAlarm = timeToDark.cloudflareTokenAlarm;
    this.dashboard = timeToDark.dashboard;
    const alarms = [this.errorsAlarm, this.missedRunsAlarm, this.failedEventsAlarm, this.deliveryFailuresAlarm];
    alarms.push(...(this.darkSoonAlarm ? [this.darkSoonAlarm] : []), this.cloudflareTokenAlarm);

    if (props.alarmTopic !== undefined) {
      this.alarmTopic = props.alarmTopic;
    } else if (props.createAlarmTopic || props.alarmEmail !== undefined) {
      // Not KMS-encrypted: notifications carry alarm names and states only, and CloudWatch cannot publish to a topic
      // under the AWS managed aws/sns key. Publishing requires TLS.
      const topic = new sns.Topic(this, 'AlarmTopic', { enforceSSL: true });
      // The topic policy replaces SNS's default one: admit exactly this construct's alarms (as Terraform does).
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowTheRotatorAlarms',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
            ArnEquals: { 'aws:SourceArn': alarms.map((a) => a.alarmArn) },
          },
        }),
      );
      if (props.alarmEmail !== undefined) topic.addSubscription(new snsSubscriptions.EmailSubscription(props.alarmEmail));
      this.alarmTopic = topic;
    }
    if (this.alarmTopic) {
      const action = new cwActions.SnsAction(this.alarmTopic);
      for (const alarm of alarms) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
      this.missedRunsAlarm.addInsufficientDataAction(action);
    }

    // What is left to do outside the stack: grants inside the databases, signer roles in other accounts.
    this.databaseGrants = databaseGrants(props.targets, clusters, {
      signingMode,
      localSigner: this.signerRole?.roleArn ?? this.signerUser?.userArn ?? this.executionRole.roleArn,
    });
    this.crossAccountSigners = unique(remote.map((c) => c.account!)).map((account) => {
      const own = remote.filter((c) => c.account === account);
      return {
        account,
        signerRoleArn: own[0].signerRoleArn!,
        dbConnectAdminClusterArns: unique(own.filter((c) => c.action === 'dsql:DbConnectAdmin').map((c) => c.arn)),
        dbConnectClusterArns: unique(own.filter((c) => c.action === 'dsql:DbConnect').map((c) => c.arn)),
      };
    });

    new CfnOutput(this, 'FunctionName', { value: this.function.functionName });
    new CfnOutput(this, 'ExecutionRoleArn', {
      value: this.executionRole.roleArn,
      description: 'What a CrossAccountDsqlSigner in another account must trust',
    });
    if (this.apiTokenSecret) {
      new CfnOutput(this, 'CloudflareApiTokenSecretArn', {
        value: this.apiTokenSecret.secretFullArn!,
        description: createdSecret
          ? 'Created empty: read -rs CLOUDFLARE_API_TOKEN, then aws secretsmanager put-secret-value --secret-id <this> ' +
            '--secret-string "$CLOUDFLARE_API_TOKEN"'
          : 'The existing secret the function reads',
      });
    }
    new CfnOutput(this, 'ScheduleIntervalMinutes', { value: String(this.schedule.intervalMinutes) });
    new CfnOutput(this, 'ScheduleRuleName', { value: this.rule.ruleName });
    new CfnOutput(this, 'LogGroupName', { value: this.logGroup.logGroupName });
    new CfnOutput(this, 'GuaranteedTokenLifetimeSeconds', {
      value:
        this.schedule.guaranteedLifetimeSeconds === undefined
          ? 'unknown (execution-role mode)'
          : String(this.schedule.guaranteedLifetimeSeconds),
    });
    if (this.signerRole) new CfnOutput(this, 'SignerRoleArn', { value: this.signerRole.roleArn });
    if (this.signerUser && this.signerKeysSecret) {
      new CfnOutput(this, 'SignerUserName', {
        value: this.signerUser.userName,
        description: 'The IAM user whose keys sign (aws iam list-access-keys --user-name <this>)',
      });
      new CfnOutput(this, 'SignerKeysSecretArn', {
        value: this.signerKeysSecret.secretFullArn!,
        description: 'Its key, rotated by the function (aws secretsmanager describe-secret --secret-id <this>)',
      });
    }
    new CfnOutput(this, 'FailureQueueUrl', { value: this.failureQueue.queueUrl });
    if (this.dashboard) {
      new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboardName });
      new CfnOutput(this, 'DashboardUrl', { value: dashboardUrl(this.dashboard.dashboardName) });
    }
    if (this.darkSoon) new CfnOutput(this, 'DarkSoonThresholdSeconds', { value: String(this.darkSoon.thresholdSeconds) });
    if (this.databaseGrants.length > 0) {
      new CfnOutput(this, 'DatabaseGrants', {
        description: 'Run each statement once, connected as admin to the cluster it names (non-admin users)',
        value: unique(this.databaseGrants.map((g) => `${g.host}: ${g.statement}`)).join('\n'),
      });
    }
    for (const signer of this.crossAccountSigners) {
      new CfnOutput(this, `CrossAccountSignerInputs${signer.account}`, {
        description: `Context for the CrossAccountDsqlSigner app in AWS account ${signer.account} (infra/README.md)`,
        value: [
          `-c executionRoleArn=${this.executionRole.roleArn}`,
          `-c dbConnectAdminClusterArns=${signer.dbConnectAdminClusterArns.join(',')}`,
          `-c dbConnectClusterArns=${signer.dbConnectClusterArns.join(',')}`,
        ].join(' '),
      });
    }
  }

  /** Lets `grantee` run the function by hand (e.g. a dry run: `{"dry_run": true}`). */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.function.grantInvoke(grantee);
  }

  /** Lets `grantee` read and delete the failed events in the failure queue. */
  public grantConsumeFailedEvents(grantee: iam.IGrantable): iam.Grant {
    return this.failureQueue.grantConsumeMessages(grantee);
  }

  /** The function's `Failed` metric (EMF): targets that failed, per run. */
  public metricFailedTargets(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.emfMetric('Failed', cloudwatch.Stats.SUM, props);
  }

  /** The function's `Created` + `Updated` metrics are separate; this is `Updated` (configs updated in place). */
  public metricUpdatedTargets(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.emfMetric('Updated', cloudwatch.Stats.SUM, props);
  }

  /** The function's `MinTokenLifetime` metric (seconds, smallest lifetime among the tokens pushed in a run). */
  public metricMinTokenLifetime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.emfMetric('MinTokenLifetime', cloudwatch.Stats.MINIMUM, props);
  }

  /** Lambda's `Errors` for the function. */
  public metricErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.function.metricErrors(props);
  }

  private emfMetric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { FunctionName: this.function.functionName },
      statistic,
      ...props,
    });
  }
}

/**
 * On-failure destination that grants only `sqs:SendMessage` (lambda-destinations' SqsDestination also grants
 * `sqs:GetQueueAttributes` and `sqs:GetQueueUrl`, which the function never calls).
 */
class SendOnlySqsDestination implements lambda.IDestination {
  constructor(private readonly queue: sqs.IQueue) {}

  public bind(_scope: Construct, fn: lambda.IFunction): lambda.DestinationConfig {
    fn.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'SendFailedEvents', actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    return { destination: this.queue.queueArn };
  }
}

interface Cluster {
  readonly arn: string;
  readonly account?: string;
  readonly region?: string;
  readonly action: 'dsql:DbConnectAdmin' | 'dsql:DbConnect';
  /** Set for a cluster in another AWS account: the role the function assumes to sign its tokens. */
  readonly signerRoleArn?: string;
}

/** The cluster of each target (same order), and for clusters in other accounts the signer role that covers them. */
function resolveClusters(targets: HyperdriveTarget[], stackAccount: string, roles: Record<string, string>): Cluster[] {
  return targets.map((target) => {
    const action = dsqlActionFor(target.user);
    if (target.clusterArn !== undefined && target.clusterArn !== null) {
      if (Token.isUnresolved(target.clusterArn)) return { arn: target.clusterArn, region: target.region, action };
      const parts = clusterArnParts(target.clusterArn)!;
      const remote = Token.isUnresolved(stackAccount) ? parts.account in roles : parts.account !== stackAccount;
      return {
        arn: target.clusterArn,
        account: parts.account,
        region: parts.region,
        action,
        signerRoleArn: remote ? roles[parts.account] : undefined,
      };
    }
    if (Token.isUnresolved(target.host)) {
      throw new Error(`Target "${target.name}": the host is only known at deploy time; set clusterArn on the target.`);
    }
    const endpoint = dsqlHostParts(target.host)!;
    const arn = Arn.format({
      partition: Aws.PARTITION,
      service: 'dsql',
      region: endpoint.region,
      account: Aws.ACCOUNT_ID,
      resource: 'cluster',
      resourceName: endpoint.clusterId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    return { arn, region: endpoint.region, action };
  });
}

/** Clusters in other accounts need a signer role there; the map itself must be well formed. */
function crossAccountProblems(props: HyperdriveDsqlRotatorProps, stackAccount: string): string[] {
  const problems: string[] = [];
  const roles = props.crossAccountSignerRoles ?? {};
  const known = !Token.isUnresolved(stackAccount);
  for (const [account, arn] of Object.entries(roles)) {
    if (!/^\d{12}$/.test(account)) {
      problems.push(`crossAccountSignerRoles: key "${account}" is not an AWS account id (12 digits).`);
      continue;
    }
    if (known && account === stackAccount) {
      problems.push(
        `crossAccountSignerRoles["${account}"] is this stack's own account: its clusters are signed by the stack's ` +
          'signing mode; remove the entry.',
      );
    }
    if (Token.isUnresolved(arn)) continue;
    const match = typeof arn === 'string' ? IAM_ROLE_ARN.exec(arn) : null;
    if (!match) {
      problems.push(`crossAccountSignerRoles["${account}"]: ${JSON.stringify(arn)} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>).`);
    } else if (match[2] !== account) {
      problems.push(`crossAccountSignerRoles["${account}"]: the role ${arn} is in account ${match[2]}, not ${account}.`);
    }
  }
  props.targets.forEach((target, index) => {
    if (typeof target.clusterArn !== 'string' || Token.isUnresolved(target.clusterArn)) return;
    const parts = clusterArnParts(target.clusterArn)!;
    if (parts.account in roles || (known && parts.account === stackAccount)) return;
    const what =
      `deploy the signer role there (CDK: CrossAccountDsqlSigner, app bin/cross-account-signer.ts; Terraform: module ` +
      `cross-account-signer), trusting this function's execution role and allowed on the cluster, then add its ARN: ` +
      `crossAccountSignerRoles: { "${parts.account}": "arn:aws:iam::${parts.account}:role/hyperdrive-dsql-signer-<region>" }`;
    problems.push(
      known
        ? `targets[${index}] ${JSON.stringify(target.name)}: clusterArn is in AWS account ${parts.account}, not this ` +
            `stack's (${stackAccount}); an IAM policy here cannot authorise a DSQL cluster there: ${what}.`
        : `targets[${index}] ${JSON.stringify(target.name)}: clusterArn is in AWS account ${parts.account}, and this ` +
            'stack is environment-agnostic, so the construct cannot tell whether that is its own account: give the ' +
            `stack an env with its account, or, if ${parts.account} is another account, ${what}.`,
    );
  });
  return problems;
}

/** Allow each DSQL action on exactly the clusters that need it; optionally deny it in every other region. */
export function connectStatements(
  clusters: readonly { arn: string; region?: string; action: string }[],
  restrictRegions: boolean,
): iam.PolicyStatement[] {
  if (clusters.length === 0) return [];
  const statements: iam.PolicyStatement[] = [];
  for (const [sid, action] of [
    ['ConnectAsAdmin', 'dsql:DbConnectAdmin'],
    ['ConnectAsRole', 'dsql:DbConnect'],
  ] as const) {
    const arns = unique(clusters.filter((c) => c.action === action).map((c) => c.arn));
    if (arns.length > 0) statements.push(new iam.PolicyStatement({ sid, actions: [action], resources: arns }));
  }
  if (restrictRegions) {
    const regions = unique(clusters.map((c) => c.region));
    if (regions.some((r) => r === undefined)) {
      throw new Error(
        'restrictToClusterRegions needs every cluster\'s region: set region on targets whose clusterArn is a token, ' +
          'or set restrictToClusterRegions to false.',
      );
    }
    statements.push(
      new iam.PolicyStatement({
        sid: 'DenyOutsideClusterRegions',
        effect: iam.Effect.DENY,
        actions: ['dsql:DbConnect', 'dsql:DbConnectAdmin'],
        resources: [`arn:${Aws.PARTITION}:dsql:*:*:cluster/*`],
        conditions: { StringNotEquals: { 'aws:RequestedRegion': regions as string[] } },
      }),
    );
  }
  return statements;
}

function databaseGrants(
  targets: HyperdriveTarget[],
  clusters: Cluster[],
  context: { signingMode: SigningMode; localSigner: string },
): DatabaseGrant[] {
  const grants: DatabaseGrant[] = [];
  targets.forEach((target, i) => {
    const user = target.user ?? 'admin';
    if (user === 'admin' || Token.isUnresolved(user)) return;
    const signerArn = clusters[i].signerRoleArn ?? context.localSigner;
    grants.push({
      target: target.name,
      host: String(target.host).toLowerCase(),
      user,
      signerArn,
      statement: `AWS IAM GRANT ${sqlIdentifier(user)} TO '${signerArn}';`,
    });
  });
  return grants;
}

/** A PostgreSQL identifier, quoted unless it is a plain lowercase one. */
export function sqlIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** `kms:ViaService` value(s) for the regions of the secrets. */
function viaSecretsManager(secretArns: string[]): string[] {
  const regions = unique(
    secretArns.map((arn) => (Token.isUnresolved(arn) ? Aws.REGION : (SECRET_ARN.exec(arn)?.[1] ?? Aws.REGION))),
  );
  return regions.map((region) => `secretsmanager.${region}.amazonaws.com`);
}

/** Everything about the props (other than the targets) that the function would refuse or that could not work. */
function propProblems(props: HyperdriveDsqlRotatorProps, mode: SigningMode): string[] {
  const problems: string[] = [];
  const account = props.cloudflareAccountId;
  if (account !== undefined && !Token.isUnresolved(account) && !/^[0-9a-fA-F]{32}$/.test(account)) {
    problems.push(
      `cloudflareAccountId ${JSON.stringify(account)} is not a Cloudflare account ID; use the 32 hexadecimal ` +
        'characters shown in the dashboard\'s URL or Overview page.',
    );
  }
  if (props.logRetentionDays !== undefined && !(LOG_RETENTION_DAYS as readonly number[]).includes(props.logRetentionDays)) {
    problems.push(`logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}; got ${props.logRetentionDays}.`);
  }
  const mc = props.maxConcurrency;
  if (mc !== undefined && (!Number.isInteger(mc) || mc < 1 || mc > 64)) {
    problems.push(`maxConcurrency must be a whole number between 1 and 64; got ${mc}.`);
  }
  const memory = props.memorySize;
  if (memory !== undefined && (!Number.isInteger(memory) || memory < 128 || memory > 10240)) {
    problems.push(`memorySize must be a whole number of MB between 128 and 10240; got ${memory}.`);
  }
  const rc = props.reservedConcurrentExecutions;
  if (rc !== undefined && (!Number.isInteger(rc) || rc < -1)) {
    problems.push(`reservedConcurrentExecutions must be a whole number, or -1 for none (0 stops the function); got ${rc}.`);
  }
  if (props.rolePath !== undefined && !Token.isUnresolved(props.rolePath) && (!IAM_PATH.test(props.rolePath) || props.rolePath.length > 512)) {
    problems.push(`rolePath ${JSON.stringify(props.rolePath)} is not an IAM path: it starts and ends with "/", e.g. /hyperdrive/.`);
  }
  if ((props as { longTermKeysSecret?: unknown }).longTermKeysSecret !== undefined) {
    problems.push(
      'longTermKeysSecret is no longer an input: in long-term-keys mode the construct creates the signer IAM user and ' +
        'its keys secret (empty; the first rotation puts the first key in). Remove it (a KMS key for the created ' +
        'secret: longTermKeysSecretEncryptionKey).',
    );
  }
  for (const [name, value] of [
    ['longTermKeysSecretEncryptionKey', props.longTermKeysSecretEncryptionKey],
    ['signerKeysRotationDays', props.signerKeysRotationDays],
  ] as const) {
    if (mode !== 'long-term-keys' && value !== undefined) {
      problems.push(`${name} is only used with signingMode "long-term-keys", not "${mode}".`);
    }
  }
  const days = props.signerKeysRotationDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 1000)) {
    problems.push(`signerKeysRotationDays must be a whole number of days between 1 and 1000 (Secrets Manager's range); got ${days}.`);
  }
  if (props.code !== undefined && props.codePath !== undefined) {
    problems.push('code and codePath are two ways to give the function code: give one.');
  } else if (props.codePath !== undefined) {
    problems.push(...codePathProblems(props.codePath, props.architecture === 'arm64' ? 'arm64' : 'x86_64'));
  }
  for (const [name, secret] of [['cloudflareApiTokenSecret', props.cloudflareApiTokenSecret]] as const) {
    if (secret === undefined) continue;
    const arn = secret.secretFullArn;
    if (arn === undefined || (!Token.isUnresolved(arn) && !SECRET_ARN.test(arn))) {
      problems.push(
        `${name} was imported without its complete ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:` +
          '<name>-<6 characters>): IAM matches the exact ARN; import it with Secret.fromSecretCompleteArn.',
      );
    }
  }
  for (const [name, key] of [
    ['cloudflareApiTokenSecretEncryptionKey', props.cloudflareApiTokenSecretEncryptionKey ?? props.cloudflareApiTokenSecret?.encryptionKey],
    ['longTermKeysSecretEncryptionKey', props.longTermKeysSecretEncryptionKey],
  ] as const) {
    if (key === undefined) continue;
    const arn = key.keyArn;
    const alias = 'aliasName' in key || (!Token.isUnresolved(arn) && /:alias\//.test(arn));
    if (alias || (!Token.isUnresolved(arn) && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(arn))) {
      problems.push(
        `${name} must be a KMS key (arn:<partition>:kms:<region>:<account>:key/<id>), not an alias or anything ` +
          `else: IAM authorises kms:Decrypt on the key's ARN, and an alias ARN never matches it; got ${Token.isUnresolved(arn) ? 'an alias' : arn}.`,
      );
    }
  }
  if (props.alarmTopic !== undefined && (props.createAlarmTopic || props.alarmEmail !== undefined)) {
    problems.push('alarmTopic uses an existing topic: do not also set createAlarmTopic or alarmEmail.');
  }
  if (props.architecture !== undefined && !['x86_64', 'arm64'].includes(props.architecture)) {
    problems.push(`architecture must be "x86_64" or "arm64"; got "${props.architecture}".`);
  }
  return problems;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
