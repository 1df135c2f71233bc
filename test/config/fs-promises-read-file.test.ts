import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import standIn, { readFile } from '../../lib/config/fs-promises-read-file.js';
import { lambdaBundles, ROOT } from '../support/lambda-bundles.js';

const dir = mkdtempSync(path.join(tmpdir(), 'trailwatch-fs-promises-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the Lambda bundles' stand-in for node:fs/promises (lib/config/fs-promises-read-file.ts)", () => {
  it('reads a file as node:fs/promises does, as text and as bytes, named and as the default export', async () => {
    const file = path.join(dir, 'config');
    writeFileSync(file, '[default]\nregion = eu-west-1\n');

    expect(await readFile(file, 'utf8')).toBe(await fsPromises.readFile(file, 'utf8'));
    expect(await readFile(file, { encoding: 'utf8' })).toBe('[default]\nregion = eu-west-1\n');
    expect((await standIn.readFile(file)).equals(await fsPromises.readFile(file))).toBe(true);
  });

  it('rejects a missing file with the same error code, as the SDK expects of ~/.aws/config in Lambda', async () => {
    const missing = path.join(dir, 'no-such-file');

    await expect(readFile(missing, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fsPromises.readFile(missing, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe("serverless.yml's esbuild alias for node:fs/promises", () => {
  it('keeps node:fs/promises out of every function bundle', async () => {
    const { alias, mainFields, entries } = lambdaBundles();
    expect(alias['node:fs/promises']).toBe('./lib/config/fs-promises-read-file.ts');
    expect(entries.length).toBeGreaterThanOrEqual(4);
    const loadingFsPromises = async (withAlias: Record<string, string>) => {
      const result = await build({
        entryPoints: entries, bundle: true, platform: 'node', format: 'cjs', target: 'node24', mainFields, alias: withAlias,
        absWorkingDir: ROOT, write: false, outdir: 'out', logLevel: 'silent',
      });
      return result.outputFiles.filter((f) => /require\("(node:)?fs\/promises"\)/.test(f.text)).map((f) => path.basename(f.path));
    };
    expect(await loadingFsPromises(alias)).toEqual([]);
    // Without it every function loads it (the SDK's shared-config loader): the assertion above can fail.
    const { ['node:fs/promises']: _, ...others } = alias;
    expect((await loadingFsPromises(others)).length).toBe(entries.length);
  });
});
