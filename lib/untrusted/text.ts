/**
 * Text hygiene for attacker-chosen strings. Every CloudTrail string goes through `oneLine` before it
 * is placed in an alert, so no field can add lines to an email, forge a header-looking line, reorder
 * text with bidi controls, or make a message too large.
 */

// C0 and C1 controls, DEL, zero-width and bidi controls, line/paragraph separators, BOM.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+/g;
const SPACES = / {2,}/g;
/** Text oneLine returns as it is: printable ASCII words separated by single spaces (most text). */
const PLAIN = /^(?:[!-~]+(?: [!-~]+)*)?$/;

/** Truncates to at most `max` code points (never splitting a surrogate pair), marking the cut. */
export function truncate(text: string, max: number, marker = '…'): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, Math.max(0, max - marker.length)).join('')}${marker}`;
}

/** A single line of plain text: controls become spaces, runs of spaces fold, length is capped. */
export function oneLine(value: unknown, max = 300): string {
  if (typeof value === 'string' && value.length <= max && PLAIN.test(value)) return value;
  const full = typeof value === 'string' ? value : value === undefined || value === null ? '' : safeStringify(value);
  // Cut before cleaning: a 10 MB field costs no more than a short one. Four units per kept point is
  // enough slack for surrogate pairs and for the controls the cleaning removes.
  const text = full.length > max * 4 ? full.slice(0, max * 4) : full;
  // toWellFormed: a lone surrogate (from the input, or from the cut above) becomes U+FFFD, so the
  // text is always valid UTF-16 and encodes to UTF-8 for SNS and Slack.
  return truncate(text.toWellFormed().replace(UNSAFE, ' ').replace(SPACES, ' ').trim(), max);
}

/** Printable ASCII only: for SNS subjects, whose older rules allow nothing else. */
export function asciiOnly(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** JSON.stringify that cannot throw (cycles, BigInt) and is bounded before it is built into a line. */
export function safeStringify(value: unknown): string {
  try {
    const s = JSON.stringify(value);
    return s ?? String(value);
  } catch {
    return '[unprintable]';
  }
}

/** "6 min", "2 h 5 min", "40 s": delays as a person reads them. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  if (h < 48) return rest ? `${h} h ${rest} min` : `${h} h`;
  return `${Math.round(h / 24)} days`;
}
