import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assembleReport,
  endMarker,
  findParts,
  PART_IDS,
  renderSection,
  replacePart,
  ReportMarkerError,
  SECTIONS,
  startMarker,
  STEP_IDS,
  type RunInfo,
  type SectionContext,
  type StepId,
  type StepResults,
  type StepRun,
} from '../../bench/report.js';

/**
 * bench/RESULTS.md is assembled from the steps' results (bench/report.ts); these are the results of
 * one quick run (`npx tsx bench/run.ts --events 20000`, the cost's per-rule lists shortened), fixed
 * so the assembly is tested without measuring anything.
 */
interface Fixture {
  run: RunInfo;
  steps: Record<StepId, StepRun>;
  results: StepResults;
}
const load = (): Fixture => JSON.parse(readFileSync(new URL('../fixtures/bench/quick-run.json', import.meta.url), 'utf8')) as Fixture;
const ctxOf = (f: Fixture, id: StepId): SectionContext => ({ run: f.steps[id], data: f.run.data, cores: f.run.machine.cores, quick: f.run.quick });
const partText = (doc: string, id: string): string => {
  const span = findParts(doc).find((p) => p.id === id);
  if (!span) throw new Error(`no part ${id}`);
  return doc.slice(span.start, span.end);
};

describe('bench/RESULTS.md assembly', () => {
  it('writes the header, the summary and every step section, in order, each between balanced markers', () => {
    const f = load();
    const doc = assembleReport(f.run, f.results, f.steps);
    expect(findParts(doc).map((p) => p.id)).toEqual(PART_IDS);
    for (const id of STEP_IDS) expect(partText(doc, id)).toContain(`## ${SECTIONS[id].title}`);
    expect(doc.startsWith(`${startMarker('header')}\n# Benchmark results\n`)).toBe(true);
    expect(doc.endsWith(`${endMarker('alerts-per-day')}\n`)).toBe(true);
  });

  it('names, in each section, the command that measured it and how to re-run it alone', () => {
    const f = load();
    const doc = assembleReport(f.run, f.results, f.steps);
    for (const id of STEP_IDS) {
      const text = partText(doc, id);
      expect(text).toContain(`\`${f.steps[id].command}\``);
      expect(text).toContain(`\`npx tsx bench/run.ts --only ${id} --events 20000\``);
      expect(text).toContain(`load average ${f.steps[id].load.before.toFixed(1)} → ${f.steps[id].load.after.toFixed(1)}`);
    }
    expect(partText(doc, 'header')).toContain(`commit \`${f.run.code.replace(/^commit `|`$/g, '')}\``);
  });

  it('tells a full run apart from a quick one: no quick warning, re-run commands without --events', () => {
    const f = load();
    f.run.quick = false;
    f.run.command = 'npm run bench';
    const doc = assembleReport(f.run, f.results, f.steps);
    expect(doc).not.toContain('Quick run');
    expect(partText(doc, 'header')).toContain('Written by `npm run bench`');
    for (const id of STEP_IDS) expect(partText(doc, id)).toContain(`\`npx tsx bench/run.ts --only ${id}\`.`);
    const quick = load();
    expect(partText(assembleReport(quick.run, quick.results, quick.steps), 'header')).toContain('**Quick run on 20,000 events**');
  });

  it('takes its numbers from the results: changing one changes the text', () => {
    const f = load();
    const before = assembleReport(f.run, f.results, f.steps);
    expect(before).toContain(`$${f.results.cost.result.usdPerMillion.toFixed(4)}`);
    f.results.cost.result.usdPerMillion = 0.0123;
    f.results['replay-workers'].ratios.oneThread = 0.91;
    const after = assembleReport(f.run, f.results, f.steps);
    expect(after).toContain('**$0.0123** (target < $0.05: pass)');
    expect(partText(after, 'summary')).toMatch(/Replay with `--workers 0` ≥ 0\.8× the one-thread floor \| 0\.91× .* \| pass \| \[replay-workers\]\(#replay-on-every-core-issue-10\) \|/);
  });

  it('renders no missing value as NaN or undefined, and the same results always to the same text', () => {
    const f = load();
    const doc = assembleReport(f.run, f.results, f.steps);
    expect(doc).not.toMatch(/NaN|undefined|\[object Object\]/);
    expect(assembleReport(load().run, load().results, load().steps)).toBe(doc);
  });

  it('says which steps were not measured instead of leaving their sections out', () => {
    const f = load();
    const { cost: _cost, ...results } = f.results;
    const { cost: _run, ...steps } = f.steps;
    const doc = assembleReport(f.run, results, steps);
    expect(findParts(doc).map((p) => p.id)).toEqual(PART_IDS);
    expect(partText(doc, 'cost')).toContain('Not measured in this run: `npx tsx bench/run.ts --only cost --events 20000`');
    expect(partText(doc, 'summary')).toContain(`| ${SECTIONS.cost.title} | not measured | | [cost](#cost-per-million-cloudtrail-events-issue-10) |`);
  });

  it.each(STEP_IDS)('rewrites only the %s section on --only, keeping every other byte', (id) => {
    const f = load();
    const doc = assembleReport(f.run, f.results, f.steps);
    const rerun: StepRun = { ...f.steps[id], startedAt: '2026-12-02T10:00:00.000Z', seconds: 12, load: { before: 0.25, after: 0.5 } };
    const section = renderSection(id, f.results[id] as never, { ...ctxOf(f, id), run: rerun });
    const updated = replacePart(doc, id, section);

    const old = findParts(doc).find((p) => p.id === id);
    if (!old) throw new Error('no span');
    expect(updated.slice(0, old.start)).toBe(doc.slice(0, old.start));
    expect(updated.slice(old.start + section.length)).toBe(doc.slice(old.end));
    expect(partText(updated, id)).toBe(section);
    expect(section).toContain('2026-12-02 10:00 UTC');
    expect(section).not.toBe(partText(doc, id));
    expect(findParts(updated).map((p) => p.id)).toEqual(PART_IDS);
  });

  it('keeps a section written by the old report (same markers) replaceable, and appends a section a file lacks', () => {
    const old = ['# Benchmark results', '', 'hand-written', '', startMarker('replay-workers', 'bench/replay-workers.ts'), '## old', endMarker('replay-workers'), '', 'more text', ''].join('\n');
    expect(startMarker('replay-workers', 'bench/replay-workers.ts')).toBe('<!-- replay-workers: written by bench/run.ts from bench/replay-workers.ts -->');
    const replaced = replacePart(old, 'replay-workers', `${startMarker('replay-workers', 'x')}\nnew\n${endMarker('replay-workers')}`);
    expect(replaced).toBe(old.replace(/<!-- replay-workers:[^]*<!-- \/replay-workers -->/, `${startMarker('replay-workers', 'x')}\nnew\n${endMarker('replay-workers')}`));
    const appended = replacePart(old, 'cost', `${startMarker('cost')}\nc\n${endMarker('cost')}`);
    expect(appended.startsWith(old.trimEnd())).toBe(true);
    expect(findParts(appended).map((p) => p.id)).toEqual(['replay-workers', 'cost']);
  });

  it.each([
    ['a start without an end', `${startMarker('cost')}\nx\n`, /no end marker/],
    ['an end without a start', `x\n${endMarker('cost')}\n`, /ends without starting/],
    ['a part inside another', `${startMarker('cost')}\n${startMarker('rule-eval')}\n${endMarker('rule-eval')}\n${endMarker('cost')}\n`, /starts inside part "cost"/],
    ['crossed markers', `${startMarker('cost')}\n${endMarker('rule-eval')}\n`, /closed by the end marker of "rule-eval"/],
    ['a part twice', `${startMarker('cost')}\n${endMarker('cost')}\n${startMarker('cost')}\n${endMarker('cost')}\n`, /appears twice/],
  ])('refuses to rewrite a file with %s', (_name, doc, message) => {
    expect(() => findParts(doc)).toThrow(ReportMarkerError);
    expect(() => replacePart(doc, 'cost', 'x')).toThrow(message);
  });

  it('ignores HTML comments that are not its markers', () => {
    const doc = `<!-- a note -->\n${startMarker('cost')}\n<!-- another -->\n${endMarker('cost')}\n`;
    expect(findParts(doc).map((p) => p.id)).toEqual(['cost']);
  });
});
