/**
 * A local EventBridge event-pattern matcher: validates a pattern the way EventBridge does, compiles it
 * once, then matches events without allocating in the common case.
 *
 * Semantics follow EventBridge (whose matching engine is AWS's open-source event-ruler) and are checked
 * against recorded AWS results in test/fixtures/conformance. In short:
 * - The event is seen as flattened leaves: `{"a": {"b": 1}}` and `{"a.b": 1}` both have the leaf `a.b`;
 *   arrays are transparent (every element is a candidate). Objects and empty arrays are not leaves, so
 *   `exists: true` never matches them.
 * - A field matches when some leaf at its path satisfies one of its matchers; a pattern (or one `$or`
 *   branch) matches when every field does. Leaves used for one branch must come from the same element
 *   of any array they share ("array consistency").
 * - Types are strict: the number 5 is not the string "5"; string operators never match numbers;
 *   `anything-but` matches any leaf that is not excluded, including null, but never a missing field.
 *
 * Deliberate limits, documented where AWS publishes none:
 * - Wildcards: at most MAX_WILDCARD_COMPLEXITY simultaneously live matcher states (see
 *   wildcardComplexity); AWS rejects complex wildcards as "Rule is too complex" without a published limit.
 * - `$or`: at most MAX_OR_BRANCHES branches after expanding nested `$or`s.
 * - Numbers are JS doubles: exact numbers compare numerically (300 equals 300.0), also beyond the numeric
 *   range where AWS compares their text; event numbers with more than 6 decimals compare at full precision.
 */

export type EventPattern = { [key: string]: unknown };

export class InvalidPatternError extends Error {
  override readonly name = 'InvalidPatternError';
  /** Where in the pattern, e.g. `detail.eventName[0].prefix`; empty for the pattern itself. */
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string) {
    super(`Invalid event pattern at ${path === '' ? '(pattern)' : path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

export interface CompiledPattern {
  readonly pattern: EventPattern;
  matches(event: unknown): boolean;
}

/** EventBridge's limit on the EventPattern text. */
export const MAX_PATTERN_LENGTH = 2048;
/** EventBridge numeric matching range (inclusive) and precision. */
export const NUMERIC_LIMIT = 5e9;
export const MAX_NUMERIC_DECIMALS = 6;
/** Our stand-in for AWS's unpublished wildcard complexity limit (see wildcardComplexity). */
export const MAX_WILDCARD_COMPLEXITY = 10;
/** Our cap on `$or` expansion, so a small pattern cannot turn into millions of branches. */
export const MAX_OR_BRANCHES = 1024;

type Leaf = string | number | boolean | null;
type LeafTest = (value: Leaf) => boolean;
type StringTest = (value: string) => boolean;
type NumberTest = (value: number) => boolean;

/** Names event-ruler reserves: not usable as field names inside `$or`. */
const RESERVED_IN_OR = new Set([
  'exactly', 'equals-ignore-case', 'prefix', 'suffix', 'anything-but', 'exists', 'wildcard', 'numeric', 'cidr',
  '=', '<', '<=', '>', '>=', 'regex', 'not-wildcard', 'not-equals-ignore-case', 'date-after', 'date-on-or-after',
  'date-before', 'date-on-or-before', 'in-date-range', 'ip-address-in-range', 'ip-address-not-in-range',
]);

const OPERATORS = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr'];

// ---------------------------------------------------------------------------------------------------
// Small helpers

function fail(path: string, reason: string): never {
  throw new InvalidPatternError(path, reason);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function childPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

function requireString(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string') fail(path, `${what} must be a string, got ${describe(value)}`);
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Numbers

/** Decimal places in the shortest round-trip spelling of n (what the pattern author wrote, for JSON). */
function decimalPlaces(n: number): number {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(n)));
  if (match === null) return 0;
  const fraction = match[2]?.length ?? 0;
  const exponent = match[3] === undefined ? 0 : Number(match[3]);
  return Math.max(0, fraction - exponent);
}

function requirePatternNumber(value: unknown, path: string, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, `${what} must be a number, got ${describe(value)}`);
  if (value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) {
    fail(path, `${value} is outside EventBridge's numeric range of -5e9 to 5e9`);
  }
  if (decimalPlaces(value) > MAX_NUMERIC_DECIMALS) {
    fail(path, `${value} has more than ${MAX_NUMERIC_DECIMALS} decimal places, EventBridge's numeric precision`);
  }
  return value;
}

const COMPARATORS = new Set(['=', '<', '<=', '>', '>=']);

interface NumericRange {
  low: number;
  lowInclusive: boolean;
  high: number;
  highInclusive: boolean;
}

function singleComparison(op: string, n: number): NumericRange {
  switch (op) {
    case '=': return { low: n, lowInclusive: true, high: n, highInclusive: true };
    case '>': return { low: n, lowInclusive: false, high: Infinity, highInclusive: false };
    case '>=': return { low: n, lowInclusive: true, high: Infinity, highInclusive: false };
    case '<': return { low: -Infinity, lowInclusive: false, high: n, highInclusive: false };
    default: return { low: -Infinity, lowInclusive: false, high: n, highInclusive: true };
  }
}

function parseNumericRange(arg: unknown, path: string): NumericRange {
  const usage = 'numeric takes [op, number] with op one of =, <, <=, >, >=, or a range like [">", 0, "<=", 5]';
  if (!Array.isArray(arg)) fail(path, `${usage}; got ${describe(arg)}`);
  if (arg.length !== 2 && arg.length !== 4) fail(path, `${usage}; got ${arg.length} element(s)`);
  const op = arg[0];
  if (typeof op !== 'string' || !COMPARATORS.has(op)) fail(indexPath(path, 0), `unknown numeric operator ${describe(op)}`);
  const first = requirePatternNumber(arg[1], indexPath(path, 1), `the value after "${op}"`);
  if (arg.length === 2) return singleComparison(op, first);

  if (op !== '>' && op !== '>=') fail(indexPath(path, 0), `a numeric range starts with ">" or ">=", got "${op}"`);
  const upperOp = arg[2];
  if (upperOp !== '<' && upperOp !== '<=') {
    fail(indexPath(path, 2), `a numeric range ends with "<" or "<=", got ${describe(upperOp)}`);
  }
  const second = requirePatternNumber(arg[3], indexPath(path, 3), `the value after "${upperOp}"`);
  if (first >= second) fail(path, `the lower bound ${first} must be less than the upper bound ${second}`);
  return { low: first, lowInclusive: op === '>=', high: second, highInclusive: upperOp === '<=' };
}

function numericTest(range: NumericRange): NumberTest {
  const { low, lowInclusive, high, highInclusive } = range;
  // Event numbers outside EventBridge's numeric range never satisfy a numeric condition there.
  return (n) =>
    n >= -NUMERIC_LIMIT && n <= NUMERIC_LIMIT &&
    (lowInclusive ? n >= low : n > low) &&
    (highInclusive ? n <= high : n < high);
}

// ---------------------------------------------------------------------------------------------------
// IP addresses and CIDR blocks. IPv4 is a uint32 number, IPv6 eight 16-bit words.

type IpAddress = number | Uint16Array;

function parseIpv4(text: string): number | null {
  let value = 0;
  let octets = 0;
  let i = 0;
  while (octets < 4) {
    const start = i;
    let octet = 0;
    while (i < text.length && i - start < 4) {
      const code = text.charCodeAt(i);
      if (code < 48 || code > 57) break;
      octet = octet * 10 + (code - 48);
      i++;
    }
    const digits = i - start;
    // Leading zeros are rejected: modern Java (and so AWS) treats them as ambiguous octal.
    if (digits === 0 || digits > 3 || octet > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return null;
    value = value * 256 + octet;
    octets++;
    if (octets < 4) {
      if (text.charCodeAt(i) !== 46) return null;
      i++;
    }
  }
  return i === text.length ? value : null;
}

function parseHexGroups(text: string): number[] | null {
  if (text === '') return [];
  const groups: number[] = [];
  for (const group of text.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    groups.push(parseInt(group, 16));
  }
  return groups;
}

/** IPv6 in hex-and-colons form only (no embedded dotted quad), as AWS recognises it. */
function parseIpv6(text: string): IpAddress | null {
  if (!/^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/.test(text)) return null;
  const gap = text.indexOf('::');
  let words: number[];
  if (gap < 0) {
    const groups = parseHexGroups(text);
    if (groups === null || groups.length !== 8) return null;
    words = groups;
  } else {
    if (text.indexOf('::', gap + 1) >= 0) return null;
    const head = parseHexGroups(text.slice(0, gap));
    const tail = parseHexGroups(text.slice(gap + 2));
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  // Java turns IPv4-mapped IPv6 (::ffff:a.b.c.d written in hex) into the IPv4 address.
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return (words[6] ?? 0) * 65536 + (words[7] ?? 0);
  }
  return Uint16Array.from(words);
}

function parseIp(text: string): IpAddress | null {
  return parseIpv4(text) ?? parseIpv6(text);
}

function ipv4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function ipv6Masks(bits: number): Uint16Array {
  const masks = new Uint16Array(8);
  for (let i = 0; i < 8; i++) {
    const wordBits = Math.max(0, Math.min(16, bits - i * 16));
    masks[i] = wordBits === 0 ? 0 : (0xffff << (16 - wordBits)) & 0xffff;
  }
  return masks;
}

function ipInBlockTest(base: IpAddress, bits: number): StringTest {
  if (typeof base === 'number') {
    const mask = ipv4Mask(bits);
    const network = (base & mask) >>> 0;
    return (s) => {
      const ip = parseIp(s);
      return typeof ip === 'number' && ((ip & mask) >>> 0) === network;
    };
  }
  const masks = ipv6Masks(bits);
  const network = base.map((word, i) => word & (masks[i] ?? 0));
  return (s) => {
    const ip = parseIp(s);
    if (ip === null || typeof ip === 'number') return false;
    for (let i = 0; i < 8; i++) {
      if (((ip[i] ?? 0) & (masks[i] ?? 0)) !== network[i]) return false;
    }
    return true;
  };
}

function compileCidr(text: string, path: string): StringTest {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) {
    fail(path, `${JSON.stringify(text)} is not a CIDR block like "10.0.0.0/24" or "2001:db8::/32"`);
  }
  const address = parseIp(text.slice(0, slash));
  if (address === null) fail(path, `${JSON.stringify(text.slice(0, slash))} is not an IPv4 or IPv6 address`);
  const bitsText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) fail(path, `the prefix length ${JSON.stringify(bitsText)} is not a number`);
  const bits = Number(bitsText);
  // EventBridge rejects a full-length prefix (/32, /128): a single address is an exact string match.
  const maxBits = typeof address === 'number' ? 31 : 127;
  if (bits > maxBits) {
    fail(path, `the prefix length must be at most ${maxBits} for this address; match one address with an exact string`);
  }
  return ipInBlockTest(address, bits);
}

function ipKey(address: IpAddress): number | string {
  return typeof address === 'number' ? address : address.join(':');
}

/** EventBridge treats a pattern string that is an IP address as that address in any spelling. */
function ipEqualsTest(addresses: readonly IpAddress[]): StringTest | null {
  if (addresses.length === 0) return null;
  const keys = new Set(addresses.map(ipKey));
  return (s) => {
    const ip = parseIp(s);
    return ip !== null && keys.has(ipKey(ip));
  };
}

// ---------------------------------------------------------------------------------------------------
// Wildcards

interface WildcardToken {
  star: boolean;
  char: string;
}

function tokenizeWildcard(text: string, path: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (c === '*') {
      if (text[i + 1] === '*') fail(path, `consecutive wildcard characters "**" at position ${i} are not allowed`);
      tokens.push({ star: true, char: '' });
    } else if (c === '\\') {
      const next = text[i + 1];
      if (next !== '*' && next !== '\\') fail(path, `invalid escape at position ${i}: only \\* and \\\\ are allowed`);
      tokens.push({ star: false, char: next });
      i++;
    } else {
      tokens.push({ star: false, char: c });
    }
  }
  return tokens;
}

function epsilonClosure(tokens: readonly WildcardToken[], states: Set<number>): Set<number> {
  const pending = [...states];
  while (pending.length > 0) {
    const state = pending.pop() ?? 0;
    if (tokens[state]?.star === true && !states.has(state + 1)) {
      states.add(state + 1);
      pending.push(state + 1);
    }
  }
  return states;
}

/**
 * The largest number of matcher states one input string can keep alive at once in the wildcard's
 * nondeterministic automaton (state i = "the first i tokens are matched"). It grows with the number of
 * wildcards and with repeated character sequences after a wildcard, the two things AWS's "Rule is too
 * complex" message names. Returns Infinity when the automaton is too large to explore.
 */
export function wildcardComplexity(text: string): number {
  return automatonWidth(tokenizeWildcard(text, 'wildcard'));
}

function automatonWidth(tokens: readonly WildcardToken[]): number {
  const alphabet = [...new Set(tokens.filter((t) => !t.star).map((t) => t.char)), null];
  const key = (states: Set<number>): string => [...states].sort((a, b) => a - b).join(',');
  const start = epsilonClosure(tokens, new Set([0]));
  const seen = new Set([key(start)]);
  const queue = [start];
  let widest = start.size;
  for (let head = 0; head < queue.length; head++) {
    if (seen.size > 20_000) return Infinity;
    const states = queue[head] ?? new Set<number>();
    for (const char of alphabet) {
      const next = new Set<number>();
      for (const state of states) {
        const token = tokens[state];
        if (token === undefined) continue;
        if (token.star) next.add(state);
        else if (token.char === char) next.add(state + 1);
      }
      const closed = epsilonClosure(tokens, next);
      const id = key(closed);
      if (closed.size === 0 || seen.has(id)) continue;
      seen.add(id);
      widest = Math.max(widest, closed.size);
      queue.push(closed);
    }
  }
  return widest;
}

function compileWildcard(text: string, path: string): StringTest {
  const tokens = tokenizeWildcard(text, path);
  const complexity = automatonWidth(tokens);
  if (complexity > MAX_WILDCARD_COMPLEXITY) {
    fail(path, `wildcard ${JSON.stringify(text)} is too complex (complexity ${complexity}, limit ${MAX_WILDCARD_COMPLEXITY}): ` +
      'use fewer wildcard characters or fewer repeating character sequences after a wildcard');
  }
  const segments: string[] = [''];
  for (const token of tokens) {
    if (token.star) segments.push('');
    else segments[segments.length - 1] += token.char;
  }
  const first = segments[0] ?? '';
  if (segments.length === 1) return (s) => s === first;
  const last = segments[segments.length - 1] ?? '';
  const middle = segments.slice(1, -1).filter((segment) => segment !== '');
  const minLength = segments.reduce((sum, segment) => sum + segment.length, 0);
  // With only `*`, matching each literal segment at its leftmost possible place is exact.
  return (s) => {
    if (s.length < minLength || !s.startsWith(first) || !s.endsWith(last)) return false;
    const end = s.length - last.length;
    let position = first.length;
    for (const segment of middle) {
      const found = s.indexOf(segment, position);
      if (found < 0 || found + segment.length > end) return false;
      position = found + segment.length;
    }
    return true;
  };
}

// ---------------------------------------------------------------------------------------------------
// Matchers of one field

/** A field of the pattern: a flattened path and what its leaves must satisfy. */
interface FieldSpec {
  path: string;
  /** Presence test for one leaf; null when the field only says exists:false. */
  test: LeafTest | null;
  /** `{"exists": false}` is one of the alternatives. */
  absent: boolean;
  /** Only exact values: cheap, usually decisive, so evaluated first. */
  exactOnly: boolean;
}

class FieldBuilder {
  readonly exactStrings: string[] = [];
  readonly exactIps: IpAddress[] = [];
  readonly exactNumbers: number[] = [];
  readonly ignoreCase: string[] = [];
  readonly stringTests: StringTest[] = [];
  readonly numberTests: NumberTest[] = [];
  readonly anyTests: LeafTest[] = [];
  acceptTrue = false;
  acceptFalse = false;
  acceptNull = false;
  existsTrue = false;
  existsFalse = false;
  operators = 0;
}

function anyOf<T>(tests: readonly ((value: T) => boolean)[]): ((value: T) => boolean) | null {
  const [only] = tests;
  if (only === undefined) return null;
  if (tests.length === 1) return only;
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
}

function setOrEquals<T>(values: readonly T[]): ((value: T) => boolean) | null {
  const [only] = values;
  if (only === undefined) return null;
  if (values.length === 1) return (value) => value === only;
  const set = new Set(values);
  return (value) => set.has(value);
}

function buildStringTest(b: FieldBuilder): StringTest | null {
  const tests: StringTest[] = [];
  const exact = setOrEquals(b.exactStrings);
  if (exact !== null) tests.push(exact);
  if (b.ignoreCase.length > 0) {
    const lowered = new Set(b.ignoreCase.map((s) => s.toLowerCase()));
    tests.push((s) => lowered.has(s.toLowerCase()));
  }
  const ips = ipEqualsTest(b.exactIps);
  if (ips !== null) tests.push(ips);
  tests.push(...b.stringTests);
  return anyOf(tests);
}

function buildNumberTest(b: FieldBuilder): NumberTest | null {
  const exact = setOrEquals(b.exactNumbers);
  return anyOf(exact === null ? b.numberTests : [exact, ...b.numberTests]);
}

function buildLeafTest(b: FieldBuilder): LeafTest | null {
  if (b.existsTrue) return () => true;
  const onString = buildStringTest(b);
  const onNumber = buildNumberTest(b);
  const onAny = anyOf(b.anyTests);
  const { acceptTrue, acceptFalse, acceptNull } = b;
  if (onString === null && onNumber === null && onAny === null && !acceptTrue && !acceptFalse && !acceptNull) return null;
  return (value) => {
    switch (typeof value) {
      case 'string':
        if (onString !== null && onString(value)) return true;
        break;
      case 'number':
        if (onNumber !== null && onNumber(value)) return true;
        break;
      case 'boolean':
        if (value ? acceptTrue : acceptFalse) return true;
        break;
      default:
        if (acceptNull) return true;
    }
    return onAny !== null && onAny(value);
  };
}

function stringOrIgnoreCase(arg: unknown, path: string, op: string): { text: string; ignoreCase: boolean } {
  if (typeof arg === 'string') return { text: arg, ignoreCase: false };
  if (isRecord(arg)) {
    const keys = Object.keys(arg);
    if (keys.length === 1 && keys[0] === 'equals-ignore-case') {
      return { text: requireString(arg['equals-ignore-case'], childPath(path, 'equals-ignore-case'), 'equals-ignore-case'), ignoreCase: true };
    }
  }
  return fail(path, `${op} takes a string or {"equals-ignore-case": string}, got ${describe(arg)}`);
}

function prefixTest(text: string, ignoreCase: boolean): StringTest {
  if (!ignoreCase) return (s) => s.startsWith(text);
  const lowered = text.toLowerCase();
  return (s) => s.toLowerCase().startsWith(lowered);
}

function suffixTest(text: string, ignoreCase: boolean): StringTest {
  if (!ignoreCase) return (s) => s.endsWith(text);
  const lowered = text.toLowerCase();
  return (s) => s.toLowerCase().endsWith(lowered);
}

/** A string or a non-empty list of strings, as anything-but's object forms take. */
function stringList(arg: unknown, path: string, what: string, allowEmptyString: boolean): string[] {
  const list = typeof arg === 'string' ? [arg] : arg;
  if (!Array.isArray(list)) fail(path, `${what} takes a string or a list of strings, got ${describe(arg)}`);
  if (list.length === 0) fail(path, `${what} list must not be empty`);
  return list.map((item: unknown, i) => {
    const where = Array.isArray(arg) ? indexPath(path, i) : path;
    const text = requireString(item, where, `each ${what} value`);
    if (!allowEmptyString && text === '') fail(where, `${what} must not be empty`);
    return text;
  });
}

function excludedValuesTest(arg: unknown, path: string): LeafTest {
  const list: unknown[] = Array.isArray(arg) ? arg : [arg];
  if (list.length === 0) fail(path, 'anything-but list must not be empty');
  const strings: string[] = [];
  const numbers: number[] = [];
  list.forEach((item, i) => {
    const where = Array.isArray(arg) ? indexPath(path, i) : path;
    if (typeof item === 'string') strings.push(item);
    else if (typeof item === 'number') numbers.push(requirePatternNumber(item, where, 'anything-but value'));
    else fail(where, `anything-but values must be strings or numbers, got ${describe(item)}`);
  });
  if (strings.length > 0 && numbers.length > 0) fail(path, 'anything-but list must be all strings or all numbers, not mixed');
  if (strings.length > 0) {
    const excluded = new Set(strings);
    return (v) => typeof v !== 'string' || !excluded.has(v);
  }
  const excluded = new Set(numbers);
  return (v) => typeof v !== 'number' || !excluded.has(v);
}

function excludedStringsTest(tests: readonly StringTest[]): LeafTest {
  const excluded = anyOf(tests) ?? (() => false);
  return (v) => typeof v !== 'string' || !excluded(v);
}

function compileAnythingBut(arg: unknown, path: string): LeafTest {
  if (typeof arg === 'string' || typeof arg === 'number' || Array.isArray(arg)) return excludedValuesTest(arg, path);
  if (!isRecord(arg)) {
    fail(path, `anything-but takes a string, a number, a list of either, or an object with prefix, suffix, equals-ignore-case or wildcard; got ${describe(arg)}`);
  }
  const keys = Object.keys(arg);
  const [op] = keys;
  if (op === undefined || keys.length !== 1) fail(path, `anything-but takes an object with exactly one key, got ${keys.length}`);
  const where = childPath(path, op);
  const value = arg[op];
  switch (op) {
    case 'prefix':
      return excludedStringsTest(stringList(value, where, 'anything-but prefix', false).map((p) => prefixTest(p, false)));
    case 'suffix':
      return excludedStringsTest(stringList(value, where, 'anything-but suffix', false).map((s) => suffixTest(s, false)));
    case 'equals-ignore-case': {
      const lowered = new Set(stringList(value, where, 'anything-but equals-ignore-case', true).map((s) => s.toLowerCase()));
      return (v) => typeof v !== 'string' || !lowered.has(v.toLowerCase());
    }
    case 'wildcard':
      return excludedStringsTest(stringList(value, where, 'anything-but wildcard', true).map((w, i) =>
        compileWildcard(w, Array.isArray(value) ? indexPath(where, i) : where)));
    default:
      return fail(where, `anything-but does not support "${op}"; use prefix, suffix, equals-ignore-case or wildcard`);
  }
}

function addOperator(b: FieldBuilder, matcher: Record<string, unknown>, path: string): void {
  const keys = Object.keys(matcher);
  const [op] = keys;
  if (op === undefined) fail(path, 'an operator object must have one key, e.g. {"prefix": "..."}; got {}');
  if (keys.length > 1) fail(path, `an operator object takes exactly one key, got ${keys.map((k) => `"${k}"`).join(', ')}`);
  const arg = matcher[op];
  const where = childPath(path, op);
  b.operators++;
  switch (op) {
    case 'prefix': {
      const { text, ignoreCase } = stringOrIgnoreCase(arg, where, 'prefix');
      b.stringTests.push(prefixTest(text, ignoreCase));
      return;
    }
    case 'suffix': {
      const { text, ignoreCase } = stringOrIgnoreCase(arg, where, 'suffix');
      b.stringTests.push(suffixTest(text, ignoreCase));
      return;
    }
    case 'equals-ignore-case':
      b.ignoreCase.push(requireString(arg, where, 'equals-ignore-case'));
      return;
    case 'wildcard':
      b.stringTests.push(compileWildcard(requireString(arg, where, 'wildcard'), where));
      return;
    case 'anything-but':
      b.anyTests.push(compileAnythingBut(arg, where));
      return;
    case 'numeric':
      b.numberTests.push(numericTest(parseNumericRange(arg, where)));
      return;
    case 'exists':
      if (typeof arg !== 'boolean') fail(where, `exists takes true or false, got ${describe(arg)}`);
      if (arg) b.existsTrue = true;
      else b.existsFalse = true;
      return;
    case 'cidr':
      b.stringTests.push(compileCidr(requireString(arg, where, 'cidr'), where));
      return;
    default:
      fail(path, `unknown operator "${op}" (operators are case-sensitive: ${OPERATORS.join(', ')})`);
  }
}

function addMatchValue(b: FieldBuilder, item: unknown, path: string): void {
  if (typeof item === 'string') {
    b.exactStrings.push(item);
    const address = parseIp(item);
    if (address !== null) b.exactIps.push(address);
  } else if (typeof item === 'number') {
    if (!Number.isFinite(item)) fail(path, `${item} is not a JSON number`);
    b.exactNumbers.push(item);
  } else if (typeof item === 'boolean') {
    if (item) b.acceptTrue = true;
    else b.acceptFalse = true;
  } else if (item === null) {
    b.acceptNull = true;
  } else if (isRecord(item)) {
    addOperator(b, item, path);
  } else {
    fail(path, `a match value must be a string, number, boolean, null or operator object, got ${describe(item)}`);
  }
}

function compileField(list: readonly unknown[], eventPath: string, where: string): FieldSpec {
  if (list.length === 0) fail(where, 'empty arrays are not allowed: list at least one value to match');
  const b = new FieldBuilder();
  list.forEach((item, i) => addMatchValue(b, item, indexPath(where, i)));
  return { path: eventPath, test: buildLeafTest(b), absent: b.existsFalse, exactOnly: b.operators === 0 };
}

// ---------------------------------------------------------------------------------------------------
// Pattern structure: fields by flattened path, `$or` expanded into branches (as event-ruler does, so a
// later field with the same path replaces an earlier one within each branch).

type Branch = Map<string, FieldSpec>;

function addOr(value: unknown, prefix: string | null, where: string, branches: Branch[]): Branch[] {
  if (!Array.isArray(value) || value.length < 2) {
    fail(where, `$or takes an array of at least 2 pattern objects, got ${describe(value)}${Array.isArray(value) ? ` of ${value.length}` : ''}`);
  }
  const base = branches.length === 0 ? [new Map<string, FieldSpec>()] : branches;
  const expanded: Branch[] = [];
  value.forEach((alternative: unknown, i) => {
    const at = indexPath(where, i);
    if (!isRecord(alternative)) fail(at, `each $or alternative must be an object, got ${describe(alternative)}`);
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
    if (isRecord(value)) {
      current = addObject(value, eventPath, at, current, inOr);
    } else if (Array.isArray(value)) {
      const field = compileField(value, eventPath, at);
      if (current.length === 0) current = [new Map()];
      for (const branch of current) branch.set(eventPath, field);
    } else {
      fail(at, `"${key}" must be an object or an array of match values, got ${describe(value)}`);
    }
  }
  return current;
}

// ---------------------------------------------------------------------------------------------------
// Matching

/** Array elements a leaf came from: (array, index) pairs from the leaf up to the root. */
interface Membership {
  readonly array: readonly unknown[];
  readonly index: number;
  readonly next: Membership | null;
}

/** A field ready to scan events: its path split on dots, with every dotted join precomputed. */
interface RuntimeField {
  readonly id: number;
  readonly segments: number;
  /** keys[i][j]: segments i..j joined with dots, since `{"a.b": 1}` also has the leaf `a.b`. */
  readonly keys: readonly (readonly string[])[];
  /** Keys also found on Object.prototype, which need an own-property check. */
  readonly inherited: readonly (readonly boolean[])[];
  readonly test: LeafTest | null;
  readonly absent: boolean;
}

const hasOwn = Object.prototype.hasOwnProperty;

function runtimeField(spec: FieldSpec, id: number): RuntimeField {
  const parts = spec.path.split('.');
  const keys = parts.map((_, i) => parts.map((__, j) => (j < i ? '' : parts.slice(i, j + 1).join('.'))));
  const inherited = keys.map((row) => row.map((key) => key in Object.prototype));
  return { id, segments: parts.length, keys, inherited, test: spec.test, absent: spec.absent };
}

function childValue(node: Record<string, unknown>, key: string, inherited: boolean): unknown {
  if (inherited && !hasOwn.call(node, key)) return undefined;
  return node[key];
}

// Results of the last scan; matching is synchronous, so module state avoids allocating per field.
let matchedOutsideArrays = false;
let matchedInArray = false;
let leafOutsideArrays = false;
let leafInArray = false;

function isLeaf(value: unknown): value is Leaf {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Returns true to stop scanning: the field's outcome no longer depends on other leaves. */
function scanValue(value: unknown, field: RuntimeField, inArray: boolean): boolean {
  if (Array.isArray(value)) {
    for (const element of value) if (scanValue(element, field, true)) return true;
    return false;
  }
  if (!isLeaf(value)) return false;
  if (inArray) leafInArray = true;
  else leafOutsideArrays = true;
  if (field.test === null) return !inArray;
  if (field.test(value)) {
    if (!inArray) {
      matchedOutsideArrays = true;
      return true;
    }
    matchedInArray = true;
  }
  return false;
}

function scanPath(node: unknown, field: RuntimeField, segment: number, inArray: boolean): boolean {
  if (segment === field.segments) return scanValue(node, field, inArray);
  if (Array.isArray(node)) {
    for (const element of node) if (scanPath(element, field, segment, true)) return true;
    return false;
  }
  if (typeof node !== 'object' || node === null) return false;
  const keys = field.keys[segment] ?? [];
  const inherited = field.inherited[segment] ?? [];
  for (let last = segment; last < field.segments; last++) {
    const child = childValue(node as Record<string, unknown>, keys[last] ?? '', inherited[last] ?? false);
    if (child !== undefined && scanPath(child, field, last + 1, inArray)) return true;
  }
  return false;
}

const SATISFIED = 1;
const FAILED = 2;
/** Only leaves inside arrays can satisfy the field: fine alone, but array consistency may matter. */
const MATCHED_IN_ARRAY = 3;
/** No leaf matches; exists:false holds only if the array elements chosen for other fields lack it. */
const ABSENT_IF_PINNED = 4;

function fieldStatus(field: RuntimeField, event: unknown): number {
  matchedOutsideArrays = false;
  matchedInArray = false;
  leafOutsideArrays = false;
  leafInArray = false;
  scanPath(event, field, 0, false);
  if (matchedOutsideArrays) return SATISFIED;
  if (field.absent && !leafOutsideArrays && !leafInArray) return SATISFIED;
  if (matchedInArray) return MATCHED_IN_ARRAY;
  if (field.absent && !leafOutsideArrays) return ABSENT_IF_PINNED;
  return FAILED;
}

interface Candidates {
  readonly field: RuntimeField;
  /** Memberships of matching leaves; null for a leaf outside any array. */
  readonly matching: (Membership | null)[];
  readonly all: (Membership | null)[];
}

function collectValue(value: unknown, field: RuntimeField, membership: Membership | null, out: Candidates): void {
  if (Array.isArray(value)) {
    value.forEach((element, index) => collectValue(element, field, { array: value, index, next: membership }, out));
    return;
  }
  if (!isLeaf(value)) return;
  out.all.push(membership);
  if (field.test !== null && field.test(value)) out.matching.push(membership);
}

function collectPath(node: unknown, field: RuntimeField, segment: number, membership: Membership | null, out: Candidates): void {
  if (segment === field.segments) {
    collectValue(node, field, membership, out);
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((element, index) => collectPath(element, field, segment, { array: node, index, next: membership }, out));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const keys = field.keys[segment] ?? [];
  const inherited = field.inherited[segment] ?? [];
  for (let last = segment; last < field.segments; last++) {
    const child = childValue(node as Record<string, unknown>, keys[last] ?? '', inherited[last] ?? false);
    if (child !== undefined) collectPath(child, field, last + 1, membership, out);
  }
}

type Pins = Map<readonly unknown[], number>;

function consistent(pins: Pins, membership: Membership | null): boolean {
  for (let m = membership; m !== null; m = m.next) {
    const pinned = pins.get(m.array);
    if (pinned !== undefined && pinned !== m.index) return false;
  }
  return true;
}

function pin(pins: Pins, membership: Membership | null): (readonly unknown[])[] {
  const added: (readonly unknown[])[] = [];
  for (let m = membership; m !== null; m = m.next) {
    if (!pins.has(m.array)) {
      pins.set(m.array, m.index);
      added.push(m.array);
    }
  }
  return added;
}

/**
 * The rare slow path: two or more fields can only be satisfied from inside arrays. Choose one leaf per
 * field so that leaves sharing an array come from the same element; an exists:false choice holds when
 * no leaf of that field lies in the chosen elements.
 */
function consistentChoice(candidates: readonly Candidates[], next: number, pins: Pins, absences: Candidates[]): boolean {
  const current = candidates[next];
  if (current === undefined) return absences.every((c) => c.all.every((m) => !consistent(pins, m)));
  for (const membership of current.matching) {
    if (!consistent(pins, membership)) continue;
    const added = pin(pins, membership);
    if (consistentChoice(candidates, next + 1, pins, absences)) return true;
    for (const array of added) pins.delete(array);
  }
  if (current.field.absent) {
    absences.push(current);
    if (consistentChoice(candidates, next + 1, pins, absences)) return true;
    absences.pop();
  }
  return false;
}

function slowPath(fields: readonly RuntimeField[], event: unknown): boolean {
  const candidates = fields.map((field) => {
    const out: Candidates = { field, matching: [], all: [] };
    collectPath(event, field, 0, null, out);
    return out;
  });
  return consistentChoice(candidates, 0, new Map(), []);
}

class Matcher implements CompiledPattern {
  readonly pattern: EventPattern;
  private readonly branches: readonly (readonly RuntimeField[])[];
  /** Per-call field results, shared by `$or` branches that repeat a field. */
  private readonly statuses: Uint8Array;

  constructor(pattern: EventPattern, branches: readonly (readonly RuntimeField[])[], fieldCount: number) {
    this.pattern = pattern;
    this.branches = branches;
    this.statuses = new Uint8Array(fieldCount);
  }

  matches(event: unknown): boolean {
    if (this.branches.length > 1) this.statuses.fill(0);
    for (const branch of this.branches) {
      if (this.branchMatches(branch, event)) return true;
    }
    return false;
  }

  private status(field: RuntimeField, event: unknown): number {
    if (this.branches.length === 1) return fieldStatus(field, event);
    const known = this.statuses[field.id] ?? 0;
    if (known !== 0) return known;
    const status = fieldStatus(field, event);
    this.statuses[field.id] = status;
    return status;
  }

  private branchMatches(fields: readonly RuntimeField[], event: unknown): boolean {
    let pending: RuntimeField[] | null = null;
    let pendingStatus = SATISFIED;
    for (const field of fields) {
      const status = this.status(field, event);
      if (status === FAILED) return false;
      if (status === SATISFIED) continue;
      (pending ??= []).push(field);
      pendingStatus = status;
    }
    if (pending === null) return true;
    // One array-dependent field is unconstrained by the others: any matching leaf will do.
    if (pending.length === 1) return pendingStatus === MATCHED_IN_ARRAY;
    return slowPath(pending, event);
  }
}

/** Exact-value fields first, then shallower paths: they reject most events cheapest. */
function evaluationOrder(a: FieldSpec, b: FieldSpec): number {
  if (a.exactOnly !== b.exactOnly) return a.exactOnly ? -1 : 1;
  return a.path.split('.').length - b.path.split('.').length;
}

// ---------------------------------------------------------------------------------------------------
// Copies that cannot change under us, without losing keys such as "__proto__".

function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function frozenCopy(value: unknown): unknown {
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy));
  if (isRecord(value)) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) defineKey(copy, key, frozenCopy(value[key]));
    return Object.freeze(copy);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------
// Public API

/** Validates (throws InvalidPatternError) and compiles once; `matches()` is then cheap per event. */
export function compilePattern(pattern: unknown): CompiledPattern {
  if (!isRecord(pattern)) fail('', `an event pattern must be a JSON object, got ${describe(pattern)}`);
  const branches = addObject(pattern, null, '', [], false);
  const ids = new Map<FieldSpec, RuntimeField>();
  const runtime = branches.map((branch) =>
    [...branch.values()].sort(evaluationOrder).map((spec) => {
      let field = ids.get(spec);
      if (field === undefined) {
        field = runtimeField(spec, ids.size);
        ids.set(spec, field);
      }
      return field;
    }));
  return new Matcher(frozenCopy(pattern) as EventPattern, runtime, ids.size);
}

/** Convenience for one-off checks; compile once with compilePattern on hot paths. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  return compilePattern(pattern).matches(event);
}

/** Throws InvalidPatternError when the pattern's JSON text is over EventBridge's limit. */
export function validatePatternSize(pattern: EventPattern): void {
  const length = JSON.stringify(pattern).length;
  if (length > MAX_PATTERN_LENGTH) {
    fail('', `the pattern is ${length} characters of JSON, over EventBridge's limit of ${MAX_PATTERN_LENGTH}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Pattern text. EventBridge reads the text as a stream: a repeated key does not simply replace the
// earlier one. Repeated objects merge, and a field set twice keeps the last list, as JSON.parse would.

type JsonNode = string | number | boolean | null | JsonNode[] | JsonObject;
type JsonObject = Map<string, JsonNode>;

function validateShadowed(key: string, value: JsonNode, where: string): void {
  // The replaced value was still read (and validated) by EventBridge.
  if (Array.isArray(value)) compileField(toPlain(value) as unknown[], key, childPath(where, key));
  else if (!(value instanceof Map)) fail(childPath(where, key), `"${key}" must be an object or an array of match values`);
}

function insertKey(target: JsonObject, key: string, value: JsonNode, where: string): void {
  const previous = target.get(key);
  if (previous === undefined) {
    target.set(key, value);
    return;
  }
  if (previous instanceof Map && value instanceof Map) {
    for (const [k, v] of value) insertKey(previous, k, v, childPath(where, key));
    return;
  }
  if (key === '$or' && Array.isArray(previous) && Array.isArray(value)) {
    // Two $or lists both apply: (a|b) and (c|d) is a&(c|d) | b&(c|d).
    target.set(key, previous.map((alternative) => {
      if (!(alternative instanceof Map)) return alternative;
      const copy: JsonObject = new Map(alternative);
      insertKey(copy, '$or', value, where);
      return copy;
    }));
    return;
  }
  const object = previous instanceof Map ? previous : value instanceof Map ? value : null;
  if (object !== null && !object.has('$or')) {
    // A list and an object under one key are different paths (`a` and `a.b`): keep both, dotted.
    const list = previous instanceof Map ? value : previous;
    target.delete(key);
    for (const [k, v] of object) insertKey(target, `${key}.${k}`, v, where);
    target.set(key, list);
    return;
  }
  validateShadowed(key, previous, where);
  target.delete(key);
  target.set(key, value);
}

class JsonTextParser {
  private position = 0;

  constructor(private readonly text: string) {}

  parseDocument(): JsonNode {
    const value = this.parseValue('');
    this.skipWhitespace();
    if (this.position < this.text.length) this.error('unexpected text after the pattern');
    return value;
  }

  private error(message: string): never {
    return fail('', `invalid JSON at offset ${this.position}: ${message}`);
  }

  private skipWhitespace(): void {
    while (this.position < this.text.length) {
      const c = this.text[this.position];
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return;
      this.position++;
    }
  }

  private expect(literal: string): void {
    if (!this.text.startsWith(literal, this.position)) this.error(`expected ${literal}`);
    this.position += literal.length;
  }

  private parseValue(where: string): JsonNode {
    this.skipWhitespace();
    const c = this.text[this.position];
    switch (c) {
      case '{': return this.parseObject(where);
      case '[': return this.parseArray(where);
      case '"': return this.parseString();
      case 't': this.expect('true'); return true;
      case 'f': this.expect('false'); return false;
      case 'n': this.expect('null'); return null;
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.parseNumber();
        return this.error(c === undefined ? 'unexpected end of text' : `unexpected character ${JSON.stringify(c)}`);
    }
  }

  private parseObject(where: string): JsonObject {
    const object: JsonObject = new Map();
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position++;
      return fail(where, 'empty objects are not allowed');
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.error('expected a quoted key');
      const key = this.parseString();
      this.skipWhitespace();
      this.expect(':');
      insertKey(object, key, this.parseValue(childPath(where, key)), where);
      this.skipWhitespace();
      const c = this.text[this.position++];
      if (c === '}') return object;
      if (c !== ',') this.error('expected , or }');
    }
  }

  private parseArray(where: string): JsonNode[] {
    const array: JsonNode[] = [];
    this.position++;
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position++;
      return array;
    }
    for (;;) {
      array.push(this.parseValue(indexPath(where, array.length)));
      this.skipWhitespace();
      const c = this.text[this.position++];
      if (c === ']') return array;
      if (c !== ',') this.error('expected , or ]');
    }
  }

  private parseString(): string {
    const start = this.position;
    this.position++;
    let out = '';
    for (;;) {
      const c = this.text[this.position];
      if (c === undefined) {
        this.position = start;
        return this.error('unterminated string');
      }
      if (c === '"') {
        this.position++;
        return out;
      }
      if (c < ' ') this.error('control character in string');
      if (c !== '\\') {
        out += c;
        this.position++;
        continue;
      }
      const escape = this.text[this.position + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (escape !== undefined && hasOwn.call(simple, escape)) {
        out += simple[escape] ?? '';
        this.position += 2;
      } else if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.position + 2, this.position + 6))) {
        out += String.fromCharCode(parseInt(this.text.slice(this.position + 2, this.position + 6), 16));
        this.position += 6;
      } else {
        this.error('invalid escape in string');
      }
    }
  }

  private parseNumber(): number {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.position));
    if (match === null) return this.error('invalid number');
    this.position += match[0].length;
    return Number(match[0]);
  }
}

function toPlain(node: JsonNode): unknown {
  if (Array.isArray(node)) return node.map(toPlain);
  if (node instanceof Map) {
    const object: Record<string, unknown> = {};
    for (const [key, value] of node) defineKey(object, key, toPlain(value));
    return object;
  }
  return node;
}

/**
 * Parses pattern JSON text as EventBridge reads it: strict JSON, empty objects rejected, and repeated
 * keys resolved the way EventBridge's streaming reader sees them (see insertKey), where JSON.parse
 * would silently keep only the last value.
 */
export function parsePatternText(text: string): EventPattern {
  const parsed = toPlain(new JsonTextParser(text).parseDocument());
  if (!isRecord(parsed)) fail('', `an event pattern must be a JSON object, got ${describe(parsed)}`);
  return parsed;
}
