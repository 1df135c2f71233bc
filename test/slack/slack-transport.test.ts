import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { retryAfterMs, createSlackTransport, type SlackTransportOptions } from '../../lib/transport/slack.js';
import { DeliveryError } from '../../lib/transport/transport.js';
import { alertFixture } from '../support/alert-fixture.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(() => slack.close());
afterEach(() => {
  slack.received.length = 0;
});

/** A transport against the loopback stand-in; `sleep` records the waits instead of waiting. */
function transport(over: Partial<SlackTransportOptions> = {}) {
  const sleep = vi.fn(async (_ms: number) => undefined);
  const t = createSlackTransport({ webhookUrl: async () => slack.url, sleep, ...over });
  return { t, sleep };
}

/** The rejection of `p` (asserted to be a DeliveryError), to check what its message leaks. */
async function rejection(p: Promise<unknown>): Promise<DeliveryError> {
  const outcome = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(DeliveryError);
  return outcome as DeliveryError;
}

/** The URL, its path or its secret token anywhere in what an error carries (message, stack, cause). */
function leaksSecret(error: unknown, url: string, secret: string): boolean {
  const e = error as Error;
  const everything = [e.message, e.stack ?? '', String(e), JSON.stringify(e), String((e as { cause?: unknown }).cause ?? '')].join('\n');
  return everything.includes(url) || everything.includes(secret) || everything.includes(new URL(url).pathname);
}

describe('Slack transport against a local HTTP server', () => {
  it('POSTs the Block Kit message as JSON to the webhook, with unfurling off', async () => {
    const { t, sleep } = transport();
    await t.send(alertFixture());
    expect(slack.received).toHaveLength(1);
    const [request] = slack.received;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(new URL(slack.url).pathname);
    expect(request?.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(request?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ text: expect.stringContaining('IAM user deleted'), unfurl_links: false, unfurl_media: false });
    expect(body.blocks).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'header' })]));
    expect(sleep).not.toHaveBeenCalled();
  });

  it('waits Retry-After seconds on 429, then succeeds', async () => {
    slack.reply({ status: 429, body: 'rate_limited', headers: { 'retry-after': '3' } });
    const { t, sleep } = transport();
    await t.send(alertFixture());
    expect(slack.received).toHaveLength(2);
    expect(sleep.mock.calls).toEqual([[3000]]);
  });

  it('gives up at once when Slack asks for a longer wait than the cap (Lambda retries later)', async () => {
    slack.reply({ status: 429, body: 'rate_limited', headers: { 'retry-after': '120' } });
    const { t, sleep } = transport();
    await expect(t.send(alertFixture())).rejects.toThrow(/HTTP 429, rate limited for 120 s/);
    expect(slack.received).toHaveLength(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('retries 5xx with doubling backoff, then throws after the last attempt', async () => {
    slack.reply(...Array.from({ length: 4 }, () => ({ status: 503, body: 'service_unavailable' })));
    const { t, sleep } = transport({ maxAttempts: 4 });
    await expect(t.send(alertFixture())).rejects.toThrow(/after 4 attempts: HTTP 503: service_unavailable/);
    expect(slack.received).toHaveLength(4);
    expect(sleep.mock.calls).toEqual([[1000], [2000], [4000]]);
  });

  it('recovers when a 5xx is followed by success', async () => {
    slack.reply({ status: 500, body: 'oops' });
    const { t } = transport();
    await t.send(alertFixture());
    expect(slack.received).toHaveLength(2);
  });

  it.each([
    [400, 'invalid_blocks'],
    [400, 'invalid_payload'],
    [403, 'invalid_token'],
    [404, 'channel_not_found'],
    [410, 'channel_is_archived'],
  ])('throws at once on %i %s, with Slack\'s reason', async (status, reason) => {
    slack.reply({ status, body: reason });
    const { t, sleep } = transport();
    await expect(t.send(alertFixture())).rejects.toThrow(new RegExp(`Slack rejected alert iam-user-deleted:match:e1: HTTP ${status}: ${reason}`));
    expect(slack.received).toHaveLength(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('truncates a long error body', async () => {
    slack.reply({ status: 400, body: `invalid_blocks ${'x'.repeat(10_000)}` });
    const error = await rejection(transport().t.send(alertFixture()));
    expect(error.message.length).toBeLessThan(400);
  });

  it('times out a request that gets no answer, and one whose body never ends', async () => {
    slack.reply({ hang: 'headers' }, { hang: 'body' });
    const { t, sleep } = transport({ timeoutMs: 200, maxAttempts: 2 });
    const started = Date.now();
    await expect(t.send(alertFixture())).rejects.toThrow(/after 2 attempts: timed out after 200 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(slack.received).toHaveLength(2);
    expect(sleep.mock.calls).toEqual([[1000]]);
  });

  it('retries a refused connection and throws a network error', async () => {
    const closed = await startFakeSlack();
    const url = closed.url;
    await closed.close();
    const error = await rejection(createSlackTransport({ webhookUrl: async () => url, sleep: async () => undefined, maxAttempts: 2 }).send(alertFixture()));
    expect(error.message).toMatch(/after 2 attempts: TypeError: fetch failed/);
    expect(leaksSecret(error, url, closed.secret)).toBe(false);
  });

  it('wraps a failure to read the webhook URL (SSM) in a DeliveryError', async () => {
    const t = createSlackTransport({ webhookUrl: async () => Promise.reject(new Error('ParameterNotFound')) });
    await expect(t.send(alertFixture())).rejects.toThrow(/Slack webhook URL could not be read for alert .*: ParameterNotFound/);
  });
});

describe('the webhook URL is a secret', () => {
  it('appears in no error, whatever fails', async () => {
    const errors: unknown[] = [];
    const collect = async (p: Promise<void>) => errors.push(await rejection(p));
    slack.reply({ status: 404, body: 'channel_not_found' });
    await collect(transport().t.send(alertFixture()));
    slack.reply(...Array.from({ length: 2 }, () => ({ status: 502, body: 'bad gateway' })));
    await collect(transport({ maxAttempts: 2 }).t.send(alertFixture()));
    slack.reply({ status: 429, headers: { 'retry-after': '600' } });
    await collect(transport().t.send(alertFixture()));
    slack.reply({ hang: 'headers' });
    await collect(transport({ timeoutMs: 100, maxAttempts: 1 }).t.send(alertFixture()));
    // A body that quotes the URL back (a proxy's error page might).
    slack.reply({ status: 400, body: `bad request to ${slack.url}` });
    await collect(transport().t.send(alertFixture()));
    // fetch itself may quote the URL (undici: "Failed to parse URL from ...").
    const quoting: typeof fetch = async (input) => Promise.reject(new TypeError(`Failed to parse URL from ${String(input)}`));
    await collect(transport({ fetchImpl: quoting, maxAttempts: 1 }).t.send(alertFixture()));
    expect(errors).toHaveLength(6);
    for (const error of errors) expect(leaksSecret(error, slack.url, slack.secret)).toBe(false);
    expect((errors[4] as Error).message).toContain('bad request to [webhook]');
    expect((errors[5] as Error).message).toContain('Failed to parse URL from [webhook]');
  });

  it('leaves no piece of the token in the error, wherever the cut of a long echoing body falls', async () => {
    // The cut keeps 200 characters: put the echoed URL across that boundary at every offset.
    const offsets = Array.from({ length: slack.url.length + 20 }, (_, i) => 200 - slack.url.length - 10 + i);
    const pieces = new Set<string>();
    for (let i = 0; i + 5 <= slack.secret.length; i++) pieces.add(slack.secret.slice(i, i + 5));
    for (const offset of offsets) {
      slack.reply({ status: 400, echo: { before: `invalid_payload ${'.'.repeat(Math.max(0, offset - 16))}`, after: ' '.repeat(50) + 'tail' } });
      const error = await rejection(transport().t.send(alertFixture()));
      const everything = [error.message, error.stack ?? '', String(error.cause ?? '')].join('\n');
      for (const piece of pieces) expect(everything).not.toContain(piece);
      if (offset < 150) expect(error.message).toContain('[webhook]');
    }
  });

  it('is not echoed when it is malformed, and is never sent over plain http off the machine', async () => {
    const bad = createSlackTransport({ webhookUrl: async () => 'hooks.chat.example/services/x0/b0/SECRETabc' });
    const error = await rejection(bad.send(alertFixture()));
    expect(error.message).toMatch(/not a valid URL/);
    expect(error.message).not.toContain('SECRETabc');

    const fetchImpl = vi.fn<typeof fetch>();
    const plain = createSlackTransport({ webhookUrl: async () => 'http://hooks.slack.example/services/T0/B0/SECRETdef', fetchImpl });
    const insecure = await rejection(plain.send(alertFixture()));
    expect(insecure.message).toMatch(/must use https/);
    expect(insecure.message).not.toContain('SECRETdef');
    expect(fetchImpl).not.toHaveBeenCalled();
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['3', 3000],
    [' 10 ', 10_000],
    ['0', 0],
    [null, 1000],
    ['soon', 1000],
    ['-5', 1000],
  ])('%j -> %i ms', (header, ms) => {
    expect(retryAfterMs(header)).toBe(ms);
  });
});
