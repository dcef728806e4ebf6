// Every manifest entry becomes a function with the right trigger, and its role allows no
// more than the entry names (plus its own logs, VPC interfaces and X-Ray).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BASELINE_ACTIONS, needsInternet } from '../lib/fleet';
import { byDomain, FunctionSpec, loadManifest, queueUrlVariable } from '../lib/manifest';
import { constructId } from '../lib/names';
import { acknowledgements, FULL_FIXTURE, synth, Synth } from './helpers';

const SQS_CONSUME_ACTIONS = [
  'sqs:ReceiveMessage',
  'sqs:ChangeMessageVisibility',
  'sqs:GetQueueUrl',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
];

/** What a symbolic resource must point at, as a fragment of the statement's JSON. */
function expectedResourceFragments(resource: string): string[] {
  if (resource === 'secret:database') return ['AppSecretAttachment'];
  if (resource === 'secret:database-jobs') return ['JobsSecretAttachment'];
  if (resource === 'secret:jwt-signing-keys') return ['JwtSigningKeys'];
  if (resource === 'secret:whatsapp') return ['WhatsappToken'];
  if (resource === 'secret:stripe') return ['StripeKeys'];
  if (resource === 'secret:google-calendar') return ['GoogleCalendarClient'];
  if (resource === 'secret:calendar-token-keys') return ['CalendarTokenKeys'];
  if (resource === 'ses:identity') return ['identity/dev.kairos.example', 'configuration-set/kairos-dev-email'];
  if (resource.startsWith('queue:')) return [`${constructId(resource.slice(6))}Queue`];
  throw new Error(`no expectation for ${resource}`);
}

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

function functionsAndPolicies(s: Synth) {
  const functions = new Map<string, { props: any; statements: Statement[]; role: any }>();
  const roles = new Map(s.resources('AWS::IAM::Role', s.stacks.compute).map((r) => [`${r.stack.node.path}/${r.logicalId}`, r]));
  const policies = s.resources('AWS::IAM::Policy', s.stacks.compute);
  for (const fn of s.resources('AWS::Lambda::Function', s.stacks.compute)) {
    const roleId = fn.props.Role['Fn::GetAtt'][0];
    const statements = policies
      .filter((p) => p.stack === fn.stack && p.props.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.props.PolicyDocument.Statement as Statement[]);
    functions.set(fn.props.FunctionName, { props: fn.props, statements, role: roles.get(`${fn.stack.node.path}/${roleId}`) });
  }
  return functions;
}

const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);

function checkFunctions(s: Synth) {
  const functions = functionsAndPolicies(s);
  assert.equal(functions.size, s.manifest.functions.length, 'one Lambda function per manifest entry');

  for (const spec of s.manifest.functions) {
    const name = `kairos-dev-${spec.name}`;
    const fn = functions.get(name);
    assert.ok(fn, `${name} exists`);
    assert.equal(fn.props.Runtime, 'provided.al2023');
    assert.equal(fn.props.Handler, 'bootstrap');
    assert.deepEqual(fn.props.Architectures, ['x86_64']);
    assert.equal(fn.props.MemorySize, spec.memory_mb);
    assert.equal(fn.props.Timeout, spec.timeout_seconds);
    assert.equal(fn.props.TracingConfig.Mode, 'Active');
    assert.ok(fn.props.VpcConfig.SubnetIds.length >= 2, `${name} runs in the VPC`);
    assert.ok(fn.props.LoggingConfig.LogGroup, `${name} logs to its own group`);

    const env = Object.keys(fn.props.Environment.Variables).sort();
    assert.deepEqual(env, [...spec.environment, 'CORS_ALLOWED_ORIGIN', 'RUST_LOG'].sort(), `${name} environment`);

    // The role: no managed or inline policies; its one policy holds only what is allowed.
    assert.equal(fn.role.props.ManagedPolicyArns, undefined, `${name} has no managed policies`);
    assert.equal(fn.role.props.Policies, undefined, `${name} has no inline role policies`);
    // Every (action, resource) pair granted must be one the entry names (or the baseline),
    // and every pair the entry names must be granted.
    const queueFragment = spec.trigger.type === 'sqs' ? `${constructId(spec.trigger.queue)}Queue` : undefined;
    const granted = fn.statements.flatMap((st) => {
      assert.equal(st.Effect, 'Allow');
      const resources = Array.isArray(st.Resource) ? st.Resource : [st.Resource];
      return actionsOf(st).flatMap((action) => resources.map((r) => ({ action, resource: JSON.stringify(r) })));
    });
    const named = (action: string, resource: string) =>
      spec.permissions.some(
        (p) => p.actions.includes(action) && expectedResourceFragments(p.resource).some((f) => resource.includes(f)),
      );
    for (const { action, resource } of granted) {
      const baseline =
        BASELINE_ACTIONS.includes(action) &&
        (action.startsWith('logs:') ? resource.includes(`${constructId(spec.name)}Logs`) : resource === '"*"');
      const consumes = queueFragment !== undefined && SQS_CONSUME_ACTIONS.includes(action) && resource.includes(queueFragment);
      assert.ok(baseline || consumes || named(action, resource), `${name} may not ${action} on ${resource}`);
    }
    for (const p of spec.permissions) {
      for (const action of p.actions) {
        for (const fragment of expectedResourceFragments(p.resource)) {
          assert.ok(
            granted.some((g) => g.action === action && g.resource.includes(fragment)),
            `${name}: ${action} on ${p.resource} (${fragment})`,
          );
        }
      }
    }
    if (queueFragment) {
      for (const action of SQS_CONSUME_ACTIONS) {
        assert.ok(granted.some((g) => g.action === action && g.resource.includes(queueFragment)), `${name} consumes its queue`);
      }
    }

    // One database login per function: kairos_app or kairos_jobs, and the variable naming it.
    const reads = (fragment: string) => granted.some((g) => g.action === 'secretsmanager:GetSecretValue' && g.resource.includes(fragment));
    const variables = fn.props.Environment.Variables;
    assert.ok(!(reads('AppSecretAttachment') && reads('JobsSecretAttachment')), `${name} reads one database secret at most`);
    if (reads('AppSecretAttachment')) assert.ok(JSON.stringify(variables.DATABASE_SECRET_ID).includes('AppSecretAttachment'), name);
    if (reads('JobsSecretAttachment')) assert.ok(JSON.stringify(variables.JOBS_DATABASE_SECRET_ID).includes('JobsSecretAttachment'), name);
  }
}

function checkTriggers(s: Synth) {
  const routes = s.resources('AWS::ApiGatewayV2::Route', s.stacks.api);
  const integrations = s.resources('AWS::ApiGatewayV2::Integration', s.stacks.api);
  const permissions = s.resources('AWS::Lambda::Permission', s.stacks.api, s.stacks.monitoring);
  const mappings = s.resources('AWS::Lambda::EventSourceMapping', s.stacks.compute);
  const rules = s.resources('AWS::Events::Rule', s.stacks.monitoring);
  const authorizers = s.resources('AWS::ApiGatewayV2::Authorizer', s.stacks.api);
  const functionNames = new Map(
    s.resources('AWS::Lambda::Function', s.stacks.compute).map((f) => [`${f.stack.node.path}/${f.logicalId}`, f.props.FunctionName]),
  );
  const mentions = (value: unknown, spec: FunctionSpec) => JSON.stringify(value).includes(`:kairos-dev-${spec.name}`);

  const http = s.manifest.functions.filter((f) => f.trigger.type === 'http');
  assert.equal(routes.length, http.length, 'one route per HTTP function');
  assert.equal(mappings.length, s.manifest.functions.filter((f) => f.trigger.type === 'sqs').length);
  assert.equal(rules.length, s.manifest.functions.filter((f) => f.trigger.type === 'schedule').length);

  for (const spec of s.manifest.functions) {
    const t = spec.trigger;
    switch (t.type) {
      case 'http': {
        const route = routes.find((r) => r.props.RouteKey === `${t.method} ${t.path}`);
        assert.ok(route, `route ${t.method} ${t.path}`);
        assert.equal(route.props.AuthorizationType, t.authorizer ? 'CUSTOM' : 'NONE', `${spec.name} authorization`);
        assert.equal(Boolean(route.props.AuthorizerId), t.authorizer);
        // Target: { "Fn::Join": ["", ["integrations/", { "Ref": <integration> }]] }
        const integrationId = route.props.Target['Fn::Join'][1][1].Ref;
        const integration = integrations.find((i) => i.stack === route.stack && i.logicalId === integrationId);
        assert.ok(integration, `${spec.name}: route targets an integration`);
        assert.ok(mentions(integration.props.IntegrationUri, spec), `${spec.name}: integration invokes it`);
        assert.equal(integration.props.PayloadFormatVersion, '2.0');
        assert.ok(permissions.some((p) => mentions(p.props.FunctionName, spec) && p.props.Principal === 'apigateway.amazonaws.com'));
        break;
      }
      case 'authorizer': {
        assert.equal(authorizers.length, 1);
        const a = authorizers[0].props;
        assert.equal(a.AuthorizerType, 'REQUEST');
        assert.equal(a.EnableSimpleResponses, true);
        assert.equal(a.AuthorizerPayloadFormatVersion, '2.0');
        assert.deepEqual(a.IdentitySource, ['$request.header.Authorization']);
        assert.equal(a.AuthorizerResultTtlInSeconds, 0);
        assert.ok(mentions(a.AuthorizerUri, spec));
        assert.ok(permissions.some((p) => mentions(p.props.FunctionName, spec) && JSON.stringify(p.props.SourceArn).includes('authorizers/')));
        break;
      }
      case 'sqs': {
        const mapping = mappings.find((m) => functionNames.get(`${m.stack.node.path}/${m.props.FunctionName.Ref}`) === `kairos-dev-${spec.name}`);
        assert.ok(mapping, `${spec.name} has an SQS event source`);
        assert.equal(mapping.props.BatchSize, t.batch_size);
        assert.deepEqual(mapping.props.FunctionResponseTypes, ['ReportBatchItemFailures']);
        assert.ok(JSON.stringify(mapping.props.EventSourceArn).includes(`${constructId(t.queue)}Queue`));
        break;
      }
      case 'schedule': {
        const rule = rules.find((r) => r.props.Targets.some((target: any) => mentions(target.Arn, spec)));
        assert.ok(rule, `${spec.name} has a schedule`);
        assert.equal(rule.props.ScheduleExpression, t.expression);
        assert.equal(rule.props.State, 'ENABLED');
        assert.ok(permissions.some((p) => mentions(p.props.FunctionName, spec) && p.props.Principal === 'events.amazonaws.com'));
        break;
      }
    }
  }
}

describe('functions from the committed functions.json', () => {
  it('become Lambda functions with least-privilege roles', () => checkFunctions(synth()));
  it('get their triggers', () => checkTriggers(synth()));
  it('stay in the stack they were first deployed in when their code moves domain', () => {
    const groups = byDomain(loadManifest().functions);
    const schedule = loadManifest().functions.find((f) => f.name === 'staff-schedule');
    assert.equal(schedule?.domain, 'availability');
    assert.ok(groups.get('staff')?.some((f) => f.name === 'staff-schedule'));
    assert.ok(!groups.get('availability')?.some((f) => f.name === 'staff-schedule'));
  });
});

describe('functions from a fixture with every trigger kind, queue and permission', () => {
  it('become Lambda functions with least-privilege roles', () => checkFunctions(synth({ manifest: FULL_FIXTURE })));
  it('get their triggers', () => checkTriggers(synth({ manifest: FULL_FIXTURE })));

  it('set queue URLs, SES and WhatsApp settings from the environment config', () => {
    const s = synth({ manifest: FULL_FIXTURE });
    const fns = new Map(s.resources('AWS::Lambda::Function', s.stacks.compute).map((f) => [f.props.FunctionName, f.props]));
    const relay = fns.get('kairos-dev-outbox-relay').Environment.Variables;
    assert.ok(JSON.stringify(relay[queueUrlVariable('notifications-email')]).includes('NotificationsEmailQueue'));
    assert.ok(JSON.stringify(relay.QUEUE_URL_EVENTS).includes('EventsQueue'));
    // What the code decides (a publisher's routing table) reaches the function as it is.
    assert.equal(relay.EVENT_ROUTES, '{"appointment.cancelled":["events","notifications-email"]}');
    const report = fns.get('kairos-dev-notifications-dlq-report').Environment.Variables;
    assert.ok(JSON.stringify(report.QUEUE_URL_NOTIFICATIONS_EMAIL_DLQ).includes('NotificationsEmailDlqQueue'));
    const email = fns.get('kairos-dev-notifications-email-send').Environment.Variables;
    assert.equal(email.SES_FROM_ADDRESS, 'no-reply@dev.kairos.example');
    assert.equal(email.SES_CONFIGURATION_SET, 'kairos-dev-email');
    assert.equal(email.APP_URL, 'https://dev.kairos.example');
    const whatsapp = fns.get('kairos-dev-notifications-whatsapp-send');
    assert.equal(whatsapp.Environment.Variables.WHATSAPP_API_BASE, 'https://graph.facebook.com/v21.0');
    // A function calling a third party runs in the subnets with a NAT route; the others do not.
    assert.ok(JSON.stringify(whatsapp.VpcConfig.SubnetIds).includes('egress'));
    assert.ok(!JSON.stringify(fns.get('kairos-dev-staff-get').VpcConfig.SubnetIds).includes('egress'));
  });

  it('connect the cross-tenant workers as kairos_jobs and the rest as kairos_app', () => {
    const s = synth({ manifest: FULL_FIXTURE });
    const functions = functionsAndPolicies(s);
    const secretReads = (name: string) =>
      functions
        .get(name)!
        .statements.filter((st) => actionsOf(st).includes('secretsmanager:GetSecretValue'))
        .map((st) => JSON.stringify(st.Resource));
    const proxyEndpoint = /Proxy[0-9A-F]*Endpoint/;
    const jobs = s.manifest.functions.filter((f) => f.permissions.some((p) => p.resource === 'secret:database-jobs'));
    assert.deepEqual(jobs.map((f) => f.name).sort(), ['billing-trial-check', 'calendar-sync-schedule', 'housekeeping', 'outbox-relay']);
    for (const spec of jobs) {
      const name = `kairos-dev-${spec.name}`;
      const reads = secretReads(name);
      assert.ok(reads.some((r) => r.includes('JobsSecretAttachment')), `${name} reads the jobs secret`);
      assert.ok(!reads.some((r) => r.includes('AppSecretAttachment')), `${name} may not read the application secret`);
      const env = functions.get(name)!.props.Environment.Variables;
      assert.ok(JSON.stringify(env.JOBS_DATABASE_SECRET_ID).includes('JobsSecretAttachment'), `${name} JOBS_DATABASE_SECRET_ID`);
      assert.match(JSON.stringify(env.DATABASE_HOST), proxyEndpoint, `${name} connects through the proxy`);
      assert.equal(env.DATABASE_SECRET_ID, undefined, `${name} has no DATABASE_SECRET_ID`);
    }
    const app = functions.get('kairos-dev-staff-get')!;
    assert.ok(secretReads('kairos-dev-staff-get').some((r) => r.includes('AppSecretAttachment')));
    assert.ok(!secretReads('kairos-dev-staff-get').some((r) => r.includes('JobsSecretAttachment')), 'staff-get may not read the jobs secret');
    assert.ok(JSON.stringify(app.props.Environment.Variables.DATABASE_SECRET_ID).includes('AppSecretAttachment'));
    assert.match(JSON.stringify(app.props.Environment.Variables.DATABASE_HOST), proxyEndpoint);
    assert.equal(app.props.Environment.Variables.JOBS_DATABASE_SECRET_ID, undefined);
  });
});

describe('billing functions from the fixture (Stripe)', () => {
  const s = synth({ manifest: FULL_FIXTURE });
  const billing = s.manifest.functions.filter((f) => f.domain === 'billing');
  const usesStripe = (f: FunctionSpec) => f.permissions.some((p) => p.resource === 'secret:stripe');

  it('route the Stripe webhook without the authorizer and the other billing routes through it', () => {
    const routes = new Map(s.resources('AWS::ApiGatewayV2::Route', s.stacks.api).map((r) => [r.props.RouteKey, r]));
    const webhook = routes.get('POST /v1/webhooks/stripe');
    assert.ok(webhook, 'the webhook route exists');
    assert.equal(webhook.props.AuthorizationType, 'NONE');
    assert.equal(webhook.props.AuthorizerId, undefined);
    // The open route is acknowledged as such, with the reason it is safe.
    const acks = acknowledgements(s.stacks.api).filter((a) => a.path.endsWith('/BillingWebhookRoute') && a.id.endsWith('APIG4'));
    assert.equal(acks.length, 1);
    assert.match(acks[0].reason, /Stripe signature/);

    for (const key of [
      'POST /v1/billing/checkout',
      'POST /v1/billing/portal',
      'POST /v1/billing/subscription/cancel',
      'GET /v1/billing/subscription',
    ]) {
      const route = routes.get(key);
      assert.ok(route, `route ${key}`);
      assert.equal(route.props.AuthorizationType, 'CUSTOM', key);
      // The nested stack receives the authorizer's id as a parameter.
      assert.match(JSON.stringify(route.props.AuthorizerId), /Authorizer/, `${key} uses the authorizer`);
    }
  });

  it('grant the Stripe secret only to the functions whose entry asks for it', () => {
    const functions = functionsAndPolicies(s);
    const readsStripe = (name: string) =>
      functions
        .get(name)!
        .statements.filter((st) => JSON.stringify(st.Resource).includes('StripeKeys'))
        .map((st) => actionsOf(st));
    const expected = [
      'billing-checkout-create',
      'billing-portal-create',
      'billing-subscription-cancel',
      'billing-sync',
      'billing-webhook',
    ];
    assert.deepEqual(s.manifest.functions.filter(usesStripe).map((f) => f.name).sort(), expected);
    for (const spec of s.manifest.functions) {
      const name = `kairos-dev-${spec.name}`;
      const grants = readsStripe(name);
      if (usesStripe(spec)) {
        assert.deepEqual(grants, [['secretsmanager:GetSecretValue']], `${name} reads the Stripe secret, and only reads it`);
      } else {
        assert.deepEqual(grants, [], `${name} may not touch the Stripe secret`);
      }
    }
  });

  it('set STRIPE_SECRET_ID and STRIPE_API_BASE, and run the Stripe callers in the egress subnets', () => {
    const fns = new Map(s.resources('AWS::Lambda::Function', s.stacks.compute).map((f) => [f.props.FunctionName, f.props]));
    for (const spec of billing) {
      const fn = fns.get(`kairos-dev-${spec.name}`);
      const env = fn.Environment.Variables;
      const subnets = JSON.stringify(fn.VpcConfig.SubnetIds);
      if (usesStripe(spec)) {
        assert.equal(env.STRIPE_API_BASE, 'https://api.stripe.com/', `${spec.name} STRIPE_API_BASE`);
        assert.ok(JSON.stringify(env.STRIPE_SECRET_ID).includes('StripeKeys'), `${spec.name} STRIPE_SECRET_ID is the secret's ARN`);
        assert.ok(subnets.includes('egress'), `${spec.name} reaches Stripe through the NAT`);
      } else {
        assert.equal(env.STRIPE_API_BASE, undefined, spec.name);
        assert.equal(env.STRIPE_SECRET_ID, undefined, spec.name);
        assert.ok(!subnets.includes('egress'), `${spec.name} stays in the isolated subnets`);
      }
    }
    assert.equal(fns.get('kairos-dev-billing-checkout-create').Environment.Variables.APP_URL, 'https://dev.kairos.example');
    assert.equal(fns.get('kairos-dev-billing-subscription-cancel').Environment.Variables.APP_URL, undefined);
    // The webhook and the subscription read send their syncs to the billing-sync queue.
    for (const name of ['billing-webhook', 'billing-subscription-get']) {
      const env = fns.get(`kairos-dev-${name}`).Environment.Variables;
      assert.ok(JSON.stringify(env.QUEUE_URL_BILLING_SYNC).includes('BillingSyncQueue'), `${name} QUEUE_URL_BILLING_SYNC`);
      assert.equal(env.EVENT_ROUTES, '{"billing.sync":["billing-sync"]}');
    }
  });
});

describe('calendar functions from the fixture (Google Calendar)', () => {
  const s = synth({ manifest: FULL_FIXTURE });
  const calendar = s.manifest.functions.filter((f) => f.domain === 'calendar');
  const uses = (resource: string) => (f: FunctionSpec) => f.permissions.some((p) => p.resource === resource);
  const fns = new Map(s.resources('AWS::Lambda::Function', s.stacks.compute).map((f) => [f.props.FunctionName, f.props]));
  /** The calendar functions that call Google themselves (token, revocation, Calendar API). */
  const CALLS_GOOGLE = ['calendar-callback', 'calendar-disconnect', 'calendar-push', 'calendar-sync'];

  it('are the seven of the manifest', () => {
    assert.deepEqual(calendar.map((f) => f.name).sort(), [
      'calendar-callback',
      'calendar-connect',
      'calendar-disconnect',
      'calendar-push',
      'calendar-sync',
      'calendar-sync-schedule',
      'calendar-webhook',
    ]);
  });

  it('route the Google notifications and the OAuth redirect without the authorizer, connect and disconnect through it', () => {
    const routes = new Map(s.resources('AWS::ApiGatewayV2::Route', s.stacks.api).map((r) => [r.props.RouteKey, r]));
    const acks = acknowledgements(s.stacks.api).filter((a) => a.id.endsWith('APIG4'));
    for (const [key, construct, reason] of [
      ['POST /v1/webhooks/google-calendar', 'CalendarWebhookRoute', /channel token/],
      ['GET /v1/calendar/callback', 'CalendarCallbackRoute', /public route by design/],
    ] as const) {
      const route = routes.get(key);
      assert.ok(route, `route ${key}`);
      assert.equal(route.props.AuthorizationType, 'NONE', key);
      assert.equal(route.props.AuthorizerId, undefined, key);
      // The open route is acknowledged as such, with the reason it is safe.
      const own = acks.filter((a) => a.path.endsWith(`/${construct}`));
      assert.equal(own.length, 1, `${key} is acknowledged once`);
      assert.match(own[0].reason, reason, key);
    }
    for (const key of ['POST /v1/calendar/connect', 'DELETE /v1/calendar/connection']) {
      const route = routes.get(key);
      assert.ok(route, `route ${key}`);
      assert.equal(route.props.AuthorizationType, 'CUSTOM', key);
      assert.match(JSON.stringify(route.props.AuthorizerId), /Authorizer/, `${key} uses the authorizer`);
    }
  });

  it('grant the OAuth client and the token keys only to the functions whose entry asks for them, read-only', () => {
    const functions = functionsAndPolicies(s);
    for (const [resource, fragment, expected] of [
      [
        'secret:google-calendar',
        'GoogleCalendarClient',
        ['calendar-callback', 'calendar-connect', 'calendar-disconnect', 'calendar-push', 'calendar-sync'],
      ],
      ['secret:calendar-token-keys', 'CalendarTokenKeys', ['calendar-callback', 'calendar-disconnect', 'calendar-push', 'calendar-sync']],
    ] as const) {
      assert.deepEqual(s.manifest.functions.filter(uses(resource)).map((f) => f.name).sort(), expected, resource);
      for (const spec of s.manifest.functions) {
        const name = `kairos-dev-${spec.name}`;
        const grants = functions
          .get(name)!
          .statements.filter((st) => JSON.stringify(st.Resource).includes(fragment))
          .map((st) => actionsOf(st));
        if (uses(resource)(spec)) {
          assert.deepEqual(grants, [['secretsmanager:GetSecretValue']], `${name} reads ${resource}, and only reads it`);
        } else {
          assert.deepEqual(grants, [], `${name} may not touch ${resource}`);
        }
      }
    }
  });

  it('name the two secrets by ARN and set the API origin and Google endpoints from the config', () => {
    for (const spec of calendar) {
      const env = fns.get(`kairos-dev-${spec.name}`).Environment.Variables;
      if (uses('secret:google-calendar')(spec)) {
        assert.ok(JSON.stringify(env.GOOGLE_CALENDAR_SECRET_ID).includes('GoogleCalendarClient'), `${spec.name} GOOGLE_CALENDAR_SECRET_ID`);
      } else {
        assert.equal(env.GOOGLE_CALENDAR_SECRET_ID, undefined, spec.name);
      }
      if (uses('secret:calendar-token-keys')(spec)) {
        assert.ok(JSON.stringify(env.CALENDAR_KEYS_SECRET_ID).includes('CalendarTokenKeys'), `${spec.name} CALENDAR_KEYS_SECRET_ID`);
      } else {
        assert.equal(env.CALENDAR_KEYS_SECRET_ID, undefined, spec.name);
      }
    }
    const callback = fns.get('kairos-dev-calendar-callback').Environment.Variables;
    assert.equal(callback.API_URL, 'https://dev.kairos.example');
    assert.equal(callback.APP_URL, 'https://dev.kairos.example');
    assert.equal(callback.GOOGLE_OAUTH_TOKEN_URL, 'https://oauth2.googleapis.com/token');
    assert.equal(callback.GOOGLE_OAUTH_REVOKE_URL, 'https://oauth2.googleapis.com/revoke');
    assert.equal(callback.GOOGLE_CALENDAR_API_BASE, 'https://www.googleapis.com/calendar/v3');
    const connect = fns.get('kairos-dev-calendar-connect').Environment.Variables;
    assert.equal(connect.API_URL, 'https://dev.kairos.example');
    assert.equal(connect.GOOGLE_OAUTH_AUTH_URL, 'https://accounts.google.com/o/oauth2/v2/auth');
    assert.equal(connect.GOOGLE_OAUTH_TOKEN_URL, undefined, 'connect only builds the consent URL');
    // The webhook, the callback and the schedule send their syncs to the calendar-sync queue.
    for (const name of ['calendar-webhook', 'calendar-callback', 'calendar-sync-schedule']) {
      const env = fns.get(`kairos-dev-${name}`).Environment.Variables;
      assert.ok(JSON.stringify(env.QUEUE_URL_CALENDAR_SYNC).includes('CalendarSyncQueue'), `${name} QUEUE_URL_CALENDAR_SYNC`);
      assert.equal(env.EVENT_ROUTES, '{"calendar.sync":["calendar-sync"]}', name);
    }
  });

  it('run the functions that call Google in the egress subnets and the others in the isolated ones', () => {
    assert.deepEqual(calendar.filter(needsInternet).map((f) => f.name).sort(), CALLS_GOOGLE);
    for (const spec of calendar) {
      const subnets = JSON.stringify(fns.get(`kairos-dev-${spec.name}`).VpcConfig.SubnetIds);
      if (CALLS_GOOGLE.includes(spec.name)) assert.ok(subnets.includes('egress'), `${spec.name} reaches Google through the NAT`);
      else assert.ok(!subnets.includes('egress'), `${spec.name} stays in the isolated subnets`);
    }
  });

  it('consume the calendar-sync and calendar-push queues, reporting failed items', () => {
    const mappings = s.resources('AWS::Lambda::EventSourceMapping', s.stacks.compute);
    const functionNames = new Map(
      s.resources('AWS::Lambda::Function', s.stacks.compute).map((f) => [`${f.stack.node.path}/${f.logicalId}`, f.props.FunctionName]),
    );
    for (const [name, queue] of [
      ['calendar-sync', 'CalendarSyncQueue'],
      ['calendar-push', 'CalendarPushQueue'],
    ]) {
      const mapping = mappings.find((m) => functionNames.get(`${m.stack.node.path}/${m.props.FunctionName.Ref}`) === `kairos-dev-${name}`);
      assert.ok(mapping, `${name} has an SQS event source`);
      assert.match(JSON.stringify(mapping.props.EventSourceArn), new RegExp(queue), name);
      assert.doesNotMatch(JSON.stringify(mapping.props.EventSourceArn), /DlqQueue/, `${name} does not consume the dead letters`);
      assert.deepEqual(mapping.props.FunctionResponseTypes, ['ReportBatchItemFailures']);
    }
  });

  it('run calendar-sync-schedule every 30 minutes as kairos_jobs', () => {
    const rules = s.resources('AWS::Events::Rule', s.stacks.monitoring);
    const rule = rules.find((r) => r.props.Targets.some((t: any) => JSON.stringify(t.Arn).includes(':kairos-dev-calendar-sync-schedule')));
    assert.ok(rule, 'the schedule rule');
    assert.equal(rule.props.ScheduleExpression, 'rate(30 minutes)');
    assert.equal(rule.props.State, 'ENABLED');
    const env = fns.get('kairos-dev-calendar-sync-schedule').Environment.Variables;
    assert.ok(JSON.stringify(env.JOBS_DATABASE_SECRET_ID).includes('JobsSecretAttachment'));
    assert.equal(env.DATABASE_SECRET_ID, undefined);
  });
});

describe('calendar functions from the committed functions.json', () => {
  const s = synth();
  const fns = new Map(s.resources('AWS::Lambda::Function', s.stacks.compute).map((f) => [f.props.FunctionName, f.props]));

  it('read the two calendar secrets by ARN and reach Google through the NAT when they call it', () => {
    const calendar = s.manifest.functions.filter((f) => f.domain === 'calendar');
    assert.equal(calendar.length, 7);
    for (const spec of calendar) {
      const fn = fns.get(`kairos-dev-${spec.name}`);
      assert.ok(fn, spec.name);
      const env = fn.Environment.Variables;
      if (spec.environment.includes('GOOGLE_CALENDAR_SECRET_ID')) {
        assert.ok(JSON.stringify(env.GOOGLE_CALENDAR_SECRET_ID).includes('GoogleCalendarClient'), spec.name);
      }
      if (spec.environment.includes('CALENDAR_KEYS_SECRET_ID')) {
        assert.ok(JSON.stringify(env.CALENDAR_KEYS_SECRET_ID).includes('CalendarTokenKeys'), spec.name);
      }
      assert.equal(JSON.stringify(fn.VpcConfig.SubnetIds).includes('egress'), needsInternet(spec), `${spec.name} subnets`);
    }
    assert.ok(needsInternet(calendar.find((f) => f.name === 'calendar-sync')!));
    assert.ok(!needsInternet(calendar.find((f) => f.name === 'calendar-webhook')!));
  });
});
