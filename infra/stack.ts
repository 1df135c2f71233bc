import { applyTuning, parseRuleTuning } from '../lib/config/tuning.js';
import { eventBridgeResources, type CfnResource } from '../lib/infra/eventbridge.js';
import { healthResources, type FunctionConfig } from '../lib/infra/health.js';
import { slackSubscriptionResources } from '../lib/infra/slack.js';
import { emailSubscriptionResources } from '../lib/infra/subscriptions.js';
import type { SlackRoute } from '../lib/slack-routes.js';
import { rules } from '../rules/index.js';
import { loadDeployConfig, type DeployConfig, type LoadOptions } from './config.js';
import { functionRoles, ids } from './roles.js';

export { ConfigFileError } from './config.js';

/** The stage's checked configuration (see infra/config.ts); the rule pack is this repository's. */
export function deployConfig(opts: Omit<LoadOptions, 'rules'>): DeployConfig {
  return loadDeployConfig({ ...opts, rules });
}

const slackRoutes = (config: DeployConfig): SlackRoute[] =>
  config.slack.map((r) => ({ parameter: r.parameter, minSeverity: r.minSeverity, ...(r.rules ? { rules: r.rules } : {}) }));

/**
 * What serverless.yml reads from the configuration: plain strings for the functions' environment (no
 * `Ref`: `invoke local` would try to resolve it against AWS) and the home region.
 */
export function settings(config: DeployConfig): Record<string, string | boolean> {
  return {
    region: config.region,
    accountNames: Object.entries(config.accounts)
      .map(([id, name]) => `${id}=${name}`)
      .join(','),
    allowedLatenessMinutes: String(config.allowedLatenessMinutes),
    ruleTuning: JSON.stringify(config.rules),
    slackRoutes: JSON.stringify(slackRoutes(config)),
    canary: config.canary,
  };
}

/** What serverless.yml itself declares, for the resources that follow it (trailwatch's own health). */
export interface ServiceFacts {
  functions: Record<string, FunctionConfig>;
  /** custom.canary: the canary's parameter and role names, which the detect function also gets. */
  canary: { parameter: string; roleName: string };
}

/** The generated part of the CloudFormation template (the static part is infra/resources.yml). */
export function generatedResources(config: DeployConfig, stage: string, service?: ServiceFacts): { Resources: Record<string, CfnResource> } {
  const routes = slackRoutes(config);
  return {
    Resources: {
      // Disabled rules get no EventBridge rule (the same settings the function reads as RULE_TUNING).
      ...eventBridgeResources(applyTuning(rules, parseRuleTuning(JSON.stringify(config.rules), rules)), {
        stage,
        functionLogicalId: 'DetectLambdaFunction',
        deadLetterQueueLogicalId: ids.dlq,
      }),
      ...emailSubscriptionResources(
        config.email.map((e) => ({ email: e.address, minSeverity: e.minSeverity })),
        ids.topic,
      ),
      ...slackSubscriptionResources({ routes, topicLogicalId: ids.topic, functionLogicalId: 'SlackLambdaFunction' }),
      ...functionRoles({ stage, slackParameters: routes.map((r) => r.parameter) }),
      // Only with serverless.yml's functions (tests of the rules' resources pass none).
      ...(service &&
        healthResources({
          stage,
          functions: service.functions,
          topicLogicalId: ids.topic,
          deadLetterQueueLogicalId: ids.dlq,
          detectFunctionKey: 'detect',
          deliveryDelayAlarmMinutes: config.alarms.deliveryDelayMinutes,
          canary: { enabled: config.canary, silenceMinutes: config.alarms.canarySilenceMinutes, parameterName: service.canary.parameter, roleName: service.canary.roleName, functionKey: 'canary' },
        })),
    },
  };
}
