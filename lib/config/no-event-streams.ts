import { ConfigurationError } from './env.js';

/**
 * Stands in for `@smithy/core/event-streams` in the Lambda bundles (serverless.yml's
 * `custom.esbuild.alias`, as lib/config/aws-credentials.ts does for the credential chain).
 *
 * Why: the SDK's HTTP protocol loads event-stream support with `import()` in case an operation streams
 * events. In a CommonJS bundle esbuild turns a module loaded that way, and every module it imports, into
 * a lazily-initialized wrapper that it can no longer tree-shake; event streams import checksums,
 * encoders and stream utilities that the DynamoDB client also imports, so those all got wrapped and
 * their whole folders (CRC32 tables, `node:zlib`, ...) ran at every cold start. No operation the
 * functions call (DynamoDB, SNS, SQS, SSM) streams events, so the bundles carry this instead: it fails
 * loudly if one ever does. The CLI runs from source and keeps the real module.
 */
function notBundled(): never {
  throw new ConfigurationError(
    "AWS event streams are not bundled into trailwatch's Lambda functions: serverless.yml's custom.esbuild.alias " +
      'replaces @smithy/core/event-streams with lib/config/no-event-streams.ts; remove that alias to call an event-stream operation',
  );
}

/** Same names as the SDK's exports that its protocols load; each throws when used. */
export class EventStreamSerde {
  constructor() {
    notBundled();
  }
}

export function eventStreamSerdeProvider(): never {
  return notBundled();
}
