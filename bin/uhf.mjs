#!/usr/bin/env node
// Entry point of the `uhf` CLI: runs the TypeScript sources unbuilt, so `npx uhf`
// works straight after `npm install`.
import '../recon/hosts/register-ts.mjs';

const { main } = await import('../recon/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
