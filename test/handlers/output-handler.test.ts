import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { snsMessage } from '../../lib/transport/sns.js';
import { alertFixture } from '../support/alert-fixture.js';
import { lambdaContext } from '../support/lambda-context.js';
import { startFakeEventBridge, type FakeEventBridge } from './fake-eventbridge.js';

const snsEvent = (alert: Alert) => ({
  Records: [{ EventSource: 'aws:sns', Sns: { MessageId: 'm-1', Message: (JSON.parse(snsMessage(alert)) as { lambda: string }).lambda } }],
});

let eb: FakeEventBridge;
let handler: (event: unknown, ctx: Context) => Promise<unknown>;

beforeAll(async () => {
  eb = await startFakeEventBridge();
  // The function's own SDK client, pointed at the local stand-in through the SDK's endpoint setting.
  vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', eb.url);
  vi.stubEnv('AWS_REGION', 'ap-northeast-2');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLOCALTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  vi.stubEnv('OUTPUT_EVENT_BUS', 'security-alerts');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
  ({ handler } = await import('../../functions/output.js'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await eb.close();
});

describe('output handler', () => {
  it('puts the SNS alert on the configured bus', async () => {
    await expect(handler(snsEvent(alertFixture({ id: 'h1', severity: 'high' })), lambdaContext('output'))).resolves.toEqual({ put: ['h1'], malformed: 0 });
    expect(eb.accepted).toHaveLength(1);
    expect(eb.accepted[0]).toMatchObject({ EventBusName: 'security-alerts', Source: 'trailwatch', DetailType: 'trailwatch Alert' });
    expect(JSON.parse(eb.accepted[0]?.Detail ?? '{}')).toMatchObject({ schemaVersion: '1.0', alert: { id: 'h1', severity: 'high' } });
  });
});
