import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDetector } from '../../lib/handlers/pipeline.js';
import { rules } from '../../rules/index.js';

const detector = createDetector({ rules });

describe('events/ (invoke local samples)', () => {
  it.each(rules.map((r) => [r.id] as const))('events/%s.json is an EventBridge envelope that the rule matches', async (id) => {
    const path = `events/${id}.json`;
    expect(existsSync(path)).toBe(true);
    const result = await detector.process(JSON.parse(readFileSync(path, 'utf8')));
    expect(result.malformed).toBeUndefined();
    expect(result.matched).toContain(id);
  });
});
