/**
 * cdk-nag AwsSolutions over every shape of the stack: nothing left unacknowledged, and every acknowledgment is
 * both needed (the rule fires without it) and justified (its reason says why).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ENV, ORDERS_HOST, PropsOf, TOKEN_SECRET_ARN, existing, longTermKeys, synth } from './helpers';

const OTHER = '444455556666';

const VARIANTS: Record<string, { props: PropsOf; env?: typeof ENV }> = {
  'signer-role, created secret, no topic': { props: {} },
  'signer-role, created topic with email, arm64': { props: { alarmEmail: 'ops@example.com', architecture: 'arm64' } },
  'existing secret, KMS key, existing topic': {
    props: (stack: Stack) => ({
      cloudflareApiTokenSecret: existing(stack).secret,
      cloudflareApiTokenSecretEncryptionKey: existing(stack).key,
      alarmTopic: existing(stack).topic,
    }),
  },
  'long-term-keys, a key per secret': {
    props: (stack: Stack) => ({ ...longTermKeys(stack), longTermKeysSecretEncryptionKey: existing(stack).keysKey }),
  },
  'fleet: 200 targets in a layer, a token secret per account, mtls': {
    props: (stack: Stack) => ({
      cloudflareAccountId: undefined,
      targets: Array.from({ length: 200 }, (_, i) => ({
        name: `db-${i}`,
        host: ORDERS_HOST,
        accountId: `${'0'.repeat(31)}${i % 2}`,
        mtls: { sslmode: 'verify-full' as const, caCertificateId: 'ca-1' },
      })),
      cloudflareApiTokenSecrets: {
        [`${'0'.repeat(31)}0`]: existing(stack).secret,
        [`${'0'.repeat(31)}1`]: secretsmanager.Secret.fromSecretCompleteArn(stack, 'S2', `${TOKEN_SECRET_ARN.slice(0, -6)}GhIjKl`),
      },
    }),
  },
  'long-term-keys, existing token secret, boundary, path': {
    props: (stack: Stack) => ({
      ...longTermKeys(stack),
      cloudflareApiTokenSecret: existing(stack).secret,
      permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(stack, 'B', 'arn:aws:iam::111122223333:policy/boundary'),
      rolePath: '/hyperdrive/',
    }),
  },
  'execution-role, no region deny': { props: { signingMode: 'execution-role', restrictToClusterRegions: false } },
  'two accounts, non-admin users, boundary, path, memory, timeout, reserved concurrency': {
    env: ENV,
    props: (stack: Stack) => ({
      targets: [
        { name: 'orders', host: ORDERS_HOST, user: 'orders_app' },
        { name: 'billing', host: 'billingcluster.dsql.us-west-2.on.aws', clusterArn: `arn:aws:dsql:us-west-2:${OTHER}:cluster/billingcluster`, user: 'billing_app' },
      ],
      crossAccountSignerRoles: { [OTHER]: `arn:aws:iam::${OTHER}:role/hyperdrive-dsql-signer-us-east-1` },
      permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(stack, 'B', 'arn:aws:iam::111122223333:policy/boundary'),
      rolePath: '/hyperdrive/',
      memorySize: 256,
      timeout: Duration.seconds(120),
      reservedConcurrentExecutions: 1,
      alarmEmail: 'ops@example.com',
    }),
  },
};

/** Rule ids acknowledged anywhere in the tree, with their reasons. */
function acknowledgments(root: IConstruct): Map<string, string> {
  const out = new Map<string, string>();
  for (const node of root.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.set(id.replace(/^annotation::/i, ''), reason);
      }
    }
  }
  return out;
}

describe('cdk-nag AwsSolutions', () => {
  for (const [name, { props, env }] of Object.entries(VARIANTS)) {
    it(`${name}: no finding left`, () => {
      const { app } = synth(props, { env });
      const result = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
      assert.deepEqual(
        result.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`),
        [],
      );
      assert.equal(result.success, true);
    });

    it(`${name}: each acknowledgment is needed and says why`, () => {
      const { app } = synth(props, { env });
      const acknowledged = acknowledgments(app);
      const blind = new AwsSolutionsChecks(undefined, { verbose: false });
      (blind as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
      const fired = blind.validateScope(app).violations.map((v) => v.ruleName);
      assert.deepEqual([...acknowledged.keys()].sort(), [...new Set(fired)].sort());
      for (const [id, reason] of acknowledged) {
        assert.ok(reason.length >= 80, `${id}: the reason "${reason}" is too short to say why`);
      }
    });
  }

  it('acknowledges exactly the expected rules, each where it belongs', () => {
    const created = acknowledgments(synth({ alarmEmail: 'ops@example.com' }).app);
    assert.deepEqual([...created.keys()].sort(), ['AwsSolutions-SMG4', 'AwsSolutions-SQS3']);
    const existingOnes = acknowledgments(synth(VARIANTS['existing secret, KMS key, existing topic'].props).app);
    assert.deepEqual([...existingOnes.keys()].sort(), ['AwsSolutions-SQS3']);
  });

  it('passes the rotation rule (SMG4) for the signer keys secret without an acknowledgment: it is rotated', () => {
    const { app } = synth(VARIANTS['long-term-keys, existing token secret, boundary, path'].props);
    assert.deepEqual([...acknowledgments(app).keys()], ['AwsSolutions-SQS3']);
    const blind = new AwsSolutionsChecks(undefined, { verbose: false });
    (blind as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    assert.deepEqual(blind.validateScope(app).violations.filter((v) => v.ruleName === 'AwsSolutions-SMG4'), []);
    // With the created token secret, SMG4 fires for that one only (acknowledged: a Cloudflare token has no rotation).
    const both = synth(VARIANTS['long-term-keys, a key per secret'].props).app;
    const smg4 = blind.validateScope(both).violations.filter((v) => v.ruleName === 'AwsSolutions-SMG4');
    assert.deepEqual(
      smg4.flatMap((v) => v.violatingResources.map((r) => r.constructPath)),
      ['TestStack/Rotator/CloudflareApiToken'],
    );
  });
});
