import { isAlert, type Alert } from '../alert/alert.js';
import { finish, type AlertContext } from '../alert/build.js';
import type { TrailEvent } from '../cloudtrail/types.js';
import { actorOf } from '../cloudtrail/identity.js';
import { groupKeyOf } from '../detection/evaluate.js';
import type { GroupKey, Rule, RuleTuning } from '../detection/rule.js';
import type { StateKey, StateStore } from '../state/store.js';
import { isObject } from '../untrusted/json.js';
import {
  claimKey,
  claimSet,
  decodeClaim,
  decodeIncident,
  decodeMark,
  dueKey,
  encodeClaim,
  encodeDueMarker,
  encodeIncident,
  encodeMark,
  groupHash,
  idKeyOf,
  incidentKey,
  iso,
  markKey,
  StateItemError,
  type Claim,
  type ClaimDecision,
  type ClaimOutcome,
  type Incident,
} from './items.js';

/** Proof that an alert's decision is recorded and owed: confirm it once delivered, release it on failure. */
export interface Receipt {
  key: StateKey;
  lease: number;
}

/** What the state layer decided for one (rule, event) match. */
export type Decision =
  /**
   * Send this alert now (first of an incident, a completed burst, a stateless rule, or one a failed
   * attempt decided and did not deliver). With a receipt, the alert is recorded until confirmed.
   */
  | { action: 'alert'; alert: Alert; receipt?: Receipt; contended?: boolean }
  /** Same incident as an alert already sent: counted for the follow-up summary. */
  | { action: 'suppress' }
  /** This exact CloudTrail event was seen before (redelivery). */
  | { action: 'duplicate' }
  /** Counted towards a threshold that is not reached yet. */
  | { action: 'pending' }
  /** Touched only what its group already touched this period (the rule's `distinct`): not counted. */
  | { action: 'repeat' };

/** How far ahead of the clock an event may be dated (clock skew between AWS and us); later is `future`. */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

export interface MatchContext {
  eventId: string;
  eventMs: number;
  now: number;
  /** The event arrived after the allowed lateness. */
  late: boolean;
  /** The event is dated further ahead than clock skew explains: it must not open windows or incidents. */
  future: boolean;
}

/** Builds the alert for a match; the policy calls it when it decides to alert. */
export type BuildAlert = (context: Partial<AlertContext>) => Alert;

/** The state port as the detector sees it: createIncidentPolicy below implements it over a StateStore. */
export interface IncidentPolicy {
  decide(rule: Rule, event: TrailEvent, ctx: MatchContext, build: BuildAlert): Promise<Decision>;
  /** The alert was delivered: a redelivery of its event must not send it again. */
  confirm?(receipt: Receipt): Promise<void>;
  /** Delivery failed: let the retry take the recorded alert over without waiting for the lease. */
  release?(receipt: Receipt): Promise<void>;
  /**
   * True when a timely match of a `distinct` rule with these marks (distinctMemoKeys) is sure to be a
   * repeat: decide() would answer `repeat` without touching state. False means "decide it".
   */
  isRepeat?(memoKeys: readonly string[], eventId: string): boolean;
}

/** Every match alerts. Used where no state is configured and by the rule-case tests. */
export const statelessPolicy: IncidentPolicy = {
  decide: async (_rule, _event, _ctx, build) => ({ action: 'alert', alert: build({}) }),
};

/**
 * Latency-aware state over the StateStore port. All times are the events' own (CloudTrail eventTime),
 * never arrival times: delivery is late, out of order and at least once.
 *
 * Items (pk / sk; typed, with their codecs, in items.ts):
 * - `ev#<rule>#<group>` / `<eventTime ISO>#<event id key>`: the claim, one per matched event. Written
 *   with a condition, it makes the event's processing exclusive; it records what was decided for the
 *   event, and, until the alert is delivered, the alert itself (the outbox). Sorted by event time, the
 *   claims of a group are also the burst window's index and what follow-ups count.
 * - `inc#<rule>#<group>` / `current`: the latest incident (start, end, opener, how many its alert
 *   reported). Matches before its end are counted into it, not sent.
 * - `due#<5-min bucket>` / `<rule>#<group>#<start>`: when the incident's follow-up is due (end + allowed
 *   lateness), read by the scheduled flush (followups.ts).
 * - `val#<rule>#<group>` / `<period start ISO>#<value hash>`: for rules that count distinct values
 *   (`Rule.distinct`), the first on-time match of the group that touched this value (a secret, a
 *   parameter) in this period, with its event id. Written once, never changed.
 *
 * Claim attributes: `t` event time, `id` the event id (bounded), `lease` (epoch ms) while an attempt
 * holds the claim, `d` the decision once made, `inc` the start of the incident the match is counted in
 * (-1: none), `end` that incident's end, `alert` the alert JSON while it is owed.
 *
 * ## Why no alert is lost and none is sent twice
 *
 * Lambda retries an invocation that throws (after about 1 and 3 minutes), then hands the event to the
 * dead-letter destination; every state or publish failure throws. So it is enough that a retry of an
 * event finishes what the failed attempt started, and that a duplicate delivery does nothing:
 *
 * 1. The claim is the only way in. A conditional put creates it; whoever does not create it reads it
 *    (returned by the refused put) and either drops a duplicate (decision final: `suppress`, `pending`,
 *    `late`, `sent`), or finds it held (`lease` in the future: an attempt is running, so this one throws
 *    ClaimInFlightError and is retried later), or takes over an abandoned claim (lease past: its holder
 *    failed or timed out) with a compare-and-set on the lease, so one taker wins.
 * 2. A decision that sends nothing is written in the same request that makes the claim final (a joined
 *    match is claimed and counted by one put). A decision to alert is recorded in the claim, with the
 *    alert, before the incident is opened; the claim becomes final (`sent`) only after the transport
 *    accepted the alert (`confirm`). A retry that takes over an `alert` claim re-sends that alert; it
 *    re-opens the incident and re-writes its due marker if the failed attempt stopped before them
 *    (both writes are idempotent for the same opener), and if another event's incident won meanwhile,
 *    the match is counted into it instead.
 * 3. An undecided claim (a burst rule's match, claimed before the window query so that concurrent
 *    arrivals count each other) is decided again by the attempt that takes it over. An incident whose
 *    opener is this event was opened by the failed attempt: its due marker is written again.
 * 4. Counting is idempotent: a follow-up counts claims (by their `inc`, or by time for undecided and
 *    pending burst matches), never a counter a retry could bump twice.
 * 5. Marks come before the claim and are immutable. A match that marks nothing new, because other
 *    events marked all its values, is a repeat: it makes no claim, counts nothing and sends nothing,
 *    so delivering it once or many times is the same. A retry finds the marks its failed attempt made
 *    (its own event id) and goes on to the claim as if it had just made them. A container remembers
 *    the marks it has made or read (`memoEntries`; it reads a group's marks for a period in one query
 *    the first time it needs them): being immutable, they never go stale, and the repeats of an app
 *    reading its own few secrets all day then cost no request at all.
 *
 * The lease (45 s) outlives the function's timeout (30 s), so a holder is dead when its lease ends;
 * a holder that fails also releases its claims (best effort) so its retry need not wait. The one
 * remaining duplicate: a failure after the transport accepted an alert and before `confirm` makes the
 * retry send it again (same alert id, so subscribers can drop it). test/state/exactly-once.test.ts
 * fails each store request and each publish in turn and checks exactly this.
 */

const HOUR = 3_600_000;
/** How long an attempt holds a claim: longer than the detect function's timeout (30 s). */
export const CLAIM_LEASE_MS = 45_000;
/** Rounds of "join, else open" before giving up on a contended incident and alerting on its own. */
const MAX_ROUNDS = 3;
/** The claim keeps at most this much of an event id (the id is attacker-chosen text). */
const MAX_ID_CHARS = 1024;
/** `inc` of a match counted in no incident (a late or standalone alert). */
const NO_INCIDENT = -1;
/** Marks a container remembers by default (a few hundred bytes each: about 3 MB). */
export const DEFAULT_MEMO_ENTRIES = 10_000;
/** Values of one match that are marked (GetParameters takes 10 names); a match with more always counts. */
export const MAX_DISTINCT_VALUES = 10;
/** Marks a container reads at once for a group's period (about 4 read units). */
const MARKS_PER_QUERY = 100;

/** Another attempt holds this event's claim right now: throw, so Lambda retries after it finished. */
export class ClaimInFlightError extends Error {
  override readonly name = 'ClaimInFlightError';
}

export interface IncidentOptions {
  store: StateStore;
  /** Events later than this skip windows and grouping (they still alert, marked late). */
  allowedLatenessMs: number;
  /** How long a claim guards against redelivery. EventBridge retries for up to 24 h. */
  dedupeRetentionMs?: number;
  /** How long a claim outlives the follow-up it can be counted in: a day live, for a flush that runs late. */
  followUpMarginMs?: number;
  /** Per-rule overrides from deploy parameters (thresholds, windows, periods). */
  overrides?: Readonly<Record<string, RuleTuning>>;
  /** Distinct-value marks this instance (one container) remembers; 0 remembers none. */
  memoEntries?: number;
}

/** The values a `distinct` rule marks for a match: unique, in a stable order (unsorted when too many to mark). */
export function distinctValuesOf(rule: Rule, event: TrailEvent): string[] {
  if (!rule.distinct) return [];
  const unique = [...new Set(rule.distinct.values(event.detail, event))].filter((v) => typeof v === 'string' && v !== '');
  return unique.length > MAX_DISTINCT_VALUES ? unique : unique.sort();
}

/** A distinct rule's period: never shorter than its window, or a value would count twice in one window. */
export function distinctPeriodMs(rule: Rule, windowMs: number): number {
  return Math.max((rule.distinct?.periodMinutes ?? 0) * 60_000, windowMs);
}

/** The marks of a match's distinct values (one formula for deciding and for replay's triage below). */
function markKeysOf(rule: Rule, hash: string, t: number, tuning: ReturnType<typeof tuningOf>, values: readonly string[]): { start: number; period: number; keys: StateKey[] } {
  const period = distinctPeriodMs(rule, tuning.threshold?.windowMs ?? 0);
  const start = Math.floor(t / period) * period;
  return { start, period, keys: values.map((value) => markKey(rule.id, hash, start, value)) };
}

/** How the container memo of marks names one. */
const memoKeyOf = (key: StateKey): string => `${key.pk}\n${key.sk}`;

/**
 * The memo keys of the marks a match of a `distinct` rule touches; undefined when the match counts
 * whatever is marked (no value to tell, or too many). A pure function of the event: replay computes
 * it where it parses events (replay/triage.ts, possibly in a worker thread), so that a repeat, most
 * of a history's matches, is decided from these keys (IncidentPolicy.isRepeat) without the event.
 */
export function distinctMemoKeys(rule: Rule, event: TrailEvent, eventMs: number, overrides?: Readonly<Record<string, RuleTuning>>): string[] | undefined {
  if (!rule.distinct) return undefined;
  const values = distinctValuesOf(rule, event);
  if (values.length === 0 || values.length > MAX_DISTINCT_VALUES) return undefined;
  return markKeysOf(rule, groupHash(groupKeyOf(rule, event)), eventMs, tuningOf(rule, overrides), values).keys.map(memoKeyOf);
}

/** Decisions after which a redelivery of the event is a duplicate. */
const FINAL: ReadonlySet<ClaimDecision | undefined> = new Set(['suppress', 'pending', 'late', 'sent']);

/**
 * Is a claim counted in the incident [start, end)? Either it says so (`inc`), or it is a burst match
 * not yet counted anywhere (pending or undecided) whose time falls inside the incident.
 */
export function countedIn(claim: Claim, start: number, end: number): boolean {
  if (claim.inc !== undefined) return claim.inc === start;
  return (claim.d === undefined || claim.d === 'pending') && claim.t >= start && claim.t < end;
}

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

/** The rule's own text in an alert: the outbox leaves it out and takes it from the rule again. */
const RULE_TEXT = new Set(['title', 'severity', 'status', 'runbook', 'references', 'mitre']);

/**
 * The alert as a claim records it until delivered. Without the rule's text it is about half the size,
 * which keeps most claims under DynamoDB's 1 KB write unit: the claim is written and then confirmed,
 * and both writes are billed by the larger item (bench/RESULTS.md, cost per million events).
 */
export function recordedAlert(alert: Alert): string {
  return JSON.stringify(Object.fromEntries(Object.entries(alert).filter(([key]) => !RULE_TEXT.has(key))));
}

/**
 * The alert a claim recorded, with the rule's text put back. Only a bug or a hand-edited state file
 * makes this fail: a StateItemError naming the claim, never an alert that breaks a formatter later.
 */
export function parseRecordedAlert(claim: Claim, rule: Rule): Alert {
  const fail = (problem: string, cause?: unknown) => new StateItemError('claim', claim, 'alert', problem, cause === undefined ? undefined : { cause });
  if (claim.alert === undefined || claim.alert === '') throw fail('is missing, expected the recorded alert of a claim decided to alert');
  let value: unknown;
  try {
    value = JSON.parse(claim.alert);
  } catch (error) {
    throw fail('is not JSON', error);
  }
  const alert: unknown = isObject(value) ? { ...value, title: rule.title, severity: rule.severity, status: rule.status, runbook: rule.runbook, references: rule.references, mitre: rule.mitre } : value;
  if (!isAlert(alert)) throw fail('is not a recorded alert');
  // Bounded again as a whole (the rule's text counts towards SNS's limit too).
  return finish(alert);
}

/** One (rule, event) match being decided. */
interface Match {
  rule: Rule;
  event: TrailEvent;
  ctx: MatchContext;
  group: GroupKey;
  hash: string;
  key: StateKey;
  idKey: string;
  t: number;
  tuning: ReturnType<typeof tuningOf>;
  build: (context: Partial<AlertContext>) => Alert;
  /** Set once this attempt holds the claim (wrote it or took it over). */
  held?: Receipt;
}

/** Taking a claim: it was ours to write, or an earlier claim decided the outcome, or we took it over. */
type Take =
  | { kind: 'written'; receipt: Receipt }
  | { kind: 'decided'; decision: Decision }
  | { kind: 'resumed'; receipt: Receipt; claim: Claim };

export function createIncidentPolicy(opts: IncidentOptions): IncidentPolicy {
  const { store } = opts;
  const retention = opts.dedupeRetentionMs ?? 25 * HOUR;
  const followUpMargin = opts.followUpMarginMs ?? 24 * HOUR;
  const memoEntries = Math.max(0, opts.memoEntries ?? DEFAULT_MEMO_ENTRIES);
  /** Mark key -> the event id that made it (marks never change, so this never goes stale). */
  const memo = new Map<string, string>();
  const remember = (key: string, owner: string): void => {
    if (memoEntries === 0) return;
    memo.delete(key);
    // Oldest first out: bounded, whatever values an attacker makes a principal read.
    if (memo.size >= memoEntries) memo.delete(memo.keys().next().value as string);
    memo.set(key, owner);
  };
  /** Mark periods (partition and period start) whose marks this container has read in one query. */
  const loaded = new Set<string>();
  const MAX_LOADED = 2_000;

  /**
   * The first time a container needs marks of a group's period, it reads them all in one query: a
   * read unit (4 KB) holds about 25 marks, where finding each one by a refused write costs a write
   * unit (5 times the price). So a fresh container learns an app's few secrets for one read.
   */
  async function loadMarks(pk: string, start: number): Promise<void> {
    const from = `${iso(start)}#`;
    const id = `${pk}\n${from}`;
    if (loaded.has(id)) return;
    for (const item of await store.query(pk, { from, to: `${from}~`, limit: MARKS_PER_QUERY })) remember(memoKeyOf(item), decodeMark(item).id);
    if (loaded.size >= MAX_LOADED) loaded.delete(loaded.values().next().value as string);
    loaded.add(id);
  }

  /**
   * Marks the match's distinct values for its period. True when the match touched something new: a
   * value no other event had marked (this one did now, or in a failed attempt: the mark has its id).
   */
  async function marksNew(m: Match): Promise<boolean> {
    const values = distinctValuesOf(m.rule, m.event);
    // No value to tell (it always counts), or more than one call can name: counted, nothing marked.
    if (values.length === 0 || values.length > MAX_DISTINCT_VALUES) return true;
    const { start, period, keys } = markKeysOf(m.rule, m.hash, m.t, m.tuning, values);
    const own = m.ctx.eventId.slice(0, MAX_ID_CHARS);
    // On-time matches of the period arrive until its end plus the allowed lateness (an hour of margin).
    const expiresAt = Math.ceil((start + period + opts.allowedLatenessMs + HOUR) / 1000);
    let fresh = false;
    const unknown = keys.find((key) => !memo.has(memoKeyOf(key)));
    if (memoEntries > 0 && unknown) await loadMarks(unknown.pk, start);
    for (const key of keys) {
      const memoKey = memoKeyOf(key);
      let owner = memo.get(memoKey);
      if (owner === undefined) {
        const result = await store.put(encodeMark({ ...key, expiresAt, t: m.t, id: own }), { kind: 'absent' });
        owner = result.written ? own : result.current ? decodeMark(result.current).id : undefined;
        // Refused, yet gone when read back (it expired in between): count the match rather than lose it.
        if (owner === undefined) {
          fresh = true;
          continue;
        }
        remember(memoKey, owner);
      }
      if (owner === own) fresh = true;
    }
    return fresh;
  }

  function claimItem(m: Match, outcome: ClaimOutcome, lease: number): Claim {
    // Claims live past their event's windows and follow-up, and at least `retention` after arrival.
    // And past the follow-up of the longest incident it can be counted in (rules group for up to a
    // week): an expired claim is a match the follow-up no longer counts.
    const counted = Math.min(m.t, m.ctx.now + HOUR) + (m.tuning.threshold?.windowMs ?? 0) * 2 + m.tuning.dedupeMs + opts.allowedLatenessMs + followUpMargin;
    const expiresAt = Math.ceil(Math.max(Math.max(Math.min(m.t, m.ctx.now + HOUR), m.ctx.now) + retention, counted) / 1000);
    // `api`: follow-ups name each counted call's API (root's calls differ), bounded like any event text.
    const api = String(m.event.detail.eventName ?? m.event.detail.insightDetails?.eventName ?? '').slice(0, 128);
    return { ...m.key, expiresAt, t: m.t, id: m.ctx.eventId.slice(0, MAX_ID_CHARS), api, ...outcome, lease };
  }

  /**
   * Writes the claim with attrs if it does not exist yet. Otherwise reads what the earlier claim says:
   * a final decision makes this a duplicate, a live lease means another attempt is on it, an expired
   * lease is taken over (one taker wins the compare-and-set).
   */
  async function take(m: Match, outcome: ClaimOutcome): Promise<Take> {
    const lease = m.ctx.now + CLAIM_LEASE_MS;
    const result = await store.put(encodeClaim(claimItem(m, outcome, lease)), { kind: 'absent' });
    if (result.written) {
      m.held = { key: m.key, lease };
      return { kind: 'written', receipt: m.held };
    }
    const earlier = result.current && decodeClaim(result.current);
    if (!earlier || FINAL.has(earlier.d)) return { kind: 'decided', decision: { action: 'duplicate' } };
    const held = earlier.lease;
    if (held > m.ctx.now) throw new ClaimInFlightError(`event ${m.idKey} is being processed for rule ${m.rule.id} by another invocation`);
    const taken = await store.update(m.key, { set: claimSet({ lease }) }, { kind: 'exists', attr: 'lease', gte: held, lt: held + 1 });
    if (!taken) throw new ClaimInFlightError(`event ${m.idKey} was taken over for rule ${m.rule.id} by another invocation`);
    m.held = { key: m.key, lease };
    return { kind: 'resumed', receipt: m.held, claim: decodeClaim(taken) };
  }

  /** Makes the held claim final with a decision that sends nothing. */
  async function settle(m: Match, outcome: ClaimOutcome): Promise<void> {
    await store.update(m.key, { set: claimSet({ ...outcome, lease: 0, alert: '' }) }, { kind: 'exists' });
  }

  /** Records the decision to alert, with the alert, in the held claim (the outbox entry). */
  async function record(m: Match, alert: Alert, inc: number, end: number): Promise<void> {
    await store.update(m.key, { set: claimSet({ d: 'alert', alert: recordedAlert(alert), inc, end }) }, { kind: 'exists' });
  }

  /** Opens a new incident unless one ending after `start` exists; only one concurrent opener wins. */
  async function open(m: Match, start: number, end: number, alerted: number): Promise<boolean> {
    // Kept a day past its follow-up, so a flush that runs late still finds it.
    const expiresAt = Math.ceil((end + opts.allowedLatenessMs + 24 * HOUR) / 1000);
    const incident = encodeIncident({ ...incidentKey(m.rule.id, m.hash), expiresAt, start, end, alerted, eventId: m.idKey });
    return (await store.put(incident, { kind: 'absentOrAtMost', attr: 'end', atMost: start })).written;
  }

  /** The follow-up marker. A plain put: written again by a retry, it is the same item. */
  async function markDue(m: Match, incident: { start: number; end: number; alerted: number; first?: number; last?: number }): Promise<void> {
    const { rule, event } = m;
    const actor = actorOf(event.detail);
    const span = incident.first !== undefined && incident.last !== undefined;
    await store.put(encodeDueMarker({
      ...dueKey(rule.id, m.hash, incident.start, incident.end, opts.allowedLatenessMs),
      expiresAt: Math.ceil((incident.end + opts.allowedLatenessMs + 48 * HOUR) / 1000),
      ruleId: rule.id,
      hash: m.hash,
      start: incident.start,
      end: incident.end,
      alerted: incident.alerted,
      first: span ? incident.first : undefined,
      last: span ? incident.last : undefined,
      threshold: m.tuning.threshold !== undefined,
      group: m.group,
      eventId: m.idKey,
      account: event.account,
      region: event.region,
      eventSource: String(event.detail.eventSource ?? event.detail.insightDetails?.eventSource ?? ''),
      eventName: String(event.detail.eventName ?? event.detail.insightDetails?.eventName ?? ''),
      actor: actor.name,
      actorType: actor.type,
      actorArn: actor.arn,
    }));
  }

  async function currentIncident(m: Match): Promise<Incident | undefined> {
    const item = await store.get(incidentKey(m.rule.id, m.hash));
    return item && decodeIncident(item);
  }

  /**
   * A taken-over claim whose alert was decided but not confirmed delivered: finish what the failed
   * attempt began (open the incident and mark its follow-up when they are missing) and send the alert.
   */
  async function resumeAlert(m: Match, claim: Claim, receipt: Receipt): Promise<Decision> {
    const alert = parseRecordedAlert(claim, m.rule);
    const { inc: start, end } = claim;
    if (start !== undefined && start !== NO_INCIDENT && end !== undefined) {
      const cur = await currentIncident(m);
      if (cur && cur.eventId === m.idKey) {
        await markDue(m, { ...cur, ...firstLast(alert) });
      } else if (cur && cur.end > start && cur.start < end) {
        // Another event's incident covers ours: ours was never opened, its alert never accepted.
        await settle(m, { d: 'suppress', inc: cur.start, end: cur.end });
        return { action: 'suppress' };
      } else if (!cur || cur.end <= start) {
        if (await open(m, start, end, alert.count ?? 1)) await markDue(m, { start, end, alerted: alert.count ?? 1, ...firstLast(alert) });
      }
      // else: ours was opened and a later incident has replaced it; its follow-up is on its way.
    }
    return { action: 'alert', alert, receipt };
  }

  /** Late or far-future events: no windows, no incidents. A burst rule counts nothing; others alert alone. */
  async function decideUntimed(m: Match): Promise<Decision> {
    if (m.tuning.threshold) {
      const took = await take(m, { d: 'late' });
      if (took.kind === 'decided') return took.decision;
      if (took.kind === 'resumed') await settle(m, { d: 'late' });
      return { action: 'pending' };
    }
    const alert = m.build({ group: m.group });
    const took = await take(m, { d: 'alert', alert: recordedAlert(alert), inc: NO_INCIDENT });
    if (took.kind === 'decided') return took.decision;
    if (took.kind === 'resumed') {
      if (took.claim.d === 'alert') return resumeAlert(m, took.claim, took.receipt);
      await record(m, alert, NO_INCIDENT, 0);
    }
    return { action: 'alert', alert, receipt: took.receipt };
  }

  async function decideTimed(m: Match): Promise<Decision> {
    const { tuning, t } = m;
    const windowMs = tuning.threshold?.windowMs ?? 0;
    const spanMs = windowMs + tuning.dedupeMs;
    let held: Receipt | undefined;
    // One round more than MAX_ROUNDS: taking over an abandoned claim costs one.
    for (let round = 0; round <= MAX_ROUNDS; round++) {
      const cur = await currentIncident(m);

      if (cur && t < cur.end) {
        // Counted into the latest incident (an older, out-of-order match too: it folds into it).
        // Opened by this event in an attempt that failed before it finished: write its marker again.
        // (Only while holding the claim: a duplicate must not revive a follow-up already sent.)
        if (held && cur.eventId === m.idKey) await markDue(m, cur);
        const attrs: ClaimOutcome = { d: 'suppress', inc: cur.start, end: cur.end };
        if (held) {
          await settle(m, attrs);
          return { action: 'suppress' };
        }
        const took = await take(m, attrs);
        if (took.kind === 'written') return { action: 'suppress' };
        if (took.kind === 'decided') return took.decision;
        if (took.claim.d === 'alert') return resumeAlert(m, took.claim, took.receipt);
        held = took.receipt;
        continue;
      }

      if (!tuning.threshold) {
        // The first match of a new incident: the claim records the alert in the same write, then opens.
        const start = t;
        const end = t + tuning.dedupeMs;
        const alert = m.build({ group: m.group });
        if (held) await record(m, alert, start, end);
        else {
          const took = await take(m, { d: 'alert', alert: recordedAlert(alert), inc: start, end });
          if (took.kind === 'decided') return took.decision;
          if (took.kind === 'resumed') {
            if (took.claim.d === 'alert') return resumeAlert(m, took.claim, took.receipt);
            held = took.receipt;
            continue;
          }
          held = took.receipt;
        }
        if (await open(m, start, end, 1)) {
          await markDue(m, { start, end, alerted: 1 });
          return { action: 'alert', alert, receipt: held };
        }
        continue; // another event opened an incident meanwhile: the next round counts this one into it
      }

      // A burst rule: claim first, undecided, so concurrent arrivals see each other in the window.
      if (!held) {
        const took = await take(m, {});
        if (took.kind === 'decided') return took.decision;
        if (took.kind === 'resumed' && took.claim.d === 'alert') return resumeAlert(m, took.claim, took.receipt);
        held = took.receipt;
      }

      if (cur && t < cur.end + windowMs) {
        // The burst goes on past its incident: it rolls into a follow-up, never into per-event alerts.
        const start = cur.end;
        const end = cur.end + spanMs;
        if (await open(m, start, end, 0)) {
          await markDue(m, { start, end, alerted: 0 });
          await settle(m, { d: 'suppress', inc: start, end });
          return { action: 'suppress' };
        }
        continue;
      }

      // A new burst counts only matches no earlier incident counted.
      const from = Math.max(t - windowMs, cur ? cur.end : -Infinity);
      const items = (await store.query(m.key.pk, { from: iso(from), to: `${iso(t + windowMs)}~` })).map(decodeClaim).filter((c) => c.d !== 'late');
      const times = items.map((c) => c.t).sort((a, b) => a - b);
      const hit = windowContaining(times, t, tuning.threshold.count, windowMs);
      if (!hit) {
        await settle(m, { d: 'pending' });
        return { action: 'pending' };
      }
      const start = Math.max(hit.first - windowMs, cur ? cur.end : -Infinity);
      const end = hit.first + spanMs;
      const eventIds = items.filter((c) => c.t >= hit.first && c.t <= hit.last).map((c) => c.id);
      const alert = m.build({ kind: 'threshold', group: m.group, count: hit.n, eventIds, firstEventTime: hit.first, lastEventTime: hit.last });
      await record(m, alert, start, end);
      if (await open(m, start, end, hit.n)) {
        await markDue(m, { start, end, alerted: hit.n, first: hit.first, last: hit.last });
        return { action: 'alert', alert, receipt: held };
      }
    }
    // Still contended after every round: alert on its own rather than lose it (counted: ContendedAlerts).
    const alert = m.build({ group: m.group });
    if (held) {
      await record(m, alert, NO_INCIDENT, 0);
      return { action: 'alert', alert, receipt: held, contended: true };
    }
    const took = await take(m, { d: 'alert', alert: recordedAlert(alert), inc: NO_INCIDENT });
    if (took.kind === 'decided') return took.decision;
    if (took.kind === 'resumed' && took.claim.d === 'alert') return resumeAlert(m, took.claim, took.receipt);
    if (took.kind === 'resumed') await record(m, alert, NO_INCIDENT, 0);
    return { action: 'alert', alert, receipt: took.receipt, contended: true };
  }

  /** Ends our lease (only if it is still ours) so the next attempt can take the claim over. */
  async function release(receipt: Receipt): Promise<void> {
    await store.update(receipt.key, { set: claimSet({ lease: 0 }) }, { kind: 'exists', attr: 'lease', gte: receipt.lease, lt: receipt.lease + 1 });
  }

  return {
    isRepeat(memoKeys, eventId) {
      // What marksNew answers without a request: every mark known, and made by another event.
      const own = eventId.slice(0, MAX_ID_CHARS);
      return memoKeys.every((key) => {
        const owner = memo.get(key);
        return owner !== undefined && owner !== own;
      });
    },

    async decide(rule, event, ctx, build): Promise<Decision> {
      const group = groupKeyOf(rule, event);
      const hash = groupHash(group);
      const m: Match = {
        rule,
        event,
        ctx,
        group,
        hash,
        key: claimKey(rule.id, hash, ctx.eventMs, ctx.eventId),
        idKey: idKeyOf(ctx.eventId),
        t: ctx.eventMs,
        tuning: tuningOf(rule, opts.overrides),
        build,
      };
      try {
        // Too late for windows and grouping (or dated ahead of any clock skew): whatever was counted
        // for its time is settled. Such matches mark nothing, so they cannot hide on-time ones.
        if (ctx.late || ctx.future) return await decideUntimed(m);
        if (rule.distinct && !(await marksNew(m))) return { action: 'repeat' };
        return await decideTimed(m);
      } catch (error) {
        // Let the retry take the claim at once instead of waiting for the lease (best effort: if the
        // store is what failed, this may fail too, and the lease runs out on its own).
        if (m.held) await release(m.held).catch(() => undefined);
        throw error;
      }
    },

    async confirm(receipt) {
      await store.update(receipt.key, { set: claimSet({ d: 'sent', lease: 0, alert: '' }) }, { kind: 'exists' });
    },

    release,
  };
}

function firstLast(alert: Alert): { first?: number; last?: number } {
  const first = alert.firstEventTime ? Date.parse(alert.firstEventTime) : Number.NaN;
  const last = alert.lastEventTime ? Date.parse(alert.lastEventTime) : Number.NaN;
  return Number.isFinite(first) && Number.isFinite(last) ? { first, last } : {};
}
