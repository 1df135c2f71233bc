import type { Alert } from './alert/alert.js';
import type { Detector, DetectResult } from './detector.js';
import type { Transport } from './transport/transport.js';

/** The slice of Powertools Logger and Metrics the handler uses (tests pass recording fakes or the real ones). */
export interface Log {
  info(message: string, extra: Record<string, unknown>): void;
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}
export type Unit = 'Count' | 'Seconds';
export interface MetricSink {
  addMetric(name: string, unit: Unit, value: number): void;
  /** A metric with its own dimensions (Powertools `singleMetric`). Optional: test fakes may omit it. */
  addDimensionedMetric?(name: string, unit: Unit, value: number, dimensions: Record<string, string>): void;
}

export interface HandleDeps {
  detector: Detector;
  transport: Transport;
  log: Log;
  metrics: MetricSink;
}

/** What one invocation did; returned by the handler, so `invoke local` prints it. */
export interface HandleSummary {
  eventId?: string;
  malformed?: string;
  matched: string[];
  sent: string[];
  staged: string[];
  suppressed: string[];
  duplicates: string[];
  pending: string[];
  allowlisted: string[];
  ruleErrors: string[];
  late: boolean;
  delaySeconds?: number;
}

/**
 * One event in, alerts out. A malformed event or a throwing rule is logged and counted, never thrown
 * (a retry would fail the same way: a crash loop). A state or delivery failure is thrown, so Lambda
 * retries the event and, after that, its on-failure destination keeps it.
 */
export async function handleEvent(raw: unknown, deps: HandleDeps): Promise<HandleSummary> {
  const { log, metrics } = deps;
  const result = await deps.detector.process(raw);
  const summary = summarize(result);

  if (result.malformed) {
    log.warn('Malformed event skipped', { reason: result.malformed, eventId: result.eventId });
    metrics.addMetric('MalformedEvents', 'Count', 1);
    return summary;
  }
  if (result.delayMs !== undefined) metrics.addMetric('DeliveryDelay', 'Seconds', result.delayMs / 1000);
  if (result.late) {
    log.warn('Event arrived after the allowed lateness', { eventId: result.eventId, delaySeconds: summary.delaySeconds });
    metrics.addMetric('LateEvents', 'Count', 1);
  }
  for (const error of result.ruleErrors) {
    log.error('Rule failed on an event; other rules still ran', { ruleId: error.ruleId, error: error.message, eventId: result.eventId });
  }
  count(metrics, 'RuleErrors', result.ruleErrors.length);
  count(metrics, 'Matches', result.matched.length);
  count(metrics, 'DuplicatesDropped', result.duplicates.length);
  count(metrics, 'GroupedMatches', result.suppressed.length);
  // Allowlisted matches are never silent: one log line and one metric per rule and reason.
  for (const hit of result.allowlisted) {
    log.info('Allowlisted match counted, not alerted', { ruleId: hit.ruleId, reason: hit.reason, eventId: result.eventId });
    metrics.addDimensionedMetric?.('Allowlisted', 'Count', 1, { ruleId: hit.ruleId, reason: hit.reason });
  }
  count(metrics, 'Allowlisted', result.allowlisted.length);

  const live = result.alerts.filter((a) => a.status === 'live');
  for (const alert of result.alerts.filter((a) => a.status === 'staged')) {
    log.info('Staged rule matched (not sent)', { alertId: alert.id, ruleId: alert.ruleId, summary: alert.summary });
  }
  count(metrics, 'StagedAlerts', result.alerts.length - live.length);
  await sendAll(live, deps);
  return summary;
}

/**
 * Sends every alert even if one fails, then throws if any failed: a retry resends all of them, and
 * the subscriber dedupes on the alert id (SNS publish is not transactional across alerts).
 */
export async function sendAll(alerts: readonly Alert[], deps: Pick<HandleDeps, 'transport' | 'log' | 'metrics'>): Promise<void> {
  const outcomes = await Promise.allSettled(alerts.map((a) => deps.transport.send(a)));
  let failed = 0;
  outcomes.forEach((outcome, i) => {
    const alert = alerts[i];
    if (!alert) return;
    if (outcome.status === 'fulfilled') {
      deps.log.info('Alert sent', { alertId: alert.id, ruleId: alert.ruleId, severity: alert.severity, transport: deps.transport.name, delaySeconds: Math.round(alert.delayMs / 1000) });
    } else {
      failed += 1;
      deps.log.error('Alert delivery failed', { alertId: alert.id, ruleId: alert.ruleId, error: (outcome.reason as Error)?.message });
    }
  });
  count(deps.metrics, 'AlertsSent', alerts.length - failed);
  count(deps.metrics, 'DeliveryFailures', failed);
  if (failed > 0) throw new Error(`${failed} of ${alerts.length} alerts could not be delivered`);
}

function count(metrics: MetricSink, name: string, n: number): void {
  if (n > 0) metrics.addMetric(name, 'Count', n);
}

function summarize(result: DetectResult): HandleSummary {
  const summary: HandleSummary = {
    matched: result.matched,
    sent: result.alerts.filter((a) => a.status === 'live').map((a) => a.id),
    staged: result.alerts.filter((a) => a.status === 'staged').map((a) => a.id),
    suppressed: result.suppressed,
    duplicates: result.duplicates,
    pending: result.pending,
    allowlisted: result.allowlisted.map((a) => a.ruleId),
    ruleErrors: result.ruleErrors.map((e) => e.ruleId),
    late: result.late,
  };
  if (result.eventId !== undefined) summary.eventId = result.eventId;
  if (result.malformed !== undefined) summary.malformed = result.malformed;
  if (result.delayMs !== undefined) summary.delaySeconds = Math.round(result.delayMs / 1000);
  return summary;
}
