import { actorOf, fieldOf, principalName, requestParam, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import type { CloudTrailRecord } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const instanceOf = (record: CloudTrailRecord): string => requestParam(record, 'dBInstanceIdentifier') ?? '?';

const isTrue = (v: unknown): boolean => v === true || v === 'true';

/** The request asked for it, or (restores, where the request may omit it) the response says so. */
const madePublic = (record: CloudTrailRecord): boolean =>
  isTrue(requestValue(record, 'publiclyAccessible')) ||
  (record.eventName?.startsWith('Restore') === true && isTrue(fieldOf(record.responseElements, 'publiclyAccessible')));

/**
 * A database instance given a public DNS address (publiclyAccessible), on creation, modification or
 * restore: its port is then reachable from the internet wherever its security group allows, and
 * password spraying against it starts within hours. High: one security-group rule away from exposure,
 * and restoring a snapshot as public is a known exfiltration path.
 */
export const rdsInstanceMadePublic: Rule = {
  id: 'rds-instance-made-public',
  title: 'RDS instance made publicly accessible',
  severity: 'high',
  status: 'live',
  description:
    'CreateDBInstance, ModifyDBInstance or a RestoreDBInstance* call set publiclyAccessible: true on an ' +
    'RDS database instance.',
  runbook:
    'Check the instance\'s security groups for inbound rules from 0.0.0.0/0 or ::/0. Unless a reviewed ' +
    'design needs it, set PubliclyAccessible false (ModifyDBInstance), rotate the master password if it ' +
    'was exposed, and ask the actor why.',
  references: [
    'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html',
    'https://attack.mitre.org/techniques/T1537/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_rds_instance_made_public.py',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_rds_publicrestore.py',
  ],
  mitre: ['TA0010:T1537', 'TA0005:T1562.007'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.rds'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      eventSource: ['rds.amazonaws.com'],
      eventName: ['CreateDBInstance', 'ModifyDBInstance', 'RestoreDBInstanceFromDBSnapshot', 'RestoreDBInstanceToPointInTime', 'RestoreDBInstanceFromS3'],
    },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && madePublic(record),
  summarize: (record) => `DB instance ${instanceOf(record)} made publicly accessible (${record.eventName ?? '?'}) by ${actorOf(record).name}`,
  details: (record) => [{ label: 'DB instance', value: instanceOf(record) }],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), instance: instanceOf(record), account: event.account }),
  dedupeMinutes: 60,
};
