import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const CALLS = [
  'CreateNetworkAcl',
  'CreateNetworkAclEntry',
  'DeleteNetworkAcl',
  'DeleteNetworkAclEntry',
  'ReplaceNetworkAclEntry',
  'ReplaceNetworkAclAssociation',
] as const;

const aclOf = (record: Parameters<Rule['summarize']>[0]): string => firstRequestParam(record, ['networkAclId', 'associationId', 'vpcId']) ?? '(see event)';

/**
 * CIS 4.11 change record. Low and grouped per principal per hour for the same reason as
 * security-group-changed; an entry that opens ingress from anywhere has its own medium and high rules.
 */
export const networkAclChanged: Rule = {
  id: 'network-acl-changed',
  title: 'Network ACL changed',
  severity: 'low',
  status: 'live',
  description:
    'A network ACL or one of its entries was created, deleted or replaced, or a subnet was moved to ' +
    'another ACL (CIS AWS Foundations 4.11). A record of network exposure changes for review.',
  runbook:
    'Check the change belongs to a known deploy or ticket. If not, compare the ACL entries ' +
    '(`aws ec2 describe-network-acls --network-acl-ids <id>`) with the intended state and revert.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html',
    'https://attack.mitre.org/techniques/T1562/007/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_network_acl_modified.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_cloudtrail_new_acl_entries.yml',
  ],
  mitre: ['TA0005:T1562.007'],
  cis: ['4.11'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `${record.eventName ?? 'Change'} on network ACL ${aclOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Network ACL', value: aclOf(record) }],
  dedupeMinutes: 60,
};
