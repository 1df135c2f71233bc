import { actorOf, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { describeGrantees, ec2PermissionGrantees, isShared } from '../lib/cloudtrail/sharing.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * An AMI opened to everyone or to another account: its snapshots (disks, baked-in secrets) can then
 * be launched and read elsewhere. High: one call discloses whole disks. Organization and OU shares
 * and the own account are not counted.
 */
export const ec2AmiShared: Rule = {
  id: 'ec2-ami-shared',
  title: 'AMI shared publicly or with another account',
  severity: 'high',
  status: 'live',
  description:
    'ModifyImageAttribute added a launchPermission for all AWS accounts (group "all") or for an account ' +
    'other than the one the image lives in.',
  runbook:
    'Check whether the receiving account is one of yours (a workload or marketplace account). If not: ' +
    'remove the launch permission, make the image private, treat what the image contains as disclosed, ' +
    'and review the actor\'s other calls (CreateImage, CopyImage, ModifySnapshotAttribute).',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/sharingamis-explicit.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.exfiltration.ec2-share-ami/',
    'https://attack.mitre.org/techniques/T1537/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ami_modified_for_public_access.py',
  ],
  mitre: ['TA0010:T1537'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['ModifyImageAttribute'] },
  },
  readOnlyEvents: false,
  match: (record, event) => succeeded(record) && isShared(ec2PermissionGrantees(record, event, 'launchPermission')),
  summarize: (record, event) =>
    `Image ${requestParam(record, 'imageId') ?? '?'} shared ${describeGrantees(ec2PermissionGrantees(record, event, 'launchPermission'))} by ${actorOf(record).name}`,
  details: (record, event) => {
    const g = ec2PermissionGrantees(record, event, 'launchPermission');
    return [
      { label: 'Image', value: requestParam(record, 'imageId') ?? '?' },
      { label: 'Public', value: g.public ? 'yes' : 'no' },
      { label: 'Accounts added', value: g.accounts.join(', ') || '(none)' },
    ];
  },
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), image: requestParam(record, 'imageId') ?? '?', account: event.account }),
  dedupeMinutes: 60,
};
