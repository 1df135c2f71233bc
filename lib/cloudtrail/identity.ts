import { oneLine } from '../untrusted/text.js';
import type { CloudTrailRecord, Json, JsonObject, TrailEvent, UserIdentity } from './types.js';

export interface Actor {
  /** userIdentity.type, or `Unknown`. */
  type: string;
  /** A short human name: `user/alice`, `role/ci-deployer (session bob)`, `root`, `service ec2.amazonaws.com`. */
  name: string;
  arn?: string;
  principalAccount?: string;
  accessKeyId?: string;
  sourceIp?: string;
  userAgent?: string;
  /** How the call was made: Console, AWS CLI, SDK, Terraform, AWS service, ... */
  via?: string;
  mfa?: string;
  invokedBy?: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The last path segment of an ARN resource, e.g. `role/ci` -> `ci`. */
const lastSegment = (arn: string | undefined): string | undefined => {
  if (!arn) return undefined;
  const resource = arn.split(':').slice(5).join(':');
  const parts = resource.split('/');
  return parts[parts.length - 1] || undefined;
};

/**
 * A short, stable name for who made the call. It is the default incident key, so it must not change
 * between two calls of the same principal: for assumed roles that is the role, with the session shown
 * apart (one engineer's many sessions are one incident).
 */
export function principalName(identity: UserIdentity | undefined): string {
  if (!identity) return 'unknown';
  const type = str(identity.type) ?? 'Unknown';
  switch (type) {
    case 'Root':
      return 'root';
    case 'IAMUser':
      return `user/${str(identity.userName) ?? lastSegment(str(identity.arn)) ?? str(identity.principalId) ?? '?'}`;
    case 'AssumedRole': {
      const issuer = identity.sessionContext?.sessionIssuer;
      const role = str(issuer?.userName) ?? roleFromAssumedArn(str(identity.arn)) ?? '?';
      return `role/${role}`;
    }
    case 'FederatedUser':
      return `federated/${lastSegment(str(identity.arn)) ?? str(identity.principalId) ?? '?'}`;
    case 'AWSService':
      return `service/${str(identity.invokedBy) ?? '?'}`;
    case 'AWSAccount':
      return `account/${str(identity.accountId) ?? str(identity.principalId) ?? '?'}`;
    case 'IdentityCenterUser':
      return `sso-user/${str(identity.onBehalfOf?.userId) ?? str(identity.principalId) ?? '?'}`;
    default:
      return `${type.toLowerCase()}/${str(identity.principalId) ?? str(identity.arn) ?? '?'}`;
  }
}

/** arn:aws:sts::123:assumed-role/RoleName/session -> RoleName */
function roleFromAssumedArn(arn: string | undefined): string | undefined {
  if (!arn) return undefined;
  const m = /:assumed-role\/([^/]+)\//.exec(arn);
  return m?.[1];
}

function sessionName(identity: UserIdentity): string | undefined {
  const arn = str(identity.arn);
  if (identity.type !== 'AssumedRole' || !arn) return undefined;
  const m = /:assumed-role\/[^/]+\/(.+)$/.exec(arn);
  return m?.[1];
}

/**
 * How the call was made, from the user agent. Only a hint: the user agent is chosen by the caller.
 * Order matters: tools embed the SDK's agent in theirs.
 */
export function classifyUserAgent(userAgent: string | undefined, record?: CloudTrailRecord): string | undefined {
  if (record?.userIdentity?.invokedBy || record?.userIdentity?.type === 'AWSService') return 'AWS service';
  if (!userAgent) return undefined;
  const ua = userAgent.toLowerCase();
  if (ua === 'signin.amazonaws.com' || ua.includes('console.amazonaws.com') || ua.startsWith('aws-internal/') || /mozilla\/|chrome\/|safari\//.test(ua)) {
    return 'Console or browser';
  }
  if (ua.includes('terraform')) return 'Terraform';
  if (ua.includes('pulumi')) return 'Pulumi';
  if (ua.includes('cloudformation')) return 'CloudFormation';
  if (ua.includes('aws-cdk') || ua.includes('cdk/')) return 'AWS CDK';
  if (ua.startsWith('aws-cli/')) return 'AWS CLI';
  if (ua.includes('boto3') || ua.includes('botocore')) return 'Python SDK (boto3)';
  if (ua.includes('aws-sdk-js') || ua.includes('aws-sdk-nodejs')) return 'JavaScript SDK';
  if (ua.includes('aws-sdk-go')) return 'Go SDK';
  if (ua.includes('aws-sdk-java')) return 'Java SDK';
  if (ua.endsWith('.amazonaws.com')) return 'AWS service';
  return 'Other client';
}

/** MFA as a person reads it; CloudTrail spells it three ways. */
function mfaOf(record: CloudTrailRecord): string | undefined {
  const extra = record.additionalEventData;
  if (extra && typeof extra === 'object' && !Array.isArray(extra)) {
    const used = extra['MFAUsed'];
    if (typeof used === 'string' && used !== '') return used.toLowerCase() === 'yes' ? 'yes' : 'no';
  }
  const session = record.userIdentity?.sessionContext?.attributes?.mfaAuthenticated;
  if (session === 'true') return 'yes';
  if (session === 'false') return 'no';
  return undefined;
}

/** The enrichment every alert carries: who, from where, how. Never throws on odd input. */
export function actorOf(record: CloudTrailRecord): Actor {
  const identity = record.userIdentity && typeof record.userIdentity === 'object' ? record.userIdentity : undefined;
  const name = principalName(identity);
  const session = identity ? sessionName(identity) : undefined;
  // Every value is attacker-chosen text: cleaned and bounded here, once, for every renderer.
  const actor: Actor = {
    type: oneLine(str(identity?.type) ?? 'Unknown', 40),
    name: oneLine(session ? `${name} (session ${session})` : name, 200),
  };
  const set = (key: Exclude<keyof Actor, 'type' | 'name'>, value: string | undefined): void => {
    if (value !== undefined) actor[key] = oneLine(value, key === 'userAgent' || key === 'arn' ? 300 : 100);
  };
  set('arn', str(identity?.arn));
  set('principalAccount', str(identity?.accountId));
  set('accessKeyId', str(identity?.accessKeyId));
  set('sourceIp', str(record.sourceIPAddress));
  set('userAgent', str(record.userAgent));
  set('via', classifyUserAgent(str(record.userAgent), record));
  set('mfa', mfaOf(record));
  set('invokedBy', str(identity?.invokedBy));
  return actor;
}

/** CloudTrail writes `errorCode: ""` on some successes: only a non-empty code is a failure. */
export function errorCodeOf(record: CloudTrailRecord): string | undefined {
  return str(record.errorCode);
}

export const succeeded = (record: CloudTrailRecord): boolean => errorCodeOf(record) === undefined;

/**
 * Authorization denials. EC2 says `Client.UnauthorizedOperation` (`*UnauthorizedOperation`); others `AccessDenied*`. A dry run
 * (`Client.DryRunOperation`) would have succeeded and is not a denial.
 */
export function isDenied(record: CloudTrailRecord): boolean {
  const code = errorCodeOf(record);
  if (!code) return false;
  return code.endsWith('UnauthorizedOperation') || code.startsWith('AccessDenied');
}

/** A string field of requestParameters, when it is one. */
export function requestParam(record: CloudTrailRecord, name: string): string | undefined {
  const params = record.requestParameters;
  if (!params || typeof params !== 'object' || Array.isArray(params)) return undefined;
  return str(params[name]);
}

const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A field of requestParameters (or any object), whatever its type; `undefined` when absent. */
export function fieldOf(value: unknown, name: string): Json | undefined {
  return isJsonObject(value) && Object.hasOwn(value, name) ? value[name] : undefined;
}

/** A requestParameters field of any type (objects, lists, booleans). */
export function requestValue(record: CloudTrailRecord, name: string): Json | undefined {
  return fieldOf(record.requestParameters, name);
}

/** EC2 logs lists the XML way, `{ items: [...] }` (sometimes a bare list): the objects in it. */
export function ec2Items(value: unknown): JsonObject[] {
  const list = Array.isArray(value) ? value : fieldOf(value, 'items');
  return Array.isArray(list) ? list.filter(isJsonObject) : [];
}

/** The account the call was made in (the trail's account), to tell "shared with another account". */
export function ownAccountOf(record: CloudTrailRecord, event?: TrailEvent): string | undefined {
  return str(record.recipientAccountId) ?? str(event?.account) ?? str(record.userIdentity?.accountId);
}

/** Calls AWS makes on the principal's behalf (a service principal, or `invokedBy` set). */
export function isServiceCall(record: CloudTrailRecord): boolean {
  const identity = record.userIdentity;
  return identity?.type === 'AWSService' || str(identity?.invokedBy) !== undefined;
}

/**
 * AWS acting for the account rather than a person or a workload: the service itself (`AWSService`) or
 * a service-linked role (`AWSServiceRoleFor*`, which only its service can assume). Narrower than
 * `isServiceCall`: a CloudFormation deploy (`invokedBy` set, the deploy role's identity) is still a
 * change somebody made, and change monitoring must see it. Security Hub or Config managing their own
 * resources are skipped: nobody can act through them, and they make hundreds of calls a day.
 */
export function isServiceOrServiceLinkedRole(record: CloudTrailRecord): boolean {
  const identity = record.userIdentity;
  if (!identity || typeof identity !== 'object') return false;
  if (identity.type === 'AWSService') return true;
  const role = identity.sessionContext?.sessionIssuer?.userName;
  return identity.type === 'AssumedRole' && typeof role === 'string' && role.startsWith('AWSServiceRoleFor');
}

/**
 * Credentials a deploy pipeline should not be using: an IAM user's long-term key (or a federation
 * token minted from one) and root. These are what leak and get stolen; CI/CD and engineers normally
 * act through roles.
 */
export function usesLongTermCredentials(record: CloudTrailRecord): boolean {
  const type = record.userIdentity?.type;
  return type === 'IAMUser' || type === 'Root' || type === 'FederatedUser';
}

/** Lambda logs API versions in event names: `UpdateFunctionCode20150331v2` -> `UpdateFunctionCode`. */
export function apiName(eventName: string | undefined): string {
  return (eventName ?? '').replace(/\d{8}(v\d+)?$/, '');
}

/** The first non-empty string among requestParameters fields, for naming the resource a call changed. */
export function firstRequestParam(record: CloudTrailRecord, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = requestParam(record, name);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * The IAM user an IAM call acts on (`requestParameters.userName`). Undefined when the call acts on
 * the caller itself: IAM's default when `userName` is left out.
 */
export function targetUserOf(record: CloudTrailRecord): string | undefined {
  return requestParam(record, 'userName');
}

/**
 * The call acts on an IAM user other than the caller: a user name was given and it is not the
 * caller's own. IAM user names are unique case-insensitively, so `Bob` and `bob` are one user.
 * Roles, root and federated sessions have no IAM user of their own: any named user is another one.
 */
export function actsOnAnotherUser(record: CloudTrailRecord): boolean {
  const target = targetUserOf(record);
  if (target === undefined) return false;
  const identity = record.userIdentity;
  if (identity?.type !== 'IAMUser') return true;
  const own = str(identity.userName) ?? lastSegment(str(identity.arn));
  return own === undefined || own.toLowerCase() !== target.toLowerCase();
}

/** An AWS service acting on its own (service-linked roles, AWSService identity): nobody typed it. */
export function byAwsService(record: CloudTrailRecord): boolean {
  return record.userIdentity?.type === 'AWSService';
}

/** ConsoleLogin's result, lower-cased (`success`, `failure`): failures carry no errorCode. */
export function consoleLoginOutcome(record: CloudTrailRecord): string | undefined {
  const response = record.responseElements;
  if (!response || typeof response !== 'object' || Array.isArray(response)) return undefined;
  const outcome = response['ConsoleLogin'];
  return typeof outcome === 'string' ? outcome.toLowerCase() : undefined;
}

/** A sign-in's `additionalEventData` string field, e.g. `MFAUsed`, `SamlProviderArn`. */
export function signInData(record: CloudTrailRecord, name: string): string | undefined {
  const extra = record.additionalEventData;
  if (!extra || typeof extra !== 'object' || Array.isArray(extra)) return undefined;
  return str(extra[name]);
}
