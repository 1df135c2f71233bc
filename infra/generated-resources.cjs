// Read by the Serverless Framework through `${file(./infra/generated-resources.cjs)}` in serverless.yml.
// The rules are TypeScript, so this compiles infra/stack.ts (and the rules it imports) with esbuild
// in memory and loads the result: the deployed EventBridge patterns come from rules/ and nowhere else.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { buildSync } = require('esbuild');

function loadStack() {
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
    return require(file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  const alertEmails = await resolveVariable('param:alertEmails');
  const slackWebhookParameter = await resolveVariable('param:slackWebhookParameter');
  const slackMinSeverity = await resolveVariable('param:slackMinSeverity');
  const ruleTuning = await resolveVariable('param:ruleTuning');
  return loadStack().generatedResources({ stage, alertEmails, slackWebhookParameter, slackMinSeverity, ruleTuning });
};
