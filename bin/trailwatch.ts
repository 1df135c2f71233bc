import { main } from '../lib/cli/main.js';
import { rules } from '../rules/index.js';

// `trailwatch replay --json logs/ | head`: a closed pipe ends the run quietly, as for any Unix tool.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await main(process.argv.slice(2), rules, {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  tty: Boolean(process.stderr.isTTY),
});
process.exitCode = code;
