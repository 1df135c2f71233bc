import type { TrailEvent } from '../cloudtrail/types.js';
import { actorOf, errorCodeOf } from '../cloudtrail/identity.js';
import { eventIdOf, eventTimeOf } from '../cloudtrail/envelope.js';
import type { Detail, GroupKey, Rule } from '../rule.js';
import type { Alert } from './alert.js';
import { oneLine } from './text.js';

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

const MAX_DETAILS = 20;
/** A burst alert lists at most this many event ids; its count says how many there were. */
const MAX_EVENT_IDS = 100;

/** Second precision: CloudTrail's own precision, and easier to read. */
const iso = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

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
  const insight = record.insightDetails;
  const fallbackSummary = `${record.eventName ?? insight?.eventName ?? 'event'} by ${actorOf(record).name}`;
  // Bounded here so the JSON alert (SNS, replay --json) stays small whatever the rule returns.
  const details = guarded<Detail[]>(() => rule.details?.(record, event) ?? [], [])
    .slice(0, MAX_DETAILS)
    .map((d) => ({ label: oneLine(d.label, 60), value: oneLine(d.value, 1000) }));
  const alert: Alert = {
    id: `${rule.id}:${kind}:${eventId}`,
    kind,
    ruleId: rule.id,
    title: rule.title,
    severity: rule.severity,
    status: rule.status,
    summary: oneLine(guarded(() => rule.summarize(record, event), fallbackSummary), 1000),
    account: oneLine(event.account, 64),
    region: oneLine(event.region, 64),
    eventTime: iso(eventMs),
    detectedAt: iso(ctx.now),
    delayMs: Math.max(0, ctx.now - eventMs),
    late: ctx.late ?? false,
    eventIds: (ctx.eventIds ?? [eventId]).slice(0, MAX_EVENT_IDS).map((id) => oneLine(id, 100)),
    actor: actorOf(record),
    eventSource: oneLine(record.eventSource ?? insight?.eventSource ?? '', 128),
    eventName: oneLine(record.eventName ?? insight?.eventName ?? '', 128),
    details,
    runbook: rule.runbook,
    references: rule.references,
    mitre: rule.mitre,
  };
  const accountName = ctx.accountNames?.[event.account];
  if (accountName) alert.accountName = accountName;
  const errorCode = errorCodeOf(record);
  if (errorCode) alert.errorCode = oneLine(errorCode, 128);
  if (typeof record.errorMessage === 'string' && record.errorMessage) alert.errorMessage = oneLine(record.errorMessage, 500);
  if (ctx.replayed) alert.replayed = true;
  if (ctx.group) alert.group = Object.fromEntries(Object.entries(ctx.group).map(([k, v]) => [oneLine(k, 40), oneLine(v, 200)]));
  if (ctx.count !== undefined) alert.count = ctx.count;
  if (ctx.firstEventTime !== undefined) alert.firstEventTime = iso(ctx.firstEventTime);
  if (ctx.lastEventTime !== undefined) alert.lastEventTime = iso(ctx.lastEventTime);
  return alert;
}
