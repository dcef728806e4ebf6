// The stacks' settings: queues and dead-letter queues, API throttling and CORS, encryption
// everywhere, an isolated data tier, per-environment differences, and cdk-nag.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildKairos } from '../lib/app';
import { LambdaCode } from '../lib/code';
import { envConfigFromContext } from '../lib/config';
import { needsInternet } from '../lib/fleet';
import { loadManifest, parseManifest } from '../lib/manifest';
import { enableNag } from '../lib/nag';
import { acknowledgements, CDK_CONTEXT, FULL_FIXTURE, synth } from './helpers';

describe('Messaging', () => {
  const s = synth({ manifest: FULL_FIXTURE });
  const queues = s.resources('AWS::SQS::Queue', s.stacks.messaging);
  const byName = new Map(queues.map((q) => [q.props.QueueName, q]));

  it('creates each manifest queue as FIFO with its FIFO dead-letter queue', () => {
    assert.equal(queues.length, s.manifest.queues.length * 2);
    for (const spec of s.manifest.queues) {
      const queue = byName.get(`kairos-dev-${spec.name}.fifo`);
      const dlq = byName.get(`kairos-dev-${spec.dead_letter.name}.fifo`);
      assert.ok(queue && dlq, `${spec.name} and its dead-letter queue`);
      assert.equal(queue.props.FifoQueue, true);
      assert.equal(queue.props.ContentBasedDeduplication, false, 'ids come from the outbox');
      assert.equal(queue.props.VisibilityTimeout, spec.visibility_timeout_seconds);
      assert.equal(queue.props.RedrivePolicy.maxReceiveCount, 5);
      assert.deepEqual(queue.props.RedrivePolicy.deadLetterTargetArn, { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] });
      assert.equal(dlq.props.FifoQueue, true);
      assert.equal(dlq.props.MessageRetentionPeriod, 14 * 24 * 3600);
    }
  });

  it('creates the billing-sync queue and its dead-letter queue, both FIFO', () => {
    const queue = byName.get('kairos-dev-billing-sync.fifo');
    const dlq = byName.get('kairos-dev-billing-sync-dlq.fifo');
    assert.ok(queue, 'the billing-sync queue');
    assert.ok(dlq, 'the billing-sync dead-letter queue');
    assert.equal(queue.props.FifoQueue, true);
    assert.equal(dlq.props.FifoQueue, true);
    assert.equal(queue.props.VisibilityTimeout, 360);
    assert.deepEqual(queue.props.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] }, maxReceiveCount: 5 });
    assert.ok(s.stacks.messaging.deadLetterQueueNames.includes('billing-sync-dlq'), 'its depth is alarmed on');
  });

  it('creates the calendar-sync and calendar-push queues with their dead-letter queues, all FIFO', () => {
    for (const name of ['calendar-sync', 'calendar-push']) {
      const queue = byName.get(`kairos-dev-${name}.fifo`);
      const dlq = byName.get(`kairos-dev-${name}-dlq.fifo`);
      assert.ok(queue, `the ${name} queue`);
      assert.ok(dlq, `the ${name} dead-letter queue`);
      assert.equal(queue.props.FifoQueue, true);
      assert.equal(dlq.props.FifoQueue, true);
      assert.equal(queue.props.VisibilityTimeout, 360);
      assert.deepEqual(queue.props.RedrivePolicy, { deadLetterTargetArn: { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] }, maxReceiveCount: 5 });
      assert.ok(s.stacks.messaging.deadLetterQueueNames.includes(`${name}-dlq`), `the depth of ${name}-dlq is alarmed on`);
    }
  });

  it('creates the Google Calendar OAuth client secret next to the Stripe one, kept when the stack goes', () => {
    const secrets = s.resources('AWS::SecretsManager::Secret', s.stacks.messaging);
    const google = secrets.find((x) => x.props.Name === 'kairos/dev/google-calendar');
    assert.ok(google, 'kairos/dev/google-calendar');
    assert.ok(google.logicalId.startsWith('GoogleCalendarClient'));
    assert.equal(google.resource.DeletionPolicy, 'Retain');
    assert.match(google.props.Description, /client_id.*client_secret/);
    const acks = acknowledgements(s.stacks.messaging.node.findChild('GoogleCalendarClient')).filter((a) => a.id.endsWith('SMG4'));
    assert.equal(acks.length, 1, 'no rotation function, acknowledged');
  });

  it('creates the Stripe secret next to the WhatsApp one, kept when the stack goes', () => {
    const secrets = s.resources('AWS::SecretsManager::Secret', s.stacks.messaging);
    const stripe = secrets.find((x) => x.props.Name === 'kairos/dev/stripe');
    assert.ok(stripe, 'kairos/dev/stripe');
    assert.ok(stripe.logicalId.startsWith('StripeKeys'));
    assert.equal(stripe.resource.DeletionPolicy, 'Retain');
    assert.match(stripe.props.Description, /api_key.*webhook_secrets/);
    assert.ok(secrets.some((x) => x.props.Name === 'kairos/dev/whatsapp'));
  });

  it('encrypts every queue and refuses requests without TLS', () => {
    for (const q of queues) assert.equal(q.props.SqsManagedSseEnabled, true, q.props.QueueName);
    const policies = s.resources('AWS::SQS::QueuePolicy', s.stacks.messaging);
    assert.equal(policies.length, queues.length);
    for (const p of policies) assert.ok(JSON.stringify(p.props).includes('"aws:SecureTransport":"false"'));
  });

  it('has an encrypted alarm topic and an SES configuration set', () => {
    const t = s.template(s.stacks.messaging);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'kairos-dev-email' });
    t.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'dev.kairos.example' });
  });
});

describe('Api', () => {
  const s = synth();
  const t = s.template(s.stacks.api);

  it('throttles the stage at 100 rps sustained and 200 burst, with access logs', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('allows CORS from the configured origin only', () => {
    t.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'HTTP',
      CorsConfiguration: { AllowOrigins: ['https://dev.kairos.example'] },
    });
  });

  it('serves the frontend bucket and /v1 through CloudFront over HTTPS', () => {
    const [distribution] = s.resources('AWS::CloudFront::Distribution', s.stacks.api);
    const config = distribution.props.DistributionConfig;
    assert.equal(config.DefaultCacheBehavior.ViewerProtocolPolicy, 'redirect-to-https');
    assert.equal(config.CacheBehaviors.length, 1);
    assert.equal(config.CacheBehaviors[0].PathPattern, '/v1/*');
    assert.equal(config.CacheBehaviors[0].ViewerProtocolPolicy, 'https-only');
    const s3Origin = config.Origins.find((o: any) => o.S3OriginConfig);
    assert.ok(s3Origin.OriginAccessControlId, 'Origin Access Control, not a public bucket');
  });
});

describe('Encryption and network isolation', () => {
  const s = synth({ manifest: FULL_FIXTURE });
  const all = Object.values(s.stacks);

  it('encrypts, blocks public access to and requires TLS for every bucket', () => {
    const buckets = s.resources('AWS::S3::Bucket', ...all);
    assert.equal(buckets.length, 3);
    const policies = s.resources('AWS::S3::BucketPolicy', ...all);
    for (const b of buckets) {
      assert.ok(b.props.BucketEncryption.ServerSideEncryptionConfiguration.length > 0, b.logicalId);
      assert.deepEqual(b.props.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const policy = policies.find((p) => p.props.Bucket.Ref === b.logicalId);
      assert.ok(policy && JSON.stringify(policy.props).includes('"aws:SecureTransport":"false"'), `${b.logicalId} TLS only`);
    }
  });

  it('encrypts the database, its connections and its keys', () => {
    const t = s.template(s.stacks.database);
    t.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageEncrypted: true,
      KmsKeyId: Match.anyValue(),
      PubliclyAccessible: false,
      BackupRetentionPeriod: 7,
    });
    t.hasResourceProperties('AWS::RDS::DBProxy', { RequireTLS: true, EngineFamily: 'POSTGRESQL' });
    t.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: Match.objectLike({ 'rds.force_ssl': '1' }) });
    for (const key of s.resources('AWS::KMS::Key', ...all)) assert.equal(key.props.EnableKeyRotation, true);
    // All three credentials (admin, kairos_app, kairos_jobs) rotate.
    assert.equal(s.resources('AWS::SecretsManager::RotationSchedule', s.stacks.database).length, 3);
  });

  it('keeps the data tier off the internet', () => {
    // Without a function that calls a third party, the VPC has no way out at all.
    const fixture = loadManifest(FULL_FIXTURE);
    const offline = synth({ manifest: { ...fixture, functions: fixture.functions.filter((f) => !needsInternet(f)) } });
    assert.equal(offline.resources('AWS::EC2::InternetGateway', offline.stacks.network).length, 0, 'no internet gateway');
    assert.equal(offline.resources('AWS::EC2::NatGateway', offline.stacks.network).length, 0);
    // With a function that calls a third party, a NAT appears, but the data subnets stay isolated.
    const routes = s.resources('AWS::EC2::Route', s.stacks.network);
    assert.ok(routes.length > 0);
    for (const r of routes) assert.ok(!/data|app/i.test(r.logicalId), `route ${r.logicalId} in an isolated subnet`);
    for (const sg of s.resources('AWS::EC2::SecurityGroup', ...all)) {
      for (const rule of sg.props.SecurityGroupIngress ?? []) assert.notEqual(rule.CidrIp, '0.0.0.0/0', sg.logicalId);
    }
    for (const rule of s.resources('AWS::EC2::SecurityGroupIngress', ...all)) {
      assert.notEqual(rule.props.CidrIp, '0.0.0.0/0', rule.logicalId);
    }
    s.template(s.stacks.network).resourceCountIs('AWS::EC2::FlowLog', 1);
  });
});

describe('Calendar token keys', () => {
  const s = synth({ manifest: FULL_FIXTURE });
  const [keys] = s.resources('AWS::SecretsManager::Secret', s.stacks.storage).filter((x) => x.props.Name === 'kairos/dev/calendar-token-keys');

  it('live in Storage next to the JWT signing keys, kept when the stack goes', () => {
    assert.ok(keys, 'kairos/dev/calendar-token-keys');
    assert.ok(keys.logicalId.startsWith('CalendarTokenKeys'));
    assert.equal(keys.resource.DeletionPolicy, 'Retain');
    assert.match(keys.props.Description, /"keys":\[\{"kid","secret"\}\]/);
    // CloudFormation writes an empty key list; the setup function adds the first key.
    assert.equal(keys.props.GenerateSecretString.SecretStringTemplate, '{"keys":[]}');
    const acks = acknowledgements(s.stacks.storage.node.findChild('CalendarTokenKeys')).filter((a) => a.id.endsWith('SMG4'));
    assert.equal(acks.length, 1, 'no rotation function, acknowledged');
    assert.match(acks[0].reason, /rewrap/);
  });

  it('get their first key from the setup function, which may read and write them', () => {
    const [setup] = s.resources('AWS::Lambda::Function', s.stacks.database).filter((f) => f.props.FunctionName === 'kairos-dev-db-setup');
    const arn = JSON.stringify(setup.props.Environment.Variables.CALENDAR_KEYS_SECRET_ARN);
    assert.ok(arn.includes('CalendarTokenKeys'), `CALENDAR_KEYS_SECRET_ARN names the secret: ${arn}`);
    const roleId = setup.props.Role['Fn::GetAtt'][0];
    const statements = s
      .resources('AWS::IAM::Policy', s.stacks.database)
      .filter((p) => p.props.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.props.PolicyDocument.Statement);
    const on = statements.filter((st: any) => JSON.stringify(st.Resource).includes('CalendarTokenKeys'));
    assert.deepEqual(
      [...new Set(on.flatMap((st: any) => [st.Action].flat()))].sort(),
      ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
    );
  });
});

describe('Database credentials', () => {
  const s = synth({ manifest: FULL_FIXTURE });
  const secrets = s.resources('AWS::SecretsManager::Secret', s.stacks.database);
  const secretNamed = (name: string) => secrets.find((x) => x.props.Name === name);
  const attachments = s.resources('AWS::SecretsManager::SecretTargetAttachment', s.stacks.database);
  /** The attachment (the secret with host, port and engine) of a generated secret. */
  const attachmentOf = (name: string) => attachments.find((a) => a.props.SecretId.Ref === secretNamed(name)!.logicalId)!.logicalId;

  it('generates a secret for kairos_app and one for kairos_jobs, both attached to the instance', () => {
    for (const [name, user] of [
      ['kairos/dev/database/app', 'kairos_app'],
      ['kairos/dev/database/jobs', 'kairos_jobs'],
    ]) {
      const secret = secretNamed(name);
      assert.ok(secret, name);
      assert.ok(JSON.stringify(secret.props.GenerateSecretString.SecretStringTemplate).includes(`\\"username\\":\\"${user}\\"`), `${name} is for ${user}`);
      assert.equal(secret.props.GenerateSecretString.GenerateStringKey, 'password');
      assert.ok(attachmentOf(name), `${name} is attached to the instance`);
    }
  });

  it('registers both with RDS Proxy', () => {
    const [proxy] = s.resources('AWS::RDS::DBProxy', s.stacks.database);
    const registered = proxy.props.Auth.map((a: any) => a.SecretArn.Ref).sort();
    assert.deepEqual(registered, [attachmentOf('kairos/dev/database/app'), attachmentOf('kairos/dev/database/jobs')].sort());
  });

  it('rotates each with the single-user rotation after the setup ran', () => {
    const schedules = s.resources('AWS::SecretsManager::RotationSchedule', s.stacks.database);
    for (const name of ['kairos/dev/database/app', 'kairos/dev/database/jobs']) {
      const schedule = schedules.find((r) => r.props.SecretId.Ref === attachmentOf(name));
      assert.ok(schedule, `${name} rotates`);
      assert.equal(schedule.props.RotationRules.ScheduleExpression, 'rate(30 days)');
      // Single-user: the role logs in with the current password and changes its own.
      assert.equal(schedule.props.HostedRotationLambda.RotationType, 'PostgreSQLSingleUser', name);
      assert.ok(JSON.stringify(schedule.resource.DependsOn ?? []).includes('RunSetup'), `${name} rotates after the setup`);
    }
  });

  it('lets the setup function read both and tells it where they are', () => {
    const [setup] = s.resources('AWS::Lambda::Function', s.stacks.database).filter((f) => f.props.FunctionName === 'kairos-dev-db-setup');
    const env = setup.props.Environment.Variables;
    assert.deepEqual(env.APP_SECRET_ARN, { Ref: attachmentOf('kairos/dev/database/app') });
    assert.deepEqual(env.JOBS_SECRET_ARN, { Ref: attachmentOf('kairos/dev/database/jobs') });
    const roleId = setup.props.Role['Fn::GetAtt'][0];
    const statements = s
      .resources('AWS::IAM::Policy', s.stacks.database)
      .filter((p) => p.props.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p) => p.props.PolicyDocument.Statement);
    const readable = statements
      .filter((st: any) => [st.Action].flat().includes('secretsmanager:GetSecretValue'))
      .flatMap((st: any) => [st.Resource].flat())
      .map((r: any) => r.Ref);
    for (const name of ['kairos/dev/database/app', 'kairos/dev/database/jobs']) {
      assert.ok(readable.includes(attachmentOf(name)), `the setup reads ${name}`);
    }
  });
});

describe('Environments', () => {
  it('prod: Multi-AZ, deletion protection, longer backups, termination protection', () => {
    const prod = synth({ env: 'prod' });
    prod.template(prod.stacks.database).hasResourceProperties('AWS::RDS::DBInstance', {
      MultiAZ: true,
      DeletionProtection: true,
      BackupRetentionPeriod: 30,
      DBInstanceClass: 'db.m7g.large',
    });
    assert.equal(prod.stacks.database.terminationProtection, true);
    assert.equal(prod.stacks.compute.stackName, 'Kairos-prod-Compute');
  });

  it('point every environment at the Stripe API', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const app = new App({ context: { ...CDK_CONTEXT, 'kairos:env': env } });
      assert.equal(envConfigFromContext(app.node).stripeApiBase, 'https://api.stripe.com/', env);
    }
  });

  it('refuse a stripeApiBase that is missing, not https or without the trailing slash', () => {
    const withStripeApiBase = (value: string | undefined) => () => {
      const environments = structuredClone(CDK_CONTEXT['kairos:environments']);
      if (value === undefined) delete environments.dev.stripeApiBase;
      else environments.dev.stripeApiBase = value;
      const app = new App({ context: { ...CDK_CONTEXT, 'kairos:env': 'dev', 'kairos:environments': environments } });
      return envConfigFromContext(app.node);
    };
    assert.throws(withStripeApiBase(undefined), /stripeApiBase is missing/);
    for (const bad of ['http://api.stripe.com/', 'https://api.stripe.com', 'https://api.stripe.com/v1', 'api.stripe.com/', 'https:///']) {
      assert.throws(withStripeApiBase(bad), /stripeApiBase must be an https:\/\/ URL ending in \//, bad);
    }
    // A fake's base (a path under a host, ending in /) is fine.
    assert.equal(withStripeApiBase('https://stripe-fake.internal:12111/api/')().stripeApiBase, 'https://stripe-fake.internal:12111/api/');
  });

  it('point every environment at Google and serve the API under the web app\'s origin', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const app = new App({ context: { ...CDK_CONTEXT, 'kairos:env': env } });
      const config = envConfigFromContext(app.node);
      assert.equal(config.googleOAuthAuthUrl, 'https://accounts.google.com/o/oauth2/v2/auth', env);
      assert.equal(config.googleOAuthTokenUrl, 'https://oauth2.googleapis.com/token', env);
      assert.equal(config.googleOAuthRevokeUrl, 'https://oauth2.googleapis.com/revoke', env);
      assert.equal(config.googleCalendarApiBase, 'https://www.googleapis.com/calendar/v3', env);
      // CloudFront serves /v1/* on the web app's domain: that is where Google calls.
      assert.equal(config.apiUrl, new URL(config.appUrl).origin, env);
    }
  });

  it('refuse Google settings that are missing or not https, and an apiUrl with a path', () => {
    const withSetting = (key: string, value: string | undefined) => () => {
      const environments = structuredClone(CDK_CONTEXT['kairos:environments']);
      if (value === undefined) delete environments.dev[key];
      else environments.dev[key] = value;
      const app = new App({ context: { ...CDK_CONTEXT, 'kairos:env': 'dev', 'kairos:environments': environments } });
      return envConfigFromContext(app.node);
    };
    for (const key of ['apiUrl', 'googleOAuthAuthUrl', 'googleOAuthTokenUrl', 'googleOAuthRevokeUrl', 'googleCalendarApiBase']) {
      assert.throws(withSetting(key, undefined), new RegExp(`${key} is missing`), key);
      assert.throws(withSetting(key, 'http://oauth2.googleapis.com/token'), new RegExp(`${key} must be`), `${key} over http`);
    }
    for (const bad of ['https://api.kairos.example/', 'https://api.kairos.example/v1', 'api.kairos.example', 'https://']) {
      assert.throws(withSetting('apiUrl', bad), /apiUrl must be one https:\/\/ origin/, bad);
    }
    assert.throws(withSetting('googleCalendarApiBase', 'https://www.googleapis.com/calendar/v3/'), /without a trailing \//);
    // A fake's endpoints (a host with a port and a path) are fine.
    assert.equal(withSetting('apiUrl', 'https://api.kairos.example:8443')().apiUrl, 'https://api.kairos.example:8443');
    assert.equal(
      withSetting('googleCalendarApiBase', 'https://google-fake.internal:12112/calendar/v3')().googleCalendarApiBase,
      'https://google-fake.internal:12112/calendar/v3',
    );
  });

  it('dev: single-AZ, no deletion protection', () => {
    const dev = synth();
    dev.template(dev.stacks.database).hasResourceProperties('AWS::RDS::DBInstance', {
      MultiAZ: false,
      DeletionProtection: false,
    });
  });
});

describe('cdk-nag', () => {
  it('stops the synth on a finding nobody acknowledged', () => {
    const app = new App({ context: { ...CDK_CONTEXT } });
    enableNag(app);
    const stacks = buildKairos(app, { manifest: loadManifest(), code: new LambdaCode('placeholder') });
    new s3.Bucket(stacks.storage, 'Unlogged', { enforceSSL: true });
    assert.throws(() => app.synth(), /Validation failed/);
  });

  it('acknowledges each remaining finding with a written reason', () => {
    const s = synth({ manifest: FULL_FIXTURE });
    const acks = acknowledgements(s.app).filter((a) => a.id.includes('AwsSolutions-'));
    assert.ok(acks.length > 0);
    for (const a of acks) assert.ok(a.reason.length >= 40, `${a.path} ${a.id}: reason too short`);
    const rules = [...new Set(acks.map((a) => a.id.replace(/^AwsSolutions::/, '')))].sort();
    console.log(`# ${acks.length} acknowledgements of ${rules.length} rules: ${rules.join(' ')}`);
  });
});

describe('the manifest is a closed vocabulary', () => {
  const base = require('./fixtures/manifest-full.json');
  const variant = (edit: (m: any) => void) => {
    const m = structuredClone(base);
    edit(m);
    return m;
  };
  const synthOf = (raw: unknown) => () => {
    const app = new App({ context: { ...CDK_CONTEXT } });
    buildKairos(app, { manifest: parseManifest(raw), code: new LambdaCode('placeholder') });
  };

  it('refuses an unknown permission resource', () => {
    const m = variant((m) => m.functions[2].permissions.push({ actions: ['s3:GetObject'], resource: 'bucket:photos' }));
    assert.throws(synthOf(m), /unknown permission resource bucket:photos/);
  });
  it('refuses actions of another service on a resource', () => {
    const m = variant((m) => (m.functions[2].permissions[0].actions = ['sqs:SendMessage']));
    assert.throws(synthOf(m), /must all be secretsmanager:\*/);
  });
  it('refuses an unknown environment variable', () => {
    const m = variant((m) => m.functions[2].environment.push('SLACK_WEBHOOK_URL'));
    assert.throws(synthOf(m), /unknown environment variable SLACK_WEBHOOK_URL/);
  });
  it('refuses an environment value the function does not name', () => {
    const m = variant((m) => (m.functions[2].environment_values = { EVENT_ROUTES: '{}' }));
    assert.throws(synthOf(m), /environment value EVENT_ROUTES is not among its environment/);
  });
  it('refuses an unknown trigger type', () => {
    const m = variant((m) => (m.functions[2].trigger = { type: 's3' }));
    assert.throws(synthOf(m), /unknown trigger type "s3"/);
  });
  it('refuses a consumer of a queue the manifest does not list', () => {
    const m = variant((m) => (m.functions[4].trigger.queue = 'nowhere'));
    assert.throws(synthOf(m), /consumes queue nowhere/);
  });
  it('refuses a permission on an unknown queue', () => {
    const m = variant((m) => m.functions[6].permissions.push({ actions: ['sqs:SendMessage'], resource: 'queue:nowhere' }));
    assert.throws(synthOf(m), /unknown queue nowhere/);
  });
});

describe('Lambda code', () => {
  it('comes from target/lambda/<name>, with a clear error when it was not built', () => {
    const app = new App({ context: { ...CDK_CONTEXT } });
    const code = new LambdaCode('build', '/nonexistent/target/lambda');
    assert.throws(() => buildKairos(app, { manifest: loadManifest(), code }), /run scripts\/build first/);
  });

  it('makes placeholder templates undeployable', () => {
    const s = synth();
    for (const stack of [s.stacks.compute, s.stacks.database]) {
      assert.ok(s.json(stack).Rules?.PlaceholderCodeGuard, `${stack.stackName} carries the guard`);
    }
  });
});
