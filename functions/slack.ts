import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';
import type { Context } from 'aws-lambda';
import { ConfigurationError, requireEnv } from '../lib/config/env.js';
import type { MetricSink } from '../lib/handlers/detect.js';
import { notifySlack, type NotifySummary } from '../lib/handlers/slack.js';
import { parseSlackRoutes, routedTransport } from '../lib/transport/slack-routes.js';
import { createSlackTransport } from '../lib/transport/slack.js';

// Created once per container (cold start), reused by every invocation.
const logger = new Logger({ serviceName: 'trailwatch' });
const metrics = new Metrics({ namespace: 'trailwatch', serviceName: 'trailwatch' });
const metricSink: MetricSink = { addMetric: (name, unit, value) => metrics.addMetric(name, MetricUnit[unit], value) };

// The NAMES of the SecureStrings are configuration; their values, the webhook URLs, live only in SSM.
const routes = parseSlackRoutes(requireEnv('SLACK_ROUTES'));

/** Cached for 5 minutes per container: one SSM call per cold start, and a rotated URL is picked up soon. */
async function webhookUrl(parameterName: string): Promise<string> {
  const value = await getParameter(parameterName, { decrypt: true, maxAge: 300 });
  if (typeof value !== 'string' || value === '') throw new ConfigurationError(`SSM parameter ${parameterName} is empty`);
  return value;
}

const transport = routedTransport(routes, (parameter) => createSlackTransport({ webhookUrl: () => webhookUrl(parameter) }));

/** SNS alert topic (protocol lambda) -> Slack incoming webhook. */
export const handler = middy<unknown, NotifySummary, Error, Context>()
  // No logEvent: alerts carry IPs, ARNs and attacker-chosen text.
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => notifySlack(event, { transport, log: logger, metrics: metricSink }));
