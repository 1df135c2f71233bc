import { readFile as readFileWithCallback } from 'node:fs';
import { promisify } from 'node:util';

/**
 * Stands in for `node:fs/promises` in the Lambda bundles (serverless.yml's `custom.esbuild.alias`).
 *
 * Why: the SDK's shared-config loader imports `readFile` from `node:fs/promises` to read
 * `~/.aws/config` and `~/.aws/credentials` (which a Lambda container does not have) when a client is
 * built. Requiring that module also loads Node's readline interface, REPL history, directory and
 * watcher modules: ~5 M instructions (2.6%, ~0.7 ms) of every detect cold start, for two reads that fail.
 * Node's callback `readFile`, promisified, reads the same files with the same results and errors.
 *
 * Only `readFile` is provided (named, and as the default export's member, as the SDK imports it): an ES
 * module that imports another name fails the build ("No matching export"), so a new dependency cannot
 * silently get `undefined`. Our own code that needs more of the promise API uses `fs.promises`, which
 * Node loads only when it is first used.
 */
export const readFile = promisify(readFileWithCallback);

export default { readFile };
