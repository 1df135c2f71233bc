import { actorOf, errorCodeOf, firstRequestParam, isServiceOrServiceLinkedRole } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const CALLS = ['InvokeModel', 'InvokeModelWithResponseStream', 'Converse', 'ConverseStream'] as const;

const modelOf = (record: Parameters<Rule['summarize']>[0]): string => firstRequestParam(record, ['modelId']) ?? '(see event)';

/**
 * "A principal that never used Bedrock" as the incident machinery can say it: the first invocation by
 * a principal opens a 7-day incident and alerts; every later one in those 7 days is only counted (the
 * follow-up says how many). So a workload that uses Bedrock every day alerts once a week, and stolen
 * keys that start invoking models alert at their first call. The follow-up counts each model a
 * principal used once per UTC day (`distinct`): a workload calling a model all day is one match a day,
 * and its repeats cost no state (bench/RESULTS.md, cost per million events).
 *
 * CloudTrail logs these as read-only management events (eventSource bedrock.amazonaws.com, seen in the
 * Stratus recording), so the EventBridge rule needs the ALL_CLOUDTRAIL_MANAGEMENT_EVENTS state.
 * Failed calls count: attackers probe access with deliberately invalid requests (ValidationException)
 * that cost nothing, and a denied call from a new principal is just as telling.
 *
 * Medium: inference on stolen keys costs the account thousands per day (LLMjacking), but the first call
 * is also how every new Bedrock feature starts.
 */
export const bedrockFirstInvocation: Rule = {
  id: 'bedrock-first-invocation',
  title: 'Bedrock model invoked by a new principal',
  severity: 'medium',
  status: 'live',
  description:
    'A principal invoked a Bedrock model (InvokeModel, Converse, or their streaming forms) and had not in ' +
    'the previous 7 days. Later calls by the same principal within 7 days are counted in a follow-up, once per model and UTC day.',
  runbook:
    'Check the principal is a known Bedrock workload or person. If not: revoke its credentials, look for ' +
    'model access requests (bedrock-model-access-enabled) and invocation logging changes, and check Bedrock ' +
    'spend in Cost Explorer.',
  references: [
    'https://docs.aws.amazon.com/bedrock/latest/userguide/logging-using-cloudtrail.html',
    'https://attack.mitre.org/techniques/T1496/',
    'https://sysdig.com/blog/llmjacking-stolen-cloud-credentials-used-in-new-ai-attack/',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_bedrock_model_invocation_by_unauthorized_identity.yml',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/aws_bedrock_high_resource_consumption_detection.toml',
  ],
  mitre: ['TA0040:T1496'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.bedrock'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['bedrock.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: true,
  match: (record) => !isServiceOrServiceLinkedRole(record),
  summarize: (record) => {
    const error = errorCodeOf(record);
    return `${record.eventName ?? 'Invocation'} of ${modelOf(record)} by ${actorOf(record).name}, its first in 7 days${error ? ` (failed: ${error})` : ''}`;
  },
  details: (record) => [{ label: 'Model', value: modelOf(record) }],
  dedupeMinutes: 7 * 24 * 60,
  distinct: { values: (record) => [modelOf(record)], periodMinutes: 24 * 60 },
};
