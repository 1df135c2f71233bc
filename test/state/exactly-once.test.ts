/**
 * Exactly-once delivery under failure (lib/incidents/policy.ts explains why it holds). For every step of the
 * failure-free run, on both stores, the step fails once (refused, applied with its response lost, or
 * the store down for the rest of the attempt); Lambda's retries then deliver the event again. Each run
 * must deliver exactly the failure-free alerts and follow-ups; the only allowed extra is the one the
 * design admits: an alert sent again because marking it sent failed after the transport accepted it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import type { RuleTuning } from '../../lib/detection/rule.js';
import { createDynamoDbStore } from '../../lib/state/dynamodb-store.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import type { StateStore } from '../../lib/state/store.js';
import {
  deleteObjectsAt,
  deliverWithRetries,
  describeStep,
  FlakyStore,
  FlakyTransport,
  followUps,
  makeDetector,
  MIN,
  RecordingMetrics,
  secretReadAt,
  sampleAt,
  RETRY_DELAY_MS,
  attemptOnce,
  type Clock,
  type FailureMode,
} from './delivery-harness.js';
import type { Detector } from '../../lib/handlers/pipeline.js';
import type { HandleSummary } from '../../lib/handlers/detect.js';
import { startDynalite, type DynaliteHarness } from './dynalite-harness.js';

const T0 = Date.parse('2026-11-20T10:02:00Z');
const STOP = 'aws.defense-evasion.cloudtrail-stop.json';

interface Scenario {
  name: string;
  overrides?: Record<string, RuleTuning>;
  events: TrailEvent[];
  /** The failure-free outcome, checked so the comparison below compares against something right. */
  expected: { alerts: string[]; followUps: string[] };
}

const burst = Array.from({ length: 5 }, (_, i) => deleteObjectsAt(T0 + i * 1000, 900 + i));
const secret = (s: number, n: number, id: string) => secretReadAt(T0 + s * 1000, n, id);
const harvest = [secret(0, 1100, 'a'), secret(1, 1101, 'a'), secret(2, 1102, 'b'), secret(3, 1103, 'a'), secret(4, 1104, 'c'), secret(5, 1105, 'b'), secret(6, 1106, 'd')];
const scenarios: Scenario[] = [
  {
    name: 'single-event rule: first match alerts, a second one is grouped, another trail alerts on its own',
    events: [
      sampleAt(STOP, T0, 'aaaaaaaa-0000-4000-8000-000000000001'),
      sampleAt(STOP, T0 + MIN, 'aaaaaaaa-0000-4000-8000-000000000002'),
      sampleAt(STOP, T0 + 2 * MIN, 'aaaaaaaa-0000-4000-8000-000000000003', { requestParameters: { name: 'other-trail' } }),
    ],
    expected: {
      alerts: ['cloudtrail-tampering:match:aaaaaaaa-0000-4000-8000-000000000001 n=', 'cloudtrail-tampering:match:aaaaaaaa-0000-4000-8000-000000000003 n='],
      followUps: ['cloudtrail-tampering:summary:aaaaaaaa-0000-4000-8000-000000000001 n=1'],
    },
  },
  {
    name: 'burst rule (3 in 10 min): the third call alerts with the count, later calls go to the follow-up, a redelivery is dropped',
    overrides: { 's3-mass-delete': { threshold: { count: 3, windowMinutes: 10 } } },
    events: [...burst, burst[2] as TrailEvent],
    expected: {
      alerts: ['s3-mass-delete:threshold:00000000-0000-4000-8000-000000000902 n=3'],
      followUps: ['s3-mass-delete:summary:00000000-0000-4000-8000-000000000902 n=2'],
    },
  },
  {
    name: 'a burst that outlasts its incident rolls into a follow-up, never into per-call alerts',
    overrides: { 's3-mass-delete': { threshold: { count: 3, windowMinutes: 1 }, dedupeMinutes: 1 } },
    // One call every 20 s for 140 s; the incident spans [-60 s, 120 s), the call after it rolls on.
    events: Array.from({ length: 8 }, (_, i) => deleteObjectsAt(T0 + i * 20_000, 950 + i, 'b-roll')),
    expected: {
      alerts: ['s3-mass-delete:threshold:00000000-0000-4000-8000-000000000952 n=3'],
      followUps: ['s3-mass-delete:summary:00000000-0000-4000-8000-000000000952 n=3', 's3-mass-delete:summary:00000000-0000-4000-8000-000000000956 n=2'],
    },
  },
  {
    name: 'distinct values (3 secrets in 10 min): re-reads are repeats, the third secret alerts, a fourth goes to the follow-up, redeliveries are dropped',
    overrides: { 'secretsmanager-secret-bulk-read': { threshold: { count: 3, windowMinutes: 10 } } },
    // a, a again, b, a again, c (the third secret: alerts), b again, d (counted), then a fresh read and a repeat redelivered.
    events: [...harvest, harvest[2] as TrailEvent, harvest[3] as TrailEvent],
    expected: {
      alerts: ['secretsmanager-secret-bulk-read:threshold:00000000-0000-4000-8000-000000001104 n=3'],
      followUps: ['secretsmanager-secret-bulk-read:summary:00000000-0000-4000-8000-000000001104 n=1'],
    },
  },
];

const alertKey = (a: Alert): string => `${a.id} n=${a.count ?? ''}`;
const sorted = (xs: string[]): string[] => [...xs].sort();

type StoreFactory = (clock: Clock) => Promise<StateStore>;
let dynalite: DynaliteHarness | undefined;
const stores: Array<{ name: string; make: StoreFactory }> = [
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

interface Outcome {
  delivered: string[];
  followUps: string[];
  steps: string[];
  unfinished: number;
}

async function run(make: StoreFactory, scenario: Scenario, inject: { storeStep?: number; mode?: FailureMode; publish?: number } = {}): Promise<Outcome> {
  const clock: Clock = { now: T0 + 5 * MIN };
  const store = new FlakyStore(await make(clock));
  const transport = new FlakyTransport();
  store.failAt = inject.storeStep;
  store.mode = inject.mode ?? 'refused';
  transport.failAt = inject.publish;
  const detector = makeDetector(store, clock, scenario.overrides);
  let unfinished = 0;
  for (const event of scenario.events) {
    const { summary } = await deliverWithRetries(event, { detector, transport, store }, clock);
    if (!summary) unfinished += 1;
  }
  const steps = store.steps.map(describeStep);
  store.failAt = undefined;
  return { delivered: transport.delivered.map(alertKey), followUps: (await followUps(store, clock)).map(alertKey), steps, unfinished };
}

describe.each(stores)('exactly-once delivery on the $name', ({ make }) => {
  describe.each(scenarios)('$name', (scenario) => {
    let baseline: Outcome;
    beforeAll(async () => {
      baseline = await run(make, scenario);
    });

    it('delivers the expected alerts and follow-ups without failures', () => {
      expect(sorted(baseline.delivered)).toEqual(sorted(scenario.expected.alerts));
      expect(sorted(baseline.followUps)).toEqual(sorted(scenario.expected.followUps));
      expect(baseline.unfinished).toBe(0);
    });

    it.each<FailureMode>(['refused', 'lost', 'outage'])('a %s store request at each step, retried, delivers exactly the same', async (mode) => {
      const mismatches: string[] = [];
      for (let step = 0; step < baseline.steps.length; step++) {
        const outcome = await run(make, scenario, { storeStep: step, mode });
        // Marking an accepted alert as sent failed: its retry sends the same alert (same id) again.
        const confirmFailed = baseline.steps[step]?.includes('set d=sent') === true && mode !== 'lost';
        const expectedDelivered = confirmFailed ? baseline.delivered.length + 1 : baseline.delivered.length;
        const ok =
          JSON.stringify(sorted([...new Set(outcome.delivered)])) === JSON.stringify(sorted(baseline.delivered)) &&
          outcome.delivered.length === expectedDelivered &&
          JSON.stringify(sorted(outcome.followUps)) === JSON.stringify(sorted(baseline.followUps)) &&
          outcome.unfinished === 0;
        if (!ok) mismatches.push(`step ${step} (${baseline.steps[step]}): delivered ${JSON.stringify(outcome.delivered)}, follow-ups ${JSON.stringify(outcome.followUps)}, unfinished ${outcome.unfinished}`);
      }
      expect(baseline.steps.length).toBeGreaterThan(5);
      expect(mismatches).toEqual([]);
    });

    it('a refused publish at each alert, retried, delivers exactly the same', async () => {
      for (let publish = 0; publish < baseline.delivered.length; publish++) {
        const outcome = await run(make, scenario, { publish });
        expect(outcome.delivered).toEqual(baseline.delivered);
        expect(sorted(outcome.followUps)).toEqual(sorted(baseline.followUps));
      }
    });
  });

  it('an alert resumed after a failed publish is the alert first decided, the rule text (left out of the claim) restored', async () => {
    const deliver = async (failPublish?: number): Promise<Alert[]> => {
      const clock: Clock = { now: T0 + 5 * MIN };
      const store = new FlakyStore(await make(clock));
      const transport = new FlakyTransport();
      transport.failAt = failPublish;
      await deliverWithRetries(sampleAt(STOP, T0, 'cccccccc-0000-4000-8000-000000000001'), { detector: makeDetector(store, clock), transport, store }, clock);
      return transport.delivered;
    };
    const first = await deliver();
    const resumed = await deliver(0);
    expect(first).toHaveLength(1);
    expect(first[0]?.runbook.length ?? 0).toBeGreaterThan(20);
    expect(resumed).toEqual(first);
  });

  /**
   * Copies of events delivered at once by different containers. First attempts run concurrently; the
   * ones that threw are retried a minute later (Lambda's delay), when the first attempts are over.
   */
  async function deliverConcurrently(copies: Array<{ event: TrailEvent; detector: Detector }>, clock: Clock, transport: FlakyTransport, metrics: RecordingMetrics) {
    let pending = copies;
    const summaries: HandleSummary[] = [];
    let failures = 0;
    for (let attempt = 0; attempt < 3 && pending.length > 0; attempt++) {
      const outcomes = await Promise.all(pending.map((c) => attemptOnce(c.event, { detector: c.detector, transport, metrics })));
      summaries.push(...outcomes.flatMap((o) => (o.summary ? [o.summary] : [])));
      pending = pending.filter((_, i) => outcomes[i]?.error !== undefined);
      failures += pending.length;
      clock.now += RETRY_DELAY_MS;
    }
    return { summaries, failures, unfinished: pending.length };
  }

  it('concurrent duplicate deliveries of one event send one alert; the ones that found it in flight are retried and dropped', async () => {
    const clock: Clock = { now: T0 + 5 * MIN };
    const store = await make(clock);
    const transport = new FlakyTransport();
    const metrics = new RecordingMetrics();
    const event = sampleAt(STOP, T0, 'bbbbbbbb-0000-4000-8000-000000000001');
    const copies = Array.from({ length: 5 }, () => ({ event, detector: makeDetector(store, clock) }));
    const { summaries, failures, unfinished } = await deliverConcurrently(copies, clock, transport, metrics);
    expect(unfinished).toBe(0);
    expect(transport.delivered.map((a) => a.id)).toEqual(['cloudtrail-tampering:match:bbbbbbbb-0000-4000-8000-000000000001']);
    expect(summaries.filter((s) => s.sent.length === 1)).toHaveLength(1);
    // Every other copy saw a final claim (a duplicate), at once or after its retry.
    expect(summaries.filter((s) => s.duplicates.length === 1)).toHaveLength(4);
    expect(metrics.counts['InFlightRetries'] ?? 0).toBe(failures);
  });

  it('concurrent duplicates of a burst: 25 calls each delivered 3 times at once, one alert, every call counted once', async () => {
    const clock: Clock = { now: T0 + 5 * MIN };
    const store = await make(clock);
    const transport = new FlakyTransport();
    const detectors = Array.from({ length: 3 }, () => makeDetector(store, clock));
    const copies = Array.from({ length: 25 }, (_, i) => deleteObjectsAt(T0 + i * 1000, 1000 + i, 'b-dup')).flatMap((event) => detectors.map((detector) => ({ event, detector })));
    const { unfinished } = await deliverConcurrently(copies, clock, transport, new RecordingMetrics());
    expect(unfinished).toBe(0);
    expect(transport.delivered.map((a) => a.kind)).toEqual(['threshold']);
    const sent = await followUps(store, clock);
    expect((transport.delivered[0]?.count ?? 0) + (sent[0]?.count ?? 0)).toBe(25);
  });

  it('concurrent copies of distinct reads in three containers: 6 secrets read twice each, every copy 3 times at once, one alert, each secret counted once', async () => {
    const clock: Clock = { now: T0 + 5 * MIN };
    const store = await make(clock);
    const transport = new FlakyTransport();
    const overrides = { 'secretsmanager-secret-bulk-read': { threshold: { count: 3, windowMinutes: 10 } } };
    const detectors = Array.from({ length: 3 }, () => makeDetector(store, clock, overrides));
    const reads = Array.from({ length: 12 }, (_, i) => secretReadAt(T0 + i * 1000, 1200 + i, `s${i % 6}`));
    const { unfinished } = await deliverConcurrently(reads.flatMap((event) => detectors.map((detector) => ({ event, detector }))), clock, transport, new RecordingMetrics());
    expect(unfinished).toBe(0);
    expect(transport.delivered.map((a) => a.kind)).toEqual(['threshold']);
    const sent = await followUps(store, clock);
    expect((transport.delivered[0]?.count ?? 0) + (sent[0]?.count ?? 0)).toBe(6);
  });
});
