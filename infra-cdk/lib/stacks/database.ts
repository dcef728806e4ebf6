// Database: RDS PostgreSQL in the isolated data subnets, RDS Proxy in front of it for the
// fleet, three credentials secrets with rotation, and the deploy-time setup that migrates
// the schema and gives kairos_app and kairos_jobs their passwords.
//
// Credentials: `kairos_admin` (the RDS master user, owner of the schema) is used only by
// the setup function and its rotation. The functions connect through the proxy as
// `kairos_app` (no ownership, no RLS bypass) with the application secret; the cross-tenant
// workers as `kairos_jobs` (owns nothing, may only execute the cross-tenant SECURITY
// DEFINER functions) with the jobs secret. The setup function sets both passwords after
// each migration run. See docs/infra.md.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration, DockerImage, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as triggers from 'aws-cdk-lib/triggers';
import { buildSync } from 'esbuild';
import { Construct } from 'constructs';
import { LambdaCode } from '../code';
import { EnvConfig, physicalName } from '../config';
import { functionRole } from '../fleet';
import { acknowledge, REASONS } from '../nag';

export interface DatabaseStackProps extends StackProps {
  config: EnvConfig;
  code: LambdaCode;
  vpc: ec2.IVpc;
  dataSubnets: ec2.SubnetSelection;
  functionSubnets: ec2.SubnetSelection;
  functionSecurityGroup: ec2.ISecurityGroup;
  jwtSecret: secretsmanager.ISecret;
  /** The master keys sealing the calendar refresh tokens; the setup writes the first one. */
  calendarKeysSecret: secretsmanager.ISecret;
}

const DATABASE_NAME = 'kairos';
const PORT = 5432;

export class DatabaseStack extends Stack {
  readonly instance: rds.DatabaseInstance;
  readonly proxy: rds.DatabaseProxy;
  /** kairos_app's credentials: what the functions read (DATABASE_SECRET_ID). */
  readonly appSecret: secretsmanager.ISecret;
  /** kairos_jobs's credentials: what the cross-tenant workers read (JOBS_DATABASE_SECRET_ID). */
  readonly jobsSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: DatabaseStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;
    const db = config.database;
    const prod = config.name === 'prod';

    const securityGroup = (name: string, description: string, allowAllOutbound = false) =>
      new ec2.SecurityGroup(this, `${name}SecurityGroup`, {
        vpc,
        securityGroupName: physicalName(config, name.toLowerCase()),
        description,
        allowAllOutbound,
      });
    const databaseSg = securityGroup('Database', 'Kairos PostgreSQL: from the proxy, setup and rotation only');
    const proxySg = securityGroup('Proxy', 'Kairos RDS Proxy: from the functions', true);
    // Setup and rotation functions: PostgreSQL to the database, HTTPS to the VPC endpoints.
    const adminSg = securityGroup('DbAdmin', 'Kairos database setup and rotation functions');
    adminSg.addEgressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(443), 'VPC endpoints');
    adminSg.addEgressRule(databaseSg, ec2.Port.tcp(PORT), 'PostgreSQL');
    databaseSg.addIngressRule(proxySg, ec2.Port.tcp(PORT), 'RDS Proxy');
    databaseSg.addIngressRule(adminSg, ec2.Port.tcp(PORT), 'Setup and rotation');
    proxySg.addIngressRule(props.functionSecurityGroup, ec2.Port.tcp(PORT), 'Kairos functions');

    const storageKey = new kms.Key(this, 'StorageKey', {
      alias: `alias/${physicalName(config, 'database')}`,
      description: 'Kairos PostgreSQL storage, snapshots and Performance Insights',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17_9 });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'Kairos PostgreSQL parameters',
      parameters: {
        'rds.force_ssl': '1',
        log_min_duration_statement: '500',
        log_connections: '1',
      },
    });

    const instanceIdentifier = physicalName(config, 'postgres');
    // Created here so the PostgreSQL log export has a retention (RDS would create it without).
    const postgresLogs = new logs.LogGroup(this, 'PostgresLogs', {
      logGroupName: `/aws/rds/instance/${instanceIdentifier}/postgresql`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.instance = new rds.DatabaseInstance(this, 'Postgres', {
      engine,
      instanceIdentifier,
      instanceType: new ec2.InstanceType(db.instanceType),
      vpc,
      vpcSubnets: props.dataSubnets,
      securityGroups: [databaseSg],
      port: PORT,
      databaseName: DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret('kairos_admin', {
        secretName: `kairos/${config.name}/database/admin`,
      }),
      parameterGroup,
      storageType: rds.StorageType.GP3,
      allocatedStorage: db.allocatedStorageGb,
      maxAllocatedStorage: db.maxAllocatedStorageGb,
      storageEncrypted: true,
      storageEncryptionKey: storageKey,
      multiAz: db.multiAz,
      deletionProtection: db.deletionProtection,
      backupRetention: Duration.days(db.backupRetentionDays),
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      publiclyAccessible: false,
      cloudwatchLogsExports: ['postgresql'],
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.SNAPSHOT,
    });
    this.instance.node.addDependency(postgresLogs);
    acknowledge(this.instance, {
      RDS11: 'The standard port; the database is reachable only from three security groups in isolated subnets.',
      ...(db.multiAz ? {} : { RDS3: `Single-AZ in ${config.name} to save cost; prod runs Multi-AZ (cdk.json).` }),
      ...(db.deletionProtection
        ? {}
        : { RDS10: `Deletion protection is off in ${config.name} so the environment can be torn down; a final snapshot is kept.` }),
    });
    const adminSecret = this.instance.secret!;

    // kairos_app: created by migration 0001 without a password; the setup function sets it.
    const appSecret = new rds.DatabaseSecret(this, 'AppSecret', {
      username: 'kairos_app',
      secretName: `kairos/${config.name}/database/app`,
      dbname: DATABASE_NAME,
      masterSecret: adminSecret,
    });
    this.appSecret = appSecret.attach(this.instance);
    // kairos_jobs: likewise created by its migration without a password.
    const jobsSecret = new rds.DatabaseSecret(this, 'JobsSecret', {
      username: 'kairos_jobs',
      secretName: `kairos/${config.name}/database/jobs`,
      dbname: DATABASE_NAME,
      masterSecret: adminSecret,
    });
    this.jobsSecret = jobsSecret.attach(this.instance);

    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      dbProxyName: physicalName(config, 'proxy'),
      proxyTarget: rds.ProxyTarget.fromInstance(this.instance),
      secrets: [this.appSecret, this.jobsSecret],
      vpc,
      vpcSubnets: props.dataSubnets,
      securityGroups: [proxySg],
      requireTLS: true,
      iamAuth: false,
      idleClientTimeout: Duration.minutes(15),
      maxConnectionsPercent: 80,
    });

    const setup = this.setupFunction(props, adminSg, adminSecret);
    const runSetup = new triggers.Trigger(this, 'RunSetup', {
      handler: setup,
      executeAfter: [this.instance, this.appSecret, this.jobsSecret],
      executeOnHandlerChange: true,
      timeout: Duration.minutes(10),
    });
    acknowledge(runSetup, { IAM4: REASONS.cdkProvider, IAM5: REASONS.cdkProvider, L1: REASONS.cdkProvider });

    // Single-user rotation: the admin rotates itself; kairos_app and kairos_jobs change their
    // own passwords, so they are rotated only after the setup has given them one.
    const rotation = (name: string, secret: secretsmanager.ISecret) =>
      new secretsmanager.RotationSchedule(this, `${name}Rotation`, {
        secret,
        hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({
          functionName: physicalName(config, `rotate-${name.toLowerCase()}-secret`),
          vpc,
          vpcSubnets: props.functionSubnets,
          securityGroups: [adminSg],
        }),
        automaticallyAfter: Duration.days(30),
      });
    rotation('Admin', adminSecret).node.addDependency(runSetup);
    rotation('App', this.appSecret).node.addDependency(runSetup);
    rotation('Jobs', this.jobsSecret).node.addDependency(runSetup);

    props.code.guard(this);
  }

  /** The Node.js setup function, bundled with the kairos-migrate binary. */
  private setupFunction(props: DatabaseStackProps, sg: ec2.ISecurityGroup, adminSecret: secretsmanager.ISecret) {
    const { config } = props;
    const name = physicalName(config, 'db-setup');
    const logGroup = new logs.LogGroup(this, 'SetupLogs', {
      logGroupName: `/aws/lambda/${name}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = functionRole(this, 'SetupRole', logGroup);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [adminSecret.secretArn, this.appSecret.secretArn, this.jobsSecret.secretArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: [props.jwtSecret.secretArn, props.calendarKeysSecret.secretArn],
      }),
    );

    return new lambda.Function(this, 'Setup', {
      functionName: name,
      description:
        'Applies migrations, sets the kairos_app and kairos_jobs passwords, creates the first JWT signing key and ' +
        'calendar token key',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.X86_64,
      handler: 'index.handler',
      code: setupCode(props.code.folder('kairos-migrate')),
      memorySize: 512,
      timeout: Duration.minutes(5),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets: props.functionSubnets,
      securityGroups: [sg],
      environment: {
        DATABASE_HOST: this.instance.dbInstanceEndpointAddress,
        DATABASE_PORT: String(PORT),
        DATABASE_NAME,
        ADMIN_SECRET_ARN: adminSecret.secretArn,
        APP_SECRET_ARN: this.appSecret.secretArn,
        JOBS_SECRET_ARN: this.jobsSecret.secretArn,
        JWT_SECRET_ARN: props.jwtSecret.secretArn,
        CALENDAR_KEYS_SECRET_ARN: props.calendarKeysSecret.secretArn,
        // The Lambda runtime's CA bundle includes the RDS certificate authorities.
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      },
    });
  }
}

/** handler.ts bundled by esbuild (in-process, no Docker) with kairos-migrate beside it. */
function setupCode(migrateFolder: string): lambda.Code {
  return lambda.Code.fromAsset(path.join(__dirname, '..', 'setup'), {
    bundling: {
      // Never used: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('unused'),
      local: {
        tryBundle(outputDir: string): boolean {
          buildSync({
            entryPoints: [path.join(__dirname, '..', 'setup', 'handler.ts')],
            outfile: path.join(outputDir, 'index.js'),
            bundle: true,
            platform: 'node',
            target: 'node24',
            format: 'cjs',
            // The runtime provides the AWS SDK; pg's optional native binding is not used.
            external: ['@aws-sdk/*', 'pg-native'],
            logLevel: 'error',
          });
          fs.copyFileSync(path.join(migrateFolder, 'bootstrap'), path.join(outputDir, 'kairos-migrate'));
          fs.chmodSync(path.join(outputDir, 'kairos-migrate'), 0o755);
          return true;
        },
      },
    },
  });
}
