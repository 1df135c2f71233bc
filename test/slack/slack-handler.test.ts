import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { snsMessage } from '../../lib/transport/sns.js';
import { alertFixture } from '../support/alert-fixture.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';
import { lambdaContext } from '../support/lambda-context.js';

const ssm = mockClient(SSMClient);
const context = lambdaContext('slack', 120_000);

const snsEvent = (alert: Alert) => ({
  Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'm-1', Message: (JSON.parse(snsMessage(alert)) as { lambda: string }).lambda } }],
});

let slack: FakeSlack;
let handler: (event: unknown, ctx: Context) => Promise<unknown>;
const output: string[] = [];

beforeAll(async () => {
  slack = await startFakeSlack();
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/trailwatch/slack-webhook', Type: 'SecureString', Value: slack.url } });
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('SLACK_ROUTES', JSON.stringify([{ parameter: '/trailwatch/slack-webhook', minSeverity: 'info' }]));
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
  vi.stubEnv('POWERTOOLS_DEV', '');
  // Powertools writes its JSON lines straight to stdout/stderr: capture them to look for the secret.
  const capture = (chunk: unknown) => {
    output.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  ({ handler } = await import('../../functions/slack.js'));
});
afterAll(async () => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  ssm.restore();
  await slack.close();
});

describe('slack handler', () => {
  it('reads the webhook from the SecureString (decrypted, cached) and posts each alert', async () => {
    await expect(handler(snsEvent(alertFixture({ id: 'h1' })), context)).resolves.toMatchObject({ sent: ['h1'] });
    await expect(handler(snsEvent(alertFixture({ id: 'h2' })), context)).resolves.toMatchObject({ sent: ['h2'] });
    expect(slack.received).toHaveLength(2);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/trailwatch/slack-webhook', WithDecryption: true });
    // maxAge 300 s: one SSM call for both invocations.
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
  });

  it('throws when Slack refuses, and never logs the webhook URL', async () => {
    slack.reply({ status: 410, body: 'channel_is_archived' });
    await expect(handler(snsEvent(alertFixture({ id: 'h3' })), context)).rejects.toThrow(/could not be posted to Slack: h3/);
    const logs = output.join('');
    expect(logs).toContain('channel_is_archived');
    expect(logs).toContain('Alert posted to Slack');
    expect(logs).not.toContain(slack.secret);
    expect(logs).not.toContain('/services/');
  });
});
