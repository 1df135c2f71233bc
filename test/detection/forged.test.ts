import { describe, expect, it } from 'vitest';
import { handleEvent } from '../../lib/handlers/detect.js';
import { createEmbeddedStore } from '../../lib/state/embedded-store.js';
import { FlakyTransport, makeDetector, RecordingMetrics, sampleAt, silentLog } from '../state/delivery-harness.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');
const STOP = 'aws.defense-evasion.cloudtrail-stop.json';

describe('events that are not AWS\'s own', () => {
  it('are logged and counted (ForgedEvents), touch no state, and do not keep the genuine event from alerting', async () => {
    const clock = { now: T0 + 5 * 60_000 };
    const store = createEmbeddedStore({ now: () => clock.now });
    const transport = new FlakyTransport();
    const metrics = new RecordingMetrics();
    const warnings: string[] = [];
    const log = { ...silentLog, warn: (message: string) => void warnings.push(message) };
    const detector = makeDetector(store, clock);
    const id = 'cccccccc-0000-4000-8000-000000000001';
    // Same event id and time as the genuine call that follows: a forged copy must not claim it first.
    const forged = { ...sampleAt(STOP, T0, id), source: 'aws-lookalike.cloudtrail' };
    const summary = await handleEvent(forged, { detector, transport, log, metrics });
    expect(summary.forged).toMatch(/not an AWS service/);
    expect(metrics.counts['ForgedEvents']).toBe(1);
    expect(warnings).toEqual(['Event not from AWS dropped']);
    expect(store.size()).toBe(0);

    const genuine = await handleEvent(sampleAt(STOP, T0, id), { detector, transport, log, metrics });
    expect(genuine.sent).toEqual([`cloudtrail-tampering:match:${id}`]);
    expect(transport.delivered).toHaveLength(1);
  });
});
