import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { parse as parseYaml } from 'yaml';

/**
 * How serverless.yml bundles the Lambda functions, for the tests that build them with esbuild the
 * same way (the bundle tests under test/config/).
 */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LambdaBundles {
  /** custom.esbuild's alias and mainFields, as written. */
  alias: Record<string, string>;
  mainFields: string[];
  /** custom.esbuild without the keys serverless-esbuild keeps for itself: what it passes to esbuild. */
  options: BuildOptions;
  /** Every function's handler module. */
  entries: string[];
}

export function lambdaBundles(): LambdaBundles {
  // CloudFormation tags (!Ref, !GetAtt) are not ours to resolve: parse them as plain values.
  const doc = parseYaml(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent', customTags: ['!Ref', '!GetAtt', '!Sub', '!Join'].map((tag) => ({ tag, resolve: (v: string) => v })) }) as {
    custom: { esbuild: Record<string, unknown> & { alias: Record<string, string>; mainFields: string[] } };
    functions: Record<string, { handler: string }>;
  };
  const { exclude: _exclude, packager: _packager, outputFileExtension: _ext, ...options } = doc.custom.esbuild;
  return {
    alias: doc.custom.esbuild.alias,
    mainFields: doc.custom.esbuild.mainFields,
    options: options as BuildOptions,
    entries: Object.values(doc.functions).map((f) => path.join(ROOT, `${f.handler.replace(/\.[^.]+$/, '')}.ts`)),
  };
}
