/**
 * Time to dark (issue 9): the dark-soon and Cloudflare-token-expiring alarms and the dashboard, per signing mode;
 * the Terraform module's tests/time_to_dark.tftest.hcl checks the same properties.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Template } from 'aws-cdk-lib/assertions';
import { ENV, ORDERS_HOST, TOPIC_ARN, Json, build, existing, longTermKeys, onlyId, render, synth } from './helpers';

const OTHER = '444455556666';

function alarm(template: Template, metricName: string): Json | undefined {
  return Object.values<Json>(template.findResources('AWS::CloudWatch::Alarm')).find((a) => a.Properties.MetricName === metricName)
    ?.Properties;
}

function pick(o: Json, keys: string[]): Json {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

/** The dashboard body as JSON, references rendered as ${LogicalId} (helpers.render). */
function dashboardBody(template: Template): Json {
  const dashboards = Object.values<Json>(template.findResources('AWS::CloudWatch::Dashboard'));
  assert.equal(dashboards.length, 1);
  return JSON.parse(render(dashboards[0].Properties.DashboardBody));
}

function outputs(template: Template): Record<string, Json> {
  return Object.fromEntries(
    Object.entries<Json>(template.toJSON().Outputs).map(([id, o]) => [id.replace(/^Rotator/, '').replace(/[0-9A-F]{8}$/, ''), o.Value]),
  );
}

const ALARM_KEYS = [
  'Namespace',
  'MetricName',
  'Statistic',
  'Period',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
];

describe('dark-soon alarm', () => {
  it('signer-role: MinSecondsToDark Minimum < 2700 s (15-minute interval + 30 minutes), one 900 s period, missing breaching', () => {
    const { template, rotator } = synth();
    const fn = onlyId(template, 'AWS::Lambda::Function');
    const props = alarm(template, 'MinSecondsToDark');
    assert.deepEqual(pick(props, ALARM_KEYS), {
      Namespace: 'HyperdriveDsqlRotator',
      MetricName: 'MinSecondsToDark',
      Statistic: 'Minimum',
      Period: 900,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      Threshold: 2700,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    assert.deepEqual(props.Dimensions, [{ Name: 'FunctionName', Value: { Ref: fn } }]);
    assert.deepEqual(rotator.darkSoon, { thresholdSeconds: 2700, periodSeconds: 900 });
    assert.equal(outputs(template).DarkSoonThresholdSeconds, '2700');
  });

  it('long-term-keys: the daily schedule + 30 minutes = 88200 s, over one daily period', () => {
    const props = alarm(synth(longTermKeys).template, 'MinSecondsToDark');
    assert.deepEqual(pick(props, ['Threshold', 'Period', 'EvaluationPeriods', 'TreatMissingData']), {
      Threshold: 88200,
      Period: 86400,
      EvaluationPeriods: 1,
      TreatMissingData: 'breaching',
    });
  });

  it('caps the default at the lifetime less half an interval when interval + 30 minutes is not below it', () => {
    // long-term-keys with a cluster in another account: lifetime 3600 s, 30-minute schedule; 3600 is not below 3600.
    const cross = synth(
      (stack) => ({
        ...longTermKeys(stack),
        targets: [
          { name: 'orders', host: ORDERS_HOST },
          { name: 'billing', host: 'billingcluster.dsql.us-west-2.on.aws', clusterArn: `arn:aws:dsql:us-west-2:${OTHER}:cluster/billingcluster` },
        ],
        crossAccountSignerRoles: { [OTHER]: `arn:aws:iam::${OTHER}:role/hyperdrive-dsql-signer-us-west-2` },
      }),
      { env: ENV },
    );
    assert.equal(cross.rotator.schedule.intervalMinutes, 30);
    assert.deepEqual(pick(alarm(cross.template, 'MinSecondsToDark'), ['Threshold', 'Period']), { Threshold: 2700, Period: 1800 });
    // A 900 s session: 7-minute schedule, 900 - 210 = 690 s.
    const short = synth({ signerSessionSeconds: 900 });
    assert.equal(short.rotator.schedule.intervalMinutes, 7);
    assert.deepEqual(pick(alarm(short.template, 'MinSecondsToDark'), ['Threshold', 'Period']), { Threshold: 690, Period: 420 });
  });

  it('is not created in execution-role mode (no figure), and the Cloudflare alarm and the dashboard stay', () => {
    const { template, rotator } = synth({ signingMode: 'execution-role' });
    assert.equal(alarm(template, 'MinSecondsToDark'), undefined);
    assert.equal(rotator.darkSoonAlarm, undefined);
    assert.equal(rotator.darkSoon, undefined);
    assert.notEqual(alarm(template, 'CloudflareTokenSecondsLeft'), undefined);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    assert.equal(outputs(template).DarkSoonThresholdSeconds, undefined);
    const body = dashboardBody(template);
    assert.equal(body.widgets.length, 5);
    assert.equal(body.widgets[0].properties.annotations, undefined);
  });

  it('takes darkSoonThresholdSeconds up to the lifetime less one second', () => {
    const { template } = synth({ darkSoonThresholdSeconds: 3599 });
    assert.equal(alarm(template, 'MinSecondsToDark').Threshold, 3599);
    assert.equal(dashboardBody(template).widgets[0].properties.annotations.horizontal[0].value, 3599);
  });

  it('refuses a threshold at or above the lifetime, not whole, or in execution-role mode, naming the input', () => {
    assert.throws(
      () => build({ darkSoonThresholdSeconds: 3600 }),
      /darkSoonThresholdSeconds 3600 is refused: it is not below the guaranteed token lifetime \(3600 s\)/,
    );
    assert.throws(
      () => build((stack) => ({ ...longTermKeys(stack), darkSoonThresholdSeconds: 604800 })),
      /darkSoonThresholdSeconds 604800 is refused: .*\(604800 s\)/,
    );
    assert.throws(() => build({ darkSoonThresholdSeconds: 0 }), /darkSoonThresholdSeconds must be a whole number/);
    assert.throws(() => build({ darkSoonThresholdSeconds: 1800.5 }), /darkSoonThresholdSeconds must be a whole number/);
    assert.throws(
      () => build({ signingMode: 'execution-role', darkSoonThresholdSeconds: 1800 }),
      /darkSoonThresholdSeconds is refused: the token lifetime is unknown \(execution-role mode\)/,
    );
  });
});

describe('Cloudflare-token-expiring alarm', () => {
  it('CloudflareTokenSecondsLeft Minimum < 14 days, one of two periods, missing data not breaching', () => {
    const { template, rotator } = synth();
    const props = alarm(template, 'CloudflareTokenSecondsLeft');
    assert.deepEqual(pick(props, ALARM_KEYS), {
      Namespace: 'HyperdriveDsqlRotator',
      MetricName: 'CloudflareTokenSecondsLeft',
      Statistic: 'Minimum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      Threshold: 1_209_600,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    assert.deepEqual(props.Dimensions, [{ Name: 'FunctionName', Value: { Ref: onlyId(template, 'AWS::Lambda::Function') } }]);
    assert.notEqual(rotator.cloudflareTokenAlarm, undefined);
  });

  it('takes cloudflareTokenAlarmDays, and refuses one out of 1..365', () => {
    const { template } = synth({ cloudflareTokenAlarmDays: 30 });
    assert.equal(alarm(template, 'CloudflareTokenSecondsLeft').Threshold, 2_592_000);
    assert.equal(dashboardBody(template).widgets[4].properties.annotations.horizontal[0].value, 30);
    assert.throws(() => build({ cloudflareTokenAlarmDays: 0 }), /cloudflareTokenAlarmDays must be a whole number of days from 1 to 365/);
  });
});

describe('alarm actions', () => {
  it('both notify an existing topic of ALARM and OK, like the other alarms (no INSUFFICIENT_DATA action)', () => {
    const { template } = synth((stack) => ({ alarmTopic: existing(stack).topic }));
    for (const metric of ['MinSecondsToDark', 'CloudflareTokenSecondsLeft']) {
      const props = alarm(template, metric);
      assert.deepEqual(props.AlarmActions, [TOPIC_ARN], metric);
      assert.deepEqual(props.OKActions, [TOPIC_ARN], metric);
      assert.equal(props.InsufficientDataActions, undefined, metric);
    }
  });

  it('a created topic admits both, and they notify it', () => {
    const { template } = synth({ alarmEmail: 'ops@example.com' });
    const topic = onlyId(template, 'AWS::SNS::Topic');
    const policy = Object.values<Json>(template.findResources('AWS::SNS::TopicPolicy'))[0].Properties.PolicyDocument;
    const admitted = policy.Statement.find((s: Json) => s.Sid === 'AllowTheRotatorAlarms').Condition.ArnEquals['aws:SourceArn'];
    for (const metric of ['MinSecondsToDark', 'CloudflareTokenSecondsLeft']) {
      const [id] = Object.entries<Json>(template.findResources('AWS::CloudWatch::Alarm')).find(
        ([, a]) => a.Properties.MetricName === metric,
      )!;
      assert.ok(admitted.some((a: Json) => a['Fn::GetAtt']?.[0] === id), `${metric} admitted`);
      assert.deepEqual(alarm(template, metric).AlarmActions, [{ Ref: topic }]);
      assert.deepEqual(alarm(template, metric).OKActions, [{ Ref: topic }]);
    }
    assert.equal(admitted.length, 6);
  });
});

describe('dashboard', () => {
  const { template } = synth();
  const fn = onlyId(template, 'AWS::Lambda::Function');
  const body = dashboardBody(template);

  it('has the five widgets, over a day for a 15-minute schedule', () => {
    assert.deepEqual(
      body.widgets.map((w: Json) => w.properties.title),
      [
        'Seconds to dark per target',
        'Least seconds to dark (MinSecondsToDark, the dark-soon alarm metric)',
        'Runs and errors',
        'Configs created, updated, failed',
        'Cloudflare API token days left',
      ],
    );
    assert.equal(body.start, '-PT24H');
    assert.equal(dashboardBody(synth(longTermKeys).template).start, '-PT384H');
  });

  it('draws seconds to dark per target (SEARCH over SecondsToDark of this function) and the threshold', () => {
    assert.deepEqual(body.widgets[0].properties.metrics, [
      [
        {
          label: "${PROP('Dim.Target')}",
          expression: `SEARCH('{HyperdriveDsqlRotator,FunctionName,Target} MetricName="SecondsToDark" FunctionName="\${${fn}}"', 'Minimum', 900)`,
          period: 900,
        },
      ],
    ]);
    for (const i of [0, 1]) {
      assert.deepEqual(body.widgets[i].properties.annotations.horizontal, [
        { value: 2700, label: 'dark soon threshold', color: '#d62728', yAxis: 'left' },
      ]);
    }
    assert.deepEqual(body.widgets[1].properties.metrics, [
      ['HyperdriveDsqlRotator', 'MinSecondsToDark', 'FunctionName', `\${${fn}}`, { label: 'MinSecondsToDark', period: 900, stat: 'Minimum' }],
    ]);
  });

  it('draws runs and errors, created/updated/failed, and the Cloudflare token days left', () => {
    assert.deepEqual(body.widgets[2].properties.metrics, [
      ['AWS/Lambda', 'Invocations', 'FunctionName', `\${${fn}}`, { label: 'Invocations', period: 900, stat: 'Sum' }],
      ['AWS/Lambda', 'Errors', 'FunctionName', `\${${fn}}`, { label: 'Errors', period: 900, stat: 'Sum' }],
    ]);
    assert.deepEqual(
      body.widgets[3].properties.metrics.map((m: Json[]) => [m[0], m[1], m[4].stat]),
      [
        ['HyperdriveDsqlRotator', 'Created', 'Sum'],
        ['HyperdriveDsqlRotator', 'Updated', 'Sum'],
        ['HyperdriveDsqlRotator', 'Failed', 'Sum'],
      ],
    );
    const [days, seconds] = body.widgets[4].properties.metrics;
    assert.equal(days[0].expression, 'm1 / 86400');
    assert.deepEqual(seconds.slice(0, 4), ['HyperdriveDsqlRotator', 'CloudflareTokenSecondsLeft', 'FunctionName', `\${${fn}}`]);
    assert.equal(seconds[4].id, 'm1');
    assert.equal(body.widgets[4].properties.annotations.horizontal[0].value, 14);
  });

  it('outputs its name and console URL; createDashboard false makes none', () => {
    const out = outputs(template);
    const dashboard = onlyId(template, 'AWS::CloudWatch::Dashboard');
    assert.deepEqual(out.DashboardName, { Ref: dashboard });
    assert.equal(
      render(out.DashboardUrl),
      `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards:name=\${${dashboard}}`,
    );
    const none = synth({ createDashboard: false }).template;
    none.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    assert.equal(outputs(none).DashboardName, undefined);
  });
});
