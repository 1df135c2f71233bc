import type { Log, MetricSink } from './detect.js';
import { isObject as isRecord } from '../untrusted/json.js';

/**
 * The canary's write, as CloudTrail records it: `ssm:AddTagsToResource` on the stack's own canary
 * parameter, by the canary function's role. A management write (not read-only), so a plain `ENABLED`
 * EventBridge rule receives it, through the same trail and bus as every detection.
 */
export const CANARY_CALL = {
  source: 'aws.ssm',
  detailType: 'AWS API Call via CloudTrail',
  eventSource: 'ssm.amazonaws.com',
  eventName: 'AddTagsToResource',
  resourceType: 'Parameter',
  tagKey: 'trailwatch:canary',
} as const;

export interface CanaryIdentity {
  /** The SSM parameter the canary tags (`/trailwatch/<stage>/canary`). */
  parameterName: string;
  /** The canary function's IAM role name (no path): the only principal whose call counts. */
  roleName: string;
}

/** `CANARY_PARAMETER` and `CANARY_ROLE_NAME`; either unset or `none` turns recognition off. */
export function canaryFromEnv(env: NodeJS.ProcessEnv): CanaryIdentity | undefined {
  const parameterName = env.CANARY_PARAMETER?.trim();
  const roleName = env.CANARY_ROLE_NAME?.trim();
  if (!parameterName || !roleName || parameterName === 'none' || roleName === 'none') return undefined;
  return { parameterName, roleName };
}

const field = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);

/**
 * True only for the canary's own call delivered by AWS. EventBridge refuses PutEvents whose source
 * starts with `aws.`, so `source` proves AWS sent it; the role (by name, in the event's own account)
 * is one only the canary function can assume, allowed to do nothing but this tag write. A forged or
 * foreign look-alike is therefore not a canary and goes through the rules like any other event.
 */
export function isCanaryEvent(raw: unknown, canary: CanaryIdentity): boolean {
  if (field(raw, 'source') !== CANARY_CALL.source || field(raw, 'detail-type') !== CANARY_CALL.detailType) return false;
  const detail = field(raw, 'detail');
  if (field(detail, 'eventSource') !== CANARY_CALL.eventSource || field(detail, 'eventName') !== CANARY_CALL.eventName) return false;
  const request = field(detail, 'requestParameters');
  if (field(request, 'resourceType') !== CANARY_CALL.resourceType || field(request, 'resourceId') !== canary.parameterName) return false;
  const identity = field(detail, 'userIdentity');
  const issuer = field(field(identity, 'sessionContext'), 'sessionIssuer');
  const account = field(raw, 'account');
  return (
    field(identity, 'type') === 'AssumedRole' &&
    field(issuer, 'type') === 'Role' &&
    field(issuer, 'userName') === canary.roleName &&
    typeof account === 'string' &&
    field(issuer, 'accountId') === account &&
    field(issuer, 'arn') === `arn:${partitionOf(field(identity, 'arn'))}:iam::${account}:role/${canary.roleName}`
  );
}

/** `arn:<partition>:sts::...` -> partition; anything else yields a value no role ARN has. */
function partitionOf(arn: unknown): string {
  return typeof arn === 'string' && arn.startsWith('arn:') ? (arn.split(':')[1] ?? '?') : '?';
}

/** API call time (the CloudTrail record's `eventTime`, else the envelope's `time`) to `now`. */
export function canaryDelayMs(raw: unknown, now: number): number | undefined {
  for (const t of [field(field(raw, 'detail'), 'eventTime'), field(raw, 'time')]) {
    const ms = typeof t === 'string' ? Date.parse(t) : Number.NaN;
    if (Number.isFinite(ms)) return Math.max(0, now - ms);
  }
  return undefined;
}

export interface CanarySummary {
  canary: true;
  /** Undefined when the event carried no readable time (then no delay is recorded). */
  delaySeconds?: number;
}

/**
 * The detect function's first step: a canary event records `CanaryDelay` (whose silence alarm says
 * trailwatch is blind) and stops there, so it never reaches a rule, the state table or a person.
 * Anything else returns undefined and is handled as usual.
 */
export function handleCanary(raw: unknown, canary: CanaryIdentity | undefined, deps: { log: Log; metrics: MetricSink }, now: number): CanarySummary | undefined {
  if (!canary || !isCanaryEvent(raw, canary)) return undefined;
  const delayMs = canaryDelayMs(raw, now);
  const summary: CanarySummary = { canary: true };
  if (delayMs !== undefined) {
    summary.delaySeconds = Math.round(delayMs / 1000);
    deps.metrics.addMetric('CanaryDelay', 'Seconds', delayMs / 1000);
  }
  const errorCode = field(field(raw, 'detail'), 'errorCode');
  deps.log.info('Canary received', { delaySeconds: summary.delaySeconds, ...(typeof errorCode === 'string' && errorCode ? { errorCode: errorCode.slice(0, 100) } : {}) });
  return summary;
}
