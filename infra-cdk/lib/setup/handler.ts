// Deploy-time database setup, invoked by a CDK trigger after the database exists and again
// whenever this code or the bundled kairos-migrate binary changes (i.e. on new migrations).
//
// 1. Applies the migrations with kairos-migrate, as the schema owner (the RDS master user).
// 2. Sets the kairos_app role's password to the one in the application secret, and the
//    kairos_jobs role's to the one in the jobs secret, which the functions read and RDS
//    Proxy checks (the migrations create both roles without one).
// 3. Writes a first JWT signing key if the keys secret has none, and likewise a first
//    master key for sealing the calendar refresh tokens (shared::seal; same shape).
//
// Bundled with esbuild into index.js beside `kairos-migrate`; runs on nodejs24.x (AL2023).

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Client } from 'pg';

interface DbSecret {
  username: string;
  password: string;
}

const secrets = new SecretsManagerClient({});
const APP_ROLE = 'kairos_app';
const JOBS_ROLE = 'kairos_jobs';

export async function handler(): Promise<{ schema: string; jwtKeyCreated: boolean; calendarKeyCreated: boolean }> {
  const host = required('DATABASE_HOST');
  const port = Number(required('DATABASE_PORT'));
  const database = required('DATABASE_NAME');
  const admin = await secretJson<DbSecret>(required('ADMIN_SECRET_ARN'));
  const app = await secretJson<DbSecret>(required('APP_SECRET_ARN'));
  if (app.username !== APP_ROLE) throw new Error(`the application secret is for ${app.username}, not ${APP_ROLE}`);
  const jobs = await secretJson<DbSecret>(required('JOBS_SECRET_ARN'));
  if (jobs.username !== JOBS_ROLE) throw new Error(`the jobs secret is for ${jobs.username}, not ${JOBS_ROLE}`);

  // NODE_EXTRA_CA_CERTS points at the runtime's bundle, which includes the RDS CAs.
  const client = new Client({ host, port, database, user: admin.username, password: admin.password, ssl: true });
  await client.connect();
  let schema: string;
  try {
    // PostgreSQL 16+: a CREATEROLE user may not hand objects to roles it created unless it
    // is also a member; migrations give functions to kairos_lookup, so take membership.
    await client.query("ALTER ROLE CURRENT_USER SET createrole_self_grant = 'set, inherit'");

    const url =
      `postgres://${encodeURIComponent(admin.username)}:${encodeURIComponent(admin.password)}` +
      `@${host}:${port}/${database}?sslmode=require`;
    const { stdout } = await promisify(execFile)(path.join(__dirname, 'kairos-migrate'), [], {
      env: { ...process.env, DATABASE_URL: url },
      timeout: 240_000,
    });
    schema = stdout.trim();
    console.log(schema);

    // ALTER ROLE takes no bind parameters; the literal is escaped by the driver.
    for (const [role, secret] of [[APP_ROLE, app], [JOBS_ROLE, jobs]] as const) {
      await client.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD ${client.escapeLiteral(secret.password)}`);
    }
  } finally {
    await client.end();
  }

  const jwtKeyCreated = await ensureFirstKey(required('JWT_SECRET_ARN'), 'signing key');
  const calendarKeyCreated = await ensureFirstKey(required('CALENDAR_KEYS_SECRET_ARN'), 'calendar token key');
  return { schema, jwtKeyCreated, calendarKeyCreated };
}

/**
 * Give a keys secret (`{"keys":[{"kid","secret"}]}`, the JWT signing keys or the calendar
 * master keys) its first key, 32 random bytes, leaving existing keys alone.
 */
async function ensureFirstKey(secretId: string, what: string): Promise<boolean> {
  const current = await secretJson<{ keys?: unknown[] }>(secretId);
  if (Array.isArray(current.keys) && current.keys.length > 0) return false;
  const key = { kid: `k${Date.now()}`, secret: randomBytes(32).toString('base64') };
  await secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify({ keys: [key] }) }));
  console.log(`created ${what} ${key.kid}`);
  return true;
}

async function secretJson<T>(secretId: string): Promise<T> {
  const out = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!out.SecretString) throw new Error(`secret ${secretId} has no string value`);
  return JSON.parse(out.SecretString) as T;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
