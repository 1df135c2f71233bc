import type { Alert } from '../alert/alert.js';
import { slackMessage } from '../alert/slack-blocks.js';
import { oneLine } from '../untrusted/text.js';
import { DeliveryError, type Transport } from './transport.js';

export interface SlackTransportOptions {
  /** The webhook URL is a secret (anyone holding it can post): fetched when needed, never logged. */
  webhookUrl: () => Promise<string>;
  fetchImpl?: typeof fetch;
  /** Requests per alert, first one included (429, 5xx, timeouts and network errors are retried). */
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Per request, body included. */
  timeoutMs?: number;
  /** Longest Retry-After we wait for in the function; longer, we throw and let Lambda retry later. */
  maxRetryAfterMs?: number;
  /** First 5xx/timeout backoff; doubles per attempt. */
  backoffMs?: number;
}

const DEFAULTS = { maxAttempts: 4, timeoutMs: 5_000, maxRetryAfterMs: 30_000, backoffMs: 1_000 };
/** Slack says why in a short body (`channel_not_found`); more is noise, and never worth a big log line. */
const BODY_MAX = 200;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What one request taught us: done, retry after a pause, or give up with a reason. */
type Outcome = { kind: 'sent' } | { kind: 'retry'; waitMs: number; reason: string } | { kind: 'fail'; reason: string };

/**
 * Retry-After in seconds (Slack sends integers). Missing or unreadable: one second, Slack's pace.
 * An HTTP-date form is treated the same way; Slack does not send it.
 */
export function retryAfterMs(header: string | null): number {
  const seconds = header === null ? Number.NaN : Number(header.trim());
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000;
}

/** Removes the webhook URL, and its path (the secret part), from any text we may surface. */
export function redact(text: string, url: string): string {
  const secrets = new Set([url, url.trim()]);
  try {
    const parsed = new URL(url.trim());
    secrets.add(parsed.href);
    if (parsed.pathname.length > 1) secrets.add(parsed.pathname);
    // The token alone (the last segment), as a page or proxy might quote it without the rest.
    const token = parsed.pathname.split('/').filter(Boolean).at(-1);
    if (token && token.length >= 8) secrets.add(token);
  } catch {
    // Not a URL: the whole string is all we can look for.
  }
  // Percent-encoded and JSON-escaped copies too (an error page may quote the URL either way).
  for (const secret of [...secrets]) {
    secrets.add(encodeURIComponent(secret));
    secrets.add(secret.replaceAll('/', '\\/'));
  }
  let out = text;
  // Longest first, so the URL goes as a whole before its path or token is looked for.
  for (const secret of [...secrets].filter(Boolean).sort((a, b) => b.length - a.length)) out = out.split(secret).join('[webhook]');
  return out;
}

/**
 * What to do with Slack's answer. 429: wait as told (if not too long). 5xx: back off. 400 (invalid
 * payload/blocks), 403, 404 channel_not_found, 410 channel_is_archived and other 4xx will fail the
 * same way again: no retry, throw at once so the alert goes to the dead-letter queue and the alarm.
 */
export function classify(status: number, body: string, retryAfter: string | null, attempt: number, opts: { backoffMs: number; maxRetryAfterMs: number }): Outcome {
  const said = cut(body);
  if (status >= 200 && status < 300) return { kind: 'sent' };
  if (status === 429) {
    const waitMs = retryAfterMs(retryAfter);
    if (waitMs > opts.maxRetryAfterMs) return { kind: 'fail', reason: `HTTP 429, rate limited for ${waitMs / 1000} s (more than we wait in one invocation): ${said}` };
    return { kind: 'retry', waitMs, reason: `HTTP 429: ${said}` };
  }
  if (status >= 500) return { kind: 'retry', waitMs: backoff(attempt, opts.backoffMs), reason: `HTTP ${status}: ${said}` };
  return { kind: 'fail', reason: `HTTP ${status}: ${said}` };
}

const backoff = (attempt: number, base: number): number => base * 2 ** (attempt - 1);

/**
 * Slack's answer, or an error, shortened for a log line. Callers redact BEFORE this cut: cutting first
 * could keep the start of the URL or token while dropping the rest, and the redaction would no longer
 * recognise (nor remove) what was left.
 */
const cut = (text: string): string => oneLine(text, BODY_MAX) || '(empty body)';

/** Only https leaves the machine: a webhook over plain http would put the secret on the wire. */
function checkedUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new DeliveryError('Slack webhook URL is not a valid URL (value not shown: it is a secret)');
  }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new DeliveryError('Slack webhook URL must use https (value not shown: it is a secret)');
  }
  return url.toString();
}

/**
 * Posts alerts to a Slack incoming webhook. Retries within the invocation what a retry can fix
 * (bounded), and throws DeliveryError otherwise, so Lambda's own retries and then the dead-letter
 * queue keep the alert. No error message or cause carries the webhook URL.
 */
export function createSlackTransport(options: SlackTransportOptions): Transport {
  const given = { ...DEFAULTS, ...withoutUndefined(options) };
  const opts = { ...given, maxAttempts: Math.max(1, Math.floor(given.maxAttempts)) };
  const doFetch = options.fetchImpl ?? fetch;
  const sleep = options.sleep ?? defaultSleep;

  async function attempt(url: string, body: string, n: number): Promise<Outcome> {
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body,
        // hooks.slack.com answers directly; a redirect means something in between we did not choose.
        redirect: 'error',
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      const text = await response.text();
      return classify(response.status, redact(text, url), response.headers.get('retry-after'), n, opts);
    } catch (error) {
      // Timeouts and network errors: Slack may or may not have posted it. A duplicate in the channel
      // beats a lost alert. The message may quote the URL (undici does on some errors): redacted.
      const name = error instanceof Error ? error.name : 'Error';
      const what = name === 'TimeoutError' ? `timed out after ${opts.timeoutMs} ms` : `${name}: ${error instanceof Error ? error.message : String(error)}`;
      return { kind: 'retry', waitMs: backoff(n, opts.backoffMs), reason: cut(redact(what, url)) };
    }
  }

  return {
    name: 'slack',
    async send(alert: Alert) {
      let raw: string;
      try {
        raw = await options.webhookUrl();
      } catch (error) {
        throw new DeliveryError(`Slack webhook URL could not be read for alert ${alert.id}: ${(error as Error)?.message ?? String(error)}`);
      }
      const url = checkedUrl(raw);
      // No unfurling: Slack fetching a URL an attacker put in an event would tell them they were seen.
      const body = JSON.stringify({ ...slackMessage(alert), unfurl_links: false, unfurl_media: false });
      let last = '';
      for (let n = 1; n <= opts.maxAttempts; n += 1) {
        const outcome = await attempt(url, body, n);
        if (outcome.kind === 'sent') return;
        last = outcome.reason;
        if (outcome.kind === 'fail') throw new DeliveryError(`Slack rejected alert ${alert.id}: ${last}`);
        if (n < opts.maxAttempts) await sleep(outcome.waitMs);
      }
      throw new DeliveryError(`Slack webhook failed for alert ${alert.id} after ${opts.maxAttempts} attempts: ${last}`);
    },
  };
}

/** exactOptionalPropertyTypes: an explicit `undefined` option must not erase a default. */
function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
