/**
 * The state port. Two adapters implement it: DynamoDB (deployed stages, `dynamodb-store.ts`) and an
 * embedded store (invoke local, replay, tests: `embedded-store.ts`, optionally persisted to a file).
 * One contract suite (`test/state/store-contract.test.ts`) runs against both.
 *
 * The operations are the few conditional primitives the incident logic needs, each of which maps to
 * exactly one DynamoDB request, so the cost of a path is the number of calls it makes.
 */

export type Scalar = string | number;

export interface StateKey {
  pk: string;
  sk: string;
}

/**
 * An item as the store keeps it: untyped on purpose, the port knows no kinds. The kinds trailwatch
 * stores, each with a codec that checks what it reads, are in lib/incidents/items.ts.
 */
export interface StateItem extends StateKey {
  /** Epoch seconds. Past this the item is treated as absent by every operation (DynamoDB TTL deletes lazily). */
  expiresAt: number;
  [attr: string]: Scalar;
}

/**
 * A write condition, evaluated atomically with the write against the current item. An expired item
 * (expiresAt <= now) counts as absent.
 */
export type Condition =
  /** The item must not exist. */
  | { kind: 'absent' }
  /** The item must not exist, or its numeric attribute must be <= atMost. */
  | { kind: 'absentOrAtMost'; attr: string; atMost: number }
  /** The item must exist, and (when given) its numeric attribute must satisfy gte <= value < lt. */
  | { kind: 'exists'; attr?: string; gte?: number; lt?: number }
  /** The item must exist and must not have this attribute. */
  | { kind: 'existsWithout'; attr: string };

export interface UpdateOps {
  /** Numeric attributes to increment (created at 0 when missing). */
  add?: Record<string, number>;
  /** Attributes to set unconditionally. */
  set?: Record<string, Scalar>;
  /** Attributes to set only when the item does not have them yet. */
  setIfAbsent?: Record<string, Scalar>;
  /** New expiry; kept as is when omitted (and 0 on a new item, so always give it when creating). */
  expiresAt?: number;
}

export interface PutResult {
  written: boolean;
  /** The (unexpired) item that was replaced, when written over an existing one. */
  previous?: StateItem;
  /**
   * Not written: the live item the condition failed on (absent when it failed on a missing item).
   * A claim that loses to an earlier one learns that claim's state without another request.
   */
  current?: StateItem;
}

/**
 * Keys and items obey DynamoDB's limits (partition key 2,048 bytes, sort key 1,024 bytes, item 400 KB,
 * all UTF-8): both adapters refuse more, the embedded one with a StateLimitError before writing.
 */
export interface StateStore {
  /** Writes the whole item when the condition holds (or unconditionally without one). */
  put(item: StateItem, condition?: Condition): Promise<PutResult>;
  /**
   * Applies ops atomically when the condition holds; creates the item when absent and no condition
   * forbids it. Returns the item after the update, or undefined when the condition failed.
   */
  update(key: StateKey, ops: UpdateOps, condition?: Condition): Promise<StateItem | undefined>;
  get(key: StateKey): Promise<StateItem | undefined>;
  /** Unexpired items of one partition with from <= sk <= to (either bound optional), ascending by sk. */
  query(pk: string, range?: { from?: string; to?: string; limit?: number }): Promise<StateItem[]>;
  delete(key: StateKey): Promise<void>;
  /** Persists buffered state (embedded store); a no-op for DynamoDB. */
  flush(): Promise<void>;
}

/** Counts calls by kind: the cost model in bench/results and the cost tests read it. */
export interface StoreCallCounts {
  reads: number;
  writes: number;
}
