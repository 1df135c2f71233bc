import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { alertEntry, OUTPUT_SCHEMA_VERSION, putAlertEvents, type OutputDeps } from '../../lib/handlers/output.js';
import { snsMessage } from '../../lib/transport/sns.js';
import { alertFixture } from '../support/alert-fixture.js';
import { startFakeEventBridge, type FakeEventBridge } from './fake-eventbridge.js';

/** The SNS event the output function receives: the `lambda` body of what detect publishes. */
const snsEvent = (...alerts: Alert[]) => ({
  Records: alerts.map((a, i) => ({ EventSource: 'aws:sns', Sns: { MessageId: `m-${i}`, Message: (JSON.parse(snsMessage(a)) as { lambda: string }).lambda } })),
});

let eb: FakeEventBridge;
const logs: string[] = [];
const metrics: Record<string, number> = {};
let deps: OutputDeps;

beforeAll(async () => {
  eb = await startFakeEventBridge();
});
afterAll(() => eb.close());
beforeEach(() => {
  eb.accepted.length = 0;
  logs.length = 0;
  for (const k of Object.keys(metrics)) delete metrics[k];
  const client = new EventBridgeClient({ region: 'ap-northeast-2', endpoint: eb.url, credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local' }, maxAttempts: 2 });
  deps = {
    client,
    PutEventsCommand,
    busName: 'default',
    log: { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    metrics: { addMetric: (name, _unit, value) => void (metrics[name] = (metrics[name] ?? 0) + value) },
    sleep: async () => {},
  };
});

const detailOf = (i: number) => JSON.parse(eb.accepted[i]?.Detail ?? '{}') as { schemaVersion: string; alert: Alert };

describe('EventBridge output', () => {
  it('puts every alert and follow-up on the bus as source trailwatch, detail-type "trailwatch Alert", schema 1.0', async () => {
    const alerts = [alertFixture({ id: 'a1' }), alertFixture({ id: 'a2', kind: 'summary', count: 37 })];
    await expect(putAlertEvents(snsEvent(...alerts), deps)).resolves.toEqual({ put: ['a1', 'a2'], malformed: 0 });
    expect(eb.accepted.map((e) => [e.Source, e.DetailType, e.EventBusName])).toEqual([
      ['trailwatch', 'trailwatch Alert', 'default'],
      ['trailwatch', 'trailwatch Alert', 'default'],
    ]);
    expect(detailOf(0)).toEqual({ schemaVersion: OUTPUT_SCHEMA_VERSION, alert: alerts[0] });
    expect(detailOf(1).alert).toMatchObject({ kind: 'summary', count: 37 });
    expect(metrics.OutputEventsPut).toBe(2);
  });

  it('sends 10 entries per call at most', async () => {
    const alerts = Array.from({ length: 23 }, (_, i) => alertFixture({ id: `b${i}` }));
    const before = eb.calls;
    await putAlertEvents(snsEvent(...alerts), deps);
    expect(eb.calls - before).toBe(3);
    expect(eb.accepted.map((e) => JSON.parse(e.Detail).alert.id)).toEqual(alerts.map((a) => a.id));
  });

  it('retries only the entries EventBridge refused, and puts each alert once', async () => {
    eb.behave({ kind: 'refuse', indexes: [1], code: 'ThrottlingException' });
    await expect(putAlertEvents(snsEvent(alertFixture({ id: 'c1' }), alertFixture({ id: 'c2' }), alertFixture({ id: 'c3' })), deps)).resolves.toMatchObject({ put: ['c1', 'c3', 'c2'] });
    expect(eb.accepted.map((e) => JSON.parse(e.Detail).alert.id)).toEqual(['c1', 'c3', 'c2']);
  });

  it('rides out a failing call (HTTP 500) and sends the same entries again', async () => {
    // The SDK retries once itself (maxAttempts 2); the third failure reaches our loop, which tries again.
    eb.behave({ kind: 'error', status: 500, type: 'InternalException' }, { kind: 'error', status: 500, type: 'InternalException' });
    await expect(putAlertEvents(snsEvent(alertFixture({ id: 'd1' })), deps)).resolves.toMatchObject({ put: ['d1'] });
    expect(eb.accepted).toHaveLength(1);
  });

  it('throws when entries stay refused, so Lambda retries and the dead-letter queue keeps them', async () => {
    eb.behave(...Array.from({ length: 4 }, () => ({ kind: 'refuse' as const, indexes: [0], code: 'InternalFailure' })));
    await expect(putAlertEvents(snsEvent(alertFixture({ id: 'e1' }), alertFixture({ id: 'e2' })), deps)).rejects.toThrow('1 alerts could not be put on event bus default: e1 (InternalFailure)');
    expect(metrics.OutputDeliveryFailures).toBe(1);
  });

  it('counts malformed messages instead of throwing on them (a retry would fail the same way)', async () => {
    const event = { Records: [{ Sns: { MessageId: 'x', Message: 'not json' } }, { Sns: { MessageId: 'y', Message: '{"id":"forged"}' } }] };
    await expect(putAlertEvents(event, deps)).resolves.toEqual({ put: [], malformed: 2 });
    await expect(putAlertEvents({ nope: true }, deps)).resolves.toEqual({ put: [], malformed: 1 });
    expect(eb.accepted).toHaveLength(0);
  });

  it('shortens an alert too large for one event rather than lose it', () => {
    const huge = alertFixture({ id: 'f1', eventIds: Array.from({ length: 9_000 }, (_, i) => `event-id-${i}-${'x'.repeat(20)}`) });
    const entry = alertEntry(huge, 'default');
    expect(Buffer.byteLength(entry.Detail)).toBeLessThan(256 * 1024);
    const detail = JSON.parse(entry.Detail) as { truncated?: boolean; alert: Alert };
    expect(detail.truncated).toBe(true);
    expect(detail.alert.eventIds).toHaveLength(20);
  });
});
