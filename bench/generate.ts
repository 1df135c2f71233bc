/**
 * Deterministic CloudTrail history for the benchmarks: gzipped log files laid out exactly as
 * CloudTrail writes them to S3,
 *
 *   AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz
 *
 * each holding `{"Records":[...]}` on one line, one file per account and region per 5 minutes, a few
 * hundred to a couple of thousand records each (daily cycle), over a few days.
 *
 * Every record is a clone of a real record from test/fixtures (Stratus Red Team captures, and the
 * documented S3 data-event shape in test/fixtures/derived), moved to our accounts and regions, keys in
 * CloudTrail's own order, with a fresh eventID, eventTime, requestID, principal (IAM users, SSO, CI,
 * workload and instance roles, AWS services), source IP, user agent and request parameters.
 *
 * Mostly everyday traffic (Describe/Get/List, AssumeRole, S3 object reads and writes, secret and
 * parameter reads, deploys through CloudFormation and Terraform, engineers' sessions), in the shapes
 * everyday calls have: security group rules to private ranges, invoke permissions for service
 * principals held to their source, shares revoked, instances calling AWS through the VPC's endpoints.
 * The attack records those templates were cloned from appear only as planted incidents: trail
 * tampering, IAM user deletions, root sign-ins, 30 DeleteObjects in 5 minutes on one bucket, bursts of
 * denied RunInstances, bucket deletions, ports opened to the internet, snapshots and images shared
 * outside, Lambda backdoors, logs deleted, stolen instance credentials, backdoor users and roles, and
 * near-misses that must not fire. What each rule should match and alert is written to
 * `<out>.manifest.json` (beside the logs, so replaying the directory does not read it); what else
 * alerts is the pack's noise on everyday traffic (bench/alerts-per-day.ts).
 *
 *   tsx bench/generate.ts [--out bench/data/logs] [--events 1000000] [--seed 1] [--days 2]
 *
 * Streams: one file's records are held at a time (plus the planned incidents, a few hundred records).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { DEFAULT_LOGS_DIR, REPO_DIR, Rng, fmtBytes, fmtInt, manifestPathOf, quantile, type Manifest } from './common.js';

const gzip = promisify(gzipCb);

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type CtRecord = { [key: string]: Json };

const MINUTE = 60_000;
const FILE_MS = 5 * MINUTE;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------------
// Arguments

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: DEFAULT_LOGS_DIR },
    events: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    days: { type: 'string', default: '2' },
    start: { type: 'string', default: '2026-03-02T00:00:00Z' },
  },
  strict: true,
});

const OUT = path.resolve(args.out);
const TARGET_EVENTS = Number(args.events.replaceAll('_', ''));
const SEED = Number(args.seed);
const DAYS = Number(args.days);
const START = Date.parse(args.start);
if (!Number.isInteger(TARGET_EVENTS) || TARGET_EVENTS < 1) throw new Error(`--events must be a positive integer, got ${args.events}`);
if (!Number.isInteger(SEED)) throw new Error(`--seed must be an integer, got ${args.seed}`);
if (!(DAYS > 0) || !Number.isInteger(DAYS * 288)) throw new Error(`--days must be a positive multiple of 5 minutes, got ${args.days}`);
if (!Number.isFinite(START) || START % FILE_MS !== 0) throw new Error(`--start must be a time on a 5-minute boundary, got ${args.start}`);
const END = START + DAYS * DAY;
const INTERVALS = DAYS * 288;

// ---------------------------------------------------------------------------------------------------
// Deterministic ids

/** FNV-1a over the seed and a key: ids that depend on what they name, not on draw order. */
function hash32(key: string): number {
  let h = (0x811c9dc5 ^ SEED) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789abcdef';

function chars(rng: Rng, alphabet: string, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rng.int(alphabet.length)];
  return s;
}

function keyed(key: string, alphabet: string, n: number): string {
  return chars(new Rng(hash32(key)), alphabet, n);
}

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A version-4 UUID from the PRNG (CloudTrail eventIDs and most requestIDs are v4 UUIDs). */
function uuid(rng: Rng): string {
  const a = rng.u32();
  const b = rng.u32();
  const c = rng.u32();
  const d = rng.u32();
  const byte = (x: number, shift: number): string => HEX_BYTE[(x >>> shift) & 0xff] as string;
  return (
    byte(a, 24) + byte(a, 16) + byte(a, 8) + byte(a, 0) + '-' +
    byte(b, 24) + byte(b, 16) + '-4' + (HEX_BYTE[(b >>> 8) & 0xff] as string).slice(1) + byte(b, 0) + '-' +
    HEX[8 + ((c >>> 30) & 3)] + (HEX_BYTE[(c >>> 16) & 0xff] as string).slice(1) + byte(c, 8) + '-' +
    byte(c, 0) + byte(d, 24) + byte(d, 16) + byte(d, 8) + byte(d, 0) + HEX_BYTE[(a ^ d) & 0xff]
  );
}

const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** "Mar 2, 2026, 3:04:05 PM", the format STS uses for credential expiry. */
function stsDate(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const h = d.getUTCHours();
  const hh = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${hh}:${mm}:${ss} ${h < 12 ? 'AM' : 'PM'}`;
}

/** "Mar 2, 2026 3:04:05 PM", the format IAM uses for creation dates. */
const iamDate = (ms: number): string => stsDate(ms).replace(/(\d{4}),/, '$1');

function publicIp(rng: Rng): string {
  // First octets of ordinary public space (cloud providers, ISPs), never private or reserved ranges.
  const first = rng.pick([3, 13, 18, 20, 34, 35, 44, 52, 54, 63, 78, 81, 86, 91, 104, 109, 141, 145, 176, 185, 188, 193, 212]);
  return `${first}.${rng.int(256)}.${rng.int(256)}.${1 + rng.int(254)}`;
}

// ---------------------------------------------------------------------------------------------------
// Accounts, regions, streams (one log file per stream per 5 minutes)

interface Account {
  id: string;
  name: string;
}

const ACCOUNTS: Account[] = [
  { id: '284731950126', name: 'prod' },
  { id: '519204738861', name: 'staging' },
  { id: '730418652297', name: 'sandbox' },
];

interface Stream {
  account: Account;
  region: string;
  /** Share of the traffic, before the daily cycle. */
  weight: number;
}

const PROD = ACCOUNTS[0] as Account;
const STAGING = ACCOUNTS[1] as Account;
const SANDBOX = ACCOUNTS[2] as Account;
const STREAMS: Stream[] = [
  { account: PROD, region: 'us-east-1', weight: 2.0 },
  { account: PROD, region: 'eu-west-1', weight: 1.3 },
  { account: STAGING, region: 'us-east-1', weight: 0.8 },
  { account: STAGING, region: 'us-west-2', weight: 0.4 },
  { account: SANDBOX, region: 'us-east-1', weight: 0.5 },
];
/** IAM, sign-in and other global-service events are delivered in us-east-1 only. */
const GLOBAL_REGION = 'us-east-1';

// ---------------------------------------------------------------------------------------------------
// Real records

/** CloudTrail's own key order (the fixtures were re-sorted alphabetically by their publisher). */
const KEY_ORDER = [
  'eventVersion', 'userIdentity', 'eventTime', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
  'errorCode', 'errorMessage', 'requestParameters', 'responseElements', 'additionalEventData', 'requestID', 'eventID',
  'readOnly', 'resources', 'eventType', 'apiVersion', 'managementEvent', 'recipientAccountId', 'sharedEventID',
  'vpcEndpointId', 'vpcEndpointAccountId', 'eventCategory', 'tlsDetails', 'sessionCredentialFromConsole',
];

function loadFixture(file: string): CtRecord[] {
  const full = path.join(REPO_DIR, 'test', 'fixtures', file.includes('/') ? file : `stratus-red-team/${file}`);
  return JSON.parse(readFileSync(full, 'utf8')) as CtRecord[];
}

function sample(file: string, eventName?: string, pred: (r: CtRecord) => boolean = () => true): CtRecord {
  const found = loadFixture(file).find((r) => (eventName === undefined || r['eventName'] === eventName) && pred(r));
  if (!found) throw new Error(`no ${eventName ?? 'record'} in ${file}`);
  return found;
}

function deepReplace(value: Json, from: string, to: string): Json {
  if (typeof value === 'string') return from !== '' && value.includes(from) ? value.replaceAll(from, to) : value;
  if (Array.isArray(value)) return value.map((v) => deepReplace(v, from, to));
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = deepReplace(v, from, to);
    return out;
  }
  return value;
}

/** The sample moved to an account and region (every mention of its own account and region). */
function localize(record: CtRecord, account: Account, region: string): CtRecord {
  const fromAccount = typeof record['recipientAccountId'] === 'string' ? record['recipientAccountId'] : '';
  const fromRegion = typeof record['awsRegion'] === 'string' ? record['awsRegion'] : '';
  let out = deepReplace(record, fromAccount, account.id) as CtRecord;
  out = deepReplace(out, fromRegion, region) as CtRecord;
  return out;
}

/** A field set to this in `over` is left out of the record (build skips undefined values). */
const REMOVE = undefined as unknown as Json;

/** A record in CloudTrail key order: the template's fields, with `over` replacing or adding fields. */
function build(template: CtRecord, over: CtRecord): CtRecord {
  const out: CtRecord = {};
  for (const key of KEY_ORDER) {
    const value = Object.hasOwn(over, key) ? over[key] : template[key];
    if (value !== undefined) out[key] = value;
  }
  for (const key of Object.keys(template)) if (!Object.hasOwn(out, key) && !Object.hasOwn(over, key)) out[key] = template[key] as Json;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Principals

type Kind = 'human' | 'ci' | 'app' | 'instance' | 'service';

interface Principal {
  kind: Kind;
  /** IAM user name, or role name for role sessions. */
  name: string;
  type: 'IAMUser' | 'AssumedRole' | 'AWSService';
  rolePath?: string;
  /** Role sessions: how long one lasts and how many run side by side. */
  sessionMs?: number;
  parallel?: number;
  sessionName?: (key: string) => string;
  invokedBy?: string;
  agents: string[];
  /** Source IPs (per account, filled in by principalsOf). */
  ips: string[];
  mfa?: boolean;
}

const UA = {
  cli: (cmd: string) => `aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#${cmd}`,
  cliMac: (cmd: string) => `aws-cli/2.19.1 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#${cmd}`,
  console: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  terraform: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64',
  js: 'aws-sdk-js/3.698.0 ua/2.1 os/linux#5.10.228-219.884.amzn2.x86_64 lang/js md/nodejs#20.18.0 m/N,E,e',
  boto: 'Boto3/1.35.64 md/Botocore#1.35.64 ua/2.0 os/linux#5.10.228-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.64',
  java: 'aws-sdk-java/2.29.29 Linux/5.10.228-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/standard',
  ssm: 'aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.1142.0',
  go: 'aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.193.0',
};

const PRINCIPALS: Principal[] = [
  ...['alice', 'bob', 'carol', 'dave', 'erin'].map((name): Principal => ({ kind: 'human', name, type: 'IAMUser', agents: [UA.cli('ec2.describe-instances'), UA.cliMac('s3.ls'), UA.console], ips: [], mfa: true })),
  {
    kind: 'human', name: 'AWSReservedSSO_AdministratorAccess_3f1c2b9e8d7a6b5c', type: 'AssumedRole', rolePath: 'aws-reserved/sso.amazonaws.com/',
    sessionMs: 8 * HOUR, parallel: 4, sessionName: (k) => `${['alice', 'bob', 'frank', 'grace'][hash32(k) % 4]}@example.com`, agents: [UA.console, UA.cliMac('sts.get-caller-identity')], ips: [],
  },
  {
    kind: 'human', name: 'AWSReservedSSO_ReadOnlyAccess_9a8b7c6d5e4f3a2b', type: 'AssumedRole', rolePath: 'aws-reserved/sso.amazonaws.com/',
    sessionMs: 8 * HOUR, parallel: 3, sessionName: (k) => `${['heidi', 'ivan', 'judy'][hash32(k) % 3]}@example.com`, agents: [UA.console], ips: [],
  },
  { kind: 'ci', name: 'github-actions-deploy', type: 'AssumedRole', sessionMs: HOUR, parallel: 3, sessionName: (k) => `GitHubActions-${hash32(k) % 90000 + 10000}`, agents: [UA.cli('cloudformation.deploy'), UA.js], ips: [] },
  { kind: 'ci', name: 'terraform-apply', type: 'AssumedRole', sessionMs: HOUR, parallel: 1, sessionName: (k) => `terraform-${hash32(k) % 900000 + 100000}`, agents: [UA.terraform], ips: [] },
  { kind: 'ci', name: 'ci-legacy', type: 'IAMUser', agents: [UA.cli('s3.sync'), UA.boto], ips: [] },
  { kind: 'app', name: 'orders-api-task', type: 'AssumedRole', sessionMs: 6 * HOUR, parallel: 6, sessionName: (k) => keyed(k, HEX, 32), agents: [UA.java], ips: [] },
  { kind: 'app', name: 'billing-worker', type: 'AssumedRole', sessionMs: 6 * HOUR, parallel: 3, sessionName: (k) => keyed(k, HEX, 32), agents: [UA.java], ips: [] },
  { kind: 'app', name: 'data-pipeline-lambda', type: 'AssumedRole', sessionMs: HOUR, parallel: 4, sessionName: () => 'data-pipeline-transform', agents: [UA.boto], ips: [] },
  { kind: 'app', name: 'image-resizer-lambda', type: 'AssumedRole', sessionMs: HOUR, parallel: 4, sessionName: () => 'image-resizer', agents: [UA.js], ips: [] },
  { kind: 'instance', name: 'ec2-app-instance-role', type: 'AssumedRole', sessionMs: 6 * HOUR, parallel: 10, sessionName: (k) => `i-0${keyed(k, HEX, 16)}`, agents: [UA.ssm, UA.go], ips: [] },
  { kind: 'service', name: 'lambda', type: 'AWSService', invokedBy: 'lambda.amazonaws.com', agents: ['lambda.amazonaws.com'], ips: [] },
  { kind: 'service', name: 'ecs-tasks', type: 'AWSService', invokedBy: 'ecs-tasks.amazonaws.com', agents: ['ecs-tasks.amazonaws.com'], ips: [] },
  { kind: 'service', name: 'ec2', type: 'AWSService', invokedBy: 'ec2.amazonaws.com', agents: ['ec2.amazonaws.com'], ips: [] },
];

/** Principals only the planned incidents use. */
const STOLEN_ROLE: Principal = {
  kind: 'app', name: 'legacy-batch-role', type: 'AssumedRole', sessionMs: 12 * HOUR, parallel: 1,
  sessionName: (k) => `aws-go-sdk-${1772400000000000000 + (hash32(k) % 1e9)}`, agents: [UA.go], ips: [],
};
const CLEANUP_ROLE: Principal = { kind: 'ci', name: 'ops-cleanup', type: 'AssumedRole', sessionMs: HOUR, parallel: 1, sessionName: () => 'cleanup', agents: [UA.cli('s3.rm')], ips: [] };

function ipsFor(p: Principal, account: Account): string[] {
  const rng = new Rng(hash32(`ips|${account.id}|${p.name}`));
  if (p.type === 'AWSService') return [p.invokedBy ?? 'amazonaws.com'];
  const n = p.kind === 'human' ? 2 : p.kind === 'ci' ? 12 : 4;
  return Array.from({ length: n }, () => publicIp(rng));
}

interface Identity {
  identity: JsonObject;
  ips: string[];
  agents: string[];
}

const identityCache = new Map<string, Identity>();

/** The userIdentity a principal has at time t (role sessions rotate; users keep one access key). */
function identityOf(p: Principal, account: Account, t: number, rng: Rng): Identity {
  const variant = p.parallel ? rng.int(p.parallel) : 0;
  const sessionNo = p.sessionMs ? Math.floor((t + (hash32(p.name) % p.sessionMs)) / p.sessionMs) : 0;
  const key = `${account.id}|${p.name}|${sessionNo}|${variant}`;
  const hit = identityCache.get(key);
  if (hit) return hit;
  if (identityCache.size > 20_000) identityCache.clear();
  const ips = ipsFor(p, account);
  let identity: JsonObject;
  if (p.type === 'IAMUser') {
    identity = {
      type: 'IAMUser',
      principalId: `AIDA${keyed(`uid|${account.id}|${p.name}`, UPPER_ALNUM, 17)}`,
      arn: `arn:aws:iam::${account.id}:user/${p.name}`,
      accountId: account.id,
      accessKeyId: `AKIA${keyed(`ak|${account.id}|${p.name}`, UPPER_ALNUM, 16)}`,
      userName: p.name,
    };
  } else if (p.type === 'AssumedRole') {
    const roleId = `AROA${keyed(`rid|${account.id}|${p.name}`, UPPER_ALNUM, 17)}`;
    const session = p.sessionName ? p.sessionName(key) : 'session';
    const sessionStart = sessionNo * (p.sessionMs ?? HOUR) - (hash32(p.name) % (p.sessionMs ?? HOUR));
    const sessionContext: JsonObject = {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${account.id}:role/${p.rolePath ?? ''}${p.name}`, accountId: account.id, userName: p.name },
      attributes: { creationDate: isoSeconds(sessionStart), mfaAuthenticated: 'false' },
    };
    if (p.kind === 'instance') sessionContext['ec2RoleDelivery'] = '2.0';
    identity = {
      type: 'AssumedRole',
      principalId: `${roleId}:${session}`,
      arn: `arn:aws:sts::${account.id}:assumed-role/${p.name}/${session}`,
      accountId: account.id,
      accessKeyId: `ASIA${keyed(`sk|${key}`, UPPER_ALNUM, 16)}`,
      sessionContext,
    };
  } else {
    identity = { type: 'AWSService', invokedBy: p.invokedBy ?? 'amazonaws.com' };
  }
  const made = { identity, ips, agents: p.agents };
  identityCache.set(key, made);
  return made;
}

const ROOT_IDENTITY = (account: Account): JsonObject => ({
  type: 'Root',
  principalId: account.id,
  arn: `arn:aws:iam::${account.id}:root`,
  accountId: account.id,
  accessKeyId: `ASIA${keyed(`root|${account.id}`, UPPER_ALNUM, 16)}`,
});

// ---------------------------------------------------------------------------------------------------
// Resources an account has (bucket names, instances, secrets...), deterministic per account/region

interface Estate {
  buckets: string[];
  instances: string[];
  secrets: string[];
  parameters: string[];
  roles: string[];
  models: string[];
  trails: string[];
  users: string[];
  functions: string[];
  securityGroups: string[];
  snapshots: string[];
  images: string[];
  dbSnapshots: string[];
  /** First two octets of the VPC the instances run in. */
  vpcPrefix: string;
}

const estates = new Map<string, Estate>();

function estateOf(account: Account, region: string): Estate {
  const key = `${account.id}|${region}`;
  const hit = estates.get(key);
  if (hit) return hit;
  const rng = new Rng(hash32(`estate|${key}`));
  const suffix = `${account.name}-${region}`;
  const estate: Estate = {
    buckets: ['app-assets', 'access-logs', 'data-lake-raw', 'data-lake-curated', 'backups', 'ml-artifacts', 'user-uploads'].map((b) => `acme-${b}-${suffix}`),
    instances: Array.from({ length: 40 }, () => `i-0${chars(rng, HEX, 16)}`),
    secrets: ['orders/db', 'billing/stripe', 'shared/datadog', 'pipeline/warehouse', 'auth/jwt-signing'].map(
      (s) => `arn:aws:secretsmanager:${region}:${account.id}:secret:${s}-${chars(rng, ALNUM, 6)}`,
    ),
    parameters: ['/orders/config/db-host', '/orders/config/pool-size', '/billing/feature-flags', '/shared/otel/endpoint', '/pipeline/batch-size', '/ami/latest'],
    roles: PRINCIPALS.filter((p) => p.type === 'AssumedRole' && p.kind !== 'human').map((p) => p.name),
    models: ['anthropic.claude-3-5-sonnet-20240620-v1:0', 'amazon.titan-embed-text-v2:0', 'anthropic.claude-3-haiku-20240307-v1:0'],
    trails: ['management-events', 'org-trail', 's3-data-events'],
    users: ['temp-contractor', 'old-ci-user', 'test-user-1', 'marketing-export', 'svc-legacy-sftp', 'intern-2025'],
    functions: ['orders-api-handler', 'image-resizer', 'data-pipeline-transform', 'billing-webhook', 'audit-log-shipper'],
    securityGroups: Array.from({ length: 12 }, () => `sg-0${chars(rng, HEX, 16)}`),
    snapshots: Array.from({ length: 8 }, () => `snap-0${chars(rng, HEX, 16)}`),
    images: Array.from({ length: 4 }, () => `ami-0${chars(rng, HEX, 16)}`),
    dbSnapshots: ['orders-db-restore-test', 'billing-db-pre-migration', 'orders-db-manual-weekly'],
    vpcPrefix: `10.${20 + ACCOUNTS.indexOf(account) * 10 + (region === GLOBAL_REGION ? 0 : 1)}`,
  };
  estates.set(key, estate);
  return estate;
}

// ---------------------------------------------------------------------------------------------------
// Benign traffic: templates from real records, with what varies per call

interface Ctx {
  rng: Rng;
  account: Account;
  region: string;
  t: number;
  estate: Estate;
  /** Everyday records: who makes the call (its identity already drawn). */
  who?: { principal: Principal; identity: JsonObject };
}

interface Template {
  label: string;
  weight: number;
  kinds: Kind[];
  /** Narrows the principals of those kinds (deploys come from roles, key rotation from IAM users). */
  who?: (p: Principal) => boolean;
  /** Only IAM users (console sign-in). */
  iamUserOnly?: boolean;
  global?: boolean;
  sample: CtRecord;
  vary?: (ctx: Ctx, base: CtRecord) => CtRecord;
  /** Rule ids this template's events match (pattern and predicate), for the manifest. */
  matches?: string[];
}

const S3 = sample('derived/s3-data-events.json');

function s3Object(ctx: Ctx, eventName: string, opts: { bucket?: string; readOnly: boolean; bytesIn?: number; bytesOut?: number; withKey?: boolean }): CtRecord {
  const { rng, estate, region, account } = ctx;
  const bucket = opts.bucket ?? rng.pick(estate.buckets);
  const host = `${bucket}.s3.${region}.amazonaws.com`;
  const day = new Date(ctx.t).toISOString().slice(0, 10).replaceAll('-', '/');
  const key = rng.chance(0.5) ? `${day}/part-${String(rng.int(10000)).padStart(5, '0')}.parquet` : `uploads/${uuid(rng)}.${rng.pick(['jpg', 'png', 'json', 'csv'])}`;
  const requestParameters: JsonObject = { bucketName: bucket, Host: host };
  if (opts.withKey !== false) requestParameters['key'] = key;
  const resources: Json[] = opts.withKey === false
    ? [{ accountId: account.id, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }]
    : [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` }, { accountId: account.id, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }];
  return {
    eventName,
    requestParameters,
    responseElements: eventName === 'PutObject' ? { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-version-id': chars(rng, ALNUM, 32) } : null,
    additionalEventData: {
      SignatureVersion: 'SigV4',
      CipherSuite: 'TLS_AES_128_GCM_SHA256',
      bytesTransferredIn: opts.bytesIn ?? 0,
      AuthenticationMethod: 'AuthHeader',
      'x-amz-id-2': chars(rng, BASE64, 76),
      bytesTransferredOut: opts.bytesOut ?? 0,
    },
    requestID: chars(rng, UPPER_ALNUM, 16),
    readOnly: opts.readOnly,
    resources,
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host },
  };
}

const instanceItems = (ctx: Ctx, n: number): JsonObject => ({ items: Array.from({ length: n }, () => ({ instanceId: ctx.rng.pick(ctx.estate.instances) })) });

/**
 * The instances run in private subnets and reach AWS through the VPC's endpoints (interface endpoints
 * for STS, EC2, SSM and Secrets Manager, the gateway endpoint for S3). CloudTrail then records the
 * instance's private address and the endpoint's id (`vpcEndpointId`), which is how
 * ec2-instance-credentials-whoami tells the instance itself from a thief using its credentials.
 */
function fromInsideVpc(ctx: Ctx, eventSource: string): CtRecord {
  const h = hash32(`ip|${String(ctx.who?.identity['principalId'] ?? '')}`);
  return {
    sourceIPAddress: `${ctx.estate.vpcPrefix}.${(h >>> 8) % 64}.${1 + (h % 254)}`,
    vpcEndpointId: `vpce-0${keyed(`vpce|${ctx.account.id}|${ctx.region}|${eventSource}`, HEX, 16)}`,
  };
}

const CFN = 'cloudformation.amazonaws.com';

/**
 * A deploy role's change made through a CloudFormation stack: CloudTrail records the role's session
 * with `invokedBy`, and the service's name as source address and user agent. Terraform (and the
 * pipeline's own CLI steps) call the API directly.
 */
function deployCall(ctx: Ctx): CtRecord {
  const { who } = ctx;
  if (!who || who.principal.name !== 'github-actions-deploy' || !ctx.rng.chance(0.8)) return {};
  return { userIdentity: { ...who.identity, invokedBy: CFN }, sourceIPAddress: CFN, userAgent: CFN };
}

/** Deploys come from the pipeline roles; the legacy IAM user only syncs files. */
const deployRole = (p: Principal): boolean => p.kind === 'ci' && p.type === 'AssumedRole';

/** EC2's refusal, naming the caller as EC2 does (the encoded authorization message is opaque). */
const deniedMessage = (ctx: Ctx, action: string): string =>
  `You are not authorized to perform this operation. User: ${String(ctx.who?.identity['arn'] ?? '')} is not authorized to perform: ec2:${action} on resource: arn:aws:ec2:${ctx.region}:${ctx.account.id}:instance/* because no identity-based policy allows the ec2:${action} action. Encoded authorization failure message: ${chars(ctx.rng, ALNUM + '-_', 120)}`;

const otherAccountOf = (ctx: Ctx): string => (ACCOUNTS.find((a) => a.id !== ctx.account.id) as Account).id;

const functionArn = (ctx: Ctx, fn: string): string => `arn:aws:lambda:${ctx.region}:${ctx.account.id}:function:${fn}`;

const PRIVATE_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.10.0/24'];

/**
 * An ingress rule as a deploy or an engineer writes it every day: from a private range or from
 * another security group, in both request shapes (nested `ipPermissions`, flat `cidrIp`); now and
 * then HTTPS from anywhere for a public load balancer, which only the low change rule records.
 */
function everydayIngress(ctx: Ctx): CtRecord {
  const { rng, estate, account } = ctx;
  const groupId = rng.pick(estate.securityGroups);
  const port = rng.pick([443, 5432, 6379, 22, 8080, 3306]);
  const roll = rng.float();
  const ruleId = `sgr-0${chars(rng, HEX, 16)}`;
  const response = (extra: JsonObject): Json => ({
    requestId: uuid(rng),
    _return: true,
    securityGroupRuleSet: { items: [{ groupOwnerId: account.id, groupId, securityGroupRuleId: ruleId, isEgress: false, ipProtocol: 'tcp', fromPort: extra['fromPort'] ?? port, toPort: extra['toPort'] ?? port, ...extra }] },
  });
  const nested = (perm: JsonObject): JsonObject => ({ groupId, ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: port, toPort: port, groups: {}, ipRanges: {}, ipv6Ranges: {}, prefixListIds: {}, ...perm }] } });
  if (roll < 0.1) {
    return {
      requestParameters: { groupId, ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, groups: {}, ipRanges: { items: [{ cidrIp: '0.0.0.0/0', description: 'public load balancer' }] }, ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] }, prefixListIds: {} }] } },
      responseElements: response({ fromPort: 443, toPort: 443, cidrIpv4: '0.0.0.0/0' }),
    };
  }
  if (roll < 0.4) {
    const source = rng.pick(estate.securityGroups);
    return { requestParameters: nested({ groups: { items: [{ groupId: source }] } }), responseElements: response({ referencedGroupInfo: { groupId: source, userId: account.id } }) };
  }
  const cidr = rng.chance(0.5) ? `${estate.vpcPrefix}.0.0/16` : rng.pick(PRIVATE_CIDRS);
  if (roll < 0.8) return { requestParameters: nested({ ipRanges: { items: [{ cidrIp: cidr, description: 'internal' }] } }), responseElements: response({ cidrIpv4: cidr }) };
  return { requestParameters: { groupId, ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIp: cidr, ipPermissions: {} }, responseElements: response({ cidrIpv4: cidr }) };
}

/** Lambda records the function as an ARN in some calls, a name in others; replace the sample's. */
function withFunction(base: CtRecord, sampleName: string, fn: string): CtRecord {
  return {
    requestParameters: deepReplace(base['requestParameters'] ?? null, sampleName, fn),
    responseElements: deepReplace(base['responseElements'] ?? null, sampleName, fn),
  };
}

/** The function's configuration as Lambda returns it after an everyday change: its own role, the time, what was set. */
function functionResponse(ctx: Ctx, changed: CtRecord, fn: string, set: JsonObject): Json {
  const response = changed['responseElements'];
  if (response === null || typeof response !== 'object' || Array.isArray(response)) return response ?? null;
  return {
    ...response,
    ...set,
    role: `arn:aws:iam::${ctx.account.id}:role/${fn}-role`,
    lastModified: `${new Date(ctx.t).toISOString().slice(0, 23)}+0000`,
    revisionId: uuid(ctx.rng),
  };
}

/**
 * Read calls of the services whose writes the everyday mix makes rare. They take the weight those
 * templates had when they were clones of attack records, so the mix keeps its volume and the common
 * templates their shares. Shapes as the everyday corpus (scripts/make-everyday-corpus.ts) records them.
 */
const EVERYDAY_READS: Array<{ source: string; name: string; params: (ctx: Ctx) => Json }> = [
  { source: 'ec2', name: 'DescribeSecurityGroups', params: (c) => ({ securityGroupSet: {}, securityGroupIdSet: { items: [{ groupId: c.rng.pick(c.estate.securityGroups) }] }, filterSet: {} }) },
  { source: 'ec2', name: 'DescribeSnapshots', params: () => ({ snapshotSet: {}, ownersSet: { items: [{ owner: 'self' }] } }) },
  { source: 'ec2', name: 'DescribeImages', params: () => ({ imagesSet: {}, ownersSet: { items: [{ owner: 'self' }] } }) },
  { source: 'ec2', name: 'DescribeVpcs', params: () => ({ vpcSet: {}, filterSet: {} }) },
];
const IAM_READS: Array<{ name: string; params: (ctx: Ctx) => Json }> = [
  { name: 'ListUsers', params: () => null },
  { name: 'GetAccountSummary', params: () => null },
  { name: 'GetRole', params: (c) => ({ roleName: c.rng.pick(c.estate.roles) }) },
  { name: 'ListAttachedRolePolicies', params: (c) => ({ roleName: c.rng.pick(c.estate.roles) }) },
];

const SCOPED_POLICIES = [
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
  'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
  'arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy',
];

/** A trust policy for one AWS service, as CloudFormation and Terraform send it (a JSON string). */
const serviceTrust = (service: string): string =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });

/**
 * Each workload reads its own secrets and parameters (and the shared ones), never the other
 * workloads': the distinct-value burst rules tell that from harvesting.
 */
const OWN_READS: Record<string, string[]> = {
  'orders-api-task': ['orders/', 'shared/'],
  'billing-worker': ['billing/', 'shared/'],
  'data-pipeline-lambda': ['pipeline/', 'shared/'],
  'image-resizer-lambda': ['auth/', 'shared/'],
  'ec2-app-instance-role': ['orders/', 'shared/', 'ami/'],
};

function ownReads(ctx: Ctx, all: readonly string[], owns: (item: string, prefix: string) => boolean): string[] {
  const prefixes = OWN_READS[ctx.who?.principal.name ?? ''] ?? [];
  const mine = all.filter((item) => prefixes.some((p) => owns(item, p) || owns(item, `/${p}`)));
  return mine.length > 0 ? mine : [...all];
}

const SSM_FLEET_DOCUMENTS = ['AWS-RunPatchBaseline', 'AWS-UpdateSSMAgent', 'AWS-ConfigureAWSPackage', 'AWS-RefreshAssociation'];

/** Session Manager names a session after the caller: the IAM user name, or the role session name. */
function sessionUser(ctx: Ctx): string {
  const identity = ctx.who?.identity ?? {};
  if (typeof identity['userName'] === 'string') return identity['userName'];
  return String(identity['arn'] ?? '').split('/').pop() ?? 'session';
}

const SEND_COMMAND = sample('aws.execution.ssm-send-command.json', 'SendCommand');

/** SendCommand as CloudTrail records it: the parameters hidden, the command echoed in the response. */
function sendCommand(ctx: Ctx, documentName: string, target: { instanceIds: string[] } | { targets: JsonObject[] }): CtRecord {
  const command = { ...((SEND_COMMAND['responseElements'] as JsonObject)['command'] as JsonObject) };
  const instanceIds = 'instanceIds' in target ? target.instanceIds : [];
  Object.assign(command, {
    commandId: uuid(ctx.rng),
    documentName,
    instanceIds,
    targets: 'targets' in target ? target.targets : [],
    targetCount: instanceIds.length,
    outputS3Region: ctx.region,
    requestedDateTime: stsDate(ctx.t),
    expiresAfter: stsDate(ctx.t + 2 * HOUR),
  });
  return {
    requestParameters: { documentName, ...target, interactive: false, parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
    responseElements: { command },
  };
}

/** The function names in the Stratus Lambda samples, replaced by the estate's. */
const LAMBDA_SAMPLE_NAMES = { code: 'stratus-red-team-olc-func-vayhjqkdav', layer: 'stratus-red-team-lambda-layer-simpleLambda', backdoor: 'stratus-red-team-backdoor-f-func' };

/**
 * Invoke permission for the AWS service that triggers a function, held to its source by `sourceArn`
 * (and `sourceAccount` for S3, whose bucket ARNs carry no account): what CloudFormation and Terraform
 * write for S3 notifications, EventBridge schedules and API Gateway integrations.
 */
function servicePermission(ctx: Ctx): CtRecord {
  const { rng, account, region, estate } = ctx;
  const fn = rng.pick(estate.functions);
  const statementId = `${fn}-${chars(rng, 'abcdefghijklmnopqrstuvwxyz0123456789', 8)}`;
  const kind = rng.int(3);
  const principal = ['s3.amazonaws.com', 'events.amazonaws.com', 'apigateway.amazonaws.com'][kind] as string;
  const sourceArn = kind === 0
    ? `arn:aws:s3:::${rng.pick(estate.buckets)}`
    : kind === 1
      ? `arn:aws:events:${region}:${account.id}:rule/${fn}-schedule`
      : `arn:aws:execute-api:${region}:${account.id}:${keyed(`api|${account.id}|${fn}`, 'abcdefghijklmnopqrstuvwxyz0123456789', 10)}/*/*/*`;
  const condition: JsonObject = kind === 0 ? { StringEquals: { 'AWS:SourceAccount': account.id }, ArnLike: { 'AWS:SourceArn': sourceArn } } : { ArnLike: { 'AWS:SourceArn': sourceArn } };
  return {
    requestParameters: { functionName: fn, statementId, action: 'lambda:InvokeFunction', principal, sourceArn, ...(kind === 0 ? { sourceAccount: account.id } : {}) },
    responseElements: { statement: JSON.stringify({ Sid: statementId, Effect: 'Allow', Principal: { Service: principal }, Action: 'lambda:InvokeFunction', Resource: functionArn(ctx, fn), Condition: condition }) },
  };
}

const TEMPLATES: Template[] = [
  // S3 data events: the bulk of a trail that logs them.
  { label: 's3 GetObject', weight: 170, kinds: ['app', 'instance', 'ci'], sample: S3, vary: (c) => s3Object(c, 'GetObject', { readOnly: true, bytesOut: c.rng.range(200, 4_000_000) }) },
  { label: 's3 PutObject', weight: 100, kinds: ['app', 'instance', 'ci'], sample: S3, vary: (c) => s3Object(c, 'PutObject', { readOnly: false, bytesIn: c.rng.range(200, 8_000_000) }) },
  { label: 's3 HeadObject', weight: 40, kinds: ['app', 'instance'], sample: S3, vary: (c) => s3Object(c, 'HeadObject', { readOnly: true }) },
  { label: 's3 ListObjects', weight: 15, kinds: ['app', 'ci', 'human'], sample: S3, vary: (c) => ({ ...s3Object(c, 'ListObjects', { readOnly: true, withKey: false }), requestParameters: { bucketName: c.rng.pick(c.estate.buckets), Host: `s3.${c.region}.amazonaws.com`, 'list-type': '2', prefix: 'uploads/' } }) },
  // Sporadic single deletes: match s3-mass-delete, never reach its threshold.
  { label: 's3 DeleteObject (sporadic)', weight: 1.5, kinds: ['app', 'ci'], sample: S3, matches: ['s3-mass-delete'], vary: (c) => s3Object(c, 'DeleteObject', { readOnly: false }) },
  // STS
  {
    label: 'sts AssumeRole', weight: 100, kinds: ['service', 'service', 'human', 'ci', 'app'], sample: sample('aws.credential-access.ec2-get-password-data.json', 'AssumeRole'),
    vary: (c, base) => {
      const role = c.rng.pick(c.estate.roles);
      const session = c.rng.chance(0.5) ? `${role}-${c.rng.int(100000)}` : `botocore-session-${Math.floor(c.t / 1000)}`;
      const roleArn = `arn:aws:iam::${c.account.id}:role/${role}`;
      const creds = ((base['responseElements'] as JsonObject | null)?.['credentials'] ?? {}) as JsonObject;
      return {
        requestParameters: { roleArn, roleSessionName: session, durationSeconds: 3600 },
        responseElements: {
          credentials: { accessKeyId: `ASIA${chars(c.rng, UPPER_ALNUM, 16)}`, sessionToken: creds['sessionToken'] ?? '', expiration: stsDate(c.t + HOUR) },
          assumedRoleUser: { assumedRoleId: `AROA${keyed(`rid|${c.account.id}|${role}`, UPPER_ALNUM, 17)}:${session}`, arn: `arn:aws:sts::${c.account.id}:assumed-role/${role}/${session}` },
        },
        resources: [{ accountId: c.account.id, type: 'AWS::IAM::Role', ARN: roleArn }],
      };
    },
  },
  { label: 'sts GetCallerIdentity', weight: 35, kinds: ['human', 'ci', 'app', 'instance'], sample: sample('aws.credential-access.ec2-steal-instance-credentials.json', 'GetCallerIdentity') },
  // GetFederationToken (identity brokers of old) is a planted incident only: nothing in this estate uses it.
  // EC2
  { label: 'ec2 DescribeInstances', weight: 80, kinds: ['human', 'ci', 'app', 'instance'], sample: sample('aws.execution.ec2-user-data.json', 'DescribeInstances'), vary: (c) => ({ requestParameters: { instancesSet: c.rng.chance(0.6) ? instanceItems(c, c.rng.range(1, 3)) : {}, filterSet: {} } }) },
  // Terraform refreshing the instances it manages reads their attributes, user data among them
  // (spread over the day here, not the per-plan bursts a large estate would show).
  {
    label: 'ec2 DescribeInstanceAttribute', weight: 4, kinds: ['ci'], who: (p) => p.name === 'terraform-apply', sample: sample('aws.discovery.ec2-download-user-data.json', 'DescribeInstanceAttribute'),
    vary: (c) => ({ requestParameters: { instanceId: c.rng.pick(c.estate.instances), attribute: c.rng.pick(['userData', 'disableApiTermination', 'instanceInitiatedShutdownBehavior', 'disableApiStop', 'instanceType']) }, errorCode: REMOVE, errorMessage: REMOVE, responseElements: null }),
  },
  // An administrator fetching one Windows password now and then (allowed); the rest of the weight the
  // denied-sweep clone had went to everyday reads.
  { label: 'ec2 GetPasswordData', weight: 0.01, kinds: ['human'], sample: sample('aws.credential-access.ec2-get-password-data.json', 'GetPasswordData'), vary: (c) => ({ requestParameters: { instanceId: c.rng.pick(c.estate.instances) }, errorCode: REMOVE, errorMessage: REMOVE, responseElements: { instanceId: c.rng.pick(c.estate.instances), timestamp: c.t, passwordData: '<sensitiveDataRemoved>' } }) },
  { label: 'ec2 StartInstances', weight: 3, kinds: ['human', 'ci'], sample: sample('aws.execution.ec2-user-data.json', 'StartInstances') },
  { label: 'ec2 StopInstances', weight: 3, kinds: ['human', 'ci'], sample: sample('aws.execution.ec2-user-data.json', 'StopInstances') },
  // Resizing a stopped instance or protecting it from termination; user data is set at launch, and
  // rewriting it is a planted incident.
  {
    label: 'ec2 ModifyInstanceAttribute', weight: 1, kinds: ['ci', 'human'], sample: sample('aws.execution.ec2-user-data.json', 'ModifyInstanceAttribute'),
    vary: (c) => ({
      requestParameters: c.rng.chance(0.6)
        ? { instanceId: c.rng.pick(c.estate.instances), instanceType: { value: c.rng.pick(['m6i.large', 'm6i.xlarge', 't3.large', 'c6i.large']) } }
        : { instanceId: c.rng.pick(c.estate.instances), disableApiTermination: { value: true } },
      responseElements: { requestId: uuid(c.rng), _return: true },
    }),
  },
  // People-driven changes at the rates of this estate (seven engineers, three accounts; a regional
  // template of weight 0.01 is about 6 calls a day): a security group rule changed by hand or by
  // Terraform about a dozen times a day; the pipeline's CloudFormation deploys change them in bursts,
  // scheduled with the planned events.
  { label: 'ec2 AuthorizeSecurityGroupIngress', weight: 0.02, kinds: ['ci', 'human'], who: (p) => p.type !== 'IAMUser' || p.kind === 'human', sample: sample('aws.exfiltration.ec2-security-group-open-port-22-ingress.json', 'AuthorizeSecurityGroupIngress'), vary: (c) => ({ ...everydayIngress(c), ...deployCall(c) }) },
  // Snapshots: a share with the DR account revoked once its copy is done (the share itself is a
  // planted incident: the rule cannot tell the own organization's accounts from anyone else's).
  {
    label: 'ec2 ModifySnapshotAttribute (share revoked)', weight: 0.5, kinds: ['ci'], who: deployRole, sample: sample('aws.exfiltration.ec2-share-ebs-snapshot.json', 'ModifySnapshotAttribute'),
    vary: (c) => ({ requestParameters: { snapshotId: c.rng.pick(c.estate.snapshots), attributeType: 'CREATE_VOLUME_PERMISSION', createVolumePermission: { remove: { items: [{ userId: otherAccountOf(c) }] } } }, responseElements: { requestId: uuid(c.rng), _return: true } }),
  },
  // Images: the golden-AMI pipeline shares with the organization (not counted by ec2-ami-shared), or
  // updates a description, or revokes an old account share.
  {
    label: 'ec2 ModifyImageAttribute (organization share)', weight: 0.3, kinds: ['ci'], who: deployRole, sample: sample('aws.exfiltration.ec2-share-ami.json', 'ModifyImageAttribute'),
    vary: (c) => {
      const imageId = c.rng.pick(c.estate.images);
      const roll = c.rng.float();
      const requestParameters: JsonObject = roll < 0.6
        ? { imageId, attributeType: 'launchPermission', launchPermission: { add: { items: [{ organizationArn: `arn:aws:organizations::${PROD.id}:organization/o-${keyed('org', 'abcdefghijklmnopqrstuvwxyz0123456789', 10)}` }] } } }
        : roll < 0.8
          ? { imageId, attributeType: 'description', description: { value: `golden image ${isoSeconds(c.t).slice(0, 10)}` } }
          : { imageId, attributeType: 'launchPermission', launchPermission: { remove: { items: [{ userId: otherAccountOf(c) }] } } };
      return { requestParameters, responseElements: { requestId: uuid(c.rng), _return: true } };
    },
  },
  // VPC flow logs are deleted by the few stack teardowns a week, scheduled with the planned events.
  // Instance Connect from the console's Connect button: about a dozen key pushes a day.
  { label: 'ec2-instance-connect SendSSHPublicKey', weight: 0.02, kinds: ['human'], sample: sample('aws.lateral-movement.ec2-instance-connect.json', 'SendSSHPublicKey'), vary: (c) => ({ requestParameters: { instanceId: c.rng.pick(c.estate.instances), instanceOSUser: c.rng.pick(['ec2-user', 'ubuntu']), sSHPublicKey: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${chars(c.rng, BASE64, 43)}` } }) },
  // A lone refused RunInstances now and then (an ordinary type): matches ec2-denied-run-instances, never a burst.
  { label: 'ec2 RunInstances (denied, lone)', weight: 0.03, kinds: ['app'], sample: sample('aws.execution.ec2-launch-unusual-instances.json', 'RunInstances'), matches: ['ec2-denied-run-instances'], vary: (c) => ({ errorMessage: deniedMessage(c, 'RunInstances'), requestParameters: { instancesSet: { items: [{ imageId: c.rng.pick(c.estate.images), minCount: 1, maxCount: 1 }] }, instanceType: c.rng.pick(['t3.medium', 'm6i.large']), blockDeviceMapping: {}, monitoring: { enabled: false }, disableApiTermination: false, disableApiStop: false, clientToken: uuid(c.rng) } }) },
  {
    // Weight freed by the denied GetPasswordData sweep (0.99), GetFederationToken, DeleteFlowLogs and
    // DeleteResolverQueryLogConfig (0.1 each), and by the people-driven templates brought to everyday
    // rates (security group rules 1.98, Instance Connect 0.48, Session Manager 2 x 0.96).
    label: 'ec2 reads', weight: 0.99 + 0.1 + 0.1 + 0.1 + 1.98 + 0.48 + 2 * 0.96, kinds: ['human', 'ci', 'app'], sample: sample('aws.execution.ec2-user-data.json', 'DescribeInstances'),
    vary: (c) => {
      const call = c.rng.pick(EVERYDAY_READS);
      return { eventSource: `${call.source}.amazonaws.com`, eventName: call.name, readOnly: true, requestParameters: call.params(c), responseElements: null };
    },
  },
  // SSM
  { label: 'ssm DescribeInstanceInformation', weight: 110, kinds: ['instance', 'instance', 'human'], sample: sample('aws.credential-access.ec2-steal-instance-credentials.json', 'DescribeInstanceInformation'), vary: (c) => ({ requestParameters: { filters: [{ key: 'InstanceIds', values: [c.rng.pick(c.estate.instances)] }] } }) },
  {
    label: 'ssm GetParameters', weight: 50, kinds: ['app', 'instance'], sample: sample('aws.credential-access.ssm-retrieve-securestring-parameters.json', 'GetParameters'),
    vary: (c) => {
      const mine = ownReads(c, c.estate.parameters, (name, prefix) => name.startsWith(prefix));
      const names = [...new Set([c.rng.pick(mine), c.rng.pick(mine)])];
      return { requestParameters: { names, withDecryption: true }, resources: names.map((n) => ({ accountId: c.account.id, ARN: `arn:aws:ssm:${c.region}:${c.account.id}:parameter${n}` })) };
    },
  },
  { label: 'ssm DescribeParameters', weight: 12, kinds: ['human', 'ci'], sample: sample('aws.credential-access.ssm-retrieve-securestring-parameters.json', 'DescribeParameters') },
  { label: 'ssm GetCommandInvocation', weight: 8, kinds: ['human', 'ci'], sample: sample('aws.credential-access.ec2-steal-instance-credentials.json', 'GetCommandInvocation') },
  // Run Command as fleets use it: patching, agent updates and packages, on instances picked by tag.
  {
    label: 'ssm SendCommand (fleet documents)', weight: 1.99, kinds: ['human', 'ci'], sample: sample('aws.execution.ssm-send-command.json', 'SendCommand'),
    vary: (c) => sendCommand(c, c.rng.pick(SSM_FLEET_DOCUMENTS), c.rng.chance(0.7) ? { targets: [{ key: 'tag:PatchGroup', values: [c.rng.pick(['web', 'workers', 'bastion'])] }] } : { instanceIds: [c.rng.pick(c.estate.instances)] }),
  },
  // An engineer running a shell command on an instance or two: everyday operations, and what
  // ssm-send-command alerts on (see bench/RESULTS.md).
  {
    label: 'ssm SendCommand (ad-hoc shell)', weight: 0.01, kinds: ['human'], sample: sample('aws.execution.ssm-send-command.json', 'SendCommand'),
    vary: (c) => sendCommand(c, 'AWS-RunShellScript', { instanceIds: Array.from({ length: c.rng.range(1, 2) }, () => c.rng.pick(c.estate.instances)) }),
  },
  // Session Manager in place of SSH: engineers open a few sessions each a day (about 25 in all).
  {
    label: 'ssm StartSession', weight: 0.04, kinds: ['human'], sample: sample('aws.execution.ssm-start-session.json', 'StartSession'),
    vary: (c, base) => {
      const sessionId = `${sessionUser(c)}-${chars(c.rng, 'abcdefghijklmnopqrstuvwxyz0123456789', 26)}`;
      const stream = String((base['responseElements'] as JsonObject)['streamUrl']).replace(/data-channel\/[^?]+/, `data-channel/${sessionId}`);
      return { requestParameters: { target: c.rng.pick(c.estate.instances) }, responseElements: { sessionId, streamUrl: stream, tokenValue: 'Value hidden due to security reasons.' } };
    },
  },
  {
    label: 'ssm TerminateSession', weight: 0.04, kinds: ['human'], sample: sample('aws.execution.ssm-start-session.json', 'TerminateSession'),
    vary: (c) => {
      const sessionId = `${sessionUser(c)}-${chars(c.rng, 'abcdefghijklmnopqrstuvwxyz0123456789', 26)}`;
      return { requestParameters: { sessionId }, responseElements: { sessionId } };
    },
  },
  // Secrets Manager
  { label: 'secretsmanager GetSecretValue', weight: 70, kinds: ['app', 'instance'], sample: sample('aws.credential-access.secretsmanager-retrieve-secrets.json', 'GetSecretValue'), vary: (c) => ({ requestParameters: { secretId: c.rng.pick(ownReads(c, c.estate.secrets, (arn, prefix) => arn.includes(`:secret:${prefix}`))) } }) },
  { label: 'secretsmanager ListSecrets', weight: 6, kinds: ['human', 'ci'], sample: sample('aws.credential-access.secretsmanager-retrieve-secrets.json', 'ListSecrets'), vary: (c) => ({ requestParameters: c.rng.chance(0.5) ? { maxResults: 100 } : { filters: [{ key: 'name', values: [c.rng.pick(['orders/', 'billing/', 'shared/'])] }], maxResults: 100 } }) },
  // One worker fetches its few secrets in one call at task start; BatchGetSecretValue by filter (the
  // Stratus shape) is a planted incident. The weight the attack clone had went to DescribeSecret.
  {
    label: 'secretsmanager BatchGetSecretValue', weight: 0.02, kinds: ['app'], who: (p) => p.name === 'billing-worker', sample: sample('aws.credential-access.secretsmanager-batch-retrieve-secrets.json', 'BatchGetSecretValue'),
    vary: (c) => ({ requestParameters: { secretIdList: c.estate.secrets.filter((x) => /:secret:(billing|shared)\//.test(x)) } }),
  },
  { label: 'secretsmanager DescribeSecret', weight: 3.98, kinds: ['app', 'ci'], sample: sample('aws.credential-access.secretsmanager-retrieve-secrets.json', 'GetSecretValue'), vary: (c) => ({ eventName: 'DescribeSecret', requestParameters: { secretId: c.rng.pick(c.estate.secrets) }, responseElements: null }) },
  // Bedrock
  { label: 'bedrock InvokeModel', weight: 20, kinds: ['app'], sample: sample('aws.impact.bedrock-invoke-model.json', 'InvokeModel'), vary: (c) => ({ requestParameters: { modelId: c.rng.pick(c.estate.models) } }) },
  { label: 'bedrock GetFoundationModelAvailability', weight: 8, kinds: ['app', 'human'], sample: sample('aws.impact.bedrock-invoke-model.json', 'GetFoundationModelAvailability'), vary: (c) => ({ requestParameters: { modelId: c.rng.pick(c.estate.models) } }) },
  { label: 'bedrock ListFoundationModelAgreementOffers', weight: 2, kinds: ['human'], sample: sample('aws.impact.bedrock-invoke-model.json', 'ListFoundationModelAgreementOffers') },
  // Lambda, RDS, Route 53 Resolver: deploys
  // Deploys by the pipeline roles, through CloudFormation or Terraform: code, configuration (layers
  // included), and invoke permissions for the services that trigger the functions.
  {
    label: 'lambda UpdateFunctionCode', weight: 2, kinds: ['ci'], who: deployRole, sample: sample('aws.persistence.lambda-overwrite-code.json', 'UpdateFunctionCode20150331v2'),
    vary: (c, base) => {
      const fn = c.rng.pick(c.estate.functions);
      const changed = withFunction(base, LAMBDA_SAMPLE_NAMES.code, fn);
      return { ...changed, responseElements: functionResponse(c, changed, fn, { codeSha256: chars(c.rng, BASE64, 43) + '=' }), ...deployCall(c) };
    },
  },
  {
    label: 'lambda UpdateFunctionConfiguration', weight: 1.5, kinds: ['ci'], who: deployRole, sample: sample('aws.persistence.lambda-layer-extension.json', 'UpdateFunctionConfiguration20150331v2'),
    vary: (c, base) => {
      const fn = c.rng.pick(c.estate.functions);
      const changed = withFunction(base, LAMBDA_SAMPLE_NAMES.layer, fn);
      const layer = `arn:aws:lambda:${c.region}:${c.account.id}:layer:shared-deps:${c.rng.range(10, 40)}`;
      const set: JsonObject = c.rng.chance(0.5) ? { layers: [layer] } : { memorySize: c.rng.pick([256, 512, 1024]), timeout: c.rng.pick([15, 30, 60]) };
      const requestParameters = { functionName: functionArn(c, fn), ...(set['layers'] ? { environment: {} } : {}), ...set };
      const layers: Json = set['layers'] ? [{ arn: layer, codeSize: c.rng.range(200_000, 4_000_000) }] : [];
      return { ...changed, requestParameters, responseElements: functionResponse(c, changed, fn, { ...set, layers }), ...deployCall(c) };
    },
  },
  {
    label: 'lambda AddPermission (service trigger)', weight: 0.5, kinds: ['ci'], who: deployRole, sample: sample('aws.persistence.lambda-backdoor-function.json', 'AddPermission20150331v2'),
    vary: (c) => ({ ...servicePermission(c), ...deployCall(c) }),
  },
  // RDS: a manual snapshot's share with another account revoked (the share is a planted incident).
  {
    label: 'rds ModifyDBSnapshotAttribute (share revoked)', weight: 0.2, kinds: ['ci'], who: deployRole, sample: sample('aws.exfiltration.rds-share-snapshot.json', 'ModifyDBSnapshotAttribute'),
    vary: (c) => {
      const id = c.rng.pick(c.estate.dbSnapshots);
      return { requestParameters: { attributeName: 'restore', dBSnapshotIdentifier: id, valuesToRemove: [otherAccountOf(c)] }, responseElements: { dBSnapshotAttributes: [{ attributeName: 'restore', attributeValues: [] }], dBSnapshotIdentifier: id } };
    },
  },
  // DNS query logging is removed by the few stack teardowns a week, scheduled with the planned events.
  // Global services, delivered in us-east-1 only.
  { label: 'signin ConsoleLogin', weight: 1, kinds: ['human'], iamUserOnly: true, global: true, sample: sample('aws.initial-access.console-login-without-mfa.json', 'ConsoleLogin'), vary: () => ({ additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'Yes' } }) },
  // IAM writes at the rates of a small estate (a few a day, deploys included): IAM users rotating their
  // own keys, deploys creating service roles with scoped policies, an engineer created now and then
  // and onboarded with a console password (which iam-login-profile-for-other-user reports). The weight
  // the attack clones had beyond that went to IAM reads. Backdoor users, admin grants and trust
  // policies opened to outside accounts are planted incidents.
  {
    label: 'iam CreateAccessKey (own key rotated)', weight: 0.01, kinds: ['human', 'ci'], who: (p) => p.type === 'IAMUser', global: true, sample: sample('aws.persistence.iam-backdoor-user.json', 'CreateAccessKey'),
    vary: (c) => {
      const userName = String(c.who?.identity['userName'] ?? '');
      return { requestParameters: c.rng.chance(0.5) ? { userName } : null, responseElements: { accessKey: { accessKeyId: `AKIA${chars(c.rng, UPPER_ALNUM, 16)}`, createDate: iamDate(c.t), status: 'Active', userName } } };
    },
  },
  {
    label: 'iam AttachRolePolicy (scoped)', weight: 0.05, kinds: ['ci'], who: deployRole, global: true, sample: sample('aws.persistence.iam-create-backdoor-role.json', 'AttachRolePolicy'),
    vary: (c) => ({ requestParameters: { roleName: `${c.rng.pick(c.estate.functions)}-role`, policyArn: c.rng.pick(SCOPED_POLICIES) }, ...deployCall(c) }),
  },
  {
    label: 'iam CreateRole (service role)', weight: 0.05, kinds: ['ci'], who: deployRole, global: true, sample: sample('aws.persistence.iam-create-backdoor-role.json', 'CreateRole'),
    vary: (c) => {
      const roleName = `${c.rng.pick(c.estate.functions)}-role-${chars(c.rng, UPPER_ALNUM, 8)}`;
      const trust = serviceTrust(c.rng.pick(['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'ec2.amazonaws.com']));
      return {
        requestParameters: { roleName, assumeRolePolicyDocument: trust },
        responseElements: { role: { path: '/', roleName, roleId: `AROA${chars(c.rng, UPPER_ALNUM, 17)}`, arn: `arn:aws:iam::${c.account.id}:role/${roleName}`, createDate: iamDate(c.t), assumeRolePolicyDocument: encodeURIComponent(trust) } },
        ...deployCall(c),
      };
    },
  },
  {
    label: 'iam UpdateAssumeRolePolicy (service trust)', weight: 0.02, kinds: ['ci'], who: deployRole, global: true, sample: sample('aws.persistence.iam-backdoor-role.json', 'UpdateAssumeRolePolicy'),
    vary: (c) => ({ requestParameters: { roleName: c.rng.pick(c.estate.roles), policyDocument: serviceTrust(c.rng.pick(['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'ec2.amazonaws.com'])) }, ...deployCall(c) }),
  },
  {
    label: 'iam CreateUser (new engineer)', weight: 0.005, kinds: ['human'], global: true, matches: ['iam-new-user-with-credentials'], sample: sample('aws.persistence.iam-create-admin-user.json', 'CreateUser'),
    vary: (c) => {
      const userName = `eng-${chars(c.rng, 'abcdefghijklmnopqrstuvwxyz', 6)}`;
      return { requestParameters: { userName }, responseElements: { user: { path: '/', userName, userId: `AIDA${chars(c.rng, UPPER_ALNUM, 17)}`, arn: `arn:aws:iam::${c.account.id}:user/${userName}`, createDate: iamDate(c.t) } } };
    },
  },
  { label: 'iam AttachUserPolicy (read-only)', weight: 0.005, kinds: ['human'], global: true, sample: sample('aws.persistence.iam-create-admin-user.json', 'AttachUserPolicy'), vary: (c) => ({ requestParameters: { userName: `eng-${chars(c.rng, 'abcdefghijklmnopqrstuvwxyz', 6)}`, policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' } }) },
  {
    label: 'iam CreateLoginProfile (onboarding)', weight: 0.003, kinds: ['human'], global: true, matches: ['iam-new-user-with-credentials'], sample: sample('aws.persistence.iam-create-user-login-profile.json', 'CreateLoginProfile'),
    vary: (c) => {
      const userName = `eng-${chars(c.rng, 'abcdefghijklmnopqrstuvwxyz', 6)}`;
      return { requestParameters: { userName, passwordResetRequired: true }, responseElements: { loginProfile: { userName, passwordResetRequired: true, createDate: iamDate(c.t) } } };
    },
  },
  {
    label: 'iam DeleteLoginProfile (refused)', weight: 0.01, kinds: ['human'], global: true, sample: sample('aws.persistence.iam-create-user-login-profile.json', 'DeleteLoginProfile'),
    vary: (c, base) => {
      const user = c.rng.pick(c.estate.users);
      return { requestParameters: { userName: user }, errorMessage: deepReplace(base['errorMessage'] ?? null, 'stratus-red-team-login-profile-user', user) };
    },
  },
  { label: 'iam UpdateLoginProfile (password reset)', weight: 0.003, kinds: ['human'], global: true, sample: sample('aws.privilege-escalation.iam-update-user-login-profile.json', 'UpdateLoginProfile'), vary: (c) => ({ requestParameters: { userName: c.rng.pick(['alice', 'bob', 'carol', 'dave', 'erin']), passwordResetRequired: true } }) },
  {
    // Weight freed by the IAM writes above (0.4 + 0.4 + 0.4 + 0.3 + 0.2 + 0.1 + 0.2 + 0.1 + 0.2 = 2.3 before).
    label: 'iam reads', weight: 2.3 - (0.01 + 0.05 + 0.05 + 0.02 + 0.005 + 0.005 + 0.003 + 0.01 + 0.003), kinds: ['human', 'ci'], global: true, sample: sample('aws.persistence.iam-create-admin-user.json', 'CreateUser'),
    vary: (c) => {
      const call = c.rng.pick(IAM_READS);
      return { eventName: call.name, readOnly: true, requestParameters: call.params(c), responseElements: null };
    },
  },
];

/** Localized templates per stream, with principals allowed for each. */
interface StreamTable {
  stream: Stream;
  entries: { template: Template; base: CtRecord; principals: Principal[] }[];
  cumulative: number[];
  total: number;
}

function tableFor(stream: Stream): StreamTable {
  const entries: StreamTable['entries'] = [];
  const cumulative: number[] = [];
  let total = 0;
  for (const template of TEMPLATES) {
    if (template.global && stream.region !== GLOBAL_REGION) continue;
    const principals = PRINCIPALS.filter((p) => template.kinds.includes(p.kind) && (!template.iamUserOnly || p.type === 'IAMUser') && (template.who?.(p) ?? true));
    if (principals.length === 0) throw new Error(`no principal for ${template.label}`);
    entries.push({ template, base: localize(template.sample, stream.account, stream.region), principals });
    total += template.weight;
    cumulative.push(total);
  }
  return { stream, entries, cumulative, total };
}

function pickEntry(table: StreamTable, rng: Rng): StreamTable['entries'][number] {
  const x = rng.float() * table.total;
  let lo = 0;
  let hi = table.cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((table.cumulative[mid] as number) > x) hi = mid;
    else lo = mid + 1;
  }
  return table.entries[lo] as StreamTable['entries'][number];
}

/** One benign record of a stream at time t. */
function benignRecord(table: StreamTable, t: number, rng: Rng, matched: Record<string, number>): CtRecord {
  const { template, base, principals } = pickEntry(table, rng);
  const { account, region } = table.stream;
  const principal = rng.pick(principals);
  const who = identityOf(principal, account, t, rng);
  const ctx: Ctx = { rng, account, region, t, estate: estateOf(account, region), who: { principal, identity: who.identity } };
  const over: CtRecord = {
    userIdentity: who.identity,
    eventTime: isoSeconds(t),
    sourceIPAddress: rng.pick(who.ips),
    userAgent: rng.pick(who.agents),
    requestID: uuid(rng),
    eventID: uuid(rng),
    ...(principal.kind === 'instance' ? fromInsideVpc(ctx, String(base['eventSource'])) : {}),
    ...(template.vary ? template.vary(ctx, base) : {}),
  };
  for (const rule of template.matches ?? []) matched[rule] = (matched[rule] ?? 0) + 1;
  return build(base, over);
}

// ---------------------------------------------------------------------------------------------------
// Planned incidents: what the rules must catch, and near-misses they must not

interface Planned {
  t: number;
  stream: Stream;
  record: CtRecord;
}

interface Plan {
  events: Planned[];
  expectedMatches: Record<string, number>;
  expectedAlerts: Record<string, number>;
  expectedGroupedIncidents: Record<string, number>;
  scenarios: Record<string, number>;
}

const streamOf = (account: Account, region: string): Stream => {
  const s = STREAMS.find((x) => x.account === account && x.region === region);
  if (!s) throw new Error(`no stream ${account.name} ${region}`);
  return s;
};

function planIncidents(rng: Rng): Plan {
  const plan: Plan = { events: [], expectedMatches: {}, expectedAlerts: {}, expectedGroupedIncidents: {}, scenarios: {} };
  const add = (obj: Record<string, number>, key: string, n = 1): void => {
    obj[key] = (obj[key] ?? 0) + n;
  };
  // Incidents of one rule sit in distinct 3-hour slots: far enough apart (more than any window plus
  // grouping period) that each raises exactly one first alert, whoever the principal is.
  const SLOT = 3 * HOUR;
  const slots = Math.floor((END - START) / SLOT);
  const slotPicker = (): (() => number) => {
    const free = Array.from({ length: slots }, (_, i) => i);
    return () => {
      if (free.length === 0) throw new Error('too many incidents for the time range');
      const i = free.splice(rng.int(free.length), 1)[0] as number;
      return START + i * SLOT + 20 * MINUTE + rng.int(100 * MINUTE);
    };
  };
  const event = (stream: Stream, t: number, base: CtRecord, who: { identity: JsonObject; ip: string; agent: string }, over: CtRecord): void => {
    const record = build(localize(base, stream.account, stream.region), {
      userIdentity: who.identity,
      eventTime: isoSeconds(t),
      sourceIPAddress: who.ip,
      userAgent: who.agent,
      requestID: uuid(rng),
      eventID: uuid(rng),
      ...over,
    });
    plan.events.push({ t, stream, record });
  };
  const actor = (p: Principal, account: Account, t: number): { identity: JsonObject; ip: string; agent: string } => {
    const who = identityOf(p, account, t, rng);
    return { identity: who.identity, ip: rng.pick(who.ips), agent: rng.pick(who.agents) };
  };
  const humans = PRINCIPALS.filter((p) => p.kind === 'human');
  const perDay = (n: number): number => Math.max(1, Math.round(n * DAYS));

  // cloudtrail-tampering: single changes; the first incident is StopLogging then DeleteTrail on the same trail.
  {
    const slot = slotPicker();
    const calls = [
      { file: 'aws.defense-evasion.cloudtrail-stop.json', name: 'StopLogging' },
      { file: 'aws.defense-evasion.cloudtrail-delete.json', name: 'DeleteTrail' },
      { file: 'aws.defense-evasion.cloudtrail-event-selectors.json', name: 'PutEventSelectors' },
    ];
    const n = perDay(2);
    for (let i = 0; i < n; i++) {
      const t = slot();
      const account = i % 2 === 0 ? PROD : STAGING;
      const stream = rng.pick(STREAMS.filter((s) => s.account === account));
      const who = actor(rng.pick([...humans, PRINCIPALS.find((p) => p.name === 'terraform-apply') as Principal]), account, t);
      const trail = rng.pick(estateOf(account, stream.region).trails);
      const trailArn = `arn:aws:cloudtrail:${stream.region}:${account.id}:trail/${trail}`;
      const call = calls[i % calls.length] as (typeof calls)[number];
      const refused = i === 1; // a refused attempt alerts too
      const params = call.name === 'PutEventSelectors'
        ? { trailName: trail, eventSelectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: true, dataResources: [], excludeManagementEventSources: [] }] }
        : { name: trailArn };
      event(stream, t, sample(call.file, call.name), who, {
        requestParameters: params,
        ...(refused ? { errorCode: 'AccessDenied', errorMessage: `User: ${String(who.identity['arn'])} is not authorized to perform: cloudtrail:${call.name} on resource: ${trailArn} because no identity-based policy allows the cloudtrail:${call.name} action`, responseElements: null } : {}),
      });
      add(plan.expectedMatches, 'cloudtrail-tampering');
      add(plan.expectedAlerts, 'cloudtrail-tampering');
      if (i === 0) {
        event(stream, t + 6 * MINUTE, sample('aws.defense-evasion.cloudtrail-delete.json', 'DeleteTrail'), who, { requestParameters: { name: trailArn } });
        add(plan.expectedMatches, 'cloudtrail-tampering');
        add(plan.expectedGroupedIncidents, 'cloudtrail-tampering');
      }
      add(plan.scenarios, 'cloudtrail-tampering incidents');
    }
    // Near-misses: StartLogging and GetTrailStatus are not tampering.
    for (let i = 0; i < perDay(2); i++) {
      const t = START + rng.int(END - START - HOUR);
      const stream = rng.pick(STREAMS);
      const who = actor(rng.pick(humans), stream.account, t);
      const name = i % 2 === 0 ? 'StartLogging' : 'GetTrailStatus';
      event(stream, t, sample('aws.defense-evasion.cloudtrail-stop.json', 'StopLogging'), who, {
        eventName: name,
        readOnly: name === 'GetTrailStatus',
        requestParameters: { name: rng.pick(estateOf(stream.account, stream.region).trails) },
      });
      add(plan.scenarios, 'near-miss (StartLogging/GetTrailStatus)');
    }
  }

  // iam-user-deleted: successful DeleteUser (us-east-1); the first incident deletes two users in 3 minutes.
  {
    const slot = slotPicker();
    const base = sample('aws.persistence.iam-create-admin-user.json', 'CreateUser');
    const n = perDay(2);
    for (let i = 0; i < n; i++) {
      const t = slot();
      const account = rng.pick(ACCOUNTS);
      const stream = streamOf(account, GLOBAL_REGION);
      const who = actor(rng.pick(humans), account, t);
      const users = estateOf(account, GLOBAL_REGION).users;
      const del = (at: number, user: string): void =>
        event(stream, at, base, who, { eventName: 'DeleteUser', requestParameters: { userName: user }, responseElements: null });
      del(t, users[i % users.length] as string);
      add(plan.expectedMatches, 'iam-user-deleted');
      add(plan.expectedAlerts, 'iam-user-deleted');
      if (i === 0) {
        del(t + 3 * MINUTE, users[(i + 1) % users.length] as string);
        add(plan.expectedMatches, 'iam-user-deleted');
        add(plan.expectedGroupedIncidents, 'iam-user-deleted');
      }
      add(plan.scenarios, 'iam-user-deleted incidents');
    }
    // Near-miss: a DeleteUser that failed deleted nothing.
    for (let i = 0; i < perDay(1); i++) {
      const t = START + rng.int(END - START - HOUR);
      const account = rng.pick(ACCOUNTS);
      const stream = streamOf(account, GLOBAL_REGION);
      event(stream, t, base, actor(rng.pick(humans), account, t), {
        eventName: 'DeleteUser',
        errorCode: 'NoSuchEntityException',
        errorMessage: 'The user with name nobody cannot be found.',
        requestParameters: { userName: 'nobody' },
        responseElements: null,
      });
      add(plan.scenarios, 'near-miss (failed DeleteUser)');
    }
  }

  // root-account-activity: root console sign-in, then two root API calls within 20 minutes (one incident).
  {
    const slot = slotPicker();
    const n = perDay(1);
    for (let i = 0; i < n; i++) {
      const t = slot();
      const account = rng.pick(ACCOUNTS);
      const stream = streamOf(account, GLOBAL_REGION);
      const root = { identity: ROOT_IDENTITY(account), ip: publicIp(rng), agent: UA.console };
      event(stream, t, sample('aws.initial-access.console-login-without-mfa.json', 'ConsoleLogin'), { ...root, identity: { type: 'Root', principalId: account.id, arn: `arn:aws:iam::${account.id}:root`, accountId: account.id } }, {
        requestParameters: null,
        responseElements: { ConsoleLogin: 'Success' },
        additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' },
      });
      const stop = sample('aws.defense-evasion.cloudtrail-stop.json', 'StopLogging');
      event(stream, t + rng.range(2, 8) * MINUTE, stop, root, { eventSource: 's3.amazonaws.com', eventName: 'ListBuckets', readOnly: true, requestParameters: { Host: 's3.amazonaws.com' } });
      event(stream, t + rng.range(9, 20) * MINUTE, stop, root, { eventSource: 'iam.amazonaws.com', eventName: 'GetAccountSummary', readOnly: true, requestParameters: null });
      // The sign-in is root-console-sign-in's; the API calls after it are root-account-activity's.
      add(plan.expectedMatches, 'root-console-sign-in');
      add(plan.expectedAlerts, 'root-console-sign-in');
      add(plan.expectedMatches, 'root-account-activity', 2);
      add(plan.expectedAlerts, 'root-account-activity');
      add(plan.expectedGroupedIncidents, 'root-account-activity');
      add(plan.scenarios, 'root-account-activity incidents');
    }
  }

  // s3-mass-delete: 30 DeleteObjects by one principal on one bucket within 5 minutes.
  {
    const slot = slotPicker();
    const n = perDay(2);
    for (let i = 0; i < n; i++) {
      const t = slot();
      const stream = rng.pick(STREAMS.filter((s) => s.account !== SANDBOX));
      const p = i % 2 === 0 ? CLEANUP_ROLE : rng.pick(humans);
      const bucket = rng.pick(estateOf(stream.account, stream.region).buckets);
      for (let k = 0; k < 30; k++) {
        const at = t + Math.floor((k * 5 * MINUTE) / 30) + rng.int(8000);
        const ctx: Ctx = { rng, account: stream.account, region: stream.region, t: at, estate: estateOf(stream.account, stream.region) };
        const s3 = s3Object(ctx, 'DeleteObjects', { bucket, readOnly: false, bytesIn: rng.range(2000, 90000), bytesOut: rng.range(500, 20000), withKey: false });
        event(stream, at, S3, actor(p, stream.account, at), { ...s3, requestParameters: { bucketName: bucket, Host: `${bucket}.s3.${stream.region}.amazonaws.com`, delete: '' } });
      }
      add(plan.expectedMatches, 's3-mass-delete', 30);
      add(plan.expectedAlerts, 's3-mass-delete');
      add(plan.expectedGroupedIncidents, 's3-mass-delete');
      add(plan.scenarios, 's3-mass-delete bursts (30 DeleteObjects in 5 min)');
    }
    // Near-miss: 12 deletes in 10 minutes, under the threshold of 20.
    for (let i = 0; i < perDay(1); i++) {
      const t = slot();
      const stream = rng.pick(STREAMS);
      const bucket = rng.pick(estateOf(stream.account, stream.region).buckets);
      for (let k = 0; k < 12; k++) {
        const at = t + k * 50_000;
        const ctx: Ctx = { rng, account: stream.account, region: stream.region, t: at, estate: estateOf(stream.account, stream.region) };
        event(stream, at, S3, actor(CLEANUP_ROLE, stream.account, at), s3Object(ctx, 'DeleteObject', { bucket, readOnly: false }));
      }
      add(plan.expectedMatches, 's3-mass-delete', 12);
      add(plan.scenarios, 'near-miss (12 deletes in 10 min)');
    }
  }

  // ec2-denied-run-instances: 8 refused RunInstances by a stolen role within 10 minutes.
  {
    const slot = slotPicker();
    const base = sample('aws.execution.ec2-launch-unusual-instances.json', 'RunInstances');
    const n = perDay(1);
    for (let i = 0; i < n; i++) {
      const t = slot();
      const stream = rng.pick(STREAMS);
      const who = actor(STOLEN_ROLE, stream.account, t);
      who.ip = publicIp(rng);
      let gpu = 0;
      for (let k = 0; k < 8; k++) {
        const at = t + k * 75_000 + rng.int(20_000);
        const instanceType = rng.pick(['p3.16xlarge', 'p4d.24xlarge', 'g5.48xlarge', 'c7i.48xlarge']);
        if (!instanceType.startsWith('c7i')) gpu++;
        event(stream, at, base, who, {
          requestParameters: {
            instancesSet: { items: [{ imageId: `ami-0${chars(rng, HEX, 16)}`, minCount: 1, maxCount: 10 }] },
            instanceType,
            blockDeviceMapping: {},
            monitoring: { enabled: false },
            disableApiTermination: false,
            disableApiStop: false,
            clientToken: uuid(rng),
          },
          errorMessage: 'You are not authorized to perform this operation.',
        });
      }
      add(plan.expectedMatches, 'ec2-denied-run-instances', 8);
      add(plan.expectedAlerts, 'ec2-denied-run-instances');
      add(plan.expectedGroupedIncidents, 'ec2-denied-run-instances');
      // Those asking for GPU types (all but c7i) are one ec2-unusual-instance-type incident per burst.
      if (gpu > 0) {
        add(plan.expectedMatches, 'ec2-unusual-instance-type', gpu);
        add(plan.expectedAlerts, 'ec2-unusual-instance-type');
        if (gpu > 1) add(plan.expectedGroupedIncidents, 'ec2-unusual-instance-type');
      }
      add(plan.scenarios, 'ec2-denied-run-instances bursts (8 in 10 min)');
    }
    // Near-miss: dry runs that would have succeeded are not denials.
    for (let i = 0; i < perDay(1); i++) {
      const t = START + rng.int(END - START - HOUR);
      const stream = rng.pick(STREAMS);
      const who = actor(PRINCIPALS.find((p) => p.name === 'terraform-apply') as Principal, stream.account, t);
      const requestParameters = { ...(localize(base, stream.account, stream.region)['requestParameters'] as JsonObject), instanceType: 't3.small' };
      for (let k = 0; k < 6; k++) {
        event(stream, t + k * 30_000, base, who, { requestParameters, errorCode: 'Client.DryRunOperation', errorMessage: 'Request would have succeeded, but DryRun flag is set.' });
      }
      add(plan.scenarios, 'near-miss (6 DryRun RunInstances)');
    }
  }

  // s3-bucket-mass-delete: 4 DeleteBucket by one principal within 20 minutes.
  {
    const slot = slotPicker();
    const n = Math.max(1, Math.round(DAYS / 2));
    for (let i = 0; i < n; i++) {
      const t = slot();
      const stream = rng.pick(STREAMS);
      const who = actor(rng.pick(humans), stream.account, t);
      for (let k = 0; k < 4; k++) {
        const bucket = `acme-tmp-${chars(rng, HEX, 8)}-${stream.region}`;
        event(stream, t + k * 5 * MINUTE, S3, who, {
          eventName: 'DeleteBucket',
          managementEvent: true,
          eventCategory: 'Management',
          readOnly: false,
          requestParameters: { bucketName: bucket, Host: `s3.${stream.region}.amazonaws.com` },
          responseElements: null,
          additionalEventData: { SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: 0, AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': chars(rng, BASE64, 76), bytesTransferredOut: 0 },
          resources: [{ accountId: stream.account.id, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
          requestID: chars(rng, UPPER_ALNUM, 16),
        });
      }
      add(plan.expectedMatches, 's3-bucket-mass-delete', 4);
      add(plan.expectedAlerts, 's3-bucket-mass-delete');
      add(plan.expectedGroupedIncidents, 's3-bucket-mass-delete');
      add(plan.scenarios, 's3-bucket-mass-delete (4 DeleteBucket in 20 min)');
    }
  }

  // Everyday deploys: the pipeline's CloudFormation stack updates, a few a day per account, each
  // changing a handful of security group rules within a few minutes (CIS 4.10 records them, one
  // grouped security-group-changed alert per deploy).
  {
    const deployer = PRINCIPALS.find((p) => p.name === 'github-actions-deploy') as Principal;
    const base = sample('aws.exfiltration.ec2-security-group-open-port-22-ingress.json', 'AuthorizeSecurityGroupIngress');
    const perDayOf: Record<string, number> = { prod: 3, staging: 6, sandbox: 4 };
    for (const account of ACCOUNTS) {
      for (let i = 0; i < Math.round((perDayOf[account.name] ?? 0) * DAYS); i++) {
        const t = START + rng.int(END - START - HOUR);
        const stream = rng.pick(STREAMS.filter((s) => s.account === account));
        const identity = actor(deployer, account, t).identity;
        const viaStack = { identity: { ...identity, invokedBy: CFN }, ip: CFN, agent: CFN };
        let at = t;
        for (let k = rng.range(2, 8); k > 0; k--) {
          at += rng.range(3, 40) * 1000;
          const ctx: Ctx = { rng, account, region: stream.region, t: at, estate: estateOf(account, stream.region), who: { principal: deployer, identity } };
          event(stream, at, base, viaStack, everydayIngress(ctx));
        }
        add(plan.scenarios, 'everyday: CloudFormation deploy changing 2-8 security group rules');
      }
    }
  }

  // Attacks the rest of the pack exists for, in the Stratus Red Team shapes the everyday mix used to
  // clone, one of each per two days. Each counts the rules it must fire exactly; rules that everyday
  // traffic fires too (CIS change records, ssm-send-command, secretsmanager-batch-read) are named in
  // the scenario but not counted: bench/alerts-per-day.ts measures their everyday alerts.
  {
    const n = Math.max(1, Math.round(DAYS / 2));
    const legacyCi = PRINCIPALS.find((p) => p.name === 'ci-legacy') as Principal;
    /** A principal's credentials used from somewhere else: the attacker's address and tooling. */
    const thief = (p: Principal, account: Account, t: number): { identity: JsonObject; ip: string; agent: string } => ({ ...actor(p, account, t), ip: publicIp(rng), agent: UA.boto.replace('exec-env/AWS_Lambda_python3.12 ', '') });
    const expect = (rule: string, matches = 1, alerts = 1, grouped = 0): void => {
      add(plan.expectedMatches, rule, matches);
      add(plan.expectedAlerts, rule, alerts);
      if (grouped > 0) add(plan.expectedGroupedIncidents, rule, grouped);
    };
    const regional = (): Stream => rng.pick(STREAMS);
    const attack = (label: string, run: (t: number) => void): void => {
      const slot = slotPicker();
      for (let i = 0; i < n; i++) {
        run(slot());
        add(plan.scenarios, label);
      }
    };
    const resourcesOf = (stream: Stream): Estate => estateOf(stream.account, stream.region);

    attack('attack: SSH opened to 0.0.0.0/0 with a leaked key (also security-group-changed)', (t) => {
      const stream = regional();
      const groupId = rng.pick(resourcesOf(stream).securityGroups);
      event(stream, t, sample('aws.exfiltration.ec2-security-group-open-port-22-ingress.json', 'AuthorizeSecurityGroupIngress'), thief(legacyCi, stream.account, t), {
        requestParameters: { groupId, ipPermissions: {}, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' },
        responseElements: { requestId: uuid(rng), _return: true, securityGroupRuleSet: { items: [{ groupOwnerId: stream.account.id, groupId, securityGroupRuleId: `sgr-0${chars(rng, HEX, 16)}`, isEgress: false, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '0.0.0.0/0' }] } },
      });
      expect('admin-port-open-to-internet');
    });
    attack('attack: EBS snapshot shared with an outside account', (t) => {
      const stream = regional();
      const base = sample('aws.exfiltration.ec2-share-ebs-snapshot.json', 'ModifySnapshotAttribute');
      event(stream, t, base, thief(STOLEN_ROLE, stream.account, t), { requestParameters: deepReplace(base['requestParameters'] ?? null, 'snap-041993b54a9b3af6f', rng.pick(resourcesOf(stream).snapshots)) });
      expect('ec2-snapshot-shared');
    });
    attack('attack: AMI shared with an outside account', (t) => {
      const stream = regional();
      const base = sample('aws.exfiltration.ec2-share-ami.json', 'ModifyImageAttribute');
      event(stream, t, base, thief(STOLEN_ROLE, stream.account, t), { requestParameters: deepReplace(base['requestParameters'] ?? null, 'ami-de1fbCab6ccB03e6D', rng.pick(resourcesOf(stream).images)) });
      expect('ec2-ami-shared');
    });
    attack('attack: RDS snapshot shared with an outside account', (t) => {
      const stream = regional();
      const base = sample('aws.exfiltration.rds-share-snapshot.json', 'ModifyDBSnapshotAttribute');
      const id = rng.pick(resourcesOf(stream).dbSnapshots);
      event(stream, t, base, thief(STOLEN_ROLE, stream.account, t), { requestParameters: deepReplace(base['requestParameters'] ?? null, 'exfiltration', id), responseElements: deepReplace(base['responseElements'] ?? null, 'exfiltration', id) });
      expect('rds-snapshot-shared');
    });
    attack('attack: Lambda function made invokable by anyone (backdoor)', (t) => {
      const stream = regional();
      const base = sample('aws.persistence.lambda-backdoor-function.json', 'AddPermission20150331v2');
      event(stream, t, base, thief(legacyCi, stream.account, t), withFunction(localize(base, stream.account, stream.region), LAMBDA_SAMPLE_NAMES.backdoor, rng.pick(resourcesOf(stream).functions)));
      expect('lambda-function-public');
    });
    attack('attack: Lambda code and layers replaced with a leaked key', (t) => {
      const stream = regional();
      const fn = rng.pick(resourcesOf(stream).functions);
      const who = thief(legacyCi, stream.account, t);
      const code = localize(sample('aws.persistence.lambda-overwrite-code.json', 'UpdateFunctionCode20150331v2'), stream.account, stream.region);
      const layer = localize(sample('aws.persistence.lambda-layer-extension.json', 'UpdateFunctionConfiguration20150331v2'), stream.account, stream.region);
      event(stream, t, code, who, withFunction(code, LAMBDA_SAMPLE_NAMES.code, fn));
      event(stream, t + rng.range(2, 9) * MINUTE, layer, who, withFunction(layer, LAMBDA_SAMPLE_NAMES.layer, fn));
      expect('lambda-code-overwritten');
      expect('lambda-layer-added');
    });
    {
      // VPC flow logs and DNS query logging removed by an attacker; and, a few times a week, by a stack
      // teardown in the sandbox (CloudFormation deleting a VPC stack), which the rules report alike.
      const slot = slotPicker();
      const flow = sample('aws.defense-evasion.vpc-remove-flow-logs.json', 'DeleteFlowLogs');
      const dns = sample('aws.defense-evasion.dns-delete-logs.json', 'DeleteResolverQueryLogConfig');
      const remove = (stream: Stream, t: number, who: { identity: JsonObject; ip: string; agent: string }): void => {
        const configId = `rqlc-${chars(rng, HEX, 16)}`;
        event(stream, t, flow, who, { requestParameters: { DeleteFlowLogsRequest: { FlowLogId: { content: `fl-0${chars(rng, HEX, 16)}`, tag: 1 } } } });
        event(stream, t + rng.range(1, 4) * MINUTE, dns, who, { requestParameters: { originSequenceNumber: 0, resolverQueryLogConfigId: configId }, responseElements: deepReplace(localize(dns, stream.account, stream.region)['responseElements'] ?? null, 'rqlc-4473f20ca554c07', configId) });
        expect('vpc-flow-logs-deleted');
        expect('dns-query-logging-deleted');
      };
      for (let i = 0; i < n; i++) {
        const t = slot();
        const stream = regional();
        remove(stream, t, thief(STOLEN_ROLE, stream.account, t));
        add(plan.scenarios, 'attack: flow logs and DNS query logging deleted');
      }
      const deployer = PRINCIPALS.find((p) => p.name === 'github-actions-deploy') as Principal;
      for (let i = 0; i < Math.round((3 * DAYS) / 7); i++) {
        const t = slot();
        const stream = streamOf(SANDBOX, GLOBAL_REGION);
        remove(stream, t, { identity: { ...actor(deployer, SANDBOX, t).identity, invokedBy: CFN }, ip: CFN, agent: CFN });
        add(plan.scenarios, 'everyday: VPC stack torn down (flow logs and DNS query logging deleted; 3 a week)');
      }
    }
    attack('attack: user data replaced on a stopped instance', (t) => {
      const stream = regional();
      const who = thief(legacyCi, stream.account, t);
      const instanceId = rng.pick(resourcesOf(stream).instances);
      const items = { instancesSet: { items: [{ instanceId }] } };
      event(stream, t, sample('aws.execution.ec2-user-data.json', 'StopInstances'), who, { requestParameters: { ...items, force: false } });
      event(stream, t + 2 * MINUTE, sample('aws.execution.ec2-user-data.json', 'ModifyInstanceAttribute'), who, { requestParameters: { instanceId, userData: '<sensitiveDataRemoved>' } });
      event(stream, t + 3 * MINUTE, sample('aws.execution.ec2-user-data.json', 'StartInstances'), who, { requestParameters: items });
      expect('ec2-user-data-modified');
    });
    attack('attack: instance credentials stolen with SendCommand and used from outside (also ssm-send-command)', (t) => {
      const stream = regional();
      const who = thief(legacyCi, stream.account, t);
      const instanceId = rng.pick(resourcesOf(stream).instances);
      const ctx: Ctx = { rng, account: stream.account, region: stream.region, t, estate: resourcesOf(stream) };
      event(stream, t, SEND_COMMAND, who, sendCommand(ctx, 'AWS-RunShellScript', { instanceIds: [instanceId] }));
      const role = PRINCIPALS.find((p) => p.kind === 'instance') as Principal;
      const stolen = { ...actor(role, stream.account, t), ip: who.ip, agent: who.agent };
      event(stream, t + 4 * MINUTE, sample('aws.credential-access.ec2-steal-instance-credentials.json', 'GetCallerIdentity'), stolen, {});
      event(stream, t + 5 * MINUTE, sample('aws.execution.ec2-user-data.json', 'DescribeInstances'), stolen, { requestParameters: { instancesSet: {}, filterSet: {} } });
      expect('ec2-instance-credentials-whoami');
    });
    attack('attack: backdoor IAM user with admin rights and an access key (also iam-policy-change)', (t) => {
      const account = rng.pick(ACCOUNTS);
      const stream = streamOf(account, GLOBAL_REGION);
      const who = thief(rng.pick(PRINCIPALS.filter((p) => p.kind === 'human' && p.type === 'IAMUser')), account, t);
      const userName = `svc-${chars(rng, 'abcdefghijklmnopqrstuvwxyz', 8)}`;
      const file = 'aws.persistence.iam-create-admin-user.json';
      event(stream, t, sample(file, 'CreateUser'), who, { requestParameters: { userName }, responseElements: { user: { path: '/', userName, userId: `AIDA${chars(rng, UPPER_ALNUM, 17)}`, arn: `arn:aws:iam::${account.id}:user/${userName}`, createDate: iamDate(t) } } });
      event(stream, t + MINUTE, sample(file, 'AttachUserPolicy'), who, { requestParameters: { userName, policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } });
      event(stream, t + 2 * MINUTE, sample('aws.persistence.iam-backdoor-user.json', 'CreateAccessKey'), who, { requestParameters: { userName }, responseElements: { accessKey: { accessKeyId: `AKIA${chars(rng, UPPER_ALNUM, 16)}`, createDate: iamDate(t + 2 * MINUTE), status: 'Active', userName } } });
      expect('iam-new-user-with-credentials', 2, 1);
      expect('iam-admin-policy-attached');
      expect('iam-access-key-for-other-user');
    });
    attack('attack: role trust opened to an outside account (also iam-policy-change)', (t) => {
      const account = rng.pick(ACCOUNTS);
      const base = sample('aws.persistence.iam-backdoor-role.json', 'UpdateAssumeRolePolicy');
      event(streamOf(account, GLOBAL_REGION), t, base, thief(STOLEN_ROLE, account, t), { requestParameters: deepReplace(base['requestParameters'] ?? null, 'stratus-red-team-backdoor-r-role', rng.pick(estateOf(account, GLOBAL_REGION).roles)) });
      expect('iam-role-trust-external-account');
    });
    attack('attack: federation token minted from a leaked key', (t) => {
      const stream = regional();
      event(stream, t, sample('aws.persistence.sts-federation-token.json', 'GetFederationToken'), thief(legacyCi, stream.account, t), {});
      expect('sts-federation-token');
    });
    attack('attack: every tagged secret read in one batch (also secretsmanager-batch-read)', (t) => {
      const stream = regional();
      const who = thief(STOLEN_ROLE, stream.account, t);
      const file = 'aws.credential-access.secretsmanager-batch-retrieve-secrets.json';
      event(stream, t, sample('aws.credential-access.secretsmanager-retrieve-secrets.json', 'ListSecrets'), who, { requestParameters: { filters: [{ key: 'tag-key', values: ['team'] }], maxResults: 100 } });
      event(stream, t + 20_000, sample(file, 'BatchGetSecretValue'), who, { requestParameters: { filters: [{ key: 'tag-key', values: ['team'] }] } });
    });
  }

  plan.events.sort((a, b) => a.t - b.t);
  return plan;
}

// ---------------------------------------------------------------------------------------------------
// Files

interface FileSpec {
  stream: Stream;
  interval: number;
  benign: number;
  planned: Planned[];
}

/** Daily cycle on UTC: quiet at 03:00, busiest at 15:00 (Europe and the US both at work). */
function dailyCycle(ms: number): number {
  const hour = ((ms % DAY) + DAY) % DAY / HOUR;
  const x = 0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24);
  return 0.35 + 1.3 * x ** 1.2;
}

/** Delivery stamp in the file name: the end of its 5 minutes plus a small delivery delay. */
function stampOf(intervalEnd: number, rng: Rng): string {
  const d = new Date(intervalEnd + rng.int(3) * MINUTE);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}Z`;
}

function planFiles(rng: Rng, plan: Plan): FileSpec[] {
  const specs: FileSpec[] = [];
  const weights: number[] = [];
  const index = new Map<string, FileSpec>();
  for (let i = 0; i < INTERVALS; i++) {
    const mid = START + i * FILE_MS + FILE_MS / 2;
    for (const stream of STREAMS) {
      const spec: FileSpec = { stream, interval: i, benign: 0, planned: [] };
      specs.push(spec);
      index.set(`${STREAMS.indexOf(stream)}|${i}`, spec);
      weights.push(stream.weight * dailyCycle(mid) * (0.8 + 0.4 * rng.float()));
    }
  }
  for (const ev of plan.events) {
    // Delivered with the events of its 5 minutes, or (1 in 10) in the next file.
    let interval = Math.floor((ev.t - START) / FILE_MS);
    if (rng.chance(0.1)) interval++;
    interval = Math.min(INTERVALS - 1, Math.max(0, interval));
    const spec = index.get(`${STREAMS.indexOf(ev.stream)}|${interval}`);
    if (!spec) throw new Error('planned event outside the time range');
    spec.planned.push(ev);
  }
  // Benign counts: exactly TARGET_EVENTS - planned in total, shared by weight (largest remainder).
  const benignTotal = Math.max(0, TARGET_EVENTS - plan.events.length);
  const sum = weights.reduce((a, b) => a + b, 0);
  const shares = weights.map((w) => (benignTotal * w) / sum);
  let given = 0;
  specs.forEach((spec, i) => {
    spec.benign = Math.floor(shares[i] as number);
    given += spec.benign;
  });
  const byRemainder = shares.map((s, i) => ({ i, r: s - Math.floor(s) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; k < benignTotal - given; k++) (specs[(byRemainder[k % byRemainder.length] as { i: number }).i] as FileSpec).benign++;
  return specs;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const rng = new Rng(SEED);
  const plan = planIncidents(rng.fork(1));
  const specs = planFiles(rng.fork(2), plan);
  const tables = new Map(STREAMS.map((s) => [s, tableFor(s)]));
  const recordRng = rng.fork(3);
  const nameRng = rng.fork(4);

  rmSync(OUT, { recursive: true, force: true });
  rmSync(manifestPathOf(OUT), { force: true });
  mkdirSync(OUT, { recursive: true });
  const madeDirs = new Set<string>();

  const matched: Record<string, number> = { ...plan.expectedMatches };
  const perFile: number[] = [];
  let files = 0;
  let events = 0;
  let gzipBytes = 0;
  let jsonBytes = 0;
  // Compression runs on libuv's pool while the next file is built: a few in flight at most.
  const inFlight = new Set<Promise<void>>();
  const MAX_IN_FLIGHT = 3;

  for (const spec of specs) {
    const count = spec.benign + spec.planned.length;
    if (count === 0) continue; // CloudTrail writes no empty files
    const { stream } = spec;
    const table = tables.get(stream) as StreamTable;
    const intervalStart = START + spec.interval * FILE_MS;
    const records: CtRecord[] = [];
    for (let k = 0; k < spec.benign; k++) {
      // Mostly this file's 5 minutes; 1 in 12 is a straggler from the 10 minutes before.
      const late = recordRng.chance(1 / 12);
      const t = intervalStart + recordRng.int(FILE_MS) - (late ? FILE_MS + recordRng.int(FILE_MS) : 0);
      records.push(benignRecord(table, t, recordRng, matched));
    }
    // Planned events at random positions: CloudTrail does not sort a file's records.
    for (const ev of spec.planned) records.splice(recordRng.int(records.length + 1), 0, ev.record);

    const stamp = stampOf(intervalStart + FILE_MS, nameRng);
    const day = `${stamp.slice(0, 4)}/${stamp.slice(4, 6)}/${stamp.slice(6, 8)}`;
    const dir = path.join(OUT, 'AWSLogs', stream.account.id, 'CloudTrail', stream.region, day);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    const file = path.join(dir, `${stream.account.id}_CloudTrail_${stream.region}_${stamp}_${chars(nameRng, ALNUM, 16)}.json.gz`);
    const body = Buffer.from(JSON.stringify({ Records: records }), 'utf8');
    jsonBytes += body.length;
    files++;
    events += records.length;
    perFile.push(records.length);
    const task = gzip(body, { level: 6 }).then((gz) => {
      gzipBytes += gz.length;
      writeFileSync(file, gz);
    });
    inFlight.add(task);
    void task.finally(() => inFlight.delete(task));
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    if (process.stdout.isTTY && files % 500 === 0) process.stdout.write(`  ${fmtInt(files)} files, ${fmtInt(events)} events...\r`);
  }
  await Promise.all(inFlight);

  const sorted = perFile.sort((a, b) => a - b);
  const expectedAlerts = plan.expectedAlerts;
  const manifest: Manifest = {
    generator: 'bench/generate.ts',
    seed: SEED,
    events,
    files,
    gzipBytes,
    jsonBytes,
    start: new Date(START).toISOString(),
    end: new Date(END).toISOString(),
    accounts: ACCOUNTS.map((a) => `${a.id} (${a.name})`),
    regions: [...new Set(STREAMS.map((s) => s.region))],
    recordsPerFile: { min: sorted[0] ?? 0, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), max: sorted[sorted.length - 1] ?? 0 },
    expectedMatches: matched,
    expectedAlerts,
    expectedGroupedIncidents: plan.expectedGroupedIncidents,
    scenarios: plan.scenarios,
  };
  writeFileSync(manifestPathOf(OUT), `${JSON.stringify(manifest, null, 2)}\n`);

  const secs = (performance.now() - t0) / 1000;
  if (process.stdout.isTTY) process.stdout.write('\x1b[2K');
  console.log(`generated ${fmtInt(files)} files, ${fmtInt(events)} events, ${fmtBytes(gzipBytes)} gzipped (${fmtBytes(jsonBytes)} of JSON) in ${secs.toFixed(1)} s`);
  console.log(`  files:   ${fmtInt(files)}`);
  console.log(`  events:  ${fmtInt(events)}`);
  console.log(`  bytes:   ${fmtInt(gzipBytes)} on disk (gzip), ${fmtInt(jsonBytes)} uncompressed`);
  console.log(`  records per file: min ${sorted[0]}, median ${quantile(sorted, 0.5)}, p90 ${Math.round(quantile(sorted, 0.9))}, max ${sorted[sorted.length - 1]}`);
  console.log(`  ${manifest.start} .. ${manifest.end}, ${ACCOUNTS.length} accounts, ${manifest.regions.length} regions -> ${OUT}`);
  console.log(`  planned: ${Object.entries(plan.scenarios).map(([k, v]) => `${v} ${k}`).join('; ')}`);
  console.log(`  expected matches per rule: ${JSON.stringify(matched)}`);
  console.log(`  expected first alerts per rule: ${JSON.stringify(expectedAlerts)}`);
  console.log(`  manifest: ${manifestPathOf(OUT)}`);
}

await main();
