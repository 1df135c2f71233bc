/**
 * Reads a V8 CPU profile (`node --cpu-prof`) of the bundled replay worker and says where the time
 * went, by source module: our files (from esbuild's `// lib/...ts` markers in the unminified
 * bundle), npm packages, Node internals, and V8's own buckets (garbage collector, idle = waiting for
 * I/O or zlib on the thread pool). Builtins called from JS (JSON.parse, crypto.hash) count towards
 * the calling function, so JSON.parse shows up under lib/replay/sources/parse.ts.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileAttribution {
  totalMs: number;
  byModule: Array<{ module: string; ms: number; share: number }>;
  topFunctions: Array<{ fn: string; module: string; ms: number; share: number }>;
}

function moduleMarkers(bundleFile: string): Array<{ line: number; module: string }> {
  const markers: Array<{ line: number; module: string }> = [];
  readFileSync(bundleFile, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /^\/\/ ((?:lib|rules|bench|functions)\/\S+\.ts)$/.exec(text);
      if (m) markers.push({ line: i + 1, module: m[1] as string });
    });
  return markers;
}

export function attributeProfile(profileFile: string, bundleFile: string): ProfileAttribution {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const markers = moduleMarkers(bundleFile);
  const bundleName = path.basename(bundleFile);

  const moduleOf = (frame: CallFrame): string => {
    const { url, functionName } = frame;
    if (url === '') return functionName.startsWith('(') ? functionName : '(V8 builtins and native code)';
    if (url.endsWith(bundleName)) {
      const line = frame.lineNumber + 1;
      let found = 'bench/replay-worker.ts';
      for (const m of markers) {
        if (m.line > line) break;
        found = m.module;
      }
      return found;
    }
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (pkg) return `npm: ${pkg[1] as string}`;
    if (url.startsWith('node:')) {
      const rest = url.slice('node:'.length).replace(/^internal\//, '');
      return `node: ${rest.split('/')[0] ?? rest}`;
    }
    return url;
  };

  const timeById = new Map<number, number>();
  profile.samples.forEach((id, i) => timeById.set(id, (timeById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, { module: string; us: number }>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = timeById.get(node.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const mod = moduleOf(node.callFrame);
    byModule.set(mod, (byModule.get(mod) ?? 0) + us);
    const fn = `${node.callFrame.functionName || '(anonymous)'}`;
    const key = `${mod}\u0000${fn}`;
    const entry = byFunction.get(key) ?? { module: mod, us: 0 };
    entry.us += us;
    byFunction.set(key, entry);
  }
  const share = (us: number): number => (total > 0 ? us / total : 0);
  return {
    totalMs: total / 1000,
    byModule: [...byModule.entries()].map(([module, us]) => ({ module, ms: us / 1000, share: share(us) })).sort((a, b) => b.ms - a.ms),
    topFunctions: [...byFunction.entries()]
      .map(([key, { module, us }]) => ({ fn: key.split('\u0000')[1] as string, module, ms: us / 1000, share: share(us) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15),
  };
}
