import { actorOf, errorCodeOf, firstRequestParam } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const CALLS = ['StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel'] as const;

const targetOf = (record: Parameters<Rule['summarize']>[0]): string =>
  firstRequestParam(record, ['configurationRecorderName', 'deliveryChannelName']) ?? '(default)';

/**
 * High: with the recorder stopped or its delivery channel gone, AWS Config stops recording resource
 * changes and every Config rule and Security Hub control built on it goes stale without saying so.
 * Attackers do it before the changes they do not want recorded. Refused attempts alert too, as for
 * CloudTrail tampering: somebody tried. Landing-zone updates (Control Tower) can do this on purpose:
 * they run from known roles, which per-deployment allowlists can name.
 */
export const configRecordingStopped: Rule = {
  id: 'config-recording-stopped',
  title: 'AWS Config recording stopped or channel deleted',
  severity: 'high',
  status: 'live',
  description:
    'The AWS Config configuration recorder was stopped or deleted, or its delivery channel was deleted ' +
    '(or somebody tried; CIS AWS Foundations 4.9): resource changes are no longer recorded.',
  runbook:
    'Restart recording (`aws configservice start-configuration-recorder --configuration-recorder-name ' +
    "<name>`, recreate the delivery channel if deleted). Revoke the actor's credentials unless this was a " +
    'planned landing-zone change, and review what they changed while recording was off.',
  references: [
    'https://docs.aws.amazon.com/config/latest/APIReference/API_StopConfigurationRecorder.html',
    'https://attack.mitre.org/techniques/T1562/001/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_config_service_disabled_deleted.py',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_configuration_recorder_stopped.toml',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_config_disable_recording.yml',
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
  summarize: (record) => {
    const error = errorCodeOf(record);
    return `${record.eventName ?? 'Change'} on ${targetOf(record)} by ${actorOf(record).name}${error ? ` (refused: ${error})` : ''}`;
  },
  details: (record) => [{ label: 'Recorder or channel', value: targetOf(record) }],
  dedupeMinutes: 30,
};
