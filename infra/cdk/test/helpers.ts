/** Test scaffolding: a stack synthesized around a dummy bootstrap, and readers for its IAM statements. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
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
export const KEYS_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:dsql-signer-keys-GhIjKl';

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

/** Builds a stack with BASE_PROPS overridden by `props`, the code being a dummy bootstrap. */
export function synth(props: Partial<HyperdriveDsqlRotatorProps> = {}): Synth {
  counter += 1;
  const app = new App({ outdir: path.join(workDir, `out-${counter}`) });
  const stack = new Stack(app, 'TestStack');
  const rotator = new HyperdriveDsqlRotator(stack, 'Rotator', {
    ...BASE_PROPS,
    code: lambda.Code.fromAsset(codeDir),
    ...props,
  });
  return { app, stack, rotator, template: Template.fromStack(stack) };
}

/** Only builds the construct (for props that must throw before synthesis). */
export function build(props: Partial<HyperdriveDsqlRotatorProps>): HyperdriveDsqlRotator {
  const app = new App({ outdir: path.join(workDir, `out-build-${++counter}`) });
  const stack = new Stack(app, 'TestStack');
  return new HyperdriveDsqlRotator(stack, 'Rotator', { ...BASE_PROPS, code: lambda.Code.fromAsset(codeDir), ...props });
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
