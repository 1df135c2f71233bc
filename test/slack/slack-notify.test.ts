import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlert, type Alert } from '../../lib/alert/alert.js';
import type { Log, MetricSink } from '../../lib/handlers/detect.js';
import { notifySlack } from '../../lib/handlers/slack.js';
import { snsMessage } from '../../lib/transport/sns.js';
import { createSlackTransport } from '../../lib/transport/slack.js';
import { DeliveryError, type Transport } from '../../lib/transport/transport.js';
import { alertFixture } from '../support/alert-fixture.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';

/** What SNS hands a `lambda` subscriber: the `lambda` body of our MessageStructure=json publish. */
const lambdaBody = (alert: Alert): string => (JSON.parse(snsMessage(alert)) as { lambda: string }).lambda;
const snsEvent = (...messages: string[]) => ({
  Records: messages.map((Message, i) => ({ EventSource: 'aws:sns', EventVersion: '1.0', Sns: { MessageId: `m-${i}`, Message, Type: 'Notification' } })),
});

function recorder() {
  const logs: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];
  const metrics: Array<{ name: string; value: number }> = [];
  const log: Log = {
    info: (message, extra) => logs.push({ level: 'info', message, extra }),
    warn: (message, extra) => logs.push({ level: 'warn', message, extra }),
    error: (message, extra) => logs.push({ level: 'error', message, extra }),
  };
  const sink: MetricSink = { addMetric: (name, _unit, value) => metrics.push({ name, value }) };
  return { logs, metrics, log, sink };
}

/** A transport that records what it was asked to send, failing for the ids in `failFor`. */
function fakeTransport(failFor: string[] = []) {
  const sent: string[] = [];
  const transport: Transport = {
    name: 'fake',
    async send(alert) {
      sent.push(alert.id);
      if (failFor.includes(alert.id)) throw new DeliveryError(`Slack rejected alert ${alert.id}: HTTP 404: channel_not_found`);
    },
  };
  return { transport, sent };
}

describe('notifySlack (SNS records -> Slack)', () => {
  it('posts the alert that detect published, as published', async () => {
    const r = recorder();
    const { transport, sent } = fakeTransport();
    const summary = await notifySlack(snsEvent(lambdaBody(alertFixture())), { transport, log: r.log, metrics: r.sink });
    expect(summary).toEqual({ sent: ['iam-user-deleted:match:e1'], staged: [], malformed: 0, failed: [] });
    expect(sent).toEqual(['iam-user-deleted:match:e1']);
    expect(r.metrics).toEqual([{ name: 'SlackAlertsSent', value: 1 }]);
  });

  it('skips staged alerts', async () => {
    const r = recorder();
    const { transport, sent } = fakeTransport();
    const staged = alertFixture({ id: 'staged-1', status: 'staged' });
    const summary = await notifySlack(snsEvent(lambdaBody(staged), lambdaBody(alertFixture())), { transport, log: r.log, metrics: r.sink });
    expect(sent).toEqual(['iam-user-deleted:match:e1']);
    expect(summary.staged).toEqual(['staged-1']);
  });

  it('logs and counts malformed messages instead of throwing (a retry would fail forever), and still posts the good one', async () => {
    const r = recorder();
    const { transport, sent } = fakeTransport();
    const notAlert = JSON.stringify({ AlarmName: 'trailwatch-prod-rule-errors', NewStateValue: 'ALARM' });
    const wrongType = JSON.stringify({ ...alertFixture(), mitre: 'TA0040' });
    const event = snsEvent('not json {', notAlert, wrongType, lambdaBody(alertFixture()));
    event.Records.push({ EventSource: 'aws:sns' } as (typeof event.Records)[number]);
    const summary = await notifySlack(event, { transport, log: r.log, metrics: r.sink });
    expect(summary).toMatchObject({ malformed: 4, sent: ['iam-user-deleted:match:e1'] });
    expect(sent).toEqual(['iam-user-deleted:match:e1']);
    expect(r.logs.filter((l) => l.level === 'warn').map((l) => l.extra.reason)).toEqual([
      'message is not JSON',
      'message is not a trailwatch alert',
      'message is not a trailwatch alert',
      'message is not JSON',
    ]);
    // The message body is never logged: it may hold anything.
    expect(JSON.stringify(r.logs)).not.toContain('AlarmName');
    expect(r.metrics).toContainEqual({ name: 'SlackMalformedMessages', value: 4 });
  });

  it('treats an event that is not from SNS as malformed', async () => {
    const r = recorder();
    const { transport, sent } = fakeTransport();
    await expect(notifySlack({ hello: 'world' }, { transport, log: r.log, metrics: r.sink })).resolves.toMatchObject({ malformed: 1 });
    await expect(notifySlack(null, { transport, log: r.log, metrics: r.sink })).resolves.toMatchObject({ malformed: 1 });
    expect(sent).toEqual([]);
  });

  it('tries every alert, then throws if any failed, so Lambda retries and the DLQ keeps it', async () => {
    const r = recorder();
    const { transport, sent } = fakeTransport(['a2']);
    const alerts = ['a1', 'a2', 'a3'].map((id) => lambdaBody(alertFixture({ id })));
    await expect(notifySlack(snsEvent(...alerts), { transport, log: r.log, metrics: r.sink })).rejects.toThrow(/1 of 3 alerts could not be posted to Slack: a2/);
    expect(sent).toEqual(['a1', 'a2', 'a3']);
    expect(r.metrics).toEqual(expect.arrayContaining([{ name: 'SlackAlertsSent', value: 2 }, { name: 'SlackDeliveryFailures', value: 1 }]));
    expect(r.logs.find((l) => l.level === 'error')?.extra).toMatchObject({ alertId: 'a2', error: expect.stringContaining('channel_not_found') });
  });
});

describe('notifySlack with the real transport and a local Slack stand-in', () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(() => slack.close());

  it('logs the failure without the webhook URL, and throws', async () => {
    slack.reply({ status: 404, body: 'channel_not_found' }, { status: 200, body: 'ok' });
    const r = recorder();
    const transport = createSlackTransport({ webhookUrl: async () => slack.url, sleep: async () => undefined });
    const event = snsEvent(lambdaBody(alertFixture({ id: 'lost' })), lambdaBody(alertFixture({ id: 'posted' })));
    await expect(notifySlack(event, { transport, log: r.log, metrics: r.sink })).rejects.toThrow(/1 of 2 alerts could not be posted to Slack: lost/);
    expect(slack.received).toHaveLength(2);
    const logged = JSON.stringify(r.logs);
    expect(logged).toContain('channel_not_found');
    expect(logged).not.toContain(slack.secret);
    expect(logged).not.toContain('/services/');
  });
});

describe('isAlert', () => {
  it('accepts an alert that went through JSON', () => {
    expect(isAlert(JSON.parse(JSON.stringify(alertFixture({ errorCode: 'AccessDenied', count: 3, group: { principal: 'x' } }))))).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ['severity unknown', { severity: 'urgent' }],
    ['status unknown', { status: 'paused' }],
    ['mitre not a list', { mitre: 'TA0040' }],
    ['actor missing', { actor: undefined }],
    ['actor name not a string', { actor: { type: 'IAMUser', name: 42 } }],
    ['details of the wrong shape', { details: [{ label: 'x' }] }],
    ['empty id', { id: '' }],
    ['optional field of the wrong type', { errorMessage: { nested: true } }],
  ])('rejects: %s', (_name, over) => {
    expect(isAlert({ ...alertFixture(), ...over })).toBe(false);
  });

  it.each([null, [], 'alert', 42])('rejects %j', (value) => {
    expect(isAlert(value)).toBe(false);
  });
});
