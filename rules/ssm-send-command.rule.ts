import { actorOf, isServiceCall, principalName, requestParam, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import type { CloudTrailRecord } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

// Documents that run arbitrary commands given in the request. Patching, inventory and package
// documents run fixed code and are everyday fleet management.
const SHELL_DOCUMENTS = ['AWS-RunShellScript', 'AWS-RunPowerShellScript', 'AWS-RunRemoteScript'];

function targetsOf(record: CloudTrailRecord): string {
  const ids = requestValue(record, 'instanceIds');
  if (Array.isArray(ids) && ids.length > 0) {
    const named = ids.filter((v): v is string => typeof v === 'string').slice(0, 10);
    return `${ids.length} instance${ids.length > 1 ? 's' : ''} (${named.join(', ')}${ids.length > named.length ? ', ...' : ''})`;
  }
  return requestValue(record, 'targets') !== undefined ? 'instances selected by tag or resource group' : '?';
}

/**
 * Ad-hoc shell commands through SSM Run Command: code execution as root on every targeted instance,
 * with no SSH and no inbound port, and the instance role's credentials one `curl` away (the
 * ec2-steal-instance-credentials technique starts here). Only the free-form shell documents count,
 * and calls AWS makes for a State Manager association are skipped. One alert per principal and hour
 * (the first use; later commands are counted in the follow-up). Medium: execution, not yet impact.
 */
export const ssmSendCommand: Rule = {
  id: 'ssm-send-command',
  title: 'Shell commands sent to instances with SSM',
  severity: 'medium',
  status: 'live',
  description:
    'SendCommand ran a free-form shell document (AWS-RunShellScript, AWS-RunPowerShellScript, ' +
    'AWS-RunRemoteScript) on instances. CloudTrail hides the commands themselves.',
  runbook:
    'Ask the principal what it ran; the command output is in GetCommandInvocation (or the S3/CloudWatch ' +
    'output the command named). If unexpected: check the instances for new users, keys, cron jobs and ' +
    'outbound connections, and what their instance roles did since; revoke the principal\'s sessions.',
  references: [
    'https://docs.aws.amazon.com/systems-manager/latest/userguide/run-command.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.execution.ssm-send-command/',
    'https://attack.mitre.org/techniques/T1651/',
    'https://github.com/elastic/detection-rules/tree/main/rules/integrations/aws',
  ],
  mitre: ['TA0002:T1651'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ssm'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ssm.amazonaws.com'], eventName: ['SendCommand'], requestParameters: { documentName: SHELL_DOCUMENTS } },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceCall(record),
  summarize: (record) => `${requestParam(record, 'documentName') ?? '?'} sent to ${targetsOf(record)} by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Document', value: requestParam(record, 'documentName') ?? '?' },
    { label: 'Targets', value: targetsOf(record) },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};
