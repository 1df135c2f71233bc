import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Context } from 'aws-lambda';
import { allCases } from '../support/rule-cases.js';
import { lambdaContext } from '../support/lambda-context.js';

const sns = mockClient(SNSClient);
const context = lambdaContext('detect');

const caseFor = (name: string) => {
  const c = allCases().find((x) => x.name.startsWith(name));
  if (!c) throw new Error(`no case ${name}`);
  return structuredClone(c.event);
};

let handler: (event: unknown, ctx: Context) => Promise<unknown>;

beforeAll(async () => {
  vi.stubEnv('ALERT_TOPIC_NAME', 'trailwatch-test-alerts');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  vi.stubEnv('IS_LOCAL', '');
  vi.stubEnv('TRAILWATCH_STATE', 'memory');
  ({ handler } = await import('../../functions/detect.js'));
});
afterAll(() => vi.unstubAllEnvs());
beforeEach(() => sns.reset());

describe('detect handler', () => {
  it('publishes one alert for an IAM user deletion to the stage topic derived from the function ARN', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const summary = await handler(caseFor('DeleteUser (derived'), context);
    expect(summary).toMatchObject({ matched: ['iam-user-deleted'], sent: [expect.stringContaining('iam-user-deleted')] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: 'arn:aws:sns:us-east-1:123456789012:trailwatch-test-alerts',
      MessageStructure: 'json',
      Subject: expect.stringMatching(/^\[trailwatch\] MEDIUM IAM user deleted - user\/christophe in 229654561268$/),
      MessageAttributes: expect.objectContaining({ severity: { DataType: 'String', StringValue: 'medium' } }),
    });
    const message = JSON.parse(sns.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}') as Record<string, string>;
    expect(message.email).toContain('IAM user malicious-iam-user deleted by user/christophe');
    expect(JSON.parse(message['email-json'] ?? '{}')).toMatchObject({ ruleId: 'iam-user-deleted', eventIds: [expect.any(String)] });
  });

  it('logs and counts a malformed event instead of throwing, and sends nothing', async () => {
    const summary = await handler({ hello: 'world' }, context);
    expect(summary).toMatchObject({ malformed: expect.stringContaining('not a CloudTrail event'), sent: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('sends nothing for an event no rule matches', async () => {
    const summary = await handler(caseFor('CreateUser is not a deletion'), context);
    expect(summary).toMatchObject({ matched: [], sent: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('throws when SNS fails, so Lambda retries and the dead-letter queue keeps the alert', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    await expect(handler(caseFor('StopLogging by an IAM user'), context)).rejects.toThrow(/could not be delivered/);
  });
});
