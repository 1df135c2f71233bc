import { z } from 'zod';
import { ALL_DETAIL_TYPES, DETAIL_TYPES, type TrailEvent } from './types.js';

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

const text = z.string().max(4096);

// Only the fields rules and state rely on are checked; the rest of the record stays as delivered.
const recordFields = z.looseObject({
  eventID: text.optional(),
  eventTime: text.optional(),
  eventSource: text.optional(),
  eventName: text.optional(),
  userIdentity: z.looseObject({}).optional().nullable(),
  errorCode: z.string().optional().nullable(),
});

const envelopeSchema = z.looseObject({
  id: text,
  'detail-type': z.enum(ALL_DETAIL_TYPES as [string, ...string[]]),
  source: text,
  account: text,
  time: text,
  region: text,
  detail: recordFields,
});

const insightFields = z.looseObject({
  insightDetails: z.looseObject({
    state: text,
    eventSource: text,
    eventName: text,
    insightType: text,
  }),
});

const apiFields = z.looseObject({
  eventSource: text,
  eventName: text,
});

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.length ? issue.path.join('.') : '(root)';
  return `${path}: ${issue.message}`;
}

/** Milliseconds since epoch, or undefined for anything Date cannot read. */
export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
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
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) throw new MalformedEventError(`not a CloudTrail event: ${firstIssue(envelope.error)}`, idOf(value));
  // Checked, not copied: the schema has no transforms, and replay reads millions of events.
  const event = value as TrailEvent;
  const isInsight = event['detail-type'] === DETAIL_TYPES.insight;
  const fields = (isInsight ? insightFields : apiFields).safeParse(event.detail);
  if (!fields.success) throw new MalformedEventError(`detail.${firstIssue(fields.error)}`, eventIdOf(event));
  if (eventTimeOf(event) === undefined) throw new MalformedEventError('no readable eventTime or time', eventIdOf(event));
  return event;
}

function idOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && 'id' in value) {
    const id = (value as { id: unknown }).id;
    if (typeof id === 'string') return id.slice(0, 128);
  }
  return undefined;
}
