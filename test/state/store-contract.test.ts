/**
 * One contract for the state port, run against every adapter: the embedded store (in memory, on a
 * file, on a file with autoFlush) and the DynamoDB store against dynalite. Adapter-specific behaviour
 * (file persistence, pruning, DynamoDB request paths) is tested after the contract.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDbStore, createTableInput } from '../../lib/state/dynamodb-store.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import { compareSortKeys, StateLimitError } from '../../lib/state/semantics.js';
import type { Scalar, StateItem, StateStore, StoreCallCounts } from '../../lib/state/store.js';
import { startDynalite, type DynaliteHarness } from './dynalite-harness.js';

/** Epoch ms of the injected clock at the start of every test. */
const T0 = Date.UTC(2025, 0, 1);
const T0_SEC = T0 / 1000;
const HOUR = 3600;

/** An item expiring ttlSec after T0. */
function item(pk: string, sk: string, attrs: Record<string, Scalar> = {}, ttlSec = HOUR): StateItem {
  return { ...attrs, pk, sk, expiresAt: T0_SEC + ttlSec };
}

interface StoreEnv {
  now: () => number;
  counts: StoreCallCounts;
}
type MakeStore = (env: StoreEnv) => Promise<StateStore>;

function describeStoreContract(name: string, makeStore: MakeStore): void {
  describe(`StateStore contract: ${name}`, () => {
    let clock = T0;
    let counts: StoreCallCounts;
    let store: StateStore;
    const key = { pk: 'p', sk: 's' };

    beforeEach(async () => {
      clock = T0;
      counts = { reads: 0, writes: 0 };
      store = await makeStore({ now: () => clock, counts });
    });

    describe('put', () => {
      it('writes unconditionally, replacing the whole item and returning it as previous', async () => {
        expect(await store.put(item('p', 's', { count: 1, old: 'x' }))).toEqual({ written: true });
        expect(await store.get(key)).toEqual(item('p', 's', { count: 1, old: 'x' }));

        expect(await store.put(item('p', 's', { count: 2 }))).toEqual({
          written: true,
          previous: item('p', 's', { count: 1, old: 'x' }),
        });
        expect(await store.get(key)).toEqual(item('p', 's', { count: 2 }));
      });

      it('absent: a second put of the same key is refused and leaves the first item', async () => {
        expect(await store.put(item('p', 's', { writer: 1 }), { kind: 'absent' })).toEqual({ written: true });
        expect(await store.put(item('p', 's', { writer: 2 }), { kind: 'absent' })).toMatchObject({ written: false });
        expect(await store.get(key)).toEqual(item('p', 's', { writer: 1 }));
      });

      it('treats an expired item as absent, from the second it expires', async () => {
        await store.put(item('p', 's', { writer: 1 }, 10));
        clock = T0 + 9_999;
        expect(await store.get(key)).toEqual(item('p', 's', { writer: 1 }, 10));
        expect(await store.put(item('p', 's', { writer: 2 }), { kind: 'absent' })).toMatchObject({ written: false });

        clock = T0 + 10_000;
        expect(await store.get(key)).toBeUndefined();
        expect(await store.query('p')).toEqual([]);
        // No previous: the replaced item had expired.
        expect(await store.put(item('p', 's', { writer: 3 }), { kind: 'absent' })).toEqual({ written: true });
        expect(await store.get(key)).toEqual(item('p', 's', { writer: 3 }));
      });

      it('absentOrAtMost: writes when absent or when the attribute is <= atMost, returning previous', async () => {
        const cond = (atMost: number) => ({ kind: 'absentOrAtMost', attr: 'seq', atMost }) as const;
        expect(await store.put(item('p', 's', { seq: 3 }), cond(0))).toEqual({ written: true });
        expect(await store.put(item('p', 's', { seq: 9 }), cond(2))).toMatchObject({ written: false });
        expect(await store.put(item('p', 's', { seq: 9 }), cond(3))).toEqual({ written: true, previous: item('p', 's', { seq: 3 }) });
        expect(await store.get(key)).toEqual(item('p', 's', { seq: 9 }));

        // A live item without the attribute fails the comparison, as in DynamoDB.
        await store.put(item('p', 'plain'));
        expect(await store.put(item('p', 'plain', { seq: 1 }), cond(100))).toMatchObject({ written: false });

        // An expired item is absent, whatever its attribute.
        await store.put(item('p', 'old', { seq: 50 }, 10));
        clock = T0 + 20_000;
        expect(await store.put(item('p', 'old', { seq: 1 }), cond(0))).toEqual({ written: true });
      });

      it('exists / existsWithout: writes only over a live item matching the condition', async () => {
        expect(await store.put(item('p', 's', { v: 1 }), { kind: 'exists' })).toMatchObject({ written: false });
        expect(await store.get(key)).toBeUndefined();

        await store.put(item('p', 's', { v: 1, closedAt: 5 }));
        expect(await store.put(item('p', 's', { v: 2 }), { kind: 'existsWithout', attr: 'closedAt' })).toMatchObject({ written: false });
        expect(await store.put(item('p', 's', { v: 2 }), { kind: 'existsWithout', attr: 'other' })).toEqual({
          written: true,
          previous: item('p', 's', { v: 1, closedAt: 5 }),
        });
        expect(await store.put(item('p', 's', { v: 3 }), { kind: 'exists', attr: 'v', gte: 2, lt: 3 })).toEqual({
          written: true,
          previous: item('p', 's', { v: 2 }),
        });
        expect(await store.put(item('p', 's', { v: 4 }), { kind: 'exists', attr: 'v', gte: 2, lt: 3 })).toMatchObject({ written: false });
      });
    });

    describe('put: what a refused write learns', () => {
      it('returns the live item the condition failed on, and nothing when it failed on a missing item', async () => {
        await store.put(item('p', 's', { writer: 1, lease: 5 }), { kind: 'absent' });
        expect(await store.put(item('p', 's', { writer: 2 }), { kind: 'absent' })).toEqual({
          written: false,
          current: item('p', 's', { writer: 1, lease: 5 }),
        });
        expect(await store.put(item('p', 'missing'), { kind: 'exists' })).toEqual({ written: false });
      });
    });

    describe('DynamoDB limits (UTF-8 bytes)', () => {
      it('accepts a partition key of 2,048 bytes and a sort key of 1,024, refuses one byte more', async () => {
        expect(await store.put(item('p'.repeat(2048), 's'))).toEqual({ written: true });
        expect(await store.put(item('p', 's'.repeat(1024)))).toEqual({ written: true });
        await expect(store.put(item('p'.repeat(2049), 's'))).rejects.toThrow(/2048/);
        await expect(store.put(item('p', 's'.repeat(1025)))).rejects.toThrow(/1024/);
        await expect(store.update({ pk: 'p', sk: 'k'.repeat(1025) }, { add: { n: 1 }, expiresAt: T0_SEC + HOUR })).rejects.toThrow(/1024/);
        await expect(store.get({ pk: 'p', sk: 'k'.repeat(1025) })).rejects.toThrow(/1024/);
        expect((await store.query('p')).map((i) => i.sk.length)).toEqual([1024]);
      });

      it('refuses an item over 400 KB, by put or by an update that grows it, and keeps the old item', async () => {
        const big = 'x'.repeat(400 * 1024 - 100);
        expect(await store.put(item('p', 's', { v: big }))).toEqual({ written: true });
        await expect(store.put(item('p', 't', { v: `${big}${'y'.repeat(200)}` }))).rejects.toThrow(/size/i);
        await expect(store.update(key, { set: { w: 'z'.repeat(200) } })).rejects.toThrow(/size/i);
        expect(await store.get(key)).toEqual(item('p', 's', { v: big }));
        expect(await store.get({ pk: 'p', sk: 't' })).toBeUndefined();
      });
    });

    describe('update', () => {
      it('creates the item when absent and returns it (reserved words as attribute names)', async () => {
        const created = await store.update(key, {
          add: { count: 1 },
          set: { end: 'x' },
          setIfAbsent: { name: 'first' },
          expiresAt: T0_SEC + HOUR,
        });
        expect(created).toEqual(item('p', 's', { count: 1, end: 'x', name: 'first' }));
        expect(await store.get(key)).toEqual(created);
      });

      it('add increments, setIfAbsent keeps the first value, set overwrites, expiresAt is kept when omitted', async () => {
        await store.update(key, { add: { count: 2 }, setIfAbsent: { first: 'a' }, set: { last: 'a' }, expiresAt: T0_SEC + HOUR });
        const updated = await store.update(key, { add: { count: 3, other: -1 }, setIfAbsent: { first: 'b' }, set: { last: 'b' } });
        expect(updated).toEqual(item('p', 's', { count: 5, other: -1, first: 'a', last: 'b' }));

        const extended = await store.update(key, { expiresAt: T0_SEC + 2 * HOUR });
        expect(extended).toEqual(item('p', 's', { count: 5, other: -1, first: 'a', last: 'b' }, 2 * HOUR));
      });

      it('gives a new item expiresAt 0 when none is given, so it is immediately absent', async () => {
        expect(await store.update(key, { add: { count: 1 } })).toEqual({ pk: 'p', sk: 's', expiresAt: 0, count: 1 });
        expect(await store.get(key)).toBeUndefined();
      });

      it('starts from an empty item over an expired one, without its stale attributes', async () => {
        await store.put(item('p', 's', { count: 7, first: 'stale', gone: 'x' }, 10));
        clock = T0 + 10_000;
        expect(await store.update(key, { add: { count: 1 }, setIfAbsent: { first: 'fresh' }, expiresAt: T0_SEC + HOUR })).toEqual(
          item('p', 's', { count: 1, first: 'fresh' }),
        );
        expect(await store.get(key)).toEqual(item('p', 's', { count: 1, first: 'fresh' }));
      });

      it('absent: creates once, then refuses; an expired item counts as absent', async () => {
        const ops = { add: { count: 1 }, expiresAt: T0_SEC + 10 };
        expect(await store.update(key, ops, { kind: 'absent' })).toEqual(item('p', 's', { count: 1 }, 10));
        expect(await store.update(key, ops, { kind: 'absent' })).toBeUndefined();
        expect(await store.get(key)).toEqual(item('p', 's', { count: 1 }, 10));

        clock = T0 + 10_000;
        const later = { add: { count: 1 }, expiresAt: T0_SEC + HOUR };
        expect(await store.update(key, later, { kind: 'absent' })).toEqual(item('p', 's', { count: 1 }));
      });

      it('absentOrAtMost: updates a live item only when the attribute is <= atMost', async () => {
        const cond = (atMost: number) => ({ kind: 'absentOrAtMost', attr: 'seq', atMost }) as const;
        expect(await store.update(key, { set: { seq: 1 }, expiresAt: T0_SEC + HOUR }, cond(0))).toEqual(item('p', 's', { seq: 1 }));
        expect(await store.update(key, { set: { seq: 5 } }, cond(0))).toBeUndefined();
        expect(await store.update(key, { set: { seq: 5 } }, cond(1))).toEqual(item('p', 's', { seq: 5 }));
      });

      it('exists: fails on a missing or expired item without creating it', async () => {
        expect(await store.update(key, { add: { count: 1 }, expiresAt: T0_SEC + HOUR }, { kind: 'exists' })).toBeUndefined();
        expect(await store.get(key)).toBeUndefined();

        await store.put(item('p', 's', { count: 1 }, 10));
        expect(await store.update(key, { add: { count: 1 } }, { kind: 'exists' })).toEqual(item('p', 's', { count: 2 }, 10));
        clock = T0 + 10_000;
        expect(await store.update(key, { add: { count: 1 } }, { kind: 'exists' })).toBeUndefined();
      });

      it('exists with gte/lt: gte is inclusive, lt exclusive, a missing attribute fails', async () => {
        await store.put(item('p', 's', { level: 5 }));
        const bump = { add: { bumps: 1 } };
        expect(await store.update(key, bump, { kind: 'exists', attr: 'level', gte: 6 })).toBeUndefined();
        expect(await store.update(key, bump, { kind: 'exists', attr: 'level', lt: 5 })).toBeUndefined();
        expect(await store.update(key, bump, { kind: 'exists', attr: 'level', gte: 5, lt: 6 })).toEqual(item('p', 's', { level: 5, bumps: 1 }));
        expect(await store.update(key, bump, { kind: 'exists', attr: 'level', gte: 0, lt: 5 })).toBeUndefined();
        expect(await store.update(key, bump, { kind: 'exists', attr: 'missing', gte: 0 })).toBeUndefined();
        expect(await store.get(key)).toEqual(item('p', 's', { level: 5, bumps: 1 }));
      });

      it('existsWithout: succeeds while the attribute is missing, then fails', async () => {
        await store.put(item('p', 's'));
        const close = { set: { closedAt: 1 } };
        expect(await store.update(key, close, { kind: 'existsWithout', attr: 'closedAt' })).toEqual(item('p', 's', { closedAt: 1 }));
        expect(await store.update(key, { set: { closedAt: 2 } }, { kind: 'existsWithout', attr: 'closedAt' })).toBeUndefined();
        expect(await store.update({ pk: 'p', sk: 'missing' }, close, { kind: 'existsWithout', attr: 'closedAt' })).toBeUndefined();
        expect(await store.get(key)).toEqual(item('p', 's', { closedAt: 1 }));
      });

      it('rejects invalid ops before writing anything', async () => {
        await expect(store.update(key, { set: { pk: 'q' } })).rejects.toThrow(/pk/);
        await expect(store.update(key, { set: { expiresAt: 1 } })).rejects.toThrow(/expiresAt/);
        await expect(store.update(key, { add: { a: 1 }, set: { a: 2 } })).rejects.toThrow(/more than one/);
        await expect(store.update(key, { add: { n: 1 } }, { kind: 'exists', gte: 1 })).rejects.toThrow(/attr/);
        expect(counts.writes).toBe(0);
        expect(await store.get(key)).toBeUndefined();
      });

      it('refuses to add to a string attribute and leaves the item unchanged', async () => {
        await store.put(item('p', 's', { label: 'x' }));
        await expect(store.update(key, { add: { label: 1 } })).rejects.toThrow();
        expect(await store.get(key)).toEqual(item('p', 's', { label: 'x' }));
      });
    });

    describe('query', () => {
      beforeEach(async () => {
        for (const sk of ['c', 'a', 'e', 'b', 'd']) await store.put(item('q', sk, { sk2: sk }));
        await store.put(item('other', 'b'));
        await store.put(item('qq', 'a'));
      });

      const sks = (items: StateItem[]) => items.map((i) => i.sk);

      it('returns one partition in ascending sk order, bounds inclusive and optional', async () => {
        expect(sks(await store.query('q'))).toEqual(['a', 'b', 'c', 'd', 'e']);
        expect(sks(await store.query('q', { from: 'b', to: 'd' }))).toEqual(['b', 'c', 'd']);
        expect(sks(await store.query('q', { from: 'bb' }))).toEqual(['c', 'd', 'e']);
        expect(sks(await store.query('q', { to: 'b' }))).toEqual(['a', 'b']);
        expect(sks(await store.query('q', { from: 'c', to: 'c' }))).toEqual(['c']);
        expect(await store.query('q', { from: 'd', to: 'b' })).toEqual([]);
        expect(await store.query('none')).toEqual([]);
        expect((await store.query('q', { from: 'a', to: 'a' }))[0]).toEqual(item('q', 'a', { sk2: 'a' }));
      });

      it('limit returns the first live items, skipping expired ones', async () => {
        expect(sks(await store.query('q', { limit: 2 }))).toEqual(['a', 'b']);
        expect(sks(await store.query('q', { from: 'b', limit: 10 }))).toEqual(['b', 'c', 'd', 'e']);
        expect(await store.query('q', { limit: 0 })).toEqual([]);

        await store.put(item('q', 'a', {}, 5));
        await store.put(item('q', 'b', {}, 5));
        await store.put(item('q', 'c', {}, 5));
        clock = T0 + 5_000;
        expect(sks(await store.query('q', { limit: 1 }))).toEqual(['d']);
        expect(sks(await store.query('q'))).toEqual(['d', 'e']);
      });

      it('orders by code point (UTF-8 bytes) like DynamoDB, not by UTF-16 code unit', async () => {
        const keys = ['k\u{1F600}', 'k\uFF01', 'k\u00E9', 'kz', 'k'];
        for (const sk of keys) await store.put(item('u', sk));
        expect(sks(await store.query('u'))).toEqual(['k', 'kz', 'k\u00E9', 'k\uFF01', 'k\u{1F600}']);
        expect(sks(await store.query('u', { from: 'k\uFF01' }))).toEqual(['k\uFF01', 'k\u{1F600}']);
      });
    });

    it('delete removes the item; deleting a missing item is fine', async () => {
      await store.put(item('p', 's'));
      await store.put(item('p', 't'));
      await store.delete(key);
      await store.delete({ pk: 'p', sk: 'missing' });
      expect(await store.get(key)).toBeUndefined();
      expect((await store.query('p')).map((i) => i.sk)).toEqual(['t']);
      expect(await store.put(item('p', 's'), { kind: 'absent' })).toEqual({ written: true });
    });

    it('returns copies: mutating a result does not change the stored item', async () => {
      const result = await store.update(key, { set: { v: 1 }, expiresAt: T0_SEC + HOUR });
      if (result) result['v'] = 99;
      const read = await store.get(key);
      if (read) read['v'] = 98;
      const [queried] = await store.query('p');
      if (queried) queried['v'] = 97;
      expect(await store.get(key)).toEqual(item('p', 's', { v: 1 }));
    });

    it('counts one call per operation on the common paths', async () => {
      await store.put(item('p', 's', { count: 1 }), { kind: 'absent' });
      await store.put(item('p', 's'), { kind: 'absent' });
      await store.update(key, { add: { count: 1 } });
      await store.update(key, { add: { count: 1 } }, { kind: 'existsWithout', attr: 'count' });
      // A refused put may also read the item it failed on, where DynamoDB does not return it (dynalite).
      expect(counts.writes).toBe(4);
      const reads = counts.reads;
      expect(reads).toBeLessThanOrEqual(1);
      await store.get(key);
      await store.query('p');
      expect(counts).toEqual({ reads: reads + 2, writes: 4 });
      await store.delete(key);
      expect(counts).toEqual({ reads: reads + 2, writes: 5 });
    });

    describe('concurrency', () => {
      it('50 concurrent absent puts of one key: exactly one is written, and it is the one stored', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, writer) => store.put(item('p', 's', { writer }), { kind: 'absent' })),
        );
        const winners = results.flatMap((result, writer) => (result.written ? [writer] : []));
        expect(winners).toHaveLength(1);
        expect(await store.get(key)).toEqual(item('p', 's', { writer: winners[0] ?? -1 }));
      });

      it('100 concurrent ADD 1: the count ends at 100 and every caller saw a distinct value', async () => {
        const results = await Promise.all(
          Array.from({ length: 100 }, () => store.update(key, { add: { count: 1 }, expiresAt: T0_SEC + HOUR })),
        );
        expect(results.map((r) => r?.['count']).sort((a, b) => Number(a) - Number(b))).toEqual(
          Array.from({ length: 100 }, (_, i) => i + 1),
        );
        expect(await store.get(key)).toEqual(item('p', 's', { count: 100 }));
      });

      it('20 conditional updates racing a replacement: each lands wholly before it or fails', async () => {
        await store.put(item('p', 's', { gen: 1, n: 0 }));
        const updates: Promise<StateItem | undefined>[] = [];
        for (let i = 0; i < 10; i++) updates.push(store.update(key, { add: { n: 1 } }, { kind: 'exists', attr: 'gen', gte: 1, lt: 2 }));
        const replacement = store.put(item('p', 's', { gen: 2, n: 0 }), { kind: 'absentOrAtMost', attr: 'gen', atMost: 1 });
        for (let i = 0; i < 10; i++) updates.push(store.update(key, { add: { n: 1 } }, { kind: 'exists', attr: 'gen', gte: 1, lt: 2 }));

        const replaced = await replacement;
        const applied = (await Promise.all(updates)).filter((r): r is StateItem => r !== undefined);
        expect(applied.every((r) => r['gen'] === 1)).toBe(true);
        expect(applied.map((r) => r['n']).sort((a, b) => Number(a) - Number(b))).toEqual(
          Array.from({ length: applied.length }, (_, i) => i + 1),
        );
        // The replacement saw exactly the updates that succeeded, and none landed on the new item.
        expect(replaced).toEqual({ written: true, previous: item('p', 's', { gen: 1, n: applied.length }) });
        expect(await store.get(key)).toEqual(item('p', 's', { gen: 2, n: 0 }));
      });

      it('20 concurrent closers of one item: exactly one wins', async () => {
        await store.put(item('p', 's'));
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, closer) =>
            store.update(key, { set: { closedBy: closer } }, { kind: 'existsWithout', attr: 'closedBy' }),
          ),
        );
        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        expect(await store.get(key)).toEqual(winners[0]);
      });
    });
  });
}

// -------------------------------------------------------------------------------------------------
// Embedded store
// -------------------------------------------------------------------------------------------------

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'trailwatch-state-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeStoreContract('embedded, in memory', async (env) => createEmbeddedStore(env));
describeStoreContract('embedded, file', async (env) => createEmbeddedStore({ ...env, file: join(await tempDir(), 'state.json') }));
describeStoreContract('embedded, file with autoFlush', async (env) =>
  createEmbeddedStore({ ...env, file: join(await tempDir(), 'state.json'), autoFlush: true }),
);

describe('embedded store', () => {
  let clock = T0;
  const now = () => clock;
  beforeEach(() => {
    clock = T0;
  });

  it('a second store on the same file sees the first one’s writes after flush, not before', async () => {
    const file = join(await tempDir(), 'nested', 'dirs', 'state.json');
    const first = createEmbeddedStore({ file, now });
    await first.put(item('p', 'a', { v: 1 }));
    await first.update({ pk: 'p', sk: 'b' }, { add: { count: 2 }, expiresAt: T0_SEC + HOUR });
    expect(await createEmbeddedStore({ file, now }).get({ pk: 'p', sk: 'a' })).toBeUndefined();

    await first.flush();
    const second = createEmbeddedStore({ file, now });
    expect(await second.query('p')).toEqual([item('p', 'a', { v: 1 }), item('p', 'b', { count: 2 })]);
    expect(await second.put(item('p', 'a'), { kind: 'absent' })).toMatchObject({ written: false });
  });

  it('with autoFlush, each write is on disk when it resolves (invoke local: one process per run)', async () => {
    const file = join(await tempDir(), 'state.json');
    const run1 = createEmbeddedStore({ file, now, autoFlush: true });
    await run1.update({ pk: 'p', sk: 's' }, { add: { count: 1 }, expiresAt: T0_SEC + HOUR });
    const run2 = createEmbeddedStore({ file, now, autoFlush: true });
    expect(await run2.update({ pk: 'p', sk: 's' }, { add: { count: 1 } })).toEqual(item('p', 's', { count: 2 }));
    await run2.delete({ pk: 'p', sk: 's' });
    expect(await createEmbeddedStore({ file, now }).get({ pk: 'p', sk: 's' })).toBeUndefined();
  });

  it('a missing file is empty state; flush without changes writes nothing', async () => {
    const file = join(await tempDir(), 'state.json');
    const store = createEmbeddedStore({ file, now });
    expect(await store.query('p')).toEqual([]);
    await store.flush();
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('a corrupt file fails every operation, naming the file and how to reset; reset() recovers', async () => {
    const file = join(await tempDir(), 'state.json');
    await writeFile(file, '{"version":1,"items":[{"pk":"p"', 'utf8');
    const store = createEmbeddedStore({ file, now });
    await expect(store.get({ pk: 'p', sk: 's' })).rejects.toThrow(file);
    await expect(store.put(item('p', 's'))).rejects.toThrow(/corrupt.*Delete it/);

    await writeFile(file, '{"version":1,"items":[{"pk":"p","sk":"s"}]}', 'utf8');
    await expect(createEmbeddedStore({ file, now }).get({ pk: 'p', sk: 's' })).rejects.toThrow(/items\[0\].*expiresAt/);

    await store.reset();
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
    expect(await store.put(item('p', 's'), { kind: 'absent' })).toEqual({ written: true });
  });

  it('flush drops expired items from the file; loading skips them too', async () => {
    const file = join(await tempDir(), 'state.json');
    const store = createEmbeddedStore({ file, now });
    await store.put(item('p', 'short', {}, 10));
    await store.put(item('p', 'long'));
    await store.flush();
    expect(await readFile(file, 'utf8')).toContain('"short"');

    clock = T0 + 10_000;
    expect(await createEmbeddedStore({ file, now }).query('p')).toEqual([item('p', 'long')]);
    await store.flush();
    expect(await readFile(file, 'utf8')).not.toContain('"short"');
    expect(store.size()).toBe(1);
  });

  it('prunes expired items during a long run, so memory follows the live set (event-time clock)', async () => {
    const store = createEmbeddedStore({ now });
    for (let i = 0; i < 20_000; i++) {
      clock = T0 + i * 1000; // one event per second of event time, each state item living 60 s
      await store.put(item(`p${i % 7}`, `s${i}`, {}, i + 60));
    }
    expect(store.size()).toBeLessThanOrEqual(1024 + 60);
    expect(await store.query('p0', { limit: 1_000 })).toHaveLength(9); // the live ones: 60 s / 7 partitions
  });

  it('keeps a large partition sorted under random inserts and deletes', async () => {
    const store = createEmbeddedStore({ now });
    const expected = new Set<string>();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 20_000; i++) {
      const sk = `sk-${random().toString(36)}`;
      await store.put(item('big', sk));
      expected.add(sk);
      if (i % 5 === 0) {
        const victim = `sk-${random().toString(36)}`;
        await store.delete({ pk: 'big', sk: victim });
        expected.delete(victim);
      }
    }
    const sorted = [...expected].sort(compareSortKeys);
    expect((await store.query('big')).map((i) => i.sk)).toEqual(sorted);
    const from = sorted[100] ?? '';
    const to = sorted[5_000] ?? '';
    expect((await store.query('big', { from, to })).map((i) => i.sk)).toEqual(sorted.slice(100, 5_001));
    expect(store.size()).toBe(expected.size);
  });

  it('counts key limits in UTF-8 bytes, as DynamoDB does (dynalite counts characters)', async () => {
    const store = createEmbeddedStore({ now });
    expect(await store.put(item('p', '\u00e9'.repeat(512)))).toEqual({ written: true });
    await expect(store.put(item('p', '\u00e9'.repeat(513)))).rejects.toThrow(StateLimitError);
    await expect(store.put(item('\u{1F600}'.repeat(513), 's'))).rejects.toThrow(/partition key .* over 2048 bytes/);
  });

  it('reset() clears an in-memory store; flush() is a no-op without a file', async () => {
    const store = createEmbeddedStore({ now });
    await store.put(item('p', 's'));
    await store.flush();
    await store.reset();
    expect(store.size()).toBe(0);
    expect(await store.get({ pk: 'p', sk: 's' })).toBeUndefined();
  });
});

// -------------------------------------------------------------------------------------------------
// DynamoDB store
// -------------------------------------------------------------------------------------------------

describe('DynamoDB store against dynalite', () => {
  let harness: DynaliteHarness;
  beforeAll(async () => {
    harness = await startDynalite();
  });
  afterAll(async () => {
    await harness.stop();
  });

  describeStoreContract('dynamodb (dynalite)', async (env) =>
    createDynamoDbStore({ ...env, tableName: await harness.createTable(), client: harness.client }),
  );

  it('pages a limited query past expired items (Limit counts items before the expiry filter)', async () => {
    let clock = T0;
    const counts = { reads: 0, writes: 0 };
    const store = createDynamoDbStore({ tableName: await harness.createTable(), client: harness.client, now: () => clock, counts });
    for (const sk of ['a', 'b', 'c']) await store.put(item('p', sk, {}, 10));
    for (const sk of ['d', 'e', 'f']) await store.put(item('p', sk));
    clock = T0 + 10_000;
    counts.reads = 0;
    expect((await store.query('p', { limit: 2 })).map((i) => i.sk)).toEqual(['d', 'e']);
    expect(counts.reads).toBe(3); // Limit 2: [a b] -> 0 live, [c d] -> 1 live, [e] -> done
  });

  it('propagates errors other than a failed condition (Lambda retries on throw)', async () => {
    const store = createDynamoDbStore({ tableName: 'no-such-table', client: harness.client });
    const notFound = { name: 'ResourceNotFoundException' };
    await expect(store.put(item('p', 's'), { kind: 'absent' })).rejects.toMatchObject(notFound);
    await expect(store.update({ pk: 'p', sk: 's' }, { add: { n: 1 } }, { kind: 'exists' })).rejects.toMatchObject(notFound);
    await expect(store.get({ pk: 'p', sk: 's' })).rejects.toMatchObject(notFound);
    await expect(store.query('p')).rejects.toMatchObject(notFound);
    await expect(store.delete({ pk: 'p', sk: 's' })).rejects.toMatchObject(notFound);
  });

  it('createTableInput matches the deployed schema', () => {
    expect(createTableInput('t')).toMatchObject({
      TableName: 't',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });
});

/**
 * Real DynamoDB returns the failing item with ReturnValuesOnConditionCheckFailure (dynalite does not),
 * which saves update a read; these paths are checked against a mocked client.
 */
describe('DynamoDB store when the condition failure carries the item', () => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  );
  const mock = mockClient(doc);
  const failedOn = (raw: Record<string, { S: string } | { N: string }>) =>
    new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {}, Item: raw });

  beforeEach(() => {
    mock.reset();
  });
  afterAll(() => {
    mock.restore();
  });

  it('absent update on a live item: undefined after a single request', async () => {
    mock.on(UpdateCommand).rejects(failedOn({ pk: { S: 'p' }, sk: { S: 's' }, expiresAt: { N: String(T0_SEC + HOUR) } }));
    const counts = { reads: 0, writes: 0 };
    const store = createDynamoDbStore({ tableName: 't', client: doc, now: () => T0, counts });
    expect(await store.update({ pk: 'p', sk: 's' }, { add: { n: 1 } }, { kind: 'absent' })).toBeUndefined();
    expect(counts).toEqual({ reads: 0, writes: 1 });
    expect(mock.calls()).toHaveLength(1);
  });

  it('retries an update whose target vanished between the failed attempt and the read (no item in the error)', async () => {
    mock
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }))
      .resolves({ Attributes: item('p', 's', { n: 1 }) });
    mock.on(GetCommand).resolves({});
    const counts = { reads: 0, writes: 0 };
    const store = createDynamoDbStore({ tableName: 't', client: doc, now: () => T0, counts });
    expect(await store.update({ pk: 'p', sk: 's' }, { add: { n: 1 }, expiresAt: T0_SEC + HOUR }, { kind: 'absent' })).toEqual(
      item('p', 's', { n: 1 }),
    );
    expect(counts).toEqual({ reads: 1, writes: 2 });
  });

  it('gives up with an error (so Lambda retries) when the race never settles', async () => {
    mock.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    mock.on(GetCommand).resolves({});
    const store = createDynamoDbStore({ tableName: 't', client: doc, now: () => T0 });
    await expect(store.update({ pk: 'p', sk: 's' }, { add: { n: 1 } })).rejects.toThrow(/gave up after 5 attempts/);
  });

  it('update over an expired item: replaces it with a fresh item (one more write)', async () => {
    mock.on(UpdateCommand).rejects(failedOn({ pk: { S: 'p' }, sk: { S: 's' }, expiresAt: { N: String(T0_SEC - 1) }, n: { N: '41' } }));
    mock.on(PutCommand).resolves({});
    const counts = { reads: 0, writes: 0 };
    const store = createDynamoDbStore({ tableName: 't', client: doc, now: () => T0, counts });
    const ops = { add: { n: 1 }, setIfAbsent: { first: 'x' }, expiresAt: T0_SEC + HOUR };
    expect(await store.update({ pk: 'p', sk: 's' }, ops)).toEqual(item('p', 's', { n: 1, first: 'x' }));
    expect(counts).toEqual({ reads: 0, writes: 2 });
    expect(mock.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: item('p', 's', { n: 1, first: 'x' }),
      ConditionExpression: 'attribute_not_exists(#n0) OR #n1 <= :v0',
    });
  });
});
