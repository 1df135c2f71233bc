import { actorOf, isServiceCall, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Many secret values read by one principal in a short time: harvesting everything a stolen identity
 * can reach (Stratus: ListSecrets, then 20 GetSecretValue in a few seconds). Applications read their
 * few secrets at start-up and cache them, so the default is 10 successful reads in 10 minutes; a
 * role whose many short-lived workers each fetch a secret (Lambda cold starts without a cache) needs a
 * higher threshold. Refused reads are left to the unauthorized-calls burst: an app retrying a missing
 * permission is the usual cause. The threshold counts distinct secrets (`secretId`): harvesting reads
 * many different ones, while an app re-reading its own few secrets all day is not a burst, and its
 * repeats (a secret the principal already read that UTC day) cost no state (bench/RESULTS.md, cost).
 */
export const secretsmanagerSecretBulkRead: Rule = {
  id: 'secretsmanager-secret-bulk-read',
  title: 'Burst of Secrets Manager secret reads',
  severity: 'medium',
  status: 'live',
  description:
    'One principal read many different Secrets Manager secret values (GetSecretValue) within a short event-time window. ' +
    'Secrets it had already read that UTC day are not counted again.',
  runbook:
    'List which secrets were read (the follow-up and CloudTrail secretId) and whether the principal\'s ' +
    'workload needs them. If not: revoke its sessions, rotate every secret it read, and find how its ' +
    'credentials were obtained.',
  references: [
    'https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-cloudtrail.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.secretsmanager-retrieve-secrets/',
    'https://attack.mitre.org/techniques/T1555/006/',
    'https://github.com/elastic/detection-rules/tree/main/rules/integrations/aws',
  ],
  mitre: ['TA0006:T1555.006', 'TA0006:T1552'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.secretsmanager'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['secretsmanager.amazonaws.com'], eventName: ['GetSecretValue'] },
  },
  readOnlyEvents: true,
  match: (record) => succeeded(record) && !isServiceCall(record),
  summarize: (record) => `Secret ${requestParam(record, 'secretId') ?? '?'} read by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Secret', value: requestParam(record, 'secretId') ?? '?' }],
  threshold: { count: 10, windowMinutes: 10 },
  distinct: { values: (record) => [requestParam(record, 'secretId') ?? ''], periodMinutes: 24 * 60 },
  dedupeMinutes: 60,
};
