/**
 * The "Alerts per day" section of bench/RESULTS.md, from bench/alerts-per-day.ts's results: how loud
 * the pack is on the generator's mix and on the everyday corpus, with and without the deployments'
 * allowlists, whether every planted incident alerted as planned, and why each noisy rule fires on
 * everyday traffic (the notes below, kept with the code that counts it).
 */
import type { AlertsPerDayResults, NoiseCount } from './alerts-per-day.js';
import type { SectionContext, TargetRow } from './report.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
type Sev = (typeof SEVERITIES)[number];

/** Why a rule fires on everyday traffic, and what would quiet it. Shown beside the rule's count when it alerts. */
export const NOISE_NOTES: Readonly<Record<string, string>> = {
  'secretsmanager-batch-read':
    'a worker fetching its secrets with `BatchGetSecretValue` at task start alerts each hour it starts. Rule change: fire on a filter, a missing list or a long list; or allowlist the role (as `bench/generator-tuning.json` does).',
  'ssm-send-command': 'engineers running `AWS-RunShellScript` on an instance or two. As designed (execution, grouped per principal and hour).',
  'bedrock-first-invocation': "each app role's first model call of the replay (weekly afterwards). Allowlist the roles.",
  'iam-login-profile-for-other-user': 'onboarding an engineer or resetting a password. As designed.',
  'vpc-flow-logs-deleted': 'a VPC stack torn down. As designed.',
  'dns-query-logging-deleted': 'a VPC stack torn down. As designed.',
  'ec2-user-data-bulk-read': "Terraform's refresh reads user data; plans over many instances read ten or more in ten minutes. Allowlist the Terraform role.",
  'secretsmanager-secret-bulk-read': 'counts distinct secrets per principal: fires for a workload reading many different secrets in ten minutes, not for apps re-reading their own.',
  'ssm-parameter-bulk-decrypt': 'counts distinct parameters per principal: fires for a workload decrypting many different parameters in ten minutes, not for apps re-reading their own.',
  'security-group-changed': 'a CIS change record, one per principal and hour. As designed.',
  'iam-policy-change': 'a CIS change record, one per principal and hour. As designed.',
  'ssm-start-session': 'who is on which instance, one per principal and hour. As designed.',
  'ec2-instance-connect-key-pushed': 'who is on which instance, one per principal and hour. As designed.',
  'cloudformation-stack-changes': 'deploys. As designed.',
};

const perDay = (n: Record<Sev, number>): string => SEVERITIES.map((s) => (n[s] ?? 0).toFixed(1)).join(' | ');
const loud = (n: NoiseCount): number => n.perDayBySeverity.critical + n.perDayBySeverity.high + n.perDayBySeverity.medium;
const severe = (n: Record<Sev, number>): number => n.critical + n.high;

export function alertsPerDaySummary(a: AlertsPerDayResults): TargetRow[] {
  const rows: TargetRow[] = [];
  if (a.planted) {
    const bad = a.planted.filter((c) => !c.ok).map((c) => c.rule);
    rows.push({ target: 'Every planted incident matched and alerted as planned', result: bad.length ? `different for ${bad.join(', ')}` : `as planned (${a.planted.length} rules)`, ok: bad.length === 0 });
  }
  if (a.plantedPerDayBySeverity) {
    const extra = severe(a.generator.perDayBySeverity) - severe(a.plantedPerDayBySeverity);
    rows.push({ target: 'High and critical alerts on the generator mix: only the planted incidents', result: `${extra.toFixed(1)} a day beyond them`, ok: extra <= 0 });
  }
  rows.push({ target: 'Medium or higher alerts on the everyday corpus, untuned (no target)', result: `${loud(a.everyday).toFixed(0)}` });
  if (a.tuned) {
    rows.push({ target: "Medium or higher alerts on the everyday corpus with its deployment's allowlist = 0", result: `${loud(a.tuned.everyday).toFixed(0)}`, ok: loud(a.tuned.everyday) === 0 });
  }
  return rows;
}

export function alertsPerDaySection(a: AlertsPerDayResults, _ctx?: SectionContext): string[] {
  const g = a.generator;
  const lines = [
    `\`bench/alerts-per-day.ts\` replays the generated history (\`${g.source}\`, ${g.events.toLocaleString('en-US')} events over ${g.days.toFixed(1)} days) and the everyday corpus (test/fixtures/everyday: one real day of an estate's CloudTrail, ${a.everyday.events.toLocaleString('en-US')} events) through the whole pipeline ` +
      "(EventBridge routing, every live rule, incidents, bursts, follow-ups), then both again with their deployment's allowlist, and counts the live alerts and follow-ups that would be sent.",
    '',
    '| Live alerts per day | critical | high | medium | low | info |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| generator mix, no tuning | ${perDay(g.perDayBySeverity)} |`,
  ];
  if (a.tuned) lines.push(`| generator mix, with the estate's allowlist (\`${a.tuned.generator.tuning}\`) | ${perDay(a.tuned.generator.perDayBySeverity)} |`);
  if (a.plantedPerDayBySeverity) lines.push(`| … of which the planted incidents (first alerts and follow-ups the manifest plans) | ${perDay(a.plantedPerDayBySeverity)} |`);
  lines.push(`| everyday corpus, no tuning | ${perDay(a.everyday.perDayBySeverity)} |`);
  if (a.tuned) lines.push(`| everyday corpus, with its deployment's allowlist (\`${a.tuned.everyday.tuning}\`) | ${perDay(a.tuned.everyday.perDayBySeverity)} |`);
  lines.push(
    '',
    "**The generator's mix.** `bench/generate.ts` writes everyday traffic in everyday shapes (security group rules to private ranges and other groups, invoke permissions held by `sourceArn`, shares revoked or made to the organization, deploys through CloudFormation and Terraform, instances calling AWS through VPC endpoints, each workload reading its own secrets and parameters, engineers' sessions at a small estate's rates), " +
      'and plants attack shapes as incidents its manifest counts rule by rule. Whatever alerts beyond the planted incidents is the pack\'s noise on everyday traffic.',
    '',
  );
  if (a.planted) {
    const bad = a.planted.filter((c) => !c.ok);
    lines.push(
      bad.length === 0
        ? `Every planted incident matched, alerted and followed up exactly as the manifest plans (${a.planted.length} rules, ${a.planted.reduce((s, c) => s + c.plantedMatches, 0).toLocaleString('en-US')} planted matches).`
        : `**Planted incidents that did not alert as planned:** ${bad.map((c) => `\`${c.rule}\` matched ${c.matched} (planted ${c.plantedMatches}), first alerts ${c.firstAlerts} (planned ${c.plannedFirstAlerts}), follow-ups ${c.followUps} (planned ${c.plannedFollowUps})`).join('; ')}.`,
      '',
    );
  }
  const planned = new Map((a.planted ?? []).map((c) => [c.rule, c]));
  const rules = Object.entries(g.perRule).sort((x, y) => y[1].alerts + y[1].followUps - (x[1].alerts + x[1].followUps) || (x[0] < y[0] ? -1 : 1));
  if (rules.length) {
    lines.push(
      'Per rule over the whole generated history: first alerts + follow-ups (a first alert opens an incident; later matches of it are grouped into follow-ups the scheduled flush sends), what the manifest planted, the same with the allowlist, and why the rule fires on everyday traffic:',
      '',
      '| Rule | Severity | Alerts + follow-ups | planted | with allowlist | On everyday traffic |',
      '| --- | --- | ---: | ---: | ---: | --- |',
    );
    for (const [id, r] of rules) {
      const p = planned.get(id);
      const t = a.tuned?.generator.perRule[id];
      const note = NOISE_NOTES[id] ?? (p && r.alerts + r.followUps <= p.plannedFirstAlerts + p.plannedFollowUps ? 'only the planted incidents' : '');
      lines.push(`| ${id} | ${r.severity} | ${r.alerts} + ${r.followUps} | ${p ? `${p.plannedFirstAlerts} + ${p.plannedFollowUps}` : '—'} | ${a.tuned ? (t ? `${t.alerts} + ${t.followUps}` : '0') : ''} | ${note} |`);
    }
    lines.push('');
  }
  const corpus = Object.entries(a.everyday.perRule);
  lines.push(
    `Everyday corpus, no tuning: ${corpus.map(([id, x]) => `\`${id}\` (${x.severity}) ${x.alerts} + ${x.followUps} follow-ups`).join('; ') || 'nothing'}` +
      (a.tuned ? `; with its allowlist: ${Object.entries(a.tuned.everyday.perRule).map(([id, x]) => `\`${id}\` (${x.severity}) ${x.alerts} + ${x.followUps}`).join('; ') || 'nothing'}.` : '.'),
    '',
    "**Not modelled, but common in real estates, and not fixable with today's allowlist** (entries match the caller, not the account a change names): AMI pipelines and DR jobs sharing images and snapshots with the organization's own accounts by account id " +
      "(`ec2-ami-shared`, `ec2-snapshot-shared`, `rds-snapshot-shared`, high) and roles trusting the organization's other accounts (`iam-role-trust-external-account`, medium): those rules need a list of the organization's accounts. " +
      "Instances reaching STS through a NAT gateway rather than a VPC endpoint call from the NAT's public address and fire `ec2-instance-credentials-whoami` whenever software on them asks `GetCallerIdentity`: allowlist the NAT addresses (`sourceCidr`).",
    '',
  );
  return lines;
}
