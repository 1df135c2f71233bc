import { actorOf, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * The EC2 serial console gives a root-capable login on an instance's serial port, bypassing security
 * groups, network ACLs and SSH daemons. It is off by default per account and region, and used for
 * break-glass repair only, so enabling it or pushing a serial-console key is rare. High: a network-
 * independent path onto instances. Enable and key pushes by the same principal are one incident.
 */
export const ec2SerialConsoleAccess: Rule = {
  id: 'ec2-serial-console-access',
  title: 'EC2 serial console enabled or key pushed',
  severity: 'high',
  status: 'live',
  description:
    'EnableSerialConsoleAccess turned on the EC2 serial console for the account and region, or ' +
    'SendSerialConsoleSSHPublicKey pushed a key to log in to an instance\'s serial port.',
  runbook:
    'Confirm a break-glass repair was under way. If not: DisableSerialConsoleAccess, check the instances ' +
    'named in the follow-up for new users, keys and processes, revoke the principal\'s sessions, and deny ' +
    'ec2-instance-connect:SendSerialConsoleSSHPublicKey with an SCP where it is not needed.',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-serial-console.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.lateral-movement.ec2-serial-console-send-ssh-public-key/',
    'https://attack.mitre.org/techniques/T1021/',
  ],
  mitre: ['TA0008:T1021', 'TA0003:T1098.004'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2', 'aws.ec2-instance-connect'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      eventSource: ['ec2.amazonaws.com', 'ec2-instance-connect.amazonaws.com'],
      eventName: ['EnableSerialConsoleAccess', 'SendSerialConsoleSSHPublicKey'],
    },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record),
  summarize: (record) =>
    record.eventName === 'EnableSerialConsoleAccess'
      ? `EC2 serial console enabled in ${record.awsRegion ?? '?'} by ${actorOf(record).name}`
      : `Serial console key pushed to instance ${requestParam(record, 'instanceId') ?? '?'} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Action', value: record.eventName ?? '?' },
    { label: 'Instance', value: requestParam(record, 'instanceId') ?? '(account setting)' },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};
