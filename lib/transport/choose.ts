import { ConfigurationError, optionalEnv, topicArnFrom } from '../config/env.js';
import { createDryRunTransport } from './dry-run.js';
import { createSnsTransport } from './sns.js';
import type { Transport } from './transport.js';

let cached: { key: string; transport: Transport } | undefined;

/**
 * `serverless invoke local` (IS_LOCAL) prints alerts unless TRAILWATCH_TRANSPORT=sns asks to publish
 * for real (then ALERT_TOPIC_ARN and credentials are needed): a newcomer's first run must not need,
 * or reach, an AWS account. In Lambda, SNS is the only choice and a missing topic is an error, never a
 * silent fallback that would lose alerts in a log.
 */
export function chooseTransport(env: NodeJS.ProcessEnv, context: { invokedFunctionArn?: string } | undefined): Transport {
  const explicit = optionalEnv('TRAILWATCH_TRANSPORT', env);
  if (explicit !== undefined && explicit !== 'sns' && explicit !== 'dry-run') {
    throw new ConfigurationError(`TRAILWATCH_TRANSPORT must be "sns" or "dry-run", got "${explicit}"`);
  }
  const mode = explicit ?? (env.IS_LOCAL === 'true' ? 'dry-run' : 'sns');
  const topicArn = mode === 'sns' ? topicArnFrom(env, context?.invokedFunctionArn) : undefined;
  if (mode === 'sns' && !topicArn) throw new ConfigurationError('Environment variable ALERT_TOPIC_ARN or ALERT_TOPIC_NAME is required');
  const key = `${mode}|${topicArn ?? ''}`;
  if (cached?.key === key) return cached.transport;
  const transport = topicArn ? createSnsTransport(topicArn) : createDryRunTransport();
  cached = { key, transport };
  return transport;
}
