import type { InsightDetails } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Detail, Rule } from '../lib/detection/rule.js';

/**
 * CloudTrail Insights: CloudTrail's own anomaly detection on the rate of write API calls or errors.
 * A `Start` event opens the anomaly and an `End` event with the same sharedEventID closes it; both
 * alert, so the recipient learns it is over and how long it lasted.
 */

const TYPE_WORDS: Record<string, string> = {
  ApiCallRateInsight: 'Unusual rate of calls',
  ApiErrorRateInsight: 'Unusual rate of errors',
};

const fmt = (n: unknown): string => (typeof n === 'number' && Number.isFinite(n) ? (n >= 10 ? n.toFixed(0) : n.toPrecision(2)) : '?');

export function insightSummary(d: InsightDetails): string {
  const what = TYPE_WORDS[d.insightType ?? ''] ?? `Insight ${d.insightType ?? '?'}`;
  const stats = d.insightContext?.statistics;
  const api = `${d.eventSource ?? '?'} ${d.eventName ?? '?'}`;
  const error = d.errorCode && d.errorCode !== 'null' ? ` (${d.errorCode})` : '';
  const rates = `${fmt(stats?.insight?.average)}/min vs baseline ${fmt(stats?.baseline?.average)}/min`;
  if (d.state === 'End') {
    const lasted = typeof stats?.insightDuration === 'number' ? `, lasted ${stats.insightDuration} min` : '';
    return `Over: ${what.toLowerCase()} to ${api}${error}${lasted} (${rates})`;
  }
  return `${what} to ${api}${error}: ${rates}`;
}

/** What CloudTrail attributes an anomaly to, in words a person scans. */
const ATTRIBUTE_LABELS: Record<string, string> = {
  userIdentityArn: 'Top callers',
  userAgent: 'Top user agents',
  errorCode: 'Top errors',
};

/** `arn:aws:sts::1:assumed-role/ci/build-7` -> `role/ci (session build-7)`; other ARNs keep their resource part. */
function shortPrincipal(arn: string): string {
  const role = /:assumed-role\/([^/]+)\/(.+)$/.exec(arn);
  if (role) return `role/${role[1]} (session ${role[2]})`;
  const resource = /^arn:[^:]*:(?:iam|sts)::\d{12}:(.+)$/.exec(arn);
  return resource?.[1] ?? arn;
}

/** The top contributors CloudTrail attributes the anomaly to (who, which agent, which error), as a short list. */
export function insightAttributions(d: InsightDetails, top = 3): Detail[] {
  const out: Detail[] = [];
  const attributions = Array.isArray(d.insightContext?.attributions) ? d.insightContext.attributions : [];
  for (const attribution of attributions.slice(0, 10)) {
    const attribute = typeof attribution?.attribute === 'string' ? attribution.attribute : '?';
    const values = (Array.isArray(attribution?.insight) ? attribution.insight : [])
      .filter((v) => typeof v?.value === 'string')
      .slice(0, top)
      .map((v) => {
        const value = v.value === 'null' ? '(none)' : attribute === 'userIdentityArn' ? shortPrincipal(String(v.value)) : String(v.value);
        return `${value} ${fmt(v.average)}/min`;
      });
    if (values.length) out.push({ label: ATTRIBUTE_LABELS[attribute] ?? `Top ${attribute}`, value: values.join(', ') });
  }
  return out;
}

/** Kept in step with s3-delete-insight and ec2-run-instances-error-insight (their cases check it). */
export function isCoveredElsewhere(d: InsightDetails): boolean {
  if (d.insightType === 'ApiCallRateInsight' && d.eventSource === 's3.amazonaws.com') {
    return ['DeleteBucket', 'DeleteObject', 'DeleteObjects'].includes(d.eventName ?? '');
  }
  return d.insightType === 'ApiErrorRateInsight' && d.eventSource === 'ec2.amazonaws.com' && d.eventName === 'RunInstances';
}

/** What every Insight rule shares; the specific rules spread it and set their own pattern. */
export const insightRuleBase: Omit<Rule, 'id' | 'title' | 'pattern' | 'match' | 'severity' | 'description' | 'runbook' | 'mitre'> = {
  status: 'live',
  references: ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html'],
  readOnlyEvents: false,
  requires: { eventCategory: 'insight', usEast1Only: false },
  summarize: (record) => insightSummary(record.insightDetails ?? {}),
  details: (record) => {
    const d = record.insightDetails ?? {};
    return [
      { label: 'Insight state', value: d.state ?? '?' },
      { label: 'Insight type', value: d.insightType ?? '?' },
      { label: 'Insight id', value: typeof record.sharedEventID === 'string' ? record.sharedEventID : '?' },
      ...insightAttributions(d),
    ];
  },
  // One Start and one End per anomaly: neither may be grouped into the other.
  groupBy: (record, event) => ({
    insight: typeof record.sharedEventID === 'string' ? record.sharedEventID : event.id,
    state: record.insightDetails?.state ?? '?',
    account: event.account,
  }),
  dedupeMinutes: 24 * 60,
};

export const cloudtrailInsight: Rule = {
  ...insightRuleBase,
  id: 'cloudtrail-insight',
  title: 'CloudTrail Insight: unusual API activity',
  severity: 'medium',
  status: 'live',
  description:
    'CloudTrail Insights saw a write API called, or failing, far more often than its baseline. Spikes ' +
    'come from runaway automation as well as from attackers enumerating or destroying resources.',
  runbook:
    'Look at the top attributed identities and user agents. If the spike is automation, fix or ' +
    'throttle it; if the identity is unexpected, revoke its credentials and review its calls in the ' +
    'insight window.',
  references: ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-insights-events-with-cloudtrail.html'],
  mitre: ['TA0040:T1485', 'TA0007:T1580'],
  // Insight events carry no top-level eventSource and we do not rely on which service EventBridge
  // names in `source` for them, only that it is AWS's own: custom events cannot start with "aws.".
  pattern: {
    source: [{ prefix: 'aws.' }],
    'detail-type': [DETAIL_TYPES.insight],
    detail: { insightDetails: { state: ['Start', 'End'] } },
  },
  // Anomalies that a dedicated rule reports (with its own severity and runbook) are left to it.
  match: (record) => !isCoveredElsewhere(record.insightDetails ?? {}),
};
