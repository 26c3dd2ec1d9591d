/**
 * Fleet inputs of the construct (issue 10): a Cloudflare API token secret per account
 * (`CLOUDFLARE_API_TOKEN_SECRET_IDS`), and the targets shipped as a file in a Lambda layer
 * (`HYPERDRIVE_TARGETS_FILE`) when they would not fit Lambda's 4 KB environment.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack, Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { HyperdriveTarget } from './targets';

const CLOUDFLARE_ACCOUNT_ID = /^[0-9a-fA-F]{32}$/;
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
/** Largest HYPERDRIVE_TARGETS kept in the environment; past it, the targets go in a layer file. */
export const MAX_TARGETS_ENV_BYTES = 3500;
/** Where the targets layer puts the file (a layer is extracted under /opt). */
export const TARGETS_FILE_PATH = '/opt/hyperdrive-targets.json';

/** The Cloudflare accounts of the targets, in lower case (a target's `accountId`, else the default). */
export function targetAccounts(targets: readonly HyperdriveTarget[], defaultAccountId?: string): string[] {
  return [...new Set(targets.map((t) => String(t.accountId ?? defaultAccountId).toLowerCase()))];
}

/**
 * Problems with `cloudflareApiTokenSecrets`: keys that are not account ids, an account given twice, a secret imported
 * without its complete ARN, and an entry for an account no target uses (its secret would be granted and never read).
 */
export function tokenSecretsProblems(
  secrets: Record<string, secretsmanager.ISecret> | undefined,
  targets: readonly HyperdriveTarget[],
  defaultAccountId?: string,
): string[] {
  if (secrets === undefined) return [];
  const problems: string[] = [];
  const used = targetAccounts(targets, defaultAccountId);
  const seen = new Set<string>();
  for (const [account, secret] of Object.entries(secrets)) {
    const at = `cloudflareApiTokenSecrets["${account}"]`;
    if (!CLOUDFLARE_ACCOUNT_ID.test(account)) {
      problems.push(
        `${at}: the key is not a Cloudflare account ID; use the 32 hexadecimal characters shown in the dashboard's ` +
          'URL or Overview page.',
      );
      continue;
    }
    if (seen.has(account.toLowerCase())) {
      problems.push(`${at}: the account is given twice (account ids are compared in lower case); keep one entry.`);
    }
    seen.add(account.toLowerCase());
    const arn = secret.secretFullArn;
    if (arn === undefined || (!Token.isUnresolved(arn) && !SECRET_ARN.test(arn))) {
      problems.push(
        `${at} was imported without its complete ARN (arn:<partition>:secretsmanager:<region>:<account>:secret:` +
          '<name>-<6 characters>): IAM matches the exact ARN; import it with Secret.fromSecretCompleteArn.',
      );
    }
    if (!used.includes(account.toLowerCase())) {
      problems.push(
        `${at}: no target is in this Cloudflare account, so the function would never read the secret (and it would ` +
          'be granted for nothing); check the account id or remove the entry.',
      );
    }
  }
  return problems;
}

/** True when every target's account has its own token secret: the default secret is then not needed. */
export function everyAccountHasItsToken(
  secrets: Record<string, secretsmanager.ISecret> | undefined,
  targets: readonly HyperdriveTarget[],
  defaultAccountId?: string,
): boolean {
  if (secrets === undefined) return false;
  const own = new Set(Object.keys(secrets).map((a) => a.toLowerCase()));
  return targetAccounts(targets, defaultAccountId).every((a) => own.has(a));
}

/**
 * The targets as the function reads them, in the environment when they fit (`HYPERDRIVE_TARGETS`), else as
 * /opt/hyperdrive-targets.json in a layer built at synth (`HYPERDRIVE_TARGETS_FILE`). Only when they do not fit,
 * so that small fleets keep the targets visible in the console and need no layer.
 */
export function shipTargets(
  scope: Construct,
  functionTargets: Record<string, unknown>[],
  architecture: lambda.Architecture,
): { environment: Record<string, string>; layer?: lambda.LayerVersion } {
  const text = JSON.stringify(functionTargets);
  if (Buffer.byteLength(text, 'utf8') <= MAX_TARGETS_ENV_BYTES) {
    return { environment: { HYPERDRIVE_TARGETS: Stack.of(scope).toJsonString(functionTargets) } };
  }
  if (Token.isUnresolved(text)) {
    throw new Error(
      `HYPERDRIVE_TARGETS would be about ${Buffer.byteLength(text, 'utf8')} bytes, over Lambda's 4 KB environment, ` +
        'so the targets go in a file built at synth; but some target values are known only at deploy time (tokens): ' +
        'give them as plain values, or split the targets over two rotators.',
    );
  }
  // A staging directory per synth; the asset is hashed by content, so the same targets give the same layer.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hdr-targets-'));
  fs.writeFileSync(path.join(dir, path.basename(TARGETS_FILE_PATH)), text);
  const layer = new lambda.LayerVersion(scope, 'TargetsLayer', {
    code: lambda.Code.fromAsset(dir),
    compatibleRuntimes: [lambda.Runtime.PROVIDED_AL2023],
    compatibleArchitectures: [architecture],
    description: `hyperdrive-dsql-rotator targets (${functionTargets.length}), read via HYPERDRIVE_TARGETS_FILE`,
  });
  return { environment: { HYPERDRIVE_TARGETS_FILE: TARGETS_FILE_PATH }, layer };
}
