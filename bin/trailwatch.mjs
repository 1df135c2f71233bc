#!/usr/bin/env node
// The `trailwatch` command: runs the TypeScript sources through tsx (no build step to forget).
import { register } from 'tsx/esm/api';

register();
await import('./trailwatch.ts');
