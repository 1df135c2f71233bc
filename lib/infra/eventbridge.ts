import { MAX_PATTERN_LENGTH } from '../eventbridge/pattern.js';
import type { Rule } from '../rule.js';

/** What CloudFormation needs, no more: one rule per detection, one permission for all of them. */
export type CfnResource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

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

export const ruleNamePrefix = (stage: string): string => `trailwatch-${stage}-`;

const pascal = (id: string): string => id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

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
  // One statement for every rule (wildcard on the name prefix): a statement per rule would fill the
  // function policy's 20 KB limit at scale.
  resources.TrailwatchDetectInvokePermission = {
    Type: 'AWS::Lambda::Permission',
    Properties: {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [opts.functionLogicalId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${ruleNamePrefix(opts.stage)}*` },
    },
  };
  return resources;
}
