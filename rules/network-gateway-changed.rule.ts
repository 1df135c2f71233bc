import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/** The CIS 4.12 list (customer and internet gateways) plus the other ways traffic leaves a VPC. */
const CALLS = [
  'CreateCustomerGateway',
  'DeleteCustomerGateway',
  'AttachInternetGateway',
  'CreateInternetGateway',
  'DeleteInternetGateway',
  'DetachInternetGateway',
  'CreateEgressOnlyInternetGateway',
  'DeleteEgressOnlyInternetGateway',
  'CreateNatGateway',
  'DeleteNatGateway',
  'CreateVpnGateway',
  'AttachVpnGateway',
  'DetachVpnGateway',
  'DeleteVpnGateway',
] as const;

const gatewayOf = (record: Parameters<Rule['summarize']>[0]): string =>
  firstRequestParam(record, ['internetGatewayId', 'customerGatewayId', 'egressOnlyInternetGatewayId', 'natGatewayId', 'vpnGatewayId', 'vpcId', 'subnetId']) ??
  '(new gateway)';

/**
 * CIS 4.12 change record. Low and grouped per principal per hour: gateways change when networks are
 * built or torn down, usually by infrastructure as code, many at a time.
 */
export const networkGatewayChanged: Rule = {
  id: 'network-gateway-changed',
  title: 'Network gateway changed',
  severity: 'low',
  status: 'live',
  description:
    'An internet, egress-only, NAT, VPN or customer gateway was created, deleted, attached or detached ' +
    '(CIS AWS Foundations 4.12). Gateways decide what can reach the internet and other networks.',
  runbook:
    'Check the change belongs to a known deploy. An internet gateway attached to a VPC meant to be ' +
    'private, or a customer gateway nobody ordered, is a new way in or out: detach it and find out who asked.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://attack.mitre.org/techniques/T1562/007/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_gateway_modified.py',
  ],
  mitre: ['TA0005:T1562.007'],
  cis: ['4.12'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `${record.eventName ?? 'Change'} on ${gatewayOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Gateway', value: gatewayOf(record) }],
  dedupeMinutes: 60,
};
