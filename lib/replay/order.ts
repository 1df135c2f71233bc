/**
 * Puts replayed events back in event-time order. Files come roughly in delivery order (one per ~5
 * minutes per account and region, delivered 5-15 minutes late), so events are only locally out of
 * order: a buffer that holds the last `maxLatenessMs` of event time is enough to sort them, and its
 * size depends on the event rate, not on how much history is replayed.
 */

export interface OrderOptions<T> {
  /** Event time in ms since epoch; undefined (or a non-finite number) for items that are not timed events. */
  timeOf: (item: T) => number | undefined;
  /** How far behind the newest event time an event may arrive and still be put in order. */
  maxLatenessMs: number;
  /** Hard cap on held events; beyond it the oldest is emitted early. Default 200_000. */
  maxBuffered?: number;
  /** Called for each event emitted out of order because it arrived too late to be sorted. */
  onLate?: (item: T) => void;
}

export const DEFAULT_MAX_BUFFERED = 200_000;

/** The items of one time, in arrival order; `head` is the next to leave. */
interface Bucket<T> {
  items: T[];
  head: number;
}

/**
 * The held items by (time, arrival): a binary min-heap of the distinct times, each with its items in
 * arrival order, which is the order equal times leave in. CloudTrail times have whole seconds and a
 * history has several events a second, so the heap moves a fraction of the items an item-per-entry
 * heap did; leaving by whole times (popUpTo) touches no heap per item at all.
 */
export class TimeHeap<T> {
  private readonly times: number[] = [];
  private readonly buckets = new Map<number, Bucket<T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Time of the oldest entry; +Infinity when empty, so "oldest <= watermark" is simply false. */
  peekTime(): number {
    return this.times.length > 0 ? (this.times[0] as number) : Number.POSITIVE_INFINITY;
  }

  push(time: number, item: T): void {
    const bucket = this.buckets.get(time);
    if (bucket) bucket.items.push(item);
    else {
      this.buckets.set(time, { items: [item], head: 0 });
      this.times.push(time);
      this.siftUp(this.times.length - 1);
    }
    this.count += 1;
  }

  /** Removes and returns the oldest entry. Call only when size > 0. */
  pop(): T {
    const time = this.times[0] as number;
    const bucket = this.buckets.get(time) as Bucket<T>;
    const item = bucket.items[bucket.head] as T;
    bucket.items[bucket.head] = undefined as T; // emitted events can be collected
    bucket.head += 1;
    this.count -= 1;
    if (bucket.head === bucket.items.length) this.dropOldestTime(time);
    return item;
  }

  /** Moves every entry at or before `time` to `out`, oldest first: the same as popping them one by one. */
  popUpTo(time: number, out: T[]): void {
    while (this.times.length > 0 && (this.times[0] as number) <= time) {
      const oldest = this.times[0] as number;
      const bucket = this.buckets.get(oldest) as Bucket<T>;
      const { items } = bucket;
      for (let i = bucket.head; i < items.length; i++) out.push(items[i] as T);
      this.count -= items.length - bucket.head;
      this.dropOldestTime(oldest);
    }
  }

  private dropOldestTime(time: number): void {
    this.buckets.delete(time);
    const times = this.times;
    const last = times.pop() as number;
    if (times.length > 0) {
      times[0] = last;
      this.siftDown(0);
    }
  }

  private siftUp(index: number): void {
    const times = this.times;
    const time = times[index] as number;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((times[parent] as number) <= time) break;
      times[i] = times[parent] as number;
      i = parent;
    }
    times[i] = time;
  }

  private siftDown(index: number): void {
    const times = this.times;
    const n = times.length;
    const time = times[index] as number;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (times[right] as number) < (times[left] as number) ? right : left;
      if ((times[child] as number) >= time) break;
      times[i] = times[child] as number;
      i = child;
    }
    times[i] = time;
  }
}

function checkOptions<T>(opts: OrderOptions<T>): number {
  if (!(opts.maxLatenessMs >= 0)) throw new RangeError(`maxLatenessMs must be >= 0, got ${opts.maxLatenessMs}`);
  const maxBuffered = opts.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  if (!(maxBuffered >= 0)) throw new RangeError(`maxBuffered must be >= 0, got ${maxBuffered}`);
  return maxBuffered;
}

/**
 * The reordering itself, synchronous: push items, collect what may leave. Holds events until the
 * watermark (max event time seen - maxLatenessMs) passes them, then emits in eventTime order (stable
 * for equal times). Events older than the watermark when they arrive are emitted immediately (and
 * counted via onLate); so are events older than one already forced out by maxBuffered. Items without a
 * parseable time pass through at once. Memory is bounded by the events within maxLatenessMs of the newest.
 */
export class Reorderer<T> {
  private readonly heap = new TimeHeap<T>();
  private readonly maxBuffered: number;
  private watermark = Number.NEGATIVE_INFINITY;
  // Newest time forced out early by maxBuffered: anything older can no longer be emitted in order.
  private forced = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: OrderOptions<T>) {
    this.maxBuffered = checkOptions(opts);
  }

  push(item: T, out: T[]): void {
    const time = this.opts.timeOf(item);
    if (time === undefined || !Number.isFinite(time)) {
      out.push(item);
      return;
    }
    if (time < this.watermark || time < this.forced) {
      this.opts.onLate?.(item);
      out.push(item);
      return;
    }
    const heap = this.heap;
    heap.push(time, item);
    // Only a newer time moves the watermark; an Infinity lateness keeps it at -Infinity.
    if (time - this.opts.maxLatenessMs > this.watermark) this.watermark = time - this.opts.maxLatenessMs;
    heap.popUpTo(this.watermark, out);
    while (heap.size > this.maxBuffered) {
      this.forced = Math.max(this.forced, heap.peekTime());
      out.push(heap.pop());
    }
  }

  drain(out: T[]): void {
    this.heap.popUpTo(Number.POSITIVE_INFINITY, out);
  }
}

/** Reorders a stream of items by event time with a bounded buffer (see Reorderer). */
export async function* orderByEventTime<T>(items: AsyncIterable<T>, opts: OrderOptions<T>): AsyncGenerator<T> {
  const reorderer = new Reorderer(opts);
  const out: T[] = [];
  for await (const item of items) {
    reorderer.push(item, out);
    for (const o of out) yield o;
    out.length = 0;
  }
  reorderer.drain(out);
  for (const o of out) yield o;
}

/**
 * The same, a batch at a time: one async step per batch rather than per event, which replay needs
 * (per-event async steps cost more than the rules).
 */
export async function* orderBatchesByEventTime<T>(batches: AsyncIterable<T[]>, opts: OrderOptions<T>): AsyncGenerator<T[]> {
  const reorderer = new Reorderer(opts);
  for await (const batch of batches) {
    const out: T[] = [];
    for (const item of batch) reorderer.push(item, out);
    if (out.length) yield out;
  }
  const rest: T[] = [];
  reorderer.drain(rest);
  if (rest.length) yield rest;
}
