import type { Alert } from '../alert/alert.js';
import { buildFollowUp, type FollowUpInput } from '../alert/build.js';
import { oneLine } from '../untrusted/text.js';
import { countedIn, MAX_FUTURE_SKEW_MS } from './policy.js';
import { BUCKET_MS, CHECKPOINT_KEY, claimPk, decodeCheckpoint, decodeClaim, decodeDueMarker, dueSet, duePk, encodeCheckpoint, iso, type Claim, type DueMarker } from './items.js';
import type { Rule } from '../detection/rule.js';
import type { StateStore } from '../state/store.js';

/**
 * Follow-up summaries: when an incident's period has closed (plus the allowed lateness, so late
 * events had their chance to join), one message says how many matches were grouped into it.
 * Nothing is sent for an incident that grouped nothing. Run on a schedule (lib/handlers/flush.ts) and
 * by replay as event time advances.
 *
 * Each follow-up is delivered on its own: one that fails is retried on its own schedule (doubling
 * backoff, recorded on its due marker) and, after `maxAttempts`, handed to the dead-letter queue,
 * while every other due follow-up goes out in the same run.
 */

/** First run, or a checkpoint lost: look back this far for due markers (one query per 5 minutes). */
const LOOKBACK_MS = 6 * 3_600_000;
/** Publishes per follow-up before it is dead-lettered: with the backoff below, about 75 minutes. */
export const DEFAULT_MAX_ATTEMPTS = 5;
/** Wait before the second attempt; doubles per attempt, capped at an hour. */
export const DEFAULT_BACKOFF_MS = BUCKET_MS;
const MAX_BACKOFF_MS = 3_600_000;
const ERROR_MAX = 300;

export interface FlushOptions {
  store: StateStore;
  rules: readonly Rule[];
  now: number;
  allowedLatenessMs: number;
  accountNames?: Readonly<Record<string, string>>;
  /** Replay: follow-ups are marked as found in recorded history. */
  replayed?: boolean;
  /** Sends one summary; throws on failure (the follow-up is retried later, then dead-lettered). */
  send: (alert: Alert) => Promise<void>;
  /**
   * Keeps a follow-up that failed `maxAttempts` times (the dead-letter queue). Throws on failure:
   * the marker then stays, and the next run tries again. Without it, the marker stays and is retried.
   */
  deadLetter?: (alert: Alert, reason: string, attempts: number) => Promise<void>;
  maxAttempts?: number;
  backoffMs?: number;
}

export interface FlushResult {
  sent: Alert[];
  examined: number;
  /** Follow-ups whose send failed this run and that will be retried (alert id and reason). */
  retrying: Array<{ id: string; attempts: number; reason: string }>;
  /** Follow-ups handed to the dead-letter queue this run. */
  deadLettered: Alert[];
  /** Markers that could not be processed at all (state errors); left for the next run. */
  errors: Array<{ marker: string; reason: string }>;
}

/** Margin for wall clocks of concurrent invocations (a join may read `now` just before the incident opened). */
const CLOCK_MARGIN_MS = 5 * 60_000;

interface Grouped {
  count: number;
  times: number[];
  ids: string[];
  /** API name per listed call (claims written before API names were recorded have none). */
  apis: Array<string | undefined>;
}

/**
 * The matches an incident counts and how many of them the follow-up reports. Counted are the claims
 * that say they joined it, and burst matches counted nowhere else whose time falls inside it (see
 * `countedIn`): claims are unique per event and a retry rewrites, never adds, so the count is exact
 * under redelivery and retries. The follow-up reports all of them but the `alerted` ones its alert
 * already reported, so alert plus follow-ups add up to the distinct matches. The events it lists
 * (and its span, and its API names) are those the alert did not show: not the opener, nor a pending
 * match inside the alert's burst window. An out-of-order match made before the incident's start is
 * among them, so the span includes it.
 */
async function groupedEvents(store: StateStore, marker: DueMarker, allowedLatenessMs: number): Promise<Grouped> {
  const { start, end } = marker;
  // An on-time match joining late is at most the allowed lateness (plus skew) older than the
  // incident's start; the incident ends before `end` (half-open), and the next one starts there.
  const from = start - allowedLatenessMs - MAX_FUTURE_SKEW_MS - CLOCK_MARGIN_MS;
  const items = await store.query(claimPk(marker.ruleId, marker.hash), { from: iso(from), to: `${iso(end - 1)}~` });
  const first = marker.first ?? Number.NaN;
  const last = marker.last ?? Number.NaN;
  const shownByAlert = (claim: Claim): boolean => {
    if (claim.d === 'alert' || claim.d === 'sent') return true;
    return claim.d !== 'suppress' && claim.t >= first && claim.t <= last;
  };
  let counted = 0;
  const grouped: Grouped = { count: 0, times: [], ids: [], apis: [] };
  for (const item of items) {
    const claim = decodeClaim(item);
    if (!countedIn(claim, start, end)) continue;
    counted += 1;
    if (shownByAlert(claim)) continue;
    grouped.times.push(claim.t);
    grouped.ids.push(claim.id);
    grouped.apis.push(claim.api);
  }
  grouped.count = Math.max(0, counted - marker.alerted);
  return grouped;
}

/** Listed calls per API, most frequent first (ties by name, so the text is deterministic). */
function callsByApi(apis: ReadonlyArray<string | undefined>, fallback: string): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const api of apis) {
    const name = api ?? fallback;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

/** Reads what a follow-up reports; undefined when it has nothing to say. */
async function followUpOf(store: StateStore, rule: Rule, marker: DueMarker, opts: FlushOptions): Promise<Alert | undefined> {
  const grouped = await groupedEvents(store, marker, opts.allowedLatenessMs);
  if (grouped.count <= 0) return undefined;
  const { times, ids } = grouped;
  // Claims come back sorted by their sort key, which starts with the ISO event time: the span is the
  // first and the last (no Math.min(...times), which throws past ~100k grouped events).
  const first = times[0] ?? marker.start;
  const last = times[times.length - 1] ?? marker.end;
  const input: FollowUpInput = {
    openerEventId: marker.eventId,
    account: marker.account,
    region: marker.region,
    eventSource: marker.eventSource,
    eventName: marker.eventName,
    actor: { type: marker.actorType, name: marker.actor, ...(marker.actorArn ? { arn: marker.actorArn } : {}) },
    group: marker.group,
    count: grouped.count,
    first,
    last,
    eventIds: ids.slice(0, 100),
    calls: callsByApi(grouped.apis, marker.eventName),
  };
  return buildFollowUp(rule, input, {
    now: opts.now,
    ...(opts.accountNames ? { accountNames: opts.accountNames } : {}),
    ...(opts.replayed ? { replayed: true } : {}),
  });
}

const backoff = (attempts: number, base: number): number => Math.min(MAX_BACKOFF_MS, base * 2 ** Math.max(0, attempts - 1));
const reasonOf = (error: unknown): string => oneLine(error instanceof Error ? error.message : String(error), ERROR_MAX) || 'unknown error';

type Outcome = 'done' | 'waiting' | 'retrying';

/** One due marker: send its follow-up, or record the failure and when to try again, or dead-letter it. */
async function deliver(marker: DueMarker, rule: Rule | undefined, opts: FlushOptions, result: FlushResult): Promise<Outcome> {
  const { store, now } = opts;
  const key = { pk: marker.pk, sk: marker.sk };
  if (marker.retryAt !== undefined && marker.retryAt > now) return 'waiting';
  const alert = rule ? await followUpOf(store, rule, marker, opts) : undefined;
  if (!alert || rule?.status !== 'live') {
    if (alert) result.sent.push(alert);
    await store.delete(key);
    return 'done';
  }
  const attempts = (marker.attempts ?? 0) + 1;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  // A follow-up that already used its attempts (the dead-letter send failed last time) is not
  // published again: it goes straight to the queue.
  if (attempts <= maxAttempts) {
    try {
      await opts.send(alert);
      result.sent.push(alert);
      await store.delete(key);
      return 'done';
    } catch (error) {
      const reason = reasonOf(error);
      if (attempts < maxAttempts || !opts.deadLetter) {
        await store.update(key, { set: dueSet({ attempts, retryAt: now + backoff(attempts, opts.backoffMs ?? DEFAULT_BACKOFF_MS), lastError: reason }) }, { kind: 'exists' });
        result.retrying.push({ id: alert.id, attempts, reason });
        return 'retrying';
      }
      await store.update(key, { set: dueSet({ attempts, lastError: reason }) }, { kind: 'exists' });
    }
  }
  if (!opts.deadLetter) return 'retrying';
  // At least once into the queue: a failure between the send and the delete sends it again next run,
  // and the queue's reader dedupes on the alert id. Without such a failure, exactly once.
  await opts.deadLetter(alert, marker.lastError ?? 'publish failed', Math.min(attempts, maxAttempts));
  result.deadLettered.push(alert);
  await store.delete(key);
  return 'done';
}

export async function flushDue(opts: FlushOptions): Promise<FlushResult> {
  const { store, now } = opts;
  const byId = new Map(opts.rules.map((r) => [r.id, r]));
  const stored = await store.get(CHECKPOINT_KEY);
  const checkpoint = stored && decodeCheckpoint(stored);
  const from = checkpoint ? checkpoint.bucket : Math.floor((now - LOOKBACK_MS) / BUCKET_MS) * BUCKET_MS;
  const lastBucket = Math.floor(now / BUCKET_MS) * BUCKET_MS;
  const result: FlushResult = { sent: [], examined: 0, retrying: [], deadLettered: [], errors: [] };
  let settled = from;
  // The checkpoint moves only over buckets whose markers are all done: a follow-up waiting for its
  // retry holds it (a bounded time: its attempts are bounded), never the follow-ups after it.
  let held = false;
  for (let bucket = from; bucket <= lastBucket; bucket += BUCKET_MS) {
    const markers = await store.query(duePk(bucket));
    let notYetDue = false;
    for (const item of markers) {
      result.examined += 1;
      let marker: DueMarker;
      try {
        marker = decodeDueMarker(item);
      } catch (error) {
        // A marker that is not one (a bug, a hand-edited state file): reported and kept, like a state failure.
        held = true;
        result.errors.push({ marker: `${item.pk}/${item.sk}`, reason: reasonOf(error) });
        continue;
      }
      if (marker.end + opts.allowedLatenessMs > now) {
        notYetDue = true;
        continue;
      }
      try {
        const outcome = await deliver(marker, byId.get(marker.ruleId), opts, result);
        if (outcome !== 'done') held = true;
      } catch (error) {
        // State or dead-letter failure: this marker stays for the next run; the others go on.
        held = true;
        result.errors.push({ marker: `${marker.pk}/${marker.sk}`, reason: reasonOf(error) });
      }
    }
    if (notYetDue) break;
    if (!held && bucket < lastBucket) settled = bucket + BUCKET_MS;
  }
  if (settled !== from || !checkpoint) {
    await store.put(encodeCheckpoint({ ...CHECKPOINT_KEY, bucket: settled, expiresAt: Math.ceil((now + 30 * 86_400_000) / 1000) }));
  }
  return result;
}
