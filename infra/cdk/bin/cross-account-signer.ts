#!/usr/bin/env node
/**
 * Example app for the *other* AWS account: one stack holding one `CrossAccountDsqlSigner`, the role the rotator's
 * function assumes to sign tokens for that account's DSQL clusters. Deploy it with that account's credentials:
 *   npx cdk deploy --app 'node --import tsx bin/cross-account-signer.ts' \
 *     -c executionRoleArn=<the rotator stack's ExecutionRoleArn output> \
 *     -c dbConnectAdminClusterArns=<arn,...> -c dbConnectClusterArns=<arn,...>
 * (the rotator stack's CrossAccountSignerInputs<account> output holds these three -c flags). Inputs may also come
 * from HDR_ environment variables (HDR_EXECUTION_ROLE_ARN, ...). cdk-nag AwsSolutions runs on every synth.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CrossAccountDsqlSigner } from '../lib';
import { bool, list, text } from './inputs';

const app = new App();
const stack = new Stack(app, text(app, 'stackName') ?? 'HyperdriveDsqlSigner', {
  description: 'hyperdrive-dsql-rotator: signer role for the DSQL clusters of this account',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
const executionRoleArn = text(app, 'executionRoleArn');
if (executionRoleArn === undefined) {
  throw new Error('No executionRoleArn: pass -c executionRoleArn=<the rotator stack\'s ExecutionRoleArn output>.');
}
const boundary = text(app, 'permissionsBoundaryArn');
new CrossAccountDsqlSigner(stack, 'Signer', {
  executionRoleArn,
  dbConnectAdminClusterArns: list(app, 'dbConnectAdminClusterArns'),
  dbConnectClusterArns: list(app, 'dbConnectClusterArns'),
  roleName: text(app, 'roleName'),
  rolePath: text(app, 'rolePath'),
  permissionsBoundary:
    boundary === undefined ? undefined : iam.ManagedPolicy.fromManagedPolicyArn(stack, 'PermissionsBoundary', boundary),
  restrictToClusterRegions: bool(app, 'restrictToClusterRegions'),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
