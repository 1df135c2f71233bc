import { applyTuning, parseRuleTuning } from '../lib/config/tuning.js';
import { eventBridgeResources, type CfnResource } from '../lib/infra/eventbridge.js';
import { slackSubscriptionResources } from '../lib/infra/slack.js';
import { emailSubscriptionResources, parseEmailSubscribers } from '../lib/infra/subscriptions.js';
import { rules } from '../rules/index.js';

export interface StackParams {
  stage: string;
  alertEmails?: string;
  /** SSM SecureString name holding the Slack webhook URL, or `none` (no Slack subscription). */
  slackWebhookParameter?: string;
  /** Lowest severity posted to Slack (default medium). */
  slackMinSeverity?: string;
  /** The `ruleTuning` JSON the function gets as RULE_TUNING: disabled rules get no EventBridge rule. */
  ruleTuning?: string;
}

/** The generated part of the CloudFormation template (the static part is infra/resources.yml). */
export function generatedResources(params: StackParams): { Resources: Record<string, CfnResource> } {
  return {
    Resources: {
      ...eventBridgeResources(applyTuning(rules, parseRuleTuning(params.ruleTuning, rules)), {
        stage: params.stage,
        functionLogicalId: 'DetectLambdaFunction',
        deadLetterQueueLogicalId: 'TrailwatchDeadLetterQueue',
      }),
      ...emailSubscriptionResources(parseEmailSubscribers(params.alertEmails), 'TrailwatchAlertTopic'),
      ...slackSubscriptionResources({
        webhookParameter: params.slackWebhookParameter,
        minSeverity: params.slackMinSeverity,
        topicLogicalId: 'TrailwatchAlertTopic',
        functionLogicalId: 'SlackLambdaFunction',
      }),
    },
  };
}
