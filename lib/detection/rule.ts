import type { CloudTrailRecord, TrailEvent } from '../cloudtrail/types.js';
import type { EventPattern } from '../eventbridge/pattern.js';

export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * `live` rules alert people; `staged` rules are evaluated, logged and counted but not sent, until
 * their noise is known (see `trailwatch replay --report`).
 */
export type RuleStatus = 'live' | 'staged';

/** A labelled value shown in an alert. Values are untrusted CloudTrail text: renderers escape them. */
export interface Detail {
  label: string;
  value: string;
}

/** What makes two matches "the same incident": named parts, shown in alerts and summaries. */
export type GroupKey = Record<string, string>;

export interface Threshold {
  /** Fire when this many matches with the same group key fall within `windowMinutes` of event time. */
  count: number;
  windowMinutes: number;
}

/** Per-deployment overrides of a rule's incident settings (RULE_TUNING, trailwatch.<stage>.yml `rules:`). */
export interface RuleTuning {
  dedupeMinutes?: number;
  threshold?: Threshold;
}

/**
 * What a rule needs from the account to see its events at all, shown in the README's rule table.
 * - `eventCategory`: CloudTrail management events (every trail logs them), data events (a trail must
 *   select them, at extra cost: `dataEvents` says which) or Insight events (Insights enabled on a trail).
 * - `usEast1Only`: the events are delivered only in us-east-1 (IAM, Organizations, STS global endpoint,
 *   root console sign-in): a stack in another region sees them only through the us-east-1 forwarder.
 */
/**
 * Count what a call touched, not how often it was made. `values` names what the call read (a secret,
 * parameter names, an instance); a match whose values the same group already touched within the same
 * period (UTC-aligned, `periodMinutes`, at least the threshold's window) is a repeat: it is not counted,
 * never alerts, and after its first sighting in a container costs no state request. A match with no
 * values is always counted. See `lib/incidents.ts` (marks).
 */
export interface DistinctValues {
  values: (record: CloudTrailRecord, event: TrailEvent) => readonly string[];
  periodMinutes: number;
}

export interface RuleRequirements {
  eventCategory: 'management' | 'data' | 'insight';
  /** Data-event rules: the resource type and event names a trail's advanced event selector must log. */
  dataEvents?: { resourceType: string; eventNames: readonly string[] };
  usEast1Only: boolean;
}

export interface Rule {
  /** kebab-case, equal to the file name without `.rule.ts`. */
  id: string;
  title: string;
  severity: Severity;
  status: RuleStatus;
  description: string;
  /** What the person who receives the alert should do first. */
  runbook: string;
  references: readonly string[];
  /** MITRE ATT&CK ids, tactic:technique, e.g. `TA0005:T1562.008`. */
  mitre: readonly string[];
  /** CIS AWS Foundations Benchmark monitoring controls this rule implements, e.g. `['4.3']`. */
  cis?: readonly string[];
  /** What the account must log for this rule to see anything (README rule table). */
  requires: RuleRequirements;
  /**
   * The EventBridge pattern deployed for this rule. It decides what reaches Lambda, so it must never be
   * narrower than `match`: the rule cases check every must-fire case against it.
   */
  pattern: EventPattern;
  /**
   * The rule must see read-only management events (Get/List/Describe, sts:AssumeRole): its
   * EventBridge rule is then deployed with state ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS.
   */
  readOnlyEvents: boolean;
  /** What a pattern cannot express. Pure; may throw (the engine isolates it). */
  match?: (record: CloudTrailRecord, event: TrailEvent) => boolean;
  /** One line for the alert: what happened, in words. Pure. */
  summarize: (record: CloudTrailRecord, event: TrailEvent) => string;
  /** Extra rule-specific facts for the alert body. Pure. */
  details?: (record: CloudTrailRecord, event: TrailEvent) => Detail[];
  /** Same-incident key. Default: principal and account. */
  groupBy?: (record: CloudTrailRecord, event: TrailEvent) => GroupKey;
  /** Later matches of the same incident within this many minutes (event time) are counted, not sent. */
  dedupeMinutes: number;
  /** Burst rules: fire only when enough matches fall in a sliding event-time window. */
  threshold?: Threshold;
  /** High-volume reads: only matches that touch something new to their group count (see DistinctValues). */
  distinct?: DistinctValues;
}

/**
 * One case beside a rule: an event and the exact set of rule ids it fires. Every case is checked
 * against every rule, so a rule that starts firing where it should not fails the suite.
 */
export interface RuleCase {
  name: string;
  /** An EventBridge envelope, or a raw CloudTrail record (wrapped the way EventBridge would). */
  event: unknown;
  /** Exactly the rule ids whose pattern and `match` accept the event (thresholds are tested apart). */
  matches: string[];
}
