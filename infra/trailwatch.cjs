// Read by the Serverless Framework through `${file(./infra/trailwatch.cjs):...}` in serverless.yml.
// The configuration schema and the rules are TypeScript, so this compiles infra/stack.ts (and what it
// imports: rules/, zod, yaml) with esbuild in memory and loads the result once per process. Deploy-time
// only: nothing here reaches a Lambda bundle.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildSync } = require('esbuild');

let stack;
function loadStack() {
  if (stack) return stack;
  const { outputFiles } = buildSync({
    entryPoints: [path.join(__dirname, 'stack.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trailwatch-stack-'));
  const file = path.join(dir, 'stack.cjs');
  try {
    fs.writeFileSync(file, outputFiles[0].text);
    stack = require(file);
    return stack;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const configs = new Map();
async function config({ options, resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  const params = [].concat(options.param ?? []);
  const key = JSON.stringify([stage, options.region, params, process.env.TRAILWATCH_CONFIG]);
  if (!configs.has(key)) {
    try {
      configs.set(key, { config: loadStack().deployConfig({ serviceDir: path.join(__dirname, '..'), stage, cliRegion: options.region, params, env: process.env }) });
    } catch (error) {
      configs.set(key, { error });
      throw error;
    }
  }
  const cached = configs.get(key);
  // Every variable that reads the configuration fails with it: say it in full once, not six times.
  if (cached.error) {
    const again = new Error('the trailwatch configuration error in this list');
    again.stack = again.message;
    throw again;
  }
  return { stage, config: cached.config };
}

module.exports = {
  settings: async (ctx) => loadStack().settings((await config(ctx)).config),
  resources: async (ctx) => {
    const { stage, config: c } = await config(ctx);
    // trailwatch's own health follows the declared functions (infra/health.ts): each gets alarms.
    const service = {
      functions: await ctx.resolveConfigurationProperty(['functions']),
      canary: await ctx.resolveConfigurationProperty(['custom', 'canary']),
    };
    return loadStack().generatedResources(c, stage, service);
  },
};
