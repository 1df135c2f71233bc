import { actorOf, firstRequestParam, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Ways to keep GuardDuty running while it stops reporting the attacker:
 * - Create/UpdateIPSet: a trusted IP list, whose addresses generate no findings (Pacu's
 *   `guardduty__whitelist_ip`). DeleteIPSet only makes GuardDuty louder and is left out.
 * - Update/DeleteThreatIntelSet: fewer known-bad addresses to match. Creating one adds detection.
 * - Update/DeletePublishingDestination: findings exported elsewhere, or no longer exported.
 * - Create/UpdateFilter with action ARCHIVE: a suppression rule, findings archived as they arrive.
 */
const CALLS = [
  'CreateIPSet',
  'UpdateIPSet',
  'UpdateThreatIntelSet',
  'DeleteThreatIntelSet',
  'UpdatePublishingDestination',
  'DeletePublishingDestination',
  'CreateFilter',
  'UpdateFilter',
] as const;

function suppresses(record: CloudTrailRecord): boolean {
  if (record.eventName !== 'CreateFilter' && record.eventName !== 'UpdateFilter') return true;
  const action = requestValue(record, 'action');
  return typeof action === 'string' && action.toUpperCase() === 'ARCHIVE';
}

const targetOf = (record: CloudTrailRecord): string =>
  firstRequestParam(record, ['name', 'ipSetId', 'threatIntelSetId', 'destinationId', 'filterName', 'detectorId']) ?? '(see event)';

/**
 * Medium: security teams do maintain trusted lists and suppression rules (scanners, pentest ranges),
 * rarely; an attacker adding their address is the same call. Grouped per principal per hour.
 */
export const guarddutyFindingsSuppressed: Rule = {
  id: 'guardduty-findings-suppressed',
  title: 'GuardDuty findings suppressed or redirected',
  severity: 'medium',
  status: 'live',
  description:
    'A GuardDuty trusted IP list was created or changed, a threat intelligence list changed or was ' +
    'deleted, a findings publishing destination changed or was deleted, or a filter now archives ' +
    'findings automatically.',
  runbook:
    'Look at the list or filter content (`aws guardduty get-ip-set`, `get-filter`): addresses or criteria ' +
    'nobody on the security team recognises are the attacker\'s. Remove them, restore the destination, and ' +
    'review archived findings since the event time.',
  references: [
    'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html',
    'https://docs.aws.amazon.com/guardduty/latest/ug/findings_suppression-rule.html',
    'https://attack.mitre.org/techniques/T1562/001/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ipset_modified.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_guardduty_disruption.yml',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_guardduty_finding_suppression.toml',
  ],
  mitre: ['TA0005:T1562.001'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.guardduty'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['guardduty.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && suppresses(record),
  summarize: (record) => `${record.eventName ?? 'Change'} (${targetOf(record)}) by ${actorOf(record).name}`,
  details: (record) => {
    const location = firstRequestParam(record, ['location']);
    return [{ label: 'List, destination or filter', value: targetOf(record) }, ...(location ? [{ label: 'List location', value: location }] : [])];
  },
  dedupeMinutes: 60,
};
