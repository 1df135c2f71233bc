/**
 * Cold start of the `detect` Lambda bundle.
 *
 * 1. Bundles functions/detect.ts with esbuild exactly as serverless-esbuild does for `serverless
 *    package`: the options are read from serverless.yml's custom.esbuild (bundle, minify, sourcemap,
 *    target, platform, format, outputFileExtension -> outExtension, exclude -> external), the plugin's
 *    own keys dropped, into a temporary directory.
 * 2. Reports the bundle's size, raw and gzipped, and what is in it (largest inputs).
 * 3. Starts N fresh Node 24 processes per variant, interleaved, and reports median and p90 wall time:
 *    a. bare:       node -e ""
 *    b. require:    node -e "require('<bundle>')"  (module scope included: config, rules compiled,
 *                   SDK clients built) with ALERT_TOPIC_NAME, STATE_TABLE, POWERTOOLS_METRICS_DISABLED,
 *                   AWS_REGION set as the function needs them
 *    c. as deployed: b with the NODE_OPTIONS serverless.yml sets in provider.environment, if any
 *    d. in-process: the require() call alone, timed inside the process (performance.now)
 *    e. before the pack: b for a bundle whose rules/index.ts lists only --baseline-rules (the 9 rules
 *       trailwatch shipped before the rule pack), built the same way
 *    The import cost is b - a (target <= 30 ms, issue 10); what the rule pack adds to it is b - e
 *    (target <= 5 ms, issue 7).
 * 4. f. first invocation (bench/first-invocation.ts): a fresh process requires b's bundle (and e's)
 *    and handles one alerting event against local HTTPS stand-ins for DynamoDB and SNS, so work moved
 *    from import to first use is counted too.
 *
 *   tsx bench/cold-start.ts [--runs 30] [--json <file>] [--baseline-rules id,id,...] [--skip-first-invocation]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { parse as parseYaml } from 'yaml';
import { measureFirstInvocation, type FirstInvocationResults } from './first-invocation.js';
import { PACK_TARGET_MS, REPO_DIR, RESULTS_DIR, fmtBytes, fmtInt, fmtMs, machineInfo, node24, summarize, type MachineInfo } from './common.js';
import { IMPORT_TARGET_MS } from './cold-start-report.js';
/** The rules trailwatch shipped before the rule pack (issue 7): the cold-start baseline. */
export const BASELINE_RULES = [
  'cloudtrail-tampering', 'iam-user-deleted', 'root-account-activity', 'cloudtrail-insight', 's3-mass-delete',
  's3-bucket-mass-delete', 's3-delete-insight', 'ec2-denied-run-instances', 'ec2-run-instances-error-insight',
];

export interface ColdStartResults {
  machine: MachineInfo;
  esbuildOptions: Record<string, unknown>;
  bundle: { bytes: number; gzipBytes: number; sourcemapBytes: number; topInputs: Array<{ input: string; bytes: number }> };
  runs: number;
  /** The NODE_OPTIONS serverless.yml deploys (variant c), if any. */
  nodeOptions?: string;
  variants: Record<string, { median: number; p90: number; min: number; max: number; mean: number }>;
  importMs: { median: number; p90: number };
  /** What the whole rule pack adds over a bundle with only the baseline rules (b - e). */
  pack?: {
    rules: number;
    baselineRules: number;
    bytes: number;
    baselineBytes: number;
    addedMs: { median: number; p90: number };
    /** The same in CPU time of the process (all threads), which other processes on the machine do not inflate. */
    addedCpuMs: { median: number; p90: number };
    /**
     * Median of the per-round differences (full - baseline CPU, both measured in the same round): less
     * sensitive than a difference of medians to load that changes over the run.
     */
    addedCpuPairedMs?: number;
  };
  /** f: import + first invocation of the full bundle and of the baseline one, in fresh processes. */
  firstInvocation?: FirstInvocationResults;
}

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    json: { type: 'string', default: path.join(RESULTS_DIR, 'cold-start.json') },
    keep: { type: 'boolean', default: false },
    'baseline-rules': { type: 'string', default: BASELINE_RULES.join(',') },
    'skip-first-invocation': { type: 'boolean', default: false },
  },
  strict: true,
});

/** serverless-esbuild's own options, removed before its config reaches esbuild (its bundle.ts). */
const PLUGIN_KEYS = [
  'concurrency', 'zipConcurrency', 'exclude', 'nativeZip', 'packager', 'packagePath', 'watch', 'keepOutputDirectory',
  'packagerOptions', 'installExtraArgs', 'outputFileExtension', 'outputBuildFolder', 'outputWorkFolder', 'nodeExternals',
  'skipBuild', 'skipRebuild', 'skipBuildExcludeFns', 'stripEntryResolveExtensions', 'disposeContext',
];

function esbuildOptionsFromServerless(): { options: BuildOptions; outExt: string; nodeOptions: string | undefined } {
  const text = readFileSync(path.join(REPO_DIR, 'serverless.yml'), 'utf8');
  // CloudFormation tags (!Ref, !GetAtt) are not ours to resolve: parse them as plain values.
  const doc = parseYaml(text, { logLevel: 'silent', customTags: ['!Ref', '!GetAtt', '!Sub', '!Join'].map((tag) => ({ tag, resolve: (v: string) => v })) }) as {
    custom?: { esbuild?: Record<string, unknown> };
    provider?: { environment?: Record<string, unknown> };
  };
  const deployedNodeOptions = doc.provider?.environment?.['NODE_OPTIONS'];
  const nodeOptions = typeof deployedNodeOptions === 'string' && deployedNodeOptions.trim() !== '' ? deployedNodeOptions.trim() : undefined;
  const custom = doc.custom?.esbuild;
  if (!custom) throw new Error('serverless.yml has no custom.esbuild');
  // serverless-esbuild defaults (its index.ts), then serverless.yml on top.
  const merged: Record<string, unknown> = { bundle: true, target: 'node18', external: [], exclude: ['aws-sdk'], platform: 'node', outputFileExtension: '.js', ...custom };
  const exclude = Array.isArray(merged['exclude']) ? (merged['exclude'] as string[]) : [];
  const external = Array.isArray(merged['external']) ? (merged['external'] as string[]) : [];
  const outExt = typeof merged['outputFileExtension'] === 'string' ? merged['outputFileExtension'] : '.js';
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(merged)) if (!PLUGIN_KEYS.includes(key)) options[key] = value;
  options['external'] = [...external, ...(exclude.includes('*') ? [] : exclude)];
  if (outExt !== '.js') options['outExtension'] = { '.js': outExt };
  return { options: options as BuildOptions, outExt, nodeOptions };
}

function topInputs(meta: Metafile, outfile: string): Array<{ input: string; bytes: number }> {
  const output = Object.entries(meta.outputs).find(([file]) => path.resolve(file) === path.resolve(outfile))?.[1];
  if (!output) return [];
  // Grouped by package (node_modules/<scope>/<name>) or by our own top-level folder.
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const key = m ? (m[1] as string) : `(trailwatch) ${input.split('/')[0] ?? input}/`;
    groups.set(key, (groups.get(key) ?? 0) + bytesInOutput);
  }
  return [...groups.entries()].map(([input, bytes]) => ({ input, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, 8);
}

/**
 * An esbuild plugin that replaces rules/index.ts with a list of only the given rules (each file's
 * exported rule, found by id), so the same bundle can be measured without the rest of the pack.
 */
function onlyRules(ids: readonly string[]): Plugin {
  return {
    name: 'only-rules',
    setup(b) {
      b.onLoad({ filter: /[\\/]rules[\\/]index\.ts$/ }, () => ({
        loader: 'ts',
        resolveDir: path.join(REPO_DIR, 'rules'),
        contents: [
          ...ids.map((id, i) => `import * as r${i} from './${id}.rule.js';`),
          'const pick = (m: Record<string, unknown>, id: string) => Object.values(m).find((v) => (v as { id?: string })?.id === id);',
          `export const rules = [${ids.map((id, i) => `pick(r${i}, ${JSON.stringify(id)})`).join(', ')}];`,
        ].join('\n'),
      }));
    },
  };
}

function timeSpawn(node: string, argv: string[], env: NodeJS.ProcessEnv): { ms: number; stdout: string } {
  const t0 = performance.now();
  const child = spawnSync(node, argv, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (child.status !== 0) throw new Error(`${argv.join(' ')} exited ${child.status}: ${child.stderr.slice(0, 2000)}`);
  return { ms, stdout: child.stdout };
}

async function main(): Promise<void> {
  const runs = Math.max(3, Number(args.runs));
  const node = node24();
  const nodeVersion = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const { options, outExt, nodeOptions } = esbuildOptionsFromServerless();

  const tmp = mkdtempSync(path.join(os.tmpdir(), 'trailwatch-cold-start-'));
  try {
    const entry = 'functions/detect.ts';
    const outdir = path.join(tmp, path.dirname(entry));
    const result = await build({ ...options, entryPoints: [path.join(REPO_DIR, entry)], outdir, absWorkingDir: REPO_DIR, metafile: true, logLevel: 'warning' });
    const bundle = path.join(outdir, `detect${outExt}`);
    const code = readFileSync(bundle);
    let sourcemapBytes = 0;
    try {
      sourcemapBytes = statSync(`${bundle}.map`).size;
    } catch {
      // sourcemap off or inline
    }
    const inputs = topInputs(result.metafile, bundle);
    const baselineIds = args['baseline-rules'].split(',').map((x) => x.trim()).filter(Boolean);
    const baseOutdir = path.join(tmp, 'baseline', path.dirname(entry));
    await build({ ...options, entryPoints: [path.join(REPO_DIR, entry)], outdir: baseOutdir, absWorkingDir: REPO_DIR, logLevel: 'warning', plugins: [onlyRules(baselineIds)] });
    const baselineBundle = path.join(baseOutdir, `detect${outExt}`);
    const baselineBytes = statSync(baselineBundle).size;
    const { rules: packRules } = await import('../rules/index.js');
    const gzipBytes = gzipSync(code, { level: 9 }).length;
    console.log(`cold start: functions/detect.ts bundled as serverless.yml says (${JSON.stringify(Object.fromEntries(Object.entries(options).filter(([k]) => k !== 'external')))}), ${nodeVersion}`);
    console.log(`  bundle ${fmtInt(code.length)} bytes (${fmtBytes(code.length)}), gzipped ${fmtInt(gzipBytes)} bytes (${fmtBytes(gzipBytes)}), source map ${fmtBytes(sourcemapBytes)}`);
    console.log(`  largest inputs: ${inputs.map((i) => `${i.input} ${fmtBytes(i.bytes)}`).join(', ')}`);

    const baseEnv: NodeJS.ProcessEnv = { ...process.env };
    delete baseEnv['NODE_OPTIONS'];
    const fnEnv: NodeJS.ProcessEnv = { ...baseEnv, ALERT_TOPIC_NAME: 'x', STATE_TABLE: 'x', POWERTOOLS_METRICS_DISABLED: 'true', AWS_REGION: 'us-east-1' };
    const req = `require(${JSON.stringify(bundle)})`;
    // CPU time of the whole process (user + system, all threads) once the bundle is loaded, in ms.
    const cpuOf = (file: string) => `require(${JSON.stringify(file)});const c=process.cpuUsage();process.stdout.write(String((c.user+c.system)/1000))`;
    const cpuSamples: Record<'full' | 'baseline', number[]> = { full: [], baseline: [] };
    const variants: Record<string, { argv: string[]; env: NodeJS.ProcessEnv; inProcess?: boolean }> = {
      'a. bare node -e ""': { argv: ['-e', ''], env: baseEnv },
      'b. node -e "require(bundle)"': { argv: ['-e', req], env: fnEnv },
      ...(nodeOptions ? { [`c. b + NODE_OPTIONS=${nodeOptions} (as deployed)`]: { argv: ['-e', req], env: { ...fnEnv, NODE_OPTIONS: nodeOptions } } } : {}),
      [`e. b with only the ${baselineIds.length} rules shipped before the pack`]: { argv: ['-e', `require(${JSON.stringify(baselineBundle)})`], env: fnEnv },
      'd. require() alone, timed in-process': {
        argv: ['-e', `const t=performance.now();${req};process.stdout.write(String(performance.now()-t))`],
        env: fnEnv,
        inProcess: true,
      },
    };
    const names = Object.keys(variants);
    const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    // Warm-up: page cache for node and the bundle; not counted.
    for (const name of names) {
      const v = variants[name] as (typeof variants)[string];
      for (let i = 0; i < 3; i++) timeSpawn(node, v.argv, v.env);
    }
    for (let i = 0; i < runs; i++) {
      for (const name of names) {
        const v = variants[name] as (typeof variants)[string];
        const { ms, stdout } = timeSpawn(node, v.argv, v.env);
        (samples[name] as number[]).push(v.inProcess ? Number(stdout) : ms);
      }
      cpuSamples.full.push(Number(timeSpawn(node, ['-e', cpuOf(bundle)], fnEnv).stdout));
      cpuSamples.baseline.push(Number(timeSpawn(node, ['-e', cpuOf(baselineBundle)], fnEnv).stdout));
    }
    const stats = Object.fromEntries(names.map((n) => [n, summarize(samples[n] as number[])]));
    const a = stats[names[0] as string] as ReturnType<typeof summarize>;
    const b = stats[names[1] as string] as ReturnType<typeof summarize>;
    const importMs = { median: b.median - a.median, p90: b.p90 - a.p90 };
    const e = stats[names.find((n) => n.startsWith('e.')) as string] as ReturnType<typeof summarize>;
    const cpuFull = summarize(cpuSamples.full);
    const cpuBase = summarize(cpuSamples.baseline);
    const pack = {
      rules: packRules.length,
      baselineRules: baselineIds.length,
      bytes: code.length,
      baselineBytes,
      addedMs: { median: b.median - e.median, p90: b.p90 - e.p90 },
      addedCpuMs: { median: cpuFull.median - cpuBase.median, p90: cpuFull.p90 - cpuBase.p90 },
      addedCpuPairedMs: summarize(cpuSamples.full.map((ms, i) => ms - (cpuSamples.baseline[i] as number))).median,
    };
    console.log(`  ${runs} fresh processes per variant, interleaved (ms):`);
    for (const n of names) {
      const s = stats[n] as ReturnType<typeof summarize>;
      console.log(`    ${n.padEnd(58)} median ${fmtMs(s.median).padStart(6)}  p90 ${fmtMs(s.p90).padStart(6)}  min ${fmtMs(s.min).padStart(6)}  max ${fmtMs(s.max).padStart(6)}`);
    }
    console.log(`  the rule pack (${pack.rules} rules vs ${pack.baselineRules}, ${fmtBytes(pack.bytes - pack.baselineBytes)} more bundle): b - e median ${fmtMs(pack.addedMs.median)} ms wall, ${fmtMs(pack.addedCpuMs.median)} ms CPU (${fmtMs(cpuBase.median)} -> ${fmtMs(cpuFull.median)} ms; median of paired rounds ${fmtMs(pack.addedCpuPairedMs)} ms) (target <= ${PACK_TARGET_MS} ms)`);
    console.log(`  import cost (b - a): median ${fmtMs(importMs.median)} ms, p90 ${fmtMs(importMs.p90)} ms (target <= ${IMPORT_TARGET_MS} ms: ${importMs.median <= IMPORT_TARGET_MS ? 'pass' : 'FAIL'})`);

    let firstInvocation: FirstInvocationResults | undefined;
    if (!args['skip-first-invocation']) {
      firstInvocation = await measureFirstInvocation({
        node,
        bundles: { full: bundle, baseline: baselineBundle },
        eventFile: path.join(REPO_DIR, 'events', 'iam-user-deleted.json'),
        runs,
        env: fnEnv,
      });
      console.log(`  f. first invocation (${firstInvocation.event}, alerts: state and SNS on local HTTPS stand-ins), medians of ${runs} fresh processes:`);
      for (const [name, s] of Object.entries(firstInvocation.bundles)) {
        console.log(`    ${name.padEnd(9)} require ${fmtMs(s.importMs).padStart(6)} ms + first invocation ${fmtMs(s.invokeMs).padStart(6)} ms wall; CPU ${fmtMs(s.importCpuMs)} + ${fmtMs(s.invokeCpuMs)} ms, process total ${fmtMs(s.totalCpuMs)} ms`);
      }
      const full = firstInvocation.bundles['full'];
      const base = firstInvocation.bundles['baseline'];
      if (full && base) console.log(`    the rule pack over import + first invocation: ${fmtMs(full.totalCpuMs - base.totalCpuMs)} ms CPU, ${fmtMs(full.totalMs - base.totalMs)} ms wall`);
    }

    const results: ColdStartResults = {
      machine: machineInfo(nodeVersion),
      esbuildOptions: options as Record<string, unknown>,
      bundle: { bytes: code.length, gzipBytes, sourcemapBytes, topInputs: inputs },
      runs,
      ...(nodeOptions ? { nodeOptions } : {}),
      variants: Object.fromEntries(names.map((n) => {
        const s = stats[n] as ReturnType<typeof summarize>;
        return [n, { median: s.median, p90: s.p90, min: s.min, max: s.max, mean: s.mean }];
      })),
      importMs,
      pack,
      ...(firstInvocation ? { firstInvocation } : {}),
    };
    mkdirSync(path.dirname(args.json), { recursive: true });
    writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`  results: ${args.json}`);
    if (args.keep) console.log(`  bundle kept in ${tmp}`);
  } finally {
    if (!args.keep) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
