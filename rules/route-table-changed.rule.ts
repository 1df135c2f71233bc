import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const CALLS = [
  'CreateRoute',
  'CreateRouteTable',
  'ReplaceRoute',
  'ReplaceRouteTableAssociation',
  'DeleteRouteTable',
  'DeleteRoute',
  'AssociateRouteTable',
  'DisassociateRouteTable',
] as const;

const tableOf = (record: Parameters<Rule['summarize']>[0]): string => firstRequestParam(record, ['routeTableId', 'associationId', 'vpcId']) ?? '(see event)';

/**
 * CIS 4.13 change record. Low and grouped per principal per hour: routes change with every network
 * deploy; a route sending traffic somewhere new is for a person to judge, not a pattern.
 */
export const routeTableChanged: Rule = {
  id: 'route-table-changed',
  title: 'Route table changed',
  severity: 'low',
  status: 'live',
  description:
    'A route table or route was created, replaced or deleted, or a subnet was associated with another ' +
    'table (CIS AWS Foundations 4.13). Routes decide where traffic goes, including out of the account.',
  runbook:
    'Check the change belongs to a known deploy. Look at the destination of new routes ' +
    '(`aws ec2 describe-route-tables --route-table-ids <id>`): a default route to an unknown gateway, ' +
    'instance or peering connection can divert traffic; revert it.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://attack.mitre.org/techniques/T1562/007/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_route_table_modified.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_cloudtrail_new_route_added.yml',
  ],
  mitre: ['TA0005:T1562.007'],
  cis: ['4.13'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `${record.eventName ?? 'Change'} on route table ${tableOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Route table', value: tableOf(record) }],
  dedupeMinutes: 60,
};
