import { fieldOf, requestParam, requestValue } from './identity.js';
import type { CloudTrailRecord, Json } from './types.js';

/** The bucket a bucket-level call names; account-level calls (S3 Control) name none. */
export const bucketOf = (record: CloudTrailRecord): string => requestParam(record, 'bucketName') ?? '?';

// Canned ACLs that grant to everyone or to every AWS account; `private`, `bucket-owner-*` and
// `log-delivery-write` do not.
const PUBLIC_CANNED = new Set(['public-read', 'public-read-write', 'authenticated-read']);
const PUBLIC_GROUP = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/i;
const GRANT_HEADERS = ['x-amz-grant-read', 'x-amz-grant-write', 'x-amz-grant-read-acp', 'x-amz-grant-write-acp', 'x-amz-grant-full-control'];

/** Header values are logged as a list of strings (sometimes a bare string). */
function headerValues(value: Json | undefined): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** XML-shaped lists: one element is an object, several are an array. */
function oneOrMany(value: Json | undefined): Json[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * What a PutBucketAcl makes public: a public canned ACL (`x-amz-acl`), a grant header naming the
 * AllUsers/AuthenticatedUsers groups, or such a grantee in the AccessControlPolicy body.
 */
export function publicAclGrants(record: CloudTrailRecord): string[] {
  const found: string[] = [];
  for (const canned of headerValues(requestValue(record, 'x-amz-acl'))) {
    if (PUBLIC_CANNED.has(canned.toLowerCase())) found.push(`canned ACL ${canned}`);
  }
  for (const header of GRANT_HEADERS) {
    for (const v of headerValues(requestValue(record, header))) {
      const group = PUBLIC_GROUP.exec(v)?.[1];
      if (group) found.push(`${header.slice('x-amz-grant-'.length).toUpperCase()} to ${group}`);
    }
  }
  const grants = fieldOf(fieldOf(requestValue(record, 'AccessControlPolicy'), 'AccessControlList'), 'Grant');
  for (const grant of oneOrMany(grants).slice(0, 100)) {
    const uri = fieldOf(fieldOf(grant, 'Grantee'), 'URI');
    const group = typeof uri === 'string' ? PUBLIC_GROUP.exec(uri)?.[1] : undefined;
    if (group) {
      const permission = fieldOf(grant, 'Permission');
      found.push(`${typeof permission === 'string' ? permission.slice(0, 20) : '?'} to ${group}`);
    }
  }
  return found;
}

const PAB_FLAGS = ['BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets'] as const;

/**
 * The Block Public Access settings a Put*PublicAccessBlock leaves off. A flag left out of the request
 * is off too (S3 defaults it to false), so only an explicit true counts as on.
 */
export function publicAccessBlockOff(record: CloudTrailRecord): string[] {
  const config = requestValue(record, 'PublicAccessBlockConfiguration');
  return PAB_FLAGS.filter((flag) => {
    const v = fieldOf(config, flag);
    return !(v === true || (typeof v === 'string' && v.toLowerCase() === 'true'));
  });
}
