import { DETAIL_TYPES, type CloudTrailRecord, type TrailEvent } from '../cloudtrail/types.js';
import { compilePattern, type CompiledPattern } from '../eventbridge/pattern.js';
import type { GroupKey, Rule } from './rule.js';
import { principalName } from '../cloudtrail/identity.js';

export interface CompiledRule {
  rule: Rule;
  pattern: CompiledPattern;
}

/** Rule ids name incidents, metrics and tuning: two rules with one id would share all three. */
function checkUniqueIds(rules: readonly Rule[]): void {
  const seen = new Set<string>();
  for (const { id } of rules) {
    if (seen.has(id)) throw new Error(`Duplicate rule id ${id}`);
    seen.add(id);
  }
}

function compileRule(rule: Rule): CompiledRule {
  try {
    return { rule, pattern: compilePattern(rule.pattern) };
  } catch (error) {
    throw new Error(`Rule ${rule.id} has an invalid event pattern: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Compiles every rule's pattern now; an invalid pattern throws, naming the rule. The rule-quality
 * gate and replay use this: it is where an invalid pattern is caught before deploy.
 */
export function compileRules(rules: readonly Rule[]): CompiledRule[] {
  checkUniqueIds(rules);
  return rules.map(compileRule);
}

/**
 * The `source` values a pattern accepts, when it lists them exactly; undefined when it accepts other
 * sources too (no `source`, or a prefix such as `aws.`).
 */
export function exactSources(pattern: Rule['pattern']): readonly string[] | undefined {
  const source = (pattern as Record<string, unknown>)['source'];
  return Array.isArray(source) && source.every((s) => typeof s === 'string') ? (source as string[]) : undefined;
}

/** Rules compiled on demand, one `source` at a time (see rulesBySource). */
export type RulesFor = (source: string) => readonly CompiledRule[];

/**
 * The rules an event with a given `source` can match, in pack order, their patterns compiled the
 * first time a source needs them. EventBridge compares `source` exactly, so a rule that lists
 * sources can only match events from one of them; the few that do not (a prefix such as `aws.`)
 * apply to every source.
 *
 * Why: compiling all the pack's patterns at import was most of what the pack added to the `detect`
 * cold start (bench/RESULTS.md), while a container only needs the rules for the sources it is sent,
 * and an invocation carries one event. Work is saved, not moved: a source's patterns are compiled
 * once, on its first event, and never for sources that do not come.
 *
 * An invalid pattern is still caught before deploy, not here: the tests compile every rule
 * (compileRules in test/rules/quality-gate.test.ts) and `serverless package` compiles every
 * EventBridge route built from them (infra/eventbridge.ts). Should one reach a container anyway,
 * that rule alone fails, as a rule error on each event of its sources; the others still run.
 */
export function rulesBySource(rules: readonly Rule[]): RulesFor {
  checkUniqueIds(rules);
  const entries = rules.map((rule) => ({ rule, sources: exactSources(rule.pattern) }));
  const compiled = new Map<Rule, CompiledRule>();
  const compileOnce = (rule: Rule): CompiledRule => {
    let c = compiled.get(rule);
    if (c === undefined) {
      try {
        c = compileRule(rule);
      } catch (error) {
        // Reported by evaluate() as this rule's error, every time, like a predicate that throws.
        c = { rule, pattern: { pattern: rule.pattern, matches: () => { throw error; } } };
      }
      compiled.set(rule, c);
    }
    return c;
  };
  const listed = new Set(entries.flatMap((e) => e.sources ?? []));
  // Keyed only by sources some rule lists: an event's source cannot grow this map.
  const bySource = new Map<string, readonly CompiledRule[]>();
  let anySource: readonly CompiledRule[] | undefined;
  return (source) => {
    if (!listed.has(source)) return (anySource ??= entries.filter((e) => e.sources === undefined).map((e) => compileOnce(e.rule)));
    let forSource = bySource.get(source);
    if (forSource === undefined) {
      forSource = entries.filter((e) => e.sources === undefined || e.sources.includes(source)).map((e) => compileOnce(e.rule));
      bySource.set(source, forSource);
    }
    return forSource;
  };
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
 * invoking us, repeated because one function serves all rules), then its predicate. With
 * `patternsMatched`, the caller has already found every rule's pattern to accept the event (replay's
 * triage): only routing and predicates are left.
 */
export function evaluate(rules: readonly CompiledRule[], event: TrailEvent, patternsMatched = false): Evaluation {
  const matched: Rule[] = [];
  const errors: RuleError[] = [];
  const readOnly = isReadOnlyManagementEvent(event);
  for (const { rule, pattern } of rules) {
    try {
      // EventBridge delivers read-only management events only to rules in the
      // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS state: routing is repeated here exactly.
      if (readOnly && !rule.readOnlyEvents) continue;
      if (!patternsMatched && !pattern.matches(event)) continue;
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
