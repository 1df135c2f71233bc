import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';
import { canaryFromEnv, handleCanary, type CanarySummary } from '../lib/handlers/canary-event.js';
import { handleEvent, type HandleSummary, type MetricSink } from '../lib/handlers/detect.js';
import { runtimeFromEnv } from '../lib/handlers/runtime.js';
import { chooseTransport } from '../lib/transport/choose.js';
import { rules } from '../rules/index.js';

// Created once per container (cold start), reused by every invocation.
const logger = new Logger({ serviceName: 'trailwatch' });
const metrics = new Metrics({ namespace: 'trailwatch', serviceName: 'trailwatch' });
const metricSink: MetricSink = {
  addMetric: (name, unit, value) => metrics.addMetric(name, MetricUnit[unit], value),
  addDimensionedMetric: (name, unit, value, dimensions) => {
    const single = metrics.singleMetric();
    single.addDimensions(dimensions);
    single.addMetric(name, MetricUnit[unit], value);
  },
};
const runtime = runtimeFromEnv(rules);
const canary = canaryFromEnv(process.env);

/** EventBridge -> one CloudTrail event -> alerts on SNS. */
export const handler = middy<unknown, HandleSummary | CanarySummary, Error, Context>()
  // No logEvent: events carry IPs, ARNs and attacker-chosen text.
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event, context) =>
    // The canary proves the pipeline is alive; it is measured, never evaluated or alerted.
    handleCanary(event, canary, { log: logger, metrics: metricSink }, Date.now()) ??
    handleEvent(event, { detector: runtime.detector, transport: chooseTransport(process.env, context), log: logger, metrics: metricSink }),
  );
