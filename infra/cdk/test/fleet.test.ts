/**
 * Fleet inputs (issue 10): a target's mtls passed through, a token secret per Cloudflare account (granted exactly,
 * the default secret created only when some account has none), and 200 targets shipped as a layer file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Stack } from 'aws-cdk-lib';
import { HyperdriveTarget, TARGETS_FILE_PATH } from '../lib';
import { ORDERS_HOST, Json, build, identityStatements, synth } from './helpers';

const A1 = '00000000000000000000000000000001';
const A2 = '00000000000000000000000000000002';
const S1 = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:cf/team-1-AbCdEf';
const S2 = 'arn:aws:secretsmanager:us-east-1:444455556666:secret:cf/team-2-GhIjKl';
const K2 = 'arn:aws:kms:us-east-1:444455556666:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012';
const TWO_ACCOUNTS: HyperdriveTarget[] = [
  { name: 'orders', host: ORDERS_HOST, accountId: A1 },
  { name: 'reports', host: ORDERS_HOST, accountId: A2, user: 'reader', mtls: { sslmode: 'verify-full', caCertificateId: 'ca-1' } },
];
/** 200 targets in 40 accounts (5 each), each verifying the cluster's certificate. */
const FLEET: HyperdriveTarget[] = Array.from({ length: 200 }, (_, i) => ({
  name: `db-${String(i).padStart(3, '0')}`,
  host: ORDERS_HOST,
  user: 'app',
  accountId: `${'0'.repeat(30)}${String(Math.floor(i / 5)).padStart(2, '0')}`,
  mtls: { sslmode: 'verify-full', caCertificateId: '12345678-aaaa-bbbb-cccc-1234567890ab' },
}));

const env = (template: Json): Record<string, Json> =>
  Object.values<Json>(template.findResources('AWS::Lambda::Function'))[0].Properties.Environment.Variables;
const secretReads = (template: Json) =>
  identityStatements(template).filter((s) => s.actions.includes('secretsmanager:GetSecretValue')).map((s) => s.resources);

describe('mtls', () => {
  it('is passed through in the function\'s snake_case', () => {
    const { template } = synth({ targets: TWO_ACCOUNTS, cloudflareAccountId: undefined });
    const targets = JSON.parse(env(template).HYPERDRIVE_TARGETS);
    assert.deepEqual(targets[1].mtls, { sslmode: 'verify-full', ca_certificate_id: 'ca-1' });
  });

  it('warns (does not refuse) a verify mode without a CA certificate', () => {
    const { stack } = synth({ targets: [{ name: 'orders', host: ORDERS_HOST, mtls: { sslmode: 'verify-ca' } }] });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('mtls.sslmode "verify-ca" without caCertificateId'));
  });
});

describe('a token secret per Cloudflare account', () => {
  const withSecrets = (stack: Stack) => ({
    targets: TWO_ACCOUNTS,
    cloudflareAccountId: undefined,
    cloudflareApiTokenSecrets: {
      [A1]: secretsmanager.Secret.fromSecretCompleteArn(stack, 'S1', S1),
      [A2]: secretsmanager.Secret.fromSecretAttributes(stack, 'S2', {
        secretCompleteArn: S2,
        encryptionKey: kms.Key.fromKeyArn(stack, 'K2', K2),
      }),
    },
  });

  it('is rendered as CLOUDFLARE_API_TOKEN_SECRET_IDS, exactly those secrets are readable, no default secret', () => {
    const { template } = synth(withSecrets);
    assert.deepEqual(JSON.parse(env(template).CLOUDFLARE_API_TOKEN_SECRET_IDS), { [A1]: S1, [A2]: S2 });
    assert.equal(env(template).CLOUDFLARE_API_TOKEN_SECRET_ID, undefined);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    assert.deepEqual(secretReads(template), [[S1, S2]]);
    const kmsStatements = identityStatements(template).filter((s) => s.actions.includes('kms:Decrypt'));
    assert.deepEqual(
      kmsStatements.map((s) => [s.resources, s.condition]),
      [[[K2], { StringEquals: { 'kms:ViaService': ['secretsmanager.us-east-1.amazonaws.com'], 'kms:EncryptionContext:SecretARN': [S2] } }]],
    );
    assert.doesNotMatch(JSON.stringify(template.toJSON().Outputs ?? {}), /CloudflareApiTokenSecretArn/);
  });

  it('keeps the created default secret for accounts without their own', () => {
    const { template } = synth((stack) => ({
      targets: TWO_ACCOUNTS,
      cloudflareAccountId: undefined,
      cloudflareApiTokenSecrets: { [A2]: secretsmanager.Secret.fromSecretCompleteArn(stack, 'S2', S2) },
    }));
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const created = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
    assert.deepEqual(secretReads(template), [[`\${${created}}`, S2]]);
    assert.deepEqual(JSON.parse(env(template).CLOUDFLARE_API_TOKEN_SECRET_IDS), { [A2]: S2 });
  });

  it('in long-term-keys mode, reads the per-account secrets and the keys secret, with no default secret', () => {
    const { template } = synth((stack) => ({ ...withSecrets(stack), signingMode: 'long-term-keys' as const }));
    template.resourceCountIs('AWS::SecretsManager::Secret', 1); // the keys secret only
    const keys = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
    assert.equal(env(template).CLOUDFLARE_API_TOKEN_SECRET_ID, undefined);
    assert.deepEqual(JSON.parse(env(template).CLOUDFLARE_API_TOKEN_SECRET_IDS), { [A1]: S1, [A2]: S2 });
    assert.deepEqual(env(template).SIGNER_CREDENTIALS_SECRET_ID, { Ref: keys });
    // The read grant, then the rotation function's own grant on the keys secret.
    assert.deepEqual(secretReads(template), [[S1, S2, `\${${keys}}`], [`\${${keys}}`]]);
    const kmsStatements = identityStatements(template).filter((s) => s.actions.includes('kms:Decrypt'));
    assert.deepEqual(kmsStatements.map((s) => [s.resources, s.condition?.StringEquals['kms:EncryptionContext:SecretARN']]), [[[K2], [S2]]]);
    assert.doesNotMatch(JSON.stringify(template.toJSON().Outputs ?? {}), /CloudflareApiTokenSecretArn/);
  });

  it('refuses a key that is not an account id, and an account no target uses', () => {
    assert.throws(
      () => build((stack) => ({
        targets: TWO_ACCOUNTS,
        cloudflareAccountId: undefined,
        cloudflareApiTokenSecrets: {
          'team-1': secretsmanager.Secret.fromSecretCompleteArn(stack, 'S1', S1),
          ['f'.repeat(32)]: secretsmanager.Secret.fromSecretCompleteArn(stack, 'S2', S2),
        },
      })),
      (e: Error) =>
        /cloudflareApiTokenSecrets\["team-1"\]: the key is not a Cloudflare account ID/.test(e.message) &&
        /cloudflareApiTokenSecrets\["f{32}"\]: no target is in this Cloudflare account/.test(e.message),
    );
  });
});

describe('200 targets', () => {
  it('ship as /opt/hyperdrive-targets.json in a layer built at synth, not in the environment', () => {
    const { template, app, rotator } = synth({ targets: FLEET, cloudflareAccountId: undefined });
    const variables = env(template);
    assert.equal(variables.HYPERDRIVE_TARGETS_FILE, TARGETS_FILE_PATH);
    assert.equal(variables.HYPERDRIVE_TARGETS, undefined);
    assert.ok(JSON.stringify(variables).length < 3000);
    template.resourceCountIs('AWS::Lambda::LayerVersion', 1);
    const layerId = Object.keys(template.findResources('AWS::Lambda::LayerVersion'))[0];
    const fn = Object.values<Json>(template.findResources('AWS::Lambda::Function'))[0];
    assert.deepEqual(fn.Properties.Layers, [{ Ref: layerId }]);
    // The layer's asset holds the 200 targets as the function reads them.
    const asm = app.synth();
    const key: string = Object.values<Json>(template.findResources('AWS::Lambda::LayerVersion'))[0].Properties.Content.S3Key;
    const assetDir = path.join(asm.directory, `asset.${key.replace(/\.zip$/, '')}`);
    const file = JSON.parse(fs.readFileSync(path.join(assetDir, 'hyperdrive-targets.json'), 'utf8'));
    assert.equal(file.length, 200);
    assert.deepEqual(file[7], {
      name: 'db-007',
      host: ORDERS_HOST,
      user: 'app',
      account_id: `${'0'.repeat(30)}01`,
      mtls: { sslmode: 'verify-full', ca_certificate_id: '12345678-aaaa-bbbb-cccc-1234567890ab' },
    });
    assert.ok(rotator.targetsLayer);
  });

  it('are still validated, each one', () => {
    const bad = [...FLEET, { name: 'db-200', host: ORDERS_HOST, accountId: FLEET[0].accountId, mtls: { sslmode: 'disable' } }];
    assert.throws(
      () => build({ targets: bad as never, cloudflareAccountId: undefined }),
      /targets\[200\] "db-200": mtls.sslmode "disable" is not an SSL mode/,
    );
  });

  it('keep a small fleet in the environment (no layer)', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::Lambda::LayerVersion', 0);
    assert.ok(env(template).HYPERDRIVE_TARGETS);
  });
});
