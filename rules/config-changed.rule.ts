import { actorOf, firstRequestParam, isServiceOrServiceLinkedRole, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * CIS 4.9 names StopConfigurationRecorder, DeleteDeliveryChannel, PutDeliveryChannel and
 * PutConfigurationRecorder. The two that turn recording off (and DeleteConfigurationRecorder) are the
 * high-severity config-recording-stopped rule; this low rule records the rest, plus deleting the
 * rules, conformance packs and retention that make Config useful, so no event alerts twice.
 */
const CALLS = [
  'PutConfigurationRecorder',
  'PutDeliveryChannel',
  'StartConfigurationRecorder',
  'DeleteConfigRule',
  'DeleteConformancePack',
  'DeleteOrganizationConfigRule',
  'DeleteOrganizationConformancePack',
  'DeleteConfigurationAggregator',
  'DeleteRetentionConfiguration',
  'PutRetentionConfiguration',
  'DeleteEvaluationResults',
  'DeleteRemediationConfiguration',
] as const;

const targetOf = (record: Parameters<Rule['summarize']>[0]): string =>
  firstRequestParam(record, ['configRuleName', 'conformancePackName', 'organizationConfigRuleName', 'organizationConformancePackName', 'configurationAggregatorName', 'retentionConfigurationName']) ?? 'AWS Config';

/**
 * Low and grouped per principal per hour: Config is reconfigured by landing-zone tooling (Control
 * Tower, StackSets) in bursts. Service-linked roles (Security Hub managing its rules) are skipped.
 */
export const configChanged: Rule = {
  id: 'config-changed',
  title: 'AWS Config configuration changed',
  severity: 'low',
  status: 'live',
  description:
    'The AWS Config recorder or delivery channel was changed, or Config rules, conformance packs, ' +
    'aggregators, retention or evaluation results were deleted (CIS AWS Foundations 4.9).',
  runbook:
    'Check the change belongs to a known landing-zone or compliance change. Check the recorder still ' +
    'records all resource types (`aws configservice describe-configuration-recorders`) and that deleted ' +
    'rules were meant to go.',
  references: [
    'https://docs.aws.amazon.com/securityhub/latest/userguide/cloudwatch-controls.html',
    'https://attack.mitre.org/techniques/T1562/001/',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_config_service_rule_deletion.toml',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_config_service_created.py',
  ],
  mitre: ['TA0005:T1562.001'],
  cis: ['4.9'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.config'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['config.amazonaws.com'], eventName: [...CALLS] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceOrServiceLinkedRole(record),
  summarize: (record) => `${record.eventName ?? 'Change'} on ${targetOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Target', value: targetOf(record) }],
  dedupeMinutes: 60,
};
