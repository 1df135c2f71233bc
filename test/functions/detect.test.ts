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
    const summary = await handler(caseFor('DeleteLoginProfile is not DeleteUser'), context);
    expect(summary).toMatchObject({ matched: [], sent: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });

  it('throws when SNS fails, so Lambda retries and the dead-letter queue keeps the alert', async () => {
    sns.on(PublishCommand).rejects(new Error('Throttling'));
    await expect(handler(caseFor('StopLogging by an IAM user'), context)).rejects.toThrow(/could not be delivered/);
  });
});

describe('detect handler: only AWS acts, on AWS time', () => {
  const MIN = 60_000;
  /** The root console sign-in case, as AWS would deliver it now + offset, in its own account. */
  function rootSignIn(account: string, eventId: string, offsetMs: number, source = 'aws.signin'): Record<string, unknown> {
    const event = caseFor('successful root console sign-in without MFA') as unknown as Record<string, unknown> & { detail: Record<string, unknown> };
    const time = new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    event.source = source;
    event.account = account;
    event.time = time;
    event.detail = { ...event.detail, eventTime: time, eventID: eventId, recipientAccountId: account, userIdentity: { type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account } };
    return event;
  }
  const rootAlerts = () =>
    sns.commandCalls(PublishCommand).filter((c) => c.args[0].input.MessageAttributes?.['ruleId']?.StringValue === 'root-console-sign-in');

  it('drops a forged root sign-in (custom source, dated 59 minutes ahead) and still alerts on the genuine one a minute later', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const forged = await handler(rootSignIn('111111111111', 'f0f0f0f0-0000-4000-8000-000000000001', 59 * MIN, 'my.app'), context);
    expect(forged).toMatchObject({ forged: expect.stringContaining('not an AWS service'), matched: [], sent: [] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);

    const genuine = await handler(rootSignIn('111111111111', 'f0f0f0f0-0000-4000-8000-000000000002', 60_000 - MIN), context);
    expect(genuine).toMatchObject({ matched: ['root-console-sign-in'], sent: [expect.stringContaining('root-console-sign-in')] });
    expect(rootAlerts()).toHaveLength(1);
  });

  it('lets an AWS event dated beyond clock skew alert, but not open an incident that would hide the next real one', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await handler(rootSignIn('222222222222', 'f0f0f0f0-0000-4000-8000-000000000003', 59 * MIN), context);
    const next = await handler(rootSignIn('222222222222', 'f0f0f0f0-0000-4000-8000-000000000004', -MIN), context);
    expect(next).toMatchObject({ sent: [expect.stringContaining('root-console-sign-in')], suppressed: [] });
    expect(rootAlerts()).toHaveLength(2);
  });

  it.each(['+275760-09-13T00:00:00Z', '-271821-04-20T00:00:00Z', '1970-01-01T00:00:00Z'])('never throws on the event time %s', async (time) => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const event = rootSignIn('333333333333', `f0f0f0f0-0000-4000-8000-${time.slice(1, 13).replace(/\D/g, '0')}`, 0);
    event.time = time;
    (event.detail as Record<string, unknown>).eventTime = time;
    await expect(handler(event, context)).resolves.toMatchObject({ matched: ['root-console-sign-in'] });
  });

  it('handles an event id of 1,100 characters (keys stay within DynamoDB limits) and drops its redelivery', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    const long = rootSignIn('444444444444', `${'x'.repeat(1_099)}1`, -MIN);
    const first = await handler(long, context);
    expect(first).toMatchObject({ sent: [expect.stringContaining('root-console-sign-in')] });
    const again = await handler(structuredClone(long), context);
    expect(again).toMatchObject({ sent: [], duplicates: ['root-console-sign-in'] });
  });
});
