/** Test scaffolding: a stack synthesized around a dummy bootstrap, and readers for its IAM statements. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { HyperdriveDsqlRotator, HyperdriveDsqlRotatorProps } from '../lib';

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hdr-cdk-test-'));
const codeDir = path.join(workDir, 'code');
fs.mkdirSync(codeDir);
fs.writeFileSync(path.join(codeDir, 'bootstrap'), '#!/bin/sh\n# stand-in for the cargo lambda build output\n');
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

export const ORDERS_HOST = 'abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws';
export const REPORTS_HOST = 'zyxwvutsrqponmlkjihgfedcba.dsql.eu-west-1.on.aws';
export const ACCOUNT = '0123456789abcdef0123456789abcdef';
export const TOKEN_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token-AbCdEf';
export const KMS_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012';
export const KEYS_KMS_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/9f8e7d6c-dddd-eeee-ffff-210987654321';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:ops-alarms';
/** The account of the env-specific test stacks (synth with `{ env: ENV }`). */
export const AWS_ACCOUNT = '111122223333';
export const ENV = { account: AWS_ACCOUNT, region: 'us-east-1' };

export const BASE_PROPS: HyperdriveDsqlRotatorProps = {
  cloudflareAccountId: ACCOUNT,
  targets: [
    { name: 'orders', host: ORDERS_HOST },
    { name: 'reports', host: REPORTS_HOST, user: 'reader' },
  ],
};

let counter = 0;

export interface Synth {
  readonly app: App;
  readonly stack: Stack;
  readonly rotator: HyperdriveDsqlRotator;
  readonly template: Template;
}

/** Props, or a function of the stack giving them (for imported resources, which need a scope). */
export type PropsOf = Partial<HyperdriveDsqlRotatorProps> | ((stack: Stack) => Partial<HyperdriveDsqlRotatorProps>);

/** Builds a stack with BASE_PROPS overridden by `props`, the code being a dummy bootstrap. */
export function synth(props: PropsOf = {}, stackProps: StackProps = {}): Synth {
  const { app, stack, rotator } = make(props, stackProps);
  return { app, stack, rotator, template: Template.fromStack(stack) };
}

/** Only builds the construct (for props that must throw before synthesis). */
export function build(props: PropsOf, stackProps: StackProps = {}): HyperdriveDsqlRotator {
  return make(props, stackProps).rotator;
}

function make(props: PropsOf, stackProps: StackProps) {
  counter += 1;
  const app = new App({ outdir: path.join(workDir, `out-${counter}`) });
  const stack = new Stack(app, 'TestStack', stackProps);
  const own = typeof props === 'function' ? props(stack) : props;
  const rotator = new HyperdriveDsqlRotator(stack, 'Rotator', {
    ...BASE_PROPS,
    code: lambda.Code.fromAsset(codeDir),
    ...own,
  });
  return { app, stack, rotator };
}

const imported = new WeakMap<Stack, ReturnType<typeof importInto>>();

/** The existing secrets, KMS keys and topic of a real organisation, imported into `stack` (once per stack). */
export function existing(stack: Stack): ReturnType<typeof importInto> {
  if (!imported.has(stack)) imported.set(stack, importInto(stack));
  return imported.get(stack)!;
}

function importInto(stack: Stack) {
  return {
    secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'TokenSecret', TOKEN_SECRET_ARN),
    key: kms.Key.fromKeyArn(stack, 'TokenKey', KMS_KEY_ARN),
    keysKey: kms.Key.fromKeyArn(stack, 'KeysKey', KEYS_KMS_KEY_ARN),
    topic: sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN),
  };
}

/** long-term-keys mode (the construct creates the signer user and its keys secret). */
export const longTermKeys = (_stack?: Stack): Partial<HyperdriveDsqlRotatorProps> => ({ signingMode: 'long-term-keys' });

/** A directory for a test's own files (removed after the tests). */
export function scratchDir(name: string): string {
  const dir = path.join(workDir, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Renders an intrinsic as a readable string: Fn::Join flattened, Ref as ${Name}, GetAtt as ${Name.Attr}. */
export function render(value: Json): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    if ('Ref' in value) return `\${${value.Ref}}`;
    if ('Fn::GetAtt' in value) return `\${${value['Fn::GetAtt'].join('.')}}`;
    if ('Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'];
      return (parts as Json[]).map(render).join(sep);
    }
  }
  return JSON.stringify(value);
}

export interface Statement {
  readonly owner: string;
  readonly sid?: string;
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly condition?: Json;
  readonly principal?: Json;
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function statementsOf(owner: string, document: Json): Statement[] {
  return asArray<Json>(document?.Statement).map((s) => ({
    owner,
    sid: s.Sid,
    effect: s.Effect,
    actions: asArray<string>(s.Action),
    resources: asArray<Json>(s.Resource).map(render),
    condition: s.Condition,
    principal: s.Principal,
  }));
}

/** Every identity-policy statement in the template: inline role policies, policies and managed policies. */
export function identityStatements(template: Template): Statement[] {
  const out: Statement[] = [];
  for (const [id, role] of Object.entries<Json>(template.findResources('AWS::IAM::Role'))) {
    for (const policy of asArray<Json>(role.Properties.Policies)) out.push(...statementsOf(id, policy.PolicyDocument));
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, policy] of Object.entries<Json>(template.findResources(type))) {
      out.push(...statementsOf(id, policy.Properties.PolicyDocument));
    }
  }
  return out;
}

/** Logical id of the only resource of a type. */
export function onlyId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
}

export function functionEnv(template: Template): Record<string, Json> {
  const fn = Object.values<Json>(template.findResources('AWS::Lambda::Function'))[0];
  return fn.Properties.Environment.Variables;
}
