// Monitoring: the EventBridge schedules of functions.json, alarms (each function's errors
// and throttles, dead-letter queue depth, queue age, RDS CPU and connections, API 5xx) to
// the alarm topic, and one dashboard.
//
// Per-function alarms and schedules live in one nested stack per domain, like Compute.

import { Duration, NestedStack, Stack, StackProps } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EnvConfig, physicalName } from '../config';
import { byDomain, FunctionSpec, Manifest, ScheduleTrigger } from '../manifest';
import { constructId } from '../names';
import { functionArn } from './api';
import { functionName } from './compute';

export interface MonitoringStackProps extends StackProps {
  config: EnvConfig;
  manifest: Manifest;
  alarmTopic: sns.ITopic;
  database: rds.IDatabaseInstance;
  queues: Map<string, sqs.IQueue>;
  deadLetterQueueNames: string[];
  httpApi: apigwv2.IHttpApi;
}

const FIVE_MINUTES = Duration.minutes(5);

export class MonitoringStack extends Stack {
  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config, manifest } = props;
    const alarmAction = new actions.SnsAction(props.alarmTopic);
    const alarm = (metric: cloudwatch.Metric, alarmId: string, options: Partial<cloudwatch.CreateAlarmOptions>) => {
      const a = metric.createAlarm(this, alarmId, {
        alarmName: physicalName(config, alarmId.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      a.addAlarmAction(alarmAction);
      return a;
    };

    for (const [domain, functions] of byDomain(manifest.functions)) {
      new AlarmsAndSchedulesOfDomain(this, constructId(domain), config, domain, functions, alarmAction);
    }

    const dlqDepth: cloudwatch.IMetric[] = [];
    for (const name of props.deadLetterQueueNames) {
      const metric = props.queues.get(name)!.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum' });
      dlqDepth.push(metric);
      alarm(metric, `${constructId(name)}Depth`, { alarmDescription: `Messages in the dead-letter queue ${name}` });
    }
    const queueAge: cloudwatch.IMetric[] = [];
    for (const [name, queue] of props.queues) {
      if (props.deadLetterQueueNames.includes(name)) continue;
      const metric = queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' });
      queueAge.push(metric);
      alarm(metric, `${constructId(name)}Age`, {
        alarmDescription: `The oldest message in ${name} waited over 15 minutes: consumers are stuck or failing`,
        threshold: 900,
        evaluationPeriods: 2,
      });
    }

    const cpu = props.database.metricCPUUtilization({ period: FIVE_MINUTES });
    alarm(cpu, 'DatabaseCpu', { alarmDescription: 'RDS CPU above 80% for 15 minutes', threshold: 80, evaluationPeriods: 3 });
    const connections = props.database.metricDatabaseConnections({ period: FIVE_MINUTES, statistic: 'Maximum' });
    alarm(connections, 'DatabaseConnections', {
      alarmDescription: 'RDS connections near the instance limit',
      threshold: config.database.connectionsAlarmThreshold,
      evaluationPeriods: 2,
    });
    const freeStorage = props.database.metricFreeStorageSpace({ period: FIVE_MINUTES, statistic: 'Minimum' });
    alarm(freeStorage, 'DatabaseFreeStorage', {
      alarmDescription: 'RDS free storage below 2 GiB',
      threshold: 2 * 1024 ** 3,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
    });

    const apiMetric = (metricName: string, statistic = 'Sum') =>
      new cloudwatch.Metric({
        namespace: 'AWS/ApiGateway',
        metricName,
        dimensionsMap: { ApiId: props.httpApi.apiId, Stage: '$default' },
        statistic,
        period: FIVE_MINUTES,
      });
    alarm(apiMetric('5xx'), 'Api5xx', { alarmDescription: 'HTTP API 5xx responses', threshold: 5 });

    const lambdaTotal = (metricName: string) =>
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName, statistic: 'Sum', period: FIVE_MINUTES });
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { dashboardName: physicalName(config, 'overview') });
    dashboard.addWidgets(
      graph('API requests and errors', [apiMetric('Count'), apiMetric('4xx'), apiMetric('5xx')]),
      graph('API latency p99 (ms)', [apiMetric('Latency', 'p99'), apiMetric('IntegrationLatency', 'p99')]),
      graph('Lambda errors and throttles (all functions in the account)', [lambdaTotal('Errors'), lambdaTotal('Throttles')]),
    );
    dashboard.addWidgets(
      graph('RDS CPU %', [cpu]),
      graph('RDS connections', [connections]),
      graph('Queues: oldest message (s) and dead letters', [...queueAge, ...dlqDepth]),
    );
    const perDomain = [...byDomain(manifest.functions)].map(([domain, functions]) =>
      graph(
        `${domain}: errors by function`,
        functions.map((f) => functionMetric(config, f, 'Errors').with({ label: f.name })),
      ),
    );
    for (let i = 0; i < perDomain.length; i += 3) dashboard.addWidgets(...perDomain.slice(i, i + 3));
  }
}

function graph(title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width: 8, height: 6 });
}

function functionMetric(config: EnvConfig, f: FunctionSpec, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Lambda',
    metricName,
    dimensionsMap: { FunctionName: functionName(config, f.name) },
    statistic: 'Sum',
    period: FIVE_MINUTES,
  });
}

class AlarmsAndSchedulesOfDomain extends NestedStack {
  constructor(
    scope: Construct,
    id: string,
    config: EnvConfig,
    domain: string,
    functions: FunctionSpec[],
    alarmAction: cloudwatch.IAlarmAction,
  ) {
    super(scope, id, { description: `Kairos ${config.name}: ${domain} alarms and schedules` });
    for (const spec of functions) {
      const id = constructId(spec.name);
      for (const metricName of ['Errors', 'Throttles']) {
        functionMetric(config, spec, metricName)
          .createAlarm(this, `${id}${metricName}`, {
            alarmName: `${functionName(config, spec.name)}-${metricName.toLowerCase()}`,
            alarmDescription: `${metricName} of ${spec.name}`,
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          })
          .addAlarmAction(alarmAction);
      }
      if (spec.trigger.type === 'schedule') this.addSchedule(config, spec, spec.trigger, id);
    }
  }

  private addSchedule(config: EnvConfig, spec: FunctionSpec, trigger: ScheduleTrigger, id: string): void {
    const fn = lambda.Function.fromFunctionAttributes(this, `${id}Function`, {
      functionArn: functionArn(this, config, spec.name),
      sameEnvironment: true,
    });
    new events.Rule(this, `${id}Schedule`, {
      ruleName: functionName(config, spec.name),
      description: `${spec.summary} (${trigger.expression})`,
      schedule: events.Schedule.expression(trigger.expression),
      // The jobs are idempotent sweeps: a retry or a late run is harmless.
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
  }
}
