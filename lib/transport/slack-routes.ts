import type { Alert } from '../alert/alert.js';
import { ConfigurationError } from '../config/env.js';
import { SEVERITIES, type Severity } from '../detection/rule.js';
import { DeliveryError, type Transport } from './transport.js';
import { isObject } from '../untrusted/json.js';

/**
 * One Slack destination: the SSM SecureString holding its webhook URL, the lowest severity it takes
 * and, optionally, the only rules it takes. Built at deploy time from the `slack:` routes of the
 * configuration file into SLACK_ROUTES (JSON: parameter names only, never a URL).
 */
export interface SlackRoute {
  parameter: string;
  minSeverity: Severity;
  rules?: readonly string[];
}


/** Checked by hand: zod stays out of the Lambda bundle. The deploy-time schema already checked it. */
export function parseSlackRoutes(raw: string | undefined): SlackRoute[] {
  if (raw === undefined || raw.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new ConfigurationError('SLACK_ROUTES is not JSON', { cause: error });
  }
  if (!Array.isArray(json)) throw new ConfigurationError('SLACK_ROUTES must be a JSON array of routes');
  return json.map((r: unknown, i) => {
    if (!isObject(r) || typeof r.parameter !== 'string' || !r.parameter.startsWith('/')) throw new ConfigurationError(`SLACK_ROUTES[${i}].parameter must be an SSM parameter name starting with /`);
    if (!(SEVERITIES as readonly unknown[]).includes(r.minSeverity)) throw new ConfigurationError(`SLACK_ROUTES[${i}].minSeverity must be one of ${SEVERITIES.join(', ')}`);
    if (r.rules !== undefined && !(Array.isArray(r.rules) && r.rules.every((x) => typeof x === 'string'))) throw new ConfigurationError(`SLACK_ROUTES[${i}].rules must be a list of rule ids`);
    return { parameter: r.parameter, minSeverity: r.minSeverity as Severity, ...(r.rules ? { rules: r.rules as string[] } : {}) };
  });
}

/** The routes an alert goes to: at or above each route's severity, and among its rules if it names any. */
export function routesFor(alert: Pick<Alert, 'severity' | 'ruleId'>, routes: readonly SlackRoute[]): SlackRoute[] {
  const rank = SEVERITIES.indexOf(alert.severity);
  return routes.filter((r) => rank >= SEVERITIES.indexOf(r.minSeverity) && (r.rules === undefined || r.rules.includes(alert.ruleId)));
}

/**
 * One transport over all routes: each alert is posted to every route it matches, one after another.
 * A failure throws after the others were tried, so the Lambda retry re-posts (a channel that already
 * got it may see it twice: at least once, as everywhere in trailwatch).
 */
export function routedTransport(routes: readonly SlackRoute[], transportFor: (parameter: string) => Transport): Transport {
  const transports = new Map(routes.map((r) => [r.parameter, transportFor(r.parameter)]));
  return {
    name: 'slack-routes',
    async send(alert) {
      const errors: unknown[] = [];
      for (const route of routesFor(alert, routes)) {
        try {
          await transports.get(route.parameter)?.send(alert);
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length === 1) throw errors[0];
      if (errors.length > 1) throw new DeliveryError(`${errors.length} Slack routes failed: ${errors.map((e) => (e as Error).message).join('; ')}`, { cause: errors });
    },
  };
}
