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

/**
 * Binary min-heap on (time, arrival sequence): the sequence makes equal times come out in arrival
 * order. Parallel arrays rather than one object per entry, so holding an event costs no allocation.
 */
export class TimeHeap<T> {
  private readonly times: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Time of the oldest entry; +Infinity when empty, so "oldest <= watermark" is simply false. */
  peekTime(): number {
    return this.times.length > 0 ? (this.times[0] as number) : Number.POSITIVE_INFINITY;
  }

  push(time: number, item: T): void {
    this.times.push(time);
    this.seqs.push(this.nextSeq++);
    this.items.push(item);
    this.siftUp(this.items.length - 1);
  }

  /** Removes and returns the oldest entry. Call only when size > 0. */
  pop(): T {
    const top = this.items[0] as T;
    const last = this.items.length - 1;
    if (last > 0) this.move(last, 0);
    this.times.pop();
    this.seqs.pop();
    this.items.pop(); // drops the reference, so emitted events can be collected
    if (last > 1) this.siftDown(0);
    return top;
  }

  private before(a: number, b: number): boolean {
    const ta = this.times[a] as number;
    const tb = this.times[b] as number;
    return ta < tb || (ta === tb && (this.seqs[a] as number) < (this.seqs[b] as number));
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.seqs[to] = this.seqs[from] as number;
    this.items[to] = this.items[from] as T;
  }

  private swap(a: number, b: number): void {
    const t = this.times[a] as number;
    const s = this.seqs[a] as number;
    const i = this.items[a] as T;
    this.move(b, a);
    this.times[b] = t;
    this.seqs[b] = s;
    this.items[b] = i;
  }

  private siftUp(index: number): void {
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const n = this.items.length;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      const child = right < n && this.before(right, left) ? right : left;
      if (!this.before(child, i)) return;
      this.swap(i, child);
      i = child;
    }
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
    while (heap.peekTime() <= this.watermark) out.push(heap.pop());
    while (heap.size > this.maxBuffered) {
      this.forced = Math.max(this.forced, heap.peekTime());
      out.push(heap.pop());
    }
  }

  drain(out: T[]): void {
    while (this.heap.size > 0) out.push(this.heap.pop());
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
