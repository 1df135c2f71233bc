import { ConfigurationError } from './env.js';

/**
 * Stands in for `@aws-sdk/endpoint-cache` in the Lambda bundles (serverless.yml's
 * `custom.esbuild.alias`, as lib/config/no-event-streams.ts does for event streams).
 *
 * Why: every DynamoDB client builds an endpoint-discovery cache when it is constructed (mnemonist's
 * LRU cache with typed arrays for 1,000 entries, ~8 KB of code with its helpers), but no DynamoDB
 * operation in the bundled SDK discovers endpoints: no command adds the endpoint-discovery step, so
 * nothing ever reads or writes the cache (test/config/no-endpoint-cache.test.ts sends every command
 * the state store uses, with discovery switched on, against this stand-in). Loading and building it cost
 * ~3 M instructions (1.5%, ~0.4 ms) of every detect and flush cold start. This class takes what the client passes
 * and fails loudly, naming the alias, if anything ever uses it. The CLI runs from source and keeps the
 * real module.
 */
function notBundled(): never {
  throw new ConfigurationError(
    "The SDK's endpoint-discovery cache is not bundled into trailwatch's Lambda functions: serverless.yml's custom.esbuild.alias " +
      'replaces @aws-sdk/endpoint-cache with lib/config/no-endpoint-cache.ts; remove that alias to use endpoint discovery',
  );
}

/** The SDK's class name and methods; construction is free, every use throws. */
export class EndpointCache {
  constructor(_capacity?: number) {}
  getEndpoint(_key: string): never {
    return notBundled();
  }
  get(_key: string): never {
    return notBundled();
  }
  set(_key: string, _endpoints: unknown): never {
    return notBundled();
  }
  delete(_key: string): never {
    return notBundled();
  }
  has(_key: string): never {
    return notBundled();
  }
  clear(): never {
    return notBundled();
  }
}
