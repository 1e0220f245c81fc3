// The viewer worker's entry point. Workers do not inherit the main thread's module hooks on
// Node 20, so TypeScript is registered here with tsx, as `--import tsx` does for the server
// (decision 0003); under `tsx` or `node --import tsx` registering twice is harmless.
import { register } from 'tsx/esm/api';

register();
await import('./viewer-worker.ts');
