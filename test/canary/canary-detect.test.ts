import { readFileSync } from 'node:fs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { Context } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import { canaryDelayMs, canaryFromEnv, isCanaryEvent } from '../../lib/handlers/canary-event.js';
import { lambdaContext } from '../support/lambda-context.js';

const ACCOUNT = '017622104382';
const PARAMETER = '/trailwatch/test/canary';
const ROLE = 'trailwatch-test-us-east-1-canary';
const canary = { parameterName: PARAMETER, roleName: ROLE };

/** A real SSM record and a real assumed-role identity (Stratus Red Team), made into the canary's call. */
function canaryEvent(eventTime: string): Record<string, unknown> {
  const [ssm] = JSON.parse(readFileSync('test/fixtures/stratus-red-team/aws.credential-access.ssm-retrieve-securestring-parameters.json', 'utf8')) as Array<Record<string, unknown>>;
  const record = {
    ...ssm,
    awsRegion: 'us-east-1',
    eventName: 'AddTagsToResource',
    eventTime,
    readOnly: false,
    recipientAccountId: ACCOUNT,
    requestParameters: { resourceType: 'Parameter', resourceId: PARAMETER, tags: [{ key: 'trailwatch:canary', value: eventTime }] },
    responseElements: null,
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROALHCCSKSM395EGX3XN:trailwatch-test-canary',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/trailwatch-test-canary`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAP5CT9NN8EYVU1FXV',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROALHCCSKSM395EGX3XN', arn: `arn:aws:iam::${ACCOUNT}:role/${ROLE}`, accountId: ACCOUNT, userName: ROLE },
        attributes: { creationDate: eventTime, mfaAuthenticated: 'false' },
      },
    },
  };
  const event = asEnvelope(record) as unknown as Record<string, unknown>;
  expect(event).toMatchObject({ source: 'aws.ssm', 'detail-type': 'AWS API Call via CloudTrail', account: ACCOUNT });
  return structuredClone(event);
}

type Mutable = Record<string, Record<string, Record<string, Record<string, unknown>>>>;
const detailOf = (e: Record<string, unknown>) => (e as Mutable).detail as Record<string, Record<string, Record<string, Record<string, unknown>>>>;

describe('canary recognition (pure)', () => {
  const now = Date.parse('2026-12-01T02:05:00Z');
  it('recognises the canary role tagging the canary parameter, and measures from eventTime', () => {
    const event = canaryEvent('2026-12-01T02:00:00Z');
    expect(isCanaryEvent(event, canary)).toBe(true);
    expect(canaryDelayMs(event, now)).toBe(300_000);
  });

  it.each<[string, (e: Record<string, unknown>) => void]>([
    ['a custom source (anyone with events:PutEvents)', (e) => void (e.source = 'trailwatch.canary')],
    ['a source that only looks like AWS', (e) => void (e.source = 'aws-ssm')],
    ['another API', (e) => void (detailOf(e).eventName = 'RemoveTagsFromResource' as never)],
    ['another parameter', (e) => void (detailOf(e).requestParameters!.resourceId = '/trailwatch/prod/canary' as never)],
    ['an IAM user', (e) => void (detailOf(e).userIdentity = { type: 'IAMUser', userName: ROLE, accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:user/${ROLE}` } as never)],
    ['the same role name in another account', (e) => {
      const issuer = detailOf(e).userIdentity!.sessionContext!.sessionIssuer as Record<string, unknown>;
      issuer.accountId = '111111111111';
      issuer.arn = `arn:aws:iam::111111111111:role/${ROLE}`;
    }],
    ['a role of that name under a path', (e) => void ((detailOf(e).userIdentity!.sessionContext!.sessionIssuer as Record<string, unknown>).arn = `arn:aws:iam::${ACCOUNT}:role/x/${ROLE}`)],
  ])('does not take %s for the canary', (_name, mutate) => {
    const event = canaryEvent('2026-12-01T02:00:00Z');
    mutate(event);
    expect(isCanaryEvent(event, canary)).toBe(false);
  });

  it('never throws on hostile input', () => {
    fc.assert(fc.property(fc.anything(), (v) => isCanaryEvent(v, canary) === false && (canaryDelayMs(v, now) ?? 0) >= 0));
  });

  it('is off unless both names are configured', () => {
    expect(canaryFromEnv({})).toBeUndefined();
    expect(canaryFromEnv({ CANARY_PARAMETER: PARAMETER, CANARY_ROLE_NAME: 'none' })).toBeUndefined();
    expect(canaryFromEnv({ CANARY_PARAMETER: PARAMETER, CANARY_ROLE_NAME: ROLE })).toEqual(canary);
  });
});

const sns = mockClient(SNSClient);
const context: Context = { ...lambdaContext('detect'), invokedFunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:trailwatch-test-detect` };

/** The EMF documents Powertools Metrics wrote to stdout during `run`. */
async function emfDuring<T>(run: () => Promise<T>): Promise<{ result: T; emf: Array<Record<string, unknown>> }> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const result = await run();
    return { result, emf: lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l) as Record<string, unknown>) };
  } finally {
    spy.mockRestore();
  }
}

describe('detect handler with the canary', () => {
  let handler: (event: unknown, ctx: Context) => Promise<unknown>;
  beforeAll(async () => {
    vi.stubEnv('ALERT_TOPIC_NAME', 'trailwatch-test-alerts');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_DEV', '');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('IS_LOCAL', '');
    vi.stubEnv('TRAILWATCH_STATE', 'memory');
    vi.stubEnv('CANARY_PARAMETER', PARAMETER);
    vi.stubEnv('CANARY_ROLE_NAME', ROLE);
    ({ handler } = await import('../../functions/detect.js'));
  });
  afterAll(() => vi.unstubAllEnvs());
  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });
  afterEach(() => vi.useRealTimers());

  it('records CanaryDelay with the service dimension, and alerts nobody', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse('2026-12-01T02:04:00Z') });
    const { result, emf } = await emfDuring(() => handler(canaryEvent('2026-12-01T02:00:00Z'), context));
    expect(result).toEqual({ canary: true, delaySeconds: 240 });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      _aws: { CloudWatchMetrics: [{ Namespace: 'trailwatch', Dimensions: [['service']], Metrics: [{ Name: 'CanaryDelay', Unit: 'Seconds' }] }] },
      service: 'trailwatch',
      CanaryDelay: 240,
    });
  });

  it('puts a forged canary (custom source) through the rules like any event: no CanaryDelay', async () => {
    const forged = canaryEvent('2026-12-01T02:00:00Z');
    forged.source = 'custom.ssm';
    const { result, emf } = await emfDuring(() => handler(forged, context));
    expect(result).not.toHaveProperty('canary');
    expect(result).toMatchObject({ matched: [] });
    expect(emf.some((d) => 'CanaryDelay' in d)).toBe(false);
  });

  it('still alerts when root makes the canary call: the canary path cannot swallow a real alert', async () => {
    const event = canaryEvent(new Date().toISOString());
    detailOf(event).userIdentity = { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT } as never;
    const { result, emf } = await emfDuring(() => handler(event, context));
    expect(result).toMatchObject({ matched: ['root-account-activity'], sent: [expect.stringContaining('root-account-activity')] });
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(emf.some((d) => 'CanaryDelay' in d)).toBe(false);
  });
});
