import { actorOf, errorCodeOf, firstRequestParam } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

const configOf = (record: Parameters<Rule['summarize']>[0]): string => firstRequestParam(record, ['resolverQueryLogConfigId']) ?? '(see event)';

/**
 * Medium, for the reasons of vpc-flow-logs-deleted: DNS query logs show which domains hosts resolved
 * (command and control, exfiltration over DNS), and removing them blinds that; teardown by
 * infrastructure as code does the same every day. Disassociating a VPC from the configuration stops
 * its logging as surely as deleting the configuration. Refused attempts alert too.
 */
export const dnsQueryLoggingDeleted: Rule = {
  id: 'dns-query-logging-deleted',
  title: 'Route 53 Resolver query logging removed',
  severity: 'medium',
  status: 'live',
  description:
    'A Route 53 Resolver query logging configuration was deleted or disassociated from a VPC (or ' +
    'somebody tried): DNS lookups from that VPC are no longer recorded.',
  runbook:
    'Check whether the VPC was being torn down by a known deploy. If not, recreate and re-associate the ' +
    'query logging configuration (`aws route53resolver associate-resolver-query-log-config`), revoke the ' +
    "actor's credentials, and review the actor's other changes.",
  references: [
    'https://docs.aws.amazon.com/Route53/latest/APIReference/API_route53resolver_DeleteResolverQueryLogConfig.html',
    'https://attack.mitre.org/techniques/T1562/008/',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_route53_dns_query_resolver_config_deletion.toml',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_dns_logs_deleted.py',
  ],
  mitre: ['TA0005:T1562.008'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.route53resolver'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['route53resolver.amazonaws.com'], eventName: ['DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig'] },
  },
  readOnlyEvents: false,
  summarize: (record) => {
    const error = errorCodeOf(record);
    const verb = record.eventName === 'DisassociateResolverQueryLogConfig' ? 'disassociated' : 'deleted';
    return `DNS query logging ${configOf(record)} ${verb} by ${actorOf(record).name}${error ? ` (refused: ${error})` : ''}`;
  },
  details: (record) => {
    const vpc = firstRequestParam(record, ['resourceId']);
    return [{ label: 'Query log configuration', value: configOf(record) }, ...(vpc ? [{ label: 'VPC', value: vpc }] : [])];
  },
  dedupeMinutes: 60,
};
