// V8 flags `trailwatch` runs under (bin/trailwatch.mjs re-executes Node with them; bench/ measures
// with them). V8 sizes its young generation from the machine's memory: on a 24 GB machine that made a
// replay peak at 330 MB RSS; 16 MB semi-spaces peak at ~205 MB and replay ~10% faster (bench/RESULTS.md).
// A first old-generation limit of 64 MB: replay worker threads otherwise start with a few MB and ran a
// full mark-compact every file or two (120 per 200,000 events), a third of `--workers 2`'s CPU time.
export const NODE_FLAGS = ['--max-semi-space-size=16', '--initial-old-space-size=64'];
