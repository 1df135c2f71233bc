import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The replay worker as one plain JavaScript file. Worker threads do not inherit the TypeScript loader
 * the `trailwatch` command runs under, so the fallback (triage-worker.mjs) registers tsx in each
 * worker, which then transpiles every module through tsx's hooks: about half a second of CPU per
 * worker at every replay (bench/RESULTS.md, "Replay on every core"). Bundling triage-worker.ts once
 * with esbuild (already what tsx itself runs on) costs a fraction of that, on this thread, and each
 * worker then loads a single file. The file is named by its content, so concurrent replays share it.
 */
const SOURCE = fileURLToPath(new URL('./triage-worker.ts', import.meta.url));

export async function bundledWorkerEntry(): Promise<URL | undefined> {
  let build: typeof import('esbuild').build;
  try {
    ({ build } = await import('esbuild'));
  } catch {
    return undefined; // no esbuild (a production-only install): the tsx entry still works
  }
  const result = await build({
    entryPoints: [SOURCE],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
  const code = result.outputFiles[0]?.contents;
  if (code === undefined) return undefined;
  // In the checkout's own (git-ignored) .trailwatch/, not a shared temporary directory, where another
  // user could plant a file under the predictable name for our workers to run.
  const dir = path.join(path.dirname(SOURCE), '..', '..', '.trailwatch', 'workers');
  const file = path.join(dir, `replay-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  try {
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      // Written under a private name and renamed: a concurrent replay never loads a half-written file.
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, code);
      renameSync(partial, file);
    }
  } catch {
    return undefined; // a read-only checkout: the tsx entry still works
  }
  return pathToFileURL(file);
}
