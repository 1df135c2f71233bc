import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { createDetector, type Detector } from '../../lib/handlers/pipeline.js';
import { flushDue } from '../../lib/incidents/followups.js';
import { createIncidentPolicy, windowContaining } from '../../lib/incidents/policy.js';
import type { RuleTuning } from '../../lib/detection/rule.js';
import { createDynamoDbStore } from '../../lib/state/dynamodb-store.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import type { StateStore } from '../../lib/state/store.js';
import { rules } from '../../rules/index.js';
import { loadSample } from '../support/rule-cases.js';
import { startDynalite, type DynaliteHarness } from '../state/dynalite-harness.js';

const MIN = 60_000;
const LATENESS = 30 * MIN;
const T0 = Date.parse('2026-11-20T10:02:00Z');

/** A real-shaped S3 DeleteObjects data event at a given event time. */
function deleteObjects(eventMs: number, n: number, over: { bucket?: string; role?: string } = {}): TrailEvent {
  const record = structuredClone(loadSample('derived/s3-data-events.json')[0]) as Record<string, unknown> & {
    requestParameters: Record<string, string>;
    userIdentity: { arn: string; sessionContext: { sessionIssuer: { userName: string } } };
  };
  record.eventTime = new Date(eventMs).toISOString().replace('.000Z', 'Z');
  record.eventID = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  if (over.bucket) record.requestParameters.bucketName = over.bucket;
  if (over.role) record.userIdentity.sessionContext.sessionIssuer.userName = over.role;
  const event = asEnvelope(record);
  if (!event) throw new Error('fixture did not wrap');
  return event;
}

function shuffle<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

interface Clock {
  now: number;
}
/** One clock for stores and detectors, as in Lambda (wall time) and replay (event time). */
const clock: Clock = { now: T0 };

/** One detector per simulated Lambda container, all sharing one store (one table). */
function containers(store: () => StateStore, n: number, overrides?: Record<string, RuleTuning>): Detector[] {
  return Array.from({ length: n }, () =>
    createDetector({
      rules,
      clock: () => clock.now,
      allowedLatenessMs: LATENESS,
      policy: createIncidentPolicy({ store: store(), allowedLatenessMs: LATENESS, ...(overrides ? { overrides } : {}) }),
    }),
  );
}

/** Delivers events through `workers` concurrent invocations pulling from one queue. */
async function deliver(detectors: Detector[], events: unknown[]): Promise<Alert[]> {
  const queue = [...events];
  const alerts: Alert[] = [];
  await Promise.all(
    detectors.map(async (detector) => {
      for (let e = queue.shift(); e !== undefined; e = queue.shift()) {
        const result = await detector.process(e);
        alerts.push(...result.alerts);
      }
    }),
  );
  return alerts;
}

type StoreFactory = { name: string; setup(): Promise<() => StateStore>; teardown(): Promise<void> };

let dynalite: DynaliteHarness | undefined;
const factories: StoreFactory[] = [
  {
    name: 'embedded store',
    async setup() {
      const shared = createEmbeddedStore({ now: () => clock.now });
      return () => shared;
    },
    async teardown() {},
  },
  {
    name: 'DynamoDB store on dynalite',
    async setup() {
      dynalite ??= await startDynalite();
      const table = await dynalite.createTable();
      const client = dynalite.client;
      // A store (client) per container, as in Lambda; one table.
      return () => createDynamoDbStore({ tableName: table, client, now: () => clock.now });
    },
    async teardown() {},
  },
];

afterAll(async () => {
  await dynalite?.stop();
});

describe('windowContaining', () => {
  it.each([
    { times: [0, 1, 2, 3, 4], t: 4, count: 5, w: 4, hit: true },
    { times: [0, 1, 2, 3, 5], t: 5, count: 5, w: 4, hit: false },
    { times: [0, 10, 20, 30, 40], t: 20, count: 3, w: 20, hit: true },
    { times: [0, 10, 20, 30, 40], t: 40, count: 3, w: 19, hit: false },
  ])('$times, t=$t, $count in $w -> $hit', ({ times, t, count, w, hit }) => {
    expect(windowContaining(times, t, count, w) !== undefined).toBe(hit);
  });
});

describe.each(factories)('latency-aware state on the $name', (factory) => {
  let makeStore: () => StateStore;
  beforeAll(async () => {
    makeStore = await factory.setup();
  });
  afterAll(() => factory.teardown());

  it('fires one alert for 200 events of a burst delivered by 20 concurrent invocations in shuffled order, and accounts for every event', async () => {
    makeStore = await factory.setup();
    clock.now = T0 + 6 * MIN;
    const detectors = containers(makeStore, 20);
    const burst = Array.from({ length: 200 }, (_, i) => deleteObjects(T0 + i * 1000, i));
    const alerts = await deliver(detectors, shuffle(burst));

    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({ ruleId: 's3-mass-delete', kind: 'threshold', group: { bucket: 'logs-prod', principal: 'role/ci-deployer' } });
    expect(alert?.count).toBeGreaterThanOrEqual(20);
    expect(alert?.eventIds).toHaveLength(alert?.count ?? -1);

    // The follow-up, once the incident closed and late events had their chance, accounts for the rest.
    const sent: Alert[] = [];
    clock.now = T0 + 3 * 3_600_000;
    await flushDue({ store: makeStore(), rules, now: clock.now, allowedLatenessMs: LATENESS, send: async (a) => void sent.push(a) });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.kind).toBe('summary');
    expect((alert?.count ?? 0) + (sent[0]?.count ?? 0)).toBe(200);
    expect(sent[0]?.summary).toMatch(/^\d+ more DeleteObjects by role\/ci-deployer on bucket logs-prod between 10:0\d and 10:05 UTC/);
  });

  // Concurrent copies of one event: test/state/exactly-once.test.ts (through the handler, with retries).
  it('alerts once when the same event is delivered 5 times, and drops the redeliveries once it was sent', async () => {
    makeStore = await factory.setup();
    clock.now = T0 + 5 * MIN;
    const detectors = containers(makeStore, 5);
    const stopLogging = asEnvelope(loadSample('aws.defense-evasion.cloudtrail-stop.json')[0]);
    const results = [];
    for (const d of detectors) {
      const result = await d.process(structuredClone(stopLogging));
      for (const receipt of result.receipts) if (receipt) await d.confirm(receipt);
      results.push(result);
    }
    expect(results.flatMap((r) => r.alerts)).toHaveLength(1);
    expect(results.flatMap((r) => r.duplicates)).toEqual(['cloudtrail-tampering', 'cloudtrail-tampering', 'cloudtrail-tampering', 'cloudtrail-tampering']);
    // And a threshold rule counts a redelivered event once: 19 distinct + 19 redeliveries stay below 20.
    const nineteen = Array.from({ length: 19 }, (_, i) => deleteObjects(T0 + i * 1000, 100 + i, { bucket: 'b2' }));
    const twice = await deliver(detectors.slice(0, 1), shuffle([...nineteen, ...nineteen.map((e) => structuredClone(e))]));
    expect(twice).toEqual([]);
  });

  it('fires once for a burst whose events arrive over 20 minutes out of order, and says how late', async () => {
    makeStore = await factory.setup();
    clock.now = T0;
    const [detector] = containers(makeStore, 1);
    const burst = shuffle(Array.from({ length: 30 }, (_, i) => deleteObjects(T0 + i * 10_000, 200 + i, { bucket: 'b3' })), 3);
    const alerts: Alert[] = [];
    for (const [i, event] of burst.entries()) {
      clock.now = T0 + 5 * MIN + Math.round((i * 20 * MIN) / burst.length); // arrivals spread over 20 min
      const result = await detector!.process(event);
      alerts.push(...result.alerts);
    }
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.kind).toBe('threshold');
    expect(alerts[0]?.delayMs).toBeGreaterThan(5 * MIN);
  });

  it('never fires for events spread thinner than the window', async () => {
    makeStore = await factory.setup();
    clock.now = T0 + 60 * MIN;
    const detectors = containers(makeStore, 4);
    // 60 calls, 40 s apart: 15 per 10-minute window, under the 20 threshold.
    const thin = Array.from({ length: 60 }, (_, i) => deleteObjects(T0 + i * 40_000, 300 + i, { bucket: 'b4' }));
    expect(await deliver(detectors, shuffle(thin))).toEqual([]);
  });

  it('judges a burst straddling a clock boundary by event time (sliding window)', async () => {
    makeStore = await factory.setup();
    clock.now = Date.parse('2026-11-20T10:20:00Z');
    const detectors = containers(makeStore, 3);
    // 20 calls from 10:05:30 to 10:14:59: no tumbling 10-minute bucket holds them all, a sliding window does.
    const start = Date.parse('2026-11-20T10:05:30Z');
    const straddling = Array.from({ length: 20 }, (_, i) => deleteObjects(start + i * 29_900, 400 + i, { bucket: 'b5' }));
    expect(await deliver(detectors, shuffle(straddling))).toHaveLength(1);
  });

  it('judges by event time, not arrival: 20 calls spread over 40 minutes but delivered together do not fire', async () => {
    makeStore = await factory.setup();
    clock.now = T0 + 45 * MIN;
    const detectors = containers(makeStore, 4);
    const spread = Array.from({ length: 20 }, (_, i) => deleteObjects(T0 + i * 2 * MIN, 500 + i, { bucket: 'b6' }));
    expect(await deliver(detectors, shuffle(spread))).toEqual([]);
  });

  it('groups repeated matches of a stateless rule into one alert and one follow-up', async () => {
    makeStore = await factory.setup();
    clock.now = T0 + 5 * MIN;
    const [detector] = containers(makeStore, 1);
    const base = loadSample('aws.defense-evasion.cloudtrail-stop.json')[0] as Record<string, unknown>;
    const alerts: Alert[] = [];
    for (let i = 0; i < 6; i++) {
      const record = { ...structuredClone(base), eventID: `11111111-0000-4000-8000-00000000000${i}`, eventTime: new Date(T0 + i * MIN).toISOString() };
      alerts.push(...(await detector!.process(asEnvelope(record))).alerts);
    }
    expect(alerts).toHaveLength(1);
    const sent: Alert[] = [];
    clock.now = T0 + 3 * 3_600_000;
    await flushDue({ store: makeStore(), rules, now: clock.now, allowedLatenessMs: LATENESS, send: async (a) => void sent.push(a) });
    expect(sent.map((a) => a.count)).toEqual([5]);
  });

  it('sends no follow-up when nothing was grouped', async () => {
    makeStore = await factory.setup();
    clock.now = T0 + 5 * MIN;
    const [detector] = containers(makeStore, 1);
    const result = await detector!.process(asEnvelope(loadSample('aws.defense-evasion.cloudtrail-delete.json')[0]));
    expect(result.alerts).toHaveLength(1);
    const sent: Alert[] = [];
    clock.now = T0 + 3 * 3_600_000;
    await flushDue({ store: makeStore(), rules, now: clock.now, allowedLatenessMs: LATENESS, send: async (a) => void sent.push(a) });
    expect(sent).toEqual([]);
  });

  it('still alerts on an event later than the allowed lateness, marked late, but keeps it out of burst windows', async () => {
    makeStore = await factory.setup();
    clock.now = T0 + 2 * 3_600_000;
    const [detector] = containers(makeStore, 1);
    const stop = await detector!.process(asEnvelope({ ...(loadSample('aws.defense-evasion.cloudtrail-stop.json')[0] as object), eventTime: new Date(T0).toISOString() }));
    expect(stop.late).toBe(true);
    expect(stop.alerts[0]?.late).toBe(true);
    const lateBurst = Array.from({ length: 25 }, (_, i) => deleteObjects(T0 + i * 1000, 600 + i, { bucket: 'b7' }));
    expect(await deliver([detector!], lateBurst)).toEqual([]);
  });

  it.each([
    ['1,100 ASCII characters', `${'e'.repeat(1_099)}1`],
    ['4,096 four-byte characters', '\u{1F600}'.repeat(2_048)],
  ])('keeps keys within DynamoDB limits for an event id of %s: alerts once, counts a burst of such ids', async (_name, longId) => {
    makeStore = await factory.setup();
    clock.now = T0 + 5 * MIN;
    const [detector] = containers(makeStore, 1, { 's3-mass-delete': { threshold: { count: 3, windowMinutes: 10 } } });
    const base = loadSample('aws.defense-evasion.cloudtrail-stop.json')[0] as Record<string, unknown>;
    const stop = asEnvelope({ ...structuredClone(base), eventID: longId, eventTime: new Date(T0).toISOString() });
    const first = await detector!.process(stop);
    expect(first.alerts).toHaveLength(1);
    for (const receipt of first.receipts) if (receipt) await detector!.confirm(receipt);
    expect((await detector!.process(structuredClone(stop))).duplicates).toEqual(['cloudtrail-tampering']);
    const ids = [0, 1, 2].map((i) => `${longId.slice(0, -1)}${i}`);
    const burst = ids.map((id, i) => {
      const event = deleteObjects(T0 + i * 1000, 0, { bucket: 'b-long' });
      event.detail.eventID = id;
      return event;
    });
    expect((await deliver([detector!], burst)).map((a) => a.count)).toEqual([3]);
  });

  it('honours deploy-time tuning of a threshold', async () => {
    makeStore = await factory.setup();
    clock.now = T0 + 5 * MIN;
    const detectors = containers(makeStore, 2, { 's3-mass-delete': { threshold: { count: 3, windowMinutes: 1 } } });
    const three = Array.from({ length: 3 }, (_, i) => deleteObjects(T0 + i * 1000, 700 + i, { bucket: 'b8' }));
    expect(await deliver(detectors, three)).toHaveLength(1);
  });
});
