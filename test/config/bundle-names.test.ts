import { createRequire } from 'node:module';
import * as path from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { lambdaBundles, ROOT } from '../support/lambda-bundles.js';

/** Bundles `source` as serverless.yml bundles a function, then loads the CommonJS output. */
async function bundleAndLoad(source: string, options: BuildOptions): Promise<Record<string, unknown>> {
  const result = await build({
    ...options,
    stdin: { contents: source, resolveDir: ROOT, loader: 'ts', sourcefile: 'entry.ts' },
    absWorkingDir: ROOT, write: false, outfile: 'entry.cjs', logLevel: 'silent',
  });
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', 'require', result.outputFiles[0]?.text ?? '')(module, module.exports, createRequire(path.join(ROOT, 'entry.cjs')));
  return module.exports;
}

const ENTRY = `
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
// The SDK compares its default logger's class name with "NoOpLogger" to decide where warnings go.
export const loggerClass = new DynamoDBClient({ region: 'us-east-1' }).config.logger.constructor.name;
export function throwsFromANamedFunction(): never { throw new Error('boom'); }
`;

const stackOf = (fn: unknown): string => {
  try {
    (fn as () => void)();
  } catch (error) {
    return (error as Error).stack ?? '';
  }
  return '';
};

describe("serverless.yml's esbuild options", () => {
  it('keep the source names of functions and classes in the Lambda bundles', async () => {
    const options = lambdaBundles().options;
    expect(options.keepNames).toBe(false);

    const bundled = await bundleAndLoad(ENTRY, options);

    expect(bundled['loggerClass']).toBe('NoOpLogger');
    expect(stackOf(bundled['throwsFromANamedFunction'])).toMatch(/at throwsFromANamedFunction /);
  });

  it('would lose them with identifiers minified and no keepNames (the test above can fail)', async () => {
    const bundled = await bundleAndLoad(ENTRY, { ...lambdaBundles().options, minifyIdentifiers: true });

    expect(bundled['loggerClass']).not.toBe('NoOpLogger');
    expect(stackOf(bundled['throwsFromANamedFunction'])).not.toMatch(/at throwsFromANamedFunction /);
  });
});
