import { DETAIL_TYPES, type CloudTrailRecord, type TrailEvent } from '../cloudtrail/types.js';
import { compilePattern, type CompiledPattern } from '../eventbridge/pattern.js';
import type { GroupKey, Rule } from './rule.js';
import { principalName } from '../cloudtrail/identity.js';

export interface CompiledRule {
  rule: Rule;
  pattern: CompiledPattern;
}

/** Compiles every rule's pattern once (at cold start); an invalid pattern is a build error, not a runtime one. */
export function compileRules(rules: readonly Rule[]): CompiledRule[] {
  const seen = new Set<string>();
  return rules.map((rule) => {
    if (seen.has(rule.id)) throw new Error(`Duplicate rule id ${rule.id}`);
    seen.add(rule.id);
    try {
      return { rule, pattern: compilePattern(rule.pattern) };
    } catch (error) {
      throw new Error(`Rule ${rule.id} has an invalid event pattern: ${(error as Error).message}`, { cause: error });
    }
  });
}

export interface RuleError {
  ruleId: string;
  message: string;
}

export interface Evaluation {
  matched: Rule[];
  /** Rules that threw: isolated, logged and counted by the caller; the other rules still ran. */
  errors: RuleError[];
}

/**
 * Runs every rule on one event: its EventBridge pattern (the same test EventBridge made before
 * invoking us, repeated because one function serves all rules), then its predicate.
 */
export function evaluate(rules: readonly CompiledRule[], event: TrailEvent): Evaluation {
  const matched: Rule[] = [];
  const errors: RuleError[] = [];
  const readOnly = isReadOnlyManagementEvent(event);
  for (const { rule, pattern } of rules) {
    try {
      // EventBridge delivers read-only management events only to rules in the
      // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS state: routing is repeated here exactly.
      if (readOnly && !rule.readOnlyEvents) continue;
      if (!pattern.matches(event)) continue;
      if (rule.match && !rule.match(event.detail, event)) continue;
      matched.push(rule);
    } catch (error) {
      errors.push({ ruleId: rule.id, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return { matched, errors };
}

/** Get/List/Describe-style management calls (and sts:AssumeRole): `readOnly: true`, not a data event. */
export function isReadOnlyManagementEvent(event: TrailEvent): boolean {
  return event.detail.readOnly === true && event.detail.managementEvent !== false && event['detail-type'] !== DETAIL_TYPES.insight;
}

/** The default incident key: who did it, in which account. */
export function defaultGroupKey(record: CloudTrailRecord, event: TrailEvent): GroupKey {
  return { principal: principalName(record.userIdentity), account: event.account };
}

export function groupKeyOf(rule: Rule, event: TrailEvent): GroupKey {
  return (rule.groupBy ?? defaultGroupKey)(event.detail, event);
}
