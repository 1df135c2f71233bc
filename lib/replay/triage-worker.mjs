// Worker threads do not inherit tsx's loader from the thread that registered it: register it here,
// then run the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./triage-worker.ts');
