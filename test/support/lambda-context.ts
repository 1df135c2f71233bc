import type { Context } from 'aws-lambda';

/** The context Lambda passes a handler, for function `trailwatch-test-<name>` in us-east-1. */
export function lambdaContext(name: string, remainingMs = 30_000): Context {
  return {
    functionName: `trailwatch-test-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:trailwatch-test-${name}`,
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: `/aws/lambda/trailwatch-test-${name}`,
    logStreamName: 's',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
