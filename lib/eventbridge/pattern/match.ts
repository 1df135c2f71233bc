import { compileField, type FieldSpec, type Leaf, type LeafTest } from './compile.js';
import type { EventPattern, PatternTree } from './tree.js';

/**
 * Matching events against a compiled tree, without allocating in the common case.
 * - The event is seen as flattened leaves: `{"a": {"b": 1}}` and `{"a.b": 1}` both have the leaf `a.b`;
 *   arrays are transparent (every element is a candidate). Objects and empty arrays are not leaves, so
 *   `exists: true` never matches them.
 * - A field matches when some leaf at its path satisfies one of its matchers; a branch matches when every
 *   field does. Leaves used for one branch must come from the same element of any array they share
 *   ("array consistency", event-ruler's ArrayMembership).
 * - `exists: false` holds only when the path has no leaf anywhere in the event, inside arrays included:
 *   event-ruler checks absence against the whole event, not against the array elements chosen for the
 *   other fields.
 */

export interface CompiledPattern {
  readonly pattern: EventPattern;
  matches(event: unknown): boolean;
}

/** Array elements a leaf came from: (array, index) pairs from the leaf up to the root. */
interface Membership {
  readonly array: readonly unknown[];
  readonly index: number;
  readonly next: Membership | null;
}

/** A field ready to scan events: its path split on dots, with every dotted join precomputed. */
interface RuntimeField {
  readonly id: number;
  readonly segments: number;
  /** keys[i][j]: segments i..j joined with dots, since `{"a.b": 1}` also has the leaf `a.b`. */
  readonly keys: readonly (readonly string[])[];
  /** Keys also found on Object.prototype, which need an own-property check. */
  readonly inherited: readonly (readonly boolean[])[];
  readonly test: LeafTest | null;
  readonly absent: boolean;
}

const hasOwn = Object.prototype.hasOwnProperty;

function runtimeField(spec: FieldSpec, id: number): RuntimeField {
  const parts = spec.path.split('.');
  const keys = parts.map((_, i) => parts.map((__, j) => (j < i ? '' : parts.slice(i, j + 1).join('.'))));
  const inherited = keys.map((row) => row.map((key) => key in Object.prototype));
  return { id, segments: parts.length, keys, inherited, test: spec.test, absent: spec.absent };
}

function childValue(node: Record<string, unknown>, key: string, inherited: boolean): unknown {
  if (inherited && !hasOwn.call(node, key)) return undefined;
  return node[key];
}

// Results of the last scan; matching is synchronous, so module state avoids allocating per field.
let matchedOutsideArrays = false;
let matchedInArray = false;
let leafOutsideArrays = false;
let leafInArray = false;

function isLeaf(value: unknown): value is Leaf {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Returns true to stop scanning: the field's outcome no longer depends on other leaves. */
function scanValue(value: unknown, field: RuntimeField, inArray: boolean): boolean {
  if (Array.isArray(value)) {
    for (const element of value) if (scanValue(element, field, true)) return true;
    return false;
  }
  if (!isLeaf(value)) return false;
  if (inArray) leafInArray = true;
  else leafOutsideArrays = true;
  // exists:false alone: any leaf at all decides it.
  if (field.test === null) return true;
  if (field.test(value)) {
    if (!inArray) {
      matchedOutsideArrays = true;
      return true;
    }
    matchedInArray = true;
  }
  return false;
}

function scanPath(node: unknown, field: RuntimeField, segment: number, inArray: boolean): boolean {
  if (segment === field.segments) return scanValue(node, field, inArray);
  if (Array.isArray(node)) {
    for (const element of node) if (scanPath(element, field, segment, true)) return true;
    return false;
  }
  if (typeof node !== 'object' || node === null) return false;
  const keys = field.keys[segment] ?? [];
  const inherited = field.inherited[segment] ?? [];
  for (let last = segment; last < field.segments; last++) {
    const child = childValue(node as Record<string, unknown>, keys[last] ?? '', inherited[last] ?? false);
    if (child !== undefined && scanPath(child, field, last + 1, inArray)) return true;
  }
  return false;
}

const SATISFIED = 1;
const FAILED = 2;
/** Only leaves inside arrays can satisfy the field: fine alone, but array consistency may matter. */
const MATCHED_IN_ARRAY = 3;

function fieldStatus(field: RuntimeField, event: unknown): number {
  matchedOutsideArrays = false;
  matchedInArray = false;
  leafOutsideArrays = false;
  leafInArray = false;
  scanPath(event, field, 0, false);
  if (matchedOutsideArrays) return SATISFIED;
  if (field.absent && !leafOutsideArrays && !leafInArray) return SATISFIED;
  if (matchedInArray) return MATCHED_IN_ARRAY;
  return FAILED;
}

interface Candidates {
  readonly field: RuntimeField;
  /** Memberships of matching leaves; null for a leaf outside any array. */
  readonly matching: (Membership | null)[];
}

function collectValue(value: unknown, field: RuntimeField, membership: Membership | null, out: Candidates): void {
  if (Array.isArray(value)) {
    value.forEach((element, index) => collectValue(element, field, { array: value, index, next: membership }, out));
    return;
  }
  if (!isLeaf(value)) return;
  if (field.test !== null && field.test(value)) out.matching.push(membership);
}

function collectPath(node: unknown, field: RuntimeField, segment: number, membership: Membership | null, out: Candidates): void {
  if (segment === field.segments) {
    collectValue(node, field, membership, out);
    return;
  }
  if (Array.isArray(node)) {
    node.forEach((element, index) => collectPath(element, field, segment, { array: node, index, next: membership }, out));
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const keys = field.keys[segment] ?? [];
  const inherited = field.inherited[segment] ?? [];
  for (let last = segment; last < field.segments; last++) {
    const child = childValue(node as Record<string, unknown>, keys[last] ?? '', inherited[last] ?? false);
    if (child !== undefined) collectPath(child, field, last + 1, membership, out);
  }
}

type Pins = Map<readonly unknown[], number>;

function consistent(pins: Pins, membership: Membership | null): boolean {
  for (let m = membership; m !== null; m = m.next) {
    const pinned = pins.get(m.array);
    if (pinned !== undefined && pinned !== m.index) return false;
  }
  return true;
}

function pin(pins: Pins, membership: Membership | null): (readonly unknown[])[] {
  const added: (readonly unknown[])[] = [];
  for (let m = membership; m !== null; m = m.next) {
    if (!pins.has(m.array)) {
      pins.set(m.array, m.index);
      added.push(m.array);
    }
  }
  return added;
}

/**
 * The rare slow path: two or more fields can only be satisfied from inside arrays. Choose one matching
 * leaf per field so that leaves sharing an array come from the same element.
 */
function consistentChoice(candidates: readonly Candidates[], next: number, pins: Pins): boolean {
  const current = candidates[next];
  if (current === undefined) return true;
  for (const membership of current.matching) {
    if (!consistent(pins, membership)) continue;
    const added = pin(pins, membership);
    if (consistentChoice(candidates, next + 1, pins)) return true;
    for (const array of added) pins.delete(array);
  }
  return false;
}

function slowPath(fields: readonly RuntimeField[], event: unknown): boolean {
  const candidates = fields.map((field) => {
    const out: Candidates = { field, matching: [] };
    collectPath(event, field, 0, null, out);
    return out;
  });
  return consistentChoice(candidates, 0, new Map());
}

class Matcher implements CompiledPattern {
  readonly pattern: EventPattern;
  private readonly branches: readonly (readonly RuntimeField[])[];
  /** Per-call field results, shared by `$or` branches that repeat a field. */
  private readonly statuses: Uint8Array;

  constructor(pattern: EventPattern, branches: readonly (readonly RuntimeField[])[], fieldCount: number) {
    this.pattern = pattern;
    this.branches = branches;
    this.statuses = new Uint8Array(fieldCount);
  }

  matches(event: unknown): boolean {
    if (this.branches.length > 1) this.statuses.fill(0);
    for (const branch of this.branches) {
      if (this.branchMatches(branch, event)) return true;
    }
    return false;
  }

  private status(field: RuntimeField, event: unknown): number {
    if (this.branches.length === 1) return fieldStatus(field, event);
    const known = this.statuses[field.id] ?? 0;
    if (known !== 0) return known;
    const status = fieldStatus(field, event);
    this.statuses[field.id] = status;
    return status;
  }

  private branchMatches(fields: readonly RuntimeField[], event: unknown): boolean {
    let pending: RuntimeField[] | null = null;
    let pendingStatus = SATISFIED;
    for (const field of fields) {
      const status = this.status(field, event);
      if (status === FAILED) return false;
      if (status === SATISFIED) continue;
      (pending ??= []).push(field);
      pendingStatus = status;
    }
    if (pending === null) return true;
    // One array-dependent field is unconstrained by the others: any matching leaf will do.
    if (pending.length === 1) return pendingStatus === MATCHED_IN_ARRAY;
    return slowPath(pending, event);
  }
}

/** Exact-value fields first, then shallower paths: they reject most events cheapest. */
function evaluationOrder(a: FieldSpec, b: FieldSpec): number {
  if (a.exactOnly !== b.exactOnly) return a.exactOnly ? -1 : 1;
  return a.path.split('.').length - b.path.split('.').length;
}

/** Compiles a parsed tree for matching; `matches()` is then cheap per event. */
export function compileTree(tree: PatternTree): CompiledPattern {
  const ids = new Map<object, RuntimeField>();
  const specs = new Map<object, FieldSpec>();
  const runtime = tree.branches.map((branch) =>
    branch
      .map((node) => {
        let spec = specs.get(node);
        if (spec === undefined) {
          spec = compileField(node);
          specs.set(node, spec);
        }
        return { node, spec };
      })
      .sort((a, b) => evaluationOrder(a.spec, b.spec))
      .map(({ node, spec }) => {
        let field = ids.get(node);
        if (field === undefined) {
          field = runtimeField(spec, ids.size);
          ids.set(node, field);
        }
        return field;
      }),
  );
  return new Matcher(tree.pattern, runtime, ids.size);
}
