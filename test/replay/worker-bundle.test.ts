import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledWorkerEntry } from '../../lib/replay/worker-bundle.js';

/** The replay workers' bundle is built once per version of the sources, and again when they change. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const copy = mkdtempSync(join(tmpdir(), 'trailwatch-bundle-'));
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('the replay workers bundle', () => {
  it('is built once, reused while the sources stay the same, and rebuilt when one changes', async () => {
    cpSync(join(root, 'lib'), join(copy, 'lib'), { recursive: true });
    cpSync(join(root, 'rules'), join(copy, 'rules'), { recursive: true });
    const first = await bundledWorkerEntry(copy);
    expect(first).toBeDefined();
    expect(existsSync(fileURLToPath(first as URL))).toBe(true);
    expect((await bundledWorkerEntry(copy))?.href).toBe(first?.href);
    appendFileSync(join(copy, 'lib', 'replay', 'triage.ts'), '\n// changed\n');
    const second = await bundledWorkerEntry(copy);
    expect(second?.href).not.toBe(first?.href);
    expect(readdirSync(join(copy, '.trailwatch', 'workers')).filter((f) => f.endsWith('.mjs'))).toHaveLength(2);
  }, 60_000);
});
