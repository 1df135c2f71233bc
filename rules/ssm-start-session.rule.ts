import { actorOf, isServiceCall, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * An interactive shell (or port forward) opened on an instance through SSM Session Manager. Teams that
 * replaced SSH with Session Manager open sessions daily, so this is low and one alert per principal
 * and hour: it answers "who is on which instance"; a session fan-out over many instances (the Stratus
 * shape, three at once) shows as the follow-up count. Port-forwarding documents are reported alike.
 */
export const ssmStartSession: Rule = {
  id: 'ssm-start-session',
  title: 'SSM Session Manager session started',
  severity: 'low',
  status: 'live',
  description: 'StartSession opened a Session Manager session (shell or port forwarding) on an instance or managed node.',
  runbook:
    'Check whether the principal is expected on that instance. Session logs (if enabled) are in the S3 ' +
    'bucket or log group of the Session Manager preferences. If unexpected: TerminateSession, review what ' +
    'the instance and its role did, and revoke the principal\'s sessions.',
  references: [
    'https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.execution.ssm-start-session/',
    'https://attack.mitre.org/techniques/T1021/007/',
  ],
  mitre: ['TA0008:T1021.007', 'TA0002:T1651'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ssm'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ssm.amazonaws.com'], eventName: ['StartSession'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !isServiceCall(record),
  summarize: (record) =>
    `Session Manager session on ${requestParam(record, 'target') ?? '?'}${requestParam(record, 'documentName') ? ` (${requestParam(record, 'documentName')})` : ''} started by ${actorOf(record).name}`,
  details: (record) => [
    { label: 'Target', value: requestParam(record, 'target') ?? '?' },
    { label: 'Document', value: requestParam(record, 'documentName') ?? 'default shell' },
  ],
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};
