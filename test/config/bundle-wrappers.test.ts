import * as path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { lambdaBundles, ROOT } from '../support/lambda-bundles.js';

/** Modules from node_modules that esbuild wrapped for lazy initialization (it cannot tree-shake them), per output file. */
async function wrappedPackages(options: BuildOptions, input: Pick<BuildOptions, 'entryPoints'> | Pick<BuildOptions, 'stdin'>): Promise<Record<string, number>> {
  const result = await build({
    ...options, ...input,
    absWorkingDir: ROOT, write: false, outdir: 'out', logLevel: 'silent', minifyIdentifiers: false, minifyWhitespace: false,
  });
  return Object.fromEntries((result.outputFiles ?? []).map((f) => [path.basename(f.path), (f.text.match(/__esm\(\{\s*"node_modules\//g) ?? []).length]));
}

describe('the Lambda bundles', () => {
  it('initialize no SDK module lazily: an import() of an SDK client wraps what it shares with the others, untree-shaken', async () => {
    const { options, entries } = lambdaBundles();
    expect(entries.length).toBeGreaterThanOrEqual(4);

    const wrapped = await wrappedPackages(options, { entryPoints: entries });

    expect(Object.keys(wrapped).length).toBe(entries.length);
    expect(Object.entries(wrapped).filter(([, n]) => n > 0)).toEqual([]);
  });

  it('would show one that loads an SDK client with import() (the test above can fail)', async () => {
    const { options } = lambdaBundles();
    const contents = "export const load = () => import('@aws-sdk/client-sqs');\nexport { DynamoDBClient } from '@aws-sdk/client-dynamodb';\n";

    const wrapped = await wrappedPackages(options, { stdin: { contents, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' } });

    expect(Object.values(wrapped)[0]).toBeGreaterThan(100);
  });
});
