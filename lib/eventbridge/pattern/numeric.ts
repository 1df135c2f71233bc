import { describe, fail, indexPath } from './errors.js';

/** EventBridge numeric matching range (inclusive) and precision. */
export const NUMERIC_LIMIT = 5e9;
export const MAX_NUMERIC_DECIMALS = 6;

export type NumberTest = (value: number) => boolean;

/** Decimal places in the shortest round-trip spelling of n (what the pattern author wrote, for JSON). */
function decimalPlaces(n: number): number {
  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(Math.abs(n)));
  if (match === null) return 0;
  const fraction = match[2]?.length ?? 0;
  const exponent = match[3] === undefined ? 0 : Number(match[3]);
  return Math.max(0, fraction - exponent);
}

export function requirePatternNumber(value: unknown, path: string, what: string): number {
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

export interface NumericRange {
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

export function parseNumericRange(arg: unknown, path: string): NumericRange {
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

export function numericTest(range: NumericRange): NumberTest {
  const { low, lowInclusive, high, highInclusive } = range;
  // Event numbers outside EventBridge's numeric range never satisfy a numeric condition there.
  return (n) =>
    n >= -NUMERIC_LIMIT && n <= NUMERIC_LIMIT &&
    (lowInclusive ? n >= low : n > low) &&
    (highInclusive ? n <= high : n < high);
}

