import { actorOf, byAwsService, principalName, requestParam, succeeded } from '../lib/cloudtrail/identity.js';
import { DETAIL_TYPES } from '../lib/cloudtrail/types.js';
import type { Rule } from '../lib/detection/rule.js';

/**
 * Removing a user's MFA device leaves its password (or a password the attacker just set) as the only
 * factor: the step before a console takeover, and a way to keep access after a reset.
 * DeleteVirtualMFADevice alone also follows an abandoned enrollment in the console; it is still
 * reported, because deleting an assigned device needs a deactivation first, which is reported too.
 */
export const iamMfaDeviceRemoved: Rule = {
  id: 'iam-mfa-device-removed',
  title: 'MFA device deactivated or deleted',
  // medium: lost phones make this routine for help desks, but it weakens sign-in for the user at once.
  severity: 'medium',
  status: 'live',
  description: 'An MFA device was deactivated for an IAM user (DeactivateMFADevice) or a virtual MFA device was deleted.',
  runbook:
    'Ask the user whether they asked for the removal (lost device). If not: have them enroll a new device, ' +
    'reset their password, revoke their sessions, and check the actor\'s other IAM changes.',
  references: [
    'https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeactivateMFADevice.html',
    'https://github.com/elastic/detection-rules/blob/main/rules/integrations/aws/credential_access_identitycenter_mfa_device_removed_from_user.toml',
  ],
  mitre: ['TA0003:T1556.006', 'TA0005:T1556.006'],
  requires: { eventCategory: 'management', usEast1Only: true },
  pattern: {
    source: ['aws.iam'],
    'detail-type': [DETAIL_TYPES.apiCall],
    detail: { eventSource: ['iam.amazonaws.com'], eventName: ['DeactivateMFADevice', 'DeleteVirtualMFADevice'] },
  },
  readOnlyEvents: false,
  match: (record) => succeeded(record) && !byAwsService(record),
  summarize: (record) => {
    const user = requestParam(record, 'userName');
    const device = requestParam(record, 'serialNumber') ?? '?';
    return `${actorOf(record).name} ${record.eventName === 'DeactivateMFADevice' ? 'deactivated' : 'deleted'} MFA device ${device}${user ? ` of IAM user ${user}` : ''}`;
  },
  groupBy: (record, event) => ({ principal: principalName(record.userIdentity), account: event.account }),
  dedupeMinutes: 60,
};
