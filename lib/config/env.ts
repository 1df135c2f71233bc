/** Environment, read through one place that fails loudly. */

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigurationError(`Environment variable ${name} is required`);
  return value;
}

export function optionalEnv(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function numberEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = optionalEnv(name, env);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new ConfigurationError(`Environment variable ${name} must be a non-negative number, got "${raw}"`);
  return n;
}

/** `ACCOUNT_NAMES=123456789012=prod,210987654321=staging` -> names shown in alerts. */
export function parseAccountNames(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const [id, name] = pair.split('=').map((s) => s.trim());
    if (!id || !name || !/^\d{12}$/.test(id)) throw new ConfigurationError(`ACCOUNT_NAMES entry "${pair}" is not <12-digit account id>=<name>`);
    out[id] = name;
  }
  return out;
}

/**
 * The alert topic: explicit ALERT_TOPIC_ARN, else built from the topic name and the function's own
 * ARN (region and account), which Lambda gives every invocation. No CloudFormation lookup: that is
 * what makes `serverless invoke local` try to reach AWS.
 */
export function topicArnFrom(env: NodeJS.ProcessEnv, invokedFunctionArn: string | undefined): string | undefined {
  const explicit = optionalEnv('ALERT_TOPIC_ARN', env);
  if (explicit) return explicit;
  const name = optionalEnv('ALERT_TOPIC_NAME', env);
  const parts = invokedFunctionArn?.split(':');
  if (!name || !parts || parts.length < 5 || parts[0] !== 'arn') return undefined;
  return `arn:${parts[1]}:sns:${parts[3]}:${parts[4]}:${name}`;
}

/**
 * The dead-letter queue's URL: explicit DEAD_LETTER_QUEUE_URL, else built from the queue name and the
 * function's own ARN, like the topic (no CloudFormation lookup at `invoke local`).
 */
export function deadLetterQueueUrlFrom(env: NodeJS.ProcessEnv, invokedFunctionArn: string | undefined): string | undefined {
  const explicit = optionalEnv('DEAD_LETTER_QUEUE_URL', env);
  if (explicit) return explicit;
  const name = optionalEnv('DEAD_LETTER_QUEUE_NAME', env);
  const parts = invokedFunctionArn?.split(':');
  if (!name || !parts || parts.length < 5 || parts[0] !== 'arn') return undefined;
  const domain = parts[1] === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${parts[3]}.${domain}/${parts[4]}/${name}`;
}
