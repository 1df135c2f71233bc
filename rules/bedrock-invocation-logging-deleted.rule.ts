import { actorOf, errorCodeOf } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Medium, like the other log deletions (flow logs, DNS query logs): Bedrock invocation logging records
 * who sent which prompt to which model, and deleting it is what LLMjacking operators do before using
 * stolen keys; it is also rare enough that a person should confirm it. Refused attempts alert too.
 */
export const bedrockInvocationLoggingDeleted: Rule = {
  id: 'bedrock-invocation-logging-deleted',
  title: 'Bedrock model invocation logging deleted',
  severity: 'medium',
  status: 'live',
  description:
    "The account's Bedrock model invocation logging configuration was deleted (or somebody tried): prompts, " +
    'responses and their callers are no longer logged to CloudWatch Logs or S3.',
  runbook:
    'Restore the logging configuration (`aws bedrock put-model-invocation-logging-configuration`). Unless ' +
    "this was planned, revoke the actor's credentials and look for Bedrock invocations and model access " +
    'requests by the same principal (bedrock-first-invocation, bedrock-model-access-enabled).',
  references: [
    'https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html',
    'https://attack.mitre.org/techniques/T1562/008/',
    'https://sysdig.com/blog/llmjacking-stolen-cloud-credentials-used-in-new-ai-attack/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_bedrock_deletemodelinvocationloggingconfiguration.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_bedrock_model_invocation_logging_disabled.yml',
  ],
  mitre: ['TA0005:T1562.008'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.bedrock'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['bedrock.amazonaws.com'], eventName: ['DeleteModelInvocationLoggingConfiguration'] },
  },
  readOnlyEvents: false,
  summarize: (record) => {
    const error = errorCodeOf(record);
    return `Bedrock invocation logging deleted by ${actorOf(record).name}${error ? ` (refused: ${error})` : ''}`;
  },
  dedupeMinutes: 60,
};
