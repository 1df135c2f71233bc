/**
 * The EventBridge pattern language, as EventBridge's own matcher (AWS's open-source event-ruler)
 * implements it, checked against AWS-recorded results in test/fixtures/conformance and, where AWS's
 * documentation is silent, against event-ruler's code (differential tests in test/eventbridge/).
 *
 * One pipeline, one folder per stage (lib/eventbridge/pattern/):
 * - text.ts: pattern JSON text read the way EventBridge's streaming reader reads it (repeated keys);
 * - tree.ts: validation into a typed tree (one InvalidPatternError with the JSON path, errors.ts), with
 *   the operators' own parsers in numeric.ts, cidr.ts and wildcard.ts;
 * - compile.ts + case-fold.ts: the tree's leaves into tests; match.ts: matching events.
 * lib/hunt/ turns the same tree into Athena SQL, so the matcher and the SQL accept the same patterns.
 *
 * Deliberate limits, documented where AWS publishes none:
 * - Wildcards: at most MAX_WILDCARD_COMPLEXITY simultaneously live matcher states (wildcardComplexity);
 *   AWS rejects complex wildcards as "Rule is too complex" without a published limit.
 * - `$or`: at most MAX_OR_BRANCHES branches after expanding nested `$or`s.
 * - Numbers are JS doubles: exact numbers compare numerically (300 equals 300.0), also beyond the numeric
 *   range where AWS compares their text; event numbers with more than 6 decimals compare at full precision.
 */
import { fail } from './pattern/errors.js';
import { compileTree, type CompiledPattern } from './pattern/match.js';
import { parsePattern, type EventPattern } from './pattern/tree.js';

export { InvalidPatternError } from './pattern/errors.js';
export { MAX_NUMERIC_DECIMALS, NUMERIC_LIMIT } from './pattern/numeric.js';
export { MAX_WILDCARD_COMPLEXITY, wildcardComplexity } from './pattern/wildcard.js';
export { MAX_OR_BRANCHES, parsePattern, type EventPattern, type FieldNode, type MatcherNode, type PatternTree } from './pattern/tree.js';
export { parsePatternText } from './pattern/text.js';
export type { CompiledPattern } from './pattern/match.js';

/** EventBridge's limit on the EventPattern text. */
export const MAX_PATTERN_LENGTH = 2048;

/** Validates (throws InvalidPatternError) and compiles once; `matches()` is then cheap per event. */
export function compilePattern(pattern: unknown): CompiledPattern {
  return compileTree(parsePattern(pattern));
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
