import { MAX_PATTERN_LENGTH } from '../eventbridge/pattern.js';
import type { Rule } from '../rule.js';

/** What CloudFormation needs, no more: one rule per detection, and the permission for it to invoke detect. */
export type CfnResource = {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  Condition?: string;
  DeletionPolicy?: 'Retain' | 'Delete' | 'Snapshot';
  UpdateReplacePolicy?: 'Retain' | 'Delete' | 'Snapshot';
};

export interface EventBridgeOptions {
  stage: string;
  /** Logical id serverless gives the detect function (`DetectLambdaFunction`). */
  functionLogicalId: string;
  /** Logical id of the SQS queue that keeps events EventBridge could not deliver. */
  deadLetterQueueLogicalId: string;
}

/** Rule state that lets read-only management events (Get/List/Describe, sts:AssumeRole) through. */
export const READ_ONLY_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
/** EventBridge allows about 300 rules per bus; leave room for the account's own. */
export const MAX_RULES = 100;
const NAME_MAX = 64;
/** Lambda's cap on a function's resource-based policy. */
export const MAX_FUNCTION_POLICY_BYTES = 20_480;

/** Logical id of the permission for one rule: short, because CloudFormation puts it in the statement id. */
export const invokePermissionId = (ruleId: string): string => `Invoke${pascal(ruleId)}`;

/**
 * The detect function's policy as Lambda would store it for these rules: CloudFormation's statement
 * ids (`<stack>-<logical id>-<13 characters>`) and the longest region name, so it errs on the safe side.
 */
export function functionPolicyBytes(ruleIds: readonly string[], stage: string): number {
  const region = 'ap-southeast-10';
  const statements = ruleIds.map((id) => ({
    Sid: `trailwatch-${stage}-${invokePermissionId(id)}-${'X'.repeat(13)}`,
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'lambda:InvokeFunction',
    Resource: `arn:aws:lambda:${region}:123456789012:function:trailwatch-${stage}-detect`,
    Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:events:${region}:123456789012:rule/${ruleNamePrefix(stage)}${id}` } },
  }));
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements }).length;
}

export const ruleNamePrefix = (stage: string): string => `trailwatch-${stage}-`;

export const pascal = (id: string): string => id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

export function eventBridgeRuleName(stage: string, ruleId: string): string {
  const name = `${ruleNamePrefix(stage)}${ruleId}`;
  if (name.length > NAME_MAX) throw new Error(`EventBridge rule name ${name} is longer than ${NAME_MAX} characters: shorten the rule id or stage`);
  return name;
}

/**
 * The EventBridge side of the stack, generated from the rules and nothing else. Checks the limits
 * from DOMAIN.md at build time, so `serverless package` fails instead of a deploy half-way through.
 */
export function eventBridgeResources(rules: readonly Rule[], opts: EventBridgeOptions): Record<string, CfnResource> {
  if (rules.length > MAX_RULES) throw new Error(`${rules.length} rules exceed the ${MAX_RULES} EventBridge rules trailwatch allows itself per bus`);
  const target = (rule: Rule) => ({
    Id: 'detect',
    Arn: { 'Fn::GetAtt': [opts.functionLogicalId, 'Arn'] },
    // EventBridge retries delivery for 24 h, then keeps the event in the queue: no alert is dropped.
    RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': [opts.deadLetterQueueLogicalId, 'Arn'] } },
  });
  const resources: Record<string, CfnResource> = {};
  for (const rule of rules) {
    const pattern = JSON.stringify(rule.pattern);
    if (pattern.length > MAX_PATTERN_LENGTH) {
      throw new Error(`Rule ${rule.id}: event pattern is ${pattern.length} characters, over EventBridge's ${MAX_PATTERN_LENGTH}`);
    }
    resources[`TrailwatchRule${pascal(rule.id)}`] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: eventBridgeRuleName(opts.stage, rule.id),
        Description: `trailwatch ${rule.status}: ${rule.title}`.slice(0, 512),
        EventBusName: 'default',
        EventPattern: rule.pattern,
        State: rule.readOnlyEvents ? READ_ONLY_STATE : 'ENABLED',
        Targets: [target(rule)],
      },
    };
  }
  // One statement per rule, naming the rule's own ARN: a wildcard on the name prefix would also admit a
  // rule on any custom bus whose name starts with it (`rule/<bus>/<rule>`), since IAM's `*` spans `/`.
  // Each statement costs ~400 bytes of the function policy's 20 KB: checked below.
  const size = functionPolicyBytes(rules.map((r) => r.id), opts.stage);
  if (size > MAX_FUNCTION_POLICY_BYTES) {
    throw new Error(`${rules.length} EventBridge rules need about ${size} bytes of the detect function's resource policy, over Lambda's ${MAX_FUNCTION_POLICY_BYTES}: merge rules or shorten the stage name`);
  }
  for (const rule of rules) {
    const logicalId = `TrailwatchRule${pascal(rule.id)}`;
    resources[invokePermissionId(rule.id)] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [opts.functionLogicalId, 'Arn'] },
        Principal: 'events.amazonaws.com',
        // The rule's ARN names the account too: no SourceAccount needed (and its bytes are saved).
        SourceArn: { 'Fn::GetAtt': [logicalId, 'Arn'] },
      },
    };
  }
  return resources;
}
