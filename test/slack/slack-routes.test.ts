import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lib/config/env.js';
import { parseSlackRoutes, routedTransport, routesFor, type SlackRoute } from '../../lib/transport/slack-routes.js';
import { DeliveryError, type Transport } from '../../lib/transport/transport.js';
import { alertFixture } from '../support/alert-fixture.js';

const routes: SlackRoute[] = [
  { parameter: '/slack/on-call', minSeverity: 'critical' },
  { parameter: '/slack/security', minSeverity: 'medium' },
  { parameter: '/slack/storage', minSeverity: 'low', rules: ['s3-mass-delete'] },
];

describe('Slack routes', () => {
  it.each([
    ['critical', 'iam-user-deleted', ['/slack/on-call', '/slack/security']],
    ['medium', 'iam-user-deleted', ['/slack/security']],
    ['low', 'iam-user-deleted', []],
    ['low', 's3-mass-delete', ['/slack/storage']],
    ['high', 's3-mass-delete', ['/slack/security', '/slack/storage']],
  ] as const)('sends a %s %s alert to %j', (severity, ruleId, expected) => {
    expect(routesFor({ severity, ruleId }, routes).map((r) => r.parameter)).toEqual(expected);
  });

  it('reads SLACK_ROUTES and refuses what the deploy could not have written', () => {
    expect(parseSlackRoutes(JSON.stringify(routes))).toEqual(routes);
    expect(parseSlackRoutes('[]')).toEqual([]);
    for (const bad of ['nope', '{}', '[{"parameter":"https://hooks.slack.com/x","minSeverity":"high"}]', '[{"parameter":"/a","minSeverity":"urgent"}]', '[{"parameter":"/a","minSeverity":"high","rules":"x"}]']) {
      expect(() => parseSlackRoutes(bad)).toThrow(ConfigurationError);
    }
  });

  it('posts to every matching route, tries them all, and throws when one failed', async () => {
    const sent: string[] = [];
    const failing = new Set(['/slack/on-call']);
    const transport = routedTransport(routes, (parameter): Transport => ({
      name: parameter,
      send: async (alert) => {
        if (failing.has(parameter)) throw new DeliveryError(`${parameter} refused ${alert.id}`);
        sent.push(`${parameter}:${alert.id}`);
      },
    }));
    await expect(transport.send(alertFixture({ id: 'a1', severity: 'critical' }))).rejects.toThrow('/slack/on-call refused a1');
    expect(sent).toEqual(['/slack/security:a1']);
    failing.clear();
    await transport.send(alertFixture({ id: 'a2', severity: 'low', ruleId: 's3-mass-delete' }));
    expect(sent).toEqual(['/slack/security:a1', '/slack/storage:a2']);
  });
});
