import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';
import { ConfigurationError } from './env.js';

/**
 * The AWS SDK's default credential provider as trailwatch's Lambda bundles need it: serverless.yml's
 * `custom.esbuild.alias` puts this module in place of `@aws-sdk/credential-provider-node` in every
 * function bundle (the CLI, run from source, keeps the SDK's full chain).
 *
 * Why: the full chain also carries the shared-ini profile, SSO, console login, process, web-identity
 * and instance-metadata providers and the STS/SSO/OIDC clients they call, about 125 KB of the
 * `detect` bundle that Lambda never runs (it gives a function its role's credentials in the
 * environment) but that every cold start compiles: about 6 ms of CPU (bench/RESULTS.md).
 *
 * Kept from the full chain, in its order: the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN, as Lambda sets them), then the container credentials endpoint
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI), with the same caching: credentials are
 * reused until five minutes before they expire. Not kept: AWS_PROFILE and everything read from
 * ~/.aws; a bundle run outside Lambda (`serverless invoke local` told to reach AWS) needs
 * credentials exported into its environment.
 */
type Init = NonNullable<Parameters<typeof fromHttp>[0]> & NonNullable<Parameters<typeof fromEnv>[0]>;
type Credentials = Awaited<ReturnType<ReturnType<typeof fromEnv>>>;

/** The SDK's own margin (credential-provider-node): refresh credentials this long before they expire. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

const CONTAINER_VARIABLES = ['AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] as const;

async function load(init: Init): Promise<Credentials> {
  if (process.env['AWS_ACCESS_KEY_ID'] && process.env['AWS_SECRET_ACCESS_KEY']) return fromEnv(init)();
  if (CONTAINER_VARIABLES.some((name) => process.env[name])) return fromHttp(init)();
  throw new ConfigurationError(
    'No AWS credentials: this bundle reads them from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (as Lambda sets them) ' +
      'or from AWS_CONTAINER_CREDENTIALS_FULL_URI/RELATIVE_URI; profiles and SSO are not bundled (lib/config/aws-credentials.ts). ' +
      'Outside Lambda, export them first, e.g. eval "$(aws configure export-credentials --format env)"',
  );
}

const isFresh = (c: Credentials, now: number): boolean => c.expiration === undefined || c.expiration.getTime() - now > REFRESH_BEFORE_EXPIRY_MS;

/** Same name and call shape as `@aws-sdk/credential-provider-node`'s export, which the SDK clients call. */
export function defaultProvider(init: Init = {}): (options?: { forceRefresh?: boolean }) => Promise<Credentials> {
  let credentials: Credentials | undefined;
  let loading: Promise<Credentials> | undefined;
  return async (options) => {
    if (!options?.forceRefresh && credentials !== undefined && isFresh(credentials, Date.now())) return credentials;
    // One request at a time; concurrent callers share it.
    loading ??= load(init)
      .then((c) => (credentials = c))
      .finally(() => {
        loading = undefined;
      });
    return loading;
  };
}
