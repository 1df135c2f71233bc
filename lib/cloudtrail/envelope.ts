import { ALL_DETAIL_TYPES, DETAIL_TYPES, type TrailEvent } from './types.js';
import { isObject } from '../untrusted/json.js';

/** An event we refuse to evaluate. Logged once and counted; never retried (it would fail again). */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
  constructor(
    message: string,
    readonly eventId?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/*
 * Hand-written checks rather than a schema library: this runs on every event, live and in replay
 * (millions per run), and was the largest cost after JSON.parse when it was a zod schema (3 µs of
 * ~17 µs per replayed event, and ~60 KB of the Lambda bundle). Only the fields rules and state rely
 * on are checked; the record is never copied.
 */

const MAX_TEXT = 4096;
const DETAIL_TYPE_SET: ReadonlySet<string> = new Set(ALL_DETAIL_TYPES);

type Obj = Record<string, unknown>;

/** undefined when fine, else what is wrong with the field. */
function textProblem(value: unknown, required: boolean): string | undefined {
  if (value === undefined) return required ? 'missing' : undefined;
  if (typeof value !== 'string') return `expected a string, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  if (value.length > MAX_TEXT) return `longer than ${MAX_TEXT} characters`;
  return undefined;
}

/** [field, required] pairs, built once: this runs per event. */
type Fields = ReadonlyArray<readonly [string, boolean]>;

function firstProblem(obj: Obj, fields: Fields, prefix: string): string | undefined {
  for (const [field, required] of fields) {
    const problem = textProblem(obj[field], required);
    if (problem) return `${prefix}${field}: ${problem}`;
  }
  return undefined;
}

const ENVELOPE_FIELDS: Fields = [['id', true], ['source', true], ['account', true], ['time', true], ['region', true]];
const RECORD_FIELDS: Fields = [['eventID', false], ['eventTime', false], ['eventSource', false], ['eventName', false]];
const API_FIELDS: Fields = [['eventSource', true], ['eventName', true]];
const INSIGHT_FIELDS: Fields = [['state', true], ['eventSource', true], ['eventName', true], ['insightType', true]];

function envelopeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return '(root): expected an object';
  const missing = firstProblem(value, ENVELOPE_FIELDS, '');
  if (missing) return missing;
  const detailType = value['detail-type'];
  if (typeof detailType !== 'string' || !DETAIL_TYPE_SET.has(detailType)) return 'detail-type: not a CloudTrail detail-type';
  const detail = value.detail;
  if (!isObject(detail)) return 'detail: expected an object';
  const recordProblem = firstProblem(detail, RECORD_FIELDS, 'detail.');
  if (recordProblem) return recordProblem;
  if (detail.userIdentity !== undefined && detail.userIdentity !== null && !isObject(detail.userIdentity)) return 'detail.userIdentity: expected an object';
  if (detail.errorCode !== undefined && detail.errorCode !== null && typeof detail.errorCode !== 'string') return 'detail.errorCode: expected a string';
  return undefined;
}

const digit = (text: string, at: number): number => {
  const d = text.charCodeAt(at) - 48;
  return d >= 0 && d <= 9 ? d : Number.NaN;
};

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1] ?? 0;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

/**
 * CloudTrail's own `YYYY-MM-DDTHH:MM:SSZ` read field by field: Date.parse's general reader costs more
 * than a rule evaluation, and replay reads two times per event. Anything unusual (other forms, days
 * a month does not have, years before 100, which Date.UTC reads as 19xx) is left to Date.parse.
 */
function canonicalTime(text: string): number | undefined {
  if (text.length !== 20 || text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== 'Z') return undefined;
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
  const month = digit(text, 5) * 10 + digit(text, 6);
  const day = digit(text, 8) * 10 + digit(text, 9);
  const hour = digit(text, 11) * 10 + digit(text, 12);
  const minute = digit(text, 14) * 10 + digit(text, 15);
  const second = digit(text, 17) * 10 + digit(text, 18);
  // NaN fails every comparison, so a non-digit anywhere falls back too.
  if (!(year >= 100 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) && hour <= 23 && minute <= 59 && second <= 59)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** CloudTrail's own `YYYY-MM-DDTHH:MM:SSZ` in milliseconds; undefined for any other value or form. */
export function canonicalTimeOf(value: unknown): number | undefined {
  return typeof value === 'string' ? canonicalTime(value) : undefined;
}

/** Milliseconds since epoch, or undefined for anything Date cannot read. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const canonical = canonicalTime(value);
  if (canonical !== undefined) return canonical;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** The id that identifies one CloudTrail event across duplicate deliveries. */
export function eventIdOf(event: TrailEvent): string {
  const id = event.detail.eventID;
  return typeof id === 'string' && id !== '' ? id : event.id;
}

/** The event's own time: CloudTrail eventTime, else the envelope time (which EventBridge copies from it). */
export function eventTimeOf(event: TrailEvent): number | undefined {
  return parseTime(event.detail.eventTime) ?? parseTime(event.time);
}

/**
 * Checks an incoming value is a CloudTrail event on EventBridge, with the fields rules rely on.
 * Throws MalformedEventError with a short reason (never the event itself: it may be huge or hostile).
 */
export function parseTrailEvent(value: unknown): TrailEvent {
  const problem = envelopeProblem(value);
  if (problem) throw new MalformedEventError(`not a CloudTrail event: ${problem}`, idOf(value));
  const event = value as TrailEvent;
  const detail = event.detail as unknown as Obj;
  if (event['detail-type'] === DETAIL_TYPES.insight) {
    const insight = detail.insightDetails;
    if (!isObject(insight)) throw new MalformedEventError('detail.insightDetails: expected an object', eventIdOf(event));
    const insightProblem = firstProblem(insight, INSIGHT_FIELDS, 'detail.insightDetails.');
    if (insightProblem) throw new MalformedEventError(insightProblem, eventIdOf(event));
  } else {
    const apiProblem = firstProblem(detail, API_FIELDS, 'detail.');
    if (apiProblem) throw new MalformedEventError(apiProblem, eventIdOf(event));
  }
  if (eventTimeOf(event) === undefined) throw new MalformedEventError('no readable eventTime or time', eventIdOf(event));
  return event;
}

function idOf(value: unknown): string | undefined {
  if (isObject(value) && typeof value.id === 'string') return value.id.slice(0, 128);
  return undefined;
}
