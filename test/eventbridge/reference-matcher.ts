import type { FieldNode, MatcherNode, PatternTree } from '../../lib/eventbridge/pattern.js';

/**
 * A deliberately slow, obviously-shaped model of EventBridge matching, written from event-ruler's
 * behaviour (its Finder/ACFinder, ArrayMembership and EqualsIgnoreCaseParser), for differential tests
 * of the fast matcher. It shares only the parsed tree with it: flattening, array consistency, absence
 * and every operator are implemented again, differently (regular expressions, brute force).
 * Not for IP-address spellings or CIDR: those are pinned by the AWS-recorded conformance cases.
 */

interface FlatLeaf {
  path: string;
  value: string | number | boolean | null;
  /** For each array the leaf sits in (by identity), which element. */
  trail: Map<unknown, number>;
}

export function flatten(event: unknown): FlatLeaf[] {
  const out: FlatLeaf[] = [];
  const walk = (node: unknown, path: string, trail: Map<unknown, number>) => {
    if (Array.isArray(node)) {
      node.forEach((el, i) => walk(el, path, new Map(trail).set(node, i)));
    } else if (node !== null && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, path === '' ? k : `${path}.${k}`, trail);
    } else if (node === null || ['string', 'number', 'boolean'].includes(typeof node)) {
      if (path !== '') out.push({ path, value: node as FlatLeaf['value'], trail });
    }
  };
  walk(event, '', new Map());
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** event-ruler's folding as a regular expression: each pattern unit is (its lower case | its upper case). */
function foldedSource(text: string): string {
  return [...Array(text.length).keys()]
    .map((i) => {
      const unit = text[i] as string;
      const fix = (s: string) => (/[\ud800-\udfff]/.test(s) ? '?' : s);
      return `(?:${escapeRegExp(fix(unit.toLowerCase()))}|${escapeRegExp(fix(unit.toUpperCase()))})`;
    })
    .join('');
}

function wildcardSource(tokens: ReadonlyArray<{ star: boolean; char: string }>): string {
  return tokens.map((t) => (t.star ? '[\\s\\S]*' : escapeRegExp(t.char))).join('');
}

function stringOp(m: Exclude<MatcherNode, { op: 'exact' | 'numeric' | 'cidr' | 'exists' | 'anything-but' }>, s: string): boolean {
  switch (m.op) {
    case 'prefix':
      return m.ignoreCase ? new RegExp(`^${foldedSource(m.text)}`).test(s) : s.slice(0, m.text.length) === m.text;
    case 'suffix':
      return m.ignoreCase ? new RegExp(`${foldedSource(m.text)}$`).test(s) : s.length >= m.text.length && s.slice(s.length - m.text.length) === m.text;
    case 'equals-ignore-case':
      return new RegExp(`^${foldedSource(m.text)}$`).test(s);
    case 'wildcard':
      return new RegExp(`^${wildcardSource(m.tokens)}$`).test(s);
  }
}

function leafMatches(m: MatcherNode, v: FlatLeaf['value']): boolean {
  switch (m.op) {
    case 'exact':
      return v === m.value;
    case 'numeric': {
      if (typeof v !== 'number' || Math.abs(v) > 5e9) return false;
      const r = m.range;
      return (r.lowInclusive ? v >= r.low : v > r.low) && (r.highInclusive ? v <= r.high : v < r.high);
    }
    case 'exists':
      return m.value;
    case 'cidr':
      throw new Error('the reference model does not do CIDR');
    case 'anything-but':
      return !m.excluded.some((e) => (e.op === 'exact' ? e.value === v : typeof v === 'string' && stringOp(e, v)));
    default:
      return typeof v === 'string' && stringOp(m, v);
  }
}

function consistent(trails: ReadonlyArray<Map<unknown, number>>): boolean {
  const seen = new Map<unknown, number>();
  for (const t of trails) {
    for (const [array, index] of t) {
      const prior = seen.get(array);
      if (prior !== undefined && prior !== index) return false;
      seen.set(array, index);
    }
  }
  return true;
}

function branchMatches(fields: readonly FieldNode[], leaves: readonly FlatLeaf[]): boolean {
  const choices: FlatLeaf[][] = [];
  for (const f of fields) {
    const atPath = leaves.filter((l) => l.path === f.path);
    const absentOk = f.matchers.some((m) => m.op === 'exists' && !m.value) && atPath.length === 0;
    const candidates = atPath.filter((l) => f.matchers.some((m) => !(m.op === 'exists' && !m.value) && leafMatches(m, l.value)));
    if (absentOk) continue; // nothing at the path: the field holds and pins no element
    if (candidates.length === 0) return false;
    choices.push(candidates);
  }
  // Brute force: some choice of one leaf per field whose array elements agree.
  const pick = (i: number, chosen: Array<Map<unknown, number>>): boolean => {
    if (i === choices.length) return consistent(chosen);
    return (choices[i] ?? []).some((leaf) => pick(i + 1, [...chosen, leaf.trail]));
  };
  return pick(0, []);
}

export function referenceMatches(tree: PatternTree, event: unknown): boolean {
  const leaves = flatten(event);
  return tree.branches.some((b) => branchMatches(b, leaves));
}
