import type { TrailEvent } from '../cloudtrail/types.js';
import type { CompiledRule } from './evaluate.js';
import { parsePattern, type FieldNode, type MatcherNode } from '../eventbridge/pattern.js';

/**
 * Which rules can match an event at all, decided from three fields nearly every rule pattern names and
 * every CloudTrail envelope carries as plain strings: `source`, `detail-type` and `detail.eventName`.
 * Evaluating only those rules gives the same result as evaluating all of them (the others' patterns
 * would reject the event anyway) at a fraction of the cost: replay runs every rule on every event of
 * a history, most match none, and 70 patterns per event cost about as much as parsing it.
 *
 * A field constrains a branch of a pattern only when every alternative of it is an exact string or a
 * case-sensitive prefix; anything else (numbers, IP addresses, wildcards, `anything-but`, `exists`)
 * leaves the branch open. A rule is a candidate when one of its branches is open or accepts the
 * event's three values. Events whose values are not plain strings (or that also carry a flattened
 * `"detail.eventName"` key, which the matcher reads as the same field) get every rule.
 */

type Test = (value: string) => boolean;

/** The fields looked at, as the matcher flattens them. */
const FIELDS = ['source', 'detail-type', 'detail.eventName'] as const;

interface Branch {
  /** One test per field of FIELDS; null when the branch does not constrain that field. */
  tests: ReadonlyArray<Test | null>;
}

/** Keys cached per distinct (source, detail-type, eventName); bounded, since event text is attacker-chosen. */
const MAX_CACHED = 4096;

function matcherTest(m: MatcherNode): Test | null {
  if (m.op === 'exact' && typeof m.value === 'string' && m.ip === undefined) {
    const text = m.value;
    return (v) => v === text;
  }
  if (m.op === 'prefix' && !m.ignoreCase) {
    const text = m.text;
    return (v) => v.startsWith(text);
  }
  return null;
}

function fieldTest(field: FieldNode | undefined): Test | null {
  if (field === undefined || field.matchers.length === 0) return null;
  const tests: Test[] = [];
  for (const m of field.matchers) {
    const t = matcherTest(m);
    if (t === null) return null;
    tests.push(t);
  }
  return (v) => tests.some((t) => t(v));
}

const OPEN: Branch[] = [{ tests: FIELDS.map(() => null) }];

function branchesOf(compiled: CompiledRule): Branch[] {
  let tree;
  try {
    tree = parsePattern(compiled.rule.pattern);
  } catch {
    return OPEN; // evaluate() reports the invalid pattern as this rule's error, on every event
  }
  return tree.branches.map((fields) => ({ tests: FIELDS.map((path) => fieldTest(fields.find((f) => f.path === path))) }));
}

export interface CandidateIndex {
  /** The rules that can match this (already validated) event, in their original order. */
  rulesFor(event: TrailEvent): readonly CompiledRule[];
}

export function createCandidateIndex(rules: readonly CompiledRule[]): CandidateIndex {
  const branches = rules.map(branchesOf);
  const cache = new Map<string, readonly CompiledRule[]>();
  const select = (values: readonly string[]): CompiledRule[] =>
    rules.filter((_, i) => (branches[i] as Branch[]).some((b) => b.tests.every((test, f) => test === null || test(values[f] as string))));

  return {
    rulesFor(event) {
      const source: unknown = event.source;
      const detailType: unknown = event['detail-type'];
      const name: unknown = (event.detail as { eventName?: unknown }).eventName;
      if (typeof source !== 'string' || typeof detailType !== 'string' || typeof name !== 'string' || Object.hasOwn(event, 'detail.eventName')) return rules;
      // Lengths make the key unambiguous whatever characters the values hold.
      const key = `${source.length}:${detailType.length}:${source}${detailType}${name}`;
      let found = cache.get(key);
      if (found === undefined) {
        found = select([source, detailType, name]);
        if (cache.size >= MAX_CACHED) cache.clear();
        cache.set(key, found);
      }
      return found;
    },
  };
}
