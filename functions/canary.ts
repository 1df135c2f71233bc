import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { requireEnv } from '../lib/config/env.js';
import { pingCanary } from '../lib/handlers/canary.js';

const logger = new Logger({ serviceName: 'trailwatch' });
const parameterName = requireEnv('CANARY_PARAMETER');
const ssm = new SSMClient({});

/**
 * Every 5 minutes: a management write that must come back through CloudTrail, EventBridge and the
 * detect function (lib/handlers/canary-event.ts). Its silence alarm fires when it does not.
 */
export const handler = middy<unknown, { parameterName: string; taggedAt: string }, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async () => {
    const taggedAt = await pingCanary(ssm, parameterName, new Date());
    logger.info('Canary tag written', { parameterName, taggedAt });
    return { parameterName, taggedAt };
  });
