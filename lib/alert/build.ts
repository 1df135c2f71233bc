import type { TrailEvent } from '../cloudtrail/types.js';
import { actorOf, errorCodeOf } from '../cloudtrail/identity.js';
import { eventIdOf, eventTimeOf } from '../cloudtrail/envelope.js';
import type { Detail, GroupKey, Rule } from '../detection/rule.js';
import type { Alert } from './alert.js';
import type { Actor } from '../cloudtrail/identity.js';
import { snsMessage } from './email.js';
import { oneLine } from '../untrusted/text.js';

/**
 * The one alert builder. First alerts (`buildAlert`), burst alerts (`buildAlert` with a threshold
 * context) and follow-ups (`buildFollowUp`) all end in `finish`, which cleans and caps every string,
 * bounds every list and shrinks the alert until its SNS publish fits with a margin: whatever path an
 * alert takes, the same hygiene holds.
 */

export interface AlertContext {
  /** Detection time, ms since epoch. */
  now: number;
  accountNames?: Readonly<Record<string, string>>;
  late?: boolean;
  /** Detected from recorded history on an event-time clock: there is no delivery delay to report. */
  replayed?: boolean;
  kind?: Alert['kind'];
  group?: GroupKey;
  count?: number;
  eventIds?: string[];
  firstEventTime?: number;
  lastEventTime?: number;
}

/** What a follow-up reports about an incident: read from state by `lib/incidents/followups.ts`. */
export interface FollowUpInput {
  /** The event that opened the incident (and alerted): the follow-up's id derives from it. */
  openerEventId: string;
  account: string;
  region: string;
  /** API of the opening call; `calls` says what the grouped calls were. */
  eventSource: string;
  eventName: string;
  actor: Pick<Actor, 'type' | 'name' | 'arn'>;
  group: Record<string, string>;
  /** How many matches the follow-up stands for (the counting is lib/incidents/followups.ts's job). */
  count: number;
  /** Event-time span of every counted event (ms). */
  first: number;
  last: number;
  eventIds: readonly string[];
  /** Grouped calls per API name, most frequent first; empty when the names are not known. */
  calls: ReadonlyArray<readonly [string, number]>;
}

export interface FollowUpContext {
  now: number;
  accountNames?: Readonly<Record<string, string>>;
  replayed?: boolean;
}

export const MAX_DETAILS = 20;
/** An alert lists at most this many event ids; its count says how many there were. */
export const MAX_EVENT_IDS = 100;
/** SNS refuses a publish over 256 KB (message and attributes); we stay this far below it. */
export const SNS_MAX_BYTES = 256 * 1024;
export const SNS_MARGIN_BYTES = 16 * 1024;
/** API names listed one by one in a follow-up; the rest are summed up. */
const MAX_CALL_NAMES = 5;

/** Second precision: CloudTrail's own precision, and easier to read. */
const iso = (ms: number): string => {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  return Number.isNaN(d.getTime()) ? '1970-01-01T00:00:00Z' : d.toISOString().replace('.000Z', 'Z');
};
const hhmm = (ms: number): string => iso(ms).slice(11, 16);

/** Calls rule code that formats text; a throwing formatter must not lose the alert. */
function guarded<T>(fn: () => T, fallback: T): T {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

export function buildAlert(rule: Rule, event: TrailEvent, ctx: AlertContext): Alert {
  const record = event.detail;
  const eventMs = ctx.lastEventTime ?? eventTimeOf(event) ?? ctx.now;
  const kind = ctx.kind ?? 'match';
  const eventId = eventIdOf(event);
  const insight = record.insightDetails && typeof record.insightDetails === 'object' ? record.insightDetails : undefined;
  const fallbackSummary = `${record.eventName ?? insight?.eventName ?? 'event'} by ${actorOf(record).name}`;
  const details = guarded<Detail[]>(() => rule.details?.(record, event) ?? [], []);
  const alert: Alert = {
    id: `${rule.id}:${kind}:${eventId}`,
    kind,
    ruleId: rule.id,
    title: rule.title,
    severity: rule.severity,
    status: rule.status,
    summary: guarded(() => rule.summarize(record, event), fallbackSummary),
    account: event.account,
    region: event.region,
    eventTime: iso(eventMs),
    detectedAt: iso(ctx.now),
    delayMs: Math.max(0, ctx.now - eventMs),
    late: ctx.late ?? false,
    eventIds: ctx.eventIds ?? [eventId],
    actor: actorOf(record),
    eventSource: String(record.eventSource ?? insight?.eventSource ?? ''),
    eventName: String(record.eventName ?? insight?.eventName ?? ''),
    details: Array.isArray(details) ? details : [],
    runbook: rule.runbook,
    references: rule.references,
    mitre: rule.mitre,
  };
  // Insight events have no caller: the alert names what is unusual instead (lib/alert/email.ts).
  if (insight) alert.insight = { state: String(insight.state ?? '?'), type: String(insight.insightType ?? '?') };
  const accountName = ctx.accountNames?.[event.account];
  if (accountName) alert.accountName = accountName;
  const errorCode = errorCodeOf(record);
  if (errorCode) alert.errorCode = errorCode;
  if (typeof record.errorMessage === 'string' && record.errorMessage) alert.errorMessage = record.errorMessage;
  if (ctx.replayed) alert.replayed = true;
  if (ctx.group) alert.group = { ...ctx.group };
  if (ctx.count !== undefined) alert.count = ctx.count;
  if (ctx.firstEventTime !== undefined) alert.firstEventTime = iso(ctx.firstEventTime);
  if (ctx.lastEventTime !== undefined) alert.lastEventTime = iso(ctx.lastEventTime);
  return finish(alert);
}

/** "DeleteObjects" when every grouped call was one API; "calls (ListBuckets 30, GetCallerIdentity 7)" otherwise. */
function callWords(calls: ReadonlyArray<readonly [string, number]>, numbered: boolean, fallback: string): string {
  const only = calls.length === 1 ? calls[0] : undefined;
  if (only) return oneLine(only[0], 128) || 'matches';
  if (calls.length === 0) return oneLine(fallback, 128) || 'matches';
  return `calls (${callList(calls, numbered)})`;
}

/**
 * The top API names, with their counts when they add up to what the follow-up reports (a burst's
 * claims include the calls its alert already reported), the rest summed: bounded whatever was grouped.
 */
function callList(calls: ReadonlyArray<readonly [string, number]>, numbered: boolean): string {
  const shown = calls.slice(0, MAX_CALL_NAMES).map(([name, n]) => (numbered ? `${oneLine(name, 128) || '?'} ${n}` : oneLine(name, 128) || '?'));
  const rest = calls.slice(MAX_CALL_NAMES);
  if (rest.length === 0) return shown.join(', ');
  const more = numbered ? `${rest.reduce((sum, [, n]) => sum + n, 0)} other` : `${rest.length} other APIs`;
  return `${shown.join(', ')}, ${more}`;
}

/** Follow-up of an incident: how many more matches it grouped, of which APIs, over which span. */
export function buildFollowUp(rule: Rule, input: FollowUpInput, ctx: FollowUpContext): Alert {
  const group = input.group;
  const extras = Object.entries(group)
    .filter(([k]) => k !== 'principal' && k !== 'account')
    .map(([k, v]) => `${oneLine(k, 40)} ${oneLine(v, 200)}`)
    .join(', ');
  const who = group.principal ?? input.actor.name;
  const first = Math.min(input.first, input.last);
  const last = Math.max(input.first, input.last);
  const day = iso(first).slice(0, 10);
  const lastDay = iso(last).slice(0, 10);
  const span = lastDay === day ? `${hhmm(first)} and ${hhmm(last)} UTC on ${day}` : `${hhmm(first)} UTC on ${day} and ${hhmm(last)} UTC on ${lastDay}`;
  const distinct = input.calls.filter(([, n]) => n > 0);
  const numbered = distinct.reduce((sum, [, n]) => sum + n, 0) === input.count;
  const alert: Alert = {
    id: `${rule.id}:summary:${input.openerEventId}`,
    kind: 'summary',
    ruleId: rule.id,
    title: rule.title,
    severity: rule.severity,
    status: rule.status,
    summary: `${input.count} more ${callWords(distinct, numbered, input.eventName)} by ${who}${extras ? ` on ${extras}` : ''} between ${span}`,
    account: input.account,
    region: input.region,
    eventTime: iso(last),
    detectedAt: iso(ctx.now),
    delayMs: Math.max(0, ctx.now - last),
    late: false,
    eventIds: [...input.eventIds],
    actor: { type: input.actor.type, name: input.actor.name, ...(input.actor.arn ? { arn: input.actor.arn } : {}) },
    // The API names what the follow-up counted, not only the call that opened the incident (whose
    // service the other calls need not share).
    eventSource: distinct.length > 1 ? '' : input.eventSource,
    eventName: distinct.length > 1 ? callList(distinct, false) : (distinct[0]?.[0] ?? input.eventName),
    details: [{ label: 'Opened by', value: `event ${input.openerEventId}` }],
    group: { ...group },
    count: input.count,
    firstEventTime: iso(first),
    lastEventTime: iso(last),
    runbook: rule.runbook,
    references: rule.references,
    mitre: rule.mitre,
  };
  const name = ctx.accountNames?.[input.account];
  if (name) alert.accountName = name;
  if (ctx.replayed) alert.replayed = true;
  return finish(alert);
}

// ---------------------------------------------------------------------------------------------------------
// Hygiene and bounds, shared by every alert.

interface Caps {
  summary: number;
  detailValue: number;
  eventIds: number;
  errorMessage: number;
  runbook: number;
  references: number;
  groupValue: number;
  userAgent: number;
  details: number;
}

/**
 * From generous to tight. The first level is what people normally read; the others exist so that an
 * alert full of 4-byte characters and quotes (which JSON-in-JSON escaping quadruples) still publishes.
 */
const LEVELS: readonly Caps[] = [
  { summary: 1000, detailValue: 1000, eventIds: MAX_EVENT_IDS, errorMessage: 500, runbook: 2000, references: 10, groupValue: 200, userAgent: 300, details: MAX_DETAILS },
  { summary: 500, detailValue: 300, eventIds: 30, errorMessage: 300, runbook: 1000, references: 5, groupValue: 120, userAgent: 200, details: MAX_DETAILS },
  { summary: 300, detailValue: 100, eventIds: 10, errorMessage: 150, runbook: 500, references: 3, groupValue: 80, userAgent: 120, details: 10 },
  { summary: 200, detailValue: 60, eventIds: 1, errorMessage: 80, runbook: 300, references: 1, groupValue: 60, userAgent: 60, details: 3 },
];

const cleanList = (values: unknown, max: number, each: number): string[] =>
  (Array.isArray(values) ? values : []).slice(0, max).map((v) => oneLine(v, each));

function cleanActor(actor: Actor, caps: Caps): Actor {
  const out: Actor = { type: oneLine(actor.type, 40) || 'Unknown', name: oneLine(actor.name, 200) || 'unknown' };
  const keys = ['arn', 'principalAccount', 'accessKeyId', 'sourceIp', 'userAgent', 'via', 'mfa', 'invokedBy'] as const;
  for (const key of keys) {
    const value = actor[key];
    if (value === undefined) continue;
    const text = oneLine(value, key === 'userAgent' ? caps.userAgent : key === 'arn' ? 300 : 100);
    if (text) out[key] = text;
  }
  return out;
}

/** Every string cleaned and capped, every list bounded, at one level of caps. Idempotent. */
function clean(alert: Alert, caps: Caps): Alert {
  const out: Alert = {
    id: oneLine(alert.id, 300),
    kind: alert.kind,
    ruleId: oneLine(alert.ruleId, 100),
    title: oneLine(alert.title, 200),
    severity: alert.severity,
    status: alert.status,
    summary: oneLine(alert.summary, caps.summary),
    account: oneLine(alert.account, 64),
    region: oneLine(alert.region, 64),
    eventTime: oneLine(alert.eventTime, 40),
    detectedAt: oneLine(alert.detectedAt, 40),
    delayMs: Number.isFinite(alert.delayMs) ? Math.max(0, alert.delayMs) : 0,
    late: alert.late,
    eventIds: cleanList(alert.eventIds, caps.eventIds, 100),
    actor: cleanActor(alert.actor, caps),
    eventSource: oneLine(alert.eventSource, 128),
    eventName: oneLine(alert.eventName, 300),
    details: (Array.isArray(alert.details) ? alert.details : [])
      .slice(0, caps.details)
      .map((d) => ({ label: oneLine(d?.label, 60) || '-', value: oneLine(d?.value, caps.detailValue) })),
    runbook: oneLine(alert.runbook, caps.runbook),
    references: cleanList(alert.references, caps.references, 300),
    mitre: cleanList(alert.mitre, 20, 40),
  };
  if (alert.insight) out.insight = { state: oneLine(alert.insight.state, 20), type: oneLine(alert.insight.type, 60) };
  if (alert.accountName) out.accountName = oneLine(alert.accountName, 64);
  if (alert.replayed) out.replayed = true;
  if (alert.errorCode) out.errorCode = oneLine(alert.errorCode, 128);
  if (alert.errorMessage) out.errorMessage = oneLine(alert.errorMessage, caps.errorMessage);
  if (alert.group) {
    out.group = Object.fromEntries(Object.entries(alert.group).slice(0, 8).map(([k, v]) => [oneLine(k, 40), oneLine(v, caps.groupValue)]));
  }
  if (alert.count !== undefined && Number.isFinite(alert.count)) out.count = alert.count;
  if (alert.firstEventTime) out.firstEventTime = oneLine(alert.firstEventTime, 40);
  if (alert.lastEventTime) out.lastEventTime = oneLine(alert.lastEventTime, 40);
  return out;
}

/** Bytes of the SNS publish this alert becomes (message, subject and attributes, generously). */
export function publishBytes(alert: Alert): number {
  return Buffer.byteLength(snsMessage(alert)) + 1024;
}

/** The last step of every builder: clean, then tighten until the publish fits under SNS's limit. */
export function finish(alert: Alert): Alert {
  let out = alert;
  for (const caps of LEVELS) {
    out = clean(alert, caps);
    if (publishBytes(out) <= SNS_MAX_BYTES - SNS_MARGIN_BYTES) return out;
  }
  return out;
}
