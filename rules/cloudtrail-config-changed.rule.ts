import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * CIS 4.5 names CreateTrail, UpdateTrail, DeleteTrail, StartLogging and StopLogging. The calls that
 * can blind trailwatch (stop, delete, reconfigure, narrow the selectors, stop or delete an event data
 * store) are the high-severity `cloudtrail-tampering` rule; this low rule records the rest, so every
 * CloudTrail configuration change is seen and no event alerts twice:
 * - CreateTrail / CreateEventDataStore: a new copy of the account's activity, possibly delivered to a
 *   bucket or account the attacker reads (collection), or just a team's new trail;
 * - StartLogging / StartEventDataStoreIngestion: logging back on (the fix, but worth a record);
 * - PutInsightSelectors: Insights on or off (the Insight rules depend on it);
 * - the rest change where logs go or who may read them (tags are not included).
 */
const CALLS = [
  'CreateTrail',
  'StartLogging',
  'PutInsightSelectors',
  'CreateEventDataStore',
  'UpdateEventDataStore',
  'RestoreEventDataStore',
  'StartEventDataStoreIngestion',
  'PutResourcePolicy',
  'DeleteResourcePolicy',
  'CreateChannel',
  'UpdateChannel',
  'DeleteChannel',
] as const;

const targetOf = (record: Parameters<Rule['summarize']>[0]): string =>
  firstRequestParam(record, ['name', 'trailName', 'eventDataStore', 'resourceArn', 'channel']) ?? '(see event)';

/** Low and grouped per principal per hour: these changes happen when teams set up logging, in bursts. */
export const cloudtrailConfigChanged: Rule = {
  id: 'cloudtrail-config-changed',
  title: 'CloudTrail configuration changed',
  severity: 'low',
  status: 'live',
  description:
    'A trail or event data store was created, logging was started, Insights selectors, resource ' +
    'policies or channels changed (CIS AWS Foundations 4.5, with cloudtrail-tampering for the calls ' +
    'that stop or narrow logging).',
  runbook:
    'Check the change belongs to a known setup. For a new trail, check where it delivers ' +
    '(`aws cloudtrail describe-trails`): a bucket or account outside your organization receives a copy of ' +
    'every API call; delete the trail if nobody asked for it.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html',
    'https://attack.mitre.org/techniques/T1562/008/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_cloudtrail_created.py',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/collection_cloudtrail_logging_created.toml',
  ],
  mitre: ['TA0005:T1562.008', 'TA0009:T1530'],
  cis: ['4.5'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.cloudtrail'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['cloudtrail.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `${record.eventName ?? 'Change'} on ${targetOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Trail or store', value: targetOf(record) }],
  dedupeMinutes: 60,
};
