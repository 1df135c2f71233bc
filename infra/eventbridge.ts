import { compilePattern, MAX_PATTERN_LENGTH, type EventPattern } from '../lib/eventbridge/pattern.js';
import type { Rule } from '../lib/detection/rule.js';

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
export function functionPolicyBytes(ruleNames: readonly string[], stage: string): number {
  const region = 'ap-southeast-10';
  const statements = ruleNames.map((name) => ({
    Sid: `trailwatch-${stage}-${invokePermissionId(name)}-${'X'.repeat(13)}`,
    Effect: 'Allow',
    Principal: { Service: 'events.amazonaws.com' },
    Action: 'lambda:InvokeFunction',
    Resource: `arn:aws:lambda:${region}:123456789012:function:trailwatch-${stage}-detect`,
    Condition: { ArnLike: { 'AWS:SourceArn': `arn:aws:events:${region}:123456789012:rule/${name}` } },
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
 * One EventBridge rule that routes several detections to detect: their patterns under a top-level `$or`
 * (a single detection keeps its own pattern). Detect evaluates every rule on every event it receives,
 * so a route only has to let through the union of what its detections want.
 */
export interface Route {
  logicalId: string;
  name: string;
  readOnly: boolean;
  ruleIds: string[];
  pattern: EventPattern;
}

const routePattern = (patterns: readonly EventPattern[]): EventPattern => (patterns.length === 1 ? (patterns[0] as EventPattern) : { $or: [...patterns] });

/**
 * Packs the detections into as few EventBridge rules as fit EventBridge's 2,048-character pattern
 * limit, one set per rule state (read-only events need ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS,
 * the others must not be flooded with them). Why not one EventBridge rule per detection: each one
 * needs its own statement in the detect function's resource policy (~400 bytes of Lambda's 20 KB),
 * which caps a pack at about 50 detections; a statement naming a wildcard instead would also admit
 * rules on custom buses. Packing keeps one statement per route, each naming its route's own ARN.
 * First fit in the rules' order, so the same pack always gives the same routes.
 */
export function routesFor(rules: readonly Rule[], stage: string): Route[] {
  const routes: Route[] = [];
  for (const readOnly of [false, true]) {
    let open: { ids: string[]; patterns: EventPattern[] } | undefined;
    const groups: Array<{ ids: string[]; patterns: EventPattern[] }> = [];
    for (const rule of rules.filter((r) => r.readOnlyEvents === readOnly)) {
      const own = JSON.stringify(rule.pattern).length;
      if (own > MAX_PATTERN_LENGTH) throw new Error(`Rule ${rule.id}: event pattern is ${own} characters, over EventBridge's ${MAX_PATTERN_LENGTH}`);
      // Two detections with one pattern (e.g. a high and a medium reading of the same calls) share it.
      const text = JSON.stringify(rule.pattern);
      const same = groups.find((g) => g.patterns.some((p) => JSON.stringify(p) === text));
      if (same) {
        same.ids.push(rule.id);
        continue;
      }
      if (open && JSON.stringify(routePattern([...open.patterns, rule.pattern])).length <= MAX_PATTERN_LENGTH) {
        open.ids.push(rule.id);
        open.patterns.push(rule.pattern);
        continue;
      }
      open = { ids: [rule.id], patterns: [rule.pattern] };
      groups.push(open);
    }
    groups.forEach((g, i) => {
      const kind = readOnly ? 'ReadOnly' : '';
      const pattern = routePattern(g.patterns);
      // The merged pattern is checked as EventBridge would (operators, $or expansion), at build time.
      compilePattern(pattern);
      routes.push({ logicalId: `TrailwatchRoute${kind}${i + 1}`, name: eventBridgeRuleName(stage, `${readOnly ? 'read-only-' : ''}rules-${i + 1}`), readOnly, ruleIds: g.ids, pattern });
    });
  }
  return routes;
}

/**
 * The EventBridge side of the stack, generated from the rules and nothing else. Checks the limits
 * (pattern size, targets per rule, function policy size) at build time, so `serverless package` fails instead of a deploy half-way through.
 */
export function eventBridgeResources(rules: readonly Rule[], opts: EventBridgeOptions): Record<string, CfnResource> {
  if (rules.length > MAX_RULES) throw new Error(`${rules.length} rules exceed the ${MAX_RULES} rules trailwatch allows itself`);
  const target = {
    Id: 'detect',
    Arn: { 'Fn::GetAtt': [opts.functionLogicalId, 'Arn'] },
    // EventBridge retries delivery for 24 h, then keeps the event in the queue: no alert is dropped.
    RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': [opts.deadLetterQueueLogicalId, 'Arn'] } },
  };
  const byId = new Map(rules.map((r) => [r.id, r]));
  const routes = routesFor(rules, opts.stage);
  // One statement per route, naming the route's own ARN: a wildcard on the name prefix would also admit a
  // rule on any custom bus whose name starts with it (`rule/<bus>/<rule>`), since IAM's `*` spans `/`.
  const size = functionPolicyBytes(routes.map((r) => r.name), opts.stage);
  if (size > MAX_FUNCTION_POLICY_BYTES) {
    throw new Error(`${routes.length} EventBridge rules need about ${size} bytes of the detect function's resource policy, over Lambda's ${MAX_FUNCTION_POLICY_BYTES}: shorten the stage name`);
  }
  const resources: Record<string, CfnResource> = {};
  for (const route of routes) {
    // Says which detections the route serves, and which of them are staged (evaluated, not sent).
    const members = route.ruleIds.map((id) => (byId.get(id)?.status === 'staged' ? `${id} (staged)` : id)).join(', ');
    resources[route.logicalId] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: route.name,
        Description: `trailwatch: ${members}`.slice(0, 512),
        EventBusName: 'default',
        EventPattern: route.pattern,
        State: route.readOnly ? READ_ONLY_STATE : 'ENABLED',
        Targets: [target],
      },
    };
    resources[`Invoke${route.logicalId.replace(/^Trailwatch/, '')}`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [opts.functionLogicalId, 'Arn'] },
        Principal: 'events.amazonaws.com',
        // The rule's ARN names the account too: no SourceAccount needed (and its bytes are saved).
        SourceArn: { 'Fn::GetAtt': [route.logicalId, 'Arn'] },
      },
    };
  }
  return resources;
}
