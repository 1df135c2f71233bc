import type { Detail, RuleStatus, Severity } from '../detection/rule.js';
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

