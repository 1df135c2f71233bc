import type { SlackRoute } from '../lib/transport/slack-routes.js';
import { SEVERITIES } from '../lib/detection/rule.js';
import type { CfnResource } from './eventbridge.js';
import { severitiesFrom } from './subscriptions.js';

export interface SlackOptions {
  /** The `slack:` routes of the configuration file (already checked). */
  routes: readonly SlackRoute[];
  topicLogicalId: string;
  functionLogicalId: string;
}

/** SNS allows 150 value combinations per filter policy; past that, the function's own routing decides alone. */
const MAX_COMBINATIONS = 150;

/**
 * Which alerts reach the Slack function at all: the union of the routes (the function then posts each
 * alert to the routes it matches). Messages without a severity attribute (CloudWatch alarm
 * notifications) never match: the Slack function only understands alerts.
 */
export function slackFilterPolicy(routes: readonly SlackRoute[]): Record<string, unknown> {
  const lowest = SEVERITIES.find((s) => routes.some((r) => r.minSeverity === s)) ?? 'critical';
  const byRoute = routes.map((r) => ({ severity: severitiesFrom(r.minSeverity), ...(r.rules ? { ruleId: [...r.rules] } : {}) }));
  const combinations = byRoute.reduce((n, f) => n + f.severity.length * (f.ruleId?.length ?? 1), 0);
  if (combinations <= MAX_COMBINATIONS && byRoute.length === 1 && byRoute[0]) return byRoute[0];
  if (combinations <= MAX_COMBINATIONS && routes.every((r) => r.rules !== undefined)) return { $or: byRoute };
  return { severity: severitiesFrom(lowest) };
}

/**
 * The Slack function's subscription to the alert topic and SNS's permission to invoke it, only when
 * routes are configured: without any, the function is deployed but nothing reaches it.
 */
export function slackSubscriptionResources(opts: SlackOptions): Record<string, CfnResource> {
  if (opts.routes.length === 0) return {};
  const functionArn = { 'Fn::GetAtt': [opts.functionLogicalId, 'Arn'] };
  return {
    TrailwatchSlackSubscription: {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: opts.topicLogicalId },
        Protocol: 'lambda',
        Endpoint: functionArn,
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: slackFilterPolicy(opts.routes),
      },
    },
    TrailwatchSlackInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: functionArn,
        Principal: 'sns.amazonaws.com',
        SourceArn: { Ref: opts.topicLogicalId },
      },
    },
  };
}
