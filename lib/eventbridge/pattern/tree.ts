import { isObject } from '../../untrusted/json.js';
import { parseCidr, parseIp, type CidrBlock, type IpAddress } from './cidr.js';
import { childPath, describe, fail, indexPath, requireString } from './errors.js';
import { parseNumericRange, requirePatternNumber, type NumericRange } from './numeric.js';
import { parseWildcard, type WildcardToken } from './wildcard.js';

/**
 * The pattern language parsed once into a typed tree. Everything that reads a pattern (the matcher in
 * compile.ts, the Athena SQL in lib/hunt/) starts from this tree, so they accept and reject exactly the
 * same patterns, with the same InvalidPatternError and JSON path.
 *
 * The shape follows EventBridge's matcher (event-ruler): fields are keyed by their flattened path
 * (`{"a": {"b": [1]}}` and `{"a.b": [1]}` are the same field), and `$or` is expanded into branches, so a
 * later field with the same path replaces an earlier one within each branch.
 */

export type EventPattern = { [key: string]: unknown };

/** Our cap on `$or` expansion, so a small pattern cannot turn into millions of branches. */
export const MAX_OR_BRANCHES = 1024;

/** String tests that `anything-but` can also negate. */
export type StringMatcher =
  | { op: 'prefix' | 'suffix'; text: string; ignoreCase: boolean }
  | { op: 'equals-ignore-case'; text: string }
  | { op: 'wildcard'; text: string; tokens: readonly WildcardToken[] };

export type MatcherNode =
  /** An exact value; `ip` is set when a string is an IP address (matched in any spelling). */
  | { op: 'exact'; value: string | number | boolean | null; ip?: IpAddress }
  | StringMatcher
  | { op: 'numeric'; range: NumericRange; bounds: ReadonlyArray<readonly [string, number]> }
  | { op: 'cidr'; text: string; block: CidrBlock }
  | { op: 'exists'; value: boolean }
  /** Matches any leaf none of `excluded` matches (null included), never a missing field. */
  | { op: 'anything-but'; excluded: ReadonlyArray<{ op: 'exact'; value: string | number } | StringMatcher> };

export interface FieldNode {
  /** The flattened event path, dot-joined. */
  path: string;
  /** Where the field's list is in the pattern, for messages. */
  where: string;
  /** Alternatives: the field matches when a leaf satisfies any of them. */
  matchers: readonly MatcherNode[];
}

export interface PatternTree {
  /** A frozen copy of the pattern as given. */
  pattern: EventPattern;
  /** The pattern matches when every field of some branch does. Fields shared by branches are the same object. */
  branches: ReadonlyArray<readonly FieldNode[]>;
}

/** Names event-ruler reserves: not usable as field names inside `$or`. */
const RESERVED_IN_OR = new Set([
  'exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr',
  '=', '<', '<=', '>', '>=', 'regex', 'not-wildcard', 'not-equals-ignore-case', 'date-after', 'date-on-or-after',
  'date-before', 'date-on-or-before', 'in-date-range', 'ip-address-in-range', 'ip-address-not-in-range',
]);

const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr'];

// ---------------------------------------------------------------------------------------------------
// Leaves

function stringOrIgnoreCase(arg: unknown, path: string, op: string): { text: string; ignoreCase: boolean } {
  if (typeof arg === 'string') return { text: arg, ignoreCase: false };
  if (isObject(arg)) {
    const keys = Object.keys(arg);
    if (keys.length === 1 && keys[0] === 'equals-ignore-case') {
      return { text: requireString(arg['equals-ignore-case'], childPath(path, 'equals-ignore-case'), 'equals-ignore-case'), ignoreCase: true };
    }
  }
  return fail(path, `${op} takes a string or {"equals-ignore-case": string}, got ${describe(arg)}`);
}

/** A string or a non-empty list of strings, as anything-but's object forms take. */
function stringList(arg: unknown, path: string, what: string, allowEmptyString: boolean): Array<{ text: string; where: string }> {
  const list = typeof arg === 'string' ? [arg] : arg;
  if (!Array.isArray(list)) fail(path, `${what} takes a string or a list of strings, got ${describe(arg)}`);
  if (list.length === 0) fail(path, `${what} list must not be empty`);
  return list.map((item: unknown, i) => {
    const where = Array.isArray(arg) ? indexPath(path, i) : path;
    const text = requireString(item, where, `each ${what} value`);
    if (!allowEmptyString && text === '') fail(where, `${what} must not be empty`);
    return { text, where };
  });
}

function excludedValues(arg: unknown, path: string): MatcherNode {
  const list: unknown[] = Array.isArray(arg) ? arg : [arg];
  if (list.length === 0) fail(path, 'anything-but list must not be empty');
  let strings = 0;
  let numbers = 0;
  const excluded = list.map((item, i) => {
    const where = Array.isArray(arg) ? indexPath(path, i) : path;
    if (typeof item === 'string') {
      strings++;
      return { op: 'exact' as const, value: item };
    }
    if (typeof item === 'number') {
      numbers++;
      return { op: 'exact' as const, value: requirePatternNumber(item, where, 'anything-but value') };
    }
    return fail(where, `anything-but values must be strings or numbers, got ${describe(item)}`);
  });
  if (strings > 0 && numbers > 0) fail(path, 'anything-but list must be all strings or all numbers, not mixed');
  return { op: 'anything-but', excluded };
}

function parseAnythingBut(arg: unknown, path: string): MatcherNode {
  if (typeof arg === 'string' || typeof arg === 'number' || Array.isArray(arg)) return excludedValues(arg, path);
  if (!isObject(arg)) {
    fail(path, `anything-but takes a string, a number, a list of either, or an object with prefix, suffix, equals-ignore-case or wildcard; got ${describe(arg)}`);
  }
  const keys = Object.keys(arg);
  const [op] = keys;
  if (op === undefined || keys.length !== 1) fail(path, `anything-but takes an object with exactly one key, got ${keys.length}`);
  const where = childPath(path, op);
  const value = arg[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
      return { op: 'anything-but', excluded: stringList(value, where, `anything-but ${op}`, false).map(({ text }) => ({ op, text, ignoreCase: false })) };
    case 'equals-ignore-case':
      return { op: 'anything-but', excluded: stringList(value, where, 'anything-but equals-ignore-case', true).map(({ text }) => ({ op, text })) };
    case 'wildcard':
      return {
        op: 'anything-but',
        excluded: stringList(value, where, 'anything-but wildcard', true).map(({ text, where: at }) => ({ op, text, tokens: parseWildcard(text, at) })),
      };
    default:
      return fail(where, `anything-but does not support "${op}"; use prefix, suffix, equals-ignore-case or wildcard`);
  }
}

function parseOperator(matcher: Record<string, unknown>, path: string): MatcherNode {
  const keys = Object.keys(matcher);
  const [op] = keys;
  if (op === undefined) fail(path, 'an operator object must have one key, e.g. {"prefix": "..."}; got {}');
  if (keys.length > 1) fail(path, `an operator object takes exactly one key, got ${keys.map((k) => `"${k}"`).join(', ')}`);
  const arg = matcher[op];
  const where = childPath(path, op);
  switch (op) {
    case 'prefix':
    case 'suffix': {
      const { text, ignoreCase } = stringOrIgnoreCase(arg, where, op);
      return { op, text, ignoreCase };
    }
    case 'equals-ignore-case':
      return { op, text: requireString(arg, where, 'equals-ignore-case') };
    case 'wildcard': {
      const text = requireString(arg, where, 'wildcard');
      return { op, text, tokens: parseWildcard(text, where) };
    }
    case 'anything-but':
      return parseAnythingBut(arg, where);
    case 'numeric': {
      const range = parseNumericRange(arg, where);
      const list = arg as unknown[];
      const bounds: Array<readonly [string, number]> = [];
      for (let i = 0; i < list.length; i += 2) bounds.push([list[i] as string, list[i + 1] as number]);
      return { op, range, bounds };
    }
    case 'exists':
      if (typeof arg !== 'boolean') fail(where, `exists takes true or false, got ${describe(arg)}`);
      return { op, value: arg };
    case 'cidr': {
      const text = requireString(arg, where, 'cidr');
      return { op, text, block: parseCidr(text, where) };
    }
    default:
      return fail(path, `unknown operator "${op}" (operators are case-sensitive: ${OPERATORS.join(', ')})`);
  }
}

function parseMatchValue(item: unknown, path: string): MatcherNode {
  if (typeof item === 'string') {
    const ip = parseIp(item);
    return ip === null ? { op: 'exact', value: item } : { op: 'exact', value: item, ip };
  }
  if (typeof item === 'number') {
    if (!Number.isFinite(item)) fail(path, `${item} is not a JSON number`);
    return { op: 'exact', value: item };
  }
  if (typeof item === 'boolean' || item === null) return { op: 'exact', value: item };
  if (isObject(item)) return parseOperator(item, path);
  return fail(path, `a match value must be a string, number, boolean, null or operator object, got ${describe(item)}`);
}

/** One field's list of match values. */
export function parseField(list: readonly unknown[], eventPath: string, where: string): FieldNode {
  if (list.length === 0) fail(where, 'empty arrays are not allowed: list at least one value to match');
  return { path: eventPath, where, matchers: list.map((item, i) => parseMatchValue(item, indexPath(where, i))) };
}

// ---------------------------------------------------------------------------------------------------
// Structure

type Branch = Map<string, FieldNode>;

function addOr(value: unknown, prefix: string | null, where: string, branches: Branch[]): Branch[] {
  if (!Array.isArray(value) || value.length < 2) {
    fail(where, `$or takes an array of at least 2 pattern objects, got ${describe(value)}${Array.isArray(value) ? ` of ${value.length}` : ''}`);
  }
  const base = branches.length === 0 ? [new Map<string, FieldNode>()] : branches;
  const expanded: Branch[] = [];
  value.forEach((alternative: unknown, i) => {
    const at = indexPath(where, i);
    if (!isObject(alternative)) fail(at, `each $or alternative must be an object, got ${describe(alternative)}`);
    expanded.push(...addObject(alternative, prefix, at, base.map((branch) => new Map(branch)), true));
    if (expanded.length > MAX_OR_BRANCHES) fail(where, `$or expands to more than ${MAX_OR_BRANCHES} alternatives`);
  });
  return expanded;
}

function addObject(node: Record<string, unknown>, prefix: string | null, where: string, branches: Branch[], inOr: boolean): Branch[] {
  const keys = Object.keys(node);
  if (keys.length === 0) fail(where, 'empty objects are not allowed');
  let current = branches;
  for (const key of keys) {
    const value = node[key];
    const at = childPath(where, key);
    if (key === '$or') {
      current = addOr(value, prefix, at, current);
      continue;
    }
    if (inOr && RESERVED_IN_OR.has(key)) fail(at, `"${key}" is a reserved word and cannot be a field name inside $or`);
    const eventPath = prefix === null ? key : `${prefix}.${key}`;
    if (isObject(value)) {
      current = addObject(value, eventPath, at, current, inOr);
    } else if (Array.isArray(value)) {
      const field = parseField(value, eventPath, at);
      if (current.length === 0) current = [new Map()];
      for (const branch of current) branch.set(eventPath, field);
    } else {
      fail(at, `"${key}" must be an object or an array of match values, got ${describe(value)}`);
    }
  }
  return current;
}

// Copies that cannot change under us, without losing keys such as "__proto__".

export function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function frozenCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy));
  if (isObject(value)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) defineKey(copy, key, frozenCopy(value[key]));
    return Object.freeze(copy);
  }
  return value;
}

/** Validates a pattern the way EventBridge does (throws InvalidPatternError) and returns its tree. */
export function parsePattern(pattern: unknown): PatternTree {
  if (!isObject(pattern)) fail('', `an event pattern must be a JSON object, got ${describe(pattern)}`);
  const branches = addObject(pattern, null, '', [], false).map((branch) => [...branch.values()]);
  return { pattern: frozenCopy(pattern) as EventPattern, branches };
}
