import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { ConfigurationError, deadLetterQueueUrlFrom } from '../lib/config/env.js';
import type { MetricSink } from '../lib/handlers/detect.js';
import { flushFollowUps, type FlushSummary } from '../lib/handlers/flush.js';
import { runtimeFromEnv } from '../lib/handlers/runtime.js';
import { chooseTransport } from '../lib/transport/choose.js';
import { createDryRunDeadLetterQueue, createSqsDeadLetterQueue, type DeadLetterQueue } from '../lib/transport/dead-letter.js';
import { rules } from '../rules/index.js';

const logger = new Logger({ serviceName: 'trailwatch' });
const metrics = new Metrics({ namespace: 'trailwatch', serviceName: 'trailwatch' });
const metricSink: MetricSink = { addMetric: (name, unit, value) => metrics.addMetric(name, MetricUnit[unit], value) };
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

/** Every 5 minutes: the follow-ups that are due (lib/handlers/flush.ts). */
export const handler = middy<unknown, FlushSummary, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (_event, context) =>
    flushFollowUps({
      store: runtime.store,
      rules: runtime.rules,
      allowedLatenessMs: runtime.allowedLatenessMs,
      accountNames: runtime.accountNames,
      transport: chooseTransport(process.env, context),
      deadLetters: deadLetterQueue(context),
      log: logger,
      metrics: metricSink,
      now: Date.now(),
    }),
  );
