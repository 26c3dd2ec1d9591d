#!/usr/bin/env node
/**
 * Example app: one stack holding one `HyperdriveDsqlRotator`, every input taken from CDK context
 * (`-c targets='[...]'`, or cdk.json) or else from an `HDR_`-prefixed environment variable (`HDR_TARGETS`).
 * The cdk-nag AwsSolutions checks run on every synth: an unsuppressed finding fails it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DEFAULT_CODE_DIR,
  HyperdriveDsqlRotator,
  HyperdriveDsqlRotatorProps,
  HyperdriveTarget,
  SigningMode,
} from '../lib';

const app = new App();

/** Context key `fooBar`, else environment variable `HDR_FOO_BAR`; undefined when neither is set or it is empty. */
function input(key: string): unknown {
  const fromContext = app.node.tryGetContext(key);
  if (fromContext !== undefined && fromContext !== '') return fromContext;
  const envName = `HDR_${key.replace(/([A-Z])/g, '_$1').toUpperCase()}`;
  const fromEnv = process.env[envName];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function text(key: string): string | undefined {
  const value = input(key);
  return value === undefined ? undefined : String(value);
}

function num(key: string): number | undefined {
  const value = input(key);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`${key} must be a number; got "${value}".`);
  return parsed;
}

function bool(key: string): boolean | undefined {
  const value = input(key);
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new Error(`${key} must be true or false; got "${value}".`);
}

function targets(): HyperdriveTarget[] {
  const value = input('targets');
  if (value === undefined) {
    throw new Error(
      'No targets: pass -c targets=\'[{"name":"my-config","host":"<cluster-id>.dsql.<region>.on.aws"}]\' ' +
        'or set HDR_TARGETS to that JSON.',
    );
  }
  const parsed = typeof value === 'string' ? JSON.parse(value) : value;
  if (!Array.isArray(parsed)) throw new Error('targets must be a JSON array of { name, host, ... } objects.');
  return parsed as HyperdriveTarget[];
}

function code(): lambda.Code {
  const dir = text('codePath') ?? DEFAULT_CODE_DIR;
  if (!fs.existsSync(path.join(dir, 'bootstrap'))) {
    throw new Error(
      `No bootstrap binary in ${dir}: run \`cargo lambda build --release\` at the repository root first ` +
        '(or point codePath / HDR_CODE_PATH at a directory holding the bootstrap).',
    );
  }
  return lambda.Code.fromAsset(dir);
}

const props: HyperdriveDsqlRotatorProps = {
  targets: targets(),
  cloudflareAccountId: text('cloudflareAccountId'),
  cloudflareApiTokenSecretArn: text('cloudflareApiTokenSecretArn'),
  cloudflareApiTokenSecretKey: text('cloudflareApiTokenSecretKey'),
  kmsKeyArn: text('kmsKeyArn'),
  signingMode: text('signingMode') as SigningMode | undefined,
  tokenTtlSeconds: num('tokenTtlSeconds'),
  signerSessionSeconds: num('signerSessionSeconds'),
  longTermKeysSecretArn: text('longTermKeysSecretArn'),
  scheduleIntervalMinutes: num('scheduleIntervalMinutes'),
  restrictToClusterRegions: bool('restrictToClusterRegions'),
  maxConcurrency: num('maxConcurrency'),
  dryRun: bool('dryRun'),
  functionName: text('functionName'),
  architecture: text('architecture') as 'x86_64' | 'arm64' | undefined,
  code: code(),
  logRetentionDays: num('logRetentionDays'),
  alarmTopicArn: text('alarmTopicArn'),
  createAlarmTopic: bool('createAlarmTopic'),
  alarmEmail: text('alarmEmail'),
};

const stack = new Stack(app, text('stackName') ?? 'HyperdriveDsqlRotator', {
  description: 'hyperdrive-dsql-rotator: keeps Cloudflare Hyperdrive configs supplied with Aurora DSQL auth tokens',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
new HyperdriveDsqlRotator(stack, 'Rotator', props);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
