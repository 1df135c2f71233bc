import { numberEnv, optionalEnv, parseAccountNames } from './config/env.js';
import { parseRuleTuning } from './config/tuning.js';
import { createDetector, type Detector } from './detector.js';
import { createIncidentPolicy } from './incidents.js';
import type { Rule } from './rule.js';
import { stateStoreFromEnv } from './state/from-env.js';
import type { StateStore } from './state/store.js';

export interface Runtime {
  detector: Detector;
  store: StateStore;
  rules: readonly Rule[];
  allowedLatenessMs: number;
  accountNames: Record<string, string>;
}

/** Everything a function needs, built once per container from the environment; fails loudly on bad config. */
export function runtimeFromEnv(rules: readonly Rule[], env: NodeJS.ProcessEnv = process.env): Runtime {
  const allowedLatenessMs = numberEnv('ALLOWED_LATENESS_MINUTES', 30, env) * 60_000;
  const accountNames = parseAccountNames(optionalEnv('ACCOUNT_NAMES', env));
  const store = stateStoreFromEnv(env);
  const overrides = parseRuleTuning(optionalEnv('RULE_TUNING', env), rules);
  const detector = createDetector({
    rules,
    accountNames,
    allowedLatenessMs,
    policy: createIncidentPolicy({ store, allowedLatenessMs, overrides }),
  });
  return { detector, store, rules, allowedLatenessMs, accountNames };
}
