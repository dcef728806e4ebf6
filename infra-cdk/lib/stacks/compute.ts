// Compute: one Lambda function per functions.json entry, each with its own role, log group
// and (for SQS consumers) event source.
//
// A function costs 4–5 CloudFormation resources, so ~110 functions would pass the 500
// resource limit of one template. Each domain gets a nested stack instead: a function
// stays in its domain's stack for life (moving a function with a fixed name between
// stacks would collide on the name), and a domain has room for ~80 functions.

import { Duration, NestedStack, NestedStackProps, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LambdaCode } from '../code';
import { EnvConfig, physicalName } from '../config';
import { environmentFor, FleetResources, functionRole, needsInternet, permissionResources } from '../fleet';
import { byDomain, FunctionSpec, Manifest } from '../manifest';
import { constructId } from '../names';

export interface ComputeStackProps extends StackProps {
  config: EnvConfig;
  manifest: Manifest;
  code: LambdaCode;
  fleet: FleetResources;
  vpc: ec2.IVpc;
  functionSubnets: ec2.SubnetSelection;
  /** Subnets with a NAT route, for functions that call third parties. */
  egressSubnets?: ec2.SubnetSelection;
  functionSecurityGroup: ec2.ISecurityGroup;
}

/** Functions are found by name: `kairos-<env>-<manifest name>`. */
export function functionName(config: EnvConfig, manifestName: string): string {
  return physicalName(config, manifestName);
}

export class ComputeStack extends Stack {
  /** The nested stack of each domain. */
  readonly domains = new Map<string, FunctionsOfDomain>();

  constructor(scope: Construct, id: string, props: ComputeStackProps) {
    super(scope, id, props);
    for (const [domain, functions] of byDomain(props.manifest.functions)) {
      this.domains.set(domain, new FunctionsOfDomain(this, constructId(domain), { ...props, functions, domain }));
    }
    props.code.guard(this);
  }
}

interface FunctionsOfDomainProps extends NestedStackProps, ComputeStackProps {
  domain: string;
  functions: FunctionSpec[];
}

export class FunctionsOfDomain extends NestedStack {
  constructor(scope: Construct, id: string, props: FunctionsOfDomainProps) {
    super(scope, id, { description: `Kairos ${props.config.name}: ${props.domain} functions` });
    for (const spec of props.functions) this.addFunction(props, spec);
  }

  private addFunction(props: FunctionsOfDomainProps, spec: FunctionSpec): lambda.Function {
    const { config, fleet } = props;
    const id = constructId(spec.name);
    const name = functionName(config, spec.name);

    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      logGroupName: `/aws/lambda/${name}`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = functionRole(this, `${id}Role`, logGroup);
    for (const permission of spec.permissions) {
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: permission.actions,
          resources: permissionResources(fleet, permission, spec.name),
        }),
      );
    }

    let vpcSubnets = props.functionSubnets;
    if (needsInternet(spec)) {
      if (!props.egressSubnets) throw new Error(`function ${spec.name} needs the internet, but the VPC has no egress subnets`);
      vpcSubnets = props.egressSubnets;
    }

    const fn = new lambda.Function(this, id, {
      functionName: name,
      description: spec.summary,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.X86_64,
      handler: 'bootstrap',
      code: props.code.asset(spec.name),
      memorySize: spec.memory_mb,
      timeout: Duration.seconds(spec.timeout_seconds),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets,
      securityGroups: [props.functionSecurityGroup],
      environment: environmentFor(config, fleet, spec),
    });

    if (spec.trigger.type === 'sqs') {
      const queue = fleet.queues.get(spec.trigger.queue)!;
      // Grants this function's role the consume actions on this queue only.
      fn.addEventSource(
        new SqsEventSource(queue, {
          batchSize: spec.trigger.batch_size,
          reportBatchItemFailures: spec.trigger.report_batch_item_failures,
        }),
      );
    }
    return fn;
  }
}
