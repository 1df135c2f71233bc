import * as path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../lib/config/env.js';
import { EventStreamSerde, eventStreamSerdeProvider } from '../../lib/config/no-event-streams.js';
import { lambdaBundles, ROOT } from '../support/lambda-bundles.js';

describe('the Lambda bundles\' stand-in for the SDK\'s event streams (lib/config/no-event-streams.ts)', () => {
  it('fails loudly, naming the alias, if an operation ever streams events', () => {
    expect(() => new EventStreamSerde()).toThrow(ConfigurationError);
    expect(() => new EventStreamSerde()).toThrow(/custom\.esbuild\.alias.*@smithy\/core\/event-streams/);
    expect(() => eventStreamSerdeProvider()).toThrow(ConfigurationError);
  });
});

describe('serverless.yml\'s esbuild alias for event streams', () => {
  it('keeps the SDK\'s event-stream code, and the zlib and CRC32 code it drew in, out of the detect bundle', async () => {
    const { alias, mainFields } = lambdaBundles();
    expect(alias['@smithy/core/event-streams']).toBe('./lib/config/no-event-streams.ts');
    const bundle = (withAlias: Record<string, string>) =>
      build({
        entryPoints: [path.join(ROOT, 'functions/detect.ts')],
        bundle: true, platform: 'node', format: 'cjs', target: 'node24', mainFields, alias: withAlias, absWorkingDir: ROOT,
        write: false, outfile: 'detect.cjs', metafile: true, logLevel: 'silent',
      });
    const sdkEventStreams = (inputs: string[]) => inputs.filter((i) => i.includes('@smithy/core/dist-es/submodules/event-streams/'));
    const zlib = (code: string) => code.includes('require("node:zlib")');

    const withStandIn = await bundle(alias);
    expect(Object.keys(withStandIn.metafile.inputs)).toContain('lib/config/no-event-streams.ts');
    expect(sdkEventStreams(Object.keys(withStandIn.metafile.inputs))).toEqual([]);
    expect(zlib(withStandIn.outputFiles[0]?.text ?? '')).toBe(false);

    // Without it, the same build carries them: the assertions above can fail.
    const { ['@smithy/core/event-streams']: _, ...others } = alias;
    const without = await bundle(others);
    expect(sdkEventStreams(Object.keys(without.metafile.inputs)).length).toBeGreaterThan(0);
    expect(zlib(without.outputFiles[0]?.text ?? '')).toBe(true);
  });
});
