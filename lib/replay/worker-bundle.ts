import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The replay worker as one plain JavaScript file. Worker threads do not inherit the TypeScript loader
 * the `trailwatch` command runs under, so the fallback (triage-worker.mjs) registers tsx in each
 * worker, which then transpiles every module through tsx's hooks: about half a second of CPU per
 * worker at every replay. Bundling triage-worker.ts with esbuild (already what tsx itself runs on)
 * costs a fraction of that, once, and each worker then loads a single file.
 *
 * The bundle is named by a hash of the sources it can include (lib/ and rules/) and esbuild's
 * version, so it is built only when they change: reading and hashing them takes a few milliseconds,
 * starting esbuild a few hundred. It lives in the checkout's own (git-ignored) .trailwatch/, not a
 * shared temporary directory, where another user could plant a file under a predictable name for
 * our workers to run.
 */
const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(?:ts|json)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function fingerprint(root: string, esbuildVersion: string): string {
  const hash = createHash('sha256').update(esbuildVersion);
  for (const file of [...sourceFiles(path.join(root, 'lib')), ...sourceFiles(path.join(root, 'rules'))]) {
    hash.update(`\0${path.relative(root, file)}\0`).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Bundles of older sources, a day after they were written (a replay still starting may be using one). */
function removeStale(dir: string, current: string): void {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (file === current || !name.startsWith('replay-worker-')) continue;
    if (Date.now() - statSync(file).mtimeMs > 24 * 3_600_000) rmSync(file, { force: true });
  }
}

/** The bundle's URL, built if the sources changed; undefined when it cannot be (the caller uses tsx). */
export async function bundledWorkerEntry(root = ROOT): Promise<URL | undefined> {
  const dir = path.join(root, '.trailwatch', 'workers');
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    return undefined; // no esbuild (a production-only install): the tsx entry still works
  }
  try {
    const file = path.join(dir, `replay-worker-${fingerprint(root, esbuild.version)}.mjs`);
    if (!existsSync(file)) {
      const result = await esbuild.build({ entryPoints: [path.join(root, 'lib', 'replay', 'triage-worker.ts')], bundle: true, write: false, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent' });
      const code = result.outputFiles[0]?.contents;
      if (code === undefined) return undefined;
      mkdirSync(dir, { recursive: true });
      // Written under a private name and renamed: a concurrent replay never loads a half-written file.
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, code);
      renameSync(partial, file);
      removeStale(dir, file);
    }
    return pathToFileURL(file);
  } catch {
    return undefined; // a read-only checkout, or a build error: the tsx entry still works
  }
}
