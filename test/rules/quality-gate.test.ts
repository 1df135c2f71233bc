import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config.js';
import { generatedResources } from '../../infra/stack.js';
import { ALL_DETAIL_TYPES, DETAIL_TYPES } from '../../lib/cloudtrail/types.js';
import { compilePattern } from '../../lib/eventbridge/pattern.js';
import { functionPolicyBytes, MAX_FUNCTION_POLICY_BYTES, MAX_RULES, routesFor } from '../../infra/eventbridge.js';
import type { Rule } from '../../lib/detection/rule.js';
import { rules } from '../../rules/index.js';
import { RULES_DIR } from '../support/rule-cases.js';

/**
 * The rule-quality gate: what every rule must satisfy to ship, checked on the whole pack so a new rule
 * is held to it without anyone listing it (the per-case checks are in rule-cases.test.ts, the hunt SQL
 * of every rule in test/hunt/rules-sql.test.ts).
 */

/**
 * Services whose CloudTrail events exist only in us-east-1 (the CloudTrail user guide on global service events): a rule on
 * nothing else must say so. STS (regional endpoints log in their region) and console sign-in (IAM
 * users' sign-ins appear in a few regions, root's only in us-east-1) are only partly global: a rule
 * on them may say either, but a rule that says us-east-1 must watch at least one of these.
 */
const GLOBAL_SOURCES = new Set(['aws.iam', 'aws.organizations']);
const PARTLY_GLOBAL_SOURCES = new Set([...GLOBAL_SOURCES, 'aws.sts', 'aws.signin', 'aws.route53', 'aws.account', 'aws.sso']);
const SIGN_IN_TYPES = new Set<string>([DETAIL_TYPES.consoleSignIn, DETAIL_TYPES.consoleSignInDocs]);
/** Object-level calls CloudTrail logs only as data events (a trail must select them). */
const DATA_EVENT_NAMES = new Set(['GetObject', 'PutObject', 'DeleteObject', 'DeleteObjects', 'CopyObject', 'HeadObject', 'PutObjectAcl', 'GetObjectAcl', 'RestoreObject', 'Invoke']);

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const detailOf = (rule: Rule): Record<string, unknown> => (rule.pattern.detail ?? {}) as Record<string, unknown>;
const sourcesOf = (rule: Rule): string[] => strings(rule.pattern.source);
const typesOf = (rule: Rule): string[] => strings(rule.pattern['detail-type']);
const eventNamesOf = (rule: Rule): string[] => strings(detailOf(rule).eventName);

const byId = rules.map((r) => [r.id, r] as const);

describe('rule ids', () => {
  it('are unique', () => {
    const ids = rules.map((r) => r.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it.each(readdirSync(RULES_DIR).filter((f) => f.endsWith('.rule.ts')))('%s exports rules whose id is its file name', async (file) => {
    const exported = Object.values(await import(join(RULES_DIR, file))).filter((v): v is Rule => typeof v === 'object' && v !== null && 'id' in v && 'pattern' in v);
    const own = exported.filter((r) => rules.includes(r));
    expect(own.map((r) => r.id)).toEqual([file.replace(/\.rule\.ts$/, '')]);
  });
});

describe('patterns', () => {
  // The detect function compiles patterns per source on first use (rulesBySource), so an invalid
  // one would only show as a rule error in production: it must fail here, before deploy.
  it.each(byId)('%s has a pattern EventBridge accepts', (_id, rule) => {
    expect(() => compilePattern(rule.pattern)).not.toThrow();
  });

  it.each(byId)('%s constrains detail-type to CloudTrail detail types', (_id, rule) => {
    const types = typesOf(rule);
    expect(types.length).toBeGreaterThan(0);
    for (const t of types) expect(ALL_DETAIL_TYPES).toContain(t);
  });

  it.each(byId)('%s names sources that agree with its event sources', (_id, rule) => {
    const sources = sourcesOf(rule);
    for (const s of sources) expect(s).toMatch(/^aws\.[a-z0-9-]+$/);
    // EventBridge's source for a CloudTrail event is aws.<first label of eventSource>: a pattern whose
    // eventSource has no matching source can never match.
    for (const eventSource of strings(detailOf(rule).eventSource)) {
      expect(sources).toContain(`aws.${eventSource.split('.')[0]}`);
    }
    // Without a source the rule spans every service: it must then select by who or by outcome.
    if (sources.length === 0 && rule.requires.eventCategory !== 'insight') {
      const detail = detailOf(rule);
      expect(detail.userIdentity !== undefined || detail.errorCode !== undefined || detail.readOnly !== undefined).toBe(true);
    }
  });
});

describe('only AWS acts', () => {
  // Anyone allowed events:PutEvents can put a custom event on the bus with any detail-type and detail,
  // but never with a source starting with "aws.": every deployed pattern must constrain source so.
  it.each(byId)('%s accepts only events whose source is AWS\'s own', (_id, rule) => {
    const source = rule.pattern.source;
    expect(Array.isArray(source) && source.length > 0).toBe(true);
    for (const s of source as unknown[]) {
      if (typeof s === 'string') expect(s).toMatch(/^aws\./);
      else expect(s).toEqual({ prefix: 'aws.' });
    }
  });
});

describe('requirements (README rule table) agree with the pattern', () => {
  it.each(byId)('%s: us-east-1 only when all its events are global-service events, and only if some are', (_id, rule) => {
    const sources = sourcesOf(rule);
    const types = typesOf(rule);
    const onlyGlobal = sources.length > 0 && sources.every((s) => GLOBAL_SOURCES.has(s));
    const anyGlobal = sources.some((s) => PARTLY_GLOBAL_SOURCES.has(s)) || types.some((t) => SIGN_IN_TYPES.has(t));
    if (onlyGlobal) expect(rule.requires.usEast1Only).toBe(true);
    if (rule.requires.usEast1Only) expect(anyGlobal).toBe(true);
  });

  it.each(byId)('%s: data-event rules name the selector they need, and only they', (_id, rule) => {
    const { eventCategory, dataEvents } = rule.requires;
    if (eventCategory === 'data') {
      expect(dataEvents).toBeDefined();
      expect(dataEvents?.resourceType).toMatch(/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/);
      expect(dataEvents?.eventNames.length).toBeGreaterThan(0);
      // The selector logs what the pattern asks for.
      const names = eventNamesOf(rule);
      if (names.length) for (const n of dataEvents?.eventNames ?? []) expect(names).toContain(n);
    } else {
      expect(dataEvents).toBeUndefined();
      expect(eventNamesOf(rule).filter((n) => DATA_EVENT_NAMES.has(n))).toEqual([]);
    }
  });

  it.each(byId)('%s: Insight rules, and only they, listen to Insight events', (_id, rule) => {
    const types = typesOf(rule);
    if (rule.requires.eventCategory === 'insight') expect(types).toEqual([DETAIL_TYPES.insight]);
    else expect(types).not.toContain(DETAIL_TYPES.insight);
  });

  it.each(byId)('%s maps to CIS AWS Foundations monitoring controls by number', (_id, rule) => {
    for (const control of rule.cis ?? []) expect(control).toMatch(/^4\.([1-9]|1[0-6])$/);
  });
});

describe('the deployed template fits EventBridge and Lambda limits', () => {
  const stage = 'a-long-stage-name';
  const resources = Object.values(generatedResources(parseDeployConfig('{}', 'trailwatch.yml', { rules }), stage).Resources);

  it('stays well within the EventBridge rules of the default bus (about 300): detections share routes', () => {
    const deployed = resources.filter((r) => r.Type === 'AWS::Events::Rule');
    expect(deployed.length).toBe(routesFor(rules, stage).length);
    expect(deployed.length).toBeLessThanOrEqual(Math.ceil(rules.length / 2));
    expect(rules.length).toBeLessThanOrEqual(MAX_RULES);
  });

  it('keeps the detect function policy under 20 KB with one statement per route (each names its route)', () => {
    const permissions = resources.filter((r) => r.Type === 'AWS::Lambda::Permission');
    const routes = routesFor(rules, stage);
    expect(permissions).toHaveLength(routes.length);
    // What Lambda would store: every statement with CloudFormation's ids and the longest region name.
    expect(functionPolicyBytes(routes.map((r) => r.name), stage)).toBeLessThan(MAX_FUNCTION_POLICY_BYTES);
  });
});

/** CIS AWS Foundations Benchmark monitoring controls (section 4) the pack implements, by number. */
const CIS_MONITORING = Array.from({ length: 15 }, (_, i) => `4.${i + 1}`);

/** The monitoring controls no rule maps. */
export function missingCisControls(all: readonly Rule[]): string[] {
  const mapped = new Set(all.flatMap((r) => r.cis ?? []));
  return CIS_MONITORING.filter((c) => !mapped.has(c));
}

describe('CIS AWS Foundations monitoring controls', () => {
  it('are each implemented by some rule (4.1 to 4.15)', () => {
    expect(missingCisControls(rules)).toEqual([]);
  });

  it('are listed as missing when no rule maps them', () => {
    expect(missingCisControls(rules.filter((r) => !(r.cis ?? []).includes('4.3')))).toEqual(['4.3']);
  });
});
