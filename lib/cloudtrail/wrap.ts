import * as crypto from 'node:crypto';
import { canonicalTimeOf } from './envelope.js';
import { DETAIL_TYPES, type CloudTrailRecord, type DetailType, type TrailEvent } from './types.js';

/**
 * Turns raw CloudTrail records (log files, Athena/Lake exports) into the envelope EventBridge would
 * have delivered, so replayed history goes through exactly the code path live events take.
 */

const DETAIL_TYPE_BY_EVENT_TYPE: Readonly<Record<string, DetailType>> = {
  // Data events (S3 object reads, Lambda invokes, ...) are AwsApiCall too and share the detail-type.
  AwsApiCall: DETAIL_TYPES.apiCall,
  AwsConsoleSignIn: DETAIL_TYPES.consoleSignIn,
  // Older records spell it with a lower-case "i"; EventBridge still uses the one detail-type.
  AwsConsoleSignin: DETAIL_TYPES.consoleSignIn,
  AwsConsoleAction: DETAIL_TYPES.consoleAction,
  AwsServiceEvent: DETAIL_TYPES.serviceEvent,
  AwsCloudTrailInsight: DETAIL_TYPES.insight,
};

const SERVICE_SUFFIX = '.amazonaws.com';

/** The detail-type for a record; anything unknown is treated as an API call, the overwhelming majority. */
export function detailTypeOf(record: CloudTrailRecord): DetailType {
  const type = record.eventType;
  // hasOwn: an attacker-chosen eventType such as "constructor" must not reach Object.prototype.
  if (typeof type === 'string' && Object.hasOwn(DETAIL_TYPE_BY_EVENT_TYPE, type)) {
    return DETAIL_TYPE_BY_EVENT_TYPE[type] ?? DETAIL_TYPES.apiCall;
  }
  return DETAIL_TYPES.apiCall;
}

/** `iam.amazonaws.com` -> `aws.iam`; '' when there is no event source to name. */
export function sourceFromEventSource(eventSource: unknown): string {
  if (typeof eventSource !== 'string' || eventSource === '') return '';
  const service = eventSource.endsWith(SERVICE_SUFFIX) ? eventSource.slice(0, -SERVICE_SUFFIX.length) : eventSource;
  return `aws.${service}`;
}

/**
 * The envelope `source`. Insight records carry no top-level eventSource, so we name the service the
 * insight is about (insightDetails.eventSource). That is a guess: we have not seen what EventBridge
 * really puts there for Insight events, and it does not matter to us because our Insight rules only
 * require it to start with `aws.` (see rules/cloudtrail-insight.rule.ts).
 */
function sourceOf(record: CloudTrailRecord): string {
  if (typeof record.eventSource === 'string' && record.eventSource !== '') return sourceFromEventSource(record.eventSource);
  const insight = record.insightDetails;
  if (insight !== null && typeof insight === 'object') return sourceFromEventSource(insight.eventSource);
  return '';
}

// Only ISO 8601 with an explicit zone is normalised: Date.parse reads zone-less or free-form strings
// in the host's local time zone, which would make the envelope depend on where replay runs.
const CANONICAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const MIN_YEAR_MS = Date.parse('0000-01-01T00:00:00.000Z');
const MAX_YEAR_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** `YYYY-MM-DDTHH:MM:SSZ` (the form EventBridge uses) when the value is an unambiguous time; else as is. */
export function normaliseTime(value: unknown): string {
  if (typeof value !== 'string') return '';
  if (CANONICAL_TIME.test(value)) return value; // CloudTrail's own form: the hot path, no Date work
  if (!ISO_WITH_ZONE.test(value)) return value;
  const ms = Date.parse(value);
  // Outside years 0000-9999 toISOString switches to a 6-digit year, which is not the promised shape.
  if (!Number.isFinite(ms) || ms < MIN_YEAR_MS || ms > MAX_YEAR_MS) return value;
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

// crypto.hash (Node >= 20.12) skips the Hash object; fall back for older 20.x, which package.json allows.
const sha256Hex: (input: string) => string =
  typeof crypto.hash === 'function'
    ? (input) => crypto.hash('sha256', input, 'hex')
    : (input) => crypto.createHash('sha256').update(input).digest('hex');

/** A UUID-shaped id (version 8, "custom") from a digest, so the same record always gets the same id. */
export function uuidFromHex(hex: string): string {
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** 8-4-4-4-12 hex digits, either case. By hand: the /i regular expression cost 0.2 µs per replayed event. */
function isUuid(text: string): boolean {
  if (text.length !== 36) return false;
  for (let i = 0; i < 36; i++) {
    const c = text.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46))) {
      return false;
    }
  }
  return true;
}

/**
 * Deterministic envelope id. CloudTrail's eventID is a UUID AWS assigns, unique per event: it is the
 * id as is (hashing it cost 1.5 µs per replayed event, a tenth of the replay budget). Anything else
 * is hashed, with eventTime mixed in, and a record without eventID (malformed, rejected later) falls
 * back to its full content, which is slow but rare.
 */
function envelopeIdOf(record: CloudTrailRecord): string {
  const eventID = record.eventID;
  if (typeof eventID === 'string' && isUuid(eventID)) return eventID.toLowerCase();
  const eventTime = typeof record.eventTime === 'string' ? record.eventTime : '';
  const key =
    typeof eventID === 'string' && eventID !== ''
      ? `trailwatch:${eventID}\n${eventTime}`
      : `trailwatch-content:${JSON.stringify(record)}`;
  return uuidFromHex(sha256Hex(key));
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The envelope EventBridge would deliver for a raw record. */
export function recordToEnvelope(record: CloudTrailRecord): TrailEvent {
  const identity = record.userIdentity;
  const identityAccount = identity !== null && typeof identity === 'object' ? str(identity.accountId) : undefined;
  return {
    version: '0',
    id: envelopeIdOf(record),
    'detail-type': detailTypeOf(record),
    source: sourceOf(record),
    account: str(record.recipientAccountId) ?? identityAccount ?? '',
    time: normaliseTime(record.eventTime),
    region: str(record.awsRegion) ?? '',
    resources: [],
    detail: record, // not copied: the record is already the parsed JSON, and copying costs per event
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An EventBridge envelope: a detail-type and an object detail (contents are checked later by parseTrailEvent). */
export function isEnvelope(value: unknown): boolean {
  return isPlainObject(value) && typeof value['detail-type'] === 'string' && isPlainObject(value.detail);
}

/** Looks like one CloudTrail record: at least one of the fields every record has. */
export function isRawRecord(value: unknown): value is CloudTrailRecord {
  if (!isPlainObject(value)) return false;
  return (
    typeof value.eventID === 'string' ||
    typeof value.eventTime === 'string' ||
    typeof value.eventSource === 'string' ||
    typeof value.eventName === 'string' ||
    typeof value.eventVersion === 'string' ||
    isPlainObject(value.insightDetails)
  );
}

// Well inside parseTrailEvent's limit on every text field, with room for the `aws.` prefix of `source`.
const QUICK_MAX_TEXT = 4000;
const shortText = (value: unknown): value is string => typeof value === 'string' && value.length <= QUICK_MAX_TEXT;

/**
 * The time of a raw API-call record that wraps into an envelope parseTrailEvent is sure to accept,
 * decided without building the envelope; undefined when in any doubt (the caller then wraps and
 * checks as usual). Replay's triage asks this of every record, so that the nine in ten no rule can
 * match cost a few field reads. Conservative by construction, and held to it by a property test
 * (test/cloudtrail/wrap-quick.test.ts): whenever this answers, wrapping and parsing succeed and give
 * the same time.
 */
export function quickRecordTime(record: Record<string, unknown>): number | undefined {
  if (isEnvelope(record)) return undefined;
  const { eventSource, eventName, eventID, awsRegion, recipientAccountId, userIdentity, errorCode } = record;
  if (!shortText(eventSource) || eventSource === '' || !shortText(eventName) || !shortText(recipientAccountId)) return undefined;
  if (detailTypeOf(record) === DETAIL_TYPES.insight) return undefined;
  if (eventID !== undefined && !shortText(eventID)) return undefined;
  if (awsRegion !== undefined && !shortText(awsRegion)) return undefined;
  if (userIdentity !== undefined && userIdentity !== null && !isPlainObject(userIdentity)) return undefined;
  if (errorCode !== undefined && errorCode !== null && typeof errorCode !== 'string') return undefined;
  // Only CloudTrail's own time form: normaliseTime keeps it as is, and parseTime reads it exactly.
  return canonicalTimeOf(record.eventTime);
}

/** An envelope stays as is; a raw record is wrapped; anything else -> undefined. */
export function asEnvelope(value: unknown): TrailEvent | undefined {
  // The envelope's own fields are validated downstream (parseTrailEvent), like live events.
  if (isEnvelope(value)) return value as TrailEvent;
  if (isRawRecord(value)) return recordToEnvelope(value);
  return undefined;
}
