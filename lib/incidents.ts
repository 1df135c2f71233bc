import { createHash } from 'node:crypto';
import type { TrailEvent } from './cloudtrail/types.js';
import { actorOf } from './cloudtrail/identity.js';
import type { Decision, IncidentPolicy, MatchContext } from './detector.js';
import { groupKeyOf } from './engine.js';
import type { GroupKey, Rule } from './rule.js';
import type { StateItem, StateStore } from './state/store.js';

/**
 * Latency-aware state over the StateStore port. All times are the events' own (CloudTrail eventTime),
 * never arrival times: delivery is late, out of order and at least once.
 *
 * Items (pk / sk):
 * - `ev#<rule>#<group>` / `<eventTime ISO>#<eventId>`: one per matched event. Written with a
 *   condition, it is the exactly-once claim; sorted by event time, it is the burst window's index.
 * - `inc#<rule>#<group>` / `current`: the open incident (start, end, suppressed count). The first
 *   match opens it and alerts; later matches inside it are counted, not sent.
 * - `due#<5-min bucket>` / `<rule>#<group>#<start>`: when the incident's follow-up summary is due
 *   (end + allowed lateness), read by the scheduled flush (lib/followups.ts).
 */

export const BUCKET_MS = 5 * 60_000;
const HOUR = 3_600_000;

export interface IncidentOptions {
  store: StateStore;
  /** Events later than this skip windows and grouping (they still alert, marked late). */
  allowedLatenessMs: number;
  /** How long a claim guards against redelivery. EventBridge retries for up to 24 h. */
  dedupeRetentionMs?: number;
  /** Per-rule overrides from deploy parameters (thresholds, windows, periods). */
  overrides?: Readonly<Record<string, RuleTuning>>;
}

export interface RuleTuning {
  dedupeMinutes?: number;
  threshold?: { count: number; windowMinutes: number };
}

export const iso = (ms: number): string => new Date(ms).toISOString();
export const bucketOf = (ms: number): string => iso(Math.floor(ms / BUCKET_MS) * BUCKET_MS);

/** Group keys are attacker-chosen text of any length: keys hold a hash, items keep the text. */
export function groupHash(group: GroupKey): string {
  const canonical = JSON.stringify(Object.entries(group).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

export const claimPk = (ruleId: string, hash: string): string => `ev#${ruleId}#${hash}`;
export const incidentKey = (ruleId: string, hash: string) => ({ pk: `inc#${ruleId}#${hash}`, sk: 'current' });
/** The follow-up of an incident is due once no on-time event can still join it. */
export const dueKey = (ruleId: string, hash: string, start: number, end: number, latenessMs: number) => ({
  pk: `due#${bucketOf(end + latenessMs)}`,
  sk: `${ruleId}#${hash}#${start}`,
});

/** The effective tuning of a rule: its own values, overridden by deploy-time configuration. */
export function tuningOf(rule: Rule, overrides?: Readonly<Record<string, RuleTuning>>): { dedupeMs: number; threshold?: { count: number; windowMs: number } } {
  const o = overrides?.[rule.id];
  const dedupeMs = (o?.dedupeMinutes ?? rule.dedupeMinutes) * 60_000;
  const t = o?.threshold ?? rule.threshold;
  return t ? { dedupeMs, threshold: { count: t.count, windowMs: t.windowMinutes * 60_000 } } : { dedupeMs };
}

/**
 * Is there a window of `windowMs` that contains `t` and at least `count` of the (sorted) times?
 * Sliding, not tumbling: a burst straddling a clock boundary still counts. Returns that window's
 * first and last times.
 */
export function windowContaining(times: readonly number[], t: number, count: number, windowMs: number): { first: number; last: number; n: number } | undefined {
  let hi = 0;
  for (let lo = 0; lo < times.length; lo++) {
    const start = times[lo] as number;
    if (start > t) break;
    if (start < t - windowMs) continue;
    if (hi < lo) hi = lo;
    while (hi + 1 < times.length && (times[hi + 1] as number) <= start + windowMs) hi++;
    const n = hi - lo + 1;
    if (n >= count) return { first: start, last: times[hi] as number, n };
  }
  return undefined;
}

export function createIncidentPolicy(opts: IncidentOptions): IncidentPolicy {
  const { store } = opts;
  const retention = opts.dedupeRetentionMs ?? 25 * HOUR;

  async function claim(ruleId: string, hash: string, ctx: MatchContext): Promise<boolean> {
    const expiresAt = Math.ceil((Math.max(ctx.eventMs, ctx.now) + retention) / 1000);
    const item: StateItem = { pk: claimPk(ruleId, hash), sk: `${iso(ctx.eventMs)}#${ctx.eventId}`, expiresAt, t: ctx.eventMs };
    return (await store.put(item, { kind: 'absent' })).written;
  }

  /**
   * Counts the event into the open incident when its time falls inside it: the incident has not ended
   * at t, and started at most `reachBackMs` after t (out-of-order events just before an incident
   * belong to it).
   */
  async function join(rule: Rule, hash: string, t: number, spanMs: number, reachBackMs: number): Promise<boolean> {
    const updated = await store.update(incidentKey(rule.id, hash), { add: { suppressed: 1 } }, { kind: 'exists', attr: 'end', gte: t + 1, lt: t + spanMs + reachBackMs + 1 });
    return updated !== undefined;
  }

  /** Opens a new incident unless one covering `t` exists; only one concurrent opener wins. */
  async function open(rule: Rule, event: TrailEvent, group: GroupKey, hash: string, start: number, end: number, ctx: MatchContext, alerted = 1): Promise<boolean> {
    // Kept a day past its follow-up, so a flush that runs late still finds it.
    const expiresAt = Math.ceil((end + opts.allowedLatenessMs + 24 * HOUR) / 1000);
    const incident: StateItem = {
      ...incidentKey(rule.id, hash),
      expiresAt,
      start,
      end,
      suppressed: 0,
      alerted,
      eventId: ctx.eventId,
    };
    const result = await store.put(incident, { kind: 'absentOrAtMost', attr: 'end', atMost: start });
    if (!result.written) return false;
    // The incident we replaced may still owe its follow-up: freeze its count into its due marker
    // (only if the marker is still there, i.e. the summary was not sent yet).
    const previous = result.previous;
    if (previous && Number(previous.suppressed) > 0) {
      await store.update(dueKey(rule.id, hash, Number(previous.start), Number(previous.end), opts.allowedLatenessMs), { set: { suppressed: Number(previous.suppressed), final: 1 } }, { kind: 'exists' });
    }
    const actor = actorOf(event.detail);
    await store.put({
      ...dueKey(rule.id, hash, start, end, opts.allowedLatenessMs),
      expiresAt: expiresAt + 24 * 3600,
      ruleId: rule.id,
      hash,
      start,
      end,
      alerted,
      threshold: rule.threshold ? 1 : 0,
      group: JSON.stringify(group),
      eventId: ctx.eventId,
      account: event.account,
      region: event.region,
      eventSource: String(event.detail.eventSource ?? event.detail.insightDetails?.eventSource ?? ''),
      eventName: String(event.detail.eventName ?? event.detail.insightDetails?.eventName ?? ''),
      actor: actor.name,
      actorType: actor.type,
    });
    return true;
  }

  return {
    async decide(rule, event, ctx): Promise<Decision> {
      const group = groupKeyOf(rule, event);
      const hash = groupHash(group);
      if (!(await claim(rule.id, hash, ctx))) return { action: 'duplicate' };
      const tuning = tuningOf(rule, opts.overrides);

      // Too late for windows and grouping: whatever was counted for its time is settled. A burst
      // rule cannot judge it alone; any other rule alerts, marked late.
      if (ctx.late) return tuning.threshold ? { action: 'pending' } : { action: 'alert', context: { group } };

      const windowMs = tuning.threshold?.windowMs ?? 0;
      const spanMs = windowMs + tuning.dedupeMs;
      // Bounded retries: each failed round means another invocation changed the incident meanwhile.
      // A burst incident opens a window before its first event (the follow-up counts from there);
      // a single-match incident takes out-of-order events up to a period before its opener.
      const reachBackMs = tuning.threshold ? windowMs : spanMs;
      for (let attempt = 0; attempt < 3; attempt++) {
        if (await join(rule, hash, ctx.eventMs, spanMs, reachBackMs)) return { action: 'suppress' };
        if (!tuning.threshold) {
          if (await open(rule, event, group, hash, ctx.eventMs, ctx.eventMs + tuning.dedupeMs, ctx)) return { action: 'alert', context: { group } };
          continue;
        }
        const { count } = tuning.threshold;
        const items = await store.query(claimPk(rule.id, hash), { from: iso(ctx.eventMs - windowMs), to: `${iso(ctx.eventMs + windowMs)}~` });
        const times = items.map((i) => Number(i.t)).filter(Number.isFinite).sort((a, b) => a - b);
        const hit = windowContaining(times, ctx.eventMs, count, windowMs);
        if (!hit) return { action: 'pending' };
        if (await open(rule, event, group, hash, hit.first - windowMs, hit.first + spanMs, ctx, hit.n)) {
          const ids = items.filter((i) => Number(i.t) >= hit.first && Number(i.t) <= hit.last).map((i) => i.sk.slice(i.sk.indexOf('#') + 1));
          return {
            action: 'alert',
            context: { kind: 'threshold', group, count: hit.n, eventIds: ids, firstEventTime: hit.first, lastEventTime: hit.last },
          };
        }
      }
      // Still contended after three rounds (or an event far older than the open incident): alert
      // rather than lose it; a duplicate alert is the lesser failure.
      return { action: 'alert', context: { group } };
    },
  };
}
