import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runReplay, sortsWhole, WHOLE_SORT_BYTES } from '../../lib/replay/run.js';

/** A small input is sorted by event time as a whole; a large one keeps the bounded reorder buffer. */
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'tw-whole-sort-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sample = JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', 'iam-user-deleted.json'), 'utf8')) as { detail: Record<string, unknown> };

/** One IAM user deletion as a raw record, at `time`, deleting `user`. */
function record(time: string, user: string, id: string): Record<string, unknown> {
  return { ...sample.detail, eventTime: time, eventID: id, requestParameters: { userName: user } };
}

describe('replay sorts small inputs whole', () => {
  it('puts files named against time order back in event-time order', async () => {
    const dir = tempDir();
    // Name order a, b; time order b (July), a (September): two months apart, far beyond the reorder buffer.
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ Records: [record('2024-09-01T10:00:00Z', 'later-user', '00000000-0000-4000-8000-00000000000a')] }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ Records: [record('2024-07-01T10:00:00Z', 'earlier-user', '00000000-0000-4000-8000-00000000000b')] }));
    const times: string[] = [];
    await runReplay({ paths: [dir], onAlert: (a) => times.push(a.eventTime) });
    expect(times).toEqual(['2024-07-01T10:00:00Z', '2024-09-01T10:00:00Z']);
    // Input order is still available, and shows the inputs really were out of order.
    const inputOrder: string[] = [];
    await runReplay({ paths: [dir], order: 'input', onAlert: (a) => inputOrder.push(a.eventTime) });
    expect(inputOrder).toEqual(['2024-09-01T10:00:00Z', '2024-07-01T10:00:00Z']);
  });

  it('counts gzip at ten times its size and stops sorting whole above the limit', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'small.json'), '[]');
    expect(await sortsWhole([dir])).toBe(true);
    // Only the size on disk is read to decide: random bytes named .json.gz weigh ten times as much.
    writeFileSync(join(dir, 'big.json.gz'), randomBytes(Math.ceil(WHOLE_SORT_BYTES / 10) + 1024));
    expect(await sortsWhole([dir])).toBe(false);
    expect(await sortsWhole([join(dir, 'small.json')])).toBe(true);
  });
});
