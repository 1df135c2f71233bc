/**
 * Hunt: turn a rule's EventBridge pattern into the Athena SQL that finds its matches in CloudTrail
 * history, over the table the CloudTrail console's "Create Athena table" action creates.
 *
 * The target is Athena engine version 3 (Trino SQL): `starts_with`, `any_match`, `contains(network,
 * IPADDRESS)` and `RANGE` window frames with an interval offset do not exist in engine version 2.
 *
 * The translation over-approximates where it cannot be exact. Pattern conditions combine only with AND
 * (sibling keys) and OR (`$or`, several values in one leaf); `anything-but` negates one leaf, never a
 * sub-pattern. So replacing a condition the table cannot express with TRUE can only widen the result, and
 * every such replacement is described in `caveats`. The query is then a superset of the pattern's matches,
 * except where a caveat says it can miss (fields inside JSON arrays, JSON nulls).
 */
import { isIP } from 'node:net';
import { DETAIL_TYPES } from '../cloudtrail/types.js';
import type { Rule } from '../rule.js';
import type { EventPattern } from '../eventbridge/pattern.js';


export interface HuntOptions {
  /** Glue database; default "default". */
  database?: string;
  table: string;
  /** Inclusive. */
  since: Date;
  /** Exclusive. */
  until: Date;
  /** Default 1000. */
  limit?: number;
}

export interface HuntQuery {
  sql: string;
  /** What the SQL cannot express, in words, e.g. "the rule's match() predicate: ...". */
  caveats: string[];
}

export type HuntRule = Pick<Rule, 'id' | 'pattern' | 'match' | 'threshold' | 'groupBy' | 'title'>;

const DEFAULT_DATABASE = 'default';
const DEFAULT_LIMIT = 1000;

// ---------------------------------------------------------------------------------------------------------
// SQL text. Everything that comes from a rule or an option reaches the SQL through one of these.

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

function sqlNumber(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  // JS spells large/small numbers 1e+21; Trino's exponent is the same with an upper-case E.
  return String(n).replace('e', 'E');
}

/** `!` rather than `\` so the literal reads the same to every SQL tool (some treat `\` as an escape). */
const LIKE_ESCAPE = '!';
const ESCAPE_CLAUSE = `ESCAPE ${sqlString(LIKE_ESCAPE)}`;

function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => LIKE_ESCAPE + c);
}

type WildcardToken = { star: true } | { text: string };

/** EventBridge wildcard: `*` is any run of characters; `\*` and `\\` are a literal star and backslash. */
function wildcardTokens(pattern: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    const next = pattern[i + 1];
    if (c === '\\' && (next === '*' || next === '\\')) {
      tokens.push({ text: next });
      i++;
    } else if (c === '*') {
      tokens.push({ star: true });
    } else {
      tokens.push({ text: c });
    }
  }
  return tokens;
}

function wildcardToLike(pattern: string): string {
  return wildcardTokens(pattern)
    .map((t) => ('star' in t ? '%' : escapeLike(t.text)))
    .join('');
}

function wildcardToRegExp(pattern: string): RegExp {
  const body = wildcardTokens(pattern)
    .map((t) => ('star' in t ? '[\\s\\S]*' : t.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/**
 * ISO-8601 at second precision with Z: the form CloudTrail writes in eventtime, so plain string
 * comparison orders correctly. `ceil` for the exclusive end, so a sub-second `until` keeps its second.
 */
function isoSeconds(date: Date, rounding: 'floor' | 'ceil'): string {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new Error('invalid date in hunt time range');
  const seconds = rounding === 'floor' ? Math.floor(ms / 1000) : Math.ceil(ms / 1000);
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

// ---------------------------------------------------------------------------------------------------------
// Conditions: a tiny tree, so TRUE/FALSE simplify away and parentheses follow precedence.

type Cond =
  | { kind: 'true' }
  | { kind: 'false' }
  /** A self-contained SQL boolean expression: never a bare top-level AND/OR. */
  | { kind: 'atom'; sql: string }
  | { kind: 'and' | 'or'; parts: Cond[] };

const TRUE: Cond = { kind: 'true' };
const FALSE: Cond = { kind: 'false' };
const atom = (sql: string): Cond => ({ kind: 'atom', sql });

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

const and = (parts: readonly Cond[]): Cond => combine('and', parts);
const or = (parts: readonly Cond[]): Cond => combine('or', parts);

/** `inside` is the operator around this condition: an OR under AND needs parentheses, and vice versa. */
function render(cond: Cond, inside: 'and' | 'or' | 'top'): string {
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
function grouped(cond: Cond): string {
  const sql = render(cond, 'top');
  return cond.kind === 'and' || cond.kind === 'or' ? `(${sql})` : sql;
}

// ---------------------------------------------------------------------------------------------------------
// Pattern leaves: parsed into matchers first, so invalid patterns fail loudly instead of producing SQL.

type Exact = string | number | boolean | null;
const NUMERIC_OPS = ['<', '<=', '=', '>', '>='] as const;
type NumericOp = (typeof NUMERIC_OPS)[number];

/** The positive string tests anything-but can negate. */
type Positive =
  | { op: 'equals'; value: Exact }
  | { op: 'prefix' | 'suffix'; value: string; ignoreCase: boolean }
  | { op: 'equals-ignore-case'; value: string }
  | { op: 'wildcard'; value: string };

type Matcher =
  | Positive
  | { op: 'numeric'; bounds: Array<[NumericOp, number]> }
  | { op: 'cidr'; value: string }
  | { op: 'exists'; value: boolean }
  | { op: 'anything-but'; inner: Positive[] };

class PatternError extends Error {
  constructor(path: readonly string[], message: string) {
    super(`invalid pattern at ${path.join('.') || '(root)'}: ${message}`);
    this.name = 'PatternError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKey(path: readonly string[], obj: Record<string, unknown>): [string, unknown] {
  const entries = Object.entries(obj);
  if (entries.length !== 1) throw new PatternError(path, `an operator object needs exactly one key, got ${entries.length}`);
  return entries[0] as [string, unknown];
}

function stringOrStrings(path: readonly string[], op: string, v: unknown, allowEmpty: boolean): string[] {
  const values = Array.isArray(v) ? v : [v];
  if (values.length === 0) throw new PatternError(path, `${op} needs at least one value`);
  return values.map((s) => {
    if (typeof s !== 'string') throw new PatternError(path, `${op} takes strings`);
    if (!allowEmpty && s === '') throw new PatternError(path, `${op} cannot be empty`);
    return s;
  });
}

function parseWildcard(path: readonly string[], v: unknown): string {
  if (typeof v !== 'string') throw new PatternError(path, 'wildcard takes a string');
  // EventBridge rejects consecutive unescaped stars; accepting them would hide a rule that cannot deploy.
  const tokens = wildcardTokens(v);
  tokens.forEach((t, i) => {
    if ('star' in t && i > 0 && 'star' in (tokens[i - 1] as WildcardToken)) throw new PatternError(path, 'wildcard cannot contain **');
  });
  return v;
}

/** `prefix`/`suffix`: a string, or `{equals-ignore-case: string}`. */
function parseAffix(path: readonly string[], op: 'prefix' | 'suffix', v: unknown): Matcher {
  if (typeof v === 'string') return { op, value: v, ignoreCase: false };
  if (isObject(v)) {
    const [key, inner] = onlyKey(path, v);
    if (key === 'equals-ignore-case' && typeof inner === 'string') return { op, value: inner, ignoreCase: true };
  }
  throw new PatternError(path, `${op} takes a string or {"equals-ignore-case": string}`);
}

function parseNumeric(path: readonly string[], v: unknown): Matcher {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 4)) throw new PatternError(path, 'numeric takes [op, n] or [op, n, op, n]');
  const bounds: Array<[NumericOp, number]> = [];
  for (let i = 0; i < v.length; i += 2) {
    const op: unknown = v[i];
    const n: unknown = v[i + 1];
    if (!NUMERIC_OPS.some((o) => o === op) || typeof n !== 'number' || !Number.isFinite(n)) {
      throw new PatternError(path, `numeric: bad comparison ${JSON.stringify([op, n])}`);
    }
    bounds.push([op as NumericOp, n]);
  }
  if (bounds.length === 2) {
    const [[lower], [upper]] = bounds as [[NumericOp, number], [NumericOp, number]];
    if (!(lower === '>' || lower === '>=') || !(upper === '<' || upper === '<=')) {
      throw new PatternError(path, 'numeric range must be a lower bound (> or >=) then an upper bound (< or <=)');
    }
  }
  return { op: 'numeric', bounds };
}

function parseCidr(path: readonly string[], v: unknown): Matcher {
  const parts = typeof v === 'string' ? v.split('/') : [];
  const [address, bits] = parts;
  const family = address === undefined ? 0 : isIP(address);
  const max = family === 4 ? 32 : 128;
  if (parts.length !== 2 || family === 0 || bits === undefined || !/^\d{1,3}$/.test(bits) || Number(bits) > max) {
    throw new PatternError(path, `cidr takes an IPv4 or IPv6 network like 10.0.0.0/8, got ${JSON.stringify(v)}`);
  }
  return { op: 'cidr', value: v as string };
}

function parseAnythingBut(path: readonly string[], v: unknown): Matcher {
  const plain = (x: unknown): Positive => {
    if (typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))) return { op: 'equals', value: x };
    throw new PatternError(path, 'anything-but takes strings or numbers');
  };
  if (Array.isArray(v)) {
    if (v.length === 0) throw new PatternError(path, 'anything-but needs at least one value');
    return { op: 'anything-but', inner: v.map(plain) };
  }
  if (!isObject(v)) return { op: 'anything-but', inner: [plain(v)] };
  const [key, inner] = onlyKey(path, v);
  switch (key) {
    case 'prefix':
    case 'suffix':
      return { op: 'anything-but', inner: stringOrStrings(path, key, inner, false).map((value) => ({ op: key, value, ignoreCase: false })) };
    case 'equals-ignore-case':
      return { op: 'anything-but', inner: stringOrStrings(path, key, inner, true).map((value) => ({ op: key, value })) };
    case 'wildcard':
      return {
        op: 'anything-but',
        inner: stringOrStrings(path, key, inner, true).map((value) => ({ op: key, value: parseWildcard(path, value) })),
      };
    default:
      throw new PatternError(path, `anything-but does not support ${JSON.stringify(key)}`);
  }
}

function parseMatcher(path: readonly string[], value: unknown): Matcher {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return { op: 'equals', value };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PatternError(path, 'numbers must be finite');
    return { op: 'equals', value };
  }
  if (!isObject(value)) throw new PatternError(path, 'leaf values must be strings, numbers, booleans, null or operator objects');
  const [op, operand] = onlyKey(path, value);
  switch (op) {
    case 'prefix':
    case 'suffix':
      return parseAffix(path, op, operand);
    case 'equals-ignore-case':
      if (typeof operand !== 'string') throw new PatternError(path, 'equals-ignore-case takes a string');
      return { op, value: operand };
    case 'wildcard':
      return { op, value: parseWildcard(path, operand) };
    case 'numeric':
      return parseNumeric(path, operand);
    case 'cidr':
      return parseCidr(path, operand);
    case 'exists':
      if (typeof operand !== 'boolean') throw new PatternError(path, 'exists takes true or false');
      return { op, value: operand };
    case 'anything-but':
      return parseAnythingBut(path, operand);
    default:
      throw new PatternError(path, `unknown operator ${JSON.stringify(op)}`);
  }
}

function parseLeaf(path: readonly string[], values: readonly unknown[]): Matcher[] {
  if (values.length === 0) throw new PatternError(path, 'a leaf needs at least one value');
  return values.map((v) => parseMatcher(path, v));
}

/**
 * A matcher against one known string, for fields whose values SQL cannot see but we know in full
 * (detail-type derives from eventtype; version is always "0").
 */
function matchesString(m: Matcher, s: string): boolean {
  switch (m.op) {
    case 'equals':
      return m.value === s;
    case 'prefix':
      return m.ignoreCase ? s.toLowerCase().startsWith(m.value.toLowerCase()) : s.startsWith(m.value);
    case 'suffix':
      return m.ignoreCase ? s.toLowerCase().endsWith(m.value.toLowerCase()) : s.endsWith(m.value);
    case 'equals-ignore-case':
      return s.toLowerCase() === m.value.toLowerCase();
    case 'wildcard':
      return wildcardToRegExp(m.value).test(s);
    case 'numeric':
    case 'cidr':
      return false;
    case 'exists':
      return m.value;
    case 'anything-but':
      return !m.inner.some((i) => matchesString(i, s));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Where pattern fields live in the CloudTrail table. Column names are the CloudTrail names lowercased.

type Shape = 'string' | 'json' | { struct: Fields } | { array: Fields };
interface Field {
  shape: Shape;
  /** In the current Athena DDL for CloudTrail but not in older console-created tables. */
  newer?: true;
}
type Fields = Record<string, Field>;

const str: Field = { shape: 'string' };
const json: Field = { shape: 'json' };
const newerStr: Field = { shape: 'string', newer: true };

const IDENTITY_ISSUER: Fields = { type: str, principalId: str, arn: str, accountId: str, userName: str };

const DETAIL_FIELDS: Fields = {
  eventVersion: str,
  userIdentity: {
    shape: {
      struct: {
        type: str,
        principalId: str,
        arn: str,
        accountId: str,
        invokedBy: str,
        accessKeyId: str,
        userName: str,
        onBehalfOf: { shape: { struct: { userId: str, identityStoreArn: str } }, newer: true },
        sessionContext: {
          shape: {
            struct: {
              attributes: { shape: { struct: { mfaAuthenticated: str, creationDate: str } } },
              sessionIssuer: { shape: { struct: IDENTITY_ISSUER } },
              ec2RoleDelivery: newerStr,
            },
          },
        },
      },
    },
  },
  eventTime: str,
  eventSource: str,
  eventName: str,
  awsRegion: str,
  sourceIPAddress: str,
  userAgent: str,
  errorCode: str,
  errorMessage: str,
  requestParameters: json,
  responseElements: json,
  additionalEventData: json,
  requestID: str,
  eventID: str,
  resources: { shape: { array: { ARN: str, accountId: str, type: str } } },
  eventType: str,
  apiVersion: str,
  readOnly: str,
  recipientAccountId: str,
  serviceEventDetails: json,
  sharedEventID: str,
  vpcEndpointId: str,
  vpcEndpointAccountId: newerStr,
  eventCategory: newerStr,
  sessionCredentialFromConsole: newerStr,
  edgeDeviceDetails: { shape: 'json', newer: true },
  addendum: {
    shape: { struct: { reason: str, updatedFields: str, originalRequestID: str, originalEventID: str } },
    newer: true,
  },
  tlsDetails: {
    shape: { struct: { tlsVersion: str, cipherSuite: str, clientProvidedHostHeader: str } },
    newer: true,
  },
};

const INSIGHT_NOTE = 'CloudTrail delivers Insight events under a separate CloudTrail-Insight prefix, so they are not in this table';

/** Where a pattern leaf's value comes from. */
type Target =
  /** A string-valued SQL expression, NULL when the field is absent. */
  | { kind: 'column'; sql: string }
  /** Any element of an array<struct> column, as `r.<field>` inside a lambda. */
  | { kind: 'array'; array: string; element: string }
  | { kind: 'detail-type' }
  | { kind: 'constant'; value: string }
  | { kind: 'unsupported'; reason: string };

/** `eventtype` values and the detail-types EventBridge gives them; sign-in has two spellings in the wild. */
const EVENT_TYPE_DETAIL_TYPES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['AwsApiCall', [DETAIL_TYPES.apiCall]],
  ['AwsConsoleSignIn', [DETAIL_TYPES.consoleSignIn, DETAIL_TYPES.consoleSignInDocs]],
  ['AwsConsoleAction', [DETAIL_TYPES.consoleAction]],
  ['AwsServiceEvent', [DETAIL_TYPES.serviceEvent]],
];
const INSIGHT_EVENT_TYPE = 'AwsCloudTrailInsight';

/** Accumulates caveats in first-seen order, once each. */
class Caveats {
  private readonly seen = new Set<string>();
  add(text: string): void {
    this.seen.add(text);
  }
  list(): string[] {
    return [...this.seen];
  }
}

const JSON_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A JSON path for json_extract_scalar; keys outside plain identifiers use the quoted bracket form. */
function jsonPath(keys: readonly string[]): string | undefined {
  let path = '$';
  for (const key of keys) {
    if (JSON_KEY.test(key)) path += `.${key}`;
    // Trino's JSON path has no documented escape inside ["..."]: refuse such keys rather than guess.
    else if (/["\\\u0000-\u001f]/.test(key)) return undefined;
    else path += `["${key}"]`;
  }
  return path;
}

function resolveJson(column: string, keys: readonly string[], caveats: Caveats): Target {
  if (keys.length === 0) return { kind: 'column', sql: column };
  const path = jsonPath(keys);
  if (path === undefined) return { kind: 'unsupported', reason: 'a key contains a quote, backslash or control character' };
  caveats.add(
    `${column} is JSON text read with json_extract_scalar, which does not look inside JSON arrays (EventBridge does) ` +
      'and reads a JSON null as missing: a condition on a field inside an array, or anything-but on a null, finds nothing',
  );
  return { kind: 'column', sql: `json_extract_scalar(${column}, ${sqlString(path)})` };
}

function resolveDetail(keys: readonly string[], caveats: Caveats): Target {
  let fields = DETAIL_FIELDS;
  const columns: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (field === undefined) {
      if (i === 0 && key === 'insightDetails') return { kind: 'unsupported', reason: INSIGHT_NOTE };
      return { kind: 'unsupported', reason: 'the CloudTrail table has no such column' };
    }
    columns.push(key.toLowerCase());
    const column = columns.join('.');
    if (field.newer) {
      caveats.add(
        `${column} exists only in tables created with the current Athena DDL for CloudTrail; ` +
          'on an older console-created table Athena fails with "cannot be resolved"',
      );
    }
    const rest = keys.slice(i + 1);
    const shape = field.shape;
    if (shape === 'json') return resolveJson(column, rest, caveats);
    if (shape === 'string') {
      return rest.length === 0 ? { kind: 'column', sql: column } : { kind: 'unsupported', reason: `${column} is a string, not an object` };
    }
    if ('array' in shape) {
      const element = rest.length === 1 && Object.hasOwn(shape.array, rest[0] as string) ? (rest[0] as string) : undefined;
      if (element === undefined) return { kind: 'unsupported', reason: `${column} elements have no such field` };
      return { kind: 'array', array: column, element: `r.${element.toLowerCase()}` };
    }
    if (rest.length === 0) return { kind: 'unsupported', reason: `${column} is an object; EventBridge compares leaf values only` };
    fields = shape.struct;
  }
  return { kind: 'unsupported', reason: 'the pattern compares the whole detail object' };
}

/** Envelope fields, derived from the record: EventBridge builds the envelope from it. */
function resolve(path: readonly string[], caveats: Caveats): Target {
  const [head, ...rest] = path;
  if (head === 'detail') return resolveDetail(rest, caveats);
  if (rest.length > 0) return { kind: 'unsupported', reason: 'the envelope has no such nested field' };
  switch (head) {
    case 'source':
      // aws.<service> from <service>.amazonaws.com.
      return { kind: 'column', sql: "concat('aws.', split_part(eventsource, '.', 1))" };
    case 'detail-type':
      return { kind: 'detail-type' };
    case 'account':
      return { kind: 'column', sql: 'recipientaccountid' };
    case 'region':
      return { kind: 'column', sql: 'awsregion' };
    case 'time':
      return { kind: 'column', sql: 'eventtime' };
    case 'version':
      return { kind: 'constant', value: '0' };
    default:
      return { kind: 'unsupported', reason: 'EventBridge sets this envelope field itself; the table does not record it' };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Leaves to SQL.

const isStringEquals = (m: Matcher): m is { op: 'equals'; value: string } => m.op === 'equals' && typeof m.value === 'string';

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

/** Several values in one leaf are alternatives: exact strings fold into one IN list. */
function leafSql(matchers: readonly Matcher[], expr: string, where: string, caveats: Caveats): Cond {
  const strings = matchers.filter(isStringEquals).map((m) => m.value);
  const rest = matchers.filter((m) => !isStringEquals(m)).map((m) => matcherSql(m, expr, where, caveats));
  return or([...(strings.length > 0 ? [inList(expr, strings)] : []), ...rest]);
}

function matcherSql(m: Matcher, expr: string, where: string, caveats: Caveats): Cond {
  switch (m.op) {
    case 'equals':
      if (m.value === null) {
        caveats.add(`${where}: null is matched with IS NULL, which also matches a missing field (EventBridge tells them apart)`);
        return atom(`${expr} IS NULL`);
      }
      if (typeof m.value === 'number') return atom(`TRY_CAST(${expr} AS double) = ${sqlNumber(m.value)}`);
      // The table stores booleans (readonly, JSON true/false) as the strings 'true'/'false'.
      return atom(`${expr} = ${sqlString(String(m.value))}`);
    case 'prefix':
      return m.ignoreCase
        ? atom(`starts_with(lower(${expr}), lower(${sqlString(m.value)}))`)
        : atom(`starts_with(${expr}, ${sqlString(m.value)})`);
    case 'suffix':
      return likeSql(expr, `%${escapeLike(m.value)}`, m.ignoreCase);
    case 'equals-ignore-case':
      return atom(`lower(${expr}) = lower(${sqlString(m.value)})`);
    case 'wildcard':
      return likeSql(expr, wildcardToLike(m.value), false);
    case 'numeric':
      return and(m.bounds.map(([op, n]) => atom(`TRY_CAST(${expr} AS double) ${op} ${sqlNumber(n)}`)));
    case 'cidr':
      // TRY_CAST: sourceIPAddress also holds service names ("s3.amazonaws.com"), which must not match.
      return atom(`contains(${sqlString(m.value)}, TRY_CAST(${expr} AS IPADDRESS))`);
    case 'exists':
      return atom(`${expr} IS ${m.value ? 'NOT ' : ''}NULL`);
    case 'anything-but':
      return anythingButSql(m.inner, expr, where, caveats);
  }
}

/**
 * anything-but never matches a missing field, hence IS NOT NULL. A number compared through TRY_CAST is
 * NULL for a non-numeric value, which EventBridge counts as "not that number": coalesce keeps it a match.
 */
function anythingButSql(inner: readonly Positive[], expr: string, where: string, caveats: Caveats): Cond {
  const excluded = render(leafSql(inner, expr, where, caveats), 'top');
  const numeric = inner.some((m) => m.op === 'equals' && typeof m.value === 'number');
  return and([atom(`${expr} IS NOT NULL`), atom(numeric ? `NOT coalesce(${excluded}, FALSE)` : `NOT (${excluded})`)]);
}

/**
 * EventBridge matches an array field when any element matches, each leaf on its own (two leaves may be
 * satisfied by different elements), so each leaf is its own any_match. exists:false means no element has it.
 */
function arraySql(matchers: readonly Matcher[], array: string, element: string, where: string, caveats: Caveats): Cond {
  const absent = matchers.some((m) => m.op === 'exists' && !m.value);
  const positive = matchers.filter((m) => !(m.op === 'exists' && !m.value));
  const parts: Cond[] = [];
  if (positive.length > 0) parts.push(atom(`any_match(${array}, r -> ${grouped(leafSql(positive, element, where, caveats))})`));
  if (absent) parts.push(atom(`NOT coalesce(any_match(${array}, r -> ${element} IS NOT NULL), FALSE)`));
  return or(parts);
}

/** detail-type is not stored: find which eventtype values produce a matching detail-type, here in JS. */
function detailTypeSql(matchers: readonly Matcher[], caveats: Caveats): Cond {
  const hit = (s: string): boolean => matchers.some((m) => matchesString(m, s));
  const eventTypes = EVENT_TYPE_DETAIL_TYPES.filter(([, names]) => names.some(hit)).map(([eventType]) => eventType);
  if (hit(DETAIL_TYPES.insight)) insightCaveat(eventTypes.length === 0, caveats);
  return eventTypes.length === 0 ? FALSE : inList('eventtype', eventTypes);
}

function insightCaveat(only: boolean, caveats: Caveats): void {
  caveats.add(
    only
      ? `the pattern matches only Insight events: ${INSIGHT_NOTE}; this query finds nothing for them (query an Insights table instead)`
      : `the pattern also matches Insight events: ${INSIGHT_NOTE}`,
  );
}

function leafCond(path: readonly string[], values: readonly unknown[], caveats: Caveats): Cond {
  const matchers = parseLeaf(path, values);
  const where = path.join('.');
  const target = resolve(path, caveats);
  switch (target.kind) {
    case 'unsupported':
      caveats.add(`the condition on ${where} is left out (${target.reason}): the query returns more than the pattern matches`);
      return TRUE;
    case 'constant':
      return matchers.some((m) => matchesString(m, target.value)) ? TRUE : FALSE;
    case 'detail-type':
      return detailTypeSql(matchers, caveats);
    case 'array':
      return arraySql(matchers, target.array, target.element, where, caveats);
    case 'column':
      if (target.sql === 'eventtype' && matchers.some((m) => matchesString(m, INSIGHT_EVENT_TYPE))) {
        const tableTypes = EVENT_TYPE_DETAIL_TYPES.some(([eventType]) => matchers.some((m) => matchesString(m, eventType)));
        insightCaveat(!tableTypes, caveats);
      }
      return leafSql(matchers, target.sql, where, caveats);
  }
}

function objectCond(pattern: Record<string, unknown>, path: readonly string[], caveats: Caveats): Cond {
  const parts: Cond[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) {
        throw new PatternError(path, '$or takes a non-empty array of sub-patterns');
      }
      parts.push(or(value.map((sub) => objectCond(sub, path, caveats))));
    } else if (Array.isArray(value)) {
      parts.push(leafCond([...path, key], value, caveats));
    } else if (isObject(value)) {
      parts.push(objectCond(value, [...path, key], caveats));
    } else {
      throw new PatternError([...path, key], 'pattern values must be arrays or objects');
    }
  }
  return and(parts);
}

function patternCond(pattern: EventPattern, caveats: Caveats): Cond {
  if (!isObject(pattern)) throw new PatternError([], 'a pattern is a JSON object');
  return objectCond(pattern, [], caveats);
}

/**
 * The WHERE conditions for an EventBridge pattern over the CloudTrail table. `where` is safe to join
 * with AND (a top-level OR is parenthesized). Throws on a pattern EventBridge would reject.
 */
export function patternToSqlWhere(pattern: EventPattern): { where: string; caveats: string[] } {
  const caveats = new Caveats();
  const where = render(patternCond(pattern, caveats), 'and');
  return { where, caveats: caveats.list() };
}

// ---------------------------------------------------------------------------------------------------------
// The query.

const RESULT_COLUMNS = [
  'eventtime',
  'eventid',
  'eventsource',
  'eventname',
  'awsregion',
  'recipientaccountid',
  'principal',
  'sourceipaddress',
  'useragent',
  'errorcode',
] as const;

const SELECT_LIST = RESULT_COLUMNS.map((c) => (c === 'principal' ? 'useridentity.arn AS principal' : c)).join(', ');

/**
 * Mirrors the engine's default incident key (principal, then account): an assumed-role session counts
 * as its role, other callers as their own ARN, AWS services as the service.
 */
const GROUP_PRINCIPAL =
  'coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.invokedby, useridentity.principalid)';

function positiveInteger(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${n}`);
  return n;
}

/** Whole minutes, or whole seconds for a fractional minute count. */
function windowInterval(minutes: number): string {
  if (Number.isSafeInteger(minutes) && minutes > 0) return `INTERVAL '${minutes}' MINUTE`;
  const seconds = minutes * 60;
  if (Number.isSafeInteger(seconds) && seconds > 0) return `INTERVAL '${seconds}' SECOND`;
  throw new Error(`threshold.windowMinutes must be a positive whole number of seconds, got ${minutes} min`);
}

function timeRange(since: Date, until: Date): Cond {
  const from = isoSeconds(since, 'floor');
  const to = isoSeconds(until, 'ceil');
  if (from >= to) throw new Error(`empty hunt time range: ${from} is not before ${to}`);
  // The console table has no partition column to prune on; eventtime is ISO-8601 Z, so strings order.
  return and([atom(`eventtime >= ${sqlString(from)}`), atom(`eventtime < ${sqlString(to)}`)]);
}

function plainQuery(from: string, where: string, limit: number): string {
  return [`SELECT ${SELECT_LIST}`, `FROM ${from}`, `WHERE ${where}`, 'ORDER BY eventtime DESC', `LIMIT ${limit}`].join('\n');
}

/**
 * Inner: the pattern's matches with their group key. Middle: how many matches of the same group fall in
 * the window ending at each one (the window frame cannot partition by an expression in every tool, so the
 * key is a column first). Outer: the events at which the threshold was reached or exceeded.
 */
function thresholdQuery(from: string, where: string, limit: number, count: number, interval: string): string {
  const columns = RESULT_COLUMNS.join(', ');
  return [
    `SELECT ${columns}, window_count`,
    'FROM (',
    `  SELECT ${columns}, COUNT(*) OVER (PARTITION BY group_principal, recipientaccountid ORDER BY from_iso8601_timestamp(eventtime) RANGE BETWEEN ${interval} PRECEDING AND CURRENT ROW) AS window_count`,
    '  FROM (',
    `    SELECT ${SELECT_LIST}, ${GROUP_PRINCIPAL} AS group_principal`,
    `    FROM ${from}`,
    `    WHERE ${where}`,
    '  ) AS hits',
    ') AS windowed',
    `WHERE window_count >= ${count}`,
    'ORDER BY eventtime DESC',
    `LIMIT ${limit}`,
  ].join('\n');
}

function ruleCaveats(rule: HuntRule, caveats: Caveats): void {
  if (rule.match) {
    caveats.add(
      "the rule's match() predicate is JavaScript and is not expressed: the query returns every event the pattern matches; " +
        'replay the results through the rule to keep the real matches',
    );
  }
  if (!rule.threshold) return;
  const { count, windowMinutes } = rule.threshold;
  caveats.add(
    `threshold: ${count} in ${windowMinutes} min (expressed with a window function over the queried time range: ` +
      'events before `since` are not counted, so a burst that straddles it can be missed; rows are the events at which the count was reached)',
  );
  if (rule.match) caveats.add('the threshold window counts pattern matches, not match() results, so it can reach the count where the rule would not');
  if (rule.groupBy) {
    caveats.add("the rule's groupBy() is JavaScript: the window groups by principal (role for assumed-role sessions) and account instead");
  }
}

/** The Athena SQL that finds a rule's matches in [since, until), and what it cannot express. */
export function ruleToAthenaSql(rule: HuntRule, opts: HuntOptions): HuntQuery {
  const from = `${quoteIdentifier(opts.database ?? DEFAULT_DATABASE)}.${quoteIdentifier(opts.table)}`;
  const limit = positiveInteger('limit', opts.limit ?? DEFAULT_LIMIT);
  const caveats = new Caveats();
  const where = render(and([patternCond(rule.pattern, caveats), timeRange(opts.since, opts.until)]), 'top');
  ruleCaveats(rule, caveats);
  const sql = rule.threshold
    ? thresholdQuery(from, where, limit, positiveInteger('threshold.count', rule.threshold.count), windowInterval(rule.threshold.windowMinutes))
    : plainQuery(from, where, limit);
  return { sql, caveats: caveats.list() };
}
