import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * CIS 4.7 names DisableKey and ScheduleKeyDeletion. DeleteImportedKeyMaterial belongs with them: a key
 * without its material is as unusable as a disabled one (and cannot be restored without the copy).
 */
const CALLS = ['DisableKey', 'ScheduleKeyDeletion', 'DeleteImportedKeyMaterial'] as const;

const keyOf = (record: Parameters<Rule['summarize']>[0]): string => firstRequestParam(record, ['keyId']) ?? '(see event)';

/**
 * Medium, not the low of the other CIS change records: data encrypted under a disabled or deleted key
 * cannot be read, so this is how cloud ransomware and sabotage destroy data without deleting it; but
 * tearing down a stack that owns a key schedules its deletion every day in development accounts.
 * Grouped per principal per hour (the default key), so a teardown deleting ten keys is one alert.
 * The 7-30 day deletion window is the point of alerting: the key can still be saved.
 */
export const kmsKeyDisabledOrDeleted: Rule = {
  id: 'kms-key-disabled-or-deleted',
  title: 'KMS key disabled or scheduled for deletion',
  severity: 'medium',
  status: 'live',
  description:
    'A customer managed KMS key was disabled, scheduled for deletion, or had its imported key material ' +
    'deleted (CIS AWS Foundations 4.7). Everything encrypted under it becomes unreadable.',
  runbook:
    'Find what the key encrypts (its aliases, `aws kms list-grants`, resources naming it). If the change ' +
    'was not planned, cancel it now: `aws kms cancel-key-deletion --key-id <id>` then ' +
    "`aws kms enable-key`, and revoke the actor's credentials.",
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html',
    'https://attack.mitre.org/techniques/T1485/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_kms_cmk_loss.py',
  ],
  mitre: ['TA0040:T1485', 'TA0040:T1486'],
  cis: ['4.7'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.kms'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['kms.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => {
    const pending = requestValue(record, 'pendingWindowInDays');
    const days = typeof pending === 'number' || typeof pending === 'string' ? String(pending) : undefined;
    const what = record.eventName === 'ScheduleKeyDeletion' ? `scheduled for deletion${days ? ` in ${days} days` : ''}` : record.eventName === 'DisableKey' ? 'disabled' : 'lost its imported key material';
    return `KMS key ${keyOf(record)} ${what} by ${actorOf(record).name}`;
  },
  details: (record) => [{ label: 'Key', value: keyOf(record) }],
  dedupeMinutes: 60,
};
