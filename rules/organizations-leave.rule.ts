import { actorOf, errorCodeOf, requestParam } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * An account leaving its AWS Organization sheds every service control policy, the organisation trail
 * and delegated security tooling (GuardDuty, Security Hub, Config aggregators) in one call.
 * LeaveOrganization is the member account's side; RemoveAccountFromOrganization the management
 * account's. Refused attempts alert too (the Stratus Red Team recording is one): somebody tried.
 */
export const organizationsLeave: Rule = {
  id: 'organizations-leave',
  title: 'Account left, or tried to leave, its Organization',
  // high: defense evasion of every organisation-level control at once; almost never planned without
  // a migration ticket.
  severity: 'high',
  status: 'live',
  description:
    'A member account called LeaveOrganization, or the management account removed a member account ' +
    '(RemoveAccountFromOrganization). Refused calls are reported too, marked refused.',
  runbook:
    'Confirm with the account owner and the organisation administrators whether a migration was planned. ' +
    'If not and the call succeeded: invite the account back (its SCPs, trail and security services no ' +
    "longer apply until it accepts), revoke the actor's credentials, and review the account's activity " +
    'from this event on with its own CloudTrail.',
  references: [
    'https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_accounts_remove.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.defense-evasion.organizations-leave/',
    'https://github.com/panther-labs/panther-analysis/blob/main/rules/aws_cloudtrail_rules/aws_cloudtrail_attempt_to_leave_org.py',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/defense_evasion_organizations_leave_organization.toml',
  ],
  mitre: ['TA0005:T1666'],
  cis: ['4.15'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.organizations'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['organizations.amazonaws.com'], eventName: ['LeaveOrganization', 'RemoveAccountFromOrganization'] },
  },
  readOnlyEvents: false,
  summarize: (record, event) => {
    const error = errorCodeOf(record);
    const outcome = error ? ` (refused: ${error})` : '';
    if (record.eventName === 'RemoveAccountFromOrganization') {
      return `${actorOf(record).name} removed account ${requestParam(record, 'accountId') ?? '?'} from the Organization${outcome}`;
    }
    return `Account ${event.account} ${error ? 'tried to leave' : 'left'} its Organization (by ${actorOf(record).name})${outcome}`;
  },
  // Per account: an attacker retrying with several roles is one incident.
  groupBy: (_record, event) => ({ account: event.account }),
  dedupeMinutes: 60,
};
