import { describe, expect, it } from 'vitest';
import { measureStateCost } from '../../bench/state-cost.js';

describe('DynamoDB requests per matched event (bench/STATE-COST.md)', () => {
  it('stays at the documented cost on every path', async () => {
    const costs = Object.fromEntries((await measureStateCost()).map((c) => [c.path.split(' (')[0], [c.reads, c.writes]]));
    expect(costs).toEqual({
      'unmatched event': [0, 0],
      'grouped rule, first match of an incident': [1, 4],
      'grouped rule, later match in the incident': [1, 1],
      'any rule, duplicate delivery of the same event': [1, 1],
      'threshold rule, match below the threshold': [2, 2],
      'threshold rule, match after the burst fired': [1, 1],
      'threshold rule, the match that completes the burst': [2, 5],
      'distinct-value rule, first read of a value': [3, 3],
      'distinct-value rule, a repeat the container remembers': [0, 0],
      'distinct-value rule, a repeat in a container that has not seen the principal today': [1, 0],
      'scheduled flush, first run': [expect.any(Number), expect.any(Number)],
    });
  });
});
