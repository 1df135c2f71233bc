import { actorOf, errorCodeOf, fieldOf, requestParam, requestValue } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES, type CloudTrailRecord } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * EC2 logs this request in its XML-derived shape: `DeleteFlowLogsRequest.FlowLogId` is
 * `{ content, tag }` for one id and a list of those for several.
 */
function flowLogIds(record: CloudTrailRecord): string {
  const raw = fieldOf(requestValue(record, 'DeleteFlowLogsRequest'), 'FlowLogId') ?? requestParam(record, 'flowLogIds');
  const list = Array.isArray(raw) ? raw : [raw];
  const ids = list
    .slice(0, 10)
    .map((item) => (typeof item === 'string' ? item : fieldOf(item, 'content')))
    .filter((id): id is string => typeof id === 'string' && id !== '');
  return ids.length > 0 ? ids.join(', ') + (list.length > 10 ? ', ...' : '') : '(see event)';
}

/**
 * Medium: flow logs are the network evidence (who talked to what) an investigation needs, and
 * deleting them is a known way to cover exfiltration; but unlike the control-plane trail they are
 * also deleted whenever infrastructure as code tears a VPC down. Refused attempts alert too, as for
 * CloudTrail tampering: somebody tried. Grouped per principal per hour (one teardown, one alert).
 */
export const vpcFlowLogsDeleted: Rule = {
  id: 'vpc-flow-logs-deleted',
  title: 'VPC flow logs deleted',
  severity: 'medium',
  status: 'live',
  description:
    'One or more VPC, subnet or network interface flow logs were deleted (or somebody tried): network ' +
    'traffic from then on leaves no record.',
  runbook:
    'Check whether the VPC itself was being torn down by a known deploy. If not, recreate the flow log ' +
    '(`aws ec2 create-flow-logs`), revoke the actor\'s credentials, and look at what the actor did just ' +
    'before and after (data access, security group changes).',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteFlowLogs.html',
    'https://attack.mitre.org/techniques/T1562/008/',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_ec2_flow_log_deletion.toml',
    'https://github.com/SigmaHQ/sigma/blob/master/rules/cloud/aws/cloudtrail/aws_cloudtrail_vpc_flow_logs_deleted.yml',
  ],
  mitre: ['TA0005:T1562.008'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['DeleteFlowLogs'] },
  },
  readOnlyEvents: false,
  summarize: (record) => {
    const error = errorCodeOf(record);
    return `Flow logs ${flowLogIds(record)} deleted by ${actorOf(record).name}${error ? ` (refused: ${error})` : ''}`;
  },
  details: (record) => [{ label: 'Flow logs', value: flowLogIds(record) }],
  dedupeMinutes: 60,
};
