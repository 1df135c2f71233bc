import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localStateFile, projectRoot } from '../../lib/state/from-env.js';

describe('local state file', () => {
  it.each([
    ['/home/me/trailwatch', '/home/me/trailwatch'],
    ['/home/me/trailwatch/.esbuild/.build', '/home/me/trailwatch'],
    ['/home/me/trailwatch/.esbuild', '/home/me/trailwatch'],
    ['/home/me/trailwatch/.esbuild/.build/functions', '/home/me/trailwatch'],
    ['/home/me/.esbuildx/trailwatch', '/home/me/.esbuildx/trailwatch'],
  ])('runs in %s: the project root is %s', (cwd, root) => {
    expect(projectRoot(cwd)).toBe(root);
  });

  it('is .trailwatch/state.json at the project root, unless TRAILWATCH_STATE_FILE says otherwise', () => {
    expect(localStateFile({}, '/p/.esbuild/.build')).toBe(join('/p', '.trailwatch', 'state.json'));
    expect(localStateFile({ TRAILWATCH_STATE_FILE: '/tmp/s.json' }, '/p/.esbuild/.build')).toBe('/tmp/s.json');
  });
});
