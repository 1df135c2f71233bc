import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsDeadLetterQueue, deadLetterBody } from '../../lib/transport/dead-letter.js';
import { DeliveryError } from '../../lib/transport/transport.js';
import { alertFixture } from '../support/alert-fixture.js';

/**
 * A loopback stand-in for SQS's SendMessage (AWS JSON protocol): it records what it is sent and
 * answers like SQS, MD5 of the body included (the SDK checks it), or with an error when told to.
 */
interface Sent {
  target: string;
  body: Record<string, unknown>;
}
let server: ReturnType<typeof createServer>;
let url = '';
const sent: Sent[] = [];
let failNext = 0;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      sent.push({ target: String(req.headers['x-amz-target']), body });
      if (failNext > 0) {
        failNext -= 1;
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }));
        return;
      }
      const md5 = createHash('md5').update(String(body.MessageBody)).digest('hex');
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ MessageId: `m-${sent.length}`, MD5OfMessageBody: md5 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/123456789012/trailwatch-ci-dlq`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () => new SQSClient({ region: 'us-east-1', endpoint: url.replace(/\/123456789012.*$/, ''), credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });

describe('dead-letter queue (SQS SendMessage against a local stand-in)', () => {
  it('sends the follow-up as JSON with the reason and attempts, and its id as an attribute', async () => {
    sent.length = 0;
    const alert = alertFixture({ id: 'iam-user-deleted:summary:e1', kind: 'summary' });
    await createSqsDeadLetterQueue(url, client()).send(alert, 'SNS: Message too long', 5);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.target).toBe('AmazonSQS.SendMessage');
    expect(sent[0]?.body.QueueUrl).toBe(url);
    expect(JSON.parse(String(sent[0]?.body.MessageBody))).toEqual({ source: 'trailwatch', kind: 'follow-up', reason: 'SNS: Message too long', attempts: 5, alertId: alert.id, alert });
    expect(sent[0]?.body.MessageAttributes).toMatchObject({ alertId: { DataType: 'String', StringValue: alert.id } });
  });

  it('throws a DeliveryError when SQS refuses, so the follow-up stays for the next run', async () => {
    failNext = 1;
    const error = await createSqsDeadLetterQueue(url, client())
      .send(alertFixture(), 'x', 5)
      .then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as Error).message).toMatch(/Dead-lettering follow-up iam-user-deleted:match:e1 failed/);
  });

  it('keeps the message under SQS\'s 256 KB for any alert the builder makes', () => {
    const alert = alertFixture({ summary: '"'.repeat(1000), details: Array.from({ length: 20 }, () => ({ label: 'l', value: '"\\'.repeat(500) })) });
    expect(Buffer.byteLength(deadLetterBody(alert, 'r'.repeat(300), 5))).toBeLessThan(256 * 1024);
  });
});
