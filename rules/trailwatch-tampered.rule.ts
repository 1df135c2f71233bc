import { actorOf, apiName, errorCodeOf, firstRequestParam, requestValue } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * trailwatch's own resources are named `trailwatch-<stage>-...` (the stack, its functions, and the
 * EventBridge rules, see infra/eventbridge.ts). Calls that stop events reaching `detect`:
 * - EventBridge: DisableRule, DeleteRule, RemoveTargets, or PutRule with State DISABLED;
 * - Lambda: DeleteFunction, RemovePermission (EventBridge may no longer invoke it), and
 *   PutFunctionConcurrency to 0 (every invocation throttled);
 * - CloudFormation: DeleteStack of the trailwatch stack.
 */
const PREFIX = 'trailwatch-';

function stopsDetection(record: CloudTrailRecord): boolean {
  // A trailwatch deploy changes its own rules and permissions through CloudFormation; deleting the
  // stack is caught by its DeleteStack call, made by a person or pipeline, not by CloudFormation.
  if (record.userIdentity?.invokedBy === 'cloudformation.amazonaws.com') return false;
  const api = apiName(record.eventName);
  if (api === 'PutRule') {
    const state = requestValue(record, 'state');
    return typeof state === 'string' && state.toUpperCase() === 'DISABLED';
  }
  if (api === 'PutFunctionConcurrency') {
    const reserved = requestValue(record, 'reservedConcurrentExecutions');
    return reserved === 0 || reserved === '0';
  }
  return true;
}

const targetOf = (record: CloudTrailRecord): string => firstRequestParam(record, ['name', 'functionName', 'stackName']) ?? '(see event)';

/**
 * High, like cloudtrail-tampering and for the same reason: this is how an attacker who knows
 * trailwatch is there blinds it without touching the trail. The DisableRule of one rule still reaches
 * the others, and this rule's own deletion comes through the rules not yet deleted. Refused attempts
 * alert too: somebody tried. The health canary catches the blindness itself; this names who caused it.
 */
export const trailwatchTampered: Rule = {
  id: 'trailwatch-tampered',
  title: 'trailwatch itself disabled or deleted',
  severity: 'high',
  status: 'live',
  description:
    "One of trailwatch's EventBridge rules was disabled or deleted or lost its target, its Lambda " +
    'function was deleted, throttled to zero or lost its invoke permission, or its stack was deleted ' +
    '(or somebody tried), outside a CloudFormation deploy.',
  runbook:
    'Redeploy trailwatch (`npx serverless deploy --stage <stage>`) to restore rules, targets and ' +
    "permissions. Unless the actor was retiring trailwatch on purpose, revoke their credentials and replay " +
    'the CloudTrail logs since the event time (`npx trailwatch replay s3://<trail bucket>/...`) to see what it missed.',
  references: [
    'https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_DisableRule.html',
    'https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionConcurrency.html',
    'https://attack.mitre.org/techniques/T1562/001/',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/aws_eventbridge_rule_disabled_or_deleted.toml',
  ],
  mitre: ['TA0005:T1562.001'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.events', 'aws.lambda', 'aws.cloudformation'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      $or: [
        { eventSource: ['events.amazonaws.com'], eventName: ['DisableRule', 'DeleteRule', 'RemoveTargets', 'PutRule'], requestParameters: { name: [{ prefix: PREFIX }] } },
        {
          eventSource: ['lambda.amazonaws.com'],
          eventName: [{ prefix: 'DeleteFunction20' }, { prefix: 'RemovePermission20' }, { prefix: 'PutFunctionConcurrency20' }],
          requestParameters: { functionName: [{ prefix: PREFIX }, { wildcard: `*:function:${PREFIX}*` }] },
        },
        { eventSource: ['cloudformation.amazonaws.com'], eventName: ['DeleteStack'], requestParameters: { stackName: [{ prefix: PREFIX }, { wildcard: `*:stack/${PREFIX}*` }] } },
      ],
    },
  },
  readOnlyEvents: false,
  match: stopsDetection,
  summarize: (record) => {
    const error = errorCodeOf(record);
    return `${record.eventName ?? 'Change'} on ${targetOf(record)} by ${actorOf(record).name}${error ? ` (refused: ${error})` : ''}`;
  },
  details: (record) => [{ label: 'trailwatch resource', value: targetOf(record) }],
  dedupeMinutes: 30,
};
