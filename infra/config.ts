/*
 * The deployment's configuration file, `trailwatch.<stage>.yml`: read and checked at `serverless
 * package`/`deploy` time only (zod never reaches a Lambda bundle). Every choice a deployment makes lives
 * here and nowhere else; the functions receive plain-string environment derived from it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { parseRuleTuning } from '../lib/detection/tuning.js';
import { SEVERITIES, type Rule } from '../lib/detection/rule.js';

export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Serverless prints the stack of a failed variable resolver: the message is all a reader needs.
    this.stack = message;
  }
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const region = z.string().regex(REGION, { error: (i) => `"${String(i.input)}" is not an AWS region name (like ap-northeast-2)` });
const severity = z.enum(SEVERITIES, { error: (i) => `"${String(i.input)}" is not a severity (${SEVERITIES.join(', ')})` });
/** Hierarchical SSM names only: the IAM statement is built as `...:parameter<name>` (no doubled slash). */
const ssmParameter = z.string().regex(/^\/[A-Za-z0-9_.\-/]{1,1010}$/, {
  error: (i) => `"${String(i.input)}" is not an SSM parameter name starting with / (store the webhook URL in SSM, never here)`,
});
const bucketName = z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: (i) => `"${String(i.input)}" is not an S3 bucket name` });
const ruleId = z.string().regex(/^[a-z0-9-]+$/, { error: (i) => `"${String(i.input)}" is not a rule id` });

const schema = z.strictObject({
  /** Where detect runs. Events delivered only in us-east-1 are forwarded here when it is elsewhere. */
  region: region.optional(),
  email: z
    .array(
      z.strictObject({
        address: z.email({ error: (i) => `"${String(i.input)}" is not an email address` }),
        minSeverity: severity.default('info'),
      }),
    )
    .default([]),
  slack: z
    .array(
      z.strictObject({
        /** SSM SecureString holding the incoming-webhook URL. */
        parameter: ssmParameter,
        minSeverity: severity.default('medium'),
        /** Only these rules (default: every rule at or above minSeverity). */
        rules: z.array(ruleId).min(1).optional(),
      }),
    )
    .max(10, { error: 'at most 10 Slack routes' })
    .default([]),
  /** Account id -> name shown in alerts. */
  accounts: z
    .record(
      z.string().regex(/^\d{12}$/, { error: (i) => `"${String(i.input)}" is not a 12-digit account id (quote it in YAML)` }),
      z.string().regex(/^[^,=\n]{1,64}$/, { error: 'must be 1-64 characters without , = or a line break' }),
    )
    .default({}),
  allowedLatenessMinutes: z.number().int().min(0).max(1440).default(30),
  /** Per-rule settings, checked by the rule framework's own parser (lib/detection/tuning.ts). */
  rules: z.record(z.string(), z.unknown()).default({}),
  forwarder: z
    .strictObject({
      /** Forward us-east-1-only events (IAM, Organizations, STS, root sign-in) to the home region. */
      globalEvents: z.boolean().default(true),
      /**
       * Other regions whose regional events (S3, EC2, CloudTrail, ...) are forwarded too, or `all`: every
       * region enabled in the account, asked at deploy time.
       */
      regions: z.union([z.literal('all'), z.array(region)], { error: 'must be all or a list of region names' }).default([]),
    })
    .default({ globalEvents: true, regions: [] }),
  organization: z
    .strictObject({
      /** The organisation whose member accounts may put events on this account's default bus. */
      id: z.string().regex(/^o-[a-z0-9]{10,32}$/, { error: (i) => `"${String(i.input)}" is not an organization id (o-xxxxxxxxxx)` }),
      /** Regions the StackSet deploys forwarding rules to in every member account. */
      regions: z.array(region).min(1),
      /** Where the StackSet deploys: the root (`r-...`) or organisational units (`ou-...`). */
      organizationalUnits: z
        .array(z.string().regex(/^(r-[a-z0-9]{4,32}|ou-[a-z0-9]{4,32}-[a-z0-9]{8,32})$/, { error: (i) => `"${String(i.input)}" is not an organization root (r-...) or unit (ou-...) id` }))
        .min(1),
    })
    .optional(),
  trail: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** S3 object deletions logged as data events: `all` buckets, `none`, or a list of bucket names. */
      s3DataEvents: z.union([z.literal('all'), z.literal('none'), z.array(bucketName).min(1)]).default('all'),
      insights: z.boolean().default(true),
    })
    .default({ enabled: false, s3DataEvents: 'all', insights: true }),
  /** Every alert and follow-up also put on an EventBridge bus as `source: trailwatch`. */
  eventBridgeOutput: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Bus name in this account and region. */
      bus: z.string().regex(/^[A-Za-z0-9._\-/]{1,256}$/).default('default'),
    })
    .default({ enabled: false, bus: 'default' }),
  /** The pipeline canary (infra/health.ts): on unless a stage turns it off. */
  canary: z.boolean().default(true),
  /** Thresholds of trailwatch's own alarms (infra/health.ts), in whole 5-minute alarm periods. */
  alarms: z
    .strictObject({
      /** p99 of the delay from API call to detection above this for 15 minutes alarms. */
      deliveryDelayMinutes: z.number().int().min(5).max(1440).multipleOf(5).default(20),
      /** No canary detected for this long: "trailwatch is blind". */
      canarySilenceMinutes: z.number().int().min(10).max(1440).multipleOf(5).default(30),
    })
    .default({ deliveryDelayMinutes: 20, canarySilenceMinutes: 30 }),
});

type Parsed = z.infer<typeof schema>;

/** The checked configuration, with the home region decided. */
export interface DeployConfig extends Omit<Parsed, 'region'> {
  region: string;
  /** Where it came from, for messages; `(defaults)` when the stage has no file. */
  file: string;
}

/** `--param` names that used to carry settings, and the key each moved to. */
export const MOVED_PARAMS: Record<string, string> = {
  alertEmails: 'email',
  accountNames: 'accounts',
  allowedLatenessMinutes: 'allowedLatenessMinutes',
  ruleTuning: 'rules',
  slackWebhookParameter: 'slack',
  slackMinSeverity: 'slack',
};

const keyPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((out, k) => (typeof k === 'number' ? `${out}[${k}]` : out === '' ? String(k) : `${out}.${String(k)}`), '');

/** One line per problem: `trailwatch.prod.yml: email[0].address: "x" is not an email address`. */
function describeIssues(file: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const where = keyPath(issue.path);
      const message =
        issue.code === 'unrecognized_keys'
          ? `${issue.keys.map((k) => `"${k}"`).join(', ')} ${issue.keys.length > 1 ? 'are not settings' : 'is not a setting'}${where ? ` of ${where}` : ''}`
          : issue.code === 'invalid_key'
            ? (issue.issues[0]?.message ?? issue.message)
            : issue.message;
      return `${file}: ${where && issue.code !== 'unrecognized_keys' ? `${where}: ` : ''}${message}`;
    })
    .join('\n');
}

export interface ConfigContext {
  /** Region given on the command line (`--region`), if any. */
  cliRegion?: string | undefined;
  /** Rule pack, for the `rules:` settings. */
  rules: readonly Rule[];
}

/** Parses and checks one file's text; `file` is only used in messages. */
export function parseDeployConfig(text: string, file: string, ctx: ConfigContext): DeployConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const [first] = doc.errors;
    const line = first?.linePos?.[0]?.line;
    throw new ConfigFileError(`${file}${line ? `:${line}` : ''}: not valid YAML: ${first?.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ConfigFileError(`${file}: must be a mapping of settings (key: value)`);
  const result = schema.safeParse(data);
  if (!result.success) throw new ConfigFileError(describeIssues(file, result.error));
  const config = result.data;
  try {
    parseRuleTuning(JSON.stringify(config.rules), ctx.rules);
  } catch (error) {
    throw new ConfigFileError(`${file}: rules: ${(error as Error).message.replace(/^RULE_TUNING:? ?/, '')}`, { cause: error });
  }
  for (const [i, route] of config.slack.entries()) {
    const unknown = route.rules?.find((id) => !ctx.rules.some((r) => r.id === id));
    if (unknown) throw new ConfigFileError(`${file}: slack[${i}].rules: "${unknown}" is not a rule id (see npx trailwatch rules)`);
  }
  const cli = ctx.cliRegion;
  if (config.region && cli && cli !== config.region) {
    throw new ConfigFileError(`${file}: region is ${config.region} but --region says ${cli}: the home region is set in one place, drop --region or change the file`);
  }
  const home = config.region ?? cli ?? 'us-east-1';
  if (Array.isArray(config.forwarder.regions) && config.forwarder.regions.includes(home)) throw new ConfigFileError(`${file}: forwarder.regions: ${home} is the home region, nothing to forward`);
  return { ...config, region: home, file };
}

/** `trailwatch.<stage>.yml` in the service directory, or the file TRAILWATCH_CONFIG names. */
export function configPath(serviceDir: string, stage: string, env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.TRAILWATCH_CONFIG;
  if (explicit) return isAbsolute(explicit) ? explicit : join(serviceDir, explicit);
  return join(serviceDir, `trailwatch.${stage}.yml`);
}

/** Refuses settings that moved from `--param` to the file, saying where each went. */
export function refuseMovedParams(params: readonly string[], file: string): void {
  for (const p of params) {
    const name = p.split('=')[0] ?? '';
    const key = MOVED_PARAMS[name];
    if (key) {
      throw new ConfigFileError(
        `--param ${name} is no longer read: set "${key}" in ${file} instead (commented example: infra/trailwatch.example.yml)`,
      );
    }
  }
}

export interface LoadOptions extends ConfigContext {
  serviceDir: string;
  stage: string;
  /** Raw `--param` values from the command line. */
  params?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** The stage's configuration; defaults when the stage has no file (so `invoke local` needs none). */
export function loadDeployConfig(opts: LoadOptions): DeployConfig {
  const path = configPath(opts.serviceDir, opts.stage, opts.env);
  const shown = opts.env?.TRAILWATCH_CONFIG ?? basename(path);
  refuseMovedParams(opts.params ?? [], shown);
  if (!existsSync(path)) {
    if (opts.env?.TRAILWATCH_CONFIG) throw new ConfigFileError(`${shown}: no such file (TRAILWATCH_CONFIG)`);
    return { ...parseDeployConfig('{}', shown, opts), file: '(defaults)' };
  }
  return parseDeployConfig(readFileSync(path, 'utf8'), shown, opts);
}
