/**
 * `CrossAccountDsqlSigner`: the signer role of the DSQL clusters in *another* AWS account than the function's.
 * An IAM policy in the function's account cannot authorise a cluster elsewhere, so this role lives in the clusters'
 * account, trusts exactly the function's execution role, and may connect to exactly the given clusters. The function
 * assumes it each run for the targets of that account (their `signer_role_arn`, rendered by `HyperdriveDsqlRotator`
 * from its `crossAccountSignerRoles`). The Terraform module `cross-account-signer` builds the same role.
 */
import { CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { connectStatements } from './hyperdrive-dsql-rotator';
import { SIGNER_SESSION_MAX_SECONDS } from './rotation-plan';
import { IAM_ROLE_ARN, clusterArnParts } from './targets';

export interface CrossAccountDsqlSignerProps {
  /** ARN of the function's execution role (the rotator stack's `ExecutionRoleArn` output): the only principal trusted. */
  readonly executionRoleArn: string;
  /** Clusters of this account whose targets connect as `admin` (`dsql:DbConnectAdmin`). */
  readonly dbConnectAdminClusterArns?: string[];
  /** Clusters of this account whose targets connect as another role (`dsql:DbConnect`). */
  readonly dbConnectClusterArns?: string[];
  /**
   * Name of the role; the rotator's `crossAccountSignerRoles` names its ARN. IAM names are global to the account, so
   * the default holds this stack's region. Default `hyperdrive-dsql-signer-<region>`.
   */
  readonly roleName?: string;
  /** IAM path of the role. Default `/`. */
  readonly rolePath?: string;
  /** Permissions boundary of the role. Default: none. */
  readonly permissionsBoundary?: iam.IManagedPolicy;
  /** Deny DSQL connect actions in any region but the clusters' regions. Default true. */
  readonly restrictToClusterRegions?: boolean;
}

export class CrossAccountDsqlSigner extends Construct {
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: CrossAccountDsqlSignerProps) {
    super(scope, id);
    const account = Stack.of(this).account;
    const admin = props.dbConnectAdminClusterArns ?? [];
    const connect = props.dbConnectClusterArns ?? [];
    const problems: string[] = [];
    if (admin.length + connect.length === 0) {
      problems.push('give at least one cluster ARN (dbConnectAdminClusterArns or dbConnectClusterArns).');
    }
    const exec = props.executionRoleArn;
    if (!Token.isUnresolved(exec)) {
      const match = IAM_ROLE_ARN.exec(exec);
      if (!match) problems.push(`executionRoleArn ${JSON.stringify(exec)} is not an IAM role ARN.`);
      else if (!Token.isUnresolved(account) && match[2] === account) {
        problems.push(
          `executionRoleArn is in this stack's account (${account}): clusters in the function's own account are ` +
            'signed by the rotator stack\'s own signer role; this construct is for other accounts.',
        );
      }
    }
    const clusters = [
      ...admin.map((arn) => ({ arn, action: 'dsql:DbConnectAdmin' })),
      ...connect.map((arn) => ({ arn, action: 'dsql:DbConnect' })),
    ].map(({ arn, action }) => {
      if (Token.isUnresolved(arn)) return { arn, action, region: undefined };
      const parts = clusterArnParts(arn);
      if (!parts) {
        problems.push(`${JSON.stringify(arn)} is not a DSQL cluster ARN (arn:<partition>:dsql:<region>:<account>:cluster/<id>).`);
      } else if (!Token.isUnresolved(account) && parts.account !== account) {
        problems.push(
          `cluster ${arn} is in account ${parts.account}, not this stack's (${account}): deploy a signer in each ` +
            'account, for its own clusters.',
        );
      }
      return { arn, action, region: parts?.region };
    });
    if (problems.length > 0) {
      throw new Error(`CrossAccountDsqlSigner: ${problems.join(' ')}`);
    }

    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName ?? `hyperdrive-dsql-signer-${Stack.of(this).region}`,
      path: props.rolePath,
      permissionsBoundary: props.permissionsBoundary,
      assumedBy: new iam.ArnPrincipal(exec),
      maxSessionDuration: Duration.seconds(SIGNER_SESSION_MAX_SECONDS),
      description: 'Signs Aurora DSQL auth tokens for hyperdrive-dsql-rotator in another account; assumed by its function only',
      inlinePolicies: {
        DsqlConnect: new iam.PolicyDocument({
          statements: connectStatements(clusters, props.restrictToClusterRegions ?? true),
        }),
      },
    });
    new CfnOutput(this, 'SignerRoleArn', {
      value: this.role.roleArn,
      description: 'Put it in the rotator\'s crossAccountSignerRoles under this account id',
    });
  }
}
