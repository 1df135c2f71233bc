import { SEVERITIES, type Severity } from '../rule.js';
import type { CfnResource } from './eventbridge.js';

export interface EmailSubscriber {
  email: string;
  /** Lowest severity this address receives (SNS filter policy on the `severity` attribute). */
  minSeverity: Severity;
}

const EMAIL = /^[^\s@,:]+@[^\s@,:]+\.[^\s@,:]+$/;

/**
 * `alertEmails` deploy parameter: comma-separated addresses, each optionally `:<min severity>`, e.g.
 * `secops@example.com:high,platform@example.com`. A typo is a deploy-time error, not a silent drop.
 */
export function parseEmailSubscribers(raw: string | undefined): EmailSubscriber[] {
  if (!raw || raw.trim() === '' || raw.trim() === 'none') return [];
  return raw.split(',').map((entry) => {
    const [email = '', severity = 'info'] = entry.trim().split(':');
    if (!EMAIL.test(email)) throw new Error(`alertEmails: "${entry.trim()}" is not an email address`);
    if (!(SEVERITIES as readonly string[]).includes(severity)) {
      throw new Error(`alertEmails: "${severity}" is not a severity (${SEVERITIES.join(', ')})`);
    }
    return { email, minSeverity: severity as Severity };
  });
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
