import { actorOf, errorCodeOf, requestParam } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * GetPasswordData on many instances in a row: the encrypted Windows Administrator password of each,
 * which whoever holds the launch key pair decrypts. An administrator fetches one password for the
 * instance they are about to log in to; a sweep over many instances is credential harvesting. Denied
 * calls count: the Stratus detonation is 30 denied calls in one second, and a principal trying that is
 * compromised whether or not it was allowed. Default 5 in 10 minutes.
 */
export const ec2PasswordDataRead: Rule = {
  id: 'ec2-password-data-read',
  title: 'Burst of EC2 Windows password retrievals',
  severity: 'medium',
  status: 'live',
  description:
    'One principal called GetPasswordData (the Windows Administrator password of an instance) for many ' +
    'instances in a short event-time window, allowed or denied.',
  runbook:
    'Ask the principal\'s owner whether they needed those passwords. If not: revoke its sessions, rotate the ' +
    'Administrator passwords of the instances named in the follow-up (and the key pairs if they may be ' +
    'exposed), and look for RDP logins to them.',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_GetPasswordData.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.ec2-get-password-data/',
    'https://attack.mitre.org/techniques/T1552/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_many_passwors_read_attempts.py',
  ],
  mitre: ['TA0006:T1552'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['GetPasswordData'] },
  },
  readOnlyEvents: true,
  summarize: (record) =>
    `Windows password of instance ${requestParam(record, 'instanceId') ?? '?'} requested${errorCodeOf(record) ? ` (refused: ${errorCodeOf(record)})` : ''} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Instance', value: requestParam(record, 'instanceId') ?? '?' },
    { label: 'Outcome', value: errorCodeOf(record) ?? 'allowed' },
  ],
  threshold: { count: 5, windowMinutes: 10 },
  dedupeMinutes: 60,
};
