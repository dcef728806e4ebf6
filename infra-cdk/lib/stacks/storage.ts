// Storage: the frontend and photos buckets, their access-log bucket, the JWT signing keys
// secret and the master keys sealing the calendar refresh tokens (long-lived application
// state that is not the database's).

import { Aws, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EnvConfig, physicalName } from '../config';
import { acknowledge } from '../nag';

export interface StorageStackProps extends StackProps {
  config: EnvConfig;
}

export class StorageStack extends Stack {
  readonly frontendBucket: s3.Bucket;
  readonly photosBucket: s3.Bucket;
  readonly jwtSecret: secretsmanager.Secret;
  readonly calendarKeysSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { config } = props;

    // Shared settings: SSE-S3, no public access, TLS only, kept when the stack goes.
    const secure = {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    };

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...secure,
      bucketName: `${physicalName(config, 'access-logs')}-${Aws.ACCOUNT_ID}`,
      lifecycleRules: [{ expiration: Duration.days(config.logRetentionDays) }],
    });
    acknowledge(accessLogs, {
      S1: 'This bucket is the server access log destination; logging it into itself would loop.',
    });

    this.frontendBucket = new s3.Bucket(this, 'Frontend', {
      ...secure,
      bucketName: `${physicalName(config, 'frontend')}-${Aws.ACCOUNT_ID}`,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'frontend/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
    });
    // CloudFront (in the Api stack) reads through Origin Access Control. The grant names
    // the account's distributions rather than the one distribution, because naming it here
    // would make this stack depend on the Api stack and the Api stack on this one.
    this.frontendBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudFrontReadsThroughOriginAccessControl',
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [this.frontendBucket.arnForObjects('*')],
        conditions: {
          StringEquals: { 'AWS:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'AWS:SourceArn': `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/*` },
        },
      }),
    );

    this.photosBucket = new s3.Bucket(this, 'Photos', {
      ...secure,
      bucketName: `${physicalName(config, 'photos')}-${Aws.ACCOUNT_ID}`,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'photos/',
      // Browsers upload with presigned URLs from the web app's origin only.
      cors: [
        {
          allowedOrigins: [config.corsAllowedOrigin],
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.PUT],
          allowedHeaders: ['content-type'],
          maxAge: 3600,
        },
      ],
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(30) },
        { abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
    });

    // The Rust code reads {"keys":[{"kid","secret"}]}; CloudFormation cannot generate that
    // shape, so the deploy-time setup (Database stack) writes the first key.
    this.jwtSecret = new secretsmanager.Secret(this, 'JwtSigningKeys', {
      secretName: `kairos/${config.name}/jwt-signing-keys`,
      description: 'Kairos JWT signing keys: {"keys":[{"kid","secret"}]}; the first key is the current one',
      generateSecretString: { secretStringTemplate: '{"keys":[]}', generateStringKey: 'unused' },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.jwtSecret, {
      SMG4:
        'Signing keys rotate by prepending a new key and keeping the old one for verification until tokens ' +
        'expire; there is no rotation function for that yet (docs/infra.md, open items).',
    });

    // The master keys of shared::seal, which seal the Google refresh tokens the database
    // keeps (envelope encryption: a data key per token, wrapped by the current master key).
    // Same shape as the signing keys, and for the same reason the deploy-time setup writes
    // the first key (32 random bytes). Without these keys the stored tokens are unreadable,
    // so the secret outlives the stack.
    this.calendarKeysSecret = new secretsmanager.Secret(this, 'CalendarTokenKeys', {
      secretName: `kairos/${config.name}/calendar-token-keys`,
      description:
        'Master keys sealing the Google Calendar refresh tokens: {"keys":[{"kid","secret"}]}, newest first; ' +
        'the first key seals, every listed key opens',
      generateSecretString: { secretStringTemplate: '{"keys":[]}', generateStringKey: 'unused' },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.calendarKeysSecret, {
      SMG4:
        'Master keys rotate by putting a new key first, rewrapping the stored data keys (shared::seal::rewrap) and ' +
        'then dropping the old key; there is no rotation function for that yet (docs/infra.md, open items).',
    });
  }
}
