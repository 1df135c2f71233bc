import { succeeded } from '../lib/cloudtrail/identity.js';
import { OPEN_INGRESS_PATTERN, openIngressDetails, openIngressOf, openIngressSummary } from '../lib/cloudtrail/network.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Medium: a port other than an admin or database one open to every address is less often an attack,
 * but it is exposure nobody should add by accident. Not here, so that everyday traffic stays quiet:
 * 80 and 443 alone (public web front ends), ICMP, and a NACL's ephemeral return range (1024-65535);
 * security-group-changed and network-acl-changed still record them at low severity. An event that also
 * opens an admin port fires only admin-port-open-to-internet.
 */
export const portOpenToInternet: Rule = {
  id: 'port-open-to-internet',
  title: 'Port opened to the internet',
  severity: 'medium',
  status: 'live',
  description:
    'A security group rule or network ACL entry now allows ingress from 0.0.0.0/0 or ::/0 (any /0) to a ' +
    'port that is not a web port (80, 443) nor an admin or database port (those have a high rule).',
  runbook:
    'Check with the actor what listens on the port and whether it must be public. If not, narrow the ' +
    'rule to the callers that need it or revoke it.',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html',
    'https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html#nacl-ephemeral-ports',
    'https://attack.mitre.org/techniques/T1562/007/',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_ec2_nacl_all_traffic_allowed_new_identity.toml',
  ],
  mitre: ['TA0005:T1562.007'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: OPEN_INGRESS_PATTERN,
  readOnlyEvents: false,
  match: (record) => succeeded(record) && openIngressOf(record)?.exposure === 'other',
  summarize: openIngressSummary,
  details: openIngressDetails,
  dedupeMinutes: 60,
};
