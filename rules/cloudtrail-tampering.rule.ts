import { actorOf, errorCodeOf, principalName, requestParam } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * What blinds the trail (and so trailwatch): stop, delete, reconfigure, narrow the selectors; and for
 * CloudTrail Lake, stop ingestion into or delete an event data store. Other CloudTrail configuration
 * changes (CreateTrail, StartLogging, ...) are the low-severity CIS 4.5 record, cloudtrail-config-changed.
 */
const TAMPERING_CALLS = ['StopLogging', 'DeleteTrail', 'UpdateTrail', 'PutEventSelectors', 'StopEventDataStoreIngestion', 'DeleteEventDataStore'] as const;

const trailOf = (record: Parameters<Rule['summarize']>[0]): string =>
  requestParam(record, 'name') ?? requestParam(record, 'trailName') ?? requestParam(record, 'eventDataStore') ?? '(unknown trail)';

export const cloudtrailTampering: Rule = {
  id: 'cloudtrail-tampering',
  title: 'CloudTrail logging tampered with',
  severity: 'high',
  status: 'live',
  description:
    'A trail was stopped, deleted, reconfigured or had its event selectors changed, or a CloudTrail Lake ' +
    'event data store was stopped or deleted. Every detection in ' +
    'trailwatch depends on the trail: this is how an attacker blinds it. Refused attempts alert too: ' +
    'somebody tried.',
  runbook:
    'Check the trail is logging (`aws cloudtrail get-trail-status`). If the change was not planned: ' +
    "restart logging, revert the selectors, revoke the actor's credentials, and treat the account as " +
    'compromised from the event time on (look at what happened while the trail was blind).',
  references: [
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html',
    'https://attack.mitre.org/techniques/T1562/008/',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_cloudtrail_logging_suspended.toml',
  ],
  mitre: ['TA0005:T1562.008'],
  cis: ['4.5'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.cloudtrail'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['cloudtrail.amazonaws.com'], eventName: [...TAMPERING_CALLS] },
  },
  readOnlyEvents: false,
  summarize: (record) => {
    const error = errorCodeOf(record);
    const outcome = error ? ` (refused: ${error})` : '';
    return `${record.eventName ?? 'Change'} on trail ${trailOf(record)} by ${actorOf(record).name}${outcome}`;
  },
  details: (record) => [{ label: 'Trail', value: trailOf(record) }],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account, trail: trailOf(record) }),
  dedupeMinutes: 30,
};
