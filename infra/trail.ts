/*
 * The optional trail, for accounts without one: what a console user would click through in the
 * CloudTrail console, as CloudFormation. Multi-region, global service events, log file validation, an
 * S3 bucket with public access blocked and SSE-KMS under a key whose policy lets CloudTrail use it, the
 * S3 object deletions the data-event rules need (advanced event selectors), and Insights of both types.
 */
import type { CfnResource } from './eventbridge.js';
import type { Rule } from '../lib/detection/rule.js';

export interface TrailOptions {
  stage: string;
  /** `all` buckets, `none`, or bucket names. */
  s3DataEvents: 'all' | 'none' | readonly string[];
  insights: boolean;
}

const sub = (s: string) => ({ 'Fn::Sub': s });

export const trailName = (stage: string): string => `trailwatch-${stage}`;

/** Data events the rule pack needs, by resource type (from each rule's `requires.dataEvents`). */
export function dataEventNeeds(rules: readonly Rule[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const rule of rules) {
    const need = rule.requires.dataEvents;
    if (!need) continue;
    const names = out.get(need.resourceType) ?? new Set<string>();
    for (const n of need.eventNames) names.add(n);
    out.set(need.resourceType, names);
  }
  return new Map([...out].map(([type, names]) => [type, [...names].sort()]));
}

/** Management events (read and write), and the S3 object-level events the rules need, nothing more. */
export function advancedEventSelectors(rules: readonly Rule[], s3: TrailOptions['s3DataEvents']): unknown[] {
  const selectors: unknown[] = [{ Name: 'Management events', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }];
  if (s3 === 'none') return selectors;
  for (const [type, names] of dataEventNeeds(rules)) {
    if (type !== 'AWS::S3::Object') continue;
    selectors.push({
      Name: 'S3 object deletions (trailwatch data-event rules)',
      FieldSelectors: [
        { Field: 'eventCategory', Equals: ['Data'] },
        { Field: 'resources.type', Equals: [type] },
        { Field: 'eventName', Equals: names },
        ...(s3 === 'all' ? [] : [{ Field: 'resources.ARN', StartsWith: s3.map((b) => sub(`arn:\${AWS::Partition}:s3:::${b}/`)) }]),
      ],
    });
  }
  return selectors;
}

export function trailResources(rules: readonly Rule[], opts: TrailOptions): Record<string, CfnResource> {
  const trailArn = sub(`arn:\${AWS::Partition}:cloudtrail:\${AWS::Region}:\${AWS::AccountId}:trail/${trailName(opts.stage)}`);
  const bucketArn = { 'Fn::GetAtt': ['TrailwatchTrailBucket', 'Arn'] };
  const fromThisTrail = { StringEquals: { 'aws:SourceArn': trailArn } };
  return {
    TrailwatchTrailKey: {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `trailwatch ${opts.stage}: encrypts the trail's log files`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          // In a key policy, Resource "*" means this key: it is the only form KMS accepts.
          Statement: [
            {
              Sid: 'AccountAdministersKey',
              Effect: 'Allow',
              Principal: { AWS: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') },
              Action: [
                'kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:EnableKeyRotation',
                'kms:ListResourceTags', 'kms:TagResource', 'kms:UntagResource', 'kms:UpdateKeyDescription', 'kms:EnableKey',
                'kms:DisableKey', 'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:CreateGrant', 'kms:ListGrants', 'kms:RevokeGrant',
              ],
              Resource: '*',
            },
            {
              Sid: 'CloudTrailEncryptsLogs',
              Effect: 'Allow',
              Principal: { Service: 'cloudtrail.amazonaws.com' },
              Action: 'kms:GenerateDataKey',
              Resource: '*',
              Condition: {
                StringEquals: { 'aws:SourceArn': trailArn },
                StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': sub('arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*') },
              },
            },
            { Sid: 'CloudTrailDescribesKey', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:DescribeKey', Resource: '*', Condition: fromThisTrail },
            {
              // Reading the logs (console, Athena, `trailwatch replay` after a download) needs decrypt.
              Sid: 'AccountReadsLogs',
              Effect: 'Allow',
              Principal: { AWS: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') },
              Action: 'kms:Decrypt',
              Resource: '*',
              Condition: {
                StringEquals: { 'kms:CallerAccount': { Ref: 'AWS::AccountId' } },
                StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': sub('arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/*') },
              },
            },
          ],
        },
      },
    },
    TrailwatchTrailBucket: {
      Type: 'AWS::S3::Bucket',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['TrailwatchTrailKey', 'Arn'] } }, BucketKeyEnabled: true },
          ],
        },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        VersioningConfiguration: { Status: 'Enabled' },
      },
    },
    TrailwatchTrailBucketPolicy: {
      Type: 'AWS::S3::BucketPolicy',
      Properties: {
        Bucket: { Ref: 'TrailwatchTrailBucket' },
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'CloudTrailAclCheck', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 's3:GetBucketAcl', Resource: bucketArn, Condition: fromThisTrail },
            {
              Sid: 'CloudTrailWrite',
              Effect: 'Allow',
              Principal: { Service: 'cloudtrail.amazonaws.com' },
              Action: 's3:PutObject',
              Resource: { 'Fn::Sub': ['${Bucket}/AWSLogs/${AWS::AccountId}/*', { Bucket: bucketArn }] },
              Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': trailArn } },
            },
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:ListBucket'],
              Resource: [bucketArn, { 'Fn::Sub': ['${Bucket}/*', { Bucket: bucketArn }] }],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
    TrailwatchTrail: {
      Type: 'AWS::CloudTrail::Trail',
      DependsOn: ['TrailwatchTrailBucketPolicy'],
      Properties: {
        TrailName: trailName(opts.stage),
        IsLogging: true,
        IsMultiRegionTrail: true,
        IncludeGlobalServiceEvents: true,
        EnableLogFileValidation: true,
        S3BucketName: { Ref: 'TrailwatchTrailBucket' },
        KMSKeyId: { 'Fn::GetAtt': ['TrailwatchTrailKey', 'Arn'] },
        AdvancedEventSelectors: advancedEventSelectors(rules, opts.s3DataEvents),
        ...(opts.insights ? { InsightSelectors: [{ InsightType: 'ApiCallRateInsight' }, { InsightType: 'ApiErrorRateInsight' }] } : {}),
      },
    },
  };
}
