/**
 * Time to dark (issue 9): the "dark soon" and "Cloudflare token expiring" alarms and the dashboard of
 * `HyperdriveDsqlRotator`, built on the function's EMF metrics (namespace `HyperdriveDsqlRotator`). Kept apart from
 * the main construct, which only calls `timeToDarkMonitoring`. The Terraform module applies the same rules
 * (infra/terraform/modules/hyperdrive-dsql-rotator/time_to_dark.tf).
 */
import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { SchedulePlan } from './rotation-plan';

/** The function's EMF namespace (README: Logs and metrics). */
const NAMESPACE = 'HyperdriveDsqlRotator';
/** What the dark-soon alarm leaves to act once it fires, on top of one schedule interval. */
export const DARK_SOON_LEAD_SECONDS = 1_800;
export const DEFAULT_CLOUDFLARE_TOKEN_ALARM_DAYS = 14;
/** CloudWatch dynamic label: each series of the SEARCH is named by its Target dimension. */
export const TARGET_LABEL = "${PROP('Dim.Target')}";

/** The inputs of the time-to-dark alarms and dashboard (part of `HyperdriveDsqlRotatorProps`). */
export interface TimeToDarkProps {
  /**
   * The "dark soon" alarm fires when `MinSecondsToDark` (the least time any config's token has left) is below this.
   * Default: the schedule interval plus 30 minutes, or the guaranteed token lifetime less half an interval when that
   * is smaller (infra/README.md, Alarms). Must be below the guaranteed token lifetime (refused at synth otherwise).
   * Not used (refused) when the lifetime is unknown (`execution-role` mode): there is no figure, so no alarm.
   */
  readonly darkSoonThresholdSeconds?: number;
  /** The "Cloudflare token expiring" alarm fires when the Cloudflare API token has fewer days left. Default 14. */
  readonly cloudflareTokenAlarmDays?: number;
  /** Create the CloudWatch dashboard. Default true. */
  readonly createDashboard?: boolean;
}

/** The dark-soon alarm's settings, or undefined when the lifetime is unknown (no alarm). */
export interface DarkSoonPlan {
  readonly thresholdSeconds: number;
  /** One schedule interval (at least 60 s): each period holds one run's figure. */
  readonly periodSeconds: number;
}

/**
 * The dark-soon threshold: `darkSoonThresholdSeconds`, or by default min(interval + 30 minutes, lifetime - interval/2).
 * Refuses a threshold at or above the lifetime (it would alarm after every successful run), and any threshold when the
 * lifetime is unknown.
 */
export function planDarkSoon(schedule: SchedulePlan, thresholdSeconds?: number): DarkSoonPlan | undefined {
  const lifetime = schedule.guaranteedLifetimeSeconds;
  const interval = schedule.intervalMinutes * 60;
  if (lifetime === undefined) {
    if (thresholdSeconds !== undefined) {
      throw new Error(
        'darkSoonThresholdSeconds is refused: the token lifetime is unknown (execution-role mode), so the function ' +
          'emits no MinSecondsToDark and the stack creates no dark-soon alarm. Use signingMode "signer-role" for a ' +
          'known lifetime, or remove darkSoonThresholdSeconds.',
      );
    }
    return undefined;
  }
  const period = Math.max(60, interval);
  if (thresholdSeconds === undefined) {
    return { thresholdSeconds: Math.min(interval + DARK_SOON_LEAD_SECONDS, lifetime - Math.floor(interval / 2)), periodSeconds: period };
  }
  if (!Number.isInteger(thresholdSeconds) || thresholdSeconds < 1) {
    throw new Error(`darkSoonThresholdSeconds must be a whole number of seconds, at least 1; got ${thresholdSeconds}.`);
  }
  if (thresholdSeconds >= lifetime) {
    throw new Error(
      `darkSoonThresholdSeconds ${thresholdSeconds} is refused: it is not below the guaranteed token lifetime ` +
        `(${lifetime} s), so every successful run would leave the figure under it and the alarm would never clear; ` +
        `use less than ${lifetime} (default: the ${schedule.intervalMinutes}-minute interval plus 30 minutes, capped ` +
        'at the lifetime less half an interval).',
    );
  }
  return { thresholdSeconds, periodSeconds: period };
}

function alarmDays(days: number | undefined): number {
  const value = days ?? DEFAULT_CLOUDFLARE_TOKEN_ALARM_DAYS;
  if (!Number.isInteger(value) || value < 1 || value > 365) {
    throw new Error(`cloudflareTokenAlarmDays must be a whole number of days from 1 to 365; got ${value}.`);
  }
  return value;
}

export interface TimeToDarkMonitoring {
  /** Undefined when the token lifetime is unknown (execution-role mode). */
  readonly darkSoonAlarm?: cloudwatch.Alarm;
  readonly darkSoon?: DarkSoonPlan;
  readonly cloudflareTokenAlarm: cloudwatch.Alarm;
  readonly cloudflareTokenAlarmDays: number;
  readonly dashboard?: cloudwatch.Dashboard;
}

/** Creates the alarms (without actions: the caller adds them with the other alarms) and the dashboard. */
export function timeToDarkMonitoring(
  scope: Construct,
  fn: lambda.IFunction,
  schedule: SchedulePlan,
  props: TimeToDarkProps,
): TimeToDarkMonitoring {
  const darkSoon = planDarkSoon(schedule, props.darkSoonThresholdSeconds);
  const days = alarmDays(props.cloudflareTokenAlarmDays);
  const interval = schedule.intervalMinutes * 60;
  const period = Duration.seconds(Math.max(60, interval));
  const metric = (metricName: string, statistic: string, label?: string) =>
    new cloudwatch.Metric({
      namespace: NAMESPACE,
      metricName,
      dimensionsMap: { FunctionName: fn.functionName },
      statistic,
      period,
      label,
    });
  const minSecondsToDark = metric('MinSecondsToDark', cloudwatch.Stats.MINIMUM);

  let darkSoonAlarm: cloudwatch.Alarm | undefined;
  if (darkSoon !== undefined) {
    // Missing data is breaching: no figure for one period means runs stopped, or a run could not tell (Cloudflare
    // unreachable, the function failed before its report), and either way nobody knows how long the configs last.
    darkSoonAlarm = new cloudwatch.Alarm(scope, 'DarkSoonAlarm', {
      alarmDescription:
        `A Hyperdrive config's DSQL token has less than ${darkSoon.thresholdSeconds} s left (MinSecondsToDark), or ` +
        `no run reported it for ${darkSoon.periodSeconds} s: find the failing target in the function's log group ` +
        'and fix it before the token expires (infra/README.md, Alarms)',
      metric: minSecondsToDark,
      threshold: darkSoon.thresholdSeconds,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }
  // Missing data is not breaching: a token without an expiry emits nothing. One of two periods: a run whose figure
  // lands in the next period leaves one empty without flapping the alarm to OK.
  const cloudflareTokenAlarm = new cloudwatch.Alarm(scope, 'CloudflareTokenExpiringAlarm', {
    alarmDescription:
      `The Cloudflare API token expires in less than ${days} days (CloudflareTokenSecondsLeft): roll it in the ` +
      'Cloudflare dashboard and put the new one in the token secret (infra/README.md)',
    metric: metric('CloudflareTokenSecondsLeft', cloudwatch.Stats.MINIMUM),
    threshold: days * 86_400,
    evaluationPeriods: 2,
    datapointsToAlarm: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });

  let dashboard: cloudwatch.Dashboard | undefined;
  if (props.createDashboard ?? true) {
    const thresholdLine: cloudwatch.HorizontalAnnotation[] =
      darkSoon === undefined ? [] : [{ value: darkSoon.thresholdSeconds, label: 'dark soon threshold', color: '#d62728' }];
    const seconds = { label: 'seconds', showUnits: false, min: 0 };
    dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
      start: `-PT${dashboardHours(schedule.intervalMinutes)}H`,
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Seconds to dark per target',
            width: 12,
            left: [
              new cloudwatch.MathExpression({
                expression: secondsToDarkSearch(fn.functionName, period.toSeconds()),
                usingMetrics: {},
                // One line per target, named by its Target dimension (a dynamic label).
                label: TARGET_LABEL,
                period,
              }),
            ],
            leftAnnotations: thresholdLine,
            leftYAxis: seconds,
          }),
          new cloudwatch.GraphWidget({
            title: 'Least seconds to dark (MinSecondsToDark, the dark-soon alarm metric)',
            width: 12,
            left: [metric('MinSecondsToDark', cloudwatch.Stats.MINIMUM, 'MinSecondsToDark')],
            leftAnnotations: thresholdLine,
            leftYAxis: seconds,
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Runs and errors',
            width: 8,
            left: [
              fn.metricInvocations({ statistic: cloudwatch.Stats.SUM, period, label: 'Invocations' }),
              fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period, label: 'Errors' }),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Configs created, updated, failed',
            width: 8,
            left: [
              metric('Created', cloudwatch.Stats.SUM, 'Created'),
              metric('Updated', cloudwatch.Stats.SUM, 'Updated'),
              metric('Failed', cloudwatch.Stats.SUM, 'Failed'),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Cloudflare API token days left',
            width: 8,
            left: [
              new cloudwatch.MathExpression({
                expression: 'm1 / 86400',
                usingMetrics: { m1: metric('CloudflareTokenSecondsLeft', cloudwatch.Stats.MINIMUM) },
                label: 'days left',
                period,
              }),
            ],
            leftAnnotations: [{ value: days, label: 'expiring alarm threshold (days)', color: '#ff7f0e' }],
            leftYAxis: { label: 'days', showUnits: false, min: 0 },
          }),
        ],
      ],
    });
  }
  return { darkSoonAlarm, darkSoon, cloudflareTokenAlarm, cloudflareTokenAlarmDays: days, dashboard };
}

/** The SEARCH expression of every target's `SecondsToDark` (dimensions FunctionName, Target) of this function. */
export function secondsToDarkSearch(functionName: string, periodSeconds: number): string {
  return `SEARCH('{${NAMESPACE},FunctionName,Target} MetricName="SecondsToDark" FunctionName="${functionName}"', 'Minimum', ${periodSeconds})`;
}

/** How far back the dashboard looks: a day, or sixteen runs when they are further apart. */
export function dashboardHours(intervalMinutes: number): number {
  return Math.max(24, Math.ceil((intervalMinutes * 16) / 60));
}

/** The console URL of a dashboard (the `aws` partition's console). */
export function dashboardUrl(dashboardName: string): string {
  return `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboardName}`;
}
