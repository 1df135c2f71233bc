import type { Alert } from '../alert/alert.js';
import type { Log, MetricSink } from './detect.js';
import { DeliveryError, type Transport } from '../transport/transport.js';
import { isObject } from '../untrusted/json.js';
import { isAlert } from '../alert/alert.js';

export interface NotifyDeps {
  transport: Transport;
  log: Log;
  metrics: MetricSink;
}

/** What one invocation did; returned by the handler (alert ids only: nothing secret, nothing hostile). */
export interface NotifySummary {
  sent: string[];
  staged: string[];
  malformed: number;
  failed: string[];
}

/** One SNS record's message, as published by lib/transport/sns.ts (the `lambda` protocol body). */
interface SnsItem {
  messageId: string;
  message: string;
}

type Parsed = { alert: Alert } | { reason: string };

const isString = (v: unknown): v is string => typeof v === 'string';

/** The SNS records of a Lambda event; undefined when the event is not an SNS event at all. */
export function snsItems(event: unknown): SnsItem[] | undefined {
  if (!isObject(event) || !Array.isArray(event.Records)) return undefined;
  return event.Records.map((record: unknown, i) => {
    const sns = isObject(record) && isObject(record.Sns) ? record.Sns : {};
    return { messageId: isString(sns.MessageId) ? sns.MessageId : `record-${i}`, message: isString(sns.Message) ? sns.Message : '' };
  });
}

export function parseAlert(message: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return { reason: 'message is not JSON' };
  }
  return isAlert(value) ? { alert: value } : { reason: 'message is not a trailwatch alert' };
}

/**
 * SNS -> Slack. A malformed message is logged and counted, never thrown: a retry would fail the same
 * way, forever. Staged alerts are skipped (they are for replay reports, not people). Alerts are posted
 * one after another (Slack allows about one message a second); if any post failed, this throws after
 * trying all of them, so Lambda retries the invocation and then the dead-letter queue keeps it.
 */
export async function notifySlack(event: unknown, deps: NotifyDeps): Promise<NotifySummary> {
  const { log, metrics } = deps;
  const summary: NotifySummary = { sent: [], staged: [], malformed: 0, failed: [] };
  const items = snsItems(event);
  if (!items) {
    summary.malformed = 1;
    log.warn('Event is not an SNS event; nothing posted', { eventType: typeof event });
    metrics.addMetric('SlackMalformedMessages', 'Count', 1);
    return summary;
  }
  for (const item of items) {
    const parsed = parseAlert(item.message);
    if ('reason' in parsed) {
      summary.malformed += 1;
      // The message itself is not logged: it may hold anything, at any size.
      log.warn('SNS message skipped', { reason: parsed.reason, messageId: item.messageId, length: item.message.length });
      continue;
    }
    const { alert } = parsed;
    if (alert.status === 'staged') {
      summary.staged.push(alert.id);
      log.info('Staged alert not posted to Slack', { alertId: alert.id, ruleId: alert.ruleId });
      continue;
    }
    try {
      await deps.transport.send(alert);
      summary.sent.push(alert.id);
      log.info('Alert posted to Slack', { alertId: alert.id, ruleId: alert.ruleId, severity: alert.severity });
    } catch (error) {
      summary.failed.push(alert.id);
      log.error('Slack delivery failed', { alertId: alert.id, ruleId: alert.ruleId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  count(metrics, 'SlackMalformedMessages', summary.malformed);
  count(metrics, 'SlackAlertsSent', summary.sent.length);
  count(metrics, 'SlackDeliveryFailures', summary.failed.length);
  if (summary.failed.length > 0) {
    throw new DeliveryError(`${summary.failed.length} of ${summary.failed.length + summary.sent.length} alerts could not be posted to Slack: ${summary.failed.join(', ')}`);
  }
  return summary;
}

function count(metrics: MetricSink, name: string, n: number): void {
  if (n > 0) metrics.addMetric(name, 'Count', n);
}
