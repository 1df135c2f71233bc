import { actorOf, errorCodeOf, fieldOf, principalName, requestValue } from '../lib/cloudtrail/identity.js';
import type { CloudTrailRecord } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

// GPU, ML-accelerator and FPGA families: what crypto-mining with stolen credentials asks for first.
// Families only (p3, g5, inf2, trn1, dl1, vt1, f1, gr6...): sizes of general families stay quiet.
const UNUSUAL_FAMILY = /^(?:p\d|gr?\d|inf\d|trn\d|dl\d|vt\d|f\d)[a-z0-9-]*\.[a-z0-9-]+$/i;

/** RunInstances logs the type as a string, older records as `{ value }`. */
export function instanceTypeOf(record: CloudTrailRecord): string | undefined {
  const raw = requestValue(record, 'instanceType');
  const value = typeof raw === 'string' ? raw : fieldOf(raw, 'value');
  return typeof value === 'string' && value !== '' ? value.slice(0, 64) : undefined;
}

/**
 * A launch (allowed or refused) of a GPU/accelerator instance type. Stolen credentials are most often
 * turned into crypto-mining on these; the Stratus detonation asks for ten p2.xlarge and is refused.
 * A refused request counts: it says what the principal tried. One alert per principal and hour.
 * Medium: cost and abuse rather than data loss. Accounts that train models launch these daily and
 * should allowlist their ML roles; unusual regions need a per-account baseline this rule does not keep.
 */
export const ec2UnusualInstanceType: Rule = {
  id: 'ec2-unusual-instance-type',
  title: 'GPU or accelerator EC2 instances requested',
  severity: 'medium',
  status: 'live',
  description:
    'RunInstances asked for a GPU, machine-learning accelerator or FPGA instance type (p*, g*, inf*, ' +
    'trn*, dl*, vt*, f*), whether it was allowed or refused: the usual first move of crypto-mining.',
  runbook:
    'Check whether the principal runs ML or graphics workloads. If not: terminate the instances (all ' +
    'regions: DescribeInstances per region), revoke the principal\'s sessions or keys, and check the ' +
    'service quotas and billing for other launches.',
  references: [
    'https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.execution.ec2-launch-unusual-instances/',
    'https://attack.mitre.org/techniques/T1496/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_ec2_launch_unusual_ec2_instances.py',
  ],
  mitre: ['TA0040:T1496', 'TA0002:T1204'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.ec2'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['RunInstances'] },
  },
  readOnlyEvents: false,
  match: (record) => {
    const type = instanceTypeOf(record);
    return type !== undefined && UNUSUAL_FAMILY.test(type);
  },
  summarize: (record) =>
    `${instanceTypeOf(record) ?? '?'} instances requested${errorCodeOf(record) ? ` (not launched: ${errorCodeOf(record)})` : ''} by ${actorOf(record).name} in ${record.awsRegion ?? '?'}`,
  details: (record) => [
    { label: 'Instance type', value: instanceTypeOf(record) ?? '?' },
    { label: 'Region', value: record.awsRegion ?? '?' },
    { label: 'Outcome', value: errorCodeOf(record) ?? 'allowed' },
  ],
  // Per principal and region: a miner spreading over regions is one alert per region it reaches.
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), region: event.region, account: event.account }),
  dedupeMinutes: 60,
};
