/**
 * The "Replay on every core" section of bench/RESULTS.md, from bench/replay-workers.ts's results.
 * It sits between two markers, so `tsx bench/run.ts --only replay-workers` can rewrite it in place
 * without running (and rewriting) every other benchmark.
 */
import { fmtInt } from './common.js';
import type { Variant, WorkersResults } from './replay-workers.js';

/** Issue 10's targets: throughput as a multiple of the one-thread floor's. */
export const ONE_THREAD_TARGET = 0.8;
export const ALL_CORES_TARGET = 1.3;

export const SECTION_START = '<!-- replay-workers: written by bench/run.ts from bench/replay-workers.ts -->';
export const SECTION_END = '<!-- /replay-workers -->';

const verdict = (ok: boolean): string => (ok ? 'pass' : '**missed**');
const x = (n: number): string => `${n.toFixed(2)}×`;
const mb = (n: number): string => `${fmtInt(n)} MB`;

export function replayWorkersSection(w: WorkersResults): string {
  const floorUs = w.floor.cpuUsPerEvent;
  const row = (name: string, v: Variant, first: Variant | undefined, target: string, ok: boolean | undefined): string =>
    `| ${name} | ${fmtInt(v.eventsPerSec)} | ${x(v.eventsPerSec / w.floor.eventsPerSec)} | ${v.cpuUsPerEvent.toFixed(1)} | ${first ? `${mb(first.peakRssMB)} → ${mb(v.peakRssMB)} (${x(v.peakRssMB / first.peakRssMB)})` : `— → ${mb(v.peakRssMB)}`} | ${target} | ${ok === undefined ? '' : verdict(ok)} |`;
  const load = w.loadAverage.map((l) => l.toFixed(1)).join(', ');
  const lines = [
    SECTION_START,
    '## Replay on every core (issue 10)',
    '',
    `Measured ${w.date.slice(0, 16).replace('T', ' ')} UTC by \`tsx bench/replay-workers.ts --runs ${w.runs}\` (part of \`npm run bench\`; alone: \`tsx bench/run.ts --only replay-workers\`), ` +
      `Node ${w.node} with \`${w.nodeFlags.join(' ')}\`, ${w.cores} cores. Medians of ${w.runs} interleaved rounds, each measurement its own process; ` +
      `CPU time is the whole process's (worker threads and the thread pool included). The machine is shared: 1-minute load average before each round and after the last: ${load}.`,
    '',
    `Data: all of \`${w.data}\` (${fmtInt(w.events.all)} events, ${fmtInt(w.files.all)} files), and its first ${fmtInt(w.files.first)} files by delivery stamp (${fmtInt(w.events.first)} events) for memory on a shorter history.`,
    '',
    '| | events/s | × floor | CPU µs/event | peak RSS, first files → all | target | |',
    '| --- | ---: | ---: | ---: | --- | --- | --- |',
    row('floor: read + gunzip + `JSON.parse`, one thread', w.floor, undefined, '', undefined),
    row('`replay --workers 0`', w.oneThread, w.oneThreadFirst, `≥ ${ONE_THREAD_TARGET}× floor`, w.ratios.oneThread >= ONE_THREAD_TARGET),
    row(`\`replay --workers ${w.cores}\``, w.allCores, w.allCoresFirst, `≥ ${ALL_CORES_TARGET}× floor`, w.ratios.allCores >= ALL_CORES_TARGET),
    '',
    `Alerts with and without workers: ${w.sameAlerts ? 'the same' : '**DIFFERENT**'} (${fmtInt(w.alerts)} alerts; ${fmtInt(w.matchedEvents)} of ${fmtInt(w.events.all)} events, ${((100 * w.matchedEvents) / Math.max(1, w.events.all)).toFixed(1)}%, match some rule). ` +
      `Beyond the floor's ${floorUs.toFixed(1)} µs of CPU per event, \`--workers 0\` spends ${(w.oneThread.cpuUsPerEvent - floorUs).toFixed(1)} µs per event (${((w.oneThread.cpuUsPerEvent - floorUs) / Math.max(1e-9, w.matchedEvents / w.events.all)).toFixed(0)} µs per matched event, were it all theirs).`,
    '',
    '| Round | floor events/s | `--workers 0` | `--workers ' + w.cores + '` | peak RSS `--workers 0`, first → all | peak RSS `--workers ' + w.cores + '`, first → all |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...w.floor.runs.map(
      (f, i) =>
        `| ${i + 1} | ${fmtInt(f.eventsPerSec)} | ${fmtInt(w.oneThread.runs[i]?.eventsPerSec ?? Number.NaN)} | ${fmtInt(w.allCores.runs[i]?.eventsPerSec ?? Number.NaN)} | ` +
        `${mb(w.oneThreadFirst.runs[i]?.peakRssMB ?? Number.NaN)} → ${mb(w.oneThread.runs[i]?.peakRssMB ?? Number.NaN)} | ${mb(w.allCoresFirst.runs[i]?.peakRssMB ?? Number.NaN)} → ${mb(w.allCores.runs[i]?.peakRssMB ?? Number.NaN)} |`,
    ),
    SECTION_END,
  ];
  return lines.join('\n');
}

/** The document with the section replaced, or inserted before `before` (a heading), or appended. */
export function spliceSection(doc: string, section: string, before?: string): string {
  const start = doc.indexOf(SECTION_START);
  const end = doc.indexOf(SECTION_END);
  if (start !== -1 && end > start) return `${doc.slice(0, start)}${section}${doc.slice(end + SECTION_END.length)}`;
  const at = before === undefined ? -1 : doc.indexOf(before);
  if (at !== -1) return `${doc.slice(0, at)}${section}\n\n${doc.slice(at)}`;
  return `${doc.trimEnd()}\n\n${section}\n`;
}
