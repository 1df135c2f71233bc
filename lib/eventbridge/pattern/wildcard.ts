import { fail } from './errors.js';
import type { StringTest } from './cidr.js';

/** Our stand-in for AWS's unpublished wildcard complexity limit (see wildcardComplexity). */
export const MAX_WILDCARD_COMPLEXITY = 10;

export interface WildcardToken {
  star: boolean;
  char: string;
}

export function tokenizeWildcard(text: string, path: string): WildcardToken[] {
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

/** Validates a wildcard as EventBridge does (escapes, no `**`, complexity) into its tokens. */
export function parseWildcard(text: string, path: string): WildcardToken[] {
  const tokens = tokenizeWildcard(text, path);
  const complexity = automatonWidth(tokens);
  if (complexity > MAX_WILDCARD_COMPLEXITY) {
    fail(path, `wildcard ${JSON.stringify(text)} is too complex (complexity ${complexity}, limit ${MAX_WILDCARD_COMPLEXITY}): ` +
      'use fewer wildcard characters or fewer repeating character sequences after a wildcard');
  }
  return tokens;
}

/** Literal runs between stars; one run means no star. */
export function wildcardSegments(tokens: readonly WildcardToken[]): string[] {
  const segments: string[] = [''];
  for (const token of tokens) {
    if (token.star) segments.push('');
    else segments[segments.length - 1] += token.char;
  }
  return segments;
}

export function wildcardTest(tokens: readonly WildcardToken[]): StringTest {
  const segments = wildcardSegments(tokens);
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

