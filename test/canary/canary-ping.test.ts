import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CanaryError, pingCanary } from '../../lib/handlers/canary.js';
import { lambdaContext } from '../support/lambda-context.js';
import { startFakeSsm, type FakeSsm } from './fake-ssm.js';

let ssm: FakeSsm;
beforeAll(async () => {
  ssm = await startFakeSsm();
});
afterAll(() => ssm.close());
beforeEach(() => {
  ssm.calls.length = 0;
});

const client = () =>
  new SSMClient({ endpoint: ssm.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' }, maxAttempts: 1 });

describe('pingCanary against a local SSM endpoint', () => {
  it('tags the canary parameter with the time of the ping', async () => {
    const at = await pingCanary(client(), '/trailwatch/test/canary', new Date('2026-12-01T02:00:00.000Z'));
    expect(at).toBe('2026-12-01T02:00:00.000Z');
    expect(ssm.calls).toEqual([
      {
        target: 'AmazonSSM.AddTagsToResource',
        body: { ResourceType: 'Parameter', ResourceId: '/trailwatch/test/canary', Tags: [{ Key: 'trailwatch:canary', Value: '2026-12-01T02:00:00.000Z' }] },
        authorization: expect.stringContaining('Credential=AKIDLOCALTEST/'),
      },
    ]);
  });

  it('throws a CanaryError carrying the service error, so the Errors alarm sees it', async () => {
    ssm.reply({ status: 400, body: { __type: 'InvalidResourceId', message: 'gone' } });
    const error = await pingCanary(client(), '/p', new Date()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CanaryError);
    expect((error as CanaryError).message).toBe('Canary could not tag SSM parameter /p: gone');
    expect((error as CanaryError).cause).toMatchObject({ name: 'InvalidResourceId' });
    expect(ssm.calls).toHaveLength(1);
  });
});

describe('canary handler', () => {
  let handler: (event: unknown, ctx: Context) => Promise<{ parameterName: string; taggedAt: string }>;
  beforeAll(async () => {
    // The SDK's own endpoint override: the module-scope client of the real handler talks to the fake.
    vi.stubEnv('AWS_ENDPOINT_URL_SSM', ssm.endpoint);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDLOCALTEST');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local-test-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', '');
    vi.stubEnv('AWS_MAX_ATTEMPTS', '1');
    vi.stubEnv('CANARY_PARAMETER', '/trailwatch/test/canary');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    ({ handler } = await import('../../functions/canary.js'));
  });
  afterAll(() => vi.unstubAllEnvs());

  it('writes the canary tag once per invocation and reports it', async () => {
    const result = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, lambdaContext('canary'));
    expect(result.parameterName).toBe('/trailwatch/test/canary');
    expect(ssm.calls).toHaveLength(1);
    expect(ssm.calls[0]?.body).toMatchObject({ ResourceId: '/trailwatch/test/canary', Tags: [{ Key: 'trailwatch:canary', Value: result.taggedAt }] });
  });

  it('fails the invocation when the tag cannot be written', async () => {
    ssm.reply({ status: 400, body: { __type: 'AccessDeniedException', message: 'denied' } });
    await expect(handler({}, lambdaContext('canary'))).rejects.toThrow(/could not tag SSM parameter \/trailwatch\/test\/canary: denied/);
  });
});
