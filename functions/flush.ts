import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { ConfigurationError, deadLetterQueueUrlFrom } from '../lib/config/env.js';
import { flushDue } from '../lib/handlers/flush.js';
import { runtimeFromEnv } from '../lib/handlers/runtime.js';
import { chooseTransport } from '../lib/transport/choose.js';
import { createDryRunDeadLetterQueue, createSqsDeadLetterQueue, type DeadLetterQueue } from '../lib/transport/dead-letter.js';
import { rules } from '../rules/index.js';

const logger = new Logger({ serviceName: 'trailwatch' });
const metrics = new Metrics({ namespace: 'trailwatch', serviceName: 'trailwatch' });
const runtime = runtimeFromEnv(rules);

let deadLetters: DeadLetterQueue | undefined;
/** The stack's dead-letter queue in Lambda; printed under invoke local, like the alerts. */
function deadLetterQueue(context: Context): DeadLetterQueue {
  if (deadLetters) return deadLetters;
  const url = deadLetterQueueUrlFrom(process.env, context?.invokedFunctionArn);
  if (url) return (deadLetters = createSqsDeadLetterQueue(url));
  if (process.env.IS_LOCAL === 'true') return (deadLetters = createDryRunDeadLetterQueue());
  throw new ConfigurationError('Environment variable DEAD_LETTER_QUEUE_URL or DEAD_LETTER_QUEUE_NAME is required');
}

/**
 * Every 5 minutes: one follow-up per closed incident that grouped matches. A follow-up that fails is
 * retried on its own backoff and then dead-lettered (lib/handlers/flush.ts); the others go out on time.
 */
export const handler = middy<unknown, { sent: string[]; examined: number; retrying: string[]; deadLettered: string[] }, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (_event, context) => {
    const transport = chooseTransport(process.env, context);
    const dlq = deadLetterQueue(context);
    const result = await flushDue({
      store: runtime.store,
      rules: runtime.rules,
      now: Date.now(),
      allowedLatenessMs: runtime.allowedLatenessMs,
      accountNames: runtime.accountNames,
      send: (alert) => transport.send(alert),
      deadLetter: (alert, reason, attempts) => dlq.send(alert, reason, attempts),
    });
    const count = (name: string, n: number) => n > 0 && metrics.addMetric(name, MetricUnit.Count, n);
    count('FollowUpsSent', result.sent.length);
    count('FollowUpRetries', result.retrying.length);
    count('FollowUpsDeadLettered', result.deadLettered.length);
    count('FollowUpErrors', result.errors.length);
    for (const r of result.retrying) logger.warn('Follow-up delivery failed; retried later', { alertId: r.id, attempts: r.attempts, error: r.reason });
    for (const a of result.deadLettered) logger.error('Follow-up dead-lettered after its attempts', { alertId: a.id, ruleId: a.ruleId });
    for (const e of result.errors) logger.error('Follow-up could not be processed; left for the next run', { marker: e.marker, error: e.reason });
    await runtime.store.flush();
    logger.info('Follow-ups flushed', { sent: result.sent.length, examined: result.examined, retrying: result.retrying.length, deadLettered: result.deadLettered.length });
    // Markers that could not even be processed (state errors) make the run fail: its error alarm is
    // how people learn; the markers stay and the next run retries them.
    if (result.errors.length > 0) throw new Error(`${result.errors.length} follow-ups could not be processed: ${result.errors.map((e) => e.reason).join('; ').slice(0, 500)}`);
    return { sent: result.sent.map((a) => a.id), examined: result.examined, retrying: result.retrying.map((r) => r.id), deadLettered: result.deadLettered.map((a) => a.id) };
  });
