import type { TrailEvent } from '../cloudtrail/types.js';
import { compilePattern, InvalidPatternError, type CompiledPattern, type EventPattern } from '../eventbridge/pattern.js';
import type { Rule } from './rule.js';

/**
 * Per-deployment allowlists: matches a team expects (its CI role, its office range, a scanner's user
 * agent) are counted and logged with the reason someone wrote down, never alerted, and never enter
 * state (no claim, no incident, no burst window), so they cannot hide or start a real incident.
 *
 * Each field of an entry becomes an EventBridge pattern, compiled once, so an allowlist means exactly
 * what the same words mean in an EventBridge rule (wildcards `*`, CIDR blocks) and runs on the matcher
 * that is checked against AWS's own results. An entry allows an event when all its fields match.
 */

export const ALLOW_FIELDS = ['principal', 'account', 'sourceCidr', 'userAgent', 'eventName'] as const;
export type AllowField = (typeof ALLOW_FIELDS)[number];

export type AllowEntry = { [F in AllowField]?: string } & { reason: string };

const wildcard = (value: string) => [{ wildcard: value }];

/**
 * A CIDR block; a single address (/32, /128) is an exact match, since EventBridge refuses full-length
 * blocks. Throws (InvalidPatternError) on anything that is not a block.
 */
function cidrMatcher(value: string): unknown[] {
  const slash = value.indexOf('/');
  if (slash < 0) throw new InvalidPatternError('sourceCidr', 'must be a CIDR block like 10.0.0.0/8 or 2001:db8::/32 (one address: /32 or /128)');
  const address = value.slice(0, slash);
  const bits = value.slice(slash + 1);
  const v6 = address.includes(':');
  if (bits === (v6 ? '128' : '32')) {
    // Checks the address with the widest block EventBridge accepts for it.
    compilePattern({ ip: [{ cidr: `${address}/${v6 ? 127 : 31}` }] });
    return [address];
  }
  return [{ cidr: value }];
}

/** The EventBridge pattern one field of an allowlist entry stands for. */
export function allowFieldPattern(field: AllowField, value: string): EventPattern {
  switch (field) {
    case 'principal':
      // The caller's ARN, or for a role session the role's own ARN, so `arn:aws:iam::*:role/ci-deploy`
      // covers every session of that role.
      return {
        detail: {
          userIdentity: {
            $or: [{ arn: wildcard(value) }, { sessionContext: { sessionIssuer: { arn: wildcard(value) } } }],
          },
        },
      };
    case 'account':
      return { account: [value] };
    case 'sourceCidr':
      return { detail: { sourceIPAddress: cidrMatcher(value) } };
    case 'userAgent':
      return { detail: { userAgent: wildcard(value) } };
    case 'eventName':
      return { detail: { eventName: wildcard(value) } };
  }
}

interface CompiledEntry {
  reason: string;
  tests: CompiledPattern[];
}

export interface AllowlistHit {
  ruleId: string;
  reason: string;
}

export interface Allowlist {
  /**
   * The matched rules that still count, in order; the allowlisted ones are appended to `hits` with
   * the reason of the first entry that allows the event.
   */
  apply(matched: readonly Rule[], event: TrailEvent, hits: AllowlistHit[]): Rule[];
}

/** Compiles every rule's allowlist once (at cold start); undefined when there is none (no per-event cost). */
export function createAllowlist(tuning: Readonly<Record<string, { allow?: readonly AllowEntry[] }>>): Allowlist | undefined {
  const byRule = new Map<string, CompiledEntry[]>();
  for (const [ruleId, settings] of Object.entries(tuning)) {
    if (!settings.allow?.length) continue;
    byRule.set(
      ruleId,
      settings.allow.map((entry) => ({
        reason: entry.reason,
        tests: ALLOW_FIELDS.filter((f) => entry[f] !== undefined).map((f) => compilePattern(allowFieldPattern(f, entry[f] as string))),
      })),
    );
  }
  if (byRule.size === 0) return undefined;
  return {
    apply(matched, event, hits) {
      const kept: Rule[] = [];
      for (const rule of matched) {
        const entries = byRule.get(rule.id);
        const hit = entries?.find((e) => e.tests.every((t) => t.matches(event)));
        if (hit) hits.push({ ruleId: rule.id, reason: hit.reason });
        else kept.push(rule);
      }
      return kept;
    },
  };
}
