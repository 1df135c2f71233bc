/**
 * One incident per burst, however long it lasts: a burst that goes on past its incident rolls into
 * follow-ups, never into per-call alerts, and what the alert and its follow-ups report adds up to the
 * distinct calls. Delivered in order through the handler, with the scheduled flush running every
 * 5 minutes of (event) time as it does deployed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { flushDue } from '../../lib/incidents/followups.js';
import { handleEvent } from '../../lib/handlers/detect.js';
import { BUCKET_MS } from '../../lib/incidents/items.js';
import { createDynamoDbStore } from '../../lib/state/dynamodb-store.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import type { PutResult, StateStore } from '../../lib/state/store.js';
import { rules } from '../../rules/index.js';
import { deleteObjectsAt, FlakyTransport, LATENESS, makeDetector, MIN, RecordingMetrics, silentLog, type Clock } from './delivery-harness.js';
import { startDynalite, type DynaliteHarness } from './dynalite-harness.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const HOUR = 60 * MIN;

let dynalite: DynaliteHarness | undefined;
const stores: Array<{ name: string; make: (clock: Clock) => Promise<StateStore> }> = [
  { name: 'embedded store', make: async (clock) => createEmbeddedStore({ now: () => clock.now }) },
  {
    name: 'DynamoDB store on dynalite',
    make: async (clock) => {
      dynalite ??= await startDynalite();
      return createDynamoDbStore({ tableName: await dynalite.createTable(), client: dynalite.client, now: () => clock.now });
    },
  },
];
afterAll(async () => {
  await dynalite?.stop();
});

/** Calls `everyMs` apart for `durationMs`, each delivered `delayMs` after it was made. */
async function sustained(store: StateStore, clock: Clock, calls: number, everyMs: number, delayMs: number) {
  const transport = new FlakyTransport();
  const metrics = new RecordingMetrics();
  const detector = makeDetector(store, clock);
  const followUps: Alert[] = [];
  let lastFlush = T0;
  const flush = async (now: number) => {
    await flushDue({ store, rules, now, allowedLatenessMs: LATENESS, send: async (a) => void followUps.push(a) });
    lastFlush = now;
  };
  for (let i = 0; i < calls; i++) {
    const eventMs = T0 + i * everyMs;
    clock.now = eventMs + delayMs;
    if (clock.now - lastFlush >= BUCKET_MS) await flush(clock.now);
    await handleEvent(deleteObjectsAt(eventMs, 10_000 + i, 'data-lake'), { detector, transport, log: silentLog, metrics });
  }
  await flush(clock.now + 3 * HOUR);
  return { alerts: transport.delivered, followUps, metrics: metrics.counts };
}

describe.each(stores)('a sustained burst on the $name', ({ make }) => {
  it('720 DeleteObjects, one every 10 s for 2 hours: one alert per incident period, and alert plus follow-ups count 720', async () => {
    const clock: Clock = { now: T0 };
    const { alerts, followUps, metrics } = await sustained(await make(clock), clock, 720, 10_000, 5 * MIN);
    // s3-mass-delete: 20 calls in 10 min, incidents of 10 + 60 min: at most one alert per 70 minutes.
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect(alerts.length).toBeLessThanOrEqual(Math.ceil((2 * HOUR) / (70 * MIN)));
    expect(alerts.every((a) => a.kind === 'threshold' && a.ruleId === 's3-mass-delete')).toBe(true);
    expect(followUps.every((a) => a.kind === 'summary')).toBe(true);
    const reported = [...alerts, ...followUps].reduce((n, a) => n + (a.count ?? 0), 0);
    expect(reported).toBe(720);
    expect(metrics['ContendedAlerts'] ?? 0).toBe(0);
    // Every follow-up lists calls of its own span, never calls the alert or another follow-up listed.
    const listed = [...alerts, ...followUps].flatMap((a) => a.eventIds);
    expect(new Set(listed).size).toBe(listed.length);
  });
});

describe('a sustained burst at one call a second (embedded store)', () => {
  it('7,200 calls over 2 hours: at most one alert per incident period, counts add up to 7,200', async () => {
    const clock: Clock = { now: T0 };
    const { alerts, followUps } = await sustained(createEmbeddedStore({ now: () => clock.now }), clock, 7_200, 1_000, 2 * MIN);
    expect(alerts.length).toBeLessThanOrEqual(2);
    expect([...alerts, ...followUps].reduce((n, a) => n + (a.count ?? 0), 0)).toBe(7_200);
  });
});

describe('contention', () => {
  it('alerts on its own after a bounded number of rounds when every incident it opens is taken first, and counts it', async () => {
    const clock: Clock = { now: T0 + 5 * MIN };
    const inner = createEmbeddedStore({ now: () => clock.now });
    let incidentPuts = 0;
    // Another writer always wins the incident first and is never seen: the worst case of contention.
    const contended: StateStore = {
      put: async (item, condition): Promise<PutResult> => {
        if (!item.pk.startsWith('inc#')) return inner.put(item, condition);
        incidentPuts += 1;
        return { written: false };
      },
      update: (key, ops, condition) => inner.update(key, ops, condition),
      get: (key) => inner.get(key),
      query: (pk, range) => inner.query(pk, range),
      delete: (key) => inner.delete(key),
      flush: () => inner.flush(),
    };
    const transport = new FlakyTransport();
    const metrics = new RecordingMetrics();
    const detector = makeDetector(contended, clock, { 's3-mass-delete': { threshold: { count: 1, windowMinutes: 10 } } });
    const summary = await handleEvent(deleteObjectsAt(T0, 1), { detector, transport, log: silentLog, metrics });
    expect(summary.sent).toHaveLength(1);
    expect(transport.delivered.map((a) => a.ruleId)).toEqual(['s3-mass-delete']);
    expect(metrics.counts['ContendedAlerts']).toBe(1);
    expect(incidentPuts).toBe(4);
    // Its redelivery is a duplicate: the standalone alert was recorded and confirmed like any other.
    const again = await handleEvent(deleteObjectsAt(T0, 1), { detector, transport, log: silentLog, metrics });
    expect(again.duplicates).toEqual(['s3-mass-delete']);
    expect(transport.delivered).toHaveLength(1);
  });
});
