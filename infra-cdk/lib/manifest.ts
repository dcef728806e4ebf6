// functions.json: the Rust-generated list of Lambda functions and queues, read and checked.
//
// Everything the stacks create per function comes from here. Anything the app does not
// know how to map (a trigger type, a permission resource, an environment name) fails the
// synth, so a new kind gets wired on purpose instead of silently dropped.

import * as fs from 'node:fs';
import * as path from 'node:path';

export type Access = 'public' | 'customer-link' | 'staff' | 'owner' | 'admin' | 'stripe' | 'google';

export interface HttpTrigger {
  type: 'http';
  method: string;
  path: string;
  access: Access;
  authorizer: boolean;
}
export interface AuthorizerTrigger {
  type: 'authorizer';
}
export interface SqsTrigger {
  type: 'sqs';
  queue: string;
  batch_size: number;
  report_batch_item_failures: boolean;
}
export interface ScheduleTrigger {
  type: 'schedule';
  expression: string;
}
export type Trigger = HttpTrigger | AuthorizerTrigger | SqsTrigger | ScheduleTrigger;

export interface Permission {
  actions: string[];
  resource: string;
}

export interface FunctionSpec {
  name: string;
  domain: string;
  summary: string;
  binary: string;
  trigger: Trigger;
  timeout_seconds: number;
  memory_mb: number;
  permissions: Permission[];
  environment: string[];
  /** Environment values the code itself decides (a publisher's EVENT_ROUTES), set as they are. */
  environment_values?: Record<string, string>;
}

export interface QueueSpec {
  name: string;
  fifo: boolean;
  content_based_deduplication: boolean;
  visibility_timeout_seconds: number;
  dead_letter: { name: string; max_receive_count: number };
}

export interface Manifest {
  runtime: string;
  architecture: string;
  functions: FunctionSpec[];
  queues: QueueSpec[];
}

/** The manifest at the repository root. */
export const DEFAULT_MANIFEST = path.resolve(__dirname, '..', '..', 'functions.json');

const ACCESS_LEVELS: Access[] = ['public', 'customer-link', 'staff', 'owner', 'admin', 'stripe', 'google'];
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Lambda function names are at most 64 characters; `kairos-staging-` takes 15. */
const MAX_NAME_LENGTH = 48;

export function loadManifest(file: string = DEFAULT_MANIFEST): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the function manifest ${file}: ${(e as Error).message}`);
  }
  return parseManifest(raw, file);
}

export function parseManifest(raw: unknown, source = 'functions.json'): Manifest {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  const doc = raw as Record<string, unknown>;
  if (typeof doc !== 'object' || doc === null) fail('not a JSON object');
  if (doc.runtime !== 'provided.al2023') fail(`runtime ${String(doc.runtime)} is not provided.al2023`);
  if (doc.architecture !== 'x86_64') fail(`architecture ${String(doc.architecture)} is not x86_64`);
  if (!Array.isArray(doc.functions)) fail('"functions" is not an array');
  // Until the manifest lists queues, it simply has none.
  const queues = (doc.queues ?? []) as QueueSpec[];
  if (!Array.isArray(queues)) fail('"queues" is not an array');

  const queueNames = new Set<string>();
  for (const q of queues) {
    for (const name of [q.name, q.dead_letter?.name]) {
      if (typeof name !== 'string' || !/^[a-z0-9-]+$/.test(name)) fail(`queue name ${JSON.stringify(name)} is not lower-kebab-case`);
      if (queueNames.has(name)) fail(`queue ${name} is listed twice`);
      queueNames.add(name);
    }
    if (typeof q.fifo !== 'boolean') fail(`queue ${q.name}: "fifo" is not a boolean`);
    if (q.fifo === false && q.content_based_deduplication) fail(`queue ${q.name}: content-based deduplication needs a FIFO queue`);
    if (!Number.isInteger(q.visibility_timeout_seconds) || q.visibility_timeout_seconds < 0 || q.visibility_timeout_seconds > 43200) {
      fail(`queue ${q.name}: visibility_timeout_seconds must be 0..43200`);
    }
    const receives = q.dead_letter.max_receive_count;
    if (!Number.isInteger(receives) || receives < 1 || receives > 1000) fail(`queue ${q.name}: max_receive_count must be 1..1000`);
  }

  const names = new Set<string>();
  const functions = doc.functions as FunctionSpec[];
  const routes = new Set<string>();
  let authorizers = 0;
  for (const f of functions) {
    const where = `function ${JSON.stringify(f.name)}`;
    if (typeof f.name !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(f.name)) fail(`${where}: name is not lower-kebab-case`);
    if (f.name.length > MAX_NAME_LENGTH) fail(`${where}: name is longer than ${MAX_NAME_LENGTH} characters`);
    if (names.has(f.name)) fail(`${where} is listed twice`);
    names.add(f.name);
    if (typeof f.domain !== 'string' || !/^[a-z0-9-]+$/.test(f.domain)) fail(`${where}: domain is not lower-kebab-case`);
    if (!Number.isInteger(f.timeout_seconds) || f.timeout_seconds < 1 || f.timeout_seconds > 900) fail(`${where}: timeout_seconds must be 1..900`);
    if (!Number.isInteger(f.memory_mb) || f.memory_mb < 128 || f.memory_mb > 10240) fail(`${where}: memory_mb must be 128..10240`);
    if (!Array.isArray(f.permissions)) fail(`${where}: permissions is not an array`);
    if (!Array.isArray(f.environment)) fail(`${where}: environment is not an array`);
    for (const [name, value] of Object.entries(f.environment_values ?? {})) {
      if (typeof value !== 'string') fail(`${where}: environment value ${name} is not a string`);
      if (!f.environment.includes(name)) fail(`${where}: environment value ${name} is not among its environment`);
    }

    const t = f.trigger as Trigger;
    switch (t?.type) {
      case 'http': {
        if (!HTTP_METHODS.includes(t.method)) fail(`${where}: unknown HTTP method ${t.method}`);
        if (!t.path.startsWith('/')) fail(`${where}: path ${t.path} does not start with /`);
        if (!ACCESS_LEVELS.includes(t.access)) fail(`${where}: unknown access level ${t.access}`);
        if (typeof t.authorizer !== 'boolean') fail(`${where}: "authorizer" is not a boolean`);
        const key = `${t.method} ${t.path}`;
        if (routes.has(key)) fail(`${where}: route ${key} is served twice`);
        routes.add(key);
        break;
      }
      case 'authorizer':
        authorizers += 1;
        break;
      case 'sqs':
        if (!queues.some((q) => q.name === t.queue)) fail(`${where}: consumes queue ${t.queue}, which "queues" does not list`);
        if (!Number.isInteger(t.batch_size) || t.batch_size < 1 || t.batch_size > 10) fail(`${where}: batch_size must be 1..10`);
        if (t.report_batch_item_failures !== true) fail(`${where}: SQS consumers must report batch item failures`);
        break;
      case 'schedule':
        if (!/^(rate|cron)\(.+\)$/.test(t.expression)) fail(`${where}: ${t.expression} is not a rate() or cron() expression`);
        break;
      default:
        fail(`${where}: unknown trigger type ${JSON.stringify((t as { type?: unknown })?.type)}`);
    }
  }
  if (authorizers > 1) fail(`${authorizers} functions are authorizers; the HTTP API has one`);
  const needsAuthorizer = functions.some((f) => f.trigger.type === 'http' && f.trigger.authorizer);
  if (needsAuthorizer && authorizers === 0) fail('routes use the authorizer, but no function is the authorizer');

  return { runtime: doc.runtime as string, architecture: doc.architecture as string, functions, queues };
}

/** The queue a name refers to, whether it is a main queue or a dead-letter queue. */
export function findQueue(manifest: Manifest, name: string): { queue: QueueSpec; deadLetter: boolean } | undefined {
  for (const q of manifest.queues) {
    if (q.name === name) return { queue: q, deadLetter: false };
    if (q.dead_letter.name === name) return { queue: q, deadLetter: true };
  }
  return undefined;
}

/** `notifications-email-dlq` → `QUEUE_URL_NOTIFICATIONS_EMAIL_DLQ` (as the Rust code reads it). */
export function queueUrlVariable(queueName: string): string {
  return `QUEUE_URL_${queueName.toUpperCase().replace(/-/g, '_')}`;
}

/**
 * Functions whose code moved to another domain after they were first deployed, and the
 * domain whose stack they stay in: a function with a fixed name cannot move between
 * stacks (the new stack would create the name before the old one deleted it).
 */
const STACK_FOR_LIFE: Record<string, string> = {
  'staff-schedule': 'staff',
};

/** Functions grouped by the domain whose stack holds them, domains and functions in name order (stable shard contents). */
export function byDomain(functions: FunctionSpec[]): Map<string, FunctionSpec[]> {
  const groups = new Map<string, FunctionSpec[]>();
  for (const f of [...functions].sort((a, b) => a.name.localeCompare(b.name))) {
    const group = STACK_FOR_LIFE[f.name] ?? f.domain;
    const list = groups.get(group) ?? [];
    list.push(f);
    groups.set(group, list);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => a.localeCompare(b)));
}
