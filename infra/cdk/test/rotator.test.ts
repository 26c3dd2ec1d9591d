/** The synthesized template of HyperdriveDsqlRotator, property by property. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DEFAULT_CODE_DIR } from '../lib';
import {
  ACCOUNT,
  KEYS_KMS_KEY_ARN,
  KMS_KEY_ARN,
  ORDERS_HOST,
  REPORTS_HOST,
  TOKEN_SECRET_ARN,
  TOPIC_ARN,
  build,
  existing,
  functionEnv,
  identityStatements,
  longTermKeys,
  onlyId,
  render,
  scratchDir,
  synth,
} from './helpers';

const ORDERS_ARN = 'arn:${AWS::Partition}:dsql:us-east-1:${AWS::AccountId}:cluster/abcdefghijklmnopqrstuvwxyz';
const REPORTS_ARN = 'arn:${AWS::Partition}:dsql:eu-west-1:${AWS::AccountId}:cluster/zyxwvutsrqponmlkjihgfedcba';

describe('the function', () => {
  const { template } = synth();

  it('runs the cargo-lambda bootstrap on provided.al2023, x86_64, 128 MB, 300 s, JSON logs, no reserved concurrency', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: ['x86_64'],
      MemorySize: 128,
      Timeout: 300,
      ReservedConcurrentExecutions: Match.absent(),
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: onlyId(template, 'AWS::Logs::LogGroup') } },
    });
  });

  it('takes memory, timeout, reserved concurrency and arm64 when asked', () => {
    synth({
      architecture: 'arm64',
      memorySize: 256,
      timeout: Duration.seconds(120),
      reservedConcurrentExecutions: 1,
    }).template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 120,
      ReservedConcurrentExecutions: 1,
    });
    assert.throws(() => build({ memorySize: 64 }), /memorySize must be/);
    assert.throws(() => build({ timeout: Duration.minutes(16) }), /timeout \(seconds\) must be/);
    assert.throws(() => build({ reservedConcurrentExecutions: -2 }), /reservedConcurrentExecutions must be/);
    synth({ reservedConcurrentExecutions: -1 }).template.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it('logs to its own log group, kept 30 days by default or as long as asked, retained with the stack by default', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    synth({ logRetentionDays: 90 }).template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    synth({ logGroupRemovalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Delete',
    });
    assert.throws(() => build({ logRetentionDays: 31 }), /logRetentionDays must be one of/);
  });

  it('gets its settings from the environment, with no secret value in it', () => {
    const env = functionEnv(template);
    assert.deepEqual(Object.keys(env).sort(), [
      'CLOUDFLARE_ACCOUNT_ID',
      'CLOUDFLARE_API_TOKEN_SECRET_ID',
      'HYPERDRIVE_TARGETS',
      'SIGNER_ROLE_ARN',
      'SIGNER_SESSION_SECONDS',
      'TOKEN_TTL_SECONDS',
    ]);
    assert.equal(env.CLOUDFLARE_ACCOUNT_ID, ACCOUNT);
    assert.equal(render(env.CLOUDFLARE_API_TOKEN_SECRET_ID), `\${${onlyId(template, 'AWS::SecretsManager::Secret')}}`);
    assert.deepEqual(JSON.parse(env.HYPERDRIVE_TARGETS), [
      { name: 'orders', host: ORDERS_HOST },
      { name: 'reports', host: REPORTS_HOST, user: 'reader' },
    ]);
    assert.equal(env.TOKEN_TTL_SECONDS, '604800');
    assert.equal(env.SIGNER_SESSION_SECONDS, '3600');
    assert.equal(render(env.SIGNER_ROLE_ARN), `\${${signerRoleId(template)}.Arn}`);
    assert.equal(env.AWS_LAMBDA_LOG_FORMAT, undefined);
  });

  it('passes every target field, in the snake_case the function reads, and the optional settings', () => {
    const env = functionEnv(
      synth({
        cloudflareAccountId: undefined,
        cloudflareApiTokenSecretKey: 'token',
        tokenTtlSeconds: 3600,
        signerSessionSeconds: 1800,
        maxConcurrency: 4,
        dryRun: true,
        targets: [
          {
            name: 'orders',
            host: ORDERS_HOST,
            region: 'us-east-1',
            user: 'app',
            database: 'postgres',
            port: 5432,
            accountId: ACCOUNT,
            caching: { disabled: false, maxAge: 60, staleWhileRevalidate: 15 },
            originConnectionLimit: 20,
          },
        ],
      }).template,
    );
    assert.deepEqual(JSON.parse(env.HYPERDRIVE_TARGETS), [
      {
        name: 'orders',
        host: ORDERS_HOST,
        region: 'us-east-1',
        user: 'app',
        database: 'postgres',
        port: 5432,
        account_id: ACCOUNT,
        caching: { disabled: false, max_age: 60, stale_while_revalidate: 15 },
        origin_connection_limit: 20,
      },
    ]);
    assert.equal(env.CLOUDFLARE_ACCOUNT_ID, undefined);
    assert.equal(env.CLOUDFLARE_API_TOKEN_SECRET_KEY, 'token');
    assert.equal(env.TOKEN_TTL_SECONDS, '3600');
    assert.equal(env.SIGNER_SESSION_SECONDS, '1800');
    assert.equal(env.MAX_CONCURRENCY, '4');
    assert.equal(env.DRY_RUN, 'true');
  });
});

describe('the schedule', () => {
  const rate = (props: Parameters<typeof synth>[0]) =>
    Object.values<any>(synth(props).template.findResources('AWS::Events::Rule'))[0].Properties.ScheduleExpression;

  it('is an EventBridge rule invoking the function, allowed by a permission scoped to that rule', () => {
    const { template } = synth();
    const fnId = onlyId(template, 'AWS::Lambda::Function');
    const ruleId = onlyId(template, 'AWS::Events::Rule');
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('signer-role: every 15 minutes by default; at most half the signer session', () => {
    assert.equal(rate({}), 'rate(15 minutes)');
    assert.equal(rate({ scheduleIntervalMinutes: 30 }), 'rate(30 minutes)');
    assert.throws(() => build({ scheduleIntervalMinutes: 31 }), /31 is refused.*3600 s.*30 minutes/);
    assert.throws(() => build({ scheduleIntervalMinutes: 1440 }), /refused/);
    assert.equal(rate({ signerSessionSeconds: 900 }), 'rate(7 minutes)');
    assert.throws(() => build({ signerSessionSeconds: 900, scheduleIntervalMinutes: 8 }), /refused.*900 s/);
    assert.equal(rate({ tokenTtlSeconds: 1200 }), 'rate(10 minutes)');
  });

  it('long-term-keys: daily by default; at most half the token TTL', () => {
    const keys = (more: object) => (stack: Parameters<typeof longTermKeys>[0]) => ({ ...longTermKeys(stack), ...more });
    assert.equal(rate(keys({})), 'rate(1 day)');
    assert.equal(rate(keys({ scheduleIntervalMinutes: 5040 })), 'rate(84 hours)');
    assert.equal(rate(keys({ scheduleIntervalMinutes: 1441 })), 'rate(1441 minutes)');
    assert.throws(() => build(keys({ scheduleIntervalMinutes: 5041 })), /5041 is refused.*604800 s/);
    assert.equal(rate(keys({ tokenTtlSeconds: 3600 })), 'rate(30 minutes)');
    assert.throws(() => build(keys({ tokenTtlSeconds: 3600, scheduleIntervalMinutes: 1440 })), /refused/);
  });

  it('execution-role: 15 minutes, longer refused, and a warning that the lifetime is unknown', () => {
    const { stack } = synth({ signingMode: 'execution-role' });
    assert.equal(rate({ signingMode: 'execution-role' }), 'rate(15 minutes)');
    assert.throws(() => build({ signingMode: 'execution-role', scheduleIntervalMinutes: 16 }), /16 is refused.*unknown/);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('lifetime is unknown'));
    assert.deepEqual(Annotations.fromStack(synth().stack).findWarning('*', Match.anyValue()), []);
  });

  it('is never shorter than the function\'s timeout plus a minute', () => {
    assert.throws(() => build({ scheduleIntervalMinutes: 5 }), /5 is refused.*timeout \(300 s\).*at least 6 minutes/);
    assert.equal(rate({ scheduleIntervalMinutes: 6 }), 'rate(6 minutes)');
    assert.equal(rate({ timeout: Duration.seconds(60), scheduleIntervalMinutes: 2 }), 'rate(2 minutes)');
    // A 15-minute timeout pushes the default past 15 minutes; a 10-minute token leaves no room at all.
    assert.equal(rate({ timeout: Duration.minutes(15) }), 'rate(16 minutes)');
    assert.throws(() => build({ tokenTtlSeconds: 600 }), /No schedule fits.*at least 6 minutes.*at most 5/);
  });

  it('refuses a token lifetime too short for any schedule, and bad numbers', () => {
    assert.throws(() => build({ tokenTtlSeconds: 119 }), /less than the two minutes/);
    assert.throws(() => build({ tokenTtlSeconds: 604801 }), /tokenTtlSeconds must be/);
    assert.throws(() => build({ signerSessionSeconds: 3601 }), /signerSessionSeconds must be/);
    assert.throws(() => build({ scheduleIntervalMinutes: 0 }), /scheduleIntervalMinutes must be/);
    assert.throws(() => build({ scheduleIntervalMinutes: 2.5 }), /scheduleIntervalMinutes must be/);
  });
});

describe('the signer role', () => {
  const { template } = synth();
  const execId = executionRoleId(template);

  it('is trusted by the execution role only, for at most one hour', () => {
    const role = template.findResources('AWS::IAM::Role')[signerRoleId(template)];
    assert.equal(role.Properties.MaxSessionDuration, 3600);
    assert.deepEqual(role.Properties.AssumeRolePolicyDocument.Statement, [
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: { 'Fn::GetAtt': [execId, 'Arn'] } } },
    ]);
  });

  it('may connect as admin to admin targets and as a role to the others, on exactly their clusters', () => {
    const signer = identityStatements(template).filter((s) => s.owner === signerRoleId(template));
    const allows = signer.filter((s) => s.effect === 'Allow');
    assert.deepEqual(
      allows.map((s) => [s.actions, s.resources]),
      [
        [['dsql:DbConnectAdmin'], [ORDERS_ARN]],
        [['dsql:DbConnect'], [REPORTS_ARN]],
      ],
    );
  });

  it('has a permissions boundary allowing DSQL connect on exactly its clusters and nothing else', () => {
    const boundaryId = onlyId(template, 'AWS::IAM::ManagedPolicy');
    const role = template.findResources('AWS::IAM::Role')[signerRoleId(template)];
    assert.deepEqual(role.Properties.PermissionsBoundary, { Ref: boundaryId });
    const boundary = identityStatements(template).filter((s) => s.owner === boundaryId);
    assert.deepEqual(
      boundary.map((s) => [s.effect, s.actions, s.resources, s.condition]),
      [
        ['Allow', ['dsql:DbConnectAdmin'], [ORDERS_ARN], undefined],
        ['Allow', ['dsql:DbConnect'], [REPORTS_ARN], undefined],
      ],
    );
    // A boundary attached to nothing else: no user, group or role holds it as a policy.
    const policy = template.findResources('AWS::IAM::ManagedPolicy')[boundaryId];
    assert.equal(policy.Properties.Roles, undefined);
    assert.equal(policy.Properties.Users, undefined);
    assert.equal(policy.Properties.Groups, undefined);
  });

  it('denies DSQL connects outside the clusters\' regions unless told not to', () => {
    const deny = identityStatements(template).find((s) => s.effect === 'Deny');
    assert.ok(deny);
    assert.deepEqual(deny.actions, ['dsql:DbConnect', 'dsql:DbConnectAdmin']);
    assert.deepEqual(deny.condition, { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } });
    const off = synth({ restrictToClusterRegions: false }).template;
    assert.equal(identityStatements(off).filter((s) => s.effect === 'Deny').length, 0);
  });

  it('uses an explicit cluster ARN of this account when given, and merges targets on the same cluster', () => {
    const arn = 'arn:aws:dsql:us-east-2:111122223333:cluster/explicitcluster';
    const { template: t } = synth(
      {
        targets: [
          { name: 'a', host: 'explicitcluster.dsql.us-east-2.on.aws', clusterArn: arn },
          { name: 'b', host: ORDERS_HOST },
          { name: 'c', host: ORDERS_HOST, user: 'admin', database: 'other' },
        ],
      },
      { env: { account: '111122223333', region: 'us-east-1' } },
    );
    const allows = identityStatements(t).filter((s) => s.effect === 'Allow' && s.actions[0].startsWith('dsql:'));
    // The signer role's policy and its boundary, alike.
    assert.deepEqual(
      allows.map((s) => [s.actions, s.resources]),
      [
        [['dsql:DbConnectAdmin'], [arn, ORDERS_ARN]],
        [['dsql:DbConnectAdmin'], [arn, ORDERS_ARN]],
      ],
    );
    assert.ok(!functionEnv(t).HYPERDRIVE_TARGETS.includes('clusterArn'));
    assert.ok(!functionEnv(t).HYPERDRIVE_TARGETS.includes('signer_role_arn'));
  });
});

describe('the execution role', () => {
  const { template } = synth();

  it('is assumed by Lambda and may assume the signer role and nothing else', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
      },
    });
    const exec = execStatements(template);
    const sts = exec.filter((s) => s.actions.some((a) => a.startsWith('sts:')));
    assert.deepEqual(
      sts.map((s) => [s.actions, s.resources]),
      [[['sts:AssumeRole'], [`\${${signerRoleId(template)}.Arn}`]]],
    );
    // The assume permission is its own policy resource (no cycle between the roles), and the function waits for it.
    const policyId = sts[0].owner;
    template.hasResource('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: executionRoleId(template) }] },
    });
    const fn = Object.values<any>(template.findResources('AWS::Lambda::Function'))[0];
    assert.ok(fn.DependsOn.includes(policyId));
    assert.equal(exec.filter((s) => s.actions.some((a) => a.startsWith('dsql:'))).length, 0);
  });

  it('reads exactly the token secret, writes only its own logs, only sends to its failure queue', () => {
    const exec = execStatements(template);
    const byService = (prefix: string) =>
      exec.filter((s) => s.actions.some((a) => a.startsWith(prefix))).map((s) => [[...s.actions].sort(), s.resources]);
    const secretId = onlyId(template, 'AWS::SecretsManager::Secret');
    assert.deepEqual(byService('secretsmanager:'), [[['secretsmanager:GetSecretValue'], [`\${${secretId}}`]]]);
    assert.deepEqual(byService('logs:'), [
      [['logs:CreateLogStream', 'logs:PutLogEvents'], [`\${${onlyId(template, 'AWS::Logs::LogGroup')}.Arn}`]],
    ]);
    // SendMessage only: the on-failure destination never reads the queue's attributes or URL.
    assert.deepEqual(byService('sqs:'), [[['sqs:SendMessage'], [`\${${onlyId(template, 'AWS::SQS::Queue')}.Arn}`]]]);
    assert.deepEqual(byService('kms:'), []);
    assert.deepEqual(
      [...new Set(exec.flatMap((s) => s.actions.map((a) => a.split(':')[0])))].sort(),
      ['iam', 'logs', 'secretsmanager', 'sqs', 'sts'],
    );
  });

  it('may put, read and delete an inline policy (revoke) on exactly the signer role, and nothing else in IAM', () => {
    const iamGrants = execStatements(template).filter((s) => s.actions.some((a) => a.startsWith('iam:')));
    assert.deepEqual(
      iamGrants.map((s) => [s.effect, [...s.actions].sort(), s.resources, s.condition]),
      [['Allow', ['iam:DeleteRolePolicy', 'iam:GetRolePolicy', 'iam:PutRolePolicy'], [`\${${signerRoleId(template)}.Arn}`], undefined]],
    );
    // Its own policy resource (the signer role's trust names the execution role), and the function waits for it.
    const fn = Object.values<any>(template.findResources('AWS::Lambda::Function'))[0];
    assert.ok(fn.DependsOn.includes(iamGrants[0].owner));
    // No IAM grant in the other modes but long-term-keys' (below).
    for (const mode of ['execution-role'] as const) {
      assert.deepEqual(execStatements(synth({ signingMode: mode }).template).filter((s) => s.actions.some((a) => a.startsWith('iam:'))), []);
    }
  });

  it('reads the existing secret by its exact ARN, and decrypts only through Secrets Manager, only for that secret', () => {
    const { template: t } = synth((stack) => ({
      cloudflareApiTokenSecret: existing(stack).secret,
      cloudflareApiTokenSecretEncryptionKey: existing(stack).key,
    }));
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    assert.equal(functionEnv(t).CLOUDFLARE_API_TOKEN_SECRET_ID, TOKEN_SECRET_ARN);
    const exec = execStatements(t);
    assert.deepEqual(
      exec.filter((s) => s.actions.includes('secretsmanager:GetSecretValue')).map((s) => s.resources),
      [[TOKEN_SECRET_ARN]],
    );
    const decrypt = exec.filter((s) => s.actions.includes('kms:Decrypt'));
    assert.deepEqual(decrypt.map((s) => [s.resources, s.condition]), [
      [
        [KMS_KEY_ARN],
        {
          StringEquals: {
            'kms:ViaService': ['secretsmanager.us-east-1.amazonaws.com'],
            'kms:EncryptionContext:SecretARN': [TOKEN_SECRET_ARN],
          },
        },
      ],
    ]);
  });

  it('takes the key from the imported secret itself, and a key per secret', () => {
    const fromSecret = synth((stack) => ({
      cloudflareApiTokenSecret: secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
        secretCompleteArn: TOKEN_SECRET_ARN,
        encryptionKey: existing(stack).key,
      }),
    })).template;
    assert.deepEqual(
      execStatements(fromSecret).filter((s) => s.actions.includes('kms:Decrypt')).map((s) => s.resources),
      [[KMS_KEY_ARN]],
    );
    const two = synth((stack) => ({
      cloudflareApiTokenSecret: existing(stack).secret,
      cloudflareApiTokenSecretEncryptionKey: existing(stack).key,
      signingMode: 'long-term-keys',
      longTermKeysSecretEncryptionKey: existing(stack).keysKey,
    })).template;
    const keysSecret = { Ref: onlyId(two, 'AWS::SecretsManager::Secret') };
    assert.deepEqual(
      execStatements(two)
        .filter((s) => s.actions.some((a) => a.startsWith('kms:')))
        .map((s) => [s.actions, s.resources, s.condition.StringEquals['kms:EncryptionContext:SecretARN']]),
      [
        [['kms:Decrypt'], [KMS_KEY_ARN], [TOKEN_SECRET_ARN]],
        [['kms:Decrypt'], [KEYS_KMS_KEY_ARN], [keysSecret]],
        [['kms:GenerateDataKey'], [KEYS_KMS_KEY_ARN], [keysSecret]],
      ],
    );
  });

  it('refuses a secret imported without its complete ARN, and a KMS alias where a key is needed', () => {
    assert.throws(
      () =>
        build((stack) => ({
          cloudflareApiTokenSecret: secretsmanager.Secret.fromSecretPartialArn(
            stack,
            'Partial',
            'arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token',
          ),
        })),
      /cloudflareApiTokenSecret was imported without its complete ARN/,
    );
    assert.throws(
      () => build((stack) => ({ cloudflareApiTokenSecretEncryptionKey: kms.Alias.fromAliasName(stack, 'A', 'alias/secrets') })),
      /must be a KMS key.*not an alias/,
    );
    assert.throws(
      () =>
        build((stack) => ({
          cloudflareApiTokenSecretEncryptionKey: kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:us-east-1:111122223333:alias/secrets'),
        })),
      /must be a KMS key/,
    );
  });

  it('puts the execution role under the permissions boundary given, the signer role under its own, both on the path', () => {
    const { template: t } = synth((stack) => ({
      permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(
        stack,
        'Boundary',
        'arn:aws:iam::111122223333:policy/platform-boundary',
      ),
      rolePath: '/hyperdrive/',
    }));
    const roles = t.findResources('AWS::IAM::Role');
    assert.equal(Object.keys(roles).length, 2);
    assert.equal(roles[executionRoleId(t)].Properties.PermissionsBoundary, 'arn:aws:iam::111122223333:policy/platform-boundary');
    assert.deepEqual(roles[signerRoleId(t)].Properties.PermissionsBoundary, { Ref: onlyId(t, 'AWS::IAM::ManagedPolicy') });
    for (const role of Object.values<any>(roles)) assert.equal(role.Properties.Path, '/hyperdrive/');
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', { Path: '/hyperdrive/' });
    assert.throws(() => build({ rolePath: 'hyperdrive' }), /rolePath "hyperdrive" is not an IAM path/);
  });
});

describe('the other signing modes', () => {
  it('long-term-keys needs no secret input, and its inputs need that mode', () => {
    assert.doesNotThrow(() => build({ signingMode: 'long-term-keys' }));
    assert.throws(
      () => build({ longTermKeysSecret: { secretFullArn: 'x' } } as never),
      /longTermKeysSecret is no longer an input/,
    );
    assert.throws(() => build({ signerKeysRotationDays: 30 }), /signerKeysRotationDays is only used with signingMode "long-term-keys"/);
    assert.throws(
      () => build((stack) => ({ longTermKeysSecretEncryptionKey: existing(stack).keysKey })),
      /longTermKeysSecretEncryptionKey is only used with signingMode "long-term-keys"/,
    );
    for (const days of [0, 1001, 2.5]) {
      assert.throws(() => build({ signingMode: 'long-term-keys', signerKeysRotationDays: days }), /signerKeysRotationDays must be/);
    }
  });

  it('execution-role: the execution role itself holds the DSQL grants; no signer role', () => {
    const { template } = synth({ signingMode: 'execution-role' });
    template.resourceCountIs('AWS::IAM::Role', 1);
    const env = functionEnv(template);
    assert.equal(env.SIGNER_ROLE_ARN, undefined);
    assert.equal(env.SIGNER_CREDENTIALS_SECRET_ID, undefined);
    const dsql = execStatements(template).filter((s) => s.actions.some((a) => a.startsWith('dsql:')));
    assert.deepEqual(
      dsql.map((s) => [s.effect, s.actions, s.resources]),
      [
        ['Allow', ['dsql:DbConnectAdmin'], [ORDERS_ARN]],
        ['Allow', ['dsql:DbConnect'], [REPORTS_ARN]],
        ['Deny', ['dsql:DbConnect', 'dsql:DbConnectAdmin'], ['arn:${AWS::Partition}:dsql:*:*:cluster/*']],
      ],
    );
  });
});

describe('long-term-keys mode: the signer user, its keys secret and their rotation', () => {
  const { template, rotator } = synth(longTermKeys);
  const userId = onlyId(template, 'AWS::IAM::User');
  const fnId = onlyId(template, 'AWS::Lambda::Function');
  const secretIds = Object.keys(template.findResources('AWS::SecretsManager::Secret'));
  const keysSecretId = secretIds.find((id) => id.includes('SignerKeys'))!;
  const tokenSecretId = secretIds.find((id) => id !== keysSecretId)!;

  it('creates the signer user: no password, no key of the stack\'s, DSQL connect through its group only', () => {
    const user = template.findResources('AWS::IAM::User')[userId];
    assert.equal(user.Properties.LoginProfile, undefined);
    assert.equal(user.Properties.Policies, undefined);
    assert.equal(user.Properties.ManagedPolicyArns, undefined);
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
    const groupId = onlyId(template, 'AWS::IAM::Group');
    assert.deepEqual(user.Properties.Groups, [{ Ref: groupId }]);
    const policyId = onlyId(template, 'AWS::IAM::ManagedPolicy');
    const policy = template.findResources('AWS::IAM::ManagedPolicy')[policyId];
    assert.deepEqual(policy.Properties.Groups, [{ Ref: groupId }]);
    assert.deepEqual(
      identityStatements(template).filter((s) => s.owner === policyId).map((s) => [s.effect, s.actions, s.resources]),
      [
        ['Allow', ['dsql:DbConnectAdmin'], [ORDERS_ARN]],
        ['Allow', ['dsql:DbConnect'], [REPORTS_ARN]],
        ['Deny', ['dsql:DbConnect', 'dsql:DbConnectAdmin'], ['arn:${AWS::Partition}:dsql:*:*:cluster/*']],
      ],
    );
    // No signer role, no role but the execution role.
    template.resourceCountIs('AWS::IAM::Role', 1);
  });

  it('creates the keys secret empty: no value, nothing generated, the first rotation fills it', () => {
    const secret = template.findResources('AWS::SecretsManager::Secret')[keysSecretId];
    assert.equal(secret.Properties.SecretString, undefined);
    assert.equal(secret.Properties.GenerateSecretString, undefined);
    assert.equal(secret.Properties.KmsKeyId, undefined);
    synth((stack) => ({ ...longTermKeys(stack), longTermKeysSecretEncryptionKey: existing(stack).keysKey })).template.hasResourceProperties(
      'AWS::SecretsManager::Secret',
      { KmsKeyId: KEYS_KMS_KEY_ARN },
    );
  });

  it('rotates it every 30 days (an input) with the function as the rotation function, once it may be invoked', () => {
    const rotation = Object.entries<any>(template.findResources('AWS::SecretsManager::RotationSchedule'));
    assert.equal(rotation.length, 1);
    const [, schedule] = rotation[0];
    assert.deepEqual(schedule.Properties, {
      SecretId: { Ref: keysSecretId },
      RotationLambdaARN: { 'Fn::GetAtt': [fnId, 'Arn'] },
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    const permissions = Object.entries<any>(template.findResources('AWS::Lambda::Permission')).filter(
      ([, p]) => p.Properties.Principal === 'secretsmanager.amazonaws.com',
    );
    assert.deepEqual(
      permissions.map(([, p]) => p.Properties),
      [
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
          Principal: 'secretsmanager.amazonaws.com',
          SourceArn: { Ref: keysSecretId },
        },
      ],
    );
    // The first rotation starts when the schedule is created: after the permission, the user and its DSQL grant.
    assert.deepEqual(
      [...schedule.DependsOn].sort(),
      [permissions[0][0], userId, onlyId(template, 'AWS::IAM::ManagedPolicy')].sort(),
    );
    synth({ signingMode: 'long-term-keys', signerKeysRotationDays: 7 }).template.hasResourceProperties(
      'AWS::SecretsManager::RotationSchedule',
      { RotationRules: { AutomaticallyAfterDays: 7 } },
    );
    // No rotation, user or keys secret in the other modes.
    for (const t of [synth().template, synth({ signingMode: 'execution-role' }).template]) {
      t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
      t.resourceCountIs('AWS::IAM::User', 0);
      t.resourceCountIs('AWS::SecretsManager::Secret', 1);
    }
  });

  it('tells the function the keys secret and the user', () => {
    const env = functionEnv(template);
    assert.deepEqual(env.SIGNER_CREDENTIALS_SECRET_ID, { Ref: keysSecretId });
    assert.deepEqual(env.SIGNER_USER_NAME, { Ref: userId });
    assert.equal(env.SIGNER_ROLE_ARN, undefined);
    assert.equal(env.SIGNER_SESSION_SECONDS, undefined);
  });

  it('lets the execution role manage exactly that user\'s keys and write exactly that secret\'s versions', () => {
    const exec = execStatements(template);
    const of = (prefix: string) =>
      exec.filter((s) => s.actions.some((a) => a.startsWith(prefix))).map((s) => [s.effect, [...s.actions].sort(), s.resources, s.condition]);
    assert.deepEqual(of('iam:'), [
      ['Allow', ['iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys', 'iam:UpdateAccessKey'], [`\${${userId}.Arn}`], undefined],
    ]);
    assert.deepEqual(of('secretsmanager:'), [
      // The read grant names every secret the function reads: the token secret and the keys secret.
      ['Allow', ['secretsmanager:GetSecretValue'], [`\${${tokenSecretId}}`, `\${${keysSecretId}}`], undefined],
      [
        'Allow',
        ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
        [`\${${keysSecretId}}`],
        undefined,
      ],
    ]);
    assert.deepEqual(of('sts:'), []);
    assert.deepEqual(of('dsql:'), []);
    assert.deepEqual(of('kms:'), []);
  });

  it('reserves a concurrency of 1 (runs and rotation steps never overlap), unless told otherwise', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 1 });
    synth({ signingMode: 'long-term-keys', reservedConcurrentExecutions: 2 }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { ReservedConcurrentExecutions: 2 },
    );
    synth({ signingMode: 'long-term-keys', reservedConcurrentExecutions: -1 }).template.hasResourceProperties(
      'AWS::Lambda::Function',
      { ReservedConcurrentExecutions: Match.absent() },
    );
  });

  it('puts the given permissions boundary and the path on the user, the path on the group and its policy', () => {
    const { template: t } = synth((stack) => ({
      ...longTermKeys(stack),
      permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyArn(stack, 'B', 'arn:aws:iam::111122223333:policy/platform-boundary'),
      rolePath: '/hyperdrive/',
    }));
    t.hasResourceProperties('AWS::IAM::User', {
      Path: '/hyperdrive/',
      PermissionsBoundary: 'arn:aws:iam::111122223333:policy/platform-boundary',
    });
    t.hasResourceProperties('AWS::IAM::Group', { Path: '/hyperdrive/' });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', { Path: '/hyperdrive/' });
  });

  it('outputs the user and the keys secret', () => {
    const outputs = Object.entries<any>(template.findOutputs('*'));
    const value = (name: string) => outputs.find(([k]) => k.includes(name))?.[1].Value;
    assert.deepEqual(value('SignerUserName'), { Ref: userId });
    assert.deepEqual(value('SignerKeysSecretArn'), { Ref: keysSecretId });
    assert.equal(rotator.signerUser !== undefined && rotator.signerKeysRotation !== undefined, true);
  });
});

describe('least privilege across every mode', () => {
  const variants = [
    {},
    (stack: any) => ({ cloudflareApiTokenSecret: existing(stack).secret, cloudflareApiTokenSecretEncryptionKey: existing(stack).key }),
    longTermKeys,
    { signingMode: 'execution-role' as const },
  ];
  it('no dsql, secretsmanager, kms, sts or iam action on a "*" resource, no wildcard in any Allow on them', () => {
    for (const props of variants) {
      for (const s of identityStatements(synth(props).template)) {
        if (!s.actions.some((a) => /^(dsql|secretsmanager|kms|sts|iam):/.test(a) || a === '*')) continue;
        assert.ok(!s.resources.includes('*'), `${s.owner} ${s.sid}: Resource "*"`);
        if (s.effect === 'Allow') {
          assert.ok(!s.resources.some((r) => r.includes('*')), `${s.owner} ${s.sid}: wildcard ${s.resources}`);
          assert.ok(!s.actions.some((a) => a.includes('*')), `${s.owner} ${s.sid}: wildcard action`);
        }
      }
    }
  });
});

describe('failure visibility', () => {
  const { template } = synth();
  const fnId = onlyId(template, 'AWS::Lambda::Function');
  const queueId = onlyId(template, 'AWS::SQS::Queue');
  const ruleId = onlyId(template, 'AWS::Events::Rule');
  const alarm = (t: typeof template, metricName: string) =>
    Object.values<any>(t.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.MetricName === metricName)!
      .Properties;

  it('sends failed asynchronous runs to an encrypted queue, after 2 retries, never older than one interval', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })],
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 900,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
    });
    synth(longTermKeys).template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumEventAgeInSeconds: 21600,
    });
  });

  it('alarms on any error', () => {
    assert.deepEqual(
      pick(alarm(template, 'Errors'), ['Namespace', 'Dimensions', 'Statistic', 'Period', 'Threshold', 'ComparisonOperator', 'EvaluationPeriods', 'TreatMissingData']),
      {
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      },
    );
  });

  it('missed runs: missing data stays missing, so a fresh stack is not in ALARM; a stall notifies as INSUFFICIENT_DATA', () => {
    assert.deepEqual(
      pick(alarm(template, 'Invocations'), ['Namespace', 'Dimensions', 'Statistic', 'Period', 'EvaluationPeriods', 'DatapointsToAlarm', 'Threshold', 'ComparisonOperator', 'TreatMissingData']),
      {
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
        Statistic: 'Sum',
        Period: 900,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'missing',
      },
    );
    assert.equal(alarm(synth(longTermKeys).template, 'Invocations').Period, 86400);
  });

  it('failed events: one alarm per event sent to the failure queue, not while messages sit in it', () => {
    assert.deepEqual(
      pick(alarm(template, 'NumberOfMessagesSent'), ['Namespace', 'Dimensions', 'Statistic', 'Period', 'Threshold', 'ComparisonOperator', 'TreatMissingData']),
      {
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      },
    );
  });

  it('alarms when EventBridge cannot deliver the schedule to the function', () => {
    assert.deepEqual(
      pick(alarm(template, 'FailedInvocations'), ['Namespace', 'Dimensions', 'Statistic', 'Threshold', 'ComparisonOperator', 'TreatMissingData']),
      {
        Namespace: 'AWS/Events',
        Dimensions: [{ Name: 'RuleName', Value: { Ref: ruleId } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      },
    );
  });

  it('creates no topic and sets no alarm action by default', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6); // these four, dark-soon and Cloudflare token (dark-alarms.test.ts)
    for (const a of Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))) {
      assert.equal(a.Properties.AlarmActions, undefined);
      assert.equal(a.Properties.OKActions, undefined);
    }
  });

  it('notifies an existing topic of ALARM and OK (and INSUFFICIENT_DATA for missed runs)', () => {
    const { template: t } = synth((stack) => ({ alarmTopic: existing(stack).topic }));
    t.resourceCountIs('AWS::SNS::Topic', 0);
    for (const a of Object.values<any>(t.findResources('AWS::CloudWatch::Alarm'))) {
      assert.deepEqual(a.Properties.AlarmActions, [TOPIC_ARN]);
      assert.deepEqual(a.Properties.OKActions, [TOPIC_ARN]);
      assert.deepEqual(
        a.Properties.InsufficientDataActions,
        a.Properties.MetricName === 'Invocations' ? [TOPIC_ARN] : undefined,
      );
    }
  });

  it('creates a TLS-only topic open to exactly these alarms, with an email subscription when given', () => {
    const { template: t } = synth({ alarmEmail: 'ops@example.com' });
    const topicId = onlyId(t, 'AWS::SNS::Topic');
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    const alarmArns = Object.keys(t.findResources('AWS::CloudWatch::Alarm')).map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnEquals: { 'aws:SourceArn': alarmArns },
            },
          }),
        ]),
      },
    });
    for (const a of Object.values<any>(t.findResources('AWS::CloudWatch::Alarm'))) {
      assert.deepEqual(a.Properties.AlarmActions, [{ Ref: topicId }]);
      assert.deepEqual(a.Properties.OKActions, [{ Ref: topicId }]);
    }
    const bare = synth({ createAlarmTopic: true }).template;
    bare.resourceCountIs('AWS::SNS::Topic', 1);
    bare.resourceCountIs('AWS::SNS::Subscription', 0);
    assert.throws(
      () => build((stack) => ({ alarmTopic: existing(stack).topic, createAlarmTopic: true })),
      /do not also set/,
    );
  });
});

describe('the Cloudflare token secret', () => {
  it('is created empty when none is given: no value, nothing generated', () => {
    const { template } = synth();
    const secret = Object.values<any>(template.findResources('AWS::SecretsManager::Secret'))[0];
    assert.equal(secret.Properties.SecretString, undefined);
    assert.equal(secret.Properties.GenerateSecretString, undefined);
    assert.match(secret.Properties.Description, /put-secret-value/);
    template.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 0);
  });

  it('is encrypted with the given KMS key when the stack creates it, and decrypted only for itself', () => {
    const { template } = synth((stack) => ({ cloudflareApiTokenSecretEncryptionKey: existing(stack).key }));
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: KMS_KEY_ARN });
    const secretId = onlyId(template, 'AWS::SecretsManager::Secret');
    const decrypt = execStatements(template).filter((s) => s.actions.includes('kms:Decrypt'));
    assert.deepEqual(decrypt[0].condition.StringEquals['kms:EncryptionContext:SecretARN'], [{ Ref: secretId }]);
  });
});

describe('input checks', () => {
  it('refuses hosts that are not DSQL endpoints, a region that contradicts the host, and duplicate names', () => {
    assert.throws(() => build({ targets: [{ name: 'a', host: 'db.example.com' }] }), /set clusterArn/);
    assert.throws(
      () => build({ targets: [{ name: 'a', host: ORDERS_HOST, region: 'eu-west-1' }] }),
      /differs from the region in the host/,
    );
    assert.throws(
      () => build({ targets: [{ name: 'a', host: ORDERS_HOST }, { name: 'a', host: REPORTS_HOST }] }),
      /also the name of targets\[0\]/,
    );
    // The function's rule: unique per Cloudflare account, not across accounts.
    assert.doesNotThrow(() =>
      build({ targets: [{ name: 'a', host: ORDERS_HOST }, { name: 'a', host: REPORTS_HOST, accountId: 'f'.repeat(32) }] }),
    );
    assert.throws(() => build({ targets: [] }), /at least one/);
    assert.throws(() => build({ targets: [{ name: 'a', host: ORDERS_HOST, clusterArn: 'arn:aws:rds:x' }] }), /clusterArn/);
    assert.throws(
      () =>
        build({
          targets: [{ name: 'a', host: ORDERS_HOST, clusterArn: 'arn:aws:dsql:us-east-1:111122223333:cluster/othercluster' }],
        }),
      /clusterArn names cluster othercluster/,
    );
  });

  it('lists every problem at once, each with the target and the field', () => {
    assert.throws(
      () =>
        build({
          targets: [
            { name: 'a', host: ORDERS_HOST, port: '5432' as unknown as number },
            { name: 'b', host: ORDERS_HOST, usr: 'reader' } as never,
          ],
        }),
      (e: Error) =>
        /2 problems/.test(e.message) &&
        /targets\[0\] "a": port is a string \("5432"\), not a number; write 5432 without quotes/.test(e.message) &&
        /targets\[1\] "b": usr is not a target field; did you mean user\? If not, remove it/.test(e.message),
    );
  });

  it('defaults to the cargo lambda build output, and says what to pass when it is missing', () => {
    assert.equal(DEFAULT_CODE_DIR, path.resolve(__dirname, '..', '..', '..', 'target', 'lambda', 'hyperdrive-dsql-rotator'));
    if (fs.existsSync(path.join(DEFAULT_CODE_DIR, 'bootstrap'))) {
      assert.doesNotThrow(() => build({ code: undefined }));
    } else {
      assert.throws(() => build({ code: undefined }), /pass codePath \(the release zip/);
    }
  });

  it('takes the code from a release zip or a build directory (codePath), refusing the other architecture\'s zip', () => {
    const dir = scratchDir('code-path');
    const zip = (name: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, 'PK\x05\x06' + '\0'.repeat(18)); // an empty zip: only its name matters here
      return file;
    };
    const x86 = zip('hyperdrive-dsql-rotator-0.1.0-x86_64.zip');
    const arm = zip('hyperdrive-dsql-rotator-0.1.0-arm64.zip');
    const asset = (t: Template) => Object.values<any>(t.findResources('AWS::Lambda::Function'))[0].Properties.Code;
    assert.ok(asset(synth({ code: undefined, codePath: x86 }).template).S3Key);
    assert.ok(asset(synth({ code: undefined, codePath: arm, architecture: 'arm64' }).template).S3Key);
    assert.ok(asset(synth({ code: undefined, codePath: zip('bootstrap.zip') }).template).S3Key);
    const build_ = path.join(dir, 'build');
    fs.mkdirSync(build_);
    assert.throws(() => build({ code: undefined, codePath: build_ }), /a directory without a bootstrap file/);
    fs.writeFileSync(path.join(build_, 'bootstrap'), '#!/bin/sh\n');
    assert.ok(asset(synth({ code: undefined, codePath: build_ }).template).S3Key);
    assert.throws(() => build({ code: undefined, codePath: arm }), /is the arm64 build, but architecture is x86_64.*hyperdrive-dsql-rotator-0\.1\.0-x86_64\.zip/);
    assert.throws(() => build({ code: undefined, codePath: path.join(dir, 'missing.zip') }), /does not exist/);
    assert.throws(() => build({ code: undefined, codePath: path.join(build_, 'bootstrap') }), /neither a \.zip file nor a directory/);
    assert.throws(() => build({ codePath: x86 }), /give one/);
  });

  it('refuses more targets than the 4 KB Lambda environment holds only when they cannot go in a file (tokens)', () => {
    // Plain targets past the limit ship as a layer file (test/fleet.test.ts); deploy-time values cannot be written.
    const targets = Array.from({ length: 60 }, (_, i) => ({ name: `config-${i}`, host: ORDERS_HOST }));
    assert.doesNotThrow(() => build({ targets }));
    targets[0].name = Token.asString({ Ref: 'Name' });
    assert.throws(() => build({ targets }), /HYPERDRIVE_TARGETS would be about \d+ bytes.*4 KB.*deploy time/);
  });

  it('keeps maxConcurrency and the Cloudflare account within what the function accepts', () => {
    assert.throws(() => build({ maxConcurrency: 0 }), /maxConcurrency must be/);
    assert.throws(() => build({ maxConcurrency: 65 }), /maxConcurrency must be/);
    assert.throws(() => build({ cloudflareAccountId: '0123456789abcdef' }), /cloudflareAccountId "0123456789abcdef" is not a Cloudflare account ID/);
  });

  it('needs a Cloudflare account for every target', () => {
    assert.throws(
      () => build({ cloudflareAccountId: undefined, targets: [{ name: 'a', host: ORDERS_HOST }] }),
      /accountId is not set and cloudflareAccountId is not set either/,
    );
  });
});

describe('grants inside the databases', () => {
  it('outputs AWS IAM GRANT for every non-admin target, to the role that signs its tokens', () => {
    const { template, rotator } = synth({
      targets: [
        { name: 'orders', host: ORDERS_HOST },
        { name: 'reports', host: REPORTS_HOST, user: 'reader' },
        { name: 'audit', host: REPORTS_HOST, user: 'Auditor' },
      ],
    });
    const signer = `\${${signerRoleId(template)}.Arn}`;
    assert.deepEqual(
      rotator.databaseGrants.map((g) => [g.target, render(Stack.of(rotator).resolve(g.statement))]),
      [
        ['reports', `AWS IAM GRANT reader TO '${signer}';`],
        ['audit', `AWS IAM GRANT "Auditor" TO '${signer}';`],
      ],
    );
    const output = Object.entries<any>(template.findOutputs('*')).find(([k]) => k.includes('DatabaseGrants'))![1];
    assert.equal(
      render(output.Value),
      `${REPORTS_HOST}: AWS IAM GRANT reader TO '${signer}';\n${REPORTS_HOST}: AWS IAM GRANT "Auditor" TO '${signer}';`,
    );
    // No non-admin target, no output.
    assert.equal(
      Object.keys(synth({ targets: [{ name: 'orders', host: ORDERS_HOST }] }).template.findOutputs('*')).filter((k) =>
        k.includes('DatabaseGrants'),
      ).length,
      0,
    );
  });

  it('names the execution role in execution-role mode, and the signer user in long-term-keys mode', () => {
    const exec = synth({ signingMode: 'execution-role' });
    assert.match(render(exec.stack.resolve(exec.rotator.databaseGrants[0].statement)), /TO '\$\{RotatorExecutionRole[0-9A-F]+\.Arn\}';$/);
    const keys = synth(longTermKeys);
    assert.equal(
      render(keys.stack.resolve(keys.rotator.databaseGrants[0].statement)),
      `AWS IAM GRANT reader TO '\${${onlyId(keys.template, 'AWS::IAM::User')}.Arn}';`,
    );
  });
});

describe('helpers for the users of the construct', () => {
  it('grants invoking the function and consuming the failed events, and gives the function\'s own metrics', () => {
    const rotator = build({});
    const stack = Stack.of(rotator);
    const role = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    rotator.grantInvoke(role);
    rotator.grantConsumeFailedEvents(role);
    const template = Template.fromStack(stack);
    const operator = identityStatements(template).filter((s) => s.owner.startsWith('OperatorDefaultPolicy'));
    assert.ok(operator.some((s) => s.actions.includes('lambda:InvokeFunction')));
    assert.ok(operator.some((s) => s.actions.includes('sqs:ReceiveMessage') && s.actions.includes('sqs:DeleteMessage')));
    const failed = stack.resolve(rotator.metricFailedTargets().toMetricConfig().metricStat);
    assert.equal(failed.namespace, 'HyperdriveDsqlRotator');
    assert.equal(failed.metricName, 'Failed');
    assert.deepEqual(failed.dimensions, [{ name: 'FunctionName', value: { Ref: onlyId(template, 'AWS::Lambda::Function') } }]);
    assert.equal(stack.resolve(rotator.metricMinTokenLifetime().toMetricConfig().metricStat).statistic, 'Minimum');
  });
});

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

function signerRoleId(template: ReturnType<typeof synth>['template']): string {
  const ids = Object.entries<any>(template.findResources('AWS::IAM::Role'))
    .filter(([, r]) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.AWS !== undefined)
    .map(([id]) => id);
  assert.equal(ids.length, 1);
  return ids[0];
}

function executionRoleId(template: ReturnType<typeof synth>['template']): string {
  const ids = Object.entries<any>(template.findResources('AWS::IAM::Role'))
    .filter(([, r]) => r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service === 'lambda.amazonaws.com')
    .map(([id]) => id);
  assert.equal(ids.length, 1);
  return ids[0];
}

/** Statements of the policies attached to the execution role (its default policy and separate policies). */
function execStatements(template: ReturnType<typeof synth>['template']) {
  const execId = executionRoleId(template);
  const attached = Object.entries<any>(template.findResources('AWS::IAM::Policy'))
    .filter(([, p]) => p.Properties.Roles.some((r: any) => r.Ref === execId))
    .map(([id]) => id);
  return identityStatements(template).filter((s) => attached.includes(s.owner) || s.owner === execId);
}
