import { ec2Items, fieldOf, ownAccountOf } from './identity.js';
import type { CloudTrailRecord, TrailEvent } from './types.js';

/**
 * Who a snapshot or image permission change adds: everyone (`all`), or accounts. Sharing with the
 * own account, an organization or an OU is not counted: those stay inside the owner's control.
 */
export interface Grantees {
  public: boolean;
  /** Other accounts than the one the event happened in, as logged. */
  accounts: string[];
}

// Accounts beyond this are not listed: one call can add many, the alert shows the first ones.
const MAX_ACCOUNTS = 20;

function collect(values: readonly string[], own: string | undefined): Grantees {
  const result: Grantees = { public: false, accounts: [] };
  for (const value of values) {
    if (value.toLowerCase() === 'all') result.public = true;
    else if (value !== own && !result.accounts.includes(value) && result.accounts.length < MAX_ACCOUNTS) result.accounts.push(value);
  }
  return result;
}

/** EC2 `ModifySnapshotAttribute`/`ModifyImageAttribute`: `<permission>.add.items[]` of `{userId}` or `{group: "all"}`. */
export function ec2PermissionGrantees(record: CloudTrailRecord, event: TrailEvent | undefined, permission: string): Grantees {
  const add = fieldOf(fieldOf(record.requestParameters, permission), 'add');
  const values: string[] = [];
  for (const item of ec2Items(add)) {
    const group = item['group'];
    const user = item['userId'];
    if (typeof group === 'string') values.push(group);
    if (typeof user === 'string' && user !== '') values.push(user);
  }
  return collect(values, ownAccountOf(record, event));
}

/** RDS `Modify*SnapshotAttribute` with `attributeName: restore`: `valuesToAdd` of account ids or `all`. */
export function rdsRestoreGrantees(record: CloudTrailRecord, event: TrailEvent | undefined): Grantees {
  const params = record.requestParameters;
  const name = fieldOf(params, 'attributeName');
  const toAdd = fieldOf(params, 'valuesToAdd');
  if (typeof name !== 'string' || name.toLowerCase() !== 'restore' || !Array.isArray(toAdd)) return { public: false, accounts: [] };
  return collect(toAdd.filter((v): v is string => typeof v === 'string' && v !== ''), ownAccountOf(record, event));
}

export const isShared = (g: Grantees): boolean => g.public || g.accounts.length > 0;

/** "publicly" or "with account 1, 2", for summaries. */
export function describeGrantees(g: Grantees): string {
  const parts: string[] = [];
  if (g.public) parts.push('publicly (all AWS accounts)');
  if (g.accounts.length > 0) parts.push(`with account${g.accounts.length > 1 ? 's' : ''} ${g.accounts.join(', ')}`);
  return parts.join(' and ') || 'with nobody new';
}
