import type { Alert } from '../alert/alert.js';
import type { ReplaySummary } from './run.js';

/**
 * Backtest report: how noisy a rule would have been. Alerts per rule per day, and the group keys
 * (principal, bucket, ...) that produced most of them, so a threshold or an exception can be chosen
 * before the rule is enabled.
 */
export interface BacktestReport {
  rules: Record<string, { matched: number; alerts: number; perDay: Record<string, number>; topGroups: Array<{ group: Record<string, string>; alerts: number }> }>;
  days: string[];
  events: number;
}

export class ReportBuilder {
  private readonly perDay = new Map<string, Map<string, number>>();
  private readonly groups = new Map<string, Map<string, { group: Record<string, string>; alerts: number }>>();

  add(alert: Alert): void {
    const day = alert.eventTime.slice(0, 10);
    const days = this.perDay.get(alert.ruleId) ?? new Map<string, number>();
    days.set(day, (days.get(day) ?? 0) + 1);
    this.perDay.set(alert.ruleId, days);
    const group = alert.group ?? { principal: alert.actor.name, account: alert.account };
    const key = JSON.stringify(group);
    const groups = this.groups.get(alert.ruleId) ?? new Map<string, { group: Record<string, string>; alerts: number }>();
    const entry = groups.get(key) ?? { group, alerts: 0 };
    entry.alerts += 1;
    groups.set(key, entry);
    this.groups.set(alert.ruleId, groups);
  }

  build(summary: ReplaySummary, top = 5): BacktestReport {
    const days = new Set<string>();
    const rules: BacktestReport['rules'] = {};
    for (const [ruleId, stats] of Object.entries(summary.perRule)) {
      const perDay = Object.fromEntries([...(this.perDay.get(ruleId) ?? new Map<string, number>()).entries()].sort(([a], [b]) => a.localeCompare(b)));
      Object.keys(perDay).forEach((d) => days.add(d));
      const topGroups = [...(this.groups.get(ruleId)?.values() ?? [])].sort((a, b) => b.alerts - a.alerts).slice(0, top);
      rules[ruleId] = { matched: stats.matched, alerts: stats.alerts, perDay, topGroups };
    }
    return { rules, days: [...days].sort(), events: summary.events };
  }
}

export function renderReport(report: BacktestReport): string {
  const lines: string[] = [`Backtest over ${report.events} events, ${report.days.length} day(s) with alerts`, ''];
  const ids = Object.keys(report.rules);
  const width = Math.max(4, ...ids.map((id) => id.length));
  lines.push(`${'rule'.padEnd(width)}  ${'matched'.padStart(8)}  ${'alerts'.padStart(6)}  ${report.days.map((d) => d.slice(5)).join('  ')}`);
  for (const id of ids) {
    const r = report.rules[id];
    if (!r) continue;
    const cells = report.days.map((d) => String(r.perDay[d] ?? 0).padStart(5));
    lines.push(`${id.padEnd(width)}  ${String(r.matched).padStart(8)}  ${String(r.alerts).padStart(6)}  ${cells.join('  ')}`);
  }
  lines.push('', 'Busiest incident keys:');
  for (const id of ids) {
    const r = report.rules[id];
    if (!r?.topGroups.length) continue;
    lines.push(`  ${id}`);
    for (const g of r.topGroups) {
      lines.push(`    ${String(g.alerts).padStart(5)}  ${Object.entries(g.group).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
