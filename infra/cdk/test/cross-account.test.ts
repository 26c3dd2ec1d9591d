/**
 * Clusters in other AWS accounts: the rotator renders each such target's signer_role_arn from
 * crossAccountSignerRoles, may assume exactly the roles in use, refuses a cluster elsewhere without a role, and
 * says what the other account must deploy; CrossAccountDsqlSigner is that role, trusting exactly the execution role.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CrossAccountDsqlSigner, CrossAccountDsqlSignerProps } from '../lib';
import { ACCOUNT, ENV, ORDERS_HOST, build, functionEnv, identityStatements, longTermKeys, onlyId, render, synth } from './helpers';

const OTHER = '444455556666';
const OTHER_ROLE = `arn:aws:iam::${OTHER}:role/hyperdrive-dsql-signer-us-east-1`;
const BILLING_HOST = 'billingcluster.dsql.us-west-2.on.aws';
const BILLING_ARN = `arn:aws:dsql:us-west-2:${OTHER}:cluster/billingcluster`;
const LEDGER_HOST = 'ledgercluster.dsql.us-west-2.on.aws';
const LEDGER_ARN = `arn:aws:dsql:us-west-2:${OTHER}:cluster/ledgercluster`;
const TARGETS = [
  { name: 'orders', host: ORDERS_HOST },
  { name: 'billing', host: BILLING_HOST, clusterArn: BILLING_ARN },
  { name: 'ledger', host: LEDGER_HOST, clusterArn: LEDGER_ARN, user: 'ledger_writer' },
];
const TWO_ACCOUNTS = { targets: TARGETS, crossAccountSignerRoles: { [OTHER]: OTHER_ROLE } };

describe('a rotator with clusters in two AWS accounts', () => {
  const { template, rotator } = synth(TWO_ACCOUNTS, { env: ENV });
  const execId = Object.entries<any>(template.findResources('AWS::IAM::Role')).find(
    ([, r]) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'lambda.amazonaws.com',
  )![0];
  const signerId = Object.entries<any>(template.findResources('AWS::IAM::Role')).find(
    ([, r]) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS !== undefined,
  )![0];

  it('gives each target of the other account its signer_role_arn, and the local ones none', () => {
    assert.deepEqual(JSON.parse(functionEnv(template).HYPERDRIVE_TARGETS), [
      { name: 'orders', host: ORDERS_HOST },
      { name: 'billing', host: BILLING_HOST, signer_role_arn: OTHER_ROLE },
      { name: 'ledger', host: LEDGER_HOST, user: 'ledger_writer', signer_role_arn: OTHER_ROLE },
    ]);
    assert.ok(functionEnv(template).SIGNER_ROLE_ARN);
  });

  it('lets the execution role assume exactly the local signer role and the other account\'s role', () => {
    const sts = identityStatements(template).filter((s) => s.actions.includes('sts:AssumeRole'));
    assert.deepEqual(
      sts.map((s) => [s.actions, s.resources]),
      [[['sts:AssumeRole'], [`\${${signerId}.Arn}`, OTHER_ROLE]]],
    );
    const policy = template.findResources('AWS::IAM::Policy')[sts[0].owner];
    assert.deepEqual(policy.Properties.Roles, [{ Ref: execId }]);
  });

  it('keeps the other account\'s clusters out of the local signer role (they would not work there)', () => {
    const local = identityStatements(template).filter((s) => s.owner === signerId && s.effect === 'Allow');
    assert.deepEqual(local.map((s) => s.resources), [
      ['arn:${AWS::Partition}:dsql:us-east-1:${AWS::AccountId}:cluster/abcdefghijklmnopqrstuvwxyz'],
    ]);
  });

  it('revokes (puts its inline policy) on the local signer role only, whose boundary names only local clusters', () => {
    const put = identityStatements(template).filter((s) => s.actions.includes('iam:PutRolePolicy'));
    assert.deepEqual(put.map((s) => s.resources), [[`\${${signerId}.Arn}`]]);
    const boundary = onlyId(template, 'AWS::IAM::ManagedPolicy');
    assert.deepEqual(
      identityStatements(template).filter((s) => s.owner === boundary).map((s) => s.resources),
      [['arn:${AWS::Partition}:dsql:us-east-1:${AWS::AccountId}:cluster/abcdefghijklmnopqrstuvwxyz']],
    );
  });

  it('says what the other account deploys, and which grant the non-admin user needs', () => {
    assert.deepEqual(rotator.crossAccountSigners, [
      { account: OTHER, signerRoleArn: OTHER_ROLE, dbConnectAdminClusterArns: [BILLING_ARN], dbConnectClusterArns: [LEDGER_ARN] },
    ]);
    const outputs = template.findOutputs('*');
    const inputs = Object.entries<any>(outputs).find(([k]) => k.includes(`CrossAccountSignerInputs${OTHER}`))![1];
    assert.equal(
      render(inputs.Value),
      `-c executionRoleArn=\${${execId}.Arn} -c dbConnectAdminClusterArns=${BILLING_ARN} -c dbConnectClusterArns=${LEDGER_ARN}`,
    );
    const grants = Object.entries<any>(outputs).find(([k]) => k.includes('DatabaseGrants'))![1];
    assert.equal(render(grants.Value), `${LEDGER_HOST}: AWS IAM GRANT ledger_writer TO '${OTHER_ROLE}';`);
    const exec = Object.entries<any>(outputs).find(([k]) => k.includes('ExecutionRoleArn'))![1];
    assert.deepEqual(exec.Value, { 'Fn::GetAtt': [execId, 'Arn'] });
  });

  it('refuses a cluster of another account with no signer role there, naming the target and what to deploy', () => {
    assert.throws(
      () => build({ targets: TARGETS }, { env: ENV }),
      (e: Error) =>
        /targets\[1\] "billing": clusterArn is in AWS account 444455556666, not this stack's \(111122223333\)/.test(e.message) &&
        /CrossAccountDsqlSigner/.test(e.message) &&
        /cross-account-signer/.test(e.message) &&
        /crossAccountSignerRoles: \{ "444455556666"/.test(e.message) &&
        /targets\[2\] "ledger"/.test(e.message),
    );
  });

  it('cannot tell another account from its own in an environment-agnostic stack, and says so', () => {
    assert.throws(() => build({ targets: TARGETS }), /environment-agnostic/);
    // With the role given, the account is another one by definition.
    const env = functionEnv(synth(TWO_ACCOUNTS).template);
    assert.match(env.HYPERDRIVE_TARGETS, /signer_role_arn/);
  });

  it('checks the map itself', () => {
    const roles = (r: Record<string, string>) => ({ targets: TARGETS, crossAccountSignerRoles: r });
    assert.throws(() => build(roles({ [OTHER]: OTHER_ROLE, '12': OTHER_ROLE }), { env: ENV }), /key "12" is not an AWS account id/);
    assert.throws(() => build(roles({ [OTHER]: 'arn:aws:iam::444455556666:user/alice' }), { env: ENV }), /is not an IAM role ARN/);
    assert.throws(
      () => build(roles({ [OTHER]: 'arn:aws:iam::777788889999:role/x' }), { env: ENV }),
      /the role arn:aws:iam::777788889999:role\/x is in account 777788889999, not 444455556666/,
    );
    assert.throws(
      () => build(roles({ [OTHER]: OTHER_ROLE, '111122223333': 'arn:aws:iam::111122223333:role/x' }), { env: ENV }),
      /is this stack's own account/,
    );
  });

  it('warns about, and does not grant, a role no target uses', () => {
    const unused = 'arn:aws:iam::777788889999:role/hyperdrive-dsql-signer-us-east-1';
    const { stack, template: t } = synth(
      { ...TWO_ACCOUNTS, crossAccountSignerRoles: { [OTHER]: OTHER_ROLE, '777788889999': unused } },
      { env: ENV },
    );
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('777788889999.*not used'));
    assert.ok(!identityStatements(t).some((s) => s.resources.includes(unused)));
  });

  it('with every cluster elsewhere: no local signer role, a known lifetime even in execution-role mode', () => {
    const remoteOnly = { targets: TARGETS.slice(1), crossAccountSignerRoles: { [OTHER]: OTHER_ROLE } };
    const { template: t } = synth(remoteOnly, { env: ENV });
    t.resourceCountIs('AWS::IAM::Role', 1);
    t.resourceCountIs('AWS::IAM::ManagedPolicy', 0);
    assert.ok(!identityStatements(t).some((s) => s.actions.some((a) => a.startsWith('iam:'))));
    assert.equal(functionEnv(t).SIGNER_ROLE_ARN, undefined);
    assert.equal(functionEnv(t).SIGNER_SESSION_SECONDS, undefined);
    const exec = synth({ ...remoteOnly, signingMode: 'execution-role' }, { env: ENV });
    assert.equal(exec.rotator.schedule.guaranteedLifetimeSeconds, 3600);
    assert.deepEqual(Annotations.fromStack(exec.stack).findWarning('*', Match.stringLikeRegexp('lifetime is unknown')), []);
    assert.equal(identityStatements(exec.template).filter((s) => s.actions.some((a) => a.startsWith('dsql:'))).length, 0);
  });

  it('long-term-keys with a cluster elsewhere: the one-hour role sets the schedule (30 minutes at most)', () => {
    const { rotator } = synth((stack) => ({ ...longTermKeys(stack), ...TWO_ACCOUNTS }), { env: ENV });
    assert.equal(rotator.schedule.guaranteedLifetimeSeconds, 3600);
    assert.equal(rotator.schedule.intervalMinutes, 30);
    assert.throws(
      () => build((stack) => ({ ...longTermKeys(stack), ...TWO_ACCOUNTS, scheduleIntervalMinutes: 1440 }), { env: ENV }),
      /1440 is refused: the cross-account signer role signing guarantees tokens for 3600 s/,
    );
  });

  it('still refuses the accountId-less target when no default Cloudflare account is set', () => {
    assert.throws(() => build({ ...TWO_ACCOUNTS, cloudflareAccountId: undefined }, { env: ENV }), /accountId is not set/);
    assert.doesNotThrow(() =>
      build(
        { ...TWO_ACCOUNTS, cloudflareAccountId: undefined, targets: TARGETS.map((t) => ({ ...t, accountId: ACCOUNT })) },
        { env: ENV },
      ),
    );
  });
});

const EXEC_ROLE = 'arn:aws:iam::111122223333:role/HyperdriveDsqlRotator-RotatorExecutionRoleC0FFEE-AbCdEf123456';

function signerStack(props: Partial<CrossAccountDsqlSignerProps> = {}, env = { account: OTHER, region: 'us-east-1' }) {
  const app = new App();
  const stack = new Stack(app, 'SignerStack', { env });
  const signer = new CrossAccountDsqlSigner(stack, 'Signer', {
    executionRoleArn: EXEC_ROLE,
    dbConnectAdminClusterArns: [BILLING_ARN],
    dbConnectClusterArns: [LEDGER_ARN],
    ...props,
  });
  return { app, stack, signer };
}

describe('CrossAccountDsqlSigner (the role in the other account)', () => {
  const { app, stack } = signerStack();
  const template = Template.fromStack(stack);
  const roleId = onlyId(template, 'AWS::IAM::Role');
  const role = template.findResources('AWS::IAM::Role')[roleId];

  it('trusts exactly the function\'s execution role, for at most one hour, under a name holding the region', () => {
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement, [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: EXEC_ROLE } },
    ]);
    assert.equal(role.Properties.MaxSessionDuration, 3600);
    assert.equal(role.Properties.RoleName, 'hyperdrive-dsql-signer-us-east-1');
  });

  it('may connect as admin and as a role to exactly the given clusters, nowhere outside their regions', () => {
    const statements = identityStatements(template).filter((s) => s.owner === roleId);
    assert.deepEqual(
      statements.map((s) => [s.effect, s.actions, s.resources, s.condition]),
      [
        ['Allow', ['dsql:DbConnectAdmin'], [BILLING_ARN], undefined],
        ['Allow', ['dsql:DbConnect'], [LEDGER_ARN], undefined],
        [
          'Deny',
          ['dsql:DbConnect', 'dsql:DbConnectAdmin'],
          ['arn:${AWS::Partition}:dsql:*:*:cluster/*'],
          { StringNotEquals: { 'aws:RequestedRegion': ['us-west-2'] } },
        ],
      ],
    );
  });

  it('takes a name, a path and a permissions boundary', () => {
    const t = Template.fromStack(
      (() => {
        const app2 = new App();
        const s = new Stack(app2, 'S', { env: { account: OTHER, region: 'eu-west-1' } });
        new CrossAccountDsqlSigner(s, 'Signer', {
          executionRoleArn: EXEC_ROLE,
          dbConnectClusterArns: [LEDGER_ARN],
          roleName: 'rotator-signer',
          rolePath: '/hyperdrive/',
          permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(s, 'B', `arn:aws:iam::${OTHER}:policy/boundary`),
        });
        return s;
      })(),
    );
    t.hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'rotator-signer',
      Path: '/hyperdrive/',
      PermissionsBoundary: `arn:aws:iam::${OTHER}:policy/boundary`,
    });
  });

  it('refuses clusters of another account, an execution role of its own account, and nothing to sign for', () => {
    assert.throws(
      () => signerStack({ dbConnectAdminClusterArns: ['arn:aws:dsql:us-east-1:999999999999:cluster/x'] }),
      /is in account 999999999999, not this stack's \(444455556666\)/,
    );
    assert.throws(
      () => signerStack({ executionRoleArn: `arn:aws:iam::${OTHER}:role/x` }),
      /executionRoleArn is in this stack's account/,
    );
    assert.throws(() => signerStack({ dbConnectAdminClusterArns: [], dbConnectClusterArns: [] }), /at least one cluster ARN/);
    assert.throws(() => signerStack({ executionRoleArn: 'not-an-arn' }), /is not an IAM role ARN/);
  });

  it('passes cdk-nag AwsSolutions with no acknowledgment', () => {
    const result = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
    assert.deepEqual(result.violations.map((v) => v.ruleName), []);
  });
});
