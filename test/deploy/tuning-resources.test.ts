import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config.js';
import { generatedResources as fromConfig } from '../../infra/stack.js';
import { rules } from '../../rules/index.js';

/** The stack for a configuration file whose `rules:` is this JSON (JSON is YAML). */
const generatedResources = ({ stage, ruleTuning }: { stage: string; ruleTuning?: string }) =>
  fromConfig(parseDeployConfig(`rules: ${ruleTuning ?? '{}'}`, 'trailwatch.ci.yml', { rules }), stage);

const ruleNames = (tuning?: string) =>
  Object.values(generatedResources({ stage: 'ci', ...(tuning ? { ruleTuning: tuning } : {}) }).Resources)
    .filter((r) => r.Type === 'AWS::Events::Rule')
    .map((r) => r.Properties.Name as string);

describe('generated EventBridge rules follow the deployment tuning', () => {
  it('deploys every rule by default', () => {
    expect(ruleNames().sort()).toEqual(rules.map((r) => `trailwatch-ci-${r.id}`).sort());
    expect(ruleNames('{}').length).toBe(rules.length);
  });

  it('does not deploy a disabled rule', () => {
    const names = ruleNames('{"iam-user-deleted":{"enabled":false}}');
    expect(names).not.toContain('trailwatch-ci-iam-user-deleted');
    expect(names.length).toBe(rules.length - 1);
  });

  it('says a rule staged by tuning is staged in its description', () => {
    const resources = generatedResources({ stage: 'ci', ruleTuning: '{"iam-user-deleted":{"status":"staged"}}' }).Resources;
    const rule = Object.values(resources).find((r) => r.Properties.Name === 'trailwatch-ci-iam-user-deleted');
    expect(rule?.Properties.Description).toMatch(/^trailwatch staged:/);
  });

  it('fails the build on invalid tuning, naming the rule and key', () => {
    expect(() => generatedResources({ stage: 'ci', ruleTuning: '{"iam-user-deleted":{"enabled":"no"}}' })).toThrow(/iam-user-deleted\.enabled/);
  });
});
