import { actorOf, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * EC2 Instance Connect pushes an SSH key that the instance accepts for 60 seconds: whoever has
 * `ec2-instance-connect:SendSSHPublicKey` gets a shell without the instance's key pair. It is also how
 * the console's "Connect" button works, so one alert per principal and hour, at low severity: the
 * first push of a session tells who is logging in where; a key pushed to many instances (the Stratus
 * shape, one key to three instances) shows in the follow-up count.
 */
export const ec2InstanceConnectKeyPushed: Rule = {
  id: 'ec2-instance-connect-key-pushed',
  title: 'SSH key pushed with EC2 Instance Connect',
  severity: 'low',
  status: 'live',
  description:
    'SendSSHPublicKey installed a temporary SSH key on an instance (EC2 Instance Connect): the caller can ' +
    'log in as the named OS user for the next 60 seconds.',
  runbook:
    'Check whether the principal is expected to log in to that instance (its user agent says console or ' +
    'CLI). If not: look at the instance\'s SSH logs from the source IP, isolate the instance, and revoke ' +
    'the principal\'s sessions; deny ec2-instance-connect:SendSSHPublicKey where it is not needed.',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-connect-methods.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.lateral-movement.ec2-instance-connect/',
    'https://attack.mitre.org/techniques/T1021/004/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_multi_instance_connect.py',
  ],
  mitre: ['TA0008:T1021.004', 'TA0003:T1098.004'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2-instance-connect'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2-instance-connect.amazonaws.com'], eventName: ['SendSSHPublicKey'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record),
  summarize: (record) =>
    `SSH key pushed to instance ${requestParam(record, 'instanceId') ?? '?'} for OS user ${requestParam(record, 'instanceOSUser') ?? '?'} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Instance', value: requestParam(record, 'instanceId') ?? '?' },
    { label: 'OS user', value: requestParam(record, 'instanceOSUser') ?? '?' },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};
