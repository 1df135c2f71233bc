import type { RuleTuning } from '../incidents.js';
import type { Rule } from '../rule.js';
import { ConfigurationError } from './env.js';

/*
 * Checked by hand rather than with a schema library: it is a few fields, and keeping zod out of the
 * Lambda bundle took ~60 KB and several milliseconds off every cold start (bench/RESULTS.md).
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function positiveInt(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new ConfigurationError(`RULE_TUNING: ${where} must be a positive whole number`);
  return value;
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new ConfigurationError(`RULE_TUNING: ${where}${extra} is not a setting (${allowed.join(', ')})`);
}

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
  if (!isObject(json)) throw new ConfigurationError('RULE_TUNING must be a JSON object keyed by rule id');
  const out: Record<string, RuleTuning> = {};
  for (const [id, value] of Object.entries(json)) {
    const rule = rules.find((r) => r.id === id);
    if (!rule) throw new ConfigurationError(`RULE_TUNING names unknown rule "${id}"`);
    if (!isObject(value)) throw new ConfigurationError(`RULE_TUNING: ${id} must be an object`);
    onlyKeys(value, ['dedupeMinutes', 'threshold'], `${id}.`);
    const tuning: RuleTuning = {};
    if (value.dedupeMinutes !== undefined) tuning.dedupeMinutes = positiveInt(value.dedupeMinutes, `${id}.dedupeMinutes`);
    if (value.threshold !== undefined) {
      if (!rule.threshold) throw new ConfigurationError(`RULE_TUNING: rule "${id}" has no threshold to tune`);
      if (!isObject(value.threshold)) throw new ConfigurationError(`RULE_TUNING: ${id}.threshold must be an object`);
      onlyKeys(value.threshold, ['count', 'windowMinutes'], `${id}.threshold.`);
      tuning.threshold = {
        count: positiveInt(value.threshold.count, `${id}.threshold.count`),
        windowMinutes: positiveInt(value.threshold.windowMinutes, `${id}.threshold.windowMinutes`),
      };
    }
    out[id] = tuning;
  }
  return out;
}
