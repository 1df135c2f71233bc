import { actorOf, errorCodeOf, requestParam } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Reading the user data of many instances in a row: user data often holds bootstrap secrets
 * (passwords, tokens, keys), and tools like Pacu sweep every instance for them. Denied reads count
 * too: the sweep is the signal, and a denied sweep is still a principal hunting for credentials (the
 * Stratus detonation is entirely denied). Default 10 in 10 minutes: the console shows one instance's
 * user data at a time; Terraform refreshes read it per managed instance, so a CI role that plans over
 * many instances needs a higher threshold or an allowlist entry. Counted are distinct instances (one
 * read again the same UTC day is a repeat): the sweep is many instances, not many reads of one.
 */
export const ec2UserDataBulkRead: Rule = {
  id: 'ec2-user-data-bulk-read',
  title: 'Burst of EC2 user data reads',
  severity: 'medium',
  status: 'live',
  description:
    'One principal called DescribeInstanceAttribute for userData on many instances in a short event-time ' +
    'window (allowed or denied): a sweep for secrets stored in bootstrap scripts.',
  runbook:
    'Check who the principal is and whether a tool (Terraform plan, inventory job) explains it. If not: ' +
    'revoke its sessions, find where its credentials came from, and rotate any secret the readable user ' +
    'data contains (move them to Secrets Manager).',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceAttribute.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.discovery.ec2-download-user-data/',
    'https://attack.mitre.org/techniques/T1552/005/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_download_instance_user_data.py',
  ],
  mitre: ['TA0006:T1552.005', 'TA0007:T1580'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['DescribeInstanceAttribute'], requestParameters: { attribute: ['userData'] } },
  },
  readOnlyEvents: true,
  summarize: (record) =>
    `User data of instance ${requestParam(record, 'instanceId') ?? '?'} read${errorCodeOf(record) ? ` (refused: ${errorCodeOf(record)})` : ''} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Instance', value: requestParam(record, 'instanceId') ?? '?' },
    { label: 'Outcome', value: errorCodeOf(record) ?? 'allowed' },
  ],
  threshold: { count: 10, windowMinutes: 10 },
  distinct: { values: (record) => [requestParam(record, 'instanceId') ?? ''], periodMinutes: 24 * 60 },
  dedupeMinutes: 60,
};
