import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Alert } from '../alert/alert.js';
import type { Log, MetricSink } from './detect.js';
import { parseAlert, snsItems } from './slack.js';
import { DeliveryError } from '../transport/transport.js';

/** The contract with subscribers (docs/eventbridge-output.md): bump the major on any breaking change. */
export const OUTPUT_SOURCE = 'trailwatch';
export const OUTPUT_DETAIL_TYPE = 'trailwatch Alert';
export const OUTPUT_SCHEMA_VERSION = '1.0';

/** EventBridge's PutEvents limits: 10 entries per call, 256 KB per entry (source, type and detail). */
const MAX_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
const MARGIN = 4 * 1024;

export interface OutputDetail {
  schemaVersion: string;
  alert: Alert;
  /** Present when the alert had to be shortened to fit an event: event ids and details were cut. */
  truncated?: true;
}

const entrySize = (e: { Source: string; DetailType: string; Detail: string }): number =>
  Buffer.byteLength(e.Source) + Buffer.byteLength(e.DetailType) + Buffer.byteLength(e.Detail);

/** One alert as one event; an alert too large for an event loses its long lists, never the event. */
export function alertEntry(alert: Alert, busName: string): PutEventsRequestEntry & { Detail: string } {
  const make = (detail: OutputDetail) => ({
    EventBusName: busName,
    Source: OUTPUT_SOURCE,
    DetailType: OUTPUT_DETAIL_TYPE,
    Detail: JSON.stringify(detail),
    // The event's own time is when trailwatch decided; the API call's time is in the alert.
    ...(Number.isFinite(Date.parse(alert.detectedAt)) ? { Time: new Date(alert.detectedAt) } : {}),
  });
  const full = make({ schemaVersion: OUTPUT_SCHEMA_VERSION, alert });
  if (entrySize(full) <= MAX_ENTRY_BYTES - MARGIN) return full;
  const short = { ...alert, eventIds: alert.eventIds.slice(0, 20), details: alert.details.slice(0, 10).map((d) => ({ label: d.label.slice(0, 200), value: d.value.slice(0, 2_000) })) };
  const cut = make({ schemaVersion: OUTPUT_SCHEMA_VERSION, alert: short, truncated: true });
  if (entrySize(cut) <= MAX_ENTRY_BYTES - MARGIN) return cut;
  // The alert builder bounds every field well below this: reaching it means a bug, kept in the DLQ.
  throw new DeliveryError(`Alert ${alert.id} does not fit an EventBridge event even shortened (${entrySize(cut)} bytes)`);
}

export interface OutputDeps {
  client: Pick<EventBridgeClient, 'send'>;
  /** Loaded lazily by the handler; tests pass the command class directly. */
  PutEventsCommand: new (input: { Entries: PutEventsRequestEntry[] }) => unknown;
  busName: string;
  log: Log;
  metrics: MetricSink;
  /** Rounds of PutEvents for the entries EventBridge refused (throttling, internal errors). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface OutputSummary {
  put: string[];
  malformed: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SNS alert topic -> EventBridge. Entries EventBridge refuses (PutEvents answers 200 with per-entry
 * errors) are retried with backoff; what is still refused, or a call that keeps failing, throws, so
 * Lambda retries and then the dead-letter queue keeps the alert. Malformed messages are counted, not
 * thrown (a retry would fail the same way).
 */
export async function putAlertEvents(event: unknown, deps: OutputDeps): Promise<OutputSummary> {
  const { log, metrics } = deps;
  const summary: OutputSummary = { put: [], malformed: 0 };
  const alerts: Alert[] = [];
  const items = snsItems(event);
  if (items === undefined) summary.malformed += 1;
  for (const item of items ?? []) {
    const parsed = parseAlert(item.message);
    if ('reason' in parsed) {
      summary.malformed += 1;
      log.warn('SNS message skipped', { reason: parsed.reason, messageId: item.messageId, length: item.message.length });
    } else alerts.push(parsed.alert);
  }
  if (summary.malformed > 0) metrics.addMetric('OutputMalformedMessages', 'Count', summary.malformed);
  const maxAttempts = deps.maxAttempts ?? 4;
  const sleep = deps.sleep ?? defaultSleep;
  for (let i = 0; i < alerts.length; i += MAX_ENTRIES) {
    let pending = alerts.slice(i, i + MAX_ENTRIES);
    let lastError = '';
    for (let attempt = 1; pending.length > 0 && attempt <= maxAttempts; attempt += 1) {
      if (attempt > 1) await sleep(200 * 2 ** (attempt - 2));
      try {
        const out = (await deps.client.send(new deps.PutEventsCommand({ Entries: pending.map((a) => alertEntry(a, deps.busName)) }) as never)) as {
          FailedEntryCount?: number;
          Entries?: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
        };
        const refused = pending.filter((_a, j) => out.Entries?.[j]?.ErrorCode !== undefined || out.Entries?.[j]?.EventId === undefined);
        for (const a of pending) if (!refused.includes(a)) summary.put.push(a.id);
        if (refused.length > 0) lastError = out.Entries?.find((e) => e.ErrorCode)?.ErrorCode ?? 'no event id returned';
        pending = refused;
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        log.warn('PutEvents failed', { attempt, error: lastError });
      }
    }
    if (pending.length > 0) {
      metrics.addMetric('OutputDeliveryFailures', 'Count', pending.length);
      throw new DeliveryError(`${pending.length} alerts could not be put on event bus ${deps.busName}: ${pending.map((a) => a.id).join(', ')} (${lastError})`);
    }
  }
  if (summary.put.length > 0) metrics.addMetric('OutputEventsPut', 'Count', summary.put.length);
  return summary;
}
