/**
 * Stands in for `node:stream/web` in the Lambda bundles (serverless.yml's `custom.esbuild.alias`).
 *
 * Why: @middy/core imports `ReadableStream` from it for one `instanceof` test on a streamed response,
 * which no trailwatch function returns; importing `node:stream/web` loads all of Node's web streams
 * (readable, writable, transform, compression, adapters) at every cold start, and nothing else in
 * the bundles needs them. This class answers the same `instanceof` test against Node's own
 * `ReadableStream`, which Node loads only when it is first asked for.
 *
 * Only `ReadableStream` is provided: an ES module that imports another name from `node:stream/web`
 * fails the build ("No matching export"), so a new dependency cannot silently get `undefined`.
 */
export class ReadableStream {
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof globalThis.ReadableStream;
  }
}
