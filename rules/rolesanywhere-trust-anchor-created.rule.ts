import { actorOf, byAwsService, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * IAM Roles Anywhere hands out role credentials to any workload holding a certificate from a trusted
 * certificate authority. Registering (or swapping) a trust anchor with the attacker's own CA is a
 * persistence door that needs no IAM user, key or password.
 */
export const rolesanywhereTrustAnchorCreated: Rule = {
  id: 'rolesanywhere-trust-anchor-created',
  title: 'IAM Roles Anywhere trust anchor created or changed',
  // high: a new certificate authority able to mint role credentials from outside AWS; rare by nature
  // (set up once per PKI), so an unplanned one is very likely persistence.
  severity: 'high',
  status: 'live',
  description:
    'A Roles Anywhere trust anchor was created, or its certificate source changed: certificates from that ' +
    'authority can now obtain credentials for the roles of any Roles Anywhere profile.',
  runbook:
    'Check the anchor\'s certificate authority against your PKI. If unknown: disable the trust anchor ' +
    '(DisableTrustAnchor) and the profiles created with it, look for CreateSession calls from it, and ' +
    'revoke the actor\'s credentials.',
  references: [
    'https://docs.aws.amazon.com/rolesanywhere/latest/userguide/getting-started.html',
    'https://stratus-red-team.cloud/attack-techniques/AWS/aws.persistence.rolesanywhere-create-trust-anchor/',
  ],
  mitre: ['TA0003:T1098', 'TA0003:T1556'],
  requires: { eventCategory: 'management', usEast1Only: false },
  pattern: {
    source: ['aws.rolesanywhere'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['rolesanywhere.amazonaws.com'], eventName: ['CreateTrustAnchor', 'UpdateTrustAnchor'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record),
  summarize: (record) =>
    `${actorOf(record).name} ${record.eventName === 'CreateTrustAnchor' ? 'created' : 'changed'} Roles Anywhere trust anchor ` +
    `${requestParam(record, 'name') ?? requestParam(record, 'trustAnchorId') ?? '?'}`,
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};
