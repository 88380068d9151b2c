#!/usr/bin/env node
// Entry point of the `uhf` CLI: runs the TypeScript sources through tsx's loader,
// so `npx uhf` works straight after `npm install`, with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../recon/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
