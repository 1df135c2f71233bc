import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const CALLS = [
  'AuthorizeSecurityGroupIngress',
  'AuthorizeSecurityGroupEgress',
  'RevokeSecurityGroupIngress',
  'RevokeSecurityGroupEgress',
  'ModifySecurityGroupRules',
  'CreateSecurityGroup',
  'DeleteSecurityGroup',
] as const;

const groupOf = (record: Parameters<Rule['summarize']>[0]): string => firstRequestParam(record, ['groupId', 'groupName']) ?? '(see event)';

/**
 * CIS 4.10 change record. Low: security groups change on every deploy; what is dangerous about a
 * change (a port opened to the internet) has its own medium and high rules. Grouped per principal
 * per hour (the default key, principal and account), so a CloudFormation stack that touches 40 groups
 * is one alert and one follow-up with the count.
 */
export const securityGroupChanged: Rule = {
  id: 'security-group-changed',
  title: 'Security group changed',
  severity: 'low',
  status: 'live',
  description:
    'A security group was created, deleted, or had rules added, removed or modified (CIS AWS Foundations ' +
    '4.10). A record of network exposure changes for review, not an attack by itself.',
  runbook:
    'Check the change belongs to a known deploy or ticket (the follow-up counts the changes of the hour). ' +
    'If not, list the group rules (`aws ec2 describe-security-group-rules --filters Name=group-id,Values=<id>`) ' +
    'and revert what nobody asked for.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html',
    'https://attack.mitre.org/techniques/T1562/007/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_security_group_modified.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_cloudtrail_security_group_change_ingress_egress.yml',
  ],
  mitre: ['TA0005:T1562.007'],
  cis: ['4.10'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `${record.eventName ?? 'Change'} on security group ${groupOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Security group', value: groupOf(record) }],
  dedupeMinutes: 60,
};
