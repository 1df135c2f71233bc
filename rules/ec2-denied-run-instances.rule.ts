import { actorOf, errorCodeOf, isDenied } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Repeated refused RunInstances by one principal: stolen credentials probing for compute (crypto
 * mining is the usual goal), trying instance types and regions until one works. EC2 says
 * Client.UnauthorizedOperation; a DryRun that would have succeeded says Client.DryRunOperation and is
 * not a denial. Default 5 in 15 minutes: a person who lacks permission gives up after one or two tries.
 */
export const ec2DeniedRunInstances: Rule = {
  id: 'ec2-denied-run-instances',
  title: 'Burst of denied EC2 RunInstances',
  severity: 'medium',
  status: 'live',
  description: 'One principal was refused RunInstances several times in a short event-time window.',
  runbook:
    'Find where the principal\'s credentials are used from (source IPs, user agents). If unexpected, ' +
    'deactivate the access key or revoke the role sessions, and look for successful RunInstances in ' +
    'other regions.',
  references: ['https://stratus-red-team.cloud/attack-techniques/AWS/aws.execution.ec2-launch-unusual-instances/'],
  mitre: ['TA0002:T1204', 'TA0040:T1496'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      eventSource: ['ec2.amazonaws.com'],
      eventName: ['RunInstances'],
      errorCode: ['Client.UnauthorizedOperation', { prefix: 'AccessDenied' }],
    },
  },
  readOnlyEvents: false,
  match: (record) => isDenied(record),
  summarize: (record) => `RunInstances refused (${errorCodeOf(record) ?? '?'}) for ${actorOf(record).name} in ${record.awsRegion ?? '?'}`,
  threshold: { count: 5, windowMinutes: 15 },
  dedupeMinutes: 60,
};
