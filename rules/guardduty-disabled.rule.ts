import { actorOf, errorCodeOf, firstRequestParam, requestValue } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/** Calls that end GuardDuty coverage outright, or cut an account off from the administrator's view. */
const ALWAYS = [
  'DeleteDetector',
  'DisassociateFromMasterAccount',
  'DisassociateFromAdministratorAccount',
  'DeleteMembers',
  'DisassociateMembers',
  'StopMonitoringMembers',
] as const;

/** Any `enable: false` or `status: DISABLED` in UpdateDetector's `dataSources` or `features` (bounded walk). */
function disablesSomething(value: unknown, depth = 0): boolean {
  if (depth > 4 || !value || typeof value !== 'object') return false;
  const entries = Array.isArray(value) ? value.slice(0, 20).map((v) => ['', v] as const) : Object.entries(value).slice(0, 20);
  for (const [key, v] of entries) {
    if ((key === 'enable' || key === 'enabled') && (v === false || v === 'false')) return true;
    if (key === 'status' && typeof v === 'string' && v.toUpperCase() === 'DISABLED') return true;
    if (disablesSomething(v, depth + 1)) return true;
  }
  return false;
}

/** UpdateDetector is also how findings frequency is tuned: only a request that turns something off. */
function weakens(record: CloudTrailRecord): boolean {
  if (record.eventName !== 'UpdateDetector') return true;
  const enable = requestValue(record, 'enable');
  if (enable === false || enable === 'false') return true;
  return disablesSomething(requestValue(record, 'dataSources')) || disablesSomething(requestValue(record, 'features'));
}

const targetOf = (record: CloudTrailRecord): string => firstRequestParam(record, ['detectorId']) ?? '(see event)';

/**
 * High: GuardDuty is the account's other alarm; an attacker who turns it off, or detaches the account
 * from the security team's administrator account, wants the next steps unseen. Turning off one
 * protection plan (S3, EKS, runtime, malware) counts too: a cost decision is possible, but it should
 * be one a person confirms. Refused attempts alert too: somebody tried.
 */
export const guarddutyDisabled: Rule = {
  id: 'guardduty-disabled',
  title: 'GuardDuty disabled or detached',
  severity: 'high',
  status: 'live',
  description:
    'A GuardDuty detector was deleted, disabled or had a protection plan turned off, or an account was ' +
    'disassociated from (or removed by) its GuardDuty administrator account (or somebody tried).',
  runbook:
    'Re-enable the detector (`aws guardduty update-detector --detector-id <id> --enable`) or re-associate ' +
    "the member account. Unless this was a planned change, revoke the actor's credentials and review " +
    'the account from the event time on: GuardDuty saw nothing after it.',
  references: [
    'https://docs.aws.amazon.com/guardduty/latest/APIReference/API_UpdateDetector.html',
    'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_accounts.html',
    'https://attack.mitre.org/techniques/T1562/001/',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_guardduty_detector_deletion.toml',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_guardduty_member_manipulation.toml',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_guardduty_detector_deleted_or_updated.yml',
  ],
  mitre: ['TA0005:T1562.001'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.guardduty'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['guardduty.amazonaws.com'], eventName: [...ALWAYS, 'UpdateDetector'] },
  },
  readOnlyEvents: false,
  match: weakens,
  summarize: (record) => {
    const error = errorCodeOf(record);
    return `${record.eventName ?? 'Change'} on GuardDuty detector ${targetOf(record)} by ${actorOf(record).name}${error ? ` (refused: ${error})` : ''}`;
  },
  details: (record) => [{ label: 'Detector', value: targetOf(record) }],
  dedupeMinutes: 30,
};
