import { eventTimeOf, MalformedEventError, parseTime, parseTrailEvent } from '../cloudtrail/envelope.js';
import type { TrailEvent } from '../cloudtrail/types.js';
import { asEnvelope } from '../cloudtrail/wrap.js';
import { createCandidateIndex } from '../detection/candidates.js';
import { evaluate, type CompiledRule } from '../detection/evaluate.js';
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
  /** An event the detector must see: a pattern matched, a rule threw, or the detector will refuse it. */
  | { kind: 'event'; order: number | undefined; event: TrailEvent }
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

/** Triage with the rules compiled once; only the rules an event's names allow are evaluated (candidates.ts). */
export function createTriage(rules: readonly CompiledRule[]): (item: SourceItem) => Triaged {
  const index = createCandidateIndex(rules);
  return (item) => triageWith(index.rulesFor, item);
}

/** The same as createTriage(rules) on one item, evaluating every rule (tests compare the two). */
export function triage(rules: readonly CompiledRule[], item: SourceItem): Triaged {
  return triageWith(() => rules, item);
}

function triageWith(rulesFor: (event: TrailEvent) => readonly CompiledRule[], item: SourceItem): Triaged {
  if (item.kind === 'error') return { kind: 'error', path: item.path, reason: item.reason };
  const order = orderTimeOf(item.value);
  const envelope = asEnvelope(item.value);
  if (!envelope) return { kind: 'not-envelope', order, origin: `${item.origin.path}#${item.origin.index}` };
  let event: TrailEvent;
  try {
    event = parseTrailEvent(envelope);
  } catch (error) {
    if (!(error instanceof MalformedEventError)) throw error;
    return { kind: 'event', order, event: envelope };
  }
  const { matched, errors } = evaluate(rulesFor(event), event);
  if (matched.length > 0 || errors.length > 0) return { kind: 'event', order, event };
  const time = eventTimeOf(event);
  if (time === order) return time ?? Number.NaN;
  return { kind: 'times', order, event: time };
}
