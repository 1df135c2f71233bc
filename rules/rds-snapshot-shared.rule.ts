import { actorOf, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { describeGrantees, isShared, rdsRestoreGrantees } from '../lib/cloudtrail/sharing.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const snapshotOf = (record: Parameters<typeof requestParam>[0]): string =>
  requestParam(record, 'dBSnapshotIdentifier') ?? requestParam(record, 'dBClusterSnapshotIdentifier') ?? '?';

/**
 * A manual RDS (or Aurora cluster) snapshot opened to everyone or to another account: the receiver
 * restores the whole database in its own account. High: a database leaves with one call.
 */
export const rdsSnapshotShared: Rule = {
  id: 'rds-snapshot-shared',
  title: 'RDS snapshot shared publicly or with another account',
  severity: 'high',
  status: 'live',
  description:
    'ModifyDBSnapshotAttribute or ModifyDBClusterSnapshotAttribute added the restore permission for ' +
    '"all" or for an account other than the one the snapshot lives in.',
  runbook:
    'Check whether the receiving account is one of yours (backup, analytics). If not: remove it from the ' +
    'restore attribute (valuesToRemove), treat the data as disclosed, revoke the actor\'s sessions and look ' +
    'for CreateDBSnapshot or CopyDBSnapshot just before.',
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.exfiltration.rds-share-snapshot/',
    'https://attack.mitre.org/techniques/T1537/',
  ],
  mitre: ['TA0010:T1537'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.rds'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['rds.amazonaws.com'], eventName: ['ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute'] },
  },
  readOnlyEvents: false,
  match: (record, event) => succeeded(record) && isShared(rdsRestoreGrantees(record, event)),
  summarize: (record, event) => `DB snapshot ${snapshotOf(record)} shared ${describeGrantees(rdsRestoreGrantees(record, event))} by ${actorOf(record).name}`,
  details: (record, event) => {
    const g = rdsRestoreGrantees(record, event);
    return [
      { label: 'Snapshot', value: snapshotOf(record) },
      { label: 'Public', value: g.public ? 'yes' : 'no' },
      { label: 'Accounts added', value: g.accounts.join(', ') || '(none)' },
    ];
  },
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), snapshot: snapshotOf(record), account: event.account }),
  dedupeMinutes: 60,
};
