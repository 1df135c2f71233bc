import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import type { TrailEvent } from '../../lib/cloudtrail/types.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const RULES_DIR = join(root, 'rules');
export const FIXTURES_DIR = join(root, 'test', 'fixtures');
export const SAMPLES_DIR = join(FIXTURES_DIR, 'stratus-red-team');

/**
 * A case as written in `rules/<id>.cases.json`: an event given inline, or a real recorded record
 * from the Stratus Red Team samples (`sample`, picked by `select` or `index`), optionally patched to
 * derive a shape no sample has. A patch is visible in the case, so a derived case never hides.
 */
interface CaseSpec {
  name: string;
  event?: unknown;
  sample?: string;
  select?: Record<string, unknown>;
  index?: number;
  patch?: Record<string, unknown>;
  matches: string[];
}

export interface LoadedCase {
  file: string;
  name: string;
  event: TrailEvent;
  matches: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merge key by key; anything else (arrays, scalars, null) replaces. */
export function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

const sampleCache = new Map<string, unknown[]>();
export function loadSample(file: string): unknown[] {
  let records = sampleCache.get(file);
  if (!records) {
    // A bare name is a Stratus Red Team recording; a path is relative to test/fixtures.
    const path = file.includes('/') ? join(FIXTURES_DIR, file) : join(SAMPLES_DIR, file);
    records = JSON.parse(readFileSync(path, 'utf8')) as unknown[];
    sampleCache.set(file, records);
  }
  return records;
}

function pick(spec: CaseSpec, file: string): unknown {
  if (spec.event !== undefined) return structuredClone(spec.event);
  if (!spec.sample) throw new Error(`${file}: case "${spec.name}" has neither event nor sample`);
  const records = loadSample(spec.sample);
  const found = spec.select
    ? records.find((r) => isObject(r) && Object.entries(spec.select ?? {}).every(([k, v]) => r[k] === v))
    : records[spec.index ?? 0];
  if (found === undefined) throw new Error(`${file}: case "${spec.name}" selects nothing in ${spec.sample}`);
  return structuredClone(found);
}

export function loadCases(file: string): LoadedCase[] {
  const specs = JSON.parse(readFileSync(join(RULES_DIR, file), 'utf8')) as CaseSpec[];
  return specs.map((spec) => {
    const raw = spec.patch ? deepMerge(pick(spec, file), spec.patch) : pick(spec, file);
    const event = asEnvelope(raw);
    if (!event) throw new Error(`${file}: case "${spec.name}" is neither an envelope nor a CloudTrail record`);
    return { file, name: spec.name, event, matches: spec.matches };
  });
}

export function caseFiles(): string[] {
  return readdirSync(RULES_DIR).filter((f) => f.endsWith('.cases.json')).sort();
}

export function allCases(): LoadedCase[] {
  return caseFiles().flatMap(loadCases);
}
