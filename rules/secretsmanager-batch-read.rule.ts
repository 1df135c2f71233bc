import { actorOf, isServiceCall, principalName, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import type { CloudTrailRecord } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

function selection(record: CloudTrailRecord): string {
  const ids = requestValue(record, 'secretIdList');
  if (Array.isArray(ids)) return `${ids.length} named secret${ids.length === 1 ? '' : 's'}`;
  return requestValue(record, 'filters') !== undefined ? 'every secret matching a filter' : 'every secret it can read';
}

/**
 * BatchGetSecretValue returns up to 20 secret values per call, selected by a list or by a filter:
 * one call is already a bulk read, and a filter (or no list) means "whatever matches". Applications
 * rarely use it (they know their secret), so every successful call alerts, once per principal and
 * hour. Medium: the values are out; the response is not logged, so which secrets is not known here.
 */
export const secretsmanagerBatchRead: Rule = {
  id: 'secretsmanager-batch-read',
  title: 'Secrets Manager batch secret retrieval',
  severity: 'medium',
  status: 'live',
  description:
    'BatchGetSecretValue read up to 20 secret values in one call, by list or by filter. CloudTrail does not ' +
    'log which secrets were returned.',
  runbook:
    'Ask the principal\'s owner what needs a batch read. If nothing does: revoke its sessions, and rotate ' +
    'every secret its policy can read (the filter in the request narrows the list).',
  references: [
    'https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.secretsmanager-batch-retrieve-secrets/',
    'https://attack.mitre.org/techniques/T1555/006/',
  ],
  mitre: ['TA0006:T1555.006'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.secretsmanager'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['BatchGetSecretValue'] },
  },
  readOnlyEvents: true,
  match: (record) => succeeded(record) && !isServiceCall(record),
  summarize: (record) => `Batch read of ${selection(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Selection', value: selection(record) }],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};
