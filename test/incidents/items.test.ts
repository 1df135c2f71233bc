/**
 * The typed state items (lib/incidents/items.ts): every kind survives encode -> store -> decode
 * unchanged, what the pipeline writes is what the codecs describe (nothing written without a codec,
 * nothing lost in a decode/encode round), and a stored item that is not what its kind says fails
 * with an error naming the kind, the key and the attribute.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';
import { createDetector } from '../../lib/handlers/pipeline.js';
import { flushDue } from '../../lib/incidents/followups.js';
import {
  CODECS,
  itemKindOf,
  StateItemError,
  type Checkpoint,
  type Claim,
  type DueMarker,
  type Incident,
  type ItemKind,
  type ItemKinds,
  type Mark,
} from '../../lib/incidents/items.js';
import { createIncidentPolicy, parseRecordedAlert, recordedAlert } from '../../lib/incidents/policy.js';
import { createDynamoDbStore } from '../../lib/state/dynamodb-store.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import type { Condition, PutResult, StateItem, StateKey, StateStore, UpdateOps } from '../../lib/state/store.js';
import { rules } from '../../rules/index.js';
import { alertFixture } from '../support/alert-fixture.js';
import { loadSample } from '../support/rule-cases.js';
import { startDynalite, type DynaliteHarness } from '../state/dynalite-harness.js';

const KINDS = Object.keys(CODECS) as ItemKind[];

// ---- arbitraries: one per kind, over the values the pipeline can write --------------------------

const text = fc.string({ maxLength: 40 });
const nonEmpty = fc.string({ minLength: 1, maxLength: 40 });
const int = fc.integer({ min: -1, max: 2 ** 45 });
const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const stored = (pk: fc.Arbitrary<string>, sk: fc.Arbitrary<string>) => fc.record({ pk, sk, expiresAt: fc.integer({ min: 1, max: 2 ** 32 }) });
const keyed = (prefix: string) => stored(nonEmpty.map((s) => `${prefix}${s}`), nonEmpty);

const claim: fc.Arbitrary<Claim> = fc
  .tuple(
    keyed('ev#'),
    fc.record({
      t: int,
      id: text,
      api: opt(text),
      lease: int,
      d: opt(fc.constantFrom('alert', 'suppress', 'pending', 'late', 'sent' as const)),
      alert: opt(text),
      inc: opt(int),
      end: opt(int),
    }),
  )
  .map(([k, a]) => ({ ...k, ...a }));

const incident: fc.Arbitrary<Incident> = fc
  .tuple(keyed('inc#'), fc.record({ start: int, end: int, alerted: int, eventId: text }))
  .map(([k, a]) => ({ ...k, ...a }));

const dueMarker: fc.Arbitrary<DueMarker> = fc
  .tuple(
    keyed('due#'),
    fc.record({
      ruleId: text,
      hash: text,
      start: int,
      end: int,
      alerted: int,
      first: opt(int),
      last: opt(int),
      threshold: fc.boolean(),
      group: fc.dictionary(text, text, { maxKeys: 4 }),
      eventId: text,
      account: text,
      region: text,
      eventSource: text,
      eventName: text,
      actor: text,
      actorType: text,
      // '' is how "no ARN" is stored, so it decodes as absent.
      actorArn: opt(nonEmpty),
      attempts: opt(int),
      retryAt: opt(int),
      lastError: opt(text),
    }),
  )
  .map(([k, a]) => ({ ...k, ...a }));

const mark: fc.Arbitrary<Mark> = fc.tuple(keyed('val#'), fc.record({ t: int, id: text })).map(([k, a]) => ({ ...k, ...a }));

const checkpoint: fc.Arbitrary<Checkpoint> = fc
  .tuple(stored(fc.constant('flush'), fc.constant('checkpoint')), fc.record({ bucket: int }))
  .map(([k, a]) => ({ ...k, ...a }));

const ARBITRARIES: { [K in ItemKind]: fc.Arbitrary<ItemKinds[K]> } = { claim, incident, due: dueMarker, mark, checkpoint };

/** Typed values compare with their undefined optionals left out, as the store keeps them. */
const defined = <T extends object>(value: T): Partial<T> => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

function roundTrip<K extends ItemKind>(kind: K, value: ItemKinds[K]): ItemKinds[K] {
  return CODECS[kind].decode(CODECS[kind].encode(value));
}

// ---- examples in the stored format of the deployed version --------------------------------------

/** One stored item per kind (and per claim state), attribute for attribute as policy.ts and flush.ts write them. */
const STORED: Array<[ItemKind, StateItem]> = [
  ['claim', { pk: 'ev#iam-user-deleted#0f3c', sk: '2026-11-20T10:02:00.000Z#e-1', expiresAt: 1_795_000_000, t: 1_795_000_000_000, id: 'e-1', api: 'DeleteUser', d: 'alert', alert: '{"id":"iam-user-deleted:match:e-1"}', inc: 1_795_000_000_000, end: 1_795_003_600_000, lease: 1_795_000_045_000 }],
  ['claim', { pk: 'ev#s3-mass-delete#0f3c', sk: '2026-11-20T10:02:00.000Z#e-2', expiresAt: 1_795_000_000, t: 1_795_000_000_000, id: 'e-2', api: 'DeleteObjects', lease: 0, d: 'pending', alert: '' }],
  ['claim', { pk: 'ev#s3-mass-delete#0f3c', sk: '2026-11-20T10:02:00.000Z#e-3', expiresAt: 1_795_000_000, t: 1_795_000_000_000, id: 'e-3', api: 'DeleteObjects', lease: 1_795_000_045_000 }],
  ['claim', { pk: 'ev#iam-user-deleted#0f3c', sk: '2026-11-20T10:02:00.000Z#e-4', expiresAt: 1_795_000_000, t: 1_795_000_000_000, id: 'e-4', api: 'DeleteUser', d: 'sent', alert: '', inc: -1, end: 0, lease: 0 }],
  ['incident', { pk: 'inc#iam-user-deleted#0f3c', sk: 'current', expiresAt: 1_795_000_000, start: 1_795_000_000_000, end: 1_795_003_600_000, alerted: 1, eventId: 'e-1' }],
  ['due', { pk: 'due#2026-11-20T11:30:00.000Z', sk: 'iam-user-deleted#0f3c#1795000000000', expiresAt: 1_795_000_000, ruleId: 'iam-user-deleted', hash: '0f3c', start: 1_795_000_000_000, end: 1_795_003_600_000, alerted: 1, threshold: 0, group: '{"actor":"arn:aws:iam::111122223333:user/a"}', eventId: 'e-1', account: '111122223333', region: 'eu-west-1', eventSource: 'iam.amazonaws.com', eventName: 'DeleteUser', actor: 'user/a', actorType: 'IAMUser', actorArn: 'arn:aws:iam::111122223333:user/a' }],
  ['due', { pk: 'due#2026-11-20T11:30:00.000Z', sk: 's3-mass-delete#0f3c#1795000000000', expiresAt: 1_795_000_000, ruleId: 's3-mass-delete', hash: '0f3c', start: 1_795_000_000_000, end: 1_795_003_600_000, alerted: 20, first: 1_795_000_000_000, last: 1_795_000_500_000, threshold: 1, group: '{}', eventId: 'e-2', account: '111122223333', region: 'eu-west-1', eventSource: 's3.amazonaws.com', eventName: 'DeleteObjects', actor: 'root', actorType: 'Root', actorArn: '', attempts: 2, retryAt: 1_795_004_000_000, lastError: 'SNS said no' }],
  ['mark', { pk: 'val#secret-burst#0f3c', sk: '2026-11-20T10:00:00.000Z#9a1b', expiresAt: 1_795_000_000, t: 1_795_000_000_000, id: 'e-5' }],
  ['checkpoint', { pk: 'flush', sk: 'checkpoint', expiresAt: 1_795_000_000, bucket: 1_795_000_200_000 }],
];

/** A required attribute per kind, and one value of the wrong type for it. */
const REQUIRED: Array<[ItemKind, string]> = [
  ['claim', 't'],
  ['claim', 'id'],
  ['claim', 'lease'],
  ['incident', 'start'],
  ['incident', 'end'],
  ['incident', 'eventId'],
  ...(['ruleId', 'hash', 'start', 'end', 'group', 'eventId', 'account', 'region', 'eventSource', 'eventName', 'actor', 'actorType'] as const).map((a): [ItemKind, string] => ['due', a]),
  ['mark', 't'],
  ['mark', 'id'],
  ['checkpoint', 'bucket'],
];
const OPTIONAL: Array<[ItemKind, string]> = [
  ['claim', 'api'],
  ['claim', 'inc'],
  ['claim', 'end'],
  ['claim', 'alert'],
  ['incident', 'alerted'],
  ...(['alerted', 'first', 'last', 'threshold', 'actorArn', 'attempts', 'retryAt', 'lastError'] as const).map((a): [ItemKind, string] => ['due', a]),
];

function example(kind: ItemKind, attribute?: string): StateItem {
  const found = STORED.find(([k, item]) => k === kind && (attribute === undefined || item[attribute] !== undefined));
  if (!found) throw new Error(`no stored ${kind} example with ${attribute}`);
  return structuredClone(found[1]);
}
function errorOf(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}
const wrongType = (value: unknown): string | number => (typeof value === 'number' ? String(value) : 7);

describe('state items', () => {
  it.each(KINDS)('round-trips every %s', (kind) => {
    fc.assert(
      fc.property(ARBITRARIES[kind] as fc.Arbitrary<ItemKinds[typeof kind]>, (value) => {
        expect(defined(roundTrip(kind, value))).toEqual(defined(value));
      }),
      { numRuns: 300 },
    );
  });

  it.each(STORED)('reads and rewrites a stored %s attribute for attribute', (kind, item) => {
    const codec = CODECS[kind] as (typeof CODECS)['claim'];
    expect(itemKindOf(item)).toBe(kind);
    expect(codec.encode(codec.decode(item))).toStrictEqual(item);
  });

  it('reads the claim of a burst match still undecided as undecided, and "no ARN" as absent', () => {
    expect(CODECS.claim.decode(STORED[2]?.[1] as StateItem)).toMatchObject({ d: undefined, inc: undefined, alert: undefined, t: 1_795_000_000_000 });
    const noArn = STORED.filter(([k]) => k === 'due')[1]?.[1] as StateItem;
    expect(CODECS.due.decode(noArn).actorArn).toBeUndefined();
    expect(CODECS.due.decode(noArn).threshold).toBe(true);
  });

  it.each(REQUIRED)('refuses a %s without %s, or with it of the wrong type, naming kind, key and attribute', (kind, attribute) => {
    const missing = example(kind, attribute);
    delete missing[attribute];
    const wrong = example(kind, attribute);
    wrong[attribute] = wrongType(wrong[attribute]);
    for (const item of [missing, wrong]) {
      const error = errorOf(() => CODECS[kind].decode(item));
      expect(error).toBeInstanceOf(StateItemError);
      expect(error).toMatchObject({ kind, attribute, key: { pk: item.pk, sk: item.sk } });
      expect((error as Error).message).toContain(`${kind} item ${JSON.stringify(item.pk)}/${JSON.stringify(item.sk)}: ${attribute} `);
    }
    expect(() => CODECS[kind].decode(missing)).toThrow(/is missing/);
    expect(() => CODECS[kind].decode(wrong)).toThrow(/expected a (number|string)/);
  });

  it.each(OPTIONAL)('reads a %s without %s, but refuses it with the wrong type', (kind, attribute) => {
    const missing = example(kind, attribute);
    delete missing[attribute];
    expect(() => CODECS[kind].decode(missing)).not.toThrow();
    const wrong = example(kind, attribute);
    wrong[attribute] = wrongType(wrong[attribute]);
    expect(() => CODECS[kind].decode(wrong)).toThrow(StateItemError);
  });

  it('refuses non-finite numbers, unknown decisions, a group that is not a JSON object, and an item of another kind', () => {
    const nan = example('incident');
    nan.end = Number.NaN;
    expect(() => CODECS.incident.decode(nan)).toThrow(/incident item .*: end is number null, expected a number/);
    const decided = example('claim');
    decided.d = 'maybe';
    expect(() => CODECS.claim.decode(decided)).toThrow(/: d is "maybe", expected one of alert, suppress, pending, late, sent/);
    for (const group of ['{', '[]', '"x"', 'null']) {
      const marker = example('due');
      marker.group = group;
      expect(() => CODECS.due.decode(marker), group).toThrow(/: group is not (JSON|a JSON object)/);
    }
    expect(() => CODECS.claim.decode(example('incident'))).toThrow(/claim item "inc#.*: pk is not the partition key of this kind/);
    expect(() => CODECS.checkpoint.decode(example('claim'))).toThrow(StateItemError);
  });

  it('keeps attacker-length text out of the message', () => {
    const long = example('claim');
    long.sk = `${'x'.repeat(5000)}`;
    long.id = 5;
    const error = errorOf(() => CODECS.claim.decode(long));
    expect(error).toBeInstanceOf(StateItemError);
    expect((error as Error).message.length).toBeLessThan(300);
  });

  it('names no kind for a key none has', () => {
    expect(itemKindOf({ pk: 'cnt#x', sk: 'y' })).toBeUndefined();
    expect(itemKindOf({ pk: 'flush', sk: 'other' })).toBeUndefined();
  });

  describe('in DynamoDB (dynalite)', () => {
    let dynalite: DynaliteHarness;
    let store: StateStore;
    beforeAll(async () => {
      dynalite = await startDynalite();
      const table = await dynalite.createTable();
      store = createDynamoDbStore({ tableName: table, client: dynalite.client, now: () => 0 });
    });
    afterAll(async () => dynalite?.stop());

    /** encode -> put -> get -> decode gives back the value. */
    async function viaDynamoDb<K extends ItemKind>(kind: K, value: ItemKinds[K]): Promise<void> {
      const codec = CODECS[kind];
      const item = codec.encode(value);
      // Keys the arbitraries made up may collide across runs: a plain put replaces.
      await store.put(item);
      const back = await store.get(item);
      expect(back).toStrictEqual(item);
      expect(defined(codec.decode(back as StateItem))).toEqual(defined(value));
    }

    it.each(KINDS)('stores and reads back every %s unchanged', async (kind) => {
      await fc.assert(
        fc.asyncProperty(ARBITRARIES[kind] as fc.Arbitrary<ItemKinds[typeof kind]>, (value) => viaDynamoDb(kind, value)),
        { numRuns: 25 },
      );
    });
  });
});

describe('the alert a claim records', () => {
  const rule = rules.find((r) => r.id === 'iam-user-deleted');
  if (!rule) throw new Error('iam-user-deleted rule missing');
  const owed = (alert: string | undefined): Claim => ({ ...(example('claim') as unknown as Claim), alert });

  it('comes back as the alert, with the rule text taken from the rule', () => {
    const alert = alertFixture({ title: rule.title, severity: rule.severity, status: rule.status, runbook: rule.runbook, references: rule.references, mitre: rule.mitre });
    const text = recordedAlert(alert);
    expect(JSON.parse(text)).not.toHaveProperty('runbook');
    expect(parseRecordedAlert(owed(text), rule)).toEqual(alert);
  });

  it.each([
    ['missing', undefined, /: alert is missing/],
    ['settled', '', /: alert is missing/],
    ['not JSON', '{"id":', /: alert is not JSON/],
    ['an id only', '{"id":"x"}', /: alert is not a recorded alert/],
    ['a list', '[1]', /: alert is not a recorded alert/],
    ['an alert with a number for its summary', recordedAlert(alertFixture({ summary: 5 as unknown as string })), /: alert is not a recorded alert/],
  ])('is a StateItemError naming the claim when %s', (_name, text, message) => {
    const error = errorOf(() => parseRecordedAlert(owed(text), rule));
    expect(error).toBeInstanceOf(StateItemError);
    expect(error).toMatchObject({ kind: 'claim', attribute: 'alert' });
    expect((error as Error).message).toMatch(message);
  });
});

// ---- what the pipeline writes -------------------------------------------------------------------

/** Keeps every item as written (after each put and update), so deleted due markers are seen too. */
class RecordingStore implements StateStore {
  readonly written: StateItem[] = [];
  constructor(private readonly inner: StateStore) {}
  async put(item: StateItem, condition?: Condition): Promise<PutResult> {
    const result = await this.inner.put(item, condition);
    if (result.written) this.written.push(structuredClone(item));
    return result;
  }
  async update(key: StateKey, ops: UpdateOps, condition?: Condition): Promise<StateItem | undefined> {
    const item = await this.inner.update(key, ops, condition);
    if (item) this.written.push(structuredClone(item));
    return item;
  }
  get = (key: StateKey) => this.inner.get(key);
  query = (pk: string, range?: { from?: string; to?: string; limit?: number }) => this.inner.query(pk, range);
  delete = (key: StateKey) => this.inner.delete(key);
  flush = () => this.inner.flush();
}

const SAMPLES_DIR = join(__dirname, '..', 'fixtures', 'stratus-red-team');
const MIN = 60_000;
const LATENESS = 30 * MIN;

function stratusEvents(): TrailEvent[] {
  const events = readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => loadSample(f).map((r) => asEnvelope(structuredClone(r))))
    .filter((e): e is TrailEvent => e !== undefined);
  return events.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
}

function deleteObjects(eventMs: number, n: number): TrailEvent {
  const record = structuredClone(loadSample('derived/s3-data-events.json')[0]) as Record<string, unknown>;
  record.eventTime = new Date(eventMs).toISOString().replace('.000Z', 'Z');
  record.eventID = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const event = asEnvelope(record);
  if (!event) throw new Error('fixture did not wrap');
  return event;
}

describe('what the pipeline writes', () => {
  it('is of a kind with a codec, and every item decodes and re-encodes to itself', async () => {
    // Prepare: the Stratus techniques (first alerts, incidents, marks), a burst, a late copy and a
    // follow-up whose first send fails (retry attributes), then a flush (checkpoint).
    const clock = { now: 0 };
    const store = new RecordingStore(createEmbeddedStore({ now: () => clock.now }));
    const detector = createDetector({
      rules,
      clock: () => clock.now,
      observeEventTime: (ms) => void (clock.now = Math.max(clock.now, ms)),
      allowedLatenessMs: LATENESS,
      policy: createIncidentPolicy({ store, allowedLatenessMs: LATENESS }),
    });
    const events = stratusEvents();
    const last = Date.parse((events[events.length - 1] as TrailEvent).time);
    const burst = Array.from({ length: 40 }, (_, i) => deleteObjects(last + MIN + i * 5_000, i));
    const late = structuredClone(events[0] as TrailEvent);

    // Act
    for (const event of [...events, ...burst]) {
      const result = await detector.process(event);
      for (const receipt of result.receipts) if (receipt) await detector.confirm(receipt);
    }
    await detector.process(late);
    let failed = false;
    const send = async (): Promise<void> => {
      if (!failed) {
        failed = true;
        throw new Error('SNS said no');
      }
    };
    for (const hours of [6, 7, 30]) {
      clock.now = last + hours * 3_600_000;
      await flushDue({ store, rules, now: clock.now, allowedLatenessMs: LATENESS, send, backoffMs: 60_000 });
    }

    // Assess
    const seen = new Map<ItemKind, number>();
    const problems: string[] = [];
    for (const item of store.written) {
      const kind = itemKindOf(item);
      if (kind === undefined) {
        problems.push(`${item.pk}/${item.sk}: no kind`);
        continue;
      }
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      const codec = CODECS[kind] as (typeof CODECS)['claim'];
      try {
        expect(codec.encode(codec.decode(item))).toStrictEqual(item);
      } catch (error) {
        problems.push(`${item.pk}/${item.sk}: ${(error as Error).message.slice(0, 300)}`);
      }
    }
    expect(problems).toEqual([]);
    expect([...seen.keys()].sort()).toEqual([...KINDS].sort());
    const claims = store.written.filter((i) => itemKindOf(i) === 'claim').map((i) => CODECS.claim.decode(i));
    expect(new Set(claims.map((c) => c.d))).toEqual(new Set([undefined, 'alert', 'sent', 'suppress', 'pending', 'late']));
    expect(store.written.some((i) => itemKindOf(i) === 'due' && CODECS.due.decode(i).attempts === 1)).toBe(true);
  });
});
