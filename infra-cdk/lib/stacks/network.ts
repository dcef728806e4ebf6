// Network: the VPC every function and the database live in.
//
// Functions and the database sit in isolated subnets (no route to or from the internet);
// AWS APIs are reached through VPC endpoints. Only when some function must call a third
// party (the WhatsApp Cloud API, Stripe, Google's OAuth and Calendar APIs) does the VPC get a
// NAT gateway and an egress subnet group, used by those functions alone; the data tier stays
// isolated either way.

import { Stack, StackProps, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EnvConfig, physicalName } from '../config';

export interface NetworkStackProps extends StackProps {
  config: EnvConfig;
  /** Whether any function needs to reach the internet (adds NAT and egress subnets). */
  internetEgress: boolean;
}

export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;
  /** Attached to every function: egress to HTTPS and PostgreSQL only. */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  readonly functionSubnets: ec2.SubnetSelection = { subnetGroupName: 'app' };
  readonly egressSubnets: ec2.SubnetSelection | undefined;
  readonly dataSubnets: ec2.SubnetSelection = { subnetGroupName: 'data' };

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { config } = props;

    const subnets: ec2.SubnetConfiguration[] = [
      { name: 'app', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
      { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
    ];
    if (props.internetEgress) {
      subnets.push(
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26, mapPublicIpOnLaunch: false },
        { name: 'egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      );
      this.egressSubnets = { subnetGroupName: 'egress' };
    }

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      logGroupName: `/kairos/${config.name}/vpc-flow-logs`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      vpcName: physicalName(config, 'vpc'),
      ipAddresses: ec2.IpAddresses.cidr(config.vpcCidr),
      // Explicit zones: no lookup, and the same subnets on every synth.
      availabilityZones: config.availabilityZones,
      subnetConfiguration: subnets,
      // One NAT gateway keeps the optional egress cheap; its loss only cuts third-party calls.
      natGateways: props.internetEgress ? 1 : 0,
      natGatewaySubnets: props.internetEgress ? { subnetGroupName: 'public' } : undefined,
      flowLogs: {
        all: { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: ec2.FlowLogTrafficType.ALL },
      },
    });

    this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [this.functionSubnets, this.dataSubnets, ...(this.egressSubnets ? [this.egressSubnets] : [])],
    });
    // The AWS APIs the functions, the secret rotation and the deploy-time setup call.
    const interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
      // SES v2 API (SendEmail); `email-smtp` would be the SMTP interface.
      SesApi: ec2.InterfaceVpcEndpointAwsService.EMAIL,
    };
    for (const [name, service] of Object.entries(interfaceEndpoints)) {
      const endpoint = this.vpc.addInterfaceEndpoint(name, {
        service,
        subnets: this.functionSubnets,
        privateDnsEnabled: true,
        open: false,
      });
      // HTTPS from inside the VPC only (the literal range, so cdk-nag can check it).
      endpoint.connections.allowFrom(ec2.Peer.ipv4(config.vpcCidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    }

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      securityGroupName: physicalName(config, 'functions'),
      description: 'Kairos Lambda functions: HTTPS out, PostgreSQL to the VPC',
      allowAllOutbound: false,
    });
    this.functionSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: VPC endpoints and third-party APIs');
    this.functionSecurityGroup.addEgressRule(ec2.Peer.ipv4(config.vpcCidr), ec2.Port.tcp(5432), 'PostgreSQL through RDS Proxy');
  }
}
