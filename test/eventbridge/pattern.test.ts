import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  compilePattern,
  InvalidPatternError,
  matchesPattern,
  MAX_OR_BRANCHES,
  MAX_PATTERN_LENGTH,
  MAX_WILDCARD_COMPLEXITY,
  parsePatternText,
  validatePatternSize,
  wildcardComplexity,
} from '../../lib/eventbridge/pattern.js';

/** `{detail: {field: matchers}}` against `{detail: {field: value}}` (value undefined = field missing). */
function fieldMatches(matchers: unknown[], value: unknown): boolean {
  const detail: Record<string, unknown> = value === undefined ? {} : { field: value };
  return matchesPattern({ detail: { field: matchers } }, { source: 'test', detail });
}

function rejects(pattern: unknown): void {
  expect(() => compilePattern(pattern)).toThrow(InvalidPatternError);
}

function rejectsField(matchers: unknown[]): void {
  rejects({ detail: { field: matchers } });
}

function errorOf(pattern: unknown): InvalidPatternError {
  try {
    compilePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidPatternError) return error;
    throw error;
  }
  throw new Error('pattern was accepted');
}

describe('compilePattern: API and structure', () => {
  it('returns a reusable matcher with a frozen copy of the pattern', () => {
    const pattern = { source: ['aws.s3'] };
    const compiled = compilePattern(pattern);
    pattern.source.push('aws.ec2');
    expect(compiled.pattern).toEqual({ source: ['aws.s3'] });
    expect(Object.isFrozen(compiled.pattern)).toBe(true);
    expect(compiled.matches({ source: 'aws.s3' })).toBe(true);
    expect(compiled.matches({ source: 'aws.ec2' })).toBe(false);
  });

  it('reports where and why a pattern is invalid', () => {
    const error = errorOf({ detail: { eventName: [{ prefix: 5 }] } });
    expect(error.name).toBe('InvalidPatternError');
    expect(error).toBeInstanceOf(Error);
    expect(error.path).toBe('detail.eventName[0].prefix');
    expect(error.message).toContain('detail.eventName[0].prefix');
    expect(error.reason).toMatch(/string/);
    expect(errorOf({ $or: [{ a: ['x'] }, { b: [] }] }).path).toBe('$or[1].b');
  });

  it('rejects patterns that are not non-empty objects', () => {
    for (const pattern of [null, 'x', 42, [], [{ source: ['a'] }], {}]) rejects(pattern);
    rejects({ detail: {} });
  });

  it('rejects field values that are not lists or objects', () => {
    for (const value of ['x', 1, true, null]) rejects({ source: value });
  });

  it('rejects empty lists, nested lists and non-JSON values', () => {
    rejectsField([]);
    rejectsField([['a']]);
    rejectsField([undefined]);
    rejectsField([Number.NaN]);
    rejectsField([() => true]);
  });

  it('rejects unknown, misspelt and multi-key operators', () => {
    rejectsField([{ EXISTS: true }]);
    rejectsField([{ contains: 'x' }]);
    rejectsField([{}]);
    rejectsField([{ prefix: 'a', suffix: 'b' }]);
  });

  it('treats events that are not objects as having no fields', () => {
    expect(matchesPattern({ source: ['x'] }, null)).toBe(false);
    expect(matchesPattern({ source: ['x'] }, 'x')).toBe(false);
    expect(matchesPattern({ source: [{ exists: false }] }, undefined)).toBe(true);
  });
});

describe('exact values', () => {
  it('matches strings exactly and case-sensitively', () => {
    expect(fieldMatches(['Running'], 'Running')).toBe(true);
    expect(fieldMatches(['Running'], 'running')).toBe(false);
    expect(fieldMatches(['a', 'b', 'c', 'd', 'e'], 'e')).toBe(true);
    expect(fieldMatches(['a', 'b', 'c', 'd', 'e'], 'f')).toBe(false);
  });

  it('matches "" only the empty string and null only JSON null', () => {
    expect(fieldMatches([''], '')).toBe(true);
    expect(fieldMatches([''], null)).toBe(false);
    expect(fieldMatches([''], undefined)).toBe(false);
    expect(fieldMatches([null], null)).toBe(true);
    expect(fieldMatches([null], 'null')).toBe(false);
    expect(fieldMatches([null], undefined)).toBe(false);
    expect(fieldMatches([null], [])).toBe(false);
  });

  it('compares numbers numerically and keeps types apart', () => {
    expect(fieldMatches([300], 300.0)).toBe(true);
    expect(fieldMatches([3.5], 3.5)).toBe(true);
    expect(fieldMatches([5], '5')).toBe(false);
    expect(fieldMatches(['5'], 5)).toBe(false);
    expect(fieldMatches([true], true)).toBe(true);
    expect(fieldMatches([true], false)).toBe(false);
    expect(fieldMatches([false], 'false')).toBe(false);
  });

  it('matches an IP address string in any spelling of that address', () => {
    expect(fieldMatches(['2001:db8::1'], '2001:0db8:0000:0000:0000:0000:0000:0001')).toBe(true);
    expect(fieldMatches(['2001:db8::1'], '2001:db8::2')).toBe(false);
    expect(fieldMatches(['10.0.0.1'], '::ffff:a00:1')).toBe(true);
    expect(fieldMatches(['10.0.0.1'], '10.0.0.10')).toBe(false);
  });

  it('fails on a missing field, an object or an empty list', () => {
    expect(fieldMatches(['x'], undefined)).toBe(false);
    expect(fieldMatches(['x'], { x: 'x' })).toBe(false);
    expect(fieldMatches(['x'], [])).toBe(false);
  });

  it('matches an event list when any element matches (nested lists too)', () => {
    expect(fieldMatches(['b'], ['a', 'b'])).toBe(true);
    expect(fieldMatches(['b'], [['a'], ['b']])).toBe(true);
    expect(fieldMatches(['c'], ['a', 'b'])).toBe(false);
  });

  it('property: a list matches exactly when some element equals some value', () => {
    const value = fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null));
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 4 }), fc.array(value, { maxLength: 4 }), (wanted, got) => {
      const expected = got.some((g) => wanted.some((w) => Object.is(w, g) || w === g));
      expect(fieldMatches(wanted, got)).toBe(expected);
    }));
  });
});

describe('paths', () => {
  it('descends nested objects and fails when a level is missing or a leaf', () => {
    const pattern = { detail: { requestParameters: { bucketName: ['b'] } } };
    expect(matchesPattern(pattern, { detail: { requestParameters: { bucketName: 'b' } } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { requestParameters: null } })).toBe(false);
    expect(matchesPattern(pattern, { detail: 'b' })).toBe(false);
    expect(matchesPattern(pattern, { detail: {} })).toBe(false);
  });

  it('treats dotted keys and nesting as the same path, in the pattern and the event', () => {
    expect(matchesPattern({ 'detail.state': ['on'] }, { detail: { state: 'on' } })).toBe(true);
    expect(matchesPattern({ detail: { state: ['on'] } }, { 'detail.state': 'on' })).toBe(true);
    expect(matchesPattern({ detail: { a: { b: ['on'] } } }, { detail: { 'a.b': 'on' } })).toBe(true);
    expect(matchesPattern({ detail: { a: ['on'] } }, { detail: { 'a.b': 'on' } })).toBe(false);
  });

  it('descends through lists of objects', () => {
    const pattern = { detail: { items: { id: ['2'] } } };
    expect(matchesPattern(pattern, { detail: { items: [{ id: '1' }, { id: '2' }] } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { items: [{ id: '1' }] } })).toBe(false);
  });

  it('keeps key case and does not read inherited properties', () => {
    expect(matchesPattern({ Source: ['x'] }, { source: 'x' })).toBe(false);
    expect(matchesPattern({ constructor: [{ exists: true }] }, {})).toBe(false);
    expect(matchesPattern({ constructor: [{ exists: false }] }, {})).toBe(true);
    expect(matchesPattern({ toString: ['x'] }, JSON.parse('{"toString": "x"}'))).toBe(true);
  });

  it('a later field with the same path replaces the earlier one, as in EventBridge', () => {
    const pattern = { detail: { state: ['a'] }, 'detail.state': ['b'] };
    expect(matchesPattern(pattern, { detail: { state: 'b' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { state: 'a' } })).toBe(false);
  });
});

describe('prefix and suffix', () => {
  it('matches string starts and ends', () => {
    expect(fieldMatches([{ prefix: 'us-' }], 'us-east-1')).toBe(true);
    expect(fieldMatches([{ prefix: 'us-' }], 'eu-west-1')).toBe(false);
    expect(fieldMatches([{ suffix: '.png' }], 'a.png')).toBe(true);
    expect(fieldMatches([{ suffix: '.png' }], 'a.PNG')).toBe(false);
  });

  it('empty prefix or suffix matches any string, and never a non-string', () => {
    expect(fieldMatches([{ prefix: '' }], '')).toBe(true);
    expect(fieldMatches([{ suffix: '' }], 'x')).toBe(true);
    expect(fieldMatches([{ prefix: '' }], 1)).toBe(false);
    expect(fieldMatches([{ prefix: '' }], null)).toBe(false);
    expect(fieldMatches([{ prefix: '1' }], 12)).toBe(false);
  });

  it('supports equals-ignore-case inside', () => {
    expect(fieldMatches([{ prefix: { 'equals-ignore-case': 'EventB' } }], 'eVeNtBridge')).toBe(true);
    expect(fieldMatches([{ prefix: { 'equals-ignore-case': 'EventB' } }], 'Event')).toBe(false);
    expect(fieldMatches([{ suffix: { 'equals-ignore-case': '.png' } }], 'A.PNG')).toBe(true);
    expect(fieldMatches([{ suffix: { 'equals-ignore-case': '.png' } }], 'A.JPG')).toBe(false);
  });

  it('rejects non-string operands and lists', () => {
    rejectsField([{ prefix: 1 }]);
    rejectsField([{ prefix: ['a'] }]);
    rejectsField([{ suffix: null }]);
    rejectsField([{ prefix: { 'equals-ignore-case': 1 } }]);
    rejectsField([{ prefix: { 'equals-ignore-case': 'a', extra: 'b' } }]);
    rejectsField([{ suffix: { wildcard: 'a*' } }]);
  });

  it('property: s matches prefix p (and suffix q) iff s starts with p (ends with q)', () => {
    fc.assert(fc.property(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), (p, s) => {
      expect(fieldMatches([{ prefix: p }], s)).toBe(s.startsWith(p));
      expect(fieldMatches([{ suffix: p }], s)).toBe(s.endsWith(p));
      expect(fieldMatches([{ prefix: p }], p + s)).toBe(true);
    }));
  });
});

describe('equals-ignore-case', () => {
  it('matches regardless of case, strings only', () => {
    expect(fieldMatches([{ 'equals-ignore-case': 'alice' }], 'ALICE')).toBe(true);
    expect(fieldMatches([{ 'equals-ignore-case': 'alice' }], 'alicE ')).toBe(false);
    expect(fieldMatches([{ 'equals-ignore-case': '' }], '')).toBe(true);
    expect(fieldMatches([{ 'equals-ignore-case': '1' }], 1)).toBe(false);
  });

  it('rejects lists and objects', () => {
    rejectsField([{ 'equals-ignore-case': ['a'] }]);
    rejectsField([{ 'equals-ignore-case': { prefix: 'a' } }]);
  });

  it('property: any casing of a string matches it', () => {
    fc.assert(fc.property(fc.mixedCase(fc.string({ unit: fc.constantFrom('a', 'b', 'Z', '-', '1'), maxLength: 8 })), (s) => {
      expect(fieldMatches([{ 'equals-ignore-case': s.toLowerCase() }], s)).toBe(true);
    }));
  });
});

describe('wildcard', () => {
  it('matches * as any run of characters, including none and slashes', () => {
    expect(fieldMatches([{ wildcard: 'arn:aws:iam::*:role/*' }], 'arn:aws:iam::123:role/a/b')).toBe(true);
    expect(fieldMatches([{ wildcard: 'arn:aws:iam::*:role/*' }], 'arn:aws:iam::123:user/a')).toBe(false);
    expect(fieldMatches([{ wildcard: '*.png' }], '.png')).toBe(true);
    expect(fieldMatches([{ wildcard: 'a*a' }], 'a')).toBe(false);
    expect(fieldMatches([{ wildcard: '*' }], '')).toBe(true);
    expect(fieldMatches([{ wildcard: '*' }], 5)).toBe(false);
  });

  it('without * it is an exact match; empty matches only the empty string', () => {
    expect(fieldMatches([{ wildcard: 'abc' }], 'abc')).toBe(true);
    expect(fieldMatches([{ wildcard: 'abc' }], 'abcd')).toBe(false);
    expect(fieldMatches([{ wildcard: '' }], '')).toBe(true);
    expect(fieldMatches([{ wildcard: '' }], 'a')).toBe(false);
  });

  it('supports \\* and \\\\ escapes and rejects others', () => {
    expect(fieldMatches([{ wildcard: 'a\\*b' }], 'a*b')).toBe(true);
    expect(fieldMatches([{ wildcard: 'a\\*b' }], 'axb')).toBe(false);
    expect(fieldMatches([{ wildcard: 'a\\\\*' }], 'a\\xyz')).toBe(true);
    expect(fieldMatches([{ wildcard: '\\**' }], '*tail')).toBe(true);
    expect(fieldMatches([{ wildcard: '\\**' }], 'tail')).toBe(false);
    rejectsField([{ wildcard: 'a\\b' }]);
    rejectsField([{ wildcard: 'a\\' }]);
  });

  it('rejects consecutive wildcards and non-strings', () => {
    rejectsField([{ wildcard: 'a**b' }]);
    rejectsField([{ wildcard: '\\\\**' }]);
    rejectsField([{ wildcard: 1 }]);
    rejectsField([{ wildcard: ['a*'] }]);
  });

  it('limits complexity: many wildcards or repeats after a wildcard', () => {
    expect(wildcardComplexity('arn:aws:events:us-east-1:*:event-bus/*')).toBeLessThanOrEqual(MAX_WILDCARD_COMPLEXITY);
    expect(wildcardComplexity('/Users/*/dir/dir/dir/dir/dir/doc.txt')).toBeLessThanOrEqual(MAX_WILDCARD_COMPLEXITY);
    expect(wildcardComplexity('*:*:*:*:*:event-bus/*')).toBeGreaterThan(MAX_WILDCARD_COMPLEXITY);
    expect(wildcardComplexity('*aaaaaaaaaaaa')).toBeGreaterThan(MAX_WILDCARD_COMPLEXITY);
    rejectsField([{ wildcard: '*:*:*:*:*:event-bus/*' }]);
    rejectsField([{ 'anything-but': { wildcard: '*:*:*:*:*:event-bus/*' } }]);
    expect(errorOf({ a: [{ wildcard: '*:*:*:*:*:*' }] }).reason).toMatch(/too complex/);
  });

  it('property: agrees with a regular-expression reference', () => {
    const toRegExp = (pattern: string): RegExp =>
      new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*')}$`);
    const pattern = fc.string({ unit: fc.constantFrom('a', 'b', '*'), maxLength: 7 }).filter((p) => !p.includes('**'));
    const subject = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 9 });
    fc.assert(fc.property(pattern, subject, (p, s) => {
      expect(fieldMatches([{ wildcard: p }], s)).toBe(toRegExp(p).test(s));
    }), { numRuns: 2000 });
  });
});

describe('anything-but', () => {
  it('excludes one string or number, and matches other types', () => {
    expect(fieldMatches([{ 'anything-but': 'init' }], 'running')).toBe(true);
    expect(fieldMatches([{ 'anything-but': 'init' }], 'init')).toBe(false);
    expect(fieldMatches([{ 'anything-but': 123 }], 124)).toBe(true);
    expect(fieldMatches([{ 'anything-but': 123 }], 123.0)).toBe(false);
    expect(fieldMatches([{ 'anything-but': 123 }], '123')).toBe(true);
    expect(fieldMatches([{ 'anything-but': '123' }], 123)).toBe(true);
    expect(fieldMatches([{ 'anything-but': 'x' }], true)).toBe(true);
  });

  it('matches null but never a missing field or an empty list', () => {
    expect(fieldMatches([{ 'anything-but': 'x' }], null)).toBe(true);
    expect(fieldMatches([{ 'anything-but': 'x' }], undefined)).toBe(false);
    expect(fieldMatches([{ 'anything-but': 'x' }], [])).toBe(false);
    expect(fieldMatches([{ 'anything-but': { prefix: 'x' } }], undefined)).toBe(false);
  });

  it('matches a list when any element is not excluded', () => {
    expect(fieldMatches([{ 'anything-but': ['a', 'b'] }], ['a', 'c'])).toBe(true);
    expect(fieldMatches([{ 'anything-but': ['a', 'b'] }], ['a', 'b'])).toBe(false);
  });

  it('takes lists of strings or of numbers, not mixed, empty or null', () => {
    expect(fieldMatches([{ 'anything-but': [100, 200] }], 200)).toBe(false);
    expect(fieldMatches([{ 'anything-but': [100, 200] }], 201)).toBe(true);
    rejectsField([{ 'anything-but': [] }]);
    rejectsField([{ 'anything-but': ['a', 1] }]);
    rejectsField([{ 'anything-but': ['a', null] }]);
    rejectsField([{ 'anything-but': null }]);
    rejectsField([{ 'anything-but': true }]);
    rejectsField([{ 'anything-but': 6e9 }]);
  });

  it('supports prefix and suffix (string or list, non-empty)', () => {
    expect(fieldMatches([{ 'anything-but': { prefix: 'us-' } }], 'eu-west-1')).toBe(true);
    expect(fieldMatches([{ 'anything-but': { prefix: 'us-' } }], 'us-east-1')).toBe(false);
    expect(fieldMatches([{ 'anything-but': { prefix: ['us-', 'eu-'] } }], 'eu-west-1')).toBe(false);
    expect(fieldMatches([{ 'anything-but': { prefix: 'us-' } }], 12)).toBe(true);
    expect(fieldMatches([{ 'anything-but': { suffix: '.png' } }], 'a.jpg')).toBe(true);
    expect(fieldMatches([{ 'anything-but': { suffix: ['.png', '.jpg'] } }], 'a.jpg')).toBe(false);
    rejectsField([{ 'anything-but': { prefix: '' } }]);
    rejectsField([{ 'anything-but': { suffix: [] } }]);
    rejectsField([{ 'anything-but': { prefix: { 'equals-ignore-case': 'a' } } }]);
    rejectsField([{ 'anything-but': { suffix: [1] } }]);
  });

  it('supports equals-ignore-case (string or list of strings)', () => {
    expect(fieldMatches([{ 'anything-but': { 'equals-ignore-case': 'init' } }], 'INIT')).toBe(false);
    expect(fieldMatches([{ 'anything-but': { 'equals-ignore-case': ['a', 'b'] } }], 'B')).toBe(false);
    expect(fieldMatches([{ 'anything-but': { 'equals-ignore-case': ['a', 'b'] } }], 'c')).toBe(true);
    rejectsField([{ 'anything-but': { 'equals-ignore-case': 1 } }]);
    rejectsField([{ 'anything-but': { 'equals-ignore-case': [1] } }]);
  });

  it('supports wildcard (string or list)', () => {
    expect(fieldMatches([{ 'anything-but': { wildcard: '*/lib/*' } }], 'src/lib/x')).toBe(false);
    expect(fieldMatches([{ 'anything-but': { wildcard: '*/lib/*' } }], 'src/bin/x')).toBe(true);
    expect(fieldMatches([{ 'anything-but': { wildcard: ['*/lib/*', '*.md'] } }], 'a.md')).toBe(false);
    expect(fieldMatches([{ 'anything-but': { wildcard: '' } }], 'a')).toBe(true);
    rejectsField([{ 'anything-but': { wildcard: 'a**' } }]);
    rejectsField([{ 'anything-but': { wildcard: [1] } }]);
  });

  it('rejects other or multiple keys', () => {
    rejectsField([{ 'anything-but': { numeric: ['>', 1] } }]);
    rejectsField([{ 'anything-but': { prefix: 'a', suffix: 'b' } }]);
    rejectsField([{ 'anything-but': {} }]);
  });

  it('property: anything-but a list matches a string iff the list lacks it', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 2 }), { minLength: 1, maxLength: 4 }), fc.string({ maxLength: 2 }), (list, s) => {
      expect(fieldMatches([{ 'anything-but': list }], s)).toBe(!list.includes(s));
    }));
  });
});

describe('numeric', () => {
  it('supports each comparison', () => {
    expect(fieldMatches([{ numeric: ['=', 3] }], 3.0)).toBe(true);
    expect(fieldMatches([{ numeric: ['=', 301.8] }], 301.8)).toBe(true);
    expect(fieldMatches([{ numeric: ['<', 3] }], 3)).toBe(false);
    expect(fieldMatches([{ numeric: ['<=', 3] }], 3)).toBe(true);
    expect(fieldMatches([{ numeric: ['>', 3] }], 3)).toBe(false);
    expect(fieldMatches([{ numeric: ['>=', 3] }], 3)).toBe(true);
    expect(fieldMatches([{ numeric: ['>', 0, '<=', 5] }], 5)).toBe(true);
    expect(fieldMatches([{ numeric: ['>', 0, '<=', 5] }], 0)).toBe(false);
    expect(fieldMatches([{ numeric: ['>=', 0, '<', 5] }], 5)).toBe(false);
  });

  it('matches JSON numbers only, within EventBridge range', () => {
    expect(fieldMatches([{ numeric: ['>', 100] }], '300')).toBe(false);
    expect(fieldMatches([{ numeric: ['>', 100] }], null)).toBe(false);
    expect(fieldMatches([{ numeric: ['>', 100] }], 6e9)).toBe(false);
    expect(fieldMatches([{ numeric: ['<', 100] }], -6e9)).toBe(false);
    expect(fieldMatches([{ numeric: ['>=', 5e9] }], 5e9)).toBe(true);
  });

  it('rejects malformed expressions', () => {
    rejectsField([{ numeric: 10 }]);
    rejectsField([{ numeric: [] }]);
    rejectsField([{ numeric: ['>', 0, '<'] }]);
    rejectsField([{ numeric: ['>', 0, '>', 5] }]);
    rejectsField([{ numeric: ['<', 5, '>', 0] }]);
    rejectsField([{ numeric: ['=', 1, '<', 5] }]);
    rejectsField([{ numeric: ['>', 5, '<', 5] }]);
    rejectsField([{ numeric: ['==', 5] }]);
    rejectsField([{ numeric: ['>', '5'] }]);
    rejectsField([{ NUMERIC: ['=', 5] }]);
  });

  it('rejects values outside the range or with more than 6 decimals', () => {
    rejectsField([{ numeric: ['>', 5.1e9] }]);
    rejectsField([{ numeric: ['<', -5.1e9] }]);
    rejectsField([{ numeric: ['=', 0.1234567] }]);
    rejectsField([{ numeric: ['=', 1e-7] }]);
    expect(fieldMatches([{ numeric: ['=', 0.123456] }], 0.123456)).toBe(true);
    expect(fieldMatches([{ numeric: ['<', 1e-6] }], 0)).toBe(true);
  });

  it('property: a range agrees with plain comparisons', () => {
    const n = fc.integer({ min: -1000, max: 1000 });
    fc.assert(fc.property(n, n, n, (low, high, x) => {
      fc.pre(low < high);
      expect(fieldMatches([{ numeric: ['>', low, '<=', high] }], x)).toBe(x > low && x <= high);
      expect(fieldMatches([{ numeric: ['>=', low / 4, '<', high / 4] }], x / 4)).toBe(x >= low && x < high);
    }));
  });
});

describe('cidr', () => {
  it('matches IPv4 blocks', () => {
    expect(fieldMatches([{ cidr: '10.0.0.0/24' }], '10.0.0.255')).toBe(true);
    expect(fieldMatches([{ cidr: '10.0.0.0/24' }], '10.0.1.0')).toBe(false);
    expect(fieldMatches([{ cidr: '10.0.0.7/24' }], '10.0.0.1')).toBe(true);
    expect(fieldMatches([{ cidr: '0.0.0.0/0' }], '255.255.255.255')).toBe(true);
    expect(fieldMatches([{ cidr: '10.0.0.0/31' }], '10.0.0.1')).toBe(true);
    expect(fieldMatches([{ cidr: '10.0.0.0/31' }], '10.0.0.2')).toBe(false);
  });

  it('matches IPv6 blocks in any spelling', () => {
    expect(fieldMatches([{ cidr: '2001:db8:1234:1a00::/64' }], '2001:0db8:1234:1a00:0000:0000:0000:0000')).toBe(true);
    expect(fieldMatches([{ cidr: '2001:db8:1234:1a00::/64' }], '2001:db8:1234:1a00:ffff::1')).toBe(true);
    expect(fieldMatches([{ cidr: '2001:db8:1234:1a00::/64' }], '2001:db8:1234:1a01::')).toBe(false);
    expect(fieldMatches([{ cidr: '2001:db8::/32' }], '10.0.0.1')).toBe(false);
    expect(fieldMatches([{ cidr: '10.0.0.0/8' }], '2001:db8::1')).toBe(false);
  });

  it('matches only valid address strings', () => {
    for (const value of ['10.0.0.256', '10.0.0', '010.0.0.1', ' 10.0.0.1', 'x', 10, null, '1.2.3.4.5']) {
      expect(fieldMatches([{ cidr: '0.0.0.0/0' }], value)).toBe(false);
    }
  });

  it('rejects malformed blocks, full-length prefixes and non-strings', () => {
    for (const cidr of ['bad-filter', 'xx.11.xx/8', '10.0.0.0', '10.0.0.0/', '10.0.0.0/a', '10.0.0.0/33', '10.0.0.0/32',
      '2001:db8::/128', '2001:db8::/129', 'xxxx:db8::/64', '1::2::3/64', '10.0.0.0/8/8']) {
      rejectsField([{ cidr }]);
    }
    rejectsField([{ cidr: ['10.0.0.0/8'] }]);
  });

  it('property: IPv4 membership agrees with bit masking', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const dotted = (n: number): string => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
    fc.assert(fc.property(u32, u32, fc.integer({ min: 0, max: 31 }), (base, ip, bits) => {
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      expect(fieldMatches([{ cidr: `${dotted(base)}/${bits}` }], dotted(ip))).toBe(((base & mask) >>> 0) === ((ip & mask) >>> 0));
    }));
  });

  it('property: IPv6 compressed and full spellings agree', () => {
    const words = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 });
    const full = (w: number[]): string => w.map((x) => x.toString(16).padStart(4, '0')).join(':');
    fc.assert(fc.property(words, fc.integer({ min: 0, max: 127 }), (w, bits) => {
      fc.pre(!(w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff));
      const short = w.map((x) => x.toString(16)).join(':');
      expect(fieldMatches([{ cidr: `${short}/${bits}` }], full(w))).toBe(true);
      expect(fieldMatches([short], full(w))).toBe(true);
    }));
  });
});

describe('exists', () => {
  it('true matches any leaf, including null and ""; false matches absence', () => {
    for (const value of ['x', '', 0, false, null, ['x']]) {
      expect(fieldMatches([{ exists: true }], value)).toBe(true);
      expect(fieldMatches([{ exists: false }], value)).toBe(false);
    }
    expect(fieldMatches([{ exists: true }], undefined)).toBe(false);
    expect(fieldMatches([{ exists: false }], undefined)).toBe(true);
  });

  it('objects and empty lists are not leaves', () => {
    expect(fieldMatches([{ exists: true }], { S: 'x' })).toBe(false);
    expect(fieldMatches([{ exists: false }], { S: 'x' })).toBe(true);
    expect(fieldMatches([{ exists: true }], [])).toBe(false);
    expect(fieldMatches([{ exists: false }], [])).toBe(true);
  });

  it('combines with other matchers as alternatives', () => {
    const matchers = [{ 'anything-but': ['roses'] }, { exists: false }];
    expect(fieldMatches(matchers, 'tulips')).toBe(true);
    expect(fieldMatches(matchers, undefined)).toBe(true);
    expect(fieldMatches(matchers, 'roses')).toBe(false);
  });

  it('rejects non-boolean operands', () => {
    rejectsField([{ exists: 'true' }]);
    rejectsField([{ exists: null }]);
  });
});

describe('$or', () => {
  const pattern = {
    source: ['aws.ec2'],
    detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }] },
  };

  it('matches when any alternative matches, together with the other fields', () => {
    expect(matchesPattern(pattern, { source: 'aws.ec2', detail: { 'c-count': 3 } })).toBe(true);
    expect(matchesPattern(pattern, { source: 'aws.ec2', detail: { 'd-count': 9 } })).toBe(true);
    expect(matchesPattern(pattern, { source: 'aws.ec2', detail: { 'c-count': 0, 'd-count': 10 } })).toBe(false);
    expect(matchesPattern(pattern, { source: 'aws.s3', detail: { 'c-count': 3 } })).toBe(false);
  });

  it('nests, at the top level and inside alternatives', () => {
    const nested = { $or: [{ a: ['1'] }, { $or: [{ b: ['2'] }, { c: ['3'] }] }] };
    expect(matchesPattern(nested, { c: '3' })).toBe(true);
    expect(matchesPattern(nested, { d: '4' })).toBe(false);
  });

  it('two $or groups in one object (via duplicate keys) must both hold', () => {
    const both = parsePatternText('{"$or": [{"a": ["1"]}, {"b": ["1"]}], "$or": [{"c": ["1"]}, {"d": ["1"]}]}');
    expect(matchesPattern(both, { a: '1', d: '1' })).toBe(true);
    expect(matchesPattern(both, { a: '1', b: '1' })).toBe(false);
  });

  it('rejects fewer than two alternatives, non-objects and reserved field names inside', () => {
    rejects({ $or: [{ a: ['1'] }] });
    rejects({ $or: { a: ['1'] } });
    rejects({ $or: [{ a: ['1'] }, 'b'] });
    rejects({ $or: [{ a: ['1'] }, {}] });
    rejects({ $or: [{ a: ['1'] }, { x: { prefix: ['1'] } }] });
    expect(() => compilePattern({ x: { prefix: ['1'] } })).not.toThrow();
  });

  it('caps the expansion of nested $or', () => {
    const alternatives = Array.from({ length: 11 }, (_, i) => ({ [`k${i}`]: ['v'] }));
    const pattern = { a: { $or: alternatives }, b: { $or: alternatives }, c: { $or: alternatives } };
    expect(11 ** 3).toBeGreaterThan(MAX_OR_BRANCHES);
    rejects(pattern);
  });
});

describe('array consistency', () => {
  const pattern = { detail: { items: { name: ['a'], size: [2] } } };

  it('fields under one list must come from the same element', () => {
    expect(matchesPattern(pattern, { detail: { items: [{ name: 'a', size: 2 }] } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { items: [{ name: 'a', size: 1 }, { name: 'b', size: 2 }] } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { items: [{ name: 'b', size: 2 }, { name: 'a', size: 2 }] } })).toBe(true);
  });

  // event-ruler checks absence against the whole event: a field present in any element fails
  // exists:false, whichever element the other fields matched in (found by differential testing).
  it('exists:false fails when any array element has the field', () => {
    const absent = { detail: { items: { name: ['a'], size: [{ exists: false }] } } };
    expect(matchesPattern(absent, { detail: { items: [{ name: 'a' }, { size: 2 }] } })).toBe(false);
    expect(matchesPattern(absent, { detail: { items: [{ name: 'a' }, { other: 2 }] } })).toBe(true);
    expect(matchesPattern(absent, { detail: { items: [{ name: 'a', size: 1 }, { size: 2 }] } })).toBe(false);
    const alone = { detail: { items: { size: [{ exists: false }] } } };
    expect(matchesPattern(alone, { detail: { items: [{ name: 'a' }, { size: 2 }] } })).toBe(false);
  });

  it('fields in different lists do not constrain each other', () => {
    const two = { a: { x: ['1'] }, b: { y: ['2'] } };
    expect(matchesPattern(two, { a: [{ x: '0' }, { x: '1' }], b: [{ y: '2' }, { y: '3' }] })).toBe(true);
  });
});

describe('parsePatternText', () => {
  it('parses like JSON.parse when no key repeats', () => {
    const leaf = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
    const key = fc.string({ maxLength: 4 });
    const pattern = fc.letrec<{ node: Record<string, unknown> }>((tie) => ({
      node: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, fc.array(leaf, { maxLength: 3 }), tie('node')), { minKeys: 1, maxKeys: 4 }),
    })).node;
    fc.assert(fc.property(pattern, (value) => {
      const text = JSON.stringify(value, null, 1);
      expect(parsePatternText(text)).toEqual(JSON.parse(text));
    }));
  });

  it('keeps "__proto__" as an ordinary key', () => {
    const parsed = parsePatternText('{"__proto__": ["x"]}');
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(matchesPattern(parsed, JSON.parse('{"__proto__": "x"}'))).toBe(true);
  });

  it('repeated field: the last list wins', () => {
    const parsed = parsePatternText('{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}');
    expect(parsed).toEqual({ detail: { location: [{ 'anything-but': 'us-east' }] } });
  });

  it('repeated object: the objects merge', () => {
    const parsed = parsePatternText('{"detail": {"a": ["1"]}, "source": ["s"], "detail": {"b": ["2"]}}');
    expect(matchesPattern(parsed, { source: 's', detail: { a: '1', b: '2' } })).toBe(true);
    expect(matchesPattern(parsed, { source: 's', detail: { b: '2' } })).toBe(false);
  });

  it('a list and an object under one key are both kept', () => {
    const parsed = parsePatternText('{"a": ["x"], "a": {"b": ["y"]}}');
    expect(matchesPattern(parsed, { a: 'x', 'a.b': 'y' })).toBe(true);
    expect(matchesPattern(parsed, { a: { b: 'y' } })).toBe(false);
  });

  it('still validates a list that a repeat replaces', () => {
    expect(() => parsePatternText('{"a": [], "a": ["x"]}')).toThrow(InvalidPatternError);
    expect(() => parsePatternText('{"a": 1, "a": ["x"]}')).toThrow(InvalidPatternError);
  });

  it('rejects invalid JSON, empty objects and non-object documents', () => {
    for (const text of ['', '{', '{"a": [1,]}', "{'a': [1]}", '{"a": [01]}', '{"a": [1]} x', '{"a": {}}', '[]', '"x"', '{"a": ["\\x"]}', '{"a": [NaN]}']) {
      expect(() => parsePatternText(text)).toThrow(InvalidPatternError);
    }
  });

  it('reads escapes and number spellings', () => {
    expect(parsePatternText('{"a": ["\\u00e9\\n\\"\\\\", 1e2, -0.5, 3.0]}')).toEqual({ a: ['é\n"\\', 100, -0.5, 3] });
  });
});

describe('validatePatternSize', () => {
  it('accepts up to MAX_PATTERN_LENGTH characters of JSON and rejects more', () => {
    const sized = (length: number) => ({ a: ['x'.repeat(length - '{"a":[""]}'.length)] });
    expect(JSON.stringify(sized(MAX_PATTERN_LENGTH)).length).toBe(MAX_PATTERN_LENGTH);
    expect(() => validatePatternSize(sized(MAX_PATTERN_LENGTH))).not.toThrow();
    expect(() => validatePatternSize(sized(MAX_PATTERN_LENGTH + 1))).toThrow(InvalidPatternError);
  });
});
