import { buildAlert, type AlertContext } from '../alert/build.js';
import type { Alert } from '../alert/alert.js';
import { eventIdOf, eventTimeOf, MalformedEventError, parseTrailEvent } from '../cloudtrail/envelope.js';
import type { TrailEvent } from '../cloudtrail/types.js';
import { createCandidateIndex, type CandidateIndex } from '../detection/candidates.js';
import { evaluate, rulesBySource, type CompiledRule, type RuleError, type RulesFor } from '../detection/evaluate.js';
import type { Rule } from '../detection/rule.js';
import type { Allowlist, AllowlistHit } from '../detection/suppress.js';
import type { StateKey } from '../state/store.js';
import { MAX_FUTURE_SKEW_MS, statelessPolicy, type BuildAlert, type Decision, type IncidentPolicy, type MatchContext, type Receipt } from '../incidents/policy.js';

/** CloudTrail events on EventBridge come from `aws.<service>`; no custom event can (PutEvents refuses it). */
export function isAwsSource(source: unknown): boolean {
  return typeof source === 'string' && source.startsWith('aws.');
}

export const DEFAULT_ALLOWED_LATENESS_MS = 30 * 60_000;

/**
 * Replaying recorded events, wall time would make every event "late". An event-time clock is the
 * newest event time seen (a watermark): windows, lateness and expiry then behave as they did live.
 */
export interface WatermarkClock {
  now(): number;
  observe(eventMs: number): void;
}

export function createWatermarkClock(start = 0): WatermarkClock {
  let watermark = start;
  return {
    now: () => watermark,
    observe: (ms) => {
      if (ms > watermark) watermark = ms;
    },
  };
}

export interface DetectorOptions {
  rules: readonly Rule[];
  policy?: IncidentPolicy;
  /** Wall clock by default; pass an event-time clock to replay history. */
  clock?: () => number;
  /** With an event-time clock: called with each event's time before `clock()` is read. */
  observeEventTime?: (eventMs: number) => void;
  accountNames?: Readonly<Record<string, string>>;
  allowedLatenessMs?: number;
  /** Per-deployment allowlists (lib/detection/suppress.ts): allowed matches are reported, never decided. */
  allowlist?: Allowlist;
  /**
   * Evaluate only the rules an event's source, detail-type and eventName allow (detection/candidates.ts):
   * the same matches for less work per event, for a little more work up front. Replay sets it; a
   * Lambda cold start is better off without.
   */
  indexRules?: boolean;
}

export interface DetectResult {
  eventId?: string;
  /** Reason the event was refused; nothing else is set then. */
  malformed?: string;
  /** Why the event cannot be AWS's own (its source); nothing else is set then. */
  forged?: string;
  delayMs?: number;
  late: boolean;
  matched: string[];
  alerts: Alert[];
  /** One per alert (same index): present when the alert is recorded and owed until confirmed. */
  receipts: (Receipt | undefined)[];
  /** Alerts sent on their own because an incident stayed contended (bounded rounds). */
  contended: number;
  /** Dated beyond clock skew in the future: judged without windows or incidents. */
  future: boolean;
  suppressed: string[];
  duplicates: string[];
  pending: string[];
  /** Matches of `distinct` rules that touched nothing new: neither counted nor alerted. */
  repeats: string[];
  /** Matches an allowlist entry covers: counted and logged with its reason, no state, no alert. */
  allowlisted: AllowlistHit[];
  ruleErrors: RuleError[];
}

/**
 * What replay's triage (replay/triage.ts) knows of an event whose every match is of a `distinct` rule:
 * enough to tell a repeat (most of a history's matches: an app reading its own secrets all day)
 * without the event, which may still be in a worker thread as text.
 */
export interface RepeatProbe {
  /** The event's own time (eventTimeOf) and id (eventIdOf). */
  eventMs: number;
  eventId: string;
  /** The rules it matched, after the allowlist, with the memo keys of their marks (distinctMemoKeys). */
  rules: ReadonlyArray<{ id: string; memoKeys: readonly string[] }>;
}

/** How late an event is on the clock, and whether it is too late for windows or dated too far ahead. */
function timing(eventMs: number, now: number, latenessMs: number): { delayMs: number; late: boolean; future: boolean } {
  const delayMs = Math.max(0, now - eventMs);
  return { delayMs, late: delayMs > latenessMs, future: eventMs > now + MAX_FUTURE_SKEW_MS };
}

export interface Detector {
  /** The rules an event of one source can match, compiled on that source's first event. */
  readonly rulesFor: RulesFor;
  /** Throws when state fails (so Lambda retries); alerts it decided by then are released first. */
  process(raw: unknown): Promise<DetectResult>;
  /**
   * The result process() would give the probed event when every match is a repeat the policy already
   * knows of (no state is read or written then); undefined when it must be processed in full.
   */
  decideRepeat(probe: RepeatProbe): DetectResult | undefined;
  /** Marks a delivered alert, so a redelivery of its event does not send it again. */
  confirm(receipt: Receipt): Promise<void>;
  /** After a failed delivery: the retry may take the alert over at once. */
  release(receipt: Receipt): Promise<void>;
}

const empty = (): DetectResult => ({
  late: false,
  future: false,
  matched: [],
  alerts: [],
  receipts: [],
  contended: 0,
  suppressed: [],
  duplicates: [],
  pending: [],
  repeats: [],
  allowlisted: [],
  ruleErrors: [],
});

/** Frozen, so that a caller that tries to add to a repeat's empty lists fails loudly instead of sharing. */
const NONE = Object.freeze([]) as never[];
const REPEAT: Omit<DetectResult, 'matched' | 'repeats'> = Object.freeze({
  late: false,
  future: false,
  alerts: NONE,
  receipts: NONE,
  contended: 0,
  suppressed: NONE,
  duplicates: NONE,
  pending: NONE,
  allowlisted: NONE,
  ruleErrors: NONE,
});

/** A candidate index (detection/candidates.ts) per source's rule list; the lists are few and kept. */
function indexedBySource(rulesFor: RulesFor): (event: TrailEvent) => readonly CompiledRule[] {
  const indexes = new Map<readonly CompiledRule[], CandidateIndex>();
  return (event) => {
    const rules = rulesFor(event.source);
    let index = indexes.get(rules);
    if (index === undefined) {
      index = createCandidateIndex(rules);
      indexes.set(rules, index);
    }
    return index.rulesFor(event);
  };
}

/**
 * The pipeline shared by the Lambda handler, `invoke local` and replay: check the event, run every
 * rule, ask the state layer what each match means, build alerts. Sending is the caller's job.
 * Throws only when state (DynamoDB) fails, so that Lambda retries the event.
 */
export function createDetector(opts: DetectorOptions): Detector {
  const rulesFor = rulesBySource(opts.rules);
  const candidatesFor = opts.indexRules ? indexedBySource(rulesFor) : (event: TrailEvent) => rulesFor(event.source);
  const policy = opts.policy ?? statelessPolicy;
  const clock = opts.clock ?? Date.now;
  const lateness = opts.allowedLatenessMs ?? DEFAULT_ALLOWED_LATENESS_MS;

  return {
    rulesFor,
    decideRepeat(probe) {
      const isRepeat = policy.isRepeat;
      if (isRepeat === undefined || probe.rules.length === 0) return undefined;
      // The same steps as process(), in the same order, for an event known to be well formed and AWS's.
      opts.observeEventTime?.(probe.eventMs);
      const { delayMs, late, future } = timing(probe.eventMs, clock(), lateness);
      // Late or future matches are decided without marks (decideUntimed): not a repeat to tell here.
      if (late || future) return undefined;
      if (!probe.rules.every((r) => isRepeat(r.memoKeys, probe.eventId))) return undefined;
      // Most of a history's matches come this way: one array of ids, and shared (frozen) empty lists.
      const ids = probe.rules.map((r) => r.id);
      return { ...REPEAT, eventId: probe.eventId, delayMs, matched: ids, repeats: ids };
    },
    confirm: async (receipt) => policy.confirm?.(receipt),
    release: async (receipt) => policy.release?.(receipt),
    async process(raw) {
      const result = empty();
      let event: TrailEvent;
      try {
        event = parseTrailEvent(raw);
      } catch (error) {
        if (!(error instanceof MalformedEventError)) throw error;
        result.malformed = error.message;
        if (error.eventId) result.eventId = error.eventId;
        return result;
      }
      if (!isAwsSource(event.source)) {
        // Anyone allowed events:PutEvents can send a custom event shaped like CloudTrail's, but
        // EventBridge refuses custom sources starting with "aws.": such an event is not AWS's. It
        // neither alerts nor touches state (nor the event-time clock), so it cannot hide a real one.
        result.forged = `source ${JSON.stringify(event.source.slice(0, 64))} is not an AWS service`;
        result.eventId = eventIdOf(event).slice(0, 128);
        return result;
      }
      const ownTime = eventTimeOf(event);
      if (ownTime !== undefined) opts.observeEventTime?.(ownTime);
      const now = clock();
      const eventMs = ownTime ?? now;
      const eventId = eventIdOf(event);
      result.eventId = eventId;
      ({ delayMs: result.delayMs, late: result.late, future: result.future } = timing(eventMs, now, lateness));

      const evaluation = evaluate(candidatesFor(event), event);
      result.ruleErrors = evaluation.errors;
      const matched = opts.allowlist ? opts.allowlist.apply(evaluation.matched, event, result.allowlisted) : evaluation.matched;
      const ctx: MatchContext = { eventId, eventMs, now, late: result.late, future: result.future };
      // Rules decide independently; state calls for different rules can run in parallel.
      if (matched.length === 0) return result;
      const builder = (rule: Rule): BuildAlert => (context) =>
        buildAlert(rule, event, {
          now,
          late: result.late,
          replayed: opts.observeEventTime !== undefined,
          ...(opts.accountNames ? { accountNames: opts.accountNames } : {}),
          ...context,
        });
      const settled = await Promise.allSettled(matched.map((rule) => policy.decide(rule, event, ctx, builder(rule))));
      const failure = settled.find((s) => s.status === 'rejected');
      if (failure) {
        // The retry decides again; alerts other rules recorded meanwhile are handed over to it now.
        await Promise.allSettled(settled.map((s) => (s.status === 'fulfilled' && s.value.action === 'alert' && s.value.receipt ? policy.release?.(s.value.receipt) : undefined)));
        throw failure.reason;
      }
      matched.forEach((rule, i) => {
        const outcome = settled[i];
        const decision: Decision = outcome?.status === 'fulfilled' ? outcome.value : { action: 'alert', alert: builder(rule)({}) };
        result.matched.push(rule.id);
        switch (decision.action) {
          case 'alert':
            result.alerts.push(decision.alert);
            result.receipts.push(decision.receipt);
            if (decision.contended) result.contended += 1;
            break;
          case 'suppress':
            result.suppressed.push(rule.id);
            break;
          case 'duplicate':
            result.duplicates.push(rule.id);
            break;
          case 'pending':
            result.pending.push(rule.id);
            break;
          case 'repeat':
            result.repeats.push(rule.id);
            break;
        }
      });
      return result;
    },
  };
}
