/**
 * The DynamoDB adapter of the state port. Every operation is one request in the common case (see
 * `update` for the one exception), so a path's cost is its call count.
 *
 * Expiry: DynamoDB TTL deletes expired items lazily (up to 48 h late), so every condition treats an
 * item with expiresAt <= now as absent and every read filters such items out. `now` is injectable
 * (replay, tests), so conditions compare against it rather than against the server clock.
 */
import type { AttributeValue, CreateTableCommandInput, KeySchemaElement } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  applyUpdateOps,
  compareSortKeys,
  isLive,
  stateItemProblem,
  validateCondition,
  validateUpdateOps,
} from './semantics.js';
import type { Condition, PutResult, Scalar, StateItem, StateKey, StateStore, StoreCallCounts, UpdateOps } from './store.js';

export interface DynamoDbStoreOptions {
  tableName: string;
  client: DynamoDBDocumentClient;
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
  counts?: StoreCallCounts;
}

/** pk (S, HASH) + sk (S, RANGE); TTL attribute `expiresAt`. The deployed table is defined in CloudFormation. */
export const TABLE_KEY_SCHEMA: KeySchemaElement[] = [
  { AttributeName: 'pk', KeyType: 'HASH' },
  { AttributeName: 'sk', KeyType: 'RANGE' },
];
export const TTL_ATTRIBUTE = 'expiresAt';

/** CreateTable input matching the deployed table, for tests against a local DynamoDB. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    KeySchema: TABLE_KEY_SCHEMA,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** Bounded retries for update's rare expired-item path, which can race other writers. */
const MAX_UPDATE_ATTEMPTS = 5;

// ---------------------------------------------------------------------------------------------
// Expressions (pure)
// ---------------------------------------------------------------------------------------------

/**
 * Collects placeholders. Every attribute name goes through one (`count`, `end`, ... are reserved
 * words), and placeholders are created only when used: DynamoDB rejects unused ones.
 */
export class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, Scalar> = {};
  readonly #nameIds = new Map<string, string>();
  #valueCount = 0;

  name(attr: string): string {
    let id = this.#nameIds.get(attr);
    if (id === undefined) {
      id = `#n${this.#nameIds.size}`;
      this.#nameIds.set(attr, id);
      this.names[id] = attr;
    }
    return id;
  }

  value(value: Scalar): string {
    const id = `:v${this.#valueCount++}`;
    this.values[id] = value;
    return id;
  }

  /** The attribute maps, omitted when empty (DynamoDB rejects empty maps). */
  params(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, Scalar> } {
    return {
      ...(this.#nameIds.size > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(this.#valueCount > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

function notExists(b: ExpressionBuilder): string {
  return `attribute_not_exists(${b.name('pk')})`;
}

/** exists / existsWithout: the item must be there and unexpired. */
function liveCondition(condition: Extract<Condition, { kind: 'exists' | 'existsWithout' }>, nowSec: number, b: ExpressionBuilder): string {
  const parts = [`attribute_exists(${b.name('pk')})`, `${b.name(TTL_ATTRIBUTE)} > ${b.value(nowSec)}`];
  if (condition.kind === 'existsWithout') {
    parts.push(`attribute_not_exists(${b.name(condition.attr)})`);
  } else if (condition.attr !== undefined) {
    if (condition.gte !== undefined) parts.push(`${b.name(condition.attr)} >= ${b.value(condition.gte)}`);
    if (condition.lt !== undefined) parts.push(`${b.name(condition.attr)} < ${b.value(condition.lt)}`);
  }
  return parts.join(' AND ');
}

/** A put's condition: an expired item counts as absent, so it may be overwritten. */
export function putConditionExpression(condition: Condition, nowSec: number, b: ExpressionBuilder): string {
  switch (condition.kind) {
    case 'absent':
      return `${notExists(b)} OR ${b.name(TTL_ATTRIBUTE)} <= ${b.value(nowSec)}`;
    case 'absentOrAtMost':
      return `${notExists(b)} OR ${b.name(TTL_ATTRIBUTE)} <= ${b.value(nowSec)} OR ${b.name(condition.attr)} <= ${b.value(condition.atMost)}`;
    case 'exists':
    case 'existsWithout':
      return liveCondition(condition, nowSec, b);
  }
}

/**
 * An update's condition. Unlike a put, an update must not land on an expired item (ADD and
 * if_not_exists would build on stale values), so the conditions that admit an absent item also
 * require the item to be truly missing or unexpired; `update` handles the expired case separately.
 */
export function updateConditionExpression(condition: Condition | undefined, nowSec: number, b: ExpressionBuilder): string {
  switch (condition?.kind) {
    case undefined:
      return `${notExists(b)} OR ${b.name(TTL_ATTRIBUTE)} > ${b.value(nowSec)}`;
    case 'absent':
      return notExists(b);
    case 'absentOrAtMost':
      return `${notExists(b)} OR (${b.name(TTL_ATTRIBUTE)} > ${b.value(nowSec)} AND ${b.name(condition.attr)} <= ${b.value(condition.atMost)})`;
    case 'exists':
    case 'existsWithout':
      return liveCondition(condition, nowSec, b);
  }
}

/** SET for set / setIfAbsent / expiresAt, ADD for add. Always SETs expiresAt so a new item gets 0 when not given. */
export function updateExpression(ops: UpdateOps, b: ExpressionBuilder): string {
  const sets: string[] = [];
  for (const [attr, value] of Object.entries(ops.set ?? {})) sets.push(`${b.name(attr)} = ${b.value(value)}`);
  for (const [attr, value] of Object.entries(ops.setIfAbsent ?? {})) {
    const name = b.name(attr);
    sets.push(`${name} = if_not_exists(${name}, ${b.value(value)})`);
  }
  const ttl = b.name(TTL_ATTRIBUTE);
  sets.push(ops.expiresAt === undefined ? `${ttl} = if_not_exists(${ttl}, ${b.value(0)})` : `${ttl} = ${b.value(ops.expiresAt)}`);
  const adds = Object.entries(ops.add ?? {}).map(([attr, delta]) => `${b.name(attr)} ${b.value(delta)}`);
  return adds.length > 0 ? `SET ${sets.join(', ')} ADD ${adds.join(', ')}` : `SET ${sets.join(', ')}`;
}

/** Key condition for from <= sk <= to; undefined when the range is empty (BETWEEN would be a ValidationException). */
export function keyConditionExpression(pk: string, from: string | undefined, to: string | undefined, b: ExpressionBuilder): string | undefined {
  const pkPart = `${b.name('pk')} = ${b.value(pk)}`;
  if (from !== undefined && to !== undefined) {
    if (compareSortKeys(from, to) > 0) return undefined;
    return `${pkPart} AND ${b.name('sk')} BETWEEN ${b.value(from)} AND ${b.value(to)}`;
  }
  if (from !== undefined) return `${pkPart} AND ${b.name('sk')} >= ${b.value(from)}`;
  if (to !== undefined) return `${pkPart} AND ${b.name('sk')} <= ${b.value(to)}`;
  return pkPart;
}

// ---------------------------------------------------------------------------------------------
// Items and errors (pure)
// ---------------------------------------------------------------------------------------------

function toStateItem(raw: Record<string, unknown>): StateItem {
  const problem = stateItemProblem(raw);
  if (problem) throw new Error(`malformed state item in DynamoDB (${String(raw['pk'])}/${String(raw['sk'])}): ${problem}`);
  return raw as StateItem;
}

/** The raw AttributeValue map DynamoDB attaches to a ConditionalCheckFailedException (the document client leaves it marshalled). */
export function fromAttributeValues(raw: Record<string, AttributeValue>): StateItem {
  const item: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value.S !== undefined) item[name] = value.S;
    else if (value.N !== undefined) item[name] = Number(value.N);
    else item[name] = value; // not a scalar: toStateItem reports it
  }
  return toStateItem(item);
}

type ConditionalCheckFailed = Error & { Item?: Record<string, AttributeValue> };

/** Checked by name, not instanceof: bundles can hold more than one copy of the SDK. */
function isConditionalCheckFailed(error: unknown): error is ConditionalCheckFailed {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Why an update's condition failed, given the item it failed on (undefined: gone by now). */
type GuardVerdict = 'failed' | 'retry' | 'replaceExpired';

export function classifyUpdateFailure(old: StateItem | undefined, condition: Condition | undefined, nowMs: number): GuardVerdict {
  if (condition?.kind === 'exists' || condition?.kind === 'existsWithout') return 'failed';
  // Deleted since the attempt: the update would now apply to an absent item.
  if (old === undefined) return 'retry';
  if (!isLive(old, nowMs)) return 'replaceExpired';
  switch (condition?.kind) {
    case 'absent':
      return 'failed';
    case 'absentOrAtMost': {
      const value = old[condition.attr];
      return typeof value === 'number' && value <= condition.atMost ? 'retry' : 'failed';
    }
    case undefined:
      // It was expired at the attempt and has been rewritten since.
      return 'retry';
  }
}

// ---------------------------------------------------------------------------------------------
// The store
// ---------------------------------------------------------------------------------------------

export function createDynamoDbStore(options: DynamoDbStoreOptions): StateStore {
  const { tableName: TableName, client } = options;
  const now = options.now ?? Date.now;
  const count = (kind: keyof StoreCallCounts): void => {
    if (options.counts) options.counts[kind]++;
  };

  /** GetItem without the expiry filter: update needs to see an expired item to replace it. */
  async function getRaw(key: StateKey): Promise<StateItem | undefined> {
    count('reads');
    const out = await client.send(new GetCommand({ TableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }));
    return out.Item && toStateItem(out.Item);
  }

  async function put(item: StateItem, condition?: Condition): Promise<PutResult> {
    validateCondition(condition);
    const nowMs = now();
    const b = new ExpressionBuilder();
    const conditionExpression = condition && putConditionExpression(condition, nowMs / 1000, b);
    count('writes');
    try {
      const out = await client.send(
        new PutCommand({
          TableName,
          Item: item,
          ReturnValues: 'ALL_OLD',
          ...(conditionExpression
            ? { ConditionExpression: conditionExpression, ...b.params(), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const }
            : {}),
        }),
      );
      const old = out.Attributes && toStateItem(out.Attributes);
      return old && isLive(old, nowMs) ? { written: true, previous: old } : { written: true };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Real DynamoDB returns the item the condition failed on; dynalite does not, so read it then.
      const current = error.Item ? fromAttributeValues(error.Item) : await getRaw(item);
      return current && isLive(current, now()) ? { written: false, current } : { written: false };
    }
  }

  type Attempt = { kind: 'done'; item: StateItem } | { kind: 'conditionFailed'; old: StateItem | undefined; oldKnown: boolean };

  async function attemptUpdate(key: StateKey, ops: UpdateOps, condition: Condition | undefined, nowMs: number): Promise<Attempt> {
    const b = new ExpressionBuilder();
    const UpdateExpression = updateExpression(ops, b);
    const ConditionExpression = updateConditionExpression(condition, nowMs / 1000, b);
    count('writes');
    try {
      const out = await client.send(
        new UpdateCommand({
          TableName,
          Key: { pk: key.pk, sk: key.sk },
          UpdateExpression,
          ConditionExpression,
          ...b.params(),
          ReturnValues: 'ALL_NEW',
          // Real DynamoDB then says which item failed the check, saving a read; dynalite ignores it.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      if (!out.Attributes) throw new Error(`UpdateItem ${key.pk}/${key.sk} returned no attributes`);
      return { kind: 'done', item: toStateItem(out.Attributes) };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return error.Item
        ? { kind: 'conditionFailed', old: fromAttributeValues(error.Item), oldKnown: true }
        : { kind: 'conditionFailed', old: undefined, oldKnown: false };
    }
  }

  /** Writes the item the update would create on an absent item, over the expired one (still only if absent/expired). */
  async function replaceExpired(key: StateKey, ops: UpdateOps): Promise<StateItem | undefined> {
    const fresh = applyUpdateOps(undefined, key, ops);
    return (await put(fresh, { kind: 'absent' })).written ? fresh : undefined;
  }

  /**
   * One UpdateItem in the common case. Only when the item exists but is expired (TTL lag) does it take
   * a second write, replacing the stale item with a fresh one; against a DynamoDB that does not return
   * the failing item (dynalite), a failed absent/absentOrAtMost/unconditional update also costs a GetItem.
   */
  async function update(key: StateKey, ops: UpdateOps, condition?: Condition): Promise<StateItem | undefined> {
    validateUpdateOps(ops);
    validateCondition(condition);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const nowMs = now();
      const result = await attemptUpdate(key, ops, condition, nowMs);
      if (result.kind === 'done') return result.item;
      const guarded = condition?.kind !== 'exists' && condition?.kind !== 'existsWithout';
      const old = result.oldKnown || !guarded ? result.old : await getRaw(key);
      const verdict = classifyUpdateFailure(old, condition, nowMs);
      if (verdict === 'failed') return undefined;
      if (verdict === 'replaceExpired') {
        const fresh = await replaceExpired(key, ops);
        if (fresh) return fresh;
      }
    }
    throw new Error(`update ${key.pk}/${key.sk}: gave up after ${MAX_UPDATE_ATTEMPTS} attempts racing concurrent writers`);
  }

  async function get(key: StateKey): Promise<StateItem | undefined> {
    const item = await getRaw(key);
    return item && isLive(item, now()) ? item : undefined;
  }

  async function query(pk: string, range: { from?: string; to?: string; limit?: number } = {}): Promise<StateItem[]> {
    const { from, to, limit } = range;
    if (limit !== undefined && limit <= 0) return [];
    const b = new ExpressionBuilder();
    const KeyConditionExpression = keyConditionExpression(pk, from, to, b);
    if (KeyConditionExpression === undefined) return [];
    const FilterExpression = `${b.name(TTL_ATTRIBUTE)} > ${b.value(now() / 1000)}`;
    const items: StateItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    // Limit caps the items DynamoDB evaluates (and bills) before the expiry filter, so a page can come
    // back short: keep paging until enough live items or the end of the range.
    do {
      count('reads');
      const out = await client.send(
        new QueryCommand({
          TableName,
          ConsistentRead: true,
          KeyConditionExpression,
          FilterExpression,
          ...b.params(),
          ...(limit !== undefined ? { Limit: limit - items.length } : {}),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const raw of out.Items ?? []) items.push(toStateItem(raw));
      startKey = out.LastEvaluatedKey;
    } while (startKey && (limit === undefined || items.length < limit));
    return items;
  }

  async function remove(key: StateKey): Promise<void> {
    count('writes');
    await client.send(new DeleteCommand({ TableName, Key: { pk: key.pk, sk: key.sk } }));
  }

  return { put, update, get, query, delete: remove, flush: async () => {} };
}
