import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout is part of the design: a folder per stage of an event's way, and no stage reaching into
 * a later one (README, "Where things are"). Alerts are built before the incident policy decides, because
 * it records the built alert with its claim so that a retry resends the identical alert.
 */
const STAGES = [
  'untrusted',
  'config',
  'cloudtrail',
  'eventbridge',
  'detection',
  'hunt',
  'alert',
  'state',
  'incidents',
  'transport',
  'handlers',
  'replay',
  'cli',
] as const;

const LIB = path.resolve(__dirname, '..', 'lib');
const RULES = path.resolve(__dirname, '..', 'rules');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|mjs)$/.test(name) ? [full] : [];
  });
}

/** Relative module specifiers of static imports, dynamic imports and re-exports. */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) specs.push(m[1] as string);
  return specs;
}

const stageOf = (file: string): string => path.relative(LIB, file).split(path.sep)[0] as string;

describe('layout', () => {
  it('lib/ holds only the stage folders, no loose files', () => {
    const entries = readdirSync(LIB).sort();
    expect(entries).toEqual([...STAGES].sort());
    for (const entry of entries) expect(statSync(path.join(LIB, entry)).isDirectory(), entry).toBe(true);
  });

  it('no stage imports from a later stage', () => {
    const backwards: string[] = [];
    for (const file of sourceFiles(LIB)) {
      const from = STAGES.indexOf(stageOf(file) as (typeof STAGES)[number]);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const target = path.resolve(path.dirname(file), spec);
        // rules/ (the pack) sits right after lib/detection, whose format its files use.
        const inRules = target.startsWith(RULES + path.sep);
        if (!inRules && !target.startsWith(LIB + path.sep)) {
          backwards.push(`${path.relative(LIB, file)} imports ${spec}, outside lib/ and rules/`);
          continue;
        }
        const to = inRules ? STAGES.indexOf('detection') + 0.5 : STAGES.indexOf(stageOf(target) as (typeof STAGES)[number]);
        if (to > from) backwards.push(`${path.relative(LIB, file)} (${STAGES[from]}) imports ${spec} (${inRules ? 'rules' : STAGES[to]})`);
      }
    }
    expect(backwards).toEqual([]);
  });

  it('the stage check sees a backwards import', () => {
    // The check above must be able to fail: an import as lib/cloudtrail would write it.
    const file = path.join(LIB, 'cloudtrail', 'identity.ts');
    const [spec] = importsOf("import type { Alert } from '../alert/alert.js';");
    const target = path.resolve(path.dirname(file), spec as string);
    expect(STAGES.indexOf(stageOf(target) as (typeof STAGES)[number])).toBeGreaterThan(STAGES.indexOf('cloudtrail'));
  });

  it('isObject is written once', () => {
    const definitions = sourceFiles(LIB).filter((f) => /(?:function|const)\s+isObject\b/.test(readFileSync(f, 'utf8')));
    expect(definitions.map((f) => path.relative(LIB, f))).toEqual([path.join('untrusted', 'json.ts')]);
  });
});
