import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../lib/replay/run.js';

/**
 * Replay's state must not grow with the length of the history: what it holds on the second day of a
 * two-day history is about what it held on the first (the generator's daily cycle repeats). State
 * that never expired would hold half as much again on day two (measured: 1.5x; replay's own
 * retention 1.03x, live's 25 hours 1.1x on this history).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'trailwatch-bounded-'));
const logs = join(tmp, 'logs');

beforeAll(() => {
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'generate.ts'), '--out', logs, '--events', '30000', '--seed', '3', '--days', '2'], { cwd: root, stdio: 'ignore' });
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('replay state', () => {
  it('holds as much on the second day of a history as on the first', async () => {
    const samples: number[] = [];
    const summary = await runReplay({ paths: [logs], progressEvery: 250, onProgress: ({ stateItems }) => samples.push(stateItems) });
    expect(summary.matchedEvents).toBeGreaterThan(500);
    const half = Math.floor(samples.length / 2);
    const firstDay = Math.max(...samples.slice(0, half));
    const secondDay = Math.max(...samples.slice(half));
    expect(firstDay).toBeGreaterThan(100);
    expect(secondDay).toBeLessThanOrEqual(firstDay * 1.35);
  }, 120_000);
});
