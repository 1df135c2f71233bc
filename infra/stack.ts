import { applyTuning, parseRuleTuning } from '../lib/detection/tuning.js';
import { eventBridgeResources, type CfnResource } from './eventbridge.js';
import { healthResources, type FunctionConfig } from './health.js';
import { slackSubscriptionResources } from './slack.js';
import { emailSubscriptionResources } from './subscriptions.js';
import type { SlackRoute } from '../lib/transport/slack-routes.js';
import { rules } from '../rules/index.js';
import { loadDeployConfig, type DeployConfig, type LoadOptions } from './config.js';
import { forwardingRegions, organizationStackSetTemplate, regionForwarderTemplate, type Template } from './forwarder.js';
import { functionRoles, ids } from './roles.js';
import { trailResources } from './trail.js';

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
    outputBus: config.eventBridgeOutput.bus,
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
      ...functionRoles({ stage, slackParameters: routes.map((r) => r.parameter), outputBus: config.eventBridgeOutput.bus }),
      ...(config.eventBridgeOutput.enabled ? outputSubscription() : {}),
      ...(config.organization ? organizationBusPolicy(stage, config.organization.id) : {}),
      ...(config.trail.enabled ? trailResources(rules, { stage, s3DataEvents: config.trail.s3DataEvents, insights: config.trail.insights }) : {}),
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

/** The output function takes every alert and follow-up (not the alarms, which carry no severity). */
function outputSubscription(): Record<string, CfnResource> {
  const functionArn = { 'Fn::GetAtt': ['OutputLambdaFunction', 'Arn'] };
  return {
    TrailwatchOutputSubscription: {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: ids.topic },
        Protocol: 'lambda',
        Endpoint: functionArn,
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: { severity: [{ exists: true }] },
      },
    },
    TrailwatchOutputInvokePermission: {
      Type: 'AWS::Lambda::Permission',
      Properties: { Action: 'lambda:InvokeFunction', FunctionName: functionArn, Principal: 'sns.amazonaws.com', SourceArn: { Ref: ids.topic } },
    },
  };
}

/** The home bus admits events put by any principal of the organisation (the member accounts' forwarders). */
function organizationBusPolicy(stage: string, orgId: string): Record<string, CfnResource> {
  return {
    TrailwatchOrganizationBusPolicy: {
      Type: 'AWS::Events::EventBusPolicy',
      Properties: {
        EventBusName: 'default',
        StatementId: `trailwatch-${stage}-organization`,
        Statement: {
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default' },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': orgId } },
        },
      },
    },
  };
}

/** The CloudFormation templates deployed beside the serverless stack, by file name (scripts/deploy.ts). */
export function companionTemplates(config: DeployConfig, stage: string, enabledRegions?: readonly string[]): Record<string, { region: string; template: Template } | { regions: string[]; template: Template; stackSet: true }> {
  const deployed = applyTuning(rules, parseRuleTuning(JSON.stringify(config.rules), rules));
  const out: ReturnType<typeof companionTemplates> = {};
  // With an organisation, the StackSet also covers this account's other regions (a member account):
  // forwarders of its own would collide with the StackSet's rules of the same names.
  const listed = config.forwarder.regions;
  if (listed === 'all' && !enabledRegions) throw new Error('forwarder.regions is all: the enabled regions must be asked of the account first');
  const forwarder = { globalEvents: config.forwarder.globalEvents, regions: listed === 'all' ? (enabledRegions ?? []) : listed };
  const regions = config.organization ? [] : forwardingRegions({ homeRegion: config.region, ...forwarder });
  for (const region of regions) {
    const template = regionForwarderTemplate(deployed, { stage, homeRegion: config.region, region, ...forwarder });
    if (template) out[`trailwatch-${stage}-forwarder-${region}.json`] = { region, template };
  }
  if (config.organization) {
    out[`trailwatch-${stage}-organization-stackset.json`] = {
      regions: config.organization.regions,
      template: organizationStackSetTemplate(deployed, { stage, homeRegion: config.region }),
      stackSet: true,
    };
  }
  return out;
}
