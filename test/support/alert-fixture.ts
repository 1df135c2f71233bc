import type { Alert } from '../../lib/alert/alert.js';

/** A plausible live alert; tests override what they probe. */
export const alertFixture = (over: Partial<Alert> = {}): Alert => ({
  id: 'iam-user-deleted:match:e1',
  kind: 'match',
  ruleId: 'iam-user-deleted',
  title: 'IAM user deleted',
  severity: 'medium',
  status: 'live',
  summary: 'IAM user bob deleted by user/alice',
  account: '123456789012',
  region: 'us-east-1',
  eventTime: '2026-11-20T10:00:00Z',
  detectedAt: '2026-11-20T10:06:00Z',
  delayMs: 360_000,
  late: false,
  eventIds: ['e1'],
  actor: { type: 'IAMUser', name: 'user/alice', sourceIp: '203.0.113.9', via: 'AWS CLI' },
  eventSource: 'iam.amazonaws.com',
  eventName: 'DeleteUser',
  details: [{ label: 'Deleted user', value: 'bob' }],
  runbook: 'Ask alice whether the deletion was planned.',
  references: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/id_users_manage.html'],
  mitre: ['TA0040:T1531'],
  ...over,
});
