import { join, sep } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConfigurationError, optionalEnv } from '../config/env.js';
import { createDynamoDbStore } from './dynamodb-store.js';
import { createEmbeddedStore } from './embedded-store.js';
import type { StateStore } from './store.js';

/** Where `invoke local` keeps state between runs, from the project root; `npm run state:reset` deletes it. */
export const LOCAL_STATE_FILE = '.trailwatch/state.json';

/**
 * The project root. `serverless invoke local` runs the bundle with serverless-esbuild's build folder
 * (`<root>/.esbuild/.build`) as its working directory: state kept relative to that would not be the
 * `.trailwatch/` that the README and `npm run state:reset` name.
 */
export function projectRoot(cwd: string = process.cwd()): string {
  const marker = `${sep}.esbuild${sep}`;
  const at = `${cwd}${sep}`.indexOf(marker);
  return at >= 0 ? cwd.slice(0, at) || sep : cwd;
}

/** TRAILWATCH_STATE_FILE, else `.trailwatch/state.json` at the project root, whatever folder we run in. */
export function localStateFile(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return optionalEnv('TRAILWATCH_STATE_FILE', env) ?? join(projectRoot(cwd), LOCAL_STATE_FILE);
}

/**
 * DynamoDB in Lambda (STATE_TABLE); under `serverless invoke local` the embedded store in a local
 * file, so consecutive runs see each other's events with no setup. TRAILWATCH_STATE overrides:
 * `dynamodb`, `file` (TRAILWATCH_STATE_FILE) or `memory`.
 */
export function stateStoreFromEnv(env: NodeJS.ProcessEnv = process.env, now: () => number = Date.now): StateStore {
  const explicit = optionalEnv('TRAILWATCH_STATE', env);
  const mode = explicit ?? (env.IS_LOCAL === 'true' ? 'file' : 'dynamodb');
  switch (mode) {
    case 'memory':
      return createEmbeddedStore({ now });
    case 'file':
      return createEmbeddedStore({ file: localStateFile(env), autoFlush: true, now });
    case 'dynamodb': {
      const table = optionalEnv('STATE_TABLE', env);
      if (!table) throw new ConfigurationError('Environment variable STATE_TABLE is required');
      const endpoint = optionalEnv('DYNAMODB_ENDPOINT', env);
      const client = DynamoDBDocumentClient.from(new DynamoDBClient(endpoint ? { endpoint } : {}));
      return createDynamoDbStore({ tableName: table, client, now });
    }
    default:
      throw new ConfigurationError(`TRAILWATCH_STATE must be dynamodb, file or memory, got "${mode}"`);
  }
}
