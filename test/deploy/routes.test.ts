import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asEnvelope } from '../../lib/cloudtrail/wrap.js';
import { compilePattern, MAX_PATTERN_LENGTH } from '../../lib/eventbridge/pattern.js';
import { routesFor } from '../../infra/eventbridge.js';
import type { Rule } from '../../lib/detection/rule.js';
import { rules } from '../../rules/index.js';
import { allCases, loadSample, SAMPLES_DIR } from '../support/rule-cases.js';

/**
 * Detections share EventBridge rules ("routes"): a route must let through exactly what its detections'
 * own patterns would, no less (a missed attack) and no more (needless invocations).
 */
const routes = routesFor(rules, 'ci');
const byId = new Map(rules.map((r) => [r.id, r]));
const events = [
  ...allCases().map((c) => c.event),
  ...readdirSync(SAMPLES_DIR)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => loadSample(f).map((r) => asEnvelope(r)))
    .filter((e) => e !== undefined),
];

describe('routes (detections packed into EventBridge rules)', () => {
  it('route every detection exactly once, in the state it needs, within the pattern limit', () => {
    expect(routes.flatMap((r) => r.ruleIds).sort()).toEqual(rules.map((r) => r.id).sort());
    for (const route of routes) {
      expect(JSON.stringify(route.pattern).length).toBeLessThanOrEqual(MAX_PATTERN_LENGTH);
      for (const id of route.ruleIds) expect(byId.get(id)?.readOnlyEvents).toBe(route.readOnly);
    }
    expect(new Set(routes.map((r) => r.name)).size).toBe(routes.length);
  });

  it.each(routes.map((r) => [r.name, r] as const))('%s matches exactly the union of its detections\' patterns', (_name, route) => {
    const whole = compilePattern(route.pattern);
    const members = route.ruleIds.map((id) => compilePattern((byId.get(id) as Rule).pattern));
    let hits = 0;
    for (const event of events) {
      const expected = members.some((m) => m.matches(event));
      expect(whole.matches(event)).toBe(expected);
      if (expected) hits += 1;
    }
    expect(hits).toBeGreaterThan(0);
  });

  it('gives the same routes for the same pack (stable CloudFormation logical ids)', () => {
    expect(routesFor(rules, 'ci')).toEqual(routes);
  });
});
