// Synthesizes the app the way `cdk synth` does (cdk.json context, cdk-nag on), with the
// placeholder Lambda code, and reads the templates back, nested stacks included.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, NestedStack, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { buildKairos, KairosStacks } from '../lib/app';
import { LambdaCode } from '../lib/code';
import { loadManifest, Manifest } from '../lib/manifest';
import { enableNag } from '../lib/nag';

// The built-in CloudFormation schema validation takes ~15 s per synth; scripts/cdk-check
// runs it in its `cdk synth`, and cfn-lint covers the same ground there.
process.env.CDK_VALIDATION = 'false';

export const CDK_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;
export const FULL_FIXTURE = path.join(__dirname, 'fixtures', 'manifest-full.json');

export interface CfnTemplate {
  Resources?: Record<string, { Type: string; Properties?: any; Metadata?: any }>;
  Outputs?: Record<string, unknown>;
  Parameters?: Record<string, unknown>;
  Rules?: Record<string, unknown>;
}

export class Synth {
  constructor(
    readonly app: App,
    readonly stacks: KairosStacks,
    readonly manifest: Manifest,
    readonly outdir: string,
  ) {}

  json(stack: Stack): CfnTemplate {
    return JSON.parse(fs.readFileSync(path.join(this.outdir, stack.templateFile), 'utf8'));
  }

  template(stack: Stack): Template {
    return Template.fromJSON(this.json(stack) as Record<string, unknown>);
  }

  /** The stack and every stack nested in it. */
  withNested(stack: Stack): Stack[] {
    return [stack, ...stack.node.findAll().filter((c): c is NestedStack => c instanceof NestedStack)];
  }

  /** Every template written, top-level and nested, by file name. */
  allTemplates(): Map<string, CfnTemplate> {
    const out = new Map<string, CfnTemplate>();
    for (const file of fs.readdirSync(this.outdir).filter((f) => f.endsWith('.template.json'))) {
      out.set(file, JSON.parse(fs.readFileSync(path.join(this.outdir, file), 'utf8')));
    }
    return out;
  }

  /** All resources of a type across the given stacks (and their nested stacks). */
  resources(type: string, ...stacks: Stack[]): { logicalId: string; stack: Stack; props: any; resource: any }[] {
    const found = [];
    for (const top of stacks) {
      for (const stack of this.withNested(top)) {
        for (const [logicalId, resource] of Object.entries(this.json(stack).Resources ?? {})) {
          if (resource.Type === type) found.push({ logicalId, stack, props: resource.Properties ?? {}, resource });
        }
      }
    }
    return found;
  }
}

export interface SynthOptions {
  env?: 'dev' | 'staging' | 'prod';
  manifest?: Manifest | string;
  context?: Record<string, unknown>;
}

const cache = new Map<string, Synth>();

/** Synthesizes once per distinct options (tests share the result). Throws on nag findings. */
export function synth(options: SynthOptions = {}): Synth {
  const key = JSON.stringify(options);
  const cached = cache.get(key);
  if (cached) return cached;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kairos-cdk-test-'));
  const app = new App({
    outdir,
    context: { ...CDK_CONTEXT, 'kairos:env': options.env ?? 'dev', ...options.context },
  });
  enableNag(app);
  const manifest =
    typeof options.manifest === 'string' ? loadManifest(options.manifest) : (options.manifest ?? loadManifest());
  const stacks = buildKairos(app, { manifest, code: new LambdaCode('placeholder') });
  app.synth();
  const result = new Synth(app, stacks, manifest, outdir);
  cache.set(key, result);
  return result;
}

/** The constructs under `scope` that carry an acknowledgement themselves (not inherited). */
export function acknowledgements(scope: IConstruct): { path: string; id: string; reason: string }[] {
  const out = [];
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== 'aws:cdk:acknowledged-rules') continue;
      // Recorded as { "<plugin>::<rule id>": reason }.
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: c.node.path, id, reason });
      }
    }
  }
  return out;
}
