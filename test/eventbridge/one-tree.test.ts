import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compilePattern, InvalidPatternError, parsePatternText } from '../../lib/eventbridge/pattern.js';
import { patternToSqlWhere } from '../../lib/hunt/athena-sql.js';
import { rules } from '../../rules/index.js';

/** The matcher and the hunt SQL compile from one parsed tree: they accept and refuse the same patterns. */
function outcome(compile: () => unknown): string {
  try {
    compile();
    return 'accepted';
  } catch (error) {
    if (error instanceof InvalidPatternError) return `rejected: ${error.message}`;
    throw error;
  }
}

interface ConformanceCase {
  id: string;
  expected: boolean | 'error';
  pattern: string;
}
const cases = JSON.parse(readFileSync(new URL('../fixtures/conformance/eventbridge-patterns.json', import.meta.url), 'utf8')) as ConformanceCase[];

describe('one pattern tree for the matcher and the SQL', () => {
  it.each(cases.map((c) => [c.id, c] as const))('%s: same verdict, AWS\'s verdict', (_id, c) => {
    const pattern = parsePatternText(c.pattern);
    const matcher = outcome(() => compilePattern(pattern));
    expect(outcome(() => patternToSqlWhere(pattern))).toBe(matcher);
    expect(matcher.startsWith('rejected')).toBe(c.expected === 'error');
  });

  it.each(rules.map((r) => [r.id, r] as const))('rule %s: both accept its pattern', (_id, rule) => {
    expect(outcome(() => compilePattern(rule.pattern))).toBe('accepted');
    expect(outcome(() => patternToSqlWhere(rule.pattern))).toBe('accepted');
  });

  it.each([
    ['a /32 CIDR', { sourceIPAddress: [{ cidr: '10.0.0.1/32' }] }],
    ['an IPv4-mapped IPv6 CIDR past /31', { sourceIPAddress: [{ cidr: '::ffff:10.0.0.0/104' }] }],
    ['a number beyond the numeric range', { n: [{ numeric: ['>', 1e12] }] }],
    ['a 12-star wildcard', { name: [{ wildcard: '*a'.repeat(12) }] }],
  ])('both reject %s', (_name, pattern) => {
    const matcher = outcome(() => compilePattern(pattern));
    expect(matcher).toMatch(/^rejected/);
    expect(outcome(() => patternToSqlWhere(pattern))).toBe(matcher);
  });
});
