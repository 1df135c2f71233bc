import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, requestValue, succeeded, usesLongTermCredentials } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/** The layer ARNs the request sets (the function's whole new list), bounded. */
function layersOf(record: CloudTrailRecord): string[] {
  const layers = requestValue(record, 'layers');
  if (!Array.isArray(layers)) return [];
  return layers.slice(0, 10).filter((l): l is string => typeof l === 'string' && l !== '');
}

const functionOf = (record: CloudTrailRecord): string => firstRequestParam(record, ['functionName']) ?? '(see event)';

/**
 * A layer (or an extension, which is a layer) runs inside every invocation of the function, with its
 * role and its event data: a stealthier overwrite than replacing the code (Stratus
 * `lambda-layer-extension`). Same gate and severity as lambda-code-overwritten, for the same reason:
 * pipelines set layers on every deploy from roles, so only long-term credentials fire.
 */
export const lambdaLayerAdded: Rule = {
  id: 'lambda-layer-added',
  title: 'Lambda layer set with long-term credentials',
  severity: 'medium',
  status: 'live',
  description:
    "A Lambda function's layers (code and extensions that run with the function) were set by an IAM user, " +
    'federated user or root rather than a deploy role.',
  runbook:
    'Check each layer ARN: who owns the layer (the account in its ARN) and what it contains ' +
    "(`aws lambda get-layer-version-by-arn`). Unless it is a known layer set by hand on purpose, restore the " +
    "function's configuration from the pipeline and revoke the actor's keys.",
  references: [
    'https://docs.aws.amazon.com/lambda/latest/dg/chapter-layers.html',
    'https://attack.mitre.org/techniques/T1525/',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.lambda-layer-extension/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_add_malicious_lambda_extension.py',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_attached_malicious_lambda_layer.yml',
  ],
  mitre: ['TA0003:T1525'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.lambda'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['lambda.amazonaws.com'], eventName: [{ prefix: 'UpdateFunctionConfiguration' }] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && layersOf(record).length > 0 && usesLongTermCredentials(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `Layers of Lambda function ${functionOf(record)} set by ${actorOf(record).name}: ${layersOf(record).join(', ')}`,
  details: (record) => [{ label: 'Function', value: functionOf(record) }, ...layersOf(record).map((arn) => ({ label: 'Layer', value: arn }))],
  dedupeMinutes: 60,
};
