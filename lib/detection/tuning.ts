import { SEVERITIES, type Rule, type RuleStatus, type RuleTuning, type Severity } from './rule.js';
import { ALLOW_FIELDS, allowFieldPattern, type AllowEntry } from './suppress.js';
import { compilePattern } from '../eventbridge/pattern.js';
import { ConfigurationError } from '../config/env.js';
import { isObject } from '../untrusted/json.js';

/*
 * Checked by hand rather than with a schema library: it is a few fields, and keeping zod out of the
 * Lambda bundle took ~60 KB and several milliseconds off every cold start (bench/RESULTS.md).
 */

/** Everything one deployment may change about one rule (deploy parameter `ruleTuning`, key = rule id). */
export interface RuleSettings extends RuleTuning {
  /** `false`: the rule is neither deployed (no EventBridge rule) nor evaluated. */
  enabled?: boolean;
  severity?: Severity;
  status?: RuleStatus;
  /** Matches of the rule that are counted and logged with the entry's reason, never alerted. */
  allow?: AllowEntry[];
}

export type RuleTuningConfig = Record<string, RuleSettings>;

const SETTINGS = ['enabled', 'severity', 'status', 'dedupeMinutes', 'threshold', 'allow'] as const;
const STATUSES: readonly RuleStatus[] = ['live', 'staged'];
/** Reasons travel in log lines and as a metric dimension (CloudWatch allows 1,024 characters). */
const MAX_REASON = 200;
/** Every allowlisted match is tested against each entry of its rule: keep the list a list. */
const MAX_ENTRIES = 50;


function positiveInt(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) throw new ConfigurationError(`RULE_TUNING: ${where} must be a positive whole number`);
  return value;
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw new ConfigurationError(`RULE_TUNING: ${where}${extra} is not a setting (${allowed.join(', ')})`);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigurationError(`RULE_TUNING: ${where} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function allowEntry(value: unknown, where: string): AllowEntry {
  if (!isObject(value)) throw new ConfigurationError(`RULE_TUNING: ${where} must be an object`);
  onlyKeys(value, [...ALLOW_FIELDS, 'reason'], `${where}.`);
  const { reason } = value;
  if (typeof reason !== 'string' || reason.trim() === '') throw new ConfigurationError(`RULE_TUNING: ${where}.reason is required (why these events are expected)`);
  if (reason.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(reason)) throw new ConfigurationError(`RULE_TUNING: ${where}.reason must be one line of at most ${MAX_REASON} characters`);
  const entry: AllowEntry = { reason };
  for (const field of ALLOW_FIELDS) {
    const v = value[field];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '') throw new ConfigurationError(`RULE_TUNING: ${where}.${field} must be a non-empty string`);
    if (field === 'account' && !/^\d{12}$/.test(v)) throw new ConfigurationError(`RULE_TUNING: ${where}.account must be a 12-digit account id, got ${JSON.stringify(v)}`);
    try {
      compilePattern(allowFieldPattern(field, v));
    } catch (error) {
      throw new ConfigurationError(`RULE_TUNING: ${where}.${field} ${JSON.stringify(v)} is not usable: ${(error as Error).message}`, { cause: error });
    }
    entry[field] = v;
  }
  if (!ALLOW_FIELDS.some((f) => entry[f] !== undefined)) {
    throw new ConfigurationError(`RULE_TUNING: ${where} must name at least one of ${ALLOW_FIELDS.join(', ')} (an entry that allows everything is "enabled": false)`);
  }
  return entry;
}

/**
 * Checks an already-parsed tuning object (e.g. the `rules:` section of a stage's config file).
 * An unknown rule id or field is an error: a typo must not silently keep the default. Errors name
 * the rule and the key, e.g. `RULE_TUNING: s3-mass-delete.allow[1].reason is required`.
 */
export function checkRuleTuning(json: unknown, rules: readonly Rule[]): RuleTuningConfig {
  if (!isObject(json)) throw new ConfigurationError('RULE_TUNING must be a JSON object keyed by rule id');
  const out: RuleTuningConfig = {};
  for (const [id, value] of Object.entries(json)) {
    const rule = rules.find((r) => r.id === id);
    if (!rule) throw new ConfigurationError(`RULE_TUNING names unknown rule "${id}"`);
    if (!isObject(value)) throw new ConfigurationError(`RULE_TUNING: ${id} must be an object`);
    onlyKeys(value, SETTINGS, `${id}.`);
    const settings: RuleSettings = {};
    if (value.enabled !== undefined) {
      if (typeof value.enabled !== 'boolean') throw new ConfigurationError(`RULE_TUNING: ${id}.enabled must be true or false`);
      settings.enabled = value.enabled;
    }
    if (value.severity !== undefined) settings.severity = oneOf(value.severity, SEVERITIES, `${id}.severity`);
    if (value.status !== undefined) settings.status = oneOf(value.status, STATUSES, `${id}.status`);
    if (value.dedupeMinutes !== undefined) settings.dedupeMinutes = positiveInt(value.dedupeMinutes, `${id}.dedupeMinutes`);
    if (value.threshold !== undefined) {
      if (!rule.threshold) throw new ConfigurationError(`RULE_TUNING: rule "${id}" has no threshold to tune`);
      if (!isObject(value.threshold)) throw new ConfigurationError(`RULE_TUNING: ${id}.threshold must be an object`);
      onlyKeys(value.threshold, ['count', 'windowMinutes'], `${id}.threshold.`);
      settings.threshold = {
        count: positiveInt(value.threshold.count, `${id}.threshold.count`),
        windowMinutes: positiveInt(value.threshold.windowMinutes, `${id}.threshold.windowMinutes`),
      };
    }
    if (value.allow !== undefined) {
      if (!Array.isArray(value.allow)) throw new ConfigurationError(`RULE_TUNING: ${id}.allow must be a list of entries`);
      if (value.allow.length > MAX_ENTRIES) throw new ConfigurationError(`RULE_TUNING: ${id}.allow has ${value.allow.length} entries, at most ${MAX_ENTRIES}`);
      settings.allow = value.allow.map((e, i) => allowEntry(e, `${id}.allow[${i}]`));
    }
    out[id] = settings;
  }
  return out;
}

/**
 * RULE_TUNING (deploy parameter `ruleTuning`): JSON, parsed and checked, never evaluated, e.g.
 * `{"s3-mass-delete":{"threshold":{"count":50,"windowMinutes":10},"allow":[{"principal":"arn:aws:iam::*:role/ci-*","reason":"CI empties its own buckets"}]}}`.
 */
export function parseRuleTuning(raw: string | undefined, rules: readonly Rule[]): RuleTuningConfig {
  if (!raw || raw.trim() === '' || raw.trim() === '{}') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError(`RULE_TUNING is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return checkRuleTuning(json, rules);
}

/**
 * The rules as this deployment runs them: disabled ones left out, severity, status, period and
 * threshold overridden. Deploy (EventBridge rules), the detector, follow-ups and replay all start
 * from this list, so a setting means the same everywhere.
 */
export function applyTuning(rules: readonly Rule[], tuning: Readonly<RuleTuningConfig>): Rule[] {
  const out: Rule[] = [];
  for (const rule of rules) {
    const t = tuning[rule.id];
    if (!t) {
      out.push(rule);
      continue;
    }
    if (t.enabled === false) continue;
    out.push({
      ...rule,
      ...(t.severity ? { severity: t.severity } : {}),
      ...(t.status ? { status: t.status } : {}),
      ...(t.dedupeMinutes ? { dedupeMinutes: t.dedupeMinutes } : {}),
      ...(t.threshold ? { threshold: t.threshold } : {}),
    });
  }
  return out;
}
