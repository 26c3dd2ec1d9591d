/**
 * Where the function's code comes from: a release zip (`hyperdrive-dsql-rotator-<version>-<arch>.zip`, written by
 * scripts/release.sh into dist/ and attached to each GitHub release), or a build directory holding `bootstrap`
 * (`cargo lambda build --release` writes target/lambda/hyperdrive-dsql-rotator/). The Terraform module takes the
 * same zip (`lambda_zip_path`) and refuses the same architecture mismatch.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** A release zip's file name: its version and architecture. */
export const RELEASE_ZIP = /^hyperdrive-dsql-rotator-(.+)-(x86_64|arm64)\.zip$/;

/**
 * Where `cargo lambda build --release` puts the bootstrap binary when this construct runs from a clone of the
 * repository (infra/cdk/lib or infra/cdk/dist); meaningless once the construct is installed from its npm package,
 * where `codePath` (or `code`) must be given.
 */
export const DEFAULT_CODE_DIR = path.resolve(__dirname, '..', '..', '..', 'target', 'lambda', 'hyperdrive-dsql-rotator');

/** What is wrong with `codePath` for this architecture (empty: nothing). */
export function codePathProblems(codePath: string, architecture: 'x86_64' | 'arm64'): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(codePath);
  } catch {
    return [
      `codePath ${JSON.stringify(codePath)} does not exist: give the release zip (hyperdrive-dsql-rotator-<version>-` +
        `${architecture}.zip, from the GitHub release or scripts/release.sh's dist/) or a directory holding bootstrap.`,
    ];
  }
  if (stat.isDirectory()) {
    return fs.existsSync(path.join(codePath, 'bootstrap'))
      ? []
      : [`codePath ${JSON.stringify(codePath)} is a directory without a bootstrap file: run \`cargo lambda build --release\`, or give the release zip.`];
  }
  const name = path.basename(codePath);
  if (!name.endsWith('.zip')) {
    return [`codePath ${JSON.stringify(codePath)} is neither a .zip file nor a directory: give the release zip or a directory holding bootstrap.`];
  }
  const release = RELEASE_ZIP.exec(name);
  if (release && release[2] !== architecture) {
    return [
      `codePath ${name} is the ${release[2]} build, but architecture is ${architecture}: the function would not start; ` +
        `use hyperdrive-dsql-rotator-${release[1]}-${architecture}.zip or set architecture to ${release[2]}.`,
    ];
  }
  return [];
}

/** The function's code from `codePath` (a zip or a directory; checked by `codePathProblems`), else the build output. */
export function codeFromPath(codePath: string | undefined): lambda.Code {
  if (codePath !== undefined) return lambda.Code.fromAsset(codePath);
  if (!fs.existsSync(path.join(DEFAULT_CODE_DIR, 'bootstrap'))) {
    throw new Error(
      `No function code: pass codePath (the release zip hyperdrive-dsql-rotator-<version>-<arch>.zip, or a directory ` +
        `holding bootstrap) or code. (From a clone of the repository, \`cargo lambda build --release\` at its root ` +
        `writes ${DEFAULT_CODE_DIR}, the default there.)`,
    );
  }
  return lambda.Code.fromAsset(DEFAULT_CODE_DIR);
}
