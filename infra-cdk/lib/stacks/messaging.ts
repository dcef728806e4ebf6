// Messaging: the queues functions.json lists (each with its dead-letter queue), the alarm
// topic, the SES identity and configuration set, and the third parties' secrets (the
// WhatsApp token, the Stripe keys, the Google Calendar OAuth client).

import { Aws, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EnvConfig, physicalName } from '../config';
import { Manifest, QueueSpec } from '../manifest';
import { constructId } from '../names';
import { acknowledge } from '../nag';

export interface MessagingStackProps extends StackProps {
  config: EnvConfig;
  manifest: Manifest;
}

/** A manifest queue name → its AWS name (FIFO queue names must end in `.fifo`). */
export function queuePhysicalName(config: EnvConfig, name: string, fifo: boolean): string {
  return physicalName(config, name) + (fifo ? '.fifo' : '');
}

export class MessagingStack extends Stack {
  /** Every queue by its manifest name, dead-letter queues included. */
  readonly queues = new Map<string, sqs.Queue>();
  /** Names of the dead-letter queues (for the depth alarms). */
  readonly deadLetterQueueNames: string[] = [];
  readonly alarmTopic: sns.Topic;
  readonly configurationSet: ses.ConfigurationSet;
  readonly configurationSetName: string;
  readonly emailIdentityArn: string;
  readonly configurationSetArn: string;
  readonly whatsappSecret: secretsmanager.Secret;
  readonly stripeSecret: secretsmanager.Secret;
  readonly googleCalendarSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: MessagingStackProps) {
    super(scope, id, props);
    const { config, manifest } = props;

    for (const spec of manifest.queues) this.addQueue(config, spec);

    // Alarm notifications are encrypted with a key CloudWatch may use.
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      alias: `alias/${physicalName(config, 'alarms')}`,
      description: 'Kairos alarm topic encryption',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: physicalName(config, 'alarms'),
      displayName: `Kairos ${config.name} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    if (config.alarmEmail) this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail));

    this.configurationSetName = physicalName(config, 'email');
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      configurationSetName: this.configurationSetName,
      reputationMetrics: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
      tlsPolicy: ses.ConfigurationSetTlsPolicy.REQUIRE,
    });
    // The domain's DKIM records must be published in its DNS (docs/infra.md).
    new ses.EmailIdentity(this, 'EmailIdentity', {
      identity: ses.Identity.domain(config.emailDomain),
      configurationSet: this.configurationSet,
    });
    this.emailIdentityArn = this.formatArn({ service: 'ses', resource: 'identity', resourceName: config.emailDomain });
    this.configurationSetArn = this.formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: this.configurationSetName,
    });

    this.whatsappSecret = new secretsmanager.Secret(this, 'WhatsappToken', {
      secretName: `kairos/${config.name}/whatsapp`,
      description: 'WhatsApp Cloud API access token (set the value after the first deploy)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.whatsappSecret, {
      SMG4: 'A token issued in Meta\'s console; it is rotated there and pasted in, Secrets Manager cannot rotate it.',
    });

    // Created with a placeholder value; operators replace it with
    // {"api_key": "rk_...", "webhook_secrets": ["whsec_..."]}: the restricted API key, and the
    // signing secret of the webhook endpoint (/v1/webhooks/stripe). While that secret is
    // rolled, both the new and the old one are listed: Stripe signs with both until the old
    // one expires.
    this.stripeSecret = new secretsmanager.Secret(this, 'StripeKeys', {
      secretName: `kairos/${config.name}/stripe`,
      description:
        'Stripe restricted API key and webhook signing secrets: {"api_key","webhook_secrets":[...]} ' +
        '(set the value after the first deploy)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.stripeSecret, {
      SMG4:
        'A restricted key and webhook signing secrets issued in the Stripe Dashboard; they are rolled there and ' +
        'pasted in, Secrets Manager cannot rotate them.',
    });

    // Created with a placeholder value; operators replace it with
    // {"client_id": "....apps.googleusercontent.com", "client_secret": "..."}: the OAuth
    // client (type "Web application") registered in the Google Cloud console, whose
    // redirect URI is <apiUrl>/v1/calendar/callback.
    this.googleCalendarSecret = new secretsmanager.Secret(this, 'GoogleCalendarClient', {
      secretName: `kairos/${config.name}/google-calendar`,
      description:
        'Google Calendar OAuth web client: {"client_id","client_secret"} (set the value after the first deploy)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.googleCalendarSecret, {
      SMG4:
        'An OAuth client secret issued in the Google Cloud console; it is rotated there (add a secret, paste it in, ' +
        'disable the old one) and Secrets Manager cannot rotate it.',
    });
  }

  private addQueue(config: EnvConfig, spec: QueueSpec): void {
    const common = {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      fifo: spec.fifo ? true : undefined,
    };
    // The dead-letter queue of a FIFO queue must be FIFO too.
    const deadLetter = new sqs.Queue(this, `${constructId(spec.dead_letter.name)}Queue`, {
      ...common,
      queueName: queuePhysicalName(config, spec.dead_letter.name, spec.fifo),
      retentionPeriod: Duration.days(14),
    });
    acknowledge(deadLetter, { SQS3: 'This is a dead-letter queue; it has none of its own.' });
    const queue = new sqs.Queue(this, `${constructId(spec.name)}Queue`, {
      ...common,
      queueName: queuePhysicalName(config, spec.name, spec.fifo),
      // Message ids come from the outbox; content-based dedup stays as the manifest says.
      contentBasedDeduplication: spec.fifo ? spec.content_based_deduplication : undefined,
      visibilityTimeout: Duration.seconds(spec.visibility_timeout_seconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: deadLetter, maxReceiveCount: spec.dead_letter.max_receive_count },
    });
    this.queues.set(spec.name, queue);
    this.queues.set(spec.dead_letter.name, deadLetter);
    this.deadLetterQueueNames.push(spec.dead_letter.name);
  }
}
