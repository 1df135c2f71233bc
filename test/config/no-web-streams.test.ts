import * as path from 'node:path';
import { Readable } from 'node:stream';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ReadableStream } from '../../lib/config/no-web-streams.js';
import { lambdaBundles, ROOT } from '../support/lambda-bundles.js';

describe('the Lambda bundles\' stand-in for node:stream/web (lib/config/no-web-streams.ts)', () => {
  it('recognises Node\'s web ReadableStreams, and only them, as middy\'s streamed-response check needs', () => {
    expect(new globalThis.ReadableStream()).toBeInstanceOf(ReadableStream);
    expect(Readable.toWeb(Readable.from(['x']))).toBeInstanceOf(ReadableStream);
    for (const other of [Readable.from(['x']), 'body', { getReader: () => undefined }, null]) expect(other instanceof ReadableStream).toBe(false);
  });
});

describe('serverless.yml\'s esbuild alias for node:stream/web', () => {
  it('keeps Node\'s web streams out of every function bundle', async () => {
    const { alias, mainFields, entries } = lambdaBundles();
    expect(alias['node:stream/web']).toBe('./lib/config/no-web-streams.ts');
    expect(entries.length).toBeGreaterThanOrEqual(4);
    const webStreams = async (withAlias: Record<string, string>) => {
      const result = await build({
        entryPoints: entries, bundle: true, platform: 'node', format: 'cjs', target: 'node24', mainFields, alias: withAlias,
        absWorkingDir: ROOT, write: false, outdir: 'out', metafile: true, logLevel: 'silent',
      });
      return result.outputFiles.filter((f) => /require\("(node:)?stream\/web"\)/.test(f.text)).map((f) => path.basename(f.path));
    };
    expect(await webStreams(alias)).toEqual([]);
    // Without it every function loads them (middy): the assertion above can fail.
    const { ['node:stream/web']: _, ...others } = alias;
    expect((await webStreams(others)).length).toBe(entries.length);
  });
});
