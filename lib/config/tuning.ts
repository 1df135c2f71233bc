import { z } from 'zod';
import type { RuleTuning } from '../incidents.js';
import type { Rule } from '../rule.js';
import { ConfigurationError } from './env.js';

const positive = z.number().int().positive();
const tuningSchema = z.record(
  z.string(),
  z.strictObject({
    dedupeMinutes: positive.optional(),
    threshold: z.strictObject({ count: positive, windowMinutes: positive }).optional(),
  }),
);

/**
 * RULE_TUNING (deploy parameter `ruleTuning`): JSON, parsed and checked, never evaluated, e.g.
 * `{"s3-mass-delete":{"threshold":{"count":50,"windowMinutes":10},"dedupeMinutes":60}}`.
 * An unknown rule id or field is an error: a typo must not silently keep the default.
 */
export function parseRuleTuning(raw: string | undefined, rules: readonly Rule[]): Record<string, RuleTuning> {
  if (!raw || raw.trim() === '' || raw.trim() === '{}') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError(`RULE_TUNING is not JSON: ${(error as Error).message}`);
  }
  const parsed = tuningSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigurationError(`RULE_TUNING: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  const known = new Set(rules.map((r) => r.id));
  const out: Record<string, RuleTuning> = {};
  for (const [id, tuning] of Object.entries(parsed.data)) {
    if (!known.has(id)) throw new ConfigurationError(`RULE_TUNING names unknown rule "${id}"`);
    const rule = rules.find((r) => r.id === id);
    if (tuning.threshold && !rule?.threshold) throw new ConfigurationError(`RULE_TUNING: rule "${id}" has no threshold to tune`);
    const t: RuleTuning = {};
    if (tuning.dedupeMinutes !== undefined) t.dedupeMinutes = tuning.dedupeMinutes;
    if (tuning.threshold) t.threshold = tuning.threshold;
    out[id] = t;
  }
  return out;
}
