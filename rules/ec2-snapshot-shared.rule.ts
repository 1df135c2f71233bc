import { actorOf, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { describeGrantees, ec2PermissionGrantees, isShared } from '../lib/cloudtrail/sharing.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * An EBS snapshot opened to everyone or to another account: whoever is named can create a volume from
 * it and read the disk, outside the account's logs and controls. Copying a disk out this way is the
 * quietest bulk exfiltration EC2 offers. High: the data leaves with one call; sharing with an
 * organization or OU (inside the owner's control) and with the own account is not counted.
 */
export const ec2SnapshotShared: Rule = {
  id: 'ec2-snapshot-shared',
  title: 'EBS snapshot shared publicly or with another account',
  severity: 'high',
  status: 'live',
  description:
    'ModifySnapshotAttribute added createVolumePermission for all AWS accounts (group "all") or for an ' +
    'account other than the one the snapshot lives in.',
  runbook:
    'Check whether the receiving account is a known one of yours (backup or DR account). If not: remove ' +
    'the permission (ModifySnapshotAttribute remove), treat the disk contents as disclosed (rotate secrets ' +
    'on it), revoke the actor\'s sessions and look for CreateSnapshot/CopySnapshot just before.',
  references: [
    'https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.exfiltration.ec2-share-ebs-snapshot/',
    'https://attack.mitre.org/techniques/T1537/',
    'https://github.com/panther-labs/panther-analysis/tree/main/rules/aws_cloudtrail_rules',
  ],
  mitre: ['TA0010:T1537'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['ModifySnapshotAttribute'] },
  },
  readOnlyEvents: false,
  match: (record, event) => succeeded(record) && isShared(ec2PermissionGrantees(record, event, 'createVolumePermission')),
  summarize: (record, event) =>
    `Snapshot ${requestParam(record, 'snapshotId') ?? '?'} shared ${describeGrantees(ec2PermissionGrantees(record, event, 'createVolumePermission'))} by ${actorOf(record).name}`,
  details: (record, event) => {
    const g = ec2PermissionGrantees(record, event, 'createVolumePermission');
    return [
      { label: 'Snapshot', value: requestParam(record, 'snapshotId') ?? '?' },
      { label: 'Public', value: g.public ? 'yes' : 'no' },
      { label: 'Accounts added', value: g.accounts.join(', ') || '(none)' },
    ];
  },
  // One incident per snapshot: sharing it with three accounts in a row is one decision to review.
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), snapshot: requestParam(record, 'snapshotId') ?? '?', account: event.account }),
  dedupeMinutes: 60,
};
