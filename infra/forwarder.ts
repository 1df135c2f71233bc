/*
 * Forwarding to the home region's default bus, as plain CloudFormation (deployed by scripts/deploy.ts):
 * - one account: a stack in us-east-1 for the events delivered only there (IAM, Organizations, STS,
 *   root console sign-in) when the home region is elsewhere, and one per extra region whose regional
 *   events should be watched too;
 * - an organisation: one StackSet template, deployed to every member account and region, forwarding to
 *   the central account's home bus (which admits the organisation through its bus policy).
 * Events arrive unchanged (`region` and `account` are still those of the source), so the home rules
 * match them as they are and alerts name the source account.
 */
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { EventPattern } from '../lib/eventbridge/pattern.js';
import { MAX_PATTERN_LENGTH } from '../lib/eventbridge/pattern.js';
import { READ_ONLY_STATE, type CfnResource } from './eventbridge.js';
import type { Rule } from '../lib/detection/rule.js';

export type Template = {
  AWSTemplateFormatVersion: '2010-09-09';
  Description: string;
  Parameters?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource & { Condition?: string }>;
  Outputs?: Record<string, unknown>;
};

const SIGN_IN_TYPES: readonly string[] = [DETAIL_TYPES.consoleSignIn, DETAIL_TYPES.consoleSignInDocs];
const NAME_MAX = 64;

/** A forwarding rule: the rule pack's pattern (or its us-east-1-only part) and the state it needs. */
export interface Forwarded {
  ruleId: string;
  pattern: EventPattern;
  readOnlyEvents: boolean;
  /** Forwarded only from us-east-1 (events that exist nowhere else). */
  globalOnly: boolean;
}

/**
 * The part of a pattern that matches console sign-ins, which are delivered in us-east-1 whatever the
 * home region (root always; IAM users in most cases): undefined when the rule cannot match one.
 */
function signInPart(pattern: EventPattern): EventPattern | undefined {
  const types = pattern['detail-type'];
  if (types === undefined) return { ...pattern, 'detail-type': [...SIGN_IN_TYPES] };
  if (!Array.isArray(types)) return undefined;
  const kept = types.filter((t) => typeof t === 'string' && SIGN_IN_TYPES.includes(t));
  return kept.length > 0 ? { ...pattern, 'detail-type': kept } : undefined;
}

/**
 * What a region forwards. `global`: this is us-east-1 and the home region is not (forward what is
 * delivered only there). `regional`: forward every rule's regional events from this region too.
 */
export function forwardedRules(rules: readonly Rule[], opts: { global: boolean; regional: boolean }): Forwarded[] {
  const out: Forwarded[] = [];
  for (const rule of rules) {
    const base = { ruleId: rule.id, readOnlyEvents: rule.readOnlyEvents };
    if (rule.requires.usEast1Only) {
      if (opts.global) out.push({ ...base, pattern: rule.pattern, globalOnly: true });
    } else if (opts.regional) {
      out.push({ ...base, pattern: rule.pattern, globalOnly: false });
    } else if (opts.global) {
      const part = signInPart(rule.pattern);
      if (part) out.push({ ...base, pattern: part, globalOnly: true });
    }
  }
  return out;
}

/** FNV-1a, for short stable suffixes when a name would pass EventBridge's 64 characters. */
function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i += 1) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36).padStart(7, '0');
}

export const forwardRulePrefix = (stage: string): string => `trailwatch-${stage}-fwd-`;

export function forwardRuleName(stage: string, ruleId: string): string {
  const name = `${forwardRulePrefix(stage)}${ruleId}`;
  if (name.length <= NAME_MAX) return name;
  const room = NAME_MAX - forwardRulePrefix(stage).length - 8;
  if (room < 8) throw new Error(`Stage name "${stage}" is too long for forwarding rule names (${NAME_MAX} characters)`);
  return `${forwardRulePrefix(stage)}${ruleId.slice(0, room)}-${shortHash(ruleId)}`;
}

const pascal = (id: string): string => id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

interface BuildOptions {
  stage: string;
  homeRegion: string;
  forwarded: readonly Forwarded[];
  /** The receiving bus's account: `AWS::AccountId` (same account) or the central account id. */
  targetAccount: unknown;
  /** CloudFormation condition names: every resource, and the us-east-1-only rules. */
  conditions?: { all: string; global: string };
  description: string;
}

function build(opts: BuildOptions): Template {
  const sub = (s: string) => ({ 'Fn::Sub': s });
  const homeBus = { 'Fn::Sub': [`arn:\${AWS::Partition}:events:${opts.homeRegion}:\${Account}:event-bus/default`, { Account: opts.targetAccount }] };
  const withCondition = <T extends object>(r: T, globalOnly = false): T & { Condition?: string } =>
    opts.conditions ? { ...r, Condition: globalOnly ? opts.conditions.global : opts.conditions.all } : r;
  const resources: Template['Resources'] = {
    ForwardRole: withCondition({
      Type: 'AWS::IAM::Role',
      Properties: {
        Description: `trailwatch ${opts.stage}: EventBridge puts forwarded events on the home bus, nothing else`,
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'put-on-home-bus',
            PolicyDocument: { Version: '2012-10-17', Statement: [{ Sid: 'PutOnHomeBus', Effect: 'Allow', Action: 'events:PutEvents', Resource: homeBus }] },
          },
        ],
      },
    }),
    // What EventBridge could not deliver to the home bus within 24 h stays here (14 days).
    ForwardDeadLetterQueue: withCondition({
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
    }),
    ForwardDeadLetterQueuePolicy: withCondition({
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'ForwardDeadLetterQueue' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'ForwardRulesDeadLetter',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['ForwardDeadLetterQueue', 'Arn'] },
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${forwardRulePrefix(opts.stage)}*`) },
              },
            },
          ],
        },
      },
    }),
  };
  for (const f of opts.forwarded) {
    const length = JSON.stringify(f.pattern).length;
    if (length > MAX_PATTERN_LENGTH) throw new Error(`Forwarding rule for ${f.ruleId}: pattern is ${length} characters, over EventBridge's ${MAX_PATTERN_LENGTH}`);
    resources[`Forward${pascal(f.ruleId)}`] = withCondition(
      {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: forwardRuleName(opts.stage, f.ruleId),
          Description: `trailwatch ${opts.stage}: forwards ${f.ruleId} events to ${opts.homeRegion}`,
          EventBusName: 'default',
          EventPattern: f.pattern,
          // Read-only events reach a rule only in this state, forwarding rules included.
          State: f.readOnlyEvents ? READ_ONLY_STATE : 'ENABLED',
          Targets: [
            {
              Id: 'home-bus',
              Arn: homeBus,
              RoleArn: { 'Fn::GetAtt': ['ForwardRole', 'Arn'] },
              RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
              DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ForwardDeadLetterQueue', 'Arn'] } },
            },
          ],
        },
      },
      f.globalOnly,
    );
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: opts.description,
    Resources: resources,
  };
}

/** The us-east-1 part and the extra regions of a single-account deployment: undefined when not needed. */
export function regionForwarderTemplate(rules: readonly Rule[], opts: { stage: string; homeRegion: string; region: string; globalEvents: boolean; regions: readonly string[] }): Template | undefined {
  if (opts.region === opts.homeRegion) return undefined;
  const global = opts.region === 'us-east-1' && opts.globalEvents;
  const regional = opts.regions.includes(opts.region);
  if (!global && !regional) return undefined;
  const forwarded = forwardedRules(rules, { global, regional });
  if (forwarded.length === 0) return undefined;
  return build({
    stage: opts.stage,
    homeRegion: opts.homeRegion,
    forwarded,
    targetAccount: { Ref: 'AWS::AccountId' },
    description: `trailwatch ${opts.stage}: forwards ${global ? 'us-east-1-only' : ''}${global && regional ? ' and ' : ''}${regional ? 'regional' : ''} events from ${opts.region} to the default bus in ${opts.homeRegion}`,
  });
}

/** The regions a single-account deployment forwards from (each gets `regionForwarderTemplate`). */
export function forwardingRegions(opts: { homeRegion: string; globalEvents: boolean; regions: readonly string[] }): string[] {
  const out = new Set<string>(opts.regions.filter((r) => r !== opts.homeRegion));
  if (opts.globalEvents && opts.homeRegion !== 'us-east-1') out.add('us-east-1');
  return [...out].sort();
}

/**
 * The StackSet template for an organisation's member accounts: every region forwards the regional
 * events, us-east-1 also the global ones; nothing is created where the stack would forward the home
 * bus to itself (the central account's home region).
 */
export function organizationStackSetTemplate(rules: readonly Rule[], opts: { stage: string; homeRegion: string }): Template {
  const central = { Ref: 'CentralAccountId' };
  const template = build({
    stage: opts.stage,
    homeRegion: opts.homeRegion,
    forwarded: forwardedRules(rules, { global: true, regional: true }),
    targetAccount: central,
    conditions: { all: 'Forwards', global: 'ForwardsGlobal' },
    description: `trailwatch ${opts.stage}: forwards CloudTrail events from this member account and region to the central account's default bus in ${opts.homeRegion}`,
  });
  template.Parameters = {
    CentralAccountId: { Type: 'String', AllowedPattern: '^\\d{12}$', Description: 'The account where trailwatch runs (its home bus admits the organisation)' },
  };
  template.Conditions = {
    IsHomeBus: { 'Fn::And': [{ 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, central] }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, opts.homeRegion] }] },
    Forwards: { 'Fn::Not': [{ Condition: 'IsHomeBus' }] },
    ForwardsGlobal: { 'Fn::And': [{ Condition: 'Forwards' }, { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }] },
  };
  // A stack instance whose conditions are all false still needs one resource: this one costs nothing.
  template.Resources.Placeholder = { Type: 'AWS::CloudFormation::WaitConditionHandle', Properties: {} };
  return template;
}
