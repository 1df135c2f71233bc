import { applyTuning, type RuleTuningConfig } from '../detection/tuning.js';
import type { Rule } from '../detection/rule.js';

/**
 * The rules a replay runs. Its own module, so that the replay worker's bundle (triage-worker.ts)
 * takes only this of replay's main-thread code, not the pool, the store, alerts and esbuild.
 */

export function selectRules(all: readonly Rule[], ruleIds: string[] | undefined, staged: boolean): Rule[] {
  if (ruleIds?.length) {
    const unknown = ruleIds.filter((id) => !all.some((r) => r.id === id));
    if (unknown.length) throw new Error(`Unknown rule id(s): ${unknown.join(', ')} (known: ${all.map((r) => r.id).join(', ')})`);
    return all.filter((r) => ruleIds.includes(r.id));
  }
  return all.filter((r) => staged || r.status === 'live');
}

/** The rules a replay runs, from the same settings on the main thread and in workers. */
export function selectReplayRules(all: readonly Rule[], opts: { ruleIds?: string[]; staged?: boolean; overrides?: RuleTuningConfig }): Rule[] {
  const tuned = opts.overrides ? applyTuning(all, opts.overrides) : all;
  return selectRules(tuned, opts.ruleIds, opts.staged ?? false);
}
