import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emailBody, messageAttributes, SUBJECT_MAX, subjectOf } from '../../lib/alert/format.js';
import { createDetector } from '../../lib/detector.js';
import { snsMessage } from '../../lib/transport/sns.js';
import { rules } from '../../rules/index.js';
import { allCases } from '../support/rule-cases.js';

/**
 * Every string in a CloudTrail event is chosen by whoever made the call. Take each firing case and
 * replace its text with hostile strings (newlines, controls, bidi, 10 KB, non-ASCII, lone surrogates)
 * or its objects with arbitrary JSON: the detector must never throw, and what it would send must be
 * a valid SNS publish.
 */
const detector = createDetector({ rules, clock: () => Date.parse('2026-11-24T00:00:00Z') });
const firing = allCases().filter((c) => c.matches.length > 0);

const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'binary', minLength: 9_000, maxLength: 11_000 }),
  fc.constantFrom('<!channel> <@U123> <https://evil.example|click>', 'a\r\nSubject: x\r\n\r\nbody', '\u202egnp.exe', '\ud800', '${jndi:x}', '%s%n', ''),
);

/** Paths of string leaves in a JSON value. */
function stringPaths(value: unknown, path: string[] = []): string[][] {
  if (typeof value === 'string') return [path];
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => stringPaths(v, [...path, k]));
  }
  return [];
}

function setPath(target: unknown, path: string[], replacement: unknown): void {
  let node = target as Record<string, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = replacement;
}

function assertSendable(raw: unknown): Promise<void> {
  return detector.process(raw).then((result) => {
    for (const alert of result.alerts) {
      const subject = subjectOf(alert);
      expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
      expect(subject).toMatch(/^[\x20-\x7e]+$/);
      const body = emailBody(alert);
      expect(body).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/);
      const message = snsMessage(alert);
      expect(Buffer.byteLength(message) + 2048).toBeLessThan(256 * 1024);
      expect(() => JSON.parse(message)).not.toThrow();
      for (const attr of Object.values(messageAttributes(alert))) expect(attr.StringValue.length).toBeGreaterThan(0);
    }
  });
}

describe('hostile CloudTrail text', () => {
  it.each(firing.map((c) => [c.name, c] as const))('never breaks an alert: %s', async (_name, c) => {
    const paths = stringPaths(c.event.detail).map((p) => ['detail', ...p]);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...paths), hostileString), { minLength: 1, maxLength: 8 }), async (edits) => {
        const event = structuredClone(c.event);
        for (const [path, value] of edits) setPath(event, path, value);
        await assertSendable(event);
      }),
      // Shrinking 10 KB strings is slow; a failure still reports its seed and a counterexample.
      { numRuns: 40, endOnFailure: true },
    );
  });

  it.each(firing.map((c) => [c.name, c] as const))('survives arbitrary JSON in place of any object: %s', async (_name, c) => {
    const keys = ['userIdentity', 'requestParameters', 'responseElements', 'additionalEventData', 'insightDetails', 'errorCode', 'eventTime', 'resources'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 4 }), async (key, junk) => {
        const event = structuredClone(c.event) as unknown as { detail: Record<string, unknown> };
        event.detail[key] = junk;
        await assertSendable(event);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses non-events with a reason instead of throwing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), async (junk) => {
        const result = await detector.process(junk);
        expect(result.malformed).toEqual(expect.any(String));
        expect(result.alerts).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
