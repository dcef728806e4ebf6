// cdk-nag: the AwsSolutions rules run on every synth (as a policy validation plugin, so a
// finding nobody acknowledged stops the synth). Every acknowledgement goes through here,
// with the reason written next to the construct it is about.

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

export function enableNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
}

/**
 * Acknowledge AwsSolutions findings on a construct and everything under it.
 * `rule` is the rule id without the pack prefix, optionally with a finding: `IAM5[Resource::*]`.
 */
export function acknowledge(scope: IConstruct, rules: Record<string, string>): void {
  for (const [rule, reason] of Object.entries(rules)) {
    Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
  }
}

/** Reasons used in more than one place. */
export const REASONS = {
  eniWildcard:
    'Lambda in a VPC needs ec2:CreateNetworkInterface/DescribeNetworkInterfaces/DeleteNetworkInterface and the ' +
    'private-IP actions, which do not support resource-level permissions (AWS documents Resource "*").',
  xrayWildcard: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
  cdkProvider:
    'A handler that aws-cdk-lib itself provides (custom resource provider); its runtime, role and policy are ' +
    'managed by the CDK release, not by this app.',
};
