/**
 * The state semantics both adapters share (expiry, conditions, update ops, sort order): pure, no I/O,
 * so the DynamoDB adapter, bundled into Lambda, does not pull in the embedded store's file code.
 */
import type { Condition, Scalar, StateItem, StateKey, UpdateOps } from './store.js';

/** Expired items (expiresAt <= now) are absent everywhere: DynamoDB TTL deletes them up to 48 h late. */
export function isLive(item: StateItem, nowMs: number): boolean {
  return item.expiresAt > nowMs / 1000;
}

/**
 * DynamoDB orders string sort keys by UTF-8 bytes, i.e. by code point. JS `<` compares UTF-16 code
 * units, which differs only for surrogates (code points above U+FFFF), which must sort after U+E000..U+FFFF.
 */
export function compareSortKeys(a: string, b: string): number {
  if (a === b) return 0;
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(codeUnit: number): number {
  if (codeUnit >= 0xe000) return codeUnit - 0x800;
  if (codeUnit >= 0xd800) return codeUnit + 0x2000;
  return codeUnit;
}

export function validateCondition(condition: Condition | undefined): void {
  if (condition?.kind === 'exists' && condition.attr === undefined && (condition.gte !== undefined || condition.lt !== undefined)) {
    throw new Error('Condition exists: gte/lt need attr');
  }
}

/** Rejects what DynamoDB would reject, so both adapters fail the same way before writing anything. */
export function validateUpdateOps(ops: UpdateOps): void {
  const seen = new Set<string>();
  const groups: [string, Record<string, Scalar> | undefined][] = [
    ['add', ops.add],
    ['set', ops.set],
    ['setIfAbsent', ops.setIfAbsent],
  ];
  for (const [group, attrs] of groups) {
    for (const [name, value] of Object.entries(attrs ?? {})) {
      if (name === 'pk' || name === 'sk' || name === 'expiresAt') {
        throw new Error(`update: ${group}.${name} is not allowed (keys are immutable; use ops.expiresAt for the expiry)`);
      }
      if (seen.has(name)) throw new Error(`update: attribute ${name} appears in more than one of add/set/setIfAbsent`);
      seen.add(name);
      if (group === 'add' ? !isFiniteNumber(value) : !isScalar(value)) {
        throw new Error(`update: ${group}.${name} has an invalid value`);
      }
    }
  }
  if (ops.expiresAt !== undefined && !isFiniteNumber(ops.expiresAt)) throw new Error('update: expiresAt must be a finite number');
}

/** The item after applying ops to the current live item (undefined: start from an empty item with expiresAt 0). */
export function applyUpdateOps(current: StateItem | undefined, key: StateKey, ops: UpdateOps): StateItem {
  const next: StateItem = current ? { ...current } : { pk: key.pk, sk: key.sk, expiresAt: 0 };
  for (const [name, delta] of Object.entries(ops.add ?? {})) {
    const old = next[name];
    if (old !== undefined && typeof old !== 'number') throw new Error(`update: cannot add to non-numeric attribute ${name}`);
    next[name] = (old ?? 0) + delta;
  }
  for (const [name, value] of Object.entries(ops.set ?? {})) next[name] = value;
  for (const [name, value] of Object.entries(ops.setIfAbsent ?? {})) {
    if (!Object.hasOwn(next, name)) next[name] = value;
  }
  if (ops.expiresAt !== undefined) next.expiresAt = ops.expiresAt;
  return next;
}

/** Evaluates a condition against the current live item (undefined when absent or expired). */
export function conditionHolds(current: StateItem | undefined, condition: Condition | undefined): boolean {
  if (condition === undefined) return true;
  switch (condition.kind) {
    case 'absent':
      return current === undefined;
    case 'absentOrAtMost': {
      if (current === undefined) return true;
      const value = current[condition.attr];
      return typeof value === 'number' && value <= condition.atMost;
    }
    case 'exists': {
      if (current === undefined) return false;
      if (condition.attr === undefined || (condition.gte === undefined && condition.lt === undefined)) return true;
      // Like DynamoDB, a missing or non-numeric attribute fails any numeric comparison.
      const value = current[condition.attr];
      if (typeof value !== 'number') return false;
      return (condition.gte === undefined || value >= condition.gte) && (condition.lt === undefined || value < condition.lt);
    }
    case 'existsWithout':
      return current !== undefined && !Object.hasOwn(current, condition.attr);
  }
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || isFiniteNumber(value);
}

/** DynamoDB's limits, in UTF-8 bytes: partition key 2,048, sort key 1,024, whole item 400 KB. */
export const MAX_PK_BYTES = 2048;
export const MAX_SK_BYTES = 1024;
export const MAX_ITEM_BYTES = 400 * 1024;

/** A DynamoDB ValidationException's counterpart, so local runs fail where AWS would. */
export class StateLimitError extends Error {
  override readonly name = 'StateLimitError';
}

const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
/** A short, printable prefix of a key for error messages (keys can be long and hold event text). */
const preview = (text: string): string => JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}...` : text);

export function validateKey(key: StateKey): void {
  // DynamoDB rejects empty key strings; reject them here too so local runs catch it.
  if (typeof key.pk !== 'string' || key.pk === '' || typeof key.sk !== 'string' || key.sk === '') {
    throw new Error(`state key must have non-empty string pk and sk, got ${JSON.stringify({ pk: key.pk, sk: key.sk })}`);
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short keys need no byte count (the hot path).
  if (key.pk.length * 3 > MAX_PK_BYTES && utf8Bytes(key.pk) > MAX_PK_BYTES) throw new StateLimitError(`partition key ${preview(key.pk)} is over ${MAX_PK_BYTES} bytes`);
  if (key.sk.length * 3 > MAX_SK_BYTES && utf8Bytes(key.sk) > MAX_SK_BYTES) throw new StateLimitError(`sort key ${preview(key.sk)} is over ${MAX_SK_BYTES} bytes`);
}

/**
 * DynamoDB's item size: attribute names plus values, strings in UTF-8 bytes, numbers about one byte
 * per two significant digits plus one.
 */
export function itemBytes(item: Readonly<Record<string, Scalar>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += utf8Bytes(name);
    if (typeof value === 'string') bytes += utf8Bytes(value);
    else bytes += Math.ceil(String(Math.abs(value)).replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').length / 2) + 1;
  }
  return bytes;
}

export function validateItem(item: StateItem): void {
  validateKey(item);
  const problem = stateItemProblem(item);
  if (problem) throw new Error(`invalid state item ${item.pk}/${item.sk}: ${problem}`);
  validateItemSize(item);
}

/** At least itemBytes(item), cheaply: 3 bytes per UTF-16 code unit, 16 per number (it has 21 digits at most). */
function itemBytesBound(item: Readonly<Record<string, Scalar>>): number {
  let bound = 0;
  for (const name of Object.keys(item)) {
    const value = item[name];
    bound += 3 * name.length + (typeof value === 'string' ? 3 * value.length : 16);
  }
  return bound;
}

export function validateItemSize(item: StateItem): void {
  // Nearly every item is far below the limit: count its bytes exactly only when it might not be.
  if (itemBytesBound(item) <= MAX_ITEM_BYTES) return;
  const bytes = itemBytes(item);
  if (bytes > MAX_ITEM_BYTES) throw new StateLimitError(`state item ${preview(item.pk)}/${preview(item.sk)} is ${bytes} bytes: item size over DynamoDB's ${MAX_ITEM_BYTES}`);
}

/** Why a value is not a StateItem, or undefined when it is one. */
export function stateItemProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const record = value as Record<string, unknown>;
  if (typeof record['pk'] !== 'string' || typeof record['sk'] !== 'string') return 'pk and sk must be strings';
  if (!isFiniteNumber(record['expiresAt'])) return 'expiresAt must be a finite number';
  for (const [name, attr] of Object.entries(record)) {
    if (!isScalar(attr)) return `attribute ${name} is not a string or finite number`;
  }
  return undefined;
}
