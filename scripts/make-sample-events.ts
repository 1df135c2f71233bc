/**
 * Writes the `serverless invoke local` samples from the rule cases:
 * - events/<rule-id>.json: the EventBridge envelope of the rule's first firing case;
 * - events/bursts/<rule-id>/NN.json for burst rules: as many distinct events as the threshold needs,
 *   20 s apart, so invoking them one after another fires on the last.
 * Run after adding or changing a rule: npm run make:events
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Json, TrailEvent } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';
import { rules } from '../rules/index.js';
import { allCases } from '../test/support/rule-cases.js';

const dir = fileURLToPath(new URL('../events', import.meta.url));
const write = (path: string, event: unknown) => writeFileSync(path, `${JSON.stringify(event, null, 2)}\n`);

/** Replaces every string in `value` that is one of `from` by its counterpart (deep, arrays included). */
function renamed(value: unknown, from: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') return from.get(value) ?? value;
  if (Array.isArray(value)) return value.map((v) => renamed(v, from));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renamed(v, from)]));
  return value;
}

/** Every string in `value` with `suffix` appended (deep). */
function suffixed(value: unknown, suffix: string): unknown {
  if (typeof value === 'string') return `${value}${suffix}`;
  if (Array.isArray(value)) return value.map((v) => suffixed(v, suffix));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, suffixed(v, suffix)]));
  return value;
}

function burstEvent(base: TrailEvent, i: number, rule: Rule): TrailEvent {
  const event = structuredClone(base);
  // A rule counting distinct values (a secret, an instance) needs each call to touch a new one.
  if (rule.distinct && i > 0) {
    const values = rule.distinct.values(base.detail, base);
    const changed = (): boolean => !rule.distinct?.values(event.detail, event).some((v) => values.includes(v));
    event.detail.requestParameters = renamed(event.detail.requestParameters, new Map(values.map((v) => [v, `${v}-${i + 1}`]))) as Json;
    // Values derived from the whole request (unauthorized-api-calls): another request, every string varied.
    if (!changed()) event.detail.requestParameters = suffixed(event.detail.requestParameters, `-${i + 1}`) as Json;
    if (!changed()) throw new Error(`${rule.id}: cannot vary the distinct values ${JSON.stringify(values)} of its first firing case`);
  }
  const time = new Date(Date.parse(base.time) + i * 20_000).toISOString().replace('.000Z', 'Z');
  const suffix = String(i + 1).padStart(12, '0');
  event.id = `${base.id.slice(0, 24)}${suffix}`;
  event.time = time;
  event.detail.eventTime = time;
  event.detail.eventID = `${String(base.detail.eventID ?? '00000000-0000-4000-8000-').slice(0, 24)}${suffix}`;
  return event;
}

mkdirSync(dir, { recursive: true });
rmSync(join(dir, 'bursts'), { recursive: true, force: true });
const cases = allCases();
for (const rule of rules) {
  const c = cases.find((x) => x.matches.includes(rule.id));
  if (!c) throw new Error(`rule ${rule.id} has no firing case`);
  write(join(dir, `${rule.id}.json`), c.event);
  console.log(`events/${rule.id}.json  <- ${c.file}: ${c.name}`);
  if (rule.threshold) {
    const burstDir = join(dir, 'bursts', rule.id);
    mkdirSync(burstDir, { recursive: true });
    for (let i = 0; i < rule.threshold.count; i++) write(join(burstDir, `${String(i + 1).padStart(2, '0')}.json`), burstEvent(c.event, i, rule));
    console.log(`events/bursts/${rule.id}/01..${rule.threshold.count}.json`);
  }
}
