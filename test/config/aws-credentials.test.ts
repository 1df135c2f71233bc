import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../lib/config/aws-credentials.js';
import { ConfigurationError } from '../../lib/config/env.js';
import { lambdaBundles, ROOT } from '../support/lambda-bundles.js';

const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_PROFILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_AUTHORIZATION_TOKEN',
];

/** A container credentials endpoint on loopback, as ECS and Lambda's container runtimes serve it. */
async function credentialsEndpoint(expiresInMs: number): Promise<{ url: string; requests: IncomingHttpHeaders[]; server: Server }> {
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    requests.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({
      AccessKeyId: `ASIACONTAINER${requests.length}`,
      SecretAccessKey: 'container-secret',
      Token: 'container-token',
      Expiration: new Date(Date.now() + expiresInMs).toISOString(),
    }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/credentials`, requests, server };
}

beforeEach(() => {
  for (const name of CREDENTIAL_VARIABLES) vi.stubEnv(name, undefined);
});
afterEach(() => vi.unstubAllEnvs());

describe('the Lambda bundles\' credential provider (lib/config/aws-credentials.ts)', () => {
  it('takes the credentials Lambda puts in the environment, once', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAENVIRONMENT');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'env-token');
    const provider = defaultProvider();
    const first = await provider();
    expect(first).toMatchObject({ accessKeyId: 'ASIAENVIRONMENT', secretAccessKey: 'env-secret', sessionToken: 'env-token' });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAROTATED');
    expect(await provider()).toBe(first);
    // The SDK asks for fresh ones after an expired-token error.
    expect(await provider({ forceRefresh: true })).toMatchObject({ accessKeyId: 'ASIAROTATED' });
  });

  it('prefers the environment to a container endpoint, as the SDK\'s chain does', async () => {
    const endpoint = await credentialsEndpoint(3_600_000);
    try {
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAENVIRONMENT');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env-secret');
      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', endpoint.url);
      expect(await defaultProvider()()).toMatchObject({ accessKeyId: 'ASIAENVIRONMENT' });
      expect(endpoint.requests).toHaveLength(0);
    } finally {
      endpoint.server.close();
    }
  });

  it('reads a container endpoint with its token, and again only when the credentials are about to expire', async () => {
    const lasting = await credentialsEndpoint(3_600_000);
    const expiring = await credentialsEndpoint(60_000);
    try {
      vi.stubEnv('AWS_CONTAINER_AUTHORIZATION_TOKEN', 'container-auth');
      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', lasting.url);
      const provider = defaultProvider();
      const [a, b] = await Promise.all([provider(), provider()]);
      expect(a).toMatchObject({ accessKeyId: 'ASIACONTAINER1', secretAccessKey: 'container-secret', sessionToken: 'container-token' });
      expect(b).toBe(a);
      expect(await provider()).toBe(a);
      expect(lasting.requests).toHaveLength(1);
      expect(lasting.requests[0]?.authorization).toBe('container-auth');

      vi.stubEnv('AWS_CONTAINER_CREDENTIALS_FULL_URI', expiring.url);
      const soon = defaultProvider();
      expect(await soon()).toMatchObject({ accessKeyId: 'ASIACONTAINER1' });
      // Within the SDK's five-minute margin: fetched again.
      expect(await soon()).toMatchObject({ accessKeyId: 'ASIACONTAINER2' });
    } finally {
      lasting.server.close();
      expiring.server.close();
    }
  });

  it('says where credentials must come from when there are none, and never reads a profile', async () => {
    vi.stubEnv('AWS_PROFILE', 'someone');
    const error = await defaultProvider()().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/AWS_ACCESS_KEY_ID.*AWS_CONTAINER_CREDENTIALS_FULL_URI.*profiles and SSO are not bundled/);
  });
});

describe('serverless.yml\'s esbuild alias', () => {
  it('bundles this provider instead of the SDK\'s chain, and an SDK client built that way takes its credentials from it', async () => {
    const { alias, mainFields } = lambdaBundles();
    expect(alias['@aws-sdk/credential-provider-node']).toBe('./lib/config/aws-credentials.ts');
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'trailwatch-credentials-'));
    try {
      const outfile = path.join(tmp, 'client.cjs');
      const result = await build({
        stdin: {
          contents: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const credentials = () => new DynamoDBClient({ region: 'us-east-1' }).config.credentials();",
          resolveDir: ROOT,
          loader: 'ts',
        },
        bundle: true, platform: 'node', format: 'cjs', target: 'node24', mainFields, alias, absWorkingDir: ROOT, outfile, metafile: true, logLevel: 'silent',
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs).toContain('lib/config/aws-credentials.ts');
      expect(inputs.filter((i) => /credential-provider-(node|ini|sso|process|web-identity|login)|nested-clients|credential-provider-imds/.test(i))).toEqual([]);
      const script = `require(${JSON.stringify(outfile)}).credentials().then((c) => process.stdout.write(c.accessKeyId))`;
      const env = { PATH: process.env['PATH'] ?? '', AWS_ACCESS_KEY_ID: 'ASIABUNDLED', AWS_SECRET_ACCESS_KEY: 'bundled-secret' };
      const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { env });
      expect(stdout).toBe('ASIABUNDLED');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
