#!/usr/bin/env node
/**
 * Example app: one stack holding one `HyperdriveDsqlRotator`, every input taken from CDK context
 * (`-c targets='[...]'`, or cdk.json) or else from an `HDR_`-prefixed environment variable (`HDR_TARGETS`).
 * Existing resources are given by ARN and imported (secrets by complete ARN, keys, topic, permissions boundary).
 * The cdk-nag AwsSolutions checks run on every synth: an unsuppressed finding fails it.
 * The signer role for clusters in another AWS account is a separate app: bin/cross-account-signer.ts.
 */
import { App, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HyperdriveDsqlRotator, HyperdriveDsqlRotatorProps, HyperdriveTarget, SigningMode } from '../lib';
import { bool, input, json, num, text } from './inputs';

const app = new App();
const stack = new Stack(app, text(app, 'stackName') ?? 'HyperdriveDsqlRotator', {
  description: 'hyperdrive-dsql-rotator: keeps Cloudflare Hyperdrive configs supplied with Aurora DSQL auth tokens',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

function targets(): HyperdriveTarget[] {
  if (input(app, 'targets') === undefined) {
    throw new Error(
      'No targets: pass -c targets=\'[{"name":"my-config","host":"<cluster-id>.dsql.<region>.on.aws"}]\' ' +
        'or set HDR_TARGETS to that JSON.',
    );
  }
  // Not cast field by field: the construct validates the whole value (unknown fields and wrong types included).
  return json(app, 'targets') as HyperdriveTarget[];
}

function secret(key: string): secretsmanager.ISecret | undefined {
  const arn = text(app, key);
  return arn === undefined ? undefined : secretsmanager.Secret.fromSecretCompleteArn(stack, key, arn);
}

/** `cloudflareApiTokenSecretArns`: JSON account id => complete secret ARN, with `cloudflareApiTokenSecretKmsKeyArns`. */
function tokenSecrets(): Record<string, secretsmanager.ISecret> | undefined {
  const arns = json(app, 'cloudflareApiTokenSecretArns') as Record<string, string> | undefined;
  if (arns === undefined) return undefined;
  const keys = (json(app, 'cloudflareApiTokenSecretKmsKeyArns') ?? {}) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(arns).map(([account, arn]) => [
      account,
      secretsmanager.Secret.fromSecretAttributes(stack, `CloudflareApiTokenSecret-${account}`, {
        secretCompleteArn: arn,
        encryptionKey: keys[account] === undefined ? undefined : kms.Key.fromKeyArn(stack, `CloudflareApiTokenKey-${account}`, keys[account]),
      }),
    ]),
  );
}

function kmsKey(key: string): kms.IKey | undefined {
  const arn = text(app, key);
  return arn === undefined ? undefined : kms.Key.fromKeyArn(stack, key, arn);
}

function removalPolicy(key: string): RemovalPolicy | undefined {
  const value = text(app, key);
  if (value === undefined) return undefined;
  if (value !== 'retain' && value !== 'destroy') throw new Error(`${key} must be retain or destroy; got "${value}".`);
  return value === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

if (input(app, 'longTermKeysSecretArn') !== undefined) {
  throw new Error(
    'longTermKeysSecretArn is no longer an input: in long-term-keys mode the stack creates the signer IAM user and its ' +
      'keys secret (empty; the first rotation puts the first key in). Remove it.',
  );
}
const timeoutSeconds = num(app, 'timeoutSeconds');
const boundary = text(app, 'permissionsBoundaryArn');
const topicArn = text(app, 'alarmTopicArn');
const props: HyperdriveDsqlRotatorProps = {
  targets: targets(),
  crossAccountSignerRoles: json(app, 'crossAccountSignerRoles') as Record<string, string> | undefined,
  cloudflareAccountId: text(app, 'cloudflareAccountId'),
  cloudflareApiTokenSecret: secret('cloudflareApiTokenSecretArn'),
  cloudflareApiTokenSecretEncryptionKey: kmsKey('cloudflareApiTokenSecretKmsKeyArn'),
  cloudflareApiTokenSecretKey: text(app, 'cloudflareApiTokenSecretKey'),
  cloudflareApiTokenSecrets: tokenSecrets(),
  signingMode: text(app, 'signingMode') as SigningMode | undefined,
  tokenTtlSeconds: num(app, 'tokenTtlSeconds'),
  signerSessionSeconds: num(app, 'signerSessionSeconds'),
  longTermKeysSecretEncryptionKey: kmsKey('longTermKeysSecretKmsKeyArn'),
  signerKeysRotationDays: num(app, 'signerKeysRotationDays'),
  scheduleIntervalMinutes: num(app, 'scheduleIntervalMinutes'),
  restrictToClusterRegions: bool(app, 'restrictToClusterRegions'),
  maxConcurrency: num(app, 'maxConcurrency'),
  dryRun: bool(app, 'dryRun'),
  functionName: text(app, 'functionName'),
  architecture: text(app, 'architecture') as 'x86_64' | 'arm64' | undefined,
  // The release zip (hyperdrive-dsql-rotator-<version>-<arch>.zip) or a directory holding bootstrap; default: the
  // cargo lambda build output of this clone.
  codePath: text(app, 'codePath'),
  memorySize: num(app, 'memorySize'),
  timeout: timeoutSeconds === undefined ? undefined : Duration.seconds(timeoutSeconds),
  reservedConcurrentExecutions: num(app, 'reservedConcurrentExecutions'),
  permissionsBoundary:
    boundary === undefined ? undefined : iam.ManagedPolicy.fromManagedPolicyArn(stack, 'PermissionsBoundary', boundary),
  rolePath: text(app, 'rolePath'),
  logRetentionDays: num(app, 'logRetentionDays'),
  logGroupRemovalPolicy: removalPolicy('logGroupRemovalPolicy'),
  alarmTopic: topicArn === undefined ? undefined : sns.Topic.fromTopicArn(stack, 'AlarmTopic', topicArn),
  createAlarmTopic: bool(app, 'createAlarmTopic'),
  alarmEmail: text(app, 'alarmEmail'),
  darkSoonThresholdSeconds: num(app, 'darkSoonThresholdSeconds'),
  cloudflareTokenAlarmDays: num(app, 'cloudflareTokenAlarmDays'),
  createDashboard: bool(app, 'createDashboard'),
};

new HyperdriveDsqlRotator(stack, 'Rotator', props);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
