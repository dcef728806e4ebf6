// Per-environment settings (dev, staging, prod), read from CDK context.
//
// cdk.json holds one block per environment under `kairos:environments`; `-c kairos:env=prod`
// picks one. The code is the same for every environment: only these values differ.

import { Node } from 'constructs';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export type EnvName = (typeof ENVIRONMENTS)[number];

export interface DatabaseSettings {
  /** An RDS instance type without the `db.` prefix, e.g. `t4g.micro`. */
  instanceType: string;
  multiAz: boolean;
  deletionProtection: boolean;
  backupRetentionDays: number;
  allocatedStorageGb: number;
  maxAllocatedStorageGb: number;
  /** DatabaseConnections above this raises an alarm (size it to the instance class). */
  connectionsAlarmThreshold: number;
}

export interface EnvConfig {
  name: EnvName;
  /** Fixed here so that a synth needs no credentials and no lookups. */
  region: string;
  /** Optional: the target account; without it the templates are account-agnostic. */
  account?: string;
  availabilityZones: string[];
  vpcCidr: string;
  appUrl: string;
  corsAllowedOrigin: string;
  emailDomain: string;
  sesFromAddress: string;
  whatsappApiBase: string;
  /** The Stripe API's base URL (`STRIPE_API_BASE`): https, ending in `/`. */
  stripeApiBase: string;
  /**
   * The API's public origin (`API_URL`): https, no path. Google sends the browser back to
   * `<apiUrl>/v1/calendar/callback` and posts channel notifications to
   * `<apiUrl>/v1/webhooks/google-calendar`. CloudFront serves `/v1/*` under the web app's
   * origin, so this is `appUrl`'s origin unless the API gets a domain of its own.
   */
  apiUrl: string;
  /** Google's OAuth 2.0 endpoints (`GOOGLE_OAUTH_AUTH_URL`, `_TOKEN_URL`, `_REVOKE_URL`): https. */
  googleOAuthAuthUrl: string;
  googleOAuthTokenUrl: string;
  googleOAuthRevokeUrl: string;
  /** The Google Calendar API v3 base (`GOOGLE_CALENDAR_API_BASE`): https, no trailing `/`. */
  googleCalendarApiBase: string;
  /** Empty means the feature is not configured in this environment. */
  googleClientId: string;
  appleClientId: string;
  logLevel: string;
  logRetentionDays: number;
  database: DatabaseSettings;
  authorizerCacheSeconds: number;
  /** Optional address subscribed to the alarm topic. */
  alarmEmail: string;
  /** Optional CloudFront aliases and their us-east-1 ACM certificate. */
  cloudFrontDomainNames?: string[];
  cloudFrontCertificateArn?: string;
}

/** Reads and checks the selected environment's settings. */
export function envConfigFromContext(node: Node): EnvConfig {
  const name = (node.tryGetContext('kairos:env') ?? 'dev') as string;
  if (!ENVIRONMENTS.includes(name as EnvName)) {
    throw new Error(`kairos:env=${name} is not one of ${ENVIRONMENTS.join(', ')}`);
  }
  const all = node.tryGetContext('kairos:environments') as Record<string, Omit<EnvConfig, 'name'>> | undefined;
  const raw = all?.[name];
  if (!raw) throw new Error(`cdk.json has no kairos:environments.${name} block`);
  const config = { name: name as EnvName, ...raw };
  validate(config);
  return config;
}

function validate(c: EnvConfig): void {
  const fail = (msg: string): never => {
    throw new Error(`kairos:environments.${c.name}: ${msg}`);
  };
  const required: (keyof EnvConfig)[] = [
    'region', 'availabilityZones', 'vpcCidr', 'appUrl', 'corsAllowedOrigin', 'emailDomain', 'sesFromAddress',
    'whatsappApiBase', 'stripeApiBase', 'apiUrl', 'googleOAuthAuthUrl', 'googleOAuthTokenUrl', 'googleOAuthRevokeUrl',
    'googleCalendarApiBase', 'googleClientId', 'appleClientId', 'logLevel', 'logRetentionDays', 'database',
    'authorizerCacheSeconds', 'alarmEmail',
  ];
  for (const key of required) if (c[key] === undefined) fail(`${key} is missing`);
  if (c.availabilityZones.length < 2) fail('needs at least two availability zones');
  if (!c.availabilityZones.every((az) => az.startsWith(c.region))) fail(`availability zones must be in ${c.region}`);
  if (c.corsAllowedOrigin === '*' || !/^https?:\/\/[^/]+$/.test(c.corsAllowedOrigin)) {
    fail('corsAllowedOrigin must be one origin (scheme://host[:port]), not a wildcard');
  }
  // The functions join Stripe's paths onto this base, so it ends in a slash.
  if (typeof c.stripeApiBase !== 'string' || !/^https:\/\/[^/\s]+\/(\S*\/)?$/.test(c.stripeApiBase)) {
    fail('stripeApiBase must be an https:// URL ending in /');
  }
  // Google must reach the API over https; the functions append the paths to the origin.
  if (typeof c.apiUrl !== 'string' || !/^https:\/\/[^/\s]+$/.test(c.apiUrl)) {
    fail('apiUrl must be one https:// origin (https://host[:port], no path)');
  }
  for (const key of ['googleOAuthAuthUrl', 'googleOAuthTokenUrl', 'googleOAuthRevokeUrl'] as const) {
    if (typeof c[key] !== 'string' || !/^https:\/\/[^/\s]+(\/\S*)?$/.test(c[key])) fail(`${key} must be an https:// URL`);
  }
  // The functions append paths that start with `/` (`/calendars/...`), so no trailing slash.
  if (typeof c.googleCalendarApiBase !== 'string' || !/^https:\/\/[^/\s]+(\/\S*[^/\s])?$/.test(c.googleCalendarApiBase)) {
    fail('googleCalendarApiBase must be an https:// URL without a trailing /');
  }
  if (!c.sesFromAddress.endsWith(`@${c.emailDomain}`)) fail('sesFromAddress must be an address of emailDomain');
  if (c.authorizerCacheSeconds < 0 || c.authorizerCacheSeconds > 3600) fail('authorizerCacheSeconds must be 0..3600');
  if (c.account !== undefined && !/^\d{12}$/.test(c.account)) fail('account must be 12 digits');
  if ((c.cloudFrontDomainNames?.length ?? 0) > 0 && !c.cloudFrontCertificateArn) {
    fail('cloudFrontDomainNames needs cloudFrontCertificateArn');
  }
}

/** `kairos-dev-<suffix>`: the prefix of every physical name, so environments can share an account. */
export function physicalName(env: EnvConfig, suffix: string): string {
  return `kairos-${env.name}-${suffix}`;
}
