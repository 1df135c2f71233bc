import { eventIdOf, eventTimeOf, MalformedEventError, parseTime, parseTrailEvent } from '../cloudtrail/envelope.js';
import type { CloudTrailRecord, TrailEvent } from '../cloudtrail/types.js';
import { asEnvelope, detailTypeOf, quickRecordTime, recordToEnvelope, sourceFromEventSource } from '../cloudtrail/wrap.js';
import { createCandidateIndex, type CandidateIndex } from '../detection/candidates.js';
import { isObject } from '../untrusted/json.js';
import { evaluate, type CompiledRule, type Evaluation } from '../detection/evaluate.js';
import type { Rule } from '../detection/rule.js';
import type { Allowlist, AllowlistHit } from '../detection/suppress.js';
import type { RuleTuningConfig } from '../detection/tuning.js';
import { isAwsSource, type RepeatProbe } from '../handlers/pipeline.js';
import { distinctMemoKeys } from '../incidents/policy.js';
import type { SourceItem } from './sources/parse.js';

/**
 * Replay's first stage: decide, per input item, how much of it the detector needs. Almost every event
 * of a history matches no rule; for those the rest of the pipeline only needs their time (the
 * event-time clock, --since/--until, follow-up flushing), so they travel as a bare number. Only events
 * a rule's pattern matches (or that the detector must refuse, with its own reason) travel whole.
 *
 * This is what lets replay run on several cores: workers (triage-worker.ts) do the reading, parsing
 * and triage, and post the main thread numbers and the few matching events. The single-threaded replay
 * runs the same triage in-line, so both produce the same stream, and so the same alerts.
 */
export type Triaged =
  /** An event no rule matches, whose ordering time and event time are both this (or NaN). */
  | number
  /** The same when the two times differ (a raw value whose own time fields disagree). */
  | { kind: 'times'; order: number | undefined; event: number | undefined }
  /**
   * An event the detector must see: a pattern matched, a rule threw, or the detector will refuse it.
   * `at` is its time for --since/--until; `probe` is set when every match is of a `distinct` rule, so
   * a repeat can be told without the event. A worker sends the event as JSON text (pool.ts): cheaper
   * than cloning the object, and parsed only if the probe cannot decide it.
   */
  | { kind: 'event'; order: number | undefined; at: number | undefined; event: TrailEvent | string; probe?: RepeatProbe }
  /**
   * A worker's probed event sent without the event itself (triage-worker.ts says when): where to read
   * it again, should the probe not decide it after all.
   */
  | { kind: 'probed'; order: number | undefined; at: number | undefined; probe: RepeatProbe; origin: { path: string; index: number } }
  | { kind: 'not-envelope'; order: number | undefined; origin: string }
  | { kind: 'error'; path: string; reason: string };

/** A raw record's or envelope's own time, read before wrapping (as ordering always has). */
function orderTimeOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { eventTime?: unknown; time?: unknown; detail?: { eventTime?: unknown } };
  return parseTime(v.eventTime) ?? parseTime(v.detail?.eventTime) ?? parseTime(v.time);
}

export function timeOfTriaged(item: Triaged): number | undefined {
  if (typeof item === 'number') return item;
  return item.kind === 'error' ? undefined : item.order;
}

/** The deployment's settings the probes need: its allowlist and tuning, as the detector applies them. */
export interface TriageOptions {
  allowlist?: Allowlist;
  overrides?: RuleTuningConfig;
}

/** Triage with the rules compiled once; only the rules an event's names allow are evaluated (candidates.ts). */
export function createTriage(rules: readonly CompiledRule[], opts: TriageOptions = {}): (item: SourceItem) => Triaged {
  const index = createCandidateIndex(rules);
  const isLight = lightJudge();
  const sourceOf = sourceNamer();
  return (item) => quickTriage(index, isLight, sourceOf, item, opts) ?? triageWith(index.rulesFor, item, opts);
}

/** The same as createTriage(rules) on one item, evaluating every rule (tests compare the two). */
export function triage(rules: readonly CompiledRule[], item: SourceItem, opts: TriageOptions = {}): Triaged {
  return triageWith(() => rules, item, opts);
}

/** The probe of a matched, well-formed AWS event whose every match is a distinct rule's; else undefined. */
function probeOf(matched: readonly Rule[], event: TrailEvent, opts: TriageOptions, eventMs: number | undefined): RepeatProbe | undefined {
  if (eventMs === undefined || !isAwsSource(event.source) || !matched.every((rule) => rule.distinct)) return undefined;
  let kept = matched;
  if (opts.allowlist) {
    // An allowed match is reported with its reason, which only the detector does.
    const hits: AllowlistHit[] = [];
    kept = opts.allowlist.apply(matched, event, hits);
    if (hits.length > 0) return undefined;
  }
  const rules: Array<{ id: string; memoKeys: string[] }> = [];
  for (const rule of kept) {
    const memoKeys = distinctMemoKeys(rule, event, eventMs, opts.overrides);
    if (memoKeys === undefined) return undefined;
    rules.push({ id: rule.id, memoKeys });
  }
  return { eventMs, eventId: eventIdOf(event), rules };
}

/** Bound on the event sources sourceNamer remembers (their text is attacker-chosen). */
const MAX_SOURCES = 1024;

/**
 * sourceFromEventSource, remembered: a history names a few dozen services, and the same string each
 * time keeps its hash, which the candidate index's lookups would otherwise compute again per record.
 */
function sourceNamer(): (eventSource: unknown) => string {
  let known = new Map<string, string>();
  return (eventSource) => {
    if (typeof eventSource !== 'string') return sourceFromEventSource(eventSource);
    let source = known.get(eventSource);
    if (source === undefined) {
      source = sourceFromEventSource(eventSource);
      if (known.size >= MAX_SOURCES) known = new Map();
      known.set(eventSource, source);
    }
    return source;
  };
}

/** Envelope fields a light view (below) carries; a pattern naming any other goes the full way. */
const LIGHT_FIELDS: ReadonlySet<string> = new Set(['source', 'detail-type', 'detail']);

/** Whether every rule of a candidate list can be judged on a light view; lists are few and kept. */
function lightJudge(): (rules: readonly CompiledRule[]) => boolean {
  const known = new Map<readonly CompiledRule[], boolean>();
  return (rules) => {
    let light = known.get(rules);
    if (light === undefined) {
      light = rules.every(({ rule }) => Object.keys(rule.pattern).every((key) => LIGHT_FIELDS.has(key)));
      known.set(rules, light);
    }
    return light;
  };
}

/**
 * Most records of a history: a well-formed raw API call. Its time is found without building the
 * envelope (wrap.ts's quickRecordTime says when that is safe), and what the candidate index left of
 * its candidates' patterns is tried on a view with just the fields they read. No pattern accepts
 * (nine in ten records): its time is all that is needed. Some do: the envelope is built for their
 * predicates and probes, but neither checked again (quickRecordTime vouches that parseTrailEvent
 * accepts it, with this time) nor matched again. Any doubt (a pattern that throws, or one that
 * reads other fields) returns undefined: the full way then wraps, checks and evaluates as
 * the detector will. test/replay/triage.test.ts holds both ways to the same answers.
 */
function quickTriage(
  index: CandidateIndex,
  isLight: (rules: readonly CompiledRule[]) => boolean,
  sourceOf: (eventSource: unknown) => string,
  item: SourceItem,
  opts: TriageOptions,
): Triaged | undefined {
  if (item.kind !== 'event' || !isObject(item.value)) return undefined;
  const record = item.value;
  const time = quickRecordTime(record);
  if (time === undefined) return undefined;
  const source = sourceOf(record.eventSource);
  const detailType = detailTypeOf(record);
  const rules = index.rulesForNames(source, detailType, record.eventName as string);
  if (rules.length === 0) return time;
  if (!isLight(rules)) return undefined;
  let view: { source: string; 'detail-type': string; detail: Record<string, unknown> } | undefined;
  let hits: CompiledRule[] | undefined;
  try {
    for (const rule of rules) {
      const inDetail = index.residualInDetailOf(rule);
      const matches = inDetail ? inDetail.matches(record) : index.residualOf(rule).matches((view ??= { source, 'detail-type': detailType, detail: record }));
      if (matches) (hits ??= []).push(rule);
    }
  } catch {
    return undefined;
  }
  return hits === undefined ? time : quickMatched(hits, record, time, opts);
}

/** The record whose candidates' patterns accept it: evaluated for routing and predicates only. */
function quickMatched(hits: readonly CompiledRule[], record: Record<string, unknown>, time: number, opts: TriageOptions): Triaged {
  const event = recordToEnvelope(record as CloudTrailRecord);
  return outcome(evaluate(hits, event, true), event, time, time, opts);
}

/** What a checked event's evaluation leaves for the detector: its times alone, or the event (and its probe). */
function outcome({ matched, errors }: Evaluation, event: TrailEvent, order: number | undefined, at: number | undefined, opts: TriageOptions): Triaged {
  if (errors.length === 0 && matched.length === 0) return at === order ? (at ?? Number.NaN) : { kind: 'times', order, event: at };
  const probe = errors.length === 0 ? probeOf(matched, event, opts, at) : undefined;
  return probe ? { kind: 'event', order, at, event, probe } : { kind: 'event', order, at, event };
}

function triageWith(rulesFor: (event: TrailEvent) => readonly CompiledRule[], item: SourceItem, opts: TriageOptions): Triaged {
  if (item.kind === 'error') return { kind: 'error', path: item.path, reason: item.reason };
  const order = orderTimeOf(item.value);
  const envelope = asEnvelope(item.value);
  if (!envelope) return { kind: 'not-envelope', order, origin: `${item.origin.path}#${item.origin.index}` };
  let event: TrailEvent;
  try {
    event = parseTrailEvent(envelope);
  } catch (error) {
    if (!(error instanceof MalformedEventError)) throw error;
    return { kind: 'event', order, at: eventTimeOf(envelope), event: envelope };
  }
  return outcome(evaluate(rulesFor(event), event), event, order, eventTimeOf(event), opts);
}
