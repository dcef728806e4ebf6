// CloudFormation limits, with room to grow: every template (nested ones included) stays
// at or under 400 resources and 150 outputs, for today's manifest and for a fleet twice
// the size the design expects.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FunctionSpec, Manifest, parseManifest } from '../lib/manifest';
import { synth, Synth } from './helpers';

const MAX_RESOURCES = 400;
const MAX_OUTPUTS = 150;
/** CloudFormation's own limit; nested stacks receive their references as parameters. */
const MAX_PARAMETERS = 200;

function checkLimits(s: Synth) {
  const templates = s.allTemplates();
  assert.ok(templates.size >= 7, 'seven stacks at least');
  for (const [file, t] of templates) {
    const resources = Object.keys(t.Resources ?? {}).length;
    const outputs = Object.keys(t.Outputs ?? {}).length;
    const parameters = Object.keys(t.Parameters ?? {}).length;
    assert.ok(resources <= MAX_RESOURCES, `${file}: ${resources} resources > ${MAX_RESOURCES}`);
    assert.ok(outputs <= MAX_OUTPUTS, `${file}: ${outputs} outputs > ${MAX_OUTPUTS}`);
    assert.ok(parameters <= MAX_PARAMETERS, `${file}: ${parameters} parameters > ${MAX_PARAMETERS}`);
  }
}

/** ~220 functions: 20 domains of 8, and one domain of 60 (the headroom of a single domain). */
function largeManifest(): Manifest {
  const base = parseManifest(require('./fixtures/manifest-full.json'));
  const functions: FunctionSpec[] = [...base.functions];
  const db = { actions: ['secretsmanager:GetSecretValue'], resource: 'secret:database' };
  const add = (domain: string, i: number) => {
    const name = `${domain}-op-${i}`;
    const common = { name, domain, summary: `synthetic ${name}`, binary: `functions/${domain}/src/bin/${name}.rs`,
      timeout_seconds: 10, memory_mb: 256, permissions: [db], environment: ['DATABASE_SECRET_ID', 'DATABASE_HOST'] };
    if (i % 8 === 6) {
      functions.push({ ...common, trigger: { type: 'sqs', queue: 'events', batch_size: 10, report_batch_item_failures: true } });
    } else if (i % 8 === 7) {
      functions.push({ ...common, trigger: { type: 'schedule', expression: 'rate(5 minutes)' } });
    } else {
      const access = i % 2 === 0 ? 'staff' : 'public';
      functions.push({ ...common, trigger: { type: 'http', method: 'POST', path: `/v1/${domain}/op/${i}`, access, authorizer: access === 'staff' } });
    }
  };
  for (let d = 0; d < 20; d++) for (let i = 0; i < 8; i++) add(`domain${d}`, i);
  for (let i = 0; i < 60; i++) add('bigdomain', i);
  return { ...base, functions };
}

describe('CloudFormation limits', () => {
  it('hold for the committed functions.json', () => checkLimits(synth()));
  it('hold for the fixture with every trigger kind', () => checkLimits(synth({ manifest: require.resolve('./fixtures/manifest-full.json') })));
  it('hold for ~220 functions, one domain of 60', () => {
    const manifest = largeManifest();
    assert.ok(manifest.functions.length > 200);
    checkLimits(synth({ manifest }));
  });
});
