import type { CloudTrailRecord } from './types.js';
import { isObject as isRecord } from '../untrusted/json.js';

/**
 * IAM policy documents as CloudTrail logs them: a JSON string in requestParameters, URL-encoded JSON in
 * responseElements (and in some older records), sometimes an embedded object. Every byte is chosen by
 * the caller, so parsing never throws and never trusts a shape: what cannot be read is `undefined`.
 */

export interface PolicyPrincipal {
  /** `*` (the bare wildcard principal), `AWS`, `Service`, `Federated`, `CanonicalUser`. */
  kind: string;
  value: string;
}

export interface PolicyStatement {
  effect: string;
  actions: string[];
  notActions: string[];
  resources: string[];
  principals: PolicyPrincipal[];
  hasCondition: boolean;
}

// IAM caps documents at 10,240 characters (role trust policies and inline policies less); URL encoding
// triples that at most. Anything bigger is not a policy IAM accepted and is not worth parsing.
const MAX_DOCUMENT_CHARS = 32_768;
// Statements beyond this are not read: IAM's size caps make a longer list impossible in a real policy.
const MAX_STATEMENTS = 200;


/** A string or a list of strings, as IAM allows for Action, Resource and principal values. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

function principalsOf(v: unknown): PolicyPrincipal[] {
  if (v === '*') return [{ kind: '*', value: '*' }];
  if (!isRecord(v)) return [];
  const out: PolicyPrincipal[] = [];
  for (const [kind, values] of Object.entries(v)) for (const value of strings(values)) out.push({ kind, value });
  return out;
}

function decode(text: string): unknown {
  if (text.length > MAX_DOCUMENT_CHARS) return undefined;
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
  }
  // URL-encoded JSON starts with %7B; decodeURIComponent throws URIError on a malformed escape.
  if (/^%7b/i.test(trimmed)) {
    try {
      return JSON.parse(decodeURIComponent(text)) as unknown;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The statements of a policy document given as an object, a JSON string or URL-encoded JSON. */
export function parsePolicy(document: unknown): PolicyStatement[] | undefined {
  const doc = typeof document === 'string' ? decode(document) : document;
  if (!isRecord(doc)) return undefined;
  const raw = doc['Statement'];
  const list = Array.isArray(raw) ? raw.slice(0, MAX_STATEMENTS) : isRecord(raw) ? [raw] : undefined;
  if (!list) return undefined;
  return list.filter(isRecord).map((s) => ({
    effect: typeof s['Effect'] === 'string' ? s['Effect'] : '',
    actions: strings(s['Action']),
    notActions: strings(s['NotAction']),
    resources: strings(s['Resource']),
    principals: principalsOf(s['Principal']),
    hasCondition: isRecord(s['Condition']) && Object.keys(s['Condition']).length > 0,
  }));
}

const isAllow = (s: PolicyStatement): boolean => s.effect.toLowerCase() === 'allow';
const FULL_ACTIONS = new Set(['*', '*:*']);

/**
 * An Allow of every action on every resource: what AdministratorAccess grants. `NotAction` with an
 * Allow (everything except a few) is admin in all but name and counts too.
 */
export function grantsFullAccess(statements: readonly PolicyStatement[]): boolean {
  return statements.some(
    (s) =>
      isAllow(s) &&
      s.resources.includes('*') &&
      (s.actions.some((a) => FULL_ACTIONS.has(a)) || (s.actions.length === 0 && s.notActions.length > 0)),
  );
}

/** The 12-digit account an AWS principal names (`123456789012`, `arn:aws:iam::123456789012:root`, ...). */
export function accountOfPrincipal(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return value;
  const m = /^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):/.exec(value);
  return m?.[1];
}

export interface TrustOpening {
  /** An Allow to `*` (or `{"AWS": "*"}`) with no condition: anyone with AWS credentials. */
  public: boolean;
  /** An Allow to `*` narrowed by a condition (org id, source account, external id): judge it by hand. */
  conditionalPublic: boolean;
  /** Accounts other than the role's own that the policy trusts. */
  externalAccounts: string[];
}

/** Who outside the account a role trust policy lets assume the role. Service principals are not counted. */
export function trustOpening(statements: readonly PolicyStatement[], ownAccount: string | undefined): TrustOpening {
  const result: TrustOpening = { public: false, conditionalPublic: false, externalAccounts: [] };
  for (const s of statements) {
    if (!isAllow(s)) continue;
    for (const p of s.principals) {
      if (p.kind !== '*' && p.kind !== 'AWS') continue;
      if (p.value === '*') {
        if (s.hasCondition) result.conditionalPublic = true;
        else result.public = true;
        continue;
      }
      const account = accountOfPrincipal(p.value);
      if (account && account !== ownAccount && !result.externalAccounts.includes(account)) result.externalAccounts.push(account);
    }
  }
  return result;
}

/**
 * What a CreateRole or UpdateAssumeRolePolicy call opens the role to. The role's own account is the
 * account the event was recorded in. Undefined when the call carries no readable trust policy.
 */
export function roleTrustOpening(record: CloudTrailRecord, eventAccount: string): TrustOpening | undefined {
  const params = record.requestParameters;
  if (!params || typeof params !== 'object' || Array.isArray(params)) return undefined;
  const document = record.eventName === 'CreateRole' ? params['assumeRolePolicyDocument'] : params['policyDocument'];
  const statements = parsePolicy(document);
  if (!statements) return undefined;
  const own = typeof record.recipientAccountId === 'string' && record.recipientAccountId !== '' ? record.recipientAccountId : eventAccount;
  return trustOpening(statements, own);
}
