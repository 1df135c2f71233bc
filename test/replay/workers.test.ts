import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../lib/alert/alert.js';
import type { RuleTuningConfig } from '../../lib/detection/tuning.js';
import { runReplay, type ReplaySummary } from '../../lib/replay/run.js';

/**
 * Replay on worker threads must be the same replay: the same alerts in the same order and the same
 * summary as the single-threaded run, on a generated multi-account history with planted incidents,
 * corrupt files and out-of-order deliveries (bench/generate.ts, small).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'trailwatch-workers-'));
const logs = join(tmp, 'logs');

beforeAll(() => {
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'generate.ts'), '--out', logs, '--events', '20000', '--seed', '7', '--days', '0.5'], { cwd: root, stdio: 'ignore' });
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function replay(workers: number, extra: Partial<Parameters<typeof runReplay>[0]> = {}) {
  const alerts: Alert[] = [];
  const summary: Partial<ReplaySummary> = await runReplay({ paths: [logs], workers, onAlert: (a) => alerts.push(a), ...extra });
  delete summary.elapsedMs;
  return { alerts, summary };
}

describe('replay --workers', () => {
  it('alerts and summarises exactly as the single-threaded replay', async () => {
    const one = await replay(0);
    const two = await replay(2);
    expect(one.alerts.length).toBeGreaterThan(10);
    expect(two.alerts).toEqual(one.alerts);
    expect(two.summary).toEqual(one.summary);
  }, 120_000);

  it('tells repeats from probes exactly as the detector decides them, with and without an allowlist', async () => {
    const tuning = JSON.parse(readFileSync(join(root, 'bench', 'generator-tuning.json'), 'utf8')) as RuleTuningConfig;
    for (const extra of [{}, { overrides: tuning }]) {
      const probed = await replay(0, extra);
      const full = await replay(0, { ...extra, probes: false });
      const probedWorkers = await replay(2, extra);
      expect(full.summary.matchedEvents).toBeGreaterThan(1000);
      expect(probed.alerts).toEqual(full.alerts);
      expect(probed.summary).toEqual(full.summary);
      expect(probedWorkers.alerts).toEqual(full.alerts);
      expect(probedWorkers.summary).toEqual(full.summary);
    }
  }, 240_000);

  it('reads again from its file an event a worker did not send when its probe cannot decide it', async () => {
    // Cut into the first day: marks made before --since never happen, so the first repeats a worker
    // sends without their event after the cut are not repeats to the main thread yet.
    const opts = { since: new Date('2026-03-02T06:00:00Z') };
    let refetched = 0;
    const full = await replay(0, { ...opts, probes: false });
    const two = await replay(2, { ...opts, onRefetch: () => void (refetched += 1) });
    expect(full.summary.matchedEvents).toBeGreaterThan(500);
    expect(refetched).toBeGreaterThan(0);
    expect(two.alerts).toEqual(full.alerts);
    expect(two.summary).toEqual(full.summary);
  }, 120_000);

  it('is the same with a time range, a rule selection and three workers', async () => {
    const opts = { since: new Date('2026-03-02T03:00:00Z'), until: new Date('2026-03-02T09:00:00Z'), ruleIds: ['s3-mass-delete', 'cloudtrail-tampering'] };
    const one = await replay(0, opts);
    const three = await replay(3, opts);
    expect(one.summary.skipped).toBeGreaterThan(0);
    expect(three.alerts).toEqual(one.alerts);
    expect(three.summary).toEqual(one.summary);
  }, 120_000);
});
