import { main } from '../lib/cli/main.js';
import { rules } from '../rules/index.js';

const code = await main(process.argv.slice(2), rules, {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  tty: Boolean(process.stderr.isTTY),
});
process.exitCode = code;
