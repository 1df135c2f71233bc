import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderByEventTime, TimeHeap } from '../../lib/replay/order.js';

/** A test item: `t` undefined for untimed items, `id` its arrival position. */
interface Item {
  id: number;
  t: number | undefined;
}

const timeOf = (item: Item): number | undefined => item.t;

async function* from<T>(values: readonly T[]): AsyncGenerator<T> {
  for (const v of values) yield v;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

function items(times: ReadonlyArray<number | undefined>): Item[] {
  return times.map((t, id) => ({ id, t }));
}

async function order(input: Item[], maxLatenessMs: number, maxBuffered?: number): Promise<{ out: Item[]; late: Item[] }> {
  const late: Item[] = [];
  const opts = { timeOf, maxLatenessMs, onLate: (item: Item) => late.push(item) };
  const out = await collect(orderByEventTime(from(input), maxBuffered === undefined ? opts : { ...opts, maxBuffered }));
  return { out, late };
}

/** Sorted by time, and equal times in arrival order. */
function isSortedStable(out: Item[]): boolean {
  for (let i = 1; i < out.length; i++) {
    const a = out[i - 1] as Item;
    const b = out[i] as Item;
    if ((a.t as number) > (b.t as number)) return false;
    if (a.t === b.t && a.id > b.id) return false;
  }
  return true;
}

/**
 * Events with times drawn at random, arriving in order of time + a delay of at most `maxDelay`: a
 * stream whose disorder is bounded by maxDelay, like CloudTrail's late deliveries.
 */
const boundedDisorder = fc
  .record({
    maxDelay: fc.integer({ min: 0, max: 1000 }),
    events: fc.array(fc.record({ t: fc.integer({ min: 0, max: 5000 }), delay: fc.double({ min: 0, max: 1, noNaN: true }) }), {
      maxLength: 300,
    }),
  })
  .map(({ maxDelay, events }) => {
    const arrivals = events.map((e) => ({ t: e.t, at: e.t + Math.floor(e.delay * maxDelay) }));
    arrivals.sort((a, b) => a.at - b.at);
    return { maxDelay, input: items(arrivals.map((a) => a.t)) };
  });

describe('TimeHeap', () => {
  it('pops in (time, insertion) order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -50, max: 50 })), (times) => {
        const heap = new TimeHeap<number>();
        times.forEach((t, i) => heap.push(t, i));
        const popped: number[] = [];
        while (heap.size > 0) popped.push(heap.pop());
        const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i);
        expect(popped).toEqual(expected.map((e) => e.i));
      }),
    );
  });

  it('leaves in (time, insertion) order however pushes, pops and popUpTo interleave', () => {
    // A reference that sorts what it holds on every step: slow and obviously right.
    const step = fc.oneof(
      fc.record({ op: fc.constant('push' as const), t: fc.integer({ min: -20, max: 20 }) }),
      fc.record({ op: fc.constant('pop' as const) }),
      fc.record({ op: fc.constant('upTo' as const), t: fc.integer({ min: -25, max: 25 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        const heap = new TimeHeap<number>();
        let held: Array<{ t: number; i: number }> = [];
        const got: number[] = [];
        const want: number[] = [];
        steps.forEach((s, i) => {
          if (s.op === 'push') {
            heap.push(s.t, i);
            held.push({ t: s.t, i });
            held.sort((a, b) => a.t - b.t || a.i - b.i);
          } else if (s.op === 'pop') {
            if (held.length === 0) return;
            got.push(heap.pop());
            want.push((held.shift() as { i: number }).i);
          } else {
            heap.popUpTo(s.t, got);
            want.push(...held.filter((h) => h.t <= s.t).map((h) => h.i));
            held = held.filter((h) => h.t > s.t);
          }
          expect(heap.size).toBe(held.length);
          expect(heap.peekTime()).toBe(held[0]?.t ?? Number.POSITIVE_INFINITY);
        });
        expect(got).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it('reports +Infinity when empty', () => {
    expect(new TimeHeap<string>().peekTime()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('orderByEventTime', () => {
  it('sorts when the lateness allowed covers the disorder, and reports nothing late', async () => {
    await fc.assert(
      fc.asyncProperty(boundedDisorder, async ({ maxDelay, input }) => {
        const { out, late } = await order(input, maxDelay);
        expect(isSortedStable(out)).toBe(true);
        expect(late).toEqual([]);
        expect([...out].sort((a, b) => a.id - b.id)).toEqual(input);
      }),
    );
  });

  it('outputs a permutation of any input; every step back in time is an event reported late', async () => {
    const anyInput = fc.array(fc.option(fc.integer({ min: 0, max: 200 }), { nil: undefined }), { maxLength: 200 });
    await fc.assert(
      fc.asyncProperty(anyInput, fc.integer({ min: 0, max: 100 }), fc.option(fc.integer({ min: 0, max: 20 })), async (times, lateness, cap) => {
        const input = items(times);
        const { out, late } = await order(input, lateness, cap ?? undefined);
        expect([...out].sort((a, b) => a.id - b.id)).toEqual(input);
        const timed = out.filter((i) => i.t !== undefined);
        const lateIds = new Set(late.map((i) => i.id));
        for (let i = 1; i < timed.length; i++) {
          const prev = timed[i - 1] as Item;
          const cur = timed[i] as Item;
          if ((cur.t as number) < (prev.t as number)) expect(lateIds.has(cur.id)).toBe(true);
        }
      }),
    );
  });

  it('emits a late event at once and reports it', async () => {
    const { out, late } = await order(items([100, 200, 50, 195]), 10);
    expect(out.map((i) => i.t)).toEqual([100, 50, 195, 200]);
    expect(late.map((i) => i.t)).toEqual([50]);
  });

  it('does not report an event exactly at the watermark', async () => {
    const { out, late } = await order(items([100, 200, 190]), 10);
    expect(out.map((i) => i.t)).toEqual([100, 190, 200]);
    expect(late).toEqual([]);
  });

  it('keeps equal times in arrival order', async () => {
    const input = items([5, 3, 5, 3, 5]);
    const { out } = await order(input, 100);
    expect(out.map((i) => i.id)).toEqual([1, 3, 0, 2, 4]);
  });

  it('lets items without a time through at once', async () => {
    const input = items([300, undefined, 100, Number.NaN, 200, Number.POSITIVE_INFINITY]);
    const { out, late } = await order(input, 1000);
    expect(out.map((i) => i.id)).toEqual([1, 3, 5, 2, 4, 0]);
    expect(late).toEqual([]);
  });

  it('holds only the events within the lateness of the newest', async () => {
    // One event a second for an hour, each up to 10 s late; 60 s of lateness allowed.
    const times = Array.from({ length: 3600 }, (_, i) => i * 1000 + (i % 11 === 0 ? -10_000 : 0));
    let pulled = 0;
    async function* counted(): AsyncGenerator<Item> {
      for (const [id, t] of times.entries()) {
        pulled++;
        yield { id, t };
      }
    }
    let emitted = 0;
    let maxHeld = 0;
    for await (const _ of orderByEventTime(counted(), { timeOf, maxLatenessMs: 60_000 })) {
      emitted++;
      maxHeld = Math.max(maxHeld, pulled - emitted);
    }
    expect(emitted).toBe(3600);
    expect(maxHeld).toBeGreaterThan(50);
    expect(maxHeld).toBeLessThanOrEqual(72);
  });

  it('forces the oldest out beyond maxBuffered, and reports what then arrives too late', async () => {
    // Infinite lateness: only the cap releases anything before the end.
    const { out, late } = await order(items([10, 9, 8, 7, 6, 20, 5, 30]), Number.POSITIVE_INFINITY, 3);
    // 7 is the fourth held: the oldest (7 itself) goes; 6 and 5 then arrive behind it.
    expect(out.map((i) => i.t)).toEqual([7, 6, 8, 5, 9, 10, 20, 30]);
    expect(late.map((i) => i.t)).toEqual([6, 5]);
  });

  it('never holds more than maxBuffered', async () => {
    let pulled = 0;
    async function* descending(): AsyncGenerator<Item> {
      for (let id = 0; id < 1000; id++) {
        pulled++;
        yield { id, t: 1000 - id };
      }
    }
    let emitted = 0;
    let maxHeld = 0;
    for await (const _ of orderByEventTime(descending(), { timeOf, maxLatenessMs: Number.POSITIVE_INFINITY, maxBuffered: 25 })) {
      emitted++;
      maxHeld = Math.max(maxHeld, pulled - emitted);
    }
    expect(emitted).toBe(1000);
    expect(maxHeld).toBe(25);
  });

  it('stops reading its input when the consumer stops', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<Item> {
      try {
        for (let id = 0; ; id++) yield { id, t: id };
      } finally {
        finished = true;
      }
    }
    const seen: Item[] = [];
    for await (const item of orderByEventTime(source(), { timeOf, maxLatenessMs: 5 })) {
      seen.push(item);
      if (seen.length === 3) break;
    }
    expect(seen.map((i) => i.t)).toEqual([0, 1, 2]);
    expect(finished).toBe(true);
  });

  it('rejects a negative or NaN lateness and a negative cap', async () => {
    await expect(collect(orderByEventTime(from(items([1])), { timeOf, maxLatenessMs: -1 }))).rejects.toThrow(RangeError);
    await expect(collect(orderByEventTime(from(items([1])), { timeOf, maxLatenessMs: Number.NaN }))).rejects.toThrow(RangeError);
    await expect(collect(orderByEventTime(from(items([1])), { timeOf, maxLatenessMs: 0, maxBuffered: -1 }))).rejects.toThrow(
      RangeError,
    );
  });
});
