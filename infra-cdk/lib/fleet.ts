// What a function's manifest entry names, mapped to real things: its symbolic permission
// resources to ARNs and its environment variable names to values. Both tables are closed:
// a name they do not know fails the synth.

import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EnvConfig } from './config';
import { FunctionSpec, Permission, queueUrlVariable } from './manifest';
import { acknowledge, REASONS } from './nag';

/** The shared resources functions may be granted or told about. */
export interface FleetResources {
  /** kairos_app's credentials (`secret:database`). */
  databaseSecret: secretsmanager.ISecret;
  /** kairos_jobs's credentials, for the cross-tenant workers (`secret:database-jobs`). */
  jobsDatabaseSecret: secretsmanager.ISecret;
  /** The RDS Proxy endpoint. */
  databaseHost: string;
  jwtSecret: secretsmanager.ISecret;
  whatsappSecret: secretsmanager.ISecret;
  /** The Stripe API key and webhook signing secrets (`secret:stripe`). */
  stripeSecret: secretsmanager.ISecret;
  /** The Google Calendar OAuth client id and secret (`secret:google-calendar`). */
  googleCalendarSecret: secretsmanager.ISecret;
  /** The master keys sealing the calendar refresh tokens (`secret:calendar-token-keys`). */
  calendarKeysSecret: secretsmanager.ISecret;
  /** By manifest name, dead-letter queues included. */
  queues: Map<string, sqs.IQueue>;
  emailIdentityArn: string;
  configurationSetArn: string;
  configurationSetName: string;
}

/**
 * Environment names whose presence means the function calls a third party on the internet:
 * the WhatsApp Cloud API, the Stripe API, Google's and Apple's signing keys (JWKS) for ID
 * tokens, and Google's OAuth token and revocation endpoints and the Calendar API.
 * (`GOOGLE_OAUTH_AUTH_URL` and `API_URL` are not: the browser follows the one, Google calls
 * the other.)
 */
const INTERNET_ENVIRONMENT = [
  'WHATSAPP_API_BASE',
  'STRIPE_API_BASE',
  'GOOGLE_CLIENT_ID',
  'APPLE_CLIENT_ID',
  'GOOGLE_OAUTH_TOKEN_URL',
  'GOOGLE_OAUTH_REVOKE_URL',
  'GOOGLE_CALENDAR_API_BASE',
];

export function needsInternet(f: FunctionSpec): boolean {
  return f.environment.some((name) => INTERNET_ENVIRONMENT.includes(name));
}

/** The ARNs a symbolic resource stands for; the actions must belong to that service. */
export function permissionResources(fleet: FleetResources, p: Permission, functionName: string): string[] {
  const fail = (msg: string): never => {
    throw new Error(`function ${functionName}: ${msg}`);
  };
  const servicePrefix = (prefix: string) => {
    const foreign = p.actions.filter((a) => !a.startsWith(prefix));
    if (p.actions.length === 0 || foreign.length > 0) {
      fail(`actions ${JSON.stringify(p.actions)} on ${p.resource} must all be ${prefix}*`);
    }
  };
  switch (p.resource) {
    case 'secret:database':
      servicePrefix('secretsmanager:');
      return [fleet.databaseSecret.secretArn];
    case 'secret:database-jobs':
      servicePrefix('secretsmanager:');
      return [fleet.jobsDatabaseSecret.secretArn];
    case 'secret:jwt-signing-keys':
      servicePrefix('secretsmanager:');
      return [fleet.jwtSecret.secretArn];
    case 'secret:whatsapp':
      servicePrefix('secretsmanager:');
      return [fleet.whatsappSecret.secretArn];
    case 'secret:stripe':
      servicePrefix('secretsmanager:');
      return [fleet.stripeSecret.secretArn];
    case 'secret:google-calendar':
      servicePrefix('secretsmanager:');
      return [fleet.googleCalendarSecret.secretArn];
    case 'secret:calendar-token-keys':
      servicePrefix('secretsmanager:');
      return [fleet.calendarKeysSecret.secretArn];
    case 'ses:identity':
      servicePrefix('ses:');
      return [fleet.emailIdentityArn, fleet.configurationSetArn];
  }
  if (p.resource.startsWith('queue:')) {
    const name = p.resource.slice('queue:'.length);
    const queue = fleet.queues.get(name) ?? fail(`permission on unknown queue ${name}`);
    servicePrefix('sqs:');
    return [queue.queueArn];
  }
  return fail(`unknown permission resource ${p.resource} (map it in infra-cdk/lib/fleet.ts)`);
}

/** The value of each environment variable the function names, plus the fleet-wide ones. */
export function environmentFor(config: EnvConfig, fleet: FleetResources, f: FunctionSpec): Record<string, string> {
  const env: Record<string, string> = {
    CORS_ALLOWED_ORIGIN: config.corsAllowedOrigin,
    RUST_LOG: config.logLevel,
  };
  const queueUrls = new Map([...fleet.queues.entries()].map(([name, q]) => [queueUrlVariable(name), q.queueUrl]));
  const fixed: Record<string, string> = {
    DATABASE_SECRET_ID: fleet.databaseSecret.secretArn,
    JOBS_DATABASE_SECRET_ID: fleet.jobsDatabaseSecret.secretArn,
    DATABASE_HOST: fleet.databaseHost,
    JWT_SECRET_ID: fleet.jwtSecret.secretArn,
    SES_FROM_ADDRESS: config.sesFromAddress,
    SES_CONFIGURATION_SET: fleet.configurationSetName,
    WHATSAPP_SECRET_ID: fleet.whatsappSecret.secretArn,
    WHATSAPP_API_BASE: config.whatsappApiBase,
    STRIPE_SECRET_ID: fleet.stripeSecret.secretArn,
    STRIPE_API_BASE: config.stripeApiBase,
    GOOGLE_CALENDAR_SECRET_ID: fleet.googleCalendarSecret.secretArn,
    CALENDAR_KEYS_SECRET_ID: fleet.calendarKeysSecret.secretArn,
    GOOGLE_OAUTH_AUTH_URL: config.googleOAuthAuthUrl,
    GOOGLE_OAUTH_TOKEN_URL: config.googleOAuthTokenUrl,
    GOOGLE_OAUTH_REVOKE_URL: config.googleOAuthRevokeUrl,
    GOOGLE_CALENDAR_API_BASE: config.googleCalendarApiBase,
    APP_URL: config.appUrl,
    API_URL: config.apiUrl,
    GOOGLE_CLIENT_ID: config.googleClientId,
    APPLE_CLIENT_ID: config.appleClientId,
  };
  for (const name of f.environment) {
    const value = f.environment_values?.[name] ?? fixed[name] ?? queueUrls.get(name);
    if (value === undefined) {
      throw new Error(`function ${f.name}: unknown environment variable ${name} (map it in infra-cdk/lib/fleet.ts)`);
    }
    env[name] = value;
  }
  return env;
}

/**
 * A function's own role: writes to its own log group and manages its VPC network
 * interfaces; everything else comes from its manifest entry (added by the caller).
 */
export function functionRole(scope: Construct, id: string, logGroup: logs.ILogGroup): iam.Role {
  const role = new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'OwnLogGroup',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      sid: 'VpcNetworkInterfaces',
      actions: [
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      resources: ['*'],
    }),
  );
  acknowledge(role, { 'IAM5[Resource::*]': `${REASONS.eniWildcard} ${REASONS.xrayWildcard}` });
  return role;
}

/** The statements every function role has beyond its manifest entry (for the tests). */
export const BASELINE_ACTIONS = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];
