import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const CALLS = [
  'CreateVpc',
  'DeleteVpc',
  'ModifyVpcAttribute',
  'AcceptVpcPeeringConnection',
  'CreateVpcPeeringConnection',
  'DeleteVpcPeeringConnection',
  'RejectVpcPeeringConnection',
  'AttachClassicLinkVpc',
  'DetachClassicLinkVpc',
  'DisableVpcClassicLink',
  'EnableVpcClassicLink',
] as const;

const vpcOf = (record: Parameters<Rule['summarize']>[0]): string => firstRequestParam(record, ['vpcId', 'vpcPeeringConnectionId', 'peerVpcId']) ?? '(new VPC)';

/**
 * CIS 4.14 change record. Low and grouped per principal per hour. Peering requests to other accounts
 * are the change worth reading first (the runbook says so); they still come from deploys most days.
 */
export const vpcChanged: Rule = {
  id: 'vpc-changed',
  title: 'VPC changed',
  severity: 'low',
  status: 'live',
  description:
    'A VPC was created, deleted or modified, or a peering connection was requested, accepted, rejected ' +
    'or deleted (CIS AWS Foundations 4.14).',
  runbook:
    'Check the change belongs to a known deploy. For peering, check the peer account and VPC ' +
    '(`aws ec2 describe-vpc-peering-connections`): a peering to an account outside your organization ' +
    'is a path for data out; delete it if nobody asked for it.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://attack.mitre.org/techniques/T1562/007/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_vpc_modified.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_ec2_vpc_peering_connection_to_external_account.yml',
  ],
  mitre: ['TA0005:T1562.007'],
  cis: ['4.14'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `${record.eventName ?? 'Change'} on ${vpcOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'VPC', value: vpcOf(record) }],
  dedupeMinutes: 60,
};
