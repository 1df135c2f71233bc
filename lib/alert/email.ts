import type { Alert } from './alert.js';
import { nextStepsOf } from './next-steps.js';
import { asciiOnly, humanDuration, oneLine, truncate } from '../untrusted/text.js';

/** SNS: "under 100 characters", no line breaks or control characters; older docs also say ASCII. */
export const SUBJECT_MAX = 99;
/** SNS messages may be 256 KB with attributes; an email body needs far less, and we leave headroom. */
export const BODY_MAX = 64 * 1024;

const SEVERITY_WORD: Record<Alert['severity'], string> = {
  info: 'INFO',
  low: 'LOW',
  medium: 'MEDIUM',
  high: 'HIGH',
  critical: 'CRITICAL',
};

/** The alert's lead line: what, by whom, where. Shared by subject, email and Slack. */
export function headline(alert: Alert): string {
  const prefix = alert.kind === 'summary' ? 'Follow-up: ' : '';
  return `${prefix}${alert.title}`;
}

const INSIGHT_WORDS: Record<string, string> = { ApiCallRateInsight: 'call rate', ApiErrorRateInsight: 'error rate' };

/** "call rate" / "error rate": what a CloudTrail Insight found unusual. */
export function insightWords(alert: Alert): string | undefined {
  if (!alert.insight) return undefined;
  return INSIGHT_WORDS[alert.insight.type] ?? oneLine(alert.insight.type, 60);
}

/**
 * Who the alert is about: the caller, or for an Insight (which has no caller) the API whose rate is
 * unusual, e.g. "DeleteObjects call rate".
 */
export function subjectName(alert: Alert): string {
  const words = insightWords(alert);
  if (words !== undefined) return `${oneLine(alert.eventName, 60) || 'API'} ${words}`;
  return alert.actor.name;
}

export function subjectOf(alert: Alert): string {
  const staged = alert.status === 'staged' ? ' (staged)' : '';
  const subject = `[trailwatch] ${SEVERITY_WORD[alert.severity]}${staged} ${oneLine(headline(alert), 80)} - ${oneLine(subjectName(alert), 60)} in ${oneLine(alert.accountName ?? alert.account, 40)}`;
  return truncate(asciiOnly(subject), SUBJECT_MAX, '...');
}

/** "detected 6 min after the API call" */
export function latencyWords(alert: Alert): string {
  if (alert.replayed) return `replayed from recorded events (event time ${alert.eventTime}; no delivery delay measured)`;
  const what = alert.kind === 'summary' ? 'the last grouped call' : alert.kind === 'threshold' ? 'the call that completed the burst' : 'the API call';
  const late = alert.late ? ' (arrived after the allowed lateness: not counted in windows)' : '';
  return `detected ${humanDuration(alert.delayMs)} after ${what}${late}`;
}

/** Labels sit in a column this wide; a longer label still gets two spaces before its value. */
export const LABEL_WIDTH = 15;
/** Continuation lines (a wrapped value) start with this indent, so they never read as a label. */
export const CONTINUATION = ' '.repeat(LABEL_WIDTH);

function line(label: string, value: string | number | undefined, max = 300): string | undefined {
  if (value === undefined || value === '') return undefined;
  const head = label.length >= LABEL_WIDTH - 1 ? `${label}  ` : label.padEnd(LABEL_WIDTH);
  return `${head}${oneLine(String(value), max)}`;
}

/** A value of several lines we wrote ourselves (a query): the first beside its label, the rest indented. */
function block(label: string, lines: readonly string[]): string | undefined {
  const [first, ...rest] = lines.map((l) => oneLine(l, 1000)).filter((l) => l !== '');
  if (first === undefined) return undefined;
  return [line(label, first, 1000), ...rest.map((l) => `${CONTINUATION}${l}`)].join('\n');
}

/** Who made the call; for an Insight, what is unusual instead (it has no caller). */
function whoLines(alert: Alert): Array<string | undefined> {
  const a = alert.actor;
  const words = insightWords(alert);
  if (words !== undefined && alert.insight) {
    return [line('Unusual', `${words} of ${alert.eventSource} ${alert.eventName}${alert.insight.state === 'End' ? ' (over)' : ''}`)];
  }
  return [
    line('Who', a.name),
    line('Identity type', a.type),
    line('ARN', a.arn),
    line('Access key', a.accessKeyId),
    line('MFA', a.mfa),
    line('Source IP', a.sourceIp),
    line('Via', a.via),
    line('User agent', a.userAgent),
    line('Invoked by', a.invokedBy),
  ];
}

function nextStepLines(alert: Alert): Array<string | undefined> {
  const steps = nextStepsOf(alert);
  return [
    steps.eventHistoryUrl || steps.athenaSql ? 'Next steps' : undefined,
    line('Event history', steps.eventHistoryUrl, 1000),
    steps.athenaSql ? block('Athena query', [`-- ${steps.activityOf ?? ''}`, ...steps.athenaSql.split('\n')]) : undefined,
  ];
}

/** The plain-text body: what email subscribers read. Each untrusted value is confined to one line. */
export function emailBody(alert: Alert): string {
  const sections: Array<Array<string | undefined>> = [
    [
      `${SEVERITY_WORD[alert.severity]}${alert.status === 'staged' ? ' (staged rule: not sent to people in production)' : ''}: ${oneLine(headline(alert), 200)}`,
      oneLine(alert.summary, 1000),
      latencyWords(alert),
    ],
    [
      line('Account', alert.accountName ? `${alert.account} (${alert.accountName})` : alert.account),
      line('Region', alert.region),
      line('Event time', alert.eventTime),
      line('Detected', alert.detectedAt),
      alert.firstEventTime && alert.lastEventTime ? line('Span', `${alert.firstEventTime} to ${alert.lastEventTime}`) : undefined,
      line('Count', alert.count),
      line('API', `${alert.eventSource} ${alert.eventName}`.trim()),
      line('Result', alert.errorCode ? `${alert.errorCode}${alert.errorMessage ? `: ${alert.errorMessage}` : ''}` : 'success', 500),
    ],
    whoLines(alert),
    alert.details.map((d) => line(oneLine(d.label, 40), d.value, 1000)),
    [alert.group ? line('Incident key', Object.entries(alert.group).map(([k, v]) => `${k}=${v}`).join(', '), 600) : undefined],
    [
      line('Rule', alert.ruleId),
      line('MITRE ATT&CK', alert.mitre.join(', ')),
      line('Event IDs', truncate(alert.eventIds.join(', '), 2000), 2000),
      line('Alert ID', alert.id),
    ],
    nextStepLines(alert),
    [`What to do: ${oneLine(alert.runbook, 2000)}`, ...alert.references.map((r) => `  - ${oneLine(r, 300)}`)],
  ];
  const text = sections
    .map((s) => s.filter((l): l is string => l !== undefined).join('\n'))
    .filter((s) => s !== '')
    .join('\n\n');
  return truncate(`${text}\n`, BODY_MAX);
}

/**
 * One publish per alert with MessageStructure=json: email subscribers get the plain text, machine
 * subscribers (email-json, SQS, Lambda, HTTPS: the Slack notifier among them) get the alert as JSON.
 * The alert builder measures this exact string to keep every publish under SNS's limit.
 */
export function snsMessage(alert: Alert): string {
  const text = emailBody(alert);
  const json = JSON.stringify(alert);
  return JSON.stringify({ default: text, email: text, 'email-json': json, sqs: json, lambda: json, https: json });
}

/** SNS message attributes, for subscription filter policies (e.g. severity routing). */
export function messageAttributes(alert: Alert): Record<string, { DataType: 'String'; StringValue: string }> {
  const attr = (value: string) => ({ DataType: 'String' as const, StringValue: oneLine(value, 256) || '-' });
  return {
    severity: attr(alert.severity),
    ruleId: attr(alert.ruleId),
    account: attr(alert.account || 'unknown'),
    status: attr(alert.status),
    kind: attr(alert.kind),
  };
}
