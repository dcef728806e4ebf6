// Where each Lambda's code comes from.
//
// Deployable code: `target/lambda/<name>/bootstrap`, packaged by scripts/build.
// Checks (tests, cdk-nag, cfn-lint) run where nothing is built, with
// `-c kairos:lambdaCode=placeholder`: every function then gets the same generated stub,
// which only prints an error, and each stack that carries it gets a CloudFormation rule
// that always fails, so such a template can never be deployed by accident.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnRule, Fn, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Node } from 'constructs';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PLACEHOLDER_DIR = path.resolve(__dirname, '..', 'build', 'placeholder-lambda');
const PLACEHOLDER_SCRIPT = `#!/bin/sh
echo "kairos: placeholder code from an offline CDK check; build with scripts/build and deploy again" >&2
exit 1
`;

export type CodeMode = 'build' | 'placeholder';

export class LambdaCode {
  readonly mode: CodeMode;
  private readonly dir: string;

  constructor(mode: CodeMode, lambdaDir = path.join(REPO_ROOT, 'target', 'lambda')) {
    this.mode = mode;
    this.dir = lambdaDir;
  }

  static fromContext(node: Node): LambdaCode {
    const mode = (node.tryGetContext('kairos:lambdaCode') ?? 'build') as string;
    if (mode !== 'build' && mode !== 'placeholder') {
      throw new Error(`kairos:lambdaCode=${mode}: expected "build" or "placeholder"`);
    }
    const dir = node.tryGetContext('kairos:lambdaDir') as string | undefined;
    return new LambdaCode(mode, dir ? path.resolve(dir) : undefined);
  }

  /** The folder holding `bootstrap` for the function (or tool) called `name`. */
  folder(name: string): string {
    if (this.mode === 'placeholder') return placeholderFolder();
    const folder = path.join(this.dir, name);
    if (!fs.existsSync(path.join(folder, 'bootstrap'))) {
      throw new Error(
        `${folder}/bootstrap is missing: run scripts/build first ` +
          '(or synthesize with -c kairos:lambdaCode=placeholder for offline checks only)',
      );
    }
    return folder;
  }

  /** The Lambda asset for a function; the zip beside the binary is not packaged twice. */
  asset(name: string): lambda.Code {
    return lambda.Code.fromAsset(this.folder(name), { exclude: ['*.zip'] });
  }

  /** Placeholder code must never reach an account: make the stack refuse to deploy. */
  guard(stack: Stack): void {
    if (this.mode !== 'placeholder' || stack.node.tryFindChild('PlaceholderCodeGuard')) return;
    new CfnRule(stack, 'PlaceholderCodeGuard', {
      assertions: [
        {
          assert: Fn.conditionEquals('placeholder-code', 'built-code'),
          assertDescription: 'Synthesized with placeholder Lambda code: run scripts/build and synthesize again.',
        },
      ],
    });
  }
}

/** A folder with a stub `bootstrap`, rewritten only when missing or stale. */
function placeholderFolder(): string {
  const bootstrap = path.join(PLACEHOLDER_DIR, 'bootstrap');
  if (!fs.existsSync(bootstrap) || fs.readFileSync(bootstrap, 'utf8') !== PLACEHOLDER_SCRIPT) {
    fs.mkdirSync(PLACEHOLDER_DIR, { recursive: true });
    fs.writeFileSync(bootstrap, PLACEHOLDER_SCRIPT, { mode: 0o755 });
  }
  return PLACEHOLDER_DIR;
}
