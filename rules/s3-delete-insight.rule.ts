import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';
import { insightRuleBase } from './cloudtrail-insight.rule.js';

/** CloudTrail Insights' own view of a deletion spike: no threshold to tune, CloudTrail learns the baseline. */
export const s3DeleteInsight: Rule = {
  ...insightRuleBase,
  id: 's3-delete-insight',
  title: 'CloudTrail Insight: unusual rate of S3 deletes',
  severity: 'high',
  description:
    'CloudTrail Insights saw DeleteBucket/DeleteObject/DeleteObjects called far above its baseline. ' +
    'Complements s3-mass-delete, which needs data events; Insights works from the trail alone.',
  runbook: 'Treat as s3-mass-delete: check versioning and Object Lock, then who is deleting (top attributions below).',
  mitre: ['TA0040:T1485'],
  pattern: {
    source: [{ prefix: 'aws.' }],
    'detail-type': [DETAIL_TYPES.insight],
    detail: {
      insightDetails: {
        state: ['Start', 'End'],
        insightType: ['ApiCallRateInsight'],
        eventSource: ['s3.amazonaws.com'],
        eventName: ['DeleteBucket', 'DeleteObject', 'DeleteObjects'],
      },
    },
  },
};
