import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../infra/config.js';
import { generatedResources as fromConfig } from '../../infra/stack.js';
import { rules } from '../../rules/index.js';

/** The stack for a configuration file whose `rules:` is this JSON (JSON is YAML). */
const generatedResources = ({ stage, ruleTuning }: { stage: string; ruleTuning?: string }) =>
  fromConfig(parseDeployConfig(`rules: ${ruleTuning ?? '{}'}`, 'trailwatch.ci.yml', { rules }), stage);

/** Which detections the generated EventBridge rules route, by the patterns they hold. */
const routed = (tuning?: string): string[] => {
  const deployed = Object.values(generatedResources({ stage: 'ci', ...(tuning ? { ruleTuning: tuning } : {}) }).Resources).filter((r) => r.Type === 'AWS::Events::Rule');
  const patterns = new Set(
    deployed.flatMap((r) => {
      const pattern = r.Properties.EventPattern as Record<string, unknown>;
      return (Array.isArray(pattern.$or) ? (pattern.$or as unknown[]) : [pattern]).map((p) => JSON.stringify(p));
    }),
  );
  return rules.filter((r) => patterns.has(JSON.stringify(r.pattern))).map((r) => r.id);
};

describe('generated EventBridge rules follow the deployment tuning', () => {
  it('routes every rule by default', () => {
    expect(routed().sort()).toEqual(rules.map((r) => r.id).sort());
    expect(routed('{}').length).toBe(rules.length);
  });

  it('does not route a disabled rule', () => {
    const ids = routed('{"iam-user-deleted":{"enabled":false}}');
    expect(ids).not.toContain('iam-user-deleted');
    expect(ids.length).toBe(rules.length - 1);
  });

  it('says a rule staged by tuning is staged in its route\'s description', () => {
    const resources = generatedResources({ stage: 'ci', ruleTuning: '{"iam-user-deleted":{"status":"staged"}}' }).Resources;
    const descriptions = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule').map((r) => String(r.Properties.Description));
    expect(descriptions.filter((d) => d.includes('iam-user-deleted (staged)'))).toHaveLength(1);
    expect(descriptions.join(' ')).not.toMatch(/cloudtrail-tampering \(staged\)/);
  });

  it('fails the build on invalid tuning, naming the rule and key', () => {
    expect(() => generatedResources({ stage: 'ci', ruleTuning: '{"iam-user-deleted":{"enabled":"no"}}' })).toThrow(/iam-user-deleted\.enabled/);
  });
});
