/**
 * The scheduled flush's core (lib/handlers/flush.ts): what it counts, logs and throws around
 * flushDue. Which follow-ups go out, and when, is test/incidents/followups.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import type { Log, MetricSink } from '../../lib/handlers/detect.js';
import { flushFollowUps, type FlushDeps } from '../../lib/handlers/flush.js';
import { createDetector } from '../../lib/handlers/pipeline.js';
import { duePk } from '../../lib/incidents/items.js';
import { createIncidentPolicy } from '../../lib/incidents/policy.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import type { StateStore } from '../../lib/state/store.js';
import { rules } from '../../rules/index.js';

const MIN = 60_000;
const LATENESS = 30 * MIN;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const root = rules.find((r) => r.id === 'root-account-activity');
if (!root) throw new Error('root-account-activity rule missing');
const sample = JSON.parse(readFileSync('events/root-account-activity.json', 'utf8')) as TrailEvent;

function rootCall(account: string, n: number, offsetMs: number): TrailEvent {
  const event = structuredClone(sample);
  const time = new Date(T0 + offsetMs).toISOString().replace('.000Z', 'Z');
  const id = `00000000-0000-4000-8000-${account.slice(0, 4)}${String(n).padStart(8, '0')}`;
  Object.assign(event, { id, account, time });
  Object.assign(event.detail, { eventTime: time, eventID: id, recipientAccountId: account });
  return event;
}

/** Two root incidents (two accounts), each with a grouped call: two follow-ups due at T0 + 95 min. */
async function twoIncidents(): Promise<{ store: StateStore; clock: { now: number } }> {
  const clock = { now: T0 };
  const store = createEmbeddedStore({ now: () => clock.now });
  const detector = createDetector({ rules: [root as NonNullable<typeof root>], clock: () => clock.now, allowedLatenessMs: LATENESS, policy: createIncidentPolicy({ store, allowedLatenessMs: LATENESS }) });
  for (const event of [rootCall('111111111111', 1, 0), rootCall('111111111111', 2, MIN), rootCall('222222222222', 1, 0), rootCall('222222222222', 2, MIN)]) {
    clock.now = Date.parse(event.time) + MIN;
    const result = await detector.process(event);
    for (const receipt of result.receipts) if (receipt) await detector.confirm(receipt);
  }
  return { store, clock };
}

function recorders() {
  const logged: Array<[string, string, Record<string, unknown>]> = [];
  const counted: Record<string, number> = {};
  const log: Log = {
    info: (m, x) => void logged.push(['info', m, x]),
    warn: (m, x) => void logged.push(['warn', m, x]),
    error: (m, x) => void logged.push(['error', m, x]),
  };
  const metrics: MetricSink = { addMetric: (name, _unit, value) => void (counted[name] = (counted[name] ?? 0) + value) };
  return { logged, counted, log, metrics };
}

function deps(store: StateStore, now: number, send: (a: Alert) => Promise<void>, r: ReturnType<typeof recorders>): FlushDeps {
  return {
    store,
    rules,
    allowedLatenessMs: LATENESS,
    transport: { name: 'test', send },
    deadLetters: { name: 'test-dlq', send: async () => undefined },
    log: r.log,
    metrics: r.metrics,
    now,
  };
}

describe('flushFollowUps', () => {
  it('counts and logs a sent follow-up and one retried later, and returns their ids', async () => {
    const { store } = await twoIncidents();
    const r = recorders();
    let calls = 0;
    const summary = await flushFollowUps(
      deps(store, T0 + 95 * MIN, async () => {
        calls += 1;
        if (calls === 1) throw new Error('SNS said no');
      }, r),
    );
    expect(summary.sent).toHaveLength(1);
    expect(summary.retrying).toHaveLength(1);
    expect(summary.examined).toBe(2);
    expect(r.counted).toEqual({ FollowUpsSent: 1, FollowUpRetries: 1 });
    expect(r.logged.map(([level, m]) => `${level}: ${m}`)).toEqual(['warn: Follow-up delivery failed; retried later', 'info: Follow-ups flushed']);
    expect(r.logged[0]?.[2]).toMatchObject({ alertId: summary.retrying[0], attempts: 1, error: 'SNS said no' });
  });

  it('sends the other follow-ups, then throws on a due marker that does not decode, and keeps it for the next run', async () => {
    const { store } = await twoIncidents();
    const now = T0 + 95 * MIN;
    // A marker in the first bucket the flush reads, missing what a follow-up needs (a hand-edited state file, a bug).
    const broken = { pk: duePk(now - 6 * 3_600_000 + 5 * MIN), sk: 'root-account-activity#x#0', expiresAt: Math.ceil(now / 1000) + 3600, ruleId: 'root-account-activity', end: 0 };
    await store.put(broken);
    const r = recorders();
    const sent: Alert[] = [];
    await expect(flushFollowUps(deps(store, now, async (a) => void sent.push(a), r))).rejects.toThrow(
      /1 follow-ups could not be processed: due item .*: hash is missing, expected a string/,
    );
    expect(sent).toHaveLength(2);
    expect(r.counted).toEqual({ FollowUpsSent: 2, FollowUpErrors: 1 });
    expect(r.logged.find(([level]) => level === 'error')?.[2]).toMatchObject({ marker: `${broken.pk}/${broken.sk}` });
    expect(await store.get(broken)).toEqual(broken);
  });
});
