import { AddTagsToResourceCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { CANARY_CALL } from './canary-event.js';

export class CanaryError extends Error {
  override readonly name = 'CanaryError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * One harmless, recognisable management write: the canary tag on the stack's own parameter, set to
 * the time of the ping. The value is for people looking at the parameter; the detector measures the
 * delay from CloudTrail's own `eventTime`. Throws, so the function's Errors alarm reports a canary
 * that cannot write (as opposed to the silence alarm, which reports a pipeline that cannot see).
 */
export async function pingCanary(client: SSMClient, parameterName: string, now: Date): Promise<string> {
  const value = now.toISOString();
  try {
    await client.send(
      new AddTagsToResourceCommand({
        ResourceType: CANARY_CALL.resourceType,
        ResourceId: parameterName,
        Tags: [{ Key: CANARY_CALL.tagKey, Value: value }],
      }),
    );
  } catch (error) {
    throw new CanaryError(`Canary could not tag SSM parameter ${parameterName}: ${(error as Error).message}`, { cause: error });
  }
  return value;
}
