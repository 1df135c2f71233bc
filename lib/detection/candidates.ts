import type { TrailEvent } from '../cloudtrail/types.js';
import type { CompiledRule } from './evaluate.js';
import { parsePattern, type CompiledPattern, type FieldNode, type MatcherNode, type PatternTree } from '../eventbridge/pattern.js';
import { compileTree } from '../eventbridge/pattern/match.js';

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
  /** The same from the three values themselves (replay asks before it builds an envelope). */
  rulesForNames(source: string, detailType: string, eventName: string): readonly CompiledRule[];
  /**
   * What is left to test of a candidate's pattern once the index has chosen it for plain string
   * values of its three fields: a one-branch pattern without the fields the index tested exactly
   * (replay's triage tries the rest on a light view). Anything else: the rule's own pattern.
   */
  residualOf(rule: CompiledRule): CompiledPattern;
  /**
   * The same residual rooted at `detail` when it reads nothing else (the common case): matched on the
   * CloudTrail record itself, `{detail: record}` needs neither building nor its own level of lookups.
   * Undefined when the residual reads other fields too.
   */
  residualInDetailOf(rule: CompiledRule): CompiledPattern | undefined;
}

const DETAIL = 'detail.';

/**
 * A pattern's fields under `detail`, as a pattern on the detail itself. An envelope {detail: d} and
 * nothing else has at `detail.p` exactly the leaves d has at `p` (the envelope has no other key that
 * flattens to that path), and `exists: false` and array consistency only look at those leaves: so
 * the two match the same events.
 */
function inDetail(tree: PatternTree, branch: readonly FieldNode[]): CompiledPattern | undefined {
  if (!branch.every((field) => field.path.startsWith(DETAIL) && field.path.length > DETAIL.length)) return undefined;
  return compileTree({ pattern: tree.pattern, branches: [branch.map((field) => ({ ...field, path: field.path.slice(DETAIL.length) }))] });
}

interface Residual {
  pattern: CompiledPattern;
  inDetail: CompiledPattern | undefined;
}

/** A one-branch pattern's other fields, compiled; the pattern itself when the index cannot vouch for its three. */
function residualPattern(compiled: CompiledRule): Residual {
  let tree: PatternTree;
  try {
    tree = parsePattern(compiled.rule.pattern);
  } catch {
    return { pattern: compiled.pattern, inDetail: undefined };
  }
  const [branch, ...more] = tree.branches;
  if (branch === undefined || more.length > 0) return { pattern: compiled.pattern, inDetail: undefined };
  const tested = (field: FieldNode): boolean => (FIELDS as readonly string[]).includes(field.path) && fieldTest(field) !== null;
  const rest = branch.filter((field) => !tested(field));
  return { pattern: compileTree({ pattern: tree.pattern, branches: [rest] }), inDetail: inDetail(tree, rest) };
}

export function createCandidateIndex(rules: readonly CompiledRule[]): CandidateIndex {
  const branches = rules.map(branchesOf);
  const select = (values: readonly string[]): CompiledRule[] =>
    rules.filter((_, i) => (branches[i] as Branch[]).some((b) => b.tests.every((test, f) => test === null || test(values[f] as string))));
  // Nested by field rather than one joined key: no string is built per event.
  let cache = new Map<string, Map<string, Map<string, readonly CompiledRule[]>>>();
  let cached = 0;
  const rulesForNames = (source: string, detailType: string, name: string): readonly CompiledRule[] => {
    let byType = cache.get(source);
    let byName = byType?.get(detailType);
    const found = byName?.get(name);
    if (found !== undefined) return found;
    const selected = select([source, detailType, name]);
    if (cached >= MAX_CACHED) {
      cache = new Map();
      cached = 0;
      byType = undefined;
      byName = undefined;
    }
    if (byType === undefined) cache.set(source, (byType = new Map()));
    if (byName === undefined) byType.set(detailType, (byName = new Map()));
    byName.set(name, selected);
    cached += 1;
    return selected;
  };

  // Built on first use: only replay's triage asks, and only for the rules it meets as candidates.
  const residuals = new Map<CompiledRule, Residual>();
  const residual = (rule: CompiledRule): Residual => {
    let found = residuals.get(rule);
    if (found === undefined) {
      found = residualPattern(rule);
      residuals.set(rule, found);
    }
    return found;
  };
  return {
    rulesForNames,
    residualOf: (rule) => residual(rule).pattern,
    residualInDetailOf: (rule) => residual(rule).inDetail,
    rulesFor(event) {
      const source: unknown = event.source;
      const detailType: unknown = event['detail-type'];
      const name: unknown = (event.detail as { eventName?: unknown }).eventName;
      if (typeof source !== 'string' || typeof detailType !== 'string' || typeof name !== 'string' || Object.hasOwn(event, 'detail.eventName')) return rules;
      return rulesForNames(source, detailType, name);
    },
  };
}
