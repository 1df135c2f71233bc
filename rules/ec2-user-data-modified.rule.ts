import { actorOf, principalName, requestParam, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * User data runs as root at boot (cloud-init): rewriting it on a stopped instance and starting it
 * again runs the attacker's script with the instance role's credentials. Infrastructure tools set
 * user data at launch (RunInstances), almost never with ModifyInstanceAttribute, so the call is rare
 * and meaningful. Medium: code execution on one instance, not yet data loss.
 */
export const ec2UserDataModified: Rule = {
  id: 'ec2-user-data-modified',
  title: 'EC2 instance user data modified',
  severity: 'medium',
  status: 'live',
  description:
    'ModifyInstanceAttribute changed the userData of an instance: the new script runs as root the next ' +
    'time the instance starts (often right after, with StopInstances/StartInstances around it).',
  runbook:
    'Read the current user data (DescribeInstanceAttribute userData) and compare it with the one in your ' +
    'infrastructure code. If unexpected: stop the instance, restore the user data, review what ran (cloud-init ' +
    'logs) and what the instance role did since, and revoke the actor\'s sessions.',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.execution.ec2-user-data/',
    'https://attack.mitre.org/techniques/T1059/009/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_startup_script_change.py',
  ],
  mitre: ['TA0002:T1059.009', 'TA0004:T1098'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['ModifyInstanceAttribute'] },
  },
  readOnlyEvents: false,
  // CloudTrail replaces the script with "<sensitiveDataRemoved>": its presence is what we can see.
  match: (record) => succeeded(record) && (requestValue(record, 'userData') != null || requestParam(record, 'attribute') === 'userData'),
  summarize: (record) => `User data of instance ${requestParam(record, 'instanceId') ?? '?'} modified by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Instance', value: requestParam(record, 'instanceId') ?? '?' }],
  // Per principal: one person rewriting the user data of several instances is one incident.
  dedupeMinutes: 60,
};
