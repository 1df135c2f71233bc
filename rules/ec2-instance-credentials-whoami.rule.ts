import { actorOf, fieldOf, principalName } from '../lib/cloudtrail/identity.js';
import type { CloudTrailRecord } from '../lib/cloudtrail/types.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const INSTANCE_SESSION = /:i-[0-9a-z]{8,17}$/i;

/** RFC 1918, loopback, link-local, CGNAT and IPv6 unique-local: reached through a VPC, not the internet. */
export function isInternalAddress(ip: string): boolean {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(ip);
  if (v4) {
    const a = Number(v4[1]);
    const b = Number(v4[2]);
    return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  const lower = ip.toLowerCase();
  return lower === '::1' || /^f[cd][0-9a-f]{2}:/.test(lower) || lower.startsWith('fe80:');
}

/** The instance role's session name is the instance id (`AROA...:i-0abc...`). */
export function isInstanceRoleSession(record: CloudTrailRecord): boolean {
  const identity = record.userIdentity;
  if (identity?.type !== 'AssumedRole') return false;
  const principalId = typeof identity.principalId === 'string' ? identity.principalId : '';
  return INSTANCE_SESSION.test(principalId) || typeof fieldOf(identity.sessionContext, 'ec2RoleDelivery') === 'string';
}

/** The call did not come over the internet: a VPC endpoint, a private address, or AWS itself. */
function cameFromInside(record: CloudTrailRecord): boolean {
  const ip = typeof record.sourceIPAddress === 'string' ? record.sourceIPAddress : '';
  return (
    (typeof record['vpcEndpointId'] === 'string' && record['vpcEndpointId'] !== '') ||
    ip === '' ||
    ip === 'AWS Internal' ||
    ip.endsWith('.amazonaws.com') ||
    isInternalAddress(ip)
  );
}

/**
 * EC2 instance-role credentials asking "who am I" (sts:GetCallerIdentity) or enumerating IAM from a
 * public address: the first thing done with credentials lifted from the instance metadata service
 * (SSRF, a compromised host, or SendCommand as in the Stratus detonation), and rarely what software on
 * the instance needs. The recording shows the stolen session calling GetCallerIdentity, then
 * DescribeInstances, from the attacker's own address (the one its IAM user used for SendCommand).
 *
 * Limits, said plainly: CloudTrail does not carry the instance's own address and this pack keeps no
 * per-session memory of it, so the rule cannot say "not from the instance" the way GuardDuty's
 * InstanceCredentialExfiltration findings do. It keys on what thieves do first instead. It misses a
 * thief who skips the identity probe, and one who uses the credentials from inside a VPC (private
 * address or VPC endpoint, skipped because instances legitimately call through them). Instances in
 * public subnets whose software calls GetCallerIdentity (Terraform or CDK runners, some agents) fire
 * it: allowlist those roles. Medium for that reason; high once the false positives are allowlisted.
 */
export const ec2InstanceCredentialsWhoami: Rule = {
  id: 'ec2-instance-credentials-whoami',
  title: 'EC2 instance credentials probed from a public address',
  severity: 'medium',
  status: 'live',
  description:
    'An EC2 instance-role session (session name = instance id) called sts:GetCallerIdentity or an IAM ' +
    'Get/List API from a public IP address: the reconnaissance that follows credential theft from the ' +
    'instance metadata service.',
  runbook:
    'Compare the source IP with the instance\'s public or NAT address. If they differ: the credentials are ' +
    'used elsewhere. Attach a deny policy for sessions issued before now to the role (the console\'s ' +
    '"Revoke active sessions"), isolate the instance, enforce IMDSv2 (HttpTokens required) and look for ' +
    'SSRF or SendCommand that exposed it.',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html',
    'https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.credential-access.ec2-steal-instance-credentials/',
    'https://attack.mitre.org/techniques/T1552/005/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_imds_credential_exfiltration.py',
  ],
  mitre: ['TA0006:T1552.005', 'TA0001:T1078.004', 'TA0007:T1033'],
  // GetCallerIdentity is regional; the IAM half exists only in us-east-1.
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.sts', 'aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: {
      // Only instance-role sessions reach Lambda (the predicate's test, as far as a pattern can say it):
      // every other role's GetCallerIdentity, a fifth of all matched traffic, stays in EventBridge.
      userIdentity: {
        type: ['AssumedRole'],
        $or: [{ principalId: [{ wildcard: '*:i-*' }, { wildcard: '*:I-*' }] }, { sessionContext: { ec2RoleDelivery: [{ exists: true }] } }],
      },
      $or: [
        { eventSource: ['sts.amazonaws.com'], eventName: ['GetCallerIdentity'] },
        { eventSource: ['iam.amazonaws.com'], eventName: [{ prefix: 'Get' }, { prefix: 'List' }] },
      ],
    },
  },
  readOnlyEvents: true,
  // Denied calls count: a refused IAM enumeration by instance credentials is the same probe.
  match: (record) => isInstanceRoleSession(record) && !cameFromInside(record),
  summarize: (record) =>
    `Instance credentials of ${actorOf(record).name} called ${record.eventName ?? '?'} from ${record.sourceIPAddress ?? '?'}`,
  details: (record) => [
    { label: 'Instance', value: /:(i-[0-9a-z]+)$/i.exec(String(record.userIdentity?.principalId ?? ''))?.[1] ?? '?' },
    { label: 'Source IP', value: record.sourceIPAddress ?? '?' },
  ],
  // Per role and source address: the same stolen credentials used from one place are one incident.
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), sourceIp: record.sourceIPAddress ?? '?', account: event.account }),
  dedupeMinutes: 60,
};
