import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../lib/config/env.js';
import { putAlertEvents, type OutputSummary } from '../lib/handlers/output.js';
import type { MetricSink } from '../lib/handlers/detect.js';

// Created once per container (cold start), reused by every invocation.
const logger = new Logger({ serviceName: 'trailwatch' });
const metrics = new Metrics({ namespace: 'trailwatch', serviceName: 'trailwatch' });
const metricSink: MetricSink = { addMetric: (name, unit, value) => metrics.addMetric(name, MetricUnit[unit], value) };
const busName = requireEnv('OUTPUT_EVENT_BUS');
const client = new EventBridgeClient({});

/** SNS alert topic (protocol lambda) -> EventBridge, `source: trailwatch`, detail-type `trailwatch Alert`. */
export const handler = middy<unknown, OutputSummary, Error, Context>()
  // No logEvent: alerts carry IPs, ARNs and attacker-chosen text.
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => putAlertEvents(event, { client, PutEventsCommand, busName, log: logger, metrics: metricSink }));
