import { DETAIL_TYPES } from '../cloudtrail/types.js';
import { compileField } from '../eventbridge/pattern/compile.js';
import { parsePattern, type FieldNode, type MatcherNode, type PatternTree } from '../eventbridge/pattern/tree.js';
import { Caveats, EVENT_TYPE_DETAIL_TYPES, INSIGHT_EVENT_TYPE, INSIGHT_NOTE, resolve } from './cloudtrail-table.js';
import { and, atom, ESCAPE_CLAUSE, escapeLike, FALSE, grouped, or, render, sqlNumber, sqlString, TRUE, type Cond } from './sql.js';

/**
 * An EventBridge pattern's parsed tree (lib/eventbridge/pattern/tree.ts, the same tree the matcher
 * compiles) as SQL conditions over the CloudTrail table. Invalid patterns fail in the parser, with the
 * matcher's own error, before any SQL exists.
 *
 * The translation over-approximates where it cannot be exact. Conditions combine only with AND (fields
 * of a branch) and OR (branches, several values in one field); `anything-but` negates one field, never
 * a sub-pattern. So replacing a condition the table cannot express with TRUE can only widen the result,
 * and every such replacement is described in the caveats.
 */

type StringMatcher = Extract<MatcherNode, { op: 'prefix' | 'suffix' | 'equals-ignore-case' | 'wildcard' }>;
type Excluded = Extract<MatcherNode, { op: 'anything-but' }>['excluded'][number];

/** A field's matchers against one known string, with the matcher's own semantics (detail-type, version). */
function matchesString(matchers: readonly MatcherNode[], s: string): boolean {
  const { test } = compileField({ path: '', where: '', matchers });
  return test !== null && test(s);
}

function wildcardToLike(m: Extract<MatcherNode, { op: 'wildcard' }>): string {
  return m.tokens.map((t) => (t.star ? '%' : escapeLike(t.char))).join('');
}

function inList(expr: string, values: readonly string[]): Cond {
  const unique = [...new Set(values)];
  if (unique.length === 1) return atom(`${expr} = ${sqlString(unique[0] as string)}`);
  return atom(`${expr} IN (${unique.map(sqlString).join(', ')})`);
}

function likeSql(expr: string, likePattern: string, ignoreCase: boolean): Cond {
  return ignoreCase
    ? atom(`lower(${expr}) LIKE lower(${sqlString(likePattern)}) ${ESCAPE_CLAUSE}`)
    : atom(`${expr} LIKE ${sqlString(likePattern)} ${ESCAPE_CLAUSE}`);
}

const isStringExact = (m: MatcherNode | Excluded): m is { op: 'exact'; value: string } => m.op === 'exact' && typeof m.value === 'string';

/** EventBridge folds the pattern per character (ß also matches SS); SQL's lower() of both sides is close. */
function foldingCaveat(text: string, where: string, caveats: Caveats): void {
  // eslint-disable-next-line no-control-regex
  if (/[^\u0000-\u007f]/.test(text)) {
    caveats.add(`${where}: equals-ignore-case on non-ASCII text is compared with lower(), where EventBridge folds each pattern character (ß also matches SS)`);
  }
}

/** Several values in one field are alternatives: exact strings fold into one IN list. */
function leafSql(matchers: ReadonlyArray<MatcherNode | Excluded>, expr: string, where: string, caveats: Caveats): Cond {
  const strings = matchers.filter(isStringExact).map((m) => m.value);
  const rest = matchers.filter((m) => !isStringExact(m)).map((m) => matcherSql(m, expr, where, caveats));
  return or([...(strings.length > 0 ? [inList(expr, strings)] : []), ...rest]);
}

function stringMatcherSql(m: StringMatcher, expr: string, where: string, caveats: Caveats): Cond {
  switch (m.op) {
    case 'prefix':
      if (m.ignoreCase) foldingCaveat(m.text, where, caveats);
      return m.ignoreCase ? atom(`starts_with(lower(${expr}), lower(${sqlString(m.text)}))`) : atom(`starts_with(${expr}, ${sqlString(m.text)})`);
    case 'suffix':
      if (m.ignoreCase) foldingCaveat(m.text, where, caveats);
      return likeSql(expr, `%${escapeLike(m.text)}`, m.ignoreCase);
    case 'equals-ignore-case':
      foldingCaveat(m.text, where, caveats);
      return atom(`lower(${expr}) = lower(${sqlString(m.text)})`);
    case 'wildcard':
      return likeSql(expr, wildcardToLike(m), false);
  }
}

function matcherSql(m: MatcherNode | Excluded, expr: string, where: string, caveats: Caveats): Cond {
  switch (m.op) {
    case 'exact':
      if (m.value === null) {
        caveats.add(`${where}: null is matched with IS NULL, which also matches a missing field (EventBridge tells them apart)`);
        return atom(`${expr} IS NULL`);
      }
      if (typeof m.value === 'number') return atom(`TRY_CAST(${expr} AS double) = ${sqlNumber(m.value)}`);
      // The table stores booleans (readonly, JSON true/false) as the strings 'true'/'false'.
      return atom(`${expr} = ${sqlString(String(m.value))}`);
    case 'numeric':
      return and(m.bounds.map(([op, n]) => atom(`TRY_CAST(${expr} AS double) ${op} ${sqlNumber(n)}`)));
    case 'cidr':
      // TRY_CAST: sourceIPAddress also holds service names ("s3.amazonaws.com"), which must not match.
      return atom(`contains(${sqlString(m.text)}, TRY_CAST(${expr} AS IPADDRESS))`);
    case 'exists':
      return atom(`${expr} IS ${m.value ? 'NOT ' : ''}NULL`);
    case 'anything-but':
      return anythingButSql(m.excluded, expr, where, caveats);
    default:
      return stringMatcherSql(m, expr, where, caveats);
  }
}

/**
 * anything-but never matches a missing field, hence IS NOT NULL. A number compared through TRY_CAST is
 * NULL for a non-numeric value, which EventBridge counts as "not that number": coalesce keeps it a match.
 */
function anythingButSql(excluded: readonly Excluded[], expr: string, where: string, caveats: Caveats): Cond {
  const sql = render(leafSql(excluded, expr, where, caveats), 'top');
  const numeric = excluded.some((m) => m.op === 'exact' && typeof m.value === 'number');
  return and([atom(`${expr} IS NOT NULL`), atom(numeric ? `NOT coalesce(${sql}, FALSE)` : `NOT (${sql})`)]);
}

/**
 * EventBridge matches an array field when any element matches, each field on its own (two fields may
 * be satisfied by different elements), so each field is its own any_match. exists:false: no element has it.
 */
function arraySql(matchers: readonly MatcherNode[], array: string, element: string, where: string, caveats: Caveats): Cond {
  const isAbsent = (m: MatcherNode) => m.op === 'exists' && !m.value;
  const positive = matchers.filter((m) => !isAbsent(m));
  const parts: Cond[] = [];
  if (positive.length > 0) parts.push(atom(`any_match(${array}, r -> ${grouped(leafSql(positive, element, where, caveats))})`));
  if (matchers.some(isAbsent)) parts.push(atom(`NOT coalesce(any_match(${array}, r -> ${element} IS NOT NULL), FALSE)`));
  return or(parts);
}

function insightCaveat(only: boolean, caveats: Caveats): void {
  caveats.add(
    only
      ? `the pattern matches only Insight events: ${INSIGHT_NOTE}; this query finds nothing for them (query an Insights table instead)`
      : `the pattern also matches Insight events: ${INSIGHT_NOTE}`,
  );
}

/** detail-type is not stored: find which eventtype values produce a matching detail-type, here in JS. */
function detailTypeSql(matchers: readonly MatcherNode[], caveats: Caveats): Cond {
  const eventTypes = EVENT_TYPE_DETAIL_TYPES.filter(([, names]) => names.some((n) => matchesString(matchers, n))).map(([eventType]) => eventType);
  if (matchesString(matchers, DETAIL_TYPES.insight)) insightCaveat(eventTypes.length === 0, caveats);
  return eventTypes.length === 0 ? FALSE : inList('eventtype', eventTypes);
}

function fieldCond(field: FieldNode, caveats: Caveats): Cond {
  const { matchers, path: where } = field;
  const target = resolve(field.path.split('.'), caveats);
  switch (target.kind) {
    case 'unsupported':
      caveats.add(`the condition on ${where} is left out (${target.reason}): the query returns more than the pattern matches`);
      return TRUE;
    case 'constant':
      return matchesString(matchers, target.value) ? TRUE : FALSE;
    case 'detail-type':
      return detailTypeSql(matchers, caveats);
    case 'array':
      return arraySql(matchers, target.array, target.element, where, caveats);
    case 'column':
      if (target.sql === 'eventtype' && matchesString(matchers, INSIGHT_EVENT_TYPE)) {
        insightCaveat(!EVENT_TYPE_DETAIL_TYPES.some(([eventType]) => matchesString(matchers, eventType)), caveats);
      }
      return leafSql(matchers, target.sql, where, caveats);
  }
}

/**
 * Branches are alternatives. The fields every branch shares (the part of the pattern outside `$or`) are
 * factored out, so `a AND (b OR c)` reads as written rather than as `(a AND b) OR (a AND c)`.
 */
export function treeCond(tree: PatternTree, caveats: Caveats): Cond {
  const [first, ...others] = tree.branches;
  const shared = (first ?? []).filter((f) => others.every((b) => b.includes(f)));
  const rest = tree.branches.map((b) => and(b.filter((f) => !shared.includes(f)).map((f) => fieldCond(f, caveats))));
  return and([...shared.map((f) => fieldCond(f, caveats)), or(rest)]);
}

/**
 * The WHERE conditions for an EventBridge pattern over the CloudTrail table. `where` is safe to join
 * with AND (a top-level OR is parenthesized). Throws InvalidPatternError on a pattern EventBridge rejects.
 */
export function patternToSqlWhere(pattern: unknown): { where: string; caveats: string[] } {
  const caveats = new Caveats();
  const where = render(treeCond(parsePattern(pattern), caveats), 'and');
  return { where, caveats: caveats.list() };
}
