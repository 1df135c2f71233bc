/**
 * SQL text for Athena engine version 3 (Trino). Everything that comes from a rule or an option reaches
 * the SQL through one of these functions.
 */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Rejects rather than escapes: a database or table name outside this alphabet is a mistake, not data. */
export function quoteIdentifier(name: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(`invalid SQL identifier ${JSON.stringify(name)}: expected letters, digits and _ (not starting with a digit)`);
  }
  return `"${name}"`;
}

/** Trino string literal: only `'` is special (doubled); backslash has no meaning in Trino literals. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  // JS spells large/small numbers 1e+21; Trino's exponent is the same with an upper-case E.
  return String(n).replace('e', 'E');
}

/** `!` rather than `\` so the literal reads the same to every SQL tool (some treat `\` as an escape). */
export const LIKE_ESCAPE = '!';
export const ESCAPE_CLAUSE = `ESCAPE ${sqlString(LIKE_ESCAPE)}`;

export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => LIKE_ESCAPE + c);
}


/**
 * ISO-8601 at second precision with Z: the form CloudTrail writes in eventtime, so plain string
 * comparison orders correctly. `ceil` for the exclusive end, so a sub-second `until` keeps its second.
 */
export function isoSeconds(date: Date, rounding: 'floor' | 'ceil'): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new Error('invalid date in hunt time range');
  const seconds = rounding === 'floor' ? Math.floor(ms / 1000) : Math.ceil(ms / 1000);
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------------------
// Conditions: a tiny tree, so TRUE/FALSE simplify away and parentheses follow precedence.

export type Cond =
  | { kind: 'true' }
  | { kind: 'false' }
  /** A self-contained SQL boolean expression: never a bare top-level AND/OR. */
  | { kind: 'atom'; sql: string }
  | { kind: 'and' | 'or'; parts: Cond[] };

export const TRUE: Cond = { kind: 'true' };
export const FALSE: Cond = { kind: 'false' };
export const atom = (sql: string): Cond => ({ kind: 'atom', sql });

function combine(kind: 'and' | 'or', parts: readonly Cond[]): Cond {
  const absorbing = kind === 'and' ? 'false' : 'true';
  const neutral = kind === 'and' ? 'true' : 'false';
  const kept: Cond[] = [];
  for (const part of parts) {
    if (part.kind === absorbing) return part;
    if (part.kind === neutral) continue;
    if (part.kind === kind) kept.push(...part.parts);
    else kept.push(part);
  }
  if (kept.length === 0) return kind === 'and' ? TRUE : FALSE;
  return kept.length === 1 ? (kept[0] as Cond) : { kind, parts: kept };
}

export const and = (parts: readonly Cond[]): Cond => combine('and', parts);
export const or = (parts: readonly Cond[]): Cond => combine('or', parts);

/** `inside` is the operator around this condition: an OR under AND needs parentheses, and vice versa. */
export function render(cond: Cond, inside: 'and' | 'or' | 'top'): string {
  switch (cond.kind) {
    case 'true':
      return 'TRUE';
    case 'false':
      return 'FALSE';
    case 'atom':
      return cond.sql;
    case 'and': {
      const sql = cond.parts.map((p) => render(p, 'and')).join(' AND ');
      return inside === 'or' ? `(${sql})` : sql;
    }
    case 'or': {
      const sql = cond.parts.map((p) => render(p, 'or')).join(' OR ');
      return inside === 'top' ? sql : `(${sql})`;
    }
  }
}

/** One operand: compound conditions in parentheses, so nothing around them can rebind their parts. */
export function grouped(cond: Cond): string {
  const sql = render(cond, 'top');
  return cond.kind === 'and' || cond.kind === 'or' ? `(${sql})` : sql;
}
