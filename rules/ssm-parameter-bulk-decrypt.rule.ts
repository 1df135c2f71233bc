import { actorOf, isServiceCall, requestParam, requestValue, succeeded } from '../lib/cloudtrail/identity.js';
import type { CloudTrailRecord } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/** What a read selected: each parameter name, or the path (a path read is one selection). */
function selected(record: CloudTrailRecord): string[] {
  const names = requestValue(record, 'names');
  if (Array.isArray(names)) return names.filter((v): v is string => typeof v === 'string');
  const path = requestParam(record, 'path');
  if (path !== undefined) return [`path:${path}${requestValue(record, 'recursive') === true ? ' (recursive)' : ''}`];
  return [requestParam(record, 'name') ?? ''];
}

function namesOf(record: CloudTrailRecord): string {
  const names = requestValue(record, 'names');
  if (Array.isArray(names)) {
    const shown = names.filter((v): v is string => typeof v === 'string').slice(0, 5);
    return `${names.length} parameter${names.length === 1 ? '' : 's'} (${shown.join(', ')}${names.length > shown.length ? ', ...' : ''})`;
  }
  const path = requestParam(record, 'path');
  if (path) return `everything under ${path}${requestValue(record, 'recursive') === true ? ' (recursive)' : ''}`;
  return requestParam(record, 'name') ?? '?';
}

/**
 * SecureString parameters read decrypted in bulk: the Parameter Store flavour of secret harvesting
 * (Stratus: 41 SecureStrings in 5 GetParameters calls within two seconds). Only decrypted reads
 * count; plain configuration reads are everyday traffic. Default 5 calls in 10 minutes, counting
 * calls (GetParameters takes up to 10 names, GetParametersByPath a whole tree): a service reads its
 * parameters in one or two calls at start-up. Refused reads are left to the unauthorized-calls burst.
 * Only calls that read a parameter (or path) the principal had not read yet that UTC day count: an app
 * re-reading its own configuration all day is not a burst, and those repeats cost no state.
 */
export const ssmParameterBulkDecrypt: Rule = {
  id: 'ssm-parameter-bulk-decrypt',
  title: 'Burst of decrypted SSM SecureString reads',
  severity: 'medium',
  status: 'live',
  description:
    'One principal read SSM parameters with decryption (GetParameter, GetParameters, GetParametersByPath ' +
    'with withDecryption: true) many times within a short event-time window.',
  runbook:
    'Check which parameters were read (names in the follow-up) and whether the principal\'s workload ' +
    'uses them. If not: revoke its sessions, rotate the secrets those SecureStrings hold, and narrow ' +
    'ssm:GetParameter* and kms:Decrypt in its policy.',
  references: [
    'https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-securestring.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.ssm-retrieve-securestring-parameters/',
    'https://attack.mitre.org/techniques/T1552/',
  ],
  mitre: ['TA0006:T1552', 'TA0006:T1555.006'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ssm'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      eventSource: ['ssm.amazonaws.com'],
      eventName: ['GetParameter', 'GetParameters', 'GetParametersByPath'],
      requestParameters: { withDecryption: [true] },
    },
  },
  readOnlyEvents: true,
  match: (record) => succeeded(record) && !isServiceCall(record),
  summarize: (record) => `Decrypted read of ${namesOf(record)} by ${actorOf(record).name}`,
  details: (record) => [{ label: 'Parameters', value: namesOf(record) }],
  threshold: { count: 5, windowMinutes: 10 },
  distinct: { values: selected, periodMinutes: 24 * 60 },
  dedupeMinutes: 60,
};
