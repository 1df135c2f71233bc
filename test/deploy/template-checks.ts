/*
 * Checks every packaged template must pass, written as functions that return the problems found, so
 * each check is itself tested on a template that breaks it (test/deploy/templates.test.ts).
 */
import { MAX_PATTERN_LENGTH } from '../../lib/eventbridge/pattern.js';

export type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
export type Template = { Resources: Record<string, Resource>; Parameters?: Record<string, unknown>; Conditions?: Record<string, unknown> };
type Statement = { Sid?: string; Effect: string; Action?: unknown; Resource?: unknown; Principal?: unknown; Condition?: unknown };

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Every policy statement in a template, with where it is. */
export function statementsOf(template: Template): Array<{ where: string; statement: Statement; kind: 'identity' | 'resource' | 'key' }> {
  const out: Array<{ where: string; statement: Statement; kind: 'identity' | 'resource' | 'key' }> = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const docs: Array<[unknown, 'identity' | 'resource' | 'key']> = [];
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of list(r.Properties.Policies)) docs.push([(p as { PolicyDocument?: unknown }).PolicyDocument, 'identity']);
      for (const arn of list(r.Properties.ManagedPolicyArns)) out.push({ where: `${id}.ManagedPolicyArns`, statement: { Effect: 'Allow', Action: `managed policy ${JSON.stringify(arn)}` }, kind: 'identity' });
    }
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') docs.push([r.Properties.PolicyDocument, 'identity']);
    if (['AWS::SQS::QueuePolicy', 'AWS::S3::BucketPolicy', 'AWS::SNS::TopicPolicy'].includes(r.Type)) docs.push([r.Properties.PolicyDocument, 'resource']);
    if (r.Type === 'AWS::KMS::Key') docs.push([r.Properties.KeyPolicy, 'key']);
    if (r.Type === 'AWS::Events::EventBusPolicy' && r.Properties.Statement) docs.push([{ Statement: r.Properties.Statement }, 'resource']);
    for (const [doc, kind] of docs) {
      for (const [i, s] of list((doc as { Statement?: unknown })?.Statement).entries()) out.push({ where: `${id}[${i}]`, statement: s as Statement, kind });
    }
  }
  return out;
}

/**
 * No wildcard action anywhere (`*`, `s3:*`, `kms:Create*`), and no bare `*` resource in an identity
 * policy (in a KMS key policy `*` means the key itself, the only form KMS accepts). Managed policies
 * are refused: what they grant is not in the template.
 */
export function wildcardProblems(template: Template): string[] {
  const problems: string[] = [];
  for (const { where, statement, kind } of statementsOf(template)) {
    if (statement.Effect !== 'Allow') continue;
    for (const action of list(statement.Action)) {
      if (typeof action !== 'string' || action.includes('*') || action.startsWith('managed policy')) problems.push(`${where}: action ${JSON.stringify(action)}`);
    }
    if (kind === 'identity' && list(statement.Resource).some((r) => r === '*')) problems.push(`${where}: resource "*"`);
    if (kind === 'resource' && statement.Principal === '*' && statement.Condition === undefined) problems.push(`${where}: anyone, unconditionally`);
  }
  return problems;
}

/** Encryption at rest on everything that stores alerts, events or logs. */
export function encryptionProblems(template: Template): string[] {
  const problems: string[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties;
    if (r.Type === 'AWS::SNS::Topic' && !p.KmsMasterKeyId) problems.push(`${id}: topic without KmsMasterKeyId`);
    if (r.Type === 'AWS::SQS::Queue' && p.SqsManagedSseEnabled !== true && !p.KmsMasterKeyId) problems.push(`${id}: queue without SSE`);
    if (r.Type === 'AWS::DynamoDB::Table' && (p.SSESpecification as { SSEEnabled?: boolean } | undefined)?.SSEEnabled !== true) problems.push(`${id}: table without SSE`);
    if (r.Type === 'AWS::S3::Bucket' && !p.BucketEncryption) problems.push(`${id}: bucket without default encryption`);
    if (r.Type === 'AWS::CloudTrail::Trail' && !p.KMSKeyId) problems.push(`${id}: trail without KMS`);
  }
  return problems;
}

export function patternProblems(template: Template): string[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule' && r.Properties.EventPattern !== undefined)
    .flatMap(([id, r]) => {
      const length = JSON.stringify(r.Properties.EventPattern).length;
      const targets = list(r.Properties.Targets).length;
      return [
        ...(length > MAX_PATTERN_LENGTH ? [`${id}: pattern of ${length} characters`] : []),
        ...(targets > 5 ? [`${id}: ${targets} targets`] : []),
        ...(String(r.Properties.Name ?? '').length > 64 ? [`${id}: name over 64 characters`] : []),
      ];
    });
}

export const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
