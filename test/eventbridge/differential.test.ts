import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePattern, InvalidPatternError, parsePattern } from '../../lib/eventbridge/pattern.js';
import { referenceMatches } from './reference-matcher.js';

/**
 * Differential tests: generated patterns and events, the fast matcher against the slow reference model
 * of event-ruler's semantics (reference-matcher.ts). The alphabet is chosen to reach the corners where
 * a naive implementation differs: case folding that changes length (ß/SS), final sigma, title case,
 * the Kelvin sign (U+212A), astral characters, wildcard stars, arrays of objects with absent fields.
 */
const CHARS = ['a', 'A', 's', 'S', 'ß', 'σ', 'Σ', 'ς', 'ǅ', 'ǆ', 'Ǆ', 'k', 'K', '\u212a', 'x', '😀', '?', '.'];
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 4 }).map((a) => a.join(''));
const nonEmpty = fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 3 }).map((a) => a.join(''));
const wildcard = fc
  .array(fc.oneof(fc.constantFrom(...CHARS), fc.constant('*')), { minLength: 1, maxLength: 4 })
  .map((a) => a.join(''))
  .filter((w) => !w.includes('**'));
const numberValue = fc.constantFrom(-1, 0, 1, 2.5, 10, 5e9, 6e9);

const matcher = fc.oneof(
  text,
  numberValue,
  fc.constantFrom(true, false, null),
  nonEmpty.map((t) => ({ prefix: t })),
  nonEmpty.map((t) => ({ suffix: t })),
  nonEmpty.map((t) => ({ prefix: { 'equals-ignore-case': t } })),
  nonEmpty.map((t) => ({ suffix: { 'equals-ignore-case': t } })),
  text.map((t) => ({ 'equals-ignore-case': t })),
  wildcard.map((w) => ({ wildcard: w })),
  fc.constantFrom({ numeric: ['>', 0] }, { numeric: ['>=', 1, '<', 10] }, { numeric: ['=', 2.5] }),
  fc.boolean().map((b) => ({ exists: b })),
  fc.array(text, { minLength: 1, maxLength: 2 }).map((l) => ({ 'anything-but': l })),
  fc.constantFrom(0, 1).map((n) => ({ 'anything-but': [n] })),
  nonEmpty.map((t) => ({ 'anything-but': { prefix: t } })),
  text.map((t) => ({ 'anything-but': { 'equals-ignore-case': t } })),
  wildcard.map((w) => ({ 'anything-but': { wildcard: w } })),
);
const field = fc.array(matcher, { minLength: 1, maxLength: 3 });
const PATHS = [['a'], ['b'], ['items', 'name'], ['items', 'size'], ['items', 'tags']] as const;

function place(pattern: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = pattern;
  for (const key of path.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
  node[path[path.length - 1] as string] = value;
}

const pattern = fc
  .array(fc.tuple(fc.constantFrom(...PATHS), field), { minLength: 1, maxLength: 3 })
  .chain((fields) =>
    fc.boolean().map((useOr) => {
      const p: Record<string, unknown> = {};
      if (useOr && fields.length >= 2) {
        p.$or = fields.map(([path, f]) => {
          const alt: Record<string, unknown> = {};
          place(alt, path, f);
          return alt;
        });
      } else for (const [path, f] of fields) place(p, path, f);
      return p;
    }),
  );

const leaf = fc.oneof(text, numberValue, fc.constantFrom(true, false, null));
const item = fc.record({ name: leaf, size: leaf, tags: fc.array(leaf, { maxLength: 2 }) }, { requiredKeys: [] });
const event = fc.record(
  { a: fc.oneof(leaf, fc.array(leaf, { maxLength: 3 })), b: leaf, items: fc.oneof(item, fc.array(item, { maxLength: 3 })) },
  { requiredKeys: [] },
);

describe('matcher vs the reference model of event-ruler', () => {
  it('agrees on generated patterns and events', () => {
    fc.assert(
      fc.property(pattern, fc.array(event, { minLength: 1, maxLength: 8 }), (p, events) => {
        let tree;
        try {
          tree = parsePattern(p);
        } catch (error) {
          if (error instanceof InvalidPatternError) return; // rejected patterns are the conformance suite's job
          throw error;
        }
        const compiled = compilePattern(p);
        for (const e of events) expect(compiled.matches(e), JSON.stringify({ p, e })).toBe(referenceMatches(tree, e));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('equals-ignore-case folds the pattern one unit at a time (event-ruler)', () => {
  it.each<[string, string, boolean]>([
    ['straße', 'STRASSE', true],
    ['straße', 'strasse', false],
    ['STRASSE', 'straße', false],
    ['ΟΣ', 'ος', false],
    ['ΟΣ', 'οσ', true],
    ['ǅ', 'ǆ', true],
    ['ǅ', 'ǅ', false],
    ['k', '\u212a', false], // the Kelvin sign lower-cases to k, but the event side is never folded
    ['K', 'k', true],
    ['😀', '😀', false],
    ['😀', '??', true],
    ['DeleteTrail', 'deletetrail', true],
  ])('%s against %s: %s', (p, value, expected) => {
    expect(compilePattern({ f: [{ 'equals-ignore-case': p }] }).matches({ f: value })).toBe(expected);
    expect(compilePattern({ f: [{ prefix: { 'equals-ignore-case': p } }] }).matches({ f: `${value}tail` })).toBe(expected);
    expect(compilePattern({ f: [{ suffix: { 'equals-ignore-case': p } }] }).matches({ f: `head${value}` })).toBe(expected);
    expect(compilePattern({ f: [{ 'anything-but': { 'equals-ignore-case': p } }] }).matches({ f: value })).toBe(!expected);
  });
});
