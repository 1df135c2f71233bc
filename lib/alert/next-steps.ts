import { activityToAthenaSql, type ActivitySubject } from '../hunt/athena-sql.js';
import type { Alert } from './alert.js';

/**
 * What to look at next, in every alert: the event in the CloudTrail console's Event history, and an
 * Athena query listing the caller's activity an hour either side.
 *
 * Event text is attacker-chosen, and a whole event on the bus may be forged: a link or query built
 * from it could point anywhere. So both are built only from parts that pass strict patterns (an AWS
 * region name, a UUID event id, an ARN, an access key id, a service host, an API name); a part that
 * does not pass leaves that next step out. The formatters call this on the alert they render, so a
 * link in an email or Slack message is always one trailwatch built, never one carried in the alert.
 */

const REGION = /^(?:us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-[a-z]+-\d{1,2}$/;
/** CloudTrail event ids are UUIDs. */
const EVENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** IAM and STS principals: partition, account, and the characters IAM allows in names and paths. */
const ARN = /^arn:aws(?:-cn|-us-gov)?:(?:iam|sts)::\d{12}:(?:root|(?:user|role|assumed-role|federated-user)\/[\w+=,.@/-]{1,400})$/;
const ACCESS_KEY = /^(?:AKIA|ASIA)[A-Z0-9]{12,124}$/;
const SERVICE = /^[a-z0-9][a-z0-9.-]{0,100}\.amazonaws\.com$/;
const API_NAME = /^[A-Za-z][A-Za-z0-9]{0,127}$/;

/** The table the CloudTrail console's "Create Athena table" creates is named after the trail's bucket. */
export const ATHENA_TABLE_PLACEHOLDER = 'cloudtrail_logs';
const HOUR = 3_600_000;

export interface NextSteps {
  /** The event in CloudTrail Event history (management events, last 90 days). */
  eventHistoryUrl?: string;
  /** One-line description of whose activity the query lists. */
  activityOf?: string;
  athenaSql?: string;
}

function consoleOrigin(region: string): string {
  if (region.startsWith('cn-')) return `https://${region}.console.amazonaws.cn`;
  if (region.startsWith('us-gov-')) return `https://${region}.console.amazonaws-us-gov.com`;
  return `https://${region}.console.aws.amazon.com`;
}

/** The Event history page of one event, or undefined unless region and id pass their patterns. */
export function eventHistoryUrl(region: string, eventId: string): string | undefined {
  if (!REGION.test(region) || !EVENT_ID.test(eventId)) return undefined;
  return `${consoleOrigin(region)}/cloudtrailv2/home?region=${region}#/events/${eventId.toLowerCase()}`;
}

/** Whose activity the query lists: the caller, or for an Insight (which has none) the API. */
export function activitySubject(alert: Alert): { subject: ActivitySubject; words: string } | undefined {
  if (alert.insight) {
    if (SERVICE.test(alert.eventSource) && API_NAME.test(alert.eventName)) {
      return { subject: { eventSource: alert.eventSource, eventName: alert.eventName }, words: `calls to ${alert.eventSource} ${alert.eventName}` };
    }
    return undefined;
  }
  const { arn, accessKeyId, invokedBy } = alert.actor;
  if (arn && ARN.test(arn)) return { subject: { arn }, words: `calls by ${arn}` };
  if (accessKeyId && ACCESS_KEY.test(accessKeyId)) return { subject: { accessKeyId }, words: `calls with access key ${accessKeyId}` };
  if (invokedBy && SERVICE.test(invokedBy)) return { subject: { invokedBy }, words: `calls by ${invokedBy}` };
  return undefined;
}

const parseTime = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 - 2 * HOUR ? ms : undefined;
};

export function nextStepsOf(alert: Alert, table: string = ATHENA_TABLE_PLACEHOLDER): NextSteps {
  const steps: NextSteps = {};
  // The event that alerted: for a follow-up, the first grouped one is as good a start as any.
  const url = alert.eventIds[0] !== undefined ? eventHistoryUrl(alert.region, alert.eventIds[0]) : undefined;
  if (url) steps.eventHistoryUrl = url;
  const who = activitySubject(alert);
  const first = parseTime(alert.firstEventTime ?? alert.eventTime);
  const last = parseTime(alert.lastEventTime ?? alert.eventTime);
  if (who && first !== undefined && last !== undefined) {
    steps.activityOf = `${who.words}, an hour either side`;
    steps.athenaSql = activityToAthenaSql({
      table,
      subject: who.subject,
      since: new Date(Math.min(first, last) - HOUR),
      until: new Date(Math.max(first, last) + HOUR),
    });
  }
  return steps;
}
