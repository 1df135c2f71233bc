import { ConfigurationError, numberEnv, optionalEnv, parseAccountNames } from '../config/env.js';
import { applyTuning, parseRuleTuning } from '../detection/tuning.js';
import { createDetector, createWatermarkClock, type Detector } from './pipeline.js';
import { createIncidentPolicy } from '../incidents/policy.js';
import type { Rule } from '../detection/rule.js';
import { stateStoreFromEnv } from '../state/from-env.js';
import type { StateStore } from '../state/store.js';
import { createAllowlist } from '../detection/suppress.js';

export interface Runtime {
  detector: Detector;
  store: StateStore;
  rules: readonly Rule[];
  allowedLatenessMs: number;
  accountNames: Record<string, string>;
}

/** Everything a function needs, built once per container from the environment; fails loudly on bad config. */
export function runtimeFromEnv(allRules: readonly Rule[], env: NodeJS.ProcessEnv = process.env): Runtime {
  const allowedLatenessMs = numberEnv('ALLOWED_LATENESS_MINUTES', 30, env) * 60_000;
  const accountNames = parseAccountNames(optionalEnv('ACCOUNT_NAMES', env));
  // TRAILWATCH_CLOCK=event: `invoke local` on recorded samples judges them on their own time.
  const clockMode = optionalEnv('TRAILWATCH_CLOCK', env) ?? 'wall';
  if (clockMode !== 'wall' && clockMode !== 'event') throw new ConfigurationError(`TRAILWATCH_CLOCK must be wall or event, got "${clockMode}"`);
  const eventClock = clockMode === 'event' ? createWatermarkClock() : undefined;
  const now = eventClock?.now ?? Date.now;
  const store = stateStoreFromEnv(env, now);
  const overrides = parseRuleTuning(optionalEnv('RULE_TUNING', env), allRules);
  // Disabled rules are not deployed and not evaluated; the others run with this deployment's settings.
  const rules = applyTuning(allRules, overrides);
  const allowlist = createAllowlist(overrides);
  const detector = createDetector({
    rules,
    ...(allowlist ? { allowlist } : {}),
    accountNames,
    allowedLatenessMs,
    clock: now,
    ...(eventClock ? { observeEventTime: eventClock.observe } : {}),
    policy: createIncidentPolicy({ store, allowedLatenessMs, overrides }),
  });
  return { detector, store, rules, allowedLatenessMs, accountNames };
}
