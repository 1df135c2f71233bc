import { SEVERITIES, type Detail, type RuleStatus, type Severity } from '../detection/rule.js';
import { isObject } from '../untrusted/json.js';
import type { Actor } from '../cloudtrail/identity.js';

/**
 * An alert as data. Formatting (email text, SNS subject, Slack blocks) and sending are separate
 * steps; every string here that came from CloudTrail is untrusted and is escaped by the formatters.
 */
export interface Alert {
  /** Stable id: rule id plus the event id (or group) behind it, so retries publish the same alert. */
  id: string;
  /** `match`: one event; `threshold`: a burst completed; `summary`: follow-up of grouped matches. */
  kind: 'match' | 'threshold' | 'summary';
  ruleId: string;
  title: string;
  severity: Severity;
  status: RuleStatus;
  summary: string;
  account: string;
  /** Friendly account name from configuration, when known. */
  accountName?: string;
  region: string;
  /** CloudTrail eventTime of the event behind the alert (ISO 8601). */
  eventTime: string;
  /** When trailwatch decided to alert (ISO 8601). */
  detectedAt: string;
  /** detectedAt - eventTime in milliseconds (>= 0). */
  delayMs: number;
  /** The event arrived later than the allowed lateness: state was skipped for it. */
  late: boolean;
  /** Found by replaying recorded events (event-time clock), not live: no delay to report. */
  replayed?: boolean;
  /** CloudTrail eventIDs behind the alert (all of them for a burst, when known). */
  eventIds: string[];
  /** The enrichment: who, from where, how. */
  actor: Actor;
  /** CloudTrail Insight events: what is unusual (they have no caller; `actor` is then `unknown`). */
  insight?: { state: string; type: string };
  eventSource: string;
  eventName: string;
  errorCode?: string;
  errorMessage?: string;
  details: Detail[];
  /** Same-incident key, when the rule groups. */
  group?: Record<string, string>;
  /** Number of matches the alert stands for (threshold and summary alerts). */
  count?: number;
  /** Event-time span covered (threshold and summary alerts). */
  firstEventTime?: string;
  lastEventTime?: string;
  runbook: string;
  references: readonly string[];
  mitre: readonly string[];
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const optional = (v: unknown, check: (x: unknown) => boolean): boolean => v === undefined || check(v);

const REQUIRED_STRINGS = ['id', 'ruleId', 'title', 'summary', 'account', 'region', 'eventTime', 'detectedAt', 'eventSource', 'eventName', 'runbook'] as const;
const OPTIONAL_STRINGS = ['accountName', 'errorCode', 'errorMessage', 'firstEventTime', 'lastEventTime'] as const;
const ACTOR_OPTIONAL = ['arn', 'principalAccount', 'accessKeyId', 'sourceIp', 'userAgent', 'via', 'mfa', 'invokedBy'] as const;

/**
 * Enough of the Alert shape that formatting cannot throw on it: every field the Slack formatter
 * reads has the type it expects. Not a full schema: the publisher is our own detect function (and the
 * outbox our own claims, lib/incidents/policy.ts).
 */
export function isAlert(v: unknown): v is Alert {
  if (!isObject(v)) return false;
  const { actor } = v;
  return (
    REQUIRED_STRINGS.every((k) => isString(v[k])) &&
    v.id !== '' &&
    OPTIONAL_STRINGS.every((k) => optional(v[k], isString)) &&
    ['match', 'threshold', 'summary'].includes(v.kind as string) &&
    (SEVERITIES as readonly unknown[]).includes(v.severity) &&
    (v.status === 'live' || v.status === 'staged') &&
    typeof v.delayMs === 'number' &&
    typeof v.late === 'boolean' &&
    optional(v.replayed, (x) => typeof x === 'boolean') &&
    optional(v.count, (x) => typeof x === 'number') &&
    isStringArray(v.eventIds) &&
    isStringArray(v.references) &&
    isStringArray(v.mitre) &&
    Array.isArray(v.details) &&
    v.details.every((d) => isObject(d) && isString(d.label) && isString(d.value)) &&
    optional(v.group, (g) => isObject(g) && Object.values(g).every(isString)) &&
    isObject(actor) &&
    isString(actor.name) &&
    isString(actor.type) &&
    ACTOR_OPTIONAL.every((k) => optional(actor[k], isString))
  );
}
