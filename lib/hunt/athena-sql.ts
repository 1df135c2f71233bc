/**
 * Hunt: the Athena SQL that finds a rule's matches in CloudTrail history, over the table the CloudTrail
 * console's "Create Athena table" action creates (cloudtrail-table.ts), from the rule's pattern parsed by
 * the same parser as the matcher (pattern-to-sql.ts).
 *
 * The target is Athena engine version 3 (Trino SQL): `starts_with`, `any_match`, `contains(network,
 * IPADDRESS)` and `RANGE` window frames with an interval offset do not exist in engine version 2.
 * The query is a superset of the pattern's matches, except where a caveat says it can miss (fields
 * inside JSON arrays, JSON nulls, non-ASCII case folding).
 */
import { parsePattern } from '../eventbridge/pattern/tree.js';
import type { Rule } from '../detection/rule.js';
import { Caveats } from './cloudtrail-table.js';
import { treeCond } from './pattern-to-sql.js';
import { and, atom, isoSeconds, quoteIdentifier, render, sqlString, type Cond } from './sql.js';

export { patternToSqlWhere } from './pattern-to-sql.js';
export { quoteIdentifier, sqlString } from './sql.js';

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
  const where = render(and([treeCond(parsePattern(rule.pattern), caveats), timeRange(opts.since, opts.until)]), 'top');
  ruleCaveats(rule, caveats);
  const sql = rule.threshold
    ? thresholdQuery(from, where, limit, positiveInteger('threshold.count', rule.threshold.count), windowInterval(rule.threshold.windowMinutes))
    : plainQuery(from, where, limit);
  return { sql, caveats: caveats.list() };
}

// ---------------------------------------------------------------------------------------------------------
// Next steps in an alert: one caller's (or one API's) activity around the event.

/** Whose activity to list: callers by ARN, access key or calling service; Insight alerts by API. */
export type ActivitySubject =
  | { arn: string }
  | { accessKeyId: string }
  | { invokedBy: string }
  | { eventSource: string; eventName: string };

export interface ActivityQueryOptions {
  database?: string;
  table: string;
  subject: ActivitySubject;
  since: Date;
  until: Date;
  limit?: number;
}

function subjectCond(subject: ActivitySubject): Cond {
  if ('arn' in subject) return atom(`useridentity.arn = ${sqlString(subject.arn)}`);
  if ('accessKeyId' in subject) return atom(`useridentity.accesskeyid = ${sqlString(subject.accessKeyId)}`);
  if ('invokedBy' in subject) return atom(`useridentity.invokedby = ${sqlString(subject.invokedBy)}`);
  return and([atom(`eventsource = ${sqlString(subject.eventSource)}`), atom(`eventname = ${sqlString(subject.eventName)}`)]);
}

/** Every call of one subject in [since, until), newest first, over the console-created table. */
export function activityToAthenaSql(opts: ActivityQueryOptions): string {
  const from = `${quoteIdentifier(opts.database ?? DEFAULT_DATABASE)}.${quoteIdentifier(opts.table)}`;
  const limit = positiveInteger('limit', opts.limit ?? DEFAULT_LIMIT);
  return plainQuery(from, render(and([subjectCond(opts.subject), timeRange(opts.since, opts.until)]), 'top'), limit);
}
