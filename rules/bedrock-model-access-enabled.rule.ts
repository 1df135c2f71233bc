import { actorOf, firstRequestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * The calls that give an account access to a foundation model: the use-case form, the marketplace
 * agreement and the entitlement. An attacker with stolen keys ("LLMjacking") makes them first, to use
 * models the account never enabled.
 */
const CALLS = ['PutUseCaseForModelAccess', 'CreateFoundationModelAgreement', 'PutFoundationModelEntitlement'] as const;

const modelOf = (record: Parameters<Rule['summarize']>[0]): string => firstRequestParam(record, ['modelId']) ?? '(see event)';

/**
 * Medium: enabling a model is rare (a team adopting Bedrock, once per model) and it is the first thing
 * LLMjacking does. One enablement is three calls per model, often for several models: grouped per
 * principal and account for a day.
 */
export const bedrockModelAccessEnabled: Rule = {
  id: 'bedrock-model-access-enabled',
  title: 'Bedrock model access enabled',
  severity: 'medium',
  status: 'live',
  description:
    'Access to a Bedrock foundation model was requested or granted (use-case form, model agreement or ' +
    'entitlement): the step before invoking a model the account did not use so far.',
  runbook:
    'Ask the team that owns the account whether they are adopting this model. If nobody is: revoke the ' +
    "actor's credentials, look for InvokeModel/Converse calls by the same principal (bedrock-first-invocation), " +
    'and check the bill for Bedrock usage.',
  references: [
    'https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html',
    'https://attack.mitre.org/techniques/T1496/',
    'https://sysdig.com/blog/llmjacking-stolen-cloud-credentials-used-in-new-ai-attack/',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_cloudtrail_bedrock_put_foundation_model_entitlement.yml',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_bedrock_model_customization_or_entitlement_change.yml',
  ],
  mitre: ['TA0040:T1496'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.bedrock'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['bedrock.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record),
  summarize: (record) => `${record.eventName ?? 'Model access'} for ${modelOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Model', value: modelOf(record) }],
  dedupeMinutes: 24 * 60,
};
