import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { compilePattern, InvalidPatternError, parsePatternText } from '../../lib/eventbridge/pattern.js';

/**
 * Every case of test/fixtures/conformance/eventbridge-patterns.json: results recorded against the real
 * AWS EventBridge TestEventPattern API (see SOURCE.md). Patterns are parsed from their text with
 * parsePatternText so duplicate keys and number spellings reach the matcher as AWS saw them.
 *
 * `content_wildcard_complex_EXC` is rejected by AWS as "Rule is too complex" under an unpublished limit;
 * it passes through our own documented limit (MAX_WILDCARD_COMPLEXITY in lib/eventbridge/pattern.ts).
 */

interface ConformanceCase {
  id: string;
  expected: boolean | 'error';
  pattern: string;
  event: string;
}

function isCase(value: unknown): value is ConformanceCase {
  if (typeof value !== 'object' || value === null) return false;
  const { id, expected, pattern, event } = value as Record<string, unknown>;
  return typeof id === 'string' && typeof pattern === 'string' && typeof event === 'string' &&
    (expected === true || expected === false || expected === 'error');
}

function loadCases(): ConformanceCase[] {
  const parsed: unknown = JSON.parse(readFileSync(new URL('../fixtures/conformance/eventbridge-patterns.json', import.meta.url), 'utf8'));
  if (!Array.isArray(parsed) || !parsed.every(isCase)) throw new Error('eventbridge-patterns.json: unexpected shape');
  return parsed;
}

const cases = loadCases();

describe('EventBridge conformance (recorded AWS results)', () => {
  it('has every recorded case, once', () => {
    expect(cases).toHaveLength(157);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  const rejected = cases.filter((c) => c.expected === 'error');
  const decided = cases.filter((c) => c.expected !== 'error');

  it.each(rejected)('$id: AWS rejects the pattern', ({ pattern }) => {
    expect(() => compilePattern(parsePatternText(pattern))).toThrow(InvalidPatternError);
  });

  it.each(decided)('$id: AWS says match = $expected', ({ pattern, event, expected }) => {
    const compiled = compilePattern(parsePatternText(pattern));
    expect(compiled.matches(JSON.parse(event))).toBe(expected);
  });
});
