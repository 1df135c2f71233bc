import type { CloudTrailClient, LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import type { SourceItem } from './sources/parse.js';

/**
 * CloudTrail Event history as a replay source: the 90 days of management events every account keeps
 * for free, read with `LookupEvents`. No trail and no bucket are needed, so it is the first place a
 * new user can backtest a rule. What it lacks: data events (S3 object deletes), Insight events, and
 * anything older than 90 days.
 *
 * LookupEvents returns newest first, while the detector wants event-time order. Reading everything and
 * reversing would hold the whole history in memory, so history is walked forward in slices: each slice
 * is read whole (all pages, all regions), put in time order and handed on. Memory is one slice's events.
 */

/** The API allows 2 LookupEvents requests per second per account per region. */
export const LOOKUP_REQUESTS_PER_SECOND = 2;
const DEFAULT_SLICE_MS = 15 * 60_000;
/** The largest page the API serves. */
const PAGE_SIZE = 50;

export interface LookupProgress {
  region: string;
  requests: number;
  events: number;
  /** Start of the slice being read. */
  sliceStart: Date;
}

export interface LookupOptions {
  since: Date;
  until: Date;
  /** One client per region to read, keyed by region name. */
  clients: ReadonlyMap<string, Pick<CloudTrailClient, 'send'>>;
  sliceMs?: number;
  onProgress?: (progress: LookupProgress) => void;
  /** For tests: the clock and the wait used to stay under the request rate. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Spaces request starts per region so that no second holds more than the API allows. */
export function createPacer(perSecond: number, now: () => number, sleep: (ms: number) => Promise<void>) {
  const gap = 1000 / perSecond;
  const last = new Map<string, number>();
  return async (key: string): Promise<void> => {
    const previous = last.get(key);
    if (previous !== undefined) {
      const wait = previous + gap - now();
      if (wait > 0) await sleep(wait);
    }
    last.set(key, now());
  };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function recordOf(text: string | undefined): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Left as text: the replay counts it as malformed, with its origin, instead of stopping.
    return text;
  }
}

function timeOf(value: unknown): number {
  const t = (value as { eventTime?: unknown } | null)?.eventTime;
  const ms = typeof t === 'string' ? Date.parse(t) : Number.NaN;
  return Number.isFinite(ms) ? ms : Number.NEGATIVE_INFINITY;
}

/** Management events from Event history, in event-time order, one batch per slice of history. */
export async function* readLookupBatches(opts: LookupOptions): AsyncGenerator<SourceItem[]> {
  const { LookupEventsCommand } = await import('@aws-sdk/client-cloudtrail');
  const now = opts.now ?? Date.now;
  const pace = createPacer(LOOKUP_REQUESTS_PER_SECOND, now, opts.sleep ?? realSleep);
  const sliceMs = opts.sliceMs ?? DEFAULT_SLICE_MS;
  const end = opts.until.getTime();
  const counters = new Map<string, { requests: number; events: number }>();

  for (let start = opts.since.getTime(); start < end; start += sliceMs) {
    const stop = Math.min(start + sliceMs, end);
    const items: Array<{ ms: number; item: SourceItem }> = [];
    for (const [region, client] of opts.clients) {
      const count = counters.get(region) ?? { requests: 0, events: 0 };
      counters.set(region, count);
      let token: string | undefined;
      do {
        await pace(region);
        // The SDK retries throttling with backoff (the CLI's clients allow several attempts).
        const page: LookupEventsCommandOutput = await client.send(
          new LookupEventsCommand({ StartTime: new Date(start), EndTime: new Date(stop), MaxResults: PAGE_SIZE, ...(token ? { NextToken: token } : {}) }),
        );
        count.requests += 1;
        for (const e of page.Events ?? []) {
          const value = recordOf(e.CloudTrailEvent);
          const ms = timeOf(value);
          // EndTime is inclusive: an event on the boundary belongs to the next slice, never to both.
          if (ms >= stop || (ms < start && ms !== Number.NEGATIVE_INFINITY)) continue;
          items.push({ ms, item: { kind: 'event', value, origin: { path: `lookup:${region}`, index: count.events } } });
          count.events += 1;
        }
        token = page.NextToken;
        opts.onProgress?.({ region, ...count, sliceStart: new Date(start) });
      } while (token);
    }
    items.sort((a, b) => a.ms - b.ms);
    if (items.length) yield items.map((x) => x.item);
  }
}
