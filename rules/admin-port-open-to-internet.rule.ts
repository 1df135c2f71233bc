import { succeeded } from '../lib/cloudtrail/identity.js';
import { OPEN_INGRESS_PATTERN, openIngressDetails, openIngressOf, openIngressSummary } from '../lib/cloudtrail/network.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * High: SSH, RDP, SMB, WinRM and database ports (or all traffic) open to every address are found by
 * internet-wide scanners within minutes, and opening one is a classic step before remote access or
 * data theft. Both request shapes of AuthorizeSecurityGroupIngress count (`lib/cloudtrail/network.ts`).
 * Grouped per principal per hour: one deploy opening many groups is one incident with a count.
 */
export const adminPortOpenToInternet: Rule = {
  id: 'admin-port-open-to-internet',
  title: 'Admin or database port opened to the internet',
  severity: 'high',
  status: 'live',
  description:
    'A security group rule or network ACL entry now allows ingress from 0.0.0.0/0 or ::/0 (any /0) to a ' +
    'remote administration or database port (22, 3389, 445, 5985-5986, 1433, 3306, 5432, 6379, 27017, ...) ' +
    'or to all traffic. Rules limited to private or specific ranges do not fire.',
  runbook:
    'Revoke the rule now unless a ticket says otherwise (`aws ec2 revoke-security-group-ingress` or ' +
    '`aws ec2 delete-network-acl-entry`). Then list what the group or ACL protects, check those hosts for ' +
    'logins since the event time, and ask the actor why; if nobody asked for it, treat their credentials as stolen.',
  references: [
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AuthorizeSecurityGroupIngress.html',
    'https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateNetworkAclEntry.html',
    'https://attack.mitre.org/techniques/T1562/007/',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_vpc_security_group_ingress_rule_added_for_remote_connections.toml',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_network_acl_permissive_entry.py',
  ],
  mitre: ['TA0005:T1562.007', 'TA0001:T1133'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: OPEN_INGRESS_PATTERN,
  readOnlyEvents: false,
  match: (record) => succeeded(record) && openIngressOf(record)?.exposure === 'admin',
  summarize: openIngressSummary,
  details: openIngressDetails,
  dedupeMinutes: 60,
};
