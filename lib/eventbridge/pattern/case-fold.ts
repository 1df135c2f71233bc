import type { StringTest } from './cidr.js';

/**
 * `equals-ignore-case` (also inside `prefix`, `suffix` and `anything-but`) as EventBridge's matcher
 * implements it. It does not fold both strings and compare them: it folds the PATTERN one UTF-16 unit
 * at a time into the set {lower-case of that unit, upper-case of that unit} and accepts an event value
 * that is a concatenation of one choice per unit. Consequences that a "lower-case both sides" test gets
 * wrong, each checked by test/eventbridge/case-fold.test.ts:
 * - `straße` matches `STRASSE` (the upper case of ß is the two letters SS);
 * - `ΟΣ` does not match `ος` (Σ alone lower-cases to σ, never to the final ς);
 * - a title-case letter such as ǅ matches ǆ or Ǆ but not itself;
 * - the event side is never folded: the Kelvin sign K does not match a pattern `k`;
 * - an astral character (a surrogate pair) in the pattern becomes two lone surrogates, which UTF-8
 *   cannot encode and Java writes as "?": such a pattern matches "??" in that place, never the character.
 */

/** Per pattern unit, the strings the event may have there (one or two, deduplicated). */
export type FoldedPattern = readonly (readonly string[])[];

function encodable(unit: string): string {
  const code = unit.charCodeAt(0);
  return code >= 0xd800 && code <= 0xdfff ? '?' : unit;
}

export function foldPattern(text: string): FoldedPattern {
  const out: string[][] = [];
  for (let i = 0; i < text.length; i++) {
    const unit = text[i] as string;
    const lower = encodable(unit.toLowerCase());
    const upper = encodable(unit.toUpperCase());
    out.push(lower === upper ? [lower] : [lower, upper]);
  }
  return out;
}

/**
 * End positions in `s` reachable by matching `folded` from `start` forwards. Alternatives differ in
 * length only for a few letters (ß, ŉ, ǰ, ...), so the set stays tiny.
 */
function forwardEnds(s: string, folded: FoldedPattern, start: number): number[] {
  let positions = [start];
  for (const choices of folded) {
    const next: number[] = [];
    for (const p of positions) {
      for (const c of choices) if (s.startsWith(c, p) && !next.includes(p + c.length)) next.push(p + c.length);
    }
    if (next.length === 0) return next;
    positions = next;
  }
  return positions;
}

export function foldedEqualsTest(folded: FoldedPattern): StringTest {
  return (s) => forwardEnds(s, folded, 0).includes(s.length);
}

export function foldedPrefixTest(folded: FoldedPattern): StringTest {
  return (s) => forwardEnds(s, folded, 0).length > 0;
}

/** Suffix: the same choices matched backwards from the end of the value. */
export function foldedSuffixTest(folded: FoldedPattern): StringTest {
  return (s) => {
    let positions = [s.length];
    for (let i = folded.length - 1; i >= 0; i--) {
      const next: number[] = [];
      for (const p of positions) {
        for (const c of folded[i] ?? []) {
          const from = p - c.length;
          if (from >= 0 && s.startsWith(c, from) && !next.includes(from)) next.push(from);
        }
      }
      if (next.length === 0) return false;
      positions = next;
    }
    return true;
  };
}
