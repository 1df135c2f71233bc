import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { flushDue } from '../lib/followups.js';
import { runtimeFromEnv } from '../lib/runtime.js';
import { chooseTransport } from '../lib/transport/choose.js';
import { rules } from '../rules/index.js';

const logger = new Logger({ serviceName: 'trailwatch' });
const metrics = new Metrics({ namespace: 'trailwatch', serviceName: 'trailwatch' });
const runtime = runtimeFromEnv(rules);

/** Every 5 minutes: one follow-up per closed incident that grouped matches. */
export const handler = middy<unknown, { sent: string[]; examined: number }, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (_event, context) => {
    const transport = chooseTransport(process.env, context);
    const result = await flushDue({
      store: runtime.store,
      rules: runtime.rules,
      now: Date.now(),
      allowedLatenessMs: runtime.allowedLatenessMs,
      accountNames: runtime.accountNames,
      send: (alert) => transport.send(alert),
    });
    if (result.sent.length) metrics.addMetric('FollowUpsSent', MetricUnit.Count, result.sent.length);
    await runtime.store.flush();
    logger.info('Follow-ups flushed', { sent: result.sent.length, examined: result.examined });
    return { sent: result.sent.map((a) => a.id), examined: result.examined };
  });
