import { SEVERITIES, type Severity } from '../lib/detection/rule.js';
import type { CfnResource } from './eventbridge.js';

export interface EmailSubscriber {
  email: string;
  /** Lowest severity this address receives (SNS filter policy on the `severity` attribute). */
  minSeverity: Severity;
}

export function severitiesFrom(min: Severity): Severity[] {
  return SEVERITIES.slice(SEVERITIES.indexOf(min));
}

export function emailSubscriptionResources(subscribers: readonly EmailSubscriber[], topicLogicalId: string): Record<string, CfnResource> {
  const resources: Record<string, CfnResource> = {};
  subscribers.forEach((s, i) => {
    resources[`TrailwatchEmailSubscription${i + 1}`] = {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: topicLogicalId },
        Protocol: 'email',
        Endpoint: s.email,
        FilterPolicyScope: 'MessageAttributes',
        // Alerts carry a severity; trailwatch's own CloudWatch alarms (dead letters, rule errors)
        // carry none and must reach every address whatever its severity filter.
        FilterPolicy: { $or: [{ severity: severitiesFrom(s.minSeverity) }, { severity: [{ exists: false }] }] },
      },
    };
  });
  return resources;
}
