import type { Alert } from '../alert/alert.js';
import type { Detector, DetectResult } from './pipeline.js';
import type { Receipt } from '../incidents/policy.js';
import { ClaimInFlightError } from '../incidents/policy.js';
import type { Transport } from '../transport/transport.js';

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
  forged?: string;
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
  let result: DetectResult;
  try {
    result = await deps.detector.process(raw);
  } catch (error) {
    if (error instanceof ClaimInFlightError) {
      // A concurrent delivery of the same event is being handled: retried later, this one finds it done.
      log.warn('Event is being processed by another invocation; retrying later', { error: error.message });
      metrics.addMetric('InFlightRetries', 'Count', 1);
    }
    throw error;
  }
  const summary = summarize(result);

  if (result.forged) {
    log.warn('Event not from AWS dropped', { reason: result.forged, eventId: result.eventId });
    metrics.addMetric('ForgedEvents', 'Count', 1);
    return summary;
  }
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
  if (result.future) {
    log.warn('Event dated in the future beyond clock skew: judged without windows or incidents', { eventId: result.eventId });
    metrics.addMetric('FutureEvents', 'Count', 1);
  }
  if (result.contended > 0) {
    log.warn('Incident stayed contended: alerted on its own rather than lose the match', { eventId: result.eventId, count: result.contended });
    metrics.addMetric('ContendedAlerts', 'Count', result.contended);
  }
  for (const error of result.ruleErrors) {
    log.error('Rule failed on an event; other rules still ran', { ruleId: error.ruleId, error: error.message, eventId: result.eventId });
  }
  count(metrics, 'RuleErrors', result.ruleErrors.length);
  count(metrics, 'Matches', result.matched.length);
  count(metrics, 'DuplicatesDropped', result.duplicates.length);
  count(metrics, 'GroupedMatches', result.suppressed.length);
  count(metrics, 'RepeatMatches', result.repeats.length);
  // Allowlisted matches are never silent: one log line and one metric per rule and reason.
  for (const hit of result.allowlisted) {
    log.info('Allowlisted match counted, not alerted', { ruleId: hit.ruleId, reason: hit.reason, eventId: result.eventId });
    metrics.addDimensionedMetric?.('Allowlisted', 'Count', 1, { ruleId: hit.ruleId, reason: hit.reason });
  }
  count(metrics, 'Allowlisted', result.allowlisted.length);

  const deliveries = result.alerts.map((alert, i) => ({ alert, receipt: result.receipts[i] }));
  const live = deliveries.filter((d) => d.alert.status === 'live');
  const staged = deliveries.filter((d) => d.alert.status === 'staged');
  for (const { alert } of staged) {
    log.info('Staged rule matched (not sent)', { alertId: alert.id, ruleId: alert.ruleId, summary: alert.summary });
  }
  count(metrics, 'StagedAlerts', staged.length);
  await sendAll(live, { ...deps, detector: deps.detector }, staged);
  return summary;
}

export interface Delivery {
  alert: Alert;
  /** The recorded decision behind the alert: confirmed once sent, released when sending failed. */
  receipt?: Receipt | undefined;
}

/**
 * Sends every alert even if one fails, then throws if any failed. Each alert the transport accepted
 * is confirmed at once, so the retry re-sends only those that failed (their claims are released so it
 * need not wait); if a confirmation itself fails, the retry sends that alert again with the same id,
 * which subscribers can drop (SNS publish is not transactional across alerts).
 * `done` are alerts that need no sending (staged rules): confirmed too.
 */
export async function sendAll(
  deliveries: readonly Delivery[],
  deps: Pick<HandleDeps, 'transport' | 'log' | 'metrics'> & { detector?: Pick<Detector, 'confirm' | 'release'> },
  done: readonly Delivery[] = [],
): Promise<void> {
  const confirm = async (d: Delivery) => {
    if (d.receipt) await deps.detector?.confirm(d.receipt);
  };
  const outcomes = await Promise.allSettled(deliveries.map(async (d) => {
    await deps.transport.send(d.alert);
    deps.log.info('Alert sent', { alertId: d.alert.id, ruleId: d.alert.ruleId, severity: d.alert.severity, transport: deps.transport.name, delaySeconds: Math.round(d.alert.delayMs / 1000) });
    try {
      await confirm(d);
    } catch (error) {
      throw new UnconfirmedDeliveryError(`alert ${d.alert.id} was sent but could not be marked sent`, { cause: error });
    }
  }));
  const staged = await Promise.allSettled(done.map(confirm));
  let failed = 0;
  let unconfirmed = 0;
  outcomes.forEach((outcome, i) => {
    const d = deliveries[i];
    if (!d || outcome.status === 'fulfilled') return;
    if (outcome.reason instanceof UnconfirmedDeliveryError) {
      unconfirmed += 1;
      deps.log.error('Alert sent but not marked sent: the retry sends it again', { alertId: d.alert.id, ruleId: d.alert.ruleId, error: errorText(outcome.reason.cause) });
    } else {
      failed += 1;
      deps.log.error('Alert delivery failed', { alertId: d.alert.id, ruleId: d.alert.ruleId, error: errorText(outcome.reason) });
    }
  });
  const stagedFailed = staged.filter((s) => s.status === 'rejected').length;
  count(deps.metrics, 'AlertsSent', deliveries.length - failed);
  count(deps.metrics, 'DeliveryFailures', failed);
  if (failed + unconfirmed + stagedFailed > 0) {
    // Hand what is still owed over to the retry now rather than after the lease (best effort).
    await Promise.allSettled([...deliveries, ...done].map((d, i) => {
      const ok = i < deliveries.length ? outcomes[i]?.status === 'fulfilled' : staged[i - deliveries.length]?.status === 'fulfilled';
      return !ok && d.receipt ? deps.detector?.release(d.receipt) : undefined;
    }));
    if (failed > 0) throw new Error(`${failed} of ${deliveries.length} alerts could not be delivered`);
    throw new Error(`${unconfirmed + stagedFailed} alerts could not be marked sent`);
  }
}

/** The transport accepted the alert; recording that failed. */
export class UnconfirmedDeliveryError extends Error {
  override readonly name = 'UnconfirmedDeliveryError';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
  if (result.forged !== undefined) summary.forged = result.forged;
  if (result.delayMs !== undefined) summary.delaySeconds = Math.round(result.delayMs / 1000);
  return summary;
}
