// Makes this Node process run the TypeScript sources unbuilt: tsx's loader, plus a
// hook that keeps tsx off large prebuilt modules (see prebuilt-passthrough.mjs).
// Use: import it first (bin/uhf.mjs, worker bootstraps) or `node --import <this> x.ts`.
import { register as registerHooks } from 'node:module';
import { register } from 'tsx/esm/api';

register();
registerHooks('./prebuilt-passthrough.mjs', import.meta.url);
