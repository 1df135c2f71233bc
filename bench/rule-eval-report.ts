/**
 * The "rule pack on one event" section of bench/RESULTS.md, from bench/rule-eval.ts's results.
 */
import { fmtInt } from './common.js';
import type { SectionContext, TargetRow } from './report.js';
import type { RuleEvalResults } from './rule-eval.js';

/** Issue 7: the whole rule pack on one event, warm. */
export const PACK_EVAL_TARGET_US = 20;
/** Rules listed one by one: the slowest. */
const SLOWEST = 10;

/** Judged on CPU time: on a shared machine other processes inflate wall time, not the CPU this one spent. */
const packUs = (r: RuleEvalResults): number => r.evaluateCpuUs;

export function ruleEvalSummary(r: RuleEvalResults): TargetRow[] {
  const rules = Object.keys(r.perRuleUs).length;
  return [{ target: `The whole pack (${rules} rules) on one event ≤ ${PACK_EVAL_TARGET_US} µs (CPU)`, result: `${packUs(r).toFixed(2)} µs CPU, ${r.usPerEvent.evaluate.toFixed(2)} µs wall`, ok: packUs(r) <= PACK_EVAL_TARGET_US }];
}

export function ruleEvalSection(r: RuleEvalResults, _ctx?: SectionContext): string[] {
  const rules = Object.entries(r.perRuleUs);
  const slowest = [...rules].sort((a, b) => b[1] - a[1]).slice(0, SLOWEST);
  const u = r.usPerEvent;
  return [
    `What a warm \`detect\` spends on the rules per event: ${fmtInt(r.distinctEvents)} distinct events from ${r.source}, wrapped as EventBridge delivers them, evaluated ${fmtInt(r.evaluations)} times after a warm-up. ` +
      "Each event goes through every rule's EventBridge pattern and predicate: the most a container does per event (deployed, EventBridge delivers to `detect` only what some route's pattern matches).",
    '',
    '| Per event | µs |  Target | |',
    '| --- | ---: | --- | --- |',
    `| \`evaluate\`, all ${rules.length} rules, CPU time | ${packUs(r).toFixed(2)} | ≤ ${PACK_EVAL_TARGET_US} µs (issue 7) | ${packUs(r) <= PACK_EVAL_TARGET_US ? 'pass' : '**missed**'} |`,
    `| \`evaluate\`, all ${rules.length} rules, wall time | ${u.evaluate.toFixed(2)} | | |`,
    `| \`parseTrailEvent\` (the envelope checks \`process\` makes first) | ${u.parseTrailEvent.toFixed(2)} | | |`,
    `| \`createDetector({ rules }).process\`, stateless policy (checks, evaluation, alerts built) | ${u.process.toFixed(2)} | | |`,
    `| \`asEnvelope\` (a raw record wrapped as EventBridge would, replay only) | ${u.asEnvelope.toFixed(2)} | | |`,
    '',
    `\`compileRules\` takes ${r.compileRulesMs.toFixed(1)} ms for the whole pack (a deployed container compiles only the patterns of the sources it sees). ${fmtInt(r.matchesPerPass)} matches per pass over the sample. ` +
      `The ${slowest.length} slowest rules alone (each includes \`evaluate\`'s own per-call cost, so they do not add up to the total):`,
    '',
    '| Rule | µs/event |',
    '| --- | ---: |',
    ...slowest.map(([id, us]) => `| ${id} | ${us.toFixed(3)} |`),
    '',
  ];
}
