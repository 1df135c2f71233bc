import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';
import { insightRuleBase } from './cloudtrail-insight.rule.js';

/** CloudTrail Insights' view of the denied-RunInstances burst: an error-rate anomaly on RunInstances. */
export const ec2RunInstancesErrorInsight: Rule = {
  ...insightRuleBase,
  id: 'ec2-run-instances-error-insight',
  title: 'CloudTrail Insight: unusual RunInstances errors',
  severity: 'medium',
  description: 'CloudTrail Insights saw RunInstances failing far above its baseline: credentials probing for compute.',
  runbook: 'Treat as ec2-denied-run-instances: find the attributed identities and revoke unexpected ones.',
  mitre: ['TA0040:T1496'],
  pattern: {
    source: [{ prefix: 'aws.' }],
    'detail-type': [DETAIL_TYPES.insight],
    detail: {
      insightDetails: {
        state: ['Start', 'End'],
        insightType: ['ApiErrorRateInsight'],
        eventSource: ['ec2.amazonaws.com'],
        eventName: ['RunInstances'],
      },
    },
  },
};
