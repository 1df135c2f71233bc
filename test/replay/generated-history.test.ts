import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, type Manifest } from '../../bench/common.js';
import type { Alert } from '../../lib/alert/alert.js';
import { parseRuleTuning } from '../../lib/detection/tuning.js';
import { runReplay, type ReplaySummary } from '../../lib/replay/run.js';
import { rules } from '../../rules/index.js';

/**
 * The benchmark generator's history (bench/generate.ts) is everyday traffic plus planted incidents
 * listed in its manifest. Replayed through the whole pack, every rule the manifest counts must match
 * and alert exactly as planted, and everything else that alerts is the pack's noise on everyday
 * traffic: never high or critical, which would mean an attack shape slipped into the everyday mix.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'trailwatch-generated-'));
const logs = join(tmp, 'logs');
let manifest: Manifest;
let summary: ReplaySummary;
const alerts: Alert[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'generate.ts'), '--out', logs, '--events', '30000', '--seed', '11', '--days', '1'], { cwd: root, stdio: 'ignore' });
  manifest = readManifest(logs) as Manifest;
  summary = await runReplay({ paths: [logs], rules, workers: 0, onAlert: (a) => alerts.push(a) });
}, 180_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What a deployment would set for the generator's estate: the billing worker's batch read, Terraform, the apps' models. */
const tuning = parseRuleTuning(readFileSync(join(root, 'bench', 'generator-tuning.json'), 'utf8'), rules);

/** Per planted rule: matched events, first alerts, follow-ups. */
function counts(ids: string[], perRule: ReplaySummary['perRule'], got: Alert[]): Record<string, { matched: number; first: number; followUps: number }> {
  return Object.fromEntries(
    ids.map((id) => [
      id,
      {
        matched: perRule[id]?.matched ?? 0,
        first: got.filter((a) => a.ruleId === id && a.kind !== 'summary').length,
        followUps: got.filter((a) => a.ruleId === id && a.kind === 'summary').length,
      },
    ]),
  );
}

const planned = (): string[] => [...new Set([...Object.keys(manifest.expectedMatches), ...Object.keys(manifest.expectedAlerts)])].sort();

describe('bench/generate.ts history', () => {
  it('plants incidents for the attack rules, not only the original nine', () => {
    expect(planned()).toEqual(
      expect.arrayContaining(['admin-port-open-to-internet', 'ec2-snapshot-shared', 'lambda-function-public', 'ec2-instance-credentials-whoami', 'iam-admin-policy-attached', 'vpc-flow-logs-deleted']),
    );
  });

  it('matches, alerts and follows up exactly as the manifest plans, rule by rule', () => {
    const want = Object.fromEntries(
      planned().map((id) => [id, { matched: manifest.expectedMatches[id] ?? 0, first: manifest.expectedAlerts[id] ?? 0, followUps: manifest.expectedGroupedIncidents[id] ?? 0 }]),
    );
    expect(counts(planned(), summary.perRule, alerts)).toEqual(want);
  });

  it("still alerts on every planted incident with the estate's allowlist (bench/generator-tuning.json)", async () => {
    const tuned: Alert[] = [];
    const run = await runReplay({ paths: [logs], rules, workers: 0, overrides: tuning, onAlert: (a) => tuned.push(a) });
    const firsts = (got: Alert[]) => Object.fromEntries(Object.entries(counts(planned(), run.perRule, got)).map(([id, c]) => [id, c.first]));
    expect(firsts(tuned)).toEqual(firsts(alerts));
    expect(tuned.length).toBeLessThan(alerts.length);
  });

  it('raises nothing high or critical outside the planted incidents', () => {
    const counted = new Set(planned());
    const loud = alerts.filter((a) => !counted.has(a.ruleId) && (a.severity === 'high' || a.severity === 'critical')).map((a) => `${a.ruleId}: ${a.title}`);
    expect(loud).toEqual([]);
  });
});
