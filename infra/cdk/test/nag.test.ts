/**
 * cdk-nag AwsSolutions over every shape of the stack: nothing left unacknowledged, and every acknowledgment is
 * both needed (the rule fires without it) and justified (its reason says why).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { KEYS_SECRET_ARN, TOKEN_SECRET_ARN, synth } from './helpers';

const KMS_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012';

const VARIANTS = {
  'signer-role, created secret, no topic': {},
  'signer-role, created topic with email, arm64': { alarmEmail: 'ops@example.com', architecture: 'arm64' as const },
  'existing secret, KMS key, existing topic': {
    cloudflareApiTokenSecretArn: TOKEN_SECRET_ARN,
    kmsKeyArn: KMS_KEY_ARN,
    alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:ops-alarms',
  },
  'long-term-keys': { signingMode: 'long-term-keys' as const, longTermKeysSecretArn: KEYS_SECRET_ARN },
  'execution-role, no region deny': { signingMode: 'execution-role' as const, restrictToClusterRegions: false },
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
  for (const [name, props] of Object.entries(VARIANTS)) {
    it(`${name}: no finding left`, () => {
      const { app } = synth(props);
      const result = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(app);
      assert.deepEqual(
        result.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`),
        [],
      );
      assert.equal(result.success, true);
    });

    it(`${name}: each acknowledgment is needed and says why`, () => {
      const { app } = synth(props);
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
    const existing = acknowledgments(synth(VARIANTS['existing secret, KMS key, existing topic']).app);
    assert.deepEqual([...existing.keys()].sort(), ['AwsSolutions-SQS3']);
  });
});
