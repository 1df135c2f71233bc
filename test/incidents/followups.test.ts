import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { createDetector } from '../../lib/handlers/pipeline.js';
import { DEFAULT_BACKOFF_MS, DEFAULT_MAX_ATTEMPTS, flushDue, type FlushOptions } from '../../lib/incidents/followups.js';
import { createIncidentPolicy } from '../../lib/incidents/policy.js';
import type { RuleTuning } from '../../lib/detection/rule.js';
import { createDynamoDbStore } from '../../lib/state/dynamodb-store.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import type { StateStore } from '../../lib/state/store.js';
import { rules } from '../../rules/index.js';
import { startDynalite, type DynaliteHarness } from '../state/dynalite-harness.js';

const MIN = 60_000;
const LATENESS = 30 * MIN;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const root = rules.find((r) => r.id === 'root-account-activity');
if (!root) throw new Error('root-account-activity rule missing');
const sample = JSON.parse(readFileSync('events/root-account-activity.json', 'utf8')) as TrailEvent;

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** A root call in `account` at T0 + offset (root incidents group per account). */
function rootCall(account: string, n: number, offsetMs: number, eventName = 'ConsoleLogin'): TrailEvent {
  const event = structuredClone(sample);
  const time = iso(T0 + offsetMs);
  const id = `00000000-0000-4000-8000-${account.slice(0, 4)}${String(n).padStart(8, '0')}`;
  event.id = id;
  event.account = account;
  event.time = time;
  event.detail.eventTime = time;
  event.detail.eventID = id;
  event.detail.eventName = eventName;
  event.detail.recipientAccountId = account;
  if (event.detail.userIdentity) {
    event.detail.userIdentity.accountId = account;
    event.detail.userIdentity.arn = `arn:aws:iam::${account}:root`;
  }
  return event;
}

let dynalite: DynaliteHarness | undefined;
const stores: Array<{ name: string; make(clock: { now: number }): Promise<StateStore> }> = [
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

/** Events through the detector (each detected a minute after its time), then nothing until flushes. */
async function ingest(store: StateStore, clock: { now: number }, events: TrailEvent[], overrides?: Record<string, RuleTuning>): Promise<Alert[]> {
  const policy = createIncidentPolicy({ store, allowedLatenessMs: LATENESS, ...(overrides ? { overrides } : {}) });
  const detector = createDetector({ rules: [root as NonNullable<typeof root>], clock: () => clock.now, allowedLatenessMs: LATENESS, policy });
  const alerts: Alert[] = [];
  for (const event of events) {
    clock.now = Math.max(clock.now, Date.parse(event.time) + MIN);
    alerts.push(...(await detector.process(event)).alerts);
  }
  return alerts;
}

/** Runs the scheduled flush every 5 minutes from `from` to `to`, as Lambda's schedule would. */
async function schedule(opts: Omit<FlushOptions, 'now'>, clock: { now: number }, from: number, to: number) {
  const runs: Array<{ at: number; sent: string[]; retrying: string[]; deadLettered: string[] }> = [];
  for (let at = from; at <= to; at += 5 * MIN) {
    clock.now = at;
    const result = await flushDue({ ...opts, now: at });
    runs.push({ at, sent: result.sent.map((a) => a.id), retrying: result.retrying.map((r) => r.id), deadLettered: result.deadLettered.map((a) => a.id) });
  }
  return runs;
}

describe.each(stores)('follow-ups on the $name', ({ make }) => {
  let clock: { now: number };
  let store: StateStore;
  beforeAll(() => undefined);

  async function fresh(): Promise<void> {
    clock = { now: T0 };
    store = await make(clock);
  }

  it('names every API the grouped calls used, and spans an out-of-order call made before the incident opened', async () => {
    await fresh();
    const alerts = await ingest(store, clock, [
      rootCall('111111111111', 1, 0, 'ConsoleLogin'),
      rootCall('111111111111', 2, 5 * MIN, 'ListBuckets'),
      rootCall('111111111111', 3, 9 * MIN, 'ListBuckets'),
      rootCall('111111111111', 4, 20 * MIN, 'CreateAccessKey'),
      // Made 3 minutes before the sign-in, delivered after it.
      rootCall('111111111111', 5, -3 * MIN, 'GetCallerIdentity'),
    ]);
    expect(alerts.map((a) => a.eventName)).toEqual(['ConsoleLogin']);
    const sent: Alert[] = [];
    await schedule({ store, rules, allowedLatenessMs: LATENESS, send: async (a) => void sent.push(a) }, clock, T0 + 95 * MIN, T0 + 100 * MIN);
    expect(sent).toHaveLength(1);
    const [followUp] = sent;
    expect(followUp?.count).toBe(4);
    expect(followUp?.summary).toBe('4 more calls (ListBuckets 2, CreateAccessKey 1, GetCallerIdentity 1) by root between 09:57 and 10:20 UTC on 2026-11-20');
    expect(followUp?.eventName).toBe('ListBuckets, CreateAccessKey, GetCallerIdentity');
    expect(followUp?.firstEventTime).toBe('2026-11-20T09:57:00Z');
    expect(followUp?.lastEventTime).toBe('2026-11-20T10:20:00Z');
    expect(followUp?.eventIds).toHaveLength(4);
    expect(followUp?.eventIds[0]).toBe('00000000-0000-4000-8000-111100000005');
  });

  it('names the one API when every grouped call used it', async () => {
    await fresh();
    await ingest(store, clock, [rootCall('111111111111', 1, 0), rootCall('111111111111', 2, 5 * MIN, 'ListBuckets'), rootCall('111111111111', 3, 6 * MIN, 'ListBuckets')]);
    const sent: Alert[] = [];
    await schedule({ store, rules, allowedLatenessMs: LATENESS, send: async (a) => void sent.push(a) }, clock, T0 + 95 * MIN, T0 + 95 * MIN);
    expect(sent.map((a) => a.summary)).toEqual(['2 more ListBuckets by root between 10:05 and 10:06 UTC on 2026-11-20']);
  });

  it('still counts the grouped calls of a week-long incident when its follow-up is due (claims outlive the incident)', async () => {
    await fresh();
    const week = 7 * 24 * 60;
    await ingest(store, clock, [rootCall('111111111111', 1, 0), rootCall('111111111111', 2, 3 * 24 * 60 * MIN, 'ListBuckets')], { 'root-account-activity': { dedupeMinutes: week } });
    const sent: Alert[] = [];
    const due = T0 + (week + 35) * MIN;
    await schedule({ store, rules, allowedLatenessMs: LATENESS, send: async (a) => void sent.push(a) }, clock, due, due);
    expect(sent.map((a) => a.count)).toEqual([1]);
  });

  it('delivers the other follow-ups on time while one fails, retries it on its own backoff, and dead-letters it exactly once', async () => {
    await fresh();
    // Three incidents due together, and a fourth opened later that falls due while the failing one is retried.
    await ingest(store, clock, [
      ...['111111111111', '222222222222', '333333333333'].flatMap((acct) => [rootCall(acct, 1, 0), rootCall(acct, 2, 5 * MIN, 'ListBuckets')]),
      rootCall('444444444444', 1, 40 * MIN),
      rootCall('444444444444', 2, 45 * MIN, 'ListBuckets'),
    ]);
    const attempts: Array<{ id: string; at: number }> = [];
    const delivered: string[] = [];
    const deadLettered: Array<{ id: string; attempts: number }> = [];
    const failing = (a: Alert) => a.account === '222222222222';
    const runs = await schedule(
      {
        store,
        rules,
        allowedLatenessMs: LATENESS,
        send: async (a) => {
          attempts.push({ id: a.id, at: clock.now });
          if (failing(a)) throw new Error('SNS: Invalid parameter: Message too long');
          delivered.push(a.id);
        },
        deadLetter: async (a, _reason, n) => void deadLettered.push({ id: a.id, attempts: n }),
      },
      clock,
      T0 + 90 * MIN,
      T0 + 6 * 60 * MIN,
    );
    const idOf = (acct: string) => `root-account-activity:summary:00000000-0000-4000-8000-${acct.slice(0, 4)}00000001`;

    // Nothing lost, nothing doubled: each follow-up delivered or dead-lettered exactly once.
    expect([...delivered].sort()).toEqual([idOf('111111111111'), idOf('333333333333'), idOf('444444444444')].sort());
    expect(deadLettered).toEqual([{ id: idOf('222222222222'), attempts: DEFAULT_MAX_ATTEMPTS }]);
    // The others went out at the first run after they were due, unaffected by the failing one.
    const due = T0 + 60 * MIN + LATENESS;
    expect(runs.find((r) => r.sent.includes(idOf('111111111111')))?.at).toBe(due);
    expect(runs.find((r) => r.sent.includes(idOf('333333333333')))?.at).toBe(due);
    expect(runs.find((r) => r.sent.includes(idOf('444444444444')))?.at).toBe(due + 40 * MIN);
    // The failing one: exactly maxAttempts publishes, spaced by a doubling backoff.
    const times = attempts.filter((a) => a.id === idOf('222222222222')).map((a) => a.at);
    expect(times).toHaveLength(DEFAULT_MAX_ATTEMPTS);
    expect(times.slice(1).map((t, i) => t - (times[i] as number))).toEqual([1, 2, 4, 8].map((k) => k * DEFAULT_BACKOFF_MS));
    // Once dead-lettered, its marker is gone: later runs neither publish nor dead-letter it again.
    const after = runs.findIndex((r) => r.deadLettered.length > 0);
    expect(runs.slice(after + 1).every((r) => r.retrying.length === 0 && r.deadLettered.length === 0 && r.sent.length === 0)).toBe(true);
  });

  it('sends a follow-up once when its publish fails transiently, and never dead-letters it', async () => {
    await fresh();
    await ingest(store, clock, [rootCall('111111111111', 1, 0), rootCall('111111111111', 2, 5 * MIN, 'ListBuckets')]);
    let failures = 2;
    const delivered: string[] = [];
    const deadLettered: string[] = [];
    await schedule(
      {
        store,
        rules,
        allowedLatenessMs: LATENESS,
        send: async (a) => {
          if (failures-- > 0) throw new Error('Throttling: Rate exceeded');
          delivered.push(a.id);
        },
        deadLetter: async (a) => void deadLettered.push(a.id),
      },
      clock,
      T0 + 90 * MIN,
      T0 + 4 * 60 * MIN,
    );
    expect(delivered).toHaveLength(1);
    expect(deadLettered).toEqual([]);
  });

  it('keeps a follow-up whose dead-lettering fails, and dead-letters it once at the next run without publishing again', async () => {
    await fresh();
    await ingest(store, clock, [rootCall('111111111111', 1, 0), rootCall('111111111111', 2, 5 * MIN, 'ListBuckets')]);
    let publishes = 0;
    let dlqFailures = 1;
    const deadLettered: string[] = [];
    await schedule(
      {
        store,
        rules,
        allowedLatenessMs: LATENESS,
        maxAttempts: 2,
        send: async () => {
          publishes += 1;
          throw new Error('AuthorizationError');
        },
        deadLetter: async (a) => {
          if (dlqFailures-- > 0) throw new Error('SQS unavailable');
          deadLettered.push(a.id);
        },
      },
      clock,
      T0 + 90 * MIN,
      T0 + 4 * 60 * MIN,
    );
    expect(publishes).toBe(2);
    expect(deadLettered).toHaveLength(1);
  });
});
