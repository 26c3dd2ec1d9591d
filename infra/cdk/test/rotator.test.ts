/** The synthesized template of HyperdriveDsqlRotator, property by property. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_CODE_DIR } from '../lib';
import {
  ACCOUNT,
  KEYS_SECRET_ARN,
  ORDERS_HOST,
  REPORTS_HOST,
  TOKEN_SECRET_ARN,
  build,
  functionEnv,
  identityStatements,
  onlyId,
  render,
  synth,
} from './helpers';

const ORDERS_ARN = 'arn:${AWS::Partition}:dsql:us-east-1:${AWS::AccountId}:cluster/abcdefghijklmnopqrstuvwxyz';
const REPORTS_ARN = 'arn:${AWS::Partition}:dsql:eu-west-1:${AWS::AccountId}:cluster/zyxwvutsrqponmlkjihgfedcba';

describe('the function', () => {
  const { template } = synth();

  it('runs the cargo-lambda bootstrap on provided.al2023, x86_64, 128 MB, 300 s, JSON logs, one at a time', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: ['x86_64'],
      MemorySize: 128,
      Timeout: 300,
      ReservedConcurrentExecutions: 1,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: onlyId(template, 'AWS::Logs::LogGroup') } },
    });
  });

  it('selects arm64 when asked', () => {
    synth({ architecture: 'arm64' }).template.hasResourceProperties('AWS::Lambda::Function', {
      Architectures: ['arm64'],
    });
  });

  it('logs to its own log group, kept 30 days by default or as long as asked', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    synth({ logRetentionDays: 90 }).template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
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
    const keys = { signingMode: 'long-term-keys' as const, longTermKeysSecretArn: KEYS_SECRET_ARN };
    assert.equal(rate(keys), 'rate(1 day)');
    assert.equal(rate({ ...keys, scheduleIntervalMinutes: 5040 }), 'rate(84 hours)');
    assert.equal(rate({ ...keys, scheduleIntervalMinutes: 1441 }), 'rate(1441 minutes)');
    assert.throws(() => build({ ...keys, scheduleIntervalMinutes: 5041 }), /5041 is refused.*604800 s/);
    assert.equal(rate({ ...keys, tokenTtlSeconds: 3600 }), 'rate(30 minutes)');
    assert.throws(() => build({ ...keys, tokenTtlSeconds: 3600, scheduleIntervalMinutes: 1440 }), /refused/);
  });

  it('execution-role: 15 minutes, longer refused, and a warning that the lifetime is unknown', () => {
    const exec = { signingMode: 'execution-role' as const };
    const { stack, template } = synth(exec);
    assert.equal(rate(exec), 'rate(15 minutes)');
    assert.equal(rate({ ...exec, scheduleIntervalMinutes: 5 }), 'rate(5 minutes)');
    assert.throws(() => build({ ...exec, scheduleIntervalMinutes: 16 }), /16 is refused.*execution-role.*unknown/);
    Annotations.fromStack(stack).hasWarning('/TestStack/Rotator', Match.stringLikeRegexp('lifetime is unknown'));
    template.hasOutput('*', { Value: 'unknown (execution-role mode)' });
  });

  it('warns only in execution-role mode', () => {
    for (const props of [{}, { signingMode: 'long-term-keys' as const, longTermKeysSecretArn: KEYS_SECRET_ARN }]) {
      assert.deepEqual(Annotations.fromStack(synth(props).stack).findWarning('*', Match.stringLikeRegexp('unknown')), []);
    }
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

  it('denies DSQL connects outside the clusters\' regions unless told not to', () => {
    const deny = identityStatements(template).find((s) => s.effect === 'Deny');
    assert.ok(deny);
    assert.deepEqual(deny.actions, ['dsql:DbConnect', 'dsql:DbConnectAdmin']);
    assert.deepEqual(deny.condition, { StringNotEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } });
    const off = synth({ restrictToClusterRegions: false }).template;
    assert.equal(identityStatements(off).filter((s) => s.effect === 'Deny').length, 0);
  });

  it('uses explicit cluster ARNs when given, and merges targets on the same cluster', () => {
    const arn = 'arn:aws:dsql:us-east-2:444455556666:cluster/explicitcluster';
    const { template: t } = synth({
      targets: [
        { name: 'a', host: 'explicitcluster.dsql.us-east-2.on.aws', clusterArn: arn },
        { name: 'b', host: ORDERS_HOST },
        { name: 'c', host: ORDERS_HOST, user: 'admin', database: 'other' },
      ],
    });
    const allows = identityStatements(t).filter((s) => s.effect === 'Allow' && s.actions[0].startsWith('dsql:'));
    assert.deepEqual(
      allows.map((s) => [s.actions, s.resources]),
      [[['dsql:DbConnectAdmin'], [arn, ORDERS_ARN]]],
    );
    assert.ok(!functionEnv(t).HYPERDRIVE_TARGETS.includes('clusterArn'));
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

  it('reads exactly the token secret, writes only its own logs, sends only to its failure queue', () => {
    const exec = execStatements(template);
    const byService = (prefix: string) =>
      exec.filter((s) => s.actions.some((a) => a.startsWith(prefix))).map((s) => [[...s.actions].sort(), s.resources]);
    const secretId = onlyId(template, 'AWS::SecretsManager::Secret');
    assert.deepEqual(byService('secretsmanager:'), [[['secretsmanager:GetSecretValue'], [`\${${secretId}}`]]]);
    assert.deepEqual(byService('logs:'), [
      [['logs:CreateLogStream', 'logs:PutLogEvents'], [`\${${onlyId(template, 'AWS::Logs::LogGroup')}.Arn}`]],
    ]);
    assert.deepEqual(byService('sqs:'), [
      [['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], [`\${${onlyId(template, 'AWS::SQS::Queue')}.Arn}`]],
    ]);
    assert.deepEqual(byService('kms:'), []);
    assert.deepEqual(
      [...new Set(exec.flatMap((s) => s.actions.map((a) => a.split(':')[0])))].sort(),
      ['logs', 'secretsmanager', 'sqs', 'sts'],
    );
  });

  it('reads the existing secret by its exact ARN, and decrypts only through Secrets Manager', () => {
    const kmsKeyArn = 'arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012';
    const { template: t } = synth({ cloudflareApiTokenSecretArn: TOKEN_SECRET_ARN, kmsKeyArn });
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    assert.equal(functionEnv(t).CLOUDFLARE_API_TOKEN_SECRET_ID, TOKEN_SECRET_ARN);
    const exec = execStatements(t);
    assert.deepEqual(
      exec.filter((s) => s.actions.includes('secretsmanager:GetSecretValue')).map((s) => s.resources),
      [[TOKEN_SECRET_ARN]],
    );
    const kms = exec.filter((s) => s.actions.includes('kms:Decrypt'));
    assert.deepEqual(kms.map((s) => [s.resources, s.condition]), [
      [[kmsKeyArn], { StringEquals: { 'kms:ViaService': ['secretsmanager.us-east-1.amazonaws.com'] } }],
    ]);
  });

  it('refuses a partial secret ARN (IAM matches the full one)', () => {
    assert.throws(
      () => build({ cloudflareApiTokenSecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:cloudflare-token' }),
      /not a complete secret ARN/,
    );
  });
});

describe('the other signing modes', () => {
  it('long-term-keys: no signer role; reads both secrets; a policy for the IAM user with the DSQL grants', () => {
    const { template } = synth({ signingMode: 'long-term-keys', longTermKeysSecretArn: KEYS_SECRET_ARN });
    template.resourceCountIs('AWS::IAM::Role', 1);
    const env = functionEnv(template);
    assert.equal(env.SIGNER_CREDENTIALS_SECRET_ID, KEYS_SECRET_ARN);
    assert.equal(env.SIGNER_ROLE_ARN, undefined);
    assert.equal(env.SIGNER_SESSION_SECONDS, undefined);
    const exec = execStatements(template);
    const secretId = onlyId(template, 'AWS::SecretsManager::Secret');
    assert.deepEqual(
      exec.filter((s) => s.actions.includes('secretsmanager:GetSecretValue')).map((s) => s.resources),
      [[`\${${secretId}}`, KEYS_SECRET_ARN]],
    );
    assert.equal(exec.filter((s) => s.actions.some((a) => a.startsWith('sts:') || a.startsWith('dsql:'))).length, 0);
    const userPolicy = identityStatements(template).filter(
      (s) => s.owner === onlyId(template, 'AWS::IAM::ManagedPolicy') && s.effect === 'Allow',
    );
    assert.deepEqual(
      userPolicy.map((s) => [s.actions, s.resources]),
      [
        [['dsql:DbConnectAdmin'], [ORDERS_ARN]],
        [['dsql:DbConnect'], [REPORTS_ARN]],
      ],
    );
  });

  it('long-term-keys needs its secret, and the secret needs that mode', () => {
    assert.throws(() => build({ signingMode: 'long-term-keys' }), /needs longTermKeysSecretArn/);
    assert.throws(() => build({ longTermKeysSecretArn: KEYS_SECRET_ARN }), /only used with signingMode "long-term-keys"/);
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

describe('least privilege across every mode', () => {
  const variants = [
    {},
    { cloudflareApiTokenSecretArn: TOKEN_SECRET_ARN },
    { signingMode: 'long-term-keys' as const, longTermKeysSecretArn: KEYS_SECRET_ARN },
    { signingMode: 'execution-role' as const },
  ];
  it('no dsql or secretsmanager action on a "*" resource, no wildcard in any Allow on them', () => {
    for (const props of variants) {
      for (const s of identityStatements(synth(props).template)) {
        if (!s.actions.some((a) => /^(dsql|secretsmanager):/.test(a) || a === '*')) continue;
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
    synth({ signingMode: 'long-term-keys', longTermKeysSecretArn: KEYS_SECRET_ARN }).template.hasResourceProperties(
      'AWS::Lambda::EventInvokeConfig',
      { MaximumEventAgeInSeconds: 21600 },
    );
  });

  it('alarms on any error', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms when no run happened over two schedule periods, missing data counting as breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Statistic: 'Sum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    synth({ signingMode: 'long-term-keys', longTermKeysSecretArn: KEYS_SECRET_ARN }).template.hasResourceProperties(
      'AWS::CloudWatch::Alarm',
      { MetricName: 'Invocations', Period: 86400, EvaluationPeriods: 2 },
    );
  });

  it('alarms when a run lands in the failure queue', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('creates no topic and sets no alarm action by default', () => {
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    for (const alarm of Object.values<any>(template.findResources('AWS::CloudWatch::Alarm'))) {
      assert.equal(alarm.Properties.AlarmActions, undefined);
    }
  });

  it('notifies an existing topic', () => {
    const topicArn = 'arn:aws:sns:us-east-1:111122223333:ops-alarms';
    const { template: t } = synth({ alarmTopicArn: topicArn });
    t.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of Object.values<any>(t.findResources('AWS::CloudWatch::Alarm'))) {
      assert.deepEqual(alarm.Properties.AlarmActions, [topicArn]);
    }
  });

  it('creates a TLS-only topic open to this account\'s alarms, with an email subscription when given', () => {
    const { template: t } = synth({ alarmEmail: 'ops@example.com' });
    const topicId = onlyId(t, 'AWS::SNS::Topic');
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topicId },
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
    for (const alarm of Object.values<any>(t.findResources('AWS::CloudWatch::Alarm'))) {
      assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topicId }]);
    }
    const bare = synth({ createAlarmTopic: true }).template;
    bare.resourceCountIs('AWS::SNS::Topic', 1);
    bare.resourceCountIs('AWS::SNS::Subscription', 0);
    assert.throws(
      () => build({ alarmTopicArn: 'arn:aws:sns:us-east-1:111122223333:t', createAlarmTopic: true }),
      /do not also set/,
    );
  });
});

describe('the Cloudflare token secret', () => {
  it('is created empty when no ARN is given: no value, nothing generated', () => {
    const { template } = synth();
    const secret = Object.values<any>(template.findResources('AWS::SecretsManager::Secret'))[0];
    assert.equal(secret.Properties.SecretString, undefined);
    assert.equal(secret.Properties.GenerateSecretString, undefined);
    assert.match(secret.Properties.Description, /put-secret-value/);
    template.resourceCountIs('AWS::SecretsManager::SecretTargetAttachment', 0);
  });

  it('is encrypted with the given KMS key when the stack creates it', () => {
    const kmsKeyArn = 'arn:aws:kms:us-east-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-123456789012';
    synth({ kmsKeyArn }).template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: kmsKeyArn });
  });
});

describe('input checks', () => {
  it('refuses hosts that are not DSQL endpoints, a region that contradicts the host, and duplicate names', () => {
    assert.throws(() => build({ targets: [{ name: 'a', host: 'db.example.com' }] }), /not a DSQL endpoint/);
    assert.throws(
      () => build({ targets: [{ name: 'a', host: ORDERS_HOST, region: 'eu-west-1' }] }),
      /differs from the host's region/,
    );
    assert.throws(
      () => build({ targets: [{ name: 'a', host: ORDERS_HOST }, { name: 'a', host: REPORTS_HOST }] }),
      /appears twice/,
    );
    assert.throws(() => build({ targets: [] }), /at least one/);
    assert.throws(() => build({ targets: [{ name: 'a', host: ORDERS_HOST, clusterArn: 'arn:aws:rds:x' }] }), /clusterArn/);
  });

  it('defaults to the cargo lambda build output, and says how to make it when it is missing', () => {
    assert.equal(DEFAULT_CODE_DIR, path.resolve(__dirname, '..', '..', '..', 'target', 'lambda', 'hyperdrive-dsql-rotator'));
    if (fs.existsSync(path.join(DEFAULT_CODE_DIR, 'bootstrap'))) {
      assert.doesNotThrow(() => build({ code: undefined }));
    } else {
      assert.throws(() => build({ code: undefined }), /run `cargo lambda build --release`/);
    }
  });

  it('keeps maxConcurrency within what the function accepts', () => {
    assert.throws(() => build({ maxConcurrency: 0 }), /maxConcurrency must be/);
    assert.throws(() => build({ maxConcurrency: 65 }), /maxConcurrency must be/);
  });

  it('needs a Cloudflare account for every target', () => {
    assert.throws(
      () => build({ cloudflareAccountId: undefined, targets: [{ name: 'a', host: ORDERS_HOST }] }),
      /no accountId and cloudflareAccountId is not set/,
    );
  });
});

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
