import { createHash } from 'node:crypto';
import type { GroupKey } from '../detection/rule.js';
import type { Scalar, StateItem, StateKey } from '../state/store.js';

/**
 * The items trailwatch keeps in the state store, one typed definition per kind: its key and its
 * attributes, a pure `encode` (typed value -> StateItem) and a `decode` that checks what it reads. A
 * stored item is data from disk or DynamoDB: a missing or wrong-typed attribute is a StateItemError
 * naming the kind, the key and the attribute, never a NaN or an "undefined" string further on.
 *
 * The formats are those the deployed version writes; an attribute that older items may lack (or
 * that only some writes set) is optional here, so every item already stored still decodes.
 *
 * | kind       | pk                     | sk                                  | what it is                                  |
 * | ---------- | ---------------------- | ----------------------------------- | ------------------------------------------- |
 * | claim      | `ev#<rule>#<group>`    | `<event time ISO>#<event id key>`   | one matched event: its decision and outbox  |
 * | incident   | `inc#<rule>#<group>`   | `current`                           | the group's latest incident                 |
 * | due        | `due#<5-min bucket>`   | `<rule>#<group>#<start>`            | an incident's follow-up, due in that bucket |
 * | mark       | `val#<rule>#<group>`   | `<period start ISO>#<value hash>`   | a distinct value touched in a period        |
 * | checkpoint | `flush`                | `checkpoint`                        | the first bucket the flush still reads      |
 *
 * (`<group>` is the group key's hash: group text is attacker-chosen and of any length.)
 */

export const BUCKET_MS = 5 * 60_000;
const MAX_RECENT_GROUPS = 4096;
const MAX_CACHED_GROUP_CHARS = 1024;
const recentGroupHashes = new Map<string, string>();
/** Event ids longer than this (UTF-8 bytes) are keyed by their hash: a sort key holds 1,024 bytes. */
const MAX_ID_KEY_BYTES = 200;

let lastIso: { ms: number; text: string } = { ms: Number.NaN, text: '' };
/** ISO text of a time; the last one is remembered (a replay's marks and windows ask for one period start again and again). */
export const iso = (ms: number): string => {
  if (ms === lastIso.ms) return lastIso.text;
  const text = new Date(ms).toISOString();
  lastIso = { ms, text };
  return text;
};
export const bucketOf = (ms: number): string => iso(Math.floor(ms / BUCKET_MS) * BUCKET_MS);

/** The first 32 hex digits of text's SHA-256: what keys hold of attacker-chosen text of any length. */
const hash32 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

/**
 * A hash remembered under `key` (undefined: not remembered): a replay hashes the same few groups and
 * values again and again. Bounded, since the text is attacker-chosen.
 */
function remembered(cache: Map<string, string>, key: string | undefined, hash: () => string): string {
  let found = key === undefined ? undefined : cache.get(key);
  if (found === undefined) {
    found = hash();
    if (cache.size >= MAX_RECENT_GROUPS) cache.clear();
    if (key !== undefined && key.length <= MAX_CACHED_GROUP_CHARS) cache.set(key, found);
  }
  return found;
}

/** Group keys are attacker-chosen text of any length: keys hold a hash, items keep the text. */
export function groupHash(group: GroupKey): string {
  // Remembered under a key built without sorting or JSON (lengths first, so unambiguous); the hash
  // itself is always of the sorted JSON, as stored keys have it.
  let lookup: string | undefined = '';
  for (const key of Object.keys(group)) {
    const value: unknown = group[key];
    if (typeof value !== 'string' || lookup.length > MAX_CACHED_GROUP_CHARS) {
      lookup = undefined;
      break;
    }
    lookup += `${key.length}:${key}${value.length}:${value}`;
  }
  return remembered(recentGroupHashes, lookup, () => hash32(JSON.stringify(Object.entries(group).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))));
}

/** The event id as it appears in keys: itself when short, else its hash (same id, same key). */
export function idKeyOf(eventId: string): string {
  if (Buffer.byteLength(eventId, 'utf8') <= MAX_ID_KEY_BYTES) return eventId;
  return `sha256:${createHash('sha256').update(eventId).digest('hex')}`;
}

// ---- keys ----------------------------------------------------------------------------------------

export const claimPk = (ruleId: string, hash: string): string => `ev#${ruleId}#${hash}`;
export const claimKey = (ruleId: string, hash: string, eventMs: number, eventId: string): StateKey => ({
  pk: claimPk(ruleId, hash),
  sk: `${iso(eventMs)}#${idKeyOf(eventId)}`,
});
export const incidentKey = (ruleId: string, hash: string): StateKey => ({ pk: `inc#${ruleId}#${hash}`, sk: 'current' });
/** The follow-up of an incident is due once no on-time event can still join it. */
export const dueKey = (ruleId: string, hash: string, start: number, end: number, latenessMs: number): StateKey => ({
  pk: duePk(end + latenessMs),
  sk: `${ruleId}#${hash}#${start}`,
});
/** The partition of the due markers of the 5-minute bucket holding `ms`. */
export const duePk = (ms: number): string => `due#${bucketOf(ms)}`;
/** The mark of a distinct value (hashed: values are attacker-chosen text) in the period starting at `periodStart`. */
export const markKey = (ruleId: string, hash: string, periodStart: number, value: string): StateKey => ({
  pk: `val#${ruleId}#${hash}`,
  sk: `${iso(periodStart)}#${valueHash(value)}`,
});

const recentValueHashes = new Map<string, string>();

/** A distinct value's hash, remembered like groupHash's. */
const valueHash = (value: string): string => remembered(recentValueHashes, value, () => hash32(value));
export const CHECKPOINT_KEY: Readonly<StateKey> = { pk: 'flush', sk: 'checkpoint' };

// ---- the kinds -----------------------------------------------------------------------------------

interface Stored extends StateKey {
  /** Epoch seconds: the store treats the item as absent afterwards. */
  expiresAt: number;
}

export const CLAIM_DECISIONS = ['alert', 'suppress', 'pending', 'late', 'sent'] as const;
export type ClaimDecision = (typeof CLAIM_DECISIONS)[number];

/** What a claim says about its event's outcome; all absent while a burst match is undecided. */
export interface ClaimOutcome {
  d?: ClaimDecision | undefined;
  /** The recorded alert (lib/incidents/policy.ts, `recordedAlert`) while owed; '' once settled or sent. */
  alert?: string | undefined;
  /** Start of the incident the match is counted in; -1: none (a late or standalone alert). */
  inc?: number | undefined;
  /** That incident's end (0 with inc -1). */
  end?: number | undefined;
}

/** One matched event, exclusive per (rule, group, event): lib/incidents/policy.ts explains the protocol. */
export interface Claim extends Stored, ClaimOutcome {
  /** Event time, epoch ms. */
  t: number;
  /** The event id (bounded). */
  id: string;
  /** The event's API name (bounded); claims written before API names were recorded have none. */
  api?: string | undefined;
  /** Epoch ms until which an attempt holds the claim; 0 once released or final. */
  lease: number;
}

export interface Incident extends Stored {
  start: number;
  end: number;
  /** Matches the incident's alert reported (written by every version that reads it; absent reads 0). */
  alerted: number;
  /** Key form of the opener's event id. */
  eventId: string;
}

/** When and what an incident's follow-up reports, and how its delivery went so far. */
export interface DueMarker extends Stored {
  ruleId: string;
  hash: string;
  start: number;
  end: number;
  alerted: number;
  /** The span of the burst the alert reported (burst alerts only). */
  first?: number | undefined;
  last?: number | undefined;
  /** The rule counts bursts (written, not read: for people reading the table). */
  threshold: boolean;
  group: GroupKey;
  eventId: string;
  account: string;
  region: string;
  eventSource: string;
  eventName: string;
  actor: string;
  actorType: string;
  actorArn?: string | undefined;
  /** Publishes tried so far, the next try's time (epoch ms) and the last failure. */
  attempts?: number | undefined;
  retryAt?: number | undefined;
  lastError?: string | undefined;
}

/** The first on-time match of a group that touched a distinct value in a period. Never changes. */
export interface Mark extends Stored {
  t: number;
  /** The event id (bounded) that made the mark. */
  id: string;
}

export interface Checkpoint extends Stored {
  /** Epoch ms of the first 5-minute bucket the next flush reads. */
  bucket: number;
}

export interface ItemKinds {
  claim: Claim;
  incident: Incident;
  due: DueMarker;
  mark: Mark;
  checkpoint: Checkpoint;
}
export type ItemKind = keyof ItemKinds;

/** A stored item that is not what its kind says: only a bug or a hand-edited state file gets here. */
export class StateItemError extends Error {
  override readonly name = 'StateItemError';
  constructor(
    readonly kind: ItemKind,
    readonly key: StateKey,
    readonly attribute: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${kind} item ${preview(key.pk)}/${preview(key.sk)}: ${attribute} ${problem}`, options);
  }
}

/** Keys and values can be long and hold event text: messages show a printable prefix. */
const preview = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
};

const problemOf = (value: unknown): string => (value === undefined ? 'is missing' : `is ${typeof value} ${preview(value)}`);

function num(kind: ItemKind, item: StateItem, attr: string): number {
  const value = item[attr];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new StateItemError(kind, item, attr, `${problemOf(value)}, expected a number`);
  return value;
}

function str(kind: ItemKind, item: StateItem, attr: string): string {
  const value = item[attr];
  if (typeof value !== 'string') throw new StateItemError(kind, item, attr, `${problemOf(value)}, expected a string`);
  return value;
}

const optNum = (kind: ItemKind, item: StateItem, attr: string): number | undefined => (item[attr] === undefined ? undefined : num(kind, item, attr));
const optStr = (kind: ItemKind, item: StateItem, attr: string): string | undefined => (item[attr] === undefined ? undefined : str(kind, item, attr));

function prefixed(kind: ItemKind, item: StateItem, pk: (pk: string) => boolean): void {
  if (!pk(item.pk)) throw new StateItemError(kind, item, 'pk', 'is not the partition key of this kind');
  num(kind, item, 'expiresAt');
}

/** An item from typed attributes: undefined ones are left out (DynamoDB has no undefined). */
function item(key: StateKey, expiresAt: number, attrs: Readonly<Record<string, Scalar | undefined>>): StateItem {
  const out: StateItem = { pk: key.pk, sk: key.sk, expiresAt };
  for (const name in attrs) {
    const value = attrs[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** `StateStore.update`'s `set` from typed attributes, undefined left out. */
function setOf(patch: Readonly<Record<string, Scalar | undefined>>): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  for (const name in patch) {
    const value = patch[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

// claim

export function encodeClaim(c: Claim): StateItem {
  return item(c, c.expiresAt, { t: c.t, id: c.id, api: c.api, d: c.d, alert: c.alert, inc: c.inc, end: c.end, lease: c.lease });
}

/** What an update of a claim may set: its outcome and its lease. */
export type ClaimUpdate = ClaimOutcome & { lease?: number };
export const claimSet = (u: ClaimUpdate): Record<string, Scalar> => setOf({ d: u.d, alert: u.alert, inc: u.inc, end: u.end, lease: u.lease });

export function decodeClaim(raw: StateItem): Claim {
  prefixed('claim', raw, (pk) => pk.startsWith('ev#'));
  const d = raw.d;
  if (d !== undefined && !(CLAIM_DECISIONS as readonly unknown[]).includes(d)) {
    throw new StateItemError('claim', raw, 'd', `is ${preview(d)}, expected one of ${CLAIM_DECISIONS.join(', ')}`);
  }
  return {
    pk: raw.pk,
    sk: raw.sk,
    expiresAt: raw.expiresAt,
    t: num('claim', raw, 't'),
    id: str('claim', raw, 'id'),
    api: optStr('claim', raw, 'api'),
    lease: num('claim', raw, 'lease'),
    d: d as ClaimDecision | undefined,
    alert: optStr('claim', raw, 'alert'),
    inc: optNum('claim', raw, 'inc'),
    end: optNum('claim', raw, 'end'),
  };
}

// incident

export function encodeIncident(i: Incident): StateItem {
  return item(i, i.expiresAt, { start: i.start, end: i.end, alerted: i.alerted, eventId: i.eventId });
}

export function decodeIncident(raw: StateItem): Incident {
  prefixed('incident', raw, (pk) => pk.startsWith('inc#'));
  return {
    pk: raw.pk,
    sk: raw.sk,
    expiresAt: raw.expiresAt,
    start: num('incident', raw, 'start'),
    end: num('incident', raw, 'end'),
    alerted: optNum('incident', raw, 'alerted') ?? 0,
    eventId: str('incident', raw, 'eventId'),
  };
}

// due marker

export function encodeDueMarker(m: DueMarker): StateItem {
  return item(m, m.expiresAt, {
    ruleId: m.ruleId,
    hash: m.hash,
    start: m.start,
    end: m.end,
    alerted: m.alerted,
    first: m.first,
    last: m.last,
    threshold: m.threshold ? 1 : 0,
    group: JSON.stringify(m.group),
    eventId: m.eventId,
    account: m.account,
    region: m.region,
    eventSource: m.eventSource,
    eventName: m.eventName,
    actor: m.actor,
    actorType: m.actorType,
    // '' for none: the format every deployed version wrote.
    actorArn: m.actorArn ?? '',
    attempts: m.attempts,
    retryAt: m.retryAt,
    lastError: m.lastError,
  });
}

/** What the flush records on a marker whose follow-up failed. */
export type DueUpdate = Pick<DueMarker, 'attempts' | 'retryAt' | 'lastError'>;
export const dueSet = (u: DueUpdate): Record<string, Scalar> => setOf({ attempts: u.attempts, retryAt: u.retryAt, lastError: u.lastError });

export function decodeDueMarker(raw: StateItem): DueMarker {
  prefixed('due', raw, (pk) => pk.startsWith('due#'));
  const actorArn = optStr('due', raw, 'actorArn');
  return {
    pk: raw.pk,
    sk: raw.sk,
    expiresAt: raw.expiresAt,
    ruleId: str('due', raw, 'ruleId'),
    hash: str('due', raw, 'hash'),
    start: num('due', raw, 'start'),
    end: num('due', raw, 'end'),
    alerted: optNum('due', raw, 'alerted') ?? 0,
    first: optNum('due', raw, 'first'),
    last: optNum('due', raw, 'last'),
    threshold: optNum('due', raw, 'threshold') === 1,
    group: decodeGroup(raw),
    eventId: str('due', raw, 'eventId'),
    account: str('due', raw, 'account'),
    region: str('due', raw, 'region'),
    eventSource: str('due', raw, 'eventSource'),
    eventName: str('due', raw, 'eventName'),
    actor: str('due', raw, 'actor'),
    actorType: str('due', raw, 'actorType'),
    actorArn: actorArn === '' ? undefined : actorArn,
    attempts: optNum('due', raw, 'attempts'),
    retryAt: optNum('due', raw, 'retryAt'),
    lastError: optStr('due', raw, 'lastError'),
  };
}

/**
 * The group as the marker's JSON records it. A rule's groupBy is typed to return strings, but it reads
 * attacker-typed fields: a number (or an object) that got through is shown as text, as it always was.
 */
function decodeGroup(raw: StateItem): GroupKey {
  const text = str('due', raw, 'group');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateItemError('due', raw, 'group', 'is not JSON', { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StateItemError('due', raw, 'group', 'is not a JSON object');
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

// mark

export function encodeMark(m: Mark): StateItem {
  return item(m, m.expiresAt, { t: m.t, id: m.id });
}

export function decodeMark(raw: StateItem): Mark {
  prefixed('mark', raw, (pk) => pk.startsWith('val#'));
  return { pk: raw.pk, sk: raw.sk, expiresAt: raw.expiresAt, t: num('mark', raw, 't'), id: str('mark', raw, 'id') };
}

// checkpoint

export function encodeCheckpoint(c: Checkpoint): StateItem {
  return item(c, c.expiresAt, { bucket: c.bucket });
}

export function decodeCheckpoint(raw: StateItem): Checkpoint {
  prefixed('checkpoint', raw, (pk) => pk === CHECKPOINT_KEY.pk);
  return { pk: raw.pk, sk: raw.sk, expiresAt: raw.expiresAt, bucket: num('checkpoint', raw, 'bucket') };
}

// ---- every kind ----------------------------------------------------------------------------------

export interface ItemCodec<T> {
  encode(value: T): StateItem;
  decode(item: StateItem): T;
}

/** The codec of every kind: adding a kind to ItemKinds without one does not compile. */
export const CODECS: { readonly [K in ItemKind]: ItemCodec<ItemKinds[K]> } = {
  claim: { encode: encodeClaim, decode: decodeClaim },
  incident: { encode: encodeIncident, decode: decodeIncident },
  due: { encode: encodeDueMarker, decode: decodeDueMarker },
  mark: { encode: encodeMark, decode: decodeMark },
  checkpoint: { encode: encodeCheckpoint, decode: decodeCheckpoint },
};

const PREFIXES: ReadonlyArray<[string, ItemKind]> = [
  ['ev#', 'claim'],
  ['inc#', 'incident'],
  ['due#', 'due'],
  ['val#', 'mark'],
];

/** The kind of a stored item from its key; undefined for a key no kind has (a bug, or another table's item). */
export function itemKindOf(key: StateKey): ItemKind | undefined {
  if (key.pk === CHECKPOINT_KEY.pk) return key.sk === CHECKPOINT_KEY.sk ? 'checkpoint' : undefined;
  for (const [prefix, kind] of PREFIXES) if (key.pk.startsWith(prefix)) return kind;
  return undefined;
}
