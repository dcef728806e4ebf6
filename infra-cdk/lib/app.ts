// The seven stacks and how they feed each other (constructor props only, no lookups).

import { App, Stack, Tags } from 'aws-cdk-lib';
import { LambdaCode } from './code';
import { EnvConfig, envConfigFromContext } from './config';
import { needsInternet } from './fleet';
import { DEFAULT_MANIFEST, loadManifest, Manifest } from './manifest';
import { ApiStack } from './stacks/api';
import { ComputeStack } from './stacks/compute';
import { DatabaseStack } from './stacks/database';
import { MessagingStack } from './stacks/messaging';
import { MonitoringStack } from './stacks/monitoring';
import { NetworkStack } from './stacks/network';
import { StorageStack } from './stacks/storage';

export interface KairosStacks {
  network: NetworkStack;
  storage: StorageStack;
  database: DatabaseStack;
  messaging: MessagingStack;
  compute: ComputeStack;
  api: ApiStack;
  monitoring: MonitoringStack;
}

export interface KairosOptions {
  config?: EnvConfig;
  manifest?: Manifest;
  code?: LambdaCode;
}

/** Adds the seven stacks of one environment to the app; what is not given comes from context. */
export function buildKairos(app: App, options: KairosOptions = {}): KairosStacks {
  const config = options.config ?? envConfigFromContext(app.node);
  const manifestFile = app.node.tryGetContext('kairos:manifest') as string | undefined;
  const manifest = options.manifest ?? loadManifest(manifestFile ?? DEFAULT_MANIFEST);
  const code = options.code ?? LambdaCode.fromContext(app.node);

  const env = { region: config.region, account: config.account };
  const stackName = (part: string) => `Kairos-${config.name}-${part}`;
  const common = (part: string) => ({
    env,
    stackName: stackName(part),
    description: `Kairos ${config.name}: ${part.toLowerCase()}`,
    terminationProtection: config.name === 'prod',
  });

  const network = new NetworkStack(app, stackName('Network'), {
    ...common('Network'),
    config,
    internetEgress: manifest.functions.some(needsInternet),
  });
  const storage = new StorageStack(app, stackName('Storage'), { ...common('Storage'), config });
  const database = new DatabaseStack(app, stackName('Database'), {
    ...common('Database'),
    config,
    code,
    vpc: network.vpc,
    dataSubnets: network.dataSubnets,
    functionSubnets: network.functionSubnets,
    functionSecurityGroup: network.functionSecurityGroup,
    jwtSecret: storage.jwtSecret,
    calendarKeysSecret: storage.calendarKeysSecret,
  });
  const messaging = new MessagingStack(app, stackName('Messaging'), { ...common('Messaging'), config, manifest });
  const compute = new ComputeStack(app, stackName('Compute'), {
    ...common('Compute'),
    config,
    manifest,
    code,
    vpc: network.vpc,
    functionSubnets: network.functionSubnets,
    egressSubnets: network.egressSubnets,
    functionSecurityGroup: network.functionSecurityGroup,
    fleet: {
      databaseSecret: database.appSecret,
      jobsDatabaseSecret: database.jobsSecret,
      databaseHost: database.proxy.endpoint,
      jwtSecret: storage.jwtSecret,
      whatsappSecret: messaging.whatsappSecret,
      stripeSecret: messaging.stripeSecret,
      googleCalendarSecret: messaging.googleCalendarSecret,
      calendarKeysSecret: storage.calendarKeysSecret,
      queues: messaging.queues,
      emailIdentityArn: messaging.emailIdentityArn,
      configurationSetArn: messaging.configurationSetArn,
      configurationSetName: messaging.configurationSetName,
    },
  });
  const api = new ApiStack(app, stackName('Api'), {
    ...common('Api'),
    config,
    manifest,
    frontendBucket: storage.frontendBucket,
  });
  // Routes and the authorizer name functions by their fixed names: create those first.
  api.addStackDependency(compute);
  const monitoring = new MonitoringStack(app, stackName('Monitoring'), {
    ...common('Monitoring'),
    config,
    manifest,
    alarmTopic: messaging.alarmTopic,
    database: database.instance,
    queues: messaging.queues,
    deadLetterQueueNames: messaging.deadLetterQueueNames,
    httpApi: api.httpApi,
  });
  monitoring.addStackDependency(compute);

  const stacks = { network, storage, database, messaging, compute, api, monitoring };
  for (const stack of Object.values(stacks) as Stack[]) {
    Tags.of(stack).add('project', 'kairos');
    Tags.of(stack).add('environment', config.name);
  }
  return stacks;
}
