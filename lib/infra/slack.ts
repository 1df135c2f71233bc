import { SEVERITIES, type Severity } from '../rule.js';
import type { CfnResource } from './eventbridge.js';
import { severitiesFrom } from './subscriptions.js';

export interface SlackOptions {
  /** `slackWebhookParameter`: the SSM SecureString holding the webhook URL, or `none`. */
  webhookParameter: string | undefined;
  /** `slackMinSeverity`: lowest severity posted to Slack (default medium). */
  minSeverity: string | undefined;
  topicLogicalId: string;
  functionLogicalId: string;
}

/**
 * A hierarchical SSM parameter name. The leading `/` is required because serverless.yml builds the
 * IAM resource as `...:parameter${param:slackWebhookParameter}` (SSM ARNs do not double the slash).
 */
const PARAMETER_NAME = /^\/[A-Za-z0-9_.\-/]{1,1010}$/;

export function slackEnabled(webhookParameter: string | undefined): boolean {
  const p = webhookParameter?.trim();
  return p !== undefined && p !== '' && p !== 'none';
}

/** Checked at package time: a typo is a failed `serverless package`, not a silent channel. */
export function parseSlackMinSeverity(raw: string | undefined): Severity {
  const value = raw?.trim() || 'medium';
  if (!(SEVERITIES as readonly string[]).includes(value)) throw new Error(`slackMinSeverity: "${value}" is not a severity (${SEVERITIES.join(', ')})`);
  return value as Severity;
}

/**
 * The Slack function's subscription to the alert topic and SNS's permission to invoke it, only when a
 * webhook parameter is configured: with `none` the function is deployed but nothing reaches it.
 */
export function slackSubscriptionResources(opts: SlackOptions): Record<string, CfnResource> {
  if (!slackEnabled(opts.webhookParameter)) return {};
  const parameter = (opts.webhookParameter ?? '').trim();
  if (!PARAMETER_NAME.test(parameter)) {
    throw new Error(`slackWebhookParameter: "${parameter}" is not an SSM parameter name starting with / (e.g. /trailwatch/slack-webhook)`);
  }
  const functionArn = { 'Fn::GetAtt': [opts.functionLogicalId, 'Arn'] };
  return {
    TrailwatchSlackSubscription: {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: opts.topicLogicalId },
        Protocol: 'lambda',
        Endpoint: functionArn,
        // Messages without a severity attribute (CloudWatch alarm notifications) do not match: the
        // Slack function only understands alerts.
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: { severity: severitiesFrom(parseSlackMinSeverity(opts.minSeverity)) },
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
