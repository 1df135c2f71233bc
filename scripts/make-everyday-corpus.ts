/**
 * Writes test/fixtures/everyday/*.json: a day of ordinary activity in one account, on which the rule
 * pack must send nothing at medium severity or above (test/everyday/everyday.test.ts).
 *
 * Every record is a real Stratus Red Team record (or the documented S3 data-event shape) with its
 * identity, time, names and parameters replaced by what everyday traffic carries: the envelope of a
 * real record, the parameters of an everyday call. The shapes follow bench/generate.ts's everyday mix
 * and AWS's documented request shapes. Run after changing it: npx tsx scripts/make-everyday-corpus.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Rec = { [key: string]: Json };

const root = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(root, 'test', 'fixtures', 'everyday');
const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const GLOBAL = 'us-east-1';
const DAY = '2026-11-17';

const load = (file: string): Rec[] => JSON.parse(readFileSync(join(root, 'test', 'fixtures', file.includes('/') ? file : `stratus-red-team/${file}`), 'utf8')) as Rec[];
function real(file: string, eventName?: string): Rec {
  const found = load(file).find((r) => eventName === undefined || r.eventName === eventName);
  if (!found) throw new Error(`no ${eventName} in ${file}`);
  return structuredClone(found);
}

/** Real envelopes to start from, one per CloudTrail event type. */
const API = real('aws.execution.ec2-user-data.json', 'DescribeInstances');
const SIGN_IN = real('aws.initial-access.console-login-without-mfa.json', 'ConsoleLogin');
const DATA = real('derived/s3-data-events.json');

// --- identities -----------------------------------------------------------------------------------

const UA = {
  console: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  cli: (cmd: string) => `aws-cli/2.22.4 md/awscrt#0.23.4 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#${cmd}`,
  java: 'aws-sdk-java/2.29.29 Linux/5.10.228-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/standard',
  boto: 'Boto3/1.35.64 md/Botocore#1.35.64 ua/2.0 os/linux#5.10.228-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.64',
  ssm: 'aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) amazon-ssm-agent/3.3.1142.0',
  terraform: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.6 ua/2.1 os/linux lang/go#1.23.3',
};

interface Who {
  identity: Rec;
  ip: string;
  agent: string;
  console?: boolean;
}

const user = (name: string, mfa: boolean, consoleSession: boolean): Who => ({
  identity: {
    type: 'IAMUser',
    principalId: `AIDA${name.toUpperCase().padEnd(17, 'X')}`,
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    accountId: ACCOUNT,
    accessKeyId: consoleSession ? `ASIA${name.toUpperCase().padEnd(16, 'C')}` : `AKIA${name.toUpperCase().padEnd(16, 'K')}`,
    userName: name,
    ...(consoleSession ? { sessionContext: { attributes: { creationDate: `${DAY}T08:02:11Z`, mfaAuthenticated: mfa ? 'true' : 'false' } } } : {}),
  },
  ip: '198.51.100.20',
  agent: consoleSession ? UA.console : UA.cli('ec2.describe-instances'),
  console: consoleSession,
});

const role = (name: string, session: string, ip: string, agent: string, path = ''): Who => ({
  identity: {
    type: 'AssumedRole',
    principalId: `AROA${name.replace(/[^A-Za-z]/g, '').toUpperCase().slice(0, 17).padEnd(17, 'R')}:${session}`,
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${name}/${session}`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEVERYDAYSESSION1',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: `AROA${name.replace(/[^A-Za-z]/g, '').toUpperCase().slice(0, 17).padEnd(17, 'R')}`, arn: `arn:aws:iam::${ACCOUNT}:role/${path}${name}`, accountId: ACCOUNT, userName: name },
      attributes: { creationDate: `${DAY}T08:00:00Z`, mfaAuthenticated: 'false' },
    },
  },
  ip,
  agent,
});

const service = (host: string): Who => ({ identity: { type: 'AWSService', invokedBy: host }, ip: host, agent: host });

/** A caller's call made on its behalf by an AWS service (CloudFormation, Auto Scaling): `invokedBy` set. */
const via = (who: Who, host: string): Who => ({ identity: { ...who.identity, invokedBy: host }, ip: host, agent: host });

const alice = user('alice', true, true);
const aliceCli = user('alice', true, false);
const ssoAdmin = role('AWSReservedSSO_AdministratorAccess_3f1c2b9e8d7a6b5c', 'bob@example.com', '198.51.100.31', UA.console, 'aws-reserved/sso.amazonaws.com/eu-west-1/');
const ssoRead = role('AWSReservedSSO_ReadOnlyAccess_9a8b7c6d5e4f3a2b', 'heidi@example.com', '198.51.100.32', UA.console, 'aws-reserved/sso.amazonaws.com/eu-west-1/');
const ci = role('github-actions-deploy', 'GitHubActions-48213', '4.175.12.9', UA.cli('cloudformation.deploy'));
const cfn = via(ci, 'cloudformation.amazonaws.com');
const terraform = role('terraform-plan', 'terraform-771203', '4.175.12.40', UA.terraform);
const app = role('orders-api-task', '6f1b2c3d4e5f60718293a4b5c6d7e8f9', '10.20.3.14', UA.java);
const lambdaFn = role('data-pipeline-lambda', 'data-pipeline-transform', '3.250.18.7', UA.boto);
const instance = role('ec2-app-instance-role', 'i-0a1b2c3d4e5f67890', '10.20.5.77', UA.ssm);
const autoscaling = via(role('AWSServiceRoleForAutoScaling', 'AutoScaling', 'autoscaling.amazonaws.com', 'autoscaling.amazonaws.com', 'aws-service-role/autoscaling.amazonaws.com/'), 'autoscaling.amazonaws.com');

// --- records ----------------------------------------------------------------------------------------

let seq = 0;
const nextId = () => `e0e0e0e0-0000-4000-8000-${(++seq).toString(16).padStart(12, '0')}`;

interface Call {
  at: string;
  who: Who;
  source: string;
  name: string;
  params?: Json;
  response?: Json;
  readOnly?: boolean;
  region?: string;
  extra?: Rec;
}

function apiCall(c: Call): Rec {
  const region = c.region ?? (['iam', 'sts', 'organizations'].includes(c.source) && c.source !== 'sts' ? GLOBAL : REGION);
  const id = nextId();
  return {
    ...structuredClone(API),
    eventVersion: '1.09',
    userIdentity: c.who.identity,
    eventTime: `${DAY}T${c.at}Z`,
    eventSource: `${c.source}.amazonaws.com`,
    eventName: c.name,
    awsRegion: region,
    sourceIPAddress: c.who.ip,
    userAgent: c.who.agent,
    requestParameters: c.params ?? null,
    responseElements: c.response ?? null,
    requestID: id,
    eventID: id,
    readOnly: c.readOnly ?? /^(Describe|Get|List|Lookup|Head)/.test(c.name),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `${c.source}.${region}.amazonaws.com` },
    ...(c.who.console ? { sessionCredentialFromConsole: 'true' } : {}),
    ...(c.extra ?? {}),
  };
}

const time = (h: number, m: number, s = 0) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;

// --- the day ------------------------------------------------------------------------------------------

/** Reading: the console and the CLI browsing, apps and CI describing what they manage. */
function readOnly(): Rec[] {
  const reads: Array<[Who, string, string, Json]> = [
    [alice, 'ec2', 'DescribeInstances', { instancesSet: {}, filterSet: {} }],
    [alice, 'ec2', 'DescribeSecurityGroups', { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} }],
    [alice, 'ec2', 'DescribeVpcs', { vpcSet: {}, filterSet: {} }],
    [alice, 's3', 'ListBuckets', { Host: 's3.eu-west-1.amazonaws.com' }],
    [alice, 's3', 'GetBucketPolicy', { bucketName: 'acme-app-assets', Host: 'acme-app-assets.s3.eu-west-1.amazonaws.com', policy: '' }],
    [alice, 's3', 'GetBucketAcl', { bucketName: 'acme-app-assets', Host: 'acme-app-assets.s3.eu-west-1.amazonaws.com', acl: '' }],
    [alice, 'iam', 'ListUsers', null],
    [alice, 'iam', 'GetAccountSummary', null],
    [alice, 'cloudtrail', 'DescribeTrails', { trailNameList: [], includeShadowTrails: true }],
    [alice, 'cloudtrail', 'GetTrailStatus', { name: 'org-trail' }],
    [alice, 'cloudtrail', 'LookupEvents', { maxResults: 50, lookupAttributes: [{ attributeKey: 'ReadOnly', attributeValue: 'false' }] }],
    [ssoAdmin, 'lambda', 'ListFunctions20150331', null],
    [ssoAdmin, 'rds', 'DescribeDBInstances', null],
    [ssoAdmin, 'guardduty', 'ListDetectors', null],
    [ssoAdmin, 'guardduty', 'GetFindings', { detectorId: '12abc34d567e8fa901bc2d34e56789f0', findingIds: ['a1b2'] }],
    [ssoAdmin, 'config', 'DescribeConfigRules', null],
    [ssoAdmin, 'organizations', 'DescribeOrganization', null],
    [ssoAdmin, 'organizations', 'ListAccounts', null],
    [ssoAdmin, 'kms', 'ListAliases', null],
    [ssoAdmin, 'secretsmanager', 'ListSecrets', null],
    [ssoRead, 'ssm', 'DescribeParameters', null],
    [ssoRead, 'ec2', 'DescribeSnapshots', { snapshotSet: {}, ownersSet: { items: [{ owner: 'self' }] } }],
    [ssoRead, 'ec2', 'DescribeImages', { imagesSet: {}, ownersSet: { items: [{ owner: 'self' }] } }],
    [ssoRead, 'ec2', 'DescribeNetworkAcls', { networkAclIdSet: {}, filterSet: {} }],
    [ssoRead, 'ec2', 'DescribeRouteTables', { routeTableIdSet: {}, filterSet: {} }],
    [ssoRead, 's3', 'GetBucketPublicAccessBlock', { bucketName: 'acme-app-assets', Host: 'acme-app-assets.s3.eu-west-1.amazonaws.com', publicAccessBlock: '' }],
    [ssoRead, 'iam', 'GetRole', { roleName: 'orders-api-task' }],
    [ssoRead, 'iam', 'ListAttachedRolePolicies', { roleName: 'orders-api-task' }],
    [aliceCli, 'sts', 'GetCallerIdentity', null],
    [aliceCli, 'ec2', 'DescribeInstances', { instancesSet: { items: [{ instanceId: 'i-0a1b2c3d4e5f67890' }] }, filterSet: {} }],
    [terraform, 'ec2', 'DescribeSecurityGroups', { securityGroupSet: {}, securityGroupIdSet: { items: [{ groupId: 'sg-0a1b2c3d4e5f60001' }] }, filterSet: {} }],
    [terraform, 'iam', 'GetRole', { roleName: 'orders-api-task' }],
    [terraform, 'iam', 'GetRolePolicy', { roleName: 'orders-api-task', policyName: 'orders-s3' }],
    [terraform, 's3', 'GetBucketVersioning', { bucketName: 'acme-data-lake-raw', Host: 'acme-data-lake-raw.s3.eu-west-1.amazonaws.com', versioning: '' }],
    [terraform, 's3', 'GetBucketEncryption', { bucketName: 'acme-data-lake-raw', Host: 'acme-data-lake-raw.s3.eu-west-1.amazonaws.com', encryption: '' }],
    [terraform, 'kms', 'DescribeKey', { keyId: 'alias/data-lake' }],
    [app, 'ec2', 'DescribeInstances', { instancesSet: {}, filterSet: { items: [{ name: 'tag:service', valueSet: { items: [{ value: 'orders' }] } }] } }],
    [instance, 'ssm', 'DescribeInstanceInformation', { filters: [{ key: 'InstanceIds', values: ['i-0a1b2c3d4e5f67890'] }] }],
    [instance, 'ec2', 'DescribeTags', { filterSet: { items: [{ name: 'resource-id', valueSet: { items: [{ value: 'i-0a1b2c3d4e5f67890' }] } }] } }],
  ];
  // Three passes over the working day: people come back to the same pages.
  return [9, 13, 16].flatMap((h, pass) => reads.map(([who, source, name, params], i) => apiCall({ at: time(h, i, pass * 7), who, source, name, params })));
}

/** AWS services at work: roles assumed for functions, tasks and instances; calls made on someone's behalf. */
function services(): Rec[] {
  const out: Rec[] = [];
  const assume = (who: Who, roleName: string, at: string) =>
    apiCall({
      at,
      who,
      source: 'sts',
      name: 'AssumeRole',
      region: REGION,
      readOnly: true,
      params: { roleArn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`, roleSessionName: roleName, durationSeconds: 3600 },
      response: { assumedRoleUser: { assumedRoleId: `AROAEVERYDAY:${roleName}`, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/${roleName}` }, credentials: { accessKeyId: 'ASIAEVERYDAYSESSION2', expiration: 'Nov 17, 2026, 11:00:00 AM', sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE' } },
      extra: { resources: [{ accountId: ACCOUNT, type: 'AWS::IAM::Role', ARN: `arn:aws:iam::${ACCOUNT}:role/${roleName}` }] },
    });
  for (let h = 0; h < 24; h += 2) {
    out.push(assume(service('lambda.amazonaws.com'), 'data-pipeline-lambda', time(h, 5)));
    out.push(assume(service('ecs-tasks.amazonaws.com'), 'orders-api-task', time(h, 17)));
    out.push(assume(service('ec2.amazonaws.com'), 'ec2-app-instance-role', time(h, 29)));
  }
  // KMS on behalf of S3 and Secrets Manager: the bulk of a quiet account's write-free traffic.
  for (let h = 1; h < 24; h += 3) {
    out.push(apiCall({ at: time(h, 3), who: via(app, 's3.amazonaws.com'), source: 'kms', name: 'GenerateDataKey', readOnly: true, params: { keySpec: 'AES_256', encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::acme-user-uploads' }, keyId: 'arn:aws:kms:eu-west-1:111122223333:alias/data-lake' } }));
    out.push(apiCall({ at: time(h, 9), who: via(app, 'secretsmanager.amazonaws.com'), source: 'kms', name: 'Decrypt', readOnly: true, params: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { SecretARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:orders/db-AbCdEf' } } }));
  }
  // Auto Scaling replacing an instance: RunInstances through its service-linked role.
  out.push(apiCall({
    at: time(3, 12), who: autoscaling, source: 'ec2', name: 'RunInstances',
    params: { instancesSet: { items: [{ minCount: 1, maxCount: 1 }] }, launchTemplate: { launchTemplateId: 'lt-0a1b2c3d4e5f60001', version: '7' }, instanceType: 't3.medium' },
    response: { instancesSet: { items: [{ instanceId: 'i-0fedcba9876543210', instanceType: 't3.medium' }] } },
  }));
  out.push(apiCall({ at: time(3, 11), who: autoscaling, source: 'ec2', name: 'TerminateInstances', params: { instancesSet: { items: [{ instanceId: 'i-0123456789abcdef0' }] } } }));
  // AWS Config evaluating, the Lambda service attaching a function to its VPC.
  out.push(apiCall({ at: time(4, 0), who: via(role('AWSServiceRoleForConfig', 'AWSConfig-Describe', 'config.amazonaws.com', 'config.amazonaws.com', 'aws-service-role/config.amazonaws.com/'), 'config.amazonaws.com'), source: 'config', name: 'PutEvaluations', params: { evaluations: [{ complianceType: 'COMPLIANT' }] } }));
  out.push(apiCall({ at: time(4, 2), who: via(role('AWSServiceRoleForLambda', 'lambda', 'lambda.amazonaws.com', 'lambda.amazonaws.com', 'aws-service-role/lambda.amazonaws.com/'), 'lambda.amazonaws.com'), source: 'ec2', name: 'CreateNetworkInterface', params: { subnetId: 'subnet-0a1b2c3d4e5f60001', groupSet: { items: [{ groupId: 'sg-0a1b2c3d4e5f60002' }] } } }));
  // Service events nobody typed: KMS rotating a key on schedule.
  out.push({ ...apiCall({ at: time(5, 0), who: service('kms.amazonaws.com'), source: 'kms', name: 'RotateKey', readOnly: false }), eventType: 'AwsServiceEvent', userIdentity: { accountId: ACCOUNT, invokedBy: 'kms.amazonaws.com' }, serviceEventDetails: { keyId: 'mrk-0a1b2c3d' } });
  return out;
}

/** A CI role deploying a stack with CloudFormation: ~80 changes in ten minutes, 40 of them to security groups. */
function cloudFormationDeploy(): Rec[] {
  const out: Rec[] = [];
  let s = 0;
  const at = () => time(10, Math.floor(s / 9), (s++ * 7) % 60);
  const call = (who: Who, source: string, name: string, params: Json, response: Json = null, region?: string) =>
    out.push(apiCall({ at: at(), who, source, name, params, response, ...(region ? { region } : {}) }));

  out.push(apiCall({ at: time(9, 59, 30), who: { ...ci, ip: '4.175.12.9' }, source: 'sts', name: 'AssumeRoleWithWebIdentity', region: REGION, readOnly: true, params: { roleArn: `arn:aws:iam::${ACCOUNT}:role/github-actions-deploy`, roleSessionName: 'GitHubActions-48213', durationSeconds: 3600 }, extra: { userIdentity: { type: 'WebIdentityUser', principalId: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:repo:acme/orders:ref:refs/heads/main', userName: 'repo:acme/orders:ref:refs/heads/main', identityProvider: 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com' } } }));
  call(ci, 'cloudformation', 'CreateChangeSet', { stackName: 'orders-prod', changeSetName: 'deploy-48213', changeSetType: 'UPDATE', capabilities: ['CAPABILITY_NAMED_IAM'] });
  call(ci, 'cloudformation', 'ExecuteChangeSet', { stackName: 'orders-prod', changeSetName: 'deploy-48213' });

  // Network: a VPC for the new service, its subnets, routes to a NAT, a private NACL.
  call(cfn, 'ec2', 'CreateVpc', { cidrBlock: '10.30.0.0/16', instanceTenancy: 'default' }, { vpc: { vpcId: 'vpc-0a1b2c3d4e5f60030', cidrBlock: '10.30.0.0/16' } });
  for (let i = 0; i < 3; i++) call(cfn, 'ec2', 'CreateSubnet', { vpcId: 'vpc-0a1b2c3d4e5f60030', cidrBlock: `10.30.${i}.0/24`, availabilityZone: `eu-west-1${'abc'[i]}` });
  call(cfn, 'ec2', 'CreateRouteTable', { vpcId: 'vpc-0a1b2c3d4e5f60030' }, { routeTable: { routeTableId: 'rtb-0a1b2c3d4e5f60030' } });
  call(cfn, 'ec2', 'CreateRoute', { routeTableId: 'rtb-0a1b2c3d4e5f60030', destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-0a1b2c3d4e5f60030' });
  for (let i = 0; i < 3; i++) call(cfn, 'ec2', 'AssociateRouteTable', { routeTableId: 'rtb-0a1b2c3d4e5f60030', subnetId: `subnet-0a1b2c3d4e5f6003${i}` });
  call(cfn, 'ec2', 'CreateNetworkAclEntry', { networkAclId: 'acl-0a1b2c3d4e5f60030', ruleNumber: 100, egress: false, ruleAction: 'allow', protocol: '6', cidrBlock: '10.30.0.0/16', portRange: { from: 5432, to: 5432 } });

  // Security groups: created, opened to private ranges and to each other, egress to anywhere (the
  // default every SDK and console writes), old rules revoked.
  const groups = Array.from({ length: 5 }, (_, i) => `sg-0a1b2c3d4e5f6010${i}`);
  for (const [i, g] of groups.entries()) call(cfn, 'ec2', 'CreateSecurityGroup', { groupName: `orders-prod-tier${i}`, groupDescription: 'orders tier', vpcId: 'vpc-0a1b2c3d4e5f60030' }, { _return: true, groupId: g });
  const private4 = ['10.0.0.0/8', '10.30.0.0/16', '172.16.0.0/12', '192.168.10.0/24'];
  const ports = [443, 5432, 6379, 22, 3389];
  for (let i = 0; i < 20; i++) {
    const g = groups[i % groups.length] as string;
    const port = ports[i % ports.length] as number;
    const nested = i % 2 === 0;
    const params: Json = nested
      ? {
          groupId: g,
          ipPermissions: {
            items: [
              {
                ipProtocol: 'tcp', fromPort: port, toPort: port,
                groups: i % 4 === 0 ? { items: [{ groupId: groups[(i + 1) % groups.length] as string }] } : {},
                ipRanges: i % 4 === 0 ? {} : { items: [{ cidrIp: private4[i % private4.length] as string, description: 'internal' }] },
                ipv6Ranges: i % 3 === 0 ? { items: [{ cidrIpv6: 'fd00:30::/56' }] } : {},
                prefixListIds: {},
              },
            ],
          },
        }
      : { groupId: g, ipProtocol: 'tcp', fromPort: port, toPort: port, cidrIp: private4[i % private4.length] as string, ipPermissions: {} };
    call(cfn, 'ec2', 'AuthorizeSecurityGroupIngress', params, { _return: true });
  }
  for (let i = 0; i < 10; i++) {
    call(cfn, 'ec2', 'AuthorizeSecurityGroupEgress', { groupId: groups[i % groups.length] as string, ipPermissions: { items: [{ ipProtocol: '-1', ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] }, ipv6Ranges: { items: [{ cidrIpv6: '::/0' }] }, groups: {}, prefixListIds: {} }] } }, { _return: true });
  }
  for (let i = 0; i < 5; i++) call(cfn, 'ec2', 'RevokeSecurityGroupIngress', { groupId: groups[i] as string, ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] } }] } }, { _return: true });

  // IAM: the service's role with a scoped inline policy and a managed execution policy.
  const trust = encodeURIComponent(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] }));
  call(cfn, 'iam', 'CreateRole', { roleName: 'orders-prod-handler', assumeRolePolicyDocument: decodeURIComponent(trust) }, { role: { roleName: 'orders-prod-handler', arn: `arn:aws:iam::${ACCOUNT}:role/orders-prod-handler` } }, GLOBAL);
  call(cfn, 'iam', 'PutRolePolicy', { roleName: 'orders-prod-handler', policyName: 'orders-s3', policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::acme-orders-prod/*' }] }) }, null, GLOBAL);
  call(cfn, 'iam', 'AttachRolePolicy', { roleName: 'orders-prod-handler', policyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }, null, GLOBAL);

  // The function, and S3 allowed to invoke it for its own bucket only.
  call(cfn, 'lambda', 'CreateFunction20150331', { functionName: 'orders-prod-handler', runtime: 'nodejs22.x', role: `arn:aws:iam::${ACCOUNT}:role/orders-prod-handler`, handler: 'index.handler' });
  call(cfn, 'lambda', 'AddPermission20150331v2', { functionName: 'orders-prod-handler', statementId: 'orders-bucket-notify', action: 'lambda:InvokeFunction', principal: 's3.amazonaws.com', sourceArn: 'arn:aws:s3:::acme-orders-prod', sourceAccount: ACCOUNT }, { statement: JSON.stringify({ Sid: 'orders-bucket-notify', Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'lambda:InvokeFunction', Resource: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:orders-prod-handler`, Condition: { StringEquals: { 'AWS:SourceAccount': ACCOUNT }, ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::acme-orders-prod' } } }) });

  // The bucket, locked down the way every template does it: private canned ACL, versioning,
  // encryption, all of Block Public Access, and a policy that only denies (insecure transport).
  const bucket = { bucketName: 'acme-orders-prod', Host: 'acme-orders-prod.s3.eu-west-1.amazonaws.com' };
  call(cfn, 's3', 'CreateBucket', { ...bucket, 'x-amz-acl': 'private', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } });
  call(cfn, 's3', 'PutBucketAcl', { ...bucket, acl: '', 'x-amz-acl': 'private' });
  call(cfn, 's3', 'PutBucketOwnershipControls', { ...bucket, ownershipControls: '', OwnershipControls: { Rule: { ObjectOwnership: 'BucketOwnerEnforced' } } });
  call(cfn, 's3', 'PutBucketPublicAccessBlock', { ...bucket, publicAccessBlock: '', PublicAccessBlockConfiguration: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', RestrictPublicBuckets: true, BlockPublicPolicy: true, BlockPublicAcls: true, IgnorePublicAcls: true } });
  call(cfn, 's3', 'PutBucketVersioning', { ...bucket, versioning: '', VersioningConfiguration: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', Status: 'Enabled' } });
  call(cfn, 's3', 'PutBucketEncryption', { ...bucket, encryption: '', ServerSideEncryptionConfiguration: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: 'alias/data-lake' }, BucketKeyEnabled: true } } });
  call(cfn, 's3', 'PutBucketLogging', { ...bucket, logging: '', BucketLoggingStatus: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', LoggingEnabled: { TargetBucket: 'acme-access-logs', TargetPrefix: 'orders-prod/' } } });
  call(cfn, 's3', 'PutBucketPolicy', {
    ...bucket,
    policy: JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::acme-orders-prod', 'arn:aws:s3:::acme-orders-prod/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        { Sid: 'HandlerRead', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/orders-prod-handler` }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-orders-prod/*' },
      ],
    }),
  });

  // Logs, a key for the table, a database that stays private, one instance of an ordinary type.
  call(cfn, 'logs', 'CreateLogGroup', { logGroupName: '/aws/lambda/orders-prod-handler' });
  call(cfn, 'logs', 'PutRetentionPolicy', { logGroupName: '/aws/lambda/orders-prod-handler', retentionInDays: 30 });
  call(cfn, 'kms', 'CreateKey', { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT', description: 'orders-prod table key' }, { keyMetadata: { keyId: 'mrk-0a1b2c3d4e5f', keyState: 'Enabled' } });
  call(cfn, 'kms', 'EnableKeyRotation', { keyId: 'mrk-0a1b2c3d4e5f' });
  call(cfn, 'kms', 'CreateAlias', { aliasName: 'alias/orders-prod', targetKeyId: 'mrk-0a1b2c3d4e5f' });
  call(cfn, 'rds', 'CreateDBInstance', { dBInstanceIdentifier: 'orders-prod', dBInstanceClass: 'db.t4g.medium', engine: 'postgres', publiclyAccessible: false, storageEncrypted: true, vpcSecurityGroupIds: [groups[1] as string] });
  call(cfn, 'ec2', 'RunInstances', { instancesSet: { items: [{ imageId: 'ami-0a1b2c3d4e5f60001', minCount: 1, maxCount: 1 }] }, instanceType: 't3.small', subnetId: 'subnet-0a1b2c3d4e5f60030' }, { instancesSet: { items: [{ instanceId: 'i-0aaaabbbbcccc0001', instanceType: 't3.small' }] } });
  call(cfn, 'ssm', 'PutParameter', { name: '/orders/prod/db-host', type: 'String', overwrite: true });
  call(ci, 'cloudformation', 'DescribeStacks', { stackName: 'orders-prod' });
  out[out.length - 1]!.readOnly = true;
  // The pipeline then ships code to existing functions (not through CloudFormation).
  call(ci, 'lambda', 'UpdateFunctionCode20150331v2', { functionName: 'image-resizer', publish: true, s3Bucket: 'acme-artifacts', s3Key: 'image-resizer/48213.zip' });
  call(ci, 'lambda', 'UpdateFunctionConfiguration20150331v2', { functionName: 'image-resizer', memorySize: 512, timeout: 30 });
  return out;
}

/** Sign-ins: IAM users with MFA, Identity Center (MFA at the identity provider), one typo. */
function signIns(): Rec[] {
  const base = (at: string, who: Who, result: 'Success' | 'Failure', extra: Rec, mfa: string) => {
    const id = nextId();
    return {
      ...structuredClone(SIGN_IN),
      userIdentity: who.identity,
      eventTime: `${DAY}T${at}Z`,
      awsRegion: GLOBAL,
      sourceIPAddress: who.ip,
      userAgent: UA.console,
      requestParameters: null,
      responseElements: { ConsoleLogin: result },
      additionalEventData: { LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true', MobileVersion: 'No', MFAUsed: mfa },
      eventID: id,
      recipientAccountId: ACCOUNT,
      ...extra,
    };
  };
  const aliceSignIn = { ...alice.identity };
  delete aliceSignIn.sessionContext;
  delete aliceSignIn.accessKeyId;
  const bob = user('bob', true, false).identity;
  delete bob.accessKeyId;
  const out: Rec[] = [
    base(time(8, 2, 5), { ...alice, identity: aliceSignIn }, 'Success', {}, 'Yes'),
    base(time(8, 40, 0), { ...alice, identity: bob }, 'Success', {}, 'YES'),
    // One mistyped password: the sign-in failure shape (no errorCode), alone.
    base(time(13, 1, 0), { ...alice, identity: bob }, 'Failure', { errorMessage: 'Failed authentication' }, 'No'),
    base(time(13, 1, 40), { ...alice, identity: bob }, 'Success', {}, 'Yes'),
  ];
  // Identity Center: the federated console sign-in into the permission set's role (MFAUsed "No":
  // MFA happened at Identity Center), and Identity Center's own sign-in events with a TOTP second factor.
  for (const [who, at] of [[ssoAdmin, time(8, 55)], [ssoRead, time(9, 10)], [ssoAdmin, time(14, 2)]] as const) {
    out.push(base(at, who, 'Success', { additionalEventData: { LoginTo: 'https://eu-west-1.console.aws.amazon.com/console/home', MobileVersion: 'No', MFAUsed: 'No' } }, 'No'));
  }
  const idcUser = { type: 'IdentityCenterUser', accountId: ACCOUNT, onBehalfOf: { userId: '94482488-3041-7026-18f3-be45837cd0e4', identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-93670c1a5b' }, credentialId: 'ABCDEFGHIJKL0123' };
  for (const [name, extra] of [
    ['CredentialChallenge', { additionalEventData: { CredentialType: 'PASSWORD' }, serviceEventDetails: { CredentialChallenge: 'Success' } }],
    ['CredentialVerification', { additionalEventData: { CredentialType: 'PASSWORD' }, serviceEventDetails: { CredentialVerification: 'Success' } }],
    ['CredentialChallenge', { additionalEventData: { CredentialType: 'TOTP' }, serviceEventDetails: { CredentialChallenge: 'Success' } }],
    ['CredentialVerification', { additionalEventData: { CredentialType: 'TOTP' }, serviceEventDetails: { CredentialVerification: 'Success' } }],
    ['UserAuthentication', { additionalEventData: { CredentialType: 'TOTP', LoginTo: 'https://d-93670c1a5b.awsapps.com/start/' }, serviceEventDetails: { UserAuthentication: 'Success' } }],
  ] as const) {
    const id = nextId();
    out.push({
      ...structuredClone(SIGN_IN),
      eventVersion: '1.09',
      userIdentity: idcUser,
      eventTime: `${DAY}T08:54:${String(10 + out.length).padStart(2, '0')}Z`,
      eventName: name,
      awsRegion: REGION,
      sourceIPAddress: ssoAdmin.ip,
      userAgent: UA.console,
      requestParameters: null,
      responseElements: null,
      eventID: id,
      eventType: 'AwsServiceEvent',
      readOnly: false,
      recipientAccountId: ACCOUNT,
      ...structuredClone(extra as unknown as Rec),
    });
  }
  // SAML and Identity Center issuing role credentials for those sign-ins.
  out.push(apiCall({ at: time(8, 54, 59), who: { identity: { type: 'SAMLUser', principalId: 'x/heidi@example.com', userName: 'heidi@example.com', identityProvider: 'x' }, ip: ssoRead.ip, agent: UA.console }, source: 'sts', name: 'AssumeRoleWithSAML', region: REGION, readOnly: true, params: { roleArn: `arn:aws:iam::${ACCOUNT}:role/saml-readonly`, principalArn: `arn:aws:iam::${ACCOUNT}:saml-provider/okta`, durationSeconds: 3600 } }));
  return out;
}

/** Applications and instances doing their job: object reads and writes, secrets at start-up, a model. */
function appTraffic(): Rec[] {
  const out: Rec[] = [];
  const object = (at: string, who: Who, name: string, bucket: string, key: string, readOnly: boolean) => {
    const id = nextId();
    return {
      ...structuredClone(DATA),
      userIdentity: who.identity,
      eventTime: `${DAY}T${at}Z`,
      eventName: name,
      awsRegion: REGION,
      sourceIPAddress: who.ip,
      userAgent: who.agent,
      requestParameters: { bucketName: bucket, Host: `${bucket}.s3.eu-west-1.amazonaws.com`, key },
      responseElements: null,
      requestID: id,
      eventID: id,
      readOnly,
      resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` }, { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }],
      recipientAccountId: ACCOUNT,
    };
  };
  for (let i = 0; i < 48; i++) {
    const at = time(Math.floor(i / 2), (i % 2) * 30 + 4);
    out.push(object(at, app, i % 3 === 0 ? 'PutObject' : 'GetObject', 'acme-user-uploads', `uploads/${i}.jpg`, i % 3 !== 0));
  }
  // A few single deletes (cleanup of one upload), hours apart.
  for (const h of [2, 11, 19]) out.push(object(time(h, 44), app, 'DeleteObject', 'acme-user-uploads', `uploads/tmp-${h}.jpg`, false));
  // Secrets and parameters read at task start, four tasks a day each.
  for (const h of [0, 6, 12, 18]) {
    out.push(apiCall({ at: time(h, 1), who: app, source: 'secretsmanager', name: 'GetSecretValue', readOnly: true, params: { secretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:orders/db-AbCdEf' } }));
    out.push(apiCall({ at: time(h, 1, 20), who: app, source: 'ssm', name: 'GetParameters', readOnly: true, params: { names: ['/orders/prod/db-host', '/orders/prod/pool-size'], withDecryption: true } }));
    out.push(apiCall({ at: time(h, 2), who: lambdaFn, source: 'ssm', name: 'GetParameter', readOnly: true, params: { name: '/pipeline/batch-size', withDecryption: false } }));
  }
  // The instance's SSM agent checking in, through the VPC endpoint.
  for (let h = 0; h < 24; h += 4) {
    out.push(apiCall({ at: time(h, 30), who: instance, source: 'ssm', name: 'UpdateInstanceInformation', params: { instanceId: 'i-0a1b2c3d4e5f67890', agentVersion: '3.3.1142.0', platformType: 'Linux' }, extra: { vpcEndpointId: 'vpce-0a1b2c3d4e5f60001', vpcEndpointAccountId: ACCOUNT } }));
  }
  // The orders service summarising with a model it calls all day.
  for (let h = 8; h < 20; h += 2) {
    out.push(apiCall({ at: time(h, 15), who: app, source: 'bedrock', name: 'InvokeModel', readOnly: true, params: { modelId: 'anthropic.claude-3-haiku-20240307-v1:0' } }));
  }
  return out;
}

/** What fails every day: a denied read here and there, dry runs, a missing role checked by Terraform. */
function failures(): Rec[] {
  const failed = (at: string, who: Who, source: string, name: string, errorCode: string, params: Json = null) =>
    apiCall({ at, who, source, name, params, extra: { errorCode, errorMessage: `${errorCode}: not allowed or not found`, responseElements: null } });
  return [
    failed(time(9, 20), ssoRead, 's3', 'GetBucketPolicy', 'AccessDenied', { bucketName: 'acme-backups', Host: 'acme-backups.s3.eu-west-1.amazonaws.com', policy: '' }),
    failed(time(11, 5), ssoRead, 'iam', 'GetAccountPasswordPolicy', 'AccessDenied'),
    failed(time(14, 40), ssoRead, 'kms', 'ListKeys', 'AccessDeniedException'),
    failed(time(10, 11), app, 'ec2', 'DescribeVpcEndpoints', 'Client.UnauthorizedOperation'),
    failed(time(10, 30), terraform, 'ec2', 'RunInstances', 'Client.DryRunOperation', { instancesSet: { items: [{ imageId: 'ami-0a1b2c3d4e5f60001', minCount: 1, maxCount: 1 }] }, instanceType: 't3.small' }),
    failed(time(10, 31), terraform, 'ec2', 'RunInstances', 'Client.DryRunOperation', { instancesSet: { items: [{ imageId: 'ami-0a1b2c3d4e5f60001', minCount: 1, maxCount: 1 }] }, instanceType: 't3.small' }),
    failed(time(10, 32), terraform, 'iam', 'GetRole', 'NoSuchEntityException', { roleName: 'orders-staging-handler' }),
    failed(time(15, 0), lambdaFn, 'dynamodb', 'DescribeTable', 'ResourceNotFoundException', { tableName: 'pipeline-checkpoints' }),
    failed(time(15, 1), ci, 'cloudformation', 'DescribeStacks', 'ValidationError', { stackName: 'orders-preview-123' }),
    failed(time(17, 45), ci, 'ecr', 'GetAuthorizationToken', 'ThrottlingException'),
  ].map((r) => ({ ...r, readOnly: /^(Describe|Get|List)/.test(String(r.eventName)) }));
}

/** People looking after their own credentials: a key rotated, a password changed, an MFA device added. */
function selfService(): Rec[] {
  const at = (h: number, m: number) => time(h, m);
  return [
    apiCall({ at: at(11, 20), who: alice, source: 'iam', name: 'CreateAccessKey', params: { userName: 'alice' }, response: { accessKey: { accessKeyId: 'AKIAALICENEWKEY00001', status: 'Active', userName: 'alice', createDate: 'Nov 17, 2026, 11:20:00 AM' } } }),
    apiCall({ at: at(11, 21), who: alice, source: 'iam', name: 'UpdateAccessKey', params: { userName: 'alice', accessKeyId: 'AKIAALICEOLDKEY00001', status: 'Inactive' } }),
    apiCall({ at: at(11, 40), who: alice, source: 'iam', name: 'DeleteAccessKey', params: { userName: 'alice', accessKeyId: 'AKIAALICEOLDKEY00001' } }),
    apiCall({ at: at(12, 5), who: alice, source: 'iam', name: 'ChangePassword', params: null }),
    apiCall({ at: at(12, 6), who: alice, source: 'iam', name: 'CreateVirtualMFADevice', params: { virtualMFADeviceName: 'alice-phone' } }),
    apiCall({ at: at(12, 7), who: alice, source: 'iam', name: 'EnableMFADevice', params: { userName: 'alice', serialNumber: `arn:aws:iam::${ACCOUNT}:mfa/alice-phone` } }),
  ];
}

const files: Record<string, Rec[]> = {
  'read-only': readOnly(),
  services: services(),
  'ci-cloudformation-deploy': cloudFormationDeploy(),
  'sign-ins': signIns(),
  'app-traffic': appTraffic(),
  failures: failures(),
  'self-service': selfService(),
};

mkdirSync(OUT, { recursive: true });
let total = 0;
for (const [name, records] of Object.entries(files)) {
  records.sort((a, b) => String(a.eventTime).localeCompare(String(b.eventTime)));
  writeFileSync(join(OUT, `${name}.json`), `${JSON.stringify({ Records: records }, null, 1)}\n`);
  total += records.length;
  console.log(`test/fixtures/everyday/${name}.json: ${records.length} records`);
}
console.log(`${total} records`);
