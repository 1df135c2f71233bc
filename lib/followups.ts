import type { Alert } from './alert/alert.js';
import { oneLine } from './alert/text.js';
import { MAX_FUTURE_SKEW_MS } from './detector.js';
import { BUCKET_MS, bucketOf, claimPk, countedIn, iso } from './incidents.js';
import type { Rule } from './rule.js';
import type { StateItem, StateStore } from './state/store.js';

/**
 * Follow-up summaries: when an incident's period has closed (plus the allowed lateness, so late
 * events had their chance to join), one message says how many matches were grouped into it.
 * Nothing is sent for an incident that grouped nothing. Run on a schedule (functions/flush.ts) and
 * by replay as event time advances.
 */

const CHECKPOINT = { pk: 'flush', sk: 'checkpoint' };
/** First run, or a checkpoint lost: look back this far for due markers (one query per 5 minutes). */
const LOOKBACK_MS = 6 * 3_600_000;

export interface FlushOptions {
  store: StateStore;
  rules: readonly Rule[];
  now: number;
  allowedLatenessMs: number;
  accountNames?: Readonly<Record<string, string>>;
  /** Replay: follow-ups are marked as found in recorded history. */
  replayed?: boolean;
  /** Sends one summary; throws on failure (the marker stays and the next run retries). */
  send: (alert: Alert) => Promise<void>;
}

export interface FlushResult {
  sent: Alert[];
  examined: number;
}

const hhmm = (ms: number): string => iso(ms).slice(11, 16);

function summaryText(marker: StateItem, count: number, first: number, last: number, group: Record<string, string>): string {
  const extras = Object.entries(group)
    .filter(([k]) => k !== 'principal' && k !== 'account')
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const day = iso(first).slice(0, 10);
  return oneLine(
    `${count} more ${marker.eventName || 'matches'} by ${group.principal ?? marker.actor}${extras ? ` on ${extras}` : ''} between ${hhmm(first)} and ${hhmm(last)} UTC on ${day}`,
    1000,
  );
}

function parseGroup(raw: unknown): Record<string, string> {
  try {
    const value: unknown = JSON.parse(String(raw));
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    // fall through: a marker we wrote ourselves, so only a bug gets here
  }
  return {};
}

export function buildSummaryAlert(rule: Rule, marker: StateItem, stats: { count: number; first: number; last: number; eventIds: string[] }, now: number, accountNames?: Readonly<Record<string, string>>): Alert {
  const group = parseGroup(marker.group);
  const account = String(marker.account);
  const alert: Alert = {
    id: `${rule.id}:summary:${String(marker.eventId)}`,
    kind: 'summary',
    ruleId: rule.id,
    title: rule.title,
    severity: rule.severity,
    status: rule.status,
    summary: summaryText(marker, stats.count, stats.first, stats.last, group),
    account,
    region: String(marker.region),
    eventTime: iso(stats.last),
    detectedAt: iso(now),
    delayMs: Math.max(0, now - stats.last),
    late: false,
    eventIds: stats.eventIds,
    actor: { type: String(marker.actorType), name: String(marker.actor) },
    eventSource: String(marker.eventSource),
    eventName: String(marker.eventName),
    details: [{ label: 'Incident opened by event', value: String(marker.eventId) }],
    group,
    count: stats.count,
    firstEventTime: iso(stats.first),
    lastEventTime: iso(stats.last),
    runbook: rule.runbook,
    references: rule.references,
    mitre: rule.mitre,
  };
  const name = accountNames?.[account];
  if (name) alert.accountName = name;
  return alert;
}

/** Margin for wall clocks of concurrent invocations (a join may read `now` just before the incident opened). */
const CLOCK_MARGIN_MS = 5 * 60_000;

/**
 * The matches an incident counts and how many of them the follow-up reports. Counted are the claims
 * that say they joined it, and burst matches counted nowhere else whose time falls inside it (see
 * `countedIn`): claims are unique per event and a retry rewrites, never adds, so the count is exact
 * under redelivery and retries. The follow-up reports all of them but the `alerted` ones its alert
 * already reported, so alert plus follow-ups add up to the distinct matches. The events it lists
 * (and its span) are those the alert did not show: not the opener, nor a pending match inside the
 * alert's burst window.
 */
async function groupedEvents(store: StateStore, marker: StateItem, allowedLatenessMs: number): Promise<{ count: number; times: number[]; ids: string[] }> {
  const start = Number(marker.start);
  const end = Number(marker.end);
  // An on-time match joining late is at most the allowed lateness (plus skew) older than the
  // incident's start; the incident ends before `end` (half-open), and the next one starts there.
  const from = start - allowedLatenessMs - MAX_FUTURE_SKEW_MS - CLOCK_MARGIN_MS;
  const items = await store.query(claimPk(String(marker.ruleId), String(marker.hash)), { from: iso(from), to: `${iso(end - 1)}~` });
  const first = marker.first === undefined ? Number.NaN : Number(marker.first);
  const last = marker.last === undefined ? Number.NaN : Number(marker.last);
  const shownByAlert = (item: StateItem): boolean => {
    const t = Number(item.t);
    if (item.d === 'alert' || item.d === 'sent') return true;
    return item.d !== 'suppress' && t >= first && t <= last;
  };
  let counted = 0;
  const times: number[] = [];
  const ids: string[] = [];
  for (const item of items) {
    if (!countedIn(item, start, end)) continue;
    counted += 1;
    if (shownByAlert(item)) continue;
    times.push(Number(item.t));
    ids.push(String(item.id ?? item.sk.slice(item.sk.indexOf('#') + 1)));
  }
  return { count: Math.max(0, counted - (Number(marker.alerted) || 0)), times, ids };
}

export async function flushDue(opts: FlushOptions): Promise<FlushResult> {
  const { store, now } = opts;
  const byId = new Map(opts.rules.map((r) => [r.id, r]));
  const checkpoint = await store.get(CHECKPOINT);
  const from = checkpoint ? Number(checkpoint.bucket) : Math.floor((now - LOOKBACK_MS) / BUCKET_MS) * BUCKET_MS;
  const lastBucket = Math.floor(now / BUCKET_MS) * BUCKET_MS;
  const sent: Alert[] = [];
  let examined = 0;
  let settled = from;
  for (let bucket = from; bucket <= lastBucket; bucket += BUCKET_MS) {
    const markers = await store.query(`due#${bucketOf(bucket)}`);
    let pending = false;
    for (const marker of markers) {
      examined += 1;
      if (Number(marker.end) + opts.allowedLatenessMs > now) {
        pending = true;
        continue;
      }
      const rule = byId.get(String(marker.ruleId));
      const grouped = rule ? await groupedEvents(store, marker, opts.allowedLatenessMs) : { count: 0, times: [], ids: [] };
      const { count } = grouped;
      if (rule && count > 0) {
        const { times, ids } = grouped;
        // Claims come back sorted by their sort key, which starts with the ISO event time: the span is
        // the first and the last (no Math.min(...times), which throws past ~100k grouped events).
        const first = times[0] ?? Number(marker.start);
        const last = times[times.length - 1] ?? Number(marker.end);
        const alert = buildSummaryAlert(rule, marker, { count, first, last, eventIds: ids.slice(0, 100) }, now, opts.accountNames);
        if (opts.replayed) alert.replayed = true;
        if (rule.status === 'live') await opts.send(alert);
        sent.push(alert);
      }
      await store.delete({ pk: marker.pk, sk: marker.sk });
    }
    if (!pending && bucket < lastBucket) settled = bucket + BUCKET_MS;
    if (pending) break;
  }
  if (settled !== from || !checkpoint) {
    await store.put({ ...CHECKPOINT, bucket: settled, expiresAt: Math.ceil((now + 30 * 86_400_000) / 1000) });
  }
  return { sent, examined };
}
