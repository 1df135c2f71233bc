import type { Log, MetricSink } from './detect.js';
import type { Rule } from '../detection/rule.js';
import { flushDue } from '../incidents/followups.js';
import type { StateStore } from '../state/store.js';
import type { DeadLetterQueue } from '../transport/dead-letter.js';
import type { Transport } from '../transport/transport.js';

export interface FlushDeps {
  store: StateStore;
  rules: readonly Rule[];
  allowedLatenessMs: number;
  accountNames?: Readonly<Record<string, string>>;
  transport: Transport;
  deadLetters: DeadLetterQueue;
  log: Log;
  metrics: MetricSink;
  now: number;
}

/** What one scheduled run did; returned by the handler (alert ids only: nothing secret, nothing hostile). */
export interface FlushSummary {
  sent: string[];
  examined: number;
  retrying: string[];
  deadLettered: string[];
}

/**
 * Every 5 minutes: one follow-up per closed incident that grouped matches (lib/incidents/followups.ts).
 * A follow-up that fails is retried on its own backoff and then dead-lettered; the others go out on
 * time. Markers that could not even be processed (state errors, a marker that does not decode) make
 * the run throw after the others went out: its error alarm is how people learn, and the markers stay
 * for the next run.
 */
export async function flushFollowUps(deps: FlushDeps): Promise<FlushSummary> {
  const { log, metrics } = deps;
  const result = await flushDue({
    store: deps.store,
    rules: deps.rules,
    now: deps.now,
    allowedLatenessMs: deps.allowedLatenessMs,
    ...(deps.accountNames ? { accountNames: deps.accountNames } : {}),
    send: (alert) => deps.transport.send(alert),
    deadLetter: (alert, reason, attempts) => deps.deadLetters.send(alert, reason, attempts),
  });
  count(metrics, 'FollowUpsSent', result.sent.length);
  count(metrics, 'FollowUpRetries', result.retrying.length);
  count(metrics, 'FollowUpsDeadLettered', result.deadLettered.length);
  count(metrics, 'FollowUpErrors', result.errors.length);
  for (const r of result.retrying) log.warn('Follow-up delivery failed; retried later', { alertId: r.id, attempts: r.attempts, error: r.reason });
  for (const a of result.deadLettered) log.error('Follow-up dead-lettered after its attempts', { alertId: a.id, ruleId: a.ruleId });
  for (const e of result.errors) log.error('Follow-up could not be processed; left for the next run', { marker: e.marker, error: e.reason });
  await deps.store.flush();
  log.info('Follow-ups flushed', { sent: result.sent.length, examined: result.examined, retrying: result.retrying.length, deadLettered: result.deadLettered.length });
  if (result.errors.length > 0) throw new Error(`${result.errors.length} follow-ups could not be processed: ${result.errors.map((e) => e.reason).join('; ').slice(0, 500)}`);
  return { sent: result.sent.map((a) => a.id), examined: result.examined, retrying: result.retrying.map((r) => r.id), deadLettered: result.deadLettered.map((a) => a.id) };
}

function count(metrics: MetricSink, name: string, n: number): void {
  if (n > 0) metrics.addMetric(name, 'Count', n);
}
