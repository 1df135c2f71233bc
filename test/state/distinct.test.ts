/**
 * Rules that count distinct values (`Rule.distinct`, marks in lib/incidents.ts): what counts, what is
 * a repeat, and what a repeat costs in state requests. Exactly-once under failure and concurrency is in
 * exactly-once.test.ts; these are the semantics and the cost.
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { createDetector, type DetectResult } from '../../lib/handlers/pipeline.js';
import { flushDue } from '../../lib/incidents/followups.js';
import { createIncidentPolicy, MAX_DISTINCT_VALUES } from '../../lib/incidents/policy.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import type { StateStore, StoreCallCounts } from '../../lib/state/store.js';
import { rules } from '../../rules/index.js';
import { loadSample } from '../support/rule-cases.js';
import { secretReadAt } from './delivery-harness.js';

const MIN = 60_000;
const LATENESS = 30 * MIN;
const T0 = Date.parse('2026-11-20T10:02:00Z');

type Rec = Record<string, unknown>;
const ssmRead = (loadSample('aws.credential-access.ssm-retrieve-securestring-parameters.json') as Rec[]).find((r) => r['eventName'] === 'GetParameters' && !r['errorCode']) as Rec;
const invoke = (loadSample('aws.impact.bedrock-invoke-model.json') as Rec[]).find((r) => r['eventName'] === 'InvokeModel') as Rec;

function recordAt(base: Rec, eventMs: number, n: number, patch: Rec): TrailEvent {
  const event = asEnvelope({ ...structuredClone(base), eventTime: new Date(eventMs).toISOString().replace('.000Z', 'Z'), eventID: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, ...patch });
  if (!event) throw new Error('sample did not wrap');
  return event;
}
const paramsAt = (eventMs: number, n: number, names: string[]) => recordAt(ssmRead, eventMs, n, { requestParameters: { names, withDecryption: true } });

interface Shared {
  counts: StoreCallCounts;
  clock: { now: number };
  store: StateStore;
}

/** One container (its own policy, so its own memo); `container` shares another one's store and clock. */
function setup(opts: { memoEntries?: number; now?: number; container?: Shared } = {}) {
  const counts: StoreCallCounts = opts.container?.counts ?? { reads: 0, writes: 0 };
  const clock = opts.container?.clock ?? { now: opts.now ?? T0 + MIN };
  const store = opts.container?.store ?? createEmbeddedStore({ now: () => clock.now, counts });
  const policy = createIncidentPolicy({ store, allowedLatenessMs: LATENESS, ...(opts.memoEntries !== undefined ? { memoEntries: opts.memoEntries } : {}) });
  const detector = createDetector({ rules, clock: () => clock.now, allowedLatenessMs: LATENESS, policy });
  const alerts: Alert[] = [];
  const process = async (event: TrailEvent): Promise<DetectResult> => {
    const result = await detector.process(event);
    alerts.push(...result.alerts);
    for (const receipt of result.receipts) if (receipt) await detector.confirm(receipt);
    return result;
  };
  const flush = async (): Promise<Alert[]> => {
    const sent: Alert[] = [];
    clock.now += 3 * 3_600_000;
    await flushDue({ store, rules, now: clock.now, allowedLatenessMs: LATENESS, send: async (a) => void sent.push(a) });
    return sent;
  };
  return { counts, clock, store, process, alerts, flush };
}

const BULK = 'secretsmanager-secret-bulk-read';

describe('distinct values: secretsmanager-secret-bulk-read counts secrets, not reads', () => {
  it('an app re-reading its own 3 secrets 300 times alerts nothing, and after the first sight each re-read costs no state request', async () => {
    const s = setup();
    for (let i = 0; i < 3; i++) await s.process(secretReadAt(T0 + i * 1000, i, `app/secret-${i}`));
    const warm = { ...s.counts };
    const repeats: string[] = [];
    for (let i = 3; i < 300; i++) repeats.push(...(await s.process(secretReadAt(T0 + i * 1000, i, `app/secret-${i % 3}`))).repeats);
    expect(repeats).toHaveLength(297);
    expect(s.counts).toEqual(warm);
    expect(s.alerts).toEqual([]);
  });

  it('without the container memo a re-read costs exactly one (refused) write and no read', async () => {
    const s = setup({ memoEntries: 0 });
    await s.process(secretReadAt(T0, 1, 'app/a'));
    const before = { ...s.counts };
    const result = await s.process(secretReadAt(T0 + 1000, 2, 'app/a'));
    expect(result.repeats).toEqual([BULK]);
    expect({ reads: s.counts.reads - before.reads, writes: s.counts.writes - before.writes }).toEqual({ reads: 0, writes: 1 });
  });

  it('a fresh container learns what the principal already read with one query: re-reads of 5 secrets then cost 1 read unit, no write', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) await s.process(secretReadAt(T0 + i * 1000, i, `app/${i}`));
    const fresh = setup({ container: s });
    const before = { ...s.counts };
    for (let i = 5; i < 25; i++) expect((await fresh.process(secretReadAt(T0 + i * 1000, i, `app/${i % 5}`))).repeats).toEqual([BULK]);
    expect({ reads: s.counts.reads - before.reads, writes: s.counts.writes - before.writes }).toEqual({ reads: 1, writes: 0 });
  });

  it('fires on 10 different secrets in 10 minutes however many re-reads are mixed in, with the count of secrets', async () => {
    const s = setup();
    let n = 0;
    for (let i = 0; i < 10; i++) {
      await s.process(secretReadAt(T0 + i * 30_000, ++n, `harvest/${i}`));
      await s.process(secretReadAt(T0 + i * 30_000 + 1000, ++n, `harvest/${i}`));
      await s.process(secretReadAt(T0 + i * 30_000 + 2000, ++n, 'harvest/0'));
    }
    const fired = s.alerts.filter((a) => a.ruleId === BULK);
    expect(fired.map((a) => [a.kind, a.count])).toEqual([['threshold', 10]]);
    // The alert lists the reads that counted: the first read of each secret.
    expect(new Set(fired[0]?.eventIds).size).toBe(10);
  });

  it('does not fire on 9 different secrets read 20 times each', async () => {
    const s = setup();
    for (let i = 0; i < 180; i++) await s.process(secretReadAt(T0 + i * 2000, i, `app/${i % 9}`));
    expect(s.alerts.filter((a) => a.ruleId === BULK)).toEqual([]);
  });

  it('a redelivered first read is a duplicate (not a repeat), and its retry in another container still counts', async () => {
    const s = setup();
    await s.process(secretReadAt(T0, 1, 'x'));
    expect((await s.process(secretReadAt(T0, 1, 'x'))).duplicates).toEqual([BULK]);
    // A read of another secret fails after marking it; Lambda retries it in another container, whose
    // memo is empty: the mark carries this event's own id, so the retry counts it (it is not a repeat).
    let failed = false;
    const inner = s.store;
    const flaky: StateStore = {
      put: async (item, condition) => {
        if (item.pk.startsWith('ev#') && !failed) {
          failed = true;
          throw new Error('injected: the claim write failed');
        }
        return inner.put(item, condition);
      },
      update: (key, ops, condition) => inner.update(key, ops, condition),
      get: (key) => inner.get(key),
      query: (pk, range) => inner.query(pk, range),
      delete: (key) => inner.delete(key),
      flush: () => inner.flush(),
    };
    const first = setup({ container: { ...s, store: flaky } });
    await expect(first.process(secretReadAt(T0 + 1000, 2, 'y'))).rejects.toThrow(/injected/);
    const other = setup({ container: s });
    expect((await other.process(secretReadAt(T0 + 1000, 2, 'y'))).pending).toEqual([BULK]);
    expect((await other.process(secretReadAt(T0 + 2000, 3, 'y'))).repeats).toEqual([BULK]);
  });

  it('the same secret counts again in the next UTC day, and for another principal at once', async () => {
    const s = setup();
    await s.process(secretReadAt(T0, 1, 'x'));
    s.clock.now += 24 * 3_600_000;
    expect((await s.process(secretReadAt(T0 + 24 * 3_600_000, 2, 'x'))).pending).toEqual([BULK]);
    const other = secretReadAt(T0 + 1000, 3, 'x');
    other.detail.userIdentity = { ...other.detail.userIdentity, arn: 'arn:aws:iam::123456789012:user/someone-else', userName: 'someone-else', type: 'IAMUser' };
    expect((await s.process(other)).pending).toEqual([BULK]);
  });

  it('late reads mark nothing: an on-time read of the same secret still counts', async () => {
    const s = setup({ now: T0 + 2 * 3_600_000 });
    const late = await s.process(secretReadAt(T0, 1, 'x'));
    expect(late.late).toBe(true);
    expect(late.pending).toEqual([BULK]);
    expect((await s.process(secretReadAt(T0 + 2 * 3_600_000 - MIN, 2, 'x'))).pending).toEqual([BULK]);
  });

  it('a bounded memo (2 entries) over many secrets still decides exactly as an unbounded one', async () => {
    const decide = async (memoEntries: number) => {
      const s = setup({ memoEntries });
      const out: string[] = [];
      for (let i = 0; i < 120; i++) {
        const r = await s.process(secretReadAt(T0 + i * 5000, i, `k/${(i * 7) % 13}`));
        out.push(r.repeats.length ? 'repeat' : r.alerts.length ? 'alert' : r.suppressed.length ? 'suppress' : 'pending');
      }
      return { out, alerts: s.alerts.map((a) => a.id), followUps: (await s.flush()).map((a) => `${a.id} ${a.count}`) };
    };
    expect(await decide(2)).toEqual(await decide(10_000));
  });
});

describe('distinct values: ssm-parameter-bulk-decrypt counts calls that read a parameter new to the principal', () => {
  const RULE = 'ssm-parameter-bulk-decrypt';
  it('a call repeating known names is a repeat; one new name among them counts', async () => {
    const s = setup();
    expect((await s.process(paramsAt(T0, 1, ['/a', '/b']))).pending).toEqual([RULE]);
    expect((await s.process(paramsAt(T0 + 1000, 2, ['/b', '/a']))).repeats).toEqual([RULE]);
    expect((await s.process(paramsAt(T0 + 2000, 3, ['/a', '/c']))).pending).toEqual([RULE]);
  });

  it(`a call naming more than ${MAX_DISTINCT_VALUES} parameters always counts`, async () => {
    const s = setup();
    const names = Array.from({ length: MAX_DISTINCT_VALUES + 1 }, (_, i) => `/p${i}`);
    await s.process(paramsAt(T0, 1, names));
    expect((await s.process(paramsAt(T0 + 1000, 2, names))).pending).toEqual([RULE]);
  });

  it('fires on the Stratus shape: 5 calls reading new SecureStrings within seconds', async () => {
    const s = setup();
    for (let i = 0; i < 5; i++) await s.process(paramsAt(T0 + i * 400, i, Array.from({ length: 8 }, (_, j) => `/stolen/${i}-${j}`)));
    expect(s.alerts.filter((a) => a.ruleId === RULE).map((a) => a.count)).toEqual([5]);
  });
});

describe('distinct values: bedrock-first-invocation', () => {
  const RULE = 'bedrock-first-invocation';
  it('alerts on the first call, counts each model once a day in the follow-up, and repeats cost nothing', async () => {
    const s = setup();
    const call = (ms: number, n: number, modelId: string) => recordAt(invoke, ms, n, { requestParameters: { modelId } });
    expect((await s.process(call(T0, 1, 'm1'))).alerts.map((a) => a.ruleId)).toEqual([RULE]);
    const warm = { ...s.counts };
    for (let i = 2; i < 50; i++) expect((await s.process(call(T0 + i * 1000, i, 'm1'))).repeats).toEqual([RULE]);
    expect(s.counts).toEqual(warm);
    expect((await s.process(call(T0 + 60_000, 60, 'm2'))).suppressed).toEqual([RULE]);
    s.clock.now = T0 + 24 * 3_600_000 + MIN;
    expect((await s.process(call(T0 + 24 * 3_600_000, 61, 'm1'))).suppressed).toEqual([RULE]);
    s.clock.now = T0 + 7 * 24 * 3_600_000 + 30 * MIN;
    const followUps = (await s.flush()).filter((a) => a.ruleId === RULE);
    expect(followUps.map((a) => a.count)).toEqual([2]);
  });
});
